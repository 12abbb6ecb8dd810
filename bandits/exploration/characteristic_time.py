"""The characteristic time T_F(mu) of Theorem 4 (spec section 4) and the max-min allocation solver.

Notation: true means mu, noise sds sigma_a, true polytope F = {pi in Delta_K : A pi <= b},
pi* = argmax_{pi in F} mu^T pi (a vertex), alternatives u = the other feasible vertices,
v_u = pi* - u, and (spec section 4)

    G_u(omega)        = (mu^T v_u + r)_+^2 / (2 sum_a sigma_a^2 v_{u,a}^2 / omega_a)
    T_F(mu)^{-1}      = max_{omega in D} min_u G_u(omega),    D = Delta_K, or F ("restricted")

The lower bound is E[tau] >= T_F ln(1 / (2.4 delta)); the papers' plots draw T_F kl(delta, 1 - delta).

``maxmin_allocation`` solves the epigraph form  max s  s.t.  s < G_u(omega) for all u,
omega in D  with the fixed-iteration barrier method of ``solvers``; G_u is concave (a
weighted harmonic mean), so this is a convex program. The same routine serves the
LATS allocation with the exact-penalty term (``penalty_A``, ``penalty_b``, ``bound``):

    max_{omega in D}  min_u G_u(omega) - B max(0, max_i (A~ omega - b)_i)
      = max s - B z  s.t.  s < G_u(omega),  z > 0,  z > (A~ omega - b)_i.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import polytope
from .solvers import barrier_maximize

STAGES = 12
NEWTON_STEPS = 30


class MaxMinProblem(NamedTuple):
    """Data of max_{omega in D} min_u G_u(omega) [- B max(0, max_i (P omega - p)_i)]."""

    gap2: jax.Array  # [M]     (gap_u)_+^2 (rows with alt False are ignored)
    coef: jax.Array  # [M, K]  sigma_a^2 v_{u,a}^2
    alt: jax.Array  # bool[M] which rows are alternatives
    dom_A: jax.Array  # [m, K]  D = {omega in Delta : dom_A omega <= dom_b} (m may be 0)
    dom_b: jax.Array  # [m]
    pen_A: jax.Array  # [d, K]  penalty rows (d may be 0)
    pen_b: jax.Array  # [d]
    bound: jax.Array  # scalar B >= 0 (ignored if d = 0)


def maxmin_problem(mu, sigma2, pi, U, alt, r=0.0, dom_A=None, dom_b=None, pen_A=None, pen_b=None, bound=0.0):
    K = mu.shape[0]
    dt = mu.dtype
    V = pi[None, :] - U
    gap = jnp.maximum(V @ mu + r, 0.0)
    empty = (jnp.zeros((0, K), dt), jnp.zeros((0,), dt))
    dom_A, dom_b = empty if dom_A is None else (jnp.asarray(dom_A, dt), jnp.asarray(dom_b, dt))
    pen_A, pen_b = empty if pen_A is None else (jnp.asarray(pen_A, dt), jnp.asarray(pen_b, dt))
    # rows that are not alternatives get harmless data (their G must not poison gradients with 0/0)
    coef = jnp.where(alt[:, None], sigma2[None, :] * V * V, 1.0)
    gap2 = jnp.where(alt, gap * gap, 1.0)
    return MaxMinProblem(gap2=gap2, coef=coef, alt=alt, dom_A=dom_A, dom_b=dom_b,
                         pen_A=pen_A, pen_b=pen_b, bound=jnp.asarray(bound, dt))


def g_of(prob: MaxMinProblem, omega):
    """G_u(omega) for every row (smooth for omega > 0)."""
    return prob.gap2 / (2.0 * (prob.coef @ (1.0 / omega)))


def objective(prob: MaxMinProblem, omega):
    """min_u G_u(omega) - B max(0, max_i (P omega - p)_i)."""
    d_val = jnp.min(jnp.where(prob.alt, g_of(prob, omega), jnp.inf))
    if prob.pen_A.shape[0] == 0:
        return d_val
    viol = jnp.maximum(jnp.max(prob.pen_A @ omega - prob.pen_b), 0.0)
    return d_val - prob.bound * viol


def maxmin_allocation(prob: MaxMinProblem, omega0, stages: int = STAGES, newton_steps: int = NEWTON_STEPS):
    """argmax_{omega in D} objective(prob, omega) from omega0 strictly inside D (omega0 > 0).

    Returns (omega, value). Variables x = (omega, s[, z]).
    """
    K = omega0.shape[0]
    dt = omega0.dtype
    has_pen = prob.pen_A.shape[0] > 0
    g0 = jnp.where(prob.alt, g_of(prob, omega0), jnp.inf)
    d0 = jnp.min(g0)
    d0 = jnp.where(jnp.isfinite(d0), d0, 1.0)
    s0 = jnp.where(d0 > 0, 0.5 * d0, -1e-6)
    x0 = jnp.concatenate([omega0, s0[None]])
    if has_pen:
        v0 = jnp.maximum(jnp.max(prob.pen_A @ omega0 - prob.pen_b), 0.0)
        x0 = jnp.concatenate([x0, (1.1 * v0 + 1e-3)[None]])
    n = x0.shape[0]
    E = jnp.zeros((1, n), dt).at[0, :K].set(1.0)
    e = jnp.ones(1, dt)

    def f0(x):
        val = x[K]
        return val - prob.bound * x[K + 1] if has_pen else val

    def slacks(x):
        w, s = x[:K], x[K]
        parts = [w, jnp.where(prob.alt, g_of(prob, jnp.maximum(w, 1e-300)) - s, 1.0), prob.dom_b - prob.dom_A @ w]
        if has_pen:
            z = x[K + 1]
            parts += [z[None], z - (prob.pen_A @ w - prob.pen_b)]
        return jnp.concatenate(parts)

    # the scale of the objective sets the first barrier weight
    scale = jnp.maximum(jnp.maximum(jnp.abs(d0), jnp.abs(f0(x0))), 1e-12)
    m = slacks(x0).shape[0]
    res = barrier_maximize(f0, slacks, x0, E, e, stages=stages, newton_steps=newton_steps, t0=m / scale)
    omega = res.x[:K]
    return omega, objective(prob, omega)


class CharacteristicTime(NamedTuple):
    T: float  # T_F(mu) (inf if pi* is not unique / no alternative gap)
    omega: np.ndarray  # [K] optimal allocation
    pi_star: np.ndarray  # [K] optimal feasible policy


@jax.jit
def _solve(mu, sigma2, A, b, r, restricted):
    verts = polytope.vertices(A, b, 0.0)
    lp = polytope.lp_argmax(mu, verts)
    alt = polytope.alternatives(lp.policy, verts)
    K = mu.shape[0]
    n_feas = verts.feasible.sum()
    centre = jnp.where(verts.feasible[:, None], verts.points, 0.0).sum(0) / jnp.maximum(n_feas, 1)
    uniform = jnp.full(K, 1.0 / K, mu.dtype)
    omega0 = jnp.where(restricted, centre, uniform)
    # the unrestricted problem gets a vacuous domain row (same shapes for both modes)
    dom_b = jnp.where(restricted, b, jnp.full_like(b, 1e6) + jnp.abs(A).sum(1))
    prob = maxmin_problem(mu, sigma2, lp.policy, verts.points, alt, r, dom_A=A, dom_b=dom_b)
    omega, value = maxmin_allocation(prob, omega0)
    return omega, value, lp.policy, alt.any()


def characteristic_time(mu, A, b, sigma=1.0, restricted: bool = False, r: float = 0.0):
    """(T_F(mu), omega*) for Gaussian arms with sds ``sigma`` (scalar or [K]) and F = {A pi <= b}.

    Runs in float64 (a local ``jax.enable_x64`` context); returns a Python float and a numpy array.
    ``restricted``: omega ranges over F instead of Delta_K (its centre must lie strictly inside F).
    """
    res = characteristic_time_full(mu, A, b, sigma, restricted, r)
    return res.T, res.omega


def characteristic_time_full(mu, A, b, sigma=1.0, restricted: bool = False, r: float = 0.0) -> CharacteristicTime:
    with jax.enable_x64(True):
        mu = jnp.asarray(mu, jnp.float64)
        K = mu.shape[0]
        A = jnp.asarray(A, jnp.float64).reshape(-1, K)
        b = jnp.asarray(b, jnp.float64).reshape(-1)
        sigma2 = jnp.broadcast_to(jnp.asarray(sigma, jnp.float64) ** 2, (K,))
        omega, value, pi, has_alt = _solve(mu, sigma2, A, b, jnp.float64(r), jnp.bool_(restricted))
        value = float(value)
        T = float("inf") if (not bool(has_alt) or value <= 0) else 1.0 / value
        if not bool(has_alt):  # a single feasible vertex: nothing to test
            T = 0.0
        return CharacteristicTime(T=T, omega=np.asarray(omega), pi_star=np.asarray(pi))
