"""Throughput of the JAX runner vs a plain NumPy per-seed loop of the same ATA algorithm.

    python benchmarks/ata.py [--rounds 2000] [--repeats 5] [--seeds 1 100 1000 10000]

Setting: Table 1, n = 17 workers, B = 23, X_i = 29 sqrt(i) + Exp(29 sqrt(i)), ATA with
alpha = 2 max mu_i. Prints seed-rounds per second (median of --repeats timed runs,
compilation excluded and reported apart) and the speed-up over NumPy.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import jax
import numpy as np

from bandits.allocation import build, make_problem
from bandits.allocation.reference import run_ata_numpy
from bandits.core import RunConfig, log_grid, run_fixed_horizon


def numpy_rate(problem, alpha, rounds, repeats):
    rng = np.random.default_rng(0)
    scales = np.asarray(problem.params.scales, dtype=np.float64)
    times = []
    for _ in range(repeats):
        z = rng.exponential(size=(rounds, problem.budget))
        words = rng.integers(0, 2**32, size=rounds, dtype=np.uint64).astype(np.uint32)
        t0 = time.perf_counter()
        run_ata_numpy(z, words, scales, problem.budget, alpha=alpha)
        times.append(time.perf_counter() - t0)
    return rounds / statistics.median(times)


def jax_rate(problem, alpha, seeds, rounds, repeats):
    sim = build("ata", problem, alpha=alpha)
    cfg = RunConfig(horizon=rounds, chunk=min(1024, rounds), batch_size=max(seeds, 1), progress=False)
    grid = log_grid(rounds, 20)
    first = run_fixed_horizon(sim, range(seeds), cfg, grid)
    times = [run_fixed_horizon(sim, range(seeds), cfg, grid).wall_time for _ in range(repeats)]
    return seeds * rounds / statistics.median(times), first.compile_time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 100, 1000, 10000])
    ap.add_argument("--n", type=int, default=17)
    args = ap.parse_args()
    problem = make_problem(args.n, 23, base=29.0, power=0.5)
    alpha = 2 * float(np.max(np.asarray(problem.params.means)))
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"jax {jax.__version__} ({jax.default_backend()}), x64={jax.config.jax_enable_x64}")
    print(f"# setting: ATA, n={args.n}, B=23, {args.rounds} rounds, median of {args.repeats} runs")
    base = numpy_rate(problem, alpha, args.rounds, max(1, args.repeats // 2 + 1))
    print("| path | seeds | seed-rounds/s | speed-up vs NumPy | compile (s) |")
    print("|---|---|---|---|---|")
    print(f"| NumPy loop (one seed at a time) | 1 | {base:,.0f} | 1.0x | – |", flush=True)
    for s in args.seeds:
        rate, comp = jax_rate(problem, alpha, s, args.rounds, args.repeats)
        print(f"| JAX vmap x scan | {s} | {rate:,.0f} | {rate / base:,.1f}x | {comp:.1f} |", flush=True)


if __name__ == "__main__":
    main()
