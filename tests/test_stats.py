"""`quiz stats` numbers (pure, over hand-built items and reviews) and the command end to end."""

from __future__ import annotations

import json
import os
import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.model import Card, CardType, Citation, Deck, ItemState, Mark, Review, State
from quiz.scheduler import Scheduler
from quiz.store import Store
from quiz.stats import (
    DeckData,
    compute_stats,
    list_items,
    stats_to_json,
    _streaks,
)
from quiz.ui.stats_view import forecast_chart, heat_level

UTC = timezone.utc
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # a Saturday
M = Mark(1, 1)


def cite(source: str) -> Citation:
    return Citation(source=source, quote="q", mark=M, quote_mark=M)


def make_deck(sources: Path) -> Deck:
    cards = (
        Card(id="a", type=CardType.TYPED, cite=(cite("s1.txt"),), mark=M, question="Question  A?", answer="x"),
        Card(id="b", type=CardType.FLIP, cite=(cite("s1.txt"), cite("s2.txt")), mark=M, question="B?", answer="y"),
        Card(id="c", type=CardType.CLOZE, cite=(cite("s2.txt"), cite("s2.txt")), mark=M,
             text="One {{two}} three {{four::num}}."),
        Card(id="d", type=CardType.TYPED, cite=(cite("s3.txt"),), mark=M, question="D?", answer="z"),
        Card(id="e", type=CardType.CHOICE, cite=(cite("s1.txt"),), mark=M, question="E?", answer="1",
             choices=("1", "2")),
    )
    return Deck(id="demo", title="Demo deck", path=Path("decks/demo.yaml"), sources=sources, cards=cards)


@dataclass(frozen=True)
class Record:
    card: str
    gap: int
    state: ItemState
    suspended: bool = False
    buried_until: datetime | None = None


@dataclass(frozen=True)
class Answer:
    deck: str
    card: str
    gap: int
    reviewed_at: datetime
    rating: int
    verdict: str
    duration_ms: int
    before: ItemState
    practice: bool = False

    @property
    def before_state(self) -> State:
        return self.before.state


def review_state(due: datetime, stability: float, lapses: int = 0, state: State = State.REVIEW) -> ItemState:
    return ItemState(state=state, stability=stability, difficulty=5.0, due=due,
                     last_review=due - timedelta(days=3), reps=3 + lapses, lapses=lapses)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


REVIEW = ItemState(state=State.REVIEW, stability=4, difficulty=5, due=at(1, 12), reps=2)
LEARNING = ItemState(state=State.LEARNING, step=0, stability=1, difficulty=5, due=at(1, 12), reps=1)


def fixture_data(tmp_path: Path) -> tuple[DeckData, list[Answer]]:
    deck = make_deck(tmp_path)
    items = {
        # due 03:30 tomorrow (UTC) is still today's study day (days start at 04:00)
        ("a", 0): Record("a", 0, review_state(at(22, 3, 30), 3, lapses=2)),
        ("b", 0): Record("b", 0, review_state(at(1, 9, month=12), 9)),  # due in 10 days
        ("c", 1): Record("c", 1, review_state(NOW + timedelta(minutes=10), 1, state=State.LEARNING)),
        # overdue, but buried until tomorrow's study day: counts tomorrow
        ("c", 2): Record("c", 2, review_state(at(21, 8), 5, lapses=1), buried_until=at(22, 4)),
        ("e", 0): Record("e", 0, review_state(at(20, 9), 2), suspended=True),
    }
    orphans = [Record("gone", 0, review_state(at(25, 9), 7))]
    answers = [
        Answer("demo", "a", 0, at(1, 10, month=10), 1, "wrong", 40_000, REVIEW),  # outside 30 days
        Answer("demo", "gone", 0, at(16, 10), 3, "correct", 5_000, REVIEW),  # orphan
        Answer("demo", "a", 0, at(18, 10), 2, "almost", 15_000, LEARNING),
        Answer("demo", "c", 1, at(19, 10), 1, "wrong", 30_000, REVIEW),
        Answer("demo", "c", 1, at(19, 10, 5), 3, "correct", 10_000, LEARNING, practice=True),
        Answer("demo", "c", 2, at(20, 9), 4, "correct", 12_000, REVIEW),
        Answer("demo", "b", 0, at(21, 2), 2, "self", 90_000, REVIEW),  # 02:00 belongs to the 20th; capped 60 s
        Answer("demo", "a", 0, at(21, 9), 3, "correct", 20_000, REVIEW),
        Answer("demo", "a", 0, at(22, 5), 3, "correct", 20_000, REVIEW),  # after `now`: ignored
    ]
    return DeckData(deck, items, orphans), answers


def fake_recall(state: ItemState, now: datetime) -> float:
    return state.stability / 10


@pytest.fixture
def stats(tmp_path):
    data, answers = fixture_data(tmp_path)
    return compute_stats([data], answers, NOW, UTC, fake_recall)


def test_counts_by_state_and_due(stats):
    assert (stats.new, stats.learning, stats.review, stats.suspended, stats.total) == (1, 1, 3, 1, 6)
    assert stats.today == date(2026, 11, 21)
    assert stats.due_today == 2  # a (03:30 tomorrow = today's study day) and the learning step c#1
    assert stats.due_tomorrow == 1  # c#2, buried until tomorrow
    expected = [0] * 30
    expected[0], expected[1], expected[10] = 2, 1, 1
    assert list(stats.forecast) == expected


