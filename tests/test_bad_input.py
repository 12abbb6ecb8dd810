"""A catalogue of bad inputs: each fails before anything runs, with one line naming the problem
(and the valid choices where there are some), exit status 2, and nothing written.

Run in-process through the real entry point (``experiments.run.main``): every check happens in the
precheck, before Hydra creates a directory.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from conftest import check_bad_input

from experiments.run import main

ATA = ["experiment=ata/figure3"]
BAI = ["experiment=examples/gaussian_bai"]
BAD = [
    (["experiment=ata/table9"], "valid choices: ata/figure1"),
    (ATA + ["experiment.algorithms=[ata,foo]"], "valid choices: ata, ata_empirical"),
    (ATA + ["experiment.algorithms=[]"], "lists no algorithms"),
    (ATA + ["experiment.env.law=weibull"], "valid choices: exponential, gamma"),
    (ATA + ["hydra/launcher=ray"], "valid choices: basic, joblib"),
    (ATA + ["runner=fast"], "valid choices: default, smoke"),
    (ATA + ["experiment.env.budget=0"], "budget B) must be an integer >= 1"),
    (ATA + ["experiment.env.n=0"], "experiment.env.n must be an integer >= 1"),
    (ATA + ["experiment.env.n=true"], "experiment.env.n must be an integer, got True"),
    (ATA + ["experiment.env.n=[17,abc]"], "experiment.env.n must be an integer"),
    (ATA + ["experiment.env.base=-1"], "base) must be in (0, 1e+06]"),
    (ATA + ["experiment.env.base=inf"], "base) must be finite"),
    (ATA + ["experiment.env.power=nan"], "experiment.env.power must be finite"),
    (ATA + ["experiment.env.law=gamma", "+experiment.env.law_kwargs.shape=-1"], "bad experiment.env.law_kwargs"),
    (ATA + ["experiment.hyperparameters.ata.alpha_factor=0"], "alpha_factor > 0"),
    (ATA + ["experiment.hyperparameters.ata.alpha_factor=inf"], "alpha_factor must be finite"),
    (ATA + ["experiment.hyperparameters.ata_empirical.eta=-0.5"], "eta >= 0"),
    (ATA + ["+experiment.hyperparameters.ata.foo=1"], "unknown hyperparameter(s) 'foo' for algorithm 'ata'; valid"),
    (ATA + ["+experiment.hyperparameters.nope.x=1"], "hyperparameters given for unknown algorithm 'nope'"),
    (ATA + ["experiment.seeds=0"], "experiment.seeds must be an integer >= 1"),
    (ATA + ["experiment.seeds=2.7"], "experiment.seeds: Value '2.7' of type 'float' could not be converted"),
    (ATA + ["experiment.seeds=abc"], "experiment.seeds: Value 'abc'"),
    (ATA + ["experiment.horizon=0"], "experiment.horizon must be an integer >= 1"),
    (ATA + ["experiment.horizon=inf"], "experiment.horizon: Value 'inf'"),
    (ATA + ["experiment.checkpoints=0"], "experiment.checkpoints must be an integer >= 1"),
    (ATA + ["+experiment.horizn=10"], "unknown key experiment.horizn; valid keys: name"),
    (ATA + ["~experiment.env"], "missing value for experiment.env"),
    (ATA + ["experiment.sgd_mode=sometimes"], "valid choices: once, inside"),
    (ATA + ["experiment.sgd_problem.lr=-1"], "experiment.sgd_problem.lr must be in (0, 2)"),
    (ATA + ["+experiment.plugins=[no_such_module]"], "cannot import plugin 'no_such_module'"),
    (ATA + ["experiment.plugins=[x]"], "Could not override 'experiment.plugins'. To append to your config use +"),
    (ATA + ["experiment.seeds=10000000", "experiment.horizon=10"], "lower experiment.seeds"),
    (ATA + ["runner.x64=maybe"], "runner.x64: Value 'maybe' is not a valid bool"),
    (ATA + ["runner.rng=mt19937"], "valid choices: hash32, threefry"),
    (ATA + ["runner.chunk=0"], "runner.chunk must be an integer >= 1"),
    (ATA + ["runner.batch_size=-3"], "runner.batch_size must be an integer >= 1"),
    (ATA + ["+runner.foo=1"], "unknown key runner.foo"),
    (ATA + ["++runner.batch_sizes={nope:16}"], "runner.batch_sizes given for unknown algorithm 'nope'; valid "
                                             "choices: ata"),
    (ATA + ["+runner.batch_sizes.ata=0"], "runner.batch_sizes.ata must be an integer >= 1"),
    (ATA + ["+runner.batch_sizes.ata=abc"], "runner.batch_sizes.ata: Value 'abc'"),
    (ATA + ["runner.compilation_cache=3"], "runner.compilation_cache must be true (the user's cache directory), "
                                           "false (off) or a directory, got 3"),
    (ATA + [f"runner.compilation_cache={Path(__file__).resolve()}"], "is a file, not a directory"),
    (BAI + ["experiment.delta=[1.5]"], "experiment.delta must be in (0, 1)"),
    (BAI + ["experiment.means=[1.0]"], "at least 2 arms"),
    (BAI + ["experiment.sigma=0"], "experiment.sigma must be > 0"),
    (BAI + ["experiment.algorithms=[track_and_stop,lucb]"], "valid choices: track_and_stop, uniform"),
]

# ---------------------------------------------------------------- M-LCB readings and Lipschitz constants (issue 31)
MLCB = ["experiment=mlcb/figure2"]
BAD += [
    (MLCB + ["experiment.hyperparameters.mflcb.reading=C"],
     "algorithm 'mflcb': unknown reading 'C'; valid choices: A (beta only: c_R = 1), B (the whole width: c_R = c)"),
    (MLCB + ["experiment.hyperparameters.mflcb.reading=null"], "unknown reading None; valid choices: A (beta only"),
    (["experiment=mlcb/figure2_reading_a", "experiment.hyperparameters.mflcb.reading=b"],
     "unknown reading 'b'; valid choices: A"),
    (MLCB + ["+experiment.hyperparameters.mflcb.c_R=1"],
     "unknown hyperparameter(s) 'c_R' for algorithm 'mflcb'; valid choices: reading, c, delta"),
    (MLCB + ["experiment.glm.lipschitz=each"],
     "unknown experiment.glm.lipschitz 'each'; valid choices: common, per_link"),
    (MLCB + ["experiment.glm.G=0"], "experiment.glm.G (the common Lipschitz constant) must be > 0, got 0.0"),
    (["experiment=mlcb/figure2_per_link_G", "experiment.glm.G=-1.5"], "experiment.glm.G (the common Lipschitz "
                                                                      "constant) must be > 0, got -1.5"),
    (MLCB + ["experiment.glm.G=inf"], "experiment.glm.G must be finite"),
    (MLCB + ["experiment.glm.G=abc"], "experiment.glm.G: Value 'abc'"),
]
# ---------------------------------------------------------------- end of the M-LCB block
# ---- issue 32 (round two) begin: every numeric key has a range that fits memory and its integer type --------------
# Each case failed with a traceback or ran silently wrong before. The ranges are declared on the schemas
# (bandits.core.ranges.ranged); a key that declares none gets its type's range (BAI's means below: the example
# plugin declares nothing).
BAD += [
    (ATA + ["experiment.seeds=1000000000000"], "experiment.seeds must be an integer >= 1 and <= 2147483647"),
    (ATA + ["experiment.seeds=-1"], "experiment.seeds must be an integer >= 1"),
    (ATA + ["experiment.horizon=1000000000000000"], "experiment.horizon must be an integer >= 1 and <= 1000000000 "
                                                    "(round counters are 32-bit integers)"),
    (ATA + ["experiment.checkpoints=1000000000"], "experiment.checkpoints must be an integer >= 1 and <= 1000000"),
    (ATA + ["experiment.env.n=100000000"], "experiment.env.n must be an integer >= 1 and <= 1000000"),
    (ATA + ["experiment.env.n=[17,100000000]"], "experiment.env.n must be an integer >= 1 and <= 1000000"),
    (ATA + ["experiment.env.budget=10000000000"], "experiment.env.budget (budget B) must be an integer >= 1 and <= "
                                                  "1000000"),
    (ATA + ["experiment.env.power=1000000"], "experiment.env.power must be in [-10, 10]"),
    (ATA + ["experiment.env.power=5"], "the mean task times E[X_i] (Exp(mean theta), c_i = 2 * i^5, n = 20) span "
                                       "[2, 6.4e+06]; they must lie in [1e-06, 1e+06]"),
    (ATA + ["experiment.env.base=1e-300"], "they must lie in [1e-06, 1e+06]"),
    (ATA + ["experiment.env.base=1e300"], "experiment.env.base (time scale base) must be in (0, 1e+06]"),
    (ATA + ["experiment.env.law=lognormal", "+experiment.env.law_kwargs.sigma=1000"], "lognormal sigma must be in "
                                                                                      "(0, 3]"),
    (ATA + ["experiment.env.law=gamma", "+experiment.env.law_kwargs.shape=1e9"], "gamma shape must be in [0.1, "
                                                                                 "10000]"),
    (ATA + ["experiment.env.law=gamma", "+experiment.env.law_kwargs.shape=1e300"], "experiment.env.law_kwargs.shape "
                                                                                   "must be in [-1e+12, 1e+12]"),
    (ATA + ["experiment.sgd_problem.dim=1000000"], "experiment.sgd_problem.dim must be an integer >= 2 and <= 1024"),
    (ATA + ["experiment.sgd_problem.lr=5"], "experiment.sgd_problem.lr must be in (0, 2)"),
    (ATA + ["experiment.hyperparameters.ata.alpha_factor=1e300"], "experiment.hyperparameters.ata.alpha_factor must "
                                                                  "be in [-1e+12, 1e+12]"),
    (ATA + ["+experimnt.seeds=3"], "unknown key experimnt.seeds; valid top-level keys: experiment, runner"),
    (ATA + ["+foo=1"], "unknown key foo; valid top-level keys: experiment, runner"),
    (ATA + ["runner.base_seed=18446744073709551616"], "runner.base_seed must be an integer >= 0 and <= 4294967295"),
    (ATA + ["runner.base_seed=4294967296"], "runner.base_seed must be an integer >= 0 and <= 4294967295"),
    (ATA + ["runner.base_seed=-1"], "runner.base_seed must be an integer >= 0"),
    (ATA + ["runner.stopping_chunk=0"], "runner.stopping_chunk must be an integer >= 1"),
    (BAI + ["runner.stopping_chunk=0"], "runner.stopping_chunk must be an integer >= 1"),
    (ATA + ["runner.chunk=1099511627776"], "runner.chunk must be an integer >= 1 and <= 1048576"),
    (ATA + ["runner.batch_size=1000000000000"], "runner.batch_size must be an integer >= 1 and <= 1048576"),
    (ATA + ["+runner.batch_sizes.ata=1000000000000"], "runner.batch_sizes.ata must be an integer >= 1 and <= "
                                                      "1048576"),
    (ATA + ["runner.max_seeds=0"], "runner.max_seeds must be an integer >= 1"),
    (ATA + ["runner.max_horizon=0"], "runner.max_horizon must be an integer >= 1"),
    (ATA + ["runner.checkpoints=0"], "runner.checkpoints must be an integer >= 1"),
    (ATA + ["runner.max_horizon=10000000000000"], "runner.max_horizon must be an integer >= 1 and <= 1000000000"),
    (BAI + ["experiment.means=[1e300,0.0]"], "experiment.means must be in [-1e+12, 1e+12]"),
    (BAI + ["experiment.horizon=10000000000"], "experiment.horizon must be an integer >= 1 and <= 1000000000"),
    (["-m"] + ATA + ["hydra/launcher=joblib", "hydra.launcher.n_jobs=0"], "hydra.launcher.n_jobs must be an integer "
                                                                        ">= 1 and <= "),
    (["-m"] + ATA + ["hydra/launcher=joblib", "hydra.launcher.n_jobs=100000"], "hydra.launcher.n_jobs must be an "
                                                                             "integer >= 1 and <= "),
    (["-m"] + ATA + ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=0"], "hydra.launcher.timeout_min "
                                                                                     "must be an integer >= 1"),
    (ATA + ["experiment.env.n=[]"], "the experiment expands to no problem: a sweep axis of it is an empty list"),
]
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


def catalogue() -> dict:
    """Every bad-input case of the catalogue (this file and the papers' CLI tests), by paper (the report's
    apart): the lists of (arguments, message) cases, and the cases written as tests of their own."""
    import test_lats_cli
    import test_mlcb_cli
    import test_submodular_cli

    cases = BAD + BAD_ARGV + [(a, m) for a, _, m in USERS_FILES] + [(a, m) for _, _, a, m in PLUGIN_ACTIONS]
    cases += test_lats_cli.BAD + test_lats_cli.BAD_RANGES + test_mlcb_cli.BAD + test_mlcb_cli.BAD_RANGES
    cases += test_submodular_cli.BAD + test_submodular_cli.BAD_RANGES
    by = {}
    for args, _ in cases:
        preset = next((a.split("=", 1)[1] for a in args if a.startswith("experiment=")), "")
        by.setdefault(preset.split("/")[0] or "(command line)", []).append(args)
    by["report"] = [a for a, _ in REPORT_BAD]
    # one test each: the memory check, a resume of damaged results, Ctrl-C of a run and of a sweep, kill -9 of
    # a sweep's main process (ATA presets), LATS's invalid arm, the runner's own invalid-action tests
    by["ata"] += [["memory"], ["resume"], ["ctrl-c run"], ["ctrl-c sweep"], ["kill -9"]]
    by["lats"] += [["invalid arm"]]
    return by


def test_catalogue_is_large_enough():
    """Issue 32: at least 60 cases across the four papers and the report, each of them with cases of its own."""
    by = catalogue()
    assert sum(map(len, by.values())) >= 60
    assert all(len(by[k]) >= 5 for k in ("ata", "mlcb", "lats", "submodular", "report")), \
        {k: len(v) for k, v in by.items()}


def test_the_memory_check_counts_a_batch_in_flight(tmp_path, monkeypatch, capsys):
    """experiment.env.n=10^8 ran out of XLA memory after 21 s: the check counted the stored frames only. It now
    counts a batch in flight too (carries, a chunk's draws, curves: from shapes, nothing runs). A million
    workers fit the range; a thousand seeds of them in one batch do not fit 8 GiB."""
    monkeypatch.setattr("bandits.core.experiment.available_memory", lambda: 8 * 2**30)
    check_bad_input(ATA + ["experiment.env.n=1000000", "experiment.env.power=0", "experiment.seeds=1000"],
                    "GiB of memory (8.0 GiB here); lower runner.batch_size", tmp_path, monkeypatch, capsys)


def test_unwritable_output_directory_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("not a directory")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["experiment=ata/figure3", "runner=smoke", f"hydra.run.dir={tmp_path}/afile/run"])
    assert exit_.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "is not a directory" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_every_job_of_a_sweep_is_checked_before_any_runs(tmp_path, monkeypatch, capsys):
    """Job 1 of 2 is bad: the sweep is refused as a whole, job 0 never runs, nothing is written."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["-m", "experiment=ata/figure3", "runner=smoke", "experiment.env.n=5,0",
              f"hydra.sweep.dir={tmp_path}/sweep"])
    assert exit_.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "experiment.env.n must be an integer >= 1 and <= 1000000" in errors[0]
    assert not any(tmp_path.iterdir())


