"""One experiment loop for every paper.

A paper supplies a ``Paper`` record (registered once in ``PAPERS``):

* ``schema``      a dataclass: the experiment config's keys and types (Hydra structured config);
* ``problems``    ``problems(spec) -> [Problem]``: the instances a spec expands to (a sweep axis
                  such as n, mu_3 or M), each with its learner view, environment and oracle;
* ``algorithms``  a ``Registry[Algorithm]``: builders ``build(known, **hyperparameters) -> Policy``
                  that derive what they need from the learner's view;
* ``mode``        ``"fixed"`` (a horizon, curves on a checkpoint grid) or ``"stopping"``
                  (each seed until its stopping rule fires or a cap);
* optional hooks: ``check`` (value ranges), ``wrap`` (a companion simulation run in lock-step),
  ``shared`` (metrics computed once per seed and merged into every algorithm's), ``analysis``.

``run_experiment`` then does, for every problem and every algorithm: build, run,
turn into tidy frames, record timings. No paper is named here.

The learner never sees the oracle: a ``Policy`` builder receives ``problem.known``
only. An algorithm that is an oracle baseline *by design* (OFTA, or CTnS with the
known constraints) declares ``sees_oracle=True`` and gets ``problem.oracle`` as a
second argument; the contract test checks both sides.
"""
from __future__ import annotations

import inspect
import json
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence

import numpy as np
import pandas as pd
from omegaconf import MISSING

from .checkpoints import log_grid
from .registry import Registry
from .results import curves_frame, runs_frame
from .runner import RunConfig, run_fixed_horizon, run_until_stopped
from .types import Environment, Simulation, interact

PyTree = Any
MODES = ("fixed", "stopping")
PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray",
           "tab:olive", "tab:cyan")


class ConfigError(ValueError):
    """A bad experiment configuration; the message names the problem and the valid choices."""


@dataclass(frozen=True)
class Algorithm:
    """A registered algorithm: how to build it and how figures and tables show it.

    ``build(known, **hyperparameters) -> Policy`` (``kind="policy"``), with
    ``sees_oracle``: ``build(known, oracle, **hyperparameters)``;
    ``build(problem, **hyperparameters) -> Simulation`` (``kind="simulation"``: not a
    learner but a replay of the environment under a fixed rule, e.g. GTA).
    """

    build: Callable[..., Any]
    display: Optional[str] = None  # name in figures and tables (default: the registry name)
    color: Optional[str] = None  # matplotlib colour (default: from the palette, in registration order)
    kind: str = "policy"
    sees_oracle: bool = False

    def hyperparameters(self) -> list[str]:
        """Names of the keyword arguments the builder accepts."""
        params = list(inspect.signature(self.build).parameters.values())[1 + self.sees_oracle:]
        return [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


class Problem(NamedTuple):
    """One instance of a paper's setting.

    label    human-readable, one per problem of an experiment (the ``env`` column)
    columns  the problem's parameters, stored in every result row (n, B, law, delta, ...)
    known    the learner's view: what a policy may see
    env      the environment; ``params`` its parameters, oracle included (never given to a policy)
    oracle   what an oracle baseline receives on purpose (optimal allocation, true constraints)
    static   the paper's static description (laws and sizes), for simulation-kind algorithms and hooks
    """

    label: str
    columns: Mapping[str, Any]
    known: PyTree
    env: Optional[Environment]
    params: PyTree
    oracle: PyTree = None
    static: Any = None


@dataclass
class Paper:
    name: str
    schema: type
    algorithms: Registry
    problems: Callable[[Any], Sequence[Problem]]
    mode: str = "fixed"
    title: str = ""
    check: Optional[Callable[[Any], None]] = None  # value ranges beyond the schema's types
    wrap: Optional[Callable[[Any, Problem, Simulation], Simulation]] = None
    shared: Optional[Callable[..., tuple]] = None  # (spec, cfg, seeds, grid) -> (metrics [S, G], timing)
    analysis: Optional[str] = None  # "module:function" (paper, runs, curves, metas, figures_dir, paper_dir) -> [paths]
    id_columns: tuple = ()  # columns (besides algorithm, env, seed) that identify a problem in the results
    reference: Optional[str] = None  # default reference algorithm of the comparison table
    x64: bool = False  # the paper's presets force float64
    example: Optional[Callable[[], tuple]] = None  # () -> (small Problem, {algorithm: hyperparameters}): contract tests

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"paper {self.name!r}: unknown mode {self.mode!r}; valid choices: {', '.join(MODES)}")

    def algorithm(self, name: str) -> Algorithm:
        return self.algorithms.get(name)

    def display(self, name: str) -> str:
        return (self.algorithms.get(name).display if name in self.algorithms else None) or name

    def color(self, name: str) -> str:
        names = self.algorithms.in_order()
        if name in self.algorithms and self.algorithms.get(name).color:
            return self.algorithms.get(name).color
        i = names.index(name) if name in names else len(names)
        return PALETTE[i % len(PALETTE)]

    def order(self, names: Iterable[str]) -> list[str]:
        """Registration order (built-ins first, then plugins), unknown names last."""
        reg = self.algorithms.in_order()
        return sorted(set(names), key=lambda n: (reg.index(n) if n in reg else len(reg), n))

    def run_analysis(self, *args, **kwargs):
        if self.analysis is None:
            return []
        import importlib

        module, fn = self.analysis.split(":")
        return getattr(importlib.import_module(module), fn)(self, *args, **kwargs)


