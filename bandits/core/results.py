"""Tidy results, run metadata and atomic writes.

* ``runs.parquet``   one row per (algorithm, env, seed) with that seed's final metrics
* ``curves.parquet`` long form: algorithm, env, seed, t, metric, value (checkpoint grid)
* ``meta.json``      resolved config, git revision, versions, backend, devices, x64, timings
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Dict, Iterable, Mapping

import numpy as np
import pandas as pd

RESULT_FILES = ("runs.parquet", "curves.parquet", "meta.json")
WRITER = "bandits-bench"  # meta.json's "written_by": the suite's own results (the files it lists are its own)
# Held while results are written (all of a directory's renames) and while a temporary file exists: a process
# that must end now (Ctrl-C, its parent gone) takes it first, so it leaves whole results or none, and no
# temporary file (``PENDING``: the temporary files being written).
WRITE_LOCK = threading.RLock()
PENDING: set = set()


def curves_frame(algorithm: str, env: str, seeds: np.ndarray, grid: np.ndarray,
                 metrics: Mapping[str, np.ndarray], extra: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Long-form frame from ``metrics[name] = array[S, G]``."""
    S, G = len(seeds), len(grid)
    frames = []
    for name, values in metrics.items():
        values = np.asarray(values)
        if values.shape != (S, G):
            raise ValueError(f"metric {name!r} has shape {values.shape}, expected {(S, G)}")
        frames.append(pd.DataFrame({
            "seed": np.repeat(np.asarray(seeds), G),
            "t": np.tile(np.asarray(grid), S),
            "metric": name,
            "value": values.reshape(-1).astype(np.float64),
        }))
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "env", env)
    df.insert(0, "algorithm", algorithm)
    for k, v in (extra or {}).items():
        df[k] = v
    return df


def runs_frame(algorithm: str, env: str, seeds: np.ndarray, final: Mapping[str, np.ndarray],
               extra: Mapping[str, object] | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"algorithm": algorithm, "env": env, "seed": np.asarray(seeds)})
    for k, v in (extra or {}).items():
        df[k] = v
    for name, values in final.items():
        df[name] = np.asarray(values, dtype=np.float64)
    return df


def assert_finite(df: pd.DataFrame, what: str, group: str | None = None):
    """Fail loudly on NaN/inf. With ``group``, a column that is missing (all NaN) for a
    whole group -- a metric an algorithm does not define, e.g. GTA's proxy regret -- is allowed."""
    parts = [df] if group is None or group not in df else [g for _, g in df.groupby(group)]
    for part in parts:
        num = part.select_dtypes(include=[np.number])
        if group is not None:
            num = num.loc[:, ~num.isna().all(axis=0)]
        bad = ~np.isfinite(num.to_numpy(dtype=np.float64))
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise FloatingPointError(
                f"{what}: non-finite value in column {num.columns[c]!r} (row {part.index[r]}); refusing to store it")


def git_revision(cwd: str | os.PathLike | None = None) -> str:
    """HEAD's commit, with "+dirty" if the working tree differs from it. ``--no-optional-locks``: ``git status``
    would otherwise refresh the index under .git/index.lock, and a run killed meanwhile (kill -9) left that lock
    behind, failing the user's next git command."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain"], cwd=cwd, capture_output=True,
                               text=True, timeout=10)
        if rev.returncode != 0:
            return "unknown"
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment_info() -> Dict[str, object]:
    import jax
    import jaxlib

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "device_count": jax.device_count(),
        "x64": bool(jax.config.jax_enable_x64),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "cpu_count": os.cpu_count(),
    }


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (mode 0644 under the usual umask).

    Readers never see a half-written file; a failure leaves no temporary file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with WRITE_LOCK:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        PENDING.add(tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600: results are shared files
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            PENDING.discard(tmp)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode())


def strict_json(obj) -> str:
    """JSON without NaN/Infinity (strict JSON): non-finite floats become null."""

    def clean(x):
        if isinstance(x, float):
            return x if np.isfinite(x) else None
        if isinstance(x, (np.floating, np.integer, np.bool_)):
            return clean(x.item())
        if isinstance(x, Mapping):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(obj), indent=2, sort_keys=True, default=str, allow_nan=False)


def write_results(out_dir: str | os.PathLike, runs: pd.DataFrame, curves: pd.DataFrame | None, meta: Mapping) -> Path:
    """Validate, then write the files atomically (temp files + rename; meta.json last).

    ``curves`` may be None (stopping-time runs store one row per seed only). A
    crash before the renames leaves no result file; ``meta.json`` is renamed
    last, so its presence marks a complete result directory.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    assert_finite(runs, "runs", group="algorithm")
    payloads = {}
    frames = [("runs.parquet", runs)] + ([("curves.parquet", curves)] if curves is not None else [])
    if curves is not None:
        assert_finite(curves, "curves")
    for name, df in frames:
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        payloads[name] = buf.getvalue()
    files = {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in payloads.items()}
    payloads["meta.json"] = strict_json({**meta, "written_by": WRITER, "files": files}).encode()
    with WRITE_LOCK:  # a directory's files all renamed, or none
        for name in [n for n, _ in frames] + ["meta.json"]:  # meta.json last
            atomic_write_bytes(out / name, payloads[name])
    return out


