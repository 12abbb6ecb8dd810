"""Throughput of the JAX runner vs a plain NumPy loop and a numba-compiled loop of the online-submodular algorithms.

    python benchmarks/submodular.py            # full: n = 50, 200 rounds, 1 / 100 / 1000 JAX seeds
    python benchmarks/submodular.py --quick    # tiny settings: checks that every row runs (numbers meaningless)

Settings (Harvey, Liaw, Soma 2020; spec shared/specs/submodular.md), each built by the paper's ``problems`` from
a preset-style spec (instance_seed 0, i.i.d. adversary keeping each component w.p. ½, q = 1, scale 1):
(a) Algorithm 6 (``ocg``: first-order steps, curvature decomposition, exact gradients) on weighted coverage,
    n = 50 elements, 150 items, uniform matroid of rank k = 5, L = 20 learners;
(b) online double greedy with Blackwell learners (``odg``) on graph cut of G(50, 0.3) with U[0, 1] weights.

Rows, each in seed-rounds per second (median of timed runs; compilation excluded and reported apart):
* NumPy loop: ``bandits.submodular.reference``, one seed at a time, written for clarity (its own function
  draws and uniforms, not timed; fewer rounds, --numpy-rounds: a round's work does not change over a run);
* numba loop: ``benchmarks/submodular_numba.py``, the same per-seed loops compiled with numba (optional
  ``bench`` extra: ``pip install -e '.[bench]'``), on one core, then one process per core over the seeds;
* JAX vmap x scan: the suite's runner (``run_fixed_horizon``) on the simulation ``plan_experiment`` builds
  for the preset (the path of ``bandits-bench experiment=submodular/...``), float32 as the presets run.
"vs NumPy" and "vs numba" divide a row's rate by the NumPy loop's and by the numba loop's on all cores.
Runs of more than --big-work seed-rounds are timed --big-repeats times, the compiling run's execution first.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # submodular_numba, also under ``python -m``

from bandits.core import run_fixed_horizon  # noqa: E402
from common import machine_line, median_rate, ratio, single_seeds, start_pool, time_seeds  # noqa: E402
from bandits.core.experiment import plan_experiment  # noqa: E402
from bandits.submodular.paper import PAPER, SubmodularExperiment  # noqa: E402
from bandits.submodular.reference import run_monotone_coverage_numpy, run_usm_cut_numpy  # noqa: E402

try:
    import numba

    import submodular_numba
except ImportError:  # the optional ``bench`` extra
    numba = submodular_numba = None

RUNNER = dict(chunk=1024, batch_size=1000, base_seed=0, rng="hash32", progress=False)  # configs/runner/default.yaml
KEEP = 0.5
CHECKPOINTS = 40  # as the presets (configs/experiment/submodular/_base.yaml)


# ------------------------------------------------------------------ the problem, as a preset builds it

class Setting:
    """One algorithm on one problem: the JAX simulation and plan, and the instance as NumPy arrays."""

    def __init__(self, algo, args, rounds):
        self.algo = algo
        if algo == "ocg":
            kw = dict(family="coverage", matroid="uniform", k=args.k, hyperparameters={"ocg": {"L": args.L}})
        else:
            kw = dict(family="er_cut", matroid="none")
        spec = SubmodularExperiment(name=f"bench/{algo}", paper="submodular", algorithms=[algo], horizon=rounds,
                                    seeds=1, n=args.n, adversary="iid", keep=KEEP, checkpoints=CHECKPOINTS, **kw)
        t0 = time.perf_counter()
        self.plan = plan_experiment(PAPER, spec, RUNNER)
        self.build_time = time.perf_counter() - t0
        problem, _, _, self.sim = self.plan.jobs[0]
        self.label, self.comparator = problem.label, problem.columns["comparator"]
        p = problem.params
        f64 = lambda a: np.asarray(a, np.float64)  # noqa: E731  (the float32 instance, exactly)
        common = dict(keep=float(p.adv.keep), q=float(p.adv.q), scale=float(p.scale), opt_mask=f64(p.opt_mask),
                      alpha=float(p.alpha))
        if algo == "ocg":
            self.arrays = dict(probs=f64(p.base.probs), weights=f64(p.base.weights), k=args.k, L=args.L, **common)
        else:
            self.arrays = dict(adjacency=f64(p.base.adjacency), total=float(p.base.total), **common)
        self.n = args.n

    def numba_kwargs(self, rounds, grid):
        return dict(self.arrays, rounds=rounds, grid=np.asarray(grid, np.int64))

    def numpy_run(self, rounds, rng):
        """Draws one seed's functions and uniforms (i.i.d. adversary, not timed); returns the timed call."""
        a = self.arrays
        active = a["scale"] * (rng.uniform(size=rounds) < a["q"])
        if self.algo == "ocg":
            weights = a["weights"] * (rng.uniform(size=(rounds, a["weights"].size)) < a["keep"])
            u = rng.uniform(size=(rounds, self.n - 1))
            return lambda: run_monotone_coverage_numpy(a["probs"], weights, a["k"], a["L"], u, active=active,
                                                       horizon=rounds)
        w = (rng.uniform(size=(rounds, self.n)) < a["keep"]).astype(np.float64)
        v = rng.uniform(size=(rounds, self.n))
        return lambda: run_usm_cut_numpy(a["adjacency"], w, a["total"], v, active=active, horizon=rounds)


