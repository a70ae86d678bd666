"""The history store interface: what quiz needs from wherever the answers of a profile are kept.

`HistoryStore` is everything the study session, `quiz stats`, `list`, `history`, `undo`, `suspend`,
`unsuspend` and `reset` ask of a history, in domain terms (decks, cards, items, reviews; no SQL, no
rows), plus what the teacher's `quiz class report` reads across every profile (`class_answers`,
`class_items`, `class_summary`). `quiz.store.Store` implements it on one SQLite file; a class server would implement it on its own
database. `tests/test_store_conformance.py` states the contract as tests, run against every
implementation.

A store is opened for one profile and only ever sees that profile's history, except through the three
read-only `class_*` methods, which read every profile of the place the history is kept. Items are keyed by
(card id, gap) within a deck (gap 0 for ordinary cards, 1.. for cloze gaps). An item that is not stored
is NEW with no flags. Every write is committed before the method returns.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import NamedTuple, Protocol

from quiz.model import FsrsParameters, ItemRecord, Review, ResetEvent

ChangeToken = int  # opaque: only ever handed back to `changed_since`


class AnsweredCounts(NamedTuple):
    """Answers of one deck since some instant, for Anki-style daily limits (practice answers excluded)."""

    new: int  # answers to items that were NEW before the answer (new items introduced)
    reviews: int  # answers to items that were in the REVIEW state before the answer


class SlotTotals(NamedTuple):
    """The answers given in one slot of UTC time (`slot` = seconds since 1970 // slot length)."""

    slot: int
    answers: int
    seconds: float  # time spent, each answer capped at the maximum answer time
    review_answers: int  # non-practice answers to items in the review state
    review_passed: int  # of those, rated Hard or better


class ItemTotals(NamedTuple):
    """The answers given to one review item."""

    deck: str
    card: str
    gap: int
    answers: int
    graded: int  # non-practice answers
    correct: int  # of those, correct by `quiz.model.is_correct`


class ClassAnswer(NamedTuple):
    """One answer of any profile, with only what the class report reads, in plain values: a class's term
    is a million answers, and a `Review` with its two item states and datetimes costs ten times as much
    to build (the report's whole budget for a million answers is five seconds)."""

    profile: str
    card: str
    gap: int
    reviewed_at_ms: int  # milliseconds since 1970, UTC (`reviewed_at` gives the datetime)
    rating: int  # 1..4
    correct: bool  # by `quiz.model.is_correct` (graded correct, or self-rated Good or Easy)
    answer: str  # what the student typed or chose, for an answer that was not correct; "" otherwise
    duration_ms: int
    practice: bool
    before_state: int  # `quiz.model.State` of the item before the answer

    @property
    def reviewed_at(self) -> datetime:
        return _EPOCH + timedelta(milliseconds=self.reviewed_at_ms)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)


class ItemSummary(NamedTuple):
    """What the class report reads of the non-practice answers to one review item, of every profile."""

    first_attempts: tuple[tuple[str, bool], ...]  # (profile, correct) of each profile's first attempt,
    #                                               profiles in creation order (as `class_answers`)
    review_answers: int  # answers given while the item was in the review state
    lapses: int  # of those, rated Again
    median_ms: float | None  # median duration (`statistics.median`: the mean of the middle two of an even count)
    wrong_answers: Mapping[str, int]  # text as typed -> answers not correct with that text ("" left out)


@dataclass
class ClassSummary:
    """The deck's answers of every profile, summed for the class report (`HistoryStore.class_summary`);
    `quiz.report.summarize_answers` sums `class_answers` to the same in Python, and a test keeps the two
    equal. A first attempt is a profile's first non-practice answer to an item (time order, then log
    order); correct means `quiz.model.is_correct`."""

    items: dict[tuple[str, int], ItemSummary] = field(default_factory=dict)  # items with a non-practice answer
    last_studied_ms: dict[str, int] = field(default_factory=dict)  # profile -> newest answer, practice
    #                                                                included (only times from 1970 on)
    retention: dict[str, tuple[int, int]] = field(default_factory=dict)  # profile -> (non-practice answers in
    #     the review state in the window, of those rated Hard or better); only profiles with such answers


# What the stores' running totals of the log are summed by: 15-minute slots of UTC time, each answer's
# time capped at 60 s (`quiz.stats.SLOT_SECONDS`, `MAX_ANSWER_SECONDS`). `answer_totals` asked for
# another slot or cap sums the log itself.
SUMMED_SLOT_SECONDS = 900
SUMMED_MAX_ANSWER_MS = 60_000


