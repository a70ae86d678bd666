"""`quiz class report`: the numbers (quiz.report), the terminal tables, JSON and CSV, and the command.

The class histories are made by real study sessions (quiz.session, stepped answer by answer with a moved
clock) for five students whose first attempts are scripted; the expected facility, discrimination and
wrong-answer counts below are worked out by hand from that script.
"""

from __future__ import annotations


import csv
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.deck import load_deck
from quiz.history import ClassAnswer
from quiz.model import Deck, ItemRecord, ItemState, Mark, Rating, Review, SourceInfo, State, Verdict
from quiz.report import RETENTION_DAYS, build_report, point_biserial, report_tables, report_to_json, source_label
from quiz.scheduler import Scheduler
from quiz.session import Response, Session, StudyOptions
from quiz.store import Store

ROOT = Path(__file__).resolve().parents[1]
DECK_FILE = ROOT / "tests" / "decks" / "valid_all_types.yaml"
UTC = timezone.utc
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=6)
R, C, N, Z1, Z2, F = (("rogozin-successor", 0), ("ross-cost", 0), ("nasa-notice", 0), ("exit-cloze", 1),
                      ("exit-cloze", 2), ("first-module", 0))
RIGHT = {R: "Yuri Borisov", C: "$6 billion", N: False, Z1: "after 2024", Z2: "Russian orbital station",
         F: Rating.GOOD}
# First attempts: what each student answers the first time an item is asked (every later time: right).
# Correct first attempts, in deck order R C N Z1 Z2 F:
#   ann 1 1 1 1 0 1 (5 of 6)   ben 1 1 1 0 0 1 (4)   cat 1 0 1 0 1 1 (4)   dan 0 1 0 0 1 0 (2)   eve 0 0 0 0 1 0 (1)
FIRST = {
    "ann": {Z2: "the Russian ocean station"},
    "ben": {Z1: "2028", Z2: "Soviet station"},
    "cat": {C: "$1 billion", Z1: "2028"},
    "dan": {R: "Rogozin", N: True, Z1: "2028", F: Rating.AGAIN},
    "eve": {R: "  ROGOZIN!", C: "$16 billion", N: True, Z1: "2030", F: Rating.AGAIN},
}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t


def _response(key: tuple[str, int], given: object) -> tuple[Response, Rating | None]:
    if isinstance(given, Rating):  # flip: the student rates themselves
        return Response(""), given
    if isinstance(given, bool):
        return Response("true" if given else "false", given), None
    return Response(str(given)), None


def study(store: Store, deck: Deck, clock: Clock, first: dict, seen: set, practice: bool = False,
          seconds: float = 3.0) -> int:
    """One session through the steppable Session: the scripted answer the first time an item is asked
    (in `seen`), the right one after; the rating the grader suggests (a flip card: the scripted one)."""
    session = Session([deck], store, clock, None, StudyOptions(tz=UTC, start_hour=4, practice=practice))
    answered = 0
    for _ in range(200):
        view = session.next_card()
        if view is None:
            return answered
        key = (view.card.id, view.gap)
        given = first.get(key, RIGHT[key]) if key not in seen else RIGHT[key]
        seen.add(key)
        response, rating = _response(key, given)
        clock.t += timedelta(seconds=5 if key == R else seconds)
        feedback = session.answer(response)
        session.act(rating or feedback.suggested)
        answered += 1
    raise AssertionError("the session did not end")


@pytest.fixture(scope="module")
def deck() -> Deck:
    return load_deck(DECK_FILE)


@pytest.fixture(scope="module")
def class_db(tmp_path_factory: pytest.TempPathFactory, deck: Deck) -> Path:
    """Five students over five study days (a cloze card's second gap waits a day), one who only practised,
    one with nothing in this deck, and answers to a card since removed from the deck."""
    db = tmp_path_factory.mktemp("class") / "class.db"
    for name, first in FIRST.items():
        clock, seen = Clock(START), set()
        with Store(db, name) as store:
            for day in range(5):
                clock.t = START + timedelta(days=day)
                study(store, deck, clock, first, seen)
    with Store(db, "fay") as store:  # practice only: wrong answers that must not count anywhere
        clock = Clock(START + timedelta(hours=3))
        study(store, deck, clock, {Z1: "2028", R: "Rogozin", C: "$1 billion"}, set(), practice=True)
    with Store(db, "gus") as store:  # a profile with answers in another deck only
        store.record(_review("other-deck", "c1", START))
    with Store(db, "ann") as store:  # a card removed from the deck since
        store.record(_review(deck.id, "removed-card", START + timedelta(hours=1), verdict="wrong", answer="2029"))
    return db


