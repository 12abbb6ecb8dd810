"""The M-LCB paper through the real entry points: bad input (issue 9 section 4) and a smoke run of every preset.

Bad input runs in-process (``experiments.run.main``, as ``tests/test_bad_input.py``): one line naming the
problem and the valid choices, exit status 2, nothing written. The presets run as console scripts, each
shrunk by ``runner=smoke`` and to one or two budgets and algorithms (every (algorithm, M) compiles once),
in parallel, then ``bandits-bench-report`` draws every figure and table from the stored results.
"""
from __future__ import annotations

import json

import numpy as np
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
    "figure2_reading_a": ["experiment=mlcb/figure2_reading_a", "experiment.budgets=[2]",
                          "experiment.algorithms=[mflcb,mflcb_all]"],
    "figure2_per_link_G": ["experiment=mlcb/figure2_per_link_G", "experiment.budgets=[2]",
                           "experiment.algorithms=[mflcb,limited_advice]"],
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
def test_rows_store_the_reading_and_the_lipschitz_constants(smoke):
    """Issue 31: the reading is M-FLCB's stored hyperparameter, the Lipschitz mode and constants GLM columns."""
    for name, reading, mode, G in (("figure2", "B", "common", "1,1,1,1"),
                                   ("figure2_reading_a", "A", "common", "1,1,1,1"),
                                   ("figure2_per_link_G", "B", "per_link", "0.5,0.797885,0.5,0.735759")):
        runs = pd.read_parquet(smoke / name / "runs.parquet")
        assert (runs["lipschitz"] == mode).all() and (runs["lipschitz_constants"] == G).all()
        excess = [float(v) for v in runs["expert_excess"].iloc[0].split(",")]
        assert excess[0] == 0.0 and excess == sorted(excess)  # logistic (the truth) < probit < clipped < cloglog
        for algo in ("mflcb", "mflcb_all"):
            hp = runs.loc[runs["algorithm"] == algo, "hyperparameters"]
            assert all(json.loads(h)["reading"] == reading for h in hp)
        tab = pd.read_csv(smoke / "pap" / "mlcb" / f"final_regret_{name}.csv")
        assert (tab["reading"] == reading).all() and (tab["lipschitz"] == mode).all()
        assert np.allclose(tab["mflcb_c_R"], 0.1 if reading == "B" else 1.0) and np.allclose(tab["mflcb_c"], 0.1)
    claims = pd.read_csv(smoke / "pap" / "mlcb" / "claims.csv")
    assert {"competitive", "identifies i*", "identifies a top-two expert", "trains the top experts"} <= \
        set(claims["claim"])
    assert (smoke / "fig" / "mlcb" / "readings_training.png").stat().st_size > 10_000


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
    assert "mlcb/figure2_per_link_G" in readme and "G_i² / Σ G_j²" in readme


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


READINGS = {  # preset -> (M-FLCB's reading, Lipschitz mode): spec section 9
    "mlcb/figure2": ("B", "common"), "mlcb/figure2_reading_a": ("A", "common"),
    "mlcb/figure2_per_link_G": ("B", "per_link"), "mlcb/figure2_reading_a_per_link_G": ("A", "per_link")}


@pytest.mark.parametrize("preset", list(READINGS))
def test_figure2_presets_state_their_reading(preset):
    """Each reading's preset states it (M-FLCB's reading, the GLM Lipschitz mode), the advisor-from-all-K
    variant follows M-FLCB's reading, and the problems store what they ran with."""
    from experiments.run import plan_preset

    reading, mode = READINGS[preset]
    _, spec, _, plan = plan_preset(preset, ["experiment.budgets=[1]", "experiment.algorithms=[mflcb]"])
    hps = spec.hyperparameters
    assert hps["mflcb"]["reading"] == reading and hps["mflcb_all"] == hps["mflcb"] and spec.glm.lipschitz == mode
    cols = plan.problems[0].columns
    G = [1.0] * 4 if mode == "common" else [0.5, 2 / np.sqrt(2 * np.pi), 0.5, 2 / np.e]
    assert cols["lipschitz"] == mode and np.allclose([float(v) for v in cols["lipschitz_constants"].split(",")], G)
    assert np.allclose(np.asarray(plan.problems[0].known.bound.scale), 1.5 * np.asarray(G) * 8.0)  # R_i: G_i D
    other = "A" if reading == "B" else "B"  # an override of M-FLCB's reading reaches its advisor-from-all-K twin
    _, spec, _, _ = plan_preset(preset, ["experiment.budgets=[1]", "experiment.algorithms=[mflcb_all]",
                                         f"experiment.hyperparameters.mflcb.reading={other}"])
    assert spec.hyperparameters["mflcb_all"]["reading"] == other


