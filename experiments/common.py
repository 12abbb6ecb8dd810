"""Analysis pieces every paper shares: curve statistics, timings and provenance tables.

Pure functions from stored data frames (and meta.json dicts) to frames or Markdown.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from bandits.core.stats import mean_ci


def curve_stats(curves: pd.DataFrame, metric: str, by=("variant",)) -> pd.DataFrame:
    """Mean and 95% CI over seeds of one metric per ``by`` + t (columns ``mean``, ``lo``, ``hi``)."""
    by = list(by) + ["t"]
    d = curves[curves["metric"] == metric]
    rows = []
    for key, g in d.groupby(by, sort=True):
        m, lo, hi = mean_ci(g["value"].to_numpy())
        rows.append((*key, m, lo, hi))
    return pd.DataFrame(rows, columns=by + ["mean", "lo", "hi"])


def timings_markdown(paper, metas: list) -> str:
    """Wall time per preset (jobs) and per (algorithm, problem), execution apart from compilation."""
    rows = []
    for m in metas:
        exp = m.get("experiment", {}).get("name", "?")
        for t in m.get("timings", []):
            hp = ", ".join(f"{k}={v}" for k, v in sorted((t.get("hyperparameters") or {}).items()))
            rows.append(dict(experiment=exp, algorithm=t["algorithm"], hyperparameters=hp,
                             problem=t.get("problem", f"n={t['n']}" if "n" in t else "–"),
                             wall=t["wall_time"], compile=t["compile_time"]))
    if not rows:
        return "(no timings stored)\n"
    df = pd.DataFrame(rows)
    def size(m):  # seeds x horizon (or cap) the job ran: presets can be shrunk (runner.max_seeds, max_horizon)
        eff = m.get("effective", {})
        return f"{eff['seeds']:,} x {eff['horizon']:,}" if "seeds" in eff and "horizon" in eff else "?"

    jobs = pd.DataFrame([dict(experiment=m.get("experiment", {}).get("name"), job_wall=m.get("wall_time_s", 0.0),
                              size=size(m), rss=m.get("peak_rss_mb") or np.nan) for m in metas])
    per_exp = jobs.groupby("experiment").agg(jobs=("job_wall", "size"), cpu_s=("job_wall", "sum"),
                                             longest_job_s=("job_wall", "max"), rss=("rss", "max"),
                                             size=("size", lambda x: ", ".join(sorted(set(x)))))
    lines = ["| preset | seeds x horizon | jobs | sum of job wall times (s) | longest job (s) | peak memory (GB) |",
             "|---|---|---|---|---|---|"]
    for exp, r in per_exp.iterrows():
        rss = f"{r.rss / 1024:.1f}" if np.isfinite(r.rss) else "not recorded"
        lines.append(f"| {exp} | {r['size']} | {int(r.jobs)} | {r.cpu_s:,.0f} | {r.longest_job_s:,.0f} | {rss} |")
    lines += ["", "Simulation time per (algorithm, problem), execution only (compilation apart):", "",
              "| preset | algorithm | hyperparameters | problem | run (s) | compile (s) |", "|---|---|---|---|---|---|"]
    for r in df.sort_values(["experiment", "problem", "algorithm", "hyperparameters"]).itertuples():
        lines.append(f"| {r.experiment} | {paper.display(r.algorithm)} | {r.hyperparameters} | {r.problem} | "
                     f"{r.wall:,.1f} | {r.compile:.1f} |")
    return "\n".join(lines) + "\n"


def provenance_markdown(metas: list) -> str:
    if not metas:
        return ""
    env = metas[0].get("environment", {})
    revs = sorted({m.get("git_revision", "?") for m in metas})
    eff = sorted({(m.get("effective", {}).get("seeds"), m.get("effective", {}).get("horizon")) for m in metas})
    gens = sorted({str(m.get("config", {}).get("runner", {}).get("rng", "?")) for m in metas})
    return (f"- results: {len(metas)} job directories; seeds x horizon: "
            f"{', '.join(f'{s} x {h:,}' for s, h in eff)}\n"
            f"- git revision(s): {', '.join(revs)}\n"
            f"- python {env.get('python')}, jax {env.get('jax')}, jaxlib {env.get('jaxlib')}, numpy {env.get('numpy')}; "
            f"backend {env.get('backend')} ({env.get('device_count')} device), x64 = {env.get('x64')}, "
            f"{env.get('cpu_count')} CPU cores; random generator: {', '.join(gens)}\n")
