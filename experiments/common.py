"""Analysis pieces every paper shares: curve statistics, the comparison table, censoring-aware stopping-time
statistics, figure styles for sweeps, timings and provenance tables.

Pure functions from stored data frames (and meta.json dicts) to frames, Markdown or matplotlib figures.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from bandits.core.results import atomic_write_bytes
from bandits.core.stats import mean_ci, paired_test, wilson_ci

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "--", "oo")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 3)), (0, (6, 2, 1, 2, 1, 2)))


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


# ----------------------------------------------------------------------------- the comparison table
def comparison_table(runs: pd.DataFrame, reference: str, metrics, paper) -> str:
    """Markdown: per problem and metric, each variant's mean [95% CI] and a paired comparison with ``reference``.

    Problems in the order of their stored id columns, variants in the registry's order. Fixed-horizon results:
    the final metrics, a paired t-test (same seed = same draws). Stopping-time results (a ``censored`` column):
    ``tau`` as its restricted mean E[min(tau, cap)] over every seed with the censored share beside it, compared by
    the paired difference of restricted means (95 % CI) and a Wilcoxon signed-rank test on min(tau, cap) (both
    valid when seeds hit the cap); every other metric over the seeds that stopped (a censored seed gave no
    answer), compared on the seeds that stopped under both.
    """
    out = []
    keys = [c for c in paper.id_columns if c in runs] + ["env"]
    problems = runs[keys].drop_duplicates().sort_values(keys)["env"]
    rank = {a: i for i, a in enumerate(paper.order(runs["algorithm"]))}
    stopping = "censored" in runs and "tau" in runs
    for env in problems:
        g = runs[runs["env"] == env]
        g = g.iloc[np.lexsort((g["variant"].to_numpy(), g["algorithm"].map(rank).to_numpy()))]
        head = f"### {env}"
        if "t" in g:
            g = g[g["t"] == g["t"].max()]
            head += f" (t = {int(g['t'].max()):,})"
        candidates = g[(g["variant"] == reference) | (g["algorithm"] == reference)]
        ref_variant = sorted(candidates["variant"].unique())[0] if len(candidates) else reference
        ref = g[g["variant"] == ref_variant].drop_duplicates("seed").set_index("seed")
        if stopping:
            out += _stopping_comparison(g, ref, ref_variant, reference, metrics, head)
            continue
        out += [head, "", f"| algorithm | metric | seeds | mean [95% CI] | diff vs {reference} | paired p |",
                "|---|---|---|---|---|---|"]
        for metric in metrics:
            for variant, a in g.groupby("variant", sort=False):
                vals = a.drop_duplicates("seed").set_index("seed")[metric]
                if vals.isna().all():
                    continue
                m, lo, hi = _mean_ci(vals.to_numpy())
                diff, p = ("", "")
                if not ref.empty and variant != ref_variant and metric in ref and not ref[metric].isna().all():
                    seeds = vals.index.intersection(ref.index)
                    d, pv = paired_test(vals.loc[seeds].to_numpy(), ref.loc[seeds, metric].to_numpy())
                    diff, p = f"{d:+.4g}", ("–" if not np.isfinite(pv) else f"{pv:.2g}")
                out.append(f"| {a['label'].iloc[0]} | {metric} | {vals.notna().sum()} | {m:.4g} [{lo:.4g}, {hi:.4g}] "
                           f"| {diff} | {p} |")
        out.append("")
    return "\n".join(out)


def _mean_ci(values) -> tuple:
    """Mean and 95 % interval over seeds: Wilson's for a 0/1 metric (a share of seeds: inside [0, 1]), else
    Student's."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if x.size and np.isin(x, (0.0, 1.0)).all():
        return wilson_ci(int(x.sum()), x.size)
    return mean_ci(x)


