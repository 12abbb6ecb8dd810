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

import functools
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
BUILTIN_LAUNCHERS = ("basic", "joblib", "submitit_local", "submitit_slurm")
HYDRA_INFO_FLAGS = ("--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i", "--version", "--resolve",
                    "--package", "-p", "--shell-completion", "-sc")
LOCK = ".bandits-run.lock"
FAILURE_LOG = "BANDITS_BENCH_FAILURE_LOG"
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
    """(config dirs from --config-dir/-cd, multirun?, Hydra flags, overrides)."""
    dirs, flags, overrides, multirun = [], [], [], False
    it = iter(argv)
    for arg in it:
        if arg in ("--config-dir", "-cd"):
            d = next(it, None)
            if d is None:
                raise UsageError(f"{arg} needs a directory")
            dirs.append(d)
            flags += [arg, d]
        elif arg.startswith("--config-dir="):
            dirs.append(arg.split("=", 1)[1])
            flags.append(arg)
        elif arg in ("-m", "--multirun"):
            multirun = True
            flags.append(arg)
        elif arg.startswith("-"):
            flags.append(arg)
        else:
            overrides.append(arg)
    return dirs, multirun, flags, overrides


def _search_dirs(config_dirs: list[str], overrides: list[str]) -> list[Path]:
    dirs = [Path(d).resolve() for d in config_dirs]
    for o in overrides:
        key, _, value = o.partition("=")
        if key.lstrip("+") == "hydra.searchpath":
            for item in value.strip("[]").split(","):
                item = item.strip().strip("'\"")
                if item.startswith("file://"):
                    dirs.append(Path(item[len("file://"):]).resolve())
    return dirs + [CONFIG_DIR]


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


def load_plugins(modules) -> None:
    """Import user modules that register algorithms or papers (``plugins: [pkg.module]`` in a preset).

    The repository root and the working directory are importable, so ``examples.x``
    or a module next to where you run the command works without installing it.
    """
    import importlib
    import traceback

    from bandits.core.experiment import ConfigError

    for path in (str(CONFIG_DIR.parent), os.getcwd()):
        if path not in sys.path:
            sys.path.insert(0, path)
    for mod in modules:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and mod.startswith(e.name):
                raise ConfigError(f"cannot import plugin {mod!r}: no such module") from None
            raise ConfigError(f"plugin {mod!r} failed to import: {type(e).__name__}: {e}") from None
        except Exception as e:  # a bug in the plugin: its own error and where
            frame = traceback.extract_tb(e.__traceback__)[-1]
            raise ConfigError(f"plugin {mod!r} failed to import: {type(e).__name__}: {e} "
                              f"({frame.filename}:{frame.lineno})") from None


def prepare(cfg, warn=None):
    """Composed config -> (paper, spec, runner settings, plan). Raises ConfigError / UnknownNameError."""
    from omegaconf import OmegaConf

    from bandits.core.experiment import (ConfigError, RunnerSchema, available_memory, discover_papers,
                                         load_config, memory_estimate, plan_experiment)

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
    plan = plan_experiment(paper, spec, runner_map, warn=warn)
    need, have = memory_estimate(plan), available_memory()
    if have and need > 0.7 * have:
        raise ConfigError(f"the results would need about {need / 2**30:.1f} GiB of memory ({have / 2**30:.1f} GiB "
                          f"here); lower experiment.seeds or experiment.checkpoints, or split the sweep")
    return paper, spec, runner, plan


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


def check_writable(out: Path) -> None:
    """The output directory can be created and written (checked before Hydra creates it)."""
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"cannot write results to {out}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write results to {out}: {probe} is not writable")


