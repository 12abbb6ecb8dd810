"""Bandit experts (paper section 2.5.2): each expert is UCB1 over its own subset of base actions.

Base actions a = 0..A-1 have Bernoulli losses of means mu_a (the oracle);
z_t = the full loss vector in {0, 1}^A (one draw per action). Expert i runs
UCB1 for losses on its arm subset S_i with exploration constant c_i:

  raw advice at session k (1-based): an untried arm of S_i (lowest index) if any,
      else argmin_{a in S_i} mean_a - sqrt(c_i ln k / count_a)  (ties: lowest index);
      its distribution is the one-hot e_a; raw loss z[a].
  safe advice (eq. 7): the average of the past distributions p_bar = count / n
      (e_{first arm} when n = 0); loss <p_bar, z> and expected loss <p_bar, mu> (exact).
  benchmark: min over the union of the subsets of mu_a.
  regret bound (heuristic, gap-free UCB1): R_i(n, delta) = sqrt(8 |S_i|) sqrt(n ln(e (n+1)/delta)).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core import rng

from .confidence import RegretBound
from .family import ExpertFamily


class BanditOracle(NamedTuple):
    means: jax.Array  # [A] mu_a


class UCBState(NamedTuple):
    counts: jax.Array  # int32[K, A]  pulls of each arm (= n p_bar: the safe advice)
    sums: jax.Array  # [K, A]  summed losses of each arm
    sessions: jax.Array  # int32[K]  N_i


def ucb_experts(arm_subsets: Sequence[Sequence[bool]], explore: float | Sequence[float] = 2.0) -> ExpertFamily:
    """K UCB1 experts; ``arm_subsets`` bool[K, A] (each row non-empty), ``explore`` c_i (scalar or [K]).

    Returns:
      An ``ExpertFamily`` whose oracle is a ``BanditOracle``.
    """
    dtype = jnp.zeros(()).dtype
    masks_np = np.asarray(arm_subsets, dtype=bool)
    if masks_np.ndim != 2 or not masks_np.any(axis=1).all():
        raise ValueError("arm_subsets must be bool[K, A] with a non-empty row per expert")
    K, A = masks_np.shape
    masks = jnp.asarray(masks_np)
    union = jnp.asarray(masks_np.any(axis=0))
    c = jnp.broadcast_to(jnp.asarray(explore, dtype), (K,))
    arms = jnp.arange(A)

    def choose(state):  # int32[K] the arm of each expert's raw advice
        k = (state.sessions + 1).astype(dtype)
        cnt = jnp.maximum(state.counts, 1).astype(dtype)
        index = state.sums / cnt - jnp.sqrt(c[:, None] * jnp.log(k)[:, None] / cnt)
        index = jnp.where(state.counts == 0, -jnp.inf, index)
        index = jnp.where(masks, index, jnp.inf)
        return jnp.argmin(index, axis=1).astype(jnp.int32)

    def init():
        return UCBState(counts=jnp.zeros((K, A), jnp.int32), sums=jnp.zeros((K, A), dtype),
                        sessions=jnp.zeros(K, jnp.int32))

    def raw_loss(state, z):
        return z[choose(state)]

    def update(state, z):
        onehot = choose(state)[:, None] == arms[None, :]
        return UCBState(counts=state.counts + onehot, sums=state.sums + jnp.where(onehot, z[None, :], 0.0),
                        sessions=state.sessions + 1)

    def safe_distribution(state):
        n = state.sessions
        p = state.counts.astype(dtype) / jnp.maximum(n, 1).astype(dtype)[:, None]
        first = (choose(state)[:, None] == arms[None, :]).astype(dtype)
        return jnp.where((n > 0)[:, None], p, first)

    def advice_loss(state, z):
        return safe_distribution(state) @ z

    def advice_excess(state, z, oracle):
        best = jnp.min(jnp.where(union, oracle.means, jnp.inf))
        return safe_distribution(state) @ oracle.means - best

    def benchmark_loss(z, oracle):
        best_arm = jnp.argmin(jnp.where(union, oracle.means, jnp.inf))
        return z[best_arm]

    def sample(key, rounds, oracle):
        return (rng.uniform(key, (rounds, A)) < oracle.means[None, :]).astype(dtype)

    size = masks_np.sum(axis=1)
    bound = RegretBound(scale=jnp.asarray(np.sqrt(8.0 * size), dtype), exponent=jnp.full(K, 0.5, dtype),
                        log_power=jnp.full(K, 0.5, dtype))
    return ExpertFamily(init=init, raw_loss=raw_loss, update=update, advice_loss=advice_loss,
                        advice_excess=advice_excess, benchmark_loss=benchmark_loss, sample=sample, bound=bound,
                        names=tuple(f"ucb{i}" for i in range(K)))
