"""Run every benchmark in bench/ and print one table: measure, median, ratio, target, verdict.

    python bench/run.py [--runs N] [--quick] [--only STEP ...] [--json FILE]

Rows (targets from the performance brief):
  startup      `quiz --help` and `quiz check decks/iss.yaml`, as ratios to `python -c pass` measured in the
               same run with the same interpreter (the editable-install finder in site is in both); runs are
               interleaved so load changes hit all three alike. Wall and CPU (the child's user+system time).
  first card   bench/first_card.py: `quiz study decks/iss.yaml` in a pseudo-terminal until the question
               is on screen (median of the runs after the first, which creates the database).
  latency      bench/latency.py: answer -> next card ready, 10k items, 1M reviews, p99.
  check scale  bench/check_scale.py: the citation phase, 10,000 citations over 1,000 sources of 3 KB.
  deck load    bench/deck_load.py: load and validate a 10,000-card deck.
  study        here: `quiz study --plain` on a generated 10,000-card deck whose items have a 1M-answer
               history, 300 cards answered one line at a time through pipes: rating -> next card prompt
               and answer -> rating prompt (p99), and the child's peak RSS (ru_maxrss of that one child).
               latency.py times the store and scheduler calls alone; this is the whole command.
  info rows    bench/grading_speed.py (grading, exports) and bench/anki_parity.py (scheduler parity);
               skipped with --quick.

Every child runs with compiled bytecode, as an installed quiz has it: PYTHONDONTWRITEBYTECODE (set in some
sandboxes, which would recompile every quiz module on every start) is dropped and PYTHONPYCACHEPREFIX points
into a temporary folder, warmed once, so nothing is written into the repository.

The machine may be busy: each verdict says "pass" when the wall time meets the target, "pass (CPU)" when
only the CPU time does (on an idle machine wall time is CPU time plus a little I/O for these single-threaded
commands), and "FAIL" when neither does. The load average before and after is printed with the table.
Asserts nothing; exit status 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable


@dataclass
class Row:
    measure: str
    value: str  # the median (wall), formatted with its unit
    cpu: str = ""  # the same measure in CPU time, where it can be taken
    ratio: str = ""
    target: str = ""
    verdict: str = ""
    notes: list[str] = field(default_factory=list)


def quiz_command() -> list[str]:
    exe = shutil.which("quiz", path=str(Path(PY).parent))
    return [exe] if exe else [PY, "-m", "quiz"]


def child_env(pycache: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(pycache), COLUMNS="100")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NO_COLOR", None)
    return env


def timed_run(cmd: list[str], env: dict[str, str], cwd: Path = ROOT, stdin=None) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS KiB, exit status) of one child, from its own rusage (os.wait4), not the
    running total of every child so far."""
    out = subprocess.DEVNULL
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=out, stderr=out)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, child.returncode


def run_json(script: str, args: list[str], env: dict[str, str], timeout: float) -> tuple[dict | None, str]:
    """Run bench/SCRIPT with --json; return (the JSON of its last line or None, its whole output)."""
    cmd = [PY, str(BENCH / script), *args, "--json"]
    try:
        result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"{script}: timed out after {timeout:.0f} s"
    output = result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]), output
    except (IndexError, json.JSONDecodeError):
        return None, output


def verdict(wall: float | None, cpu: float | None, limit: float) -> str:
    if wall is not None and wall <= limit:
        return "pass"
    if cpu is not None and cpu <= limit:
        return "pass (CPU)"
    return "FAIL" if wall is not None or cpu is not None else "n/a"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# --- startup ----------------------------------------------------------------------------------------


