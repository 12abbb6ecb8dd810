"""M-LCB (Algorithm 1, reconstructed: spec section 3) and M-FLCB (c = 0.1, two readings: spec section 9).

for t = 1, 2, ...:
    n_i = N_i (training sessions), L_hat_i = mean raw loss over i's sessions
    LCB_i, UCB_i from (L_hat_i, n_i, R_i(n_i, delta/(3K)))      # confidence.py; -BIG / +BIG at n_i = 0
    S_t = the M experts with the smallest LCB                   # ties: lowest index or random order
                                                                # (default: DEFAULT_TIES of the bounds)
    I_t = argmin_{i in S_t} UCB_i                               # option: argmin over all K
    the advisor's safe advice is played; every j in S_t suffers its raw loss
    l_j and trains on z_t; N_j += 1, sum_j += l_j

M-FLCB is M-LCB with "the concentration terms scaled by 0.1" (the paper's experiments), which reads two ways
(spec section 9): reading A scales beta only (c = 0.1, c_R = 1); reading B scales the whole width
c beta + c_R R_i/n (c = c_R = 0.1), the default.
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


# M-FLCB's constants (spec sections 3 and 9), kept here only: the factories and the paper's builders use these names
MFLCB_C = 0.1  # the scale of the concentration terms
READINGS = {  # reading -> (c_R as a function of c, what is scaled)
    "A": (lambda c: 1.0, "beta only: c_R = 1"),
    "B": (lambda c: c, "the whole width: c_R = c"),
}
DEFAULT_READING = "B"
# the tie rule of the LCB ranking when none is given: the self-normalised LCB clamps to 0 while R/n > L_hat, so
# lowest-index ties would train expert 0 for most of the first rounds (spec section 9); random ties there
DEFAULT_TIES = {"hoeffding": "index", "self_normalized": "random"}


def reading_constants(reading: str, c: float = MFLCB_C) -> tuple[float, float]:
    """(c, c_R) of M-FLCB under ``reading`` (``READINGS``) with concentration scale c."""
    if not isinstance(reading, str) or reading not in READINGS:
        raise ValueError(f"unknown reading {reading!r}; valid choices: "
                         + ", ".join(f"{k} ({v[1]})" for k, v in READINGS.items()))
    return float(c), float(READINGS[reading][0](float(c)))


class MLCBState(NamedTuple):
    counts: jax.Array  # int32[K]  N_i
    loss_sums: KahanSum  # [K]     sum of the raw losses over i's sessions


def mlcb_bounds(state: MLCBState, known, delta: float, c: float, c_R: float, bounds: str):
    """(LCB [K], UCB [K]) of the current state (exposed for the coverage checks)."""
    n = state.counts
    mean = state.loss_sums.value / jnp.maximum(n, 1).astype(state.loss_sums.value.dtype)
    return confidence.bounds(bounds, mean, n, known.bound, delta, c, c_R)


def mlcb(budget: int, c: float = 1.0, c_R: float = 1.0, delta: float = 0.05, bounds: str = "hoeffding",
         ties: str | None = None, advisor_from: str = "subset") -> Policy:
    """M-LCB as a ``Policy`` over ``ExpertsKnown``.

    Args:
      budget: M, experts trained per round (1 <= M <= K).
      c: scale of the concentration term (1: theory; 0.1: M-FLCB).
      c_R: scale of the regret term R_i/n.
      delta: confidence level.
      bounds: "hoeffding" (section 3) or "self_normalized" (section 3.1).
      ties: "index" (lowest index first) or "random" (uniformly random order of tied LCBs); None: the bounds'
        ``DEFAULT_TIES`` (index with Hoeffding's, random with the self-normalised bounds).
      advisor_from: "subset" (argmin UCB over S_t) or "all" (argmin over the K experts).

    Returns:
      A ``Policy`` whose action is an ``ExpertAction``.
    """
    if bounds not in confidence.BOUNDS:
        raise ValueError(f"unknown bounds {bounds!r}; valid choices: {', '.join(confidence.BOUNDS)}")
    ties = DEFAULT_TIES[bounds] if ties is None else ties
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


def mflcb(budget: int, c: float = MFLCB_C, reading: str = DEFAULT_READING, **kwargs) -> Policy:
    """M-FLCB (the paper's experiments): M-LCB with the concentration terms scaled by c = 0.1.

    Args:
      budget: M.
      c: the scale (0.1).
      reading: "A" (c_R = 1) or "B" (c_R = c, the default); ``READINGS``.
      **kwargs: ``mlcb``'s delta, bounds, ties, advisor_from.
    """
    c, c_R = reading_constants(reading, c)
    return mlcb(budget, c=c, c_R=c_R, **kwargs)
