"""The report on any mix of results: several papers in one call (each analysis sees its own rows only), and sweeps
(a problem parameter and a hyperparameter) drawn one line per setting."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def test_report_on_the_stored_ata_and_lats_results_in_one_call(cli, tmp_path):
    """The repository's own results of two papers (LATS stores no t column, ATA's rows have no tau): one call,
    every paper's outputs, nothing crashes on the other paper's columns."""
    rep = cli([str(ROOT / "results" / "ata"), str(ROOT / "results" / "lats"), "--figures", str(tmp_path / "fig"),
               "--paper", str(tmp_path / "pap")], cwd=tmp_path, tool="bandits-bench-report")
    assert rep.returncode == 0, rep.stderr[-3000:]
    for paper, files in {"ata": ["README.md", "table1.csv", "comparison_figure3.md"],
                         "lats": ["README.md", "summary.csv", "comparison_setup1_hard.md"]}.items():
        for f in files:
            assert (tmp_path / "pap" / paper / f).exists(), (paper, f)
    assert (tmp_path / "fig" / "ata" / "figure3.png").exists() and (tmp_path / "fig" / "lats" / "figure1.png").exists()
    lats = pd.read_csv(tmp_path / "pap" / "lats" / "summary.csv")
    # a rate over the seeds that stopped is empty where none stopped (and censored_error_rate where none was censored)
    undefined = {"error_rate", "error_ci_low", "error_ci_high", "infeasible_rate"}
    assert lats.loc[lats["n_stopped"] > 0, sorted(undefined)].notna().all().all()
    assert set(lats.columns[lats.isna().any()]) <= undefined | {"censored_error_rate"}
    ata = (tmp_path / "pap" / "ata" / "comparison_figure3.md").read_text()
    assert "tau" not in ata and "(t = 3,000,000)" in ata  # ATA's table: its own columns only


def test_sweep_of_n_and_of_a_hyperparameter_draws_one_line_per_setting(cli, tmp_path, monkeypatch):
    """ATA Figure 3 over n in {6, 8} (one job) and ATA's alpha_factor in {1.0, 0.5} (a -m sweep): one curve per
    (setting, n), each setting of one algorithm its own colour and marker, n its line style; the title from the
    stored data (B = 5 as run, whatever the preset says)."""
    out = cli(["-m", "experiment=ata/figure3", "runner=smoke", "experiment.env.n=[6,8]",
               "experiment.hyperparameters.ata.alpha_factor=1.0,0.5", f"hydra.sweep.dir={tmp_path}/sw"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    import experiments.common as common
    from experiments.report import report

    drawn = {}
    save = common.save_figure

    def keep(fig, path, **kwargs):
        drawn[Path(path).name] = fig
        return save(fig, path, **kwargs)

    monkeypatch.setattr(common, "save_figure", keep)
    report([tmp_path / "sw"], warn=lambda msg: None)
    fig = drawn["figure3.png"]
    (ax,) = [a for a in fig.axes if a.get_lines()]
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    settings = ["ATA (alpha_factor=0.5)", "ATA (alpha_factor=1.0)", "ATA-E"]
    assert set(lines) == {f"{s}, n = {n}" for s in settings for n in (6, 8)}
    style = {k: (ln.get_color(), ln.get_linestyle(), ln.get_marker()) for k, ln in lines.items()}
    assert len(set(style.values())) == 6  # every (setting, n) drawn apart
    ata = {k: v for k, v in style.items() if k.startswith("ATA (")}
    assert len({(c, m) for c, _, m in ata.values()}) == 2  # the two settings of ATA: two colours and markers
    assert style["ATA-E, n = 6"][1] != style["ATA-E, n = 8"][1]  # n: its line style
    title = fig._suptitle.get_text()
    assert "B = 5" in title and "3 seeds" in title and "Exp(mean c_i), c_i = 2 i" in title
