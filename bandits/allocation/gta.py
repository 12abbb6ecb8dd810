"""GTA (Greedy Task Allocation = Rennala SGD's clock): every worker is always busy;
a round ends at the B-th completed task overall and unfinished work is discarded.

Exact and cheap (spec section 4). Only workers whose first completion is among
the B smallest first completions can contribute (otherwise B tasks finish before
their first one), so keep the m = min(n, B) fastest. Then replay the round as a
discrete-event simulation: pop the earliest pending completion, and only then
draw that worker's next task time. Drawing a task time when its task starts
(the principle of deferred decisions) gives exactly the law of i.i.d. renewal
sequences, with n + B - 1 draws per round instead of n + m (B - 1).

Costs: round time = time of the B-th completion; total worker time += n x round
time (all workers are charged for the whole round). GTA allocates no tasks, so
it has no proxy loss and no proxy regret.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core import streams
from bandits.core.numerics import KahanSum
from bandits.core.selection import smallest_k
from bandits.core.types import Simulation

from .time_laws import TimeLaw


def gta_round_time(first: jax.Array, later: jax.Array, scales: jax.Array, law: TimeLaw, budget: int):
    """Time of the B-th completion of one GTA round.

    first: [n] standard draws, every worker's first task; later: [B - 1] standard
    draws, the p-th one is the next task of the worker whose completion is popped p-th.
    """
    n = scales.shape[0]
    m = min(n, budget)
    first_times = law.transform(first, scales)
    if n > m:
        pending, fastest = smallest_k(first_times, m)
        scale = scales[fastest]
    else:
        pending, scale = first_times, scales
    slots = jnp.arange(m)
    for p in range(budget - 1):  # completions 1 .. B-1: the popped worker starts its next task
        # argmin as two plain reductions (XLA-CPU's variadic argmin is slower); ties to the lowest slot
        done = slots == jnp.where(pending == pending.min(), slots, m).min()
        pending = jnp.where(done, pending + law.transform(later[p], scale), pending)
    return pending.min()  # the B-th completion


class GTAState(NamedTuple):
    runtime: KahanSum
    worker_time: KahanSum
    rounds: jax.Array


def gta_simulation(law: TimeLaw, budget: int, params) -> Simulation:
    n = params.scales.shape[0]

    def init(key):
        return GTAState(KahanSum.zeros(), KahanSum.zeros(), jnp.int32(0))

    def sample(key, rounds):
        k1 = streams.sub(key, streams.ENVIRONMENT, streams.FIRST_DRAWS)  # the environment's stream, as in ``interact``
        k2 = streams.sub(key, streams.ENVIRONMENT, streams.LATER_DRAWS)
        return law.rows(k1, rounds, n), law.rows(k2, rounds, max(budget - 1, 1))

    def step(state, noise, t):
        first, later = law.row(noise[0], n), law.row(noise[1], max(budget - 1, 1))
        rt = gta_round_time(first, later, params.scales, law, budget)
        return GTAState(state.runtime.add(rt), state.worker_time.add(n * rt), state.rounds + 1)

    def metrics(state):
        k = jnp.maximum(state.rounds, 1).astype(state.runtime.total.dtype)
        return {
            "runtime": state.runtime.value,
            "worker_time": state.worker_time.value,
            "avg_iteration_time": state.runtime.value / k,
        }

    return Simulation(init=init, sample=sample, step=step, metrics=metrics)
