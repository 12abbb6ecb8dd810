"""A plain NumPy, one-seed implementation of the online-submodular paper's two algorithms (spec §2-§5).

It is the reference of the parity tests (``tests/test_submodular_reference.py``: fed the same functions
f_1..f_T and the same uniforms, it makes the same choices S_t round for round as the JAX path,
``monotone_policy.online_continuous_greedy`` and ``usm_policy.online_double_greedy`` stepped by the
environment of ``instances``) and the NumPy baseline of ``benchmarks/submodular.py``. Written for clarity,
not speed: the formulas of the spec restated with loops, one learner and one element at a time, and
independent kernels where the JAX path has fast ones (a sort for the uniform-matroid projection, SciPy's
Wright omega (Lambert W) and Brent's method for the quarter-disc projection, products over j != i for the gradient).

(a) Algorithm 6 (monotone, spec §3) on weighted / probabilistic coverage over a uniform matroid of rank k:

    f_t(S) = a_t Σ_u w_tu (1 - Π_{i∈S} (1 - P_iu))           (a_t: activity times scale; w_t: item weights)
    F_t(x) = a_t Σ_u w_tu (1 - Π_i (1 - x_i P_iu)),  ∂_i F_t(x) = a_t Σ_u w_tu P_iu Π_{j≠i} (1 - x_j P_ju)

    L learners A_s (s = 0, δ, ..., 1 - δ, δ = 1/L), entropic ODA over B_k = {x ∈ [0,1]^n : Σ x = k}
    from x_1 = (k/n)·1, D = max{1, k, k ln(n/k)}
    each round: x(0) = 0, x(s + δ) = x(s) + δ y(s);  S_t = pipage(x(1), u_t);  after f_t:
        ℓ_i = f_t(V) - f_t(V - i) (0 without the decomposition)
        A_s pays c(s) = -[(1 + δ)^{(s-1)/δ} (∇F_t(x(s)) - ℓ) + ℓ]

(b) Online double greedy (USM, spec §4) on graph cut with per-round node weights:

    f_t(S) = a_t Σ_{u<v, |S∩{u,v}|=1} A_uv (w_tu + w_tv)/2 / total
    learner i: entropic ODA over the quarter disc B₂(1) ∩ R²_{>=0} from (1, 1)/√2, D = 2;
    p_i = (3a₁ + a₂) / (4(a₁ + a₂)) (½ when a = 0);  i ∈ S_t iff v_ti < p_i  (v_t: pre-drawn uniforms)
    along the chain X_{i-1} = S_t ∩ {<i}, Y_{i-1} = S_t ∪ {>=i}:
        Δ⁺_i = f_t(X_{i-1} + i) - f_t(X_{i-1}),  Δ⁻_i = f_t(Y_{i-1} - i) - f_t(Y_{i-1})
        learner i pays c = -(2/3) u(p_i, Δ_i),  u(p, Δ) = (p⁻Δ⁺, p⁺Δ⁻) - ½(p⁺Δ⁺ + p⁻Δ⁻)(1, 1)

Both learners use the lazy entropic dual averaging of ``oda``: x_{t+1} = Π^KL_X(x_1 ⊙ exp(-η_{t+1} Σ_{s<=t} c_s)),
first-order steps η_{t+1} = sqrt(D / (D + Σ_{s<=t} |c_s|ᵀ x_s)) or fixed η = min(1, sqrt(D / T)).
Randomness is fed in, never drawn: the rounding's uniforms u_t [n - 1] (one per pipage step), the sampled
gradients' uniforms [L, m, n] (optional), the double greedy's coins v_t [n].
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp, wrightomega

COST_SCALE = 2.0 / 3.0  # blackwell.COST_SCALE: |u(p, Δ)| <= 3/2, costs rescaled into [-1, 1]


# ------------------------------------------------------------------------------------------ functions
def coverage_value(probs, weights, x, a=1.0):
    """F(x) = a Σ_u w_u (1 - Π_i (1 - x_i P_iu)); on a 0/1 mask, f(S)."""
    x = np.asarray(x, dtype=np.float64)
    miss = np.prod(1.0 - x[:, None] * probs, axis=0)
    return a * float(np.sum(weights * (1.0 - miss)))


def coverage_gradient(probs, weights, x, a=1.0):
    """∂_i F(x) = a Σ_u w_u P_iu Π_{j≠i} (1 - x_j P_ju), one element at a time."""
    n = len(x)
    factors = 1.0 - np.asarray(x, dtype=np.float64)[:, None] * probs  # [n, m]
    grad = np.zeros(n)
    for i in range(n):
        others = np.prod(factors[np.arange(n) != i], axis=0)
        grad[i] = a * float(np.sum(weights * probs[i] * others))
    return grad


def cut_value(adjacency, node_weights, total, mask, a=1.0):
    """a Σ_{u∈S, v∉S} A_uv (w_u + w_v)/2 / total (each cut edge once)."""
    s = np.asarray(mask, dtype=bool)
    w = np.asarray(node_weights, dtype=np.float64)
    edge = adjacency * (0.5 * (w[:, None] + w[None, :]))
    return a * float(edge[np.ix_(s, ~s)].sum()) / total


# ------------------------------------------------------------------------------------------ KL projections
def project_uniform_matroid(logits, k):
    """Π^KL onto B_k of y = exp(logits) (Algorithm 5 for the uniform matroid, spec §3).

    Sort y decreasingly; cap the m largest at 1 and scale the rest, x_i = min(1, c y_i) with
    c = (k - m) / Σ_{j>m} y_(j), for the smallest m in {0, ..., k-1} with c y_(m+1) <= 1. In logs
    (ln c = ln(k - m) - logsumexp of the tail), as the lazy iterates' y over- and underflow in long runs."""
    logits = np.asarray(logits, dtype=np.float64)
    n = len(logits)
    if k >= n:
        return np.ones(n)
    s = np.sort(logits)[::-1]
    for m in range(k):
        log_c = math.log(k - m) - logsumexp(s[m:])
        if log_c + s[m] <= 0.0:
            break
    return np.exp(np.minimum(log_c + logits, 0.0))


