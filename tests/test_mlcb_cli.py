"""The M-LCB paper through the real entry points: bad input (issue 9 section 4) and a smoke run of every preset.

Bad input runs in-process (``experiments.run.main``, as ``tests/test_bad_input.py``): one line naming the
problem and the valid choices, exit status 2, nothing written. The presets run as console scripts, each
shrunk by ``runner=smoke`` and to one or two budgets and algorithms (every (algorithm, M) compiles once),
in parallel, then ``bandits-bench-report`` draws every figure and table from the stored results.
"""
from __future__ import annotations


import pandas as pd
import pytest
from conftest import check_bad_input, run_presets_and_report

FIG = ["experiment=mlcb/figure2"]
BANDIT = ["experiment=mlcb/bandit_experts"]
RATES = ["experiment=mlcb/rates"]
BAD = [
    (FIG + ["experiment.budgets=[1,5]"], "budget M = 5 exceeds the number of experts K = 4"),
    (FIG + ["experiment.budgets=[0]"], "budget M must be an integer in [1, K]"),
    (FIG + ["experiment.budgets=[]"], "experiment.budgets is empty"),
    (FIG + ["experiment.glm.links=[logistic]"], "M-LCB needs K >= 2"),
    (BANDIT + ["experiment.bandit.arm_subsets=[[0,1]]"], "M-LCB needs K >= 2"),
    (RATES + ["experiment.oracle.K=[1]"], "M-LCB needs K >= 2"),
    (RATES + ["experiment.oracle.K=[2]"], "budget M = 4 exceeds the number of experts K = 2"),
    (FIG + ["experiment.hyperparameters.mflcb.delta=1.5"], "delta must be in (0, 1), got 1.5"),
    (FIG + ["experiment.hyperparameters.ed2rb.delta=0"], "delta must be in (0, 1), got 0"),
    (FIG + ["experiment.hyperparameters.mflcb.c=0"], "c must be > 0, got 0"),
    (FIG + ["experiment.hyperparameters.ed2rb.c=-0.1"], "c must be > 0, got -0.1"),
    (FIG + ["experiment.glm.links=[logistic,tanh]"], "unknown link 'tanh' in experiment.glm.links; valid choices: "
                                                     "logistic, probit"),
    (FIG + ["experiment.glm.true_link=identity"], "valid choices: logistic, probit, clipped_linear, cloglog"),
    (FIG + ["experiment.experts=neural"], "unknown expert family experiment.experts='neural'; valid choices: glm, "
                                          "bandit, oracle"),
    (FIG + ["experiment.glm.theta_star=[1.0,2.0]"], "experiment.glm.theta_star has 2 entries but d = 5"),
    (FIG + ["experiment.glm.safe=median"], "valid choices: parameter, prediction"),
    (BANDIT + ["experiment.bandit.arm_subsets=[[0,1],[2,12]]", "experiment.budgets=[1]"], "valid actions: 0..9"),
    (RATES + ["experiment.oracle.horizons=[]"], "experiment.oracle.horizons is empty"),
    (RATES + ["experiment.oracle.horizons=[512,256]"], "experiment.oracle.horizons must be strictly increasing"),
    (RATES + ["experiment.oracle.alpha=[1.5]"], "experiment.oracle.alpha must be in (0, 1]"),
    (RATES + ["experiment.oracle.amplitude=0.9"], "exceeds 1; lower best_loss, gap or amplitude"),
    (FIG + ["experiment.algorithms=[mflcb,corral]"], "valid choices: best_expert_alone, ed2rb, full_training"),
    (FIG + ["+experiment.hyperparameters.mflcb.eta=1"], "unknown hyperparameter(s) 'eta' for algorithm 'mflcb'"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


# ---- issue 32 (round two) begin: M-LCB's sizes and parameters have ranges that fit memory and float32 ----------------
BAD_RANGES = [
    (FIG + ["experiment.budgets=[10000000000]"], "experiment.budgets (budget M) must be an integer <= 1024"),
    (FIG + ["experiment.glm.d=100000000"], "experiment.glm.d must be an integer >= 1 and <= 10000"),
    (FIG + ["experiment.glm.rho=1e300"], "experiment.glm.rho must be in (0, 100]"),
    (FIG + ["experiment.glm.theta_norm=-1"], "experiment.glm.theta_norm must be in [0, 100]"),
    (FIG + ["experiment.glm.theta_star=[90.0,90.0,0.0,0.0,0.0]"], "experiment.glm.theta_star has norm 127.279; it "
                                                                  "must be <= 100"),
    (BANDIT + ["experiment.bandit.means=[1.5,0.5]"], "experiment.bandit.means (a Bernoulli mean) must be in [0, 1]"),
    (BANDIT + ["experiment.bandit.explore=[1e300]"], "experiment.bandit.explore must be in (0, 1000]"),
    (RATES + ["experiment.oracle.K=[1000000]"], "experiment.oracle.K must be an integer <= 1024"),
    (RATES + ["experiment.oracle.horizons=[256,1000000000000]"], "experiment.oracle.horizons must be an integer >= 1 "
                                                                 "and <= 1000000000"),
    (RATES + ["experiment.oracle.gap=0"], "experiment.oracle.gap must be in (0, 1]"),
    (FIG + ["experiment.hyperparameters.mflcb.c=1e300"], "experiment.hyperparameters.mflcb.c must be in"),
]


@pytest.mark.parametrize("args,message", BAD_RANGES, ids=[" ".join(a) for a, _ in BAD_RANGES])
def test_mlcb_range_cases(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------


SMOKE = {  # preset -> overrides that keep its compile count small (one compile per (algorithm, problem))
    "figure2": ["experiment=mlcb/figure2", "experiment.budgets=[2]", "experiment.algorithms=[mflcb,ed2rb]"],
    "bandit_experts": ["experiment=mlcb/bandit_experts", "experiment.budgets=[2]",
                       "experiment.algorithms=[mflcb]"],
    "rates": ["experiment=mlcb/rates", "experiment.budgets=[2]", "experiment.oracle.K=[4]",
              "experiment.algorithms=[mlcb]"],
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    return run_presets_and_report(tmp_path_factory.mktemp("mlcb"), SMOKE, extra=())


@pytest.mark.slow  # every preset end to end: `make test-slow`
def test_presets_store_the_issue_columns(smoke):
    for name in SMOKE:
        runs = pd.read_parquet(smoke / name / "runs.parquet")
        K = int(runs["K"].iloc[0])
        need = {"regret", "pseudo_regret", "final_advisor", "best_expert", "M", "K"} | \
            {f"train_count_{i}" for i in range(K)} | {f"advisor_freq_{i}" for i in range(K)}
        assert need <= set(runs.columns), need - set(runs.columns)
        assert not runs.duplicated(["algorithm", "env", "seed"]).any()
        counts = runs[[f"train_count_{i}" for i in range(K)]].sum(axis=1)
        budget = runs["algorithm"].map({"ed2rb": 1}).fillna(runs["M"])
        assert (counts == budget * runs["t"]).all()  # sum_i N_i(T) = M T (ED2RB: T)
        assert ((runs["final_advisor"] >= 0) & (runs["final_advisor"] < K)).all()
        curves = pd.read_parquet(smoke / name / "curves.parquet")
        assert {"pseudo_regret", "regret", "advisor_freq_0"} <= set(curves["metric"])


@pytest.mark.slow  # every preset end to end: `make test-slow`
def test_report_draws_figures_and_tables(smoke):
    fig, pap = smoke / "fig" / "mlcb", smoke / "pap" / "mlcb"
    for stem in ("figure2", "bandit_experts"):
        for kind in ("regret", "advisors", "budget"):
            assert (fig / f"{stem}_{kind}.png").stat().st_size > 10_000
        tab = pd.read_csv(pap / f"final_regret_{stem}.csv")
        assert {"pseudo_regret_mean", "pseudo_regret_ci_low", "pseudo_regret_diff_vs_mflcb",
                "pseudo_regret_p_value", "regret_mean"} <= set(tab.columns)
        assert (tab.pseudo_regret_ci_low <= tab.pseudo_regret_mean).all()
    assert (fig / "rates.png").stat().st_size > 10_000
    rates = pd.read_csv(pap / "rates.csv")
    assert list(rates.columns) == ["alpha", "K", "M", "slope_T", "slope_T_ci_low", "slope_T_ci_high",
                                   "predicted_slope_T"]
    assert sorted(rates.alpha) == [0.5, 0.75] and (rates.predicted_slope_T == rates.alpha.clip(lower=0.5)).all()
    assert rates.slope_T.notna().all()  # smoke keeps the horizons 256, 512, 1024
    readme = (pap / "README.md").read_text()
    assert "{{" not in readme and "mlcb/figure2" in readme and "Wall time" in readme


def test_report_draws_the_best_c_of_a_sweep_per_budget():
    """ED2RB run with several c (a sweep): per M the variant with the smallest mean final pseudo-regret is shown."""
    from bandits.core.experiment import discover_papers
    from experiments.mlcb.analysis import tuned_variants
    from experiments.report import add_variants

    paper = discover_papers().get("mlcb")
    rows = []
    for M, best_c in ((1, 0.03), (2, 1.0)):
        for c in (0.03, 1.0):
            for seed in range(4):
                rows.append(dict(experiment="mlcb/figure2", algorithm="ed2rb", env=f"glm K=4 M={M}", seed=seed, M=M,
                                 hyperparameters=f'{{"c": {c}}}', pseudo_regret=(10.0 if c == best_c else 20.0) + seed))
            rows.append(dict(experiment="mlcb/figure2", algorithm="mflcb", env=f"glm K=4 M={M}", seed=0, M=M,
                             hyperparameters='{"c": 0.1}', pseudo_regret=5.0))
    runs = add_variants(pd.DataFrame(rows), paper)
    shown, tuning = tuned_variants(runs, paper)
    assert shown == {1: ["mflcb", "ed2rb[c=0.03]"], 2: ["mflcb", "ed2rb[c=1.0]"]}
    best = tuning[tuning.best]
    assert list(best.M) == [1, 2] and list(best.hyperparameters) == ['{"c": 0.03}', '{"c": 1.0}']
