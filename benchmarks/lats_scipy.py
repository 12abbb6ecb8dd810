"""LAGEX and LATS as a plain NumPy/SciPy loop, one seed at a time: the speed peer of ``benchmarks/lats.py``.

Written the way the authors' public code works (``CGE_Lag.py``, ``CnTS_Lag.py``: SciPy ``linprog`` and
``minimize`` called every round), but computing the suite's algorithm as ``shared/specs/lats_lagex.md``
defines it and ``bandits/exploration/{machinery,lagex,lats}.py`` implement it. It is a speed peer, not a
bit-parity reference: ``tests/test_lats_scipy_peer.py`` checks that its per-round quantities agree with the
JAX kernels and that both stop on an easy instance with the same answer.

End of round n (after the observation; spec sections 2-6):

    N, mu_hat, A_hat                     counts, reward means, cost means (denominators max(N, 1))
    f = 1 + sqrt(ln(K/delta)/2 + sum_a ln(1 + N_a)/4),  c = f sqrt(sum_a pi_ref,a^2 / (1 + N_a))
                                         pi_ref = the previous round's pi (uniform before the first LP)
    pi_n = linprog(max mu_hat^T pi  s.t.  A_hat pi <= b + c, 1^T pi = 1, pi >= 0)       # the LP over F_hat_n
                                         (infeasible: keep pi_ref, allocate uniformly, never stop)
    alternatives u = the other vertices of F_hat_n (NumPy: one solve per (K-1)-subset of the K + d rows,
                                         the spec's minimum over all feasible vertices u != pi_n)
    G_u(w) = (mu_hat^T (pi_n - u) + r)_+^2 / (2 sum_a sigma_a^2 (pi_n - u)_a^2 / w_a)
    Z_n = min_u G_u(N),  beta = ln((1 + ln max(ln n, 1)) / delta)   stop after round n iff n >= K and Z_n > beta
    gamma = linprog(max g  s.t.  A_hat pi + g 1 <= b + c, 1^T pi = 1, pi >= 0), clipped at 1e-6  (Slater slack)
    omega_n:
      LAGEX  (Algorithm 2) omega_n = the AdaGrad iterate; best response lambda to omega_n (closed form),
             l = B e_{argmax (A_hat omega - b - c)} if that max > 0 else 0, B = min_u G_u(omega_n) / gamma,
             gain = U - (A_hat^T l - c (1^T l) 1),  U_a = max{g/N_a, (|mu_hat_a - lambda_a| + sigma_a
             sqrt(2 g/N_a))^2 / (2 sigma_a^2)}, g = ln n;  S += gain^2;  omega <- the diag(sqrt S)-weighted
             projection onto the simplex of omega + eta gain / sqrt(S)  (exact, by sorting the breakpoints)
      LATS   (Algorithm 1) omega_n = argmax_{w in simplex} min_u G_u(w) - B_{n-1} max(0, max_i (A_hat w - b - c)_i)
             by SciPy SLSQP on the epigraph form (max s - B z  s.t.  G_u(w) >= s, z >= 0, z >= A_hat w - b - c),
             started from (omega_{n-1} + uniform) / 2;  then B_n = min_u G_u(omega_n) / gamma
    next arm: C-tracking  eps = 1/(2 sqrt(K^2 + n + 1)),  S += (1 - K eps) omega_n + eps,  argmin_a N_a - S_a
              (arms 0..K-1 once first)

Observation model (spec section 1): arm a returns mu_a + sd_a z_0 and A[:, a] + (z_1, ..., z_d), z ~ N(0, I).

Where it departs from the JAX policy (the algorithm is the same): pi_n comes from HiGHS' dual simplex instead of
the argmax over the enumerated vertices (the same vertex up to ~1e-12; alternatives are the vertices farther than
1e-7 from it); LATS's max-min is solved by SLSQP instead of the fixed-iteration barrier method (the two agree to
~1e-3 relative on the objective), restarted once from its iterate when it ends early ("positive directional
derivative for linesearch") and kept only where it improves on its start; only the presets' settings are
implemented (threshold ``paper``, radius ``paper``, C-tracking, allocation over the simplex, every round, r = 0 by
default). The rounds cost what the authors' rounds cost in kind (two ``linprog`` calls per round, plus one or
two ``minimize`` for LATS), not in amount: the authors also solve a ``minimize`` per alternative per round for the
multiplier and use finite-difference gradients.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
from scipy.optimize import linprog, minimize

SAME_TOL = 1e-7  # max |u - pi| below this: the LP's own vertex (linprog's x is a basic solution to ~1e-12)
FEAS_TOL = 1e-9  # G x <= h + tol (1 + |h|), as the JAX vertex enumeration
SING_TOL = 1e-10  # |det| / prod(row norms) below this: a singular system
SLACK_FLOOR = 1e-6
PROJ_FLOOR = np.finfo(np.float64).tiny  # sqrt(max(S, tiny)): the AdaGrad weights, as the JAX policy


@dataclass
class Instance:
    """One environment: the oracle (mu, sd, A) and the learner's view (b, sigma, delta, r)."""

    name: str
    mu: np.ndarray  # [K] true means
    sd: np.ndarray  # [K] true reward sds
    A: np.ndarray  # [d, K] true constraint matrix (the learner sees it only through the costs)
    b: np.ndarray  # [d]
    delta: float
    sigma: np.ndarray  # [K] the sds the algorithms assume
    r: float = 0.0