def _stopping_comparison(g, ref, ref_variant, reference, metrics, head) -> list[str]:
    censored_any = bool(g["censored"].astype(bool).any())
    lines = [head, "", ("**Censored seeds present** (they hit the cap before stopping): tau is compared by its "
                        "restricted mean E[min(tau, cap)], the other metrics over the seeds that stopped."
                        if censored_any else "No seed was censored (every seed stopped before the cap)."), "",
             f"| algorithm | metric | seeds (stopped) | censored | mean [95% CI] | diff vs {reference} [95% CI] | "
             "paired p |", "|---|---|---|---|---|---|---|"]
    for metric in ["tau"] + [m for m in metrics if m != "tau"]:
        for variant, a in g.groupby("variant", sort=False):
            a = a.drop_duplicates("seed").set_index("seed")
            if metric not in a or a[metric].isna().all():
                continue
            st = stopping_stats(a)
            cens = f"{st['censored_frac']:.1%}"
            if metric == "tau":
                mean = f"{st['rmean']:.4g} [{st['rmean_lo']:.4g}, {st['rmean_hi']:.4g}] (restricted mean)"
                diff, p = "", ""
                if variant != ref_variant and len(ref):
                    c = paired_stopping(a, ref)
                    if c["n"]:
                        diff = f"{c['diff']:+.4g} [{c['lo']:+.4g}, {c['hi']:+.4g}]"
                        p = "–" if not np.isfinite(c["p"]) else f"{c['p']:.2g} (Wilcoxon)"
                lines.append(f"| {a['label'].iloc[0]} | tau | {st['n']} ({st['n_stopped']}) | {cens} | {mean} | "
                             f"{diff} | {p} |")
                continue
            stopped = a[~a["censored"].astype(bool)]
            vals = stopped[metric].dropna()
            if vals.empty:
                lines.append(f"| {a['label'].iloc[0]} | {metric} | {st['n']} (0) | {cens} | no seed stopped | | |")
                continue
            m, lo, hi = _mean_ci(vals.to_numpy())
            diff, p = "", ""
            if variant != ref_variant and metric in ref and not ref[metric].isna().all():
                ref_stopped = ref[~ref["censored"].astype(bool)][metric].dropna()
                seeds = vals.index.intersection(ref_stopped.index)
                if len(seeds):
                    d, pv = paired_test(vals.loc[seeds].to_numpy(), ref_stopped.loc[seeds].to_numpy())
                    diff, p = f"{d:+.4g}", ("–" if not np.isfinite(pv) else f"{pv:.2g}")
            lines.append(f"| {a['label'].iloc[0]} | {metric} | {st['n']} ({len(vals)}) | {cens} | "
                         f"{m:.4g} [{lo:.4g}, {hi:.4g}] | {diff} | {p} |")
    lines += ["", "tau: restricted mean E[min(tau, cap)] over every seed (a censored seed counts at the cap), its "
                  "paired difference with the reference (95 % CI, seeds run by both, each truncated at the smaller "
                  "cap) and a Wilcoxon signed-rank test on the truncated pairs. Other metrics: mean over the seeds "
                  "that stopped; paired t-test on the seeds that stopped under both.", ""]
    return lines


