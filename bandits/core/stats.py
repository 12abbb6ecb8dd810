"""Across-seed summaries computed in pandas/numpy (not by a plotting library's bootstrap)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values, level: float = 0.95):
    """Mean and two-sided Student-t interval over seeds. One seed -> interval = mean."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    m = float(x.mean()) if x.size else float("nan")
    if x.size < 2:
        return m, m, m
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return m, m - half, m + half


def summarise(df: pd.DataFrame, by, value: str = "value", level: float = 0.95) -> pd.DataFrame:
    """Group ``df`` and return mean, ci_low, ci_high, n_seeds per group."""
    rows = []
    for key, g in df.groupby(by, sort=True):
        m, lo, hi = mean_ci(g[value], level)
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, m, lo, hi, len(g)))
    cols = list(by) if isinstance(by, (list, tuple)) else [by]
    return pd.DataFrame(rows, columns=cols + ["mean", "ci_low", "ci_high", "n_seeds"])


def paired_test(a, b):
    """Paired t-test across seeds (same seed = same random draws). Returns (mean diff, p-value)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = a - b
    if d.size < 2 or np.allclose(d, d[0]):
        return float(d.mean()) if d.size else float("nan"), float("nan")
    res = stats.ttest_rel(a, b)
    return float(d.mean()), float(res.pvalue)
