"""Gaussian closed forms (Theorem 4 / Proposition 1 / Theorem 5), thresholds and the Lagrange
multiplier (spec sections 2, 4, 5) against direct numerical optimisation with SciPy."""
import math

import jax
import numpy as np
import pytest
from scipy.optimize import linprog, minimize

from bandits.exploration import gaussian, lagrange, thresholds


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def project(mu, omega, sigma2, v, r):
    """min_{lambda: lambda^T v <= -r} sum_a omega_a (mu_a - lambda_a)^2 / (2 sigma_a^2), numerically."""
    f = lambda lam: np.sum(omega * (mu - lam) ** 2 / (2 * sigma2))
    cons = [{"type": "ineq", "fun": lambda lam: -r - lam @ v}]
    res = minimize(f, mu - v, constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 500})
    return res.fun, res.x


def test_best_response_is_the_gaussian_projection():
    rng = np.random.default_rng(0)
    for trial in range(40):
        K, M = 4, 6
        mu = rng.normal(size=K)
        pi = rng.dirichlet(np.ones(K))
        U = rng.dirichlet(np.ones(K), size=M)
        U[0] = pi  # a copy of pi, masked out
        alt = np.ones(M, bool)
        alt[0] = False
        omega = rng.dirichlet(np.ones(K))
        sigma2 = rng.uniform(0.3, 2.0, size=K)
        r = [0.0, 0.05][trial % 2]
        G = np.asarray(gaussian.g_values(mu, sigma2, pi, U, omega, r))
        for i in range(1, M):
            v = pi - U[i]
            gap = v @ mu + r
            if gap <= 0:  # mu itself is already an alternative: distance 0
                assert G[i] == 0.0
                continue
            ref, _ = project(mu, omega, sigma2, v, r)
            assert np.isclose(G[i], ref, rtol=1e-6, atol=1e-12), (G[i], ref)
        lam, dval, idx = gaussian.best_response(mu, sigma2, pi, U, alt, omega, r)
        lam = np.asarray(lam)
        assert int(idx) == 1 + int(np.argmin(G[1:]))
        assert np.isclose(float(dval), G[1:].min())
        assert np.isclose(float(gaussian.min_g(mu, sigma2, pi, U, alt, omega, r)), G[1:].min())
        v = pi - U[int(idx)]
        if G[1:].min() > 0:
            assert np.isclose(lam @ v, -r, atol=1e-10)  # on the boundary of the alternative half-space
            assert np.isclose(np.sum(omega * (mu - lam) ** 2 / (2 * sigma2)), float(dval), rtol=1e-10)


def test_zero_weights_and_glr():
    mu = np.array([1.0, 0.5, 0.2])
    pi = np.array([1.0, 0.0, 0.0])
    U = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    alt = np.array([True, True])
    G = np.asarray(gaussian.g_values(mu, np.ones(3), pi, U, np.array([0.5, 0.5, 0.0])))
    assert G[1] == 0.0 and np.isclose(G[0], 0.25 / (2 * (2 / 0.5)))  # q = 1/.5 + 1/.5
    counts = np.array([10, 4, 3])
    z = float(gaussian.glr(mu, np.ones(3), pi, U, alt, counts))
    ref = min((mu[0] - mu[a]) ** 2 / (2 * (1 / counts[0] + 1 / counts[a])) for a in (1, 2))
    assert np.isclose(z, ref)  # the BAI GLR statistic


def test_confidence_radius_and_shift():
    counts = np.array([3, 0, 10, 5])
    f = float(gaussian.confidence_radius(counts, 0.05))
    assert np.isclose(f, 1 + math.sqrt(0.5 * math.log(4 / 0.05) + 0.25 * np.log1p(counts).sum()))
    fb = float(gaussian.confidence_radius(counts, 0.05, "bound"))
    assert fb >= f  # Lemma 3: the determinant bound dominates
    pi = np.array([0.5, 0.0, 0.5, 0.0])
    c = float(gaussian.shift(f, pi, counts))
    Sigma = np.eye(4) + np.diag(counts)
    assert np.isclose(c, f * math.sqrt(pi @ np.linalg.solve(Sigma, pi)))


