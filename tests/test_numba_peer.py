"""The numba peer of benchmarks/ata.py runs the same ATA as the NumPy reference: fed the same standard draws
and round words, it makes the same allocations round for round, with the same run time, worker time and
proxy regret. Skipped when numba is not installed (it is the optional ``bench`` extra)."""
import importlib
import math
import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("numba")

from bandits.allocation.reference import greedy_allocation, run_ata_numpy  # noqa: E402

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "ata_numba.py"


@pytest.fixture(scope="module")
def peer():
    sys.path.insert(0, str(_PATH.parent))  # imported by name, as benchmarks/ata.py does (numba's cache needs it)
    try:
        return importlib.import_module("ata_numba")
    finally:
        sys.path.remove(str(_PATH.parent))


def _draws(K, B, seed):
    rng = np.random.default_rng(seed)
    z = rng.exponential(size=(K, B))
    words = rng.integers(0, 2**32, size=K, dtype=np.uint64).astype(np.uint32)
    return z, words


# (n, B, alpha as a multiple of max mu, rounds): alpha = 2 max mu (the benchmark's) explores throughout a
# short run; a small alpha reaches water-filling early and falls back to exploration now and then.
CASES = [
    (17, 23, 2.0, 300),  # n <= B, exploration only (priority ranks)
    (17, 23, 0.02, 1500),  # n <= B, exploitation and re-exploration
    (5, 23, 0.05, 800),  # n << B
    (7, 7, 0.05, 800),  # n == B
    (40, 7, 2.0, 300),  # n > B exploration: Floyd subsets of the z > B zero-score workers
    (40, 7, 0.02, 1500),  # n > B: selection of the B smallest scores; re-exploration with z <= B too
]


@pytest.mark.parametrize("n,B,factor,K", CASES)
def test_same_allocations_and_metrics_as_reference(peer, n, B, factor, K):
    scales, means, opt_loss = peer.problem_arrays(n, B)
    alpha = factor * float(means.max())
    z, words = _draws(K, B, seed=n * 1000 + B)
    ref_allocs, ref_runtime, ref_worker_time = run_ata_numpy(z, words, scales, B, alpha=alpha)
    allocs, runtime, worker_time, regret, exploit = peer.run_fed(z, words, scales, B, alpha, means, opt_loss)

    bad = np.flatnonzero((allocs != ref_allocs).any(axis=1))
    assert bad.size == 0, f"first mismatch at round {bad[0] + 1}: {allocs[bad[0]]} vs {ref_allocs[bad[0]]}"
    assert runtime == ref_runtime  # same per-worker sums in the same order
    assert worker_time == pytest.approx(ref_worker_time, rel=1e-12)  # NumPy's x.sum() is pairwise
    ref_regret = float(np.sum(np.max(ref_allocs * means, axis=1)) - K * opt_loss)
    assert regret == pytest.approx(ref_regret, rel=1e-9, abs=1e-6)
    if factor < 1:  # both branches exercised
        assert 0 < exploit < K
    else:
        assert exploit == 0


def test_water_filling_matches_greedy_with_ties(peer):
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 30))
        B = int(rng.integers(1, 30))
        s = rng.integers(1, 5, size=n).astype(np.float64) * rng.choice([1.0, 0.5, 0.25])  # many exact ties
        np.testing.assert_array_equal(peer.water_fill_dense(s, B), greedy_allocation(s, B))


def test_problem_matches_make_problem(peer):
    from bandits.allocation import make_problem

    for n in (17, 459):
        p = make_problem(n, 23, base=29.0, power=0.5)
        scales, means, opt_loss = peer.problem_arrays(n, 23)
        np.testing.assert_allclose(scales, np.asarray(p.params.scales), rtol=1e-6)
        np.testing.assert_allclose(means, np.asarray(p.params.means), rtol=1e-6)
        assert math.isclose(opt_loss, float(p.params.optimal_loss), rel_tol=1e-6)


def test_own_draws_are_seeded_and_recorded_on_the_grid(peer):
    grid = np.array([1, 10, 100, 1000])
    st = peer.Setting(17, 23, 1000, grid, alpha_factor=0.02)
    a, ex_a = st.run_seed(3)
    b, ex_b = st.run_seed(3)
    c, _ = st.run_seed(4)
    np.testing.assert_array_equal(a, b)
    assert ex_a == ex_b and 0 < ex_a < 1000
    assert not np.array_equal(a, c)
    assert np.isfinite(a).all() and (np.diff(a[:, 0]) > 0).all() and (np.diff(a[:, 1]) > 0).all()
    assert (a[:, 1] >= a[:, 0]).all()  # total worker time >= run time


# ------------------------------------------------------------------ M-LCB (benchmarks/mlcb_numba.py)

@pytest.fixture(scope="module")
def mlcb_peer():
    sys.path.insert(0, str(_PATH.parent))
    try:
        return importlib.import_module("mlcb_numba")
    finally:
        sys.path.remove(str(_PATH.parent))


@pytest.mark.parametrize("M,c,seed", [(2, 0.1, 0), (1, 1.0, 1), (3, 0.1, 2), (4, 0.1, 3)])
def test_mlcb_peer_same_selections_as_reference(mlcb_peer, M, c, seed):
    """Fed the same (x, y), the numba loop trains the same S_t and consults the same I_t as the NumPy reference
    in every round, and its pseudo-regret equals the reference's suffered losses against p*."""
    from bandits.experts.glm import PAPER_LINKS
    from bandits.experts.reference import link, run_mlcb_glm_numpy

    rng = np.random.default_rng(seed)
    T, d = 600, 5
    g = rng.normal(size=(T, d))
    x = g / np.linalg.norm(g, axis=1, keepdims=True)
    theta_star = np.full(d, 3.0 / math.sqrt(d))
    p_star = np.array([link("logistic", float(v))[0] for v in x @ theta_star])
    y = (rng.uniform(size=T) < p_star).astype(np.float64)
    ref = run_mlcb_glm_numpy(x, y, PAPER_LINKS, 4.0, M, c=c)
    masks, advisors, metrics = mlcb_peer.run_fed(x, y, PAPER_LINKS, 4.0, M, c=c)
    bad = np.flatnonzero((masks != ref["masks"]).any(axis=1) | (advisors != ref["advisors"]))
    assert bad.size == 0, f"first mismatch at round {bad[0] + 1}"
    assert len(set(advisors.tolist())) > 1 or M == 4  # a non-trivial run
    assert metrics[1] == pytest.approx(np.sum(ref["suffered"] - (p_star - y) ** 2), rel=1e-9)
    assert metrics[0] == pytest.approx(_pseudo(ref, y, p_star), rel=1e-9)


def _pseudo(ref, y, p_star):
    """sum_t (y_hat_t - p*_t)^2 from the reference's suffered losses: (y_hat - y)^2 with y in {0, 1}."""
    y_hat = np.where(y == 1.0, 1.0 - np.sqrt(ref["suffered"]), np.sqrt(ref["suffered"]))
    return np.sum((y_hat - p_star) ** 2)
