"""The USM Blackwell game: the closed-form halfspace oracle against the LP of F.2 (SciPy), the
payoff, and approachability of R²_{<=0} by the ODA-driven balance learner."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import linprog

from bandits.submodular.blackwell import (
    balance_init,
    balance_probs,
    balance_update,
    direction_learner,
    halfspace_oracle,
    payoff,
    worst_case_value,
)

VERTICES = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0]])  # of 𝒟 = {Δ ∈ [-1,1]² : Δ⁺ + Δ⁻ >= 0}


def u_np(p, d):
    pm = 1 - p
    mean = 0.5 * (p * d[0] + pm * d[1])
    return np.array([pm * d[0] - mean, p * d[1] - mean])


def lp_inner_max(a, p):
    """max_{Δ∈𝒟} aᵀu(p, Δ) by LP (aᵀu is linear in Δ: coefficients g)."""
    g = np.array([a[0] * (1 - p) - 0.5 * (a[0] + a[1]) * p, a[1] * p - 0.5 * (a[0] + a[1]) * (1 - p)])
    res = linprog(-g, A_ub=[[-1.0, -1.0]], b_ub=[0.0], bounds=[(-1, 1), (-1, 1)], method="highs")
    assert res.status == 0
    return -res.fun


def lp_oracle(a):
    """Paper F.2: min_p max_Δ aᵀu(p, Δ) as one LP via the dual of the inner max.

    Variables (p, z0..z4) >= 0: inner max of gᵀΔ s.t. -Δ⁺ - Δ⁻ <= 0, Δ <= 1, -Δ <= 1 has dual
    min z1 + z2 + z3 + z4 s.t. -z0 + z1 - z3 = g⁺, -z0 + z2 - z4 = g⁻ (g affine in p).
    """
    s = a[0] + a[1]
    # g⁺ = a1 - (a1 + s/2) p,  g⁻ = -s/2 + (a2 + s/2) p
    c = [0, 0, 1, 1, 1, 1]
    A_eq = [[a[0] + s / 2, -1, 1, 0, -1, 0], [-(a[1] + s / 2), -1, 0, 1, 0, -1]]
    b_eq = [a[0], -s / 2]
    res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=[(0, 1)] + [(0, None)] * 5, method="highs")
    assert res.status == 0
    return res.x[0], res.fun


def test_payoff_matches_definition():
    rng = np.random.default_rng(0)
    for _ in range(100):
        p = rng.uniform()
        d = rng.uniform(-1, 1, size=2)
        np.testing.assert_allclose(np.asarray(payoff(p, d[0], d[1])), u_np(p, d), atol=1e-6)
    # |u| reaches 3/2: the reason the OLO cost is rescaled by 2/3
    assert np.isclose(np.abs(u_np(0.0, [1.0, -1.0])).max(), 1.5)


def test_closed_form_oracle_against_lp():
    rng = np.random.default_rng(1)
    with jax.enable_x64(True):
        cases = [rng.exponential(size=2) for _ in range(300)]
        cases += [np.array(c, float) for c in [[1, 0], [0, 1], [1, 1], [2, 2], [1e-9, 1], [5, 1e-12]]]
        for a in cases:
            p = float(halfspace_oracle(jnp.asarray(a)))
            assert 0 <= p <= 1
            v = lp_inner_max(a, p)
            assert v <= 1e-9, (a, p, v)  # the halfspace condition, by LP
            assert np.isclose(float(worst_case_value(jnp.asarray(a), p)), v, atol=1e-9)
            assert abs(v) <= 1e-9  # tight: Δ = (1, -1) and (-1, 1) give aᵀu = α - β = 0
            # the LP of F.2 has optimum <= 0 and the same p (unique for a != 0)
            p_lp, val = lp_oracle(a)
            assert val <= 1e-9 and abs(val - v) < 1e-7, (a, val, v)
            assert abs(p_lp - p) < 1e-6 or lp_inner_max(a, p_lp) <= 1e-9
        # a = 0: any p is fine, the oracle returns 1/2
        assert float(halfspace_oracle(jnp.zeros(2))) == 0.5


def test_other_probabilities_fail_the_halfspace_condition():
    """The condition is tight: p moved off the closed form violates it (so the LP test can fail)."""
    rng = np.random.default_rng(2)
    for _ in range(50):
        a = rng.exponential(size=2)
        p = float(halfspace_oracle(jnp.asarray(a)))
        for q in [p - 0.05, p + 0.05]:
            if 0 <= q <= 1:
                assert lp_inner_max(a, q) > 1e-6


@pytest.mark.parametrize("adversary", ["random", "adaptive"])
def test_balance_learner_approaches_the_negative_orthant(adversary):
    """Average payoff's positive part -> 0 like 1/sqrt(T), for Δ from 𝒟 (oblivious or adaptive)."""
    n, T = 8, 4000
    learner = direction_learner()
    rng = np.random.default_rng(3)
    base = rng.uniform(-1, 1, size=(T, n, 2))
    base[..., 1] = np.maximum(base[..., 1], -base[..., 0])  # Δ⁺ + Δ⁻ >= 0

    def step(state, d):
        p = balance_probs(state)
        if adversary == "adaptive":  # the worst vertex of 𝒟 against p's two-sided payoff
            scores = jax.vmap(lambda pi: jnp.stack([payoff(pi, v[0], v[1]).max() for v in VERTICES]))(p)
            d = jnp.asarray(VERTICES, p.dtype)[jnp.argmax(scores, axis=1)]
        u = payoff(p, d[:, 0], d[:, 1])
        return balance_update(learner, state, p, d[:, 0], d[:, 1]), u

    _, us = jax.jit(lambda b: jax.lax.scan(step, balance_init(learner, n), b))(jnp.asarray(base, jnp.float32))
    avg = np.asarray(us).mean(0)  # [n, 2]
    dist = np.linalg.norm(np.maximum(avg, 0), axis=1)
    assert np.all(dist < 4.0 / np.sqrt(T)), dist


def test_claim_4_9_diameter():
    """sup_{u ∈ B₂(1) ∩ R²_{>=0}} D_KL(u, (1,1)/√2) <= 2 (so D = 2 is valid)."""
    th = np.linspace(0, np.pi / 2, 401)
    r = np.linspace(0, 1, 401)
    u = np.stack([np.outer(r, np.cos(th)).ravel(), np.outer(r, np.sin(th)).ravel()], 1)
    x1 = 2**-0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.sum(np.where(u > 0, u * np.log(u / x1), 0.0) - u + x1, axis=1)
    assert kl.max() <= 2.0 and kl.max() > 1.0  # max ≈ √2 (at u = 0)
