"""Example plugin for the "Add your algorithm" guide: explore-then-commit task allocation.

Rounds 1..T0: spread the B tasks uniformly over all workers (exploration).
Rounds > T0: water-filling on the empirical means mu_hat (plug-in, no confidence bound).

It reuses Algorithm 1's skeleton: a score of -inf means "explore uniformly", a
positive score is allocated by water-filling. Loaded by a preset through
``plugins: [examples.explore_then_commit]``.
"""
from functools import partial

import jax.numpy as jnp

from bandits.allocation.algorithms import ALGORITHMS, policy_algorithm
from bandits.allocation.lcb_policy import lcb_policy


def etc_scores(totals, counts, k, explore_rounds: int):
    mean_hat = totals / jnp.maximum(counts, 1)
    return jnp.where((k > explore_rounds) & (counts > 0), mean_hat, -jnp.inf)


def explore_then_commit(budget: int, explore_rounds: int = 1000):
    if explore_rounds < 1:
        raise ValueError(f"explore_rounds must be >= 1, got {explore_rounds}")
    return lcb_policy(partial(etc_scores, explore_rounds=int(explore_rounds)), budget)


if "explore_then_commit" not in ALGORITHMS:
    ALGORITHMS.add("explore_then_commit", policy_algorithm(explore_then_commit, display="ETC"))
