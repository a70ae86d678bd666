"""Input that used to end in a traceback: profile names, non-finite numbers, output that cannot be
written, impossible values in the history database, clocks near the ends of time.

Each case runs the real command in a fresh interpreter and requires exit 2 (or 141 for a closed pipe,
as other Unix tools) with at most one line on stderr, and never a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.numbers import finite_number

ROOT = Path(__file__).resolve().parent.parent
ISS = ROOT / "decks" / "iss.yaml"
QUIZ = [sys.executable, "-m", "quiz"]
NOW = "2026-11-21T10:00:00+00:00"


def env_for(db: Path, **extra: str | bytes) -> dict:
    env: dict = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZ_", "LC_"))}
    env.update(QUIZ_DB=str(db), QUIZ_NOW=NOW, TZ="UTC", NO_COLOR="1", COLUMNS="80", LANG="C.UTF-8")
    env.update(extra)
    return env


def run(args: list, env: dict, **kwargs) -> subprocess.CompletedProcess:
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(QUIZ + args, stderr=subprocess.PIPE, env=env, timeout=60, **kwargs)


def refused(done: subprocess.CompletedProcess, start: str) -> str:
    """The single error line of a command that must have failed with exit 2."""
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert done.returncode == 2, (done.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), err
    return lines[0]


# --- profile names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("how", "name", "says"), [
    ("env", b"\xff", "is not valid UTF-8"),
    ("arg", b"ann\xe9", "is not valid UTF-8"),
    ("arg", "a\x1b[2Jb", "contains a control or invisible character"),
    ("env", "a\tb", "contains a control or invisible character"),
    ("arg", "\u202eevil", "contains a control or invisible character"),
    ("arg", "x" * 65, "is 65 characters long"),
], ids=["env-xff", "arg-latin1", "arg-escape", "env-tab", "arg-bidi", "arg-too-long"])
@pytest.mark.parametrize("command", ["study", "stats", "history"])
def test_a_bad_profile_name_is_refused_with_one_line(tmp_path: Path, how: str, name: str | bytes, says: str,
                                                      command: str) -> None:
    db = tmp_path / "quiz.db"
    args: list = {"study": ["study", "--plain", str(ISS)], "stats": ["stats", str(ISS)], "history": ["history"]}[command]
    if how == "arg":
        args = [*args, b"--profile", name]
        env = env_for(db)
    else:
        env = env_for(db, QUIZ_PROFILE=name)
    line = refused(run(args, env, input=b"Roscosmos\n\n"), "Error: the profile name ")
    assert says in line
    assert "\x1b" not in line and "\u202e" not in line  # shown escaped, not obeyed by the terminal
    assert not db.exists()


def test_a_profile_name_in_any_script_still_works(tmp_path: Path) -> None:
    db = tmp_path / "quiz.db"
    done = run(["study", "--plain", "--profile", "Zoë Ünal 学生", str(ISS)], env_for(db), input=b"x\n\n")
    assert done.returncode == 0, done.stderr
    history = run(["history", "--profile", "Zoë Ünal 学生"], env_for(db))
    assert history.returncode == 0 and "Zoë Ünal 学生" in history.stdout.decode()


# --- numbers that are not finite ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e400"])
def test_finite_number_refuses_nan_and_infinities(text: str) -> None:
    with pytest.raises(ValueError):
        finite_number(text)


def test_finite_number_reads_ordinary_numbers() -> None:
    assert finite_number("0.9") == 0.9 and finite_number(" 10 ") == 10.0 and finite_number("1e3") == 1000.0


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_a_non_finite_retention_option_is_refused(tmp_path: Path, value: str) -> None:
    db = tmp_path / "quiz.db"
    done = run(["study", "--plain", "--retention", value, str(ISS)], env_for(db), input=b"Roscosmos\n\n" * 3)
    err = done.stderr.decode()
    assert "Traceback" not in err and done.returncode == 2, err
    assert "is not a finite number" in err
    assert not db.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "1e999"])
def test_a_non_finite_busy_timeout_is_refused(tmp_path: Path, value: str) -> None:
    done = run(["stats", str(ISS)], env_for(tmp_path / "quiz.db", QUIZ_BUSY_TIMEOUT=value))
    assert "must be a number of seconds" in refused(done, "Error: QUIZ_BUSY_TIMEOUT=")


@pytest.mark.parametrize("value", ["!!float nan", "!!float .nan", ".inf", "-.inf", "1e999", "!!float inf"])
def test_a_non_finite_deck_retention_is_refused(tmp_path: Path, value: str) -> None:
    from quiz.deck import load_deck
    from quiz.errors import DeckError

    (tmp_path / "a.txt").write_text("Roscosmos is the agency.\n", encoding="utf-8")
    deck = tmp_path / "d.yaml"
    deck.write_text(f"title: T\nretention: {value}\ncards:\n  - id: a\n    question: Q?\n    answer: Roscosmos\n"
                    "    cite:\n      - source: a.txt\n        quote: Roscosmos\n", encoding="utf-8")
    with pytest.raises(DeckError) as caught:
        load_deck(deck)
    (problem,) = caught.value.problems  # refused where it is written, whichever rule catches it
    assert (problem.line, problem.col) == (2, 12), problem


# --- QUIZ_NOW near the ends of time -----------------------------------------------------------------------


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00+00:00", "0001-01-01T00:30:00+01:00", "1969-12-31T23:59:59Z",
                                 "9999-12-31T23:59:59+00:00", "9999-12-31T23:00:00-05:00", "9000-01-01T00:00Z"])
@pytest.mark.parametrize("command", ["study", "stats", "list", "undo"])
def test_a_clock_outside_the_supported_years_is_refused(tmp_path: Path, now: str, command: str) -> None:
    db = tmp_path / "quiz.db"
    args = {"study": ["study", "--plain", str(ISS)], "stats": ["stats", str(ISS)], "list": ["list", str(ISS)],
            "undo": ["undo"]}[command]
    line = refused(run(args, env_for(db, QUIZ_NOW=now), input=b"Roscosmos\n\n"), "Error: QUIZ_NOW=")
    assert "must be a time from 1970 to 9000" in line


@pytest.mark.parametrize("now", ["1970-01-01T00:00:00+00:00", "8999-12-31T23:00:00+00:00"])
def test_a_clock_at_the_ends_of_the_supported_years_works(tmp_path: Path, now: str) -> None:
    db = tmp_path / "quiz.db"
    env = env_for(db, QUIZ_NOW=now, TZ="America/New_York")
    for _ in range(2):  # the second session reads what the first one stored
        done = run(["study", "--plain", "--new", "3", str(ISS)], env, input=b"Roscosmos\n4\n" * 6)
        assert done.returncode == 0, done.stderr
    for args in (["stats", str(ISS)], ["list", str(ISS)], ["history"], ["undo"]):
        done = run(args, env)
        assert done.returncode == 0, (args, done.stderr)


# --- impossible values in the history database ------------------------------------------------------------

ITEM = "roscosmos-kind"  # the first card of the ISS deck, answered by `studied_db`


@pytest.fixture(scope="module")
def studied_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history with a few real answers, copied by each test before it damages it."""
    db = tmp_path_factory.mktemp("studied") / "quiz.db"
    done = run(["study", "--plain", "--new", "3", str(ISS)], env_for(db), input=b"Roscosmos\n4\n" * 6)
    assert done.returncode == 0, done.stderr
    return db


