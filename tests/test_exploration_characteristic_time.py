"""T_F(mu) (Theorem 4) against closed forms (two arms), Garivier & Kaufmann's (2016) bisection
(unconstrained K arms) and an independent SciPy SLSQP max-min reference on every environment
of spec section 8, restricted and unrestricted."""
import itertools

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from bandits.exploration import characteristic_time  # the function (re-exported)
from bandits.exploration import environments as E


def gk16_time(mu, sigma=1.0):
    """Garivier & Kaufmann 2016, Theorem 5, Gaussian arms with common variance (numpy/SciPy)."""
    mu = np.asarray(mu, float)
    best = int(np.argmax(mu))
    others = [a for a in range(len(mu)) if a != best]
    c = np.array([(mu[best] - mu[a]) ** 2 / (2 * sigma**2) for a in others])  # g_a(x) = c_a x / (1 + x)
    x_of = lambda y: y / (c - y)  # inverse of g_a
    F = lambda y: np.sum(x_of(y) ** 2) - 1.0  # d(mu1, m_a) / d(mu_a, m_a) = x_a^2 for Gaussians
    y = brentq(F, 1e-14 * c.min(), c.min() * (1 - 1e-14), xtol=1e-15, rtol=1e-14, maxiter=500)
    x = x_of(y)
    w = np.zeros(len(mu))
    w[best] = 1.0 / (1.0 + x.sum())
    w[others] = x * w[best]
    return 1.0 / (w[best] * y), w


def enumerate_vertices(A, b):
    K = A.shape[1]
    G = np.vstack([-np.eye(K), A])
    h = np.concatenate([np.zeros(K), b])
    out = []
    for S in itertools.combinations(range(len(h)), K - 1):
        M = np.vstack([G[list(S)], np.ones((1, K))])
        if np.linalg.matrix_rank(M) < K:
            continue
        x = np.linalg.solve(M, np.concatenate([h[list(S)], [1.0]]))
        if np.all(G @ x <= h + 1e-9) and not any(np.allclose(x, y, atol=1e-9) for y in out):
            out.append(x)
    return np.array(out)


def slsqp_time(mu, A, b, sigma, restricted, r=0.0, starts=6, seed=0):
    """Independent reference in the convex epigraph form T_F = min_{w in D} max_u 2 q_u(w) / gap_u^2:
    minimise tau s.t. sum_a C_ua / w_a <= tau (C_ua = 2 sigma_a^2 v_ua^2 / gap_u^2), w in D, by SLSQP
    from several starts (the best feasible end point)."""
    mu, sigma = np.asarray(mu, float), np.broadcast_to(np.asarray(sigma, float), (len(mu),))
    V = enumerate_vertices(A, b)
    pi = V[np.argmax(V @ mu)]
    U = np.array([u for u in V if not np.allclose(u, pi, atol=1e-9)])
    D = pi[None, :] - U
    gap = D @ mu + r
    assert gap.min() > 0
    C = 2 * sigma[None, :] ** 2 * D**2 / gap[:, None] ** 2
    K = len(mu)
    rng = np.random.default_rng(seed)
    best = np.inf
    for s in range(starts):
        if restricted:
            w0 = V.mean(0) if s == 0 else rng.dirichlet(np.ones(len(V))) @ V
        else:
            w0 = np.full(K, 1.0 / K) if s == 0 else rng.dirichlet(np.ones(K))
        w0 = np.maximum(w0, 1e-3)
        w0 /= w0.sum()
        sc = (C @ (1 / w0)).max()
        cons = [{"type": "eq", "fun": lambda x: x[:K].sum() - 1.0, "jac": lambda x: np.r_[np.ones(K), 0.0]},
                {"type": "ineq", "fun": lambda x: (x[K] - C @ (1 / x[:K])) / sc,
                 "jac": lambda x: np.c_[C / x[:K] ** 2, np.ones(len(C))] / sc}]
        if restricted:
            cons.append({"type": "ineq", "fun": lambda x: b - A @ x[:K], "jac": lambda x: np.c_[-A, np.zeros(len(b))]})
        res = minimize(lambda x: x[K] / sc, np.r_[w0, 1.5 * sc], jac=lambda x: np.r_[np.zeros(K), 1 / sc],
                       constraints=cons, bounds=[(1e-9, 1.0)] * K + [(0, None)], method="SLSQP",
                       options={"ftol": 1e-15, "maxiter": 3000})
        w = np.maximum(res.x[:K], 1e-9)
        w /= w.sum()
        if restricted and np.any(A @ w > b + 1e-9):
            continue
        best = min(best, (C @ (1 / w)).max())
    return best