def test_activity_retention_and_streak(stats):
    assert stats.heatmap_start == date(2026, 8, 31)  # the Monday 11 weeks before this week's Monday
    assert stats.days[0].day == date(2026, 8, 31) and stats.days[-1].day == stats.today
    assert len(stats.days) == 83
    by_day = {d.day: (d.answers, d.seconds) for d in stats.days if d.answers}
    assert by_day == {
        date(2026, 10, 1): (1, 40.0),
        date(2026, 11, 16): (1, 5.0),
        date(2026, 11, 18): (1, 15.0),
        date(2026, 11, 19): (2, 40.0),
        date(2026, 11, 20): (2, 72.0),
        date(2026, 11, 21): (1, 20.0),
    }
    assert (stats.recent_answers, stats.recent_seconds, stats.recent_days_studied) == (7, 152.0, 5)
    assert stats.answers_per_day == pytest.approx(7 / 30)
    assert stats.minutes_per_day == pytest.approx(152 / 60 / 30)
    # review-state, non-practice answers since Oct 23: gone(3) c#1(1) c#2(4) b(2) a(3)
    assert (stats.retention_answers, stats.retention_passed) == (5, 4)
    assert stats.retention == pytest.approx(0.8)
    assert (stats.today_answers, stats.today_seconds) == (1, 20.0)
    assert (stats.streak, stats.longest_streak) == (4, 4)


def test_hardest_cards(stats):
    assert [(h.label, h.lapses, h.retrievability) for h in stats.hardest] == [
        ("a", 2, 0.3),
        ("c#2", 1, 0.5),
        ("c#1", 0, 0.1),
        ("e", 0, 0.2),
        ("b", 0, 0.9),
    ]
    assert stats.hardest[0].text == "Question A?"
    assert stats.hardest[1].text == "One two three [num]."  # cloze: the text with this gap hidden
    assert stats.hardest[3].suspended


def test_mastery_by_source(stats, tmp_path):
    rows = {s.source: (s.cards, s.items, s.studied_items, s.answers, s.correct) for s in stats.sources}
    assert rows == {
        "s1.txt": (3, 3, 3, 4, 1),  # a, b, e; answers a x3 (1 correct), b self-rated Hard
        "s2.txt": (2, 3, 3, 3, 1),  # b, c (cited twice, counted once); practice answer left out
        "s3.txt": (1, 1, 0, 0, 0),
    }
    s1, s2, s3 = stats.sources
    assert s1.retrievability == pytest.approx((0.3 + 0.9 + 0.2) / 3)
    assert s2.retrievability == pytest.approx((0.9 + 0.1 + 0.5) / 3)
    assert s3.retrievability is None and s3.correct_share is None
    assert s1.correct_share == 0.25
    assert s1.path == str(tmp_path / "s1.txt")
    assert stats.weakest_source is s1


def test_orphans_counted(stats):
    assert (stats.orphan_items, stats.orphan_answers) == (1, 1)
    assert (stats.decks[0].orphan_items, stats.decks[0].orphan_answers) == (1, 1)
    assert (stats.decks[0].cards, stats.decks[0].items) == (5, 6)


def test_self_rated_good_is_correct(tmp_path):
    data, _ = fixture_data(tmp_path)
    answers = [Answer("demo", "b", 0, at(20, 9), 3, "self", 1000, REVIEW)]
    stats = compute_stats([data], answers, NOW, UTC, fake_recall)
    assert {s.source: s.correct for s in stats.sources} == {"s1.txt": 1, "s2.txt": 1, "s3.txt": 0}


def test_empty_history(tmp_path):
    deck = make_deck(tmp_path)
    stats = compute_stats([DeckData(deck, {})], [], NOW, UTC, fake_recall)
    assert (stats.new, stats.learning, stats.review, stats.suspended) == (6, 0, 0, 0)
    assert stats.due_today == stats.due_tomorrow == 0 and sum(stats.forecast) == 0
    assert stats.retention is None and stats.streak == 0 and stats.hardest == ()
    assert all(s.retrievability is None for s in stats.sources)


def test_two_decks_sharing_a_source_folder(tmp_path):
    data, answers = fixture_data(tmp_path)
    other = Deck(id="other", title="Other", path=Path("decks/other.yaml"), sources=tmp_path,
                 cards=(Card(id="a", type=CardType.TYPED, cite=(cite("s3.txt"),), mark=M, question="?", answer="x"),))
    stats = compute_stats([data, DeckData(other, {})], answers, NOW, UTC, fake_recall)
    assert stats.new == 2 and [d.id for d in stats.decks] == ["demo", "other"]
    assert {s.source: s.cards for s in stats.sources}["s3.txt"] == 2


def test_streak_rules():
    today = date(2026, 11, 21)
    days = {today - timedelta(days=n) for n in (1, 2, 3, 7, 8)}
    assert _streaks(days, today) == (3, 3)  # today not studied yet: yesterday's run still counts
    assert _streaks(days | {today}, today) == (4, 4)
    assert _streaks({today - timedelta(days=2)}, today) == (0, 1)  # a missed day breaks it