def _review(deck_id: str, card: str, at: datetime, verdict: str = "correct", answer: str = "x") -> Review:
    after = ItemState(State.LEARNING, 0, 2.0, 5.0, at + timedelta(minutes=1), at, 1, 0)
    return Review(deck=deck_id, card=card, gap=0, reviewed_at=at, rating=3 if verdict == "correct" else 1,
                  verdict=Verdict(verdict), answer=answer, duration_ms=1000, before=ItemState(), after=after,
                  interval_days=0.0)


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _report(db: Path, deck: Deck, exam: datetime | None = None, now: datetime = NOW):
    """The report as `quiz class report` builds it: from the totals the store keeps."""
    with Store(db, "teacher", create=False) as store:
        summary = store.class_summary(deck.id, now - timedelta(days=RETENTION_DAYS), now)
        return build_report(deck, summary, store.class_items(deck.id), store.profiles(), now, exam)


@pytest.mark.parametrize("now", [NOW, START + timedelta(days=2, hours=3, milliseconds=1), START + timedelta(days=40)])
def test_the_store_totals_give_the_report_of_every_answer(class_db: Path, deck: Deck, now: datetime) -> None:
    """The report from `class_summary` (what the command reads) is the report from every answer
    (`class_answers`, summed in Python): the same rows, numbers and text, mid-study and long after."""
    with Store(class_db, "teacher", create=False) as store:
        from_answers = build_report(deck, store.class_answers(deck.id), store.class_items(deck.id), store.profiles(),
                                    now, NOW + timedelta(days=30))
    assert _report(class_db, deck, NOW + timedelta(days=30), now) == from_answers
    assert report_to_json(from_answers)["cards"] and any(q.wrong_answers for q in from_answers.questions)


def _rows(report) -> dict:
    return {(q.card, q.gap): q for q in report.questions}


# --------------------------------------------------------------------------------------------- questions


def test_facility_counts_first_attempts_only_and_never_practice(class_db: Path, deck: Deck) -> None:
    rows = _rows(_report(class_db, deck))
    assert {key: (rows[key].students, rows[key].correct) for key in (R, C, N, Z1, Z2, F)} == {
        R: (5, 3), C: (5, 3), N: (5, 3), Z1: (5, 1), Z2: (5, 3), F: (5, 3)}
    assert rows[Z1].facility == 0.2 and rows[R].facility == 0.6


def test_discrimination_is_the_hand_computed_point_biserial(class_db: Path, deck: Deck) -> None:
    rows = _rows(_report(class_db, deck))
    # R: right first time x = ann 1, ben 1, cat 1, dan 0, eve 0; rest scores (other 5 items) y = 4/5, 3/5,
    # 3/5, 2/5, 1/5. Means 0.6 and 0.52; sum dx*dy = 0.4*(0.28+0.08+0.08) + (-0.6)*(-0.12-0.32) = 0.44;
    # sum dx^2 = 3*0.16 + 2*0.36 = 1.2; sum dy^2 = 0.0784+0.0064+0.0064+0.0144+0.1024 = 0.208.
    assert rows[R].discrimination == pytest.approx(0.44 / math.sqrt(1.2 * 0.208), abs=1e-12)  # 0.8807
    # Z2: x = 0, 0, 1, 1, 1; y = 5/5, 4/5, 3/5, 1/5, 0/5: sum dx*dy = -0.6*(0.48+0.28) + 0.4*(0.08-0.32-0.52)
    # = -0.76; sum dy^2 = 0.2304+0.0784+0.0064+0.1024+0.2704 = 0.688. The strong students got it wrong.
    assert rows[Z2].discrimination == pytest.approx(-0.76 / math.sqrt(1.2 * 0.688), abs=1e-12)  # -0.8364
    assert statistics.correlation([1, 1, 1, 0, 0], [0.8, 0.6, 0.6, 0.4, 0.2]) == pytest.approx(rows[R].discrimination)


