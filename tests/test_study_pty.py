"""`quiz study` end to end in a real pseudo-terminal (pexpect): the questionary front end as a student
sees it. Generous expect timeouts, no timed asserts."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from quiz.model import State  # noqa: E402
from quiz.scheduler import item_seed  # noqa: E402
from quiz.store import Store  # noqa: E402


def _plain_tests():
    """The five-card deck of the plain-mode tests, loaded by path (works under any pytest import mode)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_study_plain", Path(__file__).with_name("test_study_plain.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PLAIN = _plain_tests()
DECK, SOURCE = _PLAIN.DECK, _PLAIN.SOURCE

DAY1 = "2026-11-21T10:00:00+00:00"
DAY2 = "2026-11-22T10:00:00+00:00"
ENTER, CTRL_C, CTRL_D = "\r", "\x03", "\x04"


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "src" / "b.txt").write_text("Something else entirely.\n", encoding="utf-8")
    path = tmp_path / "mini.yaml"
    path.write_text(DECK, encoding="utf-8")
    return path


def spawn(tmp_path: Path, deck: Path, now: str):
    env = dict(os.environ)
    env.update(PROMPT_TOOLKIT_NO_CPR="1", QUIZ_DB=str(tmp_path / "quiz.db"), QUIZ_NOW=now, TZ="UTC",
               TERM="xterm-256color")
    for name in ("NO_COLOR", "QUIZ_PROFILE", "COLUMNS", "LINES"):
        env.pop(name, None)
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "study", str(deck)], cwd=str(tmp_path), env=env,
                          encoding="utf-8", dimensions=(24, 80), timeout=20)
    return child


def choice_key(option: str) -> str:
    """The number key of `option` in the cost card's seeded shuffle (new item: 0 reviews)."""
    options = ["$6 billion", "$1 billion"]
    random.Random(item_seed("mini", "cost", 0, 0)).shuffle(options)
    return str(options.index(option) + 1)


def test_a_session_in_a_terminal_then_the_next_day(tmp_path, deck):
    child = spawn(tmp_path, deck, DAY1)
    try:
        child.expect("Who replaced Dmitry Rogozin")
        child.expect("Your answer")  # the question is painted before the prompt is ready: wait for it
        child.send("Yuri Borosov" + ENTER)                   # almost
        child.expect("Almost")
        child.expect("Rate your answer")
        child.send(ENTER)                                     # Hard (suggested)
        child.expect("What would the station cost")
        child.expect("Your choice")
        child.send(choice_key("$6 billion"))                  # right: the key answers at once
        child.expect("Correct")
        child.expect("Rate your answer")
        child.send(ENTER)                                     # Good
        child.expect("NASA had received official notice")
        child.expect("Your answer")
        child.send("t")                                       # wrong, on one key
        child.expect("Wrong")
        child.expect("Rate your answer")
        child.send("u")                                       # undo the cost answer
        child.expect("Undid the answer to cost")
        child.expect("What would the station cost")
        child.expect("Your choice")
        child.send(choice_key("$1 billion"))                  # now wrong
        child.expect("Wrong")
        child.expect("Rate your answer")
        child.send(ENTER)                                     # Again
        child.expect("NASA had received official notice")
        child.expect("Your answer")
        child.send(ENTER)                                     # a stray Enter answers nothing
        child.send("f")                                       # right
        child.expect("Correct")
        child.expect("Rate your answer")
        child.send(ENTER)
        child.expect("Where was the exit announced")
        child.expect("Think of the answer")
        child.send(" ")                                       # flip: Space reveals
        child.expect("Answer: Moscow")
        child.expect("Rate your answer")
        child.send("4")                                       # Easy, on one key
        child.expect(r"Fill the gap")
        child.expect("Your answer")
        child.send("after 2024" + ENTER)
        child.expect("citation not found in b.txt")
        child.expect("Rate your answer")
        child.send(CTRL_C)                                    # interrupted before rating: not recorded
        child.expect("Interrupted: 4 cards studied")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130

    with Store(tmp_path / "quiz.db") as store:
        log = list(store.reviews("mini"))
        items = store.items("mini")
    assert [(r.card, r.verdict, r.rating) for r in log] == [
        ("who", "almost", 2), ("cost", "wrong", 1), ("notice", "correct", 3), ("where", "self", 4)]
    assert items[("where", 0)].state.state is State.REVIEW
    assert ("exit", 1) not in items

    # The next day the learning cards are due first, earliest due first (cost: Again, a 1-minute step,
    # before who: Hard, 6 minutes), then the new cloze gap.
    child = spawn(tmp_path, deck, DAY2)
    try:
        child.expect(r"Mini ISS · 4 left today · new 1 · learning 3 · review 0")
        child.expect("What would the station cost")
        child.expect("Your choice")
        child.send(CTRL_D)
        child.expect("Session over: 0 cards studied")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_nothing_due_in_a_terminal(tmp_path, deck):
    # --new 0: no new cards today, nothing studied yet -> the empty-queue message, exit 0
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", QUIZ_DB=str(tmp_path / "quiz.db"), QUIZ_NOW=DAY1, TZ="UTC")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "study", str(deck), "--new", "0"], cwd=str(tmp_path),
                          env=env, encoding="utf-8", dimensions=(24, 40), timeout=20)
    try:
        child.expect("Nothing to study now")
        child.expect("--practice")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_no_color_means_no_colour_codes(tmp_path, deck):
    import re

    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", QUIZ_DB=str(tmp_path / "quiz.db"), QUIZ_NOW=DAY1, TZ="UTC",
               NO_COLOR="1", TERM="xterm-256color")
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "study", str(deck)], cwd=str(tmp_path), env=env,
                          encoding="utf-8", dimensions=(24, 80), timeout=20)
    seen = []
    try:
        child.expect("Who replaced Dmitry Rogozin")
        seen.append(child.before + child.after)
        child.expect("Your answer")
        child.send("Gagarin" + ENTER)
        child.expect("Rate your answer")
        seen.append(child.before)
        child.send(ENTER)
        child.expect("Your choice")
        child.send(CTRL_C)
        child.expect(pexpect.EOF)
        seen.append(child.before)
    finally:
        child.close()
    screen = "".join(seen)
    assert "Wrong" in screen and "a.txt:2" in screen
    # no colours of any depth, and no bold, dim, underline or reverse video either: the only SGR left is
    # the plain reset (cursor movement is not styling and stays)
    styles = [code for code in re.findall(r"\x1b\[([0-9;]*)m", screen) if code not in ("", "0")]
    assert styles == []