def bounded_mean_ci(values, draws: int = 2000, level: float = 0.95, seed: int = 0):
    """Mean and 95 % percentile-bootstrap interval of the mean over seeds, for a quantity with a bounded range
    (a share in [0, 1]): the interval stays inside the range of the data, where a Student interval of a mean
    near 0 or 1 runs past it. A fixed generator: the same data give the same interval. One seed -> the mean."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        m = float(x.mean()) if x.size else float("nan")
        return m, m, m
    means = x[np.random.default_rng(seed).integers(0, x.size, (draws, x.size))].mean(axis=1)
    q = 100 * (1 - level) / 2
    return float(x.mean()), float(np.percentile(means, q)), float(np.percentile(means, 100 - q))


# ----------------------------------------------------------------------------- stopping times under censoring
def stopping_stats(g: pd.DataFrame) -> dict:
    """Censoring-aware summary of one variant's stopping times (one row per seed; columns tau, censored, cap).

    A censored seed hit the cap: its tau is stored as the cap, a lower bound of its stopping time. Every seed
    then gives min(tau, cap) exactly, so the restricted mean E[min(tau, cap)] and its Student interval are
    valid; the plain mean of tau would not be (it is this restricted mean, mislabelled). The median is exact
    while fewer than half the seeds are censored, and only a lower bound (``median_is_bound``) otherwise.
    """
    tau = g["tau"].to_numpy(float)
    censored = g["censored"].to_numpy(bool)
    cap = float(g["cap"].max()) if "cap" in g else float(np.max(tau))
    m, lo, hi = mean_ci(np.minimum(tau, cap))
    lo, hi = max(lo, 0.0), min(hi, cap)  # (the restricted mean lies in [0, cap]; few seeds: a wide t-interval)
    med = float(np.median(tau))
    return dict(n=len(tau), n_stopped=int((~censored).sum()), censored_frac=float(censored.mean()) if len(tau)
                else np.nan, cap=cap, rmean=m, rmean_lo=lo, rmean_hi=hi, median=med,
                median_is_bound=bool(censored.mean() >= 0.5) if len(tau) else False,
                q1=float(np.percentile(tau, 25)), q3=float(np.percentile(tau, 75)))


def paired_stopping(a: pd.DataFrame, b: pd.DataFrame) -> dict:
    """Paired comparison of two variants' stopping times valid under censoring (frames indexed by seed).

    Each seed's pair is truncated at the smaller of the two caps L: min(tau, L) is then known exactly for both
    (a censored seed's tau >= its cap >= L). Returns the mean paired difference of the restricted times (a - b)
    with its 95 % Student interval, the Wilcoxon signed-rank p-value on the same pairs (pairs censored under both
    are ties and drop out), the number of pairs ``n`` and of pairs censored under both ``both_censored``.
    """
    seeds = a.index.intersection(b.index)
    if not len(seeds):
        return dict(n=0, diff=np.nan, lo=np.nan, hi=np.nan, p=np.nan, both_censored=0)
    cap = min(float(a["cap"].max()), float(b["cap"].max())) if "cap" in a and "cap" in b else np.inf
    x = np.minimum(a.loc[seeds, "tau"].to_numpy(float), cap)
    y = np.minimum(b.loc[seeds, "tau"].to_numpy(float), cap)
    d, lo, hi = mean_ci(x - y)
    nz = (x - y) != 0
    p = float(sps.wilcoxon(x[nz], y[nz]).pvalue) if nz.sum() >= 2 else np.nan
    both = int((a.loc[seeds, "censored"].to_numpy(bool) & b.loc[seeds, "censored"].to_numpy(bool)).sum())
    return dict(n=len(seeds), diff=d, lo=lo, hi=hi, p=p, both_censored=both)


def error_among_stopped(g: pd.DataFrame, correct: str = "correct") -> dict:
    """The error rate 1 - ``correct`` over the seeds that stopped, with its Wilson 95 % interval; the seeds that hit
    the cap gave no answer and are counted apart (``censored``), with the error of their answer at the cap."""
    censored = g["censored"].to_numpy(bool)
    ok = g[correct].to_numpy(float)
    errors = int((ok[~censored] < 0.5).sum())
    rate, lo, hi = wilson_ci(errors, int((~censored).sum()))
    return dict(error_rate=rate, error_lo=lo, error_hi=hi, errors=errors, n_stopped=int((~censored).sum()),
                censored=int(censored.sum()),
                censored_error_rate=float((ok[censored] < 0.5).mean()) if censored.any() else np.nan)


def fmt_median(st: dict) -> str:
    """'1,234' or '>= 1,234' when at least half the seeds are censored (the median is then a lower bound)."""
    return ("≥ " if st["median_is_bound"] else "") + f"{st['median']:,.0f}"


# ----------------------------------------------------------------------------- figures
def save_figure(fig, path: Path, **kwargs) -> Path:
    """Draw ``fig`` to memory, close it, then write the PNG atomically (``bbox_inches='tight'`` by default, so a
    legend placed outside the axes is kept)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", **{"dpi": 110, "bbox_inches": "tight", **kwargs})
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def _shade(color, j: int, k: int):
    """The j-th of k shades of ``color`` (k = 1: the colour itself): from darker to lighter."""
    from matplotlib.colors import to_rgb

    if k <= 1:
        return color
    rgb = np.array(to_rgb(color))
    f = np.linspace(-0.45, 0.45, k)[j]
    return tuple(rgb * (1 + f) if f < 0 else rgb + (1 - rgb) * f)


def variant_styles(df: pd.DataFrame, paper) -> dict:
    """variant -> {color, marker, hatch}: the registry's colour per algorithm; when an algorithm runs with several
    hyperparameter settings (a sweep), each setting gets its own shade of that colour, marker and hatch, so every
    setting is told apart in every figure. Line styles are left to the problem sweeps (``linestyles``)."""
    pairs = df[["variant", "algorithm"]].drop_duplicates().sort_values("variant")
    out = {}
    for algo, vs in pairs.groupby("algorithm", sort=False):
        vs = list(vs["variant"])
        for j, v in enumerate(vs):
            several = len(vs) > 1
            out[v] = dict(color=_shade(paper.color(algo), j, len(vs)),
                          marker=MARKERS[j % len(MARKERS)] if several else None,
                          hatch=HATCHES[j % len(HATCHES)] if several else "")
    return out


def linestyles(values) -> dict:
    """value -> line style, in sorted order (one per value of a swept problem parameter)."""
    return {v: LINESTYLES[i % len(LINESTYLES)] for i, v in enumerate(sorted(values))}


def swept(df: pd.DataFrame, columns) -> list[str]:
    """The columns (of ``columns``, in that order) that take more than one value in ``df``: the swept ones."""
    return [c for c in columns if c in df and df[c].nunique(dropna=True) > 1]


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def setting_text(df: pd.DataFrame, columns, names: dict | None = None) -> str:
    """'B = 5, law = exponential' for the columns (of ``columns``) that take one value in ``df``; the swept
    ones as 'n in {10, 20}'. Read from the stored rows, never from a preset."""
    names = names or {}
    parts = []
    for c in columns:
        if c not in df or df[c].isna().all():
            continue
        vals = sorted(df[c].dropna().unique(), key=lambda v: (str(type(v)), v))
        name = names.get(c, c)
        parts.append(f"{name} = {_value(vals[0])}" if len(vals) == 1 else
                     f"{name} ∈ {{{', '.join(_value(v) for v in vals)}}}")
    return ", ".join(parts)


def seeds_text(df: pd.DataFrame, by=("variant", "env")) -> str:
    """'20 seeds' (per curve, box or bar), or '18-20 seeds' where the groups differ."""
    by = [c for c in by if c in df]
    counts = df.groupby(by)["seed"].nunique() if by else pd.Series([df["seed"].nunique()])
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo} seed{'s' if hi != 1 else ''}" if lo == hi else f"{lo}-{hi} seeds"


def legend_outside(fig, axes, where: str = "right", ncol: int | None = None, fontsize: float = 7):
    """One legend for the figure, off the data: to the right of the axes, or below them. Entries are unique by
    label, in the order the axes drew them."""
    handles = {}
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if not lab.startswith("_"):
                handles.setdefault(lab, h)
    if not handles:
        return None
    if where == "below":
        return fig.legend(list(handles.values()), list(handles), loc="upper center", bbox_to_anchor=(0.5, 0.0),
                          ncol=ncol or min(len(handles), 3), fontsize=fontsize, frameon=False)
    return fig.legend(list(handles.values()), list(handles), loc="center left", bbox_to_anchor=(1.0, 0.5),
                      ncol=ncol or 1, fontsize=fontsize, frameon=False)
