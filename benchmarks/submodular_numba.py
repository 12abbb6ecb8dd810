"""The CPU peer of the JAX path for the online-submodular paper: the per-seed loops compiled with numba.

    python benchmarks/submodular_numba.py [--n 50] [--k 5] [--L 20] [--rounds 500] [--seeds 100] [--procs N]

Same algorithms as ``bandits/submodular/reference.py``:

(a) Algorithm 6 (exact gradients, first-order or fixed steps, with or without the curvature decomposition)
    on weighted / probabilistic coverage over a uniform matroid of rank k: L entropic-ODA learners over B_k,
    the greedy path x(s + δ) = x(s) + δ y(s), pipage rounding of x(1) (one uniform per step, index order,
    then the k largest), the modular part ℓ by n + 1 value-oracle calls, the costs
    -(1 + δ)^{(s-1)/δ} (∇F(x(s)) - ℓ) - ℓ;
(b) online double greedy with per-element Blackwell learners (entropic ODA over the quarter disc) on graph
    cut: p_i = (3a₁ + a₂) / (4(a₁ + a₂)), coins v_i < p_i, the marginal gains along the chain by
    value-oracle calls, the costs -(2/3) u(p_i, Δ_i).

Fed the reference's functions and uniforms (``run_monotone_fed``, ``run_usm_fed``), they make the
reference's choices round for round (``tests/test_submodular_numba_peer.py``). With their own draws
(``MonotoneSetting.run_seed``, ``USMSetting.run_seed``) they also play the environment of
``bandits.submodular.instances`` for the i.i.d. adversary (each component kept w.p. ``keep``, f_t active
w.p. q, times ``scale``) and record, like it, Σ f_t(S_t), Σ f_t(S*) and the pseudo α-regret
Σ α f̄(S*) - f̄(S_t) on a checkpoint grid (3 value calls a round).

Written as a competent numba user would, for speed, without changing the oracle model the paper counts:

* everything preallocated, one compiled call per seed, no Python objects in the loop;
* coverage stored item-major and sparse (the elements covering each item, CSR): a value call and a
  gradient cost O(nnz) instead of O(nm); items with weight 0 this round are skipped (their terms are
  exactly 0). The gradient is the closed form the JAX path uses (products except self by prefix and
  suffix products), ℓ is still n + 1 value calls (as in the JAX path; ℓ = ∇F(1) would be one pass);
* the KL projection onto B_k keeps the k largest logits in an insertion buffer and sums the rest once
  (O(nk), no sort), in logs like the JAX path; the tail sums are built upwards, so they never cancel;
* the quarter-disc projection (two coordinates) solves the KKT conditions on the arc (x = (cos θ, sin θ)
  up to order) by Newton's method in θ, warm-started at the learner's previous angle and safeguarded by a bracket: no
  Lambert W, a few iterations (the JAX path runs 64 bisection steps in λ of 8 Lambert-W Newton steps each,
  fixed counts for vectorisation; the reference uses SciPy's Brent method and Wright omega);
* the double greedy carries f(X_i) and f(Y_i) along the chain: 2n + 2 value calls a round, as the JAX path
  (f(X_i) is f(X_{i-1} + i) or f(X_{i-1})), but sequentially, one set at a time. A cut value is one pass over
  the edge list; the structure-aware O(deg i) marginal gains of a cut are *not* used (they leave the
  value-oracle model);
* the environment's draws come from numpy's ``Generator`` inside the compiled loop: its own draws, the
  same work, not the JAX draws.

Seeds are spread over ``os.cpu_count()`` processes (spawned, so the parent's threads, e.g. JAX's, are
never forked); compilation happens once per process before timing starts and is reported apart. Compiled
code is kept in numba's on-disk cache (``benchmarks/__pycache__``, git-ignored).

This module needs only numpy and numba (no JAX): the processes stay light.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time

import numba
import numpy as np
from numba import njit

_TOL = 16 * np.finfo(np.float64).eps  # rounding._is_fractional in float64
COST_SCALE = 2.0 / 3.0


# ---------------------------------------------------------------- (a) coverage, B_k, pipage

@njit(cache=True, error_model="numpy")
def _cov_value(ptr, elem, prob, wt, x):
    """Σ_u wt_u (1 - Π_{i covers u} (1 - x_i P_iu)), items of weight 0 skipped (their term is 0)."""
    tot = 0.0
    for u in range(ptr.shape[0] - 1):
        if wt[u] == 0.0:
            continue
        miss = 1.0
        for j in range(ptr[u], ptr[u + 1]):
            miss *= 1.0 - x[elem[j]] * prob[j]
        tot += wt[u] * (1.0 - miss)
    return tot


@njit(cache=True, error_model="numpy")
def _cov_grad(ptr, elem, prob, wt, a, x, grad, pre):
    """grad_i = a Σ_u wt_u P_iu Π_{j≠i} (1 - x_j P_ju): products except self by prefix and suffix products."""
    grad[:] = 0.0
    for u in range(ptr.shape[0] - 1):
        if wt[u] == 0.0:
            continue
        start, end = ptr[u], ptr[u + 1]
        acc = 1.0
        for j in range(start, end):
            pre[j - start] = acc
            acc *= 1.0 - x[elem[j]] * prob[j]
        acc = 1.0
        for j in range(end - 1, start - 1, -1):
            grad[elem[j]] += wt[u] * prob[j] * pre[j - start] * acc
            acc *= 1.0 - x[elem[j]] * prob[j]
    for i in range(grad.shape[0]):
        grad[i] *= a


@njit(cache=True, error_model="numpy")
def _project_bk(logits, k, x, top, tail):
    """KL projection of y = exp(logits) onto B_k: x = min(1, c y), c = (k - m) / Σ_{j>m} y_(j) for the smallest
    m < k with c y_(m+1) <= 1. In logs (the lazy iterates' y over- and underflow in long runs): the k largest
    logits in an insertion buffer (O(nk), no sort), tail[m] = ln Σ_{j>=m} y_(j) built from the rest upwards."""
    n = logits.shape[0]
    if k >= n:
        x[:] = 1.0
        return
    filled = 0
    for i in range(n):
        v = logits[i]
        if filled < k or v > top[filled - 1]:
            if filled < k:
                filled += 1
            p = filled - 1
            while p > 0 and top[p - 1] < v:
                top[p] = top[p - 1]
                p -= 1
            top[p] = v
    kth = top[k - 1]
    rest = 0.0  # Σ y_j / y_(k) over the n - k smallest (each term <= 1)
    seen = 0  # entries equal to the k-th largest that belong to the buffer
    for i in range(n):
        v = logits[i]
        if v < kth:
            rest += math.exp(v - kth)
        elif v == kth:
            if seen < _ties_in_top(top, k, kth):
                seen += 1
            else:
                rest += 1.0
    tail[k] = kth + math.log(rest) if rest > 0.0 else -np.inf
    for m in range(k - 1, -1, -1):  # logaddexp(tail[m + 1], top[m]), top[m] >= every later term
        tail[m] = top[m] + math.log1p(math.exp(tail[m + 1] - top[m]))
    log_c = 0.0
    for m in range(k):
        log_c = math.log(k - m) - tail[m]
        if log_c + top[m] <= 0.0:
            break
    for i in range(n):
        x[i] = math.exp(min(log_c + logits[i], 0.0))


@njit(cache=True, error_model="numpy")
def _ties_in_top(top, k, kth):
    c = 0
    for m in range(k):
        c += top[m] == kth
    return c


@njit(cache=True, error_model="numpy")
def _pipage_round(x, u, k, mask):
    """Pipage rounding of x ∈ B_k (in place) with uniforms u[n - 1], then the k largest (ties to the lower
    index) into mask (as reference.dependent_round_uniform)."""
    n = x.shape[0]
    a = 0
    for b in range(1, n):
        xi, xj = x[a], x[b]
        alpha = min(1.0 - xi, xj)
        beta = min(xi, 1.0 - xj)
        if alpha + beta > 0.0:
            if u[b - 1] * (alpha + beta) < beta:
                if alpha == 1.0 - xi:
                    x[a], x[b] = 1.0, xi + xj - 1.0
                else:
                    x[a], x[b] = xi + alpha, 0.0
            else:
                if beta == xi:
                    x[a], x[b] = 0.0, xi + xj
                else:
                    x[a], x[b] = xi + xj - 1.0, 1.0
        if not (_TOL < x[a] < 1.0 - _TOL and not (_TOL < x[b] < 1.0 - _TOL)):
            a = b
    mask[:] = 0.0
    for r in range(k):  # the k largest, ties to the lower index
        best = -1
        for i in range(n):
            if mask[i] == 0.0 and (best < 0 or x[i] > x[best]):
                best = i
        mask[best] = 1.0


@njit(cache=True, error_model="numpy")
def _run_ocg(rng, fed, fed_w, fed_a, fed_u, rounds, k, L, fixed, eta_fixed, decompose,
             ptr, elem, prob, w0, keep, q, scale, opt, alpha, grid, out, masks, values, xs):
    """Algorithm 6, one seed, ``rounds`` rounds. fed: item weights, activity and rounding uniforms from
    fed_w [T, m], fed_a [T], fed_u [T, n - 1] (else drawn: the i.i.d. adversary). Writes (collected,
    comparator, pseudo α-regret) at each grid round into out [G, 3]; when masks has ``rounds`` rows, each
    round's set and value too; the final iterates into xs [L, n]."""
    n = opt.shape[0]
    m = w0.shape[0]
    delta = 1.0 / L
    D = max(1.0, float(k), k * math.log(n / k))
    lx1 = math.log(k / n)  # x_1 = Π_{B_k}((k/n)·1) = (k/n)·1
    for s in range(L):
        for i in range(n):
            xs[s, i] = k / n
    cum = np.zeros((L, n))
    fo = np.zeros(L)
    sw = np.empty(L)
    for s in range(L):
        sw[s] = (1.0 + delta) ** (s - L)
    path = np.empty((L, n))
    pt = np.empty(n)
    mask = np.empty(n)
    wt = np.empty(m)
    wbar = w0 * keep
    u = np.empty(max(n - 1, 1))
    ones = np.ones(n)
    ell = np.zeros(n)
    grad = np.empty(n)
    cost = np.empty(n)
    logit = np.empty(n)
    pre = np.empty(n)
    top = np.empty(k + 1)
    tail = np.empty(k + 1)
    keep_masks = masks.shape[0] == rounds
    abar = q * scale
    fbar_opt = abar * _cov_value(ptr, elem, prob, wbar, opt)
    collected = comparator = pseudo = 0.0
    g = 0
    for t in range(rounds):
        if fed:
            for j in range(m):
                wt[j] = fed_w[t, j]
            a = fed_a[t]
            for j in range(n - 1):
                u[j] = fed_u[t, j]
        else:
            for j in range(m):
                wt[j] = w0[j] if rng.random() < keep else 0.0
            a = scale if rng.random() < q else 0.0
            for j in range(n - 1):
                u[j] = rng.random()
        # the greedy path and its end x(1), rounded to a base
        pt[:] = 0.0
        for s in range(L):
            for i in range(n):
                path[s, i] = pt[i]
                pt[i] += delta * xs[s, i]
        _pipage_round(pt, u, k, mask)
        r = a * _cov_value(ptr, elem, prob, wt, mask)
        collected += r
        comparator += a * _cov_value(ptr, elem, prob, wt, opt)
        pseudo += alpha * fbar_opt - abar * _cov_value(ptr, elem, prob, wbar, mask)
        if keep_masks:
            for i in range(n):
                masks[t, i] = mask[i] > 0.5
            values[t] = r
        while g < grid.shape[0] and grid[g] == t + 1:
            out[g, 0], out[g, 1], out[g, 2] = collected, comparator, pseudo
            g += 1
        if a == 0.0:  # f_t = 0: every cost is 0 and no learner moves
            continue
        if decompose:  # ℓ_i = f(V) - f(V - i): n + 1 value calls
            fv = a * _cov_value(ptr, elem, prob, wt, ones)
            for i in range(n):
                ones[i] = 0.0
                ell[i] = fv - a * _cov_value(ptr, elem, prob, wt, ones)
                ones[i] = 1.0
        for s in range(L):
            _cov_grad(ptr, elem, prob, wt, a, path[s], grad, pre)
            first = 0.0
            for i in range(n):
                c = -(sw[s] * (grad[i] - ell[i]) + ell[i])
                cost[i] = c
                cum[s, i] += c
                first += abs(c) * xs[s, i]
            fo[s] += first
            eta = eta_fixed if fixed else math.sqrt(D / (D + fo[s]))
            for i in range(n):
                logit[i] = lx1 - eta * cum[s, i]
            _project_bk(logit, k, xs[s], top, tail)
    return collected


# ---------------------------------------------------------------- (b) graph cut, quarter disc

@njit(cache=True, error_model="numpy")
def _cut_value(eu, ev, ew, a, total, s):
    """a Σ_{edges uv cut by S} ew_uv / total; branch-free over the edges (s is 0/1: (s_u - s_v)² = [uv cut])."""
    tot = 0.0
    for e in range(eu.shape[0]):
        d = s[eu[e]] - s[ev[e]]
        tot += ew[e] * (d * d)
    return a * tot / total


@njit(cache=True, error_model="numpy")
def _lambertw_exp(z):
    """W(e^z): Newton on w + ln w = z from ln(1 + e^z) (>= the root), stopped at convergence (tests only)."""
    if z < -40.0:  # W(x) = x - x² + ...: e^z to double precision
        return math.exp(z)
    w = z + math.log1p(math.exp(-z)) if z > 0.0 else math.log1p(math.exp(z))
    for _ in range(100):
        nw = w * (1.0 + z - math.log(w)) / (1.0 + w)
        if abs(nw - w) <= 1e-15 * nw:
            return nw
        w = nw
    return w


@njit(cache=True, error_model="numpy")
def _project_disc(l0, l1, x, theta0):
    """KL projection of y = exp(l) onto the quarter disc into x[:2]; returns the angle found (warm start of
    the next call; -1 when |y| <= 1 and x = y).

    The projection keeps the order of the coordinates; with y_b >= y_s (b, s: the larger and the smaller),
    the point is x_b = cos θ, x_s = sin θ with θ in [0, π/4] (both cos and sin to full relative precision),
    and the KKT conditions ln(x_i / y_i) = -2λ x_i (λ > 0) say
        g(θ) = (ln cos θ - l_b) / cos θ - (ln sin θ - l_s) / sin θ = 0,   x < y,
    i.e. θ in (arccos min(1, y_b), min(arcsin min(1, y_s), π/4)], where g falls strictly from +inf to <= 0.
    Newton from ``theta0`` (the previous round's angle) safeguarded by that bracket: no Lambert W, a few
    iterations. The same point as x_i = W(2λ y_i) / (2λ) (``projections.project_quarter_disc``) to rounding."""
    hi_l = max(l0, l1)
    log_norm = hi_l + 0.5 * math.log1p(math.exp(2.0 * (min(l0, l1) - hi_l)))
    if log_norm <= 0.0:
        x[0], x[1] = math.exp(l0), math.exp(l1)
        return -1.0
    lb, ls = (l0, l1) if l0 >= l1 else (l1, l0)
    lo = math.acos(math.exp(lb)) if lb < 0.0 else 0.0
    hi = min(math.asin(math.exp(ls)), 0.25 * math.pi) if ls < 0.0 else 0.25 * math.pi
    th = theta0 if lo < theta0 < hi else 0.5 * (lo + hi)
    for _ in range(200):
        c, s = math.cos(th), math.sin(th)
        a0, a1 = math.log(c) - lb, math.log(s) - ls
        g = a0 / c - a1 / s
        if g == 0.0:
            break
        if g > 0.0:
            lo = th
        else:
            hi = th
        dg = -s * (1.0 - a0) / (c * c) - c * (1.0 - a1) / (s * s)
        nxt = th - g / dg
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        if abs(nxt - th) <= 1e-15 * th:
            th = nxt
            break
        th = nxt
    if l0 >= l1:
        x[0], x[1] = math.cos(th), math.sin(th)
    else:
        x[0], x[1] = math.sin(th), math.cos(th)
    return th


@njit(cache=True, error_model="numpy")
def _run_odg(rng, fed, fed_w, fed_a, fed_v, rounds, fixed, eta_fixed, eu, ev, ea, total, keep, q, scale, opt,
             alpha, grid, out, masks, values, probs, xs):
    """Online double greedy, one seed. fed: node weights, activity and coins from fed_w [T, n], fed_a [T],
    fed_v [T, n] (else drawn: the i.i.d. adversary). Metrics, sets and values as ``_run_ocg``; when probs
    has ``rounds`` rows, each round's p too; the final iterates into xs [n, 2]."""
    n = opt.shape[0]
    E = eu.shape[0]
    D = 2.0
    lx1 = math.log(1.0 / math.sqrt(2.0))
    for i in range(n):
        xs[i, 0] = xs[i, 1] = 1.0 / math.sqrt(2.0)
    cum = np.zeros((n, 2))
    fo = np.zeros(n)
    angle = np.full(n, -1.0)  # each learner's last projection angle (warm start)
    w = np.empty(n)
    v = np.empty(n)
    p = np.empty(n)
    ew = np.empty(E)
    ewbar = np.empty(E)
    for e in range(E):
        ewbar[e] = ea[e] * (0.5 * (keep + keep))
    X = np.empty(n)
    Y = np.empty(n)
    mask = np.empty(n)
    keep_masks = masks.shape[0] == rounds
    abar = q * scale
    fbar_opt = _cut_value(eu, ev, ewbar, abar, total, opt)
    collected = comparator = pseudo = 0.0
    g = 0
    for t in range(rounds):
        if fed:
            for i in range(n):
                w[i] = fed_w[t, i]
                v[i] = fed_v[t, i]
            a = fed_a[t]
        else:
            for i in range(n):
                w[i] = 1.0 if rng.random() < keep else 0.0
            a = scale if rng.random() < q else 0.0
            for i in range(n):
                v[i] = rng.random()
        for e in range(E):
            ew[e] = ea[e] * (0.5 * (w[eu[e]] + w[ev[e]]))
        for i in range(n):
            s = xs[i, 0] + xs[i, 1]
            p[i] = (3.0 * xs[i, 0] + xs[i, 1]) / (4.0 * s) if s > 0.0 else 0.5
        # the chain X_0 = ∅, Y_0 = V; f(X_i), f(Y_i) carried along; each element's cost right away
        X[:] = 0.0
        Y[:] = 1.0
        fx = _cut_value(eu, ev, ew, a, total, X)
        fy = _cut_value(eu, ev, ew, a, total, Y)
        for i in range(n):
            X[i] = 1.0
            fxp = _cut_value(eu, ev, ew, a, total, X)
            Y[i] = 0.0
            fym = _cut_value(eu, ev, ew, a, total, Y)
            dplus, dminus = fxp - fx, fym - fy
            if v[i] < p[i]:
                Y[i] = 1.0
                fx = fxp
            else:
                X[i] = 0.0
                fy = fym
            pi = p[i]
            pm = 1.0 - pi
            mean = 0.5 * (pi * dplus + pm * dminus)
            c0 = -COST_SCALE * (pm * dplus - mean)
            c1 = -COST_SCALE * (pi * dminus - mean)
            cum[i, 0] += c0
            cum[i, 1] += c1
            fo[i] += abs(c0) * xs[i, 0] + abs(c1) * xs[i, 1]
        for i in range(n):
            mask[i] = X[i]
        r = fx  # f(X_n) = f(S_t)
        collected += r
        comparator += _cut_value(eu, ev, ew, a, total, opt)
        pseudo += alpha * fbar_opt - _cut_value(eu, ev, ewbar, abar, total, mask)
        if keep_masks:
            for i in range(n):
                masks[t, i] = mask[i] > 0.5
            values[t] = r
        if probs.shape[0] == rounds:
            for i in range(n):
                probs[t, i] = p[i]
        while g < grid.shape[0] and grid[g] == t + 1:
            out[g, 0], out[g, 1], out[g, 2] = collected, comparator, pseudo
            g += 1
        for i in range(n):  # the learners' next iterates
            eta = eta_fixed if fixed else math.sqrt(D / (D + fo[i]))
            angle[i] = _project_disc(lx1 - eta * cum[i, 0], lx1 - eta * cum[i, 1], xs[i], angle[i])
    return collected


# ---------------------------------------------------------------- instances and Python entry points

def coverage_csr(probs):
    """Item-major sparse form of P [n, m]: (ptr [m + 1], elements [nnz], P values [nnz])."""
    probs = np.asarray(probs, dtype=np.float64)
    elems, items = np.nonzero(probs)
    order = np.lexsort((elems, items))  # by item, then element (the order the products run in)
    elems, items = elems[order], items[order]
    ptr = np.zeros(probs.shape[1] + 1, np.int64)
    np.add.at(ptr, items + 1, 1)
    return np.cumsum(ptr), elems.astype(np.int64), probs[elems, items]


def edge_list(adjacency):
    """(u [E], v [E], A_uv [E]) over u < v with A_uv != 0."""
    adjacency = np.asarray(adjacency, dtype=np.float64)
    u, v = np.nonzero(np.triu(adjacency, 1))
    return u.astype(np.int64), v.astype(np.int64), adjacency[u, v]


def _eta(step, horizon, D):
    if step not in ("first_order", "fixed"):
        raise ValueError(f"unknown step {step!r}: 'first_order' or 'fixed'")
    if step == "fixed" and horizon is None:
        raise ValueError("step='fixed' needs the horizon T")
    return (True, min(1.0, math.sqrt(D / horizon))) if step == "fixed" else (False, 0.0)


def run_monotone_fed(probs, weights, k, L, rounding_uniforms, active=None, step="first_order", horizon=None,
                     decompose=True):
    """Algorithm 6 on the given functions and uniforms (as reference.run_monotone_coverage_numpy, exact
    gradients). Returns dict(masks bool[T, n], values [T], x [L, n])."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    T, m = weights.shape
    n = np.asarray(probs).shape[0]
    active = np.ones(T) if active is None else np.ascontiguousarray(active, dtype=np.float64)
    u = np.ascontiguousarray(rounding_uniforms, dtype=np.float64).reshape(T, -1)
    fixed, eta = _eta(step, horizon, max(1.0, float(k), k * math.log(n / k)))
    ptr, elem, prob = coverage_csr(probs)
    masks, values, xs = np.zeros((T, n), np.bool_), np.zeros(T), np.zeros((L, n))
    _run_ocg(np.random.default_rng(0), True, weights, active, u, T, int(k), int(L), fixed, eta, bool(decompose),
             ptr, elem, prob, np.ones(m), 1.0, 1.0, 1.0, np.zeros(n), 1.0, np.array([T], np.int64),
             np.zeros((1, 3)), masks, values, xs)
    return {"masks": masks, "values": values, "x": xs}


def run_usm_fed(adjacency, node_weights, total, coins, active=None, step="first_order", horizon=None):
    """Online double greedy on the given cut functions and coins (as reference.run_usm_cut_numpy).
    Returns dict(masks bool[T, n], values [T], probs [T, n], x [n, 2])."""
    node_weights = np.ascontiguousarray(node_weights, dtype=np.float64)
    T, n = node_weights.shape
    active = np.ones(T) if active is None else np.ascontiguousarray(active, dtype=np.float64)
    fixed, eta = _eta(step, horizon, 2.0)
    eu, ev, ea = edge_list(adjacency)
    masks, values, probs, xs = np.zeros((T, n), np.bool_), np.zeros(T), np.zeros((T, n)), np.zeros((n, 2))
    _run_odg(np.random.default_rng(0), True, node_weights, active, np.ascontiguousarray(coins, dtype=np.float64), T,
             fixed, eta, eu, ev, ea, float(total), 1.0, 1.0, 1.0, np.zeros(n), 0.5, np.array([T], np.int64),
             np.zeros((1, 3)), masks, values, probs, xs)
    return {"masks": masks, "values": values, "probs": probs, "x": xs}


class MonotoneSetting:
    """Algorithm 6 on one coverage instance under the i.i.d. adversary, built once per process.

    probs [n, m], weights [m]: the base instance (``instances.FastCoverage``); keep, q, scale: the adversary
    and the family's scale; opt_mask, alpha: the comparator S* and α (``paper``)."""

    def __init__(self, probs, weights, k, L, rounds, grid, keep=0.5, q=1.0, scale=1.0, opt_mask=None, alpha=1.0,
                 step="first_order", decompose=True):
        self.n, self.k, self.L, self.rounds = np.asarray(probs).shape[0], int(k), int(L), int(rounds)
        self.ptr, self.elem, self.prob = coverage_csr(probs)
        self.w0 = np.asarray(weights, dtype=np.float64)
        self.keep, self.q, self.scale, self.alpha = float(keep), float(q), float(scale), float(alpha)
        self.opt = np.zeros(self.n) if opt_mask is None else np.asarray(opt_mask, dtype=np.float64)
        self.fixed, self.eta = _eta(step, self.rounds, max(1.0, float(k), k * math.log(self.n / k)))
        self.decompose = bool(decompose)
        self.grid = np.asarray(grid, dtype=np.int64)
        self._nw, self._na, self._nu = np.zeros((1, self.w0.shape[0])), np.zeros(1), np.zeros((1, max(self.n - 1, 1)))
        self._nm, self._nv = np.zeros((0, self.n), np.bool_), np.zeros(0)

    def run_seed(self, seed: int):
        """Its own draws (numpy Generator seeded with ``seed``): metrics [G, 3] (collected, comparator, pseudo)."""
        out = np.zeros((self.grid.shape[0], 3))
        _run_ocg(np.random.default_rng(seed), False, self._nw, self._na, self._nu, self.rounds, self.k, self.L,
                 self.fixed, self.eta, self.decompose, self.ptr, self.elem, self.prob, self.w0, self.keep, self.q,
                 self.scale, self.opt, self.alpha, self.grid, out, self._nm, self._nv, np.empty((self.L, self.n)))
        return out


class USMSetting:
    """Online double greedy on one graph-cut instance under the i.i.d. adversary (node weights kept w.p. keep),
    built once per process. adjacency [n, n], total: the base instance (``instances.NodeCut``)."""

    def __init__(self, adjacency, total, rounds, grid, keep=0.5, q=1.0, scale=1.0, opt_mask=None, alpha=0.5,
                 step="first_order"):
        self.n, self.rounds = np.asarray(adjacency).shape[0], int(rounds)
        self.eu, self.ev, self.ea = edge_list(adjacency)
        self.total = float(total)
        self.keep, self.q, self.scale, self.alpha = float(keep), float(q), float(scale), float(alpha)
        self.opt = np.zeros(self.n) if opt_mask is None else np.asarray(opt_mask, dtype=np.float64)
        self.fixed, self.eta = _eta(step, self.rounds, 2.0)
        self.grid = np.asarray(grid, dtype=np.int64)
        self._nw, self._na, self._nv = np.zeros((1, self.n)), np.zeros(1), np.zeros((1, self.n))
        self._nm, self._nval, self._np = np.zeros((0, self.n), np.bool_), np.zeros(0), np.zeros((0, self.n))

    def run_seed(self, seed: int):
        out = np.zeros((self.grid.shape[0], 3))
        _run_odg(np.random.default_rng(seed), False, self._nw, self._na, self._nv, self.rounds, self.fixed, self.eta,
                 self.eu, self.ev, self.ea, self.total, self.keep, self.q, self.scale, self.opt, self.alpha,
                 self.grid, out, self._nm, self._nval, self._np, np.empty((self.n, 2)))
        return out


def random_coverage(n, items=None, density=0.1, seed=0):
    """A weighted-coverage base instance like ``functions.random_coverage`` (numpy draws): (probs, weights)."""
    rng = np.random.default_rng(seed)
    probs = (rng.uniform(size=(n, items or 3 * n)) < density).astype(np.float64)
    w = rng.uniform(size=items or 3 * n)
    return probs, w / w.sum()


def random_cut(n, p=0.3, seed=0):
    """A weighted G(n, p) like ``functions.erdos_renyi_cut`` (numpy draws): (adjacency, total)."""
    rng = np.random.default_rng(seed)
    a = np.triu((rng.uniform(size=(n, n)) < p) * rng.uniform(size=(n, n)), 1)
    a = a + a.T
    return a, max(0.5 * a.sum(), 1e-12)


def make_setting(kind, **kw):
    return (MonotoneSetting if kind == "monotone" else USMSetting)(**kw)


def compile_now() -> float:
    """Compile both loops (or load them from numba's cache) with tiny calls; returns the seconds it took."""
    t0 = time.perf_counter()
    probs, w = random_coverage(4, items=6, density=0.5)
    MonotoneSetting(probs, w, 2, 2, 3, np.array([3])).run_seed(0)
    run_monotone_fed(probs, np.tile(w, (2, 1)), 2, 2, np.full((2, 3), 0.5))
    adj, total = random_cut(4, 0.8)
    USMSetting(adj, total, 3, np.array([3])).run_seed(0)
    run_usm_fed(adj, np.ones((2, 4)), total, np.full((2, 4), 0.5))
    return time.perf_counter() - t0


def from_cache() -> bool:
    """Whether this process loaded the loops from numba's cache instead of compiling them."""
    hits = sum(sum(f.stats.cache_hits.values()) for f in (_run_ocg, _run_odg))
    misses = sum(sum(f.stats.cache_misses.values()) for f in (_run_ocg, _run_odg))
    return hits > 0 and misses == 0


# ---------------------------------------------------------------- one process per core

class Setting:
    """``numba_pool``'s per-process setting: ``Setting(kind, **kw)``, kind "monotone" or "usm"."""

    def __init__(self, kind, **kw):
        self._setting = make_setting(kind, **kw)

    def run_seed(self, seed: int):
        return self._setting.run_seed(seed), 0


def main():
    from numba_pool import Pool  # benchmarks/ is on sys.path when run as a script

    from bandits.core.checkpoints import log_grid  # the runner's grid (imports JAX: main only, not the workers)

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--L", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=500)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--procs", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    grid = log_grid(args.rounds, 20)
    comp = compile_now()
    probs, w = random_coverage(args.n)
    adj, total = random_cut(args.n)
    settings = {"monotone": dict(probs=probs, weights=w, k=args.k, L=args.L, rounds=args.rounds, grid=grid),
                "usm": dict(adjacency=adj, total=total, rounds=args.rounds, grid=grid)}
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numba {numba.__version__}")
    print(f"# n={args.n}, k={args.k}, L={args.L}, {args.rounds} rounds; "
          f"{'loaded from cache' if from_cache() else 'compiled'} in {comp:.1f} s")
    with Pool("submodular_numba", args.procs) as pool:
        for kind, kw in settings.items():
            st = make_setting(kind, **kw)
            t0 = time.perf_counter()
            st.run_seed(0)
            one = args.rounds / (time.perf_counter() - t0)
            walls = [pool.run(range(args.seeds), kind, **kw)[2] for _ in range(args.repeats)]
            rate = args.seeds * args.rounds / statistics.median(walls)
            print(f"{kind}: one seed, one core: {one:,.0f} rounds/s; {args.seeds} seeds, {pool.procs} processes: "
                  f"{rate:,.0f} seed-rounds/s")


if __name__ == "__main__":
    main()