@dataclass
class AnswerTotals:
    """The answer log summed the way `quiz.stats.compute_stats` needs it: per time slot and per item, both
    sorted. `quiz.stats.tally_answers` sums reviews in Python; `HistoryStore.answer_totals` lets a store
    sum them where they are kept: both stores keep running totals per 15-minute slot and per item,
    updated with every answer and undo, so a million-answer history is a few thousand rows to read."""

    slots: list[SlotTotals] = field(default_factory=list)
    items: list[ItemTotals] = field(default_factory=list)

    def without(self, part: AnswerTotals) -> AnswerTotals:
        """These totals less `part` (the totals of some of the same answers), leaving out rows with no
        answer left; the order is kept."""
        taken = {row.slot: row for row in part.slots}
        slots = []
        for row in self.slots:
            off = taken.get(row.slot)
            if off is not None:
                row = SlotTotals(row.slot, row.answers - off.answers, row.seconds - off.seconds,
                                 row.review_answers - off.review_answers, row.review_passed - off.review_passed)
            if row.answers:
                slots.append(row)
        removed = {row[:3]: row for row in part.items}
        items = []
        for item in self.items:
            less = removed.get(item[:3])
            if less is not None:
                item = item._replace(answers=item.answers - less.answers, graded=item.graded - less.graded,
                                     correct=item.correct - less.correct)
            if item.answers:
                items.append(item)
        return AnswerTotals(slots, items)


