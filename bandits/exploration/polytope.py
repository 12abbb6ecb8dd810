"""Vertex enumeration of the estimated feasible polytope (spec section 3).

Notation: K arms, d constraints. A policy pi lies in the simplex Delta_K; the
(estimated) feasible set is

    F_hat(c) = {pi in Delta_K : A_hat pi <= b + c 1},   c >= 0 the shift (spec section 2),

written as G pi <= h(c), 1^T pi = 1 with the K + d rows

    G = [-I_K; A_hat],   h(c) = h0 + c h1,   h0 = [0_K; b],   h1 = [0_K; 1_d].

A vertex of F_hat has K - 1 linearly independent active rows besides the
equality: for every (K-1)-subset S of the K + d rows (a static index array)
solve [G_S; 1^T] x = [h_S; 1]. The shift enters only the right-hand side, so one
batched factorisation gives x(c) = x0 + c x1 with [G_S; 1^T] x0 = [h0_S; 1] and
[G_S; 1^T] x1 = [h1_S; 0]. Singular systems and infeasible points are masked.

The LP max_{pi in F_hat} mu^T pi is the argmax over feasible vertices; the
alternatives of Proposition 1 are *all* feasible vertices u != pi_t (for r = 0
the minimum over them equals the minimum over the neighbouring vertices: an
improving vertex exists iff an improving edge exists; for r > 0 it is the
correct alternative set). Duplicate vertices (degenerate polytopes) are harmless
for maxima and minima; ``alternatives`` removes the copies of pi_t itself.

Every function follows the dtype of its inputs (float64 in this module's runs). The public array functions are
jitted: called eagerly (from tests, notebooks, setup code) they would compile each of their hundreds of small
operations on its own (``vertices`` at K = 12, d = 3: 13 s eager, 1.6 s jitted); inside a jitted policy they inline.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

FEAS_TOL = 1e-9  # G x <= h + tol (1 + |h|), tol = max(FEAS_TOL, 100 eps) (float32 runs get 1.2e-5)
SING_TOL = 1e-10  # |det| / prod(row norms) below this: singular (Hadamard ratio)
SAME_TOL = 1e-9  # max |u - pi| below max(SAME_TOL, 100 eps): the same vertex


def _tol(base: float, dtype) -> float:
    """The tolerance ``base`` (meant for float64), floored at 100 machine epsilons of ``dtype``."""
    return max(base, 100.0 * float(jnp.finfo(dtype).eps))


@lru_cache(maxsize=None)
def subsets(K: int, d: int) -> np.ndarray:
    """All (K-1)-subsets of the K + d rows of G, int32[C(K+d, K-1), K-1] (lexicographic)."""
    return np.array(list(itertools.combinations(range(K + d), K - 1)), dtype=np.int32).reshape(-1, K - 1)


@lru_cache(maxsize=None)
def pivots(K: int, d: int) -> np.ndarray:
    """int32[M, (K-1)(d+1)]: for every subset S of ``subsets(K, d)``, the subsets S - {s} + {r} (one row of S
    swapped for one row outside it), by index. A vertex's neighbours on the polytope (its edges) are among the
    vertices of the pivots of its basis (all of them when the vertex is not degenerate: an edge leaves one
    active row and ends where another becomes active)."""
    S = subsets(K, d)
    index = {tuple(row): i for i, row in enumerate(S.tolist())}
    out = np.zeros((len(S), (K - 1) * (d + 1)), np.int32)
    for i, row in enumerate(S.tolist()):
        rest = [r for r in range(K + d) if r not in set(row)]
        out[i] = [index[tuple(sorted(row[:j] + row[j + 1:] + [r]))] for j in range(K - 1) for r in rest]
    return out


def constraint_rows(A_hat, b):
    """G = [-I_K; A_hat] [K+d, K], h0 = [0_K; b], h1 = [0_K; 1_d]."""
    d, K = A_hat.shape
    G = jnp.concatenate([-jnp.eye(K, dtype=A_hat.dtype), A_hat], axis=0)
    h0 = jnp.concatenate([jnp.zeros(K, A_hat.dtype), jnp.asarray(b, A_hat.dtype)])
    h1 = jnp.concatenate([jnp.zeros(K, A_hat.dtype), jnp.ones(d, A_hat.dtype)])
    return G, h0, h1


class VertexBasis(NamedTuple):
    """Candidate vertices x(c) = x0 + c x1 of F_hat(c), one per (K-1)-subset of rows."""

    x0: jax.Array  # [M, K]  candidate at shift 0
    x1: jax.Array  # [M, K]  d x / d c
    regular: jax.Array  # bool[M]  the system [G_S; 1^T] is nonsingular
    G: jax.Array  # [K+d, K]
    h0: jax.Array  # [K+d]
    h1: jax.Array  # [K+d]


def small_solve(mat, rhs):
    """Gaussian elimination with partial pivoting, unrolled for a small static n (elementwise ops only).

    mat [..., n, n], rhs [..., n, r] -> (solution [..., n, r], log|det| [...], det != 0 [...]).
    The pivot is the first row of largest modulus (as LAPACK's getrf). A zero pivot (a singular system)
    gives non-finite entries and ``nonzero`` False. Every matrix entry is its own array over the batch
    (structure of arrays), so the whole elimination fuses into a few vectorised loops over the batch:
    batched LAPACK calls on tiny matrices cost a call per matrix on CPU. Meant for n <= 5 (the graph has
    O(n^3) operations); larger systems go to ``jnp.linalg.solve``.
    |det| is accumulated as the product of the pivots' moduli and its log taken once (a log per pivot was a
    quarter of the vertex enumeration's time on imdb); the product leaves the float range only for pivots beyond
    about 1e+-60 (float64; 1e+-7 in float32), where log|det| becomes +-inf.
    """
    n, r = mat.shape[-1], rhs.shape[-1]
    mat, rhs = jax.lax.optimization_barrier((mat, rhs))  # built once (a gather fused in would be redone per entry)
    a = [[mat[..., i, j] for j in range(n)] + [rhs[..., i, k] for k in range(r)] for i in range(n)]
    absdet = jnp.ones(mat.shape[:-2], mat.dtype)
    nonzero = jnp.ones(mat.shape[:-2], bool)
    for col in range(n):
        best = jnp.abs(a[col][col])
        piv = jnp.full(best.shape, col, jnp.int32)
        for i in range(col + 1, n):
            v = jnp.abs(a[i][col])
            better = v > best
            best, piv = jnp.where(better, v, best), jnp.where(better, i, piv)
        prow = list(a[col])
        for i in range(col + 1, n):  # the pivot row ...
            prow = [jnp.where(piv == i, a[i][j], prow[j]) for j in range(n + r)]
        for i in range(col + 1, n):  # ... swapped with row col
            a[i] = [jnp.where(piv == i, a[col][j], a[i][j]) for j in range(n + r)]
        a[col] = prow
        p = prow[col]
        nonzero = nonzero & (p != 0)
        absdet = absdet * jnp.abs(p)
        for i in range(col + 1, n):
            f = a[i][col] / p
            a[i] = a[i][:col + 1] + [a[i][j] - f * prow[j] for j in range(col + 1, n + r)]
    x = [None] * n
    for i in reversed(range(n)):
        acc = [a[i][n + k] for k in range(r)]
        for j in range(i + 1, n):
            acc = [acc[k] - a[i][j] * x[j][k] for k in range(r)]
        x[i] = [acc[k] / a[i][i] for k in range(r)]
    # materialise the results: XLA would otherwise fuse (and repeat) the whole elimination into every consumer
    return jax.lax.optimization_barrier((jnp.stack([jnp.stack(x[i], -1) for i in range(n)], -2), jnp.log(absdet),
                                         nonzero))


@lru_cache(maxsize=None)
def _vertex_groups(K: int, d: int):
    """The subsets of ``subsets(K, d)`` grouped by the number k of rows of A_hat they hold.

    A subset S with k rows R of A_hat fixes the other K - 1 - k arms at 0 (rows -e_a); the k + 1
    free arms F solve the (k+1)-system [A_hat[R, F]; 1^T] x_F = [h_R; 1]. Per k: (positions of the
    subsets in the lexicographic order [M_k], R [M_k, k] as row indices of A_hat, F [M_k, k+1],
    one-hot scatter of F into the K arms [M_k, k+1, K]).
    """
    S = subsets(K, d)
    out = []
    for k in range(0, min(d, K - 1) + 1):
        pos = np.flatnonzero((S >= K).sum(1) == k)
        if pos.size == 0:
            continue
        R = (S[pos][:, K - 1 - k:] - K).reshape(pos.size, k)  # lexicographic: the A rows come last
        free = np.array([[a for a in range(K) if a not in set(row[:K - 1 - k])] for row in S[pos]],
                        dtype=np.int32).reshape(pos.size, k + 1)
        onehot = (free[:, :, None] == np.arange(K)[None, None, :])
        out.append((pos, R.astype(np.int32), free, onehot))
    order = np.argsort(np.concatenate([g[0] for g in out]), kind="stable").astype(np.int32)  # grouped -> lexicographic
    return tuple(out), order


def _reduced_solve(A_hat, cols):
    """Solve [G_S; 1^T] x = [h_S; e] for every subset S on its free arms, for the right-hand sides ``cols``
    (pairs (h_A [d], e): h_S holds 0 on the unit rows of S and h_A on its rows of A_hat).

    A subset S with k rows R of A_hat fixes the other K - 1 - k arms at 0 (its rows -e_a), so only the
    (k+1)-system [A_hat[R, F]; 1^T] x_F = [h_A[R]; e] of the free arms F is solved: the same solution, and the
    same singularity test (|det| / prod of the row norms of the full K x K matrix below SING_TOL: its unit rows
    have norm 1 and its determinant is the reduced one up to sign). Returns (x [M, K, r] in the lexicographic
    order of ``subsets``, regular bool[M]).
    """
    d, K = A_hat.shape
    dt = A_hat.dtype
    row_lognorm = jnp.log(jnp.maximum(jnp.linalg.norm(A_hat, axis=-1), jnp.finfo(dt).tiny))  # [d]
    ones_lognorm = jnp.log(jnp.maximum(jnp.sqrt(jnp.asarray(K, dt)), jnp.finfo(dt).tiny))
    groups, order = _vertex_groups(K, d)
    xs, regs = [], []
    for pos, R, free, onehot in groups:
        Mk, k = R.shape
        ones = jnp.ones((Mk, 1, k + 1), dt)
        mat = jnp.concatenate([A_hat[R[:, :, None], free[:, None, :]], ones], axis=1)  # [Mk, k+1, k+1]
        rhs = jnp.stack([jnp.concatenate([jnp.asarray(h, dt)[R], jnp.full((Mk, 1), e, dt)], axis=1)
                         for h, e in cols], axis=-1)  # [Mk, k+1, r]
        y, logdet, nonzero = small_solve(mat, rhs)
        lognorms = row_lognorm[R].sum(-1) + ones_lognorm
        regular = nonzero & (logdet - lognorms > jnp.log(SING_TOL)) & jnp.isfinite(y).all(axis=(1, 2))
        y = jnp.where(regular[:, None, None], y, 0.0)
        xs.append((jnp.asarray(onehot, dt)[:, :, :, None] * y[:, :, None, :]).sum(1))  # [Mk, K, r]
        regs.append(regular)
    return jnp.concatenate(xs, axis=0)[order], jnp.concatenate(regs, axis=0)[order]


@jax.jit
def vertex_basis(A_hat, b) -> VertexBasis:
    """x0, x1 of every subset S: [G_S; 1^T] [x0 x1] = [[h0_S; 1] [h1_S; 0]] (solved on the free arms only)."""
    A_hat = jnp.asarray(A_hat)
    d, K = A_hat.shape
    dt = A_hat.dtype
    G, h0, h1 = constraint_rows(A_hat, b)
    sol, regular = _reduced_solve(A_hat, [(jnp.asarray(b, dt), 1.0), (jnp.ones(d, dt), 0.0)])
    return VertexBasis(x0=sol[..., 0], x1=sol[..., 1], regular=regular, G=G, h0=h0, h1=h1)


class Vertices(NamedTuple):
    points: jax.Array  # [M, K]   candidate vertices at the given shift (garbage where ~feasible)
    feasible: jax.Array  # bool[M]  a genuine vertex of F_hat(c)


@jax.jit
def vertices_at(basis: VertexBasis, c=0.0) -> Vertices:
    """x(c) = x0 + c x1, masked to regular systems whose point satisfies G x <= h0 + c h1 (+ tol)."""
    x = basis.x0 + c * basis.x1
    h = basis.h0 + c * basis.h1
    return Vertices(points=x, feasible=basis.regular & _feasible_points(x, basis.G, h))


def _feasible_points(x, G, h):
    """G x <= h (+ tol (1 + |h|)) for every row x of [M, K], G = [-I_K; A] (the unit rows as x >= -tol)."""
    K = x.shape[-1]
    tol = _tol(FEAS_TOL, x.dtype)
    Ax = (x[:, None, :] * G[None, K:, :]).sum(-1)  # [M, d] (elementwise: fuses, unlike a batched tiny matmul)
    return (x >= -tol * (1.0 + jnp.abs(h[:K]))).all(-1) & (Ax <= h[K:] + tol * (1.0 + jnp.abs(h[K:]))).all(-1)


@jax.jit
def vertices(A_hat, b, c=0.0) -> Vertices:
    """All vertices of F_hat(c) = {pi in Delta_K : A_hat pi <= b + c} (with duplicates where degenerate).

    One solve per subset at the shifted right-hand side b + c (``vertices_at(vertex_basis(A_hat, b), c)`` is the
    same set: x(c) = x0 + c x1, up to rounding)."""
    A_hat = jnp.asarray(A_hat)
    dt = A_hat.dtype
    G, h0, h1 = constraint_rows(A_hat, b)
    h = h0 + c * h1
    x, regular = _reduced_solve(A_hat, [(jnp.asarray(b, dt) + c, 1.0)])
    x = x[..., 0]
    return Vertices(points=x, feasible=regular & _feasible_points(x, G, h))


class LPSolution(NamedTuple):
    policy: jax.Array  # [K]  argmax over feasible vertices (lowest subset index among ties)
    value: jax.Array  # scalar mu^T policy (-inf if infeasible)
    index: jax.Array  # int32  its row in the vertex array
    feasible: jax.Array  # bool  F_hat nonempty


@jax.jit
def lp_argmax(mu, verts: Vertices) -> LPSolution:
    """pi_t = argmax_{pi in F_hat} mu^T pi, as the best feasible vertex."""
    values = jnp.where(verts.feasible, verts.points @ mu, -jnp.inf)
    i = jnp.argmax(values)
    return LPSolution(policy=verts.points[i], value=values[i], index=i.astype(jnp.int32), feasible=verts.feasible.any())


@jax.jit
def alternatives(pi, verts: Vertices) -> jax.Array:
    """bool[M]: the feasible vertices u != pi (the alternative set of Proposition 1, spec section 3)."""
    far = jnp.max(jnp.abs(verts.points - pi[None, :]), axis=-1) > _tol(SAME_TOL, verts.points.dtype)
    return verts.feasible & far
