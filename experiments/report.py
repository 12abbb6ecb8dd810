"""``bandits-bench-report <result dirs...>``: figures and tables from stored results (never re-runs).

Loads every complete result directory (runs.parquet, curves.parquet, meta.json)
below the given paths, then calls the analysis of each paper found. Also writes a
generic comparison table per experiment: final metrics, mean and 95% CI over
seeds, and a paired t-test against a reference algorithm (same seed = same draws).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.registry import Registry
from bandits.core.results import load_results
from bandits.core.stats import mean_ci, paired_test

ROOT = Path(__file__).resolve().parent.parent
PAPER_REPORTS: Registry = Registry("paper report")


def _ata_report(*args, **kwargs):
    from .ata.analysis import report

    return report(*args, **kwargs)


PAPER_REPORTS.add("ata", _ata_report)

ID_COLS = {"algorithm", "env", "seed", "n", "B", "law", "experiment", "t", "run_dir"}


def comparison_table(runs: pd.DataFrame, reference: str, metrics=None) -> str:
    """Markdown: per env and metric, each algorithm's mean [95% CI] and a paired test vs ``reference``."""
    metrics = metrics or [c for c in runs.columns if c not in ID_COLS and runs[c].dtype.kind == "f"]
    out = []
    for env, g in runs.groupby("env"):
        g = g[g["t"] == g["t"].max()]
        out += [f"### {env} (t = {int(g['t'].max()):,})", "",
                f"| algorithm | metric | mean [95% CI] | diff vs {reference} | paired p |", "|---|---|---|---|---|"]
        ref = g[g["algorithm"] == reference].drop_duplicates("seed").set_index("seed")
        for metric in metrics:
            for alg, a in g.groupby("algorithm"):
                vals = a.drop_duplicates("seed").set_index("seed")[metric]
                if vals.isna().all():
                    continue
                m, lo, hi = mean_ci(vals.to_numpy())
                diff, p = ("", "")
                if not ref.empty and alg != reference and metric in ref and not ref[metric].isna().all():
                    seeds = vals.index.intersection(ref.index)
                    d, pv = paired_test(vals.loc[seeds].to_numpy(), ref.loc[seeds, metric].to_numpy())
                    diff, p = f"{d:+.4g}", ("–" if not np.isfinite(pv) else f"{pv:.2g}")
                out.append(f"| {alg} | {metric} | {m:.4g} [{lo:.4g}, {hi:.4g}] | {diff} | {p} |")
        out.append("")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bandits-bench-report", description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", help="result directories (searched recursively)")
    ap.add_argument("--figures", default=str(ROOT / "figures"), help="where figures go (default: figures/)")
    ap.add_argument("--paper", default=str(ROOT / "paper"), help="where tables go (default: paper/)")
    ap.add_argument("--reference", default="ata", help="reference algorithm of the comparison table")
    args = ap.parse_args(argv)
    try:
        runs, curves, metas = load_results(args.dirs)
    except FileNotFoundError as e:
        print(f"bandits-bench-report: error: {e}", file=sys.stderr)
        sys.exit(2)
    papers = sorted({m.get("experiment", {}).get("paper") for m in metas} - {None})
    written = []
    for paper in papers:
        dirs = {m["run_dir"] for m in metas if m.get("experiment", {}).get("paper") == paper}
        r, c = runs[runs.run_dir.isin(dirs)], curves[curves.run_dir.isin(dirs)]
        written += PAPER_REPORTS.get(paper)(r, c, [m for m in metas if m["run_dir"] in dirs],
                                            Path(args.figures), Path(args.paper))
        for exp, re in r.groupby("experiment"):
            path = Path(args.paper) / paper / f"comparison_{exp.split('/')[-1]}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"# {exp}: final metrics over seeds\n\n" + comparison_table(re, args.reference))
            written.append(path)
    for p in written:
        print(p)
    if not written:
        print("bandits-bench-report: nothing to draw from these results", file=sys.stderr)


if __name__ == "__main__":
    main()
