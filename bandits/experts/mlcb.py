"""M-LCB (Algorithm 1, reconstructed: spec section 3) and M-FLCB (c = 0.1).

for t = 1, 2, ...:
    n_i = N_i (training sessions), L_hat_i = mean raw loss over i's sessions
    LCB_i, UCB_i from (L_hat_i, n_i, R_i(n_i, delta/(3K)))      # confidence.py; -BIG / +BIG at n_i = 0
    S_t = the M experts with the smallest LCB                   # ties: lowest index or random order
    I_t = argmin_{i in S_t} UCB_i                               # option: argmin over all K
    the advisor's safe advice is played; every j in S_t suffers its raw loss
    l_j and trains on z_t; N_j += 1, sum_j += l_j
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core import rng
from bandits.core.numerics import KahanSum
from bandits.core.types import Policy

from . import confidence, selection
from .environment import ExpertAction, ExpertObs


class MLCBState(NamedTuple):
    counts: jax.Array  # int32[K]  N_i
    loss_sums: KahanSum  # [K]     sum of the raw losses over i's sessions


def mlcb_bounds(state: MLCBState, known, delta: float, c: float, c_R: float, bounds: str):
    """(LCB [K], UCB [K]) of the current state (exposed for the coverage checks)."""
    n = state.counts
    mean = state.loss_sums.value / jnp.maximum(n, 1).astype(state.loss_sums.value.dtype)
    return confidence.bounds(bounds, mean, n, known.bound, delta, c, c_R)


def mlcb(budget: int, c: float = 1.0, c_R: float = 1.0, delta: float = 0.05, bounds: str = "hoeffding",
         ties: str = "index", advisor_from: str = "subset") -> Policy:
    """M-LCB as a ``Policy`` over ``ExpertsKnown``.

    Args:
      budget: M, experts trained per round (1 <= M <= K).
      c: scale of the concentration term (1: theory; 0.1: M-FLCB).
      c_R: scale of the regret term R_i/n.
      delta: confidence level.
      bounds: "hoeffding" (section 3) or "self_normalized" (section 3.1).
      ties: "index" (lowest index first) or "random" (uniformly random order of tied LCBs).
      advisor_from: "subset" (argmin UCB over S_t) or "all" (argmin over the K experts).

    Returns:
      A ``Policy`` whose action is an ``ExpertAction``.
    """
    if bounds not in confidence.BOUNDS:
        raise ValueError(f"unknown bounds {bounds!r}; valid choices: {', '.join(confidence.BOUNDS)}")
    if ties not in selection.TIES:
        raise ValueError(f"unknown ties {ties!r}; valid choices: {', '.join(selection.TIES)}")
    if advisor_from not in ("subset", "all"):
        raise ValueError(f"advisor_from must be 'subset' or 'all', got {advisor_from!r}")

    def init(known):
        K = known.bound.scale.shape[0]
        if not 1 <= budget <= K:
            raise ValueError(f"budget M must be in [1, K={K}], got {budget}")
        return MLCBState(counts=jnp.zeros(K, jnp.int32), loss_sums=KahanSum.zeros(K))

    def sample(key, rounds, known):
        if ties == "index":
            return None
        return rng.uniform(key, (rounds, known.bound.scale.shape[0]))

    def select(state, priority, t, known) -> ExpertAction:
        lcb, ucb = mlcb_bounds(state, known, delta, c, c_R, bounds)
        mask, _ = selection.training_set(lcb, budget, priority)
        advisor = selection.advisor(ucb, mask if advisor_from == "subset" else None)
        return ExpertAction(train=mask, advisor=advisor)

    def update(state, action: ExpertAction, obs: ExpertObs, known):
        return MLCBState(counts=state.counts + action.train.astype(jnp.int32),
                         loss_sums=state.loss_sums.add(jnp.where(action.train, obs.raw_loss, 0.0)))

    return Policy(init=init, select=select, update=update, sample=None if ties == "index" else sample)


def mflcb(budget: int, c: float = 0.1, **kwargs) -> Policy:
    """M-FLCB (the paper's experiments): M-LCB with the concentration term scaled by c = 0.1."""
    return mlcb(budget, c=c, **kwargs)
