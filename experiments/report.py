"""``bandits-bench-report <result dirs...>``: figures and tables from stored results (never re-runs).

Loads every result directory (runs.parquet, meta.json, curves.parquet where the
paper stores curves) below the given paths, skipping corrupt ones with a warning,
then calls the analysis of each paper found (registered once, with the paper).
Also writes a generic comparison table per experiment: final metrics, mean and
95% CI over seeds, and a paired t-test against a reference algorithm (same seed
= same draws).

Outputs go next to the results (``<first dir>/figures``, ``<first dir>/paper``)
unless ``--figures`` / ``--paper`` say otherwise; the repository's ``figures/`` and
``paper/`` are written only when named explicitly (``make report-ata`` does).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.experiment import discover_papers
from bandits.core.results import atomic_write_text, find_result_dirs, load_results
from experiments.common import comparison_table

# columns every result row has that are not metrics
BASE_ID_COLS = {"algorithm", "env", "seed", "experiment", "t", "run_dir", "hyperparameters", "base_seed", "rng",
                "x64", "chunk", "cap", "censored", "variant", "label"}


class ReportError(Exception):
    pass


def hyperparameter_label(hp_json: str) -> str:
    try:
        hp = json.loads(hp_json) if isinstance(hp_json, str) else {}
    except ValueError:
        hp = {}
    return ", ".join(f"{k}={v}" for k, v in sorted(hp.items()))


def add_variants(df: pd.DataFrame, paper) -> pd.DataFrame:
    """Columns ``variant`` (what to group by) and ``label`` (what to print).

    An algorithm run with several hyperparameter settings in the same results (a
    sweep) becomes one variant per setting, labelled with its hyperparameters;
    otherwise the variant is the algorithm. Selection uses stored columns only.
    """
    df = df.copy()
    if "hyperparameters" not in df:
        df["hyperparameters"] = "{}"
    df["hyperparameters"] = df["hyperparameters"].fillna("{}")
    by = ["experiment", "algorithm"] if "experiment" in df else ["algorithm"]
    several = df.groupby(by)["hyperparameters"].transform("nunique") > 1  # a sweep within one experiment
    labels = {h: hyperparameter_label(h) for h in df["hyperparameters"].unique()}  # once per distinct value
    hp_label = df["hyperparameters"].map(labels)
    df["variant"] = np.where(several, df["algorithm"] + "[" + hp_label + "]", df["algorithm"])
    display = df["algorithm"].map({a: paper.display(a) for a in df["algorithm"].unique()})
    df["label"] = np.where(several, display + " (" + hp_label + ")", display)
    return df


def metric_columns(runs: pd.DataFrame, paper) -> list[str]:
    skip = BASE_ID_COLS | set(paper.id_columns)
    return [c for c in runs.columns if c not in skip and runs[c].dtype.kind in "fc"]


def _paper_of(result_dir: Path):
    """The paper a result directory's meta.json names (None if it cannot be read: ``load_results`` says why)."""
    try:
        return json.loads((Path(result_dir) / "meta.json").read_text()).get("experiment", {}).get("paper")
    except (OSError, ValueError, AttributeError):
        return None


def output_dirs(dirs, figures=None, paper_dir=None) -> tuple[Path, Path]:
    """Where figures and tables go: as given, else next to the first result directory."""
    root = Path(dirs[0])
    return (Path(figures) if figures is not None else root / "figures",
            Path(paper_dir) if paper_dir is not None else root / "paper")


