"""Typed exceptions of the core, and the exit codes of every command. Only `quiz.cli` turns errors into
messages and exits; the code of each error is its class's `exit_code`."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_PROBLEMS = 1  # `quiz check` found a citation that fails (or a warning under --strict)
EXIT_BAD_INPUT = 2  # bad usage or bad input: every QuizError
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as a shell reports it)


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

    exit_code = EXIT_BAD_INPUT


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