def startup(env: dict[str, str], runs: int) -> list[Row]:
    quiz = quiz_command()
    commands = {
        "python -c pass": [PY, "-c", "pass"],
        "quiz --help": [*quiz, "--help"],
        "quiz check decks/iss.yaml": [*quiz, "check", "decks/iss.yaml"],
    }
    for cmd in commands.values():  # compile bytecode once (into the temporary cache)
        timed_run(cmd, env)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():  # interleaved: the load of the moment hits all three alike
            w, c, _, code = timed_run(cmd, env)
            if code != 0:
                raise SystemExit(f"{name} exited {code}")
            wall[name].append(w)
            cpu[name].append(c)
    base_wall, base_cpu = statistics.median(wall["python -c pass"]), statistics.median(cpu["python -c pass"])
    rows = [Row("python -c pass (baseline)", ms(base_wall), ms(base_cpu), "1.0x", "", "",
                [f"min {ms(min(wall['python -c pass']))}"])]
    for name, limit in (("quiz --help", 6.0), ("quiz check decks/iss.yaml", 10.0)):
        w, c = statistics.median(wall[name]) / base_wall, statistics.median(cpu[name]) / base_cpu
        rows.append(Row(name, ms(statistics.median(wall[name])), ms(statistics.median(cpu[name])),
                        f"{w:.1f}x (CPU {c:.1f}x)", f"<= {limit:.0f}x", verdict(w, c, limit),
                        [f"min {ms(min(wall[name]))}"]))
    return rows


# --- first card -------------------------------------------------------------------------------------


def first_card(env: dict[str, str], runs: int) -> list[Row]:
    data, output = run_json("first_card.py", ["--runs", str(max(runs, 3))], env, timeout=600)
    if data is None:
        return [Row("first card on screen (quiz study decks/iss.yaml)", "error", verdict="n/a",
                    notes=[output.strip().splitlines()[-1] if output.strip() else "no output"])]
    warm = data["question_ms"][1:]  # the first run creates the database and compiles quiz's bytecode
    median = statistics.median(warm) / 1000
    return [Row("first card on screen (quiz study decks/iss.yaml)", ms(median), "",
                f"{median * 1000 / data['bare_python_ms']:.1f}x python in a pty", "<= 250 ms",
                verdict(median, None, 0.250),
                [f"first run {data['question_ms'][0]:.0f} ms (creates the database, compiles bytecode)",
                 f"input prompt ready {statistics.median(data['prompt_ms'][1:]):.0f} ms"])]


# --- answer latency ---------------------------------------------------------------------------------


def latency(env: dict[str, str], quick: bool) -> list[Row]:
    args = ["--answers", "500" if quick else "2000"]
    data, output = run_json("latency.py", args, env, timeout=1200)
    if data is None:
        return [Row("answer -> next card, 10k items / 1M reviews, p99", "error", verdict="n/a",
                    notes=[output.strip().splitlines()[-1] if output.strip() else "no output"])]
    total, total_cpu = data["total"] / 1000, data.get("total CPU", float("nan")) / 1000
    slow = max((k for k in ("grade", "schedule", "record", "pick") if k in data), key=lambda k: data[k])
    return [Row("answer -> next card, 10k items / 1M reviews, p99", f"{total * 1000:.2f} ms",
                f"{total_cpu * 1000:.2f} ms", "", "<= 10 ms", verdict(total, total_cpu, 0.010),
                [f"largest step p99: {slow} {data[slow]:.2f} ms"])]


# --- quiz check at scale, deck loading -------------------------------------------------------------


def check_scale(env: dict[str, str], runs: int) -> list[Row]:
    data, output = run_json("check_scale.py", ["--runs", str(runs)], env, timeout=1200)
    if data is None:
        return [Row("quiz check: 10k citations / 1k sources, citation phase", "error", verdict="n/a",
                    notes=[output.strip().splitlines()[-1] if output.strip() else "no output"])]
    wall, cpu = statistics.median(data["phase_s"]), statistics.median(data["phase_cpu_s"])
    e2e, e2e_cpu = statistics.median(data["end_to_end_s"]), statistics.median(data["end_to_end_cpu_s"])
    return [Row("quiz check: 10k citations / 1k sources, citation phase", f"{wall:.2f} s", f"{cpu:.2f} s", "",
                "<= 1.0 s", verdict(wall, cpu, 1.0),
                [f"whole `quiz check` run {e2e:.2f} s ({e2e_cpu:.2f} s CPU)"])]


