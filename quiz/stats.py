"""Progress numbers for `quiz stats` and the item table of `quiz list`; pure.

The computations take what the store returned (item records and the review log), the decks, `now` and a
time zone, and return frozen dataclasses of numbers; nothing here reads the wall clock or the database.
`stats_to_json` / `row_to_json` give them as data; `quiz.ui.stats_view` draws them on a terminal.

Conventions (what the numbers mean):
- Counts are per review item, as in Anki: an ordinary card is one item, each gap of a cloze card is one.
  A suspended item counts as suspended only, whatever its scheduling state; learning includes relearning.
- Days are study days: a day starts at `start_hour` (04:00) local time, as in Anki and `quiz study`.
- Due today = studied, unsuspended items whose due study day is today or earlier (overdue included; a
  learning step due later today counts too); an item buried until a later day counts on that day.
  New items are new, never due. The 30-day forecast starts with today (== due today).
- Activity (heatmap, answers and minutes per day, streak) counts every answer in the log of the chosen
  decks, practice answers and answers of cards since removed from the deck included. Time per answer is
  capped at 60 s like Anki's default "maximum answer seconds", so a card left open does not count as study.
- True retention (last 30 days) = share of non-practice answers to items that were in the review state
  (`before.state == REVIEW`) rated Hard or better — Anki's "true retention".
- Per-source mastery: an answer is correct when graded correct, or self-rated Good/Easy (flip cards);
  practice answers are left out (they do not show what was remembered after a gap). Recall is the mean
  current FSRS retrievability of the studied items of the cards that cite the source.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Iterable, Mapping, Sequence

from quiz.history import AnswerTotals, ItemTotals, SlotTotals
from quiz.model import CLOZE_GAP, Card, CardType, Deck, ItemState, Rating, State, is_correct as answer_is_correct

MAX_ANSWER_SECONDS = 60.0
FORECAST_DAYS = 30
HEATMAP_WEEKS = 12
RECENT_DAYS = 30
HARDEST_LIMIT = 10

Retrievability = Callable[[ItemState, datetime], float]


def study_day(moment: datetime, tz: tzinfo | None, start_hour: int) -> date:
    """The study day `moment` belongs to (the scheduler's definition)."""
    from quiz.scheduler import study_day as scheduler_study_day

    return scheduler_study_day(moment, tz, start_hour)


def item_label(card_id: str, gap: int) -> str:
    """How an item is named to the user: the card id, or `card#2` for gap 2 of a cloze card."""
    return f"{card_id}#{gap}" if gap else card_id


def card_text(card: Card, gap: int = 0) -> str:
    """One line of text that identifies the card: its question, or the cloze text with this gap hidden."""
    if card.type is CardType.CLOZE:
        text = card.cloze_prompt(gap) if gap else CLOZE_GAP.sub(lambda m: m.group(1), card.text)
    else:
        text = card.question
    return re.sub(r"\s+", " ", text).strip()


def _state_name(state: State) -> str:
    return State(state).name.lower()


def is_correct(review: Any) -> bool:
    """Graded correct, or self-rated (flip) Good or Easy (`quiz.model.is_correct`)."""
    return answer_is_correct(review.verdict, review.rating)


# ----------------------------------------------------------------------------------------------- stats

# Every time zone offset is a multiple of 15 minutes, so all instants of one 15-minute slot of UTC time
# fall in one study day: answers are summed per slot, and each slot's day is looked up once.
SLOT_SECONDS = 900


def _day_start(day: date, tz: tzinfo | None, start_hour: int) -> datetime:
    from quiz.scheduler import study_day_start

    return study_day_start(day, tz, start_hour)


def next_day_start(now: datetime, tz: tzinfo | None, start_hour: int) -> datetime:
    """When the next study day starts. Statistics leave out answers logged from then on: they can only
    come from a clock that was moved back since, and belong to no past day."""
    return _day_start(study_day(now, tz, start_hour) + timedelta(days=1), tz, start_hour)


def first_heatmap_day(today: date) -> date:
    """The heatmap's first day: the Monday HEATMAP_WEEKS - 1 weeks before today's week. An earlier day
    counts in `compute_stats` only as a day studied or not (the streaks)."""
    return today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)


