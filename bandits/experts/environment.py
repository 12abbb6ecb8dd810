"""The budgeted expert-learning environment (spec sections 1 and 5).

The environment holds the K experts (an ``ExpertFamily`` state): the
meta-algorithm only chooses, each round t, the training set S_t (a K-mask,
|S_t| = M) and the advisor I_t, then observes losses:

  1. draw z_t (``family.sample``, independent of the policy: every
     meta-algorithm on a seed sees the same z-stream);
  2. the meta-procedure suffers l(safe advice of I_t, z_t);
  3. each j in S_t suffers its raw loss l(phi_j(theta_j), z_t) and updates on z_t;
     the experts outside S_t are left bit-identical (``family.train``).

Observation (only what the meta-procedure may see): for j in S_t the raw loss
and the safe-advice loss on z_t (computed before the update), 0 elsewhere; the
advisor's suffered loss.

Metrics: pseudo-regret sum_t excess(I_t) (for GLM experts the
Rao-Blackwellised increment (y_hat_t - sigma*(<theta*, x_t>))^2), realized
regret sum_t l(advice of I_t, z_t) - l(benchmark, z_t), the training counts
N_i(t) and the advisor counts, the last advisor I_t.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.numerics import KahanSum
from bandits.core.types import ActionCheck, Environment

from .confidence import RegretBound
from .family import ExpertFamily, train


class ExpertAction(NamedTuple):
    train: jax.Array  # bool[K]  S_t as a mask (|S_t| = M)
    advisor: jax.Array  # int32    I_t


class ExpertObs(NamedTuple):
    raw_loss: jax.Array  # [K]  l(raw advice of j, z_t) for j in S_t, 0 elsewhere
    advice_loss: jax.Array  # [K]  l(safe advice of j, z_t) for j in S_t, 0 elsewhere
    suffered: jax.Array  # scalar  l(safe advice of I_t, z_t)


class ExpertsKnown(NamedTuple):
    """The meta-algorithm's view of the problem: the experts' regret bounds (K = bound.scale.shape[0]).

    ``budget`` (M, a static int) is informative: the policy factories take M as an argument.
    """

    bound: RegretBound
    budget: int = 0


class ExpertsEnvState(NamedTuple):
    experts: Any  # the family's state, leading axis K
    counts: jax.Array  # int32[K]  N_i(t), training sessions
    advised: jax.Array  # int32[K]  rounds as advisor
    last_advisor: jax.Array  # int32  I_t of the last round
    pseudo_regret: KahanSum
    realized_regret: KahanSum
    loss: KahanSum  # sum of the suffered losses
    rounds: jax.Array  # int32


def known_of(family: ExpertFamily, budget: int = 0) -> ExpertsKnown:
    return ExpertsKnown(bound=family.bound, budget=int(budget))


def expert_action_check(K: int) -> ActionCheck:
    """A valid expert action: a boolean training mask of the K experts and an integer advisor among them.
    (How many experts train is the algorithm's business: full training trains all K whatever M.)"""

    def holds(action: ExpertAction, oracle):
        train, advisor = jnp.asarray(action.train), jnp.asarray(action.advisor)
        shaped = train.shape == (K,) and train.dtype == jnp.bool_ and advisor.shape == () \
            and jnp.issubdtype(advisor.dtype, jnp.integer)  # static: a constant condition
        return jnp.stack([jnp.bool_(shaped), (advisor >= 0) & (advisor < K)])

    return ActionCheck(names=(f"a boolean training mask of K = {K} experts and an integer advisor",
                              f"the advisor within 0..{K - 1}"), holds=holds)


def experts_env(family: ExpertFamily) -> Environment:
    """The environment over a family of experts; its ``params`` is the family's oracle."""
    K = family.bound.scale.shape[0]

    def reset(key, oracle):
        del key
        return ExpertsEnvState(experts=family.init(), counts=jnp.zeros(K, jnp.int32), advised=jnp.zeros(K, jnp.int32),
                               last_advisor=jnp.int32(-1), pseudo_regret=KahanSum.zeros(),
                               realized_regret=KahanSum.zeros(), loss=KahanSum.zeros(), rounds=jnp.int32(0))

    def sample(key, rounds, oracle):
        return family.sample(key, rounds, oracle)

    def step(z, state, action: ExpertAction, oracle):
        experts = state.experts
        mask, advisor = action.train, action.advisor
        raw = family.raw_loss(experts, z)
        advice = family.advice_loss(experts, z)
        is_advisor = jnp.arange(K) == advisor  # one-hot selects (no gather / scatter: they fuse under vmap)
        suffered = jnp.sum(jnp.where(is_advisor, advice, 0.0))
        excess = jnp.sum(jnp.where(is_advisor, family.advice_excess(experts, z, oracle), 0.0))
        bench = family.benchmark_loss(z, oracle)
        experts = train(family, experts, z, mask)
        new = ExpertsEnvState(
            experts=experts,
            counts=state.counts + mask.astype(jnp.int32),
            advised=state.advised + is_advisor.astype(jnp.int32),
            last_advisor=advisor,
            pseudo_regret=state.pseudo_regret.add(excess),
            realized_regret=state.realized_regret.add(suffered - bench),
            loss=state.loss.add(suffered),
            rounds=state.rounds + 1,
        )
        obs = ExpertObs(raw_loss=jnp.where(mask, raw, 0.0), advice_loss=jnp.where(mask, advice, 0.0),
                        suffered=suffered)
        return new, obs

    def metrics(state, oracle):
        out = {
            "pseudo_regret": state.pseudo_regret.value,
            "realized_regret": state.realized_regret.value,
            "loss": state.loss.value,
            "final_advisor": state.last_advisor,
        }
        for i in range(K):
            out[f"train_count_{i}"] = state.counts[i]
            out[f"advisor_count_{i}"] = state.advised[i]
        return out

    return Environment(reset=reset, sample=sample, step=step, metrics=metrics, validate=expert_action_check(K))
