"""Deck model and YAML loading with line:col marks.

A deck is a YAML file of cards; every card cites one or more verbatim quotes from files in the deck's
`sources` folder. This module only parses and validates the file: it never opens a source file
(that is `quiz.citations`), and it never writes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class CardType(str, Enum):
    TYPED = "typed"
    CHOICE = "choice"
    TRUEFALSE = "truefalse"
    FLIP = "flip"
    CLOZE = "cloze"


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in the deck file."""

    line: int
    col: int


# `{{answer}}` or `{{answer::hint}}` (Anki's cloze hint syntax), never nested.
CLOZE_GAP = re.compile(r"\{\{(.+?)(?:::(.*?))?\}\}", re.DOTALL)


@dataclass(frozen=True)
class Citation:
    source: str  # path relative to the deck's sources folder, exactly as written in the deck
    quote: str
    mark: Mark  # where the citation mapping starts
    quote_mark: Mark  # where the quote scalar starts (used by `quiz check --fix`)


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

    @property
    def gaps(self) -> tuple[str, ...]:
        """Answers of a cloze card's gaps, in order; each is its own review item (gap 1, 2, ...)."""
        if self.type is not CardType.CLOZE:
            return ()
        return tuple(m.group(1).strip() for m in CLOZE_GAP.finditer(self.text))

    @property
    def items(self) -> tuple[int, ...]:
        """The review items of this card: (0,) for ordinary cards, (1, ..., n) for cloze gaps."""
        return tuple(range(1, len(self.gaps) + 1)) if self.type is CardType.CLOZE else (0,)

    def cloze_prompt(self, gap: int) -> str:
        """The cloze text with gap `gap` (1-based) shown as `[...]` (or `[hint]`) and the others filled in."""
        counter = 0

        def fill(m: re.Match[str]) -> str:
            nonlocal counter
            counter += 1
            if counter == gap:
                return f"[{m.group(2).strip()}]" if m.group(2) else "[...]"
            return m.group(1).strip()

        return CLOZE_GAP.sub(fill, self.text)

    def expected(self, gap: int = 0) -> str:
        """The answer to review item `gap`."""
        return self.gaps[gap - 1] if self.type is CardType.CLOZE else self.answer


@dataclass(frozen=True)
class Deck:
    id: str
    title: str
    path: Path  # the deck file as the user named it (used in messages)
    sources: Path  # the sources folder, resolved to an absolute path
    cards: tuple[Card, ...]
    retention: float | None = None
    by_id: dict[str, Card] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_id:
            self.by_id.update({c.id: c for c in self.cards})


MAX_DECK_BYTES = 5 * 1024 * 1024


def load_deck(path: str | Path) -> Deck:
    """Parse and validate a deck file; raise `DeckError` with every problem found.

    Never executes YAML tags, never expands aliases, never reads a source file.
    """
    raise NotImplementedError  # being written: see the loader brief
