"""Stored ATA results -> Figures 1-3 (seaborn/matplotlib) and Tables 1-2 (Markdown, LaTeX, CSV).

Nothing here runs a simulation. Means and 95% intervals over seeds are computed
in pandas (Student-t), then drawn; seaborn's bootstrap is never used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bandits.allocation.algorithms import DISPLAY
from bandits.core.stats import mean_ci

from .paper_values import ALGOS, SETTINGS

METRICS = ("worker_time_ratio", "runtime_ratio")
METRIC_LABEL = {"worker_time_ratio": "Tot. worker time ratio (GTA / X)", "runtime_ratio": "Runtime ratio (X / GTA)"}
PRETTY = {"29*sqrt(i)": "29√i", "29*i": "29 i", "2*i": "2i"}
COLORS = {"ata": "tab:blue", "ata_empirical": "tab:orange", "ofta": "tab:green", "gta": "tab:red", "uta": "tab:purple"}


def select(df: pd.DataFrame, setting: dict) -> pd.DataFrame:
    prefix = f"{setting['law']}[{setting['profile']}]"
    return df[df["env"].str.startswith(prefix + " ") & (df["B"] == setting["B"])]


# ----------------------------------------------------------------------------- tables
def ratio_table(runs: pd.DataFrame, setting: dict) -> pd.DataFrame:
    """Per (n, algorithm, metric): mean and 95% CI over seeds of the paired per-seed ratios vs GTA.

    Both ratios are taken at the same final iteration count (spec section 7), pairing
    each algorithm's seed s with GTA's seed s (same random draws).
    """
    runs = select(runs, setting)
    rows = []
    for n, g in runs.groupby("n"):
        t_final = g["t"].max()
        g = g[g["t"] == t_final]
        gta = g[g["algorithm"] == "gta"].drop_duplicates("seed").set_index("seed")
        if gta.empty:
            continue
        for alg in ALGOS:
            x = g[g["algorithm"] == alg].drop_duplicates("seed").set_index("seed")
            seeds = x.index.intersection(gta.index)
            if len(seeds) == 0:
                continue
            ratios = {
                "worker_time_ratio": gta.loc[seeds, "worker_time"] / x.loc[seeds, "worker_time"],
                "runtime_ratio": x.loc[seeds, "runtime"] / gta.loc[seeds, "runtime"],
            }
            for metric, r in ratios.items():
                m, lo, hi = mean_ci(r.to_numpy())
                paper = setting["paper"].get(int(n), {}).get((metric, alg), np.nan)
                rows.append(dict(n=int(n), algorithm=alg, metric=metric, ours_mean=m, ours_ci_low=lo,
                                 ours_ci_high=hi, paper=paper, seeds=len(seeds), t=int(t_final)))
    return pd.DataFrame(rows, columns=["n", "algorithm", "metric", "ours_mean", "ours_ci_low", "ours_ci_high",
                                       "paper", "seeds", "t"])


def _cell(r, fmt="{:.2f}"):
    ours = f"{fmt.format(r.ours_mean)} [{fmt.format(r.ours_ci_low)}, {fmt.format(r.ours_ci_high)}]"
    paper = "–" if not np.isfinite(r.paper) else fmt.format(r.paper)
    return ours, paper


def table_markdown(tab: pd.DataFrame, title: str) -> str:
    cols = [(m, a) for m in METRICS for a in ALGOS]
    head = "| n | " + " | ".join(f"{'TT' if m == 'worker_time_ratio' else 'RT'} {DISPLAY[a]}" for m, a in cols) + " |"
    sep = "|---|" + "---|" * len(cols)
    lines = [f"**{title}** — ours: mean [95% CI] over seeds; (paper value)", "", head, sep]
    for n, g in tab.groupby("n"):
        cells = []
        for m, a in cols:
            r = g[(g.metric == m) & (g.algorithm == a)]
            if r.empty:
                cells.append("–")
                continue
            ours, paper = _cell(r.iloc[0])
            cells.append(f"{ours} ({paper})")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    if len(tab):
        lines += ["", f"TT = total worker time ratio GTA/X, RT = runtime ratio X/GTA, both at t = {tab.t.max():,} "
                      f"rounds; {tab.seeds.min()} seeds."]
    return "\n".join(lines) + "\n"


def table_latex(tab: pd.DataFrame, caption: str, label: str) -> str:
    cols = [(m, a) for m in METRICS for a in ALGOS]
    out = [r"\begin{table}[t]", r"\centering", r"\small", rf"\caption{{{caption}}}", rf"\label{{{label}}}",
           r"\begin{tabular}{r" + "c" * len(cols) + "}", r"\toprule",
           r" & \multicolumn{3}{c}{Tot.\ worker time ratio} & \multicolumn{3}{c}{Runtime ratio} \\",
           r"\cmidrule(lr){2-4}\cmidrule(lr){5-7}",
           "$n$ & " + " & ".join(DISPLAY[a] for _, a in cols) + r" \\", r"\midrule"]
    for n, g in tab.groupby("n"):
        cells = []
        for m, a in cols:
            r = g[(g.metric == m) & (g.algorithm == a)]
            if r.empty:
                cells.append("--")
                continue
            r = r.iloc[0]
            paper = "--" if not np.isfinite(r.paper) else f"{r.paper:.2f}"
            cells.append(rf"${r.ours_mean:.2f}\pm{(r.ours_ci_high - r.ours_ci_low) / 2:.2f}$ ({paper})")
        out.append(f"{n} & " + " & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- figures
def curve_stats(curves: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean and 95% CI over seeds per (n, algorithm, t) of one metric."""
    d = curves[curves["metric"] == metric]
    rows = []
    for (n, alg, t), g in d.groupby(["n", "algorithm", "t"], sort=True):
        m, lo, hi = mean_ci(g["value"].to_numpy())
        rows.append((n, alg, t, m, lo, hi))
    return pd.DataFrame(rows, columns=["n", "algorithm", "t", "mean", "lo", "hi"])


