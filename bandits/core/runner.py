"""The shared runner: ``jit(vmap over seeds (scan over rounds))``.

* Seed ``s`` uses ``fold_in(PRNGKey(base_seed), s)``; chunk ``c`` of its rounds
  uses ``fold_in(seed_key, c)``. So a seed's draws never depend on which other
  seeds run beside it, on the batch size, or on the number of devices. Its
  arithmetic does not either, bit for bit, on one machine: batch widths are
  padded to a multiple of ``LANES`` seeds per device, and ``bandits`` turns off
  XLA-CPU's width-dependent reduction fusion (``bandits.DETERMINISM_XLA_FLAGS``).
* Seeds are processed in batches (bounded memory); within a batch, when more
  than one device is visible, the seed axis is sharded across devices.
* Metrics are recorded only on a checkpoint grid (1-based round counts).
* The seed axis is named ``SEED_AXIS``, so a simulation may branch once for the
  whole batch (``bandits.core.batch``) instead of computing every branch per seed.
* Two modes: a fixed horizon (``run_fixed_horizon``) and a stopping time
  (``run_until_stopped``: each seed runs until its stopping rule fires or a cap;
  the loop over chunks exits as soon as every seed in the batch has stopped).
"""
from __future__ import annotations

import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import rng, streams
from .batch import SEED_AXIS
from .types import Simulation


