"""Randomised pipage / dependent rounding onto bases of uniform and partition matroids (spec §3).

Notation: x ∈ [0,1]^n lies in the base polytope, i.e. Σ_{i∈b} x_i = k_b for every block b (one
block of rank k for the uniform matroid). A *pipage step* on two fractional coordinates i, j of
the same block moves along e_i - e_j (the block sums are unchanged):

    α = min(1 - x_i, x_j),  β = min(x_i, 1 - x_j)
    with probability β / (α + β):  x_i += α, x_j -= α      (else x_i -= β, x_j += β)

The move has mean zero (β α - α β = 0), so E[x after] = x: marginals are preserved; at least one
of x_i, x_j becomes integral; and the multilinear extension F of a submodular f is convex along
e_i - e_j, so E[F(after)] >= F(before) and E f(S) >= F(x) for the rounded base S (Srinivasan
2001; Chekuri, Vondrák, Zenklusen 2010).

Fixed-iteration JAX form: elements are visited in block order by a ``lax.scan`` of n - 1 steps
that keeps one "carried" fractional element per block; step p pairs the carry with the p-th
element (a pipage step if both are in the same block, else the carry moves to the new block), and
the survivor of the pair (the one still fractional) becomes the carry. Each step consumes one
pre-drawn uniform u_p. Because each block sum is an integer, every coordinate ends integral up to
rounding error; the base is then read off as the k_b largest coordinates of each block, so the
result is *always* a base.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def pipage_step(xi, xj, u):
    """One randomised pipage step on (x_i, x_j); u ~ U[0, 1). Returns the new (x_i, x_j).

    The coordinate reaching 0 or 1 is set exactly (no drift), the other keeps x_i + x_j.
    """
    alpha = jnp.minimum(1.0 - xi, xj)
    beta = jnp.minimum(xi, 1.0 - xj)
    total = xi + xj
    up = u * (alpha + beta) < beta  # probability β / (α + β): x_i += α
    # up: x_i -> x_i + α (x_i = 1 if α = 1 - x_i, else x_j = 0)
    up_i = jnp.where(alpha == 1.0 - xi, 1.0, xi + alpha)
    up_j = jnp.where(alpha == 1.0 - xi, total - 1.0, 0.0)
    # down: x_i -> x_i - β (x_i = 0 if β = x_i, else x_j = 1)
    dn_i = jnp.where(beta == xi, 0.0, total - 1.0)
    dn_j = jnp.where(beta == xi, total, 1.0)
    degenerate = alpha + beta <= 0.0  # both integral already
    new_i = jnp.where(degenerate, xi, jnp.where(up, up_i, dn_i))
    new_j = jnp.where(degenerate, xj, jnp.where(up, up_j, dn_j))
    return new_i, new_j


def _is_fractional(v, tol):
    return (v > tol) & (v < 1.0 - tol)


def top_k_per_block(x, blocks, caps):
    """Mask of the caps[b] largest x_i in each block (ties to the lower index): always a base."""
    n = x.shape[0]
    idx = jnp.arange(n)
    same = blocks[:, None] == blocks[None, :]
    ahead = (x[None, :] > x[:, None]) | ((x[None, :] == x[:, None]) & (idx[None, :] < idx[:, None]))
    rank = jnp.sum(same & ahead, axis=1)  # rank of i inside its block
    return rank < caps[blocks]


def dependent_round_partition(x, u, blocks, caps):
    """Round x in the partition-matroid base polytope to a random base with E[1_S] = x.

    Args:
        x: float[n] with Σ_{i in block b} x_i = caps[b], 0 <= x <= 1.
        u: float[n - 1], pre-drawn U[0, 1) uniforms (one per pipage step).
        blocks: int[n], block id of each element in {0, ..., B-1}.
        caps: int[B], block capacities (ranks).
    Returns:
        bool[n] mask of a base S (|S ∩ b| = caps[b] for every block).
    """
    x = jnp.asarray(x)
    blocks = jnp.asarray(blocks)
    caps = jnp.asarray(caps)
    n = x.shape[0]
    tol = 16 * jnp.finfo(x.dtype).eps
    order = jnp.argsort(blocks, stable=True)

    def step(carry, inp):
        x, a = carry
        b, ub = inp
        same = blocks[a] == blocks[b]
        xa, xb = x[a], x[b]
        na, nb = pipage_step(xa, xb, ub.astype(x.dtype))
        na = jnp.where(same, na, xa)
        nb = jnp.where(same, nb, xb)
        x = x.at[a].set(na).at[b].set(nb)
        # the new carry: the one of (a, b) still fractional; b when a new block starts
        keep_a = same & _is_fractional(na, tol) & ~_is_fractional(nb, tol)
        return (x, jnp.where(keep_a, a, b)), None

    (x, _), _ = jax.lax.scan(step, (x, order[0]), (order[1:], jnp.asarray(u)[: n - 1]))
    return top_k_per_block(x, blocks, caps)


def dependent_round_uniform(x, u, k):
    """Round x in B_k = {x in [0,1]^n : Σ x = k} to a random k-subset with E[1_S] = x.

    Args:
        x: float[n], Σ x = k.
        u: float[n - 1] pre-drawn uniforms.
        k: the rank (int, may be traced).
    Returns:
        bool[n] mask with exactly k entries.
    """
    x = jnp.asarray(x)
    n = x.shape[0]
    return dependent_round_partition(
        x, u, jnp.zeros(n, jnp.int32), jnp.reshape(jnp.asarray(k, jnp.int32), (1,))
    )