# ------------------------------------------------------------------ the three paths

def numpy_rate(setting, rounds, repeats):
    rng = np.random.default_rng(0)
    times = []
    for _ in range(repeats):
        run = setting.numpy_run(rounds, rng)
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return median_rate(rounds, times)


def numba_rates(pool, setting, rounds, seeds, repeats, work):
    """(rate of a few seeds one after another in this process, of all ``seeds`` over the pool's processes)."""
    kind = "monotone" if setting.algo == "ocg" else "usm"
    kw = setting.numba_kwargs(rounds, setting.plan.grid)
    one = submodular_numba.make_setting(kind, **kw)
    few = single_seeds(rounds, seeds, work)
    single = time_seeds(one.run_seed, few, rounds, repeats)
    times = [pool.run(range(seeds), kind, **kw)[2] for _ in range(repeats)]
    return single, median_rate(seeds * rounds, times)


def jax_rate(setting, seeds, rounds, repeats, count_first=False):
    """Median over ``repeats`` timed executions after the first (compiling) run, or, with ``count_first`` (big
    runs), over that run's execution (its compilation is timed apart) and ``repeats`` - 1 more."""
    cfg, grid = setting.plan.cfg, setting.plan.grid
    first = run_fixed_horizon(setting.sim, range(seeds), cfg, grid)  # compiles ahead of time, then runs
    times = [first.wall_time] if count_first else []
    times += [run_fixed_horizon(setting.sim, range(seeds), cfg, grid).wall_time for _ in range(repeats - len(times))]
    return median_rate(seeds * rounds, times), first.compile_time


# ------------------------------------------------------------------ one table per algorithm

TITLES = {
    "ocg": "(a) Algorithm 6 (ocg): weighted coverage, n = {n}, k = {k}, L = {L}",
    "odg": "(b) online double greedy (odg): graph cut G(n, 0.3), n = {n}",
}


