"""The strongest CPU peer of the JAX path for M-LCB: the per-seed loop compiled with numba, one process per core.

The loop is ``bandits.experts.reference.run_mlcb_glm_numpy`` (M-LCB / M-FLCB with K GLM experts trained by
projected OGD, parameter-averaged safe advice) written for speed, with the data drawn inside the loop and the
environment's metrics accumulated as the JAX environment does (``bandits.experts.environment``):
pseudo-regret sum (y_hat - p*)^2, realized regret sum (y_hat - y)^2 - (p* - y)^2, training and advisor counts,
recorded on the checkpoint grid.

What it does better than the vmapped JAX path, as a competent hand-written loop would:
* only the M selected experts compute a raw loss and a gradient step (the JAX path computes all K and masks);
* the M smallest LCBs by M passes of a running minimum (K is small), not a sort;
* float64 scalars in registers, no per-round allocation.

Data: x ~ uniform on S^{d-1} (normalised Gaussian), y = 1{u < logistic(<theta*, x>)}, from numba's own
generator seeded per seed: its own draws, equal work, not the JAX draws. Parity with the NumPy reference on
given data (``run_fed``) is tested in ``tests/test_numba_peer.py``.

This module needs only numpy and numba (no JAX): the processes of ``numba_pool.Pool`` stay light.
"""
from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

LINK_CODES = {"logistic": 0, "probit": 1, "clipped_linear": 2, "cloglog": 3, "identity": 4}
_SUP = np.array([0.25, 1.0 / math.sqrt(2.0 * math.pi), 0.25, 1.0 / math.e, 1.0])
_BIG = 1e30
_SQ2 = math.sqrt(2.0)
_ISQ2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(cache=True, inline="always")
def _link(code, s):
    """(sigma(s), sigma'(s))."""
    if code == 0:
        p = 1.0 / (1.0 + math.exp(-s))
        return p, p * (1.0 - p)
    if code == 1:
        return 0.5 * math.erfc(-s / _SQ2), math.exp(-0.5 * s * s) * _ISQ2PI
    if code == 2:
        v = 0.5 + 0.25 * s
        if v <= 0.0:
            return 0.0, 0.0
        if v >= 1.0:
            return 1.0, 0.0
        return v, 0.25
    if code == 3:
        e = math.exp(s)
        return -math.expm1(-e), math.exp(s - e)
    return s, 1.0


@njit(cache=True)
def _run(fed, x_fed, y_fed, rounds, d, links, G, rho, budget, c, c_R, delta, theta_star, grid, out, masks, advisors):
    K = links.shape[0]
    D = 2.0 * rho
    theta = np.zeros((K, d))
    theta_sum = np.zeros((K, d))
    counts = np.zeros(K, np.int64)
    advised = np.zeros(K, np.int64)
    loss_sums = np.zeros(K)
    lcb = np.empty(K)
    ucb = np.empty(K)
    chosen = np.zeros(K, np.bool_)
    x = np.empty(d)
    log_c = math.log(math.pi ** 2 * K / (2.0 * delta))
    pseudo = 0.0
    realized = 0.0
    g = 0
    for t in range(rounds):
        if fed:
            for a in range(d):
                x[a] = x_fed[t, a]
            y = y_fed[t]
            s_star = 0.0
            for a in range(d):
                s_star += theta_star[a] * x[a]
            p_star = 1.0 / (1.0 + math.exp(-s_star))
        else:
            norm = 0.0
            for a in range(d):
                x[a] = np.random.standard_normal()
                norm += x[a] * x[a]
            norm = math.sqrt(norm)
            s_star = 0.0
            for a in range(d):
                x[a] /= norm
                s_star += theta_star[a] * x[a]
            p_star = 1.0 / (1.0 + math.exp(-s_star))
            y = 1.0 if np.random.random() < p_star else 0.0
        for i in range(K):  # Definition 1: LCB_i, UCB_i
            n = counts[i]
            if n == 0:
                lcb[i], ucb[i] = -_BIG, _BIG
            else:
                nf = float(n)
                mean = loss_sums[i] / nf
                beta = math.sqrt((log_c + 2.0 * math.log(nf)) / (2.0 * nf))
                R = 1.5 * G[i] * D * math.sqrt(nf)
                lcb[i] = mean - c_R * R / nf - c * beta
                ucb[i] = mean + c * beta
            chosen[i] = False
        for m in range(budget):  # S_t: the M smallest LCBs, ties to the lowest index
            best = -1
            for i in range(K):
                if not chosen[i] and (best < 0 or lcb[i] < lcb[best]):
                    best = i
            chosen[best] = True
        adv = -1  # I_t = argmin_{i in S_t} UCB_i
        for i in range(K):
            if chosen[i] and (adv < 0 or ucb[i] < ucb[adv]):
                adv = i
        s = 0.0  # the advisor's safe advice: the average of its past states
        if counts[adv] > 0:
            for a in range(d):
                s += theta_sum[adv, a] * x[a]
            s /= counts[adv]
        else:
            for a in range(d):
                s += theta[adv, a] * x[a]
        pred, _ = _link(links[adv], s)
        pseudo += (pred - p_star) ** 2
        realized += (pred - y) ** 2 - (p_star - y) ** 2
        advised[adv] += 1
        if fed:
            advisors[t] = adv
        for j in range(K):  # raw loss, then one projected OGD step, for j in S_t only
            if not chosen[j]:
                continue
            if fed:
                masks[t, j] = True
            s = 0.0
            for a in range(d):
                s += theta[j, a] * x[a]
            p, dp = _link(links[j], s)
            loss_sums[j] += (p - y) ** 2
            counts[j] += 1
            step = D / (G[j] * math.sqrt(float(counts[j]))) * 2.0 * (p - y) * dp
            norm = 0.0
            for a in range(d):
                theta_sum[j, a] += theta[j, a]
                theta[j, a] -= step * x[a]
                norm += theta[j, a] * theta[j, a]
            norm = math.sqrt(norm)
            if norm > rho:
                for a in range(d):
                    theta[j, a] *= rho / norm
        if g < grid.shape[0] and t + 1 == grid[g]:
            out[g, 0] = pseudo
            out[g, 1] = realized
            g += 1
    return adv


@njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


class Setting:
    """Everything one seed's loop needs, built once per process: the paper's GLM experiment (spec section 5)."""

    def __init__(self, budget, rounds, grid, links=("logistic", "probit", "clipped_linear", "cloglog"), d=5,
                 rho=4.0, c=0.1, c_R=1.0, delta=0.05, theta_norm=3.0):
        self.budget, self.rounds, self.d, self.rho = int(budget), int(rounds), int(d), float(rho)
        self.links = np.array([LINK_CODES[name] for name in links], np.int64)
        self.G = np.array([2.0 * _SUP[k] * (rho + 1.0 if k == 4 else 1.0) for k in self.links])
        self.c, self.c_R, self.delta = float(c), float(c_R), float(delta)
        self.theta_star = np.full(self.d, theta_norm / math.sqrt(self.d))
        self.grid = np.asarray(grid, dtype=np.int64)
        self._x = np.zeros((1, self.d))
        self._y = np.zeros(1)
        self._m = np.zeros((1, len(links)), np.bool_)
        self._a = np.zeros(1, np.int64)

    def run_seed(self, seed: int):
        """Its own draws (numba's generator seeded with ``seed``): (metrics [G, 2], final advisor)."""
        _seed(seed)
        out = np.zeros((self.grid.shape[0], 2))
        adv = _run(False, self._x, self._y, self.rounds, self.d, self.links, self.G, self.rho, self.budget, self.c,
                   self.c_R, self.delta, self.theta_star, self.grid, out, self._m, self._a)
        return out, adv


def run_fed(x, y, links, rho, budget, c=1.0, c_R=1.0, delta=0.05, theta_norm=3.0):
    """The loop on given data (as ``run_mlcb_glm_numpy``): (masks bool[T, K], advisors int[T], metrics [2])."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    T, d = x.shape
    st = Setting(budget, T, [T], links=links, d=d, rho=rho, c=c, c_R=c_R, delta=delta, theta_norm=theta_norm)
    masks = np.zeros((T, len(links)), np.bool_)
    advisors = np.zeros(T, np.int64)
    out = np.zeros((1, 2))
    _run(True, x, y, T, d, st.links, st.G, st.rho, st.budget, st.c, st.c_R, st.delta, st.theta_star,
         np.array([T], np.int64), out, masks, advisors)
    return masks, advisors, out[0]


def compile_now() -> float:
    """Compile the loop (or load it from numba's on-disk cache) with one tiny call; returns the seconds taken."""
    t0 = time.perf_counter()
    Setting(2, 4, [4]).run_seed(0)
    return time.perf_counter() - t0


def from_cache() -> bool:
    return sum(_run.stats.cache_hits.values()) > 0 and sum(_run.stats.cache_misses.values()) == 0
