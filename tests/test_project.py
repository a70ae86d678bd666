"""Project-level promises: seeds are the originals, the README's commands are the ones CI runs."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_seeds_are_byte_identical_copies_of_the_originals():
    originals = sorted(p.name for p in SHARED_SEEDS.iterdir())
    assert originals, "no originals found"
    assert sorted(p.name for p in (ROOT / "seeds").iterdir()) == originals
    for name in originals:
        assert filecmp.cmp(SHARED_SEEDS / name, ROOT / "seeds" / name, shallow=False), name


def test_ci_runs_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    test_command = next(line for line in ci_lines if "pytest" in line)
    readme = (ROOT / "README.md").read_text()
    assert test_command in readme, "README's test command and .ci/run have drifted apart"


def test_python_dash_m_quiz_works():
    out = subprocess.run([sys.executable, "-m", "quiz", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_cli_reference_is_up_to_date():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "cli_reference.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
