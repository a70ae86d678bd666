"""`quiz find`: quotes without copying by hand (exact, then normalized, then fuzzy; a ready-to-paste cite
block with the source's own text), and `quiz import --sources`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck import load_deck

REPO = Path(__file__).resolve().parent.parent
S001 = "001_47f2f9f2b89161a3.txt"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "d.yaml").write_text(
        f"title: D\nsources: ../seeds\nsource_info:\n  {S001}: {{label: Reuters-based report}}\ncards:\n"
        f"  - id: a\n    question: Q\n    answer: A\n    cite:\n      - source: {S001}\n        quote: A\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def find(*args: str):
    result = CliRunner().invoke(app, ["find", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def pasted_cite(out: str) -> dict:
    """The `cite:` block `quiz find` printed, parsed as YAML (it must paste into a deck as it is)."""
    block = out[out.index("\ncite:\n") + 1:]
    return yaml.safe_load(block)["cite"][0]


def test_exact_phrase_gives_label_location_sentence_and_cite_block(project: Path) -> None:
    result = find("Nick Price", "decks/d.yaml")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Reuters-based report {S001}:6:91 (exact)"
    assert lines[1].startswith("  U.S. State Department spokesperson expressed regret")
    assert pasted_cite(result.stdout) == {"source": S001, "quote": "Nick Price"}


def test_normalized_match_pastes_the_sources_own_text(project: Path) -> None:
    result = find("SHOCKED  nasa", "--sources", "seeds")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"{S001}:2:93 (normalized)"
    assert pasted_cite(result.stdout) == {"source": S001, "quote": "shocked NASA"}


def test_fuzzy_match_keeps_the_sources_typo(project: Path) -> None:
    # The source has the typo "earklier"; the quote to paste must reproduce it.
    result = find("since Russia invaded Ukraine earlier this year", "--sources", "seeds", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0
    best = data["passages"][0]
    assert (best["source"], best["status"], best["line"]) == (S001, "fuzzy", 12)
    assert "earklier" in best["text"] and best["score"] >= 90
    assert data["cite"] == {"source": S001, "quote": best["text"]}
    deck = Path("decks/d.yaml")
    deck.write_text(deck.read_text(encoding="utf-8").replace("quote: A", f"quote: {json.dumps(best['text'])}"),
                    encoding="utf-8")
    check = CliRunner().invoke(app, ["check", str(deck)])
    assert check.exit_code == 0, check.stdout  # the pasted quote is verified


def test_nothing_close_exits_1_and_usage_errors_exit_2(project: Path) -> None:
    result = find("zebra quantum xylophone", "--sources", "seeds")
    assert (result.exit_code, result.stdout) == (1, "Nothing close to 'zebra quantum xylophone' in seeds.\n")
    assert find("x").exit_code == 2
    assert find("x", "decks/d.yaml", "--sources", "seeds").exit_code == 2
    missing = find("x", "--sources", "nowhere")
    assert (missing.exit_code, missing.stderr) == (2, "Error: --sources nowhere: no such folder\n")


def test_control_characters_in_a_source_do_not_reach_the_terminal(project: Path) -> None:
    Path("seeds/evil.txt").write_text("The station \x1b]0;pwned\x07 is old.\n", encoding="utf-8")
    result = find("The station", "--sources", "seeds")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b" in result.stdout


def test_import_with_sources_points_the_skeleton_at_the_articles(project: Path) -> None:
    Path("terms.tsv").write_text("Borisov\thead of Roscosmos\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "terms.tsv", "-o", "decks/new.yaml", "--sources", "seeds"])
    assert result.exit_code == 0, result.output
    text = Path("decks/new.yaml").read_text(encoding="utf-8")
    assert "sources: ../seeds\n" in text
    assert f"# The articles (5 in ../seeds): 000_56db16ce61149816.txt, {S001}," in text
    assert load_deck("decks/new.yaml").sources == (project / "seeds").resolve()
    bad = CliRunner().invoke(app, ["import", "terms.tsv", "-o", "decks/x.yaml", "--sources", "nowhere"])
    assert bad.exit_code == 2 and not Path("decks/x.yaml").exists()


def test_a_bidi_control_in_the_found_text_is_escaped_in_a_cite_block_that_still_pastes(project: Path) -> None:
    # The cite block printed the source's text as it was when single quotes could hold it: a U+202E
    # (right-to-left override) reached the terminal and reordered what the teacher saw.
    Path("seeds/evil.txt").write_text("The station is \u202eold\u202c now.\n", encoding="utf-8")
    result = find("The station is \u202eold", "--sources", "seeds")
    assert result.exit_code == 0, result.output
    assert "\u202e" not in result.stdout and "\\u202e" in result.stdout
    assert pasted_cite(result.stdout) == {"source": "evil.txt", "quote": "The station is \u202eold"}
