"""The domain model: the types every part of quiz speaks in. Values only: no I/O, stdlib imports only.

A deck (`Deck`) holds cards (`Card`), each citing quotes (`Citation`). A review item is one card, or one
gap of a cloze card; its scheduling state for one profile is an `ItemState`. Answering an item gives a
`Verdict` (from the grader) and a `Rating` (from the student), logged as a `Review`; a history store keeps
those reviews, each item's current state and flags (`ItemRecord`) and the resets (`ResetEvent`).
`LocationStatus` says whether a citation's quote was found in its source.

Enums whose values are stored or written out (verdicts, statuses) are `str` enums: they compare equal to,
print as and serialize to the very strings the database, JSON and CSV files hold.

Importing this module must stay cheap and side-effect free (`import quiz.session` pulls it in, and a
front end or a second store implementation should be able to use the types without PyYAML, rapidfuzz,
fsrs or rich).
"""

from __future__ import annotations

import gc
import re
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum, IntEnum
from functools import cached_property
from pathlib import Path

DEFAULT_PROFILE = "default"

# The instants quiz works with: from the Unix epoch to the year 9000. The longest interval (100 years)
# added to any of them stays far from datetime's year-9999 limit, so date arithmetic cannot overflow.
# A stored time or a clock outside this range is corrupt data or a wrong clock, refused where it enters.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


class _TextEnum(str, Enum):
    """A str enum that prints as its value (`f"{Verdict.CORRECT}"` is "correct", as stored)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


# --------------------------------------------------------------------------------------------------
# Decks and cards


class CardType(str, Enum):
    TYPED = "typed"
    CHOICE = "choice"
    TRUEFALSE = "truefalse"
    FLIP = "flip"
    CLOZE = "cloze"


# A 1-based line and column in the deck file. A named tuple: a deck has four per card, and one costs half
# as much to make as a frozen dataclass.
Mark = namedtuple("Mark", ["line", "col"])


# `{{answer}}` or `{{answer::hint}}` (Anki's cloze hint syntax), never nested.
CLOZE_GAP = re.compile(r"\{\{(.+?)(?:::(.*?))?\}\}", re.DOTALL)


@dataclass(frozen=True)
class Citation:
    source: str  # path relative to the deck's sources folder, exactly as written in the deck
    quote: str
    mark: Mark  # where the citation mapping starts
    quote_mark: Mark  # where the quote scalar starts (used by `quiz check --fix`)
    # Where the quote scalar ends (just past its closing quote, if any) and how it is written:
    # "" plain, "'" or '"' quoted, "|" or ">" block. Lets `--fix` rewrite the scalar in place.
    quote_end: Mark | None = None
    quote_style: str = ""


@dataclass(frozen=True)
class Card:
    id: str
    type: CardType
    cite: tuple[Citation, ...]
    mark: Mark
    question: str = ""  # empty for cloze cards
    answer: str = ""  # truefalse: "true" or "false"; cloze: "" (see `gaps`)
    accept: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    text: str = ""  # cloze cards only
    tags: tuple[str, ...] = ()
    lint: tuple[str, ...] = ()  # `quiz check` question-quality rules silenced for this card only

    # Cached (the dataclass is frozen, the text never changes): the study session walks every card's items
    # before each question, and re-parsing 2,000 cloze texts each time cost ~5 ms a card on 10,000 cards.
    @cached_property
    def gaps(self) -> tuple[str, ...]:
        """Answers of a cloze card's gaps, in order; each is its own review item (gap 1, 2, ...)."""
        if self.type is not CardType.CLOZE:
            return ()
        return tuple(m.group(1).strip() for m in CLOZE_GAP.finditer(self.text))

    @cached_property
    def items(self) -> tuple[int, ...]:
        """The review items of this card: (0,) for ordinary cards, (1, ..., n) for cloze gaps."""
        return tuple(range(1, len(self.gaps) + 1)) if self.type is CardType.CLOZE else (0,)

    def cloze_prompt(self, gap: int, blank: str | None = None) -> str:
        """The cloze text with gap `gap` (1-based) shown as `[...]` (or `[hint]`) and the others filled in;
        with `blank` (a printed test's "_____"), shown as that, followed by ` [hint]` if there is one."""
        counter = 0

        def fill(m: re.Match[str]) -> str:
            nonlocal counter
            counter += 1
            if counter == gap:
                hint = m.group(2).strip() if m.group(2) else ""
                if blank is None:
                    return f"[{hint}]" if hint else "[...]"
                return f"{blank} [{hint}]" if hint else blank
            return m.group(1).strip()

        return CLOZE_GAP.sub(fill, self.text)

    def expected(self, gap: int = 0) -> str:
        """The answer to review item `gap`."""
        return self.gaps[gap - 1] if self.type is CardType.CLOZE else self.answer


@dataclass(frozen=True)
class SourceInfo:
    """What the deck's `source_info:` says about one source file: a short label students can map to the
    article, and optionally where it comes from."""

    source: str  # the file, relative to the sources folder, as written in the deck
    label: str
    mark: Mark  # where the file's key is written (for messages about the entry)
    title: str = ""
    outlet: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Deck:
    id: str
    title: str
    path: Path  # the deck file as the user named it (used in messages)
    sources: Path  # the sources folder, resolved to an absolute path
    cards: tuple[Card, ...]
    retention: float | None = None
    # The exam instant (deck `exam:`, a local time resolved when the deck is loaded); None: no exam.
    exam: datetime | None = None
    by_id: dict[str, Card] = field(default_factory=dict, compare=False, repr=False)
    # File (as a POSIX path relative to `sources`) -> its catalogue entry; empty without `source_info:`.
    source_info: dict[str, SourceInfo] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_id:
            self.by_id.update({c.id: c for c in self.cards})

    def info(self, source: str) -> SourceInfo | None:
        """The catalogue entry of a cited file (written `a.txt`, `./a.txt` or `a\\b.txt`), or None."""
        if not self.source_info:
            return None
        return self.source_info.get(source_key(source))

    def label(self, source: str) -> str:
        """What students see for a source: its catalogue label, else the file name as cited."""
        info = self.info(source)
        return info.label if info is not None else source