def test_flags(class_db: Path, deck: Deck) -> None:
    rows = _rows(_report(class_db, deck))
    assert rows[Z1].flags == ("too hard",)  # facility 0.2 < 0.3
    assert "check wording" in rows[Z2].flags  # discrimination < 0
    assert rows[R].flags == ()
    assert rows[("removed-card", 0)].flags == ("removed",) and rows[("removed-card", 0)].orphan


def test_most_common_wrong_answers_are_normalised_and_counted(class_db: Path, deck: Deck) -> None:
    rows = _rows(_report(class_db, deck))
    # fay's practice answers ("2028", "Rogozin") are not counted; "  ROGOZIN!" normalises to "rogozin".
    assert [(w.answer, w.count) for w in rows[Z1].wrong_answers] == [("2028", 3), ("2030", 1)]
    assert [(w.answer, w.count) for w in rows[R].wrong_answers] == [("rogozin", 2)]
    assert [(w.answer, w.count) for w in rows[N].wrong_answers] == [("true", 2)]
    assert rows[F].wrong_answers == ()  # a flip card has no typed answer to show


def test_hardest_first_and_orphans_last(class_db: Path, deck: Deck) -> None:
    report = _report(class_db, deck)
    assert (report.questions[0].card, report.questions[0].gap) == Z1
    assert report.questions[-1].card == "removed-card"


def test_lapse_rate_and_median_time_from_the_log(class_db: Path, deck: Deck) -> None:
    rows = _rows(_report(class_db, deck))
    assert rows[R].median_seconds == 5.0 and rows[C].median_seconds == 3.0
    with Store(class_db, "teacher", create=False) as store:
        answers = [a for a in store.class_answers(deck.id) if not a.practice and (a.card, a.gap) == R]
    assert len(answers) > 5
    in_review = [a for a in answers if a.before_state == State.REVIEW]
    assert rows[R].review_answers == len(in_review)
    assert rows[R].lapses == sum(a.rating == Rating.AGAIN for a in in_review)


def test_lapse_rate_counts_again_among_review_state_answers() -> None:
    deck = load_deck(DECK_FILE)
    at = NOW - timedelta(days=1)

    def a(profile: str, rating: int, before: State, practice: bool = False) -> ClassAnswer:
        return ClassAnswer(profile, "rogozin-successor", 0, ms(at), rating, rating > 1, "" if rating > 1 else "x", 2000,
                           practice, int(before))

    answers = [a("p", 3, State.NEW), a("p", 1, State.REVIEW), a("p", 3, State.REVIEW), a("p", 1, State.REVIEW, True),
               a("q", 1, State.NEW), a("q", 1, State.LEARNING), a("q", 4, State.REVIEW)]
    (row,) = [q for q in build_report(deck, answers, {}, ["p", "q"], NOW).questions if q.card == "rogozin-successor"]
    assert (row.review_answers, row.lapses, row.lapse_rate) == (3, 1, pytest.approx(1 / 3))
    assert row.students == 2 and row.correct == 1


def test_discrimination_is_blank_below_five_students() -> None:
    deck = load_deck(DECK_FILE)
    at = NOW - timedelta(days=1)
    answers = []
    for i, name in enumerate(["a", "b", "c", "d"]):
        for card, gap in (R, C):
            right = (i + gap + len(card)) % 2 == 0
            answers.append(ClassAnswer(name, card, gap, ms(at), 3 if right else 1, right, "" if right else "x", 1000,
                                       False, 0))
    rows = _rows(build_report(deck, answers, {}, [], NOW))
    assert rows[R].students == 4 and rows[R].discrimination is None


