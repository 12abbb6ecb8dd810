"""The tables committed under ``paper/`` are what the report computes from the results committed under
``results/`` (the report never re-runs anything). A table edited by hand, results re-run without regenerating
the report, or an analysis change that moves a stored number all fail here. Figures are not compared (their
bytes depend on the matplotlib build); the tables hold every number the figures draw."""
from __future__ import annotations

from pathlib import Path

import pytest

from bandits.core.experiment import discover_papers
from bandits.core.results import load_results
from experiments.report import add_variants

ROOT = Path(__file__).resolve().parents[1]


def _stored(name: str):
    """(runs with variants, metas, paper) of the committed ``results/<name>``."""
    runs, _, metas = load_results([ROOT / "results" / name])
    paper = discover_papers().get(name)
    return add_variants(runs, paper), metas, paper


@pytest.mark.parametrize("table", ["table1", "table2"])
def test_ata_tables_are_the_stored_results(table):
    from experiments.ata.analysis import SETTINGS, TABLE_CSV_COLUMNS, ratio_table, with_problem_columns

    runs, metas, paper = _stored("ata")
    tab = ratio_table(with_problem_columns(runs, metas), SETTINGS[table], paper)
    csv = tab[TABLE_CSV_COLUMNS].to_csv(index=False)
    assert csv == (ROOT / "paper" / "ata" / f"{table}.csv").read_text()


def test_lats_summary_is_the_stored_results():
    from experiments.lats.analysis import SUMMARY_COLUMNS, summary

    runs, _, paper = _stored("lats")
    presets = {f"lats/{p.stem}" for p in (ROOT / "configs" / "experiment" / "lats").glob("[!_]*.yaml")}
    assert len(presets) == 8 and set(runs["experiment"]) == presets  # every preset is stored
    csv = summary(runs, paper)[SUMMARY_COLUMNS].to_csv(index=False)
    assert csv == (ROOT / "paper" / "lats" / "summary.csv").read_text()


def test_lats_stopping_rules_table_is_the_stored_results():
    from experiments.lats.analysis import STOPPING_RULES_COLUMNS, stopping_rules_table

    runs, _, paper = _stored("lats")
    tab = stopping_rules_table(runs, paper)
    assert set(tab["stopping"]) == {"paper", "plugin", "joint_glr", "pessimistic_optimistic"}
    assert (tab["n_seeds"] == 500).all() and set(tab["env"]) == {"setup1-hard", "setup2-hard", "setup2-easy"}
    csv = tab[STOPPING_RULES_COLUMNS].to_csv(index=False)
    assert csv == (ROOT / "paper" / "lats" / "stopping_rules.csv").read_text()
