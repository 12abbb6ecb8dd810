"""A plain NumPy, one-seed implementation of M-LCB with GLM experts (spec sections 2-3).

The reference of the parity test: fed the same data (x_t, y_t) it must make the
same selections (S_t, I_t) round for round as the JAX path
(``mlcb`` + ``glm_experts`` + ``experts_env``). Written for clarity: the
formulas of ``confidence.py`` and ``glm.py`` restated with ``math`` and loops.
"""
from __future__ import annotations

import math

import numpy as np

_SQ2PI = math.sqrt(2.0 * math.pi)


def link(name: str, s: float):
    """(sigma(s), sigma'(s)) for the links of ``glm.LINKS``."""
    if name == "logistic":
        p = 1.0 / (1.0 + math.exp(-s))
        return p, p * (1.0 - p)
    if name == "probit":
        return 0.5 * math.erfc(-s / math.sqrt(2.0)), math.exp(-0.5 * s * s) / _SQ2PI
    if name == "clipped_linear":
        v = 0.5 + 0.25 * s
        return min(max(v, 0.0), 1.0), (0.25 if 0.0 < v < 1.0 else 0.0)
    if name == "cloglog":
        return 1.0 - math.exp(-math.exp(s)), math.exp(s - math.exp(s))
    if name == "identity":
        return s, 1.0
    raise ValueError(name)


_SUP = {"logistic": 0.25, "probit": 1.0 / _SQ2PI, "clipped_linear": 0.25, "cloglog": 1.0 / math.e, "identity": 1.0}


def lipschitz(name: str, rho: float) -> float:
    return 2.0 * _SUP[name] * (rho + 1.0 if name == "identity" else 1.0)


def hoeffding_bounds(mean: float, n: int, R: float, K: int, delta: float, c: float, c_R: float):
    if n == 0:
        return -1e30, 1e30
    log_inv = math.log(math.pi ** 2 * K * n * n / (2.0 * delta))
    b = math.sqrt(log_inv / (2.0 * n))
    return mean - c_R * R / n - c * b, mean + c * b


def run_mlcb_glm_numpy(x: np.ndarray, y: np.ndarray, links, rho: float, budget: int, *, c: float = 1.0,
                       c_R: float = 1.0, delta: float = 0.05, advisor_from: str = "subset", G=None):
    """x: [T, d], y: [T]; G: the Lipschitz constants G_i (None: each link's own).
    Returns dict(masks bool[T, K], advisors int[T], suffered [T], theta [K, d], counts [K])."""
    T, d = x.shape
    K = len(links)
    D = 2.0 * rho
    G = [lipschitz(name, rho) for name in links] if G is None else list(G)
    theta = np.zeros((K, d))
    theta_sum = np.zeros((K, d))
    counts = np.zeros(K, dtype=np.int64)
    loss_sums = np.zeros(K)
    masks = np.zeros((T, K), dtype=bool)
    advisors = np.zeros(T, dtype=np.int64)
    suffered = np.zeros(T)
    for t in range(T):
        lcb, ucb = np.zeros(K), np.zeros(K)
        for i in range(K):
            n = int(counts[i])
            R = 1.5 * G[i] * D * math.sqrt(n)  # R_i(n) of OGD (no dependence on delta)
            lcb[i], ucb[i] = hoeffding_bounds(loss_sums[i] / max(n, 1), n, R, K, delta, c, c_R)
        S = sorted(np.argsort(lcb, kind="stable")[:budget].tolist())  # M smallest, ties to the lowest index
        pool = S if advisor_from == "subset" else range(K)
        I = min(pool, key=lambda i: (ucb[i], i))
        masks[t, S] = True
        advisors[t] = I
        # the advisor's safe advice: the parameter average of its past states
        bar = theta_sum[I] / counts[I] if counts[I] > 0 else theta[I]
        suffered[t] = (link(links[I], float(bar @ x[t]))[0] - y[t]) ** 2
        for j in S:  # raw loss, then one projected OGD step
            s = float(theta[j] @ x[t])
            p, dp = link(links[j], s)
            loss_sums[j] += (p - y[t]) ** 2
            g = 2.0 * (p - y[t]) * dp * x[t]
            k = counts[j] + 1
            theta_sum[j] += theta[j]
            new = theta[j] - D / (G[j] * math.sqrt(k)) * g
            norm = np.linalg.norm(new)
            theta[j] = new * min(1.0, rho / norm) if norm > 0 else new
            counts[j] += 1
    return {"masks": masks, "advisors": advisors, "suffered": suffered, "theta": theta, "counts": counts}