@pytest.mark.parametrize("students, flagged", [(10, True), (9, False)])
def test_too_easy_needs_ten_students(students: int, flagged: bool) -> None:
    deck = load_deck(DECK_FILE)
    at = ms(NOW - timedelta(days=1))
    answers = [ClassAnswer(f"s{i}", "ross-cost", 0, at, 3, True, "", 1000, False, 0) for i in range(students)]
    (row,) = [q for q in build_report(deck, answers, {}, [], NOW).questions if q.card == "ross-cost"]
    assert row.facility == 1.0 and (row.flags == ("too easy",)) is flagged


def test_point_biserial_needs_variation() -> None:
    assert point_biserial([(True, 0.5), (True, 0.7)]) is None
    assert point_biserial([(True, 0.5), (False, 0.5)]) is None
    assert point_biserial([(True, 1.0), (False, 0.0)]) == pytest.approx(1.0)


def test_cards_nobody_answered_are_listed_without_numbers() -> None:
    deck = load_deck(DECK_FILE)
    report = build_report(deck, [], {}, ["solo"], NOW)
    assert len(report.questions) == 6 and all(q.students == 0 and q.facility is None for q in report.questions)
    assert report.recommendation == "no first attempts yet: nothing to recommend"
    (student,) = report.students
    assert (student.profile, student.seen, student.total, student.due, student.last_studied) == ("solo", 0, 6, 0, None)


# ---------------------------------------------------------------------------------------------- students


def test_students_seen_due_last_studied_and_the_practising_and_empty_profiles(class_db: Path, deck: Deck) -> None:
    report = _report(class_db, deck)
    by_name = {s.profile: s for s in report.students}
    assert set(by_name) == {"ann", "ben", "cat", "dan", "eve", "fay", "gus"}
    with Store(class_db, "ann", create=False) as store:
        items = store.items(deck.id)
    assert by_name["ann"].seen == sum(items[key].state.state != State.NEW for key in (R, C, N, Z1, Z2, F)) == 6
    assert by_name["ann"].due == sum(items[k].state.due <= NOW for k in (R, C, N, Z1, Z2, F))
    assert by_name["fay"].seen == 0 and by_name["fay"].last_studied is not None  # practised: studied, seen none
    assert by_name["fay"].first_attempts == 0
    assert by_name["gus"].seen == 0 and by_name["gus"].last_studied is None and by_name["gus"].recall_now == 0
    assert by_name["ann"].last_studied.date() == (START + timedelta(days=4)).date()


def test_expected_score_is_the_mean_recall_of_every_item_at_the_exam(class_db: Path, deck: Deck) -> None:
    exam = NOW + timedelta(days=10, hours=5)
    report = _report(class_db, deck, exam)
    scheduler = Scheduler()
    for name in ("ann", "dan", "fay", "gus"):
        with Store(class_db, name, create=False) as store:
            items = store.items(deck.id)
        keys = [(c.id, g) for c in deck.cards for g in c.items]
        slow = sum(scheduler.retrievability(items[k].state, exam) if k in items else 0.0 for k in keys) / len(keys)
        (row,) = [s for s in report.students if s.profile == name]
        assert row.expected_score == pytest.approx(slow, abs=1e-12)
    assert {s.profile: s.expected_score for s in report.students}["gus"] == 0.0
    # most at risk first
    scores = [s.expected_score for s in report.students]
    assert scores == sorted(scores)


def test_expected_score_counts_never_seen_items_as_zero() -> None:
    deck = load_deck(DECK_FILE)
    last = NOW - timedelta(days=2)
    state = ItemState(State.REVIEW, None, 10.0, 5.0, NOW + timedelta(days=8), last, 3, 0)
    items = {"p": {R: ItemRecord(deck.id, R[0], 0, state)}}
    exam = NOW + timedelta(days=5)
    (student,) = build_report(deck, [], items, ["p"], NOW, exam).students
    # one item of six studied, 7 whole days after its last review at the exam: fsrs's curve
    curve = Scheduler()
    assert student.expected_score == pytest.approx(curve.retrievability(state, exam) / 6, abs=1e-15)
    assert student.seen == 1 and student.due == 0


