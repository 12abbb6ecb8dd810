"""The Lagrange multiplier of Theorem 1 for a fixed allocation, and the Slater slack (spec section 4).

Notation: violations v(omega) = A_tilde omega - b = A_hat omega - (b + c_t) (the shift c_t
of F_hat moved into A_tilde = A_hat - c_t 1 1^T, so A_tilde omega = A_hat omega - c_t on the
simplex); the multiplier set is L_t = {l >= 0, ||l||_1 <= B_t}.

    l*(omega)  = argmin_{l in L_t} -l^T v(omega) = B_t e_{argmax_i v_i}  if max_i v_i > 0,  else 0
    penalty    = -l*^T v(omega) = -B_t max(0, max_i v_i(omega))          (the exact penalty)
    gamma_t    = max_{pi in Delta_K} min_i (b + c_t - A_hat pi)_i,  clipped below at 1e-6 (Slater slack)
    B_t        = D(omega) / gamma_t                                       (Lemma 5: ||l*||_1 <= (f(x_bar) - q*)/gamma)
"""
from __future__ import annotations

from functools import lru_cache

import itertools

import jax.numpy as jnp
import numpy as np

from .polytope import generic_lp

SLACK_FLOOR = 1e-6


def violations(A_hat, b_shifted, omega):
    """v(omega) = A_hat omega - (b + c_t) [d]."""
    return A_hat @ omega - b_shifted


def multiplier(A_hat, b_shifted, omega, bound):
    """l* = bound * e_{argmax v} if max v > 0 else 0 (ties to the lowest constraint index)."""
    v = violations(A_hat, b_shifted, omega)
    i = jnp.argmax(v)
    return jnp.where(v[i] > 0, bound, 0.0) * (jnp.arange(v.shape[0]) == i).astype(omega.dtype)


def penalty(A_hat, b_shifted, omega, bound):
    """-l*^T v(omega) = -bound * max(0, max_i v_i(omega))."""
    return -bound * jnp.maximum(jnp.max(violations(A_hat, b_shifted, omega)), 0.0)


@lru_cache(maxsize=None)
def _slack_subsets(K: int, d: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(K + d), K)), dtype=np.int32).reshape(-1, K)


def slater_slack(A_hat, b_shifted, floor: float = SLACK_FLOOR):
    """gamma = max_{pi in Delta} min_i (b + c - A_hat pi)_i, clipped below at ``floor``.

    The LP max gamma s.t. A_hat pi + gamma 1 <= b + c, -pi <= 0, 1^T pi = 1 over y = (pi, gamma),
    solved by vertex enumeration (K of the K + d inequality rows active plus the equality).
    """
    d, K = A_hat.shape
    dt = A_hat.dtype
    G = jnp.concatenate([
        jnp.concatenate([-jnp.eye(K, dtype=dt), jnp.zeros((K, 1), dt)], axis=1),
        jnp.concatenate([A_hat, jnp.ones((d, 1), dt)], axis=1),
    ], axis=0)
    h = jnp.concatenate([jnp.zeros(K, dt), b_shifted.astype(dt)])
    E = jnp.concatenate([jnp.ones((1, K), dt), jnp.zeros((1, 1), dt)], axis=1)
    cost = jnp.zeros(K + 1, dt).at[K].set(1.0)
    _, value, _ = generic_lp(cost, G, h, E, jnp.ones(1, dt), jnp.asarray(_slack_subsets(K, d)))
    return jnp.maximum(value, floor)


def multiplier_bound(d_value, gamma):
    """B_t = D(omega) / gamma_t."""
    return d_value / gamma