PAPERS: Registry[Paper] = Registry("paper")


def discover_papers() -> Registry:
    """Import every ``bandits.<subpackage>.paper`` module (each registers itself in ``PAPERS``)."""
    import importlib
    import pkgutil

    import bandits

    for mod in pkgutil.iter_modules(bandits.__path__):
        if mod.ispkg and importlib.util.find_spec(f"bandits.{mod.name}.paper") is not None:
            importlib.import_module(f"bandits.{mod.name}.paper")
    return PAPERS


# ----------------------------------------------------------------------------- config
def as_list(x) -> list:
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def strict_int(value, key: str, low: int | None = None) -> int:
    """An integer, not a bool or a float; one line naming ``key`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ConfigError(f"{key} must be an integer >= {low}, got {value!r}")
    return int(value)


def finite_float(value, key: str, low: float | None = None, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ConfigError(f"{key} must be finite, got {value!r}")
    if low is not None and (value <= low if strict else value < low):
        raise ConfigError(f"{key} must be {'>' if strict else '>='} {low:g}, got {value!r}")
    return value


def dedupe(values: list, key: str, warn=None) -> list:
    """Drop repeated entries of a list, with one warning line."""
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    if len(out) < len(values) and warn is not None:
        warn(f"warning: {key} lists duplicates; each runs once: {out}")
    return out


def hyperparameter_columns(hp: Mapping[str, Any]) -> str:
    """Canonical JSON of an algorithm's hyperparameters (a column of every result row)."""
    return json.dumps({k: hp[k] for k in sorted(hp)}, sort_keys=True, default=str)


@dataclass
class Plan:
    """A checked experiment: everything built, nothing run yet."""

    paper: Paper
    spec: Any
    cfg: RunConfig
    problems: list
    jobs: list  # (problem, algorithm name, hyperparameters, Simulation)
    seeds: np.ndarray
    grid: Optional[np.ndarray]
    batch_sizes: Mapping[str, int] = field(default_factory=dict)  # algorithm -> its batch_size

    def job_config(self, name: str) -> RunConfig:
        """The run configuration of algorithm ``name``'s jobs: ``cfg`` with its own batch size, if it has one."""
        return replace(self.cfg, batch_size=self.batch_sizes[name]) if name in self.batch_sizes \
            else self.cfg


def build_simulation(paper: Paper, name: str, problem: Problem, hp: Mapping[str, Any]) -> Simulation:
    """The simulation of one algorithm on one problem; builder errors become one-line ``ConfigError``s."""
    algo = paper.algorithm(name)
    valid = algo.hyperparameters()
    unknown = sorted(set(hp) - set(valid))
    if unknown:
        raise ConfigError(f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for algorithm {name!r}; "
                          f"valid choices: {', '.join(valid) or '(none)'}")
    try:
        if algo.kind == "simulation":
            return algo.build(problem, **hp)
        if algo.sees_oracle:
            policy = algo.build(problem.known, problem.oracle, **hp)
        else:
            policy = algo.build(problem.known, **hp)
    except ConfigError:
        raise
    except ValueError as e:  # the builder rejected a value; its message names it
        raise ConfigError(f"algorithm {name!r}: {e}") from None
    except Exception as e:  # a bug in the algorithm's code (a plugin, say): name the place
        raise ConfigError(f"algorithm {name!r} failed to build: {type(e).__name__}: {e} ({_where(e)})") from None
    return interact(policy, problem.env, problem.known, problem.params)


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return f"{last.tb_frame.f_code.co_filename}:{last.tb_lineno}" if last else "?"


