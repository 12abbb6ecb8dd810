"""Stored M-LCB results -> Figure 2 (regret, advisors, training budget), the rate figure, tables and README.

Nothing here runs a simulation. Rows are selected by stored columns only (``experiment``,
``experts``, ``M``, ``K``, ``alpha``, ``algorithm``, ``hyperparameters``, ``expert_excess``,
``lipschitz_constants``); names and colours come from the registry, and which algorithms the paper's claims
compare, which are tuned over a grid and which train independently of M from ``bandits.experts.paper``.
Means and 95% intervals over seeds are Student-t, proportions over seeds Wilson intervals
(``bandits.core.stats``); paired differences pair seed s of two algorithms (same seed = same data stream).

M-FLCB's reading (spec section 9) is read from the ``reading`` hyperparameter of its stored rows; its constants
(c, c_R) from ``bandits.experts.mlcb.reading_constants``. The "top two" experts are the two with the smallest
stored ``expert_excess`` (the oracle's best attainable loss above the best expert's).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from bandits.core.results import atomic_write_text
from bandits.core.stats import mean_ci, paired_test, wilson_ci
from bandits.experts.mlcb import reading_constants
from bandits.experts.paper import BUDGET_FREE, PAPER_BASELINES, TUNED

from .. import common

RATE_COLUMNS = ["alpha", "K", "M", "slope_T", "slope_T_ci_low", "slope_T_ci_high", "predicted_slope_T"]
SNAPSHOT = re.compile(r"^pseudo_regret_T(\d+)$")
TEMPLATE = Path(__file__).with_name("README.template.md")
BOOTSTRAP = 2000
LOCKED_OUT = 0.01  # an expert is locked out of training when N_i(T) < 1 % of its fair share sum_j N_j(T) / K
# (T = 1e4, K = 4, M = 1: fewer than 25 sessions of 2,500)
IDENTIFY = 0.9  # the identification claim: P(I_T = i*) >= 0.9 at the largest budget
TOP = 2  # "the top experts": the TOP experts with the smallest best attainable loss (logistic, probit on Figure 2)


# ----------------------------------------------------------------------------- selection
def _hp(value) -> dict:
    try:
        return json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}


def final_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["t"] == df["t"].max()] if "t" in df and len(df) else df


def tuned_variants(runs: pd.DataFrame, paper) -> tuple[dict, pd.DataFrame]:
    """Per M: the variants to show. An algorithm swept over its ``TUNED`` hyperparameters (ED2RB's c grid) is
    shown by its best setting (smallest mean final pseudo-regret at that M), as the paper did; variants that
    differ in any other hyperparameter (M-FLCB's reading, say) are shown each, never chosen between.

    Returns ({M: [variant, ...]}, tuning table: M, algorithm, hyperparameters, mean, ci, best).
    """
    shown, tuning = {}, []
    for M, g in runs.groupby("M", sort=True):
        chosen = []
        for algo in paper.order(g["algorithm"].unique()):
            a = g[g["algorithm"] == algo]
            groups = {}  # the variants alike in every untuned hyperparameter: one grid
            for var, v in a.groupby("variant", sort=True):
                fixed = {k: x for k, x in _hp(v["hyperparameters"].iloc[0]).items() if k not in TUNED.get(algo, ())}
                groups.setdefault(json.dumps(fixed, sort_keys=True, default=str), []).append(var)
            for variants in groups.values():
                if len(variants) == 1:
                    chosen.append(variants[0])
                    continue
                stats = []
                for var in variants:
                    v = a[a["variant"] == var].drop_duplicates("seed")
                    m, lo, hi = mean_ci(v["pseudo_regret"].to_numpy())
                    stats.append((m, var, lo, hi, v["hyperparameters"].iloc[0], len(v)))
                stats.sort(key=lambda s: (s[0], s[1]))
                chosen.append(stats[0][1])
                for m, var, lo, hi, hp, n in stats:
                    tuning.append(dict(M=int(M), algorithm=algo, hyperparameters=hp, seeds=n, pseudo_regret_mean=m,
                                       ci_low=lo, ci_high=hi, best=var == stats[0][1]))
        shown[int(M)] = chosen
    return shown, pd.DataFrame(tuning)


def _per_expert(value) -> np.ndarray:
    """A stored per-expert column (comma-separated numbers) as an array; empty when absent."""
    return np.array([float(v) for v in str(value).split(",")]) if isinstance(value, str) and value else np.array([])


def top_experts(excess) -> list[int]:
    """The ``TOP`` experts with the smallest best attainable loss (stored ``expert_excess``); empty when the results
    do not store it or when it is ambiguous (the runner-up tied with the next: bandit experts whose best actions
    coincide)."""
    e = _per_expert(excess)
    order = np.argsort(e, kind="stable")
    if len(e) < TOP or (len(e) > TOP and e[order[TOP - 1]] == e[order[TOP]]):
        return []
    return [int(i) for i in order[:TOP]]


def reading_of(hyperparameters) -> dict:
    """M-FLCB's reading and constants of a stored ``hyperparameters`` value ({} for an algorithm without one)."""
    hp = _hp(hyperparameters)
    if "reading" not in hp:
        return {}
    c, c_R = reading_constants(hp["reading"], *([hp["c"]] if "c" in hp else []))
    return {"reading": hp["reading"], "mflcb_c": c, "mflcb_c_R": c_R}


def experiment_columns(runs: pd.DataFrame) -> dict:
    """What defines an experiment's reading (spec section 9), from its stored rows: M-FLCB's reading and
    constants (the rows that carry a reading) and the experts' Lipschitz mode and constants (GLM rows)."""
    readings = [reading_of(h) for h in runs["hyperparameters"].unique()]
    readings = [r for r in readings if r]
    out = {"experiment": runs["experiment"].iloc[0]}
    for key in ("reading", "mflcb_c", "mflcb_c_R"):
        values = sorted({r[key] for r in readings})
        out[key] = "+".join(map(str, values)) if len(values) > 1 else (values[0] if values else "")
    for key in ("lipschitz", "lipschitz_constants"):
        values = sorted(runs[key].dropna().unique()) if key in runs else []
        out[key] = "+".join(values) if values else ""
    return out


def describe_reading(cols: dict) -> str:
    """'reading B (c = 0.1, c_R = 0.1), common G' for an experiment's columns."""
    parts = []
    if cols.get("reading"):
        parts.append(f"reading {cols['reading']} (c = {cols['mflcb_c']:g}, c_R = {cols['mflcb_c_R']:g})"
                     if all(isinstance(cols.get(k), float) for k in ("mflcb_c", "mflcb_c_R"))
                     else f"reading {cols['reading']}")  # (a sweep over readings: 'A+B', constants apart)
    if cols.get("lipschitz"):
        G = _per_expert(cols["lipschitz_constants"]) if "+" not in cols["lipschitz_constants"] else []
        parts.append({"common": f"common G = {G[0]:g}" if len(G) else "common G",
                      "per_link": "per-link G_i"}.get(cols["lipschitz"], f"{cols['lipschitz']} G_i"))
    return ", ".join(parts) or "–"


def _labels(df: pd.DataFrame) -> dict:
    return dict(zip(df["variant"], df["label"]))


def _names(df: pd.DataFrame) -> list[str]:
    return str(df["experts_names"].iloc[0]).split(",") if "experts_names" in df else \
        [str(i) for i in range(int(df["K"].iloc[0]))]


def _label(var: str, labels: dict, runs: pd.DataFrame, paper) -> str:
    """A variant's legend label: its display name, and for a tuned sweep the best setting of its grid."""
    x = runs[runs["variant"] == var]
    algo = x["algorithm"].iloc[0]
    if var == algo or not TUNED.get(algo):
        return labels.get(var, var)
    hp = _hp(x["hyperparameters"].iloc[0])
    return f"{paper.display(algo)} (" + ", ".join(f"best {k} = {hp[k]}" for k in TUNED[algo] if k in hp) + ")"


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
            row.update(_proportion("identified", x["final_advisor"].to_numpy() == best, (best >= 0).all()))
            top = top_experts(x["expert_excess"].iloc[0]) if "expert_excess" in x else []
            row.update(_proportion("top_two", np.isin(x["final_advisor"].to_numpy(), top), bool(top), estimate=True))
            row["budget_free"] = row["algorithm"] in BUDGET_FREE
            rows.append(row)
    tab = pd.DataFrame(rows)
    if len(tab):
        for key, value in experiment_columns(runs).items():
            tab[key] = value
    return tab


def _proportion(name: str, hits, valid: bool, estimate: bool = False) -> dict:
    """Wilson interval of the fraction of seeds in ``hits`` (columns name_ci_low, name_ci_high; with
    ``estimate`` also the fraction itself); NaNs where it is undefined."""
    hits = np.asarray(hits, bool)
    p, lo, hi = wilson_ci(hits.sum(), hits.size) if valid else (np.nan, np.nan, np.nan)
    return {**({name: p} if estimate else {}), f"{name}_ci_low": lo, f"{name}_ci_high": hi}


def _fmt_p(p) -> str:
    return "–" if not np.isfinite(p) else (f"{p:.2g}" if p >= 1e-4 else "< 1e-4")


def _fmt_prop(p, lo, hi) -> str:
    return "–" if not np.isfinite(p) else f"{p:.2f} [{lo:.2f}, {hi:.2f}]"


def final_markdown(tab: pd.DataFrame, title: str, ref_label: str, ref_algo: str, paper=None) -> str:
    if tab.empty:
        return "(no results)\n"
    cols = tab.iloc[0]
    lines = [f"**{title}** — {describe_reading(cols)}; final regret at T = {int(tab['T'].max()):,} over "
             f"{int(tab['seeds'].min())} seeds: mean [95% CI]; paired difference to {ref_label} (same seeds, same "
             f"data) and its paired t-test p-value; the final advisor's identification over seeds with 95% Wilson "
             f"intervals (top two: the two experts with the smallest best attainable loss).",
             "", "| M | algorithm | pseudo-regret | diff vs ref. | p | realized regret | diff vs ref. | p | "
                 "P(I_T = i*) | P(I_T in top two) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in tab.itertuples():
        cells = []
        for metric in ("pseudo_regret", "regret"):
            m, lo, hi = (getattr(r, f"{metric}_mean"), getattr(r, f"{metric}_ci_low"), getattr(r, f"{metric}_ci_high"))
            d, p = getattr(r, f"{metric}_diff_vs_{ref_algo}"), getattr(r, f"{metric}_p_value")
            cells += [f"{m:,.1f} [{lo:,.1f}, {hi:,.1f}]", "–" if not np.isfinite(d) else f"{d:+,.1f}", _fmt_p(p)]
        cells += [_fmt_prop(r.identified, r.identified_ci_low, r.identified_ci_high),
                  _fmt_prop(r.top_two, r.top_two_ci_low, r.top_two_ci_high)]
        lines.append(f"| {r.M} | {r.label}{' †' if r.budget_free else ''} | " + " | ".join(cells) + " |")
    free = sorted(set(tab.loc[tab["budget_free"], "algorithm"]))
    if free:
        lines += [""] + [f"† {paper.display(a) if paper else a} {BUDGET_FREE[a]}: its rows do not change with M "
                         f"(same seeds, same data)." for a in free]
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


# ----------------------------------------------------------------------------- training and claims
def training_table(runs: pd.DataFrame, shown: dict) -> pd.DataFrame:
    """Per M x variant: where the training went. Share of training sessions N_i(T) / sum_j N_j(T) per expert
    (mean [95% CI] over seeds) beside G_i^2 / sum_j G_j^2 (the share that equalises the regret terms
    c_R R_i(n_i)/n_i when the running losses are alike: the diagnostic of the regret term, spec section 9) and the
    uniform 1/K; their total-variation distances; the top two experts' share; and how often an expert is locked
    out of training (N_i(T) < ``LOCKED_OUT`` x its fair share sum_j N_j(T) / K), any expert or i*."""
    rows = []
    fin = final_rows(runs)
    for M, g in fin.groupby("M", sort=True):
        for var in shown.get(int(M), []):
            x = g[g["variant"] == var].drop_duplicates("seed")
            K = int(x["K"].iloc[0])
            counts = x[[f"train_count_{i}" for i in range(K)]].to_numpy(float)
            total = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
            share = counts / total
            G = _per_expert(x["lipschitz_constants"].iloc[0]) if "lipschitz_constants" in x else np.array([])
            g2 = G ** 2 / np.sum(G ** 2) if len(G) == K else np.full(K, np.nan)
            top = top_experts(x["expert_excess"].iloc[0]) if "expert_excess" in x else []
            best = int(x["best_expert"].iloc[0])
            locked = counts < LOCKED_OUT * total / K
            row = dict(M=int(M), K=K, algorithm=x["algorithm"].iloc[0], variant=var, label=x["label"].iloc[0],
                       seeds=len(x))
            for i in range(K):
                m, lo, hi = common.bounded_mean_ci(share[:, i])  # a share: its interval stays in [0, 1]
                row.update({f"share_{i}": m, f"share_{i}_ci_low": lo, f"share_{i}_ci_high": hi,
                            f"G2_share_{i}": g2[i]})
            mean_share = share.mean(axis=0)
            row["tv_to_G2"] = 0.5 * float(np.abs(mean_share - g2).sum()) if len(G) == K else np.nan
            row["tv_to_uniform"] = 0.5 * float(np.abs(mean_share - 1.0 / K).sum())
            m, lo, hi = common.bounded_mean_ci(share[:, top].sum(axis=1)) if top else (np.nan,) * 3
            row.update(top_two_share=m, top_two_share_ci_low=lo, top_two_share_ci_high=hi,
                       best_share_rank=int((mean_share > mean_share[best]).sum()) + 1 if 0 <= best < K else -1)
            row.update({f"locked_out_{i}": float(locked[:, i].mean()) for i in range(K)})
            row.update(_proportion("locked_out_any", locked.any(axis=1), True, estimate=True))
            row.update(_proportion("locked_out_best", locked[:, best], 0 <= best < K, estimate=True))
            rows.append(row)
    return pd.DataFrame(rows)


def training_markdown(training: pd.DataFrame, names: list[str], variants) -> str:
    """The training shares of ``variants`` (M-FLCB) beside G_i^2 / sum G_j^2, and how often experts are locked out."""
    t = training[training["variant"].isin(variants)]
    if t.empty:
        return ""
    K = len(names)
    head = "| M | algorithm | " + " | ".join(names) + " | TV to G² | TV to uniform | top-two share | " \
        "P(an expert locked out) | P(i* locked out) |"
    lines = [head, "|" + "---|" * (K + 7)]
    for r in t.itertuples():
        cells = [f"{getattr(r, f'share_{i}'):.3f} [{getattr(r, f'share_{i}_ci_low'):.3f}, "
                 f"{getattr(r, f'share_{i}_ci_high'):.3f}]" for i in range(K)]
        tv = "–" if not np.isfinite(r.tv_to_G2) else f"{r.tv_to_G2:.3f}"
        top = "–" if not np.isfinite(r.top_two_share) else \
            f"{r.top_two_share:.3f} [{r.top_two_share_ci_low:.3f}, {r.top_two_share_ci_high:.3f}]"
        lines.append(f"| {r.M} | {r.label} | " + " | ".join(cells) + f" | {tv} | {r.tv_to_uniform:.3f} | {top} | "
                     f"{_fmt_prop(r.locked_out_any, r.locked_out_any_ci_low, r.locked_out_any_ci_high)} | "
                     f"{_fmt_prop(r.locked_out_best, r.locked_out_best_ci_low, r.locked_out_best_ci_high)} |")
    g2 = [t[f"G2_share_{i}"].iloc[0] for i in range(K)]
    if np.all(np.isfinite(g2)):
        lines.append("| | G_i² / Σ G_j² | " + " | ".join(f"{v:.3f}" for v in g2) + " | | | | | |")
    return "\n".join(lines) + "\n"


def _verdict(lo: float, hi: float, threshold: float, above: str, below: str, between: str) -> str:
    """``above`` when the interval lies above ``threshold``, ``below`` when under it, ``between`` otherwise."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "not measured"
    return above if lo > threshold else below if hi < threshold else between


def claims_table(runs: pd.DataFrame, paper, shown: dict, tab: pd.DataFrame, training: pd.DataFrame) -> pd.DataFrame:
    """The paper's three claims on one experiment, measured for its reference algorithm (M-FLCB), per M:

    * competitive: its mean final pseudo-regret below each of ``PAPER_BASELINES`` (ED2RB at its best c), by the
      paired difference's 95% interval (below / above / no significant difference);
    * identifies the optimal expert: P(I_T = i*) >= ``IDENTIFY`` (Wilson interval: holds / fails / undecided),
      judged at the largest M; P(I_T in top two) beside it (logistic and probit cannot be told apart);
    * puts its training into the top experts: the top two experts' share of training sessions above the
      uniform 2/K (Student-t interval).
    """
    rows = []
    ref_algo = paper.reference
    cols = experiment_columns(runs)
    fin = final_rows(runs)
    largest = int(fin["M"].max())
    for M, g in fin.groupby("M", sort=True):
        M = int(M)
        ref_vars = [v for v in shown.get(M, []) if (g.loc[g["variant"] == v, "algorithm"] == ref_algo).any()]
        if not ref_vars:
            continue
        ref = g[g["variant"] == ref_vars[0]].drop_duplicates("seed").set_index("seed")
        for base_algo in PAPER_BASELINES:
            base_vars = [v for v in shown.get(M, []) if (g.loc[g["variant"] == v, "algorithm"] == base_algo).any()]
            if not base_vars:
                continue
            base = g[g["variant"] == base_vars[0]].drop_duplicates("seed").set_index("seed")
            seeds = ref.index.intersection(base.index)
            d = ref.loc[seeds, "pseudo_regret"].to_numpy() - base.loc[seeds, "pseudo_regret"].to_numpy()
            m, lo, hi = mean_ci(d)
            hp = _hp(base["hyperparameters"].iloc[0])
            tuned = ", ".join(f"best {k} = {hp[k]}" for k in TUNED.get(base_algo, ()) if k in hp)
            rows.append(dict(claim="competitive", M=M, subject=paper.display(ref_algo), versus=paper.display(base_algo),
                             setting=tuned,
                             estimate=m, ci_low=lo, ci_high=hi, threshold=0.0,
                             reference_mean=float(ref.loc[seeds, "pseudo_regret"].mean()),
                             versus_mean=float(base.loc[seeds, "pseudo_regret"].mean()),
                             verdict=_verdict(lo, hi, 0.0, "above", "below", "no significant difference")))
        r = tab[(tab["M"] == M) & (tab["variant"] == ref_vars[0])].iloc[0]
        for claim, key in (("identifies i*", "identified"), ("identifies a top-two expert", "top_two")):
            if not np.isfinite(r[key]):  # no best expert, or no unambiguous top two
                continue
            lo, hi = r[f"{key}_ci_low"], r[f"{key}_ci_high"]
            rows.append(dict(claim=claim, M=M, subject=r["label"], versus="", estimate=r[key], ci_low=lo, ci_high=hi,
                             threshold=IDENTIFY, judged=M == largest,
                             verdict=_verdict(lo, hi, IDENTIFY - 1e-12, "holds", "fails", "undecided")))
        t = training[(training["M"] == M) & (training["variant"] == ref_vars[0])]
        if len(t) and np.isfinite(t["top_two_share"].iloc[0]):
            t = t.iloc[0]
            uniform = TOP / int(t["K"])
            rows.append(dict(claim="trains the top experts", M=M, subject=t["label"], versus="uniform share",
                             estimate=t["top_two_share"], ci_low=t["top_two_share_ci_low"],
                             ci_high=t["top_two_share_ci_high"], threshold=uniform,
                             best_share_rank=int(t["best_share_rank"]),
                             verdict=_verdict(t["top_two_share_ci_low"], t["top_two_share_ci_high"], uniform,
                                              "holds", "fails", "undecided")))
    out = pd.DataFrame(rows)
    for key, value in cols.items():
        out[key] = value
    return out


CLAIMS = {  # claim -> (what the paper says, how the cell reads)
    "competitive": "M-FLCB's mean pseudo-regret below {versus}'s (paired difference; a swept baseline at its best "
                   "setting per M)",
    "identifies i*": f"P(I_T = i*) >= {IDENTIFY:g}, judged at the largest M",
    "identifies a top-two expert": f"P(I_T in top two) >= {IDENTIFY:g}, judged at the largest M",
    "trains the top experts": "the top two experts' share of training sessions above the uniform 2/K",
}


def _claim_cell(r) -> str:
    if r.claim == "competitive":
        return (f"**{r.verdict}**: {r.reference_mean:,.1f} vs {r.versus_mean:,.1f}"
                + (f" ({r.setting})" if isinstance(r.setting, str) and r.setting else "")
                + f", diff {r.estimate:+,.1f} [{r.ci_low:+,.1f}, {r.ci_high:+,.1f}]")
    if r.claim == "trains the top experts":
        return f"**{r.verdict}**: {r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] vs {r.threshold:.2f}"
    return f"{r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]" + (f" **{r.verdict}**" if r.judged else "")


def _overall(rows: pd.DataFrame) -> str:
    """A claim's verdict over its rows: holds only if every M holds (competitive: below at every M)."""
    if rows["claim"].iloc[0].startswith("identifies"):
        judged = rows[rows["judged"] == True]  # noqa: E712 (NaN in other claims' rows)
        return judged["verdict"].iloc[0] if len(judged) else "not measured"
    good = {"below", "holds"}
    v = set(rows["verdict"])
    return "holds" if v <= good else "fails" if not v & good else "holds at some M only"


def claims_markdown(claims: pd.DataFrame) -> str:
    """One table: per experiment (reading) and claim, the measurement at each M and the verdict."""
    if claims.empty:
        return "(no M-FLCB results to judge the claims on)\n"
    Ms = sorted(claims["M"].unique())
    lines = ["| preset | reading | claim | " + " | ".join(f"M = {m}" for m in Ms) + " | verdict |",
             "|" + "---|" * (len(Ms) + 4)]
    for exp, c in claims.groupby("experiment", sort=True):
        cols = c.iloc[0]
        for (claim, versus), rows in c.groupby(["claim", "versus"], sort=False):
            cells = {int(r.M): _claim_cell(r) for r in rows.itertuples()}
            what = CLAIMS[claim].format(versus=versus)
            lines.append(f"| `{exp}` | {describe_reading(cols)} | {what} | "
                         + " | ".join(cells.get(int(m), "–") for m in Ms) + f" | **{_overall(rows)}** |")
    return "\n".join(lines) + "\n"


def verdict_sentences(claims: pd.DataFrame) -> str:
    """The issue's two questions per experiment, in words, from the claims table."""
    out = []
    for exp, c in claims.groupby("experiment", sort=True):
        parts = []
        comp = c[c["claim"] == "competitive"]
        for versus, rows in comp.groupby("versus", sort=False):
            below = [int(m) for m, v in zip(rows["M"], rows["verdict"]) if v == "below"]
            other = [f"{v} at M = {int(m)}" for m, v in zip(rows["M"], rows["verdict"]) if v != "below"]
            parts.append(f"below {versus}'s at " + (f"M = {', '.join(map(str, below))}" if below else "no M")
                         + (f" ({'; '.join(other)})" if other else ""))
        text = f"- `{exp}` ({describe_reading(c.iloc[0])}): M-FLCB's mean pseudo-regret is " + "; ".join(parts) + "."
        for claim, what in (("identifies i*", "P(I_T = i*)"), ("identifies a top-two expert", "P(I_T in top two)")):
            j = c[(c["claim"] == claim) & (c["judged"] == True)]  # noqa: E712
            if len(j):
                r = j.iloc[0]
                text += (f" {what} at M = {int(r.M)} is {r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]: "
                         + {"holds": f"at least {IDENTIFY:g}", "fails": f"below {IDENTIFY:g}",
                            "undecided": f"not distinguishable from {IDENTIFY:g}"}.get(r.verdict, r.verdict) + ".")
        out.append(text)
    return "\n".join(out) + "\n" if out else ""


def lockout_sentences(training: dict, names: dict, readings: dict) -> str:
    """Per experiment, how often M-FLCB locks an expert (and i*) out of training, in words (``training_table``)."""
    out = []
    for exp, t in sorted(training.items()):
        if t.empty:
            continue
        t = t.sort_values("M")

        def rates(key):
            return ", ".join(f"{getattr(r, key):.2f} [{getattr(r, key + '_ci_low'):.2f}, "
                             f"{getattr(r, key + '_ci_high'):.2f}]" for r in t.itertuples())

        each = "; ".join(f"M = {int(r.M)}: " + ", ".join(f"{n} {getattr(r, f'locked_out_{i}'):.2f}"
                                                        for i, n in enumerate(names[exp])) for r in t.itertuples())
        out.append(f"- `{exp}` ({readings[exp]}), M = {', '.join(str(int(m)) for m in t['M'])}: some expert locked "
                   f"out in {rates('locked_out_any')} of the seeds, i* in {rates('locked_out_best')} (per expert: "
                   f"{each}).")
    return "\n".join(out) + "\n" if out else ""


def identification_markdown(tables: list[pd.DataFrame]) -> str:
    """At the smallest budget of every experiment, the variants that carry a reading (M-FLCB advising from S_t
    and from all K): regret and identification side by side."""
    lines = ["| preset | M | algorithm | pseudo-regret | P(I_T = i*) | P(I_T in top two) |",
             "|---|---|---|---|---|---|"]
    for tab in tables:
        t = tab[(tab["M"] == tab["M"].min()) & tab["hyperparameters"].map(lambda h: bool(reading_of(h)))]
        for r in t.itertuples():
            lines.append(f"| `{r.experiment}` | {r.M} | {r.label} | {r.pseudo_regret_mean:,.1f} "
                         f"[{r.pseudo_regret_ci_low:,.1f}, {r.pseudo_regret_ci_high:,.1f}] | "
                         f"{_fmt_prop(r.identified, r.identified_ci_low, r.identified_ci_high)} | "
                         f"{_fmt_prop(r.top_two, r.top_two_ci_low, r.top_two_ci_high)} |")
    return "\n".join(lines) + "\n" if len(lines) > 2 else "(no M-FLCB results)\n"


def readings_markdown(tables: list[pd.DataFrame], runs: pd.DataFrame) -> str:
    """The experiments and what sets their reading: M-FLCB's constants, the experts' G_i, the oracle's ranking."""
    lines = ["| preset | reading | M-FLCB c | M-FLCB c_R | Lipschitz | G_i | "
             "best attainable loss above i*, per expert |",
             "|---|---|---|---|---|---|---|"]
    for tab in tables:
        r = tab.iloc[0]
        rows = runs[runs["experiment"] == r["experiment"]]
        excess = rows["expert_excess"].dropna().iloc[0] if "expert_excess" in rows and \
            rows["expert_excess"].notna().any() else ""
        names = _names(rows)
        ex = ", ".join(f"{n} {v:.2g}" for n, v in zip(names, _per_expert(excess)))
        G = ", ".join(f"{v:.3g}" for v in _per_expert(r["lipschitz_constants"])) if r["lipschitz_constants"] and \
            "+" not in r["lipschitz_constants"] else r["lipschitz_constants"] or "–"
        fmt = (lambda v: f"{v:g}" if isinstance(v, float) else str(v) or "–")
        lines.append(f"| `{r['experiment']}` | {r['reading'] or '–'} | {fmt(r['mflcb_c'])} | {fmt(r['mflcb_c_R'])} "
                     f"| {r['lipschitz'] or '–'} | {G} | {ex or '–'} |")
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
                           predicted_slope_T=max(0.5, float(alpha)),
                           **{"reading": "", **reading_of(g["hyperparameters"].iloc[0])}))
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
        label = f"{r.label} (reading {r.reading})" if r.reading else r.label
        lines.append(f"| {label} | {r.alpha:g} | {r.K} | {r.M} | {r.seeds} | {r.slope_T:.3f} "
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
    read = slopes[slopes["reading"] != ""].drop_duplicates(["label", "reading"])
    if len(read):
        out += "\nReadings (spec section 9) in these rows: " + "; ".join(
            f"{r.label}: {describe_reading(r._asdict())}" for r in read.itertuples()) + \
            ". `rates.csv` is M-LCB's, at the theory constants c = c_R = 1 (no reading applies).\n"
    return out


# ----------------------------------------------------------------------------- figures
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt


def _caption(fig, title: str, runs: pd.DataFrame, what: str):
    """The figure's title: the experiment and its setting, and how many seeds each curve or bar shows."""
    fig.suptitle(f"{title}\n{what} over {common.seeds_text(final_rows(runs), ('variant', 'M'))} per curve or bar",
                 fontsize=10)


def regret_figure(runs, curves, paper, shown, title, path: Path):
    """(a) cumulative pseudo-regret (top) and realized regret (bottom) vs t, mean and 95% CI, one panel per M."""
    if curves.empty:
        return None
    plt = _plt()
    Ms = sorted(shown)
    labels, styles = _labels(runs), common.variant_styles(runs, paper)
    fig, axes = plt.subplots(2, len(Ms), figsize=(4.2 * len(Ms), 6.4), squeeze=False, sharex=True)
    for row, metric in enumerate(("pseudo_regret", "regret")):
        st = common.curve_stats(curves[curves["metric"] == metric], metric, by=("M", "variant"))
        for col, M in enumerate(Ms):
            ax = axes[row, col]
            for var in shown[M]:
                s = st[(st["M"] == M) & (st["variant"] == var)]
                if s.empty:
                    continue
                lab = _label(var, labels, runs, paper)
                st_ = styles[var]
                ax.plot(s["t"], s["mean"], color=st_["color"], lw=1.4, label=lab, marker=st_["marker"], ms=4,
                        markevery=max(len(s) // 8, 1))
                ax.fill_between(s["t"], s["lo"], s["hi"], color=st_["color"], alpha=0.2, lw=0)
            ax.set(xlabel="round t", ylabel=("pseudo-regret" if row == 0 else "realized regret") if col == 0 else "",
                   title=f"M = {M}" if row == 0 else "")
    _caption(fig, title, runs, "mean and 95% CI")
    fig.tight_layout()
    common.legend_outside(fig, axes, where="below", ncol=3)
    return common.save_figure(fig, path)


def _grouped_bars(ax, values: dict, errors: dict | None, names, styles, labels):
    """Bars per expert, one per variant (its colour, and hatch for a hyperparameter setting); a bar of height 0
    is drawn as a short line at 0 and labelled "0", so a zero is never mistaken for a missing bar."""
    variants = list(values)
    width = 0.8 / max(len(variants), 1)
    x = np.arange(len(names))
    for j, var in enumerate(variants):
        err = None if errors is None else np.abs(np.asarray(errors[var]).T - np.asarray(values[var])[None, :])
        pos = x + (j - (len(variants) - 1) / 2) * width
        v = np.asarray(values[var], float)
        ax.bar(pos, v, width, color=styles[var]["color"], hatch=styles[var]["hatch"], label=labels[var],
               yerr=err, capsize=2, error_kw={"lw": 0.8}, edgecolor="0.3", linewidth=0.4)
        for p_, h in zip(pos, v):
            if h == 0:
                ax.plot([p_ - width / 2, p_ + width / 2], [0, 0], color=styles[var]["color"], lw=2)
                ax.annotate("0", (p_, 0), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=5)
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=7)


def advisor_figure(runs, paper, shown, title, path: Path):
    """(b) distribution of the final advisor I_T over seeds (top, 95% Wilson intervals) and mean advisor
    frequencies (bottom, 95% percentile-bootstrap intervals over seeds: both stay inside [0, 1])."""
    plt = _plt()
    Ms = sorted(shown)
    fin = final_rows(runs)
    names = _names(fin)
    K = len(names)
    labels, styles = _labels(fin), common.variant_styles(fin, paper)
    fig, axes = plt.subplots(2, len(Ms), figsize=(4.2 * len(Ms), 6.4), squeeze=False)
    for col, M in enumerate(Ms):
        g = fin[fin["M"] == M]
        final, final_err, freq, freq_err = {}, {}, {}, {}
        for var in shown[M]:
            x = g[g["variant"] == var].drop_duplicates("seed")
            hits = [wilson_ci(int((x["final_advisor"] == i).sum()), len(x)) for i in range(K)]
            final[var], final_err[var] = [h[0] for h in hits], [(h[1], h[2]) for h in hits]
            stats = [common.bounded_mean_ci(x[f"advisor_freq_{i}"].to_numpy()) for i in range(K)]
            freq[var] = [s[0] for s in stats]
            freq_err[var] = [(s[1], s[2]) for s in stats]
        best = int(g["best_expert"].iloc[0]) if len(g) else -1
        _grouped_bars(axes[0, col], final, final_err, names, styles, labels)
        _grouped_bars(axes[1, col], freq, freq_err, names, styles, labels)
        axes[0, col].set(title=f"M = {M}" + (f" (best expert: {names[best]})" if 0 <= best < K else ""),
                         ylabel="fraction of seeds with I_T = i" if col == 0 else "", ylim=(0, 1.05))
        axes[1, col].set(ylabel="advisor frequency (rounds)" if col == 0 else "", ylim=(0, 1.05))
    _caption(fig, title, runs, "top: share of seeds, 95% Wilson CI; bottom: mean, 95% bootstrap CI,")
    fig.tight_layout()
    common.legend_outside(fig, axes, where="below", ncol=3)
    return common.save_figure(fig, path)


def budget_figure(runs, paper, shown, title, path: Path):
    """(c) the training budget across experts: share of training sessions N_i(T) / sum_j N_j(T), mean and 95%
    percentile-bootstrap interval over seeds (inside [0, 1])."""
    plt = _plt()
    Ms = sorted(shown)
    fin = final_rows(runs)
    names = _names(fin)
    K = len(names)
    labels, styles = _labels(fin), common.variant_styles(fin, paper)
    fig, axes = plt.subplots(1, len(Ms), figsize=(4.2 * len(Ms), 3.4), squeeze=False)
    for col, M in enumerate(Ms):
        g = fin[fin["M"] == M]
        share, err = {}, {}
        for var in shown[M]:
            x = g[g["variant"] == var].drop_duplicates("seed")
            counts = x[[f"train_count_{i}" for i in range(K)]].to_numpy(float)
            frac = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            stats = [common.bounded_mean_ci(frac[:, i]) for i in range(K)]
            share[var] = [s[0] for s in stats]
            err[var] = [(s[1], s[2]) for s in stats]
        _grouped_bars(axes[0, col], share, err, names, styles, labels)
        axes[0, col].set(title=f"M = {M}", ylabel="share of training sessions N_i(T)" if col == 0 else "",
                         ylim=(0, 1.05))
    _caption(fig, title, runs, "mean and 95% bootstrap CI")
    fig.tight_layout()
    common.legend_outside(fig, axes, where="below", ncol=3)
    return common.save_figure(fig, path)


def training_figure(training: dict, names: dict, readings: dict, paper, path: Path):
    """Where M-FLCB's training goes, per experiment whose experts have Lipschitz constants (the GLM readings): its
    share of training sessions per expert (bars per M, 95% CI) beside G_i^2 / sum G_j^2 (black ticks), the
    diagnostic of the regret term."""
    items = [(exp, t) for exp, t in sorted(training.items()) if len(t) and np.isfinite(t["G2_share_0"]).all()]
    if not items:
        return None
    plt = _plt()
    cols = min(len(items), 2)
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows), squeeze=False, sharey=True)
    for ax in axes.ravel()[len(items):]:
        ax.set_visible(False)
    cmap = plt.get_cmap("Blues")
    for j_ax, (exp, t) in enumerate(items):
        ax = axes.ravel()[j_ax]
        K = int(t["K"].iloc[0])
        Ms = sorted(t["M"].unique())
        x = np.arange(K)
        width = 0.8 / len(Ms)
        for j, M in enumerate(Ms):
            r = t[t["M"] == M].iloc[0]
            share = np.array([r[f"share_{i}"] for i in range(K)])
            err = np.array([[r[f"share_{i}"] - r[f"share_{i}_ci_low"], r[f"share_{i}_ci_high"] - r[f"share_{i}"]]
                            for i in range(K)]).T
            ax.bar(x + (j - (len(Ms) - 1) / 2) * width, share, width, yerr=err, capsize=2,
                   color=cmap(0.4 + 0.5 * j / max(len(Ms) - 1, 1)), label=f"M = {M}", error_kw={"lw": 0.8})
        g2 = np.array([t[f"G2_share_{i}"].iloc[0] for i in range(K)])
        if np.all(np.isfinite(g2)):
            ax.scatter(x, g2, marker="_", s=600, color="black", zorder=3, label="G_i² / Σ G_j²")
        ax.axhline(1.0 / K, color="0.5", ls=":", lw=1, label="uniform 1/K")
        ax.set_xticks(x, names[exp], fontsize=7)
        ax.set(title=f"{exp}: {readings[exp]}", ylabel=f"{t['label'].iloc[0]}: share of N_i(T)" if j_ax % cols == 0
               else "")
        ax.title.set_fontsize(8)
    seeds = sorted({int(n) for _, t in items for n in t["seeds"]})
    fig.suptitle(f"mean share and 95% bootstrap CI over {seeds[0]}" + (f"-{seeds[-1]}" if len(seeds) > 1 else "")
                 + " seeds per bar", fontsize=9)
    fig.tight_layout()
    common.legend_outside(fig, axes, where="below", ncol=4)
    return common.save_figure(fig, path)


def rates_figure(slopes, points, paper, path: Path):
    """(d) log-log regret vs T per alpha (a panel each), one line per (K, M) and variant (a hyperparameter setting
    of M-LCB gets its own marker), fitted slopes beside max(1/2, alpha); the legend beside the panels."""
    if points.empty:
        return None
    plt = _plt()
    alphas = sorted(points["alpha"].unique())
    fig, axes = plt.subplots(1, len(alphas), figsize=(5.2 * len(alphas), 4.0), squeeze=False)
    cmap = plt.get_cmap("viridis")
    markers = {v: common.MARKERS[i % len(common.MARKERS)] for i, v in
               enumerate(sorted(points.loc[points["algorithm"] == "mlcb", "variant"].unique()))}
    labels = dict(zip(slopes["variant"], slopes["label"]))
    for col, alpha in enumerate(alphas):
        ax = axes[0, col]
        p = points[points["alpha"] == alpha]
        keys = sorted({(k, m) for k, m in zip(p["K"], p["M"])})
        for j, (K, M) in enumerate(keys):
            for algo in ("mlcb", "best_expert_alone"):
                if algo == "best_expert_alone" and M != min(m for k, m in keys if k == K):
                    continue
                sel = p[(p["K"] == K) & (p["M"] == M) & (p["algorithm"] == algo)]
                for var, q in sel.groupby("variant", sort=True):
                    q = q.sort_values("T")
                    s = slopes[(slopes["alpha"] == alpha) & (slopes["K"] == K) & (slopes["M"] == M)
                               & (slopes["variant"] == var)]
                    slope = s["slope_T"].iloc[0] if len(s) else np.nan
                    name = labels.get(var, paper.display(algo))
                    lab = f"{name} K={K} M={M}: slope {slope:.2f}" if algo == "mlcb" else \
                        f"{name} K={K}: slope {slope:.2f}"
                    color = cmap(j / max(len(keys) - 1, 1)) if algo == "mlcb" else "0.3"
                    ax.errorbar(q["T"], q["mean"], yerr=[q["mean"] - q["ci_low"], q["ci_high"] - q["mean"]],
                                fmt=(markers.get(var, "o") + "-") if algo == "mlcb" else ":", ms=3, lw=1.1,
                                color=color, label=lab, capsize=2)
        pred = max(0.5, float(alpha))
        T = np.sort(p["T"].unique()).astype(float)
        ref = p[p["algorithm"] == "mlcb"]["mean"]
        if len(ref) and len(T):
            y0 = float(np.exp(np.log(ref[ref > 0]).mean())) if (ref > 0).any() else 1.0
            ax.plot(T, y0 * (T / np.exp(np.log(T).mean())) ** pred, "k--", lw=1,
                    label=f"predicted slope max(1/2, alpha) = {pred:g}")
        ax.set(xscale="log", yscale="log", xlabel="horizon T", ylabel="pseudo-regret at T" if col == 0 else "",
               title=f"alpha = {alpha:g}")
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=2, frameon=False)
    seeds = sorted(set(int(x) for x in slopes["seeds"]))
    fig.suptitle("oracle experts: mean pseudo-regret at T and 95% CI over "
                 f"{seeds[0]}{'-' + str(seeds[-1]) if len(seeds) > 1 else ''} seeds per point", fontsize=9)
    fig.tight_layout()
    return common.save_figure(fig, path)


