"""Stored LATS / LAGEX results -> box plots of tau with the lower-bound lines, violation plots,
Figure 2 (tau vs mu_3), Figure 1 (recommended policies at the stop), the summary tables and README.

Nothing here runs a simulation: every number comes from ``runs.parquet`` (one row per algorithm x
problem x seed) and ``meta.json`` (timings). The lower-bound lines are the stored problem columns
``lower_bound`` = T_F kl(delta, 1 - delta) and ``lower_bound_bai`` (the same with no constraint),
computed by ``bandits.exploration.characteristic_time`` when the problems were built.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.results import atomic_write_text
from bandits.core.stats import wilson_ci
from bandits.exploration import stopping

from .. import common

SUMMARY_COLUMNS = ["env", "algorithm", "delta", "n_seeds", "n_stopped", "censored_frac", "cap", "median_tau",
                   "median_tau_is_lower_bound", "restricted_mean_tau", "restricted_mean_ci_low",
                   "restricted_mean_ci_high", "error_rate", "error_ci_low", "error_ci_high", "censored_error_rate",
                   "infeasible_rate", "median_violations_policy", "median_violations_allocation", "lower_bound"]
STOPPING_RULES_COLUMNS = ["env", "algorithm", "stopping", "threshold", "delta", "r", "n_seeds", "target",
                          "error_rate", "error_ci_low", "error_ci_high", "median_tau", "tau_q1", "tau_q3",
                          "censored_frac", "feasible_rate", "guarantee"]
UNKNOWN = ("lagex", "lats", "ctns_wlag", "cge_wlag", "ptns", "uniform")  # algorithms that do not see A
TEMPLATE = Path(__file__).resolve().parent / "README.template.md"


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", str(s)).strip("_")


def _ordered(df: pd.DataFrame, paper) -> list[str]:
    pairs = df[["variant", "algorithm"]].drop_duplicates()
    order = paper.order(pairs.algorithm)
    return sorted(pairs.variant, key=lambda v: (order.index(pairs.set_index("variant").algorithm[v]), v))


def _problems(runs: pd.DataFrame) -> list[str]:
    keys = [c for c in ("environment", "mu3", "delta") if c in runs] + ["env"]
    return list(runs[keys].drop_duplicates().sort_values(keys)["env"])


def _col(g: pd.DataFrame, name: str, default=np.nan) -> np.ndarray:
    return g[name].to_numpy(dtype=float) if name in g else np.full(len(g), default)


# ----------------------------------------------------------------------------- tables
def verdict(lo: float, hi: float, delta: float) -> str:
    """An error rate's interval against delta: *yes* (its upper end <= delta), **no** (its lower end above it),
    *undecided* (too few stopped seeds to tell)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no seed stopped"
    return "yes" if hi <= delta else ("**no**" if lo > delta else "undecided")


def summary(runs: pd.DataFrame, paper) -> pd.DataFrame:
    """One row per (problem, variant), censoring-aware: the censored share beside every statistic of tau (its
    median, a lower bound once half the seeds are censored; its restricted mean E[min(tau, cap)] with a 95 %
    interval), and the error rate among the seeds that *stopped* (Wilson 95 % interval; the censored seeds gave
    no answer: their share is ``censored_frac``, the error of their answer at the cap ``censored_error_rate``)."""
    rows = []
    for env in _problems(runs):
        g_env = runs[runs["env"] == env]
        for variant in _ordered(g_env, paper):
            g = g_env[g_env["variant"] == variant].drop_duplicates("seed")
            st = common.stopping_stats(g)
            err = common.error_among_stopped(g)
            stopped = ~g["censored"].to_numpy(bool)
            rows.append(dict(
                env=env, algorithm=g["label"].iloc[0], delta=float(g["delta"].iloc[0]), n_seeds=len(g),
                n_stopped=st["n_stopped"], censored_frac=st["censored_frac"], cap=st["cap"], median_tau=st["median"],
                median_tau_is_lower_bound=st["median_is_bound"], restricted_mean_tau=st["rmean"],
                restricted_mean_ci_low=st["rmean_lo"], restricted_mean_ci_high=st["rmean_hi"],
                error_rate=err["error_rate"], error_ci_low=err["error_lo"], error_ci_high=err["error_hi"],
                censored_error_rate=err["censored_error_rate"],
                infeasible_rate=float(1 - np.nanmean(_col(g, "feasible")[stopped])) if stopped.any() else np.nan,
                median_violations_policy=float(np.median(_col(g, "violations_policy"))),
                median_violations_allocation=float(np.median(_col(g, "violations_allocation"))),
                lower_bound=float(g["lower_bound"].iloc[0]),
                # extras (Markdown only)
                variant=variant, algo=g["algorithm"].iloc[0], environment=g["environment"].iloc[0],
                mu3=float(g["mu3"].iloc[0]) if "mu3" in g else np.nan, errors=err["errors"],
                q25=st["q1"], q75=st["q3"],
                exact_rate=float(np.nanmean(_col(g, "exact")[stopped])) if stopped.any() else np.nan,
                r_good_rate=float(np.nanmean(_col(g, "r_good")[stopped])) if stopped.any() else np.nan,
                lower_bound_bai=float(g["lower_bound_bai"].iloc[0]) if "lower_bound_bai" in g else np.nan,
                experiment=g["experiment"].iloc[0]))
    return pd.DataFrame(rows)