# ---- issue 32 (round two) begin: nothing lost, nothing silently wrong ------------------------------------------------
def check_refused(args, message, tmp_path, monkeypatch, capsys, mine: dict):
    """Run on ``args`` where the user's files ``mine`` (relative path -> content) lie: exit 2, one error line
    containing ``message``, their files unchanged and nothing else written."""
    for rel, content in mine.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(list(args) + ["runner.progress=false"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], err[-2000:]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "something was written"
    assert all((tmp_path / rel).read_text() == content for rel, content in mine.items())


NOT_OURS = "was not written by bandits-bench"
RUN = ATA + ["runner=smoke", "hydra.run.dir=run"]
SWEEP = ["-m"] + ATA + ["runner=smoke", "experiment.env.n=4,5", "hydra.sweep.dir=sw"]
USERS_FILES = [  # (args, the user's files, the file the error names)
    (RUN, {"run/runs.parquet": "my own runs"}, "run/runs.parquet " + NOT_OURS),
    (RUN + ["runner.resume=true"], {"run/runs.parquet": "my own runs"}, "run/runs.parquet " + NOT_OURS),
    (RUN, {"run/curves.parquet": "my curves"}, "run/curves.parquet " + NOT_OURS),
    (RUN + ["runner.resume=true"], {"run/meta.json": '{"mine": true}'}, "run/meta.json " + NOT_OURS),
    (RUN, {"run/meta.json": "not json"}, "run/meta.json " + NOT_OURS + " (it is not readable JSON"),
    (RUN + ["hydra.output_subdir=.hydra"], {"run/.hydra/config.yaml": "mine"}, "run/.hydra/config.yaml " + NOT_OURS),
    (RUN + ["hydra/job_logging=default"], {"run/run.log": "my log"}, "run/run.log " + NOT_OURS),
    (SWEEP, {"sw/multirun.yaml": "mine: 1"}, "sw/multirun.yaml " + NOT_OURS),
    (SWEEP + ["runner.resume=true"], {"sw/1/runs.parquet": "mine"}, "sw/1/runs.parquet " + NOT_OURS),
]


@pytest.mark.parametrize("args,mine,message", USERS_FILES, ids=[f"{next(iter(m))} {a[-1]}" for a, m, _ in USERS_FILES])
def test_a_file_the_suite_did_not_write_is_never_replaced(tmp_path, monkeypatch, capsys, args, mine, message):
    """The user's runs.parquet (or any file named as one the suite writes, Hydra's included) in the output
    directory was overwritten: it is refused, naming the file, with or without runner.resume=true."""
    check_refused(args, message, tmp_path, monkeypatch, capsys, mine)


def test_resume_checks_every_file_meta_json_lists(tmp_path, monkeypatch, capsys):
    """Resume trusted meta.json alone: a truncated or deleted runs.parquet was "skipped (complete results)" and
    never redone. meta.json now records each file's size and SHA-256 when it is written; resume checks them
    and redoes a damaged job (the report skips it, saying why)."""
    from bandits.core.results import load_results, verify_files

    monkeypatch.chdir(tmp_path)
    args = ATA + ["runner=smoke", "experiment.algorithms=[uta]", "runner.max_horizon=500",
                  f"hydra.run.dir={tmp_path}/r"]
    main(args)
    out = tmp_path / "r"
    meta = json.loads((out / "meta.json").read_text())
    assert set(meta["files"]) == {"runs.parquet", "curves.parquet"} and verify_files(out, meta) is None
    runs = (out / "runs.parquet").read_bytes()
    capsys.readouterr()
    damages = [
        ("runs.parquet has 100 bytes, meta.json recorded", lambda: os.truncate(out / "runs.parquet", 100)),
        ("curves.parquet is missing", lambda: (out / "curves.parquet").unlink()),
        ("runs.parquet's SHA-256 differs", lambda: (out / "runs.parquet").write_bytes(runs[:-9] + b"x" + runs[-8:])),
    ]
    for why, damage in damages:
        damage()
        if "SHA" in why:  # the report skips it too
            warnings = []
            with pytest.raises(FileNotFoundError):
                load_results([out], warn=warnings.append)
            assert len(warnings) == 1 and why in warnings[0]
        main(args + ["runner.resume=true"])
        err = capsys.readouterr().err
        assert f"warning: redoing {out}: {why}" in err and "skipped" not in err, err[-2000:]
        assert verify_files(out, json.loads((out / "meta.json").read_text())) is None
        assert (out / "runs.parquet").read_bytes() == runs  # same config, same results
    main(args + ["runner.resume=true"])
    assert "skipped (complete results with the same config)" in capsys.readouterr().err
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------


# ---- issue 32 (round two) begin: the CLI's file-system and command-line failures, one line each ----------------------
BAD_ARGV = [  # (arguments, message): argv and file-system problems, found before anything is composed
    (["--config-dir", "no/such/folder"] + ATA, "--config-dir no/such/folder: no such directory"),
    (["--config-dir=afile"] + ATA, "--config-dir afile: not a directory"),
    (ATA + ["hydra.searchpath=[file://no/such/folder]"], "hydra.searchpath file://no/such/folder: no such directory"),
    (ATA + ["hydra.run.dir=my", "results"], "'results' is not key=value: if it belongs to the value before it (a path "
                                            "with spaces), quote the whole override for the shell: "
                                            "'hydra.run.dir=my results'"),
    (["results"] + ATA, "'results' is not an override; write key=value"),
    (ATA + ["hydra.run.dir=afile/run"], "cannot write results to afile/run"),
    (ATA + ["hydra.run.dir=" + "x" * 300 + "/run"], "File name too long"),
]


@pytest.mark.parametrize("args,message", BAD_ARGV, ids=[" ".join(a)[:60] for a, _ in BAD_ARGV])
def test_bad_command_line_or_output_path_is_one_line(tmp_path, monkeypatch, capsys, args, message):
    check_refused(args + ["runner=smoke"], message, tmp_path, monkeypatch, capsys, {"afile": "a file"})


def _result_dir(path):
    """A small result directory as the suite writes it (the report's checks below come before reading it)."""
    import pandas as pd

    from bandits.core.results import write_results

    runs = pd.DataFrame({"algorithm": ["uta"], "env": ["e"], "seed": [0], "experiment": ["ata/figure3"],
                         "runtime": [1.0]})
    write_results(path, runs, None, {"experiment": {"name": "ata/figure3", "paper": "ata"}, "config": {}})
    return path


def _read_only(monkeypatch, folder):
    """Make ``folder`` read-only. Root writes anyway: then ``os.access`` is made to answer as for any other user,
    from the mode bits (what the report checks; root's own writes would succeed, as they should)."""
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: real(p, mode, **kw) and not (
            mode & os.W_OK and not os.stat(p).st_mode & 0o200))


