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

from bandits.core.selection import first_k
from bandits.core.types import Policy

from . import gaussian, lagrange, polytope
from .characteristic_time import maxmin_problem, maxmin_allocation
from .machinery import Config, Context, Rule, explorer


class LATSState(NamedTuple):
    omega: jax.Array  # [K] previous allocation (warm start)
    bound: jax.Array  # scalar B of the previous multiplier


# the allocation solver (``characteristic_time.maxmin_allocation``): at most STAGES barrier weights t0 GROWTH^k,
# at most NEWTON_STEPS Newton steps per stage, every stage centred to a Newton decrement lambda^2 / 2 <= MID_TOL
# only (the path is followed, not traced exactly), and the last stage the first whose gap bound m / t is below
# REL_GAP of the objective (the spec asks agreement with SLSQP to 1e-3). t0 = m / (objective scale at the start):
# a start whose scale is right stops after 4 stages; one whose penalty term inflates the scale runs on (to 6,
# a gap of 16^-5 of that scale). Setup 1 hard, 1000 seeds x 128 rounds: see the README (LATS / LAGEX benchmark).
STAGES = 6
NEWTON_STEPS = 10
GROWTH = 16.0
MID_TOL = 0.3
REL_GAP = 5e-4
NEAR_BASES = 8  # the bases of a (degenerate) pi whose pivots give the neighbours in the working set


def default_working(K: int) -> int:
    """Working-set size of the allocation solver, besides the neighbours of pi: K + 1 alternatives."""
    return K + 1


def _neighbour_rows(ctx: Context):
    """Candidate rows for pi's neighbours on F_hat: the pivots of the first NEAR_BASES bases of pi (a degenerate
    vertex has several; every edge leaves it by one pivot of one of them)."""
    K, d = ctx.A_hat.shape[1], ctx.A_hat.shape[0]
    M = ctx.alt.shape[0]
    piv = jnp.asarray(polytope.pivots(K, d))
    same = ctx.verts.feasible & ~polytope.alternatives(ctx.pi, ctx.verts)  # the rows that are pi
    bases = first_k(same, min(M, NEAR_BASES))
    bases = jnp.where(same[bases], bases, ctx.pi_index)  # (missing ones repeat pi's own: duplicates are dropped)
    return piv[bases].reshape(-1)


def lats_rule(multiplier: bool = True, restricted: bool = False, stages: int = STAGES,
              newton_steps: int = NEWTON_STEPS, working: int | None = -1, growth: float = GROWTH,
              mid_tol: float = MID_TOL, tol: float = MID_TOL, rel_gap: float | None = REL_GAP) -> Rule:
    """``working``: working-set size of ``maxmin_allocation`` (-1: ``default_working(K)``; None: all rows);
    ``mid_tol`` / ``tol``: the centring of the stages before the last / of the last; ``rel_gap``: the relative
    gap that ends the stages (None: all ``stages``)."""
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
        ws = default_working(K) if working == -1 else working
        near = None if ctx.pi_index is None else _neighbour_rows(ctx)
        omega, _ = maxmin_allocation(prob, start, stages, newton_steps, working=ws, ref=state.omega, growth=growth,
                                     mid_tol=mid_tol, tol=tol, rel_gap=rel_gap, active=ctx.active, near=near,
                                     near_count=2 * K, total=2 * K + 4)
        omega = jnp.where(jnp.isfinite(omega).all() & ctx.alt.any(), omega, start)
        omega = jnp.maximum(omega, 0.0)
        omega = omega / omega.sum()
        d_val = gaussian.min_g(ctx.mu_hat, ctx.sigma2, ctx.pi, ctx.verts.points, ctx.alt, omega, ctx.r)
        gamma = lagrange.slater_slack(ctx.A_hat, ctx.b_shift)
        bound = jnp.where(jnp.isfinite(d_val), lagrange.multiplier_bound(d_val, gamma), 0.0)
        return omega, LATSState(omega=omega, bound=bound)

    return Rule(init=init, step=step)


def lats(cfg: Config = Config(), multiplier: bool = True, restricted: bool = False, stages: int = STAGES,
         newton_steps: int = NEWTON_STEPS) -> Policy:
    """The LATS policy (``multiplier=False``: CTnS-WLag; with ``cfg.known_constraints``: CTnS)."""
    return explorer(lats_rule(multiplier, restricted, stages, newton_steps), cfg)