def _band(ax, x, s, alg, label=True):
    ax.plot(x, s["mean"], color=COLORS.get(alg), label=DISPLAY.get(alg, alg) if label else None, lw=1.4)
    ax.fill_between(x, s["lo"], s["hi"], color=COLORS.get(alg), alpha=0.2, lw=0)


def figure_grid(curves: pd.DataFrame, setting: dict, path: Path, y_metric: str = "grad_norm_sq",
                title: str = "") -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    curves = select(curves, setting)
    if curves.empty or y_metric not in set(curves["metric"]):
        return False  # e.g. table-only runs store no SGD curves
    sns.set_theme(style="whitegrid", context="paper")
    ns = sorted(curves["n"].unique())
    stats = {m: curve_stats(curves, m) for m in (y_metric, "runtime", "worker_time", "avg_iteration_time",
                                                  "avg_proxy_regret")}
    fig, axes = plt.subplots(len(ns), 4, figsize=(16, 3.2 * len(ns)), squeeze=False)
    ylab = {"grad_norm_sq": r"$\|\nabla f(x_k)\|^2$", "suboptimality": r"$f(x_k) - f^*$"}[y_metric]
    for row, n in enumerate(ns):
        for alg in ["ata", "ata_empirical", "ofta", "gta", "uta"]:
            y = stats[y_metric].query("n == @n and algorithm == @alg")
            if y.empty:
                continue
            for col, clock in ((0, "runtime"), (1, "worker_time")):
                x = stats[clock].query("n == @n and algorithm == @alg")["mean"].to_numpy()
                if len(x) == len(y):
                    _band(axes[row, col], x, y, alg, label=(row == 0 and col == 0))
            it = stats["avg_iteration_time"].query("n == @n and algorithm == @alg")
            if not it.empty:
                _band(axes[row, 2], it["t"].to_numpy(), it, alg, label=False)
            if alg in ("ata", "ata_empirical", "uta"):
                rg = stats["avg_proxy_regret"].query("n == @n and algorithm == @alg")
                if not rg.empty:
                    _band(axes[row, 3], rg["t"].to_numpy(), rg, alg, label=False)
        axes[row, 0].set(xscale="log", yscale="log", xlabel="runtime", ylabel=f"n = {n}\n{ylab}")
        axes[row, 1].set(xscale="log", yscale="log", xlabel="total worker time", ylabel=ylab)
        axes[row, 2].set(xscale="log", xlabel="iterations k", ylabel=r"$C_k / k$")
        axes[row, 3].set(xscale="log", yscale="log", xlabel="iterations k", ylabel=r"$R_k / k$")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (3.2 * len(ns))))
    fig.suptitle(title, y=1.0, fontsize=12)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.18 / (3.2 * len(ns))), ncol=5,
               frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return True