REPORT_BAD = [  # (arguments relative to tmp_path, message)
    (["res", "--figures", "afile"], "cannot write figures to afile: "),
    (["res", "--paper", "afile"], "cannot write tables to afile: "),
    (["res", "--figures", "afile/figs"], "is not a directory; choose where they go with --figures"),
    (["res", "--paper", "p" * 300 + "/x"], "cannot write tables to"),
    (["res"], "res/figures: "),  # a read-only results folder (below)
    (["res", "--figures", "out/figs", "--paper", "ro/tables"], "cannot write tables to ro/tables: "),
    (["nowhere"], "no such result directory: nowhere"),
    (["empty"], "no complete result directories"),
    (["damaged"], "no complete result directories"),
]


@pytest.mark.parametrize("args,message", REPORT_BAD, ids=[" ".join(a)[:50] for a, _ in REPORT_BAD])
def test_report_bad_input_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    """bandits-bench-report with --figures naming a file, or on a read-only results folder, failed with a
    traceback after reading everything; now the places it writes are checked first."""
    from experiments.report import main as report_main

    monkeypatch.chdir(tmp_path)
    _result_dir(tmp_path / "res")
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "empty").mkdir()
    damaged = _result_dir(tmp_path / "damaged")
    os.truncate(damaged / "runs.parquet", 10)
    (tmp_path / "ro").mkdir()
    _read_only(monkeypatch, tmp_path / "ro")
    if args == ["res"]:
        _read_only(monkeypatch, tmp_path / "res")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    try:
        with pytest.raises(SystemExit) as exit_:
            report_main(args)
    finally:
        for d in ("ro", "res"):
            (tmp_path / d).chmod(0o755)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], err[-2000:]
    assert "Traceback" not in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "something was written"
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------


