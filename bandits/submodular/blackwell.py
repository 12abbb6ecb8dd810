"""The per-element Blackwell game of online double greedy for USM (spec §4, paper Section 4 / F.2).

Notation: for element i at round t the learner picks p ∈ [0, 1] (p⁺ = p: add i to X; p⁻ = 1 - p:
remove i from Y); the adversary's move is the pair of marginal gains Δ = (Δ⁺, Δ⁻),
Δ⁺ = f(X + i) - f(X), Δ⁻ = f(Y - i) - f(Y), which lies in 𝒟 = {Δ ∈ [-1, 1]² : Δ⁺ + Δ⁻ >= 0}
(submodularity). The vector payoff and target set are

    u(p, Δ) = (p⁻Δ⁺, p⁺Δ⁻) - ½ (p⁺Δ⁺ + p⁻Δ⁻) (1, 1),        S = R²_{<=0}.

Halfspace oracle (F.2): for a direction a ∈ R²_{>=0} find p with max_{Δ∈𝒟} aᵀu(p, Δ) <= 0.
aᵀu(p, Δ) = α Δ⁺ + β Δ⁻ with α = a₁p⁻ - ½(a₁+a₂)p⁺, β = a₂p⁺ - ½(a₁+a₂)p⁻, and the vertices of 𝒟
are (1, 1), (1, -1), (-1, 1), so max_𝒟 = max(α + β, |α - β|) <= 0 iff α = β <= 0. α = β gives

    p = (3a₁ + a₂) / (4(a₁ + a₂))                  (the suite's closed form, *reconstructed*)

and then α = β = -(a₁ - a₂)² / (8(a₁ + a₂)) <= 0, so max_𝒟 aᵀu = max(2α, 0) = 0: the oracle is
valid (with equality, at Δ = ±(1, -1)), and it is the unique valid p when a ≠ 0 (any other p
has |α - β| > 0; a = 0: every p is valid, we return ½). tests/test_submodular_blackwell.py
checks it against the LP of F.2 solved by SciPy.

Reduction to OLO (Abernethy, Bartlett, Hazan 2011; spec §4): a learner over the quarter disc
X = B₂(1) ∩ R²_{>=0} plays a_t, the oracle maps a_t to p_t, and the learner is charged the cost
c_t = -u(p_t, Δ_t) (it maximises ⟨a, Σ u_t⟩ = distance of the average payoff to S). Entropic ODA
with x₁ = (1, 1)/√2 and D = 2 (Claim 4.9). Note |u| <= 3/2 (e.g. p = 0, Δ = (1, -1)), so
``payoff_cost`` rescales by 2/3 to keep the cost in [-1, 1] as Corollary B.3 assumes (the rescale
does not change the oracle, which is invariant to positive scaling of a).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .oda import ODA, ODAState, oda
from .projections import project_quarter_disc_2d

COST_SCALE = 2.0 / 3.0  # |u(p, Δ)|_∞ <= 3/2 on [0, 1] x 𝒟


def payoff(p, dplus, dminus):
    """u(p, Δ) = (p⁻Δ⁺, p⁺Δ⁻) - ½(p⁺Δ⁺ + p⁻Δ⁻)(1, 1), as float[..., 2]."""
    pm = 1.0 - p
    mean = 0.5 * (p * dplus + pm * dminus)
    return jnp.stack([pm * dplus - mean, p * dminus - mean], axis=-1)


def halfspace_oracle(a):
    """p = (3a₁ + a₂) / (4(a₁ + a₂)) for a ∈ R²_{>=0} (½ when a = 0); satisfies max_𝒟 aᵀu(p, Δ) <= 0."""
    a1, a2 = a[..., 0], a[..., 1]
    s = a1 + a2
    return jnp.where(s > 0, (3.0 * a1 + a2) / (4.0 * jnp.where(s > 0, s, 1.0)), 0.5)


def worst_case_value(a, p):
    """max_{Δ∈𝒟} aᵀu(p, Δ) = max(α + β, |α - β|) (maximum over the vertices of 𝒟)."""
    a1, a2 = a[..., 0], a[..., 1]
    s = a1 + a2
    alpha = a1 * (1.0 - p) - 0.5 * s * p
    beta = a2 * p - 0.5 * s * (1.0 - p)
    return jnp.maximum(alpha + beta, jnp.abs(alpha - beta))


def payoff_cost(p, dplus, dminus):
    """The OLO cost for the direction learner: c = -(2/3) u(p, Δ) ∈ [-1, 1]²."""
    return -COST_SCALE * payoff(p, dplus, dminus)


def direction_learner(step: str = "first_order", horizon=None, dtype=jnp.float32) -> ODA:
    """Entropic ODA over the quarter disc from x₁ = (1, 1)/√2 with D = 2 (Claim 4.9).

    Args:
        step: "first_order" or "fixed" (see ``oda.oda``).
        horizon: T, for step="fixed".
        dtype: state dtype.
    Returns:
        ODA over X = B₂(1) ∩ R²_{>=0}; ``halfspace_oracle(state.x)`` is the probability to play.
    """
    x1 = jnp.full(2, 1.0 / math.sqrt(2.0), dtype)
    return oda(project_quarter_disc_2d, x1, 2.0, step=step, horizon=horizon)


class BalanceState(NamedTuple):
    """One Blackwell balance learner per element, stacked: every leaf has a leading axis n."""

    oda: ODAState  # x: [n, 2], cum_cost: [n, 2], first_order: [n], t: [n]


def balance_init(learner: ODA, n: int) -> BalanceState:
    return BalanceState(oda=jax.vmap(lambda _: learner.init())(jnp.arange(n)))


def balance_probs(state: BalanceState):
    """p_{t,i} = halfspace_oracle(a_{t,i}) for every element: float[n]."""
    return halfspace_oracle(state.oda.x)


def balance_update(learner: ODA, state: BalanceState, probs, dplus, dminus) -> BalanceState:
    """Feed every element's learner its cost -(2/3) u(p_i, Δ_i)."""
    costs = payoff_cost(probs, dplus, dminus)  # [n, 2]
    return BalanceState(oda=jax.vmap(learner.update)(state.oda, costs))
