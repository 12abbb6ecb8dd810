"""Throughput of LAGEX and LATS: the JAX runner vs a plain NumPy/SciPy loop, beside the authors' measured rate.

    python benchmarks/lats.py            # full: setup1-hard and imdb, 1, 100 and 1000 seeds (about an hour on
                                         # 2 cores, most of it LATS on imdb at 1000 seeds)
    python benchmarks/lats.py --quick    # tiny settings: checks that every row runs (numbers meaningless)
    python benchmarks/lats.py --envs setup1-hard --stopping paper joint_glr/paper joint_glr/joint \
        --stopping-cap 2048                  # LAGEX under each stopping rule (spec section 11), same run

Setting: the presets ``lats/setup1_hard`` (K = 7, d = 2, delta = 0.01) and ``lats/imdb`` (K = 12, d = 3,
delta = 0.1) with their defaults (threshold ``paper``, C-tracking, allocation over the simplex, recomputed every
round, float64 as the CLI forces for this paper). Each seed runs until its GLR stopping rule fires or the cap
(``runner.max_horizon``, --cap, per environment): the stopping times of these environments run to thousands of
rounds (T_F kl(delta, 1 - delta) is printed per environment), far more than a benchmark can afford for LATS at
1000 seeds, so most seeds are censored at the cap and every path runs the same first rounds of its seeds
(warm-up included: K rounds, one per arm). Default caps: 128 rounds on setup1-hard, 64 on imdb (multiples of the
runner's stopping chunk of 64 rounds, which the runner computes whole).

Rows, each in seed-steps per second (a seed-step is one round of one seed; a path's seed-steps are the sum of the
rounds its seeds ran: stopping times, or the cap):
* authors' code: ``CGE_Lag.py`` (their LAGEX) on setup 1 hard, measured once on the 2-core reference machine at
  68.6 ms per seed-step = 14.6 seed-steps/s; printed as measured, never re-run here. Their CTnS-WLag
  (``CnTS_WLag.py``) did not finish one seed in 10 minutes. Nothing was measured for LATS or on imdb.
* NumPy/SciPy loop: ``benchmarks/lats_scipy.py``, one seed at a time, SciPy ``linprog`` (the LP over F_hat, the
  Slater slack) and, for LATS, ``minimize`` (SLSQP, the max-min allocation) every round, as the authors' code
  does, on the same algorithm; seeds 0, 1, ... each up to the cap until --scipy-steps seed-steps are done;
* JAX: the suite's runner (``run_until_stopped``, vmap over seeds x scan over rounds, slots refilled as seeds
  stop) on the plan ``plan_experiment`` builds from the preset, as ``bandits-bench experiment=lats/<env>
  runner.max_horizon=<cap>`` would run it.
Times are medians of --repeats timed runs (JAX: after a first run that compiles, whose extra time is the
"compile" column; --long-repeats where that first run took over --long-seconds); "stopped" counts the seeds
whose rule fired before the cap. "vs NumPy/SciPy" and "vs authors" divide a row's rate by the SciPy loop's and
by 14.6 (authors: LAGEX on setup 1 hard only). The JAX row at 1 seed runs a batch of 16 slots, 15 idle (the
runner pads every batch to 16 seeds per device: ``LANES``). ``--batch-size`` adds JAX rows with other batch widths
(``runner.batch_size``; default 1000, the runner's): on imdb a batch of 16 slots runs faster than one of 112 or
1000 (its vertex arrays are [batch, 1365, 12]); the batch size never changes a seed's result.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

import jax
import numpy as np
import scipy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lats_scipy, common, also under ``python -m``
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # experiments

jax.config.update("jax_enable_x64", True)  # the paper forces float64 (the CLI does this before building a plan)

import lats_scipy  # noqa: E402

from bandits.core.runner import batch_width, run_until_stopped  # noqa: E402
from bandits.exploration.stopping import RULES as STOPPING_RULES  # noqa: E402
from common import machine_line, median_rate  # noqa: E402
from experiments.run import plan_preset, quiet_jax_logs  # noqa: E402

AUTHORS_MS_PER_STEP = 68.6  # CGE_Lag.py (their LAGEX), setup 1 hard, the 2-core reference machine
AUTHORS_RATE = 14.6  # = 1000 / 68.6, seed-steps per second
PRESETS = {"setup1-hard": "setup1_hard", "imdb": "imdb"}
CAPS = {"setup1-hard": 128, "imdb": 64}  # default caps (multiples of the runner's stopping chunk of 64 rounds)
DISPLAY = {"lagex": "LAGEX", "lats": "LATS"}


def ratio(x):
    """A speed-up; the ratios here run to 10^4 (``common.ratio``'s two decimals would clutter them)."""
    return f"{x:,.0f}x" if x >= 100 else (f"{x:.1f}x" if x >= 0.1 else f"{x:.3f}x")


# ------------------------------------------------------------------ the plan, as the CLI builds it

def plan_for(env, algorithms, seeds, cap, stopping=()):
    """The preset ``lats/<env>`` as ``bandits-bench experiment=lats/<env> runner.max_horizon=<cap>`` builds it
    (``stopping``: extra overrides, e.g. ``experiment.stopping=joint_glr``)."""
    _, _, _, plan = plan_preset(f"lats/{PRESETS[env]}", [f"experiment.algorithms=[{','.join(algorithms)}]",
                                                        f"experiment.seeds={seeds}", f"runner.max_horizon={cap}",
                                                        "runner.progress=false", *stopping], warn=lambda msg: None)
    return plan


def stopping_overrides(spec: str) -> list[str]:
    """'rule' or 'rule/threshold' -> the overrides (a rule that needs a slack, pessimistic_optimistic, gets
    r = 0.05)."""
    rule, _, threshold = spec.partition("/")
    out = [f"experiment.stopping={rule}"] + ([f"experiment.stopping_threshold={threshold}"] if threshold else [])
    return out + ([f"experiment.r={{{rule}: 0.05}}"] if STOPPING_RULES[rule].needs_r else [])


# ------------------------------------------------------------------ the paths

def scipy_rate(env, algorithm, cap, steps, repeats):
    """(seed-steps/s, seeds used, stopped seeds) of the SciPy loop: seeds 0, 1, ... one after another, each until
    it stops or the cap, until ``steps`` seed-steps are done (the same seeds in every repeat)."""
    inst = lats_scipy.instance(env)
    times = []
    for _ in range(repeats):
        done, seed, stopped = 0, 0, 0
        t0 = time.perf_counter()
        while done < steps:
            res = lats_scipy.run_seed(inst, algorithm, min(cap, steps - done), seed=seed)
            done += res.tau
            stopped += res.stopped
            seed += 1
        times.append(time.perf_counter() - t0)
    return median_rate(done, times), seed, stopped


def jax_rate(sim, cfg, seeds, repeats, long_repeats, long_seconds, batch_size):
    """(seed-steps/s, seed-steps, stopped seeds, compile seconds, timed runs): median of timed calls of the
    runner after a first one that compiles (``repeats`` of them, ``long_repeats`` if that first call took over
    ``long_seconds``); compile = the first call's extra time over that median."""
    seeds = np.arange(seeds)
    cfg = dataclasses.replace(cfg, batch_size=batch_size)
    t0 = time.perf_counter()
    first = run_until_stopped(sim, seeds, cfg)
    t_first = time.perf_counter() - t0
    times = []
    for _ in range(long_repeats if t_first > long_seconds else repeats):
        t0 = time.perf_counter()
        res = run_until_stopped(sim, seeds, cfg)
        times.append(time.perf_counter() - t0)
        assert np.array_equal(res.stopping_time, first.stopping_time)  # same seeds, same rounds
    steps = int(first.stopping_time.sum())
    median = statistics.median(times)
    return steps / median, steps, int(first.stopped.sum()), max(t_first - median, 0.0), len(times)


# ------------------------------------------------------------------ one table per (environment, algorithm)

def section(env, algorithm, plan, args, summary):
    problem, _, _, sim = next(job for job in plan.jobs if job[1] == algorithm)
    cap = plan.cfg.horizon
    cols = problem.columns
    print(f"\n## {DISPLAY[algorithm]} on {env} (K = {cols['K']}, d = {cols['d']}, delta = {cols['delta']:g}), "
          f"cap {cap:,} rounds (T_F kl = {cols['lower_bound']:,.0f})", flush=True)
    print("| path | seeds | batch | seed-steps | seed-steps/s | vs NumPy/SciPy | vs authors | stopped | timed runs "
          "| compile (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    base, used, stopped = scipy_rate(env, algorithm, cap, args.scipy_steps, args.repeats)
    authors = algorithm == "lagex" and env == "setup1-hard"
    vs_authors = (lambda r: ratio(r / AUTHORS_RATE)) if authors else (lambda r: "–")
    if authors:
        print(f"| authors' LAGEX (`CGE_Lag.py`), measured on the 2-core machine, not re-run | 1 | – | – | "
              f"{AUTHORS_RATE} ({AUTHORS_MS_PER_STEP} ms per seed-step) | {ratio(AUTHORS_RATE / base)} | 1.0x "
              f"| | | – |")
    if algorithm == "lats" and env == "setup1-hard":
        print("| authors' CTnS-WLag (`CnTS_WLag.py`), measured on the 2-core machine | 1 | – | – | "
              "no seed finished in 10 minutes | | | | | – |")
    print(f"| NumPy/SciPy loop (one seed at a time) | {used} | 1 | {args.scipy_steps:,} | {base:,.1f} | 1.0x | "
          f"{vs_authors(base)} | {stopped}/{used} | {args.repeats} | – |", flush=True)
    for s in args.seeds:
        done = set()
        for bs in args.batch_size:
            width = batch_width(min(bs, s), len(jax.devices()))
            if width in done:  # another --batch-size that gives the same batches
                continue
            done.add(width)
            rate, steps, stopped, comp, runs = jax_rate(sim, plan.cfg, s, args.repeats, args.long_repeats,
                                                     args.long_seconds, bs)
            print(f"| JAX runner (vmap x scan) | {s:,} | {width:,} | {steps:,} | {rate:,.1f} | {ratio(rate / base)} | "
                  f"{vs_authors(rate)} | {stopped}/{s} | {runs} | {comp:.1f} |", flush=True)
            summary.append((env, algorithm, s, width, rate, rate / base, rate / AUTHORS_RATE if authors else None))


def stopping_section(env, args, cap):
    """LAGEX under each stopping rule of --stopping at the largest --seeds, in the same run: seed-steps/s and the
    ratio to the first rule's (the paper's by default). A rule other than the paper's checks every round up to
    100 and then on a 1 % geometric grid, so a longer cap (--stopping-cap) shows the cost a real run pays."""
    seeds, bs = max(args.seeds), args.batch_size[0]
    print(f"\n## LAGEX on {env} under each stopping rule: {seeds:,} seeds in batches of "
          f"{batch_width(min(bs, seeds), len(jax.devices())):,}, cap {cap:,} rounds")
    print("| stopping rule | seed-steps | seed-steps/s | vs " + args.stopping[0] + " | stopped | timed runs | compile (s) |")
    print("|---|---|---|---|---|---|---|", flush=True)
    first = None
    for spec in args.stopping:
        plan = plan_for(env, ["lagex"], seeds, cap, stopping_overrides(spec))
        _, _, _, sim = plan.jobs[0]
        rate, steps, stopped, comp, runs = jax_rate(sim, plan.cfg, seeds, args.repeats, args.long_repeats,
                                                 args.long_seconds, bs)
        first = first or rate
        print(f"| {spec} | {steps:,} | {rate:,.1f} | {rate / first:.2f} | {stopped}/{seeds} | {runs} | {comp:.1f} |",
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    ap.add_argument("--algorithms", nargs="+", default=["lagex", "lats"], choices=list(DISPLAY))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 100, 1000], help="JAX seed batches")
    ap.add_argument("--cap", type=int, nargs="+", default=None,
                    help="rounds per seed at most (runner.max_horizon), one per --envs or one for all (default: "
                         + ", ".join(f"{e} {c}" for e, c in CAPS.items()) + ")")
    ap.add_argument("--batch-size", type=int, nargs="+", default=[1000],
                    help="JAX batch widths (runner.batch_size), one row each; the runner's default is 1000")
    ap.add_argument("--scipy-steps", type=int, default=256, help="seed-steps of the NumPy/SciPy loop per timed run")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per row (JAX: after a first, compiling one)")
    ap.add_argument("--long-repeats", type=int, default=1,
                    help="timed runs of a JAX row whose first run took over --long-seconds")
    ap.add_argument("--long-seconds", type=float, default=60.0)
    ap.add_argument("--stopping", nargs="+", default=None,
                    help="instead of the tables above: LAGEX under these stopping rules ('rule' or 'rule/threshold', "
                         "e.g. paper joint_glr/paper joint_glr/joint), the first the reference of the ratios")
    ap.add_argument("--stopping-cap", type=int, default=2048, help="the cap of the --stopping rows")
    ap.add_argument("--quick", action="store_true",
                    help="tiny defaults to check that every row runs (flags given explicitly still apply)")
    if ap.parse_known_args()[0].quick:
        ap.set_defaults(seeds=[1], cap=[64], scipy_steps=20, repeats=1)
    args = ap.parse_args()
    caps = [CAPS[e] for e in args.envs] if args.cap is None else \
        [args.cap[i] if len(args.cap) > i else args.cap[-1] for i in range(len(args.envs))]
    if min(args.seeds + caps + args.batch_size + [args.scipy_steps, args.repeats, args.long_repeats]) < 1:
        ap.error("--seeds, --cap, --batch-size, --scipy-steps, --repeats and --long-repeats must be >= 1")

    quiet_jax_logs()
    print(f"{machine_line()}, numpy {np.__version__}, scipy {scipy.__version__}")
    print(f"# setting: presets lats/{{{','.join(PRESETS[e] for e in args.envs)}}} with their defaults; each seed until "
          f"it stops or the cap; median of {args.repeats} timed runs ({args.long_repeats} where a JAX row's first run "
          f"took over {args.long_seconds:g} s), compilation apart"
          f"{' [--quick: numbers meaningless]' if args.quick else ''}")
    print(f"# authors' LAGEX (CGE_Lag.py, setup 1 hard, 2-core machine): {AUTHORS_MS_PER_STEP} ms per seed-step "
          f"= {AUTHORS_RATE} seed-steps/s, as measured (not re-run here)")
    if args.stopping:
        for env in args.envs:
            stopping_section(env, args, args.stopping_cap)
        return
    summary = []
    for env, cap in zip(args.envs, caps):
        t0 = time.perf_counter()
        plan = plan_for(env, args.algorithms, max(args.seeds), cap)
        print(f"\n# {env}: plan built in {time.perf_counter() - t0:.1f} s (problem, lower bounds, simulations)",
              flush=True)
        for algorithm in args.algorithms:
            section(env, algorithm, plan, args, summary)
    top = max(args.seeds)
    print(f"\n## JAX at {top:,} seed{'s' if top > 1 else ''} (target: >= 100x the NumPy/SciPy loop per seed-step; "
          f"goal: >= 10^4x the authors' code)")
    print("| algorithm | environment | batch | JAX seed-steps/s | vs NumPy/SciPy | target met | vs authors |")
    print("|---|---|---|---|---|---|---|")
    for env, algorithm, s, width, rate, vs_scipy, vs_auth in summary:
        if s == top:
            print(f"| {DISPLAY[algorithm]} | {env} | {width:,} | {rate:,.1f} | {ratio(vs_scipy)} | "
                  f"{'yes' if vs_scipy >= 100 else 'no'} | {ratio(vs_auth) if vs_auth else '–'} |")


if __name__ == "__main__":
    main()
