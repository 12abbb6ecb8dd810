"""Example plugin for the M-LCB paper: a greedy meta-algorithm (no confidence bounds).

    each round t:
        S_t = the M experts with the smallest empirical raw loss (untrained first, ties to the lowest index)
        I_t = argmin_{i in S_t} empirical raw loss
        train S_t, advise with I_t

It keeps M-LCB's state (counts, loss sums) and its selection helper, so the only
difference from M-LCB is the absence of the confidence and regret terms: the
comparison shows what those terms buy. Loaded by a preset through
``plugins: [examples.greedy_experts]``.
"""
import jax.numpy as jnp

from bandits.core.experiment import Algorithm
from bandits.core.numerics import KahanSum
from bandits.core.types import Policy
from bandits.experts.confidence import BIG
from bandits.experts.environment import ExpertAction
from bandits.experts.mlcb import MLCBState
from bandits.experts.paper import ALGORITHMS
from bandits.experts.selection import training_set


def greedy_experts(budget: int) -> Policy:
    """Args: budget M. Returns: a Policy over ``ExpertAction``s."""

    def init(known):
        K = known.bound.scale.shape[0]
        return MLCBState(counts=jnp.zeros(K, jnp.int32), loss_sums=KahanSum.zeros(K))

    def select(state, noise, t, known):
        n = state.counts
        mean = state.loss_sums.value / jnp.maximum(n, 1).astype(state.loss_sums.value.dtype)
        score = jnp.where(n > 0, mean, -BIG)  # untrained experts first
        mask, _ = training_set(score, budget)
        advisor = jnp.argmin(jnp.where(mask & (n > 0), mean, BIG)).astype(jnp.int32)
        advisor = jnp.where(n[advisor] > 0, advisor, jnp.argmax(mask)).astype(jnp.int32)
        return ExpertAction(train=mask, advisor=advisor)

    def update(state, action, obs, known):
        return MLCBState(counts=state.counts + action.train.astype(jnp.int32),
                         loss_sums=state.loss_sums.add(jnp.where(action.train, obs.raw_loss, 0.0)))

    return Policy(init=init, select=select, update=update)


if "greedy" not in ALGORITHMS:
    ALGORITHMS.add("greedy", Algorithm(lambda known: greedy_experts(known.budget), display="Greedy",
                                       color="tab:gray"))