def check_output_dir(out: Path, config: dict, resume: bool) -> str:
    """'run', 'skip' (complete, same config, resume) or raise UsageError (results or a live run there)."""
    check_writable(out)
    lock = out / LOCK
    if lock.exists() and _lock_is_live(lock):
        raise UsageError(f"{out} is in use by a live run ({lock}); wait for it or choose another output directory")
    meta = out / "meta.json"
    if meta.exists():
        if not resume:
            raise UsageError(f"{out} already holds results; choose another output directory "
                             f"(hydra.run.dir / hydra.sweep.dir), or add runner.resume=true to skip complete jobs")
        try:
            stored = json.loads(meta.read_text()).get("config", {})
        except (OSError, ValueError):
            return "run"  # unreadable results are redone
        if _result_config(stored) != _result_config(config):
            raise UsageError(f"{out} holds results of a different config; resume needs the same settings "
                             f"(or choose another output directory)")
        return "skip"
    return "run"


def precheck(argv: list[str]) -> None:
    """Compose and check every job of the command before any of them runs."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    config_dirs, multirun, _, overrides = _split_argv(argv)
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
            use_compilation_cache(cfg.runner.get("compilation_cache"))  # before anything compiles
            x64 = _wants_x64(cfg)
            with jax.enable_x64(x64):  # the job's dtype (the job sets it for its process; this leaves it as it was)
                prepared = prepare(cfg)
            _, _, runner, _ = prepared
            out = Path(cfg.hydra.sweep.dir) / str(cfg.hydra.sweep.subdir) if multirun else Path(cfg.hydra.run.dir)
            task = OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True)
            check_output_dir(out, task, runner.resume)
            if str(cfg.hydra.launcher.get("_target_", "")).endswith("BasicLauncher"):  # its jobs run in this process
                PREPARED[_prepared_key(task, x64)] = prepared


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


def _record_failure(out_dir: str, msg: str):
    path = os.environ.get(FAILURE_LOG)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"dir": out_dir, "error": msg}) + "\n")


def job(cfg) -> str | None:
    """Run one Hydra job; returns the output directory (None if it failed)."""
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from bandits.core.experiment import ConfigError
    from bandits.core.registry import UnknownNameError

    quiet_jax_logs()
    out = Path(HydraConfig.get().runtime.output_dir)
    multirun = HydraConfig.get().mode.name == "MULTIRUN"
    container = OmegaConf.to_container(cfg, resolve=True)
    created = not any(out.iterdir()) if out.is_dir() else True
    lock = out / LOCK
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
            return str(out)
        out.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _lock_is_live(lock):
                raise UsageError(f"{out} is in use by a live run ({lock})") from None
            lock.unlink(missing_ok=True)  # a killed run's lock
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}))
    except (ConfigError, UnknownNameError, UsageError) as e:
        return _job_failed(str(e), out, created, None, multirun, status=2)
    try:
        return _run_job(cfg, paper, spec, runner, plan, out, container, cache)
    except (FloatingPointError, ValueError) as e:  # NaN/inf metrics, late checks: their message says it all
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
    if multirun:
        _record_failure(str(out), msg)
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
        "experiment": {"name": spec.name, "paper": paper.name, "plugins": list(spec.plugins)},
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
    import hydra

    argv = sys.argv[1:] if argv is None else list(argv)
    quiet_jax_logs()
    if not any(a in HYDRA_INFO_FLAGS or a.startswith(("--cfg=", "--package=")) for a in argv):
        from bandits.core.experiment import ConfigError
        from bandits.core.registry import UnknownNameError

        try:
            precheck(argv)
        except (UsageError, ConfigError, UnknownNameError) as e:
            _fail_line(str(e))
    fd, failures = tempfile.mkstemp(prefix="bandits-bench-failures-", suffix=".jsonl")
    os.close(fd)
    os.environ[FAILURE_LOG] = failures
    sys.argv = [sys.argv[0]] + argv
    try:
        hydra.main(version_base=None, config_path=str(CONFIG_DIR), config_name="config")(job)()
        lines = [json.loads(line) for line in Path(failures).read_text().splitlines() if line.strip()]
    finally:
        Path(failures).unlink(missing_ok=True)
    if lines:
        print(f"bandits-bench: {len(lines)} job(s) failed; the others' results are kept:", file=sys.stderr)
        for f in lines:
            print(f"  {f['dir']}: {f['error']}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