def test_h_inverse_and_calibration():
    y = np.array([1.0, 1.2, 2.0, 5.0, 30.0, 1e3])
    u = np.asarray(thresholds.h_inverse(y))
    assert np.all(u >= 1) and np.allclose(u - np.log(u), y, rtol=1e-12)
    z = 1.5
    cut = 1 / math.log(z) - math.log(1 / math.log(z))
    lo, hi = float(thresholds.h_tilde(cut - 1e-9, z)), float(thresholds.h_tilde(cut + 1e-9, z))
    assert abs(lo - hi) < 1e-6  # continuous at the cut
    xs = np.array([5.0, 10.0, 50.0, 200.0])
    T = np.asarray(thresholds.calibration(xs))
    approx = xs + 4 * np.log(1 + xs + np.sqrt(2 * xs))  # Kaufmann & Koolen's approximation, x >= 5
    assert np.all(T > xs) and np.all(np.abs(T - approx) < 0.1 * approx) and np.all(np.diff(T) > 0)


def test_thresholds():
    delta = 0.01
    for t in (1, 2, 3, 100, 10**5):
        lnlnt = max(math.log(math.log(t)), 0.0) if t > 1 else 0.0
        assert np.isclose(float(thresholds.threshold("paper", t, delta)), math.log((1 + lnlnt) / delta))
        assert np.isclose(float(thresholds.threshold("gk16", t, delta)), math.log((1 + math.log(t)) / delta))
        assert np.isclose(float(thresholds.threshold("code", t, delta)), math.log(2 * (1 + math.log(t)) / delta))
    counts = np.array([50, 30, 20])
    th = float(thresholds.threshold("theory", 100, delta, counts, d=2))
    ref = sum(3 * math.log(1 + math.log(n)) for n in counts) + 3 * float(thresholds.calibration((2 + math.log(100)) / 3))
    assert np.isclose(th, ref)
    assert th > float(thresholds.threshold("code", 100, delta))
    with pytest.raises(ValueError):
        thresholds.threshold("nope", 10, delta)


def test_multiplier_is_the_minimiser():
    rng = np.random.default_rng(1)
    for _ in range(50):
        d, K = 3, 4
        A, bs, w = rng.normal(size=(d, K)), rng.normal(size=d), rng.dirichlet(np.ones(K))
        B = rng.uniform(0.1, 5)
        l = np.asarray(lagrange.multiplier(A, bs, w, B))
        v = A @ w - bs
        # min over {l >= 0, |l|_1 <= B} of -l^T v is a linear program
        ref = linprog(-v, A_ub=np.ones((1, d)), b_ub=[B], bounds=[(0, None)] * d, method="highs")
        assert np.isclose(-l @ v, ref.fun, atol=1e-10)
        assert np.isclose(float(lagrange.penalty(A, bs, w, B)), ref.fun, atol=1e-10)
        assert l.min() >= 0 and l.sum() <= B + 1e-12


def test_slater_slack_matches_linprog():
    rng = np.random.default_rng(2)
    slack = jax.jit(lagrange.slater_slack)
    for trial in range(60):
        d, K = [(2, 5), (3, 4)][trial % 2]
        A = rng.normal(size=(d, K)) if trial % 3 else (rng.uniform(size=(d, K)) < 0.5).astype(float)
        bs = rng.uniform(-0.3, 1.0, size=d)
        # max gamma s.t. A pi + gamma <= b, pi in simplex
        ref = linprog(np.r_[np.zeros(K), -1.0], A_ub=np.c_[A, np.ones(d)], b_ub=bs,
                      A_eq=np.r_[np.ones(K), 0.0][None, :], b_eq=[1.0], bounds=[(0, None)] * K + [(None, None)],
                      method="highs")
        assert np.isclose(float(slack(A, bs)), max(-ref.fun, lagrange.SLACK_FLOOR), atol=1e-9)
