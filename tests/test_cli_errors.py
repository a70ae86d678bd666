"""The CLI's error boundary: every `QuizError` a command raises becomes its message and its class's exit
code in one place (the app's command group), however the app is called."""

from __future__ import annotations

import ast
from pathlib import Path

import typer
from typer.testing import CliRunner

import quiz.cli
from quiz.errors import DeckError, Problem, RosterError, StoreError


def _app_raising(error: Exception) -> typer.Typer:
    """An app built like quiz's, with commands that raise `error` (directly, and from a sub-group)."""
    app = typer.Typer(cls=quiz.cli._QuickGroup, rich_markup_mode=None)
    group = typer.Typer(cls=quiz.cli._QuickGroup, rich_markup_mode=None)

    @app.command()
    def boom() -> None:
        raise error

    @group.command()
    def deeper() -> None:
        raise error

    app.add_typer(group, name="sub")
    return app


def test_a_core_error_from_any_command_is_one_line_and_exit_2() -> None:
    for args in (["boom"], ["sub", "deeper"]):
        result = CliRunner().invoke(_app_raising(StoreError("cannot use q.db\x1b[2J: locked")), args)
        assert (result.exit_code, result.output) == (2, "Error: cannot use q.db\\x1b[2J: locked\n")
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_deck_and_roster_problems_are_one_line_each() -> None:
    problems = [Problem("a.yaml", 3, 5, "bad\nthing"), Problem("a\u202e.yaml", 7, 1, "other")]
    for error in (DeckError(problems), RosterError(problems)):
        result = CliRunner().invoke(_app_raising(error), ["boom"])
        assert result.exit_code == 2
        assert result.output == "a.yaml:3:5: bad\\x0athing\na\\u202e.yaml:7:1: other\n"


def test_commands_neither_catch_core_errors_nor_close_stores_by_hand() -> None:
    """Eleven commands had `except QuizError: raise fail(...)` and five closed the store in `finally`."""
    tree = ast.parse(Path(quiz.cli.__file__).read_text(encoding="utf-8"))
    catching = [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name) and node.type.id == "QuizError"
    ]
    assert len(catching) == 1  # the group's invoke
    closing = [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "close" and isinstance(node.value, ast.Name)
        and node.value.id == "store"
    ]
    assert closing == []
