"""What every benchmark script shares: rates, ratios, the machine line, the numba pool header, single-seed timing."""
from __future__ import annotations

import os
import platform
import statistics
import time


def median_rate(work, times):
    """work / median(times): seed-rounds per second of repeated timed runs."""
    return work / statistics.median(times)


def ratio(x):
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.3f}x"


def machine_line() -> str:
    import jax

    return (f"# machine: {platform.processor() or platform.machine()} ({platform.platform()}), {os.cpu_count()} "
            f"cores, jax {jax.__version__} ({jax.default_backend()}), x64={jax.config.jax_enable_x64}")


def single_seeds(rounds, seeds, work=200_000):
    """Seeds of a one-process numba row: one after another in this process, about ``work`` seed-rounds in all."""
    return max(1, min(seeds, work // rounds))


def time_seeds(run_seed, few, rounds, repeats):
    """Rate of ``run_seed(0 .. few - 1)`` one after another, median of ``repeats`` timed passes."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for seed in range(few):
            run_seed(seed)
        times.append(time.perf_counter() - t0)
    return median_rate(few * rounds, times)


def start_pool(module, procs=None):
    """(compile seconds here, ``numba_pool.Pool`` over ``module``, header line) for a numba peer module."""
    import numba

    from numba_pool import Pool

    compile_s = module.compile_now()
    how = "loaded from numba's cache" if module.from_cache() else "compiled"
    pool = Pool(module.__name__, procs)
    per_core = " (one per core)" if pool.procs == os.cpu_count() else ""
    return compile_s, pool, (f"# numba {numba.__version__}: {pool.procs} processes{per_core}; the loop {how} in "
                             f"{compile_s:.1f} s here, in {pool.compile_time:.1f} s in each process, before timing")