def test_recall_after_is_the_schedulers_retrievability() -> None:
    scheduler = Scheduler()
    last = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)
    for stability in (0.3, 1.0, 4.7, 33.0, 400.0):
        for hours in (0, 5, 24, 49, 24 * 30 + 1, 24 * 400):
            state = ItemState(State.REVIEW, None, stability, 5.0, last, last, 2, 0)
            at = last + timedelta(hours=hours)
            assert scheduler.recall_after(stability, hours // 24) == scheduler.retrievability(state, at)


def test_retention_is_true_retention_over_thirty_days() -> None:
    deck = load_deck(DECK_FILE)

    def a(days_ago: float, rating: int, before: State = State.REVIEW, practice: bool = False) -> ClassAnswer:
        return ClassAnswer("p", "ross-cost", 0, ms(NOW - timedelta(days=days_ago)), rating, True, "", 1000,
                           practice, int(before))

    answers = [a(40, 1), a(20, 1), a(10, 2), a(5, 3), a(4, 4, State.LEARNING), a(3, 1, practice=True)]
    (student,) = build_report(deck, answers, {}, [], NOW).students
    assert (student.retention_answers, student.retention_passed) == (3, 2)


# ---------------------------------------------------------------------------------------------- sources


def test_sources_pool_first_attempts_and_name_the_weakest(class_db: Path, deck: Deck) -> None:
    report = _report(class_db, deck)
    by_file = {s.file: s for s in report.sources}
    # 003 is cited by rogozin-successor (R: 3 of 5) and exit-cloze (Z1: 1 of 5, Z2: 3 of 5): 7 of 15.
    assert (by_file["003_21e2480842a6230d.txt"].first_attempts, by_file["003_21e2480842a6230d.txt"].first_correct) == (15, 7)
    assert by_file["003_21e2480842a6230d.txt"].items == 3
    assert report.weakest_source.file == "003_21e2480842a6230d.txt"
    assert report.recommendation == "re-teach 003_21e2480842a6230d.txt: 47%"
    assert source_label(deck, "003_21e2480842a6230d.txt") == "003_21e2480842a6230d.txt"
    assert all(0 <= s.retrievability <= 1 for s in report.sources)


def test_sources_are_named_by_the_decks_labels(deck: Deck) -> None:
    # The class report named each article by its file name even when the deck's `source_info:` gave it a
    # label students and teachers know it by.
    file = "003_21e2480842a6230d.txt"
    labelled = replace(deck, source_info={file: SourceInfo(file, "Reuters, 26 July", Mark(1, 1))})
    answer = ClassAnswer("p", "rogozin-successor", 0, ms(NOW - timedelta(days=1)), 3, True, "", 1000, False,
                         int(State.NEW))
    report = build_report(labelled, [answer], {}, [], NOW)
    assert {s.file: s.source for s in report.sources}[file] == "Reuters, 26 July"
    assert "Reuters, 26 July" in next(q for q in report.questions if q.card == "rogozin-successor").sources
    assert source_label(labelled, f"./{file}") == "Reuters, 26 July"
    assert source_label(labelled, "other.txt") == "other.txt"


# ------------------------------------------------------------------------------------------- JSON, CSV


def test_json_has_the_documented_fields(class_db: Path, deck: Deck) -> None:
    data = report_to_json(_report(class_db, deck, NOW + timedelta(days=3)))
    json.dumps(data)
    card = next(c for c in data["cards"] if c["id"] == "exit-cloze" and c["gap"] == 1)
    assert {"id", "gap", "students", "facility", "discrimination", "lapse_rate", "wrong_answers", "flags"} <= set(card)
    assert card["wrong_answers"][0] == {"answer": "2028", "count": 3} and card["flags"] == ["too hard"]
    student = data["students"][0]
    assert {"profile", "seen", "due", "last_studied", "retention", "expected_score"} <= set(student)
    assert {"source", "facility", "retrievability"} <= set(data["sources"][0])


def test_csv_cells_from_students_cannot_be_formulas() -> None:
    deck = load_deck(DECK_FILE)
    at = NOW - timedelta(days=1)
    answers = [ClassAnswer("=HYPERLINK(\"http://x\")", "rogozin-successor", 0, ms(at), 1, False, "=1+1", 900,
                           False, 0)]
    tables = report_tables(build_report(deck, answers, {}, [], NOW, normalize=lambda s: s))
    (row,) = [r for r in tables["questions.csv"] if r[0] == "rogozin-successor"]
    assert row[7] == "'=1+1 \u00d71"
    assert tables["students.csv"][1][0].startswith("'=")


# ------------------------------------------------------------------------------------------ the command


def quiz(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, NO_COLOR="1", COLUMNS="80", QUIZ_NOW=NOW.isoformat(), QUIZ_DAY_START="4", TZ="UTC")
    full.pop("QUIZ_DB", None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, timeout=60)


def test_the_command_prints_three_tables_within_80_columns(class_db: Path) -> None:
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), "--exam", "2026-11-20")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b" not in out.stdout
    text = out.stdout
    assert "Questions" in text and "Students" in text and "Sources" in text
    assert "exit-cloze#1" in text and "2028 ×3, 2030 ×1" in text and "too hard" in text
    assert "re-teach 003_21e2480842a6230d.txt: 47%" in text
    assert text.index("exit-cloze#1") < text.index("rogozin-successor")  # hardest first