# ---- issue 32 (round two) begin: a plugin's invalid actions fail its job (one line: the algorithm, the round) --------
NAN_SCORES = '''
"""An ATA plugin whose scores turn NaN after two rounds: its allocations then lose tasks."""
import jax.numpy as jnp
from bandits.allocation.algorithms import ALGORITHMS, policy_algorithm
from bandits.allocation.lcb_policy import lcb_policy

def nan_scores(budget):
    return lcb_policy(lambda totals, counts, k: jnp.where(k > 2, jnp.nan, -jnp.inf) * jnp.ones_like(totals), budget)

if "nan_scores" not in ALGORITHMS:
    ALGORITHMS.add("nan_scores", policy_algorithm(nan_scores))
'''
ADVISOR_OUTSIDE = '''
"""An M-LCB plugin that names expert K (there is none) as its advisor from round 5 on."""
import jax.numpy as jnp
from bandits.core.experiment import Algorithm
from bandits.core.types import Policy
from bandits.experts.environment import ExpertAction
from bandits.experts.paper import ALGORITHMS

def build(known):
    K = known.bound.scale.shape[0]
    select = lambda s, noise, t, k: ExpertAction(train=jnp.arange(K) < k.budget,
                                                 advisor=jnp.where(t >= 4, K, 0).astype(jnp.int32))
    return Policy(init=lambda k: jnp.int32(0), select=select, update=lambda s, a, obs, k: s)

if "advise_outside" not in ALGORITHMS:
    ALGORITHMS.add("advise_outside", Algorithm(build))
'''
TAKE_ALL = '''
"""A submodular plugin that plays every element, whatever the matroid allows."""
import jax.numpy as jnp
from bandits.core.experiment import Algorithm
from bandits.core.types import Policy
from bandits.submodular.instances import Act
from bandits.submodular.paper import ALGORITHMS

def build(known):
    select = lambda s, noise, t, k: Act(mask=jnp.ones(k.n, bool), calls=jnp.zeros(()), inner=None)
    return Policy(init=lambda k: jnp.int32(0), select=select, update=lambda s, a, f, k: s)

if "take_all" not in ALGORITHMS:
    ALGORITHMS.add("take_all", Algorithm(build))
'''
PLUGIN_ACTIONS = [  # (plugin module, its source, the command, the error line)
    ("nan_scores_plugin", NAN_SCORES, ATA + ["experiment.algorithms=[ata,nan_scores]"],
     "algorithm 'nan_scores' on exponential[2*i] n=20 B=5: invalid action at round 3 (seed 0): it violates 'units "
     "sum to the budget B'; nothing is stored"),
    ("advisor_plugin", ADVISOR_OUTSIDE, ["experiment=mlcb/figure2", "experiment.budgets=[2]",
                                          "experiment.algorithms=[advise_outside]"],
     "algorithm 'advise_outside' on glm K=4 M=2: invalid action at round 5 (seed 0): it violates 'the advisor "
     "within 0..3'"),
    ("take_all_plugin", TAKE_ALL, ["experiment=submodular/rate_T", "experiment.family=coverage", "experiment.n=8",
                                   "experiment.k=2", "experiment.algorithms=[take_all]"],
     "algorithm 'take_all' on coverage iid n=8 k=2: invalid action at round 1 (seed 0): it violates 'the set is "
     "independent in the matroid"),
]


