"""LATS -- LAgrangian Track and Stop (Algorithm 1; spec section 6).

play each arm once
loop (end of round n, shared loop in ``machinery``):
    pi_n = argmax_{F_hat_n} mu_hat^T pi                               # vertex enumeration
    omega_n = argmax_{omega in D} min_u G_u(omega) - B_{n-1} max(0, max_i (A~ omega - b)_i)
              (D = Delta_K, or F_hat_n with ``restricted``; the exact-penalty Lagrangian with the
               multiplier bound of the previous round, Algorithm 1 lines 6-7)
    l_n for omega_n:  B_n = D(omega_n) / gamma_n                      # Theorem 1, spec section 4
    C-track omega_n; stop when Z_n > beta(n, delta)

The inner max-min is solved by the fixed-iteration barrier method (``characteristic_time.
maxmin_allocation``) from a point strictly inside D built from omega_{n-1} (warm start).
``multiplier=False`` drops the penalty (CTnS-WLag with unknown A -- then ``restricted`` is the
'maximised over F_hat_t directly' variant; CTnS with ``known_constraints``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.types import Policy

from . import gaussian, lagrange
from .characteristic_time import maxmin_problem, maxmin_allocation
from .machinery import Config, Context, Rule, explorer


class LATSState(NamedTuple):
    omega: jax.Array  # [K] previous allocation (warm start)
    bound: jax.Array  # scalar B of the previous multiplier


def lats_rule(multiplier: bool = True, restricted: bool = False, stages: int = 8, newton_steps: int = 10) -> Rule:
    def init(K, d, dtype):
        return LATSState(omega=jnp.full(K, 1.0 / K, dtype), bound=jnp.zeros((), dtype))

    def step(state: LATSState, ctx: Context):
        K = ctx.mu_hat.shape[0]
        uniform = jnp.full(K, 1.0 / K, ctx.mu_hat.dtype)
        if restricted:
            feas = ctx.verts.feasible
            centre = jnp.where(feas[:, None], ctx.verts.points, 0.0).sum(0) / jnp.maximum(feas.sum(), 1)
            start = 0.5 * state.omega + 0.5 * centre  # inside F_hat_n if omega_{n-1} is in it (else centre)
            inside = jnp.all(ctx.A_hat @ start < ctx.b_shift) & jnp.all(start > 0)
            start = jnp.where(inside, start, centre)
            dom = dict(dom_A=ctx.A_hat, dom_b=ctx.b_shift)
        else:
            start = 0.5 * state.omega + 0.5 * uniform
            dom = {}
        pen = dict(pen_A=ctx.A_hat, pen_b=ctx.b_shift, bound=state.bound) if multiplier else {}
        prob = maxmin_problem(ctx.mu_hat, ctx.sigma2, ctx.pi, ctx.verts.points, ctx.alt, ctx.r, **dom, **pen)
        omega, _ = maxmin_allocation(prob, start, stages, newton_steps)
        omega = jnp.where(jnp.isfinite(omega).all() & ctx.alt.any(), omega, start)
        omega = jnp.maximum(omega, 0.0)
        omega = omega / omega.sum()
        d_val = gaussian.min_g(ctx.mu_hat, ctx.sigma2, ctx.pi, ctx.verts.points, ctx.alt, omega, ctx.r)
        gamma = lagrange.slater_slack(ctx.A_hat, ctx.b_shift)
        bound = jnp.where(jnp.isfinite(d_val), lagrange.multiplier_bound(d_val, gamma), 0.0)
        return omega, LATSState(omega=omega, bound=bound)

    return Rule(init=init, step=step)


def lats(cfg: Config = Config(), multiplier: bool = True, restricted: bool = False, stages: int = 8,
         newton_steps: int = 10) -> Policy:
    """The LATS policy (``multiplier=False``: CTnS-WLag; with ``cfg.known_constraints``: CTnS)."""
    return explorer(lats_rule(multiplier, restricted, stages, newton_steps), cfg)
