"""The online-submodular paper through the real entry points (issue 10 sections 1 and 4).

Bad input runs in-process (``experiments.run.main``, as ``tests/test_bad_input.py``): one line naming the
problem and the valid choices, exit status 2, nothing written. Then every preset runs as a console script,
shrunk by ``runner=smoke`` and by overrides to a few small problems and algorithms (each (algorithm, problem)
compiles once), in parallel, and ``bandits-bench-report`` draws the figures, ``claims.csv`` and the README.
The contract test of the core covers the algorithms on the monotone example; the USM algorithms are also
checked on the USM example here.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from conftest import check_bad_input, run_presets_and_report

MONO = ["experiment=submodular/rate_T"]
USM = ["experiment=submodular/rate_T_usm"]
BAD = [
    (MONO + ["experiment.k=25"], "experiment.k = 25 exceeds experiment.n = 20"),
    (MONO + ["experiment.k=0"], "experiment.k must be an integer >= 1"),
    (MONO + ["experiment.matroid=partition", "experiment.caps=[11,1]"], "experiment.caps[0] = 11 exceeds block 0's "
                                                                         "size 10"),
    (MONO + ["experiment.matroid=partition"], "a partition matroid needs experiment.caps"),
    (MONO + ["experiment.scale=1.5"], "returns values outside [0, 1]"),
    (MONO + ["experiment.hyperparameters.ocg.L=0"], "experiment.hyperparameters.ocg.L (number of learners) must be an "
                                                    "integer >= 1"),
    (MONO + ["experiment.family=knapsack"], "unknown function family 'knapsack' in experiment.family; valid choices: "
                                            "concave_modular, coverage"),
    (MONO + ["experiment.matroid=graphic"], "unknown matroid 'graphic'; valid choices: uniform, partition, none"),
    (MONO + ["experiment.adversary=adaptive"], "unknown adversary 'adaptive' in experiment.adversary; valid choices: "
                                               "drift, iid, sparse, switching"),
    (MONO + ["experiment.algorithms=[ocg,frank_wolfe]"], "unknown algorithm 'frank_wolfe'; valid choices: ftl_double_greedy"),
    (MONO + ["experiment.family=karate_influence"], "the karate-club families have n = 34 elements"),
    (MONO + ["experiment.algorithms=[ocg,odg]"], "algorithm 'odg' does not apply to monotone families; valid choices: "
                                                 "ocg, ocg_fixed"),
    (MONO + ["experiment.family=[coverage,er_cut]"], "mixes monotone and USM families"),
    (MONO + ["experiment.q=[0]"], "experiment.q must be in (0, 1]"),
    (MONO + ["experiment.keep=0.9"], "keep ± experiment.amplitude must stay in [0, 1]"),
    (MONO + ["+experiment.family_kwargs.foo=1"], "bad experiment.family_kwargs for 'coverage'"),
    (MONO + ["+experiment.hyperparameters.ocg.eta=1"], "unknown hyperparameter(s) 'eta' for algorithm 'ocg'"),
    (USM + ["experiment.matroid=uniform"], "USM families are unconstrained: set experiment.matroid=none"),
    (USM + ["experiment.n=0"], "experiment.n must be an integer >= 1"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


# ---- issue 32 (round two) begin: sizes, seeds and parameters have ranges that fit memory and their types -------------
BAD_RANGES = [
    (MONO + ["experiment.n=1000000000"], "experiment.n must be an integer >= 1 and <= 1024 (every round evaluates "
                                         "f_t on n-element sets for every seed)"),
    (MONO + ["experiment.k=[2,100000]"], "experiment.k must be an integer >= 1 and <= 1024"),
    (MONO + ["experiment.matroid=partition", "experiment.caps=[1,10000000000]"], "experiment.caps must be an integer "
                                                                                 ">= 1 and <= 1024"),
    (MONO + ["experiment.period=0"], "experiment.period must be an integer >= 1"),
    (MONO + ["experiment.period=10000000000"], "experiment.period must be an integer >= 1 and <= 1000000000"),
    (MONO + ["experiment.instance_seed=4294967296"], "experiment.instance_seed must be an integer >= 0 and <= "
                                                     "4294967295"),
    (MONO + ["experiment.exact_up_to=30"], "experiment.exact_up_to must be an integer >= 0 and <= 20"),
    (MONO + ["experiment.scale=1e300"], "experiment.scale must be in (0, 1e+06]"),
    (MONO + ["experiment.curvature=[0.5,nan]"], "experiment.curvature must be finite"),
    (USM + ["experiment.keep=0"], "experiment.keep must be in (0, 1]"),
    (MONO + ["experiment.hyperparameters.ocg.L=100000000000"], "experiment.hyperparameters.ocg.L must be an integer"),
    (MONO + ["+experiment.family_kwargs.items=1000000000"], "experiment.family_kwargs.items must be an integer >= 1 "
                                                            "and <= 10000"),
    (MONO + ["+experiment.family_kwargs.density=5"], "experiment.family_kwargs.density must be in [0, 1]"),
]


@pytest.mark.parametrize("args,message", BAD_RANGES, ids=[" ".join(a) for a, _ in BAD_RANGES])
def test_submodular_range_cases(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------


def test_usm_algorithms_keep_the_contract_on_the_usm_example():
    """The contract (tests/test_contract*.py) on the USM example: seed alone = seed in a batch, finite metrics, and
    a learner's view that holds no array of the environment or the oracle."""
    import test_contract_wide as tcw
    from test_contract import assert_view_hides_the_oracle

    from bandits.core.experiment import build_simulation
    from bandits.submodular.paper import PAPER, example_usm

    problem, hps = example_usm()
    assert_view_hides_the_oracle(problem, "example_usm")
    for name in ["odg"]:  # the paper's USM algorithm (odg_fixed, random_set share its code path or are trivial)
        sim = build_simulation(PAPER, name, problem, hps.get(name, {}))
        full, alone = tcw._run(PAPER, sim, range(3), 16), tcw._run(PAPER, sim, [2], 16)
        for k, v in full.items():
            assert np.all(np.isfinite(v)), (name, k)
            np.testing.assert_array_equal(np.asarray(v)[2], np.asarray(alone[k])[0], err_msg=f"{name} {k}")


