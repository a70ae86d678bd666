"""Exam mode in the study session (quiz/exam.py's rules applied by quiz/session.py), with a hand-moved clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from test_session import UTC, Answer, Clock, make_deck, run, seed_state, typed  # noqa: F401

from quiz.exam import recall_at_instant
from quiz.model import ItemState, Rating, State
from quiz.scheduler import Scheduler, SchedulerConfig, format_interval, fuzz_factor, item_seed, study_day
from quiz.session import Response, Session, StudyOptions
from quiz.store import Store
from quiz.ui import header_text

START = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)  # study days start 04:00 UTC
EXAM = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)  # 6 study days after START's, the last 2 the final pass


def easy(view):
    return [Answer(), Rating.EASY]


def test_new_cards_are_paced_to_be_introduced_before_the_exam(tmp_path):
    deck = make_deck(tmp_path, [typed(f"c{i:02d}") for i in range(12)])
    clock = Clock(START)
    per_day = []
    with Store(tmp_path / "quiz.db") as store:
        for day in range(4):
            ui, _ = run(deck, store, clock, options=StudyOptions(tz=UTC, new_limit=20, exam=EXAM), policy=easy)
            per_day.append([v.card.id for v in ui.views if v.state is State.NEW])
            if day == 0:
                assert ui.views[0].exam is not None and ui.views[0].exam.days_left == 6
                assert header_text(ui.views[0]).endswith(" · exam in 6 days · expected score 0%")
            clock.advance(days=1)
    # 12 items over the 4 days before the final pass: 3 a day
    assert [len(day) for day in per_day] == [3, 3, 3, 3]
    assert sum(per_day, []) == [f"c{i:02d}" for i in range(12)]

    # Without the exam the same deck introduces --new (20) at once.
    with Store(tmp_path / "plain.db") as store:
        ui, _ = run(deck, store, Clock(START), options=StudyOptions(tz=UTC, new_limit=20), policy=easy)
    assert len(ui.views) == 12 and ui.views[0].exam is None


def test_pacing_stays_within_new(tmp_path):
    deck = make_deck(tmp_path, [typed(f"c{i:02d}") for i in range(12)])
    with Store(tmp_path / "quiz.db") as store:
        ui, _ = run(deck, store, Clock(START), options=StudyOptions(tz=UTC, new_limit=2, exam=EXAM), policy=easy)
    assert len(ui.views) == 2


def _high_fuzz_card() -> str:
    """A card id whose first review fuzz factor is high, so fuzz moves Good past the 0.9 point."""
    return next(f"c{i}" for i in range(1000) if fuzz_factor(item_seed("iss", f"c{i}", 0, 3)) > 0.95)


def test_a_review_is_pulled_before_the_exam_when_recall_there_would_drop_below_target(tmp_path):
    card = _high_fuzz_card()
    deck = make_deck(tmp_path, [typed(card)])
    now = START
    state = ItemState(state=State.REVIEW, stability=30.0, difficulty=5.0, due=now, last_review=now - timedelta(days=30),
                      reps=3)
    scheduler = Scheduler(SchedulerConfig(tz=UTC))
    plain = scheduler.review(state, Rating.GOOD, now + timedelta(seconds=5), item_seed("iss", card, 0, 3))
    assert plain.due is not None
    # The exam at 09:00 on the day the plain schedule makes it due (10:00 + a few seconds): past the exam.
    exam = plain.due.replace(hour=9, minute=0, second=0, microsecond=0)
    assert exam < plain.due and recall_at_instant(plain, exam, scheduler.recall_after) < 0.9
    with Store(tmp_path / "quiz.db") as store:
        seed_state(store, "iss", card, state)
        clock = Clock(now)
        session = Session([deck], store, clock, None, StudyOptions(tz=UTC, exam=exam))
        view = session.next_card()
        assert view is not None and view.card.id == card
        clock.advance(seconds=5)
        feedback = session.answer(Response("Yuri Borisov"))
        eve = study_day(exam, UTC) - study_day(now, UTC) - timedelta(days=1)
        assert {c.rating: c.interval for c in feedback.choices}[Rating.GOOD] == format_interval(eve)
        outcome = session.act(Rating.GOOD)
        assert outcome.review is not None
        after = outcome.review.after
        assert after.due == clock.now() + eve and after.due < exam
        assert after.stability == plain.stability  # the memory state is the scheduler's; only the date moves
        # Without the exam the same answer keeps the plain date.
    with Store(tmp_path / "plain.db") as store:
        seed_state(store, "iss", card, state)
        clock = Clock(now)
        session = Session([deck], store, clock, None, StudyOptions(tz=UTC))
        session.next_card()
        clock.advance(seconds=5)
        session.answer(Response("Yuri Borisov"))
        review = session.act(Rating.GOOD).review
        assert review is not None and review.after.due == plain.due


def test_final_pass_asks_each_weak_item_once_in_the_last_two_days(tmp_path):
    deck = make_deck(tmp_path, [typed("weak"), typed("strong")])
    long_ago = START - timedelta(days=1)
    later = EXAM + timedelta(days=20)  # not due before the exam
    weak = ItemState(state=State.REVIEW, stability=3.0, difficulty=5.0, due=later, last_review=long_ago, reps=3)
    strong = ItemState(state=State.REVIEW, stability=300.0, difficulty=5.0, due=later, last_review=long_ago, reps=3)
    opts = StudyOptions(tz=UTC, exam=EXAM)
    with Store(tmp_path / "quiz.db") as store:
        seed_state(store, "iss", "weak", weak)
        seed_state(store, "iss", "strong", strong)
        clock = Clock(START + timedelta(days=3))  # the 13th: 3 days left, before the final pass
        ui, _ = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.GOOD])
        assert ui.views == []
        clock.advance(days=1)  # the 14th: the final pass begins
        ui, _ = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.GOOD])
        assert [v.card.id for v in ui.views] == ["weak"]
        clock.advance(days=1)  # the eve: it came up once already
        ui, _ = run(deck, store, clock, options=opts, policy=lambda v: [Answer(), Rating.GOOD])
        assert ui.views == []
    # Without the exam, nothing is due on the 12th.
    with Store(tmp_path / "plain.db") as store:
        seed_state(store, "iss", "weak", weak)
        seed_state(store, "iss", "strong", strong)
        ui, _ = run(deck, store, Clock(START + timedelta(days=4)), options=StudyOptions(tz=UTC),
                    policy=lambda v: [Answer(), Rating.GOOD])
        assert ui.views == []


def test_after_the_exam_the_normal_schedule_resumes_from_the_memory_states(tmp_path):
    deck = make_deck(tmp_path, [typed(f"c{i:02d}") for i in range(12)])
    clock = Clock(START)
    opts = StudyOptions(tz=UTC, new_limit=20, exam=EXAM)
    with Store(tmp_path / "quiz.db") as store:
        run(deck, store, clock, options=opts, policy=easy)  # 3 introduced
        kept = dict(store.items("iss"))
        assert len(kept) == 3
        clock.t = EXAM + timedelta(hours=1)
        ui, _ = run(deck, store, clock, options=opts, policy=easy)
        new = [v.card.id for v in ui.views if v.state is State.NEW]
        assert len(new) == 9  # no pacing any more: --new 20
        assert all(v.exam is None for v in ui.views)
        assert "exam" not in header_text(ui.views[0])
        for key, record in kept.items():  # nothing reset: the items studied before kept their states
            now_state = store.items("iss")[key].state
            assert now_state.reps >= record.state.reps and now_state.last_review is not None


def test_a_card_with_several_gaps_starts_early_enough_to_be_in_before_the_exam(tmp_path):
    from test_session import cloze

    # Five cards, the last a cloze with three gaps (one a day): in deck order its last gap would come on
    # the final pass's second day at the earliest; started first, all 7 items are in within 4 days.
    deck = make_deck(tmp_path, [typed(f"c{i}") for i in range(4)] + [cloze("gaps")])
    clock = Clock(START)
    introduced: list[str] = []
    with Store(tmp_path / "quiz.db") as store:
        for _day in range(4):
            ui, _ = run(deck, store, clock, options=StudyOptions(tz=UTC, new_limit=20, exam=EXAM), policy=easy)
            introduced += [f"{v.card.id}/{v.gap}" for v in ui.views if v.state is State.NEW]
            clock.advance(days=1)
    assert sorted(introduced) == sorted(["c0/0", "c1/0", "c2/0", "c3/0", "gaps/1", "gaps/2", "gaps/3"])
    assert introduced[0] == "gaps/1"
