"""End to end through the real console scripts: presets, launchers, report, bad input."""
import json
from pathlib import Path

import pandas as pd
import pytest

PRESETS = ["ata/table1", "ata/table2", "ata/figure1", "ata/figure2", "ata/figure3"]


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory):
    """Every preset with runner=smoke, as one joblib multirun (jobs in parallel processes)."""
    from conftest import run_cli

    cwd = tmp_path_factory.mktemp("cli")
    out = run_cli(["-m", f"experiment={','.join(PRESETS)}", "runner=smoke", "hydra/launcher=joblib",
                   "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={cwd}/multirun"], cwd=cwd)
    assert out.returncode == 0, out.stderr[-4000:]
    return cwd


def test_every_preset_runs_and_stores_tidy_results(smoke_results):
    dirs = sorted(p.parent for p in (smoke_results / "multirun").rglob("meta.json"))
    assert len(dirs) == len(PRESETS)
    names = set()
    for d in dirs:
        meta = json.loads((d / "meta.json").read_text())
        names.add(meta["experiment"]["name"])
        for key in ("jax", "jaxlib", "numpy", "python", "backend", "devices", "x64"):
            assert key in meta["environment"]
        assert meta["git_revision"] and meta["wall_time_s"] > 0 and meta["config"]["runner"]["max_horizon"] == 2000
        runs = pd.read_parquet(d / "runs.parquet")
        curves = pd.read_parquet(d / "curves.parquet")
        assert {"algorithm", "env", "seed"} <= set(runs.columns)
        assert ["algorithm", "env", "seed", "t", "metric", "value"] == list(curves.columns[:6])
        assert set(runs["algorithm"]) == set(meta["config"]["experiment"]["algorithms"])
        assert runs["seed"].nunique() == 3 and curves["t"].max() == 2000
        # one row per algorithm x env x seed
        assert not runs.duplicated(["algorithm", "env", "seed"]).any()
        # log-spaced checkpoints, not every round
        assert curves["t"].nunique() <= 20
    assert names == set(PRESETS)


def test_report_draws_every_figure_and_table(smoke_results, cli, tmp_path):
    out = cli([str(smoke_results / "multirun"), "--figures", str(tmp_path / "fig"), "--paper", str(tmp_path / "pap")],
              cwd=smoke_results, tool="bandits-bench-report")
    assert out.returncode == 0, out.stderr[-3000:]
    for f in ["figure1.png", "figure2.png", "figure3.png"]:
        assert (tmp_path / "fig" / "ata" / f).stat().st_size > 10_000
    for t in ["table1", "table2"]:
        for ext in ("md", "tex", "csv"):
            assert (tmp_path / "pap" / "ata" / f"{t}.{ext}").exists()
        csv = pd.read_csv(tmp_path / "pap" / "ata" / f"{t}.csv")
        assert list(csv.columns) == ["n", "algorithm", "metric", "ours_mean", "ours_ci_low", "ours_ci_high", "paper"]
        assert set(csv.metric) == {"worker_time_ratio", "runtime_ratio"}
        assert set(csv.algorithm) == {"ata", "ata_empirical", "ofta"}
        assert (csv.ours_ci_low <= csv.ours_mean).all() and (csv.ours_mean <= csv.ours_ci_high).all()
        assert csv.paper.notna().all()
    tex = (tmp_path / "pap" / "ata" / "table1.tex").read_text()
    assert r"\toprule" in tex and r"\bottomrule" in tex
    t1 = pd.read_csv(tmp_path / "pap" / "ata" / "table1.csv")
    assert sorted(t1.n.unique()) == [17, 51, 153, 459]
    # OFTA's ratios are expectations of the clock model: right even at the smoke horizon
    ofta = t1[(t1.algorithm == "ofta") & (t1.metric == "worker_time_ratio")].set_index("n")
    assert abs(ofta.loc[459, "ours_mean"] / 27.3 - 1) < 0.05


