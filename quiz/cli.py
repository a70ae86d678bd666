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

from quiz.errors import DeckError, QuizError

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
