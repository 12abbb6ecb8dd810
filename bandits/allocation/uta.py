"""UTA: floor(B/n) tasks each and one more for a uniformly random B mod n workers
(if n > B: B random workers get one task each). No learning."""
from __future__ import annotations

import jax.numpy as jnp

from bandits.core.rng import random_subset
from bandits.core.types import Policy

from .lcb_policy import round_words
from .water_filling import Allocation, random_priorities, uniform_by_rank


def uta(budget: int) -> Policy:
    def select(state, word, t, known) -> Allocation:
        n = known.n
        if n <= budget:  # everyone works; the B mod n extra units go to the highest priorities
            units = uniform_by_rank(jnp.ones(n, bool), random_priorities(word, n), budget)
            return Allocation(jnp.arange(n, dtype=jnp.int32), units)
        # n > B: B distinct workers, one task each (Floyd's sampling: no sort over n)
        workers = random_subset(random_priorities(word, budget), n, budget)
        return Allocation(workers, jnp.ones(budget, jnp.int32))

    return Policy(init=lambda known: (), select=select, update=lambda s, a, o, p: s, sample=round_words)
