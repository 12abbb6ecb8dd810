"""LAGEX -- LAgrangian Game EXplorer (Algorithm 2; spec section 6).

play each arm once
loop (end of round n, shared loop in ``machinery``):
    pi_n = argmax_{F_hat_n} mu_hat^T pi                        # vertex enumeration
    omega_n = allocation player's iterate                      # diagonal AdaGrad over Delta_K
    lambda_n = best response to omega_n (Proposition 1)        # closed form, alternatives u != pi_n
    l_n = B e_{argmax (A~ omega_n - b)} or 0,  B = D(omega_n) / gamma_n    # Theorem 1, spec section 4
    U_a = max{ g/N_a, (|mu_hat_a - lambda_a| + sigma_a sqrt(2 g / N_a))^2 / (2 sigma_a^2) },  g = ln n
    gain = U - A~^T l_n                                        # A~^T l = A_hat^T l - c_n (1^T l) 1
    AdaGrad: S += gain^2;  omega <- argmin_{w in Delta} ||w - (omega + eta gain / sqrt(S))||_{diag sqrt(S)}
    C-track omega_n; stop when Z_n > beta(n, delta)

``multiplier=False`` drops l (CGE-WLag with unknown A; CGE with ``known_constraints``).
The allocation domain is Delta_K (restricted exploration over F_hat_t is not implemented for
LAGEX: the weighted projection onto a polytope would need an inner QP solver).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.types import Policy

from . import gaussian, lagrange
from .machinery import Config, Context, Rule, explorer

BISECTION_STEPS = 60


class AdaGradState(NamedTuple):
    omega: jax.Array  # [K] current iterate
    sq: jax.Array  # [K] sum of squared gains


def weighted_simplex_projection(y, h):
    """argmin_{x in Delta} sum_a h_a (x_a - y_a)^2 (h > 0): x_a = max(0, y_a - theta / h_a).

    theta by bisection (sum_a max(0, y_a - theta/h_a) decreases in theta), then solved exactly on the
    identified support.
    """
    lo = jnp.min(h * (y - 1.0))  # sum >= 1 here
    hi = jnp.max(h * y)  # sum = 0 here

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        big = jnp.maximum(y - mid / h, 0.0).sum() >= 1.0
        return jnp.where(big, mid, lo), jnp.where(big, hi, mid)

    lo, hi = jax.lax.fori_loop(0, BISECTION_STEPS, body, (lo, hi))
    support = y - hi / h > 0
    support = jnp.where(support.any(), support, y - lo / h > 0)
    theta = (jnp.where(support, y, 0.0).sum() - 1.0) / jnp.where(support, 1.0 / h, 0.0).sum()
    return jnp.maximum(y - theta / h, 0.0)


def optimistic_gains(mu_hat, lam, sigma2, counts, n):
    """U_a = max{g/N_a, (|mu_hat_a - lambda_a| + sigma_a sqrt(2g/N_a))^2 / (2 sigma_a^2)}, g = ln n."""
    g = jnp.log(jnp.maximum(n, 1).astype(mu_hat.dtype))
    N = jnp.maximum(counts, 1).astype(mu_hat.dtype)
    width = jnp.sqrt(sigma2 * 2.0 * g / N)
    return jnp.maximum(g / N, (jnp.abs(mu_hat - lam) + width) ** 2 / (2.0 * sigma2))


def lagex_rule(multiplier: bool = True, eta: float = 1.0) -> Rule:
    def init(K, d, dtype):
        return AdaGradState(omega=jnp.full(K, 1.0 / K, dtype), sq=jnp.zeros(K, dtype))

    def step(state: AdaGradState, ctx: Context):
        omega = state.omega
        lam, d_val, _ = gaussian.best_response(ctx.mu_hat, ctx.sigma2, ctx.pi, ctx.verts.points, ctx.alt, omega, ctx.r)
        lam = jnp.where(ctx.alt.any(), lam, ctx.mu_hat)
        gain = optimistic_gains(ctx.mu_hat, lam, ctx.sigma2, ctx.counts, ctx.n)
        if multiplier:
            gamma = lagrange.slater_slack(ctx.A_hat, ctx.b_shift)
            bound = jnp.where(jnp.isfinite(d_val), lagrange.multiplier_bound(d_val, gamma), 0.0)
            l = lagrange.multiplier(ctx.A_hat, ctx.b_shift, omega, bound)
            gain = gain - (ctx.A_hat.T @ l - ctx.shift * l.sum())
        sq = state.sq + gain * gain
        h = jnp.sqrt(jnp.maximum(sq, jnp.finfo(sq.dtype).tiny))
        new = weighted_simplex_projection(omega + eta * gain / h, h)
        return omega, AdaGradState(omega=new, sq=sq)

    return Rule(init=init, step=step)


def lagex(cfg: Config = Config(), multiplier: bool = True, eta: float = 1.0) -> Policy:
    """The LAGEX policy (``multiplier=False``: CGE-WLag; with ``cfg.known_constraints``: CGE)."""
    return explorer(lagex_rule(multiplier, eta), cfg)
