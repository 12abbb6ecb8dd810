"""Stored online-submodular results -> figures, ``claims.csv`` and the README (nothing here runs a simulation).

Rows are selected by stored columns only (``experiment``, ``family``, ``n``, ``k``, ``q``, ``curvature_param``,
``variant``); names and colours come from the registry. Means and 95 % intervals over seeds are Student-t
(``bandits.core.stats``); slopes are least-squares fits in log-log coordinates of the mean over seeds, with
95 % percentile-bootstrap intervals (seeds resampled, ``BOOTSTRAP`` draws, fixed generator).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.results import atomic_write_text
from bandits.core.stats import mean_ci

from .. import common

CLAIM_COLUMNS = ["experiment", "claim", "predicted", "measured", "ci_low", "ci_high", "holds"]
TEMPLATE = Path(__file__).with_name("README.template.md")
BOOTSTRAP = 400
SLOPE_TOL = 0.1  # |slope - 1/2| tolerance of the issue (E1)
PAPER_ALGOS = ("ocg", "odg")
SETTING_COLUMNS = ("family", "adversary", "setting", "matroid", "n", "k", "q", "curvature_param")


# ----------------------------------------------------------------------------- helpers
def _fig():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _setting(r: pd.DataFrame, skip=()) -> str:
    """The problem parameters the rows share (and the swept ones as sets), from the stored columns."""
    cols = [c for c in SETTING_COLUMNS if c not in skip and not (c == "curvature_param" and (r[c] < 0).all())]
    return common.setting_text(r, cols, {"curvature_param": "c"})


def _symlog(ax, values):
    """A y axis that is logarithmic above a small threshold and linear around 0: negative values (an alpha-regret
    below the comparator's) stay on the figure instead of falling off a log axis."""
    raw = np.asarray(values, float)
    raw = raw[np.isfinite(raw)]
    v = np.abs(raw[raw != 0])
    thresh = float(np.percentile(v, 10)) if v.size else 1.0
    ax.set_yscale("symlog", linthresh=thresh, linscale=1.5)
    ax.axhline(0, color="0.6", lw=0.6)
    if v.size:  # ticks at 0 and at whole decades clear of the linear band (no labels piled up at +-thresh)
        first, last = int(np.floor(np.log10(thresh))) + 1, int(np.ceil(np.log10(v.max())))
        pos = [10.0 ** e for e in range(first, last + 1)]
        ax.set_yticks(([-p for p in reversed(pos)] if (raw < 0).any() else []) + [0.0] + pos)


def _matrix(curves: pd.DataFrame, metric: str):
    """(grid t[G], values[S, G]) of one metric of one (variant, problem)."""
    d = curves[curves["metric"] == metric].pivot_table(index="seed", columns="t", values="value")
    return d.columns.to_numpy(float), d.to_numpy(float)


def loglog_slope(x, Y, rng=None):
    """Slope of log(mean_s Y[s, :]) on log x, with a percentile bootstrap over seeds (rows of Y).

    Returns (slope, lo, hi), NaN where the mean is not positive at every x (no log)."""
    x = np.asarray(x, float)
    Y = np.asarray(Y, float)
    rng = rng or np.random.default_rng(0)

    def fit(M):
        m = M.mean(axis=0)
        if len(x) < 2 or np.any(~(m > 0)):
            return np.nan
        return float(np.polyfit(np.log(x), np.log(m), 1)[0])

    s = fit(Y)
    if not np.isfinite(s):
        return np.nan, np.nan, np.nan
    boots = np.array([fit(Y[rng.integers(0, Y.shape[0], Y.shape[0])]) for _ in range(BOOTSTRAP)])
    boots = boots[np.isfinite(boots)]
    if boots.size < BOOTSTRAP // 2:
        return s, np.nan, np.nan
    return s, float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def _final(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["t"] == runs.groupby("experiment")["t"].transform("max")] if len(runs) else runs


def _claim(rows, exp, claim, predicted, measured, lo, hi, holds):
    rows.append(dict(experiment=exp, claim=claim, predicted=predicted, measured=measured, ci_low=lo, ci_high=hi,
                     holds=holds))


def _fmt(x, digits=3):
    return "–" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{digits}g}"


def _fit_start(grid):
    T = float(np.max(grid))
    return max(16.0, T / 64.0)


