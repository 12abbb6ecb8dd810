"""Throughput of the JAX runner vs a plain NumPy loop and a numba-compiled loop of the same ATA algorithm.

    python benchmarks/ata.py            # full: n = 17 and 459, 2000 rounds and a long horizon
    python benchmarks/ata.py --quick    # tiny settings: checks that every row runs (numbers meaningless)

Setting: Table 1, B = 23, X_i = c_i + Exp(c_i) with c_i = 29 sqrt(i), ATA with alpha = 2 max mu_i, at
n = 17 and n = 459 workers. Two horizons per n: 2000 rounds (almost all uniform exploration) and a long one
where exploitation (water-filling) dominates (--long-rounds, fewer seeds: --long-seeds); the "exploiting"
column is the share of rounds that water-filled, counted by the numba loop over the same seeds.

Rows, each in seed-rounds per second (median of timed runs; compilation excluded and reported apart):
* NumPy loop: ``bandits.allocation.reference``, one seed at a time, written for clarity;
* numba loop: ``benchmarks/ata_numba.py``, the same per-seed loop compiled with numba (optional ``bench``
  extra: ``pip install -e '.[bench]'``), on one core, then one process per core over the seeds;
* JAX vmap x scan: the suite's runner (``run_fixed_horizon``) over a batch of seeds.
"vs NumPy" and "vs numba" divide a row's rate by the NumPy loop's and by the numba loop's on all cores.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # ata_numba, common, also under ``python -m``

from bandits.allocation import build, make_problem  # noqa: E402
from bandits.allocation.reference import run_ata_numpy  # noqa: E402
from bandits.core import RunConfig, log_grid, run_fixed_horizon  # noqa: E402
from common import machine_line, median_rate, ratio, single_seeds, start_pool, time_seeds  # noqa: E402

try:
    import numba

    import ata_numba
except ImportError:  # the optional ``bench`` extra
    numba = ata_numba = None

BUDGET = 23
BASE, POWER = 29.0, 0.5  # c_i = 29 sqrt(i)


def setting(n):
    """(scales c_i, alpha = 2 max mu_i) of the shifted exponential X_i = c_i + Exp(c_i): mu_i = 2 c_i."""
    scales = BASE * np.arange(1, n + 1, dtype=np.float64) ** POWER
    return scales, 2.0 * float(np.max(2.0 * scales))


# ------------------------------------------------------------------ the three paths

def numpy_rate(n, rounds, repeats):
    scales, alpha = setting(n)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(repeats):
        z = rng.exponential(size=(rounds, BUDGET))
        words = rng.integers(0, 2**32, size=rounds, dtype=np.uint64).astype(np.uint32)
        t0 = time.perf_counter()
        run_ata_numpy(z, words, scales, BUDGET, alpha=alpha)
        times.append(time.perf_counter() - t0)
    return median_rate(rounds, times)


def numba_rates(pool, n, rounds, seeds, repeats):
    """(rate of a few seeds one after another in this process, of all ``seeds`` over the pool's processes,
    share of exploiting rounds, the processes' compile seconds)."""
    _, alpha = setting(n)
    grid = log_grid(rounds, 20)
    one = ata_numba.Setting(n, BUDGET, rounds, grid, alpha=alpha, base=BASE, power=POWER)
    single = time_seeds(one.run_seed, single_seeds(rounds, seeds), rounds, repeats)
    times = []
    for _ in range(repeats):
        _, exploit, wall = pool.run(range(seeds), n, BUDGET, rounds, grid, alpha=alpha, base=BASE, power=POWER)
        times.append(wall)
    return single, median_rate(seeds * rounds, times), exploit / (seeds * rounds), pool.compile_time


def jax_rate(n, seeds, rounds, repeats, count_first=False):
    """Median over ``repeats`` timed executions after the first (compiling) run, or, with ``count_first`` (long
    horizons), over that run's execution (its compilation is timed apart) and ``repeats`` - 1 more."""
    _, alpha = setting(n)
    problem = make_problem(n, BUDGET, base=BASE, power=POWER)
    sim = build("ata", problem, alpha=alpha)
    cfg = RunConfig(horizon=rounds, chunk=min(1024, rounds), batch_size=max(seeds, 1), progress=False)
    grid = log_grid(rounds, 20)
    first = run_fixed_horizon(sim, range(seeds), cfg, grid)  # compiles ahead of time, then runs
    times = [first.wall_time] if count_first else []
    times += [run_fixed_horizon(sim, range(seeds), cfg, grid).wall_time for _ in range(repeats - len(times))]
    return median_rate(seeds * rounds, times), first.compile_time


# ------------------------------------------------------------------ one table per (n, horizon)

def section(n, rounds, jax_seeds, numba_seeds, repeats, args, pool, long=False):
    print(f"\n## n = {n}, B = {BUDGET}, {rounds:,} rounds", flush=True)
    print("| path | seeds | seed-rounds/s | vs NumPy | vs numba (all cores) | exploiting | compile (s) |")
    print("|---|---|---|---|---|---|---|", flush=True)
    base = numpy_rate(n, rounds, max(1, repeats // 2 + 1)) if rounds <= args.numpy_max_rounds else None
    peer = numba_rates(pool, n, rounds, numba_seeds, repeats) if pool is not None else None
    vs_numpy = (lambda r: f"{r / base:,.1f}x") if base else (lambda r: "–")
    vs_numba = (lambda r: ratio(r / peer[1])) if peer else (lambda r: "–")
    if base:
        print(f"| NumPy loop (one seed at a time) | 1 | {base:,.0f} | 1.0x | {vs_numba(base)} | | – |")
    else:
        print(f"| NumPy loop (one seed at a time) | 1 | not run (> --numpy-max-rounds {args.numpy_max_rounds:,}) "
              f"| | | | – |")
    if peer is None:
        print("| numba loop | – | numba not installed (`pip install -e '.[bench]'`) | | | | – |", flush=True)
    else:
        single, rate, exploit, comp = peer
        print(f"| numba loop, 1 process | {single_seeds(rounds, numba_seeds)} | {single:,.0f} | {vs_numpy(single)} "
              f"| {vs_numba(single)} | | {args.numba_compile:.1f} |")
        print(f"| numba loop, {pool.procs} processes | {numba_seeds} | {rate:,.0f} | {vs_numpy(rate)} | 1.00x | "
              f"{exploit:.0%} | {comp:.1f} |", flush=True)
    for s in jax_seeds:
        rate, comp = jax_rate(n, s, rounds, repeats, count_first=long)
        print(f"| JAX vmap x scan | {s} | {rate:,.0f} | {vs_numpy(rate)} | {vs_numba(rate)} | | {comp:.1f} |",
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[17, 459])
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 100, 1000, 10000], help="JAX seed batches")
    ap.add_argument("--numba-seeds", type=int, default=1000, help="seeds of the numba loop on all cores")
    ap.add_argument("--long-rounds", type=int, nargs="+", default=[100_000, 5_000_000],
                    help="long horizon per --n (one value: all n); 0 skips it")
    ap.add_argument("--long-seeds", type=int, nargs="+", default=[100, 16],
                    help="seeds of the long horizon per --n, the same for JAX and numba")
    ap.add_argument("--long-repeats", type=int, default=1,
                    help="timed runs on long horizons; the compiling JAX run's execution counts as the first")
    ap.add_argument("--numpy-max-rounds", type=int, default=200_000, help="longer horizons skip the NumPy loop")
    ap.add_argument("--procs", type=int, default=None, help="numba processes (default: os.cpu_count())")
    ap.add_argument("--quick", action="store_true",
                    help="tiny defaults to check that every row runs (flags given explicitly still apply)")
    if ap.parse_known_args()[0].quick:
        ap.set_defaults(rounds=200, repeats=1, seeds=[1, 8], numba_seeds=8, long_rounds=[3000], long_seeds=[4],
                        numpy_max_rounds=3000)
    args = ap.parse_args()
    per_n = lambda xs, i: xs[i] if len(xs) > i else xs[-1]  # noqa: E731

    print(machine_line())
    pool = None
    if ata_numba is None:
        print("# numba: not installed (optional extra: pip install -e '.[bench]')")
    else:
        args.numba_compile, pool, header = start_pool(ata_numba, args.procs)
        print(header)
    print(f"# setting: ATA, B={BUDGET}, c_i = 29 sqrt(i), alpha = 2 max mu_i; median of {args.repeats} runs "
          f"({args.long_repeats} on long horizons){' [--quick: numbers meaningless]' if args.quick else ''}")
    try:
        for n in args.n:
            section(n, args.rounds, args.seeds, args.numba_seeds, args.repeats, args, pool)
        for i, n in enumerate(args.n):
            rounds, seeds = per_n(args.long_rounds, i), per_n(args.long_seeds, i)
            if rounds > 0:
                section(n, rounds, [seeds], seeds, args.long_repeats, args, pool, long=True)
    finally:
        if pool is not None:
            pool.close()


if __name__ == "__main__":
    main()
