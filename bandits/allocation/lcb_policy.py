"""Algorithm 1 (ATA) skeleton shared by every LCB-based allocation policy.

for k = 1, 2, ...:
    s_i = LCB_i(T_i, K_i, k)                      # eq. (7) for ATA, eq. (8) for ATA-Empirical
    a_k = uniform over {i : s_i <= 0} if any, else argmin_{a in A} max_i a_i s_i
    run a_k; observe each worker's total time; K_i += a_i, T_i += observed time
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.numerics import KahanSum
from bandits.core.types import Policy

from .water_filling import Allocation, explore_or_exploit


class LCBState(NamedTuple):
    counts: jax.Array  # int32[n]  K_i, tasks observed (int: float32 is inexact past 2^24)
    totals: KahanSum  # [n]        T_i, total observed time


def round_words(key, rounds, known):
    """One random 32-bit word per round, hashed into per-worker priorities when needed."""
    return jax.random.bits(key, (rounds,), jnp.uint32)


def lcb_policy(lcb: Callable, budget: int) -> Policy:
    """``lcb(totals, counts, k) -> scores`` with -inf for unsampled workers."""

    def init(known):
        return LCBState(counts=jnp.zeros(known.n, jnp.int32), totals=KahanSum.zeros(known.n))

    def select(state, word, t, known) -> Allocation:
        k = (t + 1).astype(state.totals.total.dtype)  # 1-based round index
        scores = lcb(state.totals.value, state.counts, k)
        return explore_or_exploit(scores, word, budget)

    def update(state, alloc: Allocation, sums, known):
        if state.counts.shape[0] <= budget:  # n <= B: explore_or_exploit's slots are the workers 0..n-1
            return LCBState(counts=state.counts + alloc.units, totals=state.totals.add(sums))
        return LCBState(
            counts=state.counts.at[alloc.workers].add(alloc.units),
            totals=state.totals.add_at(alloc.workers, sums),
        )

    return Policy(init=init, select=select, update=update, sample=round_words)
