"""Stored ATA results -> Figures 1-3 (seaborn/matplotlib) and Tables 1-2 (Markdown, LaTeX, CSV).

Nothing here runs a simulation. Means and 95% intervals over seeds are computed
in pandas (Student-t), then drawn; seaborn's bootstrap is never used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.results import atomic_write_text
from bandits.core.stats import mean_ci

from .. import common

from .paper_values import ALGOS, SETTINGS

METRICS = ("worker_time_ratio", "runtime_ratio")
METRIC_LABEL = {"worker_time_ratio": "Tot. worker time ratio (GTA / X)", "runtime_ratio": "Runtime ratio (X / GTA)"}
PROBLEM_COLUMNS = ("law", "base", "power", "B")
TABLE_CSV_COLUMNS = ["n", "algorithm", "metric", "ours_mean", "ours_ci_low", "ours_ci_high", "paper"]  # tableN.csv


def with_problem_columns(df: pd.DataFrame, metas: list) -> pd.DataFrame:
    """Results stored before ``base`` and ``power`` were columns: take them from each run's meta.json."""
    if df.empty or {"base", "power"} <= set(df.columns) and df[["base", "power"]].notna().all().all():
        return df
    env = {m["run_dir"]: m.get("config", {}).get("experiment", {}).get("env", {}) for m in metas}
    df = df.copy()
    for col in ("base", "power"):
        stored = df.get(col)
        from_meta = df["run_dir"].map(lambda d: float(env.get(d, {}).get(col, np.nan)))
        df[col] = from_meta if stored is None else stored.fillna(from_meta)
    return df


def select(df: pd.DataFrame, setting: dict, columns=PROBLEM_COLUMNS) -> pd.DataFrame:
    """Rows of one paper setting, by the stored problem columns (``columns`` of it)."""
    if df.empty:
        return df
    keep = np.ones(len(df), bool)
    for col in columns:
        keep &= np.isclose(df[col].astype(float), float(setting[col])) if col in ("base", "power") \
            else (df[col] == setting[col]).to_numpy()
    return df[keep]


def variants(df: pd.DataFrame, paper, algorithms=None) -> list[str]:
    """Variants present (an algorithm, or one per hyperparameter setting), in the registry's order."""
    pairs = df[["variant", "algorithm"]].drop_duplicates()
    if algorithms is not None:
        pairs = pairs[pairs.algorithm.isin(algorithms)]
    order = paper.order(pairs.algorithm)
    return sorted(pairs.variant, key=lambda v: (order.index(pairs.set_index("variant").algorithm[v]), v))


def _labels(df: pd.DataFrame) -> dict:
    return dict(zip(df["variant"], df["label"]))


def law_text(df: pd.DataFrame) -> str:
    """The time law of the stored rows in the paper's notation: 'X_i = c_i + Exp(c_i), c_i = 29 √i'."""
    parts = []
    for (law, base, power), _ in df.groupby(["law", "base", "power"], sort=True):
        scale = {1.0: "i", 0.5: "√i", 0.0: ""}.get(float(power), f"i^{float(power):g}")
        c = f"c_i = {float(base):g} {scale}".rstrip()
        parts.append({"shifted_exponential": f"X_i = c_i + Exp(c_i), {c}",
                      "exponential": f"X_i ~ Exp(mean c_i), {c}"}.get(law, f"X_i ~ {law}(c_i), {c}"))
    return "; ".join(parts)


