"""KL (generalised-entropy Bregman) projections used by the online dual-averaging learners.

Notation (spec §2-§4, paper Appendix B and D.3): the mirror map is the negative entropy
Phi(x) = sum_i x_i ln x_i, whose Bregman divergence is the generalised KL divergence

    D_KL(x, y) = sum_i x_i ln(x_i / y_i) - x_i + y_i ,

and Pi_X(y) = argmin_{x in X} D_KL(x, y). Every projection here takes ``logits = ln y`` rather
than y: the lazy dual-averaging iterate is y = x_1 * exp(-eta * sum_s c_s), whose entries
overflow float32 after a few thousand rounds, while ln y stays small. An entry of -inf means
y_i = 0 (then x_i = 0). All functions follow the dtype of their input and are jit/vmap-safe.

Feasible sets:
- uniform-matroid base polytope  B_k = {x in [0,1]^n : sum_i x_i = k}           (§3, Algorithm 5 specialised)
- partition-matroid base polytope  prod_b B_{k_b} over blocks b                   (§3)
- quarter disc  B_2(1) ∩ R^n_{>=0}  (n = 2 in the USM reduction, any n here)     (§4, Claim 4.9)
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

# Fixed iteration counts: enough for float64 (tests check against SciPy at 1e-9).
LAMBERTW_ITERS = 8
DISC_BISECTION_ITERS = 64
ARC_NEWTON_MAX_ITERS = 64  # safeguarded Newton on ln(x_s / x_b) (``project_quarter_disc_2d``); 1-14 taken


# ---------------------------------------------------------------------------------------------
# Lambert W (principal branch) in JAX
# ---------------------------------------------------------------------------------------------
def lambertw_exp(z):
    """w = W(e^z), i.e. the root of w + ln w = z (w > 0), for any real z (overflow-free).

    Newton on h(w) = w + ln w - z, written w <- w (1 + z - ln w) / (1 + w). h is increasing and
    concave, and w_0 = ln(1 + e^z) >= W(e^z) (since W(x) <= ln(1 + x)); from above, one Newton
    step lands at or below the root (the tangent lies above h) and the iterates then increase
    monotonically and quadratically. 1 + z - ln w_0 > 0 (as ln(1 + u) <= u <= e u), so every
    iterate stays positive. z = -inf, or e^z underflowing to 0 (z below about -87 in float32, -745 in
    float64), gives 0 (before 2026-11-30 it gave NaN there, and the quarter-disc projection with it).
    """
    z = jnp.asarray(z)
    zf = jnp.where(jnp.isneginf(z), 0.0, z)
    w0 = jax.nn.softplus(zf)
    lost = jnp.isneginf(z) | (w0 <= 0.0)  # e^z below the float range: W(e^z) = e^z to first order, here 0
    w = jnp.where(lost, 1.0, w0)
    for _ in range(LAMBERTW_ITERS):
        w = w * (1.0 + zf - jnp.log(w)) / (1.0 + w)
    return jnp.where(lost, jnp.zeros_like(w), w)


def lambertw(x):
    """Principal-branch W(x) for x >= 0 (W(x) e^{W(x)} = x), via ``lambertw_exp(ln x)``."""
    x = jnp.asarray(x)
    return lambertw_exp(jnp.log(x))


# ---------------------------------------------------------------------------------------------
# Uniform and partition matroid base polytopes
# ---------------------------------------------------------------------------------------------
def project_uniform(logits, k):
    """KL projection of y = exp(logits) onto B_k = {x in [0,1]^n : sum x = k}.

    Spec §3 (Algorithm 5 for the uniform matroid): with y sorted decreasingly, the solution caps
    the m largest coordinates at 1 and scales the rest, x_i = min(1, c_m y_i),
    c_m = (k - m) / sum_{j > m} y_(j); m is the smallest m in {0, ..., k-1} with c_m y_(m+1) <= 1.
    Computed in log space: ln c_m = ln(k - m) - logsumexp(sorted logits[m:]) (reverse cumulative
    logsumexp), so no sum ever overflows or underflows. Entries with logit -inf (y_i = 0) stay 0;
    if k >= #(finite logits) every such entry is 1. k may be a traced scalar (integer valued).

    Args:
        logits: float[n], ln y (y > 0 where finite).
        k: rank (sum of the result), 0 < k <= n.
    Returns:
        x: float[n] in [0, 1] with sum x = k (ties in y give equal x).
    """
    logits = jnp.asarray(logits)
    dtype = logits.dtype
    n = logits.shape[-1]
    k = jnp.asarray(k, dtype)
    finite = jnp.isfinite(logits)
    n_finite = jnp.sum(finite).astype(dtype)
    top = jnp.max(jnp.where(finite, logits, -jnp.inf))
    logits = logits - jnp.where(jnp.isfinite(top), top, 0.0)  # the projection is shift-invariant in ln y
    s = jnp.sort(logits)[::-1]  # decreasing; -inf last
    tail = jax.lax.cumlogsumexp(s, reverse=True)  # tail[m] = ln sum_{j >= m} y_(j)  (0-based)
    m = jnp.arange(n, dtype=dtype)
    ok_m = (m < k) & jnp.isfinite(tail)
    log_c = jnp.where(ok_m, jnp.log(jnp.maximum(k - m, 1.0)) - jnp.where(ok_m, tail, 0.0), jnp.inf)
    cond = ok_m & (log_c + s <= 0.0)
    first = jnp.argmax(cond)  # the smallest valid m (exists when k < n_finite: m = k - 1 works)
    log_c_star = log_c[first]
    x = jnp.minimum(1.0, jnp.exp(jnp.minimum(log_c_star + logits, 0.0)))
    x = jnp.where(finite, x, 0.0)
    return jnp.where(k >= n_finite, finite.astype(dtype), x)


def project_partition(logits, blocks, caps):
    """KL projection onto the partition-matroid base polytope {x in [0,1]^n : sum_{i in b} x_i = k_b}.

    D_KL is separable and the polytope is a product over blocks, so the projection is
    ``project_uniform`` applied to each block (other blocks' entries masked to -inf).

    Args:
        logits: float[n], ln y.
        blocks: int[n], block id in {0, ..., B-1} of each element.
        caps: int/float[B], capacity k_b of each block (1 <= k_b <= block size).
    Returns:
        x: float[n] in [0, 1], block sums equal to caps.
    """
    logits = jnp.asarray(logits)
    blocks = jnp.asarray(blocks)
    caps = jnp.asarray(caps)
    ids = jnp.arange(caps.shape[0])

    def one(b, k):
        mine = blocks == b
        return jnp.where(mine, project_uniform(jnp.where(mine, logits, -jnp.inf), k), 0.0)

    return jnp.sum(jax.vmap(one)(ids, caps.astype(logits.dtype)), axis=0)


# ---------------------------------------------------------------------------------------------
# Quarter disc (USM Blackwell reduction)
# ---------------------------------------------------------------------------------------------
def _disc_point(logits, log_lam):
    """x_i(lambda) = W(2 lambda y_i) / (2 lambda), the stationary point of D_KL + lambda (|x|^2 - 1)."""
    log2lam = jnp.log(2.0).astype(logits.dtype) + log_lam
    w = lambertw_exp(log2lam + logits)
    return jnp.where(jnp.isneginf(logits), 0.0, jnp.exp(jnp.log(jnp.maximum(w, jnp.finfo(w.dtype).tiny)) - log2lam))


def project_quarter_disc(logits):
    """KL projection of y = exp(logits) onto the quarter disc {x >= 0 : |x|_2 <= 1}  (spec §4).

    If |y|_2 <= 1, x = y. Otherwise KKT gives ln(x_i / y_i) + 2 lambda x_i = 0, i.e.
    x_i = W(2 lambda y_i) / (2 lambda) with lambda > 0 such that |x|_2 = 1; |x(lambda)|_2 is
    decreasing in lambda. Bracket (from x_i <= y_i, x_i >= y_i e^{-2 lambda}, and the largest x_i
    being >= 1/sqrt(n)):  ln|y|/2 <= lambda <= (sqrt(n)/2)(ln y_max + ln(n)/2). Fixed-iteration
    bisection on ln lambda over [ln(hi) - 80, ln(hi)] (the lower end also clipped below by ln|y|/2).

    Args:
        logits: float[n], ln y.
    Returns:
        x: float[n], x >= 0, |x|_2 <= 1.
    """
    logits = jnp.asarray(logits)
    dtype = logits.dtype
    n = logits.shape[-1]
    log_norm = 0.5 * jax.nn.logsumexp(2.0 * logits)
    inside = log_norm <= 0.0
    ymax = jnp.max(logits)
    hi_val = 0.5 * jnp.sqrt(jnp.asarray(n, dtype)) * (ymax + 0.5 * jnp.log(jnp.asarray(n, dtype)))
    hi = jnp.log(jnp.maximum(hi_val, jnp.finfo(dtype).tiny)) + 0.01
    lo = jnp.maximum(hi - 80.0, jnp.log(jnp.maximum(0.5 * log_norm, jnp.finfo(dtype).tiny)) - 0.01)
    lo = jnp.minimum(lo, hi - 0.02)

    def body(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        too_big = jnp.sum(_disc_point(logits, mid) ** 2) > 1.0  # norm > 1: lambda too small
        return jnp.where(too_big, mid, lo), jnp.where(too_big, hi, mid)

    lo, hi = jax.lax.fori_loop(0, DISC_BISECTION_ITERS, body, (lo, hi))
    x = _disc_point(logits, 0.5 * (lo + hi))
    return jnp.where(inside, jnp.exp(logits), x)


def project_quarter_disc_2d(logits):
    """``project_quarter_disc`` for n = 2 (the USM direction learners), by Newton on one log-ratio: no Lambert W.

    If |y|_2 <= 1, x = y. Otherwise x is on the arc and keeps the order of y: with l_b >= l_s the larger and
    the smaller logit, write t = ln(x_s / x_b) <= 0, so ln x_b = -½ softplus(2t), ln x_s = t + ln x_b (both to
    full relative precision for any t). The KKT conditions ln(x_i / y_i) = -2λ x_i (one λ > 0) say
    (ln x_s - l_s) / x_s = (ln x_b - l_b) / x_b, i.e.

        G(t) = (ln x_s - l_s) - e^t (ln x_b - l_b) = 0,
        G'(t) = 1 - σ(2t) - e^t (ln x_b - l_b) + e^t σ(2t)  > 0  where x_b < y_b,

    on the bracket t ∈ [max(l_s - l_b, t(x_b = y_b)), min(0, t(x_s = y_s))]: x < y there (λ > 0), and
    t >= l_s - l_b because t = l_s - l_b - 2λ(x_s - x_b) with x_s <= x_b. G rises through 0 once on it.
    Newton from the middle, a step leaving the bracket replaced by bisection, until the step is below
    8 ε (1 + |l_b| + |l_s|) (G's rounding level) or ``ARC_NEWTON_MAX_ITERS`` (at most 14 on 20,000 random
    float64 cases, 1-5 typically). A ``while_loop``: under ``vmap`` each element stops on its own test, so
    its result does not depend on the batch. y_s = 0 gives x = (1, 0) in y's order.

    Args:
        logits: float[2], ln y.
    Returns:
        x: float[2], x >= 0, |x|_2 <= 1.
    """
    logits = jnp.asarray(logits)
    dtype = logits.dtype
    l0, l1 = logits[0], logits[1]
    first = l0 >= l1
    lb, ls = jnp.where(first, l0, l1), jnp.where(first, l1, l0)
    lbf = jnp.where(jnp.isfinite(lb), lb, 0.0)
    lsf = jnp.where(jnp.isfinite(ls), ls, lbf - 1.0)
    log_norm = lb + 0.5 * jnp.log1p(jnp.exp(2.0 * (ls - lbf)))  # ln |y|_2 (-inf if y = 0)
    inside = ~(log_norm > 0.0)
    tiny = jnp.finfo(dtype).tiny
    lo = lsf - lbf
    lo = jnp.where(lbf < 0.0, jnp.maximum(lo, 0.5 * jnp.log(jnp.expm1(-2.0 * jnp.minimum(lbf, -tiny)))), lo)
    hi = jnp.where(lsf < 0.0, jnp.minimum(0.0, lsf - 0.5 * jnp.log(-jnp.expm1(2.0 * jnp.minimum(lsf, -tiny)))), 0.0)
    hi = jnp.maximum(hi, lo)
    tol = 8.0 * jnp.finfo(dtype).eps * (1.0 + jnp.abs(lbf) + jnp.abs(lsf))

    def cond(carry):
        _, _, _, done, it = carry
        return ~done & (it < ARC_NEWTON_MAX_ITERS)

    def body(carry):
        t, lo, hi, _, it = carry
        lxb = -0.5 * jax.nn.softplus(2.0 * t)
        et, sg = jnp.exp(t), jax.nn.sigmoid(2.0 * t)
        gap = lxb - lbf  # ln(x_b / y_b) < 0
        g = (t + lxb - lsf) - et * gap
        dg = 1.0 - sg - et * gap + et * sg
        lo = jnp.where(g < 0.0, t, lo)
        hi = jnp.where(g > 0.0, t, hi)
        step = g / dg
        nxt = t - step
        converged = (g == 0.0) | (jnp.abs(step) <= tol)
        nxt = jnp.where(converged | ((nxt >= lo) & (nxt <= hi)), nxt, 0.5 * (lo + hi))
        return nxt, lo, hi, converged | (hi - lo <= tol), it + 1

    done = inside | ~jnp.isfinite(ls) | (hi - lo <= tol)
    t, _, _, _, _ = jax.lax.while_loop(cond, body, (0.5 * (lo + hi), lo, hi, done, jnp.zeros((), jnp.int32)))
    lxb = -0.5 * jax.nn.softplus(2.0 * t)
    xb, xs = jnp.exp(lxb), jnp.where(jnp.isfinite(ls), jnp.exp(t + lxb), 0.0)
    xb = jnp.where(jnp.isfinite(ls), xb, 1.0)
    arc = jnp.stack([jnp.where(first, xb, xs), jnp.where(first, xs, xb)])
    return jnp.where(inside, jnp.exp(logits), arc)
