"""Stored results: tidy frames, atomic writes, no NaN stored."""
import numpy as np
import pandas as pd
import pytest

from bandits.core import results as R


def frames():
    seeds, grid = np.arange(3), np.array([1, 10, 100])
    m = {"runtime": np.arange(9.0).reshape(3, 3)}
    return (R.runs_frame("a", "env", seeds, {"runtime": m["runtime"][:, -1]}),
            R.curves_frame("a", "env", seeds, grid, m))


def test_curves_are_long_form():
    runs, curves = frames()
    assert list(curves.columns) == ["algorithm", "env", "seed", "t", "metric", "value"]
    assert len(curves) == 9 and curves.query("seed == 2 and t == 100")["value"].item() == 8.0
    assert list(runs.columns) == ["algorithm", "env", "seed", "runtime"]


def test_write_is_atomic_on_crash(tmp_path, monkeypatch):
    runs, curves = frames()
    calls = {"n": 0}
    real = R.atomic_write_bytes

    def crash_on_second(path, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("interrupted mid-write")
        return real(path, data)

    monkeypatch.setattr(R, "atomic_write_bytes", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        R.write_results(tmp_path, runs, curves, {"x": 1})
    # no half-written file, no temp litter, and no meta.json: the directory is not a complete result
    assert not (tmp_path / "meta.json").exists()
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    assert R.find_result_dirs([tmp_path]) == []
    monkeypatch.setattr(R, "atomic_write_bytes", real)
    R.write_results(tmp_path, runs, curves, {"x": 1})
    assert R.find_result_dirs([tmp_path]) == [tmp_path]
    r, c, metas = R.load_results([tmp_path])
    assert len(r) == 3 and len(c) == 9 and metas[0]["x"] == 1


def test_nan_is_never_stored(tmp_path):
    runs, curves = frames()
    curves.loc[4, "value"] = np.nan
    with pytest.raises(FloatingPointError, match="non-finite"):
        R.write_results(tmp_path, runs, curves, {})
    assert not any(tmp_path.iterdir())


def test_metric_missing_for_a_whole_algorithm_is_allowed_but_partial_nan_is_not():
    df = pd.DataFrame({"algorithm": ["a", "a", "g", "g"], "regret": [1.0, 2.0, np.nan, np.nan]})
    R.assert_finite(df, "runs", group="algorithm")
    df.loc[0, "regret"] = np.nan
    with pytest.raises(FloatingPointError):
        R.assert_finite(df, "runs", group="algorithm")


def test_load_reads_only_the_curve_metrics_asked_for(tmp_path):
    """A report loads the curves its paper's analysis reads (``curve_metrics``), per directory; a filter that keeps
    no row leaves the directory's runs loaded (not skipped as empty)."""
    seeds, grid = np.arange(3), np.array([1, 10, 100])
    m = {"regret": np.arange(9.0).reshape(3, 3), "count": np.ones((3, 3))}
    for name, paper in (("p", "mine"), ("q", "other")):
        R.write_results(tmp_path / name, R.runs_frame("a", "env", seeds, {k: v[:, -1] for k, v in m.items()}),
                        R.curves_frame("a", "env", seeds, grid, m), {"experiment": {"paper": paper}})
    keep = {"mine": ("regret",), "other": ("absent",)}
    r, c, metas = R.load_results([tmp_path], curve_metrics=lambda meta: keep[meta["experiment"]["paper"]])
    assert len(r) == 6 and len(metas) == 2
    assert set(c["metric"]) == {"regret"} and len(c) == 9 and c["run_dir"].str.endswith("p").all()
    _, c, _ = R.load_results([tmp_path])
    assert len(c) == 36 and set(c["metric"]) == {"regret", "count"}
