"""``bandits-bench experiment=<paper>/<preset> [runner=smoke] [key=value ...]`` (also ``python -m experiments.run``).

Before anything runs or is written, every job (one, or all jobs of a ``-m`` sweep)
is composed and checked: config groups, the paper's schema (unknown keys, types,
missing values), value ranges, algorithm names and hyperparameters (every
simulation is built), the memory the results will need, and the output
directory (never one that holds results or a live run, unless
``runner.resume=true`` skips the complete jobs). Bad input -> one line on stderr
naming the problem and the valid choices, exit status 2, nothing written.

Each job then runs every (problem, algorithm) with seeds vectorised and writes
``runs.parquet``, ``curves.parquet`` (fixed-horizon papers) and ``meta.json``
atomically into its output directory. A job that fails at run time fails alone:
its one-line reason is collected and printed at the end of the sweep (exit 1).
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import socket
import sys
import tempfile
import time
from pathlib import Path

from experiments import processes

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
BUILTIN_LAUNCHERS = ("basic", "joblib", "submitit_local", "submitit_slurm")
HYDRA_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i", "--version", "--resolve",
                    "--package", "-p", "--shell-completion", "-sc")
VALUE_FLAGS = ("--config-name", "-cn", "--config-path", "-cp", "--experimental-rerun", "--cfg", "-c", "--package",
               "-p")  # Hydra's flags that take a value (``--info`` may: one of INFO_CHOICES)
INFO_CHOICES = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")
LOCK = ".bandits-run.lock"
TOP_LEVEL_KEYS = ("experiment", "runner")  # configs/config.yaml's groups; anything else at the top is a typo
JOURNAL = "BANDITS_BENCH_JOURNAL"
# Jobs the precheck has prepared, by ``_prepared_key``: a job that the basic launcher runs in this process takes its
# plan from here instead of building its problems and simulations (comparators, lower bounds) a second time.
PREPARED: dict = {}
# results depend on these runner keys; the others (progress, batch size, ...) never change a number
RESULT_RUNNER_KEYS = ("chunk", "stopping_chunk", "base_seed", "rng", "x64", "max_horizon", "max_seeds", "checkpoints")
CACHE_ENV = "JAX_COMPILATION_CACHE_DIR"  # a cache directory set in the environment (a user's, a test session's)


class UsageError(Exception):
    pass


# ----------------------------------------------------------------------------- argv
def _split_argv(argv: list[str]):
    """(config dirs from --config-dir/-cd, multirun?, Hydra flags (with their values), overrides)."""
    dirs, flags, overrides, multirun = [], [], [], False
    i = 0
    while i < len(argv):
        arg, nxt = argv[i], (argv[i + 1] if i + 1 < len(argv) else None)
        i += 1
        if arg in ("--config-dir", "-cd"):
            if nxt is None:
                raise UsageError(f"{arg} needs a directory")
            dirs.append(nxt)
            flags += [arg, nxt]
            i += 1
        elif arg.startswith("--config-dir="):
            dirs.append(arg.split("=", 1)[1])
            flags.append(arg)
        elif arg in ("-m", "--multirun"):
            multirun = True
            flags.append(arg)
        elif arg in VALUE_FLAGS or (arg in ("--info", "-i") and nxt in INFO_CHOICES):  # a flag and its value
            flags += [arg] + ([nxt] if nxt is not None else [])
            i += 1
        elif arg.startswith("-"):
            flags.append(arg)
        else:
            overrides.append(arg)
    return dirs, multirun, flags, overrides


def _search_dirs(config_dirs: list[str], overrides: list[str]) -> list[Path]:
    dirs = [(f"--config-dir {d}", Path(d).resolve()) for d in config_dirs]
    for o in overrides:
        key, _, value = o.partition("=")
        if key.lstrip("+") == "hydra.searchpath":
            for item in value.strip("[]").split(","):
                item = item.strip().strip("'\"")
                if item.startswith("file://"):
                    dirs.append((f"hydra.searchpath {item}", Path(item[len("file://"):]).resolve()))
    for given, d in dirs:
        if not d.is_dir():
            raise UsageError(f"{given}: {'not a directory' if d.exists() else 'no such directory'}; it must be a "
                             f"folder of configs (<dir>/experiment/<name>.yaml)")
    return [d for _, d in dirs] + [CONFIG_DIR]


def check_overrides(overrides: list[str]) -> None:
    """Every override is key=value (or ~key): a bare word is most often the rest of an unquoted value with spaces."""
    for i, arg in enumerate(overrides):
        if "=" in arg or arg.startswith("~"):
            continue
        prev = overrides[i - 1] if i and "=" in overrides[i - 1] else None
        if prev is not None:
            raise UsageError(f"{arg!r} is not key=value: if it belongs to the value before it (a path with spaces), "
                             f"quote the whole override for the shell: '{prev} {arg}'")
        raise UsageError(f"{arg!r} is not an override; write key=value (e.g. experiment=ata/figure3)")


def available(group: str, search: list[Path] | None = None) -> list[str]:
    """Config options of a group: files under <config dir>/<group>/ (nested names use '/')."""
    names = set()
    for root in search or [CONFIG_DIR]:
        root = root / group
        if root.is_dir():
            names |= {str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml")
                      if not p.name.startswith("_")}  # _base.yaml: shared blocks, not presets
    return sorted(names)


def precheck_argv(argv: list[str], search: list[Path] | None = None) -> None:
    """Check config-group choices before Hydra composes (its own errors are multi-line)."""
    groups = {
        "experiment": available("experiment", search),
        "runner": available("runner", search),
        "hydra/launcher": sorted(set(BUILTIN_LAUNCHERS) | set(available("hydra/launcher", search))),
    }
    for arg in argv:
        if "=" not in arg or arg.startswith("-"):
            continue
        key, value = arg.split("=", 1)
        key = key.lstrip("+~")
        if key in groups:
            for choice in value.split(","):  # multirun sweeps: a,b,c
                if choice not in groups[key]:
                    raise UsageError(f"unknown {key} {choice!r}; valid choices: {', '.join(groups[key])}")


def _job_overrides(overrides: list[str], multirun: bool) -> list[list[str]]:
    """Every job's overrides (a multirun sweep expanded as Hydra's basic sweeper does)."""
    if not multirun:
        return [overrides]
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    hydra_ov = [o for o in overrides if o.lstrip("+~").startswith(("hydra.", "hydra/"))]
    task_ov = [o for o in overrides if o not in hydra_ov]
    try:
        parsed = OverridesParser.create().parse_overrides(task_ov)
    except Exception as e:  # Hydra's parse errors are multi-line
        raise UsageError(f"cannot parse the overrides: {str(e).splitlines()[0]}") from None
    batches = BasicSweeper.split_arguments(parsed, None)
    return [hydra_ov + list(job) for job in batches[0]] if batches else [hydra_ov]


# ----------------------------------------------------------------------------- checks
def _fail_line(msg: str, status: int = 2):
    print(f"bandits-bench: error: {msg}", file=sys.stderr)
    sys.exit(status)


def quiet_jax_logs():
    """No 'Unable to initialize backend' lines on every run (a CPU-only machine is not an error)."""
    import logging

    for name in ("jax._src.xla_bridge", "jax._src.compiler", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def compilation_cache_dir(setting) -> Path | None:
    """``runner.compilation_cache`` -> the persistent XLA compilation cache's directory, or None (off).

    true: ``$JAX_COMPILATION_CACHE_DIR`` when set (a user's own cache, a test session's), else
    ``$XDG_CACHE_HOME/bandits-bench/xla`` (``~/.cache/bandits-bench/xla``); a string: that directory; false: off.
    """
    from bandits.core.experiment import ConfigError

    if setting is True:
        env = os.environ.get(CACHE_ENV)
        if env:
            return Path(env).expanduser().resolve()
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base).resolve() / "bandits-bench" / "xla"
    if setting is False:
        return None
    if isinstance(setting, str) and setting.strip():
        path = Path(setting).expanduser().resolve()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"runner.compilation_cache: {path} is a file, not a directory")
        return path
    raise ConfigError(f"runner.compilation_cache must be true (the user's cache directory), false (off) or a "
                      f"directory, got {setting!r}")


def use_compilation_cache(setting) -> Path | None:
    """Point JAX's persistent compilation cache at ``compilation_cache_dir(setting)`` (or turn it off) before
    anything compiles. Every program is cached, however fast it compiled (a run compiles dozens of small ones
    besides its simulations); a hit loads the executable that was compiled, so no result changes."""
    import jax

    path = compilation_cache_dir(setting)
    current = jax.config.jax_compilation_cache_dir
    if path is None:
        jax.config.update("jax_enable_compilation_cache", False)
    else:
        jax.config.update("jax_enable_compilation_cache", True)
        jax.config.update("jax_compilation_cache_dir", str(path))
        if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    if current != (None if path is None else str(path)):
        from jax._src import compilation_cache

        compilation_cache.reset_cache()  # (re)initialised at the next compilation, with this directory
    return path


def load_plugins(modules, paths=()) -> None:
    """Import user modules that register algorithms or papers (``plugins: [pkg.module]`` in a preset).

    The repository root and the working directory are importable, so ``examples.x``
    or a module next to where you run the command works without installing it.
    ``paths``: folders to import from first (the report passes those a run recorded, ``plugin_roots``).
    """
    import importlib
    import traceback

    from bandits.core.experiment import ConfigError

    for path in (str(CONFIG_DIR.parent), os.getcwd(), *reversed([str(p) for p in paths])):
        if path not in sys.path:
            sys.path.insert(0, path)
    for mod in modules:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and mod.startswith(e.name):
                where = ", ".join([str(p) for p in paths] + [os.getcwd()])
                raise ConfigError(f"cannot import plugin {mod!r}: no such module (looked in {where}, the "
                                  f"repository and the installed packages)") from None
            raise ConfigError(f"plugin {mod!r} failed to import: {type(e).__name__}: {e}") from None
        except Exception as e:  # a bug in the plugin: its own error and where
            frame = traceback.extract_tb(e.__traceback__)[-1]
            raise ConfigError(f"plugin {mod!r} failed to import: {type(e).__name__}: {e} "
                              f"({frame.filename}:{frame.lineno})") from None


def plugin_roots(modules) -> dict:
    """Where each imported plugin module was found: the folder to put on ``sys.path`` to import it again
    (recorded in meta.json, so the report finds the plugin from any working folder)."""
    roots = {}
    for mod in modules:
        file = getattr(sys.modules.get(mod), "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        depth = mod.count(".") + 1 + (path.name == "__init__.py")  # pkg/sub.py: 2 levels up; pkg/__init__.py: 2
        roots[mod] = str(path.parents[depth - 1])
    return roots


def prepare(cfg, warn=None):
    """Composed config -> (paper, spec, runner settings, plan). Raises ConfigError / UnknownNameError."""
    from omegaconf import OmegaConf

    from bandits.core.experiment import ConfigError, RunnerSchema, discover_papers, load_config, plan_experiment

    unknown = [k for k in cfg if k not in TOP_LEVEL_KEYS and k != "hydra"]
    if unknown:  # +experimnt.seeds=3: a misspelt top-level key, refused like a misspelt nested one
        raise ConfigError(f"unknown key {_first_leaf(cfg, unknown[0])}; valid top-level keys: "
                          f"{', '.join(TOP_LEVEL_KEYS)}")
    runner = load_config(RunnerSchema, cfg.runner, "runner")
    if "experiment" not in cfg or cfg.experiment is None:
        raise ConfigError("missing value for experiment; choose a preset with experiment=<paper>/<preset>")
    exp = cfg.experiment
    if not OmegaConf.is_dict(exp) or "paper" not in exp:
        raise ConfigError("missing value for experiment.paper")
    papers = discover_papers()
    load_plugins(list(exp.get("plugins") or []))
    paper = papers.get(exp.paper)
    spec = load_config(paper.schema, exp, "experiment")
    if runner.max_horizon is not None:
        spec.horizon = min(spec.horizon, runner.max_horizon)
    if runner.max_seeds is not None:
        spec.seeds = min(spec.seeds, runner.max_seeds)
    if runner.checkpoints is not None:
        spec.checkpoints = runner.checkpoints
    runner_map = OmegaConf.to_container(OmegaConf.structured(runner))
    plan = plan_experiment(paper, spec, runner_map, warn=warn)  # checks the memory the plan needs, too
    return paper, spec, runner, plan


def _first_leaf(cfg, key: str) -> str:
    """``experimnt.seeds`` for the subtree ``experimnt`` (the key the user typed)."""
    from omegaconf import OmegaConf

    node = cfg[key]
    while OmegaConf.is_dict(node) and len(node) > 0:
        sub = next(iter(node))
        key, node = f"{key}.{sub}", node[sub]
    return key


def _result_config(config: dict) -> dict:
    """The parts of a resolved config that determine the results (for resume)."""
    runner = config.get("runner", {})
    return {"experiment": config.get("experiment"), "runner": {k: runner.get(k) for k in RESULT_RUNNER_KEYS}}


def _lock_is_live(lock: Path) -> bool:
    try:
        info = json.loads(lock.read_text())
    except (OSError, ValueError):
        return True  # unreadable: assume a run is starting
    if info.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(info.get("pid", -1)), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def _prepared_key(container: dict, x64: bool) -> str:
    """A job's identity for ``PREPARED``: its experiment and runner settings, and the dtype it is built in."""
    return json.dumps([container.get("experiment"), container.get("runner"), x64], sort_keys=True, default=str)