def _rate(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x:.2f}"


def summary_markdown(tab: pd.DataFrame) -> str:
    lines = []
    for env, g in tab.groupby("env", sort=False):
        r0 = g.iloc[0]
        fmt = lambda x: f"{x:,.0f}" if x >= 0 else "inf"  # noqa: E731  (-1 stored for infinite)
        censored = g[g["censored_frac"] > 0]
        lines += [f"### {env} (delta = {r0.delta:g}; cap {g['cap'].max():,.0f}; lower bounds T_F kl(delta, 1-delta) = "
                  f"{fmt(r0.lower_bound)}, BAI {fmt(r0.lower_bound_bai)})", "",
                  ("**Censored seeds present** (" + ", ".join(f"{r.algorithm} {r.censored_frac:.0%}"
                                                              for r in censored.itertuples())
                   + "): their tau is the cap, a lower bound." if len(censored) else
                   "No seed was censored: every seed stopped before the cap."), "",
                  "| algorithm | seeds (stopped) | censored | median tau [IQR] | restricted mean E[min(tau, cap)] "
                  "[95% CI] | error rate among stopped [95% CI] (<= delta?) | censored: wrong at the cap | exact | "
                  "r-good | infeasible pi_hat | median violations pi_t / omega_t |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in g.itertuples():
            med = ("≥ " if r.median_tau_is_lower_bound else "") + f"{r.median_tau:,.0f}"
            err = (f"{r.error_rate:.3f} [{r.error_ci_low:.3f}, {r.error_ci_high:.3f}] "
                   f"({verdict(r.error_ci_low, r.error_ci_high, r.delta)})") if r.n_stopped else "no seed stopped"
            lines.append(f"| {r.algorithm} | {r.n_seeds} ({r.n_stopped}) | {r.censored_frac:.1%} | {med} "
                         f"[{r.q25:,.0f}, {r.q75:,.0f}] | {r.restricted_mean_tau:,.0f} [{r.restricted_mean_ci_low:,.0f}, "
                         f"{r.restricted_mean_ci_high:,.0f}] | {err} | {_rate(r.censored_error_rate)} | "
                         f"{_rate(r.exact_rate)} | {_rate(r.r_good_rate)} | {_rate(r.infeasible_rate)} | "
                         f"{r.median_violations_policy:,.0f} / {r.median_violations_allocation:,.0f} |")
        lines.append("")
    lines += ["tau is the stopping time. A censored seed hit the cap without stopping: its tau is stored as the cap, "
              "so the median is exact only while fewer than half the seeds are censored (≥: a lower bound), and "
              "the mean reported is the restricted mean E[min(tau, cap)], valid under censoring (it is not E[tau]). "
              "Error rate = 1 - correct among the seeds that stopped (the recommended basis does not define pi* in "
              "the true polytope), Wilson 95 % interval; *yes*: its upper end <= delta, **no**: its lower end above "
              "delta. The censored seeds gave no answer; how often the answer they held at the cap was wrong is "
              "reported apart. exact, r-good and infeasible (A pi_hat > b) are over the stopped seeds. Violations: "
              "rounds where the recommendation pi_t (authors' code) / the allocation omega_t (paper's text) violates "
              "A x <= b, every seed. Paired comparisons with the reference are in `comparison_<preset>.md`.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures
def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    return common.save_figure(fig, path)


def _tick(g: pd.DataFrame, v: str) -> str:
    """A box's or bar's tick label: the variant and its censored share (a censored tau is the cap)."""
    d = g[g["variant"] == v]
    frac = float(d["censored"].astype(float).mean()) if "censored" in d else 0.0
    return d["label"].iloc[0] + (f"\n{frac:.0%} censored" if frac > 0 else "")


def box_plot(g: pd.DataFrame, paper, env: str, path: Path) -> Path:
    """tau per variant: a box of the quartiles (whiskers 1.5 IQR, circles beyond), beside it the median +- one
    standard deviation (the paper's figures draw that), the lower bounds and the cap; legend beside the axes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    variants = _ordered(g, paper)
    data = [g[g["variant"] == v]["tau"].to_numpy(float) for v in variants]
    styles = common.variant_styles(g, paper)
    fig, ax = plt.subplots(figsize=(1.6 + 0.9 * len(variants), 4.0))
    bp = ax.boxplot(data, patch_artist=True, showfliers=True, widths=0.6)
    for patch, v in zip(bp["boxes"], variants):
        patch.set_facecolor(styles[v]["color"])
        patch.set_hatch(styles[v]["hatch"])
        patch.set_alpha(0.45)
    for i, d in enumerate(data, start=1):  # median +- sd, as the paper's figures
        med, sd = np.median(d), np.std(d)
        ax.errorbar(i + 0.33, med, yerr=[[min(sd, med * 0.999)], [sd]], fmt="o", color="k", ms=3, capsize=3, lw=1)
    handles = [Patch(facecolor="0.7", edgecolor="k", label="box: quartiles of tau; whiskers: 1.5 IQR; circles: "
                                                            "beyond"),
               ax.errorbar([], [], yerr=[], fmt="o", color="k", ms=3, capsize=3, lw=1,
                           label="median ± 1 sd (as in the paper's figures)")]
    lb, lb_bai = float(g["lower_bound"].iloc[0]), float(g["lower_bound_bai"].iloc[0])
    if lb > 0:  # <= 0: infinite (stored as -1) or zero
        handles.append(ax.axhline(lb, color="k", ls="--", lw=1, label=f"known-constraint lower bound ({lb:,.0f})"))
    if lb_bai > 0:
        handles.append(ax.axhline(lb_bai, color="tab:gray", ls=":", lw=1.2, label=f"BAI lower bound ({lb_bai:,.0f})"))
    if "lower_bound_unknown" in g:  # the bound when A must be learned too (spec section 11)
        lbu = float(g["lower_bound_unknown"].iloc[0])
        if lbu > 0:
            handles.append(ax.axhline(lbu, color="tab:blue", ls="-.", lw=1,
                                      label=f"unknown-A lower bound ({lbu:,.0f})"))
        else:
            handles.append(ax.plot([], [], " ", label=r"unknown-A bound: $\infty$ (degenerate $\pi^*$)")[0])
    cap = float(g["cap"].max()) if "cap" in g else np.nan
    if np.isfinite(cap) and g["censored"].any():
        handles.append(ax.axhline(cap, color="tab:red", ls="-.", lw=0.8,
                                  label=f"cap ({cap:,.0f}): a censored seed's tau"))
    ax.set_xticks(range(1, len(variants) + 1), [_tick(g, v) for v in variants], rotation=30, ha="right",
                  fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel(r"stopping time $\tau$")
    ax.set_title(f"{env}: {common.seeds_text(g)} per box, delta = {float(g['delta'].iloc[0]):g}", fontsize=9)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
              frameon=False)
    return _save(fig, path)


def violation_plot(g: pd.DataFrame, paper, env: str, path: Path) -> Path:
    """Violating rounds / tau per variant (median bar, IQR whisker), its value printed on every bar: a zero is
    a labelled line at 0, a variant without the column says 'no data'."""
    import matplotlib.pyplot as plt

    variants = _ordered(g, paper)
    styles = common.variant_styles(g, paper)
    fig, axes = plt.subplots(1, 2, figsize=(2.0 + 1.4 * len(variants), 3.8))
    for ax, col, title in zip(axes, ("violations_policy", "violations_allocation"),
                              (r"(a) rounds where $\pi_t$ violates $A\pi \leq b$ (authors' code)",
                               r"(b) rounds where $\omega_t$ violates $A\omega \leq b$ (paper's text)")):
        for i, v in enumerate(variants):
            d = g[g["variant"] == v]
            st = styles[v]
            if col not in d or d[col].isna().all():
                ax.annotate("no data", (i, 0.02), ha="center", fontsize=6, rotation=90, va="bottom")
                continue
            frac = d[col].to_numpy(float) / np.maximum(d["tau"].to_numpy(float), 1)
            med, q1, q3 = np.median(frac), np.percentile(frac, 25), np.percentile(frac, 75)
            ax.bar(i, med, color=st["color"], hatch=st["hatch"], alpha=0.7, edgecolor="0.3", lw=0.5)
            if med == 0:
                ax.plot([i - 0.4, i + 0.4], [0, 0], color=st["color"], lw=2.5)
            ax.errorbar(i, med, yerr=[[med - q1], [q3 - med]], color="k", capsize=3, lw=1)
            ax.annotate(f"{med:.2f}" if med else "0", (i, q3), textcoords="offset points", xytext=(0, 3),
                        ha="center", fontsize=6)
        ax.set_xticks(range(len(variants)), [_tick(g, v) for v in variants], rotation=30, ha="right", fontsize=7)
        ax.set_xlim(-0.6, len(variants) - 0.4)
        ax.set_ylim(0, 1.08)
        ax.set_ylabel(r"violating rounds / $\tau$ (median, IQR)")
        ax.set_title(title, fontsize=8)
    fig.suptitle(f"{env}: {common.seeds_text(g)} per bar, delta = {float(g['delta'].iloc[0]):g}", fontsize=9)
    return _save(fig, path)


def figure2(runs: pd.DataFrame, paper, path: Path) -> Path | None:
    """Median tau vs mu_3 per algorithm beside the constrained and BAI lower bounds (log scale); a point whose
    seeds were partly censored is hollow and labelled with the censored share."""
    import matplotlib.pyplot as plt

    if "mu3" not in runs or runs["mu3"].nunique() < 2:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    styles = common.variant_styles(runs, paper)
    for v in _ordered(runs, paper):
        d = runs[runs["variant"] == v]
        s = d.groupby("mu3").agg(median=("tau", "median"), q1=("tau", lambda x: np.percentile(x, 25)),
                                 q3=("tau", lambda x: np.percentile(x, 75)),
                                 censored=("censored", lambda x: float(np.mean(x))))
        c = styles[v]["color"]
        ax.plot(s.index, s["median"], "-", color=c, marker=styles[v]["marker"] or "o", ms=4,
                label=f"{d['label'].iloc[0]} (median tau)")
        part = s[s["censored"] > 0]
        ax.plot(part.index, part["median"], "o", mfc="white", color=c, ms=6)
        for mu, r in part.iterrows():
            ax.annotate(f"{r['censored']:.0%} cens.", (mu, r["median"]), textcoords="offset points", xytext=(3, 4),
                        fontsize=6)
        ax.fill_between(s.index, s["q1"], s["q3"], color=c, alpha=0.2, lw=0)
    lb = runs.groupby("mu3")[["lower_bound", "lower_bound_bai"]].first()
    lb = lb.where(lb > 0)  # -1: infinite (two optimal answers, e.g. two best arms for BAI)
    ax.plot(lb.index, lb["lower_bound"], "k--", label=r"constrained lower bound $T_F\,\mathrm{kl}(\delta,1-\delta)$")
    ax.plot(lb.index, lb["lower_bound_bai"], ":", color="tab:gray", label="BAI lower bound")
    if "lower_bound_unknown" in runs:  # the bound when A must be learned too (spec section 11)
        lbu = runs.groupby("mu3")["lower_bound_unknown"].first()
        if (lbu > 0).any():
            ax.plot(lbu.index, lbu.where(lbu > 0), "-.", color="tab:blue", label="unknown-A lower bound")
        if (lbu <= 0).any():
            ax.plot([], [], " ", label=r"unknown-A bound: $\infty$ (degenerate $\pi^*$) at $\mu_3$ = "
                    + ", ".join(f"{m:g}" for m in lbu.index[lbu <= 0]) if (lbu > 0).any() else
                    r"unknown-A bound: $\infty$ (degenerate $\pi^*$ at every $\mu_3$)")
    ax.set_yscale("log")
    ax.set(xlabel=r"$\mu_3$", ylabel=r"stopping time $\tau$ (median, IQR band)")
    ax.set_title(f"{runs['environment'].iloc[0]}, delta = {float(runs['delta'].iloc[0]):g}, "
                 f"{common.seeds_text(runs)} per point", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, frameon=False)
    return _save(fig, path)


def figure1(runs: pd.DataFrame, paper, path: Path) -> Path | None:
    """The recommended policies pi_hat_tau on the simplex (barycentric plot), the true constraint and its shift."""
    import matplotlib.pyplot as plt

    cols = [f"pi_hat_{a}" for a in range(3)]
    if not set(cols) <= set(runs.columns) or runs[cols].isna().all().all():
        return None
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    xy = lambda p: np.asarray(p) @ corners  # noqa: E731
    fig, ax = plt.subplots(figsize=(5.0, 4.6))
    ax.plot(*np.vstack([corners, corners[:1]]).T, "k-", lw=0.8)
    for i, name in enumerate((r"$e_1$ ($\mu$=3)", r"$e_2$ ($\mu$=2)", r"$e_3$ ($\mu$=4)")):
        ax.annotate(name, corners[i], textcoords="offset points", xytext=(-10 if i == 0 else 4, -12 if i < 2 else 4),
                    fontsize=8)
    # the true constraint 3 pi_1 + 2 pi_2 + pi_3 >= 2 and the enlarged one at the median shift
    A = np.array([-3.0, -2.0, -1.0])
    b = -2.0

    def boundary(rhs):
        pts = []
        for i, j in ((0, 1), (0, 2), (1, 2)):
            # on the edge e_i -- e_j: A_i s + A_j (1 - s) = rhs
            if A[i] != A[j]:
                s = (rhs - A[j]) / (A[i] - A[j])
                if -1e-12 <= s <= 1 + 1e-12:
                    p = np.zeros(3)
                    p[i], p[j] = s, 1 - s
                    pts.append(xy(p))
        return np.array(pts)

    line = boundary(b)
    if len(line) >= 2:
        ax.plot(line[:, 0], line[:, 1], "k--", lw=1, label=r"true constraint $3\pi_1+2\pi_2+\pi_3=2$")
    for v in _ordered(runs, paper):
        d = runs[runs["variant"] == v]
        c = paper.color(d["algorithm"].iloc[0])
        pts = xy(d[cols].to_numpy(float))
        ax.scatter(pts[:, 0], pts[:, 1], s=8, color=c, alpha=0.5,
                   label=f"{d['label'].iloc[0]}: " + r"$\hat\pi_\tau$ (median shift $c_\tau$ = "
                   f"{d['shift'].median():.3f})")
        shifted = boundary(b + d["shift"].median())
        if len(shifted) >= 2:
            ax.plot(shifted[:, 0], shifted[:, 1], ":", color=c, lw=1)
    star = xy([0.5, 0.0, 0.5])
    ax.plot(*star, "k*", ms=12, label=r"$\pi^* = (0.5, 0, 0.5)$")
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=1, frameon=False)
    ax.set_title(r"Figure 1: $\hat\pi_\tau$ (vertex of $\hat F_\tau$) vs $\pi^*$; dotted: true $A$ with the "
                 f"median shift\n{common.seeds_text(runs)} per algorithm (one point a seed), delta = "
                 f"{float(runs['delta'].iloc[0]):g}", fontsize=8)
    return _save(fig, path)


# ----------------------------------------------------------------------------- claims
def _paired_vs(runs: pd.DataFrame, env: str, a: str, b: str) -> dict:
    """``common.paired_stopping`` of variant a against variant b on problem env (valid under censoring)."""
    g = runs[runs["env"] == env]
    x = g[g["variant"] == a].drop_duplicates("seed").set_index("seed")
    y = g[g["variant"] == b].drop_duplicates("seed").set_index("seed")
    return common.paired_stopping(x, y)


def claims(tab: pd.DataFrame, runs: pd.DataFrame) -> str:
    """Whether each qualitative claim of the paper held in these results (measured, one line each). Stopping
    times are compared seed by seed, under censoring: restricted means E[min(tau, cap)] (paired difference, 95 %
    interval) and a Wilcoxon signed-rank test; error rates count the seeds that stopped."""
    out = []
    # the paper's claims are about its own stopping rule: the stopping-rule comparisons are judged in their section
    compared = set(rule_comparisons(runs)["experiment"]) if "experiment" in runs else set()
    tab = tab[~tab["experiment"].isin(compared)]
    main = tab[tab["experiment"] != "lats/figure2"]
    # 1. lowest stopping time among unknown-constraint algorithms
    lines = []
    for env, g in main.groupby("env", sort=False):
        u = g[g["algo"].isin(UNKNOWN)].sort_values(["restricted_mean_tau", "median_tau"])
        if "lagex" not in set(u["algo"]) or len(u) < 2:
            continue
        lag = u[u["algo"] == "lagex"].iloc[0]
        others = u[u["algo"] != "lagex"]
        comps = {r.variant: _paired_vs(runs, env, lag.variant, r.variant) for r in others.itertuples()}
        lower = all(c["diff"] < 0 for c in comps.values())
        significant = all(c["hi"] < 0 for c in comps.values())
        verdict_ = ("**held**" if lower and significant else
                    "**held in the point estimates**, not significant against every one" if lower else
                    "**did not hold**")
        rank = " < ".join(f"{r.algorithm} {r.restricted_mean_tau:,.0f}" for r in u.itertuples())
        worst = max(comps.items(), key=lambda kv: kv[1]["diff"])
        label = others.set_index("variant").loc[worst[0], "algorithm"]
        censored = [f"{r.algorithm} {r.censored_frac:.0%}" for r in u.itertuples() if r.censored_frac > 0]
        ratio = f"{lag.median_tau / lag.lower_bound:.1f}" if lag.lower_bound > 0 else "n/a"
        lines.append(f"   - {env}: {verdict_} (restricted mean tau: {rank}; LAGEX minus {label}, the closest: "
                     f"{worst[1]['diff']:+,.0f} [{worst[1]['lo']:+,.0f}, {worst[1]['hi']:+,.0f}], Wilcoxon p = "
                     f"{worst[1]['p']:.2g}; LAGEX median / lower bound = {ratio}; "
                     + (f"censored seeds: {', '.join(censored)})" if censored else "no censored seed)"))
    out.append("1. *LAGEX has the lowest stopping time among the unknown-constraint algorithms* (LATS, CTnS-WLag, "
               "CGE-WLag, PTnS, Uniform), compared seed by seed: the paired difference of restricted means "
               "E[min(tau, cap)] with its 95 % interval (held: below 0 against every one):")
    out += lines or ["   - not measured (no stored run has LAGEX beside another unknown-constraint algorithm)"]
    # 2. tracks the lower bound across mu_3
    f2 = tab[(tab["algo"] == "lagex") & tab["mu3"].notna()]
    f2 = f2[f2.groupby("experiment")["mu3"].transform("nunique") > 1].sort_values("mu3")  # a mu_3 sweep
    f2 = f2[f2["lower_bound"] > 0]
    out.append("2. *LAGEX tracks the constrained lower bound across mu_3* (Figure 2):")
    if len(f2) >= 2:
        ratio = f2["median_tau"] / f2["lower_bound"]
        corr = float(np.corrcoef(np.log(f2["median_tau"]), np.log(f2["lower_bound"]))[0, 1])
        held = corr > 0.9 and ratio.max() / ratio.min() < 3
        bound = f2[f2["median_tau_is_lower_bound"]]
        out.append(f"   - {'**held**' if held else '**did not hold**'}: median tau / lower bound ranges "
                   f"{ratio.min():.2f}-{ratio.max():.2f} over mu_3 = {f2['mu3'].min():g}..{f2['mu3'].max():g} "
                   f"(correlation of the logs {corr:.2f}; criterion: > 0.9 and a ratio spread < 3x; censored seeds: "
                   f"{f2['censored_frac'].max():.0%} at most"
                   + (f", the median a lower bound at mu_3 = {', '.join(f'{m:g}' for m in bound['mu3'])}" if len(bound)
                      else "") + "); "
                   + ", ".join(f"mu3={r.mu3:g}: {r.median_tau:,.0f} vs {r.lower_bound:,.0f}" for r in f2.itertuples()))
    else:
        out.append("   - not measured (no stored lats/figure2 results)")
    # 3. safest
    out.append("3. *LAGEX is the safest* (fewest violating rounds among the unknown-constraint algorithms, "
               "median; both definitions):")
    lines = []
    for env, g in main.groupby("env", sort=False):
        u = g[g["algo"].isin(UNKNOWN)]
        if "lagex" not in set(u["algo"]) or len(u) < 2:
            continue
        parts = []
        for col, what in (("median_violations_policy", "pi_t"), ("median_violations_allocation", "omega_t")):
            lag = float(u[u["algo"] == "lagex"][col].iloc[0])
            best = u.sort_values(col).iloc[0]
            parts.append(f"{what}: {'held' if lag <= best[col] else 'did not hold'} (LAGEX {lag:,.0f}, fewest "
                         f"{best['algorithm']} {best[col]:,.0f})")
        lines.append(f"   - {env}: " + "; ".join(parts))
    out += lines or ["   - not measured"]
    # 4. delta-correctness
    out.append("4. *delta-correct*: the error rate (1 - correct) among the seeds that stopped, <= delta with "
               "confidence (Wilson 95 % interval), per algorithm and problem; censored seeds gave no answer and are "
               "counted apart:")
    stopped = tab[tab["n_stopped"] > 0]
    bad = stopped[stopped["error_ci_low"] > stopped["delta"]]
    met = stopped[stopped["error_ci_high"] <= stopped["delta"]]
    open_ = stopped.drop(index=bad.index.union(met.index))
    silent = tab[tab["n_stopped"] == 0]
    out.append(f"   - met with confidence in {len(met)} of {len(tab)} algorithm x problem pairs")
    if len(bad):
        out.append(f"   - **did not hold** in {len(bad)} (the interval above delta): "
                   + "; ".join(f"{r.algorithm} on {r.env} ({r.errors} errors in {r.n_stopped} stopped seeds, "
                               f"{r.error_rate:.2f} [{r.error_ci_low:.2f}, {r.error_ci_high:.2f}] > {r.delta:g})"
                               for r in bad.itertuples()))
    if len(open_):
        out.append(f"   - undecided in {len(open_)} (too few stopped seeds to tell at this delta): "
                   + "; ".join(f"{r.algorithm} on {r.env} ({r.errors}/{r.n_stopped})" for r in open_.itertuples()))
    if len(silent):
        out.append(f"   - no seed stopped in {len(silent)}: " + "; ".join(f"{r.algorithm} on {r.env}"
                                                                     for r in silent.itertuples()))
    censored = tab[tab["censored_frac"] > 0]
    if len(censored):
        out.append(f"   - censored seeds (not counted above) in {len(censored)} pairs, up to "
                   f"{censored['censored_frac'].max():.0%} of a pair's seeds")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- which stopping rule to trust
def rule_comparisons(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of the experiments that compare stopping rules (more than one ``stopping`` value)."""
    if "stopping" not in runs:
        return runs.iloc[:0]
    several = runs.groupby("experiment")["stopping"].transform("nunique") > 1
    return runs[several]


def stopping_rules_table(runs: pd.DataFrame, paper) -> pd.DataFrame:
    """One row per (environment, algorithm, stopping rule, threshold, delta, r): the error rate on the rule's
    target among the seeds that *stopped* (Wilson 95 % interval; censored seeds apart, in ``censored_frac``), the
    stopping time's median and quartiles over all seeds (a censored seed counts with tau = the cap: a lower bound),
    the fraction of stopped seeds whose answer is feasible, and the rule's guarantee (``stopping.guarantee``)."""
    r = rule_comparisons(runs)
    rows = []
    keys = ["environment", "algorithm", "stopping", "threshold", "delta", "r"]
    for key, g in r.groupby(keys, sort=False):
        env, algo, rule, threshold, delta, slack = key
        g = g.drop_duplicates("seed")
        target = stopping.RULES[rule].target
        stopped = ~g["censored"].astype(bool)
        n_stop = int(stopped.sum())
        errors = int((g.loc[stopped, target] < 0.5).sum())
        rate, lo, hi = wilson_ci(errors, n_stop)
        tau = g["tau"].to_numpy(float)
        rows.append(dict(
            env=env, algorithm=g["label"].iloc[0], stopping=rule, threshold=threshold, delta=float(delta),
            r=float(slack), n_seeds=len(g), target=target, error_rate=rate, error_ci_low=lo, error_ci_high=hi,
            median_tau=float(np.median(tau)), tau_q1=float(np.percentile(tau, 25)),
            tau_q3=float(np.percentile(tau, 75)), censored_frac=float((~stopped).mean()),
            feasible_rate=float(g.loc[stopped, "feasible"].mean()) if n_stop else np.nan,
            guarantee=stopping.guarantee(rule, threshold),
            # extras (Markdown only)
            algo=algo, n_stopped=n_stop, errors=errors, cap=float(g["cap"].max()),
            median_tau_known_A=float(np.median(g["tau_known_A"])) if "tau_known_A" in g else np.nan,
            known_A_fired=float(g["known_A_stopped"].mean()) if "known_A_stopped" in g else np.nan,
            lower_bound=float(g["lower_bound"].iloc[0]),
            lower_bound_unknown=float(g["lower_bound_unknown"].iloc[0]) if "lower_bound_unknown" in g else np.nan))
    tab = pd.DataFrame(rows)
    if tab.empty:
        return tab
    order = {n: i for i, n in enumerate(paper.order(tab["algo"]))}
    rules = {n: i for i, n in enumerate(stopping.RULES)}
    return tab.sort_values(["env", "stopping", "threshold", "algo"],
                           key=lambda c: c.map(rules) if c.name == "stopping" else
                           (c.map(order) if c.name == "algo" else c)).reset_index(drop=True)


def _bound(x: float) -> str:
    return f"{x:,.0f}" if x > 0 else "∞"


def stopping_rules_markdown(tab: pd.DataFrame) -> str:
    """The table of the report's section 'Which stopping rule to trust' and the measured statements under it."""
    if tab.empty:
        return ("*No stored run compares stopping rules (`bandits-bench experiment=lats/stopping_rules`).*\n")
    lines = []
    for env, g in tab.groupby("env", sort=False):
        r0 = g.iloc[0]
        lines += [f"**{env}** (delta = {r0.delta:g}; lower bounds T kl(delta, 1-delta): known A "
                  f"{_bound(r0.lower_bound)}, unknown A {_bound(r0.lower_bound_unknown)}"
                  + (" (degenerate pi*)" if not r0.lower_bound_unknown > 0 else "") + f"; cap {r0.cap:,.0f})", "",
                  "| rule | threshold | algorithm | r | target | stopped | error rate [95 % CI] (<= delta?) | "
                  "median tau [IQR] | censored | feasible | guarantee | median tau given A |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in g.itertuples():
            if r.n_stopped:
                ok = "yes" if r.error_ci_high <= r.delta else ("**no**" if r.error_ci_low > r.delta else "undecided")
                err = f"{r.error_rate:.3f} [{r.error_ci_low:.3f}, {r.error_ci_high:.3f}] ({ok})"
                feas = f"{r.feasible_rate:.2f}"
            else:
                err, feas = "no seed stopped", "–"
            given = (f"{r.median_tau_known_A:,.0f}" + (f" ({r.known_A_fired:.0%} fired)" if r.known_A_fired < 1
                                                      else "")) if np.isfinite(r.median_tau_known_A) else "–"
            lines.append(f"| {r.stopping} | {r.threshold} | {r.algorithm} | {r.r:g} | {r.target} | "
                         f"{r.n_stopped}/{r.n_seeds} | {err} | {r.median_tau:,.0f} [{r.tau_q1:,.0f}, {r.tau_q3:,.0f}]"
                         f" | {r.censored_frac:.1%} | {feas} | {r.guarantee} | {given} |")
        lines.append("")
    lines += ["The error rate counts the seeds that stopped (a censored seed gave no answer: its share is the "
              "censored column); the interval is Wilson's. *yes*: the upper end is <= delta; **no**: the lower end "
              "is above it. tau: median and quartiles over all seeds, a censored seed counted at the cap (a lower "
              "bound). *feasible*: the stopped seeds' answers satisfy A pi <= b. *median tau given A*: when the "
              "paper's GLR with the true A and the same beta would have stopped on the same sample paths (where "
              "it had not fired by tau it counts at tau, a lower bound; its share of fired seeds in brackets).", ""]
    return "\n".join(lines)


def stopping_rules_claims(tab: pd.DataFrame) -> str:
    """Measured statements: which rules meet delta on their target, and what joint_glr/paper costs."""
    if tab.empty:
        return ""
    out = []
    for (rule, threshold), g in tab.groupby(["stopping", "threshold"], sort=False):
        stopped = g[g["n_stopped"] > 0]
        met = stopped[stopped["error_ci_high"] <= stopped["delta"]]
        failed = stopped[stopped["error_ci_low"] > stopped["delta"]]
        silent = g[g["n_stopped"] == 0]
        parts = [f"- **{rule}** ({threshold}, {g['guarantee'].iloc[0]}; target `{g['target'].iloc[0]}`): "
                 f"delta met with confidence in {len(met)} of {len(g)} (environment, algorithm) cells"]
        if len(failed):
            parts.append(f"missed in {len(failed)} (" + ", ".join(
                f"{r.algorithm} on {r.env}: {r.error_rate:.2f}" for r in failed.itertuples()) + ")")
        if len(silent):
            parts.append(f"no seed stopped before the cap in {len(silent)} (" + ", ".join(
                f"{r.algorithm} on {r.env}" for r in silent.itertuples()) + ")")
        out.append("; ".join(parts) + ".")
    cost = tab[(tab["stopping"] == "joint_glr") & (tab["threshold"] != "joint") & np.isfinite(tab["median_tau_known_A"])
               & (tab["n_stopped"] > 0)]
    for r in cost.itertuples():
        ratio = r.median_tau / r.median_tau_known_A
        out.append(f"- joint_glr ({r.threshold}) with {r.algorithm} on {r.env}: median tau {r.median_tau:,.0f}, "
                   f"{ratio:.2f} x the median of the same sampling rule's paths stopped by the GLR given the true A "
                   f"({r.median_tau_known_A:,.0f}; {'within' if ratio <= 1.5 else '**not** within'} 1.5 x); it "
                   f"erred on {r.errors} of {r.n_stopped} stopped seeds ({r.error_rate:.3f}).")
    return "\n".join(out) + "\n"


def stopping_rules_figure(g: pd.DataFrame, paper, env: str, path: Path) -> Path:
    """tau per (rule, threshold) and algorithm on one environment, with the known- and unknown-A bounds."""
    import matplotlib.pyplot as plt

    rules = list(dict.fromkeys(zip(g["stopping"], g["threshold"])))
    variants = _ordered(g, paper)
    width = 0.8 / max(len(variants), 1)
    fig, ax = plt.subplots(figsize=(2.0 + 1.5 * len(rules), 4.4))
    for j, v in enumerate(variants):
        d = g[g["variant"] == v]
        data = [d[(d["stopping"] == r) & (d["threshold"] == t)]["tau"].to_numpy(float) for r, t in rules]
        pos = np.arange(len(rules)) + (j - (len(variants) - 1) / 2) * width
        keep = [i for i, x in enumerate(data) if len(x)]
        bp = ax.boxplot([data[i] for i in keep], positions=pos[keep], widths=width * 0.85, patch_artist=True,
                        showfliers=False)
        for patch in bp["boxes"]:
            patch.set_facecolor(paper.color(d["algorithm"].iloc[0]))
            patch.set_alpha(0.5)
        ax.plot([], [], "s", color=paper.color(d["algorithm"].iloc[0]), alpha=0.5, label=d["label"].iloc[0])
    lb, lbu = float(g["lower_bound"].iloc[0]), float(g["lower_bound_unknown"].iloc[0])
    if lb > 0:
        ax.axhline(lb, color="k", ls="--", lw=1, label=f"known-A bound ({lb:,.0f})")
    if lbu > 0:
        ax.axhline(lbu, color="tab:blue", ls="-.", lw=1, label=f"unknown-A bound ({lbu:,.0f})")
    else:
        ax.plot([], [], " ", label=r"unknown-A bound: $\infty$ (degenerate $\pi^*$)")
    cap = float(g["cap"].max())
    ax.axhline(cap, color="tab:red", ls=":", lw=0.8, label=f"cap ({cap:,.0f})")
    ax.set_xticks(range(len(rules)), [f"{r}\n({t})" for r, t in rules], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel(r"stopping time $\tau$ (box: quartiles, whiskers 1.5 IQR)")
    ax.set_title(f"{env}: {g['seed'].nunique()} seeds per box, delta = {float(g['delta'].iloc[0]):g}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _save(fig, path)


# ----------------------------------------------------------------------------- entry point
def report(paper, runs: pd.DataFrame, curves, metas: list, figures_dir: Path, paper_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    fig_dir, tab_dir = Path(figures_dir) / paper.name, Path(paper_dir) / paper.name
    out = []
    if runs.empty:
        return out
    tab = summary(runs, paper)
    out.append(atomic_write_text(tab_dir / "summary.csv", tab[SUMMARY_COLUMNS].to_csv(index=False)))
    out.append(atomic_write_text(tab_dir / "summary.md", "# LATS / LAGEX: stopping times, errors, violations\n\n"
                                 + summary_markdown(tab)))
    # (results stored before the stopping rules were a sweep axis have no ``stopping`` column: nothing to compare)
    rules_tab = stopping_rules_table(runs, paper) if len(rule_comparisons(runs)) else pd.DataFrame()
    if not rules_tab.empty:
        out.append(atomic_write_text(tab_dir / "stopping_rules.csv",
                                     rules_tab[STOPPING_RULES_COLUMNS].to_csv(index=False)))
        compared = rule_comparisons(runs)
        for env, g in compared.groupby("environment", sort=False):
            out.append(stopping_rules_figure(g, paper, env, fig_dir / f"stopping_rules_{_slug(env)}.png"))
    for exp, r in runs.groupby("experiment"):
        if len(rule_comparisons(r)):
            continue  # drawn above, one figure per environment
        if r["mu3"].nunique() > 1 if "mu3" in r else False:
            p = figure2(r, paper, fig_dir / f"{_slug(exp.split('/')[-1])}_tau_vs_mu3.png")
            if p:
                out.append(p)
            continue
        for env in _problems(r):
            g = r[r["env"] == env]
            slug = _slug(env)
            out.append(box_plot(g, paper, env, fig_dir / f"tau_{slug}.png"))
            out.append(violation_plot(g, paper, env, fig_dir / f"violations_{slug}.png"))
            if (g["environment"] == "figure1").all():
                p = figure1(g, paper, fig_dir / "figure1.png")
                if p:
                    out.append(p)
    template = TEMPLATE.read_text() if TEMPLATE.exists() else "{{SUMMARY}}\n\n{{CLAIMS}}\n\n{{TIMINGS}}\n"
    text = (template.replace("{{TIMINGS}}", common.timings_markdown(paper, metas))
            .replace("{{CLAIMS}}", claims(tab, runs))
            .replace("{{STOPPING_RULES}}", stopping_rules_markdown(rules_tab) + "\n" + stopping_rules_claims(rules_tab))
            .replace("{{SUMMARY}}", summary_markdown(tab))
            .replace("{{PROVENANCE}}", common.provenance_markdown(metas)))
    out.append(atomic_write_text(tab_dir / "README.md", text))
    return out