def test_the_command_writes_json_csv_and_html(class_db: Path, tmp_path: Path) -> None:
    page, folder = tmp_path / "report.html", tmp_path / "csv"
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), "--json", "--csv", str(folder),
               "--html", str(page))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["deck"] == "all-types" and data["exam"] is None
    assert sorted(p.name for p in folder.iterdir()) == ["questions.csv", "sources.csv", "students.csv"]
    with open(folder / "students.csv", newline="", encoding="utf-8") as f:
        assert {row["profile"] for row in csv.DictReader(f)} == {"ann", "ben", "cat", "dan", "eve", "fay", "gus"}
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, message", [
    (["--exam", "next friday"], "--exam 'next friday' is not a date"),
    (["--exam", "2020-01-01"], "is in the past"),
    (["--exam", "2026-12-01T09:00"], "needs a UTC offset"),
])
def test_bad_options_are_one_line_and_exit_2(class_db: Path, args: list, message: str) -> None:
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), *args)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stdout == ""


def test_a_csv_target_that_is_a_file_is_refused(class_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep")
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), "--csv", str(target))
    assert out.returncode == 2 and "not a folder" in out.stderr and target.read_text() == "keep"


@pytest.mark.parametrize("option", ["--html", "--csv"])
def test_the_report_never_overwrites_the_history_or_the_deck(class_db: Path, tmp_path: Path, option: str) -> None:
    before = class_db.read_bytes()
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), option,
               str(class_db if option == "--html" else class_db.parent))
    if option == "--csv":  # a folder holding the history is fine: its CSV names are not the history's
        assert out.returncode == 0, out.stderr
    else:
        assert out.returncode == 2 and "is the history database in use" in out.stderr and "Traceback" not in out.stderr
    assert class_db.read_bytes() == before
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), "--html", str(DECK_FILE))
    assert out.returncode == 2 and "is the deck being read" in out.stderr


def test_a_page_in_a_missing_folder_is_refused_before_anything_is_written(class_db: Path, tmp_path: Path) -> None:
    out = quiz("class", "report", str(DECK_FILE), "--db", str(class_db), "--csv", str(tmp_path / "csv"),
               "--html", str(tmp_path / "no" / "page.html"))
    assert out.returncode == 2 and "does not exist" in out.stderr and not (tmp_path / "csv").exists()


def test_a_missing_database_is_an_empty_class_and_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    out = quiz("class", "report", str(DECK_FILE), "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["students"] == [] and not db.exists()


def test_hostile_names_and_answers_reach_the_terminal_escaped(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    deck = load_deck(DECK_FILE)
    with Store(db, "evil") as store:
        store.record(_review(deck.id, "rogozin-successor", NOW - timedelta(hours=1), "wrong", "\x1b[2J2028"))
    # quiz refuses such a profile name; a history written by another program may still hold one.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE profiles SET name = ? WHERE name = 'evil'", ("evil\x1b]0;owned\x07\u202e",))
    conn.close()
    out = quiz("class", "report", str(DECK_FILE), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout and "\u202e" not in out.stdout
    assert "evil\\x1b]0;owned\\x07\\u202e" in out.stdout
