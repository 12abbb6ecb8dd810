"""Fixed-iteration interior-point solver for the small concave max-min problems of the paper.

Both the characteristic time (Theorem 4) and the LATS allocation (Algorithm 1, line 6)
are concave maximisations over an allocation omega in a polytope, written in epigraph
form with a few extra variables (the min over alternatives as ``s <= G_u(omega)``, the
exact penalty as ``z >= 0, z >= v_i(omega)``):

    maximise f0(x)  subject to  g_j(x) > 0 (all j),   E x = e.

The log-barrier method (Boyd & Vandenberghe, ch. 11) minimises
phi_t(x) = -t f0(x) - sum_j ln g_j(x) under E x = e by Newton steps (the KKT system
[[H, E^T], [E, 0]] of size n + 1, Hessians by ``jax.hessian``) with a vectorised
backtracking line search over the step sizes 1, 1/2, ..., 2^-30 (the largest that stays
strictly feasible and satisfies Armijo). t grows geometrically over a fixed number of
stages, a fixed number of Newton steps each: the whole solve is one static loop, jittable
and vmappable, and after the last stage the duality gap is at most m / t_final (m = number
of constraints). Constraints that should not count are passed with a slack of exactly 1.

Compared with first-order methods (Frank-Wolfe over vertices, mirror ascent on a soft-min)
this reaches 1e-9 relative accuracy in a few hundred Newton steps on these sizes (K <= 12,
up to a few hundred alternatives), needs no smoothing temperature and handles the
polytope constraints of restricted exploration directly.

Two implementations: ``barrier_maximize`` (any f0 and slacks, derivatives by autodiff: the readable
definition, kept as the reference) and ``structured_barrier``, the one the policies run: the same method on
the one problem shape they need (``Structured``: a linear or separable quadratic objective, bounds, linear
rows and the rows s < G_u(omega)) with derivatives written out, the Newton system solved by an unrolled
Cholesky factorisation and a Schur complement (``kkt_solve``: a batched LAPACK call costs a call per tiny
matrix on CPU), centrings that stop at a Newton-decrement tolerance and a blocked line search, both as
``while_loop``s.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.runner import SHRINK, batch_width
from bandits.core.selection import first_k

ARMIJO = 0.25
HALVINGS = 31


class BarrierResult(NamedTuple):
    x: jax.Array  # [n] final iterate (strictly feasible)
    value: jax.Array  # f0(x)
    gap_bound: jax.Array  # m / t_final: duality gap bound of the last centring


def barrier_maximize(f0: Callable, slacks: Callable, x0, E, e, *, stages: int = 12, newton_steps: int = 20,
                     growth: float = 8.0, t0=None) -> BarrierResult:
    """Maximise f0 subject to slacks(x) > 0 and E x = e, from the strictly feasible x0 (E x0 = e).

    ``t0`` defaults to m / max(|f0(x0)|, 1e-12 + |f0 scale|): the first centring then has a gap of
    the order of the objective itself; after ``stages`` stages the gap is m / (t0 growth^(stages-1)).
    """
    x0 = jnp.asarray(x0)
    n = x0.shape[0]
    m = slacks(x0).shape[0]
    p = E.shape[0]
    if t0 is None:
        t0 = m / jnp.maximum(jnp.abs(f0(x0)), 1e-12)
    steps = 2.0 ** -jnp.arange(HALVINGS, dtype=x0.dtype)

    def phi(x, t):
        g = slacks(x)
        ok = jnp.all(g > 0)
        val = -t * f0(x) - jnp.sum(jnp.log(jnp.where(g > 0, g, 1.0)))
        return jnp.where(ok, val, jnp.inf)

    grad = jax.grad(phi)
    hess = jax.hessian(phi)

    def newton(x, t):
        g = grad(x, t)
        H = hess(x, t)
        H = 0.5 * (H + H.T) + 1e-14 * jnp.trace(jnp.abs(H)) / n * jnp.eye(n, dtype=x.dtype)
        kkt = jnp.block([[H, E.T], [E, jnp.zeros((p, p), x.dtype)]])
        rhs = jnp.concatenate([-g, e - E @ x])
        dx = jnp.linalg.solve(kkt, rhs)[:n]
        dx = jnp.where(jnp.isfinite(dx), dx, 0.0)
        f_now = phi(x, t)
        slope = g @ dx
        cand = x[None, :] + steps[:, None] * dx[None, :]
        vals = jax.vmap(lambda y: phi(y, t))(cand)
        good = jnp.isfinite(vals) & (vals <= f_now + ARMIJO * steps * jnp.minimum(slope, 0.0))
        k = jnp.argmax(good)
        return jnp.where(good[k], cand[k], x)

    def stage(x, k):
        t = t0 * growth ** k.astype(x.dtype)
        x = jax.lax.fori_loop(0, newton_steps, lambda _, y: newton(y, t), x)
        return x, None

    x, _ = jax.lax.scan(stage, x0, jnp.arange(stages))
    t_final = t0 * growth ** (stages - 1)
    return BarrierResult(x=x, value=f0(x), gap_bound=m / t_final)


# ----------------------------------------------------------------------------- the structured barrier
NEWTON_TOL = 1e-10  # a centring stops once the Newton decrement lambda^2 / 2 falls below this
LINE_BLOCK = 4  # step sizes tried together in one pass of the backtracking line search


class Structured(NamedTuple):
    """maximise  c^T x - sum_i quad_i (x_i - y_i)^2
    subject to  x_i > 0  where lower_i                        (bounds)
                l0 + L x > 0                                  (other linear rows)
                G_u(x[:K]) - x[K] > 0  for the rows u with mask  (G_u(w) = gap2_u / (2 sum_a coef_ua / w_a))
                E x = e.

    The epigraph of the max-min allocation (x = (omega, s[, z])) and the Euclidean projection onto a
    polytope (no G rows) are both of this form; derivatives are written out (no autodiff Hessians).
    """

    c: jax.Array  # [n]
    quad: jax.Array  # [n] >= 0
    y: jax.Array  # [n]
    lower: jax.Array  # bool[n]
    L: jax.Array  # [m, n]  (m may be 0)
    l0: jax.Array  # [m]
    gap2: jax.Array  # [S]  (S may be 0)
    coef: jax.Array  # [S, K]
    mask: jax.Array  # bool[S]
    E: jax.Array  # [p, n]
    e: jax.Array  # [p]


def structured_objective(prob: Structured, x):
    return prob.c @ x - jnp.sum(prob.quad * (x - prob.y) ** 2)


def _mv(M, v):
    """M v for M [..., k], v [k], as a product and a sum: the products in this solver are tiny and batched by
    ``vmap``; as dot_generals they become one small (YNNPACK) matrix call per batch each, as elementwise
    operations they fuse with their neighbours."""
    return (M * v).sum(-1)


def _mm(A, B):
    """A B for A [a, k], B [k, b], elementwise as ``_mv``, the sum over k unrolled (a reduction over a middle axis
    is a slow loop in XLA-CPU's fused kernels; k adds of [a, b] arrays vectorise; blocked past UNROLL_MAX,
    ``_ordered_sum``)."""
    return _ordered_sum(_outer_term, (A.T, B), (A.shape[0], B.shape[1]), A.dtype)


def _outer_term(x):
    u, v = x
    return u[:, None] * v[None, :]


UNROLL_MAX = 128  # ``_ordered_sum``: longer sums run as a loop over blocks of UNROLL_BLOCK terms
UNROLL_BLOCK = 32


def _ordered_sum(term, xs, shape, dtype):
    """term(x_0) + term(x_1) + ... in order over the leading axis of the pytree ``xs`` (zeros of ``shape`` when it
    is empty): a chain of elementwise adds, ((t_0 + t_1) + t_2) + ..., unrolled (XLA fuses the chain into one
    vectorised kernel). A chain of more than UNROLL_MAX terms (the all-rows solves: 1365 alternatives on imdb) runs
    as a ``lax.scan`` over blocks of UNROLL_BLOCK terms, each block unrolled: the same adds in the same order in a
    graph of a block's size instead of the whole chain's (XLA-CPU's compile time grows with the graph: the all-rows
    barrier of ``characteristic_time`` on imdb took 83 s to compile unrolled, 10 s blocked). Equal to the unrolled
    chain to rounding, not always bit for bit: XLA contracts a product and an add into one fused multiply-add where
    both land in one kernel, and where it cut the long unrolled chain into kernels was its choice (the stored runs
    came out identical, paper/lats/README.md)."""
    count = jax.tree.leaves(xs)[0].shape[0]
    if count == 0:
        return jnp.zeros(shape, dtype)

    def chain(acc, lo, hi, part):  # acc + term(part_lo) + ... + term(part_{hi-1}), in order (acc None: start)
        for i in range(lo, hi):
            t = term(jax.tree.map(lambda a: a[i], part))
            acc = t if acc is None else acc + t
        return acc

    if count <= UNROLL_MAX:
        return chain(None, 0, count, xs)
    blocks = (count - 1) // UNROLL_BLOCK  # the head (1 to UNROLL_BLOCK terms) unrolled, then the blocks in a loop
    head = count - blocks * UNROLL_BLOCK
    acc = chain(None, 0, head, xs)
    rest = jax.tree.map(lambda a: a[head:].reshape((blocks, UNROLL_BLOCK) + a.shape[1:]), xs)
    acc, _ = jax.lax.scan(lambda acc, part: (chain(acc, 0, UNROLL_BLOCK, part), None), acc, rest)
    return acc


def _vm(v, M):
    """v^T M = sum_s v_s M_s for v [S], M [S, k] (the sum over s unrolled, as ``_mm``)."""
    return _mm(v[None, :], M)[0]


def _outer_sum(u, v, weight):
    """sum_s weight_s u_s v_s^T for u [S, a], v [S, b], the sum over s unrolled (as ``_mm``)."""
    return _ordered_sum(_outer_term, (u * weight[:, None], v), (u.shape[1], v.shape[1]), u.dtype)


LOG_CHUNK = 4  # ``_neg_log_sum``: entries multiplied together before one logarithm


def _neg_log_sum(v):
    """-sum_i ln v_i over the last axis, +inf where some v_i <= 0, as -sum_c ln prod_{i in c} v_i over chunks c of
    LOG_CHUNK entries: inside a fused reduction XLA-CPU computes a logarithm a call per entry (not vectorised), so
    fewer logarithms are much cheaper (the line search's 4 x 18 slacks: ~0.7 -> ~0.2 ms a batch of 1000). A chunk's
    product stays within float64 unless its entries average below 1e-77 or above 1e77 (the barrier slacks here are
    of the order 1 / t or more, t below ~1e15, and at most the problems' bounds, ~1e6)."""
    n = v.shape[-1]
    if n == 0:
        return jnp.zeros(v.shape[:-1], v.dtype)
    vp = jnp.where(v > 0, v, 0.0)  # a factor 0: ln 0 = -inf, so +inf back
    pad = -n % LOG_CHUNK
    if pad:
        vp = jnp.concatenate([vp, jnp.ones(vp.shape[:-1] + (pad,), vp.dtype)], axis=-1)
    chunks = vp.reshape(vp.shape[:-1] + (-1, LOG_CHUNK))
    prod = chunks[..., 0]
    for j in range(1, LOG_CHUNK):
        prod = prod * chunks[..., j]
    logs = jnp.log(prod)
    return -_ordered_sum(lambda x: x, jnp.moveaxis(logs, -1, 0), logs.shape[:-1], v.dtype)


def _phi_line(prob: Structured, x, dx, steps, t, lin, Ldx):
    """phi_t(x + a dx) for the step sizes a in ``steps`` [B]; +inf where infeasible."""
    K = prob.coef.shape[1]
    xs = x[None, :] + steps[:, None] * dx[None, :]  # [B, n]
    lin_s = lin[None, :] + steps[:, None] * Ldx[None, :]  # [B, m]
    bound = jnp.where(prob.lower[None, :], xs, 1.0)
    val = -t * (_mv(xs, prob.c) - (prob.quad[None, :] * (xs - prob.y[None, :]) ** 2).sum(-1))
    val = val + _neg_log_sum(lin_s) + _neg_log_sum(bound)
    if prob.gap2.shape[0] > 0:
        w = xs[:, :K]
        inv = 1.0 / jnp.where(w > 0, w, 1.0)
        q = jnp.where(prob.mask[None, :], _mm(inv, prob.coef.T), 1.0)  # [B, S]
        sl = jnp.where(prob.mask[None, :], prob.gap2[None, :] / (2.0 * q) - xs[:, K:K + 1], 1.0)
        val = jnp.where(jnp.all(w > 0, axis=-1), val + _neg_log_sum(sl), jnp.inf)
    return val


def cholesky_solve(H, rhs):
    """Solve H X = rhs for a small symmetric positive definite H [n, n] (rhs [n, r]): an unrolled Cholesky
    factorisation H = L L^T without pivoting, then the two triangular solves.

    Every entry is its own array (structure of arrays, as ``polytope.small_solve``): under ``vmap`` the batch of
    small systems becomes a few hundred vectorised operations, where a batched LAPACK call costs a call per
    matrix on CPU (n = 10: 0.4 against 1.5-3 us a system in a one-off measurement on the 2-core VM; the
    runner-level effect is in ``benchmarks/lats.py`` and the README).
    Only the lower triangle of H is read. A pivot that is not positive (H not numerically positive definite)
    gives non-finite entries; the caller tests for them. Meant for n <= 16 (the graph has O(n^3) operations).
    """
    n, r = H.shape[-1], rhs.shape[-1]
    H, rhs = jax.lax.optimization_barrier((H, rhs))  # built once (a fused producer would be redone per entry)
    L = [[None] * n for _ in range(n)]
    inv = [None] * n
    for j in range(n):
        s = H[j, j]
        for k in range(j):
            s = s - L[j][k] * L[j][k]
        L[j][j] = jnp.sqrt(s)  # NaN for s < 0
        inv[j] = 1.0 / L[j][j]
        for i in range(j + 1, n):
            s = H[i, j]
            for k in range(j):
                s = s - L[i][k] * L[j][k]
            L[i][j] = s * inv[j]
    cols = []
    for c in range(r):
        y = [None] * n
        for i in range(n):  # L y = rhs
            s = rhs[i, c]
            for k in range(i):
                s = s - L[i][k] * y[k]
            y[i] = s * inv[i]
        x = [None] * n
        for i in reversed(range(n)):  # L^T x = y
            s = y[i]
            for k in range(i + 1, n):
                s = s - L[k][i] * x[k]
            x[i] = s * inv[i]
        cols.append(jnp.stack(x))
    return jax.lax.optimization_barrier(jnp.stack(cols, axis=-1))


def kkt_solve(H, E, r1, r2):
    """The equality-constrained Newton system [[H, E^T], [E, 0]] [u; y] = [r1; r2] for H [n, n] positive
    definite and E [p, n] of full row rank (r1 [n, r], r2 [p, r]), by the Schur complement: H [W V] = [E^T r1],
    S = E W (positive definite), S y = E V - r2, u = V - W y. Returns u [n, r] (non-finite if H or S is not
    numerically positive definite)."""
    p = E.shape[0]
    WV = cholesky_solve(H, jnp.concatenate([E.T, r1], axis=1))
    W, V = WV[:, :p], WV[:, p:]
    y = cholesky_solve(_mm(E, W), _mm(E, V) - r2)
    return V - _mm(W, y)


def _newton_parts(prob: Structured, x, t, linear: bool):
    """The Newton step of phi_t under E x = e in two parts: (g_b, gf, dx_b, dx_f, lin) with the gradient
    g = g_b - t gf and the step dx = dx_b + t dx_f (gf = grad f0; ``linear``: f0 is linear, so the Hessian does
    not depend on t and the step at any other t comes from the same factorisation; else dx_f = 0 and dx_b is the
    step at t)."""
    n = x.shape[0]
    dt = x.dtype
    K = prob.coef.shape[1]
    lin = prob.l0 + _mv(prob.L, x)
    a = 1.0 / lin
    bound = jnp.where(prob.lower, x, 1.0)
    inv_b = jnp.where(prob.lower, 1.0 / bound, 0.0)
    gf = prob.c - 2.0 * prob.quad * (x - prob.y)
    g = -_vm(a, prob.L) - inv_b  # the barrier part g_b
    H = _outer_sum(prob.L, prob.L, a * a) + jnp.diag(inv_b * inv_b)
    if not linear:
        g, gf = g - t * gf, jnp.zeros_like(gf)
        H = H + jnp.diag(2.0 * t * prob.quad)
    if prob.gap2.shape[0] > 0:
        w, s = x[:K], x[K]
        iw = 1.0 / w
        r = prob.coef * (iw * iw)[None, :]  # -dq/dw  [S, K]
        q = jnp.where(prob.mask, _mv(prob.coef, iw), 1.0)
        sig = jnp.where(prob.mask, prob.gap2 / (2.0 * q) - s, 1.0)
        rho = jnp.where(prob.mask, 1.0 / sig, 0.0)
        alpha = prob.gap2 / (2.0 * q * q)  # dG/dw = alpha r
        rho2 = rho * rho
        g = g.at[:K].add(-_vm(rho * alpha, r)).at[K].add(rho.sum())
        # (dG dG^T) rho^2 - rho d^2G, d^2G = (g2 / q^3) r r^T - (g2 / q^2) diag(r / w): one weighted sum of r r^T
        beta = rho2 * alpha * alpha - rho * prob.gap2 / (q * q * q)
        Hww = _outer_sum(r, r, beta) + jnp.diag(_vm(2.0 * rho * alpha, r) * iw)
        Hws = -_vm(rho2 * alpha, r)
        # placed by padding and masks (elementwise, one fusion with the sums above) rather than by
        # dynamic-update-slices into H, which XLA-CPU runs as separate in-place kernels
        col = jnp.concatenate([Hws, rho2.sum()[None], jnp.zeros(n - K - 1, dt)])  # row / column K of the s rows
        at_s = jnp.arange(n) == K
        H = (H + jnp.pad(Hww, ((0, n - K), (0, n - K))) + at_s[:, None] * col[None, :]
             + (col * ~at_s)[:, None] * at_s[None, :])
    # the Newton system by ``kkt_solve`` (unrolled Cholesky of H, Schur complement for E x = e): H is positive
    # definite whenever every variable has curvature (bounds and linear rows give it, the rows s < G_u are
    # concave in (omega, s)); otherwise the solution is non-finite and the step is 0 (below).
    # symmetric diagonal scaling D H D (unit diagonal) before the solve: barrier Hessians mix curvatures of
    # 1 / slack^2 ~ t^2 with O(1) ones, and a regularisation relative to the whole trace would swamp the latter;
    H = 0.5 * (H + H.T)
    dsc = 1.0 / jnp.sqrt(jnp.maximum(jnp.diag(H), jnp.finfo(dt).tiny))
    Hs = dsc[:, None] * H * dsc[None, :] + 1e-14 * jnp.eye(n, dtype=dt)
    Es = prob.E * dsc[None, :]
    p = prob.E.shape[0]
    r1 = jnp.stack([-dsc * g, dsc * gf], axis=1)  # [n, 2]: the step at t = 0 and its derivative in t
    r2 = jnp.stack([prob.e - _mv(prob.E, x), jnp.zeros(p, dt)], axis=1)  # [p, 2]
    sol = dsc[:, None] * kkt_solve(Hs, Es, r1, r2)
    sol = jnp.where(jnp.isfinite(sol).all(), sol, 0.0)
    return g, gf, sol[:, 0], sol[:, 1], lin


def compaction_widths(size: int) -> list[int]:
    """The widths ``compacting_while`` runs a batch of ``size`` at: size, then narrower by the runner's SHRINK,
    each a batch width of the runner (``core.runner.batch_width``: a multiple of LANES seeds per device, so that no
    seed lands in a vector tail whose arithmetic differs), while that narrows the batch."""
    widths = [size]
    while (nxt := batch_width(-(-widths[-1] // SHRINK), len(jax.devices()))) < widths[-1]:
        widths.append(nxt)
    return widths


def compacting_while(cond: Callable, body: Callable, data, init):
    """``lax.while_loop(lambda s: cond(data, s), lambda s: body(data, s), init)`` whose ``vmap`` narrows the batch.

    Under ``vmap`` a ``while_loop`` runs its body on the whole batch until the batch's slowest seed is done: the
    barrier's Newton loop takes ~18 steps a seed (median, LATS on setup 1 hard) but its batch of 1000 ~30, the
    last ones for a handful of seeds. Batched, this loop runs at full width only while more of the seeds are live
    than the next of ``compaction_widths`` holds; the live seeds (and their ``data``) are then gathered into a batch
    of that width, run on there, narrowed again, and scattered back at the end. Each seed's state
    goes through the same ``body`` calls in the same order as in a plain ``while_loop`` (a seed that is not live
    keeps its state in both), so its result never depends on its batch. ``data``, ``init``: pytrees of arrays.
    ``cond`` and ``body`` must not close over arrays, constants included: pass them in ``data`` (a ``custom_vmap``
    function's closure cannot be batched, and under a ``lax.cond`` whose predicate is batched it would be).
    """
    @jax.custom_batching.custom_vmap
    def run(data, init):
        return jax.lax.while_loop(lambda s: cond(data, s), lambda s: body(data, s), init)

    @run.def_vmap
    def run_batched(size, in_batched, data, init):
        data, state = jax.tree.map(lambda a, b: a if b else jnp.broadcast_to(a, (size,) + jnp.shape(a)),
                                   (data, init), tuple(in_batched))
        live_of = jax.vmap(cond)
        step = jax.vmap(body)

        def advance(data, st):
            live = live_of(data, st)
            new = step(data, st)
            return jax.tree.map(lambda n, o: jnp.where(live.reshape(live.shape + (1,) * (n.ndim - 1)), n, o),
                                new, st)

        widths = compaction_widths(size)

        def run_level(level, data, st):  # advance while more seeds are live than the next width holds
            below = widths[level + 1] if level + 1 < len(widths) else 0
            st = jax.lax.while_loop(lambda s: live_of(data, s).sum() > below, lambda s: advance(data, s), st)
            if level + 1 == len(widths):
                return st
            # the live seeds first (first_k: distinct rows, the live ones in order, then rows that are not live,
            # which stay as they are), run narrower, written back
            rows = first_k(live_of(data, st), widths[level + 1])
            sub = run_level(level + 1, jax.tree.map(lambda a: a[rows], data), jax.tree.map(lambda a: a[rows], st))
            return jax.tree.map(lambda a, b: a.at[rows].set(b), st, sub)

        out = run_level(0, data, state)
        return out, jax.tree.map(lambda _: True, out)

    return run(data, init)


def structured_barrier(prob: Structured, x0, t0, *, stages: int = 12, newton_steps: int = 20, growth: float = 8.0,
                       tol: float = NEWTON_TOL, mid_tol: float | None = None, rel_gap: float | None = None,
                       linear: bool = False, active=True) -> BarrierResult:
    """The log-barrier method of ``barrier_maximize`` on a ``Structured`` problem, from the strictly feasible x0.

    Same schedule (t = t0 growth^k, k < ``stages``; backtracking over 1, 1/2, ..., 2^-30 with Armijo), but each
    centring stops as soon as the Newton decrement lambda^2 / 2 = -g^T dx / 2 is below ``tol`` (at most
    ``newton_steps`` steps), and the line search tries ``LINE_BLOCK`` step sizes per pass and stops at the first
    pass holding an acceptable one (the same step: the largest acceptable). Both loops are ``while_loop``s: under
    ``vmap`` a seed whose loop has ended keeps its iterate, so a seed's result never depends on its batch.
    ``linear`` (quad = 0: f0 is linear): a centred iterate takes the first Newton step of the next stage at once
    (the step at t growth comes from the same factorisation), instead of spending an iteration on the test.
    ``rel_gap``: a stage after whose centring the gap bound m / t is at most rel_gap |f0(x)| is the last one (at most
    ``stages`` all the same): the relative accuracy asked for, whatever the scale t0 was set from.
    ``active`` False: the answer is not used (a seed that is stopped, warming up or an idle slot of the batch), so
    both loops end at once for it and it returns x0. Under ``vmap`` a batch's loops run until its slowest seed is
    done, and a seed whose problem is garbage (an idle slot's initial state) would take every Newton step of every
    stage and every line-search block: with ``active`` it costs none; the active seeds' iterates are unchanged.
    Under ``vmap`` the Newton loop is ``compacting_while``: the seeds still iterating when few are left move to a
    narrower batch (each seed's iterates are the same as in a plain ``while_loop``).
    """
    x0 = jnp.asarray(x0)
    dt = x0.dtype
    blocks = -(-HALVINGS // LINE_BLOCK)
    # the step sizes 1, 1/2, ..., 2^-30 (then 0s to fill the last block), passed to the loop in its data:
    # ``compacting_while``'s cond and body may not close over arrays
    steps_all = np.where(np.arange(blocks * LINE_BLOCK) < HALVINGS, 2.0 ** -np.arange(blocks * LINE_BLOCK), 0.0)

    def line_search(prob, steps_all, x, dx, g, t, lin, live):
        Ldx = _mv(prob.L, dx)
        # phi at x by the same arithmetic as at the trial points (the Armijo test compares them)
        f_now = _phi_line(prob, x, dx, jnp.zeros(1, dt), t, lin, Ldx)[0]
        slope = jnp.minimum(_mv(g, dx), 0.0)

        def cond(st):
            j, found, _ = st
            return (~found) & (j < blocks) & live

        def body(st):
            j, _, _ = st
            steps = jax.lax.dynamic_slice(steps_all, (j * LINE_BLOCK,), (LINE_BLOCK,))
            vals = _phi_line(prob, x, dx, steps, t, lin, Ldx)
            good = jnp.isfinite(vals) & (vals <= f_now + ARMIJO * steps * slope) & (steps > 0)
            k = jnp.argmax(good)
            return j + 1, good[k], steps[k]

        _, found, step = jax.lax.while_loop(cond, body, (jnp.int32(0), jnp.bool_(False), jnp.zeros((), dt)))
        return jnp.where(found, x + step * dx, x)

    def cond(data, st):
        _, active, _, _ = data
        x, k, i, t = st
        return (k < stages) & active

    def body(data, st):
        prob, active, steps_all, m = data
        x, k, i, t = st
        live = (k < stages) & active  # under vmap the body also runs for finished seeds (then discarded)
        g_b, gf, dx_b, dx_f, lin = _newton_parts(prob, x, t, linear)
        g, dx = g_b - t * gf, dx_b + t * dx_f
        last = k == stages - 1
        if rel_gap is not None:
            last = last | (m / t <= rel_gap * jnp.abs(structured_objective(prob, x)))
        level = tol if mid_tol is None else jnp.where(last, tol, mid_tol)
        centred = (-_mv(g, dx) / 2.0 <= level) | (i >= newton_steps)
        k_next = jnp.where(centred, jnp.where(last, stages, k + 1), k)
        if linear:  # centred: the first step of the next stage right away (none after the last stage)
            step = ~(centred & last)
            t_use = jnp.where(centred, t * growth, t)
            g, dx = g_b - t_use * gf, dx_b + t_use * dx_f
            x_new = jax.lax.cond(step, lambda: line_search(prob, steps_all, x, dx, g, t_use, lin, live), lambda: x)
            return x_new, k_next, jnp.where(centred, 1, i + 1), t_use
        x_new = jax.lax.cond(centred, lambda: x, lambda: line_search(prob, steps_all, x, dx, g, t, lin, live))
        # a centred iterate moves on to the next stage (t grows), else one more Newton step
        return x_new, k_next, jnp.where(centred, 0, i + 1), jnp.where(centred, t * growth, t)

    m = prob.L.shape[0] + prob.lower.sum() + prob.mask.sum()
    init = (x0, jnp.int32(0), jnp.int32(0), jnp.asarray(t0, dt))
    x, _, _, t_end = compacting_while(cond, body, (prob, jnp.asarray(active, bool), jnp.asarray(steps_all, dt), m), init)
    # t grows once more after the last centring: its weight was t_end / growth (t0 / growth if never run)
    return BarrierResult(x=x, value=structured_objective(prob, x), gap_bound=m * growth / t_end)
