import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_cli(args, cwd, env_extra=None, timeout=900, tool="bandits-bench"):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env_extra or {})}
    exe = BIN / tool
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", {"bandits-bench": "experiments.run",
                                                                  "bandits-bench-report": "experiments.report"}[tool]]
    return subprocess.run(cmd + list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