def source_key(source: str) -> str:
    """A source path as catalogue key: POSIX separators, no `./` steps."""
    parts = [p for p in source.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


# --------------------------------------------------------------------------------------------------
# Scheduling state


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class State(IntEnum):
    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True)
class ItemState:
    """Scheduling state of one review item (a card, or one gap of a cloze card) for one profile.

    All datetimes are timezone-aware UTC. A NEW item has no stability, difficulty, due or last_review.
    """

    state: State = State.NEW
    step: int | None = None  # index into the (re)learning steps while LEARNING/RELEARNING
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0


@dataclass(frozen=True)
class FsrsParameters:
    """A set of FSRS-6 parameters fitted to an answer log (`quiz optimize`), with how it was judged: the
    fitted and the default parameters' log loss and RMSE(bins) on the later part of the log, which the
    fit did not see (srs-benchmark's measures; lower is better)."""

    weights: tuple[float, ...]  # w0..w20
    fitted_at: datetime  # UTC
    reviews: int  # answers in the log the fit used
    log_loss: float
    rmse_bins: float
    default_log_loss: float
    default_rmse_bins: float


# --------------------------------------------------------------------------------------------------
# Answers


class Verdict(_TextEnum):
    CORRECT = "correct"
    ALMOST = "almost"
    WRONG = "wrong"
    SELF = "self"  # flip cards: the student rates themselves


# A self-rated answer (flip card) counts as correct from this rating on: `quiz stats` and the store's SQL
# sums both follow `is_correct`.
SELF_RATED_CORRECT_FROM = Rating.GOOD


def is_correct(verdict: str, rating: int) -> bool:
    """Whether an answer counts as remembered: graded correct, or self-rated (flip) Good or Easy."""
    if verdict == Verdict.SELF:
        return rating >= SELF_RATED_CORRECT_FROM
    return verdict == Verdict.CORRECT


# Anki's leech threshold: an item lapsing (forgotten after it had graduated) for the 8th time is a leech,
# and again every half threshold after that (12, 16, ...). `quiz study --leech N` / `quiz stats --leech N`.
LEECH_THRESHOLD = 8


def is_leech(lapses: int, threshold: int = LEECH_THRESHOLD) -> bool:
    """Whether an item with this many lapses is a leech (`quiz stats` lists those)."""
    return threshold > 0 and lapses >= threshold


def lapse_makes_leech(lapses: int, threshold: int = LEECH_THRESHOLD) -> bool:
    """Whether the lapse that brought an item to `lapses` should be announced as a leech (Anki: at the
    threshold, then every half threshold, so a student who keeps the card hears about it again)."""
    if not is_leech(lapses, threshold):
        return False
    return (lapses - threshold) % max(1, threshold // 2) == 0


@dataclass(frozen=True)
class ItemRecord:
    """One stored review item of this profile."""

    deck: str
    card: str
    gap: int
    state: ItemState
    suspended: bool = False
    buried_until: datetime | None = None  # UTC; buried while now < buried_until

    def is_buried(self, now: datetime) -> bool:
        return self.buried_until is not None and now < self.buried_until


@dataclass(frozen=True)
class Review:
    """One row of the append-only answer log."""

    deck: str
    card: str
    gap: int
    reviewed_at: datetime  # UTC (stored as integer ms)
    rating: int  # 1..4
    verdict: Verdict  # stored as its value: "correct" | "almost" | "wrong" | "self"
    answer: str  # what the student typed/chose ("" for flip)
    duration_ms: int
    before: ItemState
    after: ItemState  # for practice answers: equal to before
    interval_days: float  # (after.due - reviewed_at) in days; 0 for practice
    practice: bool = False
    override: bool = False
    id: int | None = None  # assigned by the store
    profile: str = ""  # filled by the store

    @property
    def before_state(self) -> State:
        return self.before.state


@dataclass(frozen=True)
class ResetEvent:
    """One logged reset of an item back to NEW (history kept)."""

    deck: str
    card: str
    gap: int
    reset_at: datetime
    log_position: int  # id of the newest review row when the reset happened: replay it after that row
    before: ItemState  # the state the reset discarded
    id: int | None = None
    profile: str = ""


# --------------------------------------------------------------------------------------------------
# Citations checked against their sources


class LocationStatus(_TextEnum):
    """Whether a citation's quote was found in its source (`quiz.citations.Location.status`)."""

    EXACT = "exact"  # verbatim
    NORMALIZED = "normalized"  # after the normalizations the checker allows (quotes, spaces, case, ...)
    MISSING = "missing"  # the source was read; the quote is not in it
    ERROR = "error"  # the source itself is unusable (missing file, outside the sources folder, ...)

    @property
    def found(self) -> bool:
        return self in (LocationStatus.EXACT, LocationStatus.NORMALIZED)


# --------------------------------------------------------------------------------------------------
# Building many values at once


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for the block, then as it was. For code that builds many of
    these values (a deck's cards and citations, a history's items): they form no cycles, and the collector
    would rescan the growing lists of them again and again and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