def instance(name: str) -> Instance:
    """An environment of spec section 8 (``bandits.exploration.environments``' Table 1 definitions)."""
    from bandits.exploration.environments import _spec

    mu, sd, A, b, delta, sigma = _spec(name)
    f = lambda x: np.asarray(x, np.float64)  # noqa: E731
    return Instance(name, f(mu), f(sd), f(A), f(b), float(delta), f(sd if sigma is None else sigma))


# ----------------------------------------------------------------------------- per-round quantities

def lp_policy(mu_hat, A_hat, b_shift):
    """pi = argmax_{pi in F_hat} mu_hat^T pi with SciPy's HiGHS (dual simplex: a vertex); None if infeasible."""
    K = mu_hat.shape[0]
    res = linprog(-mu_hat, A_ub=A_hat, b_ub=b_shift, A_eq=np.ones((1, K)), b_eq=np.ones(1), bounds=(0, None),
                  method="highs-ds")
    return res.x if res.status == 0 else None


def slater_slack(A_hat, b_shift, floor: float = SLACK_FLOOR) -> float:
    """gamma = max_{pi in simplex} min_i (b + c - A_hat pi)_i by ``linprog`` over (pi, gamma), clipped at ``floor``."""
    d, K = A_hat.shape
    cost = np.zeros(K + 1)
    cost[K] = -1.0
    A_ub = np.hstack([A_hat, np.ones((d, 1))])
    A_eq = np.hstack([np.ones((1, K)), np.zeros((1, 1))])
    res = linprog(cost, A_ub=A_ub, b_ub=b_shift, A_eq=A_eq, b_eq=np.ones(1),
                  bounds=[(0, None)] * K + [(None, None)], method="highs-ds")
    return max(float(-res.fun), floor) if res.status == 0 else floor


@lru_cache(maxsize=None)
def _subsets(K: int, d: int) -> np.ndarray:
    return np.array(list(itertools.combinations(range(K + d), K - 1)), dtype=np.intp).reshape(-1, K - 1)


