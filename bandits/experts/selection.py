"""M-LCB's selection rules (spec section 3; paper eq. after Definition 1).

S_t = the M experts with the smallest LCB (this minimises sum_{i in S} LCB_i over
|S| = M, the property the regret proof uses), I_t = argmin_{i in S_t} UCB_i.

Ties in the LCB (e.g. the untrained experts, all at -BIG) are broken either by
the lowest index or by a uniformly random order (a random permutation of the
experts, drawn per round from K uniforms): every tied expert is then equally
likely to be picked. Ties in the UCB go to the lowest index.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from bandits.core.selection import smallest_k_mask

TIES = ("index", "random")


def training_set(lcb: jax.Array, budget: int, priority: jax.Array | None = None):
    """(mask bool[K], indices int32[M] in ascending order) of the M smallest LCBs.

    ``priority``: None (ties to the lowest index) or K uniforms (ties in the
    order of increasing priority, i.e. uniformly at random).
    """
    mask = smallest_k_mask(lcb, budget, priority)
    idx = jnp.flatnonzero(mask, size=budget).astype(jnp.int32)  # ascending index order
    return mask, idx


def advisor(ucb: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """I_t = argmin_{i in S_t} UCB_i (mask None: argmin over all K); ties to the lowest index."""
    if mask is not None:
        ucb = jnp.where(mask, ucb, jnp.inf)
    return jnp.argmin(ucb).astype(jnp.int32)
