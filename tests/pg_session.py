"""Helpers of the class-server study tests: a class with students, a deck of typed cards, and a `quiz study
--plain` subprocess driven one prompt at a time (so that a test can break the server between two answers)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

QUIZ = [sys.executable, "-m", "quiz"]
NOW = "2026-11-21T10:00:00+00:00"
CARDS = 12


def write_deck(folder: Path, cards: int = CARDS) -> Path:
    """A deck of `cards` typed cards q1..qN, answer aN, all citing one source."""
    (folder / "src").mkdir(exist_ok=True)
    (folder / "src" / "a.txt").write_text("".join(f"Fact number {n} is a{n}.\n" for n in range(1, cards + 1)))
    lines = ["id: facts", "title: Facts", "sources: src", "cards:"]
    for n in range(1, cards + 1):
        lines += [f"  - id: q{n}", f"    question: What is fact {n}?", f"    answer: a{n}", "    cite:",
                  "      - source: a.txt", f"        quote: Fact number {n} is a{n}."]
    path = folder / "facts.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def study_env(url: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QUIZ_NOW=NOW, TZ="UTC", NO_COLOR="1", COLUMNS="80", **extra)
    env.pop("QUIZ_PROFILE", None)
    if url is not None:
        env["QUIZ_DB"] = url
    return env


class PlainSession:
    """`quiz study --plain DECK --new N` as a subprocess; `until(text)` waits for output ending with it."""

    def __init__(self, deck: Path, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(QUIZ + ["study", "--plain", "--new", "50", str(deck), *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=deck.parent)
        self.asked = 0  # cards answered so far
        self.out = b""
        self.err = b""
        self._lock = threading.Lock()
        threading.Thread(target=self._pump, args=(self.proc.stdout, "out"), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, "err"), daemon=True).start()

    def _pump(self, stream, name: str) -> None:
        while True:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                return
            with self._lock:
                setattr(self, name, getattr(self, name) + chunk)

    def text(self, name: str = "out") -> str:
        with self._lock:
            return getattr(self, name).decode("utf-8", "replace")

    def until(self, pattern: str, name: str = "out", timeout: float = 60.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.text(name).count(pattern) >= count:
                return
            if self.proc.poll() is not None and self.text(name).count(pattern) < count:
                time.sleep(0.2)  # the pumps may still be reading the last output
                if self.text(name).count(pattern) >= count:
                    return
                raise AssertionError(f"quiz ended ({self.proc.returncode}) before {pattern!r}:\n"
                                     f"{self.text()}\n{self.text('err')}")
            time.sleep(0.02)
        raise AssertionError(f"no {pattern!r} within {timeout} s:\n{self.text()}\n{self.text('err')}")

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def answer_next(self) -> str:
        """Answer the card on screen correctly and rate it Good; returns its id."""
        self.asked += 1
        self.until("answer> ", count=self.asked)
        question = self.text().rsplit("Q: What is fact ", 1)[1].split("?", 1)[0]
        self.send(f"a{question}")
        self.until("rating> ", count=self.asked)
        self.send("3")
        return f"q{question}"

    def confirmed(self) -> int:
        """Answers the session has shown as saved: every card shown after a rating, and the summary's
        count if it ended normally."""
        out = self.text()
        if "Session over: " in out:
            return int(out.split("Session over: ", 1)[1].split("(", 1)[1].split(" answer", 1)[0])
        return out.count("\nFacts · ") - 1

    def finish(self, timeout: float = 60.0) -> int:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        code = self.proc.wait(timeout)
        time.sleep(0.1)
        return code
