"""Bench: `quiz class report` on a class's term of daily study of the ISS deck.

    python bench/class_report.py                  # 30 students (~100,000 answers) and 300 (~1,000,000)
    python bench/class_report.py --students 30    # one size only
    python bench/class_report.py --keep DIR       # keep the generated databases (and the HTML pages) in DIR
    python bench/class_report.py --json           # also print the numbers as one JSON line

Targets: 30 students x the ISS deck x a term (about 100,000 answers): the whole command <= 1 s; 300 students
and 1,000,000 answers: <= 2 s (issue 19; the class report issue asked <= 5 s); the HTML page for 300 students
<= 2 MB.

The history is written straight into a quiz database in one transaction (the schema comes from
`quiz.store.Store`, which creates the file): per student a skill, per item a difficulty, a term of
`DAYS` study days from `TERM_START` on which each student answers about 37 items (new ones first, then the
ones due soonest), right with a probability from skill, difficulty and practice so far, wrong ones typed
from three misconceptions per item, 10% practice answers. Item states are what such a history leaves:
review items with a stability that grows with right answers. The report is then timed as a subprocess
(`quiz class report decks/iss.yaml --db DB`, median of 3) next to a same-run baseline (`python -c pass`,
and `quiz stats` of one student on the same file), and in-process (store reads + `build_report`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quiz.deck import load_deck  # noqa: E402
from quiz.store import Store  # noqa: E402

DECK = ROOT / "decks" / "iss.yaml"
TERM_START = datetime(2026, 9, 1, 15, 0, tzinfo=timezone.utc)
ANSWERS_PER_STUDENT = 3_450  # x 30 students ~ 100,000; x 300 ~ 1,000,000 (one in five gives up early)
DAYS = 100
MS = 1000


def build_class(db: Path, students: int, seed: int = 1) -> tuple[int, datetime]:
    """Write `students` profiles' term into `db`; returns (answers written, the instant the term ends)."""
    deck = load_deck(DECK)
    keys = [(card.id, gap) for card in deck.cards for gap in card.items]
    expected = {(card.id, gap): card.expected(gap) for card in deck.cards for gap in card.items}
    rng = random.Random(seed)
    difficulty = {key: rng.gauss(0.0, 1.0) for key in keys}
    pool = ["2028", "2030", "2025", "NASA", "Rogozin", "Putin", "1998", "Moscow", "the Soviet Union", "ESA", "10"]
    # Each item's misconceptions, the first the most common (choices by weight below).
    misconceptions = {key: rng.sample(pool, 3) for key in keys}
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)  # --keep DIR used before: a new history, not this one added to the old
    Store(db, "setup").close()  # the schema
    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute("DELETE FROM profiles")
    per_day = round(ANSWERS_PER_STUDENT / (DAYS * 0.9 * 0.94))  # one day in ten off; some give up
    end = TERM_START + timedelta(days=DAYS)
    written = 0
    review_sql = (
        "INSERT INTO reviews (profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, duration_ms, "
        "interval_days, practice, override, before_state, before_step, before_stability, before_difficulty, "
        "before_due, before_last_review, before_reps, before_lapses, after_state, after_step, after_stability, "
        "after_difficulty, after_due, after_last_review, after_reps, after_lapses) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, ?, 5.0, ?, ?, ?, ?, 2, NULL, ?, 5.0, ?, ?, ?, ?)"
    )
    item_sql = ("INSERT INTO items (profile_id, deck, card, gap, state, step, stability, difficulty, due, last_review, "
                "reps, lapses) VALUES (?, ?, ?, ?, 2, NULL, ?, 5.0, ?, ?, ?, ?)")
    for s in range(students):
        pid = conn.execute("INSERT INTO profiles (name) VALUES (?)", (f"student-{s:03d}",)).lastrowid
        skill = rng.gauss(0.6, 0.9)
        stop = DAYS if rng.random() < 0.8 else rng.randint(40, DAYS)  # one in five gives up during the term
        state: dict[tuple[str, int], list] = {}  # key -> [stability, last_ms, reps, lapses]
        order = list(keys)
        rows = []
        for day in range(DAYS):
            if rng.random() < 0.1 or day >= stop:
                continue  # a day off
            at = TERM_START + timedelta(days=day, minutes=rng.randint(0, 300))
            at_ms = int(at.timestamp() * MS)
            order.sort(key=lambda k: state[k][1] + state[k][0] * 86_400_000 if k in state else -1)  # due first
            for key in order[:per_day]:
                at_ms += rng.randint(4_000, 20_000)
                practice = rng.random() < 0.1
                chance = 1 / (1 + 2.718 ** -(skill - difficulty[key] + 0.15 * state.get(key, [0, 0, 0])[2]))
                right = rng.random() < chance
                before = state.get(key)
                stability = before[0] if before else None
                if practice:
                    after = before
                elif before is None:
                    after = [2.0 if right else 0.5, at_ms, 1, 0]
                else:
                    after = [min(20.0, max(0.2, before[0] * (1.8 if right else 0.3))), at_ms, before[2] + 1,
                             before[3] + (not right)]
                rows.append((
                    pid, deck.id, key[0], key[1], at_ms, 3 if right else 1, "correct" if right else "wrong",
                    expected[key] if right else rng.choices(misconceptions[key], (6, 3, 1))[0],
                    rng.randint(2_000, 30_000),
                    0.0 if practice else after[0], int(practice),
                    0 if before is None else 2, stability,
                    None if before is None else before[1] + int(before[0] * 86_400_000),
                    None if before is None else before[1], 0 if before is None else before[2],
                    0 if before is None else before[3],
                    (after or [1.0])[0], at_ms + int((after or [1.0])[0] * 86_400_000), at_ms,
                    (after or [0, 0, 1])[2], (after or [0, 0, 0, 0])[3],
                ))
                if not practice:
                    state[key] = after
        conn.executemany(review_sql, rows)
        written += len(rows)
        conn.executemany(item_sql, [(pid, deck.id, card, gap, st, last + int(st * 86_400_000), last, reps, lapses)
                                    for (card, gap), (st, last, reps, lapses) in state.items()])
    conn.execute("COMMIT")
    conn.close()
    return written, end