SMOKE = {  # preset -> overrides keeping its compile count small
    "rate_T": ["experiment=submodular/rate_T", "experiment.family=coverage", "experiment.algorithms=[ocg,random_base]",
               "experiment.n=8", "experiment.k=2"],
    "rate_T_usm": ["experiment=submodular/rate_T_usm", "experiment.family=er_cut", "experiment.algorithms=[odg]",
                   "experiment.n=8"],
    "first_order": ["experiment=submodular/first_order", "experiment.q=[0.1,1.0]", "experiment.algorithms=[ocg]",
                    "experiment.n=8", "experiment.k=2"],
    "rank": ["experiment=submodular/rank", "experiment.k=[1,2]", "experiment.algorithms=[ocg]", "experiment.n=8"],
    "usm_size": ["experiment=submodular/usm_size", "experiment.n=[4,8]", "experiment.algorithms=[odg]"],
    "curvature": ["experiment=submodular/curvature", "experiment.curvature=[0.0,1.0]",
                  "experiment.algorithms=[ocg]", "experiment.n=8", "experiment.k=2"],
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    return run_presets_and_report(tmp_path_factory.mktemp("submodular"), SMOKE, extra=("runner.max_horizon=400",))


@pytest.mark.slow  # every preset end to end: `make test-slow`
def test_presets_store_the_issue_columns(smoke):
    for name in SMOKE:
        runs = pd.read_parquet(smoke / name / "runs.parquet")
        need = {"alpha", "comparator", "alpha_regret", "regret_vs_best_found", "collected_value", "oracle_calls",
                "comparator_value", "pseudo_alpha_regret", "family", "adversary", "n", "k", "q"}
        assert need <= set(runs.columns), need - set(runs.columns)
        assert not runs.duplicated(["algorithm", "env", "seed"]).any()
        np.testing.assert_allclose(runs.alpha_regret, runs.alpha * runs.comparator_value - runs.collected_value,
                                   atol=1e-3)
        assert runs.comparator.str.startswith(("exact", "best found")).all()
        curves = pd.read_parquet(smoke / name / "curves.parquet")
        assert "alpha_regret" in set(curves["metric"])


@pytest.mark.slow  # every preset end to end: `make test-slow`
def test_report_draws_figures_claims_and_readme(smoke):
    fig, pap = smoke / "fig" / "submodular", smoke / "pap" / "submodular"
    for stem in SMOKE:
        assert (fig / f"{stem}.png").stat().st_size > 5_000, stem
    claims = pd.read_csv(pap / "claims.csv")
    assert list(claims.columns) == ["experiment", "claim", "predicted", "measured", "ci_low", "ci_high", "holds"]
    assert {"E1", "E2", "E3", "E4", "E5"} <= set(claims.experiment)
    readme = (pap / "README.md").read_text()
    assert "{{" not in readme and "submodular/rate_T" in readme and "halfspace" in readme.lower()


def test_family_and_adversary_plugins_run_from_a_preset(cli, tmp_path):
    """examples/sensor_coverage.py registers a family, an adversary and an algorithm; its preset runs them and the
    report sees them as columns and rows (nothing in the suite names them). Cut to the plugins' own problem (the
    preset also pairs the family with the built-in iid adversary) and two algorithms, for compile time."""
    out = cli(["experiment=examples/submodular_plugins", "runner=smoke", "experiment.horizon=200",
               "experiment.algorithms=[ocg,marginal_hedge]", "experiment.adversary=[patrol]", f"hydra.run.dir={tmp_path}/sensor"],
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "sensor" / "runs.parquet")
    assert set(runs.family) == {"sensor_coverage"} and set(runs.adversary) == {"patrol"}
    assert np.all(np.isfinite(runs.alpha_regret))
    hedge = runs[runs.algorithm == "marginal_hedge"]
    assert len(hedge) == 3 and (hedge.oracle_calls == 2 * 20 * 200).all()  # 2n calls a round, counted
    (tmp_path / "elsewhere").mkdir()  # and the report, from another folder (docs/plugins.md)
    rep = cli([str(tmp_path / "sensor")], cwd=tmp_path / "elsewhere", tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    table = (tmp_path / "sensor" / "paper" / "submodular" / "comparison_submodular_plugins.md").read_text()
    assert "### sensor_coverage patrol" in table and "| marginal Hedge (plugin) | alpha_regret |" in table
