"""End to end through the real console scripts: presets, launchers, report, bad input."""
import json
from pathlib import Path

import pandas as pd
import pytest

PRESETS = ["ata/table1", "ata/table2", "ata/figure1", "ata/figure2", "ata/figure3"]
SMOKE_N = [17]  # the presets' worker counts cut to one (each (algorithm, n) compiles once); figure3 keeps its n
# (a job running several n in turn: ``test_python_module_entry_point``)


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory):
    """Every preset with runner=smoke: the four that sweep n as one joblib multirun (jobs in parallel processes;
    table1 and table2 first, whose programs figure1 and figure2 find in the compilation cache: the law's scale is a
    constant of the program) with n cut to ``SMOKE_N``, then figure3 as it is, into the same directory tree."""
    from conftest import run_cli

    cwd = tmp_path_factory.mktemp("cli")
    swept = [p for p in PRESETS if p != "ata/figure3"]
    out = run_cli(["-m", f"experiment={','.join(swept)}", "runner=smoke", "hydra/launcher=joblib",
                   "hydra.launcher.n_jobs=2", f"experiment.env.n=[{','.join(map(str, SMOKE_N))}]",
                   f"hydra.sweep.dir={cwd}/multirun"], cwd=cwd)
    assert out.returncode == 0, out.stderr[-4000:]
    out = run_cli(["experiment=ata/figure3", "runner=smoke", f"hydra.run.dir={cwd}/multirun/figure3"], cwd=cwd)
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
        assert "--xla_cpu_experimental_ynn_fusion_type=-reduce" in meta["environment"]["xla_flags"]
        assert meta["git_revision"] and meta["wall_time_s"] > 0 and meta["config"]["runner"]["max_horizon"] == 2000
        assert 50 < meta["peak_rss_mb"] < 24 * 1024  # a JAX process holds more than 50 MB, and fits the machine
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
    assert sorted(t1.n.unique()) == SMOKE_N
    # OFTA's ratios are expectations of the clock model: right even at the smoke horizon (Table 1, n = 17: 1.26)
    ofta = t1[(t1.algorithm == "ofta") & (t1.metric == "worker_time_ratio")].set_index("n")
    assert abs(ofta.loc[17, "ours_mean"] / 1.26 - 1) < 0.05
    assert ofta.loc[17, "paper"] == 1.26