def test_submitit_local_launcher(cli, tmp_path):
    out = cli(["-m", "experiment=ata/figure3", "runner=smoke", "experiment.env.n=4,6", "hydra/launcher=submitit_local",
               "hydra.launcher.timeout_min=10", f"hydra.sweep.dir={tmp_path}/mr"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-4000:]
    metas = sorted((tmp_path / "mr").rglob("meta.json"))
    assert len(metas) == 2
    ns = sorted(pd.read_parquet(m.parent / "runs.parquet")["n"].iloc[0] for m in metas)
    assert ns == [4, 6]


def test_python_module_entry_point(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "experiments.run", "experiment=ata/figure3", "runner=smoke",
                          "experiment.seeds=2", f"hydra.run.dir={tmp_path}/run"], cwd=Path(__file__).parent.parent,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert pd.read_parquet(tmp_path / "run" / "runs.parquet")["seed"].nunique() == 2


BAD = [
    (["experiment=ata/table9"], "valid choices: ata/figure1"),
    (["experiment=ata/figure3", "experiment.algorithms=[ata,foo]"], "valid choices: ata, ata_empirical"),
    (["experiment=ata/figure3", "experiment.env.law=weibull"], "valid choices: exponential, gamma"),
    (["experiment=ata/figure3", "hydra/launcher=ray"], "valid choices: basic, joblib"),
    (["experiment=ata/figure3", "runner=fast"], "valid choices: default, smoke"),
    (["experiment=ata/figure3", "experiment.env.budget=0"], "budget B must be"),
    (["experiment=ata/figure3", "experiment.env.n=0"], "number of workers n must be"),
    (["experiment=ata/figure3", "experiment.env.base=-1"], "time scale base must be > 0"),
    (["experiment=ata/figure3", "experiment.hyperparameters.ata.alpha_factor=0"], "alpha_factor > 0"),
    (["experiment=ata/figure3", "experiment.hyperparameters.ata_empirical.eta=-0.5"], "eta >= 0"),
    (["experiment=ata/figure3", "experiment.seeds=0"], "number of seeds must be >= 1"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[1:]) or a[0] for a, _ in BAD])
def test_bad_input_fails_with_one_line_and_writes_nothing(cli, tmp_path, args, message):
    out = cli(args + ["runner=smoke", f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path, timeout=300)
    assert out.returncode != 0
    errors = [l for l in out.stderr.splitlines() if "error:" in l]
    assert len(errors) == 1 and message in errors[0], out.stderr[-2000:]
    assert not list(tmp_path.rglob("*.parquet")) and not list(tmp_path.rglob("meta.json"))


def test_add_your_algorithm_plugin_and_comparison_table(cli, tmp_path):
    """The guide's path: one plugin file + one preset, then a comparison table with a paired test."""
    out = cli(["experiment=examples/etc_vs_ata", "runner=smoke", f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "run" / "runs.parquet")
    assert "explore_then_commit" in set(runs.algorithm)
    rep = cli([str(tmp_path / "run"), "--figures", str(tmp_path / "f"), "--paper", str(tmp_path / "p")],
              cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    table = (tmp_path / "p" / "ata" / "comparison_etc_vs_ata.md").read_text()
    assert "| explore_then_commit | runtime |" in table and "paired p" in table


def test_slurm_launcher_config_composes(cli, tmp_path):
    """The cluster path: configs/hydra/launcher/slurm.yaml extends hydra-submitit-launcher's Slurm launcher."""
    out = cli(["experiment=ata/figure1", "hydra/launcher=slurm", "hydra.launcher.partition=gpu", "--cfg", "hydra",
               "-p", "hydra.launcher"], cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SlurmLauncher" in out.stdout and "partition: gpu" in out.stdout and "cpus_per_task: 4" in out.stdout


@pytest.mark.parametrize("where", ["results", "."])
def test_bad_run_never_deletes_user_files(cli, tmp_path, where):
    """A validation error into a directory with the user's files (or the working directory) removes nothing of theirs."""
    (tmp_path / "results" / "ata").mkdir(parents=True)
    (tmp_path / "results" / "ata" / "stored.txt").write_text("28-minute reproduction")
    (tmp_path / "notes.txt").write_text("mine")
    out = cli(["experiment=ata/figure3", "experiment.seeds=0", f"hydra.run.dir={where}"], cwd=tmp_path, timeout=300)
    assert out.returncode == 2
    assert (tmp_path / "results" / "ata" / "stored.txt").read_text() == "28-minute reproduction"
    assert (tmp_path / "notes.txt").read_text() == "mine"
