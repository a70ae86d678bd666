"""Exam mode's pure rules (quiz/exam.py), one table per rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quiz.exam import (cap_due, days_left, expected_score, final_pass_due, new_quota, parse_exam, recall_at,
                       recall_at_instant)
from quiz.model import ItemRecord, ItemState, State
from quiz.scheduler import Scheduler, SchedulerConfig

UTC = timezone.utc
EXAM = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)  # study days start 04:00 UTC
SCHEDULER = Scheduler(SchedulerConfig(tz=UTC))
RECALL = SCHEDULER.recall_after


def review(last: datetime, due: datetime, stability: float) -> ItemState:
    return ItemState(state=State.REVIEW, stability=stability, difficulty=5.0, due=due, last_review=last, reps=3)


@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 12, 13, 18, 0, tzinfo=UTC), 5),  # "exam in 5 days"
    (datetime(2026, 12, 17, 23, 0, tzinfo=UTC), 1),
    (datetime(2026, 12, 18, 3, 59, tzinfo=UTC), 1),  # still the 17th's study day
    (datetime(2026, 12, 18, 5, 0, tzinfo=UTC), 0),  # the exam's own day
    (datetime(2026, 12, 19, 5, 0, tzinfo=UTC), 0),  # after it: never negative
])
def test_days_left_counts_study_days_to_the_exams(now, expected):
    assert days_left(now, EXAM, UTC, 4) == expected


@pytest.mark.parametrize("remaining, days, limit, expected", [
    (75, 14, 20, 7),   # 75 items over the 12 days before the final pass: 6.25 rounded up
    (72, 14, 20, 6),
    (75, 5, 20, 20),   # more than the limit allows: the limit wins
    (3, 5, 20, 1),
    (5, 2, 20, 5),     # the final pass has begun: whatever is left, within the limit
    (5, 0, 20, 5),     # the exam's own day
    (0, 5, 20, 0),
    (75, 14, 0, 0),    # --new 0 stays 0
])
def test_new_quota_spreads_the_remaining_items_over_the_days_left(remaining, days, limit, expected):
    assert new_quota(remaining, days, limit) == expected


NOW = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)  # 8 study days before the exam's


@pytest.mark.parametrize("stability, due_days, capped_to", [
    # due after the exam, recall at the exam below 0.9: pulled to the eve (the 17th, same time of day)
    (5.0, 12, datetime(2026, 12, 17, 18, 0, tzinfo=UTC)),
    # due after the exam but recall at the exam stays >= 0.9 (high stability): unchanged
    (80.0, 30, None),
    # due before the exam: unchanged, even with a low stability
    (2.0, 3, None),
    # due on the exam's own study day (after the instant), recall then < 0.9: the eve
    (6.0, 8, datetime(2026, 12, 17, 18, 0, tzinfo=UTC)),
])
def test_cap_due_pulls_a_review_to_the_eve_only_when_recall_at_the_exam_would_fall_below_target(
        stability, due_days, capped_to):
    after = review(NOW, NOW + timedelta(days=due_days), stability)
    capped = cap_due(after, NOW, EXAM, 0.9, RECALL, UTC, 4)
    if capped_to is None:
        assert capped == after
    else:
        assert recall_at_instant(after, EXAM, RECALL) < 0.9
        assert capped == ItemState(**{**after.__dict__, "due": capped_to})


def test_cap_due_leaves_learning_items_the_exam_day_eve_and_after_the_exam_alone():
    learning = ItemState(state=State.LEARNING, step=1, stability=1.0, difficulty=5.0, due=NOW + timedelta(minutes=10),
                         last_review=NOW, reps=1)
    assert cap_due(learning, NOW, EXAM, 0.9, RECALL, UTC, 4) == learning
    eve = datetime(2026, 12, 17, 18, 0, tzinfo=UTC)
    late = review(eve, eve + timedelta(days=5), 3.0)
    assert cap_due(late, eve, EXAM, 0.9, RECALL, UTC, 4) == late  # no study day left before the exam's
    after_exam = EXAM + timedelta(days=1)
    weak = review(after_exam, after_exam + timedelta(days=5), 3.0)
    assert cap_due(weak, after_exam, EXAM, 0.9, RECALL, UTC, 4) == weak


@pytest.mark.parametrize("now, last_review, stability, expected", [
    (datetime(2026, 12, 16, 18, 0, tzinfo=UTC), datetime(2026, 12, 10, 18, 0, tzinfo=UTC), 5.0, True),
    # the final pass has not begun (3 study days left)
    (datetime(2026, 12, 15, 18, 0, tzinfo=UTC), datetime(2026, 12, 10, 18, 0, tzinfo=UTC), 8.0, False),
    # strong item: recall at the exam stays >= 0.9
    (datetime(2026, 12, 16, 18, 0, tzinfo=UTC), datetime(2026, 12, 10, 18, 0, tzinfo=UTC), 200.0, False),
    # reviewed in the final pass already: once only
    (datetime(2026, 12, 17, 18, 0, tzinfo=UTC), datetime(2026, 12, 16, 5, 0, tzinfo=UTC), 0.5, False),
    # the eve, reviewed before the pass began
    (datetime(2026, 12, 17, 18, 0, tzinfo=UTC), datetime(2026, 12, 16, 3, 0, tzinfo=UTC), 1.5, True),
    # after the exam
    (datetime(2026, 12, 18, 10, 0, tzinfo=UTC), datetime(2026, 12, 10, 18, 0, tzinfo=UTC), 3.0, False),
])
def test_final_pass_asks_weak_items_once_in_the_last_two_days(now, last_review, stability, expected):
    state = review(last_review, last_review + timedelta(days=30), stability)
    assert final_pass_due(state, now, EXAM, 0.9, RECALL, UTC, 4) is expected


def test_expected_score_is_the_mean_recall_of_every_item_never_seen_counting_zero():
    last = EXAM - timedelta(days=3)
    strong = review(last, EXAM + timedelta(days=30), 100.0)
    weak = review(last, EXAM + timedelta(days=1), 2.0)
    items = {("a", 0): ItemRecord("d", "a", 0, strong), ("b", 0): ItemRecord("d", "b", 0, weak),
             ("c", 0): ItemRecord("d", "c", 0, ItemState())}
    keys = [("a", 0), ("b", 0), ("c", 0), ("d", 0)]
    want = (SCHEDULER.retrievability(strong, EXAM) + SCHEDULER.retrievability(weak, EXAM)) / 4
    assert expected_score(items, keys, EXAM, RECALL) == pytest.approx(want, abs=1e-12)
    assert expected_score({}, keys, EXAM, RECALL) == 0.0
    assert expected_score(items, [], EXAM, RECALL) == 0.0


@pytest.mark.parametrize("text, expected", [
    ("2026-12-18T09:00+01:00", datetime(2026, 12, 18, 8, 0, tzinfo=UTC)),
    ("2026-12-18T09:00Z", datetime(2026, 12, 18, 9, 0, tzinfo=UTC)),
    ("2026-12-18 09:00:00+00:00", datetime(2026, 12, 18, 9, 0, tzinfo=UTC)),
    ("tomorrow", None),
    ("2026-02-30", None),
    ("9999-12-31T23:00+00:00", None),  # beyond the instants quiz works with
    ("1969-12-31T23:00+00:00", None),
])
def test_parse_exam(text, expected):
    assert parse_exam(text) == expected


def test_exam_decisions_count_the_exact_time_the_expected_score_whole_days():
    eve = EXAM - timedelta(hours=15)  # the evening before a 09:00 exam
    state = review(eve, eve + timedelta(days=2), 1.0)
    assert recall_at(state, EXAM, RECALL) == 1.0  # whole days: 0 elapsed, as fsrs and `quiz list` say
    assert 0.9 < recall_at_instant(state, EXAM, RECALL) < 1.0
    assert recall_at(ItemState(), EXAM, RECALL) == recall_at_instant(ItemState(), EXAM, RECALL) == 0.0