# (SQL that damages the row of ITEM or its answers, what the error says, the commands that read it)
CORRUPTIONS = {
    "due-max": ("UPDATE items SET due = 9223372036854775807", "due 9223372036854775807 is not a time",
                ("study", "stats", "list")),
    "buried-max": ("UPDATE items SET buried_until = 9223372036854775807", "buried_until 9223372036854775807",
                   ("study", "stats", "list")),
    "due-negative": ("UPDATE items SET due = -86400000", "due -86400000 is not a time", ("study", "stats", "list")),
    "no-stability": ("UPDATE items SET stability = NULL", "without stability", ("study", "stats", "list")),
    "inf-stability": ("UPDATE items SET stability = 1e999", "stability inf", ("study", "stats", "list")),
    "inf-difficulty": ("UPDATE items SET difficulty = -1e999", "difficulty -inf", ("study", "stats", "list")),
    "nan-difficulty": ("UPDATE items SET difficulty = 0.0 * 1e999", "without difficulty", ("study", "stats", "list")),
    "state-7": ("UPDATE items SET state = 7", "state 7 is not one of", ("study", "stats", "list")),
    "answer-time-negative": ("UPDATE reviews SET reviewed_at = -1", "time -1 is not a time", ("stats", "history")),
    # `stats` reads the running totals of the log, which a damaged time reaches wherever it lies.
    "answer-time-max": ("UPDATE reviews SET reviewed_at = 9223372036854775807", "time 9223372036854775807",
                        ("stats", "history")),
    "answer-state-no-stability": ("UPDATE reviews SET after_stability = NULL",
                                  "state after it: a studied item (state 2) without stability", ("history",)),
    "answer-interval-inf": ("UPDATE reviews SET interval_days = 1e999", "interval inf", ("history",)),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
@pytest.mark.parametrize("command", ["study", "stats", "list", "history", "class report"])
def test_impossible_stored_values_are_reported_as_corrupt_history(tmp_path: Path, studied_db: Path, case: str,
                                                                   command: str) -> None:
    sql, says, readers = CORRUPTIONS[case]
    db = tmp_path / "quiz.db"
    db.write_bytes(studied_db.read_bytes())
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")  # as a hand edit or another program could
        changed = conn.execute(f"{sql} WHERE card = ?", (ITEM,)).rowcount
        assert changed >= 1
    conn.close()
    args = {"study": ["study", "--plain", str(ISS)], "stats": ["stats", str(ISS)], "list": ["list", str(ISS)],
            "history": ["history"], "class report": ["class", "report", str(ISS), "--db", str(db)]}[command]
    done = run(args, env_for(db), input=b"Roscosmos\n4\n" * 3)
    # The class report reads every item's state, and each student's newest answer time (named by profile).
    if command == "class report":
        readers = ("class report",) if "list" in readers or case == "answer-time-max" else ()
    if command in readers:
        line = refused(done, "Error: corrupt history: ")
        where = ("deck iss, profile default: newest answer: " if command == "class report" and case == "answer-time-max"
                 else f"deck iss, card {ITEM}, gap 0")
        assert where in line and says in line, line
    else:  # a command that does not read the damaged row works as before
        assert done.returncode == 0 and "Traceback" not in done.stderr.decode(), done.stderr.decode()


# The class report's own totals (schema 5), as a hand edit could leave them: each item's answer times.
@pytest.mark.parametrize("durations", [",abc,", ",1.5,", "x", ",-3,", ",1e3,", ",null,", ",3,\x1b[2J,"])
def test_impossible_class_report_totals_are_reported_as_corrupt_history(tmp_path: Path, studied_db: Path,
                                                                         durations: str) -> None:
    db = tmp_path / "quiz.db"
    db.write_bytes(studied_db.read_bytes())
    with sqlite3.connect(db) as conn:
        assert conn.execute("UPDATE item_answers SET durations = ? WHERE card = ?", (durations, ITEM)).rowcount == 1
    conn.close()
    line = refused(run(["class", "report", str(ISS), "--db", str(db)], env_for(db)), "Error: corrupt history: ")
    assert line == (f"Error: corrupt history: deck iss, card {ITEM}, gap 0: the answer times kept for the class "
                    "report (item_answers.durations) are not whole milliseconds; restore a backup of the database "
                    "or remove that row")


@pytest.mark.parametrize("command", ["study", "stats"])
def test_stored_fsrs_parameters_fsrs_would_refuse_are_reported_not_a_traceback(tmp_path: Path, studied_db: Path,
                                                                              command: str) -> None:
    """21 finite numbers, but w4 below fsrs's lower bound: the scheduler would refuse them with a ValueError."""
    from fsrs.scheduler import DEFAULT_PARAMETERS

    db = tmp_path / "quiz.db"
    db.write_bytes(studied_db.read_bytes())
    weights = list(DEFAULT_PARAMETERS)
    weights[4] = 0.5
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO fsrs_parameters VALUES (1, ?, 1700000000000, 500, 0.3, 0.05, 0.33, 0.07)",
                     (json.dumps(weights),))
    conn.close()
    args = {"study": ["study", "--plain", str(ISS)], "stats": ["stats", str(ISS)]}[command]
    line = refused(run(args, env_for(db), input=b"Roscosmos\n4\n"), "Error: ")
    assert line.endswith("the stored FSRS parameters are damaged (w4 = 0.5 is outside fsrs's bounds [1, 10]); "
                         "run quiz optimize again"), line


