"""Stopping rules (``bandits.exploration.stopping``, spec section 11) on their own and inside the shared loop: the
check grid, the confidence boxes, the validity of pessimistic_optimistic's answer whenever its boxes hold, the
recommendation following the rule, the known-A reductions, and the lower bound with unknown constraints against an
independent SciPy max-min."""
from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import check_bad_input
from scipy.optimize import minimize

from bandits.exploration import environments as E, joint_glr, polytope, stopping, thresholds
from bandits.exploration.characteristic_time import characteristic_time, degenerate
from bandits.exploration.machinery import Config, estimates, run_one
from bandits.exploration.lagex import lagex
from bandits.exploration.uniform import uniform
from bandits.exploration.cge import cge


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def test_grid_is_the_one_percent_geometric_grid():
    """n_{j+1} = n_j + ceil(n_j / 100) = max(n_j + 1, ceil(1.01 n_j)) (exact rational arithmetic), every round up
    to 100, about 1 % apart after."""
    n = 1
    seen = []
    while n < 10 ** 6:
        nxt = int(stopping.grid_next(jnp.int32(n)))
        assert nxt == max(n + 1, math.ceil(Fraction(101, 100) * n))
        seen.append(n)
        n = nxt
    assert seen[:100] == list(range(1, 101))
    assert 700 < len(seen) < 1000  # ~100 + ln(10^4) / ln(1.01) checks up to a million rounds


def test_box_radius_and_joint_threshold():
    counts = jnp.array([0, 1, 10, 1000])
    w = np.asarray(stopping.box_radius(counts, 0.01, jnp.float64))
    assert np.isinf(w[0])
    for n, x in zip([1, 10, 1000], w[1:]):
        assert np.isclose(x, math.sqrt(2 * (n + 1) * math.log(math.sqrt(n + 1) / 0.01)) / n)
    N = np.array([3.0, 50.0, 700.0])
    for per_arm in (1, 3):
        m = 3 * per_arm
        ref = per_arm * sum(3 * math.log(1 + math.log(x)) for x in N) + \
            m * float(thresholds.calibration(math.log(1 / 0.1) / m))
        assert np.isclose(float(stopping.joint_threshold(jnp.asarray(N), 0.1, per_arm - 1, per_arm == 1)), ref)


def _evidence(mu_hat, A_hat, b, counts, delta=0.1, r=0.05, sigma2=None):
    K = len(mu_hat)
    dt = jnp.float64
    return stopping.Evidence(n=jnp.int32(int(np.sum(counts))), counts=jnp.asarray(counts, jnp.int32),
                             mu_hat=jnp.asarray(mu_hat, dt), A_hat=jnp.asarray(A_hat, dt), b=jnp.asarray(b, dt),
                             sigma2=jnp.ones(K, dt) if sigma2 is None else jnp.asarray(sigma2, dt),
                             delta=jnp.asarray(delta, dt), r=jnp.asarray(r, dt), feasible=jnp.bool_(True),
                             pi=jnp.full(K, 1.0 / K, dt), basis=jnp.zeros(K - 1, jnp.int32), z=jnp.zeros((), dt),
                             beta=jnp.asarray(3.0, dt))


_po = jax.jit(stopping.pessimistic_optimistic_check, static_argnums=(1, 2))


def test_pessimistic_optimistic_answer_is_feasible_and_r_good_whenever_the_boxes_hold():
    """Estimates drawn inside the confidence boxes of random true instances: every time the rule would stop, its
    answer is feasible for the true A and r-good for the true mu (the rule's guarantee, by construction)."""
    rng = np.random.default_rng(4)
    stops = 0
    for trial in range(150):
        K, d = int(rng.integers(3, 6)), int(rng.integers(1, 3))
        mu = rng.uniform(0, 1, K)
        A = rng.uniform(0, 1, (d, K))
        b = rng.uniform(0.2, 0.7, d)
        try:
            pi_star = E.optimum(mu, A, b)
        except ValueError:
            continue
        counts = rng.integers(200, 20000, K)
        r = 0.05
        w = np.asarray(stopping.box_radius(jnp.asarray(counts), 0.1 / (K * (d + 1)), jnp.float64))
        mu_hat = mu + rng.uniform(-1, 1, K) * w
        A_hat = A + rng.uniform(-1, 1, (d, K)) * w[None, :]
        chk = _po(_evidence(mu_hat, A_hat, b, counts, r=r), "box", False)
        if bool(chk.ready) and float(chk.z) > 0:
            stops += 1
            policy = np.asarray(chk.policy)
            assert (A @ policy <= b + 1e-9).all(), trial
            assert mu @ policy >= mu @ pi_star - r - 1e-9, trial
    assert stops > 20


