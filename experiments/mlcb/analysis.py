"""Stored M-LCB results -> Figure 2 (regret, advisors, training budget), the rate figure, tables and README.

Nothing here runs a simulation. Rows are selected by stored columns only (``experiment``,
``experts``, ``M``, ``K``, ``alpha``, ``algorithm``, ``hyperparameters``); names and colours come from
the registry. Means and 95% intervals over seeds are Student-t (``bandits.core.stats``); paired
differences pair seed s of two algorithms (same seed = same data stream).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.results import atomic_write_text
from bandits.core.stats import mean_ci, paired_test

from .. import common

RATE_COLUMNS = ["alpha", "K", "M", "slope_T", "slope_T_ci_low", "slope_T_ci_high", "predicted_slope_T"]
SNAPSHOT = re.compile(r"^pseudo_regret_T(\d+)$")
TEMPLATE = Path(__file__).with_name("README.template.md")
BOOTSTRAP = 2000


# ----------------------------------------------------------------------------- selection
def _hp(value) -> dict:
    try:
        return json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}


def final_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["t"] == df["t"].max()] if "t" in df and len(df) else df


def tuned_variants(runs: pd.DataFrame, paper) -> tuple[dict, pd.DataFrame]:
    """Per M: the variants to show (every algorithm once; an algorithm run with several hyperparameter
    settings, e.g. ED2RB's c grid, by its best setting: smallest mean final pseudo-regret at that M).

    Returns ({M: [variant, ...]}, tuning table: M, algorithm, hyperparameters, mean, ci, best).
    """
    shown, tuning = {}, []
    for M, g in runs.groupby("M", sort=True):
        chosen = []
        for algo in paper.order(g["algorithm"].unique()):
            a = g[g["algorithm"] == algo]
            if a["variant"].nunique() == 1:
                chosen.append(a["variant"].iloc[0])
                continue
            stats = []
            for var, v in a.groupby("variant"):
                m, lo, hi = mean_ci(v.drop_duplicates("seed")["pseudo_regret"].to_numpy())
                stats.append((m, var, lo, hi, v["hyperparameters"].iloc[0], len(v.drop_duplicates("seed"))))
            stats.sort(key=lambda s: (s[0], s[1]))
            chosen.append(stats[0][1])
            for m, var, lo, hi, hp, n in stats:
                tuning.append(dict(M=int(M), algorithm=algo, hyperparameters=hp, seeds=n, pseudo_regret_mean=m,
                                   ci_low=lo, ci_high=hi, best=var == stats[0][1]))
        shown[int(M)] = chosen
    return shown, pd.DataFrame(tuning)


def _labels(df: pd.DataFrame) -> dict:
    return dict(zip(df["variant"], df["label"]))


def _colors(df: pd.DataFrame, paper) -> dict:
    return {v: paper.color(a) for v, a in zip(df["variant"], df["algorithm"])}


def _names(df: pd.DataFrame) -> list[str]:
    return str(df["experts_names"].iloc[0]).split(",") if "experts_names" in df else \
        [str(i) for i in range(int(df["K"].iloc[0]))]


def _label(var: str, labels: dict, runs: pd.DataFrame, tuned: bool) -> str:
    lab = labels.get(var, var)
    if tuned:
        hp = _hp(runs[runs["variant"] == var]["hyperparameters"].iloc[0])
        lab = f"{lab.split(' (')[0]} (best c = {hp.get('c')})" if "c" in hp else lab
    return lab


# ----------------------------------------------------------------------------- tables
def final_table(runs: pd.DataFrame, paper, shown: dict) -> pd.DataFrame:
    """Per M x variant: final pseudo-regret and realized regret (mean, 95% CI, paired difference to the
    reference M-FLCB and its p-value), identification rate P(I_T = i*)."""
    rows = []
    ref_algo = paper.reference
    for M, g in runs.groupby("M", sort=True):
        ref = g[g["algorithm"] == ref_algo]
        ref_var = sorted(ref["variant"].unique())[0] if len(ref) else None
        ref = ref[ref["variant"] == ref_var].drop_duplicates("seed").set_index("seed") if ref_var else ref
        for var in shown.get(int(M), []):
            x = g[g["variant"] == var].drop_duplicates("seed").set_index("seed")
            row = dict(M=int(M), K=int(x["K"].iloc[0]), algorithm=x["algorithm"].iloc[0], variant=var,
                       label=x["label"].iloc[0], hyperparameters=x["hyperparameters"].iloc[0], seeds=len(x),
                       T=int(x["t"].iloc[0]) if "t" in x else np.nan)
            for metric in ("pseudo_regret", "regret"):
                m, lo, hi = mean_ci(x[metric].to_numpy())
                d, p = np.nan, np.nan
                if ref_var is not None and var != ref_var:
                    seeds = x.index.intersection(ref.index)
                    d, p = paired_test(x.loc[seeds, metric].to_numpy(), ref.loc[seeds, metric].to_numpy())
                row.update({f"{metric}_mean": m, f"{metric}_ci_low": lo, f"{metric}_ci_high": hi,
                            f"{metric}_diff_vs_{ref_algo}": d, f"{metric}_p_value": p})
            best = x["best_expert"].to_numpy()
            row["identified"] = float(np.mean(x["final_advisor"].to_numpy() == best)) if (best >= 0).all() \
                else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _fmt_p(p) -> str:
    return "–" if not np.isfinite(p) else (f"{p:.2g}" if p >= 1e-4 else "< 1e-4")


def final_markdown(tab: pd.DataFrame, title: str, ref_label: str, ref_algo: str) -> str:
    if tab.empty:
        return "(no results)\n"
    lines = [f"**{title}** — final regret at T = {int(tab['T'].max()):,} over {int(tab['seeds'].min())} seeds: "
             f"mean [95% CI]; paired difference to {ref_label} (same seeds, same data) and its paired t-test p-value.",
             "", "| M | algorithm | pseudo-regret | diff vs ref. | p | realized regret | diff vs ref. | p | "
                 "P(I_T = i*) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in tab.itertuples():
        cells = []
        for metric in ("pseudo_regret", "regret"):
            m, lo, hi = (getattr(r, f"{metric}_mean"), getattr(r, f"{metric}_ci_low"), getattr(r, f"{metric}_ci_high"))
            d, p = getattr(r, f"{metric}_diff_vs_{ref_algo}"), getattr(r, f"{metric}_p_value")
            cells += [f"{m:,.1f} [{lo:,.1f}, {hi:,.1f}]", "–" if not np.isfinite(d) else f"{d:+,.1f}", _fmt_p(p)]
        ident = "–" if not np.isfinite(r.identified) else f"{r.identified:.2f}"
        lines.append(f"| {r.M} | {r.label} | " + " | ".join(cells) + f" | {ident} |")
    return "\n".join(lines) + "\n"


def tuning_markdown(tuning: pd.DataFrame, paper) -> str:
    if tuning.empty:
        return ""
    lines = ["| M | algorithm | hyperparameters | seeds | final pseudo-regret [95% CI] | best |",
             "|---|---|---|---|---|---|"]
    for r in tuning.itertuples():
        hp = ", ".join(f"{k}={v}" for k, v in sorted(_hp(r.hyperparameters).items()))
        lines.append(f"| {r.M} | {paper.display(r.algorithm)} | {hp} | {r.seeds} | {r.pseudo_regret_mean:,.1f} "
                     f"[{r.ci_low:,.1f}, {r.ci_high:,.1f}] | {'**best**' if r.best else ''} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- rates
def horizons_of(df: pd.DataFrame) -> list[tuple[int, str]]:
    cols = [(int(m.group(1)), c) for c in df.columns if (m := SNAPSHOT.match(c)) and df[c].notna().any()]
    return sorted(cols)


def fit_slope(R: np.ndarray, T: np.ndarray, rng: np.random.Generator):
    """OLS slope of log mean_s R[s, T] on log T; 95% percentile interval by resampling seeds."""
    x = np.log(T.astype(float))
    xc = x - x.mean()

    def slopes(means):  # [..., H]
        y = np.log(np.maximum(means, 1e-300))
        return (y - y.mean(-1, keepdims=True)) @ xc / (xc @ xc)

    if len(T) < 2 or not (R.mean(0) > 0).all():
        return np.nan, np.nan, np.nan
    s = float(slopes(R.mean(0)))
    idx = rng.integers(0, R.shape[0], (BOOTSTRAP, R.shape[0]))
    boot = slopes(R[idx].mean(1))
    return s, float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


def rates_tables(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(rates.csv for M-LCB, slopes of every variant, mean regret per T) from the oracle experiments."""
    runs = runs[runs["experts"] == "oracle"] if "experts" in runs else runs.iloc[:0]
    hs = horizons_of(runs)
    slopes, points = [], []
    if runs.empty or not hs:
        return pd.DataFrame(columns=RATE_COLUMNS), pd.DataFrame(), pd.DataFrame()
    T = np.array([h for h, _ in hs])
    for (alpha, K, M, var), g in runs.groupby(["alpha", "K", "M", "variant"], sort=True):
        g = g.drop_duplicates("seed")
        R = g[[c for _, c in hs]].to_numpy(float)
        rng = np.random.default_rng(0)
        s, lo, hi = fit_slope(R, T, rng)
        slopes.append(dict(alpha=float(alpha), K=int(K), M=int(M), algorithm=g["algorithm"].iloc[0], variant=var,
                           label=g["label"].iloc[0], seeds=len(g), slope_T=s, slope_T_ci_low=lo, slope_T_ci_high=hi,
                           predicted_slope_T=max(0.5, float(alpha))))
        for j, h in enumerate(T):
            m, l_, h_ = mean_ci(R[:, j])
            points.append(dict(alpha=float(alpha), K=int(K), M=int(M), algorithm=g["algorithm"].iloc[0],
                               variant=var, T=int(h), mean=m, ci_low=l_, ci_high=h_))
    slopes, points = pd.DataFrame(slopes), pd.DataFrame(points)
    mlcb = slopes[slopes["algorithm"] == "mlcb"]
    if mlcb["variant"].nunique() > 1:  # a sweep of M-LCB: the theory constants' variant, else the first
        mlcb = mlcb[mlcb["variant"] == sorted(mlcb["variant"].unique())[0]]
    return mlcb[RATE_COLUMNS].reset_index(drop=True), slopes, points


def rates_markdown(rates: pd.DataFrame, slopes: pd.DataFrame, points: pd.DataFrame, paper) -> str:
    if rates.empty and slopes.empty:
        return "(no rate results: run `mlcb/rates`)\n"
    lines = ["| algorithm | alpha | K | M | seeds | slope in T [95% CI] | predicted max(1/2, alpha) | within 0.1? |",
             "|---|---|---|---|---|---|---|---|"]
    for r in slopes.itertuples():
        ok = "yes" if abs(r.slope_T - r.predicted_slope_T) <= 0.1 else "**no**"
        lines.append(f"| {r.label} | {r.alpha:g} | {r.K} | {r.M} | {r.seeds} | {r.slope_T:.3f} "
                     f"[{r.slope_T_ci_low:.3f}, {r.slope_T_ci_high:.3f}] | {r.predicted_slope_T:g} | {ok} |")
    out = "\n".join(lines) + "\n"
    # regret non-increasing in M; M = K beside the best expert alone
    mono, match = [], []
    Tmax = points["T"].max() if len(points) else None
    fin = points[(points["T"] == Tmax) & (points["algorithm"] == "mlcb")] if Tmax else points
    alone = points[(points["T"] == Tmax) & (points["algorithm"] == "best_expert_alone")] if Tmax else points
    for (alpha, K), g in fin.groupby(["alpha", "K"]):
        g = g.sort_values("M")
        vals = ", ".join(f"M={m}: {v:,.1f}" for m, v in zip(g["M"], g["mean"]))
        nonincr = bool(np.all(np.diff(g["mean"].to_numpy()) <= 0))
        mono.append(f"- alpha = {alpha:g}, K = {K}: {vals} — {'non-increasing' if nonincr else '**not monotone**'}")
        a = alone[(alpha == alone["alpha"]) & (alone["K"] == K)]
        full = g[g["M"] == K]
        if len(a) and len(full):
            match.append(f"- alpha = {alpha:g}, K = {K}: M-LCB at M = K {full['mean'].iloc[0]:,.1f} "
                         f"[{full['ci_low'].iloc[0]:,.1f}, {full['ci_high'].iloc[0]:,.1f}] vs best expert alone "
                         f"{a['mean'].iloc[0]:,.1f} [{a['ci_low'].iloc[0]:,.1f}, {a['ci_high'].iloc[0]:,.1f}]")
    if mono:
        out += f"\nMean M-LCB pseudo-regret at T = {Tmax:,} by budget (expected non-increasing in M):\n\n" + \
            "\n".join(mono) + "\n"
    if match:
        out += "\nAt M = K (every expert trained every round) beside the best expert trained alone:\n\n" + \
            "\n".join(match) + "\n"
    return out


# ----------------------------------------------------------------------------- figures
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt


def _save(fig, path: Path):
    import io

    import matplotlib.pyplot as plt

    from bandits.core.results import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _legend(fig, axes):
    handles = {}
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles.keys()), loc="upper center", bbox_to_anchor=(0.5, 1.06),
               ncol=min(len(handles), 6) or 1, frameon=False)


