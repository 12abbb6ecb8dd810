"""Algorithm 1 (ATA) skeleton shared by every LCB-based allocation policy.

for k = 1, 2, ...:
    s_i = LCB_i(T_i, K_i, k)                      # eq. (7) for ATA, eq. (8) for ATA-Empirical
    a_k = uniform over {i : s_i <= 0} if any, else argmin_{a in A} max_i a_i s_i
    run a_k; observe each worker's total time; K_i += a_i, T_i += observed time

With n > B workers, computing n scores every round is most of a round's work, while ATA explores all n
workers uniformly for a long time (every s_i = 0: the radius is wide). So the state also keeps
max_i K_i and an upper bound on max_i mu_hat_i, updated in O(B) per round; when the LCB's certificate
(``vanishes``) says that these bounds make every score 0, the round is uniform exploration over everyone
(``explore_everyone``, the same allocation bit for bit) and no score is computed. The bound on the means only
grows between refreshes: every ``REFRESH`` rounds it is recomputed exactly (O(n)).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp

from bandits.core.batch import branch_on_batch
from bandits.core.numerics import KahanSum
from bandits.core.types import Policy

from .water_filling import Allocation, explore_everyone, explore_or_exploit

REFRESH = 64  # rounds between exact recomputations of the bound on max_i mu_hat_i (n > B)


class LCBState(NamedTuple):
    counts: jax.Array  # int32[n]  K_i, tasks observed (int: float32 is inexact past 2^24)
    totals: KahanSum  # [n]        T_i, total observed time
    top_count: jax.Array  # int32    max_i K_i (n > B; else unused)
    top_mean: jax.Array  # float     >= max_i T_i / max(K_i, 1) (n > B; else unused)
    rounds: jax.Array  # int32       rounds played


def round_words(key, rounds, known):
    """One random 32-bit word per round, hashed into per-worker priorities when needed."""
    return jax.random.bits(key, (rounds,), jnp.uint32)


def lcb_policy(lcb: Callable, budget: int, vanishes: Optional[Callable] = None) -> Policy:
    """Algorithm 1 with the LCB ``lcb(totals, counts, k) -> scores`` (-inf for unsampled workers).

    Args:
      lcb: the lower confidence bounds of round k (1-based) from the totals T_i and counts K_i.
      budget: B, tasks per round.
      vanishes: optional certificate ``vanishes(mean_bound, count_bound, k) -> bool``, true only if every
        worker with mu_hat_i <= mean_bound and K_i <= count_bound has score <= 0 in round k (n > B rounds
        then skip the scores).
    Returns:
      A ``Policy`` over ``LCBState`` whose actions are compact ``Allocation``s.
    """

    def init(known):
        dtype = jnp.zeros(()).dtype
        return LCBState(counts=jnp.zeros(known.n, jnp.int32), totals=KahanSum.zeros(known.n),
                        top_count=jnp.int32(0), top_mean=jnp.zeros((), dtype), rounds=jnp.int32(0))

    def scored(state, word, k):
        return explore_or_exploit(lcb(state.totals.value, state.counts, k), word, budget)

    def select(state, word, t, known) -> Allocation:
        k = (t + 1).astype(state.totals.total.dtype)  # 1-based round index
        if vanishes is None or known.n <= budget:
            return scored(state, word, k)
        everyone = vanishes(state.top_mean, state.top_count, k)  # every score is 0: skip them
        return branch_on_batch(everyone, lambda: explore_everyone(word, known.n, budget),
                               lambda: scored(state, word, k), lambda: scored(state, word, k))

    def update(state, alloc: Allocation, sums, known):
        rounds = state.rounds + 1
        if state.counts.shape[0] <= budget:  # n <= B: explore_or_exploit's slots are the workers 0..n-1
            return LCBState(counts=state.counts + alloc.units, totals=state.totals.add(sums),
                            top_count=state.top_count, top_mean=state.top_mean, rounds=rounds)
        w = alloc.workers
        counts_w = state.counts[w] + alloc.units
        totals_w = KahanSum(state.totals.total[w], state.totals.comp[w]).add(sums)
        counts = state.counts.at[w].set(counts_w)
        totals = KahanSum(state.totals.total.at[w].set(totals_w.total), state.totals.comp.at[w].set(totals_w.comp))
        # the bounds: only the slots' workers changed (their means as the scores compute them)
        top_count = jnp.maximum(state.top_count, counts_w.max())
        top_mean = jnp.maximum(state.top_mean, (totals_w.value / jnp.maximum(counts_w, 1)).max())
        if vanishes is not None:
            def exact():
                return (totals.value / jnp.maximum(counts, 1)).max()

            due = rounds % REFRESH == 0
            top_mean = branch_on_batch(due, exact, lambda: top_mean, lambda: jnp.where(due, exact(), top_mean))
        return LCBState(counts=counts, totals=totals, top_count=top_count, top_mean=top_mean, rounds=rounds)

    return Policy(init=init, select=select, update=update, sample=round_words)