def tally_answers(reviews: Iterable[Any], before: datetime | None = None) -> AnswerTotals:
    """`AnswerTotals` of Review-like objects (deck, card, gap, reviewed_at, rating, verdict, duration_ms,
    practice, before_state), leaving out those given at or after `before`."""
    slots: dict[int, list] = {}
    items: dict[tuple[str, str, int], list[int]] = {}
    for review in reviews:
        if before is not None and review.reviewed_at >= before:
            continue
        slot = math.floor(review.reviewed_at.timestamp() / SLOT_SECONDS)
        totals = slots.setdefault(slot, [0, 0.0, 0, 0])
        totals[0] += 1
        totals[1] += min(max(review.duration_ms, 0) / 1000, MAX_ANSWER_SECONDS)
        if not review.practice and review.before_state == State.REVIEW:
            totals[2] += 1
            totals[3] += review.rating >= Rating.HARD
        counts = items.setdefault((review.deck, review.card, review.gap), [0, 0, 0])
        counts[0] += 1
        if not review.practice:
            counts[1] += 1
            counts[2] += is_correct(review)
    return AnswerTotals(
        slots=[SlotTotals(slot, n, seconds, graded, passed) for slot, (n, seconds, graded, passed) in sorted(slots.items())],
        items=[ItemTotals(*key, *counts) for key, counts in sorted(items.items())],
    )


@dataclass(frozen=True)
class DeckSummary:
    id: str
    title: str
    path: str
    cards: int
    items: int
    orphan_items: int  # stored items whose card (or cloze gap) is no longer in the deck
    orphan_answers: int  # logged answers of those items


@dataclass(frozen=True)
class DayActivity:
    day: date
    answers: int
    seconds: float  # capped per answer at MAX_ANSWER_SECONDS


@dataclass(frozen=True)
class HardItem:
    deck: str
    card: str
    gap: int
    label: str
    text: str
    state: str
    lapses: int
    reps: int
    retrievability: float
    suspended: bool


@dataclass(frozen=True)
class SourceMastery:
    source: str  # as cited in the deck
    path: str  # resolved file path (identity across decks sharing a sources folder)
    cards: int  # cards citing it
    items: int  # their review items
    studied_items: int
    answers: int  # non-practice answers to those cards
    correct: int
    retrievability: float | None  # mean over studied items; None = not studied
    label: str = ""  # the deck's `source_info` label ("" when the deck has none for this file)

    @property
    def shown(self) -> str:
        """The name a student recognises: the label, else the file as cited."""
        return self.label or self.source

    @property
    def correct_share(self) -> float | None:
        return self.correct / self.answers if self.answers else None


@dataclass(frozen=True)
class Stats:
    now: datetime
    today: date
    decks: tuple[DeckSummary, ...]
    new: int
    learning: int
    review: int
    suspended: int
    due_today: int
    due_tomorrow: int
    forecast: tuple[int, ...]  # due per day, index 0 = today (including overdue)
    heatmap_start: date  # a Monday; `days` runs from it to today
    days: tuple[DayActivity, ...]
    recent_answers: int  # last RECENT_DAYS study days, today included
    recent_seconds: float
    recent_days_studied: int
    retention_answers: int  # review-state, non-practice answers in the last RECENT_DAYS days
    retention_passed: int  # ... rated Hard or better
    today_answers: int
    today_seconds: float
    streak: int
    longest_streak: int
    hardest: tuple[HardItem, ...]
    sources: tuple[SourceMastery, ...]
    orphan_items: int
    orphan_answers: int
    target_retention: float = 0.9  # the decks' desired retention (the lowest, if they differ)

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review + self.suspended

    @property
    def retention(self) -> float | None:
        return self.retention_passed / self.retention_answers if self.retention_answers else None

    @property
    def answers_per_day(self) -> float:
        return self.recent_answers / RECENT_DAYS

    @property
    def minutes_per_day(self) -> float:
        return self.recent_seconds / 60 / RECENT_DAYS

    @property
    def weakest_source(self) -> SourceMastery | None:
        """The studied source with the lowest recall: the article to re-read first."""
        studied = [s for s in self.sources if s.retrievability is not None]
        return min(studied, key=lambda s: (s.retrievability, s.source)) if studied else None