def test_pessimistic_optimistic_stops_only_when_every_optimistic_vertex_is_beaten():
    """A two-arm instance by hand: pi_hat = e_1 (mu 1 vs 0.2), one loose row; the optimistic vertices are e_1
    itself (margin r: with r = 0 the rule can never stop) and e_2, margin mu_hat^T (e1 - e2) - (w_1 + w_2) + r."""
    mu_hat, A_hat, b = [1.0, 0.2], [[0.1, 0.1]], [5.0]
    for r in (0.0, 0.01):
        for n in (3, 10, 100, 10000):
            counts = [n, n]
            w = float(stopping.box_radius(jnp.asarray([n]), 0.1 / 4, jnp.float64)[0])
            chk = _po(_evidence(mu_hat, A_hat, b, counts, r=r), "box", False)
            assert np.allclose(np.asarray(chk.policy), [1.0, 0.0])
            assert np.isclose(float(chk.z), min(r, 0.8 - 2 * w + r))


def test_rules_with_a_known_A_reduce_to_the_reward_question():
    """With the true A known, joint_glr moves mu only (a smaller threshold: m = K) and the boxes of A have
    width 0: the pessimistic and the optimistic polytopes are the true one."""
    mu, _, A, b, _, _ = E._spec("setup2-hard")
    counts = np.array([400, 30, 200, 200, 300])
    ev = _evidence(mu + 0.01, A, b, counts, r=0.05)
    known = stopping.joint_glr_check(ev, "joint", True)
    unknown = stopping.joint_glr_check(ev, "joint", False)
    assert float(known.z) >= float(unknown.z)  # fewer ways to break the basis
    assert float(known.beta) < float(unknown.beta)
    chk = stopping.pessimistic_optimistic_check(ev, "box", True)
    assert np.allclose(np.asarray(chk.policy), E.optimum(mu, A, b))


def _true_run(policy, name, seed=0, horizon=20000, r=0.0):
    prob = E.make_problem(name, r=r, dtype=jnp.float64)
    known = prob.known._replace(A=prob.params.A) if policy[1] else prob.known
    return run_one(policy[0], E.exploration_env(), prob.params, known, jax.random.key(seed), horizon), prob


@pytest.mark.parametrize("rule,threshold", [("plugin", None), ("joint_glr", "paper")])
def test_grid_rules_stop_on_grid_rounds_and_recommend_the_plugin_vertex(rule, threshold):
    """Uniform sampling on setup 2 hard: a grid rule stops on a grid round, and its answer is the plug-in LP's
    vertex (and basis) at the final estimates."""
    grid = {1}
    n = 1
    while n < 40000:
        n = int(stopping.grid_next(jnp.int32(n)))
        grid.add(n)
    cfg = Config(stopping=rule, stopping_threshold=threshold)
    stops = 0
    for seed in range(3):
        (state, _, tau, done), prob = _true_run((uniform(cfg), False), "setup2-hard", seed, horizon=40000)
        if not bool(done):
            continue
        stops += 1
        assert int(tau) in grid
        mu_hat, A_hat = estimates(state)
        verts = polytope.vertices(A_hat, prob.known.b, 0.0)
        lp = polytope.lp_argmax(mu_hat, verts)
        assert np.allclose(np.asarray(state.stop.last.policy), np.asarray(lp.policy))
        assert (np.asarray(state.stop.last.basis) == polytope.subsets(5, 2)[int(lp.index)]).all()
    assert stops >= 2


def test_paper_rule_is_unchanged():
    """The default rule: stops on the first round with Z_n > beta of the enlarged set, recommends pi_n."""
    (state, _, tau, done), _ = _true_run((lagex(Config()), False), "setup2-hard", 1)
    assert bool(done) and bool(state.stop.fired)
    assert float(state.z) > float(state.beta) and int(state.n) == int(tau)
    assert np.allclose(np.asarray(state.stop.last.policy), np.asarray(state.pi))


def test_known_A_baseline_under_a_sound_rule_stops_correctly():
    (state, _, tau, done), prob = _true_run((cge(Config(stopping="joint_glr")), True), "setup2-hard", 2)
    assert bool(done)
    x, ok = E.true_vertex(state.stop.last.basis, prob.params)
    assert bool(ok) and np.allclose(np.asarray(x), np.asarray(prob.params.pi_star))