def deck_load(env: dict[str, str], runs: int) -> list[Row]:
    data, output = run_json("deck_load.py", ["10000", str(runs)], env, timeout=600)
    if data is None:
        return [Row("load + validate a 10,000-card deck", "error", verdict="n/a",
                    notes=[output.strip().splitlines()[-1] if output.strip() else "no output"])]
    wall, cpu = statistics.median(data["wall_s"]), statistics.median(data["cpu_s"])
    return [Row("load + validate a 10,000-card deck", f"{wall:.2f} s", f"{cpu:.2f} s", "", "<= 0.5 s",
                verdict(wall, cpu, 0.5), [f"libyaml's events alone {statistics.median(data['libyaml_cpu_s']):.2f} s CPU"])]


# --- a big study fixture: 10,000-card deck, 1M-answer history ---------------------------------------


def build_fixture(root: Path, reviews: int) -> tuple[Path, Path]:
    """A 10,000-card deck (bench/deck_load.py's generator, all five card types) whose items have a
    REVIEWS-answer history (bench/latency.py's builder: 10% learning, the rest reviews due from 5 days ago
    to 60 days ahead). Returns (deck, database)."""
    sys.path[:0] = [str(BENCH), str(ROOT)]
    import random

    import deck_load as deck_bench  # bench/deck_load.py
    import latency as latency_bench  # bench/latency.py

    (root / "decks").mkdir()
    shutil.copytree(ROOT / "seeds", root / "seeds")  # the generated deck cites ../seeds
    deck = root / "decks" / "big.yaml"
    deck_bench.write_deck(deck, 10_000)
    # latency.py names its items card-00042; give the deck's cards the same ids so they share a history.
    text = re.sub(r"(?m)^  - id: card-(\d+)$", lambda m: f"  - id: card-{int(m[1]):05d}", deck.read_text())
    deck.write_text(text, encoding="utf-8")
    db = root / "quiz.db"
    latency_bench.build(db, 10_000, reviews, random.Random(1))
    return deck, db


# --- `quiz study` on the fixture: answer latency and peak memory ----------------------------------


def read_prompt(fd: int, buffer: bytearray, deadline: float) -> str:
    """Read the child's output until it waits for input (plain mode ends every prompt with "> " and
    flushes); return that last line. "" at end of output."""
    import select

    while not buffer.endswith(b"> "):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError("quiz study stopped answering")
        chunk = os.read(fd, 65536)
        if not chunk:
            return ""
        buffer += chunk
    prompt = buffer[buffer.rfind(b"\n") + 1:].decode("utf-8", "replace")
    buffer.clear()
    return prompt