def section(algo, args, pool):
    rounds = args.rounds
    setting = Setting(algo, args, rounds)
    print(f"\n## {TITLES[algo].format(n=args.n, k=args.k, L=args.L)}, {rounds:,} rounds", flush=True)
    print(f"problem `{setting.label}` (comparator: {setting.comparator}; built in {setting.build_time:.1f} s)\n")
    print("| path | seeds | seed-rounds/s | vs NumPy | vs numba (all cores) | compile (s) |")
    print("|---|---|---|---|---|---|", flush=True)
    nrounds = min(rounds, args.numpy_rounds)
    base = numpy_rate(setting, nrounds, max(1, args.repeats // 2 + 1)) if nrounds > 0 else None
    peer = numba_rates(pool, setting, rounds, args.numba_seeds, args.repeats, args.numba_single_work) \
        if pool is not None else None
    vs_numpy = (lambda r: f"{r / base:,.1f}x") if base else (lambda r: "–")
    vs_numba = (lambda r: ratio(r / peer[1])) if peer else (lambda r: "–")
    if base:
        print(f"| NumPy loop (one seed at a time; {nrounds:,} rounds) | 1 | {base:,.0f} | 1.0x | {vs_numba(base)} "
              f"| – |")
    else:
        print("| NumPy loop (one seed at a time) | 1 | not run (--numpy-rounds 0) | | | – |")
    if peer is None:
        print("| numba loop | – | numba not installed (`pip install -e '.[bench]'`) | | | – |", flush=True)
    else:
        single, rate = peer
        few = single_seeds(rounds, args.numba_seeds, args.numba_single_work)
        print(f"| numba loop, 1 process | {few} | {single:,.0f} | {vs_numpy(single)} | {vs_numba(single)} "
              f"| {args.numba_compile:.1f} |")
        print(f"| numba loop, {pool.procs} processes | {args.numba_seeds} | {rate:,.0f} | {vs_numpy(rate)} | 1.00x "
              f"| {pool.compile_time:.1f} |", flush=True)
    for s in args.seeds:
        big = s * rounds > args.big_work
        rate, comp = jax_rate(setting, s, rounds, args.big_repeats if big else args.repeats, count_first=big)
        print(f"| JAX vmap x scan | {s} | {rate:,.0f} | {vs_numpy(rate)} | {vs_numba(rate)} | {comp:.1f} |",
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--algorithms", nargs="+", choices=sorted(TITLES), default=["ocg", "odg"])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--k", type=int, default=5, help="rank of the uniform matroid (ocg)")
    ap.add_argument("--L", type=int, default=20, help="learners of Algorithm 6 (ocg)")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 100, 1000], help="JAX seed batches")
    ap.add_argument("--numba-seeds", type=int, default=1000, help="seeds of the numba loop on all cores")
    ap.add_argument("--numba-single-work", type=int, default=20_000,
                    help="seed-rounds of the one-process numba row (whole seeds, one after another)")
    ap.add_argument("--numpy-rounds", type=int, default=100, help="rounds of the NumPy loop (0 skips it)")
    ap.add_argument("--big-work", type=int, default=50_000,
                    help="JAX runs of more seed-rounds are timed --big-repeats times")
    ap.add_argument("--big-repeats", type=int, default=1,
                    help="timed runs of big JAX runs; the compiling run's execution counts as the first")
    ap.add_argument("--procs", type=int, default=None, help="numba processes (default: os.cpu_count())")
    ap.add_argument("--quick", action="store_true",
                    help="tiny defaults to check that every row runs (flags given explicitly still apply)")
    if ap.parse_known_args()[0].quick:
        # seeds 1 and 2 share one compiled batch (the runner pads a batch to at least 2 seeds)
        ap.set_defaults(rounds=40, repeats=1, seeds=[1, 2], numba_seeds=4, numba_single_work=40, numpy_rounds=4)
    args = ap.parse_args()

    print(machine_line())
    pool = None
    if submodular_numba is None:
        print("# numba: not installed (optional extra: pip install -e '.[bench]')")
    else:
        args.numba_compile, pool, header = start_pool(submodular_numba, args.procs)
        print(header)
    print(f"# settings: i.i.d. adversary (keep {KEEP}), q = 1; runner {RUNNER['rng']}, chunk {RUNNER['chunk']}; "
          f"median of {args.repeats} runs ({args.big_repeats} for JAX runs over {args.big_work:,} seed-rounds)"
          f"{' [--quick: numbers meaningless]' if args.quick else ''}")
    try:
        for algo in args.algorithms:
            section(algo, args, pool)
    finally:
        if pool is not None:
            pool.close()


if __name__ == "__main__":
    main()
