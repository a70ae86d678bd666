"""Start-up cost in executed instructions (valgrind's callgrind), a machine-independent ratio.

    python bench/startup_instructions.py [--json]

Counts the instructions each of these executes, from the interpreter's first to its last:

  import typer                 `python -c "import typer"` (the baseline: the CLI framework alone)
  quiz --help                  `quiz --help`
  quiz check decks/iss.yaml    `quiz check decks/iss.yaml` (the human report, into a pipe)

and prints each count with its ratio to the baseline (issue 19's targets: check <= 2.0x, --help about
1.3x). Wall time on this shared machine swings by tens of percent; an instruction count moves by well
under one percent from run to run, so a ratio of two counts shows a start-up change that timing hides.

All three start the same interpreter (this one, `sys.executable`) the same way, `python -c CODE`, so the
interpreter's own start-up (site, the editable-install finder) is in all three alike: the quiz rows'
CODE does what the console script does, `from quiz.cli import main; main()` (`python -m quiz` would add
runpy, and the script file itself its `#!` line and `import re`, to the quiz rows only). Each command runs once without valgrind first, so its
bytecode is compiled (into a temporary PYTHONPYCACHEPREFIX, never into the repository;
PYTHONDONTWRITEBYTECODE is dropped), as an installed quiz has it. NO_COLOR is dropped and COLUMNS=100, as in
bench/run.py; the children's output goes to a pipe.

Needs valgrind on PATH. A bench, not a test: it prints numbers, asserts nothing and exits 0 (2 when
valgrind is missing or a command fails).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

RUN_QUIZ = "import sys; from quiz.cli import main; sys.argv[0] = 'quiz'; sys.exit(main())"
COMMANDS: dict[str, list[str]] = {
    "import typer": ["-c", "import typer"],
    "quiz --help": ["-c", RUN_QUIZ, "--help"],
    "quiz check decks/iss.yaml": ["-c", RUN_QUIZ, "check", "decks/iss.yaml"],
}
BASELINE = "import typer"


def child_env(pycache: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(pycache), COLUMNS="100")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NO_COLOR", None)
    return env


def run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(cmd[-3:])} exited {result.returncode}")


def instructions(out_file: Path) -> int:
    """The total instruction count callgrind wrote: its `summary:` line (`totals:` in some versions)."""
    text = out_file.read_text(encoding="utf-8", errors="replace")
    for key in ("summary", "totals"):
        found = re.search(rf"^{key}:\s*(\d+)", text, re.MULTILINE)
        if found:
            return int(found.group(1))
    raise SystemExit(f"no summary line in {out_file.name}")


def measure() -> dict[str, int]:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        raise SystemExit(2)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="quiz-callgrind-") as tmp:
        env = child_env(Path(tmp) / "pycache")
        for args in COMMANDS.values():  # compile bytecode once, outside valgrind
            run([PY, *args], env)
        for i, (name, args) in enumerate(COMMANDS.items()):
            out = Path(tmp) / f"callgrind.{i}.out"
            run([valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", PY, *args], env)
            counts[name] = instructions(out)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the counts and ratios as one JSON line")
    options = parser.parse_args()
    counts = measure()
    base = counts[BASELINE]
    ratios = {name: count / base for name, count in counts.items()}
    if options.json:
        print(json.dumps({"instructions": counts, "ratio": {k: round(v, 3) for k, v in ratios.items()}}))
        return
    width = max(map(len, counts))
    print(f"{'command':<{width}}  {'instructions':>14}  ratio to {BASELINE}")
    for name, count in counts.items():
        print(f"{name:<{width}}  {count / 1e6:>12.1f} M  {ratios[name]:.2f}x")


if __name__ == "__main__":
    main()