def _synthetic_runs(paper):
    """One GLM experiment, K = 4, M in {1, 3}, 200 seeds, with known answers: M-FLCB (reading B) is above
    LimitedAdvice at M = 1 and below both baselines at M = 3; its final advisor is i* on 190 seeds at M = 3
    (and a top-two expert on 196); it trains expert 3 on 10 sessions (locked out) at M = 1; ED2RB is swept."""
    from experiments.report import add_variants

    rng = np.random.default_rng(0)
    rows = []
    for M in (1, 3):
        T = 10_000
        for algo, hp, base in (("mflcb", '{"c": 0.1, "delta": 0.05, "reading": "B"}', {1: 100.0, 3: 20.0}),
                               ("limited_advice", "{}", {1: 80.0, 3: 40.0}),
                               ("ed2rb", '{"c": 0.01}', {1: 150.0, 3: 150.0}),
                               ("ed2rb", '{"c": 1.0}', {1: 170.0, 3: 170.0})):
            for seed in range(200):
                if algo == "mflcb":
                    counts = [6000, 2000, 1990, 10] if M == 1 else [10_000, 10_000, 6_000, 4_000]
                    adv = 0 if (M == 3 and seed < 190) else (1 if M == 3 and seed < 196 else 2)
                else:
                    counts = [M * T // 4] * 4
                    adv = seed % 4
                rows.append(dict(experiment="mlcb/synthetic", experts="glm", algorithm=algo, env=f"glm K=4 M={M}",
                                 seed=seed, M=M, K=4, t=T, hyperparameters=hp, best_expert=0, final_advisor=adv,
                                 pseudo_regret=base[M] + rng.normal(0.0, 5.0), regret=base[M],
                                 experts_names="logistic,probit,clipped_linear,cloglog", lipschitz="per_link",
                                 lipschitz_constants="1,2,1,2", expert_excess="0,2e-05,0.0008,0.014",
                                 **{f"train_count_{i}": c for i, c in enumerate(counts)}))
    return add_variants(pd.DataFrame(rows), paper)


def test_claims_and_training_on_synthetic_results():
    from bandits.core.experiment import discover_papers
    from experiments.mlcb.analysis import claims_table, final_table, training_table, tuned_variants

    paper = discover_papers().get("mlcb")
    runs = _synthetic_runs(paper)
    shown, _ = tuned_variants(runs, paper)
    assert shown == {1: ["mflcb", "ed2rb[c=0.01]", "limited_advice"], 3: ["mflcb", "ed2rb[c=0.01]", "limited_advice"]}
    tab = final_table(runs, paper, shown)
    ref = tab[(tab["algorithm"] == "mflcb")].set_index("M")
    assert ref.loc[3, "identified"] == 0.95 and ref.loc[3, "top_two"] == 0.98
    assert 0.91 < ref.loc[3, "identified_ci_low"] < 0.95 < ref.loc[3, "identified_ci_high"] < 0.98  # Wilson
    assert (tab["reading"] == "B").all() and np.allclose(tab["mflcb_c_R"], 0.1)
    assert (tab["lipschitz"] == "per_link").all()
    assert list(tab.loc[tab["budget_free"], "algorithm"].unique()) == ["ed2rb"]
    training = training_table(runs, shown)
    t = training[training["algorithm"] == "mflcb"].set_index("M")
    assert np.allclose([t.loc[1, f"G2_share_{i}"] for i in range(4)], [0.1, 0.4, 0.1, 0.4])  # G_i^2 / sum G_j^2
    assert np.isclose(t.loc[1, "share_3"], 0.001) and t.loc[1, "locked_out_any"] == 1.0
    assert t.loc[1, "locked_out_best"] == 0.0 and t.loc[3, "locked_out_any"] == 0.0
    assert np.isclose(t.loc[3, "top_two_share"], 20_000 / 30_000)
    claims = claims_table(runs, paper, shown, tab, training).set_index(["claim", "versus", "M"])
    assert claims.loc[("competitive", "LimitedAdvice", 1), "verdict"] == "above"
    assert claims.loc[("competitive", "LimitedAdvice", 3), "verdict"] == "below"
    assert claims.loc[("competitive", "ED2RB", 1), "verdict"] == "below"
    assert claims.loc[("competitive", "ED2RB", 1), "setting"] == "best c = 0.01"
    ident = claims.loc[("identifies i*", "", 3)]
    assert ident["verdict"] == "holds" and bool(ident["judged"])  # Wilson lower bound of 190/200 >= 0.9
    assert claims.loc[("identifies i*", "", 1), "verdict"] == "fails"
    assert claims.loc[("trains the top experts", "uniform share", 1), "verdict"] == "holds"  # 0.8 > 0.5


def test_report_never_tunes_over_readings():
    """Two readings of M-FLCB in one experiment are two rows of the tables, not a choice of the better one."""
    from bandits.core.experiment import discover_papers
    from experiments.mlcb.analysis import tuned_variants

    paper = discover_papers().get("mlcb")
    runs = _synthetic_runs(paper)
    twin = runs[runs["algorithm"] == "mflcb"].copy()
    twin["hyperparameters"] = '{"c": 0.1, "delta": 0.05, "reading": "A"}'
    twin["pseudo_regret"] -= 50.0  # better: a tuner would pick it alone
    from experiments.report import add_variants

    runs = add_variants(pd.concat([runs.drop(columns=["variant", "label"]), twin.drop(columns=["variant", "label"])]),
                        paper)
    shown, tuning = tuned_variants(runs, paper)
    mflcb = [v for v in shown[1] if v.startswith("mflcb")]
    assert len(mflcb) == 2 and set(tuning["algorithm"]) == {"ed2rb"}


def test_top_two_is_the_oracle_ranking_and_left_out_when_ambiguous():
    from experiments.mlcb.analysis import top_experts

    assert top_experts("0,2.07e-05,0.000806,0.0144") == [0, 1]
    assert top_experts("0.05,0,0.3") == [1, 0]
    assert top_experts("0,0.05,0.05,0.1") == []  # the bandit experts: the runner-up is tied
    assert top_experts(float("nan")) == [] and top_experts("0") == []
