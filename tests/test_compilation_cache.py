"""The CLI's persistent XLA compilation cache: where it goes (default, a directory, off), and that a warm run
loads its programs from it and gives the same results."""
import json
import os
import subprocess
import sys

import pandas as pd

from conftest import tool_command

SMOKE = ["experiment=ata/figure3", "runner=smoke", "experiment.algorithms=[ata]"]


def _run(args, cwd, env):
    out = subprocess.run(tool_command("bandits-bench") + SMOKE + args, cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads((cwd / args[-1].split("=", 1)[1] / "meta.json").read_text())


def test_default_cache_is_the_users_and_a_warm_run_is_the_same_run(tmp_path):
    """No cache set in the environment: the default is $XDG_CACHE_HOME/bandits-bench/xla. The second run finds
    its programs there (compiling takes a fraction of the cold run's time) and stores identical results."""
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), PYTHONUNBUFFERED="1")
    cold = _run([f"hydra.run.dir={tmp_path}/cold"], tmp_path, env)
    cache = tmp_path / "xdg" / "bandits-bench" / "xla"
    assert cold["compilation_cache"] == str(cache) and len(list(cache.iterdir())) > 3
    warm = _run([f"hydra.run.dir={tmp_path}/warm"], tmp_path, env)
    compile_s = [sum(t["compile_time"] for t in m["timings"]) for m in (cold, warm)]
    assert compile_s[1] < 0.5 * compile_s[0], compile_s
    a, b = (pd.read_parquet(tmp_path / d / "runs.parquet") for d in ("cold", "warm"))
    cols = [c for c in a.columns if c not in ("wall_time",)]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_cache_directory_or_off(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    meta = _run([f"runner.compilation_cache={tmp_path}/mine", f"hydra.run.dir={tmp_path}/dir"], tmp_path, env)
    assert meta["compilation_cache"] == str(tmp_path / "mine") and any((tmp_path / "mine").iterdir())
    meta = _run(["runner.compilation_cache=false", f"hydra.run.dir={tmp_path}/off"], tmp_path, env)
    assert meta["compilation_cache"] is None
