"""The ATA paper in the suite: its config schema, problems, algorithms and analysis (one registration).

Maranjyan, Saad, Richtarik, Orabona. ATA: Adaptive Task Allocation for Efficient
Resource Management in Distributed Machine Learning (ICML 2025).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict

import numpy as np
from omegaconf import MISSING

from bandits.core.experiment import PAPERS, ConfigError, ExperimentSchema, Paper, as_list, dedupe, strict_int
from bandits.core.ranges import ranged
from bandits.core.runner import run_fixed_horizon
from bandits.core.types import combine

from .algorithms import ALGORITHMS
from .environment import make_problem
from .sgd import quadratic_problem, sgd_simulation
from .time_laws import TIME_LAWS, worker_scales

SGD_MODES = ("once", "inside")
# Where the arithmetic is meaningful. The mean task times E[X_i] live in float32 clocks, scores and regrets:
# within [1e-6, 1e6] a round's time, its sum over 10^9 rounds and B mu_i per round all stay normal float32
# numbers far from overflow. n workers and B tasks are arrays of every seed's state and of every round's draws.
MEAN_TIMES = (1e-6, 1e6)
WHY_TIMES = "the range where float32 clocks and scores are meaningful"
MAX_WORKERS = 10**6
MAX_BUDGET = 10**6


@dataclass
class AllocationEnv:
    law: str = MISSING  # a time law: see bandits.allocation.time_laws
    base: float = ranged(MISSING, 0.0, MEAN_TIMES[1], low_open=True, label="time scale base",
                         why=WHY_TIMES)  # c_i = base * i^power
    power: float = ranged(MISSING, -10.0, 10.0)
    budget: int = ranged(MISSING, 1, MAX_BUDGET, label="budget B",
                         why="a round's B draws are held for every seed of a batch")  # B tasks per round
    n: Any = ranged(MISSING, 1, MAX_WORKERS, kind="int",
                    why="every seed holds n workers' counts")  # an integer or a list (a sweep axis)
    law_kwargs: Dict[str, Any] = field(default_factory=dict)


@dataclass
class SgdProblem:
    dim: int = ranged(MISSING, 2, 1024, why="x* is solved with a dense d x d matrix")
    lr: float = ranged(MISSING, 0.0, 2.0, low_open=True, high_open=True,
                       why="gradient descent on f (eigenvalues of A in (0, 1)) diverges beyond 2")
    noise_std: float = ranged(MISSING, 0.0, 1e3)


@dataclass
class AllocationExperiment(ExperimentSchema):
    env: AllocationEnv = MISSING
    sgd: bool = MISSING  # record the SGD of Section 7 on every method's clock
    sgd_mode: str = MISSING  # once: one trajectory per seed mapped on each clock; inside: run in every method
    sgd_problem: SgdProblem = MISSING


def workers(spec) -> list[int]:
    ns = [strict_int(n, "experiment.env.n", 1) for n in as_list(spec.env.n)]
    return dedupe(ns, "experiment.env.n", warn=lambda m: print(m, file=__import__("sys").stderr))


def check(spec: AllocationExperiment) -> None:
    """Beyond the schema's ranges: the law, the SGD mode, and the mean task times the profile gives."""
    env = spec.env
    if env.law not in TIME_LAWS:
        raise ConfigError(f"unknown time law {env.law!r}; valid choices: {', '.join(TIME_LAWS.names())}")
    if spec.sgd_mode not in SGD_MODES:
        raise ConfigError(f"unknown experiment.sgd_mode {spec.sgd_mode!r}; valid choices: {', '.join(SGD_MODES)}")
    try:  # law parameters (gamma shape, lognormal sigma)
        law = TIME_LAWS.get(env.law)(**dict(env.law_kwargs or {}))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad experiment.env.law_kwargs for {env.law!r}: {err}") from None
    for n in workers(spec):
        means = law.mean(worker_scales(n, float(env.base), float(env.power)))
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.array([means.min(), means.max(), *law.std(means[[0, -1]])])
        if not (np.isfinite(spread).all() and MEAN_TIMES[0] <= spread[0] and spread[1] <= MEAN_TIMES[1]):
            raise ConfigError(f"experiment.env: the mean task times E[X_i] ({law.description}, c_i = "
                              f"{env.base:g} * i^{env.power:g}, n = {n}) span [{spread[0]:.3g}, {spread[1]:.3g}]; "
                              f"they must lie in [{MEAN_TIMES[0]:g}, {MEAN_TIMES[1]:g}] ({WHY_TIMES}): change "
                              f"experiment.env.base, power or law_kwargs")


def problems(spec: AllocationExperiment):
    env = spec.env
    return [make_problem(n, env.budget, env.law, env.base, env.power, dict(env.law_kwargs or {}))
            for n in workers(spec)]


def _sgd(spec):
    p = spec.sgd_problem
    return sgd_simulation(quadratic_problem(p.dim, p.lr, p.noise_std), spec.env.budget)


def wrap(spec, problem, sim):
    """``sgd_mode=inside``: the SGD runs in lock-step inside every method (same iterates as ``once``)."""
    return combine(sim, _sgd(spec)) if spec.sgd and spec.sgd_mode == "inside" else sim


def shared(spec, cfg, seeds, grid):
    """``sgd_mode=once``: the homogeneous SGD is one trajectory per seed, independent of n and of the method."""
    if not (spec.sgd and spec.sgd_mode == "once"):
        return {}, None
    res = run_fixed_horizon(_sgd(spec), seeds, cfg, grid)
    return res.metrics, {"algorithm": "sgd", "problem": "(shared by all)", "wall_time": res.wall_time,
                         "compile_time": res.compile_time}


def example():
    """A small instance (n = 7 > B = 5) and hyperparameters for every algorithm: the core's contract tests."""
    return make_problem(7, 5, base=29.0, power=0.5), {"ata": {"alpha_factor": 0.05}, "ata_empirical": {"eta": 0.05}}


PAPER = PAPERS.add("ata", Paper(
    name="ata",
    title="ATA: Adaptive Task Allocation (Maranjyan et al., ICML 2025)",
    schema=AllocationExperiment,
    algorithms=ALGORITHMS,
    problems=problems,
    check=check,
    wrap=wrap,
    shared=shared,
    analysis="experiments.ata.analysis:report",
    id_columns=("n", "B", "law", "base", "power"),
    reference="ata",
    example=example,
))