def read_meta(out_dir: str | os.PathLike):
    """(meta.json's content, None) if it is the suite's, (None, why not) otherwise, (None, None) if absent.

    The suite's: a JSON object with the config and the files it wrote (``written_by`` since checksums are
    recorded; results written before carry a git revision and an environment instead)."""
    path = Path(out_dir) / "meta.json"
    if not path.exists():
        return None, None
    try:
        meta = json.loads(path.read_text())
    except OSError as e:
        return None, f"it cannot be read: {e.strerror or e}"
    except ValueError as e:
        return None, f"it is not readable JSON ({type(e).__name__})"
    ours = isinstance(meta, dict) and "config" in meta and "files" in meta and (
        meta.get("written_by") == WRITER or {"git_revision", "environment"} <= set(meta))
    return (meta, None) if ours else (None, "it is not a meta.json of bandits-bench")


def verify_files(out_dir: str | os.PathLike, meta: Mapping):
    """None if every file ``meta`` lists is there with the size and SHA-256 recorded when it was written, else
    why not (one phrase naming the file)."""
    files = meta.get("files")
    if not isinstance(files, Mapping):  # results written before checksums were recorded
        return "its meta.json records no checksums (written by an older version)"
    for name, rec in files.items():
        path = Path(out_dir) / name
        try:
            size = path.stat().st_size
        except OSError:
            return f"{name} is missing"
        if size != rec.get("bytes"):
            return f"{name} has {size:,} bytes, meta.json recorded {rec.get('bytes'):,}"
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except OSError as e:
            return f"{name} cannot be read ({e.strerror or e})"
        if digest.hexdigest() != rec.get("sha256"):
            return f"{name}'s SHA-256 differs from the one meta.json recorded"
    return None


def find_result_dirs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Every directory below ``paths`` holding a result (meta.json present)."""
    found = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"no such result directory: {p}")
        for meta in sorted(p.rglob("meta.json")) if p.is_dir() else []:
            found.append(meta.parent)
    return sorted(set(found))


def load_results(dirs: Iterable[str | os.PathLike], warn=None, curve_metrics=None):
    """Concatenate runs and curves of several result directories; adds a ``run_dir`` column.

    A corrupt or truncated directory (unreadable meta.json or parquet, a missing
    file) is skipped with one warning line naming it; the others are loaded.
    ``curve_metrics(meta) -> metric names or None``: only those curve rows of a directory are read (a
    report's memory: the curves hold every metric at every checkpoint of every seed); None reads them all.
    Returns (runs, curves or an empty frame, metas).
    """
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    runs, curves, metas = [], [], []
    for d in find_result_dirs(dirs):
        try:
            meta = json.loads((d / "meta.json").read_text())
            files = meta.get("files", list(RESULT_FILES[:2]))  # results before "files" was stored had both
            damaged = verify_files(d, meta) if isinstance(files, Mapping) else None  # older: no checksums
            if damaged:
                raise ValueError(damaged)
            r = pd.read_parquet(d / "runs.parquet")
            keep = curve_metrics(meta) if curve_metrics is not None else None
            c = pd.read_parquet(d / "curves.parquet", **({"filters": [("metric", "in", list(keep))]} if keep else {})) \
                if "curves.parquet" in files else None
            if r.empty or (c is not None and c.empty and not keep):  # (a filter may keep no row of a curves file)
                raise ValueError("empty result file")
        except Exception as e:  # noqa: BLE001 -- any corruption: skip this directory, keep the others
            warn(f"warning: skipping {d}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            continue
        r["run_dir"] = str(d)
        runs.append(r)
        if c is not None:
            c["run_dir"] = str(d)
            curves.append(c)
        metas.append({**meta, "run_dir": str(d)})
    if not runs:
        raise FileNotFoundError("no complete result directories (runs.parquet and meta.json) found")
    curves_df = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["algorithm", "env", "seed", "t", "metric", "value", "run_dir"])
    return pd.concat(runs, ignore_index=True), curves_df, metas
