"""A catalogue of bad inputs: each fails before anything runs, with one line naming the problem
(and the valid choices where there are some), exit status 2, and nothing written.

Run in-process through the real entry point (``experiments.run.main``): every check happens in the
precheck, before Hydra creates a directory.
"""
from __future__ import annotations

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
    (ATA + ["experiment.env.base=-1"], "base) must be > 0"),
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
    (ATA + ["experiment.sgd_problem.lr=-1"], "experiment.sgd_problem.lr must be > 0"),
    (ATA + ["+experiment.plugins=[no_such_module]"], "cannot import plugin 'no_such_module'"),
    (ATA + ["experiment.plugins=[x]"], "Could not override 'experiment.plugins'. To append to your config use +"),
    (ATA + ["experiment.seeds=10000000", "experiment.horizon=10"], "lower experiment.seeds"),
    (ATA + ["runner.x64=maybe"], "runner.x64: Value 'maybe' is not a valid bool"),
    (ATA + ["runner.rng=mt19937"], "valid choices: hash32, threefry"),
    (ATA + ["runner.chunk=0"], "chunk must be >= 1"),
    (ATA + ["runner.batch_size=-3"], "batch_size must be >= 1"),
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


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, message):
    check_bad_input(args, message, tmp_path, monkeypatch, capsys)


def test_catalogue_is_large_enough():
    assert len(BAD) >= 30


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
    assert len(errors) == 1 and "experiment.env.n must be an integer >= 1, got 0" in errors[0]
    assert not any(tmp_path.iterdir())