def check_allocation(T, w, mu, A, b, sigma, restricted, r=0.0):
    """Our omega is in D and its min_u G_u (recomputed in numpy) is 1 / T."""
    assert abs(w.sum() - 1) < 1e-9 and w.min() >= 0
    if restricted:
        assert np.all(A @ w <= b + 1e-9)
    V = enumerate_vertices(A, b)
    pi = V[np.argmax(V @ mu)]
    U = np.array([u for u in V if not np.allclose(u, pi, atol=1e-9)])
    D = pi[None, :] - U
    sig2 = np.broadcast_to(np.asarray(sigma, float) ** 2, (len(mu),))
    G = np.maximum(D @ mu + r, 0) ** 2 / (2 * ((sig2 * D**2) @ (1 / w)))
    assert np.isclose(1.0 / G.min(), T, rtol=1e-8)


@pytest.mark.parametrize("delta_gap,sigma", [(0.5, 1.0), (0.1, 1.0), (1.0, 2.0), (0.3, 0.5)])
def test_two_arms_closed_form(delta_gap, sigma):
    mu = np.array([1.0, 1.0 - delta_gap])
    for A, b in [(np.zeros((1, 2)), np.ones(1)), (np.array([[1.0, 1.0]]), np.array([2.0]))]:
        T, w = characteristic_time(mu, A, b, sigma=sigma)
        assert np.isclose(T, 8 * sigma**2 / delta_gap**2, rtol=1e-8)
        np.testing.assert_allclose(w, [0.5, 0.5], atol=1e-6)


def test_unconstrained_matches_gk16_bisection():
    rng = np.random.default_rng(0)
    for trial in range(8):
        K = [5, 7][trial % 2]  # the shapes of setups 2 and 1: compiles shared with the environment tests
        mu = rng.uniform(0, 1, size=K)
        sigma = [1.0, 0.7][(trial // 2) % 2]
        A, b = np.zeros((2, K)), np.ones(2)  # vacuous constraints: vertices = pure arms
        T, w = characteristic_time(mu, A, b, sigma=sigma)
        T_ref, w_ref = gk16_time(mu, sigma)
        assert np.isclose(T, T_ref, rtol=1e-7), (mu, T, T_ref)
        np.testing.assert_allclose(w, w_ref, atol=1e-5)
        # non-binding constraints give the same answer, restricted or not
        A2 = rng.uniform(0, 1, size=(2, K))
        T2, _ = characteristic_time(mu, A2, np.full(2, 2.0), sigma=sigma, restricted=True)
        assert np.isclose(T2, T_ref, rtol=1e-7)


def test_gk16_reference_itself():
    """The test's reference reproduces the two-arm closed form and T* >= sum of 2 sigma^2 / gaps^2."""
    T, w = gk16_time([1.0, 0.5])
    assert np.isclose(T, 32.0) and np.allclose(w, 0.5)
    mu = np.array([1.0, 0.8, 0.5, 0.4])
    T, _ = gk16_time(mu)
    H = sum(2 / (mu[0] - m) ** 2 for m in mu[1:]) + 2 / (mu[0] - mu[1]) ** 2
    assert H <= T <= 2 * H


@pytest.mark.parametrize("name", [n if n != "imdb" else pytest.param(n, marks=pytest.mark.slow) for n in E.ENVIRONMENTS])
def test_environments_match_slsqp(name):
    mu, sd, A, b, delta, sigma_known = E._spec(name)
    sigma = sd if sigma_known is None else sigma_known
    for restricted in (False, True):
        T, w = characteristic_time(mu, A, b, sigma=sigma, restricted=restricted)
        T_ref = slsqp_time(mu, A, b, sigma, restricted)
        assert abs(T - T_ref) <= 1e-3 * T_ref, (name, restricted, T, T_ref)
        check_allocation(T, w, mu, A, b, sigma, restricted)


def test_imdb_quick():
    """imdb (K = 12, d = 3, ~200 alternatives) against a single-start reference (the full one is slow)."""
    mu, sd, A, b, delta, sigma_known = E._spec("imdb")
    T, w = characteristic_time(mu, A, b, sigma=sigma_known, restricted=True)
    T_ref = slsqp_time(mu, A, b, sigma_known, True, starts=1)
    assert abs(T - T_ref) <= 1e-3 * T_ref
    check_allocation(T, w, mu, A, b, sigma_known, True)


def test_restriction_and_constraints_only_make_it_harder():
    mu, A, b = E.setup1(0.5)
    T_u, _ = characteristic_time(mu, A, b)
    T_r, _ = characteristic_time(mu, A, b, restricted=True)
    assert T_r >= T_u * (1 - 1e-9)
    # r > 0 (r-good answers) makes it easier
    T_eps, _ = characteristic_time(mu, A, b, r=0.05)
    assert T_eps < T_u


def test_r_good_matches_slsqp():
    mu, A, b = E.setup1(0.5)
    for r in (0.02, 0.1):
        T, w = characteristic_time(mu, A, b, r=r)
        assert abs(T - slsqp_time(mu, A, b, 1.0, False, r=r)) <= 1e-3 * T
        check_allocation(T, w, mu, A, b, 1.0, False, r=r)
