"""The README's sample tables come from a committed run, not from anyone's hands."""

from __future__ import annotations

from pathlib import Path

from authkit.compare import render
from authkit.compare import results as results_module

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "docs/sample-run"


def test_readme_sample_is_generated_from_the_committed_run() -> None:
    results = results_module.load(ROOT / SAMPLE)
    sample = render.readme_sample(results, SAMPLE)
    readme = (ROOT / "README.md").read_text()
    assert sample in readme, "run: authkit report docs/sample-run --readme README.md"
