"""PTnS (Appendix I baseline): the unconstrained best-arm-identification allocation (Garivier &
Kaufmann 2016) projected onto {A_hat omega <= b} cap Delta_K, tracked, with the shared stopping rule.

    a* = argmax mu_hat,  omega_BAI = argmax_{omega in Delta} min_{a != a*} G_{e_a}(omega)   (pi = e_{a*})
    omega = argmin_{w in Delta, A_hat w <= b} ||w - omega_BAI||^2                        (barrier method)

If {A_hat w <= b} cap Delta has no interior point (its vertices' centre violates it strictly),
omega_BAI is played unprojected.
"""
from __future__ import annotations

import jax.numpy as jnp

from bandits.core.types import Policy

from . import polytope
from .characteristic_time import maxmin_problem, maxmin_allocation
from .lats import GROWTH, MID_TOL, NEWTON_STEPS, STAGES
from .machinery import Config, Context, Rule, explorer
from .solvers import Structured, structured_barrier


def bai_allocation(mu_hat, sigma2, stages: int = STAGES, newton_steps: int = NEWTON_STEPS, active=True):
    K = mu_hat.shape[0]
    best = jnp.argmax(mu_hat)
    eye = jnp.eye(K, dtype=mu_hat.dtype)
    prob = maxmin_problem(mu_hat, sigma2, eye[best], eye, jnp.arange(K) != best)
    omega, _ = maxmin_allocation(prob, jnp.full(K, 1.0 / K, mu_hat.dtype), stages, newton_steps, growth=GROWTH,
                                 mid_tol=MID_TOL, active=active)
    return omega


def project_polytope(y, A, b, stages: int = STAGES, newton_steps: int = NEWTON_STEPS, active=True):
    """Euclidean projection of y onto {w in Delta : A w <= b} (y itself if that set has no interior):
    max -||w - y||^2 s.t. w > 0, b - A w > 0, 1^T w = 1 by the barrier method of ``solvers.structured_barrier``."""
    K, d = y.shape[0], b.shape[0]
    dt = y.dtype
    verts = polytope.vertices(A, b, 0.0)
    n = verts.feasible.sum()
    centre = jnp.where(verts.feasible[:, None], verts.points, 0.0).sum(0) / jnp.maximum(n, 1)
    interior = (n > 0) & jnp.all(A @ centre < b) & jnp.all(centre > 0)
    start = jnp.where(interior, centre, jnp.full(K, 1.0 / K, dt))
    prob = Structured(c=jnp.zeros(K, dt), quad=jnp.ones(K, dt), y=y, lower=jnp.ones(K, bool), L=-A, l0=b,
                      gap2=jnp.zeros(0, dt), coef=jnp.zeros((0, K), dt),
                      mask=jnp.zeros(0, bool), E=jnp.ones((1, K), dt), e=jnp.ones(1, dt))
    res = structured_barrier(prob, start, (K + d) / jnp.maximum(jnp.sum((start - y) ** 2), 1e-12), stages=stages,
                             newton_steps=newton_steps, growth=GROWTH, mid_tol=MID_TOL, active=active)
    return jnp.where(interior & jnp.isfinite(res.x).all(), res.x, y)


def ptns_rule(stages: int = STAGES, newton_steps: int = NEWTON_STEPS) -> Rule:
    def init(K, d, dtype):
        return jnp.zeros((), dtype)

    def step(state, ctx: Context):
        y = bai_allocation(ctx.mu_hat, ctx.sigma2, stages, newton_steps, active=ctx.active)
        w = jnp.maximum(project_polytope(y, ctx.A_hat, ctx.b_shift - ctx.shift, stages, newton_steps, ctx.active),
                        0.0)
        return w / w.sum(), state

    return Rule(init=init, step=step)


def ptns(cfg: Config = Config(), stages: int = STAGES, newton_steps: int = NEWTON_STEPS) -> Policy:
    return explorer(ptns_rule(stages, newton_steps), cfg)
