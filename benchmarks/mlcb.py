"""Throughput of the JAX runner vs a plain NumPy loop and a numba-compiled loop of M-FLCB with GLM experts.

    python benchmarks/mlcb.py            # full: T = 10^4, 1 / 100 / 1000 / 10000 seeds
    python benchmarks/mlcb.py --quick    # tiny settings: checks that every row runs (numbers meaningless)

Setting: the GLM experiment of ``mlcb/figure2`` (K = 4 links, d = 5, rho = 4, theta* = (3 / sqrt 5) 1, logistic
truth), M-FLCB (c = 0.1) with M = 2, T rounds, with the peers' constants on every path: reading A (c_R = 1) and
per-link Lipschitz constants G_i (``SETTING``; the preset's default is reading B with G = 1, the same work per round).

Rows, each in seed-rounds per second (median of timed runs; compilation excluded and reported apart):
* NumPy loop: ``bandits.experts.reference.run_mlcb_glm_numpy``, one seed at a time, written for clarity (the
  reference of the parity test; data drawn beforehand, not timed);
* numba loop: ``benchmarks/mlcb_numba.py``, the same per-seed loop compiled with numba (optional ``bench``
  extra), float64, only the M trained experts touched; on one core, then one process per core over the seeds;
* JAX vmap x scan: the suite's runner on the preset as ``experiments/run.py`` builds it (float32, the preset's
  default), all K experts computed and masked each round, the environment's metrics on the checkpoint grid.
"vs NumPy" and "vs numba" divide a row's rate by the NumPy loop's and by the numba loop's on all cores.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # mlcb_numba, numba_pool, also under ``python -m``
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # experiments

from bandits.core import log_grid, run_fixed_horizon  # noqa: E402
from bandits.experts.glm import PAPER_LINKS  # noqa: E402
from bandits.experts.reference import run_mlcb_glm_numpy  # noqa: E402
from common import machine_line, median_rate, ratio, single_seeds, start_pool, time_seeds  # noqa: E402
from experiments.run import plan_preset  # noqa: E402

try:
    import numba

    import mlcb_numba
except ImportError:  # the optional ``bench`` extra
    numba = mlcb_numba = None

PRESET, ALGORITHM = "mlcb/figure2", "mflcb"
SETTING = ["experiment.hyperparameters.mflcb.reading=A", "experiment.glm.lipschitz=per_link"]  # as the loops below
D, RHO, C = 5, 4.0, 0.1


def numpy_rate(budget, rounds, repeats):
    rng = np.random.default_rng(0)
    theta_star = np.full(D, 3.0 / math.sqrt(D))
    times = []
    for _ in range(repeats):
        g = rng.normal(size=(rounds, D))
        x = g / np.linalg.norm(g, axis=1, keepdims=True)
        y = (rng.uniform(size=rounds) < 1.0 / (1.0 + np.exp(-(x @ theta_star)))).astype(np.float64)
        t0 = time.perf_counter()
        run_mlcb_glm_numpy(x, y, PAPER_LINKS, RHO, budget, c=C)
        times.append(time.perf_counter() - t0)
    return median_rate(rounds, times)


def numba_rates(pool, budget, rounds, seeds, repeats):
    """(rate of a few seeds one after another in this process, rate of ``seeds`` over the pool's processes)."""
    grid = log_grid(rounds, 50)
    one = mlcb_numba.Setting(budget, rounds, grid, c=C)
    few = single_seeds(rounds, seeds)
    single = time_seeds(one.run_seed, few, rounds, repeats), few
    times = [pool.run(range(seeds), budget, rounds, grid, c=C)[2] for _ in range(repeats)]
    return single, median_rate(seeds * rounds, times)


def jax_rate(budget, seeds, rounds, repeats):
    _, _, _, plan = plan_preset(PRESET, [*SETTING, f"experiment.algorithms=[{ALGORITHM}]",
                                         f"experiment.budgets=[{budget}]",
                                         f"experiment.horizon={rounds}", f"experiment.seeds={seeds}",
                                         f"runner.batch_size={max(seeds, 1)}", "runner.progress=false"],
                                warn=lambda msg: None)
    (_, _, _, sim), = plan.jobs
    first = run_fixed_horizon(sim, plan.seeds, plan.cfg, plan.grid)  # compiles ahead of time, then runs
    times = [run_fixed_horizon(sim, plan.seeds, plan.cfg, plan.grid).wall_time for _ in range(repeats)]
    return median_rate(seeds * rounds, times), first.compile_time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=2, help="M")
    ap.add_argument("--rounds", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 100, 1000, 10000], help="JAX seed batches")
    ap.add_argument("--numba-seeds", type=int, default=1000, help="seeds of the numba loop on all cores")
    ap.add_argument("--procs", type=int, default=None, help="numba processes (default: os.cpu_count())")
    ap.add_argument("--quick", action="store_true",
                    help="tiny defaults to check that every row runs (flags given explicitly still apply)")
    if ap.parse_known_args()[0].quick:
        ap.set_defaults(rounds=300, repeats=1, seeds=[1, 8], numba_seeds=8)
    args = ap.parse_args()

    print(machine_line())
    pool = None
    if mlcb_numba is None:
        print("# numba: not installed (optional extra: pip install -e '.[bench]')")
    else:
        compile_s, pool, header = start_pool(mlcb_numba, args.procs)
        print(header)
    print(f"# setting: {PRESET}, {ALGORITHM} (c = {C}), K = 4 GLM experts, d = {D}, M = {args.budget}, "
          f"T = {args.rounds:,}; median of {args.repeats} runs{' [--quick: numbers meaningless]' if args.quick else ''}")
    print("| path | seeds | seed-rounds/s | vs NumPy | vs numba (all cores) | compile (s) |")
    print("|---|---|---|---|---|---|", flush=True)
    try:
        base = numpy_rate(args.budget, args.rounds, args.repeats)
        peer = numba_rates(pool, args.budget, args.rounds, args.numba_seeds, args.repeats) if pool else None
        vs_numba = (lambda r: ratio(r / peer[1])) if peer else (lambda r: "–")
        print(f"| NumPy loop (one seed at a time) | 1 | {base:,.0f} | 1.0x | {vs_numba(base)} | – |")
        if peer is None:
            print("| numba loop | – | numba not installed (`pip install -e '.[bench]'`) | | | – |", flush=True)
        else:
            (single, few), rate = peer
            print(f"| numba loop, 1 process | {few} | {single:,.0f} | {single / base:,.1f}x | {vs_numba(single)} "
                  f"| {compile_s:.1f} |")
            print(f"| numba loop, {pool.procs} processes | {args.numba_seeds} | {rate:,.0f} | {rate / base:,.1f}x "
                  f"| 1.00x | {pool.compile_time:.1f} |", flush=True)
        for s in args.seeds:
            rate, comp = jax_rate(args.budget, s, args.rounds, args.repeats)
            print(f"| JAX vmap x scan | {s} | {rate:,.0f} | {rate / base:,.1f}x | {vs_numba(rate)} | {comp:.1f} |",
                  flush=True)
    finally:
        if pool is not None:
            pool.close()


if __name__ == "__main__":
    main()