# ----------------------------------------------------------------------------- E1
def e1(paper, runs, curves, figures_dir, rows, md):
    """alpha-regret (solid) and 1-regret (dotted) vs t, a panel per problem of the experiment (a family, an
    adversary, ... : every swept problem parameter its own panel), a colour per variant (a hyperparameter setting:
    its own shade and marker). The y axis is symmetric-log, so a negative alpha-regret stays on the figure."""
    out = []
    for exp in sorted(e for e in runs["experiment"].unique() if e.split("/")[-1].startswith("rate_T")):
        r = runs[runs["experiment"] == exp]
        c = curves[curves["experiment"] == exp]
        envs = list(dict.fromkeys(r.sort_values(["family", "adversary", "n", "k"])["env"]))
        varying = common.swept(r, SETTING_COLUMNS)
        styles = common.variant_styles(r, paper)
        plt = _fig()
        fig, axes = plt.subplots(1, len(envs), figsize=(5.2 * len(envs), 4), squeeze=False)
        md.append(f"### {exp}\n\n| family | algorithm | α | α-regret at T [95% CI] | slope of α-regret [95% CI] | "
                  f"1-regret at T | slope of 1-regret [95% CI] |\n|---|---|---|---|---|---|---|")
        for ax, env in zip(axes[0], envs):
            rf, cf = r[r["env"] == env], c[c["env"] == env]
            family = rf["family"].iloc[0]
            alpha = float(rf["alpha"].iloc[0])
            drawn = []
            for algo in paper.order(rf["algorithm"].unique()):
                for var, cv in cf[cf["algorithm"] == algo].groupby("variant"):
                    label, st = cv["label"].iloc[0], styles[var]
                    t, A = _matrix(cv, "alpha_regret")
                    _, R1 = _matrix(cv, "regret_vs_best_found")
                    sel = t >= _fit_start(t)
                    sa = loglog_slope(t[sel], A[:, sel])
                    s1 = loglog_slope(t[sel], R1[:, sel])
                    ma = A.mean(0)
                    m, lo, hi = mean_ci(A[:, -1])
                    ax.plot(t, ma, "-", color=st["color"], marker=st["marker"], ms=3, markevery=max(len(t) // 8, 1),
                            label=label)  # (the slopes are in the E1 table: they differ per panel)
                    ax.plot(t, R1.mean(0), ":", color=st["color"], alpha=0.7)
                    drawn += [ma, R1.mean(0)]
                    md.append(f"| {family} | {label} | {alpha:.3f} | {m:.3g} [{lo:.3g}, {hi:.3g}] | "
                              f"{_fmt(sa[0])} [{_fmt(sa[1])}, {_fmt(sa[2])}] | {R1[:, -1].mean():.3g} | "
                              f"{_fmt(s1[0])} [{_fmt(s1[1])}, {_fmt(s1[2])}] |")
                    if cv["algorithm"].iloc[0] in PAPER_ALGOS or cv["algorithm"].iloc[0].startswith("ocg"):
                        if np.isfinite(sa[0]):
                            holds = bool(sa[1] <= 0.5 + SLOPE_TOL) if np.isfinite(sa[1]) else bool(
                                sa[0] <= 0.5 + SLOPE_TOL)
                            _claim(rows, "E1", f"{label}, {family}: α-regret grows like √T (log-log slope in T)",
                                   "0.5", sa[0], sa[1], sa[2], holds)
                        else:
                            _claim(rows, "E1", f"{label}, {family}: α-regret = O(√T) (mean α-regret at T; it is <= 0 "
                                               f"on part of the fit range, so no slope)", "<= O(√T)", m, lo, hi,
                                   bool(hi <= 0) or None)
            ts = np.array(sorted(cf["t"].unique()), float)
            ax.plot(ts, np.sqrt(ts), "k--", lw=0.8, label="√T")
            _symlog(ax, np.concatenate(drawn + [np.sqrt(ts)]))
            ax.set(xscale="log", xlabel="round t", ylabel="regret (symlog: negative values shown)",
                   title=", ".join([f"{col} = {common._value(rf[col].iloc[0])}" for col in varying] +
                                   [f"α = {alpha:.3f}"]))
            ax.title.set_fontsize(8)
        fig.suptitle(f"{exp}: {_setting(r, varying)}, T = {int(r['t'].max()):,}\nmean over "
                     f"{common.seeds_text(r)} per curve; solid: α-regret, dotted: 1-regret vs the best set found (slopes: "
                     f"paper/submodular/README.md, E1)", fontsize=9)
        md.append("")
        fig.tight_layout()
        common.legend_outside(fig, axes, where="right")
        out.append(common.save_figure(fig, Path(figures_dir) / "submodular" / f"{exp.split('/')[-1]}.png"))
    return out


# ----------------------------------------------------------------------------- sweeps (E2, E3, E4)
def _sweep(paper, runs, exp_tail, axis, figures_dir, rows, md, tag, predicted, xfun=None, xlabel=None, ref=None):
    """Final alpha-regret and 1-regret vs the swept ``axis`` (mean and 95 % CI over seeds), a colour per variant;
    any other swept problem parameter gets a line style of its own."""
    out = []
    r = _final(runs[runs["experiment"].str.endswith("/" + exp_tail)])
    if r.empty:
        return out
    exp = r["experiment"].iloc[0]
    others = [c for c in common.swept(r, SETTING_COLUMNS) if c != axis]
    dashes = common.linestyles(list(r.groupby(others).groups) if others else [()])
    styles = common.variant_styles(r, paper)
    plt = _fig()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    md.append(f"### {exp}\n\n| algorithm | {axis} | α-regret at T [95% CI] | 1-regret at T [95% CI] | "
              f"collected / comparator |\n|---|---|---|---|---|")
    for algo in paper.order(r["algorithm"].unique()):
        for (var, *key), g in r[r["algorithm"] == algo].groupby(["variant"] + others):
            key = tuple(key)
            label = g["label"].iloc[0] + "".join(f", {c} = {common._value(v)}" for c, v in zip(others, key))
            st = styles[var]
            xs = sorted(g[axis].unique())
            seeds = sorted(set.intersection(*[set(g[g[axis] == x]["seed"]) for x in xs]))
            by = g.drop_duplicates([axis, "seed"]).set_index([axis, "seed"])
            A = np.array([[by.loc[(x, s_), "alpha_regret"] for x in xs] for s_ in seeds])
            R1 = np.array([[by.loc[(x, s_), "regret_vs_best_found"] for x in xs] for s_ in seeds])
            ratio = g.groupby(axis).apply(lambda d: (d["collected_value"] / d["comparator_value"]).mean())
            cis = {}
            for j, x in enumerate(xs):
                a, alo, ahi = mean_ci(A[:, j])
                m1, lo1, hi1 = mean_ci(R1[:, j])
                cis[x] = (a, alo, ahi, m1, lo1, hi1)
                md.append(f"| {label} | {x:g} | {a:.3g} [{alo:.3g}, {ahi:.3g}] | {m1:.3g} [{lo1:.3g}, {hi1:.3g}] | "
                          f"{ratio.loc[x]:.3f} |")
            xv = np.array([xfun(x, g) if xfun else x for x in xs], float)
            for ax, k in ((axes[0], 0), (axes[1], 3)):
                m = np.array([cis[x][k] for x in xs])
                err = np.array([[cis[x][k] - cis[x][k + 1], cis[x][k + 2] - cis[x][k]] for x in xs]).T
                ax.errorbar(xs, m, yerr=err, marker=st["marker"] or "o", ms=4, ls=dashes[key], color=st["color"],
                            capsize=2, lw=1.2, label=label)
            pred = predicted.get(algo)
            if pred is not None and len(xs) >= 2:
                s1 = loglog_slope(xv, R1)
                holds = None
                if np.isfinite(s1[0]):
                    holds = bool(s1[1] - 0.15 <= pred <= s1[2] + 0.15) if np.isfinite(s1[1]) else None
                _claim(rows, tag, f"{label}: 1-regret at T vs {xlabel or axis} (log-log slope)", f"{pred:g}",
                       s1[0], s1[1], s1[2], holds)
    if ref is not None:
        xs = np.array(sorted(r[axis].unique()), float)
        yv = ref(xs, r)
        axes[1].plot(xs, yv, "k--", lw=0.8, label="reference (scaled)")
    for ax, name in zip(axes, ["α-regret at T", "1-regret at T (vs best found)"]):
        ax.set(xlabel=axis, ylabel=name, xscale="log")
    fig.suptitle(f"{exp}: {_setting(r, [axis] + others)}, T = {int(r['t'].max()):,}\nmean and 95% CI over "
                 f"{common.seeds_text(r, ('variant', 'env'))} per point", fontsize=9)
    md.append("")
    fig.tight_layout()
    common.legend_outside(fig, axes, where="right")
    out.append(common.save_figure(fig, Path(figures_dir) / "submodular" / f"{exp_tail}.png"))
    return out


def _rank_ref(xs, r):
    n = float(r["n"].iloc[0])
    v = np.sqrt(xs * np.log(np.maximum(n / xs, 1.0 + 1e-9)))
    ocg = r[r["algorithm"] == "ocg"]
    if ocg.empty:
        return v
    y = ocg.groupby("k")["regret_vs_best_found"].mean().reindex(xs).to_numpy()
    return v * np.nanmean(y) / np.nanmean(v)


def _usm_ref(xs, r):
    odg = r[r["algorithm"] == "odg"]
    v = np.sqrt(xs)
    if odg.empty:
        return v
    y = odg.groupby("n")["regret_vs_best_found"].mean().reindex(xs).to_numpy()
    return v * np.nanmean(y) / np.nanmean(v)


# ----------------------------------------------------------------------------- E5
def e5(paper, runs, figures_dir, rows, md):
    r = _final(runs[runs["experiment"].str.endswith("/curvature")])
    if r.empty:
        return []
    exp = r["experiment"].iloc[0]
    styles = common.variant_styles(r, paper)
    plt = _fig()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    md.append(f"### {exp}\n\n| algorithm | c (parameter) | average curvature at S* | achieved ratio [95% CI] | "
              f"1 - c/e |\n|---|---|---|---|---|")
    for algo in paper.order(r["algorithm"].unique()):
        for var, g in r[r["algorithm"] == algo].groupby("variant"):
            xs, ms, errs = [], [], []
            for c, d in g.groupby("curvature_param"):
                ratio = (d["collected_value"] / d["comparator_value"]).to_numpy()
                m, lo, hi = mean_ci(ratio)
                cav = float(d["curvature_at_opt"].iloc[0])
                line = 1 - cav / math.e
                xs.append(cav)
                ms.append(m)
                errs.append((m - lo, hi - m))
                md.append(f"| {d['label'].iloc[0]} | {c:g} | {cav:.3f} | {m:.3f} [{lo:.3f}, {hi:.3f}] | "
                          f"{line:.3f} |")
                if algo == "ocg":
                    _claim(rows, "E5", f"{d['label'].iloc[0]}, c = {c:g}: achieved ratio >= 1 - c/e (c: average "
                                       f"curvature at S* = {cav:.3f})", f">= {line:.3f}", m, lo, hi, bool(lo >= line))
            st = styles[var]
            ax.errorbar(xs, ms, yerr=np.array(errs).T, marker=st["marker"] or "o", ms=4, color=st["color"],
                        capsize=2, label=g["label"].iloc[0])
    # decomposition gain, paired by seed
    a, b = r[r["algorithm"] == "ocg"], r[r["algorithm"] == "ocg_no_decomposition"]
    for c in sorted(set(a["curvature_param"]) & set(b["curvature_param"])):
        x = a[a["curvature_param"] == c].set_index("seed")
        y = b[b["curvature_param"] == c].set_index("seed")
        seeds = x.index.intersection(y.index)
        d = (x.loc[seeds, "collected_value"] - y.loc[seeds, "collected_value"]) / x.loc[seeds, "comparator_value"]
        m, lo, hi = mean_ci(d.to_numpy())
        _claim(rows, "E5", f"curvature decomposition gain in achieved ratio at c = {c:g} (paired by seed)", "> 0",
               m, lo, hi, bool(lo > 0))
    cs = np.linspace(0, 1, 11)
    ax.plot(cs, 1 - cs / math.e, "k--", lw=0.8, label="1 - c/e")
    ax.set(xlabel="average curvature c at the comparator", ylabel="Σ f_t(S_t) / Σ f_t(S*)")
    ax.set_title(f"{exp}: {_setting(r, ['curvature_param'])}, T = {int(r['t'].max()):,}\nmean and 95% CI over "
                 f"{common.seeds_text(r, ('variant', 'env'))} per point", fontsize=8)
    md.append("")
    fig.tight_layout()
    common.legend_outside(fig, ax, where="right")
    return [common.save_figure(fig, Path(figures_dir) / "submodular" / "curvature.png")]


# ----------------------------------------------------------------------------- E4 extra: first-order vs fixed
def e4_pairs(runs, rows):
    r = _final(runs[runs["experiment"].str.endswith("/first_order")])
    a, b = r[r["algorithm"] == "ocg"], r[r["algorithm"] == "ocg_fixed"]
    for q in sorted(set(a["q"]) & set(b["q"])):
        x = a[a["q"] == q].set_index("seed")["regret_vs_best_found"]
        y = b[b["q"] == q].set_index("seed")["regret_vs_best_found"]
        seeds = x.index.intersection(y.index)
        m, lo, hi = mean_ci((x.loc[seeds] - y.loc[seeds]).to_numpy())
        _claim(rows, "E4", f"q = {q:g}: first-order minus fixed-step regret (paired by seed)", "< 0 (first-order steps "
                           "no worse)", m, lo, hi, bool(hi < 0))


# ----------------------------------------------------------------------------- entry point
def comparators_markdown(runs: pd.DataFrame) -> str:
    cols = ["experiment", "env", "comparator", "alpha", "opt_per_round"]
    d = runs[cols].drop_duplicates().sort_values(["experiment", "env"])
    lines = ["| preset | problem | comparator | α | E f_t(S*) per round |", "|---|---|---|---|---|"]
    lines += [f"| {r.experiment} | {r.env} | {r.comparator} | {r.alpha:.3f} | {r.opt_per_round:.4f} |"
              for r in d.itertuples()]
    return "\n".join(lines) + "\n"


def report(paper, runs: pd.DataFrame, curves: pd.DataFrame, metas: list, figures_dir: Path, paper_dir: Path):
    rows, written = [], []
    md = {k: [] for k in ("E1", "E2", "E3", "E4", "E5")}
    written += e1(paper, runs, curves, figures_dir, rows, md["E1"])
    written += _sweep(paper, runs, "first_order", "q", figures_dir, rows, md["E4"], "E4", {"ocg": 0.5, "ocg_fixed": 0.0})
    e4_pairs(runs, rows)
    written += _sweep(paper, runs, "rank", "k", figures_dir, rows, md["E2"], "E2", {"ocg": 1.0, "online_greedy": 1.0},
                      xfun=lambda k, g: math.sqrt(k * max(math.log(float(g["n"].iloc[0]) / k), 1e-9)),
                      xlabel="√(k ln(n/k)) (predicted 1 for Alg. 6; online greedy: about linear in k)", ref=_rank_ref)
    written += _sweep(paper, runs, "usm_size", "n", figures_dir, rows, md["E3"], "E3", {"odg": 0.5}, ref=_usm_ref)
    written += e5(paper, runs, figures_dir, rows, md["E5"])
    claims = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    pdir = Path(paper_dir) / "submodular"
    written.append(atomic_write_text(pdir / "claims.csv", claims.to_csv(index=False)))
    claims_md = ["| experiment | claim | predicted | measured [95% CI] | holds |", "|---|---|---|---|---|"]
    for c in claims.itertuples():
        holds = "–" if c.holds is None or (isinstance(c.holds, float) and np.isnan(c.holds)) else \
            ("yes" if c.holds else "**no**")
        claims_md.append(f"| {c.experiment} | {c.claim} | {c.predicted} | {_fmt(c.measured)} "
                         f"[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}] | {holds} |")
    text = TEMPLATE.read_text()
    ran = sorted(runs["experiment"].unique())
    for key, body in {
        "{{RAN}}": ", ".join(f"`{e}`" for e in ran),
        "{{CLAIMS}}": "\n".join(claims_md) + "\n",
        "{{E1}}": "\n".join(md["E1"]) or "(not run)\n",
        "{{E2}}": "\n".join(md["E2"]) or "(not run)\n",
        "{{E3}}": "\n".join(md["E3"]) or "(not run)\n",
        "{{E4}}": "\n".join(md["E4"]) or "(not run)\n",
        "{{E5}}": "\n".join(md["E5"]) or "(not run)\n",
        "{{COMPARATORS}}": comparators_markdown(runs),
        "{{TIMINGS}}": common.timings_markdown(paper, metas),
        "{{PROVENANCE}}": common.provenance_markdown(metas),
    }.items():
        text = text.replace(key, body)
    written.append(atomic_write_text(pdir / "README.md", text))
    return written