def study_session(env: dict[str, str], deck: Path, db: Path, reviews: int, answers: int) -> list[Row]:
    """`quiz study --plain` on the fixture, one answer at a time through pipes, as a student would type
    them: the time from sending the rating to the next card's prompt (record, schedule, plan, show), from
    sending an answer to the rating prompt (grade, evidence), and the child's peak RSS (its own rusage)."""
    cmd = [*quiz_command(), "study", str(deck), "--plain", "--db", str(db), "--new", "100", "--reviews", "1000"]
    child = subprocess.Popen(cmd, cwd=deck.parent.parent, env=dict(env, QUIZ_NOW="2026-11-21T12:00:00+00:00"),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdin is not None and child.stdout is not None
    fd, buffer = child.stdout.fileno(), bytearray()
    next_card: list[float] = []
    feedback: list[float] = []
    deadline = time.monotonic() + 600
    started = time.perf_counter()
    prompt = read_prompt(fd, buffer, deadline)
    first_card = time.perf_counter() - started
    given = 0
    while prompt and given < answers:
        rating = prompt.startswith("rating")
        child.stdin.write(b"3\n" if rating else b"1\n")  # Good; "1" is an answer to every card type
        child.stdin.flush()
        sent = time.perf_counter()
        prompt = read_prompt(fd, buffer, deadline)
        (next_card if rating else feedback).append((time.perf_counter() - sent) * 1000)
        given += rating
    child.stdin.close()  # end of input ends the session normally
    while os.read(fd, 65536):
        pass
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or len(next_card) < 10:
        return [Row("quiz study on a 10k-card deck", "error", verdict="n/a",
                    notes=[f"exit {child.returncode}, {len(next_card)} cards answered"])]
    peak = usage.ru_maxrss / 1024
    _, _, bare_kib, _ = timed_run([PY, "-c", "import quiz.cli, quiz.session, quiz.grading, quiz.store, yaml"], env)

    def p99(samples: list[float]) -> float:
        return statistics.quantiles(sorted(samples), n=100, method="inclusive")[98]

    first_feedback = feedback.pop(0)  # the first answer imports the grader (rapidfuzz) and the scheduler
    scale = f"10k-card deck, {reviews:,}-answer history"
    return [
        Row(f"quiz study: rating -> next card on screen, p99 ({scale})", f"{p99(next_card):.1f} ms", "", "",
            "<= 10 ms", verdict(p99(next_card) / 1000, None, 0.010),
            [f"median {statistics.median(next_card):.1f} ms, max {max(next_card):.0f} ms, {len(next_card)} cards "
             "through pipes (--plain)"]),
        Row("quiz study: answer -> feedback and rating prompt, p99", f"{p99(feedback):.1f} ms", "", "", "<= 10 ms",
            verdict(p99(feedback) / 1000, None, 0.010),
            [f"median {statistics.median(feedback):.1f} ms; the first answer {first_feedback:.0f} ms (imports "
             f"grading and scheduling); first card {first_card * 1000:.0f} ms after start"]),
        Row(f"peak memory of that session ({scale})", f"{peak:.0f} MB", "", "", "<= 150 MB",
            "pass" if peak <= 150 else "FAIL", [f"python + the session's imports alone {bare_kib / 1024:.0f} MB"]),
    ]


def stats_at_scale(env: dict[str, str], deck: Path, db: Path, reviews: int) -> list[Row]:
    """`quiz stats` on the same fixture (no target: the issue sets none; recorded so it stays usable)."""
    cmd = [*quiz_command(), "stats", str(deck), "--db", str(db)]
    runs = [timed_run(cmd, dict(env, QUIZ_NOW="2026-11-21T12:00:00+00:00"), cwd=deck.parent.parent) for _ in range(3)]
    if any(status != 0 for *_, status in runs):
        return [Row("quiz stats at scale", "error", verdict="n/a", notes=["quiz stats failed"])]
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    return [Row(f"quiz stats, 10k-card deck, {reviews:,}-answer history", f"{wall:.2f} s", f"{cpu:.2f} s",
                verdict="info", notes=["whole command: load the deck, sum the log in SQLite, render"])]


def study_at_scale(env: dict[str, str], quick: bool) -> list[Row]:
    reviews = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        deck, db = build_fixture(Path(folder), reviews)
        rows = study_session(env, deck, db, reviews, 100 if quick else 300)
        return rows + stats_at_scale(env, deck, db, reviews)


# --- information rows (no target) -----------------------------------------------------------------


def info(env: dict[str, str]) -> list[Row]:
    rows = []
    data, output = run_json("grading_speed.py", [], env, timeout=600)
    if data is None:
        rows.append(Row("grading / exports", "error", notes=[output.strip().splitlines()[-1] if output else ""]))
    else:
        rows.append(Row("grade one typed answer (typical / hostile)",
                        f"{data['typical_us']:.0f} / {data['hostile_us']:.0f} us", verdict="info"))
        rows.append(Row("export 10,000 cards (csv / apkg)", f"{data['csv_s']:.2f} / {data['apkg_s']:.2f} s",
                        verdict="info"))
    # anki_parity has no --json: its exit status says whether its own target is met, and its output
    # names the share of identical intervals.
    cmd = [PY, str(BENCH / "anki_parity.py"), "--cards", "100"]
    try:
        result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        found = re.search(r"lowest, intervals <= 365 d\s+([\d.]+%)", result.stdout)
        rows.append(Row("Anki parity: identical intervals <= 365 d, lowest of 3 zones x 2 parameter sets "
                        "(100 histories each)", found[1] if found else "?", target=">= 99.95% (DST), 99.99%",
                        verdict="pass" if result.returncode == 0 else "FAIL"))
    except subprocess.TimeoutExpired:
        rows.append(Row("Anki parity", "timed out", verdict="n/a"))
    return rows


# --- the table --------------------------------------------------------------------------------------


def machine() -> list[str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True)
    return [
        f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}",
        f"Python {platform.python_version()} ({PY}), SQLite {sqlite3.sqlite_version}",
        f"commit {commit.stdout.strip() or '?'}{' + uncommitted changes in the tree' if dirty.stdout.strip() else ''}",
    ]


