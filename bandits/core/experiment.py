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
from .ranges import (INT32_MAX, MAX_CHUNK, MAX_HORIZON, UINT32_MAX, WHY_ROUNDS, ConfigError,  # noqa: F401
                     check_ranges, finite_float, ranged, strict_int)  # (ConfigError, finite_float: re-exported)
from .registry import Registry
from .results import curves_frame, runs_frame
from .runner import InvalidActionError, RunConfig, available_memory, run_fixed_horizon, run_until_stopped
from .types import Environment, Simulation, interact

PyTree = Any
MODES = ("fixed", "stopping")
PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray",
           "tab:olive", "tab:cyan")


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
    curve_metrics: Optional[tuple] = None  # the curve metrics its analysis reads (the report loads those; None: all)

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
    """Check everything and build every simulation before anything runs (the memory it needs included)."""
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
    if paper.check is not None:
        paper.check(spec)
    try:
        chunk = runner.get("stopping_chunk") if paper.mode == "stopping" else None
        cfg = RunConfig.from_mapping(runner, horizon=horizon, **({"chunk": chunk} if chunk is not None else {}))
    except (TypeError, ValueError) as e:
        raise ConfigError(f"runner: {e}") from None
    batch_sizes = {}
    for a, size in (runner.get("batch_sizes") or {}).items():
        if a not in paper.algorithms:  # (one the experiment does not run is allowed, as for hyperparameters)
            raise ConfigError(f"runner.batch_sizes given for unknown algorithm {a!r}; valid choices: "
                              f"{', '.join(paper.algorithms.names())}")
        batch_sizes[a] = strict_int(size, f"runner.batch_sizes.{a}", 1)
    problems = list(paper.problems(spec))
    if not problems:
        raise ConfigError("the experiment expands to no problem: a sweep axis of it is an empty list")
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
    plan = Plan(paper=paper, spec=spec, cfg=cfg, problems=problems, jobs=jobs, seeds=np.zeros(0, np.int64),
                grid=grid, batch_sizes=batch_sizes)
    check_memory(plan, seeds)
    plan.seeds = np.arange(seeds)  # (after the check: 2^31 seeds would not fit in memory either)
    return plan


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
        try:
            res = run_fixed_horizon(sim, seeds, cfg, plan.grid, label=f"{name} {problem.label}") \
                if paper.mode == "fixed" else run_until_stopped(sim, seeds, cfg)
        except InvalidActionError as e:  # the environment's ActionCheck refused an action: name who played it
            raise InvalidActionError(f"algorithm {name!r} on {problem.label}: {e}") from None
        if paper.mode == "fixed":
            metrics = {**res.metrics, **shared}
            curves.append(curves_frame(name, problem.label, seeds, plan.grid, metrics, columns))
            runs.append(runs_frame(name, problem.label, seeds, {k: v[:, -1] for k, v in metrics.items()},
                                   {**columns, "t": cfg.horizon}))
        else:
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


def _nbytes(tree) -> int:
    import jax

    return sum(int(np.prod(x.shape)) * np.dtype(x.dtype).itemsize for x in jax.tree.leaves(tree))


class MemoryNeed(NamedTuple):
    frames: int  # host bytes of the stored frames (rows x ~128 bytes)
    batch: int  # bytes of the largest batch in flight: carries (in, out, temporaries), a chunk's draws, curves
    #             (the runner checks XLA's own count after compiling: a step's temporaries included)
    width: int  # that batch's width (seeds)
    job: str  # "<algorithm> on <problem>" of that batch


def memory_estimate(plan: Plan, seeds: Optional[int] = None) -> MemoryNeed:
    """What a plan will hold in memory, from the shapes of its simulations (``jax.eval_shape``: nothing runs)."""
    import jax

    from .runner import batch_width

    n_seeds = len(plan.seeds) if seeds is None else int(seeds)
    points = len(plan.grid) if plan.grid is not None else 1
    key = jax.random.key(0)
    rows, batch = 0, MemoryNeed(0, 0, 0, "")
    for problem, name, _, sim in plan.jobs:
        cfg = plan.job_config(name)
        carry = jax.eval_shape(sim.init, key)
        metrics = jax.eval_shape(sim.metrics, carry)
        rows += n_seeds * (points * len(metrics) + 1)
        chunk = int(min(cfg.chunk, cfg.horizon))
        noise = jax.eval_shape(lambda k: sim.sample(k, chunk), key)
        width = batch_width(min(cfg.batch_size, n_seeds), len(jax.devices()))
        need = width * (3 * _nbytes(carry) + _nbytes(noise) + points * _nbytes(metrics))
        if need > batch.batch:
            batch = MemoryNeed(0, need, width, f"{name} on {problem.label}")
    return batch._replace(frames=rows * 128)