# --- output that cannot be written -------------------------------------------------------------------------

OUTPUT_COMMANDS = {
    "check": ["check", str(ISS)],
    "stats --json": ["stats", "--json", str(ISS)],
    "schema": ["schema"],
    "list": ["list", str(ISS)],
    "history": ["history"],
    "--help": ["--help"],
    "check --help": ["check", "--help"],
}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_a_full_disk_on_stdout_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    with open("/dev/full", "wb") as full:
        done = run(OUTPUT_COMMANDS[command], env_for(tmp_path / "quiz.db"), stdout=full)
    assert refused(done, "Error: cannot write the output: ") == "Error: cannot write the output: No space left on device"


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_a_closed_stdout_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    db = tmp_path / "quiz.db"
    done = run(OUTPUT_COMMANDS[command], env_for(db), stdout=None, preexec_fn=lambda: os.close(1))
    line = refused(done, "Error: cannot write the output: ")
    assert line == "Error: cannot write the output: standard output is closed"
    assert not db.exists()


@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_a_reader_that_went_away_ends_quiz_quietly_like_sigpipe(tmp_path: Path, command: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before quiz writes anything (`quiz ... | head -0`)
    try:
        done = run(OUTPUT_COMMANDS[command], env_for(tmp_path / "quiz.db"), stdout=write_end)
    finally:
        os.close(write_end)
    assert done.stderr == b""
    assert done.returncode == 141  # 128 + SIGPIPE, what a shell shows for `cat big | head -1`


def test_a_reader_that_goes_away_mid_session_ends_it_quietly(tmp_path: Path) -> None:
    db = tmp_path / "quiz.db"
    proc = subprocess.Popen(QUIZ + ["study", "--plain", "--new", "3", str(ISS)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(db))
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdout.readline()  # the first card's header: the session is running
    proc.stdout.close()
    proc.stdin.write(b"Roscosmos\n\n" * 3)
    proc.stdin.close()
    err = proc.stderr.read() if proc.stderr else b""
    assert proc.wait(timeout=60) == 141, err
    assert err == b""