@pytest.mark.parametrize("module,source,args,message", PLUGIN_ACTIONS, ids=[m for m, *_ in PLUGIN_ACTIONS])
def test_a_plugins_invalid_actions_fail_its_job_and_nothing_is_stored(tmp_path, monkeypatch, capsys, module,
                                                                      source, args, message):
    """An ATA plugin returning NaN scores had its results stored, with negative proxy regret. Each paper's
    environment now says what a valid action is (``Environment.validate``) and the runner checks every action
    every round: the job fails with one line naming the algorithm and the first invalid round, exit 1."""
    import sys

    from bandits.core.experiment import discover_papers

    papers = discover_papers()
    for name in papers.names():  # the plugin's registration is undone after the test (others list the choices)
        monkeypatch.setattr(papers.get(name).algorithms, "_items", dict(papers.get(name).algorithms._items))
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.delitem(sys.modules, module)  # (restored as absent: the next import reads the file again)
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(args + [f"+experiment.plugins=[{module}]", "runner=smoke", f"hydra.run.dir={tmp_path}/run",
                     "runner.progress=false"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == [f"{module}.py"], \
        "something was stored"
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------


def test_every_papers_policies_have_their_actions_checked():
    """The hook is the environment's (no paper is named in the core): each of the four papers' environments
    says what a valid action is, and every policy of the paper keeps the check (LATS's ``wrap`` keeps it too:
    ``test_lats_cli.py``)."""
    from bandits.core.experiment import build_simulation, discover_papers

    papers = discover_papers()
    for name in ("ata", "mlcb", "lats", "submodular"):
        paper = papers.get(name)
        problem, hps = paper.example()
        assert problem.env.validate is not None and problem.env.validate.names, name
        for algo in paper.algorithms.in_order():
            if paper.algorithm(algo).kind != "policy":
                continue
            sim = build_simulation(paper, algo, problem, hps.get(algo, {}))
            assert sim.step_seen is not None and sim.conditions == tuple(problem.env.validate.names), (name, algo)


# ---- issue 32 (round two) begin: Ctrl-C and a killed main process ----------------------------------------------------
def _start(args, cwd):
    """The console script in its own process group (as a terminal runs it), its stderr to a file."""
    import subprocess

    from conftest import tool_command

    err = open(cwd / "stderr.txt", "w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(tool_command("bandits-bench") + args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=err, start_new_session=True)


def _wait_for(condition, timeout=240.0, proc=None):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended (nobody reaped it yet)
    except OSError:
        return False


def _lock_pids(root):
    pids = []
    for lock in root.rglob(".bandits-run.lock"):
        with contextlib.suppress(OSError, ValueError):
            pids.append(json.loads(lock.read_text())["pid"])
    return pids


LONG = ["experiment=ata/figure3", "experiment.algorithms=[uta]", "experiment.seeds=16", "runner.progress=false"]


def test_ctrl_c_ends_a_run_with_one_line_and_status_130(tmp_path):
    """Ctrl-C printed a traceback (or nothing until XLA's batch ended): one line, what finished and the command
    that resumes, exit status 130; the run's directory is gone (it held nothing)."""
    import signal

    proc = _start(LONG + ["experiment.horizon=500000000", "hydra.run.dir=run"], tmp_path)
    try:
        assert _wait_for(lambda: (tmp_path / "run" / ".bandits-run.lock").exists(), proc=proc), \
            (tmp_path / "stderr.txt").read_text()[-2000:]
        os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole process group
        assert proc.wait(timeout=60) == 130
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    err = (tmp_path / "stderr.txt").read_text()
    lines = [line for line in err.splitlines() if "interrupted" in line]
    assert "Traceback" not in err and len(lines) == 1, err[-3000:]
    assert lines[0].startswith("bandits-bench: interrupted: 0 of 1 job(s) finished (no results in run); resume "
                               "with: bandits-bench ") and lines[0].endswith("hydra.run.dir=run runner.resume=true")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]


def test_ctrl_c_ends_a_sweep_and_its_workers_keeping_what_finished(tmp_path):
    """A joblib sweep: job 0 finishes, jobs 1 and 2 run in the workers when Ctrl-C comes. One line (1 of 3
    finished, the resume command), status 130, the workers end, job 0's results are kept, nothing else."""
    import signal

    from bandits.core.results import verify_files

    sweep = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "experiment.horizon=1000,500000000,500000000",
             "hydra.sweep.dir=sw"]
    proc = _start(LONG + sweep, tmp_path)
    try:
        running = lambda: (tmp_path / "sw" / "0" / "meta.json").exists() and len(_lock_pids(tmp_path / "sw")) == 2
        assert _wait_for(running, proc=proc), (tmp_path / "stderr.txt").read_text()[-2000:]
        workers = _lock_pids(tmp_path / "sw")
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        assert _wait_for(lambda: not any(map(_alive, workers)), timeout=30), "a worker outlived the sweep"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    err = (tmp_path / "stderr.txt").read_text()
    lines = [line for line in err.splitlines() if "interrupted" in line]
    assert "Traceback" not in err and "Warning" not in err and len(lines) == 1, err[-3000:]
    assert "interrupted: 1 of 3 job(s) finished (their results kept in sw); resume with: bandits-bench -m " \
        in lines[0] and lines[0].endswith("hydra.sweep.dir=sw runner.resume=true"), lines[0]
    assert verify_files(tmp_path / "sw" / "0", json.loads((tmp_path / "sw" / "0" / "meta.json").read_text())) is None
    assert sorted(p.name for p in (tmp_path / "sw").iterdir()) == ["0", "multirun.yaml"]


def test_workers_end_when_the_sweeps_main_process_is_killed(tmp_path):
    """kill -9 of a sweep's main process orphaned its joblib workers: they finished their jobs and blocked a
    resume with "in use by a live run". Each worker now ends as soon as its parent is gone, leaving no lock."""
    import signal

    sweep = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "experiment.env.n=4,5,6",
             "experiment.horizon=500000000", "hydra.sweep.dir=sw"]
    proc = _start(LONG + sweep, tmp_path)
    try:
        assert _wait_for(lambda: len(_lock_pids(tmp_path / "sw")) == 2, proc=proc), \
            (tmp_path / "stderr.txt").read_text()[-2000:]
        workers = _lock_pids(tmp_path / "sw")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert _wait_for(lambda: not any(map(_alive, workers)), timeout=30), "orphaned workers still run"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert not list((tmp_path / "sw").rglob(".bandits-run.lock"))
    assert sorted(p.name for p in (tmp_path / "sw").iterdir()) == ["multirun.yaml"]  # nothing of theirs is left
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------