# ----------------------------------------------------------------------------- lower bound with unknown A
def scipy_unknown_bound(mu, A, b, sigma2, starts=1, restarts=3):
    """An independent max-min: Nelder-Mead over omega = softmax(z, 0) of min_c f_c(omega), each f_c the SLSQP
    infimum of sum_a omega_a [(mu'_a - mu_a)^2 / (2 sigma_a^2) + ||A'_a - A_a||^2 / 2] on the surface where
    condition c of the optimal basis fails (from the basis system's definitions,
    ``test_joint_glr.reference_conditions``). Derivative-free, restarted from its own optimum until it stops
    improving: the maximum sits on a kink where several conditions are equal, where a gradient method on the
    epigraph with numerical gradients stalls at its start."""
    from test_joint_glr import lp_basis, reference_conditions

    K = len(mu)
    _, basis, _ = lp_basis(mu, A, b)

    def fmin(w):
        return min(reference_conditions(mu, A, b, sigma2, np.maximum(w, 1e-12), basis, starts=starts).values())

    def negative(z):
        e = np.exp(np.append(z, 0.0) - max(np.max(z), 0.0))
        return -fmin(e / e.sum())

    z, best = np.zeros(K - 1), -np.inf
    for _ in range(restarts):
        res = minimize(negative, z, method="Nelder-Mead",
                       options={"xatol": 1e-7, "fatol": 1e-12, "maxfev": 1500, "adaptive": True})
        if -res.fun <= best * (1 + 1e-9):
            break
        z, best = res.x, -res.fun
    return best


@pytest.mark.slow
@pytest.mark.parametrize("name", ["setup2-hard", "setup2-easy", "figure1"])
def test_unknown_constraint_bound_matches_an_independent_scipy_maxmin(name):
    mu, sd, A, b, _, _ = E._spec(name)
    T, _ = characteristic_time(mu, A, b, sd, unknown_constraints=True)
    value = scipy_unknown_bound(mu, A, b, sd ** 2)
    if name == "setup2-easy":  # degenerate: pi*'s second row is tight, every basis has a zero condition
        assert math.isinf(T) and value < 1e-12
    else:
        assert np.isclose(T, 1.0 / value, rtol=1e-3), (T, 1.0 / value)


def test_unknown_constraint_bound_is_inf_on_degenerate_optima_and_above_the_known_one():
    for name, finite in [("setup1-hard", False), ("setup1-easy", False), ("setup2-easy", False),
                         ("setup2-hard", True), ("figure1", True)]:
        mu, sd, A, b, _, _ = E._spec(name)
        T, _ = characteristic_time(mu, A, b, sd, unknown_constraints=True)
        T_known, _ = characteristic_time(mu, A, b, sd)
        assert degenerate(mu, A, b)[0] == (not finite)
        if finite:
            assert math.isfinite(T) and T >= T_known * (1 - 1e-6)
        else:
            assert T == math.inf and not math.isnan(T)


def test_unknown_constraint_bound_two_arms_is_the_bai_bound_when_the_row_is_slack():
    """One loose row (slack 1): the only way to break the basis is a reduced cost, the BAI question, so the
    bound is T* = 8 sigma^2 / gap^2 for two arms (the row's own condition costs 1/2 omega_1 (b - A_1)^2 >> that)."""
    T, _ = characteristic_time([1.0, 0.8], [[0.0, 0.0]], [1.0], 1.0, unknown_constraints=True)
    assert np.isclose(T, 8 / 0.2 ** 2, rtol=1e-4)


@pytest.mark.parametrize("mu,A,b,sigma,message", [
    ([1.0, 0.5, 0.2], [[1.0, 1.0]], [0.5], 1.0, "A must have shape (d, K) = (d, 3)"),
    ([1.0, 0.5], [[1.0, 1.0]], [0.5, 0.2], 1.0, "b must have one entry per row of A (1)"),
    ([1.0, 0.5], [[1.0, 1.0]], [0.5], [1.0, 1.0, 1.0], "sigma must be a number or a vector of 2 sds"),
    ([1.0], [[1.0]], [0.5], 1.0, "at least 2 arm means"),
])
def test_unknown_constraint_bound_rejects_mismatched_shapes(mu, A, b, sigma, message):
    with pytest.raises(ValueError) as err:
        characteristic_time(mu, A, b, sigma, unknown_constraints=True)
    assert message in str(err.value) and "\n" not in str(err.value)