# ----------------------------------------------------------------------------- tables
def ratio_table(runs: pd.DataFrame, setting: dict, paper) -> pd.DataFrame:
    """Per (n, variant, metric): mean and 95% CI over seeds of the paired per-seed ratios vs GTA.

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
        labels = _labels(g)
        for var in variants(g, paper, ALGOS):
            x = g[g["variant"] == var].drop_duplicates("seed").set_index("seed")
            alg = x["algorithm"].iloc[0]
            seeds = x.index.intersection(gta.index)
            if len(seeds) == 0:
                continue
            ratios = {
                "worker_time_ratio": gta.loc[seeds, "worker_time"] / x.loc[seeds, "worker_time"],
                "runtime_ratio": x.loc[seeds, "runtime"] / gta.loc[seeds, "runtime"],
            }
            for metric, r in ratios.items():
                m, lo, hi = mean_ci(r.to_numpy())
                published = setting["paper"].get(int(n), {}).get((metric, alg), np.nan)
                rows.append(dict(n=int(n), algorithm=var, label=labels[var], metric=metric, ours_mean=m,
                                 ours_ci_low=lo, ours_ci_high=hi, paper=published, seeds=len(seeds),
                                 t=int(t_final)))
    return pd.DataFrame(rows, columns=["n", "algorithm", "label", "metric", "ours_mean", "ours_ci_low",
                                       "ours_ci_high", "paper", "seeds", "t"])


def _cell(r, fmt="{:.2f}"):
    ours = f"{fmt.format(r.ours_mean)} [{fmt.format(r.ours_ci_low)}, {fmt.format(r.ours_ci_high)}]"
    paper = "–" if not np.isfinite(r.paper) else fmt.format(r.paper)
    return ours, paper


def _table_columns(tab: pd.DataFrame):
    order = list(dict.fromkeys(tab["algorithm"]))
    return [(m, a) for m in METRICS for a in order], dict(zip(tab["algorithm"], tab["label"]))


def table_markdown(tab: pd.DataFrame, title: str) -> str:
    cols, labels = _table_columns(tab)
    head = "| n | " + " | ".join(f"{'TT' if m == 'worker_time_ratio' else 'RT'} {labels[a]}" for m, a in cols) + " |"
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
    cols, labels = _table_columns(tab)
    k = len(cols) // 2
    out = [r"\begin{table}[t]", r"\centering", r"\small", rf"\caption{{{caption}}}", rf"\label{{{label}}}",
           r"\begin{tabular}{r" + "c" * len(cols) + "}", r"\toprule",
           rf" & \multicolumn{{{k}}}{{c}}{{Tot.\ worker time ratio}} & \multicolumn{{{k}}}{{c}}{{Runtime ratio}} \\",
           rf"\cmidrule(lr){{2-{1 + k}}}\cmidrule(lr){{{2 + k}-{1 + 2 * k}}}",
           "$n$ & " + " & ".join(labels[a] for _, a in cols) + r" \\", r"\midrule"]
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
    """Mean and 95% CI over seeds per (n, variant, t) of one metric."""
    return common.curve_stats(curves, metric, by=("n", "variant"))


def _band(ax, x, s, style: dict, label=None, ls="-"):
    """Mean line and 95 % band; a hyperparameter setting's marker every few points (``common.variant_styles``)."""
    ax.plot(x, s["mean"], color=style["color"], label=label, lw=1.4, ls=ls, marker=style["marker"], ms=4,
            markevery=max(len(x) // 8, 1))
    ax.fill_between(x, s["lo"], s["hi"], color=style["color"], alpha=0.2, lw=0)


def _band_or_note(ax, x, s, style, label, log_y: bool, notes: list, ls="-"):
    """Draw a band; on a log axis, a curve with no positive value is named in a note instead of vanishing."""
    if log_y and not (s["mean"] > 0).any():
        notes.append(f"{label}: all values <= 0 (e.g. zero regret), not drawable on a log axis")
        return
    _band(ax, x, s, style, label, ls)


def figure_grid(curves: pd.DataFrame, setting: dict, path: Path, paper, y_metric: str = "grad_norm_sq",
                title: str = "") -> bool:
    """One row per n (a swept problem parameter: its own panels), four panels per row; every variant (an
    algorithm, or one per hyperparameter setting) a band of its own colour and marker. The title states the
    setting and the seeds, read from the stored rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    curves = select(curves, setting)
    if curves.empty or y_metric not in set(curves["metric"]):
        return False  # e.g. table-only runs store no SGD curves
    sns.set_theme(style="whitegrid", context="paper")
    ns = sorted(curves["n"].unique())
    labels, styles = _labels(curves), common.variant_styles(curves, paper)
    stats = {m: curve_stats(curves, m) for m in (y_metric, "runtime", "worker_time", "avg_iteration_time",
                                                  "avg_proxy_regret")}
    fig, axes = plt.subplots(len(ns), 4, figsize=(16, 3.2 * len(ns)), squeeze=False)
    ylab = {"grad_norm_sq": r"$\|\nabla f(x_k)\|^2$", "suboptimality": r"$f(x_k) - f^*$"}[y_metric]
    for row, n in enumerate(ns):
        notes = []
        for var in variants(curves, paper):
            y = stats[y_metric].query("n == @n and variant == @var")
            if y.empty:
                continue
            st = styles[var]
            for col, clock in ((0, "runtime"), (1, "worker_time")):
                x = stats[clock].query("n == @n and variant == @var")["mean"].to_numpy()
                if len(x) == len(y):
                    _band(axes[row, col], x, y, st, labels[var])
            it = stats["avg_iteration_time"].query("n == @n and variant == @var")
            if not it.empty:
                _band(axes[row, 2], it["t"].to_numpy(), it, st, labels[var])
            rg = stats["avg_proxy_regret"].query("n == @n and variant == @var")
            if not rg.empty:  # every algorithm that allocates tasks has a proxy regret (GTA has none)
                _band_or_note(axes[row, 3], rg["t"].to_numpy(), rg, st, labels[var], True, notes)
        seeds = common.seeds_text(curves[curves["n"] == n])
        axes[row, 0].set(xscale="log", yscale="log", xlabel="runtime", ylabel=f"n = {n} ({seeds})\n{ylab}")
        axes[row, 1].set(xscale="log", yscale="log", xlabel="total worker time", ylabel=ylab)
        axes[row, 2].set(xscale="log", xlabel="iterations k", ylabel=r"$C_k / k$")
        axes[row, 3].set(xscale="log", yscale="log", xlabel="iterations k", ylabel=r"$R_k / k$")
        if notes:
            axes[row, 3].text(0.02, 0.02, "\n".join(notes), transform=axes[row, 3].transAxes, fontsize=7,
                              va="bottom")
    fig.suptitle(f"{title}\n{law_text(curves)}, {common.setting_text(curves, ['B'])}; mean and 95% CI over "
                 f"{common.seeds_text(curves)} per curve", fontsize=11)
    fig.tight_layout()
    common.legend_outside(fig, axes, where="right", fontsize=9)
    common.save_figure(fig, path)
    return True


def figure3(curves: pd.DataFrame, path: Path, paper) -> bool:
    """Proxy regret R_K of the Figure 3 law (X_i ~ Exp(mean 2i)), whatever n and B were run: a panel per B, a
    curve per (variant, n), the variant's colour (and marker for a hyperparameter setting), a line style per n.
    Title, labels and seeds from the stored rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    law = SETTINGS["figure3"]
    curves = select(curves, {k: law[k] for k in ("law", "base", "power")}, ("law", "base", "power"))
    if curves.empty or "proxy_regret" not in set(curves["metric"]):
        return False
    sns.set_theme(style="whitegrid", context="paper")
    st = common.curve_stats(curves, "proxy_regret", by=("B", "n", "variant"))
    labels, styles = _labels(curves), common.variant_styles(curves, paper)
    Bs, ns = sorted(curves["B"].unique()), sorted(curves["n"].unique())
    dashes = common.linestyles(ns)
    fig, axes = plt.subplots(1, len(Bs), figsize=(5.5 * len(Bs), 3.8), squeeze=False)
    for ax, B in zip(axes[0], Bs):
        for var in variants(curves, paper):
            for n in ns:
                s = st[(st["B"] == B) & (st["n"] == n) & (st["variant"] == var)]
                if s.empty:
                    continue
                label = labels[var] + (f", n = {n}" if len(ns) > 1 else "")
                _band(ax, s["t"].to_numpy(), s, styles[var], label, dashes[n])
        ax.set(xscale="log", xlabel="rounds K (log scale)", ylabel=r"proxy regret $R_K$" if B == Bs[0] else "",
               title=f"B = {B}" if len(Bs) > 1 else "")
    fixed = common.setting_text(curves, [c for c in ("n", "B") if curves[c].nunique() == 1])
    fig.suptitle(f"Figure 3: {law_text(curves)}" + (f", {fixed}" if fixed else "") +
                 f"\nmean and 95% CI over {common.seeds_text(curves, ('variant', 'n', 'B'))} per curve", fontsize=9)
    fig.tight_layout()
    common.legend_outside(fig, axes, where="right")
    common.save_figure(fig, path, dpi=120)
    return True


# ----------------------------------------------------------------------------- driver
def report(paper, runs: pd.DataFrame, curves: pd.DataFrame, metas: list, figures_dir: Path,
           paper_dir: Path) -> list[Path]:
    """Draw every ATA figure and table the stored results allow. Returns the files written."""
    runs, curves = with_problem_columns(runs, metas), with_problem_columns(curves, metas)
    written = []
    tables_md = {}
    fig_dir, tab_dir = Path(figures_dir) / "ata", Path(paper_dir) / "ata"
    for name, num in (("table1", 1), ("table2", 2)):
        tab = ratio_table(runs, SETTINGS[name], paper)
        if tab.empty:
            continue
        tables_md[name] = table_markdown(tab, f"Table {num}")
        law = "29\\sqrt{i}" if num == 1 else "29 i"
        for suffix, text in (
            (".md", tables_md[name]),
            (".tex", table_latex(tab, f"Ratios vs GTA at the final iteration, $X_i = c_i + \\mathrm{{Exp}}(c_i)$, "
                                      f"$c_i = {law}$, $B = 23$ (ours: mean $\\pm$ 95\\% CI half-width; paper in "
                                      f"parentheses).", f"tab:ata-table{num}")),
        ):
            written.append(atomic_write_text(tab_dir / f"{name}{suffix}", text))
        csv = tab[TABLE_CSV_COLUMNS]
        written.append(atomic_write_text(tab_dir / f"{name}.csv", csv.to_csv(index=False)))
    for name, num in (("figure1", 1), ("figure2", 2)):
        st = SETTINGS[name]
        if figure_grid(curves, st, fig_dir / f"{name}.png", paper, "grad_norm_sq", f"Figure {num}"):
            written.append(fig_dir / f"{name}.png")
        if figure_grid(curves, st, fig_dir / f"{name}_suboptimality.png", paper, "suboptimality",
                       f"Figure {num} with the paper's axis label f(x) - f* (see paper/ata/README.md)"):
            written.append(fig_dir / f"{name}_suboptimality.png")
    if figure3(curves, fig_dir / "figure3.png", paper):
        written.append(fig_dir / "figure3.png")
    written.append(atomic_write_text(tab_dir / "README.md", render_readme(paper, runs, curves, metas, tables_md)))
    return written


# ----------------------------------------------------------------------------- reproduction report
TEMPLATE = Path(__file__).with_name("README.template.md")


def figure3_markdown(paper, curves: pd.DataFrame) -> str:
    c = select(curves, SETTINGS["figure3"])
    c = c[c.metric == "proxy_regret"]
    if c.empty:
        return "(no Figure 3 results)\n"
    ts = sorted(c.t.unique())
    targets = [10**e for e in range(1, 8) if 10**e < ts[-1]] + [ts[-1]]
    picks = sorted({min(ts, key=lambda t: abs(np.log(t) - np.log(target))) for target in targets})
    vs, labels = variants(c, paper), _labels(c)
    lines = ["| K | " + " | ".join(f"{labels[v]} R_K" for v in vs) + " | " +
             " | ".join(f"{labels[v]} R_K / ln K" for v in vs) + " |", "|---|" + "---|" * (2 * len(vs))]
    for t in picks:
        vals, ratios = [], []
        for v in vs:
            x = c[(c.variant == v) & (c.t == t)]["value"]
            m, lo, hi = mean_ci(x.to_numpy()) if len(x) else (np.nan,) * 3
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


def render_readme(paper, runs, curves, metas, tables: dict) -> str:
    text = TEMPLATE.read_text()
    fills = {
        "{{TABLE1}}": tables.get("table1", "(no Table 1 results)\n"),
        "{{TABLE2}}": tables.get("table2", "(no Table 2 results)\n"),
        "{{FIGURE3}}": figure3_markdown(paper, curves),
        "{{SGD}}": sgd_markdown(curves),
        "{{TIMINGS}}": common.timings_markdown(paper, metas),
        "{{PROVENANCE}}": common.provenance_markdown(metas),
    }
    for k, v in fills.items():
        text = text.replace(k, v)
    return text