@dataclass(frozen=True)
class RunConfig:
    """How the runner executes (never what is simulated). Defaults live here and only here.

    ``chunk`` is part of the random draws' definition (noise is drawn per chunk of
    rounds): changing it changes the results, like changing ``base_seed``.
    """

    horizon: int  # rounds (fixed horizon) or the cap on the stopping time
    chunk: int = 1024  # rounds whose noise is drawn in one PRNG call
    batch_size: int = 1000  # seeds per compiled batch, rounded up to LANES per device (stopping runs: slots)
    base_seed: int = 0
    progress: bool = True
    rng: str = "hash32"  # bulk random generator: hash32 (fast) or threefry, see bandits.core.rng
    refill: bool = True  # stopping runs: seeds that stopped hand their slot to a waiting seed

    @classmethod
    def from_mapping(cls, settings, **overrides) -> "RunConfig":
        """Build from a runner config (extra keys such as ``x64`` are ignored); ``overrides`` win."""
        names = {f for f in cls.__dataclass_fields__}
        values = {k: settings[k] for k in names if k in settings and settings[k] is not None}
        values.update(overrides)
        return cls(**values)

    def __post_init__(self):
        if self.rng not in rng.GENERATORS:
            raise ValueError(f"unknown random generator {self.rng!r}; valid choices: {', '.join(rng.GENERATORS)}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        if self.chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {self.chunk}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass
class FixedHorizonResult:
    grid: np.ndarray  # [G] 1-based round counts
    metrics: Dict[str, np.ndarray]  # name -> [S, G]
    seeds: np.ndarray  # [S]
    wall_time: float  # execution only
    compile_time: float = 0.0


@dataclass
class StoppingResult:
    stopping_time: np.ndarray  # [S] rounds played (== cap when the rule never fired)
    stopped: np.ndarray  # [S] bool, whether the rule fired before the cap (False: censored)
    metrics: Dict[str, np.ndarray]  # name -> [S] at the stopping time
    seeds: np.ndarray
    wall_time: float  # execution only
    compile_time: float = 0.0
    slot_rounds: int = 0  # rounds computed by all slots together (the cost; >= sum of stopping times)


# A batch's width is a multiple of LANES seeds per device (padded). XLA-CPU vectorises elementwise loops over
# the seed axis and finishes a width that is not a multiple of the vector length with a tail whose arithmetic
# differs (no fused multiply-add, a division 1 ulp off): a seed landing in that tail got a different result
# than in a full vector. LANES = 16 covers AVX-512 (8 float64, 16 float32) and narrower vector units.
LANES = 16
SHRINK = 8  # stopping runs: the batch narrows by this factor once 1/SHRINK of its slots are busy ...
SHRINK_PAYBACK = 0.1  # ... if one chunk at full width costs more than this fraction of a compilation


_COMPILED: "OrderedDict[tuple, object]" = OrderedDict()  # a few recent executables (tests, sweeps in one process)
_COMPILED_MAX = 32


def available_memory() -> int:
    """Physical memory of this machine in bytes (0 if unknown)."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _check_buffers(compiled, width: int):
    """After compiling a batch: XLA's own count of its buffers (arguments, outputs, temporaries) against the
    machine's memory. The plan's estimate (``experiment.check_memory``) comes first and from shapes alone; this
    catches what it cannot see (a step's temporaries) before the batch runs out of memory in the middle."""
    try:
        stats = compiled.memory_analysis()
        need = stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes
    except Exception:  # noqa: BLE001 -- a backend without memory statistics: nothing to check
        return
    have = available_memory()
    if have and need > 0.8 * have:
        raise MemoryError(f"a batch of {width} seeds needs {need / 2**30:.1f} GiB of buffers ({have / 2**30:.1f} GiB "
                          f"here); lower runner.batch_size")


def seed_keys(base_seed: int, seeds: Sequence[int]) -> jax.Array:
    base = jax.random.key(base_seed)
    return jax.vmap(lambda s: jax.random.fold_in(base, s))(jnp.asarray(seeds, dtype=jnp.uint32))


def _validate_seeds(seeds) -> np.ndarray:
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if seeds.size == 0:
        raise ValueError("the number of seeds must be >= 1, got 0")
    if (seeds < 0).any():
        raise ValueError("seeds must be non-negative integers")
    return seeds


def _progress(msg: str):
    print(msg, file=sys.stderr, flush=True)


DEVICE_AXIS = "devices"


def _device_mesh():
    """A one-axis mesh over every visible device, or None with one device (nothing to split)."""
    devices = jax.devices()
    return None if len(devices) == 1 else jax.sharding.Mesh(np.array(devices), (DEVICE_AXIS,))


def _shard(keys: jax.Array) -> jax.Array:
    """Place the seed axis across all visible devices (no-op with one device)."""
    mesh = _device_mesh()
    if mesh is None:
        return keys
    return jax.device_put(keys, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(DEVICE_AXIS)))


def _per_device(batched):
    """``batched`` (a function of the seed batch) run on each device's shard of the seeds on its own (no collective
    across devices: a batch-wide branch is taken per device, which never changes a seed's result)."""
    mesh = _device_mesh()
    if mesh is None:
        return batched
    spec = jax.sharding.PartitionSpec(DEVICE_AXIS)
    return jax.shard_map(batched, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False)


def batch_width(n: int, n_dev: int) -> int:
    """The padded width for ``n`` seeds: a multiple of ``LANES`` seeds on each of ``n_dev`` devices."""
    return -(-max(n, 1) // (LANES * n_dev)) * LANES * n_dev


def _batches(seeds: np.ndarray, batch_size: int):
    """Equal-size batches (the last one padded by repeating a seed) -> one compile."""
    size = batch_width(min(batch_size, len(seeds)), len(jax.devices()))
    for start in range(0, len(seeds), size):
        part = seeds[start : start + size]
        pad = size - len(part)
        yield np.concatenate([part, np.repeat(part[-1:], pad)]), len(part)


def _metric_shapes(sim: Simulation):
    carry = jax.eval_shape(sim.init, jax.random.key(0))
    return jax.eval_shape(sim.metrics, carry)


def _check_finite(name: str, values: np.ndarray):
    if not np.all(np.isfinite(values)):
        bad = np.argwhere(~np.isfinite(values))[0]
        raise FloatingPointError(f"metric {name!r} is not finite (first at index {tuple(bad)}); refusing to store it")


def _chunk_progress(label: str, n_chunks: int):
    """A host callback printing progress every ~5% of chunks (called once per chunk index, not per seed)."""
    start = [time.perf_counter()]

    def report(c):
        done = int(c) + 1
        if done <= max(1, n_chunks // 20):
            start[0] = time.perf_counter()  # a new batch begins
        _progress(f"  {label}{100 * done / n_chunks:3.0f}% of rounds ({time.perf_counter() - start[0]:.0f}s)")

    return report


def _maybe_report(report, c, n_chunks):
    if report is None:
        return
    every = max(1, n_chunks // 20)
    lax.cond((c + 1) % every == 0, lambda: jax.debug.callback(report, c), lambda: None)


def run_fixed_horizon(sim: Simulation, seeds, cfg: RunConfig, grid: np.ndarray, label: str = "") -> FixedHorizonResult:
    seeds = _validate_seeds(seeds)
    grid = np.asarray(grid, dtype=np.int64)
    if grid.ndim != 1 or grid.size == 0 or np.any(np.diff(grid) <= 0) or grid[0] < 1 or grid[-1] > cfg.horizon:
        raise ValueError("grid must be strictly increasing round counts within [1, horizon]")
    horizon, chunk = int(cfg.horizon), int(min(cfg.chunk, cfg.horizon))
    n_chunks = -(-horizon // chunk)
    ragged = horizon % chunk != 0
    shapes = _metric_shapes(sim)
    G = grid.size
    grid_padded = jnp.asarray(np.append(grid, -1), dtype=jnp.int32)  # sentinel after the last point
    report = _chunk_progress(label + (": " if label else ""), n_chunks) if cfg.progress and n_chunks >= 100 else None

    checked = sim.step_seen is not None

    def per_seed(seed_key):
        carry = sim.init(jax.random.fold_in(seed_key, streams.INIT))
        buf = {k: jnp.zeros((G,) + v.shape, v.dtype) for k, v in shapes.items()}

        def chunk_body(state, c):
            noise = sim.sample(jax.random.fold_in(seed_key, c), chunk)

            def round_body(j, state):
                carry, buf, g, bad = state
                t = c * chunk + j
                noise_t = jax.tree.map(lambda a: a[j], noise)
                new, seen = sim.step_seen(carry, noise_t, t) if checked else (sim.step(carry, noise_t, t), None)
                if checked:  # this round's action against its environment's check
                    bad = _first_invalid(bad, sim.invalid(seen), t)
                hit = t + 1 == grid_padded[g]

                def record(args):
                    buf, g = args
                    m = sim.metrics(new)
                    return {k: buf[k].at[g].set(m[k]) for k in buf}, g + 1

                buf, g = lax.cond(hit, record, lambda a: a, (buf, g))
                return new, buf, g, bad

            # the last chunk of a ragged horizon runs only its remaining rounds (its noise is still drawn for a
            # whole chunk: the draws of a round never depend on the horizon)
            rounds = jnp.minimum(chunk, horizon - c * chunk) if ragged else chunk
            state = lax.fori_loop(0, rounds, round_body, state)
            _maybe_report(report, c, n_chunks)
            return state, None

        bad = _no_invalid() if checked else None
        (carry, buf, g, bad), _ = lax.scan(chunk_body, (carry, buf, jnp.int32(0), bad),
                                           jnp.arange(n_chunks, dtype=jnp.int32))
        return buf, bad

    run_batch = jax.jit(_per_device(jax.vmap(per_seed, axis_name=SEED_AXIS)))
    # the same simulation on the same grid compiles once per batch shape (report: a live progress callback)
    cache_key = None if report is not None else (sim, horizon, chunk, tuple(grid.tolist()))
    return _run_batches(run_batch, seeds, cfg, grid=grid, cache_key=cache_key, conditions=sim.conditions)


# ----------------------------------------------------------------------------- invalid actions
def _no_invalid():
    """(first invalid round, 0-based, or -1; the condition it broke, 1-based, or 0)."""
    return jnp.int32(-1), jnp.int32(0)


class InvalidActionError(ValueError):
    """A policy played an action its environment's ``ActionCheck`` refuses: the job fails, nothing is stored."""


def _first_invalid(bad, code, t):
    """A seed's first invalid round so far, given round ``t``'s code (0 if its action was valid). Folded into
    the scan's state round by round: cheaper than collecting a chunk's actions and checking them after the
    chunk (ATA Figure 1, n = 459: 1.03x against 1.06x the unchecked CPU time)."""
    new = (code != 0) & (bad[0] < 0)
    return jnp.where(new, t, bad[0]).astype(jnp.int32), jnp.where(new, code, bad[1]).astype(jnp.int32)


def _raise_invalid(rounds: np.ndarray, codes: np.ndarray, seeds: np.ndarray, conditions: tuple):
    """One line for the earliest invalid action over the seeds (ties: the first seed), if any."""
    rounds = np.asarray(rounds)
    if (rounds < 0).all():
        return
    i = int(np.argmin(np.where(rounds < 0, np.iinfo(np.int64).max, rounds)))
    what = conditions[int(codes[i]) - 1] if 0 < int(codes[i]) <= len(conditions) else "a condition"
    raise InvalidActionError(f"invalid action at round {int(rounds[i]) + 1} (seed {int(seeds[i])}): it violates "
                             f"'{what}'; nothing is stored")


def run_until_stopped(sim: Simulation, seeds, cfg: RunConfig) -> StoppingResult:
    """Run each seed until ``sim.stopped(carry, t)`` fires or ``cfg.horizon`` rounds (the cap).

    The stopping rule is checked after every round; a stopped seed's carry is
    frozen. A batch of ``cfg.batch_size`` slots advances one chunk of rounds per
    call. With ``cfg.refill`` (default), between chunks every slot whose seed has
    stopped takes the next waiting seed, and once no seed waits the batch is
    compacted to the busy slots (halving its width): a run costs about the sum of
    the stopping times divided by the width, not width x the slowest seed.
    Without it, each batch runs until its slowest seed stops (the reference of
    the equivalence test). A seed's rounds use its own chunk keys
    ``fold_in(seed_key, t // chunk)`` counted from its own start, so its result
    never depends on the slot, the batch or the schedule.
    """
    if sim.stopped is None:
        raise ValueError("run_until_stopped needs a simulation with a stopping rule (sim.stopped)")
    seeds = _validate_seeds(seeds)
    cap, chunk = int(cfg.horizon), int(min(cfg.chunk, cfg.horizon))

    def slot_init(seed_key):
        return sim.init(jax.random.fold_in(seed_key, streams.INIT))

    checked = sim.step_seen is not None

    def slot_chunk(carry, t, done, seed_key):
        """Advance one slot by one chunk of rounds from t (a multiple of ``chunk`` while running); also the
        slot's first invalid action in this chunk (round from its own start, condition), or (-1, 0)."""
        noise = sim.sample(jax.random.fold_in(seed_key, t // chunk), chunk)

        def round_body(state, noise_t):
            carry, t, done, bad = state
            active = jnp.logical_and(~done, t < cap)
            new, seen = sim.step_seen(carry, noise_t, t) if checked else (sim.step(carry, noise_t, t), None)
            if checked:  # this round's action against its environment's check
                bad = _first_invalid(bad, jnp.where(active, sim.invalid(seen), 0), t)
            carry = jax.tree.map(lambda a, b: jnp.where(active, a, b), new, carry)
            t = t + active.astype(t.dtype)
            done = jnp.logical_or(done, jnp.logical_and(active, sim.stopped(carry, t)))
            return (carry, t, done, bad), None

        (carry, t, done, bad), _ = lax.scan(round_body, (carry, t, done, _no_invalid()), noise)
        return carry, t, done, bad

    def slot_result(carry, t, done):
        return sim.metrics(carry), t, done

    def select(mask, new, old):  # slot-wise: new where mask, else old
        return jax.tree.map(lambda a, b: jnp.where(mask.reshape(mask.shape + (1,) * (a.ndim - 1)), a, b), new, old)

    cache_key = ("stopping", sim, cap, chunk)
    if cache_key not in _COMPILED:  # jitted once per (simulation, cap, chunk): each compiles per batch width
        _COMPILED[cache_key] = (jax.jit(jax.vmap(slot_init, axis_name=SEED_AXIS)),
                                jax.jit(jax.vmap(slot_chunk, axis_name=SEED_AXIS)),
                                jax.jit(jax.vmap(slot_result)), jax.jit(select),
                                jax.jit(lambda tree, idx: jax.tree.map(lambda a: a[idx], tree)), {})
        while len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    init_b, chunk_b, result_b, select_b, take_b, executables = _COMPILED[cache_key]

    n_dev = len(jax.devices())
    width = batch_width(min(cfg.batch_size, len(seeds)), n_dev)
    t_start = time.perf_counter()
    compile_time = 0.0
    out_metrics, out_t, out_done = {}, np.zeros(len(seeds), np.int64), np.zeros(len(seeds), bool)
    bad_round, bad_code = np.full(len(seeds), -1, np.int64), np.zeros(len(seeds), np.int64)
    slot_rounds = 0

    keys_b = jax.jit(seed_keys, static_argnums=0)

    def keys_for(idx):
        return _shard(keys_b(cfg.base_seed, jnp.asarray(seeds[np.maximum(idx, 0)], jnp.uint32)))

    def record(fin_slots, owner, carry, t, done):
        m, tt, dd = jax.device_get(result_b(carry, t, done))
        for k, v in m.items():
            out_metrics.setdefault(k, np.zeros((len(seeds),) + np.asarray(v).shape[1:], np.asarray(v).dtype))
            out_metrics[k][owner[fin_slots]] = np.asarray(v)[fin_slots]
        out_t[owner[fin_slots]] = np.asarray(tt)[fin_slots]
        out_done[owner[fin_slots]] = np.asarray(dd)[fin_slots]

    def run_chunk(carry, t, done, keys):
        """One chunk at the batch's width: compiled ahead of time once per (width, generator), so that
        ``compile_time`` is compilation only (no execution) and a cached width costs nothing."""
        nonlocal compile_time
        ex_key = (t.shape[0], cfg.rng)
        if ex_key not in executables:
            c = time.perf_counter()
            executables[ex_key] = chunk_b.lower(carry, t, done, keys).compile()
            compile_time += time.perf_counter() - c
            _check_buffers(executables[ex_key], t.shape[0])
        carry, t_new, done, bad = executables[ex_key](carry, t, done, keys)
        if checked:  # read once per chunk: a seed's first invalid round ends the run (nothing is stored)
            rounds, codes = (np.asarray(x) for x in jax.device_get(bad))
            hit = (owner >= 0) & (rounds >= 0) & (bad_round[np.maximum(owner, 0)] < 0)
            bad_round[owner[hit]], bad_code[owner[hit]] = rounds[hit], codes[hit]
            _raise_invalid(bad_round, bad_code, seeds, sim.conditions)
        return carry, t_new, done

    pending = list(range(len(seeds)))
    next_report = max(1, len(seeds) // 10)
    first_batch = True
    while pending:  # without refill: one batch after another, each until its slowest seed stops
        first = pending[:width]
        pending = pending[width:]
        owner = np.array(first + [-1] * (width - len(first)))  # slot -> position in ``seeds`` (-1: idle)
        full_width, chunk_time = width, 0.0
        keys = keys_for(owner)
        with rng.generator(cfg.rng):
            if first_batch:  # the small helpers compile on first use: outside the timed loop (with one cheap call)
                c0 = time.perf_counter()
                carry = jax.block_until_ready(init_b(keys))
                t, done = jnp.zeros(width, jnp.int32), jnp.asarray(owner < 0)
                jax.block_until_ready(select_b(jnp.zeros(width, bool), carry, carry))
                jax.block_until_ready(result_b(carry, t, done))
                compile_time += time.perf_counter() - c0
                first_batch = False
            carry = init_b(keys)
            t = jnp.zeros(width, jnp.int32)
            done = jnp.asarray(owner < 0)  # idle slots never run
            carry, t, done = run_chunk(carry, t, done, keys)
            jax.block_until_ready(t)
            slot_rounds += width * chunk
            while True:
                t_h, d_h = np.asarray(jax.device_get(t)), np.asarray(jax.device_get(done))
                fin = (owner >= 0) & (d_h | (t_h >= cap))
                if fin.any():
                    record(fin, owner, carry, t, done)
                    owner = np.where(fin, -1, owner)
                    if cfg.refill and pending:  # hand finished slots to waiting seeds
                        free = np.flatnonzero(owner < 0)[: len(pending)]
                        owner[free] = pending[: len(free)]
                        pending = pending[len(free):]
                        mask = np.zeros(width, bool)
                        mask[free] = True
                        keys = keys_for(owner)  # busy slots keep their keys: same owners
                        carry = select_b(jnp.asarray(mask), init_b(keys), carry)
                        t = jnp.where(jnp.asarray(mask), 0, t)
                        done = jnp.where(jnp.asarray(mask), False, done)
                    done = jnp.where(jnp.asarray(owner < 0), True, done)
                    finished = len(seeds) - len(pending) - int((owner >= 0).sum())
                    if cfg.progress and len(seeds) > 1 and finished >= next_report:
                        next_report += max(1, len(seeds) // 10)
                        _progress(f"  stopped {finished}/{len(seeds)} seeds ({time.perf_counter() - t_start:.1f}s)")
                busy = np.flatnonzero(owner >= 0)
                if busy.size == 0:
                    break
                floor = batch_width(1, n_dev)
                worth_it = chunk_time > SHRINK_PAYBACK * compile_time  # a new width compiles: only for costly chunks
                if (cfg.refill and not pending and worth_it and busy.size <= width // SHRINK
                        and width // SHRINK >= floor):
                    # the tail: shrink by SHRINK (each new width compiles once; a few shrinks at most)
                    new_width = width
                    while busy.size <= new_width // SHRINK and new_width // SHRINK >= floor:
                        new_width //= SHRINK
                    new_width = batch_width(new_width, n_dev)
                    idx = np.concatenate([busy, np.flatnonzero(owner < 0)[: new_width - busy.size]])
                    carry, keys, t, done = take_b((carry, keys, t, done), jnp.asarray(idx))
                    owner, width = owner[idx], new_width
                if width == full_width:
                    c1 = time.perf_counter()
                    carry, t, done = run_chunk(carry, t, done, keys)
                    jax.block_until_ready(t)
                    chunk_time = time.perf_counter() - c1
                else:
                    carry, t, done = run_chunk(carry, t, done, keys)
                    jax.block_until_ready(t)
                slot_rounds += width * chunk
        width = batch_width(min(cfg.batch_size, len(seeds)), n_dev)
    wall = time.perf_counter() - t_start - compile_time
    for k, v in out_metrics.items():
        _check_finite(k, v)
    return StoppingResult(stopping_time=np.minimum(out_t, cap), stopped=out_done, metrics=out_metrics, seeds=seeds,
                          wall_time=wall, compile_time=compile_time, slot_rounds=slot_rounds)


def _run_batches(run_batch, seeds, cfg: RunConfig, grid, cache_key=None, conditions=()):
    t_start = time.perf_counter()
    outs = []
    n_done = 0
    batches = list(_batches(seeds, cfg.batch_size))
    compiled = None
    compile_time = 0.0
    for b, (batch, valid) in enumerate(batches):
        keys = _shard(seed_keys(cfg.base_seed, batch))
        if compiled is None:  # ahead-of-time compile once: every batch has the same shape
            key = None if cache_key is None else cache_key + (
                len(batch), len(jax.devices()), cfg.rng, bool(jax.config.jax_enable_x64))
            compiled = _COMPILED.get(key) if key is not None else None
            if compiled is None:
                t0 = time.perf_counter()
                with rng.generator(cfg.rng):  # draws are traced here
                    compiled = run_batch.lower(keys).compile()
                compile_time = time.perf_counter() - t0
                _check_buffers(compiled, len(batch))
                if key is not None:
                    _COMPILED[key] = compiled
                    while len(_COMPILED) > _COMPILED_MAX:
                        _COMPILED.popitem(last=False)
        out = jax.device_get(compiled(keys))
        outs.append(jax.tree.map(lambda a: np.asarray(a)[:valid], out))
        n_done += valid
        if cfg.progress and len(batches) > 1:
            _progress(f"  seeds {n_done}/{len(seeds)} ({time.perf_counter() - t_start:.1f}s)")
    out, bad = jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *outs)
    wall = time.perf_counter() - t_start - compile_time
    if bad is not None:
        _raise_invalid(bad[0], bad[1], seeds, conditions)
    for k, v in out.items():
        _check_finite(k, v)
    return FixedHorizonResult(grid=grid, metrics=out, seeds=seeds, wall_time=wall, compile_time=compile_time)