def report(dirs, figures: Path | None = None, paper_dir: Path | None = None, reference: str | None = None,
           warn=None) -> list[Path]:
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    papers = discover_papers()

    def curve_metrics(meta):  # the curves a built-in paper's analysis reads (a plugin's paper: all of them)
        name = meta.get("experiment", {}).get("paper")
        return papers.get(name).curve_metrics if name in papers else None

    # each paper's results are loaded apart: its analysis sees its own rows and columns only, never another
    # paper's (a column one paper stores, such as ATA's t, is absent from the others' rows, not NaN there)
    by_paper: dict = {}
    for d in find_result_dirs(dirs):
        by_paper.setdefault(_paper_of(d), []).append(d)
    loaded = {}
    for name, group_dirs in sorted(by_paper.items(), key=lambda kv: str(kv[0])):
        try:
            loaded[name] = load_results(group_dirs, warn=warn, curve_metrics=curve_metrics)
        except FileNotFoundError:  # every directory of this group was skipped, each with its warning
            continue
    loaded.pop(None, None)  # readable results that name no paper: nothing to analyse them with
    if not loaded:
        raise FileNotFoundError("no complete result directories (runs.parquet and meta.json) found")
    figures, paper_dir = output_dirs(dirs, figures, paper_dir)
    from experiments.run import load_plugins

    prepared = []
    for name, (runs, curves, group) in loaded.items():
        # a plugin is imported from where the run found it (meta.json), whatever the working folder now
        roots = [m.get("experiment", {}).get("plugin_roots", {}) for m in group]
        load_plugins(sorted({p for m in group for p in m.get("experiment", {}).get("plugins", [])}),
                     sorted({path for r in roots for path in r.values()}))
        paper = papers.get(name)
        prepared.append((name, paper, add_variants(runs, paper), add_variants(curves, paper) if len(curves)
                         else curves, group))
    present = {v for _, _, r, _, _ in prepared for v in set(r["variant"]) | set(r["algorithm"])}
    if reference is not None and reference not in present:  # checked before anything is written
        raise ReportError(f"unknown reference algorithm {reference!r}; valid choices: {', '.join(sorted(present))}")
    written = []
    for name, paper, r, c, group in prepared:
        written += paper.run_analysis(r, c, group, figures, paper_dir)
        for exp, re_ in r.groupby("experiment"):
            # the reference: the one asked for, else the paper's, else the experiment's first algorithm
            ref = reference or paper.reference
            if ref not in set(re_["variant"]) | set(re_["algorithm"]):
                ref = paper.reference if paper.reference in set(re_["algorithm"]) else \
                    paper.order(re_["algorithm"])[0]
            path = paper_dir / name / f"comparison_{exp.split('/')[-1]}.md"
            atomic_write_text(path, f"# {exp}: final metrics over seeds\n\n"
                              + comparison_table(re_, ref, metric_columns(re_, paper), paper))
            written.append(path)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bandits-bench-report", description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", help="result directories (searched recursively)")
    ap.add_argument("--figures", default=None, help="where figures go (default: <first dir>/figures)")
    ap.add_argument("--paper", default=None, help="where tables go (default: <first dir>/paper)")
    ap.add_argument("--reference", default=None, help="reference algorithm of the comparison table "
                                                      "(default: the paper's)")
    args = ap.parse_args(argv)
    from bandits.core.experiment import ConfigError
    from bandits.core.registry import UnknownNameError
    from experiments.run import UsageError, check_writable

    try:  # where it writes, checked before anything is read or drawn
        for (what, flag), out in zip((("figures", "--figures"), ("tables", "--paper")),
                                     output_dirs(args.dirs, args.figures, args.paper)):
            check_writable(out, what, hint=f"choose where they go with {flag}")
        written = report(args.dirs, args.figures, args.paper, args.reference)
    except (FileNotFoundError, ReportError, UnknownNameError, ConfigError, UsageError) as e:
        print(f"bandits-bench-report: error: {e}", file=sys.stderr)
        sys.exit(2)
    except OSError as e:  # failed while writing (a full disk, say): what and where, in one line
        where = f" ({e.filename})" if e.filename else ""
        print(f"bandits-bench-report: error: cannot write the report: {e.strerror or e}{where}", file=sys.stderr)
        sys.exit(1)
    for p in written:
        print(p)
    if not written:
        print("bandits-bench-report: nothing to draw from these results", file=sys.stderr)


if __name__ == "__main__":
    main()
