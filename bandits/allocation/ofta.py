"""OFTA, the oracle: the optimal fixed allocation a_bar on the true means, every round."""
from __future__ import annotations

from bandits.core.types import Policy

from .water_filling import Allocation


def ofta(budget: int) -> Policy:
    del budget  # a_bar already sums to B; it is an oracle of the environment

    return Policy(
        init=lambda params: (),
        select=lambda state, noise, t, params: Allocation(params.optimal_workers, params.optimal_units),
        update=lambda state, action, obs, params: state,
    )
