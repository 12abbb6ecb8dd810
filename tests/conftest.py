import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CACHE_ENV = "JAX_COMPILATION_CACHE_DIR"


def pytest_configure(config):
    """One persistent XLA compilation cache for the whole test session (both pytest-xdist workers and every CLI
    subprocess inherit it through the environment): the suite compiles many identical programs in different
    tests and processes (the contract's narrow width in the wide-batch test, a preset in several CLI tests),
    and a cache hit returns the same executable, so results are unchanged. Every program is cached, however fast
    it compiled (minimum compile time 0): a CLI subprocess otherwise recompiles dozens of small ones (a warm
    figure3 smoke run: 8.1 s with JAX's default threshold, 6.2 s with 0). A cache the user set is kept (and
    reused across sessions); otherwise a fresh directory per session, removed at the end."""
    if hasattr(config, "workerinput") or os.environ.get(CACHE_ENV):
        return  # an xdist worker inherits the controller's directory; a user's own cache is respected
    path = tempfile.mkdtemp(prefix="bandits-xla-cache-")
    config._bandits_xla_cache = path
    os.environ[CACHE_ENV] = path
    min_secs = os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    if "jax" in sys.modules:  # imported before this hook (by a plugin): point its config at the directory too
        import jax

        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_secs))


def pytest_unconfigure(config):
    path = getattr(config, "_bandits_xla_cache", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)


def run_cli(args, cwd, env_extra=None, timeout=900, tool="bandits-bench"):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env_extra or {})}
    return subprocess.run(tool_command(tool) + list(args), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


def check_bad_input(args, message, tmp_path, monkeypatch, capsys):
    """Run the CLI in-process on bad ``args``: exit 2, one error line containing ``message``, nothing written.

    Every check happens in the precheck, before Hydra creates a directory (``experiments.run.main``).
    """
    from experiments.run import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(list(args) + [f"hydra.run.dir={tmp_path}/run", "runner.progress=false"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], err[-2000:]
    assert not any(tmp_path.iterdir()), "something was written"


def tool_command(tool: str) -> list:
    exe = BIN / tool
    return [str(exe)] if exe.exists() else [sys.executable, "-m", {"bandits-bench": "experiments.run",
                                                                   "bandits-bench-report": "experiments.report"}[tool]]


def run_presets_and_report(root: Path, presets: dict, extra=()) -> Path:
    """Run named presets (name -> overrides) in parallel processes with ``runner=smoke``, then the report."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = {name: subprocess.Popen(tool_command("bandits-bench") + list(args) + ["runner=smoke", *extra,
                                                                                  f"hydra.run.dir={root}/{name}"],
                                    cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, args in presets.items()}
    for name, p in procs.items():
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, f"{name}: {err[-3000:]}"
    out = subprocess.run(tool_command("bandits-bench-report") + [str(root), "--figures", f"{root}/fig", "--paper",
                                                                 f"{root}/pap"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return root
