"""`quiz study` without a terminal: a whole session fed through stdin of a subprocess, output asserted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.store import Store

QUIZ = [sys.executable, "-m", "quiz"]
NOW = "2026-11-21T10:00:00+00:00"
SOURCE = (
    "Moscow. Russia will stop operating on the ISS after 2024, Roscosmos said.\n"
    "Appointed in mid-July, Yuri Borissov replaced Dmitri Rogozin at Roscosmos.\n"
    "The station would cost $6 billion according to Interfax.\n"
    "NASA said it had not received any official notice.\n"
)
DECK = """\
id: mini
title: Mini ISS
sources: src
cards:
  - id: who
    question: Who replaced Dmitry Rogozin?
    answer: Yuri Borisov
    cite:
      - source: a.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
  - id: cost
    type: choice
    question: What would the station cost?
    answer: $6 billion
    choices: [$6 billion, $1 billion]
    cite:
      - source: a.txt
        quote: cost $6 billion
  - id: notice
    type: truefalse
    question: NASA had received official notice.
    answer: false
    cite:
      - source: a.txt
        quote: NASA said it had not received any official notice
  - id: where
    type: flip
    question: Where was the exit announced?
    answer: Moscow
    cite:
      - source: a.txt
        quote: Moscow.
  - id: exit
    type: cloze
    text: Russia will leave the ISS {{after 2024}}.
    cite:
      - source: b.txt
        quote: not in the file
"""


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "src" / "b.txt").write_text("Something else entirely.\n", encoding="utf-8")
    path = tmp_path / "mini.yaml"
    path.write_text(DECK, encoding="utf-8")
    return path


def env(tmp_path: Path, now: str = NOW) -> dict[str, str]:
    e = dict(os.environ)
    e.update(QUIZ_DB=str(tmp_path / "quiz.db"), QUIZ_NOW=now, TZ="UTC", NO_COLOR="1", COLUMNS="80")
    e.pop("QUIZ_PROFILE", None)
    return e


def study(tmp_path: Path, args: list[str], stdin: str, now: str = NOW) -> subprocess.CompletedProcess[str]:
    return subprocess.run(QUIZ + ["study", *args], input=stdin, capture_output=True, text=True,
                          env=env(tmp_path, now), cwd=tmp_path, timeout=60)


def stable(text: str) -> str:
    """Real elapsed time moves the QUIZ_NOW clock a little: hide session durations."""
    return re.sub(r"\) in \d+s\.", ") in Ns.", text)


def test_a_whole_session_through_a_pipe(tmp_path, deck):
    stdin = "\n".join([
        "Yuri Borosov", "",        # who: almost -> Hard
        "1", "",                   # cost: choice by number, correct -> Good ... (shuffled: see below)
        "x", "f", "4",             # notice: an invalid answer first, then f; Easy
        "", "g",                   # where: flip, Enter reveals; Good
        "after 2024", "q",         # exit: quit at the rating
    ]) + "\n"
    result = study(tmp_path, [str(deck)], stdin)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = stable(result.stdout)
    assert "\x1b" not in out
    # where the seeded shuffle put the options decides what "1" answered
    cost = re.search(r"  1\) (.*)\n  2\) (.*)\n", out)
    assert cost is not None
    first = cost.group(1)
    cost_verdict = "Correct" if first == "$6 billion" else "Wrong"
    cost_default = "Good" if first == "$6 billion" else "Again"
    cost_intervals = "1 Again · 1m | 2 Hard · 6m | 3 Good · 10m | 4 Easy · 8d"
    expected = f"""
Mini ISS · 5 left today · new 5 · learning 0 · review 0
Q: Who replaced Dmitry Rogozin?
answer> Yuri Borosov
Almost — Yuri Bor[i]sov (spelling: 1 letter off)
Answer: Yuri Borisov
  a.txt:2  “«Yuri Borissov» replaced Dmitri Rogozin”
Rate: 1 Again · 1m | 2 Hard · 6m | 3 Good · 10m | 4 Easy · 8d
Enter = Hard · u undo · s suspend · b bury · q quit
rating> 

