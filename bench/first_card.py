"""Time from starting `quiz study DECK` in a pseudo-terminal to the first question on screen.

    python bench/first_card.py [--runs N] [--deck decks/iss.yaml]

Each run spawns `quiz study` under pexpect (80x24, PROMPT_TOOLKIT_NO_CPR=1, a temporary QUIZ_DB, a fixed
QUIZ_NOW), waits for the first card's question text, then ends the session with Ctrl-D. The first run
creates the database and compiles quiz's bytecode (into a temporary PYTHONPYCACHEPREFIX); later runs
reuse both (nothing is answered, so the same card comes first).
Prints every run and the median, for the question text and for the input prompt under it (the card is
painted before the prompt toolkit is imported). Target: question text median <= 250 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent


def first_question(deck: Path) -> str:
    from quiz.model import CardType
    from quiz.deck import load_deck

    card = load_deck(deck).cards[0]  # a fresh history asks new cards in deck order
    text = card.cloze_prompt(1) if card.type is CardType.CLOZE else card.question
    return " ".join(text.split()[:4])  # the start of it: it may be wrapped further on


def quiz_command() -> list[str]:
    exe = shutil.which("quiz", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "quiz"]


PROMPT = r"Your answer|Your choice|Think of the answer"  # the input prompt under the question


def run_once(cmd: list[str], deck: Path, needle: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds to the question text, seconds to the input prompt being ready)."""
    start = time.perf_counter()
    child = pexpect.spawn(cmd[0], cmd[1:] + ["study", str(deck)], cwd=str(ROOT), env=env, encoding="utf-8",
                          dimensions=(24, 80), timeout=30)
    try:
        child.expect_exact(needle)
        question = time.perf_counter() - start
        child.expect(PROMPT)
        prompt = time.perf_counter() - start
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return question, prompt


def baseline(env: dict[str, str], code: str, runs: int) -> float:
    """Median seconds for `python -c CODE` to print a marker in the same pseudo-terminal setup: how
    slow this machine is right now (other work on it inflates every number here alike)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        child = pexpect.spawn(sys.executable, ["-c", code + "; print('READY')"], env=env, encoding="utf-8",
                              dimensions=(24, 80), timeout=30)
        try:
            child.expect_exact("READY")
            times.append(time.perf_counter() - start)
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--deck", type=Path, default=ROOT / "decks" / "iss.yaml")
    parser.add_argument("--json", action="store_true", help="also print the numbers as one JSON line (bench/run.py)")
    args = parser.parse_args()
    needle = first_question(args.deck)
    cmd = quiz_command()
    with tempfile.TemporaryDirectory() as tmp:
        # Bytecode as an installed quiz has it: compiled once (first run), into a temporary cache so
        # nothing is written into the repository. PYTHONDONTWRITEBYTECODE (set in some sandboxes)
        # would make every run recompile quiz's modules, which no installed copy does.
        env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", QUIZ_DB=str(Path(tmp) / "quiz.db"),
                   QUIZ_NOW="2026-11-21T10:00:00+00:00", TERM="xterm-256color",
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("NO_COLOR", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        results = [run_once(cmd, args.deck, needle, env) for _ in range(args.runs)]
        bare = baseline(env, "pass", args.runs)
        with_typer = baseline(env, "import typer", args.runs)
    print(f"quiz study {args.deck.relative_to(ROOT) if args.deck.is_relative_to(ROOT) else args.deck}: "
          f"first card ({' '.join(cmd)}; {args.runs} runs; the first one creates the database and compiles bytecode)")
    for label, times in (("question text on screen", [q for q, _ in results]),
                         ("input prompt ready", [p for _, p in results])):
        print(f"  {label}:")
        print("    runs: " + ", ".join(f"{t * 1000:.0f}" for t in times) + " ms")
        print(f"    median {statistics.median(times) * 1000:6.1f} ms   min {min(times) * 1000:6.1f} ms   "
              f"max {max(times) * 1000:6.1f} ms")
    print(f"  for scale, same setup: bare python {bare * 1000:.0f} ms, python + import typer "
          f"{with_typer * 1000:.0f} ms (medians); load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("  target: question text <= 250 ms (median)")
    if args.json:
        print(json.dumps({"question_ms": [q * 1000 for q, _ in results], "prompt_ms": [p * 1000 for _, p in results],
                          "bare_python_ms": bare * 1000, "python_typer_ms": with_typer * 1000}))


if __name__ == "__main__":
    main()
