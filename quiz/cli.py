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

    from quiz.store import Store, default_db_path

    path = db if db is not None else default_db_path()
    name = profile or os.environ.get("QUIZ_PROFILE") or "default"
    try:
        return Store(path, name)
    except QuizError as error:  # StoreError (unusable file), UsageError (bad profile name)
        raise fail(error)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the deck format (for editors and CI)."""
    from importlib.resources import files

    sys.stdout.write(files("quiz").joinpath("deck.schema.json").read_text(encoding="utf-8"))


@app.command()
def study(
    decks: List[Path] = typer.Argument(..., metavar="DECK", help="Deck files (YAML) to study.", show_default=False),
    new: int = typer.Option(20, "--new", min=0, help="New cards per deck and study day."),
    reviews: int = typer.Option(200, "--reviews", min=0, help="Reviews per deck and study day."),
    tag: List[str] = typer.Option([], "--tag", help="Only cards with this tag (repeatable)."),
    source: List[str] = typer.Option([], "--source", help="Only cards citing this source file (repeatable)."),
    practice: bool = typer.Option(False, "--practice", help="Go through the cards without changing the schedule."),
    plain: bool = typer.Option(False, "--plain", help="Plain numbered lines (automatic without a terminal)."),
    profile: Optional[str] = typer.Option(
        None, "--profile", envvar="QUIZ_PROFILE", help="History profile (default: default)."
    ),
    db: Optional[Path] = typer.Option(None, "--db", envvar="QUIZ_DB", help="History database file."),
    retention: Optional[float] = typer.Option(
        None, "--retention", min=0.7, max=0.99, help="Desired retention 0.70-0.99 (overrides the deck's)."
    ),
) -> None:
    """Study the cards that are due: answer, see the cited evidence, rate, repeat.

    A study day starts at 04:00 local time. Ctrl-C ends the session (exit 130); every rated answer is already saved.

    Without a terminal (pipes) or with --plain: one answer per input line.
    """
    import os

    from quiz.deck import load_deck
    from quiz.session import Session, StudyOptions, select_cards

    loaded, problems = [], []
    for path in decks:
        try:
            loaded.append(load_deck(path))
        except DeckError as error:
            problems.extend(error.problems)
    if problems:
        raise fail(DeckError(problems))
    seen: dict = {}
    for deck in loaded:
        if deck.id in seen:
            raise fail(UsageError(f"{deck.path} and {seen[deck.id]} have the same deck id {deck.id!r}; "
                                  "give one of them another `id:`"))
        seen[deck.id] = deck.path
    if (tag or source) and not any(select_cards(d, tag, source) for d in loaded):
        wanted = " ".join([f"--tag {t}" for t in tag] + [f"--source {s}" for s in source])
        raise fail(UsageError(f"no card matches {wanted}"))
    options = StudyOptions(new_limit=new, review_limit=reviews, tags=tuple(tag), sources=tuple(source),
                           practice=practice, retention=retention)
    clock = make_clock()
    if plain or os.environ.get("TERM") == "dumb" or not (sys.stdin.isatty() and sys.stdout.isatty()):
        from quiz.ui.plain import PlainFrontend

        frontend = PlainFrontend()
    else:
        from quiz.ui.prompts import PromptFrontend

        frontend = PromptFrontend()
    store = open_store(db, profile)
    try:
        summary = Session(loaded, store, clock, frontend, options).run()
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()
    if summary.interrupted:
        raise typer.Exit(130)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise SystemExit(130)
