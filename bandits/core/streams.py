"""Named random sub-streams: every ``fold_in`` of the suite goes through one of these.

A seed's key is ``fold_in(PRNGKey(base_seed), s)``; the runner derives from it
one key per chunk of rounds (``fold_in(seed_key, chunk_index)``, indices 0, 1,
...) and the key of the initial state (``INIT``). Inside a chunk key, the
components of a simulation draw from their own sub-streams, so a component's
draws do not depend on which other components run beside it.

Changing any value here changes every stored result: they are part of the
results' definition (and the stored ATA reproduction uses exactly these).
"""
from __future__ import annotations

import jax

# --- seed key -> per-seed keys (the runner)
INIT = 2**31 - 1  # the initial state; chunk keys use the indices 0, 1, 2, ... below it

# --- chunk key -> components (``interact``, ``combine``)
ENVIRONMENT = 0  # the environment's noise: identical for every policy on a seed (paired comparisons)
POLICY = 1  # the policy's own randomness
COMPANION = 3  # a simulation run in lock-step beside the main one (ATA's SGD of Section 7)

# --- inside the environment's stream (simulations that replay the environment themselves, e.g. GTA)
FIRST_DRAWS = 1  # one draw per worker: every worker's first task
LATER_DRAWS = 2  # the draws that follow, in order of use


def sub(key: jax.Array, *streams: int) -> jax.Array:
    """``fold_in`` along a path of named sub-streams: ``sub(key, ENVIRONMENT, FIRST_DRAWS)``."""
    for s in streams:
        key = jax.random.fold_in(key, s)
    return key
