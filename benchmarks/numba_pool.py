"""One process per core for the numba peers of the benchmarks (``ata_numba``, ``mlcb_numba``, ...).

A peer module (importable from ``benchmarks/``, numpy and numba only: the processes stay light) provides

* ``compile_now() -> float``: compile its loop (or load it from numba's on-disk cache) with one tiny call;
* ``Setting(*args, **kwargs)`` with ``run_seed(seed) -> (metrics array, scalar count)``: everything one
  seed's loop needs, built once per process and setting.

``Pool(module_name, procs)`` spawns ``procs`` processes (default ``os.cpu_count()``; spawned, so the
parent's threads, e.g. JAX's, are never forked); each compiles in its initializer, before any timing.
``run(seeds, *args, **kwargs)`` spreads the seeds over the processes in blocks and returns (metrics
[S, ...] in seed order, the counts summed, wall seconds).
"""
from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import time

import numpy as np

_MODULE = None
_SETTINGS: dict = {}
_COMPILE = 0.0


def _init_worker(module_name, path):
    global _MODULE, _COMPILE
    import sys

    if path not in sys.path:
        sys.path.insert(0, path)
    _MODULE = importlib.import_module(module_name)
    _COMPILE = _MODULE.compile_now()  # before this process takes any task


def _hello(_):
    time.sleep(0.05)
    return os.getpid(), _COMPILE


def _run_block(task):
    key, seeds = task
    st = _SETTINGS.get(key)
    if st is None:
        _SETTINGS.clear()
        args, kwargs = key
        st = _SETTINGS[key] = _MODULE.Setting(*args, **dict(kwargs))
    outs, count = [], 0
    for seed in seeds:
        out, c = st.run_seed(int(seed))
        outs.append(out)
        count += c
    return np.stack(outs), count


def _hashable(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return tuple(_hashable(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v))
    return v


class Pool:
    """``procs`` spawned processes running ``module_name``'s ``Setting.run_seed``, each compiled before timing.

    ``compile_time``: the longest compilation of one process (they compile in parallel, before any timing)."""

    def __init__(self, module_name: str, procs=None):
        self.procs = int(procs or os.cpu_count() or 1)
        t0 = time.perf_counter()
        path = os.path.dirname(os.path.abspath(__file__))
        self._pool = mp.get_context("spawn").Pool(self.procs, initializer=_init_worker, initargs=(module_name, path))
        seen = {}
        for _ in range(50):  # a process answers only once its initializer (compilation) is done
            seen.update(self._pool.map(_hello, range(2 * self.procs), chunksize=1))
            if len(seen) >= self.procs:
                break
        self.compile_time = max(seen.values())
        self.setup_time = time.perf_counter() - t0

    def run(self, seeds, *args, **kwargs):
        key = (_hashable(args), tuple(sorted((k, _hashable(v)) for k, v in kwargs.items())))
        seeds = np.asarray(list(seeds), np.int64)
        blocks = [(key, b.tolist()) for b in np.array_split(seeds, min(len(seeds), self.procs * 4))]
        t0 = time.perf_counter()
        res = self._pool.map(_run_block, blocks, chunksize=1)
        wall = time.perf_counter() - t0
        return np.concatenate([r[0] for r in res]), sum(r[1] for r in res), wall

    def close(self):
        self._pool.close()
        self._pool.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
