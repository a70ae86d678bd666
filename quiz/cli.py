"""Command-line interface: parse options, call the core, render the result.

This is the only module where errors become messages and exit codes:
0 success, 1 a check found problems, 2 bad usage or bad input, 130 interrupted.
Heavy modules (questionary, fsrs, rapidfuzz, rich) are imported inside the commands that need them,
so `quiz --help` and `quiz check` stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from quiz.errors import DeckError, QuizError, UsageError

app = typer.Typer(
    name="quiz",
    help="Study from decks whose every answer cites its source.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def fail(error: QuizError) -> typer.Exit:
    """Print a core error the user can act on (no traceback) and return the exit to raise."""
    if isinstance(error, DeckError):
        for problem in error.problems:
            typer.echo(str(problem), err=True)
    else:
        typer.echo(f"Error: {error}", err=True)
    return typer.Exit(error.exit_code)


class _StartedClock:
    """Test hook behind `QUIZ_NOW`: a clock that starts at a fixed instant and advances with real time."""

    def __init__(self, start: "datetime") -> None:
        import time

        self._start = start
        self._t0 = time.monotonic()
        self._monotonic = time.monotonic

    def now(self) -> "datetime":
        from datetime import timedelta

        return self._start + timedelta(seconds=self._monotonic() - self._t0)


def make_clock():
    """The clock the core uses. `QUIZ_NOW` (ISO-8601 with offset) is a TEST HOOK for end-to-end tests:
    time starts there and advances with real elapsed time. Otherwise the system clock."""
    import os
    from datetime import datetime, timezone

    from quiz.scheduler import SystemClock

    raw = os.environ.get("QUIZ_NOW", "").strip()
    if not raw:
        return SystemClock()
    try:
        start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} is not an ISO-8601 time (e.g. 2026-11-21T19:47:00+00:00)"))
    if start.tzinfo is None:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} needs a UTC offset (e.g. +00:00)"))
    return _StartedClock(start.astimezone(timezone.utc))


def open_store(db: Optional[Path], profile: Optional[str]):
    """Open the history store: `--db`, else `QUIZ_DB`, else the user data folder; `--profile`, else
    `QUIZ_PROFILE`, else `default`. A StoreError becomes a message and exit 2."""
    import os

    from quiz.errors import StoreError
    from quiz.store import Store, default_db_path

    path = db if db is not None else default_db_path()
    name = profile or os.environ.get("QUIZ_PROFILE") or "default"
    try:
        return Store(path, name)
    except StoreError as error:
        raise fail(error)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the deck format (for editors and CI)."""
    from importlib.resources import files

    sys.stdout.write(files("quiz").joinpath("deck.schema.json").read_text(encoding="utf-8"))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise SystemExit(130)
