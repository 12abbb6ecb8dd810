"""Round-robin training (a reference point, spec section 4).

S_t = {(t M + j) mod K : j < M} (every expert trained M T / K times, +-1);
I_t = argmin over the trained experts of the empirical raw loss L_hat_i
(untrained: +BIG; ties to the lowest index), over all K (I_t need not be in S_t).
"""
from __future__ import annotations

import jax.numpy as jnp

from bandits.core.numerics import KahanSum
from bandits.core.types import Policy

from .confidence import BIG
from .environment import ExpertAction
from .mlcb import MLCBState


def round_robin(budget: int) -> Policy:
    """Cyclic training of M experts per round; advisor = best empirical mean raw loss.

    Args:
      budget: M (1 <= M <= K).

    Returns:
      A ``Policy`` whose action is an ``ExpertAction``.
    """

    def init(known):
        K = known.bound.scale.shape[0]
        if not 1 <= budget <= K:
            raise ValueError(f"budget M must be in [1, K={K}], got {budget}")
        return MLCBState(counts=jnp.zeros(K, jnp.int32), loss_sums=KahanSum.zeros(K))

    def select(state, noise, t, known):
        K = state.counts.shape[0]
        offset = (t * budget) % K
        mask = ((jnp.arange(K) - offset) % K) < budget
        n = state.counts
        mean = state.loss_sums.value / jnp.maximum(n, 1).astype(state.loss_sums.value.dtype)
        advisor = jnp.argmin(jnp.where(n > 0, mean, BIG)).astype(jnp.int32)
        return ExpertAction(train=mask, advisor=advisor)

    def update(state, action, obs, known):
        return MLCBState(counts=state.counts + action.train.astype(jnp.int32),
                         loss_sums=state.loss_sums.add(jnp.where(action.train, obs.raw_loss, 0.0)))

    return Policy(init=init, select=select, update=update)
