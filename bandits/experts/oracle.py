"""Oracle experts with a prescribed learning curve (spec section 2; rate checks of Table 2).

Expert i's raw advice at its k-th training session (1-based; state k - 1) has
expected loss

  m_i(k) = L*_i + A_i k^(alpha - 1)          (in [0, 1]: needs L*_i + A_i <= 1)

and realized loss 1{u_t < m}, with one common uniform u_t per round (z = u_t).
The safe advice after n sessions averages the n states used (prediction
averaging): expected loss (1/n) sum_{k<=n} m_i(k) (state 0 when n = 0).
Regret bound: sum_{k<=n} A k^(alpha-1) <= A n^alpha / alpha, so
R_i(n) = (A_i / alpha) n^alpha (deterministic, Assumption 2 holds exactly).
Benchmark: min_i L*_i.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp

from bandits.core import rng

from .confidence import RegretBound
from .family import ExpertFamily


class OracleState(NamedTuple):
    sessions: jax.Array  # int32[K]  N_i
    mean_sum: jax.Array  # [K]  sum of the expected losses of the states used at the past sessions


def oracle_experts(best_losses: Sequence[float], A: float | Sequence[float] = 0.0, alpha: float = 0.5) -> ExpertFamily:
    """Experts with expected loss L*_i + A_i k^(alpha-1) at session k.

    Args:
      best_losses: L*_i per expert (K entries).
      A: learning-curve amplitude (scalar or per expert); 0: non-learning experts.
      alpha: the rate exponent, in (0, 1].

    Returns:
      An ``ExpertFamily`` whose oracle is unused (pass ``None``).
    """
    dtype = jnp.zeros(()).dtype
    L = jnp.asarray(best_losses, dtype)
    K = L.shape[0]
    A = jnp.broadcast_to(jnp.asarray(A, dtype), (K,))
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if float(jnp.max(L + A)) > 1.0 or float(jnp.min(L)) < 0.0:
        raise ValueError("need 0 <= L*_i and L*_i + A_i <= 1")
    best = jnp.min(L)

    def curve(sessions):  # expected loss of the raw advice at the next session
        k = (sessions + 1).astype(dtype)
        return L + A * k ** (alpha - 1.0)

    def init():
        return OracleState(sessions=jnp.zeros(K, jnp.int32), mean_sum=jnp.zeros(K, dtype))

    def raw_loss(state, u):
        return (u < curve(state.sessions)).astype(dtype)

    def update(state, u):
        return OracleState(sessions=state.sessions + 1, mean_sum=state.mean_sum + curve(state.sessions))

    def safe_mean(state):
        n = state.sessions
        return jnp.where(n > 0, state.mean_sum / jnp.maximum(n, 1).astype(dtype), curve(n))

    def advice_loss(state, u):
        return (u < safe_mean(state)).astype(dtype)

    def advice_excess(state, u, oracle):
        return safe_mean(state) - best

    def benchmark_loss(u, oracle):
        return (u < best).astype(dtype)

    def sample(key, rounds, oracle):
        return rng.uniform(key, (rounds,))

    bound = RegretBound(scale=A / alpha, exponent=jnp.full(K, alpha, dtype), log_power=jnp.zeros(K, dtype))
    return ExpertFamily(init=init, raw_loss=raw_loss, update=update, advice_loss=advice_loss,
                        advice_excess=advice_excess, benchmark_loss=benchmark_loss, sample=sample, bound=bound,
                        names=tuple(f"oracle{i}" for i in range(K)))


def expected_safe_loss(state: OracleState, best_losses, A, alpha):
    """Oracle side (tests): the expected loss of each expert's safe advice."""
    dtype = state.mean_sum.dtype
    L = jnp.asarray(best_losses, dtype)
    A = jnp.broadcast_to(jnp.asarray(A, dtype), L.shape)
    n = state.sessions
    return jnp.where(n > 0, state.mean_sum / jnp.maximum(n, 1).astype(dtype), L + A)
