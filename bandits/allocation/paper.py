"""The ATA paper in the suite: its config schema, problems, algorithms and analysis (one registration).

Maranjyan, Saad, Richtarik, Orabona. ATA: Adaptive Task Allocation for Efficient
Resource Management in Distributed Machine Learning (ICML 2025).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict

from omegaconf import MISSING

from bandits.core.experiment import (PAPERS, ConfigError, ExperimentSchema, Paper, as_list, dedupe, finite_float,
                                     strict_int)
from bandits.core.runner import run_fixed_horizon
from bandits.core.types import combine

from .algorithms import ALGORITHMS
from .environment import make_problem
from .sgd import quadratic_problem, sgd_simulation
from .time_laws import TIME_LAWS

SGD_MODES = ("once", "inside")


@dataclass
class AllocationEnv:
    law: str = MISSING  # a time law: see bandits.allocation.time_laws
    base: float = MISSING  # c_i = base * i^power
    power: float = MISSING
    budget: int = MISSING  # B tasks per round
    n: Any = MISSING  # number of workers: an integer or a list (a sweep axis)
    law_kwargs: Dict[str, Any] = field(default_factory=dict)


@dataclass
class SgdProblem:
    dim: int = MISSING
    lr: float = MISSING
    noise_std: float = MISSING


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
    env = spec.env
    if env.law not in TIME_LAWS:
        raise ConfigError(f"unknown time law {env.law!r}; valid choices: {', '.join(TIME_LAWS.names())}")
    workers(spec)
    strict_int(env.budget, "experiment.env.budget (budget B)", 1)
    finite_float(env.base, "experiment.env.base (time scale base)", 0.0, strict=True)
    finite_float(env.power, "experiment.env.power")
    if spec.sgd_mode not in SGD_MODES:
        raise ConfigError(f"unknown experiment.sgd_mode {spec.sgd_mode!r}; valid choices: {', '.join(SGD_MODES)}")
    strict_int(spec.sgd_problem.dim, "experiment.sgd_problem.dim", 2)
    finite_float(spec.sgd_problem.lr, "experiment.sgd_problem.lr", 0.0, strict=True)
    finite_float(spec.sgd_problem.noise_std, "experiment.sgd_problem.noise_std", 0.0)
    try:  # law parameters (gamma shape, lognormal sigma)
        TIME_LAWS.get(env.law)(**dict(env.law_kwargs or {}))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad experiment.env.law_kwargs for {env.law!r}: {err}") from None


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
