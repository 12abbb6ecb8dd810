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

