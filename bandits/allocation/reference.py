"""A plain NumPy, one-seed-at-a-time implementation of ATA / ATA-Empirical (Algorithm 1).

It is the reference of the parity test (fed the same standard draws ``z`` and
round words, it must make the same allocations as the JAX path) and the
baseline of ``benchmarks/ata.py``. Written for clarity, not speed: greedy
water-filling one unit at a time, exactly as the spec states it.
"""
from __future__ import annotations

import math

import numpy as np


def lowbias32(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.uint32)
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint32(16))
        x = (x * np.uint32(0x7FEB352D)).astype(np.uint32)
        x = x ^ (x >> np.uint32(15))
        x = (x * np.uint32(0x846CA68B)).astype(np.uint32)
        x = x ^ (x >> np.uint32(16))
    return x


def priorities(word: int, n: int) -> np.ndarray:
    i = np.arange(n, dtype=np.uint32)
    with np.errstate(over="ignore"):
        h = lowbias32(np.uint32(word) ^ lowbias32((i * np.uint32(0x9E3779B9) + np.uint32(0x632BE5AB)).astype(np.uint32)))
    return ((h >> np.uint32(8)).astype(np.float32) + np.float32(0.5)) * np.float32(1.0 / (1 << 24))


def greedy_allocation(s: np.ndarray, budget: int) -> np.ndarray:
    a = np.zeros(len(s), dtype=np.int64)
    for _ in range(budget):
        a[np.argmin((a + 1) * s)] += 1  # argmin returns the lowest index among ties
    return a


def uniform_allocation(mask: np.ndarray, prio: np.ndarray, budget: int) -> np.ndarray:
    idx = np.flatnonzero(mask)
    m = len(idx)
    a = np.zeros(len(mask), dtype=np.int64)
    a[idx] = budget // m
    order = idx[np.lexsort((idx, -prio[idx]))]  # highest priority first, ties to the lowest index
    a[order[: budget % m]] += 1
    return a


def floyd_subset(u: np.ndarray, pool: int, count: int) -> list:
    """Floyd's algorithm: ``count`` distinct positions of [0, pool), step s using the float32 uniform u[s]."""
    picks = []
    for s in range(count):
        j = pool - count + s
        t = min(int(np.floor(np.float32(u[s]) * np.float32(j + 1))), j)
        picks.append(j if t in picks else t)
    return picks


def uniform_allocation_sampled(mask: np.ndarray, word: int, budget: int) -> np.ndarray:
    """The n > B exploration rule: Floyd's subsets over the masked workers listed in index order."""
    idx = np.flatnonzero(mask)
    z = len(idx)
    u = priorities(word, budget)
    a = np.zeros(len(mask), dtype=np.int64)
    if z > budget:
        a[idx[floyd_subset(u, z, budget)]] = 1
    else:
        a[idx] = budget // z
        a[idx[floyd_subset(u, z, budget % z)]] += 1
    return a


def lcb_scores(totals, counts, k, alpha=None, eta=None):
    L = math.log(2.0) + 2.0 * math.log(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = L / np.maximum(counts, 1)
        rad = np.sqrt(ratio) + ratio
        mean = totals / np.maximum(counts, 1)
        if alpha is not None:  # eq. (7)
            s = np.maximum(mean - 4 * math.e * alpha * rad, 0.0)
        else:  # eq. (8)
            xi = (1 + math.sqrt(4 * eta * eta + 5)) / 2
            s = mean * np.maximum(1 - 4 * math.e * xi * rad, 0.0)
    return np.where(counts > 0, s, -np.inf)


def run_ata_numpy(z: np.ndarray, words: np.ndarray, scales: np.ndarray, budget: int, *, alpha=None, eta=None,
                  law: str = "shifted_exponential"):
    """z: [K, B] standard task draws; words: [K] uint32. Returns (allocations [K, n], runtime, worker_time)."""
    if (alpha is None) == (eta is None):
        raise ValueError("give exactly one of alpha (ATA) or eta (ATA-Empirical)")
    transform = {"shifted_exponential": lambda z, c: c * (1 + z), "exponential": lambda z, c: c * z}[law]
    n, K = len(scales), len(z)
    counts = np.zeros(n, dtype=np.int64)
    totals = np.zeros(n)
    allocs = np.zeros((K, n), dtype=np.int64)
    runtime = worker_time = 0.0
    for k in range(1, K + 1):
        s = lcb_scores(totals, counts, float(k), alpha, eta)
        zero = s <= 0
        if not zero.any():
            a = greedy_allocation(s, budget)
        elif n > budget:
            a = uniform_allocation_sampled(zero, words[k - 1], budget)
        else:
            a = uniform_allocation(zero, priorities(words[k - 1], n), budget)
        allocs[k - 1] = a
        owner = np.repeat(np.arange(n), a)  # tasks laid out by worker index
        x = transform(z[k - 1], scales[owner])
        sums = np.bincount(owner, weights=x, minlength=n)
        counts += a
        totals += sums
        runtime += sums.max()
        worker_time += x.sum()
    return allocs, runtime, worker_time