def regret_figure(runs, curves, paper, shown, title, path: Path):
    """(a) cumulative pseudo-regret (top) and realized regret (bottom) vs t, mean and 95% CI, one panel per M."""
    if curves.empty:
        return None
    plt = _plt()
    Ms = sorted(shown)
    labels, colors = _labels(runs), _colors(runs, paper)
    swept = set(runs.groupby("algorithm")["variant"].nunique().loc[lambda n: n > 1].index)
    tuned = set(runs.loc[runs["algorithm"].isin(swept), "variant"].unique())
    fig, axes = plt.subplots(2, len(Ms), figsize=(4.2 * len(Ms), 6.4), squeeze=False, sharex=True)
    for row, metric in enumerate(("pseudo_regret", "regret")):
        st = common.curve_stats(curves[curves["metric"] == metric], metric, by=("M", "variant"))
        for col, M in enumerate(Ms):
            ax = axes[row, col]
            for var in shown[M]:
                s = st[(st["M"] == M) & (st["variant"] == var)]
                if s.empty:
                    continue
                lab = _label(var, labels, runs, var in tuned)
                ax.plot(s["t"], s["mean"], color=colors[var], lw=1.4, label=lab)
                ax.fill_between(s["t"], s["lo"], s["hi"], color=colors[var], alpha=0.2, lw=0)
            ax.set(xlabel="round t", ylabel=("pseudo-regret" if row == 0 else "realized regret") if col == 0 else "",
                   title=f"M = {M}" if row == 0 else "")
    fig.suptitle(title, y=1.1)
    _legend(fig, axes)
    fig.tight_layout()
    return _save(fig, path)