def day_slots(day_starts: Sequence[datetime], slot_seconds: int) -> list[int]:
    """The first slot of each day starting at `day_starts`: the first slot that starts at or after it. A
    slot belongs to the day its start falls in, as `quiz.stats.compute_stats` counts it (a day start is
    a slot boundary anyway, except under the odd historical offset that is not a multiple of 15 minutes)."""
    slot_ms = slot_seconds * 1000
    return [-(-((start - _EPOCH) // _MS) // slot_ms) for start in day_starts]


def merge_days(slots: Sequence[SlotTotals], firsts: Sequence[int]) -> list[SlotTotals]:
    """Sorted `slots` with those of each day (from one of the ascending `firsts`, `day_slots`, up to the
    next) summed into one row at the day's first slot, as `HistoryStore.answer_totals` returns them with
    `day_starts`; the slots outside stay as they are."""
    if len(firsts) < 2:
        return list(slots)
    merged: list[SlotTotals] = []
    day: list[int] = []  # the day's [first slot, answers, capped ms, review answers, passed]
    for row in slots:
        if not firsts[0] <= row.slot < firsts[-1]:
            merged.append(row)
            continue
        first = firsts[bisect_right(firsts, row.slot) - 1]
        if not day or day[0] != first:
            day = [first, 0, 0, 0, 0]
            merged.append(day)  # type: ignore[arg-type]  # made a SlotTotals below
        day[1] += row.answers
        day[2] += round(row.seconds * 1000)  # a slot's seconds are its milliseconds over 1000
        day[3] += row.review_answers
        day[4] += row.review_passed
    return [row if isinstance(row, SlotTotals) else SlotTotals(row[0], row[1], row[2] / 1000, row[3], row[4])
            for row in merged]


class HistoryStore(Protocol):
    """One profile's review history. See the module docstring for keys and conventions."""

    @property
    def profile(self) -> str:
        """The profile whose history this is."""

    def close(self) -> None:
        """Release the store; no method may be called after."""

    def __enter__(self) -> HistoryStore:
        """The store itself, so that a command holds it in a `with` block."""

    def __exit__(self, *exc: object) -> None:
        """`close()`, however the block ends."""

    # -- reading

    def items(self, deck: str) -> Mapping[tuple[str, int], ItemRecord]:
        """Every stored item of the deck, by (card, gap), as it is now. The caller does not change it."""

    def due_items(
        self, deck: str, now: datetime, until: datetime | None = None, limit: int | None = None
    ) -> list[ItemRecord]:
        """Items of the deck that are not NEW and due at or before `until` (default `now`), neither
        suspended nor buried at `now`, in due order (then card, gap); at most `limit`."""

    def reviews(self, deck: str | None = None, since: datetime | None = None) -> Iterator[Review]:
        """The answers (of one deck, or all), at or after `since` if given, in time order."""

    def resets(self, deck: str | None = None) -> list[ResetEvent]:
        """The logged resets (of one deck, or all), in the order they happened."""

    def answered_since(self, deck: str, since: datetime) -> AnsweredCounts:
        """New items introduced and review answers given in the deck at or after `since`."""

    def answered_keys(self, deck: str, since: datetime) -> set[tuple[str, int]]:
        """(card, gap) of every item of the deck answered at or after `since`, practice excluded."""

    def answer_totals(self, deck: str, before: datetime, max_answer_ms: int, slot_seconds: int,
                      since: datetime | None = None, day_starts: Sequence[datetime] = ()) -> AnswerTotals:
        """The deck's answers given before `before`, summed per slot of `slot_seconds` and per item; equal
        to `quiz.stats.tally_answers(self.reviews(deck), before)` for the default slot and cap. With
        `since` (a multiple of `slot_seconds` after 1970), only the slots from then on; the per-item
        totals still cover every answer before `before`. With `day_starts` (ascending; those before
        `since` are left out), the slots of each day, from one day start up to the next, are summed into
        one row at the day's first slot (`day_slots`); the slots before the first start and from the last
        one on stay as they are. A merged row's seconds are its capped milliseconds summed, over 1000
        (exact, where the slots' seconds added up as floats can differ in the last bits)."""

    def first_answer(self, deck: str) -> datetime | None:
        """When the deck's first logged answer was given; None if it has none."""

    def orphans(self, deck: str, known: set[tuple[str, int]]) -> list[ItemRecord]:
        """Stored items of the deck whose (card, gap) is not in `known`, sorted by card and gap."""

    def profiles(self) -> list[str]:
        """Names of every profile that has anything stored where this store keeps its history, sorted."""

    def class_answers(self, deck: str) -> Iterator[ClassAnswer]:
        """The deck's answers of every profile (practice included), streamed: all of one profile's
        answers together, in time order (then log order), one profile after the other."""

    def class_items(self, deck: str) -> dict[str, dict[tuple[str, int], ItemRecord]]:
        """Every stored item of the deck of every profile, by profile, then by (card, gap); a profile
        with no item of the deck is left out."""

    def class_summary(self, deck: str, window_start: datetime, now: datetime) -> ClassSummary:
        """The deck's answers of every profile, summed as the class report needs them (see
        `ClassSummary`), with the retention counts of the answers given from `window_start` to `now`,
        both included. Equal to `quiz.report.summarize_answers(self.class_answers(deck), window_start,
        now)`, but read from the totals both stores keep up to date with every answer and undo."""

    def change_token(self) -> ChangeToken:
        """A token for the history as this store last saw it, for `changed_since`."""

    def changed_since(self, token: ChangeToken) -> bool:
        """Whether someone else (another store object, another process) has written to the history since
        `token` was taken. This store's own writes do not count: its caller knows about them."""

    # -- writing

    def record(self, review: Review) -> Review:
        """Append one answer to the log and, unless it is a practice answer, set the item's state to
        `review.after`. Returns the review as stored: with its id and this profile. The log is
        append-only: recording the same review twice logs two answers."""

    def undo(self, deck: str | None = None, if_newest: int | None = None) -> Review | None:
        """Remove the newest answer (within `deck` if given) and put its item back to the state before
        it; with `if_newest`, only if that review id is still the newest. Returns the removed answer."""

    def set_suspended(self, deck: str, card: str, suspended: bool, gaps: Iterable[int] | None = None) -> None:
        """Suspend (or unsuspend) the card: every stored gap of it, or exactly `gaps`."""

    def bury(self, deck: str, card: str, until: datetime | None, gaps: Iterable[int] | None = None) -> None:
        """Hide the card until `until` (None unburies): every stored gap of it, or exactly `gaps`."""

    def reset(self, deck: str, card: str, now: datetime, gaps: Iterable[int] | None = None) -> None:
        """Put the card back to NEW (keeping its answers and its suspended flag), logging the reset."""

    # -- FSRS parameters (`quiz optimize`)

    def fsrs_parameters(self, class_wide: bool = False) -> FsrsParameters | None:
        """The FSRS parameters fitted to this profile's log, or with `class_wide` the set fitted to
        every profile's log pooled (shared by all profiles of this history); None if none is stored."""

    def save_fsrs_parameters(self, parameters: FsrsParameters, class_wide: bool = False) -> None:
        """Store `parameters` as this profile's set (or the class-wide set), replacing the old one."""