def vertices(A_hat, b_shift):
    """All vertices of {pi in simplex : A_hat pi <= b_shift} (with duplicates where degenerate), [V, K]:
    [G_S; 1^T] x = [h_S; 1] for every (K-1)-subset S of the rows G = [-I; A_hat], h = [0; b_shift]."""
    d, K = A_hat.shape
    G = np.vstack([-np.eye(K), A_hat])
    h = np.concatenate([np.zeros(K), b_shift])
    S = _subsets(K, d)
    mat = np.concatenate([G[S], np.ones((len(S), 1, K))], axis=1)
    rhs = np.concatenate([h[S], np.ones((len(S), 1))], axis=1)
    sign, logdet = np.linalg.slogdet(mat)
    lognorms = np.log(np.linalg.norm(mat, axis=-1)).sum(-1)
    regular = (sign != 0) & (logdet - lognorms > math.log(SING_TOL))
    x = np.linalg.solve(mat[regular], rhs[regular][..., None])[..., 0]
    ok = (x @ G.T <= h + FEAS_TOL * (1.0 + np.abs(h))).all(-1)
    return x[ok]


def alternatives(pi, verts):
    """The vertices u != pi (spec section 3: the minimum over all of them replaces the neighbours)."""
    return verts[np.max(np.abs(verts - pi[None, :]), axis=1) > SAME_TOL]


def g_values(mu, sigma2, pi, U, w, r=0.0):
    """G_u(w) = (gap_u)_+^2 / (2 q_u(w)), q_u(w) = sum_a sigma_a^2 v_a^2 / w_a, v = pi - u (rows of U);
    0/0 = 0 inside q, G = 0 where q = inf (v_a != 0 = w_a), G = inf where q = 0 < gap."""
    V = pi[None, :] - U
    gap = np.maximum(V @ mu + r, 0.0)
    num = sigma2[None, :] * V * V
    pos = w > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(num > 0, np.where(pos, num / np.where(pos, w, 1.0), np.inf), 0.0)
        q = terms.sum(-1)
        val = gap * gap / (2.0 * np.where((q > 0) & np.isfinite(q), q, 1.0))
    val = np.where(np.isinf(q), 0.0, val)
    return np.where(q == 0, np.where(gap > 0, np.inf, 0.0), val)


def min_g(mu, sigma2, pi, U, w, r=0.0) -> float:
    """D(w) = min_u G_u(w); +inf without alternatives."""
    return float(g_values(mu, sigma2, pi, U, w, r).min()) if len(U) else math.inf


def glr(mu_hat, sigma2, pi, U, counts, r=0.0) -> float:
    """Z = min_u G_u(N) (Theorem 5), +inf without alternatives (a single vertex: nothing left to test)."""
    return min_g(mu_hat, sigma2, pi, U, counts.astype(np.float64), r)


def threshold(n: int, delta: float) -> float:
    """The ``paper`` threshold beta = ln((1 + ln ln n) / delta), ln ln n clipped below at 0."""
    return math.log((1.0 + math.log(max(math.log(max(n, 1)), 1.0))) / delta)


def confidence_radius(counts, delta: float) -> float:
    K = counts.shape[0]
    return 1.0 + math.sqrt(0.5 * math.log(K / delta) + 0.25 * np.log1p(counts).sum())


def best_response(mu, sigma2, pi, U, w, r=0.0):
    """(lambda, D(w)): the Gaussian projection of mu onto {lambda^T v_{u*} = -r}, u* = argmin_u G_u(w)."""
    G = g_values(mu, sigma2, pi, U, w, r)
    i = int(np.argmin(G))
    v = pi - U[i]
    gap = max(float(v @ mu) + r, 0.0)
    pos = w > 0
    num = sigma2 * v * v
    with np.errstate(divide="ignore", invalid="ignore"):
        q = float(np.where(num > 0, np.where(pos, num / np.where(pos, w, 1.0), np.inf), 0.0).sum())
    ratio = gap / q if (q > 0 and math.isfinite(q)) else 0.0
    step = np.where(pos, sigma2 * v / np.where(pos, w, 1.0), 0.0)
    return mu - ratio * step, float(G[i])