def _grouped_bars(ax, values: dict, errors: dict | None, names, colors, labels):
    variants = list(values)
    width = 0.8 / max(len(variants), 1)
    x = np.arange(len(names))
    for j, var in enumerate(variants):
        err = None if errors is None else np.abs(np.asarray(errors[var]).T - np.asarray(values[var])[None, :])
        ax.bar(x + (j - (len(variants) - 1) / 2) * width, values[var], width, color=colors[var], label=labels[var],
               yerr=err, capsize=2, error_kw={"lw": 0.8})
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=7)


def advisor_figure(runs, paper, shown, title, path: Path):
    """(b) distribution of the final advisor I_T over seeds (top) and mean advisor frequencies (bottom)."""
    plt = _plt()
    Ms = sorted(shown)
    fin = final_rows(runs)
    names = _names(fin)
    K = len(names)
    labels, colors = _labels(fin), _colors(fin, paper)
    fig, axes = plt.subplots(2, len(Ms), figsize=(4.2 * len(Ms), 6.4), squeeze=False)
    for col, M in enumerate(Ms):
        g = fin[fin["M"] == M]
        final, freq, freq_err = {}, {}, {}
        for var in shown[M]:
            x = g[g["variant"] == var].drop_duplicates("seed")
            final[var] = [float(np.mean(x["final_advisor"] == i)) for i in range(K)]
            stats = [mean_ci(x[f"advisor_freq_{i}"].to_numpy()) for i in range(K)]
            freq[var] = [s[0] for s in stats]
            freq_err[var] = [(s[1], s[2]) for s in stats]
        best = int(g["best_expert"].iloc[0]) if len(g) else -1
        _grouped_bars(axes[0, col], final, None, names, colors, labels)
        _grouped_bars(axes[1, col], freq, freq_err, names, colors, labels)
        axes[0, col].set(title=f"M = {M}" + (f" (best expert: {names[best]})" if 0 <= best < K else ""),
                         ylabel="fraction of seeds with I_T = i" if col == 0 else "", ylim=(0, 1.05))
        axes[1, col].set(ylabel="advisor frequency (rounds)" if col == 0 else "", ylim=(0, 1.05))
    fig.suptitle(title, y=1.1)
    _legend(fig, axes)
    fig.tight_layout()
    return _save(fig, path)


