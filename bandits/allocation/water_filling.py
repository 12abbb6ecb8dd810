"""The optimal allocation  argmin_{a in A} max_i a_i s_i  (paper Appendix B, RAS).

Decision (spec section 3): greedy water-filling -- give the B units one at a
time to the worker minimising (a_i + 1) s_i, ties to the lowest index. The
optimum equals L*, the B-th smallest element of the multiset
{k s_i : i in [n], k = 1..B}; greedy takes slots in increasing order, so it
attains minimal |argmax_i a_i s_i| (Lemma B.3) and a_j s_j <= (a_i + 1) s_i for
all i, j (Lemma C.1).

Vectorised form used in the hot loop:
1. only the B smallest scores can receive units -> one selection over n
   (``bandits.core.selection.smallest_k``; none when n <= B);
2. jump start: the continuous water level L0 = B / sum_j (1/s_j) is a lower
   bound on L* (#{slots <= v} <= sum_j v/s_j), so every slot below
   L0 (1 - 1e-5) is one greedy takes: a_j = #{k : k s_j < L0 (1 - 1e-5)};
   this leaves fewer than m + 1 units, since floor loses < 1 per worker;
3. greedy itself for the rest: at most m steps, each one min over the m
   next slots (a_j + 1) s_j, ties to the lowest worker index.
All slot comparisons are on products k*s exactly as greedy computes them, so
floating-point ties are resolved identically (the 1e-5 margin dwarfs the
rounding error of L0, ~m 2^-24).

An allocation is kept *compact*: ``(workers[m], units[m])`` with
m = min(n, B), since at most B workers ever receive a unit.
"""
from __future__ import annotations

from functools import lru_cache, partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bandits.core.batch import branch_on_batch, seeds_last
from bandits.core.rng import bits_to_unit, hash_bits, nth_set, random_subset
from bandits.core.selection import smallest_k


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


def water_fill(s: jax.Array, idx: jax.Array, budget: int) -> jax.Array:
    """Greedy units for the candidate workers ``idx`` (scores ``s`` > 0, any order). Returns int32[m].

    Under ``vmap`` it runs with the seeds last (``seeds_last``): each greedy step's two minima over the m
    candidates are m vector operations across the seeds instead of a scalar loop per seed. The greedy
    steps run while any seed of the batch has units left (a seed past its ``rest`` is unchanged by a step).
    """
    return _water_fill(budget)(s, idx)


@lru_cache(maxsize=None)
def _water_fill(budget: int):
    @seeds_last
    def fill(s, idx):
        m = s.shape[0]
        b = float(budget)
        level = b / jnp.sum(1.0 / s, axis=0) * (1.0 - 1e-5)  # < L*: every slot below it is taken by greedy
        a = _count_below(level, s, b)
        rest = budget - a.sum(axis=0)  # <= m (+ 1 for budgets past ~1e5, covered by the slack below)
        last = jnp.iinfo(jnp.int32).max

        def give_one(step, a):  # greedy's step: the smallest next slot, ties to the lowest worker index
            nxt = (a + 1.0) * s
            j = jnp.where(nxt == nxt.min(axis=0), idx, last).min(axis=0)
            return jnp.where(step < rest, a + (idx == j), a)

        steps = jnp.clip(rest.max(), 0, m + 1 + int(budget * 2e-5)).astype(jnp.int32)  # .max(): over the batch too
        a = lax.fori_loop(0, steps, give_one, a)
        return a.astype(jnp.int32)

    return fill