def project_quarter_disc(logits):
    """Π^KL onto {x >= 0 : |x|_2 <= 1} of y = exp(logits) (spec §4).

    y itself when |y| <= 1; else x_i(λ) = W(2λ y_i) / (2λ) with λ > 0 the root of |x(λ)|² = 1, found by
    Brent's method between the bounds ln|y|/2 <= λ <= (√n/2)(ln max y + ln(n)/2) (``projections``).
    W(2λ y_i) = ω(ln 2λ + ln y_i) with SciPy's Wright omega function (no overflow for large y)."""
    logits = np.asarray(logits, dtype=np.float64)
    log_norm = 0.5 * logsumexp(2.0 * logits)
    if log_norm <= 0.0:
        return np.exp(logits)
    n = len(logits)

    def point(lam):
        return wrightomega(math.log(2.0 * lam) + logits).real / (2.0 * lam)

    lo = 0.25 * log_norm  # half the lower bound, twice the upper: a strict bracket
    hi = math.sqrt(n) * (float(np.max(logits)) + 0.5 * math.log(n))
    lam = brentq(lambda lam: float(np.sum(point(lam) ** 2)) - 1.0, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                 maxiter=500)
    return point(lam)


# ------------------------------------------------------------------------------------------ the learner
class EntropicODA:
    """Lazy entropic dual averaging (``oda``) of one learner: x_{t+1} = Π(x_1 exp(-η_{t+1} Σ_{s<=t} c_s))."""

    def __init__(self, project, x1, D, step="first_order", horizon=None):
        if step not in ("first_order", "fixed"):
            raise ValueError(f"unknown step {step!r}: 'first_order' or 'fixed'")
        if step == "fixed" and horizon is None:
            raise ValueError("step='fixed' needs the horizon T")
        self.project, self.D, self.step = project, float(D), step
        self.fixed_eta = min(1.0, math.sqrt(self.D / horizon)) if step == "fixed" else None
        self.x = np.array(x1, dtype=np.float64)
        self.log_x1 = np.log(self.x)
        self.cum_cost = np.zeros_like(self.x)
        self.first_order = 0.0  # Σ_s |c_s|ᵀ x_s

    def update(self, cost):
        cost = np.asarray(cost, dtype=np.float64)
        self.cum_cost = self.cum_cost + cost
        self.first_order += float(np.abs(cost) @ self.x)  # x: the iterate that was played
        eta = self.fixed_eta if self.step == "fixed" else math.sqrt(self.D / (self.D + self.first_order))
        self.x = self.project(self.log_x1 - eta * self.cum_cost)