# ----------------------------------------------------------------------------- bad input through the CLI
S2 = ["experiment=lats/setup2_hard"]
BAD = [
    (S2 + ["experiment.stopping=glr"], "unknown stopping rule 'glr'; valid choices: paper, plugin, joint_glr, "
                                       "pessimistic_optimistic"),
    (S2 + ["experiment.stopping=joint_glr", "experiment.stopping_threshold=theory"],
     "is not a threshold of the stopping rule(s) joint_glr; valid choices: joint_glr: paper, joint"),
    (S2 + ["experiment.stopping=[joint_glr,pessimistic_optimistic]", "experiment.stopping_threshold=[joint,box]",
           "experiment.r=0.1"], "stopping rule 'joint_glr' has no threshold 'box'; valid choices: paper, joint"),
    (S2 + ["experiment.stopping=paper", "experiment.stopping_threshold=joint"],
     "experiment.stopping_threshold='joint' is not a threshold of the stopping rule(s) paper; valid choices: "
     "paper: none (experiment.threshold's beta)"),
    (S2 + ["experiment.stopping=pessimistic_optimistic", "experiment.stopping_threshold=joint", "experiment.r=0.1"],
     "valid choices: pessimistic_optimistic: box"),
    (S2 + ["experiment.stopping=pessimistic_optimistic"],
     "stopping rule 'pessimistic_optimistic' needs a slack r > 0: with r = 0 it cannot stop"),
    (S2 + ["experiment.stopping=pessimistic_optimistic", "experiment.r={paper: 0.1}"],
     "stopping rule 'pessimistic_optimistic' needs a slack r > 0"),
    (S2 + ["experiment.r={glr: 0.1}"], "experiment.r names unknown stopping rule 'glr'; valid choices: paper"),
    (S2 + ["experiment.r={pessimistic_optimistic: -1}", "experiment.stopping=pessimistic_optimistic"],
     "experiment.r.pessimistic_optimistic (slack of an r-good answer) must be in [0, 1e+06]"),
    (S2 + ["experiment.stopping=[]"], "experiment.stopping lists no stopping rule; valid choices: paper"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[1:]) for a, _ in BAD])
def test_stopping_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


# ----------------------------------------------------------------------------- every algorithm x every rule
def _run_rules(algorithms, rules, thresholds=("paper", "joint"), seeds=2, horizon=400):
    """The figure1 instance (K = 3, d = 1) through plan_experiment and the runner: rows per (algorithm, rule)."""
    from experiments.run import plan_preset
    from bandits.core.experiment import run_experiment

    overrides = ["experiment.env=[figure1]", f"experiment.algorithms=[{','.join(algorithms)}]",
                 f"experiment.stopping=[{','.join(rules)}]", f"experiment.stopping_threshold=[{','.join(thresholds)}]",
                 f"experiment.seeds={seeds}", f"runner.max_horizon={horizon}", "runner.progress=false",
                 "+experiment.plugins=[examples.lats_explorer]"]
    if "pessimistic_optimistic" in rules:
        overrides.append("experiment.r={pessimistic_optimistic: 0.3}")
    _, _, _, plan = plan_preset("lats/stopping_rules", overrides, warn=lambda msg: None)
    runs, _, _ = run_experiment(plan, log=lambda msg: None)
    return runs


def _check_rows(runs, algorithms, rules, thresholds=("paper", "joint")):
    pairs = {(a, r) for a in algorithms for r in rules}
    assert pairs == set(zip(runs["algorithm"], runs["stopping"]))
    assert runs[["correct", "feasible", "r_good", "r_good_feasible", "tau_known_A"]].notna().all().all()
    assert ((runs["tau"] <= runs["cap"]) & (runs["tau_known_A"] <= runs["tau"])).all()
    assert set(runs.loc[runs["stopping"] == "joint_glr", "threshold"]) == set(thresholds)
    po = runs[runs["stopping"] == "pessimistic_optimistic"]
    assert (po["threshold"] == "box").all() and (po["r"] == 0.3).all()
    stopped = po[~po["censored"].astype(bool)]
    assert (stopped["r_good_feasible"] == 1.0).all()  # an answer it stops with is feasible and r-good


def test_sound_rules_run_with_a_known_A_baseline_and_a_plugin():
    """CTnS (Track-and-Stop, known A) and a plugin explorer under the sound rules (every algorithm x every rule:
    the slow test below)."""
    algorithms, rules = ["ctns", "confusing_pair"], ["joint_glr", "pessimistic_optimistic"]
    _check_rows(_run_rules(algorithms, rules, ("joint",)), algorithms, rules, ("joint",))


@pytest.mark.slow
def test_every_algorithm_runs_under_every_rule():
    from bandits.exploration.paper import ALGORITHMS

    algorithms = ALGORITHMS.names()
    rules = list(stopping.RULES)
    _check_rows(_run_rules(algorithms, rules), algorithms, rules)
