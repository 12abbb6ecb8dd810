"""The numba peer of benchmarks/submodular.py runs the same algorithms as the NumPy reference: fed the same
functions and uniforms, Algorithm 6 (coverage, uniform matroid) and online double greedy (graph cut) make the
reference's choices round for round, with the same values and final iterates. Skipped when numba is not
installed (it is the optional ``bench`` extra)."""
import importlib
import math
import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("numba")

from bandits.submodular import reference as ref  # noqa: E402

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "submodular_numba.py"


@pytest.fixture(scope="module")
def peer():
    sys.path.insert(0, str(_PATH.parent))  # imported by name, as benchmarks/submodular.py does (numba's cache)
    try:
        return importlib.import_module("submodular_numba")
    finally:
        sys.path.remove(str(_PATH.parent))


def coverage_rounds(n, T, seed, probabilistic=False, q=0.8):
    """A fixed incidence; item weights kept w.p. ½ each round; f_t active w.p. q (the i.i.d. / sparse adversary)."""
    rng = np.random.default_rng(seed)
    m = 3 * n
    probs = (rng.uniform(size=(n, m)) < 0.15) * (rng.uniform(size=(n, m)) if probabilistic else 1.0)
    w = rng.uniform(size=m)
    w /= w.sum()
    weights = w * (rng.uniform(size=(T, m)) < 0.5)
    return probs, weights, (rng.uniform(size=T) < q).astype(float), rng.uniform(size=(T, n - 1))


def cut_rounds(n, T, seed, q=0.8):
    rng = np.random.default_rng(seed)
    a = np.triu((rng.uniform(size=(n, n)) < 0.3) * rng.uniform(size=(n, n)), 1)
    a = a + a.T
    return a, 0.5 * a.sum(), (rng.uniform(size=(T, n)) < 0.5).astype(float), (rng.uniform(size=T) < q).astype(float), \
        rng.uniform(size=(T, n))


def same_rounds(got, want):
    bad = np.flatnonzero((got["masks"] != want["masks"]).any(axis=1))
    assert bad.size == 0, f"{bad.size} rounds differ, first at t = {bad[0]}"
    np.testing.assert_allclose(got["values"], want["values"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["x"], want["x"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("n,k,L,opts,probabilistic,T", [
    (12, 3, 6, {}, False, 300),
    (12, 4, 5, {"step": "fixed", "horizon": 300}, True, 300),
    (12, 5, 4, {"decompose": False}, False, 300),
    (9, 8, 3, {}, True, 200),  # k = n - 1
])
def test_algorithm6_same_choices_as_reference(peer, n, k, L, opts, probabilistic, T):
    probs, weights, active, u = coverage_rounds(n, T, seed=n * 10 + k, probabilistic=probabilistic)
    want = ref.run_monotone_coverage_numpy(probs, weights, k, L, u, active=active, **opts)
    got = peer.run_monotone_fed(probs, weights, k, L, u, active=active, **opts)
    same_rounds(got, want)
    assert len({tuple(m) for m in want["masks"]}) > 5 and np.abs(want["x"] - k / n).max() > 0.05  # non-trivial


@pytest.mark.parametrize("n,opts,T", [(12, {}, 300), (10, {"step": "fixed", "horizon": 300}, 300)])
def test_online_double_greedy_same_choices_as_reference(peer, n, opts, T):
    adj, total, w, active, v = cut_rounds(n, T, seed=n)
    want = ref.run_usm_cut_numpy(adj, w, total, v, active=active, **opts)
    got = peer.run_usm_fed(adj, w, total, v, active=active, **opts)
    same_rounds(got, want)
    np.testing.assert_allclose(got["probs"], want["probs"], rtol=0, atol=1e-12)
    assert len({tuple(m) for m in want["masks"]}) > 50 and np.abs(want["probs"] - 0.5).max() > 1e-3


def test_kernels_match_reference(peer):
    rng = np.random.default_rng(0)
    x = np.empty(40)
    top, tail = np.empty(41), np.empty(41)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        k = int(rng.integers(1, n + 1))
        logits = rng.normal(size=n) * rng.choice([0.1, 1.0, 10.0, 300.0])
        if rng.uniform() < 0.3:
            logits = np.round(logits)  # ties
        peer._project_bk(logits, k, x[:n], top, tail)
        np.testing.assert_allclose(x[:n], ref.project_uniform_matroid(logits, k), rtol=1e-12, atol=1e-15)
        assert math.isclose(x[:n].sum(), k, rel_tol=1e-12)
        l2 = rng.normal(size=2) * rng.choice([0.01, 1.0, 10.0, 200.0])
        d = np.empty(2)
        want = ref.project_quarter_disc(l2)
        for warm in (-1.0, 0.1, 0.7):  # cold, and warm starts on either side
            peer._project_disc(l2[0], l2[1], d, warm)
            np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-15)
        z = float(rng.normal() * 30)
        w = peer._lambertw_exp(z)
        assert math.isclose(w + math.log(w), z, rel_tol=1e-14, abs_tol=1e-14)


def test_own_draws_are_seeded_and_recorded_on_the_grid(peer):
    grid = np.array([1, 10, 100, 200])
    probs, w = peer.random_coverage(10, density=0.3)
    adj, total = peer.random_cut(10)
    opt = np.zeros(10)
    opt[:3] = 1
    for st in (peer.MonotoneSetting(probs, w, 3, 4, 200, grid, opt_mask=opt, alpha=0.6),
               peer.USMSetting(adj, total, 200, grid, opt_mask=opt, alpha=0.5)):
        a, b, c = st.run_seed(3), st.run_seed(3), st.run_seed(4)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        assert np.isfinite(a).all() and (np.diff(a[:, 0]) > 0).all() and (np.diff(a[:, 1]) > 0).all()
