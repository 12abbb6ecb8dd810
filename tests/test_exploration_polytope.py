"""Vertex enumeration (spec section 3) against SciPy linprog and brute force, on random small
polytopes, many of them degenerate (duplicated rows, zero rows, constraints through simplex
vertices, integer data with ties)."""
import itertools

import jax
import numpy as np
import pytest
from scipy.optimize import linprog

from bandits.exploration import gaussian, polytope

SHAPES = [(2, 1), (3, 1), (4, 2), (5, 2), (6, 3)]


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@jax.jit
def _enumerate(mu, A, b, c):
    verts = polytope.vertices(A, b, c)
    return verts.points, verts.feasible, polytope.lp_argmax(mu, verts)


_min_g = jax.jit(gaussian.min_g)
_vertices_at = jax.jit(polytope.vertices_at)
_vertices = jax.jit(polytope.vertices)
_alternatives = jax.jit(polytope.alternatives)


def instances(count, seed):
    rng = np.random.default_rng(seed)
    for trial in range(count):
        K, d = SHAPES[trial % len(SHAPES)]
        kind = (trial // len(SHAPES)) % 5
        mu = rng.normal(size=K)
        if kind == 0:  # generic
            A = rng.normal(size=(d, K))
            b = rng.uniform(-0.5, 1.0, size=d)
        elif kind == 1:  # integer data: ties in mu, rows through simplex vertices
            A = rng.integers(-2, 3, size=(d, K)).astype(float)
            b = rng.integers(0, 3, size=d).astype(float)
            mu = rng.integers(0, 3, size=K).astype(float)
        elif kind == 2:  # duplicated / zero rows
            A = rng.normal(size=(d, K))
            A[-1] = A[0] if d > 1 else 0.0
            b = rng.uniform(0.0, 1.0, size=d)
            if d > 1:
                b[-1] = b[0]
        elif kind == 3:  # a constraint passing exactly through a vertex of the simplex
            A = rng.normal(size=(d, K))
            j = int(rng.integers(K))
            b = A[:, j].copy()
        else:  # 0/1 selection constraints like the paper's environments
            A = (rng.uniform(size=(d, K)) < 0.5).astype(float)
            b = rng.choice([0.3, 0.5, 1.0], size=d)
        c = float(rng.choice([0.0, 0.0, rng.uniform(0, 0.3)]))
        yield mu, A, b, c


def scipy_lp(mu, A, b, c):
    K = len(mu)
    return linprog(-mu, A_ub=A, b_ub=b + c, A_eq=np.ones((1, K)), b_eq=[1.0], bounds=[(0, None)] * K,
                   method="highs")


def brute_vertices(A, b, c):
    K = A.shape[1]
    G = np.vstack([-np.eye(K), A])
    h = np.concatenate([np.zeros(K), b + c])
    out = []
    for S in itertools.combinations(range(len(h)), K - 1):
        M = np.vstack([G[list(S)], np.ones((1, K))])
        if np.linalg.matrix_rank(M, tol=1e-9) < K:
            continue
        x = np.linalg.solve(M, np.concatenate([h[list(S)], [1.0]]))
        if np.all(G @ x <= h + 1e-9) and not any(np.allclose(x, y, atol=1e-8) for y in out):
            out.append(x)
    return out


def unique_rows(X, tol=1e-8):
    out = []
    for x in X:
        if not any(np.allclose(x, y, atol=tol) for y in out):
            out.append(x)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_lp_matches_linprog(seed):
    n_feasible = n_infeasible = 0
    for mu, A, b, c in instances(200, seed):
        pts, feas, sol = _enumerate(mu, A, b, c)
        ref = scipy_lp(mu, A, b, c)
        if ref.status == 2:  # infeasible
            assert not bool(sol.feasible) and not np.asarray(feas).any(), (mu, A, b, c)
            n_infeasible += 1
            continue
        assert ref.status == 0
        n_feasible += 1
        assert bool(sol.feasible)
        pi = np.asarray(sol.policy)
        assert np.isclose(float(sol.value), -ref.fun, atol=1e-8), (mu, A, b, c, pi, ref.x)
        assert np.isclose(pi @ mu, -ref.fun, atol=1e-8)
        assert abs(pi.sum() - 1) < 1e-9 and pi.min() > -1e-9 and np.all(A @ pi <= b + c + 1e-8)
    assert n_feasible > 150 and n_infeasible > 5  # both branches exercised


@pytest.mark.parametrize("seed", [2])
def test_vertex_set_matches_brute_force(seed):
    for mu, A, b, c in instances(150, seed):
        pts, feas, _ = _enumerate(mu, A, b, c)
        got = unique_rows(np.asarray(pts)[np.asarray(feas)])
        ref = brute_vertices(A, b, c)
        assert len(got) == len(ref), (A, b, c, got, ref)
        for x in ref:
            assert any(np.allclose(x, y, atol=1e-8) for y in got)


def test_shift_is_affine_in_c():
    rng = np.random.default_rng(5)
    for _ in range(20):
        K, d = 5, 2
        A, b = rng.normal(size=(d, K)), rng.uniform(0, 1, size=d)
        basis = jax.jit(polytope.vertex_basis)(A, b)
        for c in (0.0, 0.1, 0.7):
            shifted = _vertices_at(basis, c)
            direct = _vertices(A, b + c, 0.0)
            np.testing.assert_array_equal(np.asarray(shifted.feasible), np.asarray(direct.feasible))
            m = np.asarray(direct.feasible)
            np.testing.assert_allclose(np.asarray(shifted.points)[m], np.asarray(direct.points)[m], atol=1e-10)


def neighbours(pi, verts, G, h):
    """Vertices u adjacent to pi: the common active rows (and 1^T) have rank K - 1 (a 1-dim face)."""
    K = len(pi)
    act_pi = np.abs(G @ pi - h) < 1e-9
    out = []
    for u in verts:
        if np.allclose(u, pi, atol=1e-9):
            continue
        common = act_pi & (np.abs(G @ u - h) < 1e-9)
        M = np.vstack([G[common], np.ones((1, K))])
        if np.linalg.matrix_rank(M, tol=1e-9) == K - 1:
            out.append(u)
    return out


def test_min_over_all_vertices_equals_min_over_neighbours_for_r0():
    rng = np.random.default_rng(7)
    checked = strict = 0
    for mu, A, b, c in instances(200, 11):
        K = len(mu)
        verts = brute_vertices(A, b, c)
        if len(verts) < 3:
            continue
        vals = np.array([mu @ v for v in verts])
        order = np.sort(vals)
        if order[-1] - order[-2] < 1e-6:  # the optimum must be unique
            continue
        pi = verts[int(np.argmax(vals))]
        G = np.vstack([-np.eye(K), A])
        h = np.concatenate([np.zeros(K), b + c])
        nb = neighbours(pi, verts, G, h)
        others = [u for u in verts if not np.allclose(u, pi, atol=1e-9)]
        sigma2 = rng.uniform(0.5, 2.0, size=K)
        pts, feas, _ = _enumerate(mu, A, b, c)
        alt = _alternatives(pi, polytope.Vertices(pts, feas))
        for _ in range(5):
            omega = rng.dirichlet(np.ones(K))
            d_all = float(_min_g(mu, sigma2, pi, pts, alt, omega))
            G = lambda u: max((pi - u) @ mu, 0.0) ** 2 / (2 * np.sum(sigma2 * (pi - u) ** 2 / omega))
            d_nb = min(G(u) for u in nb)
            d_ref = min(G(u) for u in others)
            assert np.isclose(d_all, d_ref, rtol=1e-10)
            assert np.isclose(d_all, d_nb, rtol=1e-10), (mu, A, b, c)
            # with r > 0 the neighbour minimum can be strictly larger: not asserted, only counted
            checked += 1
        strict += len(nb) < len(others)
    assert checked > 100 and strict > 5  # non-neighbour vertices existed in many instances


def test_empty_polytope_is_flagged():
    A = np.array([[1.0, 1.0, 1.0]])
    b = np.array([0.5])  # sum pi = 1 > 0.5
    pts, feas, sol = _enumerate(np.ones(3), A, b, 0.0)
    assert not bool(sol.feasible) and not np.asarray(feas).any()
    pts, feas, sol = _enumerate(np.array([0.0, 1.0, 2.0]), A, b, 0.5)  # the shift restores it
    assert bool(sol.feasible) and np.allclose(np.asarray(sol.policy), [0, 0, 1])


def test_float32_inputs_still_find_the_optimum():
    """The module is meant for float64, but tolerances scale with the dtype: float32 runs stay sane."""
    n = 0
    with jax.enable_x64(False):
        enum32 = jax.jit(lambda mu, A, b, c: polytope.lp_argmax(mu, polytope.vertices(A, b, c)))
        for mu, A, b, c in instances(60, 9):
            ref = scipy_lp(mu, A, b, c)
            if ref.status != 0:
                continue
            sol = enum32(*(np.asarray(x, np.float32) for x in (mu, A, b)), np.float32(c))
            assert sol.policy.dtype == np.float32 and bool(sol.feasible)
            assert abs(float(sol.value) + ref.fun) < 1e-4 * (1 + abs(ref.fun))
            n += 1
    assert n > 30


_small_solve = jax.jit(polytope.small_solve)


def test_small_solve_matches_numpy_with_ties_and_singular_systems():
    """The unrolled elimination of the vertex solves against numpy.linalg.solve on random systems of sizes 1-5:
    integer entries (pivot ties between rows of equal modulus), duplicated rows and zero columns (singular:
    ``nonzero`` False), and log|det| against numpy's slogdet."""
    rng = np.random.default_rng(11)
    seen_singular = seen_tie = 0
    for trial in range(300):
        n = 1 + trial % 5
        kind = (trial // 5) % 4
        mat = rng.normal(size=(n, n)) if kind == 0 else rng.integers(-2, 3, size=(n, n)).astype(float)
        if kind == 2 and n > 1:
            mat[-1] = mat[0]
        if kind == 3:
            mat[:, int(rng.integers(n))] = 0.0
        rhs = rng.normal(size=(n, 2))
        x, logdet, nonzero = (np.asarray(a) for a in _small_solve(mat, rhs))
        sign, ref_logdet = np.linalg.slogdet(mat)
        if sign == 0:  # exactly singular: a zero pivot
            assert not nonzero, mat
            seen_singular += 1
            continue
        if abs(ref_logdet - np.log(np.abs(mat).max() + 1e-300) * n) > 30:  # numerically singular: numpy's answer
            continue  # is rounding noise too
        seen_tie += kind in (1, 2)
        assert nonzero
        np.testing.assert_allclose(x, np.linalg.solve(mat, rhs), rtol=1e-9, atol=1e-9)
        assert np.isclose(logdet, ref_logdet, atol=1e-9)
    assert seen_singular > 20 and seen_tie > 20


def test_small_solve_is_batched():
    rng = np.random.default_rng(12)
    mat, rhs = rng.normal(size=(7, 3, 4, 4)), rng.normal(size=(7, 3, 4, 1))
    x, _, nonzero = _small_solve(mat, rhs)
    assert np.asarray(nonzero).all()
    np.testing.assert_allclose(np.asarray(x), np.linalg.solve(mat, rhs), rtol=1e-9, atol=1e-9)