Mini ISS · 5 left today · new 4 · learning 1 · review 0
Q: What would the station cost?
  1) {cost.group(1)}
  2) {cost.group(2)}
answer 1-2> 1
{cost_verdict}
Answer: $6 billion
  a.txt:3  “cost «$6 billion»”
Rate: {cost_intervals}
Enter = {cost_default} · u undo · s suspend · b bury · q quit
rating> 
"""
    assert out.startswith(expected), out
    rest = out[len(expected):]
    assert """True or false?: NASA had received official notice.
answer t/f> x
Please answer t (true) or f (false).
answer t/f> f
Correct
Answer: False
  a.txt:4  “NASA said it had not received any official notice”
""" in rest
    assert """Recall the answer: Where was the exit announced?
Enter shows the answer> 
Answer: Moscow
  a.txt:1  “«Moscow».”
""" in rest
    assert """Fill the gap: Russia will leave the ISS [...].
answer> after 2024
Correct
Answer: after 2024
  ⚠ citation not found in b.txt: “not in the file”
""" in rest
    assert rest.endswith("rating> q\n\nSession over: 4 cards studied (4 answers: "
                         f"{1 + (cost_verdict == 'Correct')} correct, 1 almost, {1 - (cost_verdict == 'Correct')} wrong, "
                         "1 self-rated) in Ns.\n4 more cards are waiting for today.\n1 new card left today.\n")
    with Store(tmp_path / "quiz.db") as store:
        log = list(store.reviews("mini"))
    assert [(r.card, r.verdict, r.rating) for r in log] == [
        ("who", "almost", 2), ("cost", cost_verdict.lower(), 3 if cost_verdict == "Correct" else 1),
        ("notice", "correct", 4), ("where", "self", 3)]


def test_end_of_input_ends_normally_with_a_summary(tmp_path, deck):
    result = study(tmp_path, [str(deck)], "Yuri Borisov\n3\n")
    assert result.returncode == 0
    assert stable(result.stdout).endswith(
        "rating> 3\n\nMini ISS · 5 left today · new 4 · learning 1 · review 0\n"
        "Q: What would the station cost?\n" + result.stdout.split("Q: What would the station cost?\n")[1].split("answer 1-2> ")[0]
        + "answer 1-2> \n\nSession over: 1 card studied (1 answer: 1 correct, 0 almost, 0 wrong) in Ns.\n"
        "5 more cards are waiting for today.\n4 new cards left today.\n"
    )


def test_nothing_due_says_when_and_suggests_practice(tmp_path, deck):
    answers = "Yuri Borisov\n4\n1\n4\n2\n4\nf\n4\n\n4\nafter 2024\n4\n"
    first = study(tmp_path, [str(deck), "--new", "5"], answers)
    assert first.returncode == 0
    again = study(tmp_path, [str(deck)], "")
    assert again.returncode == 0
    assert again.stdout.startswith("\nNothing to study now. The next card is due in ")
    assert again.stdout.endswith("Run `quiz study --practice` to study anyway (your schedule is not changed).\n")
    practice = study(tmp_path, [str(deck), "--practice", "--tag", "nothing"], "")
    assert practice.returncode == 2 and practice.stderr == "Error: no card matches --tag nothing\n"


def test_practice_through_a_pipe_does_not_change_the_schedule(tmp_path, deck):
    result = study(tmp_path, [str(deck), "--practice", "--source", "b.txt"], "after 2024\ns\nbury\n\n")
    assert result.returncode == 0
    assert "Mini ISS · 1 left · practice\n" in result.stdout
    assert "Rate: 1 Again | 2 Hard | 3 Good | 4 Easy\nEnter = Good · u undo · q quit\n" in result.stdout
    assert result.stdout.count("Please answer 1-4 (or a/h/g/e), u, q; Enter = Good.") == 2  # s, bury refused
    assert "Practice answers are logged but do not change your schedule.\n" in result.stdout
    with Store(tmp_path / "quiz.db") as store:
        assert store.items("mini") == {}
        assert [(r.card, r.practice) for r in store.reviews("mini")] == [("exit", True)]


def test_a_bad_deck_is_refused_with_exit_2_and_nothing_written(tmp_path, deck):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\ncards:\n  - id: a\n    question: q\n    answer: a\n"
                   "    cite: [{source: a.txt, quote: x}]\n    tgas: [x]\n", encoding="utf-8")
    result = study(tmp_path, [str(deck), str(bad)], "")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"{bad}:7:5: unknown key 'tgas' in a card (did you mean 'tags'?)\n"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "quiz.db").exists()


def test_sigint_while_waiting_for_an_answer_exits_130_with_the_summary(tmp_path, deck):
    proc = subprocess.Popen(QUIZ + ["study", str(deck)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(tmp_path), cwd=tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("Yuri Borisov\n3\n")
    proc.stdin.flush()
    seen = ""
    while "answer 1-2> " not in seen:  # the second card is on screen, waiting for input
        chunk = proc.stdout.read(1)
        assert chunk, seen
        seen += chunk
    proc.send_signal(signal.SIGINT)
    # Keep stdin open until quiz has exited: closing it (as communicate() does first) would race end of
    # input against the signal, and a session that sees end of input first ends normally with exit 0.
    out = proc.stdout.read()
    proc.wait(timeout=30)
    proc.stdin.close()
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    proc.stdout.close()
    assert proc.returncode == 130, err
    assert "Interrupted: 1 card studied (1 answer: 1 correct, 0 almost, 0 wrong)" in seen + out
    with Store(tmp_path / "quiz.db") as store:
        assert [r.card for r in store.reviews("mini")] == ["who"]


def test_the_first_card_needs_no_heavy_imports(tmp_path, deck):
    """What `quiz study` imports before the first card is on screen (plain mode, input closed at the
    first question): none of the prompt/rendering/scheduling/fuzzy libraries, nor pydantic."""
    code = (
        "import sys\n"
        "sys.argv = ['quiz', 'study', sys.argv[1], '--plain']\n"
        "import quiz.cli\n"
        "try:\n"
        "    quiz.cli.app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('questionary', 'prompt_toolkit', 'rich', 'fsrs', 'rapidfuzz', 'pydantic', 'quiz.grading')\n"
        "print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(deck)], input="", capture_output=True, text=True,
                            env=env(tmp_path), cwd=tmp_path, timeout=60)
    assert "HEAVY []" in result.stderr, result.stderr
    assert "Session over: 0 cards studied" in result.stdout


def test_the_study_day_start_is_configurable(tmp_path, deck, monkeypatch):
    # One new card a day: answered at 09:50, the next new card waits for the next study day, which
    # starts at 04:00 by default (Anki's convention) and at 10:00 with QUIZ_DAY_START=10.
    first = study(tmp_path, [str(deck), "--new", "1"], "Yuri Borisov\n4\n", now="2026-11-21T09:50:00+00:00")
    assert first.returncode == 0 and "1 left today" in first.stdout
    same_day = study(tmp_path, [str(deck), "--new", "1"], "", now="2026-11-21T10:10:00+00:00")
    assert same_day.stdout.startswith("\nNothing to study now.")
    monkeypatch.setenv("QUIZ_DAY_START", "10")
    next_day = study(tmp_path, [str(deck), "--new", "1"], "", now="2026-11-21T10:10:00+00:00")
    assert "What would the station cost?" in next_day.stdout
    monkeypatch.setenv("QUIZ_DAY_START", "25")
    bad = study(tmp_path, [str(deck)], "")
    assert (bad.returncode, bad.stderr) == (2, "Error: QUIZ_DAY_START='25' must be an hour from 0 to 23\n")


def test_a_100000_character_quote_not_found_is_flagged_on_one_clipped_line(tmp_path):
    """B6: the ⚠ line shows a few hundred characters around the answer, not the whole quote."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(SOURCE, encoding="utf-8")
    quote = ("orbit crew module launch " * 4000) + "after 2024 the station " + ("partners " * 100)
    (tmp_path / "long.yaml").write_text(
        "id: long\ntitle: Long\nsources: src\ncards:\n  - id: c1\n    question: After which year?\n"
        f"    answer: \"2024\"\n    cite:\n      - source: a.txt\n        quote: {quote.strip()}\n",
        encoding="utf-8",
    )
    run = study(tmp_path, ["--plain", "long.yaml"], "2024\n\n")
    assert (run.returncode, run.stderr) == (0, ""), run.stderr
    flag = [line for line in run.stdout.splitlines() if "⚠" in line]
    assert len(flag) == 1
    assert flag[0].startswith("  ⚠ citation not found in a.txt: “…") and flag[0].endswith("…”")
    assert " after «2024» the station " in flag[0] and len(flag[0]) < 360


