"""OFTA, the oracle baseline: the optimal fixed allocation a_bar on the true means, every round.

It sees the oracle by design (``sees_oracle=True`` in the registry): its builder
receives a_bar, which no learner may see.
"""
from __future__ import annotations

from bandits.core.types import Policy

from .water_filling import Allocation


def ofta(budget: int, a_bar: Allocation) -> Policy:
    """Args: budget B; a_bar: the optimal allocation (compact: workers, units; sums to B)."""
    del budget  # a_bar already sums to B
    return Policy(
        init=lambda known: (),
        select=lambda state, noise, t, known: a_bar,
        update=lambda state, action, obs, known: state,
    )
