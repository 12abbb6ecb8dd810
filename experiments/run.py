"""``bandits-bench experiment=ata/table1 [runner=smoke] [key=value ...]`` (also ``python -m experiments.run``).

Each job: resolve the preset, run every (environment, algorithm) with seeds
vectorised, and write ``runs.parquet``, ``curves.parquet`` and ``meta.json``
atomically into the Hydra output directory. Bad input -> one line on stderr
naming the problem and the valid choices, exit status 2, no results written.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
BUILTIN_LAUNCHERS = ("basic", "joblib", "submitit_local", "submitit_slurm")


class UsageError(Exception):
    pass


def available(group: str) -> list[str]:
    """Config options of a group: files under configs/<group>/ (nested names use '/')."""
    root = CONFIG_DIR / group
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))


def precheck_argv(argv: list[str]) -> None:
    """Check config-group choices before Hydra composes (its own errors are multi-line)."""
    groups = {
        "experiment": available("experiment"),
        "runner": available("runner"),
        "hydra/launcher": sorted(set(BUILTIN_LAUNCHERS) | set(available("hydra/launcher"))),
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


def _fail(msg: str, out_dir: str | None = None):
    """One line on stderr, exit 2. Removes only what this run wrote: never a user's file or directory."""
    print(f"bandits-bench: error: {msg}", file=sys.stderr)
    if out_dir:
        _remove_own_files(Path(out_dir))
    sys.exit(2)


def _remove_own_files(out: Path):
    """Hydra's own files of this job (.hydra/*.yaml, the job log), then the directory only if it is left empty."""
    from hydra.core.hydra_config import HydraConfig

    try:
        job_log = out / f"{HydraConfig.get().job.name}.log"
    except ValueError:
        job_log = None
    for f in [out / ".hydra" / n for n in ("config.yaml", "hydra.yaml", "overrides.yaml")] + [job_log]:
        if f is not None and f.is_file():
            f.unlink()
    for d in (out / ".hydra", out):
        try:
            d.rmdir()  # only if empty
        except OSError:
            pass


def load_plugins(modules) -> None:
    """Import user modules that register algorithms (``plugins: [pkg.module]`` in a preset).

    The repository root and the working directory are importable, so ``examples.x``
    or a module next to where you run the command works without installing it.
    """
    import importlib

    for path in (str(CONFIG_DIR.parent), os.getcwd()):
        if path not in sys.path:
            sys.path.insert(0, path)
    for mod in modules:
        try:
            importlib.import_module(mod)
        except ImportError as e:
            raise ValueError(f"cannot import plugin {mod!r}: {e}") from None


def effective_spec(cfg) -> dict:
    from omegaconf import OmegaConf

    spec = OmegaConf.to_container(cfg.experiment, resolve=True)
    r = cfg.runner
    if r.get("max_horizon") is not None:
        spec["horizon"] = min(int(spec["horizon"]), int(r.max_horizon))
    if r.get("max_seeds") is not None:
        spec["seeds"] = min(int(spec["seeds"]), int(r.max_seeds))
    if r.get("checkpoints") is not None:
        spec["checkpoints"] = int(r.checkpoints)
    return spec


def job(cfg) -> str:
    """Run one Hydra job; returns the output directory."""
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    out_dir = HydraConfig.get().runtime.output_dir
    try:
        import jax

        jax.config.update("jax_enable_x64", bool(cfg.runner.x64))
        from bandits.core.registry import UnknownNameError
        from bandits.core.results import environment_info, git_revision, write_results

        from .kinds import KINDS

        kind = KINDS.get(cfg.experiment.kind)()
        spec = effective_spec(cfg)
        load_plugins(spec.get("plugins") or [])
        kind.validate(spec)
    except (UnknownNameError, ValueError, KeyError) as e:
        _fail(str(e), out_dir)
    t0 = time.perf_counter()
    try:
        runs, curves, timings = kind.run(spec, OmegaConf.to_container(cfg.runner, resolve=True),
                                         log=lambda *a, **k: print(*a, **k))
    except FloatingPointError as e:
        _fail(str(e), out_dir)
    except ValueError as e:  # late validation (e.g. law parameters)
        _fail(str(e), out_dir)
    wall = time.perf_counter() - t0
    meta = {
        "experiment": {"name": spec.get("name"), "paper": spec.get("paper"), "kind": spec.get("kind")},
        "config": OmegaConf.to_container(cfg, resolve=True),
        "effective": {"horizon": spec["horizon"], "seeds": spec["seeds"]},
        "overrides": list(HydraConfig.get().overrides.task),
        "git_revision": git_revision(Path(__file__).resolve().parent),
        "environment": environment_info(),
        "wall_time_s": wall,
        "timings": timings,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_results(out_dir, runs, curves, meta)
    print(f"results: {out_dir} ({len(runs)} runs, {wall:.1f}s)", file=sys.stderr)
    return out_dir


def main(argv: list[str] | None = None):
    import hydra

    argv = sys.argv[1:] if argv is None else argv
    try:
        precheck_argv(argv)
    except UsageError as e:
        print(f"bandits-bench: error: {e}", file=sys.stderr)
        sys.exit(2)
    sys.argv = [sys.argv[0]] + list(argv)
    hydra.main(version_base=None, config_path=str(CONFIG_DIR), config_name="config")(job)()


if __name__ == "__main__":
    main()