def table(rows: list[Row]) -> str:
    head = ("measure", "median (wall)", "CPU", "ratio", "target", "verdict", "notes")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        lines.append("| " + " | ".join((r.measure, r.value, r.cpu, r.ratio, r.target, r.verdict,
                                         "; ".join(r.notes))) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per startup command (others: fewer)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller history for latency/memory, skip grading/export and Anki parity")
    parser.add_argument("--json", type=Path, help="also write the rows and machine notes to this file")
    parser.add_argument("--only", action="append", metavar="STEP",
                        help="run only this step (repeatable): startup, first-card, latency, check-scale, deck-load, "
                             "study, info")
    args = parser.parse_args()
    started = datetime.now(timezone.utc)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        env = child_env(Path(folder) / "pycache")
        rows: list[Row] = []
        steps = {
            "startup": lambda: startup(env, args.runs),
            "first-card": lambda: first_card(env, max(3, args.runs // 2)),
            "latency": lambda: latency(env, args.quick),
            "check-scale": lambda: check_scale(env, 3),
            "deck-load": lambda: deck_load(env, 9),
            "study": lambda: study_at_scale(env, args.quick),
            "info": lambda: info(env),
        }
        if args.quick:
            del steps["info"]
        if args.only:
            unknown = set(args.only) - set(steps)
            if unknown:
                parser.error(f"unknown --only {', '.join(sorted(unknown))}; choose from {', '.join(steps)}")
            steps = {name: step for name, step in steps.items() if name in args.only}
        for name, step in steps.items():
            t0 = time.perf_counter()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            try:
                rows += step()
            except Exception as error:  # one broken benchmark must not hide the others' numbers
                rows.append(Row(name, "error", verdict="n/a", notes=[f"{type(error).__name__}: {error}"]))
            print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    notes = machine() + [
        f"run {started:%Y-%m-%d %H:%M} UTC, took {(datetime.now(timezone.utc) - started).total_seconds():.0f} s; load average "
        f"before {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f}, "
        f"after {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} (1/5/15 min)",
        f"command: {Path(PY).name} bench/run.py" + (f" --runs {args.runs}" if args.runs != 15 else "")
        + (" --quick" if args.quick else "") + "".join(f" --only {name}" for name in args.only or ()),
    ]
    print(table(rows))
    print()
    for note in notes:
        print(f"- {note}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [r.__dict__ for r in rows], "machine": notes}, indent=2) + "\n")


if __name__ == "__main__":
    main()