def test_a_bad_busy_timeout_is_a_usage_error(tmp_path, deck, monkeypatch):
    monkeypatch.setenv("QUIZ_BUSY_TIMEOUT", "soon")
    bad = study(tmp_path, [str(deck)], "")
    assert (bad.returncode, bad.stderr) == (2, "Error: QUIZ_BUSY_TIMEOUT='soon' must be a number of seconds from 0 "
                                               "to 3600\n")
    assert not (tmp_path / "quiz.db").exists()


def test_control_characters_in_a_source_never_reach_the_terminal(tmp_path):
    """B14: a found quote is the source's text; its ESC/BEL show as visible escapes, the answer still marked."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(
        "Russia will leave the station after 2024.\x1b]0;window title\x07 The crew \x1b[2J\x1b[Hwill return home.\n",
        encoding="utf-8",
    )
    (tmp_path / "esc.yaml").write_text(
        "id: esc\ntitle: Esc\nsources: src\ncards:\n  - id: c1\n    question: When?\n    answer: after 2024\n"
        "    cite:\n      - source: a.txt\n        quote: leave the station after 2024. ... will return home\n",
        encoding="utf-8",
    )
    run = study(tmp_path, ["--plain", "esc.yaml"], "after 2024\n\n")
    assert (run.returncode, run.stderr) == (0, ""), run.stderr
    assert ("  a.txt:1  “leave the station «after 2024».\\x1b]0;window title\\x07 The crew \\x1b[2J\\x1b[Hwill "
            "return home”") in run.stdout.splitlines()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", run.stdout), repr(run.stdout)


def test_a_leech_through_a_pipe_with_the_leech_option(tmp_path, deck):
    """--leech 2: the second lapse makes `who` a leech; the passage is shown and `s` suspends it."""
    from datetime import datetime, timedelta

    from quiz.model import ItemState, Review, State

    due = datetime.fromisoformat(NOW) - timedelta(hours=1)
    state = ItemState(state=State.REVIEW, stability=5.0, difficulty=8.0, due=due, last_review=due - timedelta(days=3),
                      reps=9, lapses=1)
    with Store(tmp_path / "quiz.db") as store:
        store.record(Review(deck="mini", card="who", gap=0, reviewed_at=due - timedelta(days=3), rating=3,
                            verdict="correct", answer="", duration_ms=1000, before=ItemState(), after=state,
                            interval_days=3.0))
    result = study(tmp_path, [str(deck), "--new", "0", "--leech", "2"], "Gagarin\n\nx\ns\n")
    assert result.returncode == 0, result.stderr
    assert ("Leech: who has lapsed 2 times. Re-read the passage below, then rewrite the card or suspend it.\n"
            "  re-read: a.txt, lines 1–4\n"
            "    “Moscow. Russia will stop operating on the ISS after 2024, Roscosmos said. Appointed in mid-July, "
            "«Yuri Borissov replaced Dmitri Rogozin» at Roscosmos. The station would cost $6 billion according to "
            "Interfax. NASA said it had not received any official notice.”\n"
            "suspend it? s = suspend, Enter = keep> x\n"
            "Please answer s (suspend) or press Enter (keep it).\n"
            "suspend it? s = suspend, Enter = keep> s\n"
            "Suspended who (quiz unsuspend brings it back).\n") in result.stdout, result.stdout
    with Store(tmp_path / "quiz.db") as store:
        assert store.items("mini")[("who", 0)].suspended
