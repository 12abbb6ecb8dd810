"""The optimal allocation  argmin_{a in A} max_i a_i s_i  (paper Appendix B, RAS).

Decision (spec section 3): greedy water-filling -- give the B units one at a
time to the worker minimising (a_i + 1) s_i, ties to the lowest index. The
optimum equals L*, the B-th smallest element of the multiset
{k s_i : i in [n], k = 1..B}; greedy takes slots in increasing order, so it
attains minimal |argmax_i a_i s_i| (Lemma B.3) and a_j s_j <= (a_i + 1) s_i for
all i, j (Lemma C.1).

Vectorised, branch-free form used in the hot loop:
1. only the B smallest scores can receive units -> one ``top_k`` over n;
2. L* = max over candidate workers j of k_j s_j, where k_j is the largest k with
   N(k s_j) <= B - 1 and N(v) = #{slots < v}; k_j is found by a 5-step binary
   search, each step a B x B elementwise count (no sort of the B^2 slots);
3. a_i = N_i(L*) = #{k : k s_i < L*}, then the remaining units go, one each, to
   the workers with (a_i + 1) s_i == L* in index order.
All slot comparisons are on products k*s exactly as greedy computes them, so
floating-point ties are resolved identically.

An allocation is kept *compact*: ``(workers[m], units[m])`` with
m = min(n, B), since at most B workers ever receive a unit.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bandits.core.rng import bits_to_unit, hash_bits


class Allocation(NamedTuple):
    workers: jax.Array  # int32[m], distinct worker indices (m = min(n, B))
    units: jax.Array  # int32[m], tasks given to each; sums to B


def _count_below(v, s, budget):
    """#{k in 1..budget : k*s < v} for v (broadcast) and s > 0, exact on products."""
    c = jnp.clip(jnp.ceil(v / s) - 1.0, 0.0, budget)
    # correct a possible off-by-one of the division against the products themselves
    c = jnp.where((c < budget) & ((c + 1.0) * s < v), c + 1.0, c)
    c = jnp.where((c > 0) & (c * s >= v), c - 1.0, c)
    return c


def water_level(s_sorted: jax.Array, budget: int) -> jax.Array:
    """L*: the budget-th smallest element of {k s_j : k = 1..budget} over the given scores (> 0)."""
    m = s_sorted.shape[0]
    b = float(budget)

    def n_below(v):  # v: [m] candidate values -> [m] number of slots strictly below each
        return _count_below(v[:, None], s_sorted[None, :], b).sum(axis=1)

    # binary search, per worker j, the largest k in [1, budget] with N(k s_j) <= budget - 1
    lo = jnp.zeros(m)  # feasible (0 stands for "no feasible k")
    hi = jnp.full(m, b + 1.0)  # infeasible
    for _ in range(int(np.ceil(np.log2(budget + 1)))):
        mid = jnp.floor((lo + hi) / 2.0)
        active = hi - lo > 1.0
        ok = n_below(mid * s_sorted) <= b - 1.0
        lo = jnp.where(active & ok, mid, lo)
        hi = jnp.where(active & ~ok, mid, hi)
    cand = jnp.where(lo >= 1, lo * s_sorted, -jnp.inf)
    return cand.max()


def allocate_sorted(s_sorted: jax.Array, idx: jax.Array, budget: int) -> jax.Array:
    """Greedy units for the candidate workers ``idx`` (scores ``s_sorted`` > 0). Returns int32[m]."""
    L = water_level(s_sorted, budget)
    a = _count_below(L, s_sorted, float(budget))
    rest = budget - a.sum()
    tied = (a + 1.0) * s_sorted == L
    # rank of each tied worker among tied workers, by worker index (ties -> lowest index)
    rank = (tied[None, :] & (idx[None, :] < idx[:, None])).sum(axis=1)
    a = a + (tied & (rank < rest))
    return a.astype(jnp.int32)


def uniform_over(mask: jax.Array, order: jax.Array, budget: int) -> jax.Array:
    """Units for the candidates in ``order`` when ``budget`` tasks are spread uniformly over ``mask``.

    Each masked worker gets floor(B/m) units (m = mask.sum()) and B mod m of them,
    those listed first in ``order``, get one more. ``order`` must list the masked
    workers first, by decreasing random priority (which makes them a uniformly
    random subset). This is also correct when m > B
    (floor(B/m) = 0 and B mod m = B).
    """
    m = jnp.maximum(mask.sum(), 1)
    base = budget // m
    extra = budget % m
    pos = jnp.arange(order.shape[0])
    return (mask[order] * (base + (pos < extra))).astype(jnp.int32)


def random_priorities(word: jax.Array, n: int) -> jax.Array:
    """n uniform priorities in (0, 1) from one random 32-bit word (a hash per worker).

    One random word per round + a cheap hash per worker, instead of n threefry
    draws per round (which would dominate the run time for n in the hundreds).
    Ties are broken by worker index in ``top_k``; they have probability ~n^2/2^25.
    """
    return bits_to_unit(hash_bits(word, n), jnp.float32)


def explore_or_exploit(scores: jax.Array, priority: jax.Array, budget: int) -> Allocation:
    """Algorithm 1's allocation step given lower confidence bounds ``scores``.

    While any s_i <= 0 (an unsampled worker has s = -inf), all B units go
    uniformly to those workers (spec section 3, "zero scores"); otherwise the
    water-filling allocation on s. One ``top_k`` serves both cases: zero-score
    workers get keys below every positive score, ordered by random priority.
    """
    n = scores.shape[0]
    m = min(n, budget)
    zero = scores <= 0
    key = jnp.where(zero, -1.0 - priority, scores)  # smallest first: zero-score ones, random order
    neg, order = lax.top_k(-key, m)
    exploring = zero.any()
    s_sorted = jnp.where(exploring, 1.0, -neg)  # keep the exploit branch finite while exploring
    exploit_units = allocate_sorted(s_sorted, order, budget)
    explore_units = uniform_over(zero, order, budget)
    units = jnp.where(exploring, explore_units, exploit_units)
    return Allocation(workers=order.astype(jnp.int32), units=units)


def optimal_allocation(scores, budget: int) -> np.ndarray:
    """argmin_{a : sum a = budget} max_i a_i s_i by greedy water-filling; returns int array [n].

    ``scores`` must be finite and > 0. Ties are broken towards the lowest index.
    """
    scores = jnp.asarray(scores)
    if scores.ndim != 1 or scores.shape[0] < 1:
        raise ValueError(f"scores must be a non-empty 1-d array, got shape {scores.shape}")
    if int(budget) < 1:
        raise ValueError(f"budget B must be >= 1, got {budget}")
    if not bool(jnp.all(jnp.isfinite(scores) & (scores > 0))):
        raise ValueError("scores must be finite and > 0 (use explore_or_exploit for LCBs that may be <= 0)")
    return np.asarray(_dense_allocation(scores, int(budget)))


@partial(jax.jit, static_argnums=1)
def _dense_allocation(scores, budget):
    neg, order = lax.top_k(-scores, min(scores.shape[0], budget))
    return dense(Allocation(order.astype(jnp.int32), allocate_sorted(-neg, order, budget)), scores.shape[0])


def dense(alloc: Allocation, n: int) -> jax.Array:
    """Compact allocation -> int32[n]."""
    return jnp.zeros(n, jnp.int32).at[alloc.workers].add(alloc.units)