# ------------------------------------------------------------------------------------------ rounding
def pipage_step(xi, xj, u):
    """One randomised pipage step on (x_i, x_j) with the uniform u (as ``rounding.pipage_step``)."""
    alpha = min(1.0 - xi, xj)
    beta = min(xi, 1.0 - xj)
    if alpha + beta <= 0.0:  # both integral already
        return xi, xj
    if u * (alpha + beta) < beta:  # with probability β / (α + β): x_i += α, x_j -= α
        return (1.0, xi + xj - 1.0) if alpha == 1.0 - xi else (xi + alpha, 0.0)
    return (0.0, xi + xj) if beta == xi else (xi + xj - 1.0, 1.0)  # else x_i -= β, x_j += β


def dependent_round_uniform(x, u, k):
    """Pipage rounding of x ∈ B_k to a k-subset, elements visited in index order with one carried
    fractional element (``rounding.dependent_round_partition`` for one block); then the k largest
    coordinates (ties to the lower index), so the result is always a base."""
    x = np.array(x, dtype=np.float64)
    n = len(x)
    tol = 16 * np.finfo(np.float64).eps
    fractional = lambda v: tol < v < 1.0 - tol  # noqa: E731
    a = 0
    for b in range(1, n):
        x[a], x[b] = pipage_step(x[a], x[b], float(u[b - 1]))
        if not (fractional(x[a]) and not fractional(x[b])):
            a = b  # the survivor of the pair carries on (b unless only a is still fractional)
    mask = np.zeros(n, dtype=bool)
    mask[np.argsort(-x, kind="stable")[:k]] = True
    return mask