def plan_experiment(paper: Paper, spec, runner: Mapping[str, Any], warn=None) -> Plan:
    """Check everything and build every simulation before anything runs."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    horizon = strict_int(spec.horizon, "experiment.horizon", 1)
    seeds = strict_int(spec.seeds, "experiment.seeds", 1)
    algorithms = dedupe(as_list(spec.algorithms), "experiment.algorithms", warn)
    if not algorithms:
        raise ConfigError(f"experiment lists no algorithms; valid choices: {', '.join(paper.algorithms.names())}")
    for a in algorithms:
        paper.algorithm(a)  # unknown -> UnknownNameError listing the valid choices
    hps = dict(spec.hyperparameters or {})
    for a in hps:
        if a not in paper.algorithms:
            raise ConfigError(f"hyperparameters given for unknown algorithm {a!r}; valid choices: "
                              f"{', '.join(paper.algorithms.names())}")
    for a, hp in hps.items():
        for k, v in (hp or {}).items():
            if isinstance(v, float) and not np.isfinite(v):
                raise ConfigError(f"experiment.hyperparameters.{a}.{k} must be finite, got {v!r}")
    if paper.check is not None:
        paper.check(spec)
    try:
        chunk = runner.get("stopping_chunk") if paper.mode == "stopping" else None
        cfg = RunConfig.from_mapping(runner, horizon=horizon, **({"chunk": chunk} if chunk else {}))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"runner: {e}") from None
    batch_sizes = {}
    for a, size in (runner.get("batch_sizes") or {}).items():
        if a not in paper.algorithms:  # (one the experiment does not run is allowed, as for hyperparameters)
            raise ConfigError(f"runner.batch_sizes given for unknown algorithm {a!r}; valid choices: "
                              f"{', '.join(paper.algorithms.names())}")
        batch_sizes[a] = strict_int(size, f"runner.batch_sizes.{a}", 1)
    problems = list(paper.problems(spec))
    if len({p.label for p in problems}) != len(problems):
        raise ConfigError("the experiment expands to duplicate problems; remove the repeated sweep values")
    jobs = []
    for problem in problems:
        for name in algorithms:
            hp = dict(hps.get(name) or {})
            sim = build_simulation(paper, name, problem, hp)
            if paper.wrap is not None:
                sim = paper.wrap(spec, problem, sim)
            jobs.append((problem, name, hp, sim))
    grid = log_grid(horizon, strict_int(spec.checkpoints, "experiment.checkpoints", 1)) if paper.mode == "fixed" \
        else None
    return Plan(paper=paper, spec=spec, cfg=cfg, problems=problems, jobs=jobs, seeds=np.arange(seeds), grid=grid,
                batch_sizes=batch_sizes)


def run_experiment(plan: Plan, log=None, extra_columns: Mapping[str, Any] | None = None):
    """Run a checked plan. Returns (runs frame, curves frame or None, timings)."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    paper, spec, seeds = plan.paper, plan.spec, plan.seeds
    runs, curves, timings = [], [], []
    shared = {}
    if paper.shared is not None:
        shared, timing = paper.shared(spec, plan.cfg, seeds, plan.grid)
        if timing:
            timings.append(timing)
    for problem, name, hp, sim in plan.jobs:
        cfg = plan.job_config(name)  # plan.cfg, with the algorithm's own batch size if it has one
        columns = {**dict(problem.columns), "experiment": spec.name, "hyperparameters": hyperparameter_columns(hp),
                   **(extra_columns or {})}
        log(f"[{spec.name}] {name} on {problem.label}: {len(seeds)} seeds x {cfg.horizon} rounds"
            f"{' (cap)' if paper.mode == 'stopping' else ''}")
        if paper.mode == "fixed":
            res = run_fixed_horizon(sim, seeds, cfg, plan.grid, label=f"{name} {problem.label}")
            metrics = {**res.metrics, **shared}
            curves.append(curves_frame(name, problem.label, seeds, plan.grid, metrics, columns))
            runs.append(runs_frame(name, problem.label, seeds, {k: v[:, -1] for k, v in metrics.items()},
                                   {**columns, "t": cfg.horizon}))
        else:
            res = run_until_stopped(sim, seeds, cfg)
            final = {"tau": res.stopping_time.astype(np.float64), **res.metrics}
            runs.append(runs_frame(name, problem.label, seeds, final,
                                   {**columns, "censored": ~res.stopped, "cap": cfg.horizon}))
        timings.append({"algorithm": name, "problem": problem.label, **{k: _plain(v) for k, v in
                                                                        problem.columns.items()},
                        "wall_time": res.wall_time, "compile_time": res.compile_time, "hyperparameters": hp})
        log(f"    done in {res.wall_time:.1f}s (+{res.compile_time:.1f}s compile)")
    runs_df = pd.concat(runs, ignore_index=True)
    curves_df = pd.concat(curves, ignore_index=True) if curves else None
    return runs_df, curves_df, timings


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def memory_estimate(plan: Plan) -> int:
    """Host bytes the stored frames of a plan will take (rows x ~128 bytes), before anything runs."""
    import jax

    rows = 0
    for _, _, _, sim in plan.jobs:
        carry = jax.eval_shape(sim.init, jax.random.key(0))
        n_metrics = len(jax.eval_shape(sim.metrics, carry))
        points = len(plan.grid) if plan.grid is not None else 1
        rows += len(plan.seeds) * (points * n_metrics + 1)
    return rows * 128


