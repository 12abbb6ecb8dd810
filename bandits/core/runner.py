"""The shared runner: ``jit(vmap over seeds (scan over rounds))``.

* Seed ``s`` uses ``fold_in(PRNGKey(base_seed), s)``; chunk ``c`` of its rounds
  uses ``fold_in(seed_key, c)``. So a seed's result never depends on which
  other seeds run beside it, on the batch size, or on the number of devices.
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
from dataclasses import dataclass
from typing import Dict, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import rng
from .batch import SEED_AXIS
from .types import Simulation

INIT_STREAM = 2**31 - 1  # fold_in index of a seed's initial-state key (chunks use 0, 1, ...)


@dataclass(frozen=True)
class RunConfig:
    horizon: int
    chunk: int = 1024  # rounds whose noise is drawn in one PRNG call
    batch_size: int = 1000  # seeds per compiled batch
    base_seed: int = 0
    progress: bool = True
    rng: str = "hash32"  # bulk random generator: hash32 (fast) or threefry, see bandits.core.rng

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
    stopped: np.ndarray  # [S] bool, whether the rule fired before the cap
    metrics: Dict[str, np.ndarray]  # name -> [S] at the stopping time
    seeds: np.ndarray
    wall_time: float  # execution only
    compile_time: float = 0.0


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


def _shard(keys: jax.Array) -> jax.Array:
    """Place the seed axis across all visible devices (no-op with one device)."""
    devices = jax.devices()
    if len(devices) == 1:
        return keys
    mesh = jax.sharding.Mesh(np.array(devices), ("seeds",))
    return jax.device_put(keys, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("seeds")))


def _batches(seeds: np.ndarray, batch_size: int):
    """Equal-size batches (the last one padded by repeating a seed) -> one compile."""
    n_dev = len(jax.devices())
    size = min(batch_size, len(seeds))
    size = -(-size // n_dev) * n_dev  # multiple of the device count for sharding
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

    def per_seed(seed_key):
        carry = sim.init(jax.random.fold_in(seed_key, INIT_STREAM))
        buf = {k: jnp.zeros((G,) + v.shape, v.dtype) for k, v in shapes.items()}

        def chunk_body(state, c):
            noise = sim.sample(jax.random.fold_in(seed_key, c), chunk)

            def round_body(state, xs):
                carry, buf, g = state
                j, noise_t = xs
                t = c * chunk + j
                new = sim.step(carry, noise_t, t)
                if ragged:  # only the last chunk can run past the horizon
                    new = jax.tree.map(lambda a, b: jnp.where(t < horizon, a, b), new, carry)
                hit = t + 1 == grid_padded[g]

                def record(args):
                    buf, g = args
                    m = sim.metrics(new)
                    return {k: buf[k].at[g].set(m[k]) for k in buf}, g + 1

                buf, g = lax.cond(hit, record, lambda a: a, (buf, g))
                return (new, buf, g), None

            state, _ = lax.scan(round_body, state, (jnp.arange(chunk, dtype=jnp.int32), noise))
            _maybe_report(report, c, n_chunks)
            return state, None

        (carry, buf, g), _ = lax.scan(chunk_body, (carry, buf, jnp.int32(0)), jnp.arange(n_chunks, dtype=jnp.int32))
        return buf

    run_batch = jax.jit(jax.vmap(per_seed, axis_name=SEED_AXIS))
    return _run_batches(run_batch, seeds, cfg, grid=grid, kind="fixed")


def run_until_stopped(sim: Simulation, seeds, cfg: RunConfig) -> StoppingResult:
    """Run each seed until ``sim.stopped(carry)`` or ``cfg.horizon`` rounds (the cap).

    The stopping rule is checked after every round; a stopped seed's carry is
    frozen. Chunks run inside a ``while_loop`` whose condition is batched over
    seeds, so the loop ends as soon as *all* seeds in the batch have stopped.
    """
    if sim.stopped is None:
        raise ValueError("run_until_stopped needs a simulation with a stopping rule (sim.stopped)")
    seeds = _validate_seeds(seeds)
    cap, chunk = int(cfg.horizon), int(min(cfg.chunk, cfg.horizon))

    def per_seed(seed_key):
        carry = sim.init(jax.random.fold_in(seed_key, INIT_STREAM))

        def cond(state):
            _, t, done = state
            return jnp.logical_and(~done, t < cap)

        def body(state):
            carry, t0, done = state
            noise = sim.sample(jax.random.fold_in(seed_key, t0 // chunk), chunk)

            def round_body(state, xs):
                carry, t, done = state
                noise_t = xs
                active = jnp.logical_and(~done, t < cap)
                new = sim.step(carry, noise_t, t)
                carry = jax.tree.map(lambda a, b: jnp.where(active, a, b), new, carry)
                t = t + active.astype(t.dtype)
                done = jnp.logical_or(done, jnp.logical_and(active, sim.stopped(carry)))
                return (carry, t, done), None

            (carry, t, done), _ = lax.scan(round_body, (carry, t0, done), noise)
            # keep the chunk index aligned even if the seed stopped mid-chunk
            return carry, jnp.where(done, t, t0 + chunk), done

        carry, t, done = lax.while_loop(cond, body, (carry, jnp.int32(0), jnp.bool_(False)))
        # t counts rounds actually played when stopped; otherwise it is the cap
        return sim.metrics(carry), jnp.minimum(t, cap), done

    run_batch = jax.jit(jax.vmap(per_seed, axis_name=SEED_AXIS))
    return _run_batches(run_batch, seeds, cfg, grid=None, kind="stopping")


def _run_batches(run_batch, seeds, cfg: RunConfig, grid, kind):
    t_start = time.perf_counter()
    outs = []
    n_done = 0
    batches = list(_batches(seeds, cfg.batch_size))
    compiled = None
    compile_time = 0.0
    for b, (batch, valid) in enumerate(batches):
        keys = _shard(seed_keys(cfg.base_seed, batch))
        if compiled is None:  # ahead-of-time compile once: every batch has the same shape
            t0 = time.perf_counter()
            with rng.generator(cfg.rng):  # draws are traced here
                compiled = run_batch.lower(keys).compile()
            compile_time = time.perf_counter() - t0
        out = jax.device_get(compiled(keys))
        outs.append(jax.tree.map(lambda a: np.asarray(a)[:valid], out))
        n_done += valid
        if cfg.progress and len(batches) > 1:
            _progress(f"  seeds {n_done}/{len(seeds)} ({time.perf_counter() - t_start:.1f}s)")
    out = jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *outs)
    wall = time.perf_counter() - t_start - compile_time
    if kind == "fixed":
        for k, v in out.items():
            _check_finite(k, v)
        return FixedHorizonResult(grid=grid, metrics=out, seeds=seeds, wall_time=wall, compile_time=compile_time)
    metrics, t, done = out
    for k, v in metrics.items():
        _check_finite(k, v)
    return StoppingResult(stopping_time=t, stopped=done, metrics=metrics, seeds=seeds, wall_time=wall,
                          compile_time=compile_time)