def test_heat_levels():
    assert [heat_level(n, 8) for n in (0, 1, 2, 3, 4, 5, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert heat_level(0, 0) == 0


def test_forecast_chart():
    assert forecast_chart([0] * 30) == []
    lines = forecast_chart([4, 2, 0, 1] + [0] * 26, height=2, column=2)
    assert lines == [
        "4 │█",
        "  │█ █   ▄",
        "0 └" + "─" * 60,
        "   today" + " " * 15 + "+10d" + " " * 16 + "+20d",
    ]


def test_json_shape(stats):
    data = stats_to_json(stats)
    assert set(data) == {
        "now", "today", "decks", "counts", "due", "forecast", "activity", "last_30_days", "today_answers",
        "today_minutes", "streak", "longest_streak", "hardest", "sources", "orphaned", "target_retention",
        "weakest_source",
    }
    assert (data["target_retention"], data["weakest_source"]) == (0.9, "s1.txt")
    assert data["counts"] == {"new": 1, "learning": 1, "review": 3, "suspended": 1, "total": 6}
    assert data["due"] == {"today": 2, "tomorrow": 1}
    assert data["forecast"][:2] == [{"date": "2026-11-21", "due": 2}, {"date": "2026-11-22", "due": 1}]
    assert data["last_30_days"] == {
        "answers": 7, "minutes": 2.53, "days_studied": 5, "answers_per_day": 0.23, "minutes_per_day": 0.08,
        "review_answers": 5, "review_answers_passed": 4, "true_retention": 0.8,
    }
    assert data["activity"][-1] == {"date": "2026-11-21", "answers": 1, "minutes": 0.33}
    assert data["hardest"][1] == {
        "deck": "demo", "id": "c#2", "card": "c", "gap": 2, "text": "One two three [num].", "state": "review",
        "lapses": 1, "reviews": 4, "retrievability": 0.5, "suspended": False,
    }
    assert data["sources"][2] == {
        "source": "s3.txt", "label": None, "path": str(tmp_path_of(stats) / "s3.txt"), "cards": 1, "items": 1,
        "studied_items": 0, "answers": 0, "correct": 0, "correct_share": None, "retrievability": None,
    }
    assert data["orphaned"] == {"items": 1, "answers": 1}


def tmp_path_of(stats) -> Path:
    return Path(stats.sources[0].path).parent


def test_list_rows(tmp_path):
    data, _ = fixture_data(tmp_path)
    rows, orphans = list_items(data, NOW, UTC)
    assert [(r.label, r.state, r.due_label, r.suspended, r.buried) for r in rows] == [
        ("a", "review", "now", False, False),
        ("b", "review", "2026-12-01", False, False),
        ("c#1", "learning", "12:10", False, False),
        ("c#2", "review", "now", False, True),
        ("d", "new", "new", False, False),
        ("e", "review", "now", True, False),
    ]
    assert [(o.label, o.orphan) for o in orphans] == [("gone", True)]


# --------------------------------------------------------------------------- the command, end to end


CLI_NOW = "2026-11-21T12:00:00+00:00"
DECK_YAML = """\
id: demo
title: Demo deck
sources: .
cards:
  - id: alpha
    question: What is alpha?
    answer: a
    cite:
      - source: one.txt
        quote: alpha is a
  - id: beta
    type: flip
    question: Beta?
    answer: b
    cite:
      - source: one.txt
        quote: b
      - source: two.txt
        quote: b
  - id: gamma
    type: cloze
    text: The {{first}} and the {{second}}.
    cite:
      - source: two.txt
        quote: first and second
  - id: delta
    question: Delta?
    answer: d
    cite:
      - source: three.txt
        quote: d
"""


@pytest.fixture
def utc_local_time():
    """The CLI uses the machine's zone for study days: pin it to UTC for exact dates."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time_module.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time_module.tzset()


def state(kind: State, due: datetime, stability: float, last: datetime, reps: int, lapses: int = 0,
          step: int | None = None) -> ItemState:
    return ItemState(state=kind, step=step, stability=stability, difficulty=5.0, due=due, last_review=last,
                     reps=reps, lapses=lapses)


def answer(card: str, gap: int, when: datetime, rating: int, verdict: str, before: ItemState, after: ItemState,
           duration_ms: int = 10_000, practice: bool = False) -> Review:
    interval = 0.0 if practice else (after.due - when).total_seconds() / 86400
    return Review("demo", card, gap, when, rating, verdict, "x", duration_ms, before, after, interval,
                  practice=practice)


def build_history(tmp_path: Path) -> tuple[Path, Path]:
    """A small history through the Store API: 4 cards (one cloze with 2 gaps) over several days, a lapse,
    a practice answer, a suspended card and an orphan (a card since removed from the deck)."""
    deck_path = tmp_path / "decks" / "demo.yaml"
    deck_path.parent.mkdir()
    deck_path.write_text(DECK_YAML, encoding="utf-8")
    db = tmp_path / "quiz.db"
    new = ItemState()
    a1 = state(State.LEARNING, at(10, 10, 10), 1.0, at(10, 10), 1, step=1)
    a2 = state(State.REVIEW, at(13, 10), 3.0, at(10, 10, 10), 2)
    a3 = state(State.RELEARNING, at(15, 10, 10), 1.5, at(15, 10), 3, 1, step=0)
    a4 = state(State.REVIEW, at(21, 9), 2.0, at(15, 10, 10), 4, 1)
    b1 = state(State.REVIEW, at(22, 9), 4.0, at(19, 9), 1)
    g1 = state(State.LEARNING, at(21, 12, 30), 0.5, at(20, 9), 1, step=0)
    o0 = state(State.REVIEW, at(16, 9), 5.0, at(10, 9), 2)
    o1 = state(State.REVIEW, at(5, 9, month=12), 12.0, at(18, 9), 3)
    with Store(db, "default") as store:
        store.record(answer("alpha", 0, at(10, 10), 3, "correct", new, a1))
        store.record(answer("alpha", 0, at(10, 10, 10), 3, "correct", a1, a2))
        store.record(answer("alpha", 0, at(15, 10), 1, "wrong", a2, a3, duration_ms=120_000))  # capped at 60 s
        store.record(answer("alpha", 0, at(15, 10, 10), 3, "correct", a3, a4))
        store.record(answer("old", 0, at(18, 9), 3, "correct", o0, o1))  # "old" is no longer in the deck
        store.record(answer("beta", 0, at(19, 9), 4, "self", new, b1))
        store.record(answer("beta", 0, at(20, 8), 3, "self", b1, b1, practice=True))
        store.record(answer("gamma", 1, at(20, 9), 2, "almost", new, g1))
        store.set_suspended("demo", "delta", True)
        # another profile's history stays out of these numbers
        with Store(db, "other") as other:
            other.record(answer("alpha", 0, at(21, 9), 3, "correct", new, a1))
    return deck_path, db


def run(args: list[str], db: Path, **env: str):
    result = CliRunner().invoke(app, [*args, "--db", str(db)], env={"QUIZ_NOW": CLI_NOW, **env})
    return result


def test_stats_command_text(tmp_path, utc_local_time, monkeypatch):
    deck_path, db = build_history(tmp_path)
    result = run(["stats", str(deck_path)], db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[:4] == [
        "Demo deck · deck demo",
        "Cards         4 cards, 5 items (each cloze gap is an item)",
        "Items         new 1 · learning 1 · review 2 · suspended 1",
        "Due           today 2 · tomorrow 1",
    ]
    assert "2 │█" in lines and "1 │█ █" not in lines  # today's 2 due, tomorrow's 1: half a bar
    heat = lines[lines.index("Answers, last 12 weeks") + 2 :][:8]
    assert heat == [
        "Mon  · · · · · · · · · · · ·",
        "Tue  · · · · · · · · · · █ ·",
        "Wed  · · · · · · · · · · · ▒",
        "Thu  · · · · · · · · · · · ▒",
        "Fri  · · · · · · · · · · · █",
        "Sat  · · · · · · · · · · · ·",
        "Sun  · · · · · · · · · · █",
        "     less · ░ ▒ ▓ █ more  (busiest: 2 on 2026-11-20)",
    ]
    assert "Last 30 days  true retention 50.0% (1 of 2 review answers passed)" in lines
    assert "              0.3 answers/day · 0.1 min/day · studied 5 of 30 days" in lines
    assert "Today         0 answers · 0.0 min · streak 3 days (longest 3)" in lines
    recall = Scheduler().retrievability
    now = datetime.fromisoformat(CLI_NOW)
    with Store(db, "default") as store:
        items = store.items("demo")
    r = {key: recall(rec.state, now) for key, rec in items.items() if rec.state.state is not State.NEW}
    hardest = lines[lines.index("Hardest cards") + 1 :][:4]
    second, third = sorted([("beta", r[("beta", 0)]), ("gamma#1", r[("gamma", 1)])], key=lambda x: x[1])
    text = {"beta": "Beta?", "gamma#1": "The [...] and the second."}
    assert hardest == [
        "id       lapses  recall  question",
        f"alpha         1  {r[('alpha', 0)] * 100:>5.0f}%  What is alpha?",
        f"{second[0]:<7}       0  {second[1] * 100:>5.0f}%  {text[second[0]]}",
        f"{third[0]:<7}       0  {third[1] * 100:>5.0f}%  {text[third[0]]}",
    ]
    mastery = lines[lines.index("Mastery by source") + 1 :][:5]
    one = (r[("alpha", 0)] + r[("beta", 0)]) / 2
    two = (r[("beta", 0)] + r[("gamma", 1)]) / 2
    assert mastery == [
        "source     cards  answers  correct       recall",
        f"one.txt        2        5      80%  {one * 100:>10.0f}%",
        "three.txt      1        0        -  not studied",
        f"two.txt        2        2      50%  {two * 100:>10.0f}%",
        f"Re-read first: {'one.txt' if one < two else 'two.txt'} (recall {min(one, two) * 100:.0f}%, target 90%)",
    ]
    assert lines[-2] == "Orphaned      1 item with 1 answer, from cards no longer in demo (history kept)"
    assert lines[-1] == "FSRS parameters: the defaults (quiz optimize fits them to your answers)"


def test_stats_no_color_has_no_escape_codes(tmp_path, utc_local_time):
    deck_path, db = build_history(tmp_path)
    result = run(["stats", str(deck_path)], db, NO_COLOR="1")
    assert result.exit_code == 0 and "\x1b" not in result.output and "Fri  · · ·" in result.output


def test_stats_json(tmp_path, utc_local_time):
    deck_path, db = build_history(tmp_path)
    result = run(["stats", str(deck_path), "--json"], db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["today"] == "2026-11-21"
    assert data["decks"] == [{"id": "demo", "title": "Demo deck", "path": str(deck_path), "cards": 4, "items": 5,
                              "orphaned_items": 1, "orphaned_answers": 1}]
    assert data["counts"] == {"new": 1, "learning": 1, "review": 2, "suspended": 1, "total": 5}
    assert data["due"] == {"today": 2, "tomorrow": 1}
    assert [f["due"] for f in data["forecast"]] == [2, 1] + [0] * 28
    assert len(data["activity"]) == 83 and data["activity"][0]["date"] == "2026-08-31"
    assert {d["date"]: d["answers"] for d in data["activity"] if d["answers"]} == {
        "2026-11-10": 2, "2026-11-15": 2, "2026-11-18": 1, "2026-11-19": 1, "2026-11-20": 2,
    }
    assert data["last_30_days"] == {
        "answers": 8, "minutes": 2.17, "days_studied": 5, "answers_per_day": 0.27, "minutes_per_day": 0.07,
        "review_answers": 2, "review_answers_passed": 1, "true_retention": 0.5,
    }
    assert (data["today_answers"], data["today_minutes"], data["streak"], data["longest_streak"]) == (0, 0, 3, 3)
    assert [(h["id"], h["lapses"], h["reviews"], h["state"]) for h in data["hardest"]][0] == ("alpha", 1, 4, "review")
    assert {h["id"] for h in data["hardest"]} == {"alpha", "beta", "gamma#1"}
    assert [(s["source"], s["cards"], s["answers"], s["correct"], s["correct_share"], s["studied_items"])
            for s in data["sources"]] == [
        ("one.txt", 2, 5, 4, 0.8, 2), ("three.txt", 1, 0, 0, None, 0), ("two.txt", 2, 2, 1, 0.5, 2),
    ]
    assert data["sources"][1]["retrievability"] is None
    assert data["orphaned"] == {"items": 1, "answers": 1}


def test_stats_profiles_kept_apart(tmp_path, utc_local_time):
    deck_path, db = build_history(tmp_path)
    data = json.loads(run(["stats", str(deck_path), "--json", "--profile", "other"], db).output)
    assert data["counts"] == {"new": 4, "learning": 1, "review": 0, "suspended": 0, "total": 5}
    assert data["today_answers"] == 1 and data["streak"] == 1 and data["orphaned"]["items"] == 0


def test_stats_defaults_to_decks_folder(tmp_path, utc_local_time, monkeypatch):
    deck_path, db = build_history(tmp_path)
    monkeypatch.chdir(tmp_path)
    data = json.loads(run(["stats", "--json"], db).output)
    assert [d["id"] for d in data["decks"]] == ["demo"]
    monkeypatch.chdir(tmp_path / "decks")
    result = run(["stats"], db)
    assert result.exit_code == 2
    assert "no DECK given and no decks/*.yaml here" in result.output


def test_stats_bad_deck_exits_2(tmp_path, utc_local_time):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\ncards: []\n", encoding="utf-8")
    result = run(["stats", str(bad)], tmp_path / "quiz.db")
    assert result.exit_code == 2 and result.output.startswith(f"{bad}:")
    assert not (tmp_path / "quiz.db").exists()


def test_rendered_advice_follows_the_retention_target(tmp_path):
    import io
    from dataclasses import replace as dc_replace

    from rich.console import Console

    from quiz.ui.stats_view import render_stats

    data, answers = fixture_data(tmp_path)

    def render(recall: float, retention: float | None) -> list[str]:
        deck = dc_replace(data.deck, retention=retention, by_id={})
        stats = compute_stats([DeckData(deck, data.items, data.orphans)], answers, NOW, UTC, lambda s, n: recall)
        out = io.StringIO()
        render_stats(stats, Console(file=out, width=80, color_system=None))
        return out.getvalue().splitlines()

    assert "Every studied source is at or above the 90% recall target." in render(0.93, None)
    assert "Re-read first: s1.txt (recall 93%, target 95%)" in render(0.93, 0.95)


def _terminal_text(render, width: int) -> list[str]:
    import io
    import re

    from rich.console import Console

    out = io.StringIO()
    render(Console(file=out, width=width, force_terminal=True, color_system="standard"))
    return [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in out.getvalue().splitlines()]


def test_list_on_terminals_of_any_width(tmp_path):
    from quiz.ui.stats_view import render_list

    data, _ = fixture_data(tmp_path)
    rows, orphans = list_items(data, NOW, UTC)
    wide = _terminal_text(lambda c: render_list(rows, orphans, c), 120)
    assert wide[0].split() == ["id", "type", "state", "due", "stability", "difficulty", "reviews", "lapses", "text"]
    assert wide[2].split() == ["a", "typed", "review", "now", "3.0d", "5.0", "5", "2", "Question", "A?"]
    narrow = _terminal_text(lambda c: render_list(rows, orphans, c), 62)
    assert narrow[0].split() == ["id", "type", "state", "due", "stab", "diff", "revs", "laps"]
    assert max(len(line) for line in narrow) <= 62
    tiny = _terminal_text(lambda c: render_list(rows, orphans, c), 40)
    assert tiny[0] == "a" and tiny[1].startswith("  typed · review · due now · stability")
    assert all(line.startswith("  ") for line in tiny[1:4]) and tiny[4] == "b"
    assert " ".join(tiny[1:4]).split() == "typed · review · due now · stability 3.0d · difficulty 5.0 · 5 reviews · 2 lapses".split()
    assert max(len(line) for line in tiny) <= 40


def test_stats_on_a_colour_terminal_keeps_shades_and_fits(tmp_path):
    from quiz.ui.stats_view import render_stats

    data, answers = fixture_data(tmp_path)
    stats = compute_stats([data], answers, NOW, UTC, fake_recall)
    for width in (80, 40):
        lines = _terminal_text(lambda c: render_stats(stats, c), width)
        assert "Fri  · · · · · · · · · · · █" in lines
        assert max(len(line) for line in lines) <= width


def stored_state(state: State, at: datetime) -> ItemState:
    """A state the store accepts: a studied one has a stability, a difficulty and a due time."""
    if state is State.NEW:
        return ItemState()
    return ItemState(state=state, stability=3.0, difficulty=5.0, due=at + timedelta(days=3), last_review=at)


@pytest.mark.parametrize("seed", range(4))
def test_the_stores_answer_totals_equal_the_python_tally_of_the_log(tmp_path, seed):
    """Store.answer_totals sums in SQL what tally_answers sums in Python; `quiz stats` uses the former,
    the pure tests the latter. Random answers: practice or not, every state, verdict and rating, short
    and long durations, three decks, and answers at or after the cut-off that both leave out."""
    import random

    from quiz.stats import MAX_ANSWER_SECONDS, SLOT_SECONDS, tally_answers

    rng = random.Random(seed)
    cutoff = NOW + timedelta(hours=rng.choice([0, 7]))
    with Store(tmp_path / "quiz.db") as store:
        for _ in range(400):
            verdict = rng.choice(["correct", "almost", "wrong", "self"])
            at = NOW - timedelta(seconds=rng.randrange(-3 * 86400, 90 * 86400))
            before_state = stored_state(rng.choice(list(State)), at)
            store.record(Review(
                deck=rng.choice(["a", "b", "c"]), card=f"k{rng.randrange(12)}", gap=rng.choice([0, 0, 1, 2]),
                reviewed_at=at, rating=rng.randint(1, 4), verdict=verdict,
                answer="", duration_ms=rng.choice([0, 900, 59_999, 60_000, 61_000, 3_600_000, rng.randrange(99_999)]),
                before=before_state, after=before_state, interval_days=0.0, practice=rng.random() < 0.3,
            ))
        for at in (cutoff, cutoff - timedelta(milliseconds=1)):  # the first is left out, the second counted
            state = stored_state(State.REVIEW, at)
            store.record(Review(deck="a", card="edge", gap=0, reviewed_at=at, rating=3, verdict="correct",
                                answer="", duration_ms=1000, before=state, after=state, interval_days=0.0))
        for deck in ("a", "b", "c"):
            totals = store.answer_totals(deck, cutoff, int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS)
            slots, items = totals.slots, totals.items
            expected = tally_answers(store.reviews(deck), before=cutoff)
            assert [s[:2] + s[3:] for s in slots] == [s[:2] + s[3:] for s in expected.slots]
            assert [s[2] for s in slots] == pytest.approx([s[2] for s in expected.slots])
            assert items == expected.items
            assert sum(s[1] for s in slots) == sum(1 for r in store.reviews(deck) if r.reviewed_at < cutoff) > 0


@pytest.mark.parametrize("zone", ["Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu", "Europe/Paris"])
def test_answers_are_counted_on_their_study_day_across_time_zone_changes(tmp_path, zone):
    """compute_stats looks a study day up once per day, not per answer: every answer must still land
    on the day `study_day` gives it, through DST changes of 30 minutes (Lord Howe) and 1 hour, and in
    zones 30 or 45 minutes off the hour. One answer every 15 minutes (and one a minute on both sides of
    each day start) for the 12 weeks the heatmap shows."""
    from zoneinfo import ZoneInfo

    from quiz.stats import HEATMAP_WEEKS, study_day

    tz = ZoneInfo(zone)
    now = datetime(2026, 10, 20, 12, tzinfo=UTC)  # 12 weeks back reach each zone's 2026 DST change
    state = ItemState(state=State.REVIEW)
    moments = [now - timedelta(minutes=15 * i) for i in range(HEATMAP_WEEKS * 7 * 96)]
    day = study_day(now, tz, 4)
    for _ in range(HEATMAP_WEEKS * 7):
        start = datetime(day.year, day.month, day.day, 4, tzinfo=tz).astimezone(UTC)
        moments += [start - timedelta(minutes=1), start + timedelta(minutes=1)]
        day -= timedelta(days=1)
    answers = [Answer("demo", "a", 0, m, 3, "correct", 1000, state) for m in moments if m <= now]
    stats = compute_stats([DeckData(make_deck(tmp_path), {})], answers, now, tz, fake_recall)
    expected: dict[date, int] = {}
    for answer in answers:
        expected[study_day(answer.reviewed_at, tz, 4)] = expected.get(study_day(answer.reviewed_at, tz, 4), 0) + 1
    shown = {d.day: d.answers for d in stats.days if d.answers}
    assert shown == {d: n for d, n in expected.items() if d >= stats.heatmap_start}


def test_stats_lists_leeches_with_their_sources(tmp_path, utc_local_time):
    deck_path, db = build_history(tmp_path)  # alpha lapsed once
    default = run(["stats", str(deck_path)], db)
    assert default.exit_code == 0 and "Leeches" not in default.output  # 1 lapse is far below 8
    result = run(["stats", str(deck_path), "--leech", "1"], db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("Leeches (1+ lapses): re-read their sources, then rewrite or suspend them")
    assert lines[at + 1] == "  alpha · 1 lapse · one.txt · What is alpha?"
    data = json.loads(run(["stats", str(deck_path), "--leech", "1", "--json"], db).output)
    assert data["leeches"] == [{"deck": "demo", "item": "alpha", "lapses": 1, "suspended": False,
                                "sources": ["one.txt"], "text": "What is alpha?"}]


def test_the_leech_option_default_is_ankis_threshold():
    import typer

    from quiz.cli import _LEECH_OPTION
    from quiz.model import LEECH_THRESHOLD

    assert isinstance(_LEECH_OPTION, typer.models.OptionInfo) and _LEECH_OPTION.default == LEECH_THRESHOLD == 8


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_stats_charts_are_readable_on_an_ascii_or_latin1_terminal(tmp_path, encoding):
    import subprocess
    import sys

    deck_path, db = build_history(tmp_path)
    env = dict(os.environ, QUIZ_NOW=CLI_NOW, QUIZ_DB=str(db), PYTHONIOENCODING=encoding, TZ="UTC", COLUMNS="80")
    env.pop("NO_COLOR", None)
    done = subprocess.run([sys.executable, "-m", "quiz", "stats", str(deck_path)], capture_output=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode(encoding)
    lines = out.splitlines()
    charts = "\n".join(lines[:lines.index("Hardest cards")])  # below it, "?" ends the deck's questions
    assert "?" not in charts, out  # every chart character used to be "?"
    assert "2 |#" in lines  # today's 2 due: a full bar
    heat = lines[lines.index("Answers, last 12 weeks") + 2:][:8]
    dot = "\u00b7" if encoding == "latin-1" else "-"
    assert heat[1] == f"Tue  {dot} {dot} {dot} {dot} {dot} {dot} {dot} {dot} {dot} {dot} # {dot}"
    assert heat[2].endswith(" +") and heat[7] == f"     less {dot} : + * # more  (busiest: 2 on 2026-11-20)"


@pytest.mark.parametrize("zone", ["Australia/Lord_Howe", "America/St_Johns", "Europe/Paris", "UTC"])
def test_the_forecast_puts_each_item_on_its_study_day_and_the_hardest_are_ranked_by_numbers(tmp_path, zone):
    """compute_stats finds an item's forecast day by bisection over the study days' starts, and builds
    the hardest items' text only for those shown: both must agree with `study_day` per item (due, or
    buried beyond it) and with ranking every item, also across DST changes and around day starts."""
    import random
    from zoneinfo import ZoneInfo

    from quiz.stats import FORECAST_DAYS, HARDEST_LIMIT, card_text, study_day

    tz = ZoneInfo(zone)
    rng = random.Random(zone)
    now = datetime(2026, 10, 20, 12, tzinfo=UTC)  # 30 days ahead reach each zone's 2026 DST change
    today = study_day(now, tz, 4)
    cards = tuple(Card(id=f"k{n:03d}", type=CardType.TYPED, cite=(cite("s1.txt"),), mark=M, question=f"Q{n}?",
                       answer="x") for n in range(300))
    deck = Deck(id="demo", title="Demo", path=Path("decks/demo.yaml"), sources=tmp_path, cards=cards)
    records = {}
    for card in cards:
        start = datetime.combine(today + timedelta(days=rng.randrange(-3, 34)), datetime.min.time()).replace(
            hour=4, tzinfo=tz).astimezone(UTC)
        due = start + timedelta(minutes=rng.choice([-1, 0, 1, rng.randrange(1440)]))
        buried = rng.choice([None, None, now - timedelta(hours=1), due + timedelta(days=rng.randrange(5))])
        state = ItemState(State.REVIEW, None, 5.0, 5.0, due, now - timedelta(days=1), 3, rng.randrange(3))
        records[(card.id, 0)] = Record(card.id, 0, state, rng.random() < 0.05, buried)
    stats = compute_stats([DeckData(deck, records)], [], now, tz, lambda s, n: rng.random(), start_hour=4)
    expected = [0] * FORECAST_DAYS
    for record in records.values():
        if record.suspended:
            continue
        day = study_day(record.state.due, tz, 4)
        if record.buried_until is not None and record.buried_until > now:
            day = max(day, study_day(record.buried_until, tz, 4))
        offset = (day - today).days
        if offset < FORECAST_DAYS:
            expected[max(offset, 0)] += 1
    assert list(stats.forecast) == expected and stats.due_tomorrow == expected[1]
    assert len(stats.hardest) == HARDEST_LIMIT
    keys = sorted(((-h.lapses, h.retrievability, h.deck, h.card, h.gap) for h in stats.hardest))
    assert [(-k[0], k[3]) for k in keys] == [(h.lapses, h.card) for h in stats.hardest]
    assert all(h.text == card_text(deck.by_id[h.card]) for h in stats.hardest)
    assert max(h.lapses for h in stats.hardest) == 2


def test_stats_days_reads_only_the_last_n_study_days_of_the_log(tmp_path, utc_local_time):
    """--days N (for a quick look at a long history, like Anki's one-year view): the answers of the last
    N study days make the activity, streaks and retention; per-card numbers stay all-time; N covering
    the whole history changes nothing."""
    deck_path, db = build_history(tmp_path)  # answers from the 10th to the 20th; today is the 21st

    def numbers(*extra: str) -> dict:
        result = run(["stats", str(deck_path), "--json", *extra], db)
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        del found["now"]  # the fake clock moves on by microseconds between runs
        return found

    whole = numbers()
    assert numbers("--days", "12") == whole
    recent = numbers("--days", "3")  # the 19th, 20th and 21st
    assert [d for d in recent["activity"] if d["answers"]] == [
        d for d in whole["activity"] if d["answers"] and d["date"] >= "2026-11-19"]
    assert recent["longest_streak"] == 2 and whole["longest_streak"] > 2
    for key in ("counts", "due", "forecast", "hardest", "sources", "decks"):
        assert recent[key] == whole[key], key
    for bad in ("0", "-1", "36501", "x"):
        result = run(["stats", str(deck_path), "--days", bad], db)
        assert result.exit_code == 2 and "--days" in result.output


@pytest.mark.parametrize("zone, hour", [("Europe/Berlin", 2), ("America/New_York", 23)])
def test_stats_sums_the_days_before_the_heatmap_per_study_day_without_changing_a_number(tmp_path, zone, hour,
                                                                                     monkeypatch):
    """`quiz stats` has the store sum each study day before the heatmap into one row (`day_starts`: 365
    rows for a year instead of 35,000 slots). Every number must stay what the per-slot totals give: a
    history of eight months through both changes of the clocks, a day start other than 4:00, and many
    days whose only answers lie just after their start or just before the next, so a day boundary put an
    hour or a day off moves them to a neighbouring day and changes the streaks."""
    import random

    from quiz.cli import _deck_data
    from quiz.deck import load_deck
    from quiz.scheduler import study_day, study_day_start
    from quiz.stats import MAX_ANSWER_SECONDS, SLOT_SECONDS, next_day_start

    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time_module.tzset()
    try:
        deck_path = tmp_path / "decks" / "demo.yaml"
        deck_path.parent.mkdir()
        deck_path.write_text(DECK_YAML, encoding="utf-8")
        db = tmp_path / "quiz.db"
        now = datetime.fromisoformat(CLI_NOW)
        rng = random.Random(3)
        known = state(State.REVIEW, now + timedelta(days=3), 4.0, now - timedelta(days=300), 2)
        with Store(db, "default") as store:
            day = study_day(now, None, hour) - timedelta(days=240)
            while day <= study_day(now, None, hour):
                if rng.random() < 0.8:  # a day studied: one answer close to one of its ends, a few more
                    start, end = (study_day_start(d, None, hour) for d in (day, day + timedelta(days=1)))
                    times = [rng.choice([start + timedelta(minutes=rng.randint(0, 40)),
                                         end - timedelta(minutes=rng.randint(1, 40))])]
                    times += [start + (end - start) * rng.random() for _ in range(rng.choice([0, 0, 2, 5]))]
                    for when in times:
                        if when < now:
                            store.record(answer(rng.choice(["alpha", "beta", "old"]), 0, when, rng.randint(1, 4),
                                                "correct", known, known, duration_ms=rng.randint(0, 90_000),
                                                practice=rng.random() < 0.3))
                day += timedelta(days=1)
        deck = load_deck(deck_path)
        passed: list[int] = []  # how many day starts the command passed the store
        real = Store.answer_totals

        def spy(self, *args, **kwargs):
            passed.append(len(args[5] if len(args) > 5 else kwargs.get("day_starts", ())))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Store, "answer_totals", spy)
        for days in (None, 30, 100, 200, 1000):
            extra = [] if days is None else ["--days", str(days)]
            result = run(["stats", str(deck_path), "--json", *extra], db, QUIZ_DAY_START=str(hour))
            assert result.exit_code == 0, result.output
            shown = json.loads(result.output)
            since = None if days is None else study_day_start(study_day(now, None, hour) - timedelta(days=days - 1),
                                                              None, hour)
            with Store(db, "default", read_only=True) as store:
                slots = store.answer_totals(deck.id, next_day_start(now, None, hour),
                                            int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS, since)
                expected = stats_to_json(compute_stats([_deck_data(store, deck)], slots, now, None,
                                                       Scheduler().retrievability, start_hour=hour))
            del shown["now"], expected["now"]  # the command's clock moves on by microseconds
            assert {key: shown[key] for key in expected} == expected
        # A day start per day from the first answer (or the window's first day) to the heatmap: --days 1000
        # on 240 days of answers passes as many as the whole history, not 1,000.
        by_command = passed[::2]  # (each run of the command is followed by the expected numbers' read)
        assert by_command[0] == by_command[-1] < 240 - 77 + 2 and by_command[1] == 0 and passed[1::2] == [0] * 5
        assert expected["longest_streak"] > 3 and expected["last_30_days"]["days_studied"] > 5
    finally:
        if old_tz is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old_tz
        time_module.tzset()


def test_stats_pauses_the_cyclic_collector_and_gives_it_back(tmp_path, utc_local_time, monkeypatch):
    """The command's ~100,000 objects form no cycles: the collector's passes over them were a third of its
    CPU time on a 10,000-card deck, so it is paused for the command, and given back as it was (enabled
    or not) to an in-process caller, also when the command fails."""
    import gc

    import quiz.stats

    deck_path, db = build_history(tmp_path)
    seen: list[bool] = []
    real = quiz.stats.compute_stats

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(quiz.stats, "compute_stats", spy)
    assert gc.isenabled()
    assert run(["stats", str(deck_path), "--json"], db).exit_code == 0
    assert seen == [False] and gc.isenabled()
    assert run(["stats", str(tmp_path / "missing.yaml")], db).exit_code == 2 and gc.isenabled()
    gc.disable()
    try:
        assert run(["stats", str(deck_path)], db).exit_code == 0 and not gc.isenabled()
    finally:
        gc.enable()
