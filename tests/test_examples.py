"""docs/plugins.md end to end: each paper's example plugin through the CLI (smoke size) and the report, and a plugin
that lives outside the repository, run from one folder with user presets (``--config-dir``) and reported from
another. (ATA's example: ``test_cli.test_add_your_algorithm_plugin_and_comparison_table``; the submodular one:
``test_submodular_cli.test_family_and_adversary_plugins_run_from_a_preset``.)"""
from __future__ import annotations

import json
import re

import pandas as pd


def _run_and_report(cli, tmp_path, preset, overrides, paper):
    out = cli([f"experiment={preset}", "runner=smoke", *overrides, f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rep = cli([str(tmp_path / "run")], cwd=elsewhere, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    name = preset.split("/")[-1]
    return (pd.read_parquet(tmp_path / "run" / "runs.parquet"),
            (tmp_path / "run" / "paper" / paper / f"comparison_{name}.md").read_text(), tmp_path / "run")


def test_mlcb_example_plugin_end_to_end(cli, tmp_path):
    """examples/greedy_experts.py: a meta-algorithm registered with ALGORITHMS.add, compared with M-FLCB."""
    runs, table, run = _run_and_report(cli, tmp_path, "examples/greedy_vs_mlcb",
                                       ["experiment.algorithms=[mflcb,greedy]", "experiment.budgets=[1]"], "mlcb")
    assert set(runs.algorithm) == {"mflcb", "greedy"} and runs.seed.nunique() == 3
    assert "| Greedy | pseudo_regret |" in table and "diff vs mflcb" in table
    assert (run / "figures" / "mlcb" / "greedy_vs_mlcb_regret.png").exists()
    final = (run / "paper" / "mlcb" / "final_regret_greedy_vs_mlcb.md").read_text()
    assert "Greedy" in final and "M-FLCB" in final


def test_lats_example_plugin_end_to_end(cli, tmp_path):
    """examples/lats_explorer.py: a sampling rule registered through explorer_algorithm, under the paper's stopping
    rule and joint_glr, beside Uniform; the report's tables are censoring-aware (smoke caps censor most seeds)."""
    runs, table, run = _run_and_report(cli, tmp_path, "examples/lats_explorer",
                                       ["experiment.algorithms=[uniform,confusing_pair]"], "lats")
    assert set(runs.algorithm) == {"uniform", "confusing_pair"} and set(runs.stopping) == {"paper", "joint_glr"}
    assert json.loads(runs[runs.algorithm == "confusing_pair"].hyperparameters.iloc[0]) == {"eps": 0.1}
    assert "| Confusing pair | tau |" in table and "(restricted mean)" in table
    assert ("Censored seeds present" in table) == bool(runs.censored.any())
    summary = pd.read_csv(run / "paper" / "lats" / "summary.csv")
    assert set(summary.algorithm) == {"Uniform", "Confusing pair"}
    assert (summary.n_stopped == summary.n_seeds * (1 - summary.censored_frac)).all()
    assert (summary.restricted_mean_ci_high <= summary.cap).all() and (summary.restricted_mean_ci_low >= 0).all()
    assert (run / "figures" / "lats" / "stopping_rules_setup2_hard.png").exists()


PLUGIN = '''
from functools import partial

import jax.numpy as jnp

from bandits.allocation.algorithms import ALGORITHMS, policy_algorithm
from bandits.allocation.lcb_policy import lcb_policy


def greedy_scores(totals, counts, k):
    return jnp.where(counts > 0, totals / jnp.maximum(counts, 1), -jnp.inf)


def greedy(budget, scale=1.0):
    return lcb_policy(partial(greedy_scores), budget)


ALGORITHMS.add("my_greedy", policy_algorithm(greedy, display="my greedy"))
'''

PRESET = '''defaults: [/experiment/ata/_base@_here_, _self_]
name: mine/greedy
plugins: [my_plugin]
algorithms: [ata, my_greedy]
hyperparameters:
  my_greedy: {scale: 2.0}
env: {power: 0.5, n: 8}
horizon: 5000
seeds: 4
checkpoints: 10
'''


def test_plugin_outside_the_repository_runs_with_user_presets_and_is_reported_from_any_folder(cli, tmp_path):
    """The docs/plugins.md layout: the plugin module in the folder the run starts from, the preset under
    <config dir>/experiment/; the report, run from elsewhere, imports the plugin from where meta.json says the run
    found it."""
    work, presets, other = tmp_path / "work", tmp_path / "presets", tmp_path / "other"
    for d in (work, presets / "experiment" / "mine", other):
        d.mkdir(parents=True)
    (work / "my_plugin.py").write_text(PLUGIN)
    (presets / "experiment" / "mine" / "greedy.yaml").write_text(PRESET)
    out = cli(["--config-dir", str(presets), "experiment=mine/greedy", f"hydra.run.dir={tmp_path}/run"], cwd=work)
    assert out.returncode == 0, out.stderr[-3000:]
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["experiment"]["plugin_roots"] == {"my_plugin": str(work.resolve())}
    rep = cli([str(tmp_path / "run")], cwd=other, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    table = (tmp_path / "run" / "paper" / "ata" / "comparison_greedy.md").read_text()
    assert "| my greedy | runtime |" in table and "| ATA | runtime |" in table
    # the plugin moved away: the report names the module and where it looked, in one line, exit 2
    (work / "my_plugin.py").rename(other / "moved.py")
    rep = cli([str(tmp_path / "run")], cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 2 and "cannot import plugin 'my_plugin'" in rep.stderr
    assert str(work.resolve()) in rep.stderr and len(rep.stderr.strip().splitlines()) == 1


def test_list_prints_presets_by_paper_algorithms_with_defaults_and_launchers(cli, tmp_path):
    """`bandits-bench --list`: every preset under the paper it composes to (user presets of --config-dir too),
    every algorithm with its hyperparameters and defaults read from its builder, plugins named, the launchers."""
    from pathlib import Path

    from bandits.core.experiment import discover_papers
    from experiments.catalog import hyperparameters

    (tmp_path / "mine" / "experiment" / "mine").mkdir(parents=True)
    (tmp_path / "mine" / "experiment" / "mine" / "greedy.yaml").write_text(PRESET)
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    out = cli(["--list", "--config-dir", str(tmp_path / "mine")], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    presets_part = text[:text.index("Algorithms:")]
    sections = {}  # paper -> its preset rows
    for block in presets_part.split("\n\n")[1:]:
        head, *rows = block.strip().splitlines() or [""]
        sections[head.split(":")[0]] = rows
    root = Path(__file__).resolve().parents[1] / "configs" / "experiment"
    for p in root.rglob("*.yaml"):
        if not p.name.startswith("_"):
            assert f"  {p.relative_to(root).with_suffix('')}  " in text, p
    assert any(r.split()[0] == "mine/greedy" for r in sections["ata"])
    assert any("examples/lats_explorer" in r for r in sections["lats"])
    papers = discover_papers()
    lagex = dict(hyperparameters(papers.get("lats").algorithms.get("lagex")))
    assert lagex == {"every": None, "eta": 1.0} and re.search(r"^  lagex +LAGEX: every=None, eta=1.0$", text, re.M)
    assert "explore_then_commit" in text and "plugin examples.explore_then_commit: explore_rounds=1000" in text
    assert "my_greedy" in text and "scale=1.0" in text  # the user preset's plugin, imported from the working folder
    assert re.search(r"^  ata_empirical +ATA-E: eta \(required\)$", text, re.M)
    for launcher in ("basic", "joblib", "submitit_local", "submitit_slurm", "slurm"):
        assert f"  {launcher} " in text
