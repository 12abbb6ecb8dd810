"""Entropic online dual averaging (paper Appendix B, Algorithm 4), lazy form, as pure functions.

Online linear optimisation over a closed convex X ⊆ R^n_{>=0}: each round the learner plays
x_t ∈ X, then a cost vector c_t ∈ [-1, 1]^n is revealed and it pays c_tᵀx_t.

    x̂_1 = ∇Φ(x_1)                                   Φ(x) = Σ x_i ln x_i
    for t = 1, 2, ...:
        play x_t; receive c_t
        ŷ_{t+1} = x̂_1 - η_{t+1} Σ_{s<=t} c_s           (lazy: the sum of all costs so far)
        y_{t+1} = ∇Φ*(ŷ_{t+1}) = x_1 ⊙ exp(-η_{t+1} Σ_{s<=t} c_s)
        x_{t+1} = Π^KL_X(y_{t+1})                     (``project``: logits ln y -> x)

Step sizes (spec §2):
- first order (Corollary B.3, eq. C.2):  η_t = sqrt(D / (D + Σ_{j<t} |c_j|ᵀ x_j)), η_1 = 1, giving
  Σ_t c_tᵀ(x_t - z) <= 3 sqrt(D Σ_t |c_t|ᵀ x_t) + D  for all z ∈ X, T >= 1, when
  D >= max{1, sup_{u∈X} D_KL(u, x_1)} and |c_t|ᵀx_t <= D (Proposition A.6 needs a_t <= u = D);
- fixed (ablation):  η_t = min(1, sqrt(D / T)) for a known horizon T (Corollary B.2 needs η <= 1).

The state keeps Σ_s c_s and Σ_s |c_s|ᵀx_s, so the learner is O(n) memory and every update is one
projection. All arithmetic follows the dtype of x_1.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp


class ODAState(NamedTuple):
    x: jax.Array  # [n]  current iterate x_t (the point to play)
    cum_cost: jax.Array  # [n]  Σ_{s<t} c_s
    first_order: jax.Array  # []   Σ_{s<t} |c_s|ᵀ x_s
    t: jax.Array  # int32[]  rounds observed so far (t - 1)


class ODA(NamedTuple):
    """init() -> state;  update(state, cost[n]) -> state (plays state.x);  eta(state) -> η for the next iterate."""

    init: Callable[[], ODAState]
    update: Callable[[ODAState, jax.Array], ODAState]
    eta: Callable[[ODAState], jax.Array]


def first_order_eta(D, first_order):
    """Corollary B.3 / eq. (C.2):  η_t = sqrt(D / (D + Σ_{j<t} |c_j|ᵀ x_j))."""
    return jnp.sqrt(D / (D + first_order))


def fixed_eta(D, horizon):
    """Fixed-step ablation:  η = min(1, sqrt(D / T))."""
    return min(1.0, math.sqrt(D / horizon))


def lazy_logits(x1_logits, eta, cum_cost):
    """ln y_{t+1} = ln x_1 - η_{t+1} Σ_{s<=t} c_s   (∇Φ*(x̂_1 - η Σ c), eq. B.1)."""
    return x1_logits - eta * cum_cost


def oda(
    project: Callable[[jax.Array], jax.Array],
    x1: jax.Array,
    D: float,
    step: str = "first_order",
    horizon: Optional[int] = None,
) -> ODA:
    """Entropic online dual averaging over X (lazy form).

    Args:
        project: KL projection onto X taking logits (``projections.project_*`` with the
            constraint bound in, e.g. ``lambda z: project_uniform(z, k)``).
        x1: float[n], the start point in X ∩ R^n_{>0} (e.g. Π^KL_X(1) or (k/n)·1 for B_k).
            Its dtype is the dtype of every state entry.
        D: the diameter term, D >= max{1, sup_{u∈X} D_KL(u, x_1)} (for B_k: max{1, k ln(n/k)};
            the spec's default adds a margin, D = max{1, k, k ln(n/k)}).
        step: "first_order" (Corollary B.3) or "fixed" (η = min(1, sqrt(D / horizon))).
        horizon: the number of rounds T, required for step="fixed".
    Returns:
        ODA(init, update, eta).
    """
    x1 = jnp.asarray(x1)
    dtype = x1.dtype
    x1_logits = jnp.log(x1)
    if step == "first_order":
        eta_of = lambda s: first_order_eta(jnp.asarray(D, dtype), s.first_order)  # noqa: E731
    elif step == "fixed":
        if horizon is None:
            raise ValueError("step='fixed' needs the horizon T")
        eta_fixed = fixed_eta(float(D), int(horizon))
        eta_of = lambda s: jnp.asarray(eta_fixed, dtype)  # noqa: E731
    else:
        raise ValueError(f"unknown step {step!r}: 'first_order' or 'fixed'")

    def init():
        return ODAState(
            x=x1,
            cum_cost=jnp.zeros_like(x1),
            first_order=jnp.zeros((), dtype),
            t=jnp.zeros((), jnp.int32),
        )

    def update(state: ODAState, cost) -> ODAState:
        cost = jnp.asarray(cost, dtype)
        cum = state.cum_cost + cost
        fo = state.first_order + jnp.abs(cost) @ state.x
        nxt = ODAState(x=state.x, cum_cost=cum, first_order=fo, t=state.t + 1)
        x = project(lazy_logits(x1_logits, eta_of(nxt), cum))
        return nxt._replace(x=x.astype(dtype))

    return ODA(init=init, update=update, eta=eta_of)


def simplex_project(logits):
    """KL projection onto the probability simplex (softmax); B_1 of the uniform matroid of rank 1."""
    return jax.nn.softmax(logits)
