"""UTA: floor(B/n) tasks each and one more for a uniformly random B mod n workers
(if n > B: B random workers get one task each, by Floyd's sampling: no sort over n). No learning:
exactly ATA's exploration round with every worker exploring (``explore_everyone``)."""
from __future__ import annotations

from bandits.core.types import Policy

from .lcb_policy import round_words
from .water_filling import Allocation, explore_everyone


def uta(budget: int) -> Policy:
    def select(state, word, t, known) -> Allocation:
        return explore_everyone(word, known.n, budget)

    return Policy(init=lambda known: (), select=select, update=lambda s, a, o, p: s, sample=round_words)
