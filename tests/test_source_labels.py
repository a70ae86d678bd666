"""A deck's source catalogue (`source_info:`): students see each source's label, not its file name, in study
evidence, `quiz check`, stats' mastery table and the exports; the file name stays in --json and -v."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck import load_deck

REPO = Path(__file__).resolve().parent.parent
S000 = "000_56db16ce61149816.txt"
S003 = "003_21e2480842a6230d.txt"

DECK = f"""\
title: Labelled
sources: ../seeds
source_info:
  {S000}: {{label: AP report, outlet: The Associated Press (contributed)}}
  {S003}:
    label: Moscow-datelined report
    date: 2022-07-26
cards:
  - id: successor
    question: Who replaced Dmitri Rogozin as head of Roscosmos?
    answer: Yuri Borissov
    cite:
      - source: {S003}
        quote: Yuri Borissov replaced Dmitri Rogozin
  - id: invited
    question: In which month and year was Russia first invited to join the ISS?
    answer: December 1993
    cite:
      - source: {S000}
        quote: first invited to join the International Space Station in December 1993
      - source: {S003}
        quote: this quote is not in the file at all
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "l.yaml").write_text(DECK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def invoke(*args: str, input: str | None = None):
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_check_names_sources_by_label_and_keeps_the_file_in_verbose_and_json(project: Path) -> None:
    out = invoke("check", "decks/l.yaml").stdout
    assert f"card invited: (Moscow-datelined report) quote not found in {S003}" in out
    assert "cards per source (" in out and "AP report 1 · Moscow-datelined report 2" in out
    verbose = invoke("check", "-v", "decks/l.yaml").stdout
    assert f"AP report ({S000}) 1 · Moscow-datelined report ({S003}) 2" in verbose
    data = json.loads(invoke("check", "--json", "decks/l.yaml").stdout)["decks"][0]
    assert [(c["cited_source"], c["label"]) for c in data["citations"]] == [
        (S003, "Moscow-datelined report"), (S000, "AP report"), (S003, "Moscow-datelined report")]
    assert data["source_info"][S003] == {"label": "Moscow-datelined report", "title": None, "outlet": None,
                                         "date": "2022-07-26", "url": None}


def test_stats_mastery_table_shows_labels(project: Path) -> None:
    out = invoke("stats", "decks/l.yaml", "--db", str(project / "h.db")).stdout
    table = out[out.index("Mastery by source"):]
    assert "AP report" in table and "Moscow-datelined report" in table and S000 not in table
    data = json.loads(invoke("stats", "decks/l.yaml", "--json", "--db", str(project / "h.db")).stdout)
    assert {(s["source"], s["label"]) for s in data["sources"]} == {
        (S000, "AP report"), (S003, "Moscow-datelined report")}


def test_exports_show_labels(project: Path) -> None:
    from quiz.interop import _citations_html

    rows = list(csv.reader(io.StringIO(invoke("export", "decks/l.yaml", "-f", "csv").stdout)))
    assert rows[0][-1] == "source_label"
    assert rows[2][6] == f"{S000} | {S003}"  # the files stay
    assert rows[2][-1] == "AP report | Moscow-datelined report"
    deck = load_deck("decks/l.yaml")
    assert '<div class="source">— AP report</div>' in _citations_html(deck.by_id["invited"], deck)


def test_study_evidence_shows_the_label() -> None:
    from quiz.session import Evidence
    from quiz.ui import evidence_location

    assert evidence_location(Evidence(S000, "q", True, line=4, label="AP report")) == "AP report, line 4"
    assert evidence_location(Evidence(S000, "q", True, line=4)) == f"{S000}:4"


def test_a_study_session_passes_the_label_to_the_evidence(project: Path) -> None:
    result = invoke("study", "decks/l.yaml", "--plain", "--practice", "--db", str(project / "h.db"),
                    input="Yuri Borissov\n\n\n\n")
    assert "Moscow-datelined report, line 11" in result.stdout
