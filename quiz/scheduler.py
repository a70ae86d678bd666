"""FSRS scheduling (through the `fsrs` package) with Anki's interval rules on top. Pure: no I/O.

Time always comes in as an argument; nothing here reads the wall clock except `SystemClock`,
which only `quiz.cli` constructs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import IntEnum
from typing import Protocol


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


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)