# ----------------------------------------------------------------------------- driver
FIGURE_TITLES = {"glm": "GLM experts (K = {K}, {true_link} truth)", "bandit": "UCB1 bandit experts (K = {K})",
                 "oracle": "oracle experts"}


def report(paper, runs: pd.DataFrame, curves: pd.DataFrame, metas: list, figures_dir: Path,
           paper_dir: Path) -> list[Path]:
    """Draw every M-LCB figure and table the stored results allow. Returns the files written."""
    fig_dir, tab_dir = Path(figures_dir) / paper.name, Path(paper_dir) / paper.name
    written, sections, tunings = [], [], []
    tables, claims, trainings, reference_training, names, readings = [], [], [], {}, {}, {}
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
        title = f"{exp}: " + FIGURE_TITLES[family].format(K=int(r["K"].iloc[0]),  # from the stored columns
                                                          true_link=r["true_link"].iloc[0] if "true_link" in r else "?")
        ref_label = paper.display(paper.reference)
        md = final_markdown(tab, title, ref_label, paper.reference, paper)
        written.append(atomic_write_text(tab_dir / f"final_regret_{stem}.md", md))
        written.append(atomic_write_text(tab_dir / f"final_regret_{stem}.csv", tab.to_csv(index=False)))
        sections.append(md)
        training = training_table(r, shown)
        written.append(atomic_write_text(tab_dir / f"training_{stem}.csv", training.to_csv(index=False)))
        exp_claims = claims_table(r, paper, shown, tab, training)
        ref_vars = sorted(set(training.loc[training["algorithm"] == paper.reference, "variant"]))
        names[exp], readings[exp] = _names(r), describe_reading(tab.iloc[0])
        trainings.append(f"**{exp}** ({describe_reading(tab.iloc[0])})\n\n"
                         + training_markdown(training, names[exp], ref_vars))
        reference_training[exp] = training[training["variant"].isin(ref_vars)]
        tables.append(tab)
        claims.append(exp_claims)
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
    claims = pd.concat(claims, ignore_index=True) if claims else pd.DataFrame()
    if len(claims):
        written.append(atomic_write_text(tab_dir / "claims.csv", claims.to_csv(index=False)))
        written.append(atomic_write_text(tab_dir / "claims.md", "# M-LCB: the paper's claims, per reading\n\n"
                                         + claims_markdown(claims) + "\n" + verdict_sentences(claims)))
    path = training_figure(reference_training, names, readings, paper, fig_dir / "readings_training.png")
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
    extra = {"{{READINGS}}": readings_markdown(tables, runs) if tables else "(no GLM or bandit-expert results)\n",
             "{{CLAIMS}}": claims_markdown(claims) if len(claims) else "(no M-FLCB results)\n",
             "{{VERDICTS}}": verdict_sentences(claims) if len(claims) else "",
             "{{TRAINING}}": "\n".join(trainings) if trainings else "(no results)\n",
             "{{IDENTIFICATION}}": identification_markdown(tables),
             "{{LOCKOUT}}": lockout_sentences(reference_training, names, readings)}
    written.append(atomic_write_text(tab_dir / "README.md", render_readme(paper, metas, sections, tunings, rates,
                                                                          rates_md, extra)))
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


def render_readme(paper, metas, sections, tunings, rates, rates_md, extra=None) -> str:
    text = TEMPLATE.read_text()
    fills = {**(extra or {}),
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
