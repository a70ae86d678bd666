"""Exam mode: what changes in the schedule until an exam instant (deck `exam:` or `quiz study --exam`).

Pure functions, no I/O, no clock: the session, `quiz stats`, the class report and bench/exam_sim.py
all call these, so "expected score" and "due before the exam" mean one thing everywhere.

Until the exam:
  * New items are paced: today's new cards are the items not yet introduced spread over the study
    days left before the final pass (rounded up), within the `--new` limit (`new_quota`), so every item
    is introduced in time and the final pass reviews. Cards with several new cloze gaps (one a day)
    start first.
  * A review whose due day is the exam's study day or later is pulled to the eve of the exam (the study
    day before the exam's) when, left there, the item's predicted recall at the exam instant would be
    below the target (the desired retention) (`cap_due`). The eve is the latest day a student can
    review before an exam held on its study day, and the later the review, the higher the recall at the
    exam. A review due before the exam anyway, or one whose recall at the exam stays at the target
    without it, keeps its date: nothing is reviewed only because an exam exists.
  * Final pass (RemNote's): during the last `FINAL_PASS_DAYS` study days before the exam's, every
    review item whose predicted recall at the exam is below the target and that was not reviewed since
    the final pass began comes up once more (`final_pass_due`).
  * The expected score is the mean predicted recall of every item of the deck at the exam instant, an
    item never seen counting 0 (`expected_score`).
After the exam none of this applies: the items keep their memory states and the normal schedule goes on
from them (a pulled-in review was a real review; nothing is reset).

The expected score is FSRS's forgetting curve over whole 24-hour periods since the last review, as
`quiz.scheduler.Scheduler.retrievability` computes it (`recall` is `Scheduler.recall_after`), so the
class report, `quiz stats` and the study header agree with `quiz list`. What to review before the exam
is decided on the same curve over the exact time elapsed at the exam instant (`recall_at_instant`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Callable, Hashable, Iterable, Mapping, TypeVar

from quiz.model import EARLIEST, LATEST, ItemRecord, ItemState, State

__all__ = [
    "FINAL_PASS_DAYS",
    "ExamStatus",
    "ExactRecall",
    "Recall",
    "cap_due",
    "days_left",
    "parse_exam",
    "exam_status",
    "exam_to_json",
    "expected_score",
    "final_pass_due",
    "new_quota",
    "recall_at",
    "recall_at_instant",
]

# The final pass runs on the two study days before the exam's: a student who misses one day of it still
# gets every weak item once.
FINAL_PASS_DAYS = 2
DAY_SECONDS = 86_400

Recall = Callable[[float, int], float]  # (stability, whole days since the last review) -> recall 0..1
ExactRecall = Callable[[float, float], float]  # the same curve over fractional days
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class ExamStatus:
    """What the study header and `quiz stats` show about an exam still to come."""

    at: datetime
    days_left: int  # study days from today to the exam's study day (0: the exam is today)
    expected_score: float  # 0..1


def parse_exam(text: str, start_hour: int = 4) -> datetime | None:
    """An exam instant as written in a deck or after `--exam`, in UTC; None if it is not one. A date and
    time without a UTC offset is local time ("2026-12-18T09:00"); a date alone is the start of that study
    day (`start_hour`:00 local); an offset may be given ("2026-12-18T09:00+01:00", "...Z")."""
    from datetime import date, timezone

    from quiz.scheduler import study_day_start

    text = text.strip()
    try:
        if len(text) == 10:
            when = study_day_start(date.fromisoformat(text), None, start_hour)
        else:
            when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            when = when.astimezone()  # the machine's local time, as a study day is
        when = when.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    # Within the instants quiz works with (date arithmetic near the year 9999 would overflow).
    return when if EARLIEST <= when < LATEST else None


def recall_at(state: ItemState | None, at: datetime, recall: Recall) -> float:
    """Predicted recall of an item at `at`: 0 for an item never studied (or without a memory state)."""
    if state is None or state.state == State.NEW or state.stability is None or state.last_review is None:
        return 0.0
    days = math.floor((at - state.last_review).total_seconds() / DAY_SECONDS)
    return recall(state.stability, days)


def recall_at_instant(state: ItemState | None, at: datetime, recall: ExactRecall) -> float:
    """`recall_at` over the exact time elapsed, for deciding what to review before the exam: the exam's
    time of day counts (an item reviewed the evening before a morning exam is 15 hours old there, where
    whole days would call it fresh and its recall 1)."""
    if state is None or state.state == State.NEW or state.stability is None or state.last_review is None:
        return 0.0
    return recall(state.stability, max(0.0, (at - state.last_review).total_seconds() / DAY_SECONDS))


def expected_score(items: Mapping[Key, ItemRecord], keys: Iterable[Key], at: datetime, recall: Recall) -> float:
    """The expected score at `at`: the mean predicted recall of every item in `keys` (all the deck's items),
    those without a record in `items` counting 0. Suspended items count as they stand: the exam asks them."""
    total = 0.0
    count = 0
    for key in keys:
        record = items.get(key)
        total += recall_at(record.state if record is not None else None, at, recall)
        count += 1
    return total / count if count else 0.0


def exam_status(now: datetime, exam: datetime, items: Mapping[Key, ItemRecord], keys: Iterable[Key],
                recall: Recall, tz: tzinfo | None, start_hour: int) -> ExamStatus:
    """Days left and expected score of an exam: the header of `quiz study` and the line in `quiz stats`."""
    return ExamStatus(exam, days_left(now, exam, tz, start_hour), expected_score(items, keys, exam, recall))


def exam_to_json(status: ExamStatus | None) -> dict[str, object] | None:
    """The `exam` object of `quiz stats --json`: {at, days_left, expected_score} (null without an exam)."""
    if status is None:
        return None
    return {"at": status.at.isoformat(), "days_left": status.days_left,
            "expected_score": round(status.expected_score, 4)}


def days_left(now: datetime, exam: datetime, tz: tzinfo | None, start_hour: int) -> int:
    """Study days from today to the exam's study day: 5 on Monday for an exam on Saturday, 0 on the day."""
    from quiz.scheduler import study_day

    return max(0, (study_day(exam, tz, start_hour) - study_day(now, tz, start_hour)).days)


def new_quota(remaining_new: int, days: int, limit: int) -> int:
    """New items to introduce today: the `remaining_new` items not introduced by the start of today spread
    evenly (rounded up) over the `days` study days left before the exam's less the final pass's, at most
    `limit`. From the final pass on, whatever is left may come, within the limit."""
    if remaining_new <= 0:
        return 0
    # The final pass days are for reviewing: every item is introduced before they begin.
    return min(limit, -(-remaining_new // max(days - FINAL_PASS_DAYS, 1)))


def cap_due(after: ItemState, now: datetime, exam: datetime, target: float, recall: ExactRecall,
            tz: tzinfo | None, start_hour: int) -> ItemState:
    """The state a review at `now` leaves, with its due date pulled to the exam's eve when the scheduled
    review would come on the exam's study day or later and the item's recall at the exam instant would
    then be below `target`. Unchanged after the exam, for learning items, and when no study day is left
    between today and the exam's."""
    from quiz.scheduler import add_study_days, study_day

    if after.state != State.REVIEW or after.due is None or now >= exam:
        return after
    exam_day = study_day(exam, tz, start_hour)
    if study_day(after.due, tz, start_hour) < exam_day:
        return after  # reviewed before the exam anyway
    if recall_at_instant(after, exam, recall) >= target:
        return after
    today = study_day(now, tz, start_hour)
    eve = (exam_day - today).days - 1
    if eve < 1:
        return after  # the exam is today or tomorrow: today's review was the last one before it
    return replace(after, due=add_study_days(now, eve, tz, start_hour))


def final_pass_due(state: ItemState, now: datetime, exam: datetime, target: float, recall: ExactRecall,
                   tz: tzinfo | None, start_hour: int) -> bool:
    """Whether the final pass asks this review item today: `now` is within the last `FINAL_PASS_DAYS` study
    days before the exam's (or on its day before the instant), the item was last reviewed before the final
    pass began, and its predicted recall at the exam is below `target`."""
    from quiz.scheduler import study_day, study_day_start

    if state.state != State.REVIEW or state.last_review is None or now >= exam:
        return False
    days = days_left(now, exam, tz, start_hour)
    if days > FINAL_PASS_DAYS:
        return False
    began = study_day_start(study_day(exam, tz, start_hour) - timedelta(days=FINAL_PASS_DAYS), tz, start_hour)
    if state.last_review >= began:
        return False  # once: it came up in this final pass already
    return recall_at_instant(state, exam, recall) < target

