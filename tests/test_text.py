"""quiz.text: the one function every human-readable output shows untrusted text through."""

from __future__ import annotations

import pytest

from quiz.text import printable, printable_line
from test_stats import utc_local_time  # noqa: F401 (fixture)


@pytest.mark.parametrize("char, shown", [
    ("\x1b", "\\x1b"),  # ESC: starts every terminal control sequence
    ("\x07", "\\x07"),  # BEL, which ends an OSC sequence
    ("\x00", "\\x00"),
    ("\x7f", "\\x7f"),  # DEL
    ("\x85", "\\x85"),  # NEL, a C1 control ("\N" in YAML)
    ("\x9b", "\\x9b"),  # CSI, the one-byte form of ESC [
    ("\u202e", "\\u202e"),  # RIGHT-TO-LEFT OVERRIDE: shows the rest of the line reversed
    ("\u2066", "\\u2066"),  # LEFT-TO-RIGHT ISOLATE
    ("\u200b", "\\u200b"),  # ZERO WIDTH SPACE
    ("\u200d", "\\u200d"),
    ("\u2060", "\\u2060"),  # WORD JOINER
    ("\ufeff", "\\ufeff"),  # a BOM inside text: zero width
    ("\r", "\\x0d"),  # a CR that does not end a CRLF moves the cursor back over the line
])
def test_what_a_terminal_would_obey_is_shown_as_an_escape(char: str, shown: str) -> None:
    assert printable(f"a{char}b") == f"a{shown}b"
    assert printable_line(f"a{char}b") == f"a{shown}b"


def test_line_breaks_and_tabs_stay_except_on_one_line() -> None:
    text = "one\ttwo\r\nthree\nfour"
    assert printable(text) == text
    assert printable_line(text) == "one\\x09two\\x0d\\x0athree\\x0afour"


def test_ordinary_text_is_unchanged() -> None:
    text = "Borisov « Роскосмос » 宇宙 — ‘quoted’ … café\u00a0x عربي"
    assert printable(text) == text
    assert printable_line(text) == text


def test_highlights_move_with_escapes_of_either_length() -> None:
    # study's evidence marks the answer inside a source's text; escapes are 4 (\x1b) or 6 (\u202e) long
    from quiz.ui import marked_quote, printable_quote

    text, spans = printable_quote("a\u202eb\x1bc d", [(2, 3), (6, 7)])
    assert marked_quote(text, spans) == "a\\u202e«b»\\x1bc «d»"


def test_an_osc_title_sequence_is_inert() -> None:
    assert printable("deck\x1b]0;pwned\x07.yaml") == "deck\\x1b]0;pwned\\x07.yaml"


# ------------------------------------------------------------------ every human-readable output uses it

ZW = "\u200b"  # allowed in a deck (see test_deck), never shown raw


def _zero_width_deck(tmp_path):
    from test_stats import build_history

    deck, db = build_history(tmp_path)
    text = deck.read_text(encoding="utf-8")
    deck.write_text(text.replace("title: Demo deck", f"title: Demo{ZW} deck")
                        .replace("What is alpha?", f"What is{ZW} alpha?"), encoding="utf-8")
    return deck, db


def test_list_stats_and_suspend_show_deck_text_escaped(tmp_path, utc_local_time) -> None:
    from test_stats import run

    deck, db = _zero_width_deck(tmp_path)
    listed = run(["list", str(deck)], db)
    assert listed.exit_code == 0, listed.output
    assert ZW not in listed.output and "What is\\u200b alpha?" in listed.output
    stats = run(["stats", str(deck)], db)
    assert stats.exit_code == 0, stats.output
    assert ZW not in stats.output and stats.output.startswith("Demo\\u200b deck · deck demo\n")
    suspended = run(["suspend", str(deck), "alpha"], db)
    assert (suspended.exit_code, suspended.output) == (0, "Suspended alpha: What is\\u200b alpha?\n")


def test_json_output_escapes_what_a_terminal_would_hide_and_reads_back_the_same(tmp_path, utc_local_time) -> None:
    import json

    from test_stats import run

    deck, db = _zero_width_deck(tmp_path)
    listed = run(["list", str(deck), "--json"], db)
    assert listed.exit_code == 0, listed.output
    assert ZW not in listed.output and "\\u200b" in listed.output
    assert json.loads(listed.output)["items"][0]["text"] == f"What is{ZW} alpha?"  # the real text


def test_a_profile_name_with_a_control_sequence_is_refused_and_shown_escaped(tmp_path) -> None:
    from typer.testing import CliRunner

    from quiz.cli import app

    result = CliRunner().invoke(app, ["undo", "--db", str(tmp_path / "q.db"), "--profile", "x\x1b]0;pwned\x07"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "profile name 'x\\x1b]0;pwned\\x07' contains a control" in result.output


class _Terminal:
    def __init__(self, tty: bool) -> None:
        self.tty, self.written = tty, []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("tty", [True, False])
def test_history_and_export_show_stored_text_escaped_on_a_terminal_only(tty: bool) -> None:
    # A typed answer is stored as typed; `quiz history` printed it raw to the terminal. Into a pipe or a file
    # the CSV keeps the real text.
    from quiz.cli import _TerminalSafe

    terminal = _Terminal(tty)
    _TerminalSafe(terminal).write("card,answer\r\ndemo/a,2024\x1b]0;typed\x07\r\n")
    expected = "demo/a,2024\\x1b]0;typed\\x07" if tty else "demo/a,2024\x1b]0;typed\x07"
    assert terminal.written == [f"card,answer\r\n{expected}\r\n"]


def test_no_module_but_quiz_text_escapes_text_on_its_own() -> None:
    # Three modules had their own escaping (classroom and postgres: `ascii(ch)` of each unprintable
    # character; cli: its own `\uXXXX` substitution for JSON); one policy lives in quiz.text.
    import re
    from pathlib import Path

    import quiz

    own_escaping = re.compile(r"ascii\(\w+\)\[1:-1\]|\bUNSAFE(?:_IN_LINE)?\.sub\(|(?<![\w.])escape\(\w+\[")
    offenders = [
        str(path.relative_to(Path(quiz.__file__).parent))
        for path in sorted(Path(quiz.__file__).parent.rglob("*.py"))
        if path.name != "text.py" and own_escaping.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_json_on_a_terminal_and_a_class_name_are_escaped_by_quiz_text() -> None:
    from quiz.classroom import name_problem
    from quiz.postgres import server_message
    from quiz.text import printable_json

    assert printable_json('{"q": "a\u202eb\x85"}') == '{"q": "a\\u202eb\\u0085"}'
    assert name_problem("zo\u202ee") == "'zo\\\\u202ee' is not a valid name (" + name_problem("Z")[len("'Z' is not a valid name ("):]
    assert server_message(RuntimeError("role \x1b[31mzoe\nexists")) == "role \\x1b[31mzoe; exists"


def test_line_and_paragraph_separators_are_shown_not_obeyed() -> None:
    from quiz.text import printable, printable_line

    assert printable_line("one\u2028two\u2029three") == "one\\u2028two\\u2029three"
    assert printable("one\u2028two") == "one\\u2028two"