def multiplier(A_hat, b_shift, w, bound):
    """l = bound e_{argmax_i v_i} if max_i v_i > 0 else 0, v = A_hat w - b_shift (Theorem 1)."""
    v = A_hat @ w - b_shift
    i = int(np.argmax(v))
    l = np.zeros_like(v)
    if v[i] > 0:
        l[i] = bound
    return l


def weighted_simplex_projection(y, h):
    """argmin_{x in simplex} sum_a h_a (x_a - y_a)^2: x_a = max(0, y_a - theta / h_a), theta from the sorted
    breakpoints h_a y_a (the largest k of them active, the first k whose theta keeps exactly them positive)."""
    order = np.argsort(-(h * y), kind="stable")
    bp = (h * y)[order]
    theta = (np.cumsum(y[order]) - 1.0) / np.cumsum(1.0 / h[order])
    nxt = np.append(bp[1:], -np.inf)
    k = int(np.argmax((theta < bp) & (theta >= nxt)))
    return np.maximum(y - theta[k] / h, 0.0)


def optimistic_gains(mu_hat, lam, sigma2, counts, n):
    g = math.log(max(n, 1))
    N = np.maximum(counts, 1).astype(np.float64)
    width = np.sqrt(sigma2 * 2.0 * g / N)
    return np.maximum(g / N, (np.abs(mu_hat - lam) + width) ** 2 / (2.0 * sigma2))


def maxmin_allocation(mu_hat, sigma2, pi, U, A_hat, b_shift, bound, w0, r=0.0, ftol=1e-10, maxiter=200):
    """argmax_{w in simplex} min_u G_u(w) - bound max(0, max_i (A_hat w - b_shift)_i), by SLSQP on the epigraph:
    max s - bound z over x = (w, s, z) s.t. G_u(w) >= s (all u), z >= 0, z >= A_hat w - b_shift, 1^T w = 1,
    with analytic Jacobians, from w0 (> 0). SLSQP often ends with "positive directional derivative for linesearch"
    (exit 8) short of the optimum: it is then restarted once from its iterate (the authors' code retries with
    other tolerances). Returns (the best of w0 and the iterates, whether SLSQP ended cleanly)."""
    K, d = mu_hat.shape[0], A_hat.shape[0]
    V = pi[None, :] - U
    gap2 = np.maximum(V @ mu_hat + r, 0.0) ** 2
    coef = sigma2[None, :] * V * V
    m = len(U)

    def G(w):
        return gap2 / (2.0 * (coef @ (1.0 / w)))

    def G_jac(w):
        q = coef @ (1.0 / w)
        return (gap2 / (2.0 * q * q))[:, None] * coef / (w * w)[None, :]

    def value(w):
        return float(G(w).min()) - bound * max(0.0, float(np.max(A_hat @ w - b_shift)))

    def solve(start):
        sc = max(float(G(start).min()), 1e-12)  # the objective's scale
        cons = [
            {"type": "eq", "fun": lambda x: np.array([x[:K].sum() - 1.0]),
             "jac": lambda x: np.r_[np.ones(K), 0.0, 0.0][None]},
            {"type": "ineq", "fun": lambda x: (G(x[:K]) - x[K]) / sc,
             "jac": lambda x: np.c_[G_jac(x[:K]), -np.ones(m), np.zeros(m)] / sc},
            {"type": "ineq", "fun": lambda x: x[K + 1] - (A_hat @ x[:K] - b_shift),
             "jac": lambda x: np.c_[-A_hat, np.zeros(d), np.ones(d)]},
        ]
        x0 = np.r_[start, 0.5 * sc, max(0.0, float(np.max(A_hat @ start - b_shift))) + 1e-3]
        res = minimize(lambda x: -(x[K] - bound * x[K + 1]) / sc, x0,
                       jac=lambda x: np.r_[np.zeros(K), -1.0 / sc, bound / sc], constraints=cons,
                       bounds=[(1e-12, 1.0)] * K + [(None, None), (0.0, None)], method="SLSQP",
                       options={"ftol": ftol, "maxiter": maxiter})
        w = np.maximum(res.x[:K], 1e-12)
        return (w / w.sum() if np.all(np.isfinite(w)) else start), res.status == 0

    best, clean = solve(w0)
    if not clean:
        again, clean = solve(best)
        best = max((best, again), key=value)
    return max((w0, best), key=value), clean


