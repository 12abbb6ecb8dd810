"""The task-allocation environment (paper Section 2, spec sections 1 and 5).

Each round the learner hands out B tasks, ``a_i`` to worker i; worker i runs its
tasks one after another, workers run in parallel. Exactly B task times are
drawn per round (one per allocated task) and summed by worker:

* round time (eq. 1)  C(a) = max_{i: a_i > 0} sum_{u <= a_i} X_i^(u)
* total worker time   += sum_i sum_u X_i^(u)  (compute used; idle time not charged)
* proxy loss (eq. 4)  l(a, mu) = max_i a_i mu_i; proxy regret (eq. 9)
  R_K = sum_k l(a_k, mu) - K l(a_bar, mu).

Oracles live with the environment: ``means``, the optimal allocation ``a_bar``
(greedy water-filling on the true means) and ``optimal_loss`` = l(a_bar, mu).
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bandits.core.batch import seeds_last
from bandits.core.experiment import Problem
from bandits.core.numerics import KahanSum
from bandits.core.types import ActionCheck, Environment

from .time_laws import TimeLaw, make_time_law, worker_scales
from .water_filling import Allocation, optimal_allocation


class AllocationParams(NamedTuple):
    scales: jax.Array  # [n] worker time scales
    means: jax.Array  # [n] mu_i
    optimal_workers: jax.Array  # int32[m] support of a_bar (compact, m = min(n, B))
    optimal_units: jax.Array  # int32[m]
    optimal_loss: jax.Array  # scalar l(a_bar, mu)


class ClockState(NamedTuple):
    runtime: KahanSum  # sum of round times
    worker_time: KahanSum  # total compute used
    proxy_regret: KahanSum  # R_k
    rounds: jax.Array  # int32, rounds played


class AllocationView(NamedTuple):
    """What an allocation learner may know (the learner's view).

    ``mean_bound`` = max_i mu_i: the paper's tuning of ATA assumes an upper bound
    alpha >= max_i ||X_i||_psi1 is known and sets alpha = 2 max_i mu_i (Section 7),
    so this one number is known; the per-worker means are not.
    """

    n: int
    budget: int
    mean_bound: float


class AllocationSetting(NamedTuple):
    """Static description for simulations that replay the environment themselves (GTA) and for SGD."""

    law: TimeLaw
    budget: int
    n: int


def make_problem(n: int, budget: int, law: str = "shifted_exponential", base: float = 29.0, power: float = 0.5,
                 law_kwargs: dict | None = None) -> Problem:
    """One ATA instance: c_i = base * i^power, X_i from ``law``, budget B.

    Returns a core ``Problem``: ``known`` (n, B, max_i mu_i) for the learner;
    ``params`` (scales, means, a_bar, l(a_bar, mu)) for the environment and the
    metrics; ``oracle`` = a_bar for the OFTA baseline.
    """
    if int(n) < 1:
        raise ValueError(f"number of workers n must be >= 1, got {n}")
    if int(budget) < 1:
        raise ValueError(f"budget B must be >= 1, got {budget}")
    time_law = make_time_law(law, **(law_kwargs or {}))
    scales = worker_scales(int(n), float(base), float(power))
    means = time_law.mean(scales)
    m = min(int(n), int(budget))
    a_bar = optimal_allocation(means, int(budget))
    support = np.argsort(-a_bar, kind="stable")[:m]  # every worker with a_bar_i > 0 fits in m slots
    params = AllocationParams(
        scales=jnp.asarray(scales, dtype=jnp.zeros(()).dtype),
        means=jnp.asarray(means, dtype=jnp.zeros(()).dtype),
        optimal_workers=jnp.asarray(support, jnp.int32),
        optimal_units=jnp.asarray(a_bar[support], jnp.int32),
        optimal_loss=jnp.asarray(float(np.max(a_bar * means)), dtype=jnp.zeros(()).dtype),
    )
    power_s = {0.5: "sqrt(i)", 1.0: "i", 0.0: "1"}.get(float(power), f"i^{power:g}")
    label = f"{time_law.name}[{base:g}*{power_s}] n={n} B={budget}"
    known = AllocationView(n=int(n), budget=int(budget), mean_bound=float(np.max(np.asarray(params.means))))
    return Problem(
        label=label,
        columns={"n": int(n), "B": int(budget), "law": time_law.name, "base": float(base), "power": float(power)},
        known=known,
        env=allocation_env(time_law, int(budget)),
        params=params,
        oracle=Allocation(params.optimal_workers, params.optimal_units),
        static=AllocationSetting(time_law, int(budget), int(n)),
    )


def run_tasks(z: jax.Array, alloc: Allocation, law: TimeLaw, scales: jax.Array, budget: int):
    """Map B standard draws to task times; returns (per-slot time sums [m], the sum of all B task times).

    Tasks are laid out worker by worker in increasing worker index (the canonical
    order, independent of the order of the compact slots), so the u-th standard
    draw of a round always goes to the same worker for a given allocation. A
    slot's sum adds its tasks' times in task order; the sum of all tasks adds
    each task's scale x (standard draw term) by one fused multiply-add, in task
    order (a loop: the arithmetic of the stored results, where XLA-CPU's
    reduction of the task times fused the multiply and the add). Under ``vmap``
    it runs with the seeds last (``seeds_last``): the [B, m] task-to-slot work is
    vector operations across the seeds.
    """
    return _run_tasks(law.transform, budget)(z, alloc.workers, alloc.units, scales[alloc.workers],
                                             jnp.arange(budget))


@lru_cache(maxsize=128)  # per time law (its transform) and budget
def _run_tasks(transform, budget: int):
    @seeds_last
    def run(z, w, units, c, u):
        before = w[None, :] < w[:, None]  # [j, i]: worker i comes before worker j
        start = (before * units[None, :]).sum(axis=1)  # first task of slot j
        inside = (u[:, None] >= start[None, :]) & (u[:, None] < (start + units)[None, :])  # [B, m], one per row
        # a slot's sum: each task's time rounded, then added in task order (the select keeps them apart)
        sums = jnp.where(inside, transform(z[:, None], c[None, :]), 0.0).sum(axis=0)
        scale = jnp.where(inside, c[None, :], 0.0).sum(axis=1)  # task u's worker's scale (one term is not 0)
        total = lax.fori_loop(0, budget, lambda v, acc: acc + transform(z[v], scale[v]), jnp.zeros_like(z[0]))
        return sums, total

    return run


def proxy_loss(alloc: Allocation, means: jax.Array) -> jax.Array:
    """Eq. (4): l(a, mu) = max_i a_i mu_i."""
    return jnp.max(alloc.units * means[alloc.workers])


def allocation_check(budget: int) -> ActionCheck:
    """A valid allocation (compact form): integer workers and units of one length m, workers in 0..n-1 and
    distinct where they get units, units >= 0 summing to the budget B."""

    def holds(alloc: Allocation, params: AllocationParams):
        w, u = jnp.asarray(alloc.workers), jnp.asarray(alloc.units)
        shaped = (w.ndim == 1 and w.shape == u.shape and jnp.issubdtype(w.dtype, jnp.integer)
                  and jnp.issubdtype(u.dtype, jnp.integer))  # static: a constant condition
        if not shaped:
            return jnp.array([False, True, True, True, True])
        n, m = params.means.shape[0], w.shape[0]
        used = u > 0
        key = jnp.where(used, w, -1 - jnp.arange(m, dtype=w.dtype))  # slots without units never collide
        if m <= 64:  # pairwise (cheaper than a sort at the sizes of the papers)
            distinct = (key[:, None] == key[None, :]).sum() == m
        else:
            ordered = jnp.sort(key)
            distinct = (ordered[1:] != ordered[:-1]).all()
        return jnp.stack([jnp.bool_(True), (~used | ((w >= 0) & (w < n))).all(), (u >= 0).all(),
                          u.sum() == budget, distinct])

    return ActionCheck(names=("workers and units are integer arrays of one length", "workers within 0..n-1",
                              "units >= 0", "units sum to the budget B", "no worker in two slots"), holds=holds)


def allocation_env(law: TimeLaw, budget: int) -> Environment:
    def reset(key, params):
        del key
        return ClockState(KahanSum.zeros(), KahanSum.zeros(), KahanSum.zeros(), jnp.int32(0))

    def sample(key, rounds, params):
        return law.rows(key, rounds, budget)  # the standard draws, one compact row per round

    def step(z, state, alloc: Allocation, params: AllocationParams):
        sums, total = run_tasks(law.row(z, budget), alloc, law, params.scales, budget)
        state = ClockState(
            runtime=state.runtime.add(sums.max()),
            worker_time=state.worker_time.add(total),
            proxy_regret=state.proxy_regret.add(proxy_loss(alloc, params.means) - params.optimal_loss),
            rounds=state.rounds + 1,
        )
        return state, sums

    def metrics(state, params):
        k = jnp.maximum(state.rounds, 1).astype(state.runtime.total.dtype)
        return {
            "runtime": state.runtime.value,
            "worker_time": state.worker_time.value,
            "avg_iteration_time": state.runtime.value / k,
            "proxy_regret": state.proxy_regret.value,
            "avg_proxy_regret": state.proxy_regret.value / k,
        }

    return Environment(reset=reset, sample=sample, step=step, metrics=metrics, validate=allocation_check(budget))
