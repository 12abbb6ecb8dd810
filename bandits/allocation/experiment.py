"""ATA experiments: a config -> tidy result frames (runs, curves) + timings.

Paper-specific glue lives here, not in the core runner. ``spec`` keys:

    algorithms: [ata, ata_empirical, ofta, gta, uta]
    hyperparameters: {ata: {alpha_factor: 2.0} | {alpha: 80.0}, ata_empirical: {eta: 1.0}}
    env: {law, base, power, budget, n (int or list), law_kwargs}
    horizon, seeds, checkpoints
    sgd: bool          record the SGD of Section 7 on every method's clock
    sgd_mode: once | inside
"""
from __future__ import annotations

import sys
from typing import Any, Mapping

import numpy as np
import pandas as pd

from bandits.core.checkpoints import log_grid
from bandits.core.results import curves_frame, runs_frame
from bandits.core.runner import RunConfig, run_fixed_horizon
from bandits.core.types import combine

from .algorithms import ALGORITHMS, build
from .environment import make_problem
from .sgd import quadratic_problem, sgd_simulation
from .time_laws import TIME_LAWS

SGD_MODES = ("once", "inside")


class ConfigError(ValueError):
    """A bad experiment configuration; the message names the problem and the valid choices."""


def _as_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if hasattr(x, "__iter__") and not isinstance(x, (str, bytes, Mapping)):
        return list(x)
    return [x]


def validate(spec: Mapping[str, Any]) -> None:
    algs = _as_list(spec.get("algorithms", []))
    if not algs:
        raise ConfigError(f"experiment lists no algorithms; valid choices: {', '.join(ALGORITHMS.names())}")
    for a in algs:
        if a not in ALGORITHMS:
            raise ConfigError(f"unknown algorithm {a!r}; valid choices: {', '.join(ALGORITHMS.names())}")
    env = spec["env"]
    if env["law"] not in TIME_LAWS:
        raise ConfigError(f"unknown time law {env['law']!r}; valid choices: {', '.join(TIME_LAWS.names())}")
    for n in _as_list(env["n"]):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"number of workers n must be an integer >= 1, got {n!r}")
    if not isinstance(env["budget"], (int, np.integer)) or env["budget"] < 1:
        raise ConfigError(f"budget B must be an integer >= 1, got {env['budget']!r}")
    if not float(env["base"]) > 0:
        raise ConfigError(f"time scale base must be > 0, got {env['base']!r}")
    if int(spec["seeds"]) < 1:
        raise ConfigError(f"the number of seeds must be >= 1, got {spec['seeds']!r}")
    if int(spec["horizon"]) < 1:
        raise ConfigError(f"horizon must be >= 1, got {spec['horizon']!r}")
    hp = spec.get("hyperparameters") or {}
    for name in hp:
        if name not in ALGORITHMS:
            raise ConfigError(f"hyperparameters given for unknown algorithm {name!r}; valid choices: "
                              f"{', '.join(ALGORITHMS.names())}")
    a = hp.get("ata") or {}
    if a.get("alpha") is not None and not float(a["alpha"]) > 0:
        raise ConfigError(f"ATA needs alpha > 0, got {a['alpha']!r}")
    if a.get("alpha_factor") is not None and not float(a["alpha_factor"]) > 0:
        raise ConfigError(f"ATA needs alpha_factor > 0, got {a['alpha_factor']!r}")
    e = hp.get("ata_empirical") or {}
    if e.get("eta") is not None and not float(e["eta"]) >= 0:
        raise ConfigError(f"ATA-Empirical needs eta >= 0, got {e['eta']!r}")
    if spec.get("sgd_mode", "once") not in SGD_MODES:
        raise ConfigError(f"unknown sgd_mode {spec.get('sgd_mode')!r}; valid choices: {', '.join(SGD_MODES)}")
    try:  # law parameters (gamma shape, lognormal sigma)
        TIME_LAWS.get(env["law"])(**dict(env.get("law_kwargs") or {}))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad law_kwargs for {env['law']!r}: {err}") from None