def lagex_step(omega, sq, mu_hat, sigma2, pi, U, A_hat, b_shift, c, counts, n, gamma, r=0.0, eta=1.0):
    """LAGEX's allocation player after round n (Algorithm 2): omega_n = ``omega`` is played; returns the next
    AdaGrad iterate and the updated sum of squared gains."""
    if len(U):
        lam, d_val = best_response(mu_hat, sigma2, pi, U, omega, r)
    else:
        lam, d_val = mu_hat, math.inf
    gain = optimistic_gains(mu_hat, lam, sigma2, counts, n)
    bound = d_val / gamma if math.isfinite(d_val) else 0.0
    l = multiplier(A_hat, b_shift, omega, bound)
    gain = gain - (A_hat.T @ l - c * l.sum())  # A~^T l, A~ = A_hat - c 1 1^T
    sq = sq + gain * gain
    h = np.sqrt(np.maximum(sq, PROJ_FLOOR))
    return weighted_simplex_projection(omega + eta * gain / h, h), sq


def lats_step(prev, bound, mu_hat, sigma2, pi, U, A_hat, b_shift, gamma, r=0.0):
    """LATS's allocation after round n (Algorithm 1): (omega_n, B_n) from omega_{n-1} (the warm start) and the
    previous multiplier bound B_{n-1}."""
    K = mu_hat.shape[0]
    start = 0.5 * prev + 0.5 / K
    omega = maxmin_allocation(mu_hat, sigma2, pi, U, A_hat, b_shift, bound, start, r)[0] if len(U) else start
    d_val = min_g(mu_hat, sigma2, pi, U, omega, r)
    return omega, (d_val / gamma if math.isfinite(d_val) else 0.0)


# ----------------------------------------------------------------------------- the per-seed loop

@dataclass
class SeedResult:
    tau: int  # rounds played
    stopped: bool  # the GLR rule fired (False: the step cap was reached)
    pi: np.ndarray  # [K] the recommendation pi_tau (a vertex of F_hat_tau)
    counts: np.ndarray  # [K]
    arms: np.ndarray  # [tau] the arms played
    z: float  # Z_tau
    beta: float  # beta(tau, delta)
    shift: float  # c_tau
    basis: Optional[np.ndarray]  # int[K-1] rows of [-I; A_hat] active at pi (``true_vertex`` judges it)