def check_writable(out: Path, what: str = "results", hint: str = "") -> None:
    """The directory ``out`` can be created and written (checked before anything writes there); one line
    (``UsageError``) naming the reason otherwise: a file in the way, no permission, a name too long, ..."""
    hint = f"; {hint}" if hint else ""
    try:
        probe = Path(os.path.abspath(out))
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir():
            raise UsageError(f"cannot write {what} to {out}: {probe} is not a directory{hint}")
        if not os.access(probe, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write {what} to {out}: {probe} is not writable{hint}")
    except OSError as e:
        raise UsageError(f"cannot write {what} to {out}: {e.strerror or e}{hint}") from None


NOT_OURS = ("the suite never replaces a file it did not write: move it, or choose another output directory "
            "(hydra.run.dir / hydra.sweep.dir)")


def check_output_dir(out: Path, config: dict, resume: bool, names=(), warn=None) -> str:
    """'run', 'skip' (complete, same config, resume) or raise UsageError.

    Refused: a live run there; results there without ``runner.resume=true`` or of another config; any file
    named as one the job writes (the result files and ``names``: Hydra's, where it writes some) that the suite did
    not write -- a meta.json that is not the suite's, or a file no meta.json of the suite lists. With resume,
    complete results are skipped only if every file meta.json lists has the size and checksum recorded when it
    was written; otherwise the job is redone (it replaces only the suite's own files)."""
    from bandits.core.results import RESULT_FILES, read_meta, verify_files

    check_writable(out)
    lock = out / LOCK
    if lock.exists() and _lock_is_live(lock):
        raise UsageError(f"{out} is in use by a live run ({lock}); wait for it or choose another output directory")
    meta, foreign = read_meta(out)
    if foreign:
        raise UsageError(f"{out / 'meta.json'} was not written by bandits-bench ({foreign}); {NOT_OURS}")
    listed = set(meta.get("files") or ()) | {"meta.json"} if meta is not None else set()
    for name in RESULT_FILES + tuple(names):
        if (out / name).exists() and name not in listed and (meta is None or name in RESULT_FILES):
            raise UsageError(f"{out / name} was not written by bandits-bench (no meta.json of the suite lists it); "
                             f"{NOT_OURS}")
    if meta is None:
        return "run"
    if not resume:
        raise UsageError(f"{out} already holds results; choose another output directory "
                         f"(hydra.run.dir / hydra.sweep.dir), or add runner.resume=true to skip complete jobs")
    if _result_config(meta.get("config", {})) != _result_config(config):
        raise UsageError(f"{out} holds results of a different config; resume needs the same settings "
                         f"(or choose another output directory)")
    damaged = verify_files(out, meta)
    if damaged:
        (warn or (lambda m: print(m, file=sys.stderr)))(f"warning: redoing {out}: {damaged}")
        return "run"
    return "skip"


def hydra_written(cfg, overrides=()) -> list[str]:
    """The files Hydra writes into a job's directory with this config (relative names): its config copies
    (``hydra.output_subdir``) and a job log file (``hydra/job_logging=default``: ``<job name>.log``, appended to)."""
    from omegaconf import OmegaConf

    names = []
    sub = cfg.hydra.get("output_subdir")
    if sub:
        names += [f"{sub}/{f}" for f in ("config.yaml", "hydra.yaml", "overrides.yaml")]
    # the job's name is this module's unless overridden (compose() does not know it)
    job_name = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.job.name=")), Path(__file__).stem)
    handlers = OmegaConf.to_container(cfg.hydra.job_logging, resolve=False).get("handlers") or {}
    for h in handlers.values():
        name = Path(str(h.get("filename") or "")).name.replace("${hydra.job.name}", job_name)
        if name and "${" not in name:
            names.append(name)
    return names


def _launcher_ranges() -> dict:
    """hydra.launcher's numeric keys (the launchers' schemas say "int" only): what fits this machine and reason.
    A key not named here gets its type's range (``bandits.core.ranges``)."""
    from bandits.core.ranges import Range

    cores = os.cpu_count() or 1
    return {"n_jobs": Range(1, 4 * cores, kind="int", why=f"worker processes, each with its own JAX: at most 4 per "
                                                               f"core here; -1 for one per core"),
            "verbose": Range(0, 100, kind="int"), "timeout": Range(0.0, 1e7, low_open=True),
            "timeout_min": Range(1, 10**6, kind="int"), "cpus_per_task": Range(1, 4096, kind="int"),
            "gpus_per_node": Range(0, 64, kind="int"), "tasks_per_node": Range(1, 4096, kind="int"),
            "nodes": Range(1, 10**5, kind="int"), "mem_gb": Range(0.0, 1e5, low_open=True),
            "array_parallelism": Range(1, 10**6, kind="int"), "batch_size": Range(1, 10**6, kind="int")}


def check_launcher(cfg) -> None:
    """Every number among ``hydra.launcher``'s settings against its range (``n_jobs=0`` failed inside joblib)."""
    from omegaconf import OmegaConf

    from bandits.core.ranges import DEFAULT_RANGES

    settings = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    ranges = _launcher_ranges()
    for key, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (key == "n_jobs" and value == -1):
            continue
        rng = ranges.get(key) or DEFAULT_RANGES["int" if isinstance(value, int) else "float"]
        rng.check(value, f"hydra.launcher.{key}")


def check_sweep_dir(sweep: Path) -> None:
    """Hydra writes ``multirun.yaml`` into the sweep directory: refuse if a file of that name is not Hydra's
    config of a bandits-bench sweep."""
    import yaml

    path = sweep / "multirun.yaml"
    if not path.exists():
        return
    try:
        content = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        content = None
    if not (isinstance(content, dict) and {"hydra", "experiment", "runner"} <= set(content)):
        raise UsageError(f"{path} was not written by bandits-bench; {NOT_OURS}")


def precheck(argv: list[str]) -> dict:
    """Compose and check every job of the command before any of them runs. Returns where they write:
    {"jobs": number of jobs, "out": the first job's directory, "sweep": the sweep directory or None}."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    config_dirs, multirun, _, overrides = _split_argv(argv)
    check_overrides(overrides)
    search = _search_dirs(config_dirs, overrides)
    precheck_argv(overrides, search)
    extra = [f"hydra.searchpath=[{','.join('file://' + str(d) for d in search[:-1])}]"] \
        if len(search) > 1 and not any(o.lstrip("+").startswith("hydra.searchpath") for o in overrides) else []
    jobs = _job_overrides(overrides, multirun)
    import jax

    PREPARED.clear()  # only this command's jobs
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        for num, job_ov in enumerate(jobs):
            try:
                cfg = compose("config", overrides=extra + job_ov + ([f"hydra.job.num={num}"] if multirun else []),
                              return_hydra_config=True)
            except Exception as e:  # Hydra's composition errors are multi-line: keep the reason and the hint
                lines = [line.strip() for line in str(e).splitlines() if line.strip()]
                raise UsageError(" ".join(lines[:2]) if lines else type(e).__name__) from None
            check_launcher(cfg)
            use_compilation_cache(cfg.runner.get("compilation_cache"))  # before anything compiles
            x64 = _wants_x64(cfg)
            with jax.enable_x64(x64):  # the job's dtype (the job sets it for its process; this leaves it as it was)
                prepared = prepare(cfg)
            _, _, runner, _ = prepared
            out = Path(cfg.hydra.sweep.dir) / str(cfg.hydra.sweep.subdir) if multirun else Path(cfg.hydra.run.dir)
            task = OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True)
            if multirun and num == 0:
                check_sweep_dir(Path(cfg.hydra.sweep.dir))
            # (a job it redoes says so when it runs)
            check_output_dir(out, task, runner.resume, names=hydra_written(cfg, job_ov), warn=lambda m: None)
            if str(cfg.hydra.launcher.get("_target_", "")).endswith("BasicLauncher"):  # its jobs run in this process
                PREPARED[_prepared_key(task, x64)] = prepared
            if num == 0:
                where = {"jobs": len(jobs), "out": out, "sweep": Path(cfg.hydra.sweep.dir) if multirun else None}
    return where


def plan_preset(preset: str, overrides=(), warn=None):
    """A preset as a user's command composes it, checked and built but not run: ``prepare`` of
    ``experiment=<preset>`` with ``overrides`` (e.g. ``["experiment.seeds=1000"]``). For benchmarks and notebooks;
    x64 is the caller's to set (``jax.config.update("jax_enable_x64", ...)``) before this builds anything."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        cfg = compose("config", overrides=[f"experiment={preset}", *overrides])
    return prepare(cfg, warn=warn)


# ----------------------------------------------------------------------------- one job
def _wants_x64(cfg) -> bool:
    """runner.x64, or the paper's own ``x64`` (its presets force float64); False if the paper is unknown."""
    from bandits.core.experiment import discover_papers

    if str(cfg.runner.get("x64")).lower() in ("true", "yes", "on", "1"):
        return True
    try:
        load_plugins(list(cfg.experiment.get("plugins") or []))
        return bool(discover_papers().get(cfg.experiment.paper).x64)
    except Exception:  # noqa: BLE001 -- prepare() reports the problem in one line
        return False


def _journal(out_dir, status: str, msg: str = ""):
    """One line per finished job (status: done, skipped or failed) in the command's journal: the main process
    reads it at the end (failures) or on Ctrl-C (what finished), whichever process ran the job."""
    path = os.environ.get(JOURNAL)
    if path:
        with contextlib.suppress(OSError), open(path, "a") as f:
            f.write(json.dumps({"dir": str(out_dir), "status": status, "error": msg}) + "\n")


def _read_journal(path) -> list[dict]:
    try:
        return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def job(cfg) -> str | None:
    """Run one Hydra job; returns the output directory (None if it failed)."""
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    quiet_jax_logs()
    out = Path(HydraConfig.get().runtime.output_dir)
    multirun = HydraConfig.get().mode.name == "MULTIRUN"
    container = OmegaConf.to_container(cfg, resolve=True)
    created = not any(out.iterdir()) if out.is_dir() else True
    lock = out / LOCK
    processes.ACTIVE.update(out=out, lock=None, created=created)  # what an interruption cleans up
    processes.guard_worker()  # a sweep's worker (other launchers than joblib's) ends with its parent
    try:
        return _job(cfg, out, multirun, container, created, lock)
    finally:
        processes.ACTIVE.clear()


def _job(cfg, out: Path, multirun: bool, container: dict, created: bool, lock: Path) -> str | None:
    from bandits.core.experiment import ConfigError
    from bandits.core.registry import UnknownNameError

    try:
        import jax

        cache = use_compilation_cache(cfg.runner.get("compilation_cache"))  # (a launcher's process: set it here)
        # float64 before anything is built: a paper that forces x64 gets float64 problems and simulations
        x64 = _wants_x64(cfg)
        jax.config.update("jax_enable_x64", x64)
        prepared = PREPARED.pop(_prepared_key(container, x64), None)  # built by the precheck in this process
        paper, spec, runner, plan = prepared or prepare(cfg, warn=lambda msg: None)  # the precheck has warned
        if check_output_dir(out, container, runner.resume) == "skip":
            print(f"skipped (complete results with the same config): {out}", file=sys.stderr)
            _journal(out, "skipped")
            return str(out)
        out.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _lock_is_live(lock):
                raise UsageError(f"{out} is in use by a live run ({lock})") from None
            lock.unlink(missing_ok=True)  # a killed run's lock
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        processes.ACTIVE["lock"] = lock
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}))
    except (ConfigError, UnknownNameError, UsageError) as e:
        return _job_failed(str(e), out, created, None, multirun, status=2)
    try:
        done = _run_job(cfg, paper, spec, runner, plan, out, container, cache)
        _journal(out, "done")
        return done
    except (FloatingPointError, ValueError, MemoryError) as e:  # NaN/inf metrics, invalid actions, buffers
        # that would not fit, late checks: their message says it all
        return _job_failed(str(e), out, created, lock, multirun, status=1)
    except OSError as e:
        msg = f"cannot write results to {out}: {e.strerror}" if e.strerror else f"{type(e).__name__}: {e}"
        return _job_failed(msg, out, created, lock, multirun, status=1)
    except Exception as e:  # noqa: BLE001 -- a bug (a plugin's, say): fail this job alone, say what and where
        import traceback

        frame = traceback.extract_tb(e.__traceback__)[-1]
        msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} ({frame.filename}:{frame.lineno})"
        return _job_failed(msg, out, created, lock, multirun, status=1)
    finally:
        lock.unlink(missing_ok=True)


