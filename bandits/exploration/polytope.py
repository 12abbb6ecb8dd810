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

Every function follows the dtype of its inputs (float64 in this module's runs).
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


def vertex_basis(A_hat, b) -> VertexBasis:
    """One batched solve of [G_S; 1^T] [x0 x1] = [[h0_S; 1] [h1_S; 0]] for every subset S."""
    A_hat = jnp.asarray(A_hat)
    d, K = A_hat.shape
    G, h0, h1 = constraint_rows(A_hat, b)
    S = jnp.asarray(subsets(K, d))  # [M, K-1]
    M = S.shape[0]
    ones = jnp.ones((M, 1, K), A_hat.dtype)
    mat = jnp.concatenate([G[S], ones], axis=1)  # [M, K, K]
    rhs = jnp.stack(
        [jnp.concatenate([h0[S], jnp.ones((M, 1), A_hat.dtype)], axis=1),
         jnp.concatenate([h1[S], jnp.zeros((M, 1), A_hat.dtype)], axis=1)],
        axis=-1,
    )  # [M, K, 2]
    sign, logdet = jnp.linalg.slogdet(mat)
    lognorms = jnp.log(jnp.maximum(jnp.linalg.norm(mat, axis=-1), jnp.finfo(A_hat.dtype).tiny)).sum(-1)
    regular = (sign != 0) & (logdet - lognorms > jnp.log(SING_TOL))
    safe = jnp.where(regular[:, None, None], mat, jnp.eye(K, dtype=A_hat.dtype))
    sol = jnp.linalg.solve(safe, rhs)  # [M, K, 2]
    regular = regular & jnp.isfinite(sol).all(axis=(1, 2))
    sol = jnp.where(regular[:, None, None], sol, 0.0)
    return VertexBasis(x0=sol[..., 0], x1=sol[..., 1], regular=regular, G=G, h0=h0, h1=h1)


class Vertices(NamedTuple):
    points: jax.Array  # [M, K]   candidate vertices at the given shift (garbage where ~feasible)
    feasible: jax.Array  # bool[M]  a genuine vertex of F_hat(c)


def vertices_at(basis: VertexBasis, c=0.0) -> Vertices:
    """x(c) = x0 + c x1, masked to regular systems whose point satisfies G x <= h0 + c h1 (+ tol)."""
    x = basis.x0 + c * basis.x1
    h = basis.h0 + c * basis.h1
    ok = (x @ basis.G.T <= h + _tol(FEAS_TOL, x.dtype) * (1.0 + jnp.abs(h))).all(axis=-1)
    return Vertices(points=x, feasible=basis.regular & ok)


def vertices(A_hat, b, c=0.0) -> Vertices:
    """All vertices of F_hat(c) = {pi in Delta_K : A_hat pi <= b + c} (with duplicates where degenerate)."""
    return vertices_at(vertex_basis(A_hat, b), c)


class LPSolution(NamedTuple):
    policy: jax.Array  # [K]  argmax over feasible vertices (lowest subset index among ties)
    value: jax.Array  # scalar mu^T policy (-inf if infeasible)
    index: jax.Array  # int32  its row in the vertex array
    feasible: jax.Array  # bool  F_hat nonempty


def lp_argmax(mu, verts: Vertices) -> LPSolution:
    """pi_t = argmax_{pi in F_hat} mu^T pi, as the best feasible vertex."""
    values = jnp.where(verts.feasible, verts.points @ mu, -jnp.inf)
    i = jnp.argmax(values)
    return LPSolution(policy=verts.points[i], value=values[i], index=i.astype(jnp.int32), feasible=verts.feasible.any())


def alternatives(pi, verts: Vertices) -> jax.Array:
    """bool[M]: the feasible vertices u != pi (the alternative set of Proposition 1, spec section 3)."""
    far = jnp.max(jnp.abs(verts.points - pi[None, :]), axis=-1) > _tol(SAME_TOL, verts.points.dtype)
    return verts.feasible & far


def generic_lp(cost, G, h, E, e, sub):
    """max cost^T y s.t. G y <= h, E y = e, by enumerating vertices (n = dim y, m_eq = rows of E).

    ``sub``: static int array [M, n - m_eq] of row subsets of G. Returns (y, value, feasible);
    the LP must be bounded and its feasible set pointed (it then has an optimal vertex).
    """
    n = G.shape[1]
    M = sub.shape[0]
    mat = jnp.concatenate([G[sub], jnp.broadcast_to(E, (M,) + E.shape)], axis=1)  # [M, n, n]
    rhs = jnp.concatenate([h[sub], jnp.broadcast_to(e, (M,) + e.shape)], axis=1)  # [M, n]
    sign, logdet = jnp.linalg.slogdet(mat)
    lognorms = jnp.log(jnp.maximum(jnp.linalg.norm(mat, axis=-1), jnp.finfo(G.dtype).tiny)).sum(-1)
    regular = (sign != 0) & (logdet - lognorms > jnp.log(SING_TOL))
    safe = jnp.where(regular[:, None, None], mat, jnp.eye(n, dtype=G.dtype))
    y = jnp.linalg.solve(safe, rhs[..., None])[..., 0]
    ok = regular & jnp.isfinite(y).all(-1) & (y @ G.T <= h + _tol(FEAS_TOL, y.dtype) * (1.0 + jnp.abs(h))).all(-1)
    values = jnp.where(ok, y @ cost, -jnp.inf)
    i = jnp.argmax(values)
    return y[i], values[i], ok.any()