def resolve_hyperparameters(name: str, hp: Mapping[str, Any], problem) -> dict:
    """Turn config hyper-parameters into the algorithm's arguments (alpha from alpha_factor * max mu_i)."""
    hp = dict(hp or {})
    if name == "ata":
        factor = hp.pop("alpha_factor", None)
        if hp.get("alpha") is None:
            if factor is None:
                raise ConfigError("ATA needs alpha or alpha_factor (alpha = alpha_factor * max_i mu_i)")
            hp["alpha"] = float(factor) * float(np.max(np.asarray(problem.params.means)))
    return hp


def run(spec: Mapping[str, Any], runner: Mapping[str, Any], log=print):
    """Run every (n, algorithm) of the experiment. Returns (runs_df, curves_df, timings)."""
    validate(spec)
    env = spec["env"]
    horizon, seeds = int(spec["horizon"]), int(spec["seeds"])
    grid = log_grid(horizon, int(spec.get("checkpoints", 100)))
    cfg = RunConfig(horizon=horizon, chunk=int(runner.get("chunk", 1024)),
                    batch_size=int(runner.get("batch_size", 1000)), base_seed=int(runner.get("base_seed", 0)),
                    progress=bool(runner.get("progress", True)), rng=str(runner.get("rng", "hash32")))
    seed_ids = np.arange(seeds)
    hp_all = spec.get("hyperparameters") or {}
    use_sgd, sgd_mode = bool(spec.get("sgd", False)), spec.get("sgd_mode", "once")
    sgd_cfg = dict(spec.get("sgd_problem") or {})
    runs, curves, timings = [], [], []

    sgd_once = None
    for n in _as_list(env["n"]):
        problem = make_problem(int(n), int(env["budget"]), env["law"], float(env["base"]), float(env["power"]),
                               dict(env.get("law_kwargs") or {}))
        extra = {"n": int(n), "B": int(env["budget"]), "law": env["law"], "experiment": spec.get("name", "")}
        sgd_sim = sgd_simulation(quadratic_problem(**sgd_cfg), problem.budget) if use_sgd else None
        if use_sgd and sgd_mode == "once" and sgd_once is None:
            # homogeneous SGD: one trajectory per seed, independent of n and of the method
            sgd_once = run_fixed_horizon(sgd_sim, seed_ids, cfg, grid)
            timings.append({"algorithm": "sgd", "n": int(n), "wall_time": sgd_once.wall_time,
                            "compile_time": sgd_once.compile_time})
        for name in _as_list(spec["algorithms"]):
            hp = resolve_hyperparameters(name, hp_all.get(name), problem)
            sim = build(name, problem, **hp)
            if use_sgd and sgd_mode == "inside":
                sim = combine(sim, sgd_sim)
            log(f"[{spec.get('name', '')}] {name} on {problem.label}: {seeds} seeds x {horizon} rounds", file=sys.stderr)
            res = run_fixed_horizon(sim, seed_ids, cfg, grid, label=f"{name} n={n}")
            metrics = dict(res.metrics)
            if use_sgd and sgd_mode == "once":
                metrics.update(sgd_once.metrics)
            curves.append(curves_frame(name, problem.label, seed_ids, grid, metrics, extra))
            runs.append(runs_frame(name, problem.label, seed_ids, {k: v[:, -1] for k, v in metrics.items()},
                                   {**extra, "t": horizon}))
            timings.append({"algorithm": name, "n": int(n), "wall_time": res.wall_time,
                            "compile_time": res.compile_time, "hyperparameters": hp})
            log(f"    done in {res.wall_time:.1f}s (+{res.compile_time:.1f}s compile)", file=sys.stderr)
    return pd.concat(runs, ignore_index=True), pd.concat(curves, ignore_index=True), timings
