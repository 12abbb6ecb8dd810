"""Full training (M = K, a reference point, spec section 4): every expert trains every round.

I_t = argmin_i UCB_i over all K (M-LCB's advisor rule; at M = K M-LCB is
exactly this policy). c = 0.1 by default, as M-FLCB.
"""
from __future__ import annotations

import jax.numpy as jnp

from bandits.core.numerics import KahanSum
from bandits.core.types import Policy

from . import confidence, selection
from .environment import ExpertAction
from .mlcb import MLCBState, mlcb_bounds


def full_training(budget: int | None = None, c: float = 0.1, c_R: float = 1.0, delta: float = 0.05,
                  bounds: str = "hoeffding") -> Policy:
    """Train all K experts each round; advise with the smallest UCB.

    Args:
      budget: ignored (M = K; kept for the ``factory(budget, **hyperparameters)`` signature).
      c, c_R, delta, bounds: as ``mlcb`` (the UCB depends on c, delta and bounds only).

    Returns:
      A ``Policy`` whose action is an ``ExpertAction``.
    """
    if bounds not in confidence.BOUNDS:
        raise ValueError(f"unknown bounds {bounds!r}; valid choices: {', '.join(confidence.BOUNDS)}")

    def init(known):
        K = known.bound.scale.shape[0]
        return MLCBState(counts=jnp.zeros(K, jnp.int32), loss_sums=KahanSum.zeros(K))

    def select(state, noise, t, known):
        _, ucb = mlcb_bounds(state, known, delta, c, c_R, bounds)
        return ExpertAction(train=jnp.ones(state.counts.shape[0], bool), advisor=selection.advisor(ucb))

    def update(state, action, obs, known):
        return MLCBState(counts=state.counts + action.train.astype(jnp.int32),
                         loss_sums=state.loss_sums.add(jnp.where(action.train, obs.raw_loss, 0.0)))

    return Policy(init=init, select=select, update=update)
