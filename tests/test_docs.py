"""The user documents stay what they promise: a README of at most 250 lines whose preset index lists every preset,
links that resolve, and a column glossary that covers every stored column."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_is_short():
    assert len(README.splitlines()) <= 250


def test_every_preset_is_in_the_readme_preset_index():
    presets = sorted(str(p.relative_to(ROOT / "configs" / "experiment").with_suffix(""))
                     for p in (ROOT / "configs" / "experiment").rglob("*.yaml") if not p.name.startswith("_"))
    index = README[README.index("## Preset index"):]
    index = index[:index.index("\n## ")]
    rows = {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", index, re.M)}
    assert presets and set(presets) == rows, (sorted(set(presets) - rows), sorted(rows - set(presets)))


def test_links_of_the_user_documents_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" in target:
                continue
            assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)}: {target}"


def test_the_column_glossary_covers_every_stored_column():
    """Every column of the repository's stored results (ATA, LATS) is in docs/results.md."""
    glossary = (ROOT / "docs" / "results.md").read_text()
    named = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", glossary))
    named |= {f"{stem}_{i}" for stem in re.findall(r"`([a-z_]+)_i`", glossary) for i in range(16)}
    named |= {f"pi_hat_{i}" for i in range(3)}
    for paper in ("ata", "lats"):
        for path in sorted((ROOT / "results" / paper).rglob("runs.parquet")):
            missing = set(pd.read_parquet(path).columns) - named
            assert not missing, (str(path.relative_to(ROOT)), sorted(missing))