def _run(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; its output is thrown away (a pipe left unread would block it)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed: {err.read().decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(students: int, folder: Path) -> dict:
    db = folder / f"class-{students}.db"
    t0 = time.perf_counter()
    answers, end = build_class(db, students)
    built = time.perf_counter() - t0
    env = dict(os.environ, QUIZ_NOW=end.isoformat(), NO_COLOR="1", COLUMNS="80")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    quiz = [sys.executable, "-m", "quiz"]
    page = folder / f"class-{students}.html"
    _run([*quiz, "class", "report", str(DECK), "--db", str(db), "--html", str(page), "--force"], env)  # warm: bytecode
    runs = {"pass": [], "report": [], "stats": []}
    for _ in range(3):  # interleaved, so a change of load hits all alike
        runs["pass"].append(_run([sys.executable, "-c", "pass"], env))
        runs["report"].append(_run([*quiz, "class", "report", str(DECK), "--db", str(db)], env))
        runs["stats"].append(_run([*quiz, "stats", str(DECK), "--db", str(db), "--profile", "student-000"], env))
    # --force: the warm-up run wrote the page (and with --keep, so may an earlier run of this bench).
    with_html = _run([*quiz, "class", "report", str(DECK), "--db", str(db), "--html", str(page), "--json", "--force"],
                     env)

    from quiz.report import RETENTION_DAYS, build_report

    deck = load_deck(DECK)
    in_process = []
    for _ in range(3):  # what the command does between loading the deck and rendering
        t = time.perf_counter()
        with Store(db, "teacher", create=False) as store:
            summary = store.class_summary(deck.id, end - timedelta(days=RETENTION_DAYS), end)
            build_report(deck, summary, store.class_items(deck.id), store.profiles(), end)
        in_process.append(time.perf_counter() - t)

    def median(name: str, index: int) -> float:
        return statistics.median(r[index] for r in runs[name])

    return {
        "students": students,
        "answers": answers,
        "build_s": round(built, 2),
        "report_wall_s": round(median("report", 0), 3),
        "report_cpu_s": round(median("report", 1), 3),
        "report_html_json_wall_s": round(with_html[0], 3),
        "pass_wall_s": round(median("pass", 0), 3),
        "stats_wall_s": round(median("stats", 0), 3),
        "in_process_s": round(statistics.median(in_process), 3),
        "html_bytes": page.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, action="append", help="class size (repeatable; default 30 and 300)")
    parser.add_argument("--keep", type=Path, help="write the databases and pages here and keep them")
    parser.add_argument("--json", action="store_true", help="also print the numbers as one JSON line")
    args = parser.parse_args()
    sizes = args.students or [30, 300]
    targets = {30: 1.0, 300: 2.0}  # seconds; 300 students: issue 19 (the class report issue had 5 s)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = [measure(n, folder) for n in sizes]
    for r in results:
        target = targets.get(r["students"])
        verdict = "" if target is None else ("pass" if r["report_wall_s"] <= target else
                                             "pass (CPU)" if r["report_cpu_s"] <= target else "FAIL")
        print(f"{r['students']} students, {r['answers']:,} answers: quiz class report {r['report_wall_s']:.2f} s wall "
              f"({r['report_cpu_s']:.2f} s CPU; target {target or '-'} s: {verdict}); with --html --json "
              f"{r['report_html_json_wall_s']:.2f} s; in-process (read + compute) {r['in_process_s']:.2f} s; "
              f"HTML {r['html_bytes'] / 1e6:.2f} MB; baseline python -c pass {r['pass_wall_s'] * 1000:.0f} ms, quiz stats (one student) "
              f"{r['stats_wall_s']:.2f} s; history built in {r['build_s']:.1f} s")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