def budget_figure(runs, paper, shown, title, path: Path):
    """(c) the training budget across experts: share of training sessions N_i(T) / sum_j N_j(T), mean and 95% CI."""
    plt = _plt()
    Ms = sorted(shown)
    fin = final_rows(runs)
    names = _names(fin)
    K = len(names)
    labels, colors = _labels(fin), _colors(fin, paper)
    fig, axes = plt.subplots(1, len(Ms), figsize=(4.2 * len(Ms), 3.4), squeeze=False)
    for col, M in enumerate(Ms):
        g = fin[fin["M"] == M]
        share, err = {}, {}
        for var in shown[M]:
            x = g[g["variant"] == var].drop_duplicates("seed")
            counts = x[[f"train_count_{i}" for i in range(K)]].to_numpy(float)
            frac = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            stats = [mean_ci(frac[:, i]) for i in range(K)]
            share[var] = [s[0] for s in stats]
            err[var] = [(s[1], s[2]) for s in stats]
        _grouped_bars(axes[0, col], share, err, names, colors, labels)
        axes[0, col].set(title=f"M = {M}", ylabel="share of training sessions N_i(T)" if col == 0 else "",
                         ylim=(0, 1.05))
    fig.suptitle(title, y=1.16)
    _legend(fig, axes)
    fig.tight_layout()
    return _save(fig, path)


