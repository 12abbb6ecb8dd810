"""Branching on the whole seed batch: skip work that no seed in the batch needs.

Under ``vmap`` a ``lax.cond`` on a per-seed predicate runs *both* branches for
every seed. The runner names its seed axis (``SEED_AXIS``), so a simulation can
reduce a predicate over the batch and branch once for all seeds: e.g. an
allocation policy whose seeds are all still exploring skips its exploitation
step. The branches must agree wherever both apply (the cheap branch computes
the same values as the general one for the seeds it serves); then a seed's
result never depends on which seeds run beside it.

Outside the runner's ``vmap`` (a single unbatched seed) the batch is that seed.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax import lax

SEED_AXIS = "seeds"


def count_in_batch(pred: jax.Array) -> tuple[jax.Array, int]:
    """(number of seeds of the batch for which ``pred`` holds, batch size)."""
    pred = jnp.asarray(pred).astype(jnp.int32)
    try:
        return lax.psum(pred, SEED_AXIS), lax.axis_size(SEED_AXIS)
    except NameError:  # not under the runner's vmap: a batch of one
        return pred, 1


def branch_on_batch(pred: jax.Array, when_all: Callable, when_none: Callable, mixed: Callable):
    """``when_all()`` if ``pred`` holds for every seed of the batch, ``when_none()`` if for none, else ``mixed()``.

    Contract: ``mixed`` must give, on each seed, what ``when_all`` gives where
    ``pred`` holds and what ``when_none`` gives where it does not.
    """
    count, size = count_in_batch(pred)
    index = jnp.where(count == size, 0, jnp.where(count == 0, 1, 2))
    return lax.switch(index, [when_all, when_none, mixed])



def seeds_last(fn: Callable) -> Callable:
    """``fn`` (written for one seed) computed, under ``vmap``, on arrays whose batch axis is the *last* one.

    Under ``vmap`` a seed's vector of m entries becomes a row of a [seeds, m] array, and XLA-CPU reduces each
    row on its own: a loop of m scalar steps per seed (about 1 ns an entry), and a short minor axis (m = 17)
    vectorises badly. With the batch moved last, [m, seeds], a reduction over a seed's entries is m vector
    operations across the seeds (about 0.1 ns an entry), and every elementwise step runs along the long seed
    axis. The values are the same: elementwise IEEE operations do not depend on the layout, and XLA-CPU reduces
    a short axis in the same (sequential) order either way. One caution: XLA-CPU may contract a * b + c into a
    fused multiply-add in one fusion and not in another, so a sum of products whose last bit matters belongs in a
    loop body (``lax.fori_loop``), where it is contracted in every layout (``allocation.environment.run_tasks``).

    ``fn(*args)`` takes pytrees of arrays (no Python values: close over those) and must work unchanged when
    every array gets a trailing batch axis: per-seed axes leading, reductions over explicit leading axes
    (``axis=0``), broadcasting by indexing leading axes (``x[:, None]``, ``x[None]``); a
    reduction over all axes (``x.max()``) is then over the batch too (allowed where that is what is meant, e.g.
    a loop's trip count). It must not close over arrays (a ``custom_vmap`` closure cannot be batched).
    """
    wrapped = jax.custom_batching.custom_vmap(fn)

    @wrapped.def_vmap
    def batched(size, in_batched, *args):
        leaves, tree = jax.tree.flatten(args)
        flags = jax.tree.leaves(in_batched)
        moved = [jnp.moveaxis(a, 0, -1) if b else (a[..., None] if jnp.ndim(a) else a) for a, b in zip(leaves, flags)]
        out = fn(*jax.tree.unflatten(tree, moved))

        def back(o):  # trailing batch axis (of size 1 where only unbatched inputs made it) -> leading, full size
            o = jnp.asarray(o)
            if o.ndim == 0:
                return jnp.broadcast_to(o, (size,))
            return jnp.moveaxis(jnp.broadcast_to(o, o.shape[:-1] + (size,)), -1, 0)

        out = jax.tree.map(back, out)
        return out, jax.tree.map(lambda _: True, out)

    return wrapped