def figure3(curves: pd.DataFrame, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    curves = select(curves, SETTINGS["figure3"])
    if curves.empty:
        return False
    sns.set_theme(style="whitegrid", context="paper")
    st = curve_stats(curves, "proxy_regret")
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for alg in ["ata", "ata_empirical"]:
        s = st[st.algorithm == alg]
        if not s.empty:
            _band(ax, s["t"].to_numpy(), s, alg)
    ax.set(xscale="log", xlabel="rounds K (log scale)", ylabel=r"proxy regret $R_K$",
           title="Figure 3: n = 20, B = 5, $X_i \\sim$ Exp(mean 2i)")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


# ----------------------------------------------------------------------------- driver
def _write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def report(runs: pd.DataFrame, curves: pd.DataFrame, metas: list, figures_dir: Path, paper_dir: Path) -> list[Path]:
    """Draw every ATA figure and table the stored results allow. Returns the files written."""
    written = []
    tables_md = {}
    fig_dir, tab_dir = Path(figures_dir) / "ata", Path(paper_dir) / "ata"
    for name, num in (("table1", 1), ("table2", 2)):
        tab = ratio_table(runs, SETTINGS[name])
        if tab.empty:
            continue
        tables_md[name] = table_markdown(tab, f"Table {num}")
        law = "29\\sqrt{i}" if num == 1 else "29 i"
        for suffix, text in (
            (".md", table_markdown(tab, f"Table {num}")),
            (".tex", table_latex(tab, f"Ratios vs GTA at the final iteration, $X_i = c_i + \\mathrm{{Exp}}(c_i)$, "
                                      f"$c_i = {law}$, $B = 23$ (ours: mean $\\pm$ 95\\% CI half-width; paper in "
                                      f"parentheses).", f"tab:ata-table{num}")),
        ):
            _write(tab_dir / f"{name}{suffix}", text)
            written.append(tab_dir / f"{name}{suffix}")
        csv = tab[["n", "algorithm", "metric", "ours_mean", "ours_ci_low", "ours_ci_high", "paper"]]
        _write(tab_dir / f"{name}.csv", csv.to_csv(index=False))
        written.append(tab_dir / f"{name}.csv")
    for name, num in (("figure1", 1), ("figure2", 2)):
        st = SETTINGS[name]
        if figure_grid(curves, st, fig_dir / f"{name}.png", "grad_norm_sq",
                       f"Figure {num}: c_i = {PRETTY[st['profile']]}, B = {st['B']} (mean and 95% CI over seeds)"):
            written.append(fig_dir / f"{name}.png")
        if "suboptimality" in set(curves["metric"]) and figure_grid(
                curves, st, fig_dir / f"{name}_suboptimality.png", "suboptimality",
                f"Figure {num} with the paper's axis label f(x) - f* (see paper/ata/README.md)"):
            written.append(fig_dir / f"{name}_suboptimality.png")
    if figure3(curves, fig_dir / "figure3.png"):
        written.append(fig_dir / "figure3.png")
    _write(tab_dir / "README.md", render_readme(runs, curves, metas, tables_md))
    written.append(tab_dir / "README.md")
    return written


# ----------------------------------------------------------------------------- reproduction report
TEMPLATE = Path(__file__).with_name("README.template.md")


def timings_markdown(metas: list) -> str:
    rows = []
    for m in metas:
        exp = m.get("experiment", {}).get("name", "?")
        for t in m.get("timings", []):
            rows.append(dict(experiment=exp, algorithm=t["algorithm"], n=t["n"], wall=t["wall_time"],
                             compile=t["compile_time"]))
    if not rows:
        return "(no timings stored)\n"
    df = pd.DataFrame(rows)
    jobs = pd.DataFrame([dict(experiment=m.get("experiment", {}).get("name"), job_wall=m.get("wall_time_s", 0.0))
                         for m in metas])
    per_exp = jobs.groupby("experiment").agg(jobs=("job_wall", "size"), cpu_s=("job_wall", "sum"),
                                             longest_job_s=("job_wall", "max"))
    lines = ["| preset | jobs | sum of job wall times (s) | longest job (s) |", "|---|---|---|---|"]
    for exp, r in per_exp.iterrows():
        lines.append(f"| {exp} | {int(r.jobs)} | {r.cpu_s:,.0f} | {r.longest_job_s:,.0f} |")
    lines += ["", "Simulation time per (algorithm, n), execution only (compilation apart):", "",
              "| preset | algorithm | n | run (s) | compile (s) |", "|---|---|---|---|---|"]
    for r in df.sort_values(["experiment", "n", "algorithm"]).itertuples():
        lines.append(f"| {r.experiment} | {DISPLAY.get(r.algorithm, r.algorithm)} | {r.n} | {r.wall:,.1f} | "
                     f"{r.compile:.1f} |")
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


def figure3_markdown(curves: pd.DataFrame) -> str:
    c = select(curves, SETTINGS["figure3"])
    c = c[c.metric == "proxy_regret"]
    if c.empty:
        return "(no Figure 3 results)\n"
    ts = sorted(c.t.unique())
    targets = [10**e for e in range(1, 8) if 10**e < ts[-1]] + [ts[-1]]
    picks = sorted({min(ts, key=lambda t: abs(np.log(t) - np.log(target))) for target in targets})
    lines = ["| K | " + " | ".join(f"{DISPLAY[a]} R_K" for a in ("ata", "ata_empirical")) + " | " +
             " | ".join(f"{DISPLAY[a]} R_K / ln K" for a in ("ata", "ata_empirical")) + " |",
             "|---|---|---|---|---|"]
    for t in picks:
        vals, ratios = [], []
        for a in ("ata", "ata_empirical"):
            v = c[(c.algorithm == a) & (c.t == t)]["value"]
            m, lo, hi = mean_ci(v.to_numpy()) if len(v) else (np.nan,) * 3
            vals.append(f"{m:,.0f} [{lo:,.0f}, {hi:,.0f}]")
            ratios.append(f"{m / np.log(t):,.0f}" if t > 1 else "–")
        lines.append(f"| {t:,} | " + " | ".join(vals + ratios) + " |")
    return "\n".join(lines) + "\n"


def sgd_markdown(curves: pd.DataFrame) -> str:
    out = []
    for name in ("figure1", "figure2"):
        c = select(curves, SETTINGS[name])
        c = c[c.metric.isin(["grad_norm_sq", "suboptimality"]) & (c.algorithm == c.algorithm.iloc[0])] if len(c) else c
        if c.empty:
            continue
        t_end = c.t.max()
        g = c[c.t == t_end].groupby("metric")["value"].mean()
        hit = c[(c.metric == "grad_norm_sq") & (c.value < 1e-5)].groupby("seed")["t"].min()
        out.append(f"- {name}: after {t_end:,} iterations, mean f(x_k) - f* = {g.get('suboptimality', np.nan):.3g} "
                   f"and mean ||grad f(x_k)||^2 = {g.get('grad_norm_sq', np.nan):.3g}; ||grad f||^2 < 1e-5 first "
                   f"recorded at k = {int(hit.median()) if len(hit) else 'never'} (median over seeds).")
    return "\n".join(out) + "\n" if out else "(no SGD curves stored)\n"


def render_readme(runs, curves, metas, tables: dict) -> str:
    text = TEMPLATE.read_text()
    fills = {
        "{{TABLE1}}": tables.get("table1", "(no Table 1 results)\n"),
        "{{TABLE2}}": tables.get("table2", "(no Table 2 results)\n"),
        "{{FIGURE3}}": figure3_markdown(curves),
        "{{SGD}}": sgd_markdown(curves),
        "{{TIMINGS}}": timings_markdown(metas),
        "{{PROVENANCE}}": provenance_markdown(metas),
    }
    for k, v in fills.items():
        text = text.replace(k, v)
    return text