def _job_failed(msg: str, out: Path, created: bool, lock: Path | None, multirun: bool, status: int):
    print(f"bandits-bench: error: {msg}", file=sys.stderr)
    if lock is not None:
        lock.unlink(missing_ok=True)
    if created:  # the directory is ours and holds nothing else: remove it
        for d in (out / ".hydra", out):
            try:
                d.rmdir()
            except OSError:
                pass
    _journal(out, "failed", msg)
    if multirun:
        return None
    sys.exit(status)


def _peak_rss_mb():
    """The process's peak resident memory so far in MiB (a multirun process's covers every job it ran before);
    None where the platform does not report it."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)  # macOS reports bytes, Linux KiB


@functools.lru_cache(maxsize=None)
def _revision_at_start() -> str:
    """The repository's revision when this process ran its first job (its modules are imported by then: edits
    and commits made while a long run goes on do not change the code it runs). Read once per process."""
    from bandits.core.results import git_revision

    return git_revision(Path(__file__).resolve().parent)


def _run_job(cfg, paper, spec, runner, plan, out: Path, container: dict, cache: Path | None) -> str:
    from hydra.core.hydra_config import HydraConfig

    from bandits.core.experiment import run_experiment
    from bandits.core.results import environment_info, write_results

    revision = _revision_at_start()  # the code that runs (a revision read after a long run may be a later one)
    t0 = time.perf_counter()
    env = environment_info()
    extra = {"base_seed": runner.base_seed, "rng": runner.rng, "x64": env["x64"], "chunk": plan.cfg.chunk}
    runs, curves, timings = run_experiment(plan, extra_columns=extra)
    wall = time.perf_counter() - t0
    meta = {
        "experiment": {"name": spec.name, "paper": paper.name, "plugins": list(spec.plugins),
                       "plugin_roots": plugin_roots(spec.plugins)},
        "config": container,
        "effective": {"horizon": spec.horizon, "seeds": spec.seeds},
        "overrides": list(HydraConfig.get().overrides.task),
        "git_revision": revision,
        "environment": env,
        "wall_time_s": wall,
        "compilation_cache": None if cache is None else str(cache),  # compile times are near 0 on a cache hit
        "peak_rss_mb": _peak_rss_mb(),
        "timings": timings,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_results(out, runs, curves, meta)
    print(f"results: {out} ({len(runs)} runs, {wall:.1f}s)", file=sys.stderr)
    return str(out)


# ----------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None):
    argv = sys.argv[1:] if argv is None else list(argv)
    quiet_jax_logs()
    if "--list" in argv:  # presets by paper, algorithms and hyperparameters, launchers
        from experiments.catalog import listing

        try:
            config_dirs, _, _, overrides = _split_argv([a for a in argv if a != "--list"])
            search = _search_dirs(config_dirs, overrides)
        except UsageError as e:
            _fail_line(str(e))
        print(listing(search), end="")
        return
    try:
        fd, journal = tempfile.mkstemp(prefix="bandits-bench-journal-", suffix=".jsonl")
        os.close(fd)
    except OSError as e:
        _fail_line(f"cannot create a temporary file ({e.strerror or e}); set TMPDIR to a writable folder")
    os.environ[JOURNAL] = journal
    processes.mark_main()  # a sweep's workers end when this process does (kill -9 included)
    processes.use_guarded_loky()
    processes.quiet_helpers()
    state = {"argv": argv, "where": None}
    try:
        with processes.interruptible(lambda signum: _interrupted(state, journal)):
            _main(argv, state)
        lines = [f for f in _read_journal(journal) if f["status"] == "failed"]
    finally:
        Path(journal).unlink(missing_ok=True)
    if lines:
        print(f"bandits-bench: {len(lines)} job(s) failed; the others' results are kept:", file=sys.stderr)
        for f in lines:
            print(f"  {f['dir']}: {f['error']}", file=sys.stderr)
        sys.exit(1)


def _main(argv: list[str], state: dict):
    import hydra

    try:  # Hydra's parser wants its flags before the overrides (``a=1 -m`` fails with its usage text)
        _, _, flags, overrides = _split_argv(argv)
    except UsageError as e:
        _fail_line(str(e))
    argv = flags + overrides
    if not any(a in HYDRA_INFO_FLAGS or a.startswith(("--cfg=", "--package=")) for a in argv):
        from bandits.core.experiment import ConfigError
        from bandits.core.registry import UnknownNameError

        try:
            where = precheck(argv)
        except (UsageError, ConfigError, UnknownNameError) as e:
            _fail_line(str(e))
        argv = argv + _pinned_dirs(argv, where)  # Hydra writes where the precheck looked (and a resume will)
        state.update(argv=argv, where=where)
    sys.argv = [sys.argv[0]] + argv
    hydra.main(version_base=None, config_path=str(CONFIG_DIR), config_name="config")(job)()


def _pinned_dirs(argv: list[str], where: dict) -> list[str]:
    """``hydra.run.dir=<dir>`` (``hydra.sweep.dir`` for a sweep) as the precheck resolved it, unless given:
    a default directory holds the time it was resolved at."""
    key, value = ("hydra.sweep.dir", where["sweep"]) if where["sweep"] is not None else ("hydra.run.dir", where["out"])
    if any(a.lstrip("+").startswith(key + "=") for a in argv):
        return []
    value = str(value)
    if not re.fullmatch(r"[\w./+~@ -]+", value):  # Hydra's quoting for anything else
        value = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return [f"{key}={value}"]


def _interrupted(state: dict, journal: str):
    """Ctrl-C: one line (what finished, the command that resumes), exit status 130."""
    finished = [f for f in _read_journal(journal) if f["status"] in ("done", "skipped")]
    with contextlib.suppress(OSError):
        os.unlink(journal)
    where = state["where"]
    if where is None:
        processes.end_now(130, "bandits-bench: interrupted before any job ran; nothing was written")
    args = [a for a in state["argv"] if not a.startswith("runner.resume=")] + ["runner.resume=true"]
    place = where["sweep"] or where["out"]
    kept = f"their results kept in {place}" if finished else f"no results in {place}"
    processes.end_now(130, f"bandits-bench: interrupted: {len(finished)} of {where['jobs']} job(s) finished ({kept});"
                           f" resume with: bandits-bench {' '.join(shlex.quote(a) for a in args)}")


if __name__ == "__main__":
    main()
