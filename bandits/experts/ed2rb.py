"""ED2RB: data-driven regret balancing (Dann, Gentile, Pacchiano 2024; spec section 4).

One expert per round, whatever M (it is trained and advises):

for t = 1, 2, ...:
    i_t = argmin_i phi_i                                     # ties: lowest index
    play i_t's safe advice, reward r = 1 - loss; train i_t
    n_i += 1, u_i += r                                       # i = i_t
    conf_j = c sqrt(ln(K ln max(n_j, 3) / delta) / n_j)      # trained j only
    d_i = max(d_min, sqrt(n_i) (max_j [u_j/n_j - conf_j] - (u_i/n_i + conf_i)))
    phi_i = clip(d_i sqrt(n_i), phi_i, 2 phi_i)              # phi starts at d_min
The spec tunes c over ``C_GRID`` and reports the best (as the paper did).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.types import Policy

from .environment import ExpertAction, ExpertObs

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)


class ED2RBState(NamedTuple):
    counts: jax.Array  # int32[K]  n_i
    rewards: jax.Array  # [K]      u_i, summed rewards
    potentials: jax.Array  # [K]   phi_i


def confidence_width(counts, num_experts: int, c: float, delta: float, dtype):
    """conf_j = c sqrt(ln(K ln max(n_j, 3) / delta) / n_j)."""
    n = jnp.maximum(counts, 1).astype(dtype)
    return c * jnp.sqrt(jnp.log(num_experts * jnp.log(jnp.maximum(n, 3.0)) / delta) / n)


def ed2rb(budget: int | None = None, c: float = 0.1, delta: float = 0.05, d_min: float = 1.0) -> Policy:
    """ED2RB with one expert trained and advising per round.

    Args:
      budget: ignored (ED2RB trains one expert per round whatever M; the argument keeps
        the ``factory(budget, **hyperparameters)`` signature of the other meta-algorithms).
      c: confidence scale (tune over ``C_GRID``).
      delta: confidence level.
      d_min: the smallest regret coefficient (also the initial potential).

    Returns:
      A ``Policy`` whose action is an ``ExpertAction`` (|S_t| = 1, I_t = i_t).
    """

    def init(known):
        K = known.bound.scale.shape[0]
        dtype = jnp.zeros(()).dtype
        return ED2RBState(counts=jnp.zeros(K, jnp.int32), rewards=jnp.zeros(K, dtype),
                          potentials=jnp.full(K, d_min, dtype))

    def select(state, noise, t, known) -> ExpertAction:
        i = jnp.argmin(state.potentials).astype(jnp.int32)
        return ExpertAction(train=jnp.arange(state.counts.shape[0]) == i, advisor=i)

    def update(state, action: ExpertAction, obs: ExpertObs, known):
        K = state.counts.shape[0]
        dtype = state.rewards.dtype
        i = action.advisor
        counts = state.counts.at[i].add(1)
        rewards = state.rewards.at[i].add(1.0 - obs.suffered)
        conf = confidence_width(counts, K, c, delta, dtype)
        mean = rewards / jnp.maximum(counts, 1).astype(dtype)
        best_lower = jnp.max(jnp.where(counts > 0, mean - conf, -jnp.inf))
        root = jnp.sqrt(counts[i].astype(dtype))
        d_hat = jnp.maximum(d_min, root * (best_lower - (mean[i] + conf[i])))
        phi_i = jnp.clip(d_hat * root, state.potentials[i], 2.0 * state.potentials[i])
        return ED2RBState(counts=counts, rewards=rewards, potentials=state.potentials.at[i].set(phi_i))

    return Policy(init=init, select=select, update=update)
