"""The study session driven by a scripted front end and a hand-moved clock (no terminal, no wall clock)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from quiz.model import Card, CardType, Citation, Deck, ItemState, Mark, Rating, Review, State
from quiz.session import (
    CardView,
    Command,
    EndSession,
    Feedback,
    Leech,
    RatingChoice,
    Response,
    Session,
    StudyOptions,
    Summary,
    highlight_spans,
)
from quiz.store import Store

UTC = timezone.utc
START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # a Saturday, 10:00 UTC; study days start 04:00 UTC
SOURCE_TEXT = (
    "Moscow. Russia will stop operating on the ISS after 2024, Roscosmos said.\n"
    "Appointed in mid-July, Yuri Borissov replaced Dmitri Rogozin at Roscosmos.\n"
    "The station would cost $6 billion according to Interfax.\n"
)


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


M = Mark(1, 1)


def cite(quote: str = "Yuri Borissov replaced Dmitri Rogozin", source: str = "a.txt") -> tuple[Citation, ...]:
    return (Citation(source, quote, M, M),)


def typed(cid: str, answer: str = "Yuri Borisov", accept: tuple[str, ...] = (), tags: tuple[str, ...] = (),
          quote: str = "Yuri Borissov replaced Dmitri Rogozin", source: str = "a.txt") -> Card:
    return Card(id=cid, type=CardType.TYPED, cite=cite(quote, source), mark=M, question=f"Question {cid}?",
                answer=answer, accept=accept, tags=tags)


def cloze(cid: str, text: str = "Russia leaves the ISS {{after 2024}}, said {{Roscosmos}} of {{Moscow}}.") -> Card:
    return Card(id=cid, type=CardType.CLOZE, cite=cite("Russia will stop operating on the ISS after 2024"),
                mark=M, text=text)


def make_deck(tmp_path: Path, cards: list[Card], deck_id: str = "iss", title: str = "Russia and the ISS") -> Deck:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    return Deck(id=deck_id, title=title, path=tmp_path / f"{deck_id}.yaml", sources=src, cards=tuple(cards))


RIGHT = object()  # answer each card correctly
WRONG = object()  # answer each card wrongly


@dataclass
class Answer:
    text: Any = RIGHT
    seconds: float = 5.0  # time the student takes


class Script:
    """A front end that plays a list of events: `Answer(...)` for each question, then a Rating, a Command
    or None (accept the suggested rating) for each rating prompt. Runs out -> EndSession (Ctrl-D)."""

    def __init__(self, clock: Clock, events: list[Any] | None = None,
                 policy: Callable[[CardView], list[Any]] | None = None) -> None:
        self.clock = clock
        self.events = list(events or [])
        self.policy = policy
        self.views: list[CardView] = []
        self.feedback: list[Feedback] = []
        self.ratings: list[tuple[list[RatingChoice], Rating]] = []
        self.notes: list[str] = []
        self.summary: Summary | None = None
        self.leeches: list[Leech] = []
        self.suspend_leeches = False  # the answer to every offer to suspend a leech

    def _next(self, view: CardView | None) -> Any:
        if not self.events and self.policy is not None and view is not None:
            self.events = list(self.policy(view))
        if not self.events:
            raise EndSession
        event = self.events.pop(0)
        if isinstance(event, BaseException) or (isinstance(event, type) and issubclass(event, BaseException)):
            raise event
        return event

    def ask(self, view: CardView) -> Response:
        self.views.append(view)
        event = self._next(view)
        assert isinstance(event, Answer), f"expected an answer for {view.card.id}, script has {event!r}"
        self.clock.advance(seconds=event.seconds)
        return respond(view, event.text)

    def show_feedback(self, feedback: Feedback) -> None:
        self.feedback.append(feedback)

    def ask_rating(self, choices, default):
        self.ratings.append((list(choices), default))
        event = self._next(None)
        assert not isinstance(event, Answer), f"expected a rating, script has {event!r}"
        return default if event is None else event

    def notify(self, message: str) -> None:
        self.notes.append(message)

    def offer_suspend(self, leech: Leech) -> bool:
        self.leeches.append(leech)
        return self.suspend_leeches

    def show_summary(self, summary: Summary) -> None:
        self.summary = summary

    @property
    def asked(self) -> list[str]:
        return [f"{v.card.id}/{v.gap}" if v.gap else v.card.id for v in self.views]


def respond(view: CardView, what: Any) -> Response:
    card = view.card
    expected = card.expected(view.gap)
    if card.type is CardType.TRUEFALSE:
        value = (expected == "true") == (what is RIGHT)
        return Response("true" if value else "false", value)
    if card.type is CardType.CHOICE:
        if what is RIGHT:
            return Response(expected)
        if what is WRONG:
            return Response(next(c for c in view.choices if c != expected))
        return Response(what)
    if card.type is CardType.FLIP:
        return Response("")
    if what is RIGHT:
        return Response(expected)
    if what is WRONG:
        return Response("zzzz qqqq")
    return Response(what)


def steps(n: int, answer: Any = RIGHT, rating: Any = None) -> list[Any]:
    out: list[Any] = []
    for _ in range(n):
        out += [Answer(answer), rating]
    return out


OPTS = StudyOptions(tz=UTC)


def run(deck: Deck | list[Deck], store: Store, clock: Clock, events: list[Any] | None = None,
        options: StudyOptions = OPTS, policy=None) -> tuple[Script, Summary]:
    ui = Script(clock, events, policy)
    decks = deck if isinstance(deck, list) else [deck]
    summary = Session(decks, store, clock, ui, options).run()
    assert ui.summary is summary
    return ui, summary


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "quiz.db") as s:
        yield s


def seed_state(store: Store, deck: str, card: str, state: ItemState, gap: int = 0,
               at: datetime = START - timedelta(days=30)) -> None:
    """Put an item into `state` through the public API (a logged answer, as if studied long ago)."""
    store.record(Review(deck=deck, card=card, gap=gap, reviewed_at=at, rating=3, verdict="correct",
                        answer="", duration_ms=1000, before=ItemState(), after=state, interval_days=1.0))


def review_state(due: datetime, interval_days: float, stability: float = 10.0) -> ItemState:
    return ItemState(state=State.REVIEW, step=None, stability=stability, difficulty=5.0, due=due,
                     last_review=due - timedelta(days=interval_days), reps=3, lapses=0)


# ----------------------------------------------------------------------------------------------------
# Queue order and limits


def test_queue_order_learning_then_most_overdue_reviews_then_new_in_deck_order(tmp_path, store):
    cards = [typed("new-1"), cloze("new-cloze"), typed("new-2"), typed("rev-a"), typed("rev-b"),
             typed("rev-c"), typed("learn"), typed("rev-tomorrow")]
    deck = make_deck(tmp_path, cards)
    # rev-a: 2 days overdue on a 20-day interval (0.1); rev-b: 2 days on 4 days (0.5); rev-c: due an hour ago
    seed_state(store, "iss", "rev-a", review_state(START - timedelta(days=2), 20))
    seed_state(store, "iss", "rev-b", review_state(START - timedelta(days=2), 4))
    seed_state(store, "iss", "rev-c", review_state(START - timedelta(hours=1), 10))
    seed_state(store, "iss", "rev-tomorrow", review_state(START + timedelta(days=1), 10))
    seed_state(store, "iss", "learn", ItemState(state=State.LEARNING, step=1, stability=1.0, difficulty=5.0,
                                                due=START - timedelta(minutes=3), last_review=START - timedelta(minutes=13),
                                                reps=1))
    clock = Clock()
    # Burying every card shows the queue order without changing any schedule.
    ui, summary = run(deck, store, clock, steps(20, RIGHT, Command.BURY))
    assert ui.asked == ["learn", "rev-b", "rev-a", "rev-c", "new-1", "new-cloze/1", "new-2"]
    first = ui.views[0].progress
    assert (first.position, first.total, first.new, first.learning, first.review) == (1, 7, 3, 1, 3)
    assert summary.answers == 0 and store.answered_since("iss", START - timedelta(hours=6)) == (0, 0)


def test_two_decks_interleave_learning_by_due_and_reviews_by_overdueness(tmp_path, store):
    a = make_deck(tmp_path, [typed(c) for c in ("a-new", "a-learn-1", "a-learn-3", "a-rev-1", "a-rev-3")], deck_id="a")
    b = make_deck(tmp_path, [typed(c) for c in ("b-new", "b-learn-2", "b-rev-2")], deck_id="b")

    def learning(minutes_ago: int) -> ItemState:
        return ItemState(state=State.LEARNING, step=1, stability=1.0, difficulty=5.0,
                         due=START - timedelta(minutes=minutes_ago), last_review=START - timedelta(minutes=20), reps=1)

    seed_state(store, "a", "a-learn-1", learning(3))
    seed_state(store, "b", "b-learn-2", learning(5))
    seed_state(store, "a", "a-learn-3", learning(1))
    seed_state(store, "a", "a-rev-1", review_state(START - timedelta(days=2), 20))  # overdue by 0.1 interval
    seed_state(store, "b", "b-rev-2", review_state(START - timedelta(days=2), 4))  # by 0.5
    seed_state(store, "a", "a-rev-3", review_state(START - timedelta(days=3), 10))  # by 0.3
    ui, _ = run([a, b], store, Clock(), steps(20, RIGHT, Command.BURY))
    assert ui.asked == ["b-learn-2", "a-learn-1", "a-learn-3", "b-rev-2", "a-rev-3", "a-rev-1", "a-new", "b-new"]


def test_new_and_review_limits_over_simulated_days(tmp_path, store):
    deck = make_deck(tmp_path, [typed(f"c{i:02d}") for i in range(30)])
    clock = Clock()
    opts = StudyOptions(tz=UTC, new_limit=20, review_limit=3)
    # Easy graduates a new card at once, so every answer is one new card introduced.
    ui, summary = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.EASY])
    assert ui.asked == [f"c{i:02d}" for i in range(20)]
    assert summary.answers == 20 and summary.new_left_today == 0 and summary.new_limit_reached
    assert store.answered_since("iss", START - timedelta(hours=6)) == (20, 0)

    clock.advance(hours=3)  # later the same study day: the limit holds across sessions
    ui, summary = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.EASY])
    assert ui.asked == [] and summary.nothing_due and summary.new_limit_reached

    clock.advance(hours=15)  # 04:00 the next day: a new study day (START was 10:00)
    ui, summary = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.EASY])
    assert ui.asked == [f"c{i:02d}" for i in range(20, 30)]

    # Long after: all 30 are due reviews; only 3 per day, most overdue first.
    clock.advance(days=400)
    ui, summary = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.GOOD])
    assert len(ui.asked) == 3 and summary.review_limit_reached
    assert {v.state for v in ui.views} == {State.REVIEW}
    ui, summary = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.GOOD])
    assert ui.asked == [] and summary.review_limit_reached


def test_learning_item_is_asked_again_within_the_learn_ahead_window(tmp_path, store):
    deck = make_deck(tmp_path, [typed("only")])
    clock = Clock()
    ui, summary = run(deck, store, clock, [Answer(), Rating.GOOD, Answer(), Rating.GOOD, Answer(), Rating.GOOD])
    # new -> Good: 10-minute step, shown early (nothing else left, within 20 min) -> Good graduates
    assert ui.asked[:2] == ["only", "only"]
    assert [c.interval for c in ui.ratings[0][0]][:3] == ["1m", "6m", "10m"]
    item = store.items("iss")[("only", 0)].state
    assert item.state is State.REVIEW and len(ui.asked) == 2
    assert summary.answers == 2 and summary.cards == 1


def test_learning_item_due_beyond_the_window_waits_and_is_the_next_due(tmp_path, store):
    deck = make_deck(tmp_path, [typed("later")])
    due = START + timedelta(minutes=30)
    seed_state(store, "iss", "later", ItemState(state=State.RELEARNING, step=0, stability=2.0, difficulty=6.0,
                                                due=due, last_review=START - timedelta(minutes=1), reps=4, lapses=1))
    ui, summary = run(deck, store, Clock(), [Answer(), None])
    assert ui.asked == [] and summary.nothing_due and summary.next_due == due


def test_learning_item_comes_back_when_due_between_other_cards(tmp_path, store):
    deck = make_deck(tmp_path, [typed(f"n{i}") for i in range(4)])
    clock = Clock()
    # Again -> 1 minute step; each answer takes 40 s, so it is due again after the second next card.
    events = [Answer(WRONG, 40), None] + steps(6, RIGHT, Rating.EASY)
    for i in range(len(events)):
        if isinstance(events[i], Answer):
            events[i].seconds = 40
    ui, _ = run(deck, store, clock, events)
    assert ui.asked[:4] == ["n0", "n1", "n2", "n0"]


def test_cloze_siblings_wait_for_the_next_study_day_and_count_once(tmp_path, store):
    deck = make_deck(tmp_path, [cloze("gaps"), typed("plain")])
    clock = Clock()
    ui, _ = run(deck, store, clock, policy=lambda v: [Answer(), Rating.EASY])
    assert ui.asked == ["gaps/1", "plain"]
    assert ui.views[0].progress.new == 2  # the cloze card's three new gaps count once
    assert ui.views[0].prompt == "Russia leaves the ISS [...], said Roscosmos of Moscow."
    clock.advance(days=1)
    ui, _ = run(deck, store, clock, policy=lambda v: [Answer(), Rating.EASY])
    assert ui.asked == ["gaps/2"]
    clock.advance(days=1)
    ui, _ = run(deck, store, clock, policy=lambda v: [Answer(), Rating.EASY])
    assert ui.asked == ["gaps/3"]


def test_learning_gap_returns_the_same_day_but_its_siblings_do_not(tmp_path, store):
    deck = make_deck(tmp_path, [cloze("gaps")])
    ui, _ = run(deck, store, Clock(), [Answer(), Rating.GOOD, Answer(), Rating.GOOD, Answer(), None])
    assert ui.asked == ["gaps/1", "gaps/1"]


def test_tag_and_source_filters(tmp_path, store):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "b.txt").write_text("Borissov, 65, held the portfolio.\n", encoding="utf-8")
    cards = [typed("people", tags=("people",)), typed("other"),
             typed("from-b", quote="Borissov, 65", source="b.txt", answer="65")]
    deck = make_deck(tmp_path, cards)
    ui, _ = run(deck, store, Clock(), steps(5, RIGHT, Command.BURY), StudyOptions(tz=UTC, tags=("People",)))
    assert ui.asked == ["people"]
    ui, _ = run(deck, store, Clock(), steps(5, RIGHT, Command.BURY), StudyOptions(tz=UTC, sources=("src/b.txt",)))
    assert ui.asked == ["from-b"]


# ----------------------------------------------------------------------------------------------------
# Ratings, verdicts, overrides


def test_suggested_rating_follows_the_verdict_and_overrides_are_logged(tmp_path, store):
    cards = [typed("right"), typed("typo"), typed("wrong"), typed("overruled"),
             Card(id="flip", type=CardType.FLIP, cite=cite(), mark=M, question="Who?", answer="Borisov")]
    deck = make_deck(tmp_path, cards)
    events = [Answer(RIGHT), None, Answer("Yuri Borosov"), None, Answer(WRONG), None,
              Answer(WRONG), Rating.GOOD, Answer(RIGHT), None]
    ui, summary = run(deck, store, Clock(), events)
    # "wrong" (Again: a 1-minute step) comes back early once nothing else is left; the script ends there
    assert ui.asked == ["right", "typo", "wrong", "overruled", "flip", "wrong"]
    assert [d for _, d in ui.ratings] == [Rating.GOOD, Rating.HARD, Rating.AGAIN, Rating.AGAIN, Rating.GOOD]
    log = {r.card: r for r in store.reviews("iss")}
    assert [(log[c].verdict, log[c].rating, log[c].override) for c in ("right", "typo", "wrong", "overruled", "flip")] == [
        ("correct", 3, False), ("almost", 2, False), ("wrong", 1, False), ("wrong", 3, True), ("self", 3, False)]
    assert log["typo"].answer == "Yuri Borosov"
    assert (summary.correct, summary.almost, summary.wrong, summary.self_rated) == (1, 1, 2, 1)


def test_rating_choices_show_the_interval_each_rating_would_give(tmp_path, store):
    deck = make_deck(tmp_path, [typed("one")])
    seed_state(store, "iss", "one", review_state(START - timedelta(days=1), 10, stability=10.0))
    ui, _ = run(deck, store, Clock(), [Answer(), Rating.GOOD])
    choices = ui.ratings[0][0]
    assert [c.label for c in choices] == ["Again", "Hard", "Good", "Easy"]
    assert all(c.interval for c in choices)
    after = store.items("iss")[("one", 0)].state
    good = next(c for c in choices if c.rating is Rating.GOOD)
    from quiz.scheduler import format_interval

    review = next(r for r in store.reviews("iss") if r.answer)
    assert good.interval == format_interval(after.due - review.reviewed_at)


def test_every_answer_is_recorded_with_its_duration_before_the_next_card(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b")])
    clock = Clock()
    seen_counts = []

    class Counting(Script):
        def ask(self, view):
            seen_counts.append(len(list(store.reviews("iss"))))
            return super().ask(view)

    ui = Counting(clock, [Answer(RIGHT, 7), Rating.EASY, Answer(RIGHT, 300), Rating.EASY])
    Session([deck], store, clock, ui, OPTS).run()
    assert seen_counts == [0, 1]
    assert [r.duration_ms for r in store.reviews("iss")] == [7000, 60000]  # capped at 60 s like Anki


# ----------------------------------------------------------------------------------------------------
# Undo, suspend, bury, quit, Ctrl-C


def test_undo_reverts_exactly_the_last_answer_and_asks_that_item_again(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b"), typed("c")])
    clock = Clock()
    events = [Answer(RIGHT), Rating.EASY,       # a
              Answer(WRONG), Command.UNDO,      # at b's rating: undo a's answer
              Answer(WRONG), Rating.AGAIN,      # a again, now wrong
              Answer(RIGHT), Rating.EASY,       # b
              Answer(RIGHT), Command.QUIT]      # c: quit without rating
    ui, summary = run(deck, store, clock, events)
    assert ui.asked == ["a", "b", "a", "b", "c"]
    log = list(store.reviews("iss"))
    assert [(r.card, r.rating) for r in log] == [("a", 1), ("b", 4)]
    assert store.items("iss")[("a", 0)].state.state is State.LEARNING
    assert ("c", 0) not in store.items("iss")
    assert any("Undid the answer to a" in n for n in ui.notes)
    assert summary.answers == 2 and (summary.correct, summary.wrong) == (1, 1)


def test_undo_with_nothing_answered_says_so_and_asks_for_a_rating_again(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a")])
    ui, _ = run(deck, store, Clock(), [Answer(), Command.UNDO, Rating.EASY])
    assert ui.notes == ["Nothing to undo yet in this session."]
    assert [r.card for r in store.reviews("iss")] == ["a"]


def test_undo_in_practice_restores_the_practice_queue(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b")])
    clock = Clock()
    ui, _ = run(deck, store, clock, [Answer(), Rating.GOOD, Answer(), Command.UNDO, Answer(), Rating.GOOD,
                                     Answer(), Rating.GOOD], StudyOptions(tz=UTC, practice=True))
    first, second = ui.asked[0], ui.asked[1]
    assert ui.asked == [first, second, first, second]
    assert len(list(store.reviews("iss"))) == 2


def test_suspend_and_bury_record_nothing_and_hide_the_card(tmp_path, store):
    deck = make_deck(tmp_path, [typed("s"), cloze("b"), typed("x")])
    clock = Clock()
    ui, _ = run(deck, store, clock, [Answer(), Command.SUSPEND, Answer(), Command.BURY, Answer(), Rating.EASY])
    assert ui.asked == ["s", "b/1", "x"]
    assert [r.card for r in store.reviews("iss")] == ["x"]
    items = store.items("iss")
    assert items[("s", 0)].suspended
    assert all(items[("b", g)].buried_until == datetime(2026, 11, 22, 4, 0, tzinfo=UTC) for g in (1, 2, 3))
    clock.advance(hours=1)
    ui, _ = run(deck, store, clock, steps(5))
    assert ui.asked == []
    clock.advance(hours=17)  # 04:00 tomorrow (local time = UTC here)
    ui, _ = run(deck, store, clock, steps(5, RIGHT, Rating.EASY))
    assert ui.asked == ["b/1"]


def test_ctrl_c_ends_the_session_with_a_summary_and_keeps_confirmed_answers(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b"), typed("c")])
    ui, summary = run(deck, store, Clock(), [Answer(), Rating.EASY, Answer(), KeyboardInterrupt])
    assert summary.interrupted and summary.answers == 1
    assert [r.card for r in store.reviews("iss")] == ["a"]
    assert summary.due_now == 2


def test_end_of_input_at_a_question_ends_normally(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b")])
    ui, summary = run(deck, store, Clock(), [Answer(), Rating.EASY])
    assert not summary.interrupted and ui.asked == ["a", "b"] and summary.answers == 1


# ----------------------------------------------------------------------------------------------------
# Practice


def test_practice_walks_everything_without_changing_the_schedule(tmp_path, store):
    cards = [typed("a"), typed("b"), typed("c"), typed("d")]
    deck = make_deck(tmp_path, cards)
    seed_state(store, "iss", "a", review_state(START + timedelta(days=5), 10))
    before = store.items("iss")
    clock = Clock()
    events = [Answer(WRONG), None] + steps(10, RIGHT, None)  # the first one wrong: it comes back at the end
    ui, summary = run(deck, store, clock, events, StudyOptions(tz=UTC, practice=True))
    assert sorted(ui.asked[:4]) == ["a", "b", "c", "d"] and ui.asked[4] == ui.asked[0] and len(ui.asked) == 5
    assert store.items("iss") == before
    practice = [r for r in store.reviews("iss") if r.practice]
    assert len(practice) == 5 and all(r.after == r.before and r.interval_days == 0 for r in practice)
    assert store.answered_since("iss", START - timedelta(hours=6)) == (0, 0)
    assert all(c.interval == "" for choices, _ in ui.ratings for c in choices)
    assert summary.practice and summary.answers == 5
    # the same clock gives the same order (seeded), a different one another order (most likely)
    ui2, _ = run(deck, store, Clock(), steps(4, RIGHT, None), StudyOptions(tz=UTC, practice=True))
    assert ui2.asked == ui.asked[:4]


def test_practice_refuses_suspend_and_bury(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a")])
    ui, _ = run(deck, store, Clock(), [Answer(), Command.SUSPEND, Command.BURY, Rating.GOOD],
                options=replace(OPTS, practice=True))
    assert ui.notes == ["Practice does not change the schedule: suspend and bury are not available here "
                        "(quiz suspend CARD does it)."] * 2
    assert store.items("iss") == {}
    assert [(r.card, r.practice) for r in store.reviews("iss")] == [("a", True)]


def test_nothing_due_summary_names_the_next_card(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a")])
    due = START + timedelta(days=2, hours=3)
    seed_state(store, "iss", "a", review_state(due, 10))
    ui, summary = run(deck, store, Clock(), steps(1))
    assert summary.nothing_due and summary.next_due == due and summary.new_left_today == 0
    from quiz.ui import summary_lines

    assert summary_lines(summary) == [
        "Nothing to study now. The next card is due in 2d (Mon 23 Nov 13:00).",
        "Run `quiz study --practice` to study anyway (your schedule is not changed).",
    ]


def test_summary_numbers(tmp_path, store):
    deck = make_deck(tmp_path, [typed(f"c{i}") for i in range(5)])
    clock = Clock()
    ui, summary = run(deck, store, clock, [Answer(RIGHT, 10), Rating.EASY, Answer("Yuri Borosov", 10), Rating.EASY,
                                           Answer(WRONG, 10), Rating.EASY])
    assert (summary.answers, summary.cards, summary.correct, summary.almost, summary.wrong) == (3, 3, 1, 1, 1)
    assert summary.seconds == 30 and summary.new_left_today == 2 and summary.due_now == 2
    assert summary.next_due is not None and summary.next_due > clock.now() + timedelta(days=1)


def test_the_header_counts_what_is_left_and_does_not_grow_when_a_failed_card_comes_back(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b")])
    clock = Clock()
    # a: Again (a 1-minute step, due within the learn-ahead window); b: Easy; a comes straight back
    ui, _ = run(deck, store, clock, [Answer(WRONG), None, Answer(), Rating.EASY, Answer(), Rating.EASY])
    assert ui.asked == ["a", "b", "a"]
    assert [v.progress.left for v in ui.views] == [2, 2, 1]  # the old "position/total" went 1/2, 2/3, 3/3
    assert [v.progress.again_now for v in ui.views] == [False, False, False]  # b was answered in between
    from quiz.ui import header_text

    assert header_text(ui.views[1]) == "Russia and the ISS · 2 left today · new 1 · learning 1 · review 0"


def test_the_header_says_when_the_failed_card_comes_straight_back(tmp_path, store):
    deck = make_deck(tmp_path, [typed("only")])
    ui, _ = run(deck, store, Clock(), [Answer(WRONG), None, Answer(), Rating.EASY])
    assert ui.asked == ["only", "only"]
    assert [v.progress.again_now for v in ui.views] == [False, True]
    from quiz.ui import header_text

    assert header_text(ui.views[1]).endswith(" · 1 left today · new 0 · learning 1 · review 0 · again now: "
                                             "nothing else is due")


def _first_header_count(deck: Deck, store: Store, clock: Clock) -> int:
    view = Session([deck], store, clock, None, OPTS).next_card()
    return 0 if view is None else view.progress.left


def test_the_summarys_waiting_count_is_what_the_next_session_shows(tmp_path, store):
    # learning items due within the learn-ahead window, reviews, new cards, cloze siblings buried for the day
    deck = make_deck(tmp_path, [cloze("gaps"), typed("a"), typed("b"), typed("c"), typed("d")])
    seed_state(store, "iss", "d", review_state(START - timedelta(days=1), 5))
    clock = Clock()
    # d (review): Again; gaps/1: Good (10-minute step); a: Again; then quit at b
    ui, summary = run(deck, store, clock, [Answer(WRONG), None, Answer(), Rating.GOOD, Answer(WRONG), None,
                                           Answer(), Command.QUIT])
    assert ui.asked == ["d", "gaps/1", "a", "b"]
    # waiting: d, gaps/1 and a (learning, due within 20 minutes), b and c (new); gaps/2 and /3 wait a day
    assert summary.due_now == 5 == _first_header_count(deck, store, clock)


def test_next_due_names_the_day_a_cloze_sibling_comes_back(tmp_path, store):
    deck = make_deck(tmp_path, [cloze("gaps")])
    clock = Clock()
    ui, summary = run(deck, store, clock, [Answer(), Rating.EASY])  # gaps/1 Easy: a review days away
    assert ui.asked == ["gaps/1"] and summary.due_now == 0
    tomorrow = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # the next study day starts at 04:00
    assert summary.next_due == tomorrow  # gaps/2 is offered then (it used to say: when gaps/1 is due)
    clock.t = tomorrow
    assert _first_header_count(deck, store, clock) == 1


LEECH_SOURCE = (
    "Moscow, July 26.\n"
    "\n"
    "Appointed in mid-July, Yuri Borissov\n"
    "replaced Dmitri Rogozin at Roscosmos. He said\n"
    "Russia would leave the station after 2024.\n"
    "\n"
    "NASA said it had not received any notice.\n"
)


def lapsed(times: int) -> ItemState:
    return replace(review_state(START - timedelta(hours=1), 5), lapses=times)


def leech_deck(tmp_path: Path) -> Deck:
    deck = make_deck(tmp_path, [typed("who", quote="Yuri Borissov replaced Dmitri Rogozin"),
                                typed("lost", quote="a quote that is nowhere"), typed("other")])
    (tmp_path / "src" / "a.txt").write_text(LEECH_SOURCE, encoding="utf-8")
    return deck


def test_the_eighth_lapse_makes_a_leech_with_the_paragraph_to_reread(tmp_path, store):
    deck = leech_deck(tmp_path)
    seed_state(store, "iss", "who", lapsed(7))
    clock = Clock()
    ui = Script(clock, [Answer(WRONG), None, Answer(), Rating.EASY])
    ui.suspend_leeches = True
    Session([deck], store, clock, ui, OPTS).run()
    [leech] = ui.leeches
    assert (leech.card_id, leech.lapses, leech.missing) == ("who", 8, ())
    [passage] = leech.passages
    assert (passage.source, passage.first_line, passage.last_line) == ("a.txt", 3, 5)
    assert passage.text == ("Appointed in mid-July, Yuri Borissov\nreplaced Dmitri Rogozin at Roscosmos. He said\n"
                            "Russia would leave the station after 2024.")
    (start, end), = passage.highlights
    assert passage.text[start:end] == "Yuri Borissov\nreplaced Dmitri Rogozin"
    assert store.items("iss")[("who", 0)].suspended
    assert "Suspended who (quiz unsuspend brings it back)." in ui.notes
    assert ui.asked.count("who") == 1  # suspended: not asked again today (relearning otherwise)
    from quiz.ui import passage_location

    assert passage_location(passage) == "re-read: a.txt, lines 3–5"


def test_a_leech_is_not_announced_below_the_threshold_and_the_threshold_is_an_option(tmp_path, store):
    deck = leech_deck(tmp_path)
    seed_state(store, "iss", "who", lapsed(6))
    seed_state(store, "iss", "lost", lapsed(3))
    clock = Clock()
    ui, _ = run(deck, store, clock, [Answer(WRONG), None, Answer(WRONG), None],
                options=replace(OPTS, new_limit=0, leech_threshold=4))
    # threshold 4: announced at 4 lapses, then every 2 (6, 8, ...); who reaches 7
    assert [(le.card_id, le.lapses) for le in ui.leeches] == [("lost", 4)]
    assert ui.leeches[0].passages == () and ui.leeches[0].missing == ("citation not found in a.txt",)
    assert not store.items("iss")[("lost", 0)].suspended  # the offer was declined


# ----------------------------------------------------------------------------------------------------
# Card views and evidence


def test_choice_and_truefalse_views(tmp_path, store):
    choice = Card(id="cost", type=CardType.CHOICE, cite=cite("$6 billion"), mark=M, question="Cost?",
                  answer="$6 billion", choices=("$6 billion", "$1 billion", "$16 billion", "$600 million"))
    tf = Card(id="tf", type=CardType.TRUEFALSE, cite=cite(), mark=M, question="Rogozin stayed.", answer="false")
    deck = make_deck(tmp_path, [choice, tf])
    ui, _ = run(deck, store, Clock(), [Answer(), Rating.EASY, Answer(WRONG), None])
    assert sorted(ui.views[0].choices) == sorted(choice.choices)
    assert ui.views[1].choices == ("True", "False")
    assert [f.grade.verdict.value for f in ui.feedback] == ["correct", "wrong"]
    # the shuffle is seeded by the item: the same state shows the same order
    ui2, _ = run(make_deck(tmp_path, [choice], deck_id="iss2"), store, Clock(), [Answer(), Command.QUIT])
    ui3, _ = run(make_deck(tmp_path, [choice], deck_id="iss2"), store, Clock(), [Answer(), Command.QUIT])
    assert ui2.views[0].choices == ui3.views[0].choices


def test_evidence_locates_quotes_highlights_the_answer_and_flags_missing_citations(tmp_path, store):
    card = Card(id="who", type=CardType.TYPED, mark=M, question="Who replaced Rogozin?", answer="Yuri Borisov",
                accept=("Yuri Borissov",),
                cite=(Citation("a.txt", "Yuri Borissov replaced Dmitri Rogozin", M, M),
                      Citation("a.txt", "this sentence is not in the file", M, M),
                      Citation("../escape.txt", "anything", M, M)))
    deck = make_deck(tmp_path, [card])
    ui, _ = run(deck, store, Clock(), [Answer(), Rating.EASY])
    found, missing, escape = ui.feedback[0].evidence
    assert (found.found, found.source, found.line, found.quote) == (True, "a.txt", 2,
                                                                   "Yuri Borissov replaced Dmitri Rogozin")
    assert found.highlights == ((0, 13),)
    assert (missing.found, missing.message) == (False, "citation not found in a.txt")
    assert not escape.found and escape.message


def test_highlight_spans():
    assert highlight_spans("stop operating after 2024,” the head", ["after 2024"]) == ((15, 25),)
    assert highlight_spans("Yuri Borissov replaced", ["Yuri Borisov", "Borissov"]) == ((0, 13),)
    assert highlight_spans("Yuri Borissov replaced", ["Yury Borissov"]) == ((0, 13),)  # graded as a spelling
    assert highlight_spans("chief Yuri Borissov said", ["Yuri Borisov"]) == ((6, 19),)
    assert highlight_spans("Mr Borissov, 65, said", ["Yuri Borissov"]) == ((3, 11),)  # the surname
    assert highlight_spans("would cost $6 billion", ["$6 billion"]) == ((11, 21),)
    assert highlight_spans("AFTER   2024", ["after 2024"]) == ((0, 12),)
    assert highlight_spans("no match here", ["after 2024"]) == ()
    assert highlight_spans("a cat and a category", ["cat"]) == ((2, 5),)


def test_an_answer_given_meanwhile_in_another_process_is_seen(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b"), typed("c")])
    clock = Clock()

    class Meanwhile(Script):
        def ask_rating(self, choices, default):
            if len(self.ratings) == 0:  # while "a" waits for its rating, "b" is studied elsewhere
                with Store(tmp_path / "quiz.db") as other:
                    seed_state(other, "iss", "b", review_state(START + timedelta(days=9), 9), at=START)
            return super().ask_rating(choices, default)

    ui = Meanwhile(clock, [Answer(), Rating.EASY, Answer(), Rating.EASY])
    Session([deck], store, clock, ui, OPTS).run()
    assert ui.asked == ["a", "c"]


def test_undo_never_removes_another_sessions_answer(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b"), typed("c")])
    clock = Clock()

    class Meanwhile(Script):
        def ask_rating(self, choices, default):
            if len(self.ratings) == 1:  # after "a" was answered here, "c" is answered elsewhere
                with Store(tmp_path / "quiz.db") as other:  # stamped earlier: a clock a little behind
                    seed_state(other, "iss", "c", review_state(START + timedelta(days=9), 9), at=START)
            return super().ask_rating(choices, default)

    ui = Meanwhile(clock, [Answer(), Rating.EASY, Answer(), Command.UNDO, Rating.EASY])
    Session([deck], store, clock, ui, OPTS).run()
    assert ui.notes == ["Cannot undo: this deck was answered in another session since."]
    log = list(store.reviews("iss"))
    assert sorted(r.card for r in log) == ["a", "b", "c"]
    assert store.items("iss")[("c", 0)].state == review_state(START + timedelta(days=9), 9)


def test_undo_refuses_when_another_session_answered_later(tmp_path, store):
    deck = make_deck(tmp_path, [typed("a"), typed("b"), typed("c")])
    clock = Clock()

    class Meanwhile(Script):
        def ask_rating(self, choices, default):
            if len(self.ratings) == 1:
                with Store(tmp_path / "quiz.db") as other:
                    seed_state(other, "iss", "c", review_state(START + timedelta(days=9), 9), at=clock.now())
            return super().ask_rating(choices, default)

    ui = Meanwhile(clock, [Answer(), Rating.EASY, Answer(), Command.UNDO, Rating.EASY])
    Session([deck], store, clock, ui, OPTS).run()
    assert ui.notes == ["Cannot undo: this deck was answered in another session since."]
    assert [r.card for r in store.reviews("iss")] == ["a", "c", "b"]


def test_a_long_quote_is_clipped_around_the_answer_in_both_front_ends(tmp_path, store):
    """B6: evidence keeps the answer visible and fits a few lines, however long the quote."""
    import io

    from rich.console import Console

    from quiz.ui.plain import PlainFrontend
    from quiz.ui.prompts import PromptFrontend

    filler = " ".join(f"word{i}" for i in range(300))
    long_line = f"{filler} Russia will leave the station after 2024, Roscosmos said. {filler}"
    far = " ".join(f"far{i}" for i in range(1000)) + " until 2024 at least"  # 9,000+ characters, not in a file
    card = Card(id="when", type=CardType.TYPED, mark=M, question="After which year?", answer="2024",
                cite=(Citation("b.txt", long_line, M, M), Citation("a.txt", far, M, M)))
    deck = make_deck(tmp_path, [card])
    (deck.sources / "b.txt").write_text(f"Title\n{long_line}\n", encoding="utf-8")
    ui, _ = run(deck, store, Clock(), [Answer(), Rating.GOOD])
    feedback = ui.feedback[0]
    found, missing = feedback.evidence
    assert found.found and found.quote == long_line and found.line == 2  # the session keeps the whole text
    assert not missing.found and missing.quote == far

    out = io.StringIO()
    PlainFrontend(stdin=io.StringIO(), stdout=out).show_feedback(feedback)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["Correct", "Answer: 2024"]
    found_line, flag_line = lines[2:]
    assert found_line.startswith("  b.txt:2  “…") and found_line.endswith("…”")
    assert "the station after «2024», Roscosmos said." in found_line
    assert len(found_line) <= len("  b.txt:2  “”") + 302
    assert flag_line.startswith("  ⚠ citation not found in a.txt: “…far") and flag_line.endswith(" until «2024» at least”")
    assert len(flag_line) <= len("  ⚠ citation not found in a.txt: “”") + 302

    for width, most in ((80, 300), (40, 144)):
        out = io.StringIO()
        console = Console(file=out, width=width, no_color=True, highlight=False, emoji=False, force_terminal=False)
        PromptFrontend(console).show_feedback(feedback)
        text = out.getvalue()
        shown = " ".join(text.split())
        assert "after «2024», Roscosmos" in shown and "until «2024» at least" in shown
        assert "⚠ citation not found in a.txt:" in shown
        quotes = re.findall("“(.*?)”", shown)
        assert len(quotes) == 2 and all(len(q) <= most + 10 for q in quotes)
        assert all(len(line) <= width for line in text.splitlines())


def test_clipped_quote_moves_the_highlights_with_the_cut():
    from quiz.ui import clipped_quote

    text = "x" * 50 + " " + " ".join(["aa"] * 200) + " ANSWER " + " ".join(["bb"] * 200)
    at = text.index("ANSWER")
    clipped, spans = clipped_quote(text, [(at, at + 6), (len(text) - 2, len(text))], limit=100)
    assert clipped.startswith("…aa") and clipped.endswith("bb…") and len(clipped) <= 102
    assert [clipped[a:b] for a, b in spans] == ["ANSWER"]  # the span beyond the cut is dropped
    assert clipped_quote("short «quote»", [(0, 5)], limit=100) == ("short «quote»", ((0, 5),))
    clipped, spans = clipped_quote("z" * 500, [(100, 400)], limit=100)  # the answer itself is too long
    assert clipped == "…" + "z" * 100 + "…" and spans == ((1, 101),)


def _queue_facts(q):
    """A deck queue as plain comparable values (items by key, not by object)."""
    return dict(
        generation=q.generation, tomorrow=q.tomorrow, ranked_at=q.ranked_at, valid_until=q.valid_until,
        learning=[(due, order, gap, it.key, it.state) for due, order, gap, it in q.learning],
        reviews=[(rank, order, it.key, it.state) for rank, order, it in q.reviews],
        new=[(it.key, it.state) for it in q.new], new_cap=q.new_cap, review_cap=q.review_cap,
        new_limit_reached=q.new_limit_reached, later=q.later, touched=q.touched, held=q.held,
    )


class _CheckedSession(Session):
    """Plans with the session's kept queues, then again from queues built from scratch (reviews ranked at
    the same instant), and insists they agree."""

    plans = 0
    patched = 0  # plans that used a queue patched after an answer (not one just built)

    def _plan(self, now, learn_ahead):
        kept = super()._plan(now, learn_ahead)
        saved = dict(self._queues)
        self._queues = {deck.id: self._build_queue(deck, now, ranked_at=saved[deck.id].ranked_at)
                        for deck in self.decks}
        rebuilt = super()._plan(now, learn_ahead)
        fresh, self._queues = self._queues, saved
        for deck_id, q in fresh.items():  # patched after every answer, yet exactly what a rebuild gives
            assert _queue_facts(saved[deck_id]) == _queue_facts(q)
            _CheckedSession.patched += saved[deck_id].ranked_at != now
        for part in ("learning", "reviews", "new", "ahead"):
            assert [it.key for it in getattr(kept, part)] == [it.key for it in getattr(rebuilt, part)], part
        assert (kept.next_due, kept.new_left, kept.new_limit_reached, kept.review_limit_reached) == (
            rebuilt.next_due, rebuilt.new_left, rebuilt.new_limit_reached, rebuilt.review_limit_reached)
        _CheckedSession.plans += 1
        return kept


@pytest.mark.parametrize("seed", range(int(os.environ.get("QUIZ_TEST_SEEDS", "6"))))
def test_the_planning_index_always_agrees_with_a_full_rebuild(tmp_path, store, seed):
    import random

    rng = random.Random(seed)
    cards = [typed(f"t{i:02d}") for i in range(18)] + [cloze(f"z{i}") for i in range(4)]
    decks = [make_deck(tmp_path, cards)]
    if seed % 2:  # two decks: each keeps its own queue, and the plan merges them
        decks.append(make_deck(tmp_path, [typed(f"u{i:02d}") for i in range(10)] + [cloze("y0")], deck_id="other"))
    clock = Clock()
    opts = StudyOptions(tz=UTC, new_limit=8, review_limit=6)

    def policy(view):
        what = rng.choice([RIGHT, RIGHT, WRONG])
        action = rng.choice([None, None, Rating.AGAIN, Rating.HARD, Rating.GOOD, Rating.EASY,
                             Command.UNDO, Command.SUSPEND, Command.BURY])
        clock.advance(minutes=rng.choice([0, 1, 3, 12, 30, 0, 1, 3, 12, 30, 400]))  # 400: past a day start
        if rng.random() < 0.1:  # another process (a second connection) resets a card meanwhile
            deck = rng.choice(decks)
            with Store(store.path) as other:
                other.reset(deck.id, rng.choice(deck.cards).id, clock.now())
        return [Answer(what), action]  # an undo refused (nothing yet) ends that session: fine here too

    for _day in range(8):
        _CheckedSession(decks, store, clock, Script(clock, policy=policy), opts).run()
        clock.advance(hours=rng.choice([5, 20, 30, 70]))
    assert _CheckedSession.plans > 40 and _CheckedSession.patched > 20


# ----------------------------------------------------------------------------------------------------
# The step API: next_card / answer / act, without a front end


def _log(store: Store) -> list[tuple]:
    """The stored history as comparable values (ids and all)."""
    reviews = [(r.id, r.deck, r.card, r.gap, r.reviewed_at, r.rating, r.verdict, r.answer, r.duration_ms,
                r.before, r.after, r.interval_days, r.practice, r.override) for r in store.reviews()]
    items = sorted((key, rec.state, rec.suspended, rec.buried_until) for key, rec in store.items("iss").items())
    return [reviews, items, store.resets()]


# What the student does, card after card: (answer, then the rating prompt's choices in order).
_STEP_SCRIPT = [
    (RIGHT, [None]),
    (WRONG, [Rating.GOOD]),  # an override
    (RIGHT, [Command.UNDO]),  # takes back the previous answer: that card comes again
    (RIGHT, [Rating.HARD]),
    (RIGHT, [Command.SUSPEND]),
    (WRONG, [Command.BURY]),
    ("Yuri Borisof", [None]),  # almost
    (RIGHT, [Rating.EASY]),
    (WRONG, [Rating.EASY]),  # an override that stays
    (RIGHT, [Command.QUIT]),
]


def _step_deck(tmp_path: Path) -> Deck:
    return make_deck(tmp_path, [typed(f"t{i}") for i in range(6)] + [cloze("z0"), typed("last")])


def test_the_step_api_drives_a_session_exactly_as_run_does(tmp_path):
    """The same script, once through `run()` with the scripted front end and once through next_card /
    answer / act alone (as a request/response front end would, one step per request): the same cards,
    the same feedback and notices, and byte for byte the same stored history."""
    events: list[Any] = []
    for what, actions in _STEP_SCRIPT:
        events += [Answer(what)] + actions
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with Store(tmp_path / "a" / "quiz.db") as store:
        clock = Clock()
        ui = Script(clock, events)
        summary = Session([_step_deck(tmp_path / "a")], store, clock, ui, OPTS).run()
        by_run = _log(store)
    assert summary.answers == 5 and len(ui.notes) == 3 and not summary.interrupted

    with Store(tmp_path / "b" / "quiz.db") as store:
        clock = Clock()
        session = Session([_step_deck(tmp_path / "b")], store, clock, None, OPTS)
        started = clock.now()
        asked, notes, verdicts = [], [], []
        for what, actions in _STEP_SCRIPT:
            view = session.next_card()
            assert view is not None
            assert session.next_card() is view  # asking again (a page reload) shows the same card
            asked.append(f"{view.card.id}/{view.gap}" if view.gap else view.card.id)
            clock.advance(seconds=Answer().seconds)
            feedback = session.answer(respond(view, what))
            verdicts.append(feedback.grade.verdict)
            assert [c.rating for c in feedback.choices] == list(Rating)
            for action in actions:
                outcome = session.act(feedback.suggested if action is None else action)
                notes += [outcome.message] if outcome.message else []
                assert outcome.done
                if isinstance(action, Rating) or action is None:
                    assert outcome.review is not None and outcome.review.id is not None
            if outcome.ended:
                break
        assert session.next_card() is None  # quit: the session is over
        stepped = _log(store)
        stepped_summary = session.summary(started)
    assert asked == ui.asked
    assert verdicts == [f.grade.verdict for f in ui.feedback]
    assert notes == ui.notes
    assert stepped == by_run
    assert (stepped_summary.answers, stepped_summary.correct, stepped_summary.almost, stepped_summary.wrong) == (
        summary.answers, summary.correct, summary.almost, summary.wrong)
    assert stepped[0] and any(r[13] for r in stepped[0])  # the script did record answers, one an override
    assert any(suspended for _, _, suspended, _ in stepped[1]) and any(b for *_, b in stepped[1])


def test_the_step_api_refuses_steps_out_of_order(tmp_path, store):
    session = Session([_step_deck(tmp_path)], store, Clock(), None, OPTS)
    with pytest.raises(RuntimeError):
        session.answer(Response("x"))
    view = session.next_card()
    assert view is not None
    with pytest.raises(RuntimeError):
        session.act(Rating.GOOD)
    session.answer(respond(view, RIGHT))
    with pytest.raises(RuntimeError):
        session.answer(respond(view, RIGHT))
    refused = session.act(Command.UNDO)  # nothing to undo yet: the card still waits for a rating
    assert not refused.done and refused.message == "Nothing to undo yet in this session."
    assert session.act(Rating.GOOD).done
    assert session.next_card() is not view