def available_memory() -> int:
    """Physical memory of this machine in bytes (0 if unknown)."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


# ----------------------------------------------------------------------------- schemas
@dataclass
class ExperimentSchema:
    """Keys every paper's experiment config has; a paper's schema subclasses it and adds its own.

    ``???`` (MISSING) values must be given by the preset; presets share a base
    through Hydra's defaults list.
    """

    name: str = MISSING
    paper: str = MISSING
    description: str = ""
    plugins: List[str] = field(default_factory=list)  # modules imported first (they register algorithms)
    algorithms: List[str] = MISSING
    hyperparameters: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # per algorithm
    horizon: int = MISSING  # rounds (fixed horizon) or the cap on the stopping time
    seeds: int = MISSING
    checkpoints: int = 100  # log-spaced points of the curves (fixed-horizon papers)


@dataclass
class RunnerSchema:
    """``configs/runner/*.yaml``: how to run, never what (values in configs/runner/default.yaml)."""

    chunk: int = MISSING
    stopping_chunk: int = MISSING
    batch_size: int = MISSING
    batch_sizes: Dict[str, int] = MISSING  # per algorithm: its jobs' batch_size
    base_seed: int = MISSING
    rng: str = MISSING
    x64: bool = MISSING
    refill: bool = MISSING
    progress: bool = MISSING
    resume: bool = MISSING
    max_horizon: Optional[int] = None
    max_seeds: Optional[int] = None
    checkpoints: Optional[int] = None
    compilation_cache: Any = MISSING  # true (the user's cache directory), a directory, or false (experiments.run)


def load_config(schema: type, cfg, prefix: str):
    """Check a config against its dataclass schema: an object of ``schema``, or one ``ConfigError`` line.

    Unknown keys, wrong types and missing values are named by their full key.
    """
    from omegaconf import OmegaConf
    from omegaconf import errors as oe

    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), cfg)
        return OmegaConf.to_object(merged)
    except oe.MissingMandatoryValue as e:
        raise ConfigError(f"missing value for {prefix}.{e.full_key}") from None
    except oe.ConfigKeyError as e:
        key = e.full_key or str(e).split("'")[1]
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        valid = _schema_keys(schema, parent)
        raise ConfigError(f"unknown key {prefix}.{key}" + (f"; valid keys: {', '.join(valid)}" if valid else "")) \
            from None
    except oe.ValidationError as e:
        msg = str(e).splitlines()[0]
        raise ConfigError(f"{prefix}.{e.full_key}: {msg}") from None


def _schema_keys(schema: type, path: str) -> list[str]:
    import dataclasses
    import typing

    for part in [p for p in path.split(".") if p]:
        hints = typing.get_type_hints(schema)
        schema = hints.get(part)
        if not (isinstance(schema, type) and dataclasses.is_dataclass(schema)):
            return []
    return [f.name for f in dataclasses.fields(schema)]
