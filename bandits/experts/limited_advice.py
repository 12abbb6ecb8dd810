"""Prediction with Limited Advice (Seldin, Bartlett, Crammer, Abbasi-Yadkori 2014; spec section 4).

Exponential weights over the K experts with M queried experts per round:

for t = 1, 2, ...:
    eta_t = sqrt(M ln K / (K t))                             # anytime learning rate
    p_t(a) = exp(-eta_t L~_a) / sum_b exp(-eta_t L~_b)
    A_t ~ p_t                                                # the advisor I_t
    O_t = {A_t} + (M - 1) other experts uniformly without replacement   # = S_t, trained
    observe l_a = l(safe advice of a, z_t) for a in O_t
    q_t(a) = p_t(a) + (1 - p_t(a)) (M - 1)/(K - 1)           # P(a in O_t)
    L~_a += l_a 1{a in O_t} / q_t(a)
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core import rng
from bandits.core.types import Policy

from .environment import ExpertAction, ExpertObs


class LimitedAdviceState(NamedTuple):
    estimates: jax.Array  # [K]  L~_a, importance-weighted cumulative losses
    rounds: jax.Array  # int32  rounds played (t - 1 at selection time)


def weights(estimates, t1, budget: int):
    """p_t = softmax(-eta_t L~),  eta_t = sqrt(M ln K / (K t)),  t1 = t (1-based)."""
    K = estimates.shape[0]
    eta = jnp.sqrt(budget * math.log(K) / (K * t1.astype(estimates.dtype)))
    return jax.nn.softmax(-eta * estimates)


def inclusion(p, budget: int):
    """q(a) = p(a) + (1 - p(a)) (M - 1)/(K - 1): the probability that a is queried."""
    K = p.shape[0]
    if K == 1:
        return jnp.ones_like(p)
    return p + (1.0 - p) * (budget - 1) / (K - 1)


def limited_advice(budget: int) -> Policy:
    """LimitedAdvice with the anytime learning rate; S_t = O_t, I_t = A_t.

    Args:
      budget: M, experts queried (and trained) per round.

    Returns:
      A ``Policy`` whose action is an ``ExpertAction``; its noise is M uniforms per round.
    """

    def init(known):
        K = known.bound.scale.shape[0]
        if not 1 <= budget <= K:
            raise ValueError(f"budget M must be in [1, K={K}], got {budget}")
        return LimitedAdviceState(estimates=jnp.zeros(K, jnp.zeros(()).dtype), rounds=jnp.int32(0))

    def sample(key, rounds, known):
        return rng.uniform(key, (rounds, budget))

    def select(state, u, t, known) -> ExpertAction:
        K = state.estimates.shape[0]
        p = weights(state.estimates, state.rounds + 1, budget)
        cdf = jnp.cumsum(p)
        advisor = jnp.minimum(jnp.sum(cdf < u[0] * cdf[-1]), K - 1).astype(jnp.int32)
        mask = jnp.arange(K) == advisor
        if budget > 1:
            others = rng.random_subset(u[1:], K - 1, budget - 1)  # positions among the K - 1 non-advisors
            others = others + (others >= advisor)
            mask = mask.at[others].set(True)
        return ExpertAction(train=mask, advisor=advisor)

    def update(state, action: ExpertAction, obs: ExpertObs, known):
        p = weights(state.estimates, state.rounds + 1, budget)
        q = inclusion(p, budget)
        est = state.estimates + jnp.where(action.train, obs.advice_loss / q, 0.0)
        return LimitedAdviceState(estimates=est, rounds=state.rounds + 1)

    return Policy(init=init, select=select, update=update, sample=sample)
