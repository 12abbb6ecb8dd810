"""ATA paper module: parity with the NumPy reference, clock model vs the paper, laws, SGD."""
import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.allocation import build, make_problem, make_time_law
from bandits.allocation.sgd import quadratic_problem, sgd_simulation
from bandits.core import RunConfig, combine, log_grid, run_fixed_horizon

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("name,hp,n,budget", [
    ("ata", {"alpha": 3.0}, 13, 9),  # a small alpha: leaves exploration early, so exploitation is compared too
    ("ata_empirical", {"eta": 0.05}, 13, 9),
    ("ata_empirical", {"eta": 0.05}, 7, 9),  # n <= B: no selection, priority ranks, dense updates
])
def test_parity_with_numpy_reference(name, hp, n, budget):
    env = {**os.environ, "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, str(HERE / "parity_check.py"), name, str(n), str(budget), "3000", json.dumps(hp)],
                         env=env, capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["mismatched_rounds"] == 0, r
    assert r["n_distinct"] > 20, r  # exploration and many different exploitation allocations were compared
    assert np.isclose(r["runtime_jax"], r["runtime_ref"], rtol=1e-10)
    assert np.isclose(r["worker_time_jax"], r["worker_time_ref"], rtol=1e-10)
    assert np.isclose(r["runtime_runner"], r["runtime_jax"], rtol=1e-10)  # the runner is the same computation


def ratios(profile_power, n, horizon=20_000, seeds=8):
    p = make_problem(n, 23, base=29.0, power=profile_power)
    cfg = RunConfig(horizon=horizon, progress=False)
    grid = log_grid(horizon, 3)
    o = run_fixed_horizon(build("ofta", p), range(seeds), cfg, grid).metrics
    g = run_fixed_horizon(build("gta", p), range(seeds), cfg, grid).metrics
    return (g["worker_time"][:, -1].mean() / o["worker_time"][:, -1].mean(),
            o["runtime"][:, -1].mean() / g["runtime"][:, -1].mean())


SLOW = pytest.mark.slow  # each (power, n) compiles OFTA and GTA: one entry per table in the default run (and
# test_cli's report checks Table 1 at n = 17 from the presets), every entry with `make test-slow`


@pytest.mark.parametrize("power,n,tt,rt", [
    (0.5, 17, 1.26, 1.74),
    pytest.param(0.5, 51, 3.03, 2.17, marks=SLOW),
    pytest.param(0.5, 153, 9.1, 2.17, marks=SLOW),
    pytest.param(0.5, 459, 27.3, 2.17, marks=SLOW),
    pytest.param(1.0, 17, 2.1, 1.58, marks=SLOW),
    pytest.param(1.0, 51, 6.29, 1.58, marks=SLOW),
    (1.0, 153, 18.87, 1.58),
])
def test_ofta_ratios_match_tables_1_and_2(power, n, tt, rt):
    """OFTA vs GTA is a pure function of the clock model: expectations, so a short horizon suffices."""
    ours_tt, ours_rt = ratios(power, n)
    assert abs(ours_tt / tt - 1) < 0.02, (ours_tt, tt)
    assert abs(ours_rt / rt - 1) < 0.02, (ours_rt, rt)


def test_ofta_oracle_matches_spec():
    p = make_problem(17, 23, base=29.0, power=0.5)
    a = np.zeros(17, int)
    a[np.asarray(p.params.optimal_workers)] = np.asarray(p.params.optimal_units)
    assert list(a) == [4, 2, 2, 2] + [1] * 13
    assert abs(float(p.params.optimal_loss) - 239.1) < 0.1


def window_round_times(name, p, grid, seeds=4, **hp):
    """Mean round time over each window between checkpoints (0, g1], (g1, g2], ..."""
    cfg = RunConfig(horizon=int(grid[-1]), progress=False)
    rt = run_fixed_horizon(build(name, p, **hp), range(seeds), cfg, grid).metrics["runtime"].mean(axis=0)
    return np.diff(np.r_[0.0, rt]) / np.diff(np.r_[0, grid])


@pytest.mark.slow  # statistical: 10^5 rounds per algorithm (make test-slow)
def test_ata_average_round_time_approaches_ofta():
    """Theorem 4.2 / Figure column 3: ATA's round time converges to OFTA's (slowly: log regret)."""
    p = make_problem(8, 8, base=29.0, power=1.0)
    grid = np.array([12_500, 25_000, 50_000, 100_000])
    ofta = window_round_times("ofta", p, grid)
    uta = window_round_times("uta", p, grid)
    for name, hp in [("ata_empirical", {"eta": 1.0}), ("ata", {"alpha": 2 * float(p.params.means.max())})]:
        gap = window_round_times(name, p, grid, **hp) / ofta - 1
        assert np.all(np.diff(gap) < 0), (name, gap)  # every doubling of the horizon brings it closer
        assert gap[-1] < 0.6 * gap[0], (name, gap)
        assert gap[-1] < (uta[-1] / ofta[-1] - 1) * 0.7, (name, gap)


def test_ata_explores_like_uta_first():
    p = make_problem(17, 23, base=29.0, power=0.5)
    cfg, grid = RunConfig(horizon=500, progress=False), log_grid(500, 5)
    a = run_fixed_horizon(build("ata", p, alpha=2 * float(p.params.means.max())), range(3), cfg, grid).metrics
    u = run_fixed_horizon(build("uta", p), range(3), cfg, grid).metrics
    np.testing.assert_allclose(a["runtime"], u["runtime"], rtol=1e-6)  # same draws, same uniform allocations


@pytest.mark.parametrize("law,kw", [("shifted_exponential", {}), ("exponential", {}), ("gamma", {"shape": 2.5}),
                                    ("lognormal", {"sigma": 0.4})])
def test_time_law_moments(law, kw):
    import jax

    tl = make_time_law(law, **kw)
    z = tl.standard(jax.random.key(1), (400_000,))
    x = np.asarray(tl.transform(z, 3.0))
    assert (x >= 0).all()
    assert abs(x.mean() / float(tl.mean(3.0)) - 1) < 0.01
    assert abs(x.std() / float(tl.std(3.0)) - 1) < 0.02


def test_sandwich_bound_of_eq5_is_false():
    """Spec 8: 23 i.i.d. Exp(1) workers, one task each: E[C] = H_23 ~ 3.73 > 1 + eta sqrt(ln B) ~ 2.77 (eta = 1)."""
    p = make_problem(23, 23, law="exponential", base=1.0, power=0.0)
    m = run_fixed_horizon(build("ofta", p), range(4), RunConfig(horizon=20_000, progress=False),
                          log_grid(20_000, 2)).metrics
    ec = float(m["avg_iteration_time"][:, -1].mean())
    harmonic = sum(1 / k for k in range(1, 24))
    assert abs(ec / harmonic - 1) < 0.01
    loss = float(p.params.optimal_loss)  # l(a, mu) = 1
    assert ec > (1 + np.sqrt(np.log(23))) * loss


def test_sgd_once_equals_sgd_inside():
    p = make_problem(5, 4, base=29.0, power=0.5)
    sgd = sgd_simulation(quadratic_problem(), 4)
    cfg, grid = RunConfig(horizon=3000, chunk=512, progress=False), log_grid(3000, 10)
    once = run_fixed_horizon(sgd, range(3), cfg, grid).metrics
    inside = run_fixed_horizon(combine(build("uta", p), sgd), range(3), cfg, grid).metrics
    for k in ("grad_norm_sq", "suboptimality"):
        np.testing.assert_array_equal(once[k], inside[k])
    assert once["grad_norm_sq"][0, -1] < once["grad_norm_sq"][0, 0]


def test_experiment_validation_names_valid_choices():
    from bandits.allocation.paper import PAPER, AllocationEnv, AllocationExperiment, SgdProblem
    from bandits.core.experiment import plan_experiment
    from bandits.core.registry import UnknownNameError

    spec = AllocationExperiment(name="t", paper="ata", algorithms=["ata", "nope"], horizon=10, seeds=1,
                                env=AllocationEnv(law="shifted_exponential", base=29.0, power=0.5, budget=23, n=5),
                                sgd=False, sgd_mode="once", sgd_problem=SgdProblem(100, 1e-4, 1e-3))
    with pytest.raises(UnknownNameError, match="valid choices: ata, ata_empirical, .*gta, ofta, uta"):
        plan_experiment(PAPER, spec, {"chunk": 64})


def _gta_replay(first, later, scales, budget, transform):
    """NumPy GTA round over *all* n workers with a heap: pop B completions, the p-th pop draws later[p]."""
    import heapq

    heap = [(transform(z, c), i) for i, (z, c) in enumerate(zip(first, scales))]
    heapq.heapify(heap)
    for p in range(budget - 1):
        t, i = heapq.heappop(heap)
        heapq.heappush(heap, (t + transform(later[p], scales[i]), i))
    return heap[0][0]


def test_gta_round_matches_event_replay_over_all_workers():
    """Keeping only the m = min(n, B) fastest first completions changes nothing (spec section 4)."""
    from bandits.allocation.gta import gta_round_time

    law = make_time_law("shifted_exponential")
    round_time = jax.jit(gta_round_time, static_argnums=(3, 4))
    rng = np.random.default_rng(0)
    for trial in range(40):
        n, budget = int(rng.integers(1, 12)), int(rng.integers(1, 9))
        scales = rng.choice([1.0, 2.0, 3.0], size=n).astype(np.float32)  # repeated scales: ties are possible
        first = rng.integers(0, 3, size=n).astype(np.float32) if trial % 2 else rng.exponential(size=n).astype(np.float32)
        later = rng.exponential(size=max(budget - 1, 1)).astype(np.float32)
        got = float(round_time(jnp.asarray(first), jnp.asarray(later), jnp.asarray(scales), law, budget))
        want = _gta_replay(first, later, scales, budget, lambda z, c: np.float32(c * (1 + z)))
        assert got == pytest.approx(want, rel=1e-6), (n, budget)


def test_gta_deferred_draws_have_the_renewal_law():
    """Drawing a task time when the task starts = drawing every worker's B task times up front (in law)."""
    from scipy import stats

    p = make_problem(6, 4, base=1.0, power=1.0)
    S, K = 20, 2000
    cfg = RunConfig(horizon=K, chunk=500, batch_size=S, progress=False)
    lazy = run_fixed_horizon(build("gta", p), range(S), cfg, np.array([K])).metrics["runtime"][:, 0] / K
    rng = np.random.default_rng(1)
    scales = np.asarray(p.params.scales, dtype=np.float64)
    x = scales[None, :, None] * (1 + rng.exponential(size=(S * K, 6, 4)))  # every worker's B task times
    completions = np.cumsum(x, axis=2).reshape(S * K, -1)
    full = np.sort(completions, axis=1)[:, 3]
    assert stats.ttest_ind(lazy, full.reshape(S, K).mean(axis=1)).pvalue > 1e-3
    assert lazy.mean() == pytest.approx(full.mean(), rel=0.01)


def test_generators_agree_in_distribution_on_ofta_round_time():
    from bandits.core import rng

    p = make_problem(17, 23, base=29.0, power=0.5)
    means = {}
    for gen in rng.GENERATORS:
        m = run_fixed_horizon(build("ofta", p), range(4), RunConfig(horizon=20_000, rng=gen, progress=False),
                              log_grid(20_000, 2)).metrics["avg_iteration_time"][:, -1]
        means[gen] = m.mean()
    assert abs(means["hash32"] / means["threefry"] - 1) < 0.01, means


@pytest.mark.parametrize("lcb,vanishes,hp", [("ata_lcb", "ata_lcb_vanishes", {"alpha": 7.0}),
                                             ("ata_empirical_lcb", "ata_empirical_lcb_vanishes", {"eta": 0.3})])
def test_vanishing_certificate_is_sound_at_its_boundary(lcb, vanishes, hp):
    """Whenever the certificate holds for (a bound on the means, the largest count), every worker's score is 0:
    random workers below the bounds, with the bounds drawn right at the certificate's edge (eq. 7: the mean bound
    at which the most-sampled worker's score turns positive; eq. 8: the count at which the radius drops below
    1 / (4 e xi))."""
    from bandits.allocation import confidence

    score, holds = getattr(confidence, lcb), getattr(confidence, vanishes)
    rng = np.random.default_rng(0)
    checked = 0
    for trial in range(300):
        k = float(rng.integers(2, 10**6))
        if "alpha" in hp:
            top_count = int(rng.integers(1, 10**5))
            rad = float(confidence._radius(jnp.float32(top_count), jnp.float32(k)))
            top_mean = np.float32(4 * np.e * hp["alpha"] * rad * (1 + rng.uniform(-3e-4, 3e-4)))
        else:
            L = np.log(2.0) + 2 * np.log(k)  # 4 e xi (sqrt(L/K) + L/K) = 1 at K = L / r^2, r the positive root
            c = 1 / (4 * np.e * confidence.xi_from_eta(hp["eta"]))
            r = (-1 + np.sqrt(1 + 4 * c)) / 2
            top_count = max(1, int(L / r**2 * (1 + rng.uniform(-3e-4, 3e-4))))
            top_mean = np.float32(rng.uniform(1, 100))
        counts = rng.integers(0, top_count + 1, size=64).astype(np.int32)
        counts[0] = top_count
        means = np.float32(top_mean) * rng.uniform(0.0, 1.0, size=64).astype(np.float32)
        means[1] = top_mean
        totals = (means * np.maximum(counts, 1)).astype(np.float32)
        if bool(holds(jnp.float32(top_mean), jnp.int32(top_count), jnp.float32(k), **hp)):
            checked += 1
            s = np.asarray(score(jnp.asarray(totals), jnp.asarray(counts), jnp.float32(k), **hp))
            assert (s <= 0).all(), (trial, k, top_count, top_mean)
    assert 50 < checked < 250  # both sides of the edge were drawn


@pytest.mark.parametrize("name,hp", [("ata", {"alpha_factor": 0.02}), ("ata_empirical", {"eta": 0.02})])
def test_skipping_the_scores_while_everyone_explores_changes_nothing(name, hp):
    """n > B: the policy skips its n scores while its bounds certify that all vanish; the results, across the
    exploration/exploitation transitions and at two batch widths, equal the policy that always computes them."""
    from bandits.allocation import confidence
    from bandits.allocation.lcb_policy import lcb_policy
    from bandits.core import interact

    p = make_problem(120, 7, base=29.0, power=0.5)
    sim = build(name, p, **hp)
    if name == "ata":
        lcb = lambda tot, cnt, k: confidence.ata_lcb(tot, cnt, k, alpha=hp["alpha_factor"] * p.known.mean_bound)  # noqa
    else:
        lcb = lambda tot, cnt, k: confidence.ata_empirical_lcb(tot, cnt, k, eta=hp["eta"])  # noqa
    plain = interact(lcb_policy(lcb, 7), p.env, p.known, p.params)
    grid = log_grid(1500, 12)
    for width in (16, 48):
        cfg = RunConfig(horizon=1500, chunk=256, batch_size=width, progress=False)
        a = run_fixed_horizon(sim, range(40), cfg, grid).metrics
        b = run_fixed_horizon(plain, range(40), cfg, grid).metrics
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