def check_memory(plan: Plan, seeds: Optional[int] = None, have: Optional[int] = None) -> MemoryNeed:
    """One ``ConfigError`` line if the plan would need more than 70% of this machine's memory."""
    need = memory_estimate(plan, seeds)
    have = available_memory() if have is None else have
    if have and need.frames + need.batch > 0.7 * have:
        gib = lambda b: f"{b / 2**30:.1f} GiB"  # noqa: E731
        if need.batch > need.frames:
            hint = "lower runner.batch_size" if need.width > batch_width_floor() else \
                "shrink the problem (it does not fit even in the smallest batch)"
            raise ConfigError(f"a batch of {need.width} seeds of {need.job} would need about {gib(need.batch)} of "
                              f"memory ({gib(have)} here); {hint}")
        raise ConfigError(f"the results would need about {gib(need.frames)} of memory ({gib(have)} here); lower "
                          f"experiment.seeds or experiment.checkpoints, or split the sweep")
    return need


def batch_width_floor() -> int:
    import jax

    from .runner import batch_width

    return batch_width(1, len(jax.devices()))


# ----------------------------------------------------------------------------- schemas
MAX_CHECKPOINTS = 10**6
MAX_BATCH = 2**20
WHY_CHUNK = "a chunk's draws are held in memory at once"


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
    horizon: int = ranged(MISSING, 1, MAX_HORIZON, why=WHY_ROUNDS)  # rounds (fixed horizon) or the stopping-time cap
    seeds: int = ranged(MISSING, 1, INT32_MAX, why="seed indices are 32-bit integers")
    checkpoints: int = ranged(100, 1, MAX_CHECKPOINTS)  # log-spaced points of the curves (fixed-horizon papers)


@dataclass
class RunnerSchema:
    """``configs/runner/*.yaml``: how to run, never what (values in configs/runner/default.yaml)."""

    chunk: int = ranged(MISSING, 1, MAX_CHUNK, why=WHY_CHUNK)
    stopping_chunk: int = ranged(MISSING, 1, MAX_CHUNK, why=WHY_CHUNK)
    batch_size: int = ranged(MISSING, 1, MAX_BATCH)
    batch_sizes: Dict[str, int] = ranged(MISSING, 1, MAX_BATCH)  # per algorithm: its jobs' batch_size
    base_seed: int = ranged(MISSING, 0, UINT32_MAX, why="the random key is built from 32 bits")
    rng: str = MISSING
    x64: bool = MISSING
    refill: bool = MISSING
    progress: bool = MISSING
    resume: bool = MISSING
    max_horizon: Optional[int] = ranged(None, 1, MAX_HORIZON, why=WHY_ROUNDS)
    max_seeds: Optional[int] = ranged(None, 1, INT32_MAX, why="seed indices are 32-bit integers")
    checkpoints: Optional[int] = ranged(None, 1, MAX_CHECKPOINTS)
    compilation_cache: Any = MISSING  # true (the user's cache directory), a directory, or false (experiments.run)


def load_config(schema: type, cfg, prefix: str):
    """Check a config against its dataclass schema: an object of ``schema``, or one ``ConfigError`` line.

    Unknown keys, wrong types, missing values and values out of their range (``bandits.core.ranges``) are
    named by their full key.
    """
    from omegaconf import OmegaConf
    from omegaconf import errors as oe

    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), cfg)
        obj = OmegaConf.to_object(merged)
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
    check_ranges(obj, prefix)  # every numeric key against its range (declared with ``ranged`` or its type's)
    return obj


def _schema_keys(schema: type, path: str) -> list[str]:
    import dataclasses
    import typing

    for part in [p for p in path.split(".") if p]:
        hints = typing.get_type_hints(schema)
        schema = hints.get(part)
        if not (isinstance(schema, type) and dataclasses.is_dataclass(schema)):
            return []
    return [f.name for f in dataclasses.fields(schema)]