def rates_figure(slopes, points, paper, path: Path):
    """(d) log-log regret vs T per alpha, one line per (K, M), fitted slopes beside max(1/2, alpha)."""
    if points.empty:
        return None
    plt = _plt()
    alphas = sorted(points["alpha"].unique())
    fig, axes = plt.subplots(1, len(alphas), figsize=(5.2 * len(alphas), 4.0), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for col, alpha in enumerate(alphas):
        ax = axes[0, col]
        p = points[points["alpha"] == alpha]
        keys = sorted({(k, m) for k, m in zip(p["K"], p["M"])})
        for j, (K, M) in enumerate(keys):
            for algo, style in (("mlcb", "-o"), ("best_expert_alone", ":")):
                q = p[(p["K"] == K) & (p["M"] == M) & (p["algorithm"] == algo)].sort_values("T")
                if q.empty or (algo == "best_expert_alone" and M != min(m for k, m in keys if k == K)):
                    continue
                s = slopes[(slopes["alpha"] == alpha) & (slopes["K"] == K) & (slopes["M"] == M)
                           & (slopes["algorithm"] == algo)]
                slope = s["slope_T"].iloc[0] if len(s) else np.nan
                lab = (f"M-LCB K={K} M={M}: slope {slope:.2f}" if algo == "mlcb"
                       else f"{paper.display(algo)} K={K}: slope {slope:.2f}")
                color = cmap(j / max(len(keys) - 1, 1)) if algo == "mlcb" else "0.3"
                ax.errorbar(q["T"], q["mean"], yerr=[q["mean"] - q["ci_low"], q["ci_high"] - q["mean"]], fmt=style,
                            ms=3, lw=1.1, color=color, label=lab, capsize=2)
        pred = max(0.5, float(alpha))
        T = np.sort(p["T"].unique()).astype(float)
        ref = p[p["algorithm"] == "mlcb"]["mean"]
        if len(ref) and len(T):
            y0 = float(np.exp(np.log(ref[ref > 0]).mean())) if (ref > 0).any() else 1.0
            ax.plot(T, y0 * (T / np.exp(np.log(T).mean())) ** pred, "k--", lw=1,
                    label=f"predicted slope max(1/2, alpha) = {pred:g}")
        ax.set(xscale="log", yscale="log", xlabel="horizon T", ylabel="pseudo-regret at T" if col == 0 else "",
               title=f"alpha = {alpha:g}")
        ax.legend(fontsize=6)
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------- driver
FIGURE_TITLES = {"glm": "GLM experts (K = {K}, logistic truth)", "bandit": "UCB1 bandit experts (K = {K})",
                 "oracle": "oracle experts"}


def report(paper, runs: pd.DataFrame, curves: pd.DataFrame, metas: list, figures_dir: Path,
           paper_dir: Path) -> list[Path]:
    """Draw every M-LCB figure and table the stored results allow. Returns the files written."""
    fig_dir, tab_dir = Path(figures_dir) / paper.name, Path(paper_dir) / paper.name
    written, sections, tunings = [], [], []
    for (exp, family), r in runs.groupby(["experiment", "experts"], sort=True):
        stem = exp.split("/")[-1]
        if family == "oracle":
            continue
        c = curves[(curves["experiment"] == exp)] if len(curves) else curves
        if len(c) and "experts" in c:
            c = c[c["experts"] == family]
        shown, tuning = tuned_variants(r, paper)
        tab = final_table(r, paper, shown)
        if tab.empty:
            continue
        title = f"{exp}: " + FIGURE_TITLES[family].format(K=int(r["K"].iloc[0]))
        ref_label = paper.display(paper.reference)
        md = final_markdown(tab, title, ref_label, paper.reference)
        written.append(atomic_write_text(tab_dir / f"final_regret_{stem}.md", md))
        written.append(atomic_write_text(tab_dir / f"final_regret_{stem}.csv", tab.to_csv(index=False)))
        sections.append(md)
        if not tuning.empty:
            tmd = tuning_markdown(tuning, paper)
            written.append(atomic_write_text(tab_dir / f"tuning_{stem}.md", f"# {exp}: hyperparameter sweeps\n\n"
                                             + tmd))
            tunings.append(f"**{exp}**\n\n" + tmd)
        for fn, name in ((regret_figure, "regret"), (advisor_figure, "advisors"), (budget_figure, "budget")):
            args = (r, c, paper, shown, title, fig_dir / f"{stem}_{name}.png") if fn is regret_figure else \
                (r, paper, shown, title, fig_dir / f"{stem}_{name}.png")
            path = fn(*args)
            if path is not None:
                written.append(path)
    rates, slopes, points = rates_tables(runs)
    rates_md = rates_markdown(rates, slopes, points, paper)
    if not slopes.empty:
        written.append(atomic_write_text(tab_dir / "rates.csv", rates.to_csv(index=False)))
        written.append(atomic_write_text(tab_dir / "rates_all.csv", slopes.to_csv(index=False)))
        written.append(atomic_write_text(tab_dir / "rates_regret.csv", points.to_csv(index=False)))
        written.append(atomic_write_text(tab_dir / "rates.md", rates_md))
        path = rates_figure(slopes, points, paper, fig_dir / "rates.png")
        if path is not None:
            written.append(path)
    written.append(atomic_write_text(tab_dir / "README.md", render_readme(paper, metas, sections, tunings, rates,
                                                                          rates_md)))
    return written


def table2_markdown(rates: pd.DataFrame) -> str:
    """The paper's Table 2 (inner algorithm -> alpha -> global rate) with our measured T-slopes beside."""

    def measured(alpha):
        r = rates[np.isclose(rates["alpha"], alpha)] if len(rates) else rates
        if r.empty:
            return "not run"
        return (f"{r['slope_T'].min():.2f} – {r['slope_T'].max():.2f} over {len(r)} (K, M) "
                f"(CIs {r['slope_T_ci_low'].min():.2f} – {r['slope_T_ci_high'].max():.2f})")

    rows = [("OGD / OMD (convex, Lipschitz)", "1/2", "0.5", 0.5), ("Hedge", "1/2", "0.5", 0.5),
            ("bandit convex optimisation (Lipschitz)", "3/4", "0.75", 0.75),
            ("bandit convex optimisation (bounded)", "5/6", "0.833", None),
            ("heavy-tailed bandits", "1/(1+eps)", "max(1/2, 1/(1+eps))", None)]
    lines = ["| inner algorithm | alpha | global rate (paper) | predicted T-slope max(1/2, alpha) | measured M-LCB "
             "T-slope (oracle experts, this suite) |", "|---|---|---|---|---|"]
    for name, a, pred, val in rows:
        lines.append(f"| {name} | {a} | sqrt(KT/M) + (K/M)^(1-alpha) T^alpha | {pred} | "
                     f"{measured(val) if val is not None else 'not run'} |")
    return "\n".join(lines) + "\n"


def render_readme(paper, metas, sections, tunings, rates, rates_md) -> str:
    text = TEMPLATE.read_text()
    fills = {
        "{{FINAL_TABLES}}": "\n".join(sections) if sections else "(no GLM or bandit-expert results)\n",
        "{{TUNING}}": "\n".join(tunings) if tunings else
        "(a single setting of every algorithm in these results: no sweep to tune over)\n",
        "{{TABLE2}}": table2_markdown(rates),
        "{{RATES}}": rates_md,
        "{{TIMINGS}}": common.timings_markdown(paper, metas),
        "{{PROVENANCE}}": common.provenance_markdown(metas),
    }
    for k, v in fills.items():
        text = text.replace(k, v)
    return text
