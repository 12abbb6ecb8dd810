"""The LATS / LAGEX paper through the CLI: bad input (in-process, nothing written) and one preset + the report
end to end (a subprocess: the paper's runs enable float64, which must not leak into the test process)."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import check_bad_input

S2 = ["experiment=lats/setup2_easy"]
CUSTOM = ["experiment=lats/setup2_easy", "experiment.env=[custom]", "experiment.mu=[1.0,0.5,0.2]"]
BAD = [
    (CUSTOM + ["experiment.A=[[1.0,1.0]]", "experiment.b=[0.5]"], "constraint matrix experiment.A has shape (1, 2)"),
    (CUSTOM + ["experiment.A=[[1.0,1.0,1.0]]", "experiment.b=[0.5]"], "no feasible policy"),
    (CUSTOM + ["experiment.A=[[1.0,1.0,0.0]]", "experiment.b=[0.5,0.2]"], "experiment.b has 2 entries"),
    (CUSTOM, "environment 'custom' needs experiment.mu, experiment.A and experiment.b"),
    (S2 + ["experiment.delta=[1.5]"], "experiment.delta must be in (0, 1)"),
    (S2 + ["experiment.delta=[0.0]"], "experiment.delta must be in (0, 1)"),
    (S2 + ["experiment.r=-0.1"], "experiment.r (slack of an r-good answer) must be in [0, 1e+06]"),
    (S2 + ["experiment.sigma=0"], "experiment.sigma (reward noise sd) must be in [1e-06, 1e+06]"),
    (S2 + ["experiment.sigma=-1"], "experiment.sigma (reward noise sd) must be in [1e-06, 1e+06]"),
    (S2 + ["experiment.threshold=kl"], "unknown threshold 'kl'; valid choices: paper, gk16, code, theory"),
    (S2 + ["experiment.tracking=E"], "unknown tracking rule 'E'; valid choices: C, D"),
    (S2 + ["experiment.radius=x"], "unknown confidence radius 'x'; valid choices: paper, bound"),
    (S2 + ["experiment.algorithms=[lagex,lucb]"], "unknown algorithm 'lucb'; valid choices: cge, cge_wlag, "
                                                  "ctns, ctns_wlag, lagex, lats, ptns, uniform"),
    (S2 + ["experiment.env=[setup3]"], "unknown environment 'setup3'; valid choices: setup1-hard, setup1-easy"),
    (S2 + ["experiment.every=0"], "experiment.every must be an integer >= 1"),
    (S2 + ["experiment.mu3=[1.0]"], "experiment.mu3 sweeps setup 1 only"),
    (S2 + ["+experiment.hyperparameters.lagex.eta=-1"], "eta must be a finite number > 0"),
    (["experiment=lats/figure9"], "lats/setup2_easy, lats/setup2_hard"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[1:]) or a[0] for a, _ in BAD])
def test_lats_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


@pytest.mark.slow  # every preset end to end: `make test-slow`
def test_lats_preset_and_report_end_to_end(cli, tmp_path):
    out = cli(["experiment=lats/setup2_easy", "runner=smoke", "runner.max_seeds=4", "experiment.horizon=1500",
               "experiment.algorithms=[lagex,cge,uniform]", f"hydra.run.dir={tmp_path}/s2e"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "s2e" / "runs.parquet")
    need = {"tau", "censored", "correct", "r_good", "feasible", "violations_policy", "violations_allocation", "delta",
            "lower_bound", "exact", "cap"}
    assert need <= set(runs.columns)
    assert len(runs) == 3 * 4 and not runs.duplicated(["algorithm", "env", "seed"]).any()
    assert (runs.tau >= 5).all() and (runs.tau <= runs.cap).all() and runs.x64.all()
    assert (runs.violations_policy <= runs.tau).all() and (runs.violations_allocation <= runs.tau).all()
    cge = runs[runs.algorithm == "cge"]
    assert (cge.violations_policy == 0).all() and (cge.feasible == 1).all()  # known A: pi_t is in the true F
    assert (runs.delta == 0.1).all() and runs.lower_bound.gt(0).all()
    rep = cli([str(tmp_path / "s2e")], cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "s2e" / "paper" / "lats" / "summary.csv")
    assert list(summary.columns) == ["env", "algorithm", "delta", "n_seeds", "median_tau", "mean_tau", "tau_ci_low",
                                     "tau_ci_high", "censored_frac", "error_rate", "infeasible_rate",
                                     "median_violations_policy", "median_violations_allocation", "lower_bound"]
    assert set(summary.algorithm) == {"LAGEX", "CGE", "Uniform"} and (summary.n_seeds == 4).all()
    figures = tmp_path / "s2e" / "figures" / "lats"
    assert (figures / "tau_setup2_easy.png").exists() and (figures / "violations_setup2_easy.png").exists()
    readme = (tmp_path / "s2e" / "paper" / "lats" / "README.md").read_text()
    assert "{{" not in readme and "lats/setup2_easy" in readme and "held" in readme


# ---- issue 32 (round two) begin: LATS's range cases and its action check ---------------------------------------------
BAD_RANGES = [
    (CUSTOM[:2] + ["experiment.mu=[1e300,0.5,0.2]", "experiment.A=[[1.0,1.0,0.0]]", "experiment.b=[0.5]"],
     "experiment.mu must be in [-1e+06, 1e+06] (the range where the float64 statistics are meaningful), got 1e+300"),
    (CUSTOM + ["experiment.A=[[1e300,1.0,0.0]]", "experiment.b=[0.5]"], "experiment.A must be in [-1e+06, 1e+06]"),
    (CUSTOM + ["experiment.A=[[1.0,1.0,0.0]]", "experiment.b=[-1e300]"], "experiment.b must be in [-1e+06, 1e+06]"),
    (S2 + ["experiment.sigma=1e-300"], "experiment.sigma (reward noise sd) must be in [1e-06, 1e+06]"),
    (S2 + ["experiment.r=inf"], "experiment.r (slack of an r-good answer) must be finite"),
    (S2 + ["experiment.every=10000000000"], "experiment.every must be an integer >= 1 and <= 1000000000"),
    (S2 + ["experiment.custom_delta=1.0"], "experiment.custom_delta must be in (0, 1)"),
    (["experiment=lats/setup1_easy", "experiment.mu3=[1e300]"], "experiment.mu3 must be in [-1e+06, 1e+06]"),
    (["experiment=lats/setup2_easy", "experiment.env=[custom]", "experiment.mu=[" + ",".join(["0.1"] * 40) + "]",
      "experiment.A=[[" + ",".join(["1.0"] * 40) + "],[" + ",".join(["0.5"] * 40) + "]]", "experiment.b=[1.0,1.0]"],
     "K = 40 arms and d = 2 constraints give 11,480 vertex bases C(K + d, K - 1); the solvers enumerate them every "
     "round: at most 10,000"),
    (S2 + ["runner.stopping_chunk=0"], "runner.stopping_chunk must be an integer >= 1"),
    (S2 + ["runner.stopping_chunk=100000000"], "runner.stopping_chunk must be an integer >= 1 and <= 1048576"),
    (S2 + ["experiment.delta=[]"], "experiment.delta is empty"),
    (["experiment=lats/setup1_easy", "experiment.mu3=[]"], "the experiment expands to no problem"),
]


@pytest.mark.parametrize("args,message", BAD_RANGES, ids=[" ".join(a[1:])[:60] for a, _ in BAD_RANGES])
def test_lats_range_cases(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


def test_an_invalid_arm_fails_the_run_naming_the_round():
    """The LATS environment's action check (an arm in 0..K-1), carried through the paper's violation counters
    (``wrap``) and checked by the stopping-time runner (read once per chunk: the run ends there)."""
    import jax.numpy as jnp

    from bandits.core import RunConfig, interact, run_until_stopped
    from bandits.core.runner import InvalidActionError
    from bandits.core.types import Policy
    from bandits.core.experiment import discover_papers

    PAPER = discover_papers().get("lats")
    problem, _ = PAPER.example()
    K = len(problem.static["mu"])
    arm = lambda s, noise, t, known: jnp.where(t >= 6, K, t % K).astype(jnp.int32)  # noqa: E731
    policy = Policy(init=lambda known: jnp.int32(0), select=arm, update=lambda s, a, obs, known: s,
                    stopped=lambda s, t, known: t >= 500)
    sim = PAPER.wrap(None, problem, interact(policy, problem.env, problem.known, problem.params))
    assert sim.conditions == ("the arm is an integer", "the arm within 0..K-1")
    with pytest.raises(InvalidActionError, match=r"round 7 \(seed 0\): it violates 'the arm within 0..K-1'"):
        run_until_stopped(sim, range(3), RunConfig(horizon=1000, chunk=64, progress=False))
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------
