"""What checking every action costs the runner: an ATA preset with and without its environment's ActionCheck.

    python benchmarks/action_check.py                 # ata/figure1 at n = 459 (the paper's largest), 3e4 rounds
    python benchmarks/action_check.py --quick         # tiny settings: checks that the script runs

The same simulation is built twice from the preset as ``experiments/run.py`` builds it: as is (the environment's
``validate``: every round's action checked, each seed's first invalid round kept beside the scan's state) and with
``validate=None`` (what the runner ran before). Both are compiled first; then timed runs alternate between them,
so that the machine's drift falls on both alike. Printed: execution rates (seed-rounds per second, median of the
timed runs) and the ratios checked / unchecked of the median wall time and of the median process CPU time (on a
shared machine the CPU time is the steadier of the two: other processes' load lengthens wall times).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bandits.core import run_fixed_horizon  # noqa: E402
from bandits.core.experiment import build_simulation  # noqa: E402
from common import machine_line, ratio  # noqa: E402
from experiments.run import plan_preset  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="ata/figure1")
    ap.add_argument("--algorithm", default="ata")
    ap.add_argument("--n", type=int, default=459)
    ap.add_argument("--rounds", type=int, default=30_000)
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.rounds, args.seeds, args.repeats = 17, 2_000, 16, 2
    _, _, _, plan = plan_preset(args.preset, [f"experiment.env.n={args.n}", f"experiment.horizon={args.rounds}",
                                              f"experiment.seeds={args.seeds}",
                                              f"experiment.algorithms=[{args.algorithm}]", "runner.progress=false"],
                                warn=lambda m: None)
    problem, name, hp, checked = plan.jobs[0]
    unchecked = build_simulation(plan.paper, name, problem._replace(env=problem.env._replace(validate=None)), hp)
    assert checked.invalid is not None and unchecked.invalid is None
    sims = {"checked": checked, "unchecked": unchecked}
    for sim in sims.values():  # compile (and warm) both
        run_fixed_horizon(sim, plan.seeds, plan.cfg, plan.grid)
    walls, cpus = {k: [] for k in sims}, {k: [] for k in sims}
    for _ in range(args.repeats):
        for k, sim in sims.items():
            c0 = time.process_time()
            walls[k].append(run_fixed_horizon(sim, plan.seeds, plan.cfg, plan.grid).wall_time)
            cpus[k].append(time.process_time() - c0)
    work = args.seeds * args.rounds
    print(machine_line() + f"; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"# {args.preset}, {name} on {problem.label}: {args.seeds} seeds x {args.rounds:,} rounds, "
          f"{args.repeats} alternating runs each")
    for k in sims:
        print(f"{k:>10}: {work / statistics.median(walls[k]):,.0f} seed-rounds/s (median wall; runs "
              f"{', '.join(f'{w:.2f}' for w in walls[k])} s; CPU {', '.join(f'{c:.2f}' for c in cpus[k])} s)")
    for what, t in (("wall time", walls), ("process CPU time", cpus)):
        print(f"checked / unchecked, median {what}: "
              f"{ratio(statistics.median(t['checked']) / statistics.median(t['unchecked']))}")


if __name__ == "__main__":
    main()