def uniform_sample(mask: jax.Array, u: jax.Array, budget: int) -> Allocation:
    """``budget`` tasks spread uniformly over the workers in ``mask``, for n > B; compact (m = B slots).

    z = mask.sum() workers. If z > B, B of them chosen uniformly at random get
    one task each; else each gets floor(B/z) and a uniformly random B mod z of
    them one more (spec section 3). Random subsets are drawn by Floyd's
    algorithm (``random_subset``, uniforms ``u`` [B]) over positions 0..z-1 of
    the masked workers in index order, mapped to workers by ``nth_set``: no
    selection over n. Slots past z (when z < B) hold unmasked workers with 0 units.
    """
    z = mask.sum(dtype=jnp.int32)
    many = z > budget
    picks = random_subset(u, z, jnp.where(many, budget, budget % jnp.maximum(z, 1)))
    q = jnp.arange(budget, dtype=jnp.int32)
    listed = many | (q < z)  # slot q holds a masked worker (else a filler)
    position = jnp.where(many, picks, jnp.where(listed, q, q - z))
    workers = jnp.where(listed, nth_set(mask, position), nth_set(~mask, position))
    extra = (picks[None, :] == q[:, None]).any(axis=1)  # position q was picked for one more unit
    units = jnp.where(many, 1, jnp.where(listed, budget // jnp.maximum(z, 1) + extra, 0))
    return Allocation(workers.astype(jnp.int32), units.astype(jnp.int32))


def uniform_by_rank(mask: jax.Array, priority: jax.Array, budget: int) -> jax.Array:
    """``budget`` tasks spread uniformly over ``mask``, for n <= B: int32[n] (every worker is a slot).

    Each masked worker gets floor(B/z) (z = mask.sum()) and the B mod z masked
    workers of highest ``priority`` (ties to the lower index) one more: a
    uniformly random subset. Ranks by an O(n^2) comparison, cheap for n <= B
    (under ``vmap``, n^2 vector comparisons across the seeds: ``seeds_last``).
    """
    return _uniform_by_rank(budget)(mask, priority, jnp.arange(mask.shape[0]))


@lru_cache(maxsize=None)
def _uniform_by_rank(budget: int):
    @seeds_last
    def units(mask, priority, i):
        pj, pi = priority[None, :], priority[:, None]
        before = (pj > pi) | ((pj == pi) & (i[None, :] < i[:, None]))  # [i, j]: j ranks before i
        rank = (mask[None, :] & before).sum(axis=1)
        m = jnp.maximum(mask.sum(axis=0), 1)
        return (mask * (budget // m + (rank < budget % m))).astype(jnp.int32)

    return units


def random_priorities(word: jax.Array, n: int) -> jax.Array:
    """n uniform priorities in (0, 1) from one random 32-bit word (a hash per worker).

    One random word per round + a cheap hash per worker, instead of n threefry
    draws per round (which would dominate the run time for n in the hundreds).
    Ties are broken by worker index; they have probability ~n^2/2^25.
    """
    return bits_to_unit(hash_bits(word, n), jnp.float32)


def explore_or_exploit(scores: jax.Array, word: jax.Array, budget: int) -> Allocation:
    """Algorithm 1's allocation step given lower confidence bounds ``scores``.

    While any s_i <= 0 (an unsampled worker has s = -inf), all B units go
    uniformly to those workers (spec section 3, "zero scores"); otherwise the
    water-filling allocation on s. The branch is taken once for the whole seed
    batch when every seed agrees (``branch_on_batch``), so a batch that is
    exploring never pays for water-filling, nor one that exploits for random
    draws. ``word``: this round's random 32-bit word, hashed into uniforms by
    ``random_priorities``: per-worker priorities when n <= B, Floyd's uniforms
    when n > B.
    """
    scores = jnp.asarray(scores)
    n = scores.shape[0]
    m = min(n, budget)
    zero = scores <= 0
    exploring = zero.any()

    if m == n:  # every worker is a candidate: no selection at all
        workers = jnp.arange(n, dtype=jnp.int32)

        def explore():
            return Allocation(workers, uniform_by_rank(zero, random_priorities(word, n), budget))

        def exploit():
            return Allocation(workers, water_fill(scores, workers, budget))

        def mixed():
            s = jnp.where(exploring, 1.0, scores)  # keep the exploit branch finite while exploring
            return Allocation(workers, jnp.where(exploring, explore().units, water_fill(s, workers, budget)))

        return branch_on_batch(exploring, explore, exploit, mixed)

    # n > B: exploring seeds sample among zero-score workers, exploiting ones take the B smallest scores
    def explore():
        return uniform_sample(zero, random_priorities(word, budget), budget)

    def exploit():
        s, idx = smallest_k(scores, m)
        return Allocation(idx, water_fill(s, idx, budget))

    def mixed():
        e = explore()
        s, idx = smallest_k(jnp.where(exploring, 1.0, scores), m)  # keep the exploit branch finite while exploring
        return jax.tree.map(lambda a, b: jnp.where(exploring, a, b), e, Allocation(idx, water_fill(s, idx, budget)))

    return branch_on_batch(exploring, explore, exploit, mixed)


def explore_everyone(word: jax.Array, n: int, budget: int) -> Allocation:
    """``explore_or_exploit``'s allocation when every score is <= 0: uniform over all n workers (and UTA's).

    The same allocation, bit for bit, without the scores: with every worker in the mask, the n <= B rule
    ranks all n priorities (floor(B/n) each, one more for the B mod n highest), and the n > B rule's Floyd
    positions are the workers themselves (B distinct workers, one task each; no mask to select from).
    """
    if n <= budget:
        return Allocation(jnp.arange(n, dtype=jnp.int32),
                          uniform_by_rank(jnp.ones(n, bool), random_priorities(word, n), budget))
    picks = random_subset(random_priorities(word, budget), n, budget)
    return Allocation(picks, jnp.ones(budget, jnp.int32))


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
    s, order = smallest_k(scores, min(scores.shape[0], budget))
    return dense(Allocation(order, water_fill(s, order, budget)), scores.shape[0])


def dense(alloc: Allocation, n: int) -> jax.Array:
    """Compact allocation -> int32[n]."""
    return jnp.zeros(n, jnp.int32).at[alloc.workers].add(alloc.units)
