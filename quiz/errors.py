"""Typed exceptions of the core. Only `quiz.cli` turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class QuizError(Exception):
    """Base of every error that is the user's to fix; never shown with a traceback."""

    exit_code = 2


class UsageError(QuizError):
    """Bad command-line usage (unknown card id, bad option value, ...)."""


class DeckError(QuizError):
    """A deck that cannot be loaded; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(QuizError):
    """The history database cannot be used (corrupt, too new, locked, read-only, disk full)."""


class ServerError(StoreError):
    """A PostgreSQL server that cannot be used: unreachable, refusing our role, or a schema it cannot use.
    Its message never contains a password (see quiz.postgres.redact_url)."""


class RosterError(QuizError):
    """A class roster file that cannot be used; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