def run_seed(inst: Instance, algorithm: str, max_steps: int, noise=None, seed: Optional[int] = None,
             eta: float = 1.0, stop: bool = True) -> SeedResult:
    """One seed of ``algorithm`` ("lagex" or "lats") on ``inst`` until it stops or ``max_steps`` rounds.

    ``noise``: [max_steps, 1 + d] standard normals (round t uses row t), else drawn from ``seed``.
    ``stop=False`` keeps playing after the rule fires (a fixed step budget for timing).
    """
    if algorithm not in ("lagex", "lats"):
        raise ValueError(f"unknown algorithm {algorithm!r}; valid: lagex, lats")
    K, d = inst.mu.shape[0], inst.b.shape[0]
    if noise is None:
        noise = np.random.default_rng(seed).standard_normal((max_steps, 1 + d))
    sigma2 = inst.sigma * inst.sigma
    b, delta, r = inst.b, inst.delta, inst.r
    uniform = np.full(K, 1.0 / K)

    counts = np.zeros(K, np.int64)
    reward_sum, cost_sum = np.zeros(K), np.zeros((d, K))
    cum, omega, pi = np.zeros(K), uniform.copy(), uniform.copy()
    feasible, z, beta, c = False, 0.0, math.inf, 0.0
    # rule state: LAGEX (AdaGrad iterate, sum of squared gains); LATS (previous omega, previous bound)
    rule_omega, sq, bound = uniform.copy(), np.zeros(K), 0.0
    arm, arms = 0, []
    n = 0
    for n in range(1, max_steps + 1):
        zt = noise[n - 1]
        arms.append(arm)
        counts[arm] += 1
        reward_sum[arm] += inst.mu[arm] + inst.sd[arm] * zt[0]
        cost_sum[:, arm] += inst.A[:, arm] + zt[1:]
        N = np.maximum(counts, 1).astype(np.float64)
        mu_hat, A_hat = reward_sum / N, cost_sum / N[None, :]
        c = confidence_radius(counts, delta) * math.sqrt(float((pi * pi / (1.0 + counts)).sum()))
        b_shift = b + c
        x = lp_policy(mu_hat, A_hat, b_shift)
        feasible = x is not None
        U = np.zeros((0, K))
        if feasible:
            pi = x
            U = alternatives(pi, vertices(A_hat, b_shift))
        z = glr(mu_hat, sigma2, pi, U, counts, r) if feasible else 0.0
        beta = threshold(n, delta)
        warm = n < K
        if not warm and feasible:  # refresh the allocation (every round)
            gamma = slater_slack(A_hat, b_shift)
            if algorithm == "lagex":
                omega = rule_omega
                rule_omega, sq = lagex_step(omega, sq, mu_hat, sigma2, pi, U, A_hat, b_shift, c, counts, n, gamma,
                                            r, eta)
            else:
                omega, bound = lats_step(rule_omega, bound, mu_hat, sigma2, pi, U, A_hat, b_shift, gamma, r)
                rule_omega = omega
        elif not feasible:
            omega = uniform
        if warm:
            arm = n
        else:
            eps = 0.5 / math.sqrt(K * K + n + 1)
            cum = cum + ((1.0 - K * eps) * omega + eps)
            arm = int(np.argmin(counts - cum))
        if stop and not warm and feasible and z > beta:
            break
    stopped = n >= K and feasible and z > beta
    basis = active_basis(pi, A_hat, b + c) if feasible else None
    return SeedResult(n, stopped, pi, counts, np.array(arms), z, beta, c, basis)


def active_basis(pi, A_hat, b_shift, tol: float = 1e-7):
    """K - 1 rows of G = [-I; A_hat] active at the vertex pi of F_hat (h = [0; b + c]) with [G_S; 1^T] nonsingular:
    the basis that identifies the vertex (the suite judges pi_hat by the vertex it defines in the true polytope)."""
    K = pi.shape[0]
    G = np.vstack([-np.eye(K), A_hat])
    h = np.concatenate([np.zeros(K), b_shift])
    active = np.flatnonzero(np.abs(G @ pi - h) <= tol * (1.0 + np.abs(h)))
    for rows in itertools.combinations(active, K - 1):
        mat = np.vstack([G[list(rows)], np.ones((1, K))])
        if np.linalg.matrix_rank(mat) == K:
            return np.array(rows, np.intp)
    return None


def true_vertex(basis, inst: Instance):
    """The vertex of the true polytope {A pi <= b} defined by the rows ``basis`` of [-I; A] (None if singular)."""
    if basis is None:
        return None
    K = inst.mu.shape[0]
    G = np.vstack([-np.eye(K), inst.A])
    h = np.concatenate([np.zeros(K), inst.b])
    mat = np.vstack([G[basis], np.ones((1, K))])
    if np.linalg.matrix_rank(mat) < K:
        return None
    return np.linalg.solve(mat, np.r_[h[basis], 1.0])