def test_submitit_local_launcher(cli, tmp_path):
    out = cli(["-m", "experiment=ata/figure3", "runner=smoke", "experiment.env.n=4,6", "hydra/launcher=submitit_local",
               "hydra.launcher.timeout_min=10", f"hydra.sweep.dir={tmp_path}/mr"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-4000:]
    metas = sorted((tmp_path / "mr").rglob("meta.json"))
    assert len(metas) == 2
    ns = sorted(pd.read_parquet(m.parent / "runs.parquet")["n"].iloc[0] for m in metas)
    assert ns == [4, 6]


def test_python_module_entry_point(tmp_path):
    """``python -m experiments.run``, with one job running two worker counts in turn (the shapes of the submitit
    test's jobs, so their programs are shared through the compilation cache)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "experiments.run", "experiment=ata/figure3", "runner=smoke",
                          "experiment.seeds=2", "experiment.env.n=[4,6]", f"hydra.run.dir={tmp_path}/run"],
                         cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "run" / "runs.parquet")
    assert runs.groupby("n")["seed"].nunique().to_dict() == {4: 2, 6: 2}


@pytest.mark.parametrize("args,message", [
    (["experiment=ata/table9"], "valid choices: ata/figure1"),
    (["experiment=ata/figure3", "experiment.seeds=0"], "seeds must be an integer >= 1"),
], ids=["unknown preset", "zero seeds"])
def test_bad_input_through_the_console_script(cli, tmp_path, args, message):
    """The catalogue lives in test_bad_input.py (in-process); here the installed script itself."""
    out = cli(args + ["runner=smoke", f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path, timeout=300)
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], out.stderr[-2000:]
    assert not any(tmp_path.iterdir())


def test_add_your_algorithm_plugin_and_comparison_table(cli, tmp_path):
    """The guide's path: one plugin file + one preset, then a comparison table with a paired test."""
    out = cli(["experiment=examples/etc_vs_ata", "runner=smoke", f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "run" / "runs.parquet")
    assert "explore_then_commit" in set(runs.algorithm)
    rep = cli([str(tmp_path / "run"), "--reference", "ata"], cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    # the report goes next to the results by default: the repository's paper/ and figures/ are untouched
    table = (tmp_path / "run" / "paper" / "ata" / "comparison_etc_vs_ata.md").read_text()
    assert "| ETC | runtime |" in table and "paired p" in table
    bad = cli([str(tmp_path / "run"), "--reference", "atta"], cwd=tmp_path, tool="bandits-bench-report")
    assert bad.returncode == 2 and "valid choices: ata, ata_empirical" in bad.stderr


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


def test_report_defaults_never_touch_the_repository(cli, tmp_path):
    """The README's guide (report of a smoke run, no --figures/--paper) leaves tracked files untouched."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    before = subprocess.run(["git", "status", "--porcelain", "paper", "figures"], cwd=root, capture_output=True,
                            text=True).stdout
    out = cli(["experiment=ata/figure3", "runner=smoke", f"hydra.run.dir={tmp_path}/r"], cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    rep = cli([str(tmp_path / "r")], cwd=root, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-2000:]
    after = subprocess.run(["git", "status", "--porcelain", "paper", "figures"], cwd=root, capture_output=True,
                           text=True).stdout
    assert before == after
    assert (tmp_path / "r" / "figures" / "ata" / "figure3.png").exists()
    assert (tmp_path / "r" / "paper" / "ata" / "README.md").exists()
    meta = json.loads((tmp_path / "r" / "meta.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert meta["experiment"]["paper"] == "ata"
    for f in ("runs.parquet", "curves.parquet", "meta.json"):
        assert (tmp_path / "r" / f).stat().st_mode & 0o044 == 0o044, f  # readable by others


BOOM = '''
"""A plugin with a run-time bug when ``fail`` is set (for the sweep-failure test)."""
from bandits.allocation.algorithms import ALGORITHMS, policy_algorithm
from bandits.allocation.uta import uta


def boom(budget, fail: bool = False):
    policy = uta(budget)
    if not fail:
        return policy

    def select(state, word, t, known):
        raise RuntimeError("boom at trace time")

    return policy._replace(select=select)


if "boom" not in ALGORITHMS:
    ALGORITHMS.add("boom", policy_algorithm(boom))
'''


def test_sweep_with_a_failing_job_keeps_the_others_and_resumes(cli, tmp_path):
    (tmp_path / "boomplugin.py").write_text(BOOM)
    sweep = ["-m", "experiment=ata/figure3", "runner=smoke", "+experiment.plugins=[boomplugin]",
             "experiment.algorithms=[boom]", "+experiment.hyperparameters.boom.fail=false,true",
             f"hydra.sweep.dir={tmp_path}/sw"]
    out = cli(sweep, cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-3000:]
    assert (tmp_path / "sw" / "0" / "meta.json").exists() and not (tmp_path / "sw" / "1" / "meta.json").exists()
    summary = out.stderr[out.stderr.index("job(s) failed"):]
    assert "1 job(s) failed" in out.stderr and "RuntimeError: boom at trace time" in summary
    assert str(tmp_path / "sw" / "1") in summary
    # the same sweep again without resume: refused before anything runs (results are there)
    again = cli(sweep, cwd=tmp_path)
    assert again.returncode == 2 and "already holds results" in again.stderr and "runner.resume=true" in again.stderr
    # with resume, only the unfinished job runs (still failing: its bug is real); job 0 is skipped
    stamp = (tmp_path / "sw" / "0" / "meta.json").stat().st_mtime_ns
    resumed = cli(sweep + ["runner.resume=true"], cwd=tmp_path)
    assert resumed.returncode == 1 and "skipped (complete results with the same config)" in resumed.stderr
    assert (tmp_path / "sw" / "0" / "meta.json").stat().st_mtime_ns == stamp


def test_killed_sweep_resumes_where_it_stopped(tmp_path):
    """Kill a sweep after its first job finished; resuming skips that job and runs the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import BIN

    exe = str(BIN / "bandits-bench") if (BIN / "bandits-bench").exists() else None
    args = ["-m", "experiment=ata/figure3", "runner=smoke", "experiment.algorithms=[uta]",
            "experiment.env.n=4,5,6", "runner.max_horizon=30000", f"hydra.sweep.dir={tmp_path}/sw"]
    cmd = ([exe] if exe else [sys.executable, "-m", "experiments.run"]) + args
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 300
    while not (tmp_path / "sw" / "0" / "meta.json").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(p.parent.name for p in (tmp_path / "sw").rglob("meta.json"))
    assert "0" in done and len(done) < 3, done
    stamp = (tmp_path / "sw" / "0" / "meta.json").stat().st_mtime_ns
    out = subprocess.run(cmd + ["runner.resume=true"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert sorted(p.parent.name for p in (tmp_path / "sw").rglob("meta.json")) == ["0", "1", "2"]
    assert (tmp_path / "sw" / "0" / "meta.json").stat().st_mtime_ns == stamp
    assert "skipped" in out.stderr


def test_second_run_into_a_live_run_directory_is_refused(cli, tmp_path):
    import os
    import socket

    run = tmp_path / "run"
    run.mkdir()
    (run / ".bandits-run.lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    out = cli(["experiment=ata/figure3", "runner=smoke", f"hydra.run.dir={run}"], cwd=tmp_path)
    assert out.returncode == 2 and "in use by a live run" in out.stderr
    assert sorted(p.name for p in run.iterdir()) == [".bandits-run.lock"]


def test_hyperparameter_sweep_is_reported_as_two_groups_and_corrupt_dirs_are_skipped(cli, tmp_path):
    out = cli(["-m", "experiment=ata/figure3", "runner=smoke", "experiment.algorithms=[ata]",
               "experiment.hyperparameters.ata.alpha_factor=1.0,0.05", f"hydra.sweep.dir={tmp_path}/sw"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.concat(pd.read_parquet(p) for p in (tmp_path / "sw").rglob("runs.parquet"))
    assert set(runs.hyperparameters) == {'{"alpha_factor": 1.0}', '{"alpha_factor": 0.05}'}
    assert {"base_seed", "rng", "x64", "chunk", "n", "B", "law", "base", "power"} <= set(runs.columns)
    # a corrupt copy: truncated curves
    import shutil

    shutil.copytree(tmp_path / "sw" / "0", tmp_path / "sw" / "broken")
    (tmp_path / "sw" / "broken" / "curves.parquet").write_bytes(b"PAR1")
    rep = cli([str(tmp_path / "sw")], cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    assert "warning: skipping" in rep.stderr and "broken" in rep.stderr
    table = (tmp_path / "sw" / "paper" / "ata" / "comparison_figure3.md").read_text()
    assert "| ATA (alpha_factor=1.0) | proxy_regret |" in table and "| ATA (alpha_factor=0.05) | proxy_regret |" in table


def test_stopping_time_preset_runs_and_reports(cli, tmp_path):
    out = cli(["experiment=examples/gaussian_bai", "runner=smoke", "runner.max_seeds=50",
               f"hydra.run.dir={tmp_path}/bai"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = pd.read_parquet(tmp_path / "bai" / "runs.parquet")
    assert {"tau", "censored", "correct", "delta", "cap"} <= set(runs.columns)
    assert len(runs) == 2 * 3 * 50 and not (tmp_path / "bai" / "curves.parquet").exists()
    assert (runs.tau >= 2).all() and (runs.tau <= runs.cap).all()
    rep = cli([str(tmp_path / "bai")], cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "bai" / "paper" / "toy_bai" / "summary.csv")
    assert set(summary.delta) == {0.1, 0.01, 0.001} and (summary.T_star == 32).all()
    assert (tmp_path / "bai" / "figures" / "toy_bai" / "stopping_times.png").exists()


def test_per_algorithm_batch_size_runs_that_algorithm_at_its_width_with_the_same_results(monkeypatch):
    """``runner.batch_sizes``: the named algorithm's jobs run at their own batch size, the others at
    ``runner.batch_size``; every seed's result is the same as with one batch size for all."""
    import bandits.core.experiment as experiment
    from experiments.run import plan_preset

    base = ["experiment=examples/gaussian_bai", "runner=smoke", "runner.max_seeds=40", "experiment.delta=[0.1]",
            "runner.progress=false", "runner.batch_size=1000"]
    widths, run = [], experiment.run_until_stopped

    def spy(sim, seeds, cfg):
        widths.append(cfg.batch_size)
        return run(sim, seeds, cfg)

    monkeypatch.setattr(experiment, "run_until_stopped", spy)
    frames = []
    for extra in ([], ["++runner.batch_sizes={track_and_stop:16}"]):
        widths.clear()
        *_, plan = plan_preset(base[0].split("=", 1)[1], base[1:] + extra, warn=lambda msg: None)
        assert [name for _, name, _, _ in plan.jobs] == ["track_and_stop", "uniform"]
        frames.append(experiment.run_experiment(plan, log=lambda msg: None)[0])
        assert widths == ([1000, 1000] if not extra else [16, 1000])
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_plugin_with_a_bug_is_reported_as_the_plugins_error(cli, tmp_path):
    (tmp_path / "buggy.py").write_text("import math\nx = math.sqrt(-1)\n")
    out = cli(["experiment=ata/figure3", "runner=smoke", "+experiment.plugins=[buggy]",
               f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path)
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "plugin 'buggy' failed to import: ValueError: math domain error" in errors[0]
    assert "buggy.py:2" in errors[0] and not (tmp_path / "run").exists()


def test_x64_no_means_false_and_is_recorded(cli, tmp_path):
    out = cli(["experiment=ata/figure3", "runner=smoke", "runner.x64=no", f"hydra.run.dir={tmp_path}/r"],
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert pd.read_parquet(tmp_path / "r" / "runs.parquet")["x64"].eq(False).all()
    assert json.loads((tmp_path / "r" / "meta.json").read_text())["environment"]["x64"] is False


def test_user_presets_from_config_dir(cli, tmp_path):
    """--config-dir: a user's own preset outside the repository, on top of the suite's."""
    (tmp_path / "myconf" / "experiment" / "mine").mkdir(parents=True)
    (tmp_path / "myconf" / "experiment" / "mine" / "small.yaml").write_text(
        "defaults: [/experiment/ata/_base@_here_, _self_]\nname: mine/small\nalgorithms: [uta]\n"
        "env: {power: 0.5, n: 5}\nhorizon: 500\nseeds: 2\n")
    out = cli(["--config-dir", str(tmp_path / "myconf"), "experiment=mine/small", f"hydra.run.dir={tmp_path}/r"],
              cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Unable to initialize backend" not in out.stderr
    assert pd.read_parquet(tmp_path / "r" / "runs.parquet")["seed"].nunique() == 2
