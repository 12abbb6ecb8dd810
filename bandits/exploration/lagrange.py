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

from .polytope import FEAS_TOL, SING_TOL, _tol, small_solve

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
def _slack_groups(K: int, d: int):
    """The K-subsets of the K + d inequality rows of the Slater LP grouped by the number k >= 1 of
    constraint rows they hold: (rows R [M_k, k], free arms F [M_k, k]). A subset with k = 0 fixes every
    arm at 0 and contradicts 1^T pi = 1 (a singular system), so it is left out."""
    out = []
    for k in range(1, min(d, K) + 1):
        R, F = [], []
        for zero in itertools.combinations(range(K), K - k):
            free = [a for a in range(K) if a not in set(zero)]
            for rows in itertools.combinations(range(d), k):
                R.append(rows)
                F.append(free)
        out.append((np.array(R, np.int32).reshape(-1, k), np.array(F, np.int32).reshape(-1, k)))
    return tuple(out)


def slater_slack(A_hat, b_shifted, floor: float = SLACK_FLOOR):
    """gamma = max_{pi in Delta} min_i (b + c - A_hat pi)_i, clipped below at ``floor``.

    The LP max gamma s.t. A_hat pi + gamma 1 <= b + c, -pi <= 0, 1^T pi = 1 over y = (pi, gamma),
    solved by vertex enumeration: K of the K + d inequality rows active plus the equality. The active
    rows -e_a only zero arms, so a vertex with k active constraint rows R and free arms F (|F| = k)
    solves the (k+1)-system [[A_hat[R, F], 1], [1^T, 0]] (pi_F, gamma) = (b_R + c, 1); the singularity
    test is that of the full (K+1)-system (|det| / prod of its row norms, the unit rows have norm 1).
    """
    d, K = A_hat.shape
    dt = A_hat.dtype
    b_shifted = jnp.asarray(b_shifted, dt)
    tiny = jnp.finfo(dt).tiny
    row_lognorm = jnp.log(jnp.maximum(jnp.sqrt((A_hat * A_hat).sum(-1) + 1.0), tiny))  # rows [A_i, 1]
    eq_lognorm = jnp.log(jnp.maximum(jnp.sqrt(jnp.asarray(K, dt)), tiny))  # row [1^T, 0]
    tol = _tol(FEAS_TOL, dt)
    best = jnp.asarray(-jnp.inf, dt)
    for R, F in _slack_groups(K, d):
        Mk, k = R.shape
        top = jnp.concatenate([A_hat[R[:, :, None], F[:, None, :]], jnp.ones((Mk, k, 1), dt)], axis=2)
        bottom = jnp.concatenate([jnp.ones((Mk, 1, k), dt), jnp.zeros((Mk, 1, 1), dt)], axis=2)
        mat = jnp.concatenate([top, bottom], axis=1)  # [Mk, k+1, k+1]
        rhs = jnp.concatenate([b_shifted[R], jnp.ones((Mk, 1), dt)], axis=1)[..., None]
        y, logdet, nonzero = small_solve(mat, rhs)
        y = y[..., 0]
        pi_F, gamma = y[:, :k], y[:, k]
        regular = nonzero & (logdet - row_lognorm[R].sum(-1) - eq_lognorm > jnp.log(SING_TOL)) & \
            jnp.isfinite(y).all(-1)
        pi = jnp.einsum("mf,mfa->ma", pi_F, jnp.asarray(F[:, :, None] == np.arange(K)[None, None, :], dt))
        lhs = pi @ A_hat.T + gamma[:, None]
        ok = regular & (pi_F >= -tol).all(-1) & (lhs <= b_shifted + tol * (1.0 + jnp.abs(b_shifted))).all(-1)
        best = jnp.maximum(best, jnp.max(jnp.where(ok, gamma, -jnp.inf)))
    return jnp.maximum(best, floor)


def multiplier_bound(d_value, gamma):
    """B_t = D(omega) / gamma_t."""
    return d_value / gamma
