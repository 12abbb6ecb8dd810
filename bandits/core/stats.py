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


def wilson_ci(successes, n, level: float = 0.95):
    """A proportion successes / n and its two-sided Wilson score interval (inside [0, 1], also at 0 or n
    successes). n = 0 -> NaNs."""
    k, n = float(successes), float(n)
    if n <= 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, (0.0 if k == 0 else float(max(0.0, centre - half))), (1.0 if k == n else float(min(1.0, centre + half)))


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
