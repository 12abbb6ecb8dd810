"""UTA: floor(B/n) tasks each and one more for a uniformly random B mod n workers
(if n > B: B random workers get one task each). No learning."""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from bandits.core.types import Policy

from .lcb_policy import round_words
from .water_filling import Allocation, random_priorities, uniform_over


def uta(budget: int) -> Policy:
    def select(state, word, t, params) -> Allocation:
        n = params.scales.shape[0]
        priority = random_priorities(word, n)
        _, order = lax.top_k(priority, min(n, budget))
        units = uniform_over(jnp.ones(n, bool), order, budget)
        return Allocation(order.astype(jnp.int32), units)

    return Policy(init=lambda params: (), select=select, update=lambda s, a, o, p: s, sample=round_words)