# ------------------------------------------------------------------------------------------ (a) Algorithm 6
def run_monotone_coverage_numpy(probs, weights, k, L, rounding_uniforms, *, active=None, step="first_order",
                                horizon=None, decompose=True, gradient_uniforms=None):
    """Algorithm 6 on coverage over the uniform matroid of rank k, one seed.

    Args:
        probs: [n, m] P_iu (0/1: weighted coverage), the same every round.
        weights: [T, m] item weights w_t of each round.
        k: rank; L: number of learners (δ = 1/L).
        rounding_uniforms: [T, n - 1] the pipage steps' uniforms.
        active: [T] a_t (activity x scale; default 1).
        step, horizon: "first_order", or "fixed" with the horizon T.
        decompose: the curvature decomposition ℓ (False: plain continuous greedy).
        gradient_uniforms: None (exact ∇F) or [T, L, S, n]: ∇F_t(x(s))_i ≈ mean_r f_t(R_r + i) - f_t(R_r - i),
            R_r = {j : u_rj < x(s)_j}, for learner s.
    Returns:
        dict(masks bool[T, n], values [T] f_t(S_t), points [T, n] x(1), x [L, n] the final iterates).
    """
    probs = np.asarray(probs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    T, n = weights.shape[0], probs.shape[0]
    active = np.ones(T) if active is None else np.asarray(active, dtype=np.float64)
    delta = 1.0 / L
    D = max(1.0, float(k), k * math.log(n / k))
    project = lambda z: project_uniform_matroid(z, k)  # noqa: E731
    x1 = project(np.full(n, math.log(k / n)))  # Π_{B_k}((k/n)·1) = (k/n)·1
    learners = [EntropicODA(project, x1, D, step, horizon) for _ in range(L)]
    step_weight = [(1.0 + delta) ** (s - L) for s in range(L)]  # (1 + δ)^{(s-1)/δ} at s = jδ
    masks = np.zeros((T, n), dtype=bool)
    values = np.zeros(T)
    points = np.zeros((T, n))
    full = np.ones(n, dtype=bool)
    for t in range(T):
        f = lambda mask: coverage_value(probs, weights[t], mask, active[t])  # noqa: E731
        # x(0) = 0, x(s + δ) = x(s) + δ y(s): the points each learner's gradient is taken at, and x(1)
        x = np.zeros(n)
        path = []
        for A in learners:
            path.append(x.copy())
            x = x + delta * A.x
        masks[t] = dependent_round_uniform(x, rounding_uniforms[t], k)
        points[t] = x
        values[t] = f(masks[t])
        # f_t revealed: the modular part and one cost vector per learner
        ell = np.zeros(n)
        if decompose:
            for i in range(n):
                ell[i] = f(full) - f(full & (np.arange(n) != i))
        for s, A in enumerate(learners):
            if gradient_uniforms is None:
                grad = coverage_gradient(probs, weights[t], path[s], active[t])
            else:
                grad = np.zeros(n)
                for u in gradient_uniforms[t, s]:
                    R = u < path[s]
                    for i in range(n):
                        with_i, without_i = R.copy(), R.copy()
                        with_i[i], without_i[i] = True, False
                        grad[i] += f(with_i) - f(without_i)
                grad /= len(gradient_uniforms[t, s])
            A.update(-(step_weight[s] * (grad - ell) + ell))
    return {"masks": masks, "values": values, "points": points, "x": np.array([A.x for A in learners])}


# ------------------------------------------------------------------------------------------ (b) USM
def halfspace_oracle(a):
    """p = (3a₁ + a₂) / (4(a₁ + a₂)), ½ when a = 0 (``blackwell.halfspace_oracle``)."""
    s = a[0] + a[1]
    return (3.0 * a[0] + a[1]) / (4.0 * s) if s > 0 else 0.5


def payoff(p, dplus, dminus):
    """u(p, Δ) = (p⁻Δ⁺, p⁺Δ⁻) - ½(p⁺Δ⁺ + p⁻Δ⁻)(1, 1)."""
    pm = 1.0 - p
    mean = 0.5 * (p * dplus + pm * dminus)
    return np.array([pm * dplus - mean, p * dminus - mean])


def run_usm_cut_numpy(adjacency, node_weights, total, coins, *, active=None, step="first_order", horizon=None):
    """Online double greedy with Blackwell balance learners on graph cut, one seed.

    Args:
        adjacency: [n, n] symmetric A (zero diagonal), the same every round; total: the normaliser.
        node_weights: [T, n] w_t of each round.
        coins: [T, n] uniforms v_t: i ∈ S_t iff v_ti < p_ti.
        active: [T] a_t (activity x scale; default 1).
        step, horizon: "first_order", or "fixed" with the horizon T.
    Returns:
        dict(masks bool[T, n], values [T] f_t(S_t), probs [T, n] p_t, x [n, 2] the final iterates).
    """
    adjacency = np.asarray(adjacency, dtype=np.float64)
    node_weights = np.asarray(node_weights, dtype=np.float64)
    T, n = node_weights.shape
    active = np.ones(T) if active is None else np.asarray(active, dtype=np.float64)
    x1 = np.full(2, 1.0 / math.sqrt(2.0))
    learners = [EntropicODA(project_quarter_disc, x1, 2.0, step, horizon) for _ in range(n)]
    masks = np.zeros((T, n), dtype=bool)
    values = np.zeros(T)
    probs = np.zeros((T, n))
    for t in range(T):
        f = lambda mask: cut_value(adjacency, node_weights[t], float(total), mask, active[t])  # noqa: E731
        p = np.array([halfspace_oracle(A.x) for A in learners])
        # X_0 = ∅, Y_0 = V; element i joins X with probability p_i, else leaves Y
        X, Y = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        costs = []
        for i in range(n):
            X_plus, Y_minus = X.copy(), Y.copy()
            X_plus[i], Y_minus[i] = True, False
            dplus, dminus = f(X_plus) - f(X), f(Y_minus) - f(Y)
            costs.append(-COST_SCALE * payoff(p[i], dplus, dminus))
            if coins[t, i] < p[i]:
                X = X_plus
            else:
                Y = Y_minus
        assert np.array_equal(X, Y)  # the chain ends at X_n = Y_n = S_t
        masks[t], probs[t], values[t] = X, p, f(X)
        for A, c in zip(learners, costs):
            A.update(c)
    return {"masks": masks, "values": values, "probs": probs, "x": np.array([A.x for A in learners])}