@dataclass(eq=False)
class _SourceTally:
    """What compute_stats adds up for one cited source file."""

    source: str
    path: str
    cards: int = 0
    items: int = 0
    answers: int = 0
    correct: int = 0
    recalls: list[float] = field(default_factory=list)
    label: str = ""


_NEW_ITEM = ItemState()  # the state of an item not stored (one shared: ItemState is frozen)


@dataclass(frozen=True)
class DeckData:
    """What the store holds for one deck: `items` keyed by (card id, gap), and the orphaned records."""

    deck: Deck
    items: Mapping[tuple[str, int], Any]  # ItemRecord-like: .state, .suspended, .buried_until
    orphans: Sequence[Any] = ()


def _streaks(studied: set[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive study days; today not yet studied doesn't break the run."""
    current = 0
    day = today if today in studied else today - timedelta(days=1)
    while day in studied:
        current += 1
        day -= timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for day in sorted(studied):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    return current, longest


def compute_stats(
    decks: Sequence[DeckData],
    answers: AnswerTotals | Iterable[Any],
    now: datetime,
    tz: tzinfo | None,
    retrievability: Retrievability,
    *,
    start_hour: int = 4,
    hardest_limit: int = HARDEST_LIMIT,
) -> Stats:
    """Every number of `quiz stats` for the given decks and their answers: `HistoryStore.answer_totals`, or the
    review log itself (Review-like objects). Totals may come with the days before `first_heatmap_day`
    merged (`day_starts`): those count as days studied only, the same from one row as from its slots."""
    today = study_day(now, tz, start_hour)
    if not isinstance(answers, AnswerTotals):
        answers = tally_answers(answers, before=next_day_start(now, tz, start_hour))
    counts = {"new": 0, "learning": 0, "review": 0, "suspended": 0}
    forecast = [0] * FORECAST_DAYS
    due_tomorrow = 0
    # When each of the next FORECAST_DAYS study days starts: an instant's offset from today is the number
    # of these starts at or before it (0 for today and the past), found by bisection: `study_day` per item
    # was a third of the time for 10,000 items.
    next_starts = [_day_start(today + timedelta(days=n), tz, start_hour) for n in range(1, FORECAST_DAYS + 1)]
    # The hardest items are ranked on numbers alone; their text is made for the few that are shown.
    ranked: list[tuple[int, float, str, str, int, Card, ItemState, bool]] = []
    summaries: list[DeckSummary] = []
    known: set[tuple[str, str, int]] = set()  # (deck, card, gap) of every item in the decks
    tallies: dict[str, _SourceTally] = {}  # by resolved source path
    card_sources: dict[tuple[str, str], list[_SourceTally]] = {}

    for data in decks:
        deck = data.deck
        n_items = 0
        resolved: dict[str, str] = {}
        for card in deck.cards:
            cited: list[_SourceTally] = []
            for citation in card.cite:
                path = resolved.get(citation.source)
                if path is None:
                    path = resolved[citation.source] = str((deck.sources / citation.source).resolve())
                tally = tallies.get(path)
                if tally is None:  # (not setdefault: that builds a tally per card to throw away)
                    tally = tallies[path] = _SourceTally(citation.source, path)
                if not tally.label:
                    info = deck.info(citation.source)
                    tally.label = info.label if info is not None else ""
                if tally not in cited:  # a card quoting one article twice counts once
                    cited.append(tally)
                    tally.cards += 1
            card_sources[(deck.id, card.id)] = cited
            for gap in card.items:
                n_items += 1
                known.add((deck.id, card.id, gap))
                record = data.items.get((card.id, gap))
                state = record.state if record is not None else _NEW_ITEM
                suspended = bool(record is not None and record.suspended)
                for tally in cited:
                    tally.items += 1
                if suspended:
                    counts["suspended"] += 1
                elif state.state == State.NEW:
                    counts["new"] += 1
                elif state.state == State.REVIEW:
                    counts["review"] += 1
                else:
                    counts["learning"] += 1
                if state.state == State.NEW:
                    continue
                recall = retrievability(state, now)
                for tally in cited:
                    tally.recalls.append(recall)
                ranked.append((-state.lapses, recall, deck.id, card.id, gap, card, state, suspended))
                if suspended or state.due is None:
                    continue
                # The study day it comes up: its due day, or later while it is buried beyond that.
                offset = bisect_right(next_starts, state.due)
                buried = getattr(record, "buried_until", None)
                if buried is not None and buried > now:
                    offset = max(offset, bisect_right(next_starts, buried))
                if offset < FORECAST_DAYS:
                    forecast[max(offset, 0)] += 1
                if offset == 1:
                    due_tomorrow += 1
        summaries.append(
            DeckSummary(
                id=deck.id,
                title=deck.title,
                path=str(deck.path),
                cards=len(deck.cards),
                items=n_items,
                orphan_items=len(data.orphans),
                orphan_answers=0,
            )
        )

    heatmap_start = first_heatmap_day(today)
    recent_start = today - timedelta(days=RECENT_DAYS - 1)
    per_day: dict[date, list[float]] = {}
    studied: set[date] = set()
    retention_answers = retention_passed = 0
    answers_by_card: dict[tuple[str, str], list[int]] = {}  # non-practice [answers, correct]
    orphan_answers: dict[str, int] = {}
    day, day_starts, day_ends = today, 0.0, 0.0  # the study day of the slot before, as UTC seconds
    for slot, count, seconds, graded, passed in sorted(answers.slots):
        moment = slot * SLOT_SECONDS
        if not day_starts <= moment < day_ends:  # a new study day: look it up (not once per slot)
            day = study_day(datetime.fromtimestamp(moment, timezone.utc), tz, start_hour)
            day_starts = _day_start(day, tz, start_hour).timestamp()
            day_ends = _day_start(day + timedelta(days=1), tz, start_hour).timestamp()
        if day > today:
            continue  # logged "in the future" (clock moved back): not part of any past day
        studied.add(day)
        if day >= heatmap_start:
            bucket = per_day.setdefault(day, [0, 0.0])
            bucket[0] += count
            bucket[1] += seconds
        if day >= recent_start:
            retention_answers += graded
            retention_passed += passed
    for deck_id, card_id, gap, count, graded, correct in answers.items:
        if (deck_id, card_id, gap) not in known:
            # an orphan answer: its card (or gap) is gone from the deck; a stored item or not, count it
            orphan_answers[deck_id] = orphan_answers.get(deck_id, 0) + count
        elif graded:
            counts_of_card = answers_by_card.setdefault((deck_id, card_id), [0, 0])
            counts_of_card[0] += graded
            counts_of_card[1] += correct
    for card_key, (answered, correct) in answers_by_card.items():
        for tally in card_sources[card_key]:
            tally.answers += answered
            tally.correct += correct

    days = []
    day = heatmap_start
    while day <= today:
        day_answers, seconds = per_day.get(day, (0, 0.0))
        days.append(DayActivity(day, int(day_answers), float(seconds)))
        day += timedelta(days=1)
    recent = [d for d in days if d.day >= recent_start]  # the heatmap's >= 78 days hold all 30
    current_streak, longest_streak = _streaks(studied, today)

    sources = sorted(
        (
            SourceMastery(
                source=t.source,
                path=t.path,
                cards=t.cards,
                items=t.items,
                studied_items=len(t.recalls),
                answers=t.answers,
                correct=t.correct,
                retrievability=sum(t.recalls) / len(t.recalls) if t.recalls else None,
                label=t.label,
            )
            for t in tallies.values()
        ),
        key=lambda s: (s.source, s.path),
    )
    ranked.sort(key=lambda r: r[:5])  # most lapses, then lowest recall, then deck, card, gap
    hardest = [
        HardItem(deck=deck_id, card=card.id, gap=gap, label=item_label(card.id, gap), text=card_text(card, gap),
                 state=_state_name(state.state), lapses=state.lapses, reps=state.reps, retrievability=recall,
                 suspended=suspended)
        for _, recall, deck_id, _, gap, card, state, suspended in ranked[:hardest_limit]
    ]
    summaries = [
        DeckSummary(**{**s.__dict__, "orphan_answers": orphan_answers.get(s.id, 0)}) for s in summaries
    ]

    return Stats(
        now=now,
        today=today,
        decks=tuple(summaries),
        new=counts["new"],
        learning=counts["learning"],
        review=counts["review"],
        suspended=counts["suspended"],
        due_today=forecast[0],
        due_tomorrow=due_tomorrow,
        forecast=tuple(forecast),
        heatmap_start=heatmap_start,
        days=tuple(days),
        recent_answers=sum(d.answers for d in recent),
        recent_seconds=sum(d.seconds for d in recent),
        recent_days_studied=sum(1 for d in recent if d.answers),
        retention_answers=retention_answers,
        retention_passed=retention_passed,
        today_answers=days[-1].answers,
        today_seconds=days[-1].seconds,
        streak=current_streak,
        longest_streak=longest_streak,
        hardest=tuple(hardest[:hardest_limit]),
        sources=tuple(sources),
        orphan_items=sum(s.orphan_items for s in summaries),
        orphan_answers=sum(s.orphan_answers for s in summaries),
        target_retention=min((d.deck.retention or 0.9 for d in decks), default=0.9),
    )


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def stats_to_json(stats: Stats) -> dict[str, Any]:
    """The numbers of `quiz stats --json` (ratios rounded to 4 places, minutes to 2)."""
    return {
        "now": stats.now.isoformat(),
        "today": stats.today.isoformat(),
        "decks": [
            {
                "id": d.id,
                "title": d.title,
                "path": d.path,
                "cards": d.cards,
                "items": d.items,
                "orphaned_items": d.orphan_items,
                "orphaned_answers": d.orphan_answers,
            }
            for d in stats.decks
        ],
        "counts": {
            "new": stats.new,
            "learning": stats.learning,
            "review": stats.review,
            "suspended": stats.suspended,
            "total": stats.total,
        },
        "due": {"today": stats.due_today, "tomorrow": stats.due_tomorrow},
        "forecast": [
            {"date": (stats.today + timedelta(days=i)).isoformat(), "due": n} for i, n in enumerate(stats.forecast)
        ],
        "activity": [
            {"date": d.day.isoformat(), "answers": d.answers, "minutes": round(d.seconds / 60, 2)}
            for d in stats.days
        ],
        "last_30_days": {
            "answers": stats.recent_answers,
            "minutes": round(stats.recent_seconds / 60, 2),
            "days_studied": stats.recent_days_studied,
            "answers_per_day": round(stats.answers_per_day, 2),
            "minutes_per_day": round(stats.minutes_per_day, 2),
            "review_answers": stats.retention_answers,
            "review_answers_passed": stats.retention_passed,
            "true_retention": _ratio(stats.retention),
        },
        "today_answers": stats.today_answers,
        "today_minutes": round(stats.today_seconds / 60, 2),
        "streak": stats.streak,
        "longest_streak": stats.longest_streak,
        "hardest": [
            {
                "deck": h.deck,
                "id": h.label,
                "card": h.card,
                "gap": h.gap,
                "text": h.text,
                "state": h.state,
                "lapses": h.lapses,
                "reviews": h.reps,
                "retrievability": _ratio(h.retrievability),
                "suspended": h.suspended,
            }
            for h in stats.hardest
        ],
        "sources": [
            {
                "source": s.source,
                "label": s.label or None,
                "path": s.path,
                "cards": s.cards,
                "items": s.items,
                "studied_items": s.studied_items,
                "answers": s.answers,
                "correct": s.correct,
                "correct_share": _ratio(s.correct_share),
                "retrievability": _ratio(s.retrievability),
            }
            for s in stats.sources
        ],
        "orphaned": {"items": stats.orphan_items, "answers": stats.orphan_answers},
        "target_retention": stats.target_retention,
        "weakest_source": stats.weakest_source.source if stats.weakest_source else None,
    }


# ------------------------------------------------------------------------------------------------ list


@dataclass(frozen=True)
class ItemRow:
    """One line of `quiz list`: a review item of the deck with its stored scheduling state."""

    label: str
    card: str
    gap: int
    type: str
    text: str
    state: str  # new | learning | review | relearning
    due: datetime | None
    due_label: str  # "new", "now", a local date, or a local date and time for a (re)learning step
    stability: float | None
    difficulty: float | None
    reps: int
    lapses: int
    suspended: bool
    buried: bool
    orphan: bool = False


def _due_label(state: ItemState, now: datetime, tz: tzinfo | None, start_hour: int) -> str:
    from quiz.scheduler import is_due

    if state.state == State.NEW or state.due is None:
        return "new"
    if is_due(state, now, tz, start_hour):
        return "now"
    if state.state == State.REVIEW:
        return study_day(state.due, tz, start_hour).isoformat()
    # a (re)learning step: the local time it comes up, with the date unless it is today
    local = state.due.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def describe_state(state: ItemState, now: datetime, tz: tzinfo | None, *, start_hour: int = 4) -> str:
    """A short phrase for messages: "new", "review, due now", "learning, due 14:05"."""
    if state.state == State.NEW:
        return "new"
    return f"{_state_name(state.state)}, due {_due_label(state, now, tz, start_hour)}"


def _row(label, card_id, gap, kind, text, record, now, tz, start_hour, orphan=False) -> ItemRow:
    state = record.state if record is not None else ItemState()
    buried_until = getattr(record, "buried_until", None)
    return ItemRow(
        label=label,
        card=card_id,
        gap=gap,
        type=kind,
        text=text,
        state=_state_name(state.state),
        due=state.due,
        due_label=_due_label(state, now, tz, start_hour),
        stability=state.stability,
        difficulty=state.difficulty,
        reps=state.reps,
        lapses=state.lapses,
        suspended=bool(record is not None and record.suspended),
        buried=buried_until is not None and buried_until > now,
        orphan=orphan,
    )


def list_items(
    data: DeckData, now: datetime, tz: tzinfo | None, *, start_hour: int = 4
) -> tuple[list[ItemRow], list[ItemRow]]:
    """(rows of the deck's items in deck order, rows of orphaned stored items)."""
    rows = [
        _row(item_label(card.id, gap), card.id, gap, card.type.value, card_text(card, gap),
             data.items.get((card.id, gap)), now, tz, start_hour)
        for card in data.deck.cards
        for gap in card.items
    ]
    orphans = [
        _row(item_label(r.card, r.gap), r.card, r.gap, "", "", r, now, tz, start_hour, orphan=True)
        for r in sorted(data.orphans, key=lambda r: (r.card, r.gap))
    ]
    return rows, orphans


def row_to_json(row: ItemRow) -> dict[str, Any]:
    return {
        "id": row.label,
        "card": row.card,
        "gap": row.gap,
        "type": row.type,
        "text": row.text,
        "state": row.state,
        "due": row.due.isoformat() if row.due else None,
        "due_label": row.due_label,
        "stability": row.stability,
        "difficulty": row.difficulty,
        "reviews": row.reps,
        "lapses": row.lapses,
        "suspended": row.suspended,
        "buried": row.buried,
    }


# ------------------------------------------------------------------------------------- card management


@dataclass(frozen=True)
class Target:
    """A card named on the command line, and which of its review items the command applies to."""

    card: Card
    gaps: tuple[int, ...]  # (0,) for an ordinary card; every gap, or the one named as `card#N`, for cloze
    label: str  # as the user named it


def resolve_targets(deck: Deck, ids: Sequence[str]) -> list[Target]:
    """Map `card` / `card#N` ids to the deck's cards; every unknown id in one UsageError, so a command
    can check all of them before changing anything."""
    import difflib

    from quiz.errors import UsageError

    targets: list[Target] = []
    problems: list[str] = []
    seen: set[tuple[str, tuple[int, ...]]] = set()
    for raw in ids:
        name, _, gap_text = raw.strip().partition("#")
        card = deck.by_id.get(name)
        if card is None:
            hint = difflib.get_close_matches(name, list(deck.by_id), n=1)
            problems.append(f"{raw!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
            continue
        if gap_text:
            if card.type is not CardType.CLOZE:
                problems.append(f"{raw!r} ({name!r} is not a cloze card: name it {name!r})")
                continue
            if not gap_text.isdecimal() or int(gap_text) not in card.items:
                problems.append(f"{raw!r} (cloze card {name!r} has gaps 1 to {len(card.items)})")
                continue
            gaps: tuple[int, ...] = (int(gap_text),)
        else:
            gaps = card.items
        if (card.id, gaps) not in seen:
            seen.add((card.id, gaps))
            targets.append(Target(card, gaps, item_label(card.id, gaps[0]) if gap_text else card.id))
    if problems:
        noun = "card id" if len(problems) == 1 else "card ids"
        raise UsageError(
            f"unknown {noun} in {deck.path}: {', '.join(problems)}; nothing was changed "
            f"(`quiz list {deck.path}` shows the ids)"
        )
    return targets


def short_text(card: Card, gap: int = 0, limit: int = 70) -> str:
    text = card_text(card, gap)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class LeechRow:
    """An item with at least the leech threshold of lapses, and the sources its card cites."""

    deck: str
    label: str  # item_label: `who`, `exit#2`
    lapses: int
    suspended: bool
    sources: tuple[str, ...]
    text: str


def find_leeches(data: Sequence[DeckData], threshold: int) -> list[LeechRow]:
    """The leeches of the decks, most lapses first (then deck and card order)."""
    from quiz.model import is_leech

    rows: list[tuple[int, int, int, LeechRow]] = []
    for deck_index, d in enumerate(data):
        # Most decks have no leech: the most lapses of any stored item tell, without a walk over every card.
        if not is_leech(max((record.state.lapses for record in d.items.values()), default=0), threshold):
            continue
        for order, card in enumerate(d.deck.cards):
            for gap in card.items:
                record = d.items.get((card.id, gap))
                if record is None or not is_leech(record.state.lapses, threshold):
                    continue
                sources = tuple(dict.fromkeys(c.source for c in card.cite))
                row = LeechRow(d.deck.id, item_label(card.id, gap), record.state.lapses, bool(record.suspended),
                               sources, short_text(card, gap))
                rows.append((-row.lapses, deck_index, order, row))
    rows.sort(key=lambda t: t[:3])
    return [t[3] for t in rows]


def leech_to_json(row: LeechRow) -> dict[str, Any]:
    return {"deck": row.deck, "item": row.label, "lapses": row.lapses, "suspended": row.suspended,
            "sources": list(row.sources), "text": row.text}
