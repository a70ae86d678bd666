"""`quiz stats` against Anki's statistics on one history: the same 10,000 cards and 1,000,000 answers.

    python bench/stats_vs_anki.py                  # 1,000,000 answers; --reviews N, --runs N, --json
    python bench/stats_vs_anki.py --keep DIR       # build both histories in DIR once, reuse them after

Builds bench/run.py's fixture (a generated 10,000-card deck; bench/latency.py's history: one answer every
~95 s over three years, all to cards in review) as a quiz history, and the same cards and answers in an
Anki 26.9 collection: one note per card, the cards in review as quiz's items are, one revlog row per quiz
answer (same instant, card, rating, time taken), inserted through the collection's DB handle in one call.
Then, after a warm-up run of each, median of --runs (5), interleaved so a change of load hits all alike:

  quiz stats DECK --json                the whole command, a fresh process (deck cache warm, as on any
                                        second run)
  quiz stats DECK --json --days 365     the same, the answer totals of the last year only
  anki graphs, whole history            a fresh process: import anki, open the collection, `graphs(search=
                                        "deck:current", days=0)` (what the Stats screen draws), close
  anki graphs, one year                 the same with days=365, the Stats screen's default view
  and the two Anki calls in-process (the collection open, the call alone), and `answer_totals` + the
  computation in-process for quiz (the whole history, read as the command reads it).

Prints each time and the ratios quiz / Anki. Both fresh processes run with compiled bytecode (as
bench/run.py's children do).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(BENCH), str(ROOT)]

import latency  # noqa: E402  (bench/latency.py: the history's instants, cards and ratings)
import run as run_bench  # noqa: E402  (bench/run.py: the fixture, child environment, timing)

NOW = "2026-11-21T12:00:00+00:00"  # latency.NOW: the history's last day, as bench/run.py uses
ANKI_CALL = """
import sys, time
from anki.collection import Collection
col = Collection(sys.argv[1])
started = time.perf_counter()
col._backend.graphs(search="deck:current", days=int(sys.argv[2]))
print(time.perf_counter() - started)
col.close(downgrade=False)
"""


def build_anki(path: Path, cards: int, reviews: int) -> float:
    """An Anki collection holding the fixture's cards and answers; returns the seconds it took."""
    from anki.collection import AddNoteRequest, Collection

    started = time.perf_counter()
    col = Collection(str(path))
    notetype = col.models.by_name("Basic")
    deck_id = col.decks.id("Default")
    requests = []
    for n in range(cards):
        note = col.new_note(notetype)
        note["Front"] = f"card-{n:05d}"
        note["Back"] = "answer"
        requests.append(AddNoteRequest(note=note, deck_id=deck_id))
    col.add_notes(requests)
    card_ids = col.db.list("SELECT id FROM cards ORDER BY id")
    today = col.sched.today
    rng = random.Random(1)
    # In review as latency.build leaves quiz's items (90%; quiz's 10% in learning count as review here:
    # the graphs read the revlog for everything but the "card counts" and "future due" panels).
    col.db.executemany(
        "UPDATE cards SET type = 2, queue = 2, ivl = ?, due = ?, factor = 2500, reps = ?, lapses = 0 WHERE id = ?",
        [(rng.randint(1, 200), today + rng.randint(-5, 60), reviews // cards, cid) for cid in card_ids],
    )
    start = latency.ms(latency.NOW - latency.timedelta(days=3 * 365))
    step_ms = (latency.ms(latency.NOW) - start) // max(reviews, 1)
    rows = []
    for k in range(reviews):  # latency.build's answers, one for one
        at = start + k * step_ms
        rows.append((at, card_ids[k % cards], -1, 1 + k % 4, 3, 3, 2500, 4000 + k % 3000, 1))
    col.db.executemany("INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    col.close(downgrade=False)
    return time.perf_counter() - started


def fixtures(root: Path, reviews: int) -> tuple[Path, Path, Path]:
    """(deck, quiz database, Anki collection) in `root`: built there, or the ones a finished earlier build
    with as many answers left there (its `built.json` is written last, so a build cut short is not reused)."""
    marker = root / "built.json"
    deck, db, anki_path = root / "decks" / "big.yaml", root / "quiz.db", root / "anki" / "collection.anki2"
    if marker.exists() and json.loads(marker.read_text()) == {"reviews": reviews}:
        print(f"reusing the histories built in {root}", flush=True)
        return deck, db, anki_path
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise SystemExit(f"{root} holds something other than a finished build for --reviews {reviews}: "
                         "name an empty or new folder")
    began = time.perf_counter()
    deck, db = run_bench.build_fixture(root, reviews)
    built_quiz = time.perf_counter() - began
    anki_path.parent.mkdir()
    built_anki = build_anki(anki_path, 10_000, reviews)
    marker.write_text(json.dumps({"reviews": reviews}))
    print(f"built: quiz history {built_quiz:.1f} s, Anki collection {built_anki:.1f} s "
          f"({reviews:,} answers each)", flush=True)
    return deck, db, anki_path


def median_of(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="also print the numbers as one JSON line")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the two histories in DIR (an empty or new folder) and keep them; a later "
                             "run with the same DIR and --reviews reuses them (building takes minutes)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) if args.keep is None else args.keep.resolve()
        deck, db, anki_path = fixtures(root, args.reviews)

        pycache = root / "pycache"
        env = run_bench.child_env(pycache)
        env.update(QUIZ_NOW=NOW, QUIZ_CACHE_DIR=str(root / "cache"), QUIZ_DB=str(db))
        quiz = run_bench.quiz_command()
        commands = {
            "quiz stats": [*quiz, "stats", str(deck), "--json"],
            "quiz stats --days 365": [*quiz, "stats", str(deck), "--json", "--days", "365"],
            "anki whole history": [run_bench.PY, "-c", ANKI_CALL, str(anki_path), "0"],
            "anki one year": [run_bench.PY, "-c", ANKI_CALL, str(anki_path), "365"],
        }
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for run in range(args.runs + 1):  # run 0: the warm-up (bytecode, deck cache, page cache)
            for name, cmd in commands.items():
                seconds, cpu_seconds, _, status = run_bench.timed_run(cmd, env, cwd=root)
                if status != 0:
                    raise SystemExit(f"{name} failed (exit {status}): {' '.join(cmd)}")
                if run:
                    wall[name].append(seconds)
                    cpu[name].append(cpu_seconds)

        inproc = in_process(anki_path, deck, db, args.runs)

    result = {name: (median_of(wall[name]), median_of(cpu[name])) for name in commands}
    for name, (w, c) in result.items():
        print(f"{name:24} {w:6.2f} s wall  {c:6.2f} s CPU   (fresh process, median of {args.runs})")
    for name, seconds in inproc.items():
        print(f"{name:24} {seconds:6.2f} s       (in-process, median of {args.runs})")
    ratios = {
        "whole history": result["quiz stats"][0] / result["anki whole history"][0],
        "one year": result["quiz stats --days 365"][0] / result["anki one year"][0],
        "one year, quiz whole history": result["quiz stats"][0] / result["anki one year"][0],
        "whole history (CPU)": result["quiz stats"][1] / result["anki whole history"][1],
        "one year (CPU)": result["quiz stats --days 365"][1] / result["anki one year"][1],
    }
    for name, ratio in ratios.items():
        print(f"ratio quiz / Anki, {name}: {ratio:.2f}x")
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
          f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        print(json.dumps({"fresh": result, "in_process": inproc, "ratios": ratios}))


def in_process(anki_path: Path, deck: Path, db: Path, runs: int) -> dict[str, float]:
    """The Anki graphs call on an open collection, and quiz's read + compute on an open store, alone."""
    code = f"""
import statistics, sys, time, json
sys.path[:0] = [{str(ROOT)!r}]
from anki.collection import Collection
col = Collection({str(anki_path)!r})
times = {{}}
for days in (0, 365):
    samples = []
    for _ in range({runs} + 1):
        started = time.perf_counter()
        col._backend.graphs(search="deck:current", days=days)
        samples.append(time.perf_counter() - started)
    times[f"anki graphs, days={{days}}"] = statistics.median(samples[1:])
col.close(downgrade=False)
import gc
from datetime import datetime, timedelta
from quiz.deck_cache import load_deck_cached
from quiz.stats import MAX_ANSWER_SECONDS, SLOT_SECONDS, compute_stats, first_heatmap_day, next_day_start, DeckData
from quiz.store import Store
from quiz.scheduler import Scheduler, study_day, study_day_start
gc.disable()  # as `quiz stats` runs
now = datetime.fromisoformat({NOW!r})
deck = load_deck_cached({str(deck)!r})
samples = []
with Store({str(db)!r}, read_only=True) as store:
    for _ in range({runs} + 1):
        started = time.perf_counter()
        # The whole history as `quiz stats` reads it: the days before the heatmap summed per study day.
        today, first = study_day(now, None, 4), study_day(store.first_answer(deck.id), None, 4)
        day_starts = [study_day_start(first + timedelta(days=n), None, 4)
                      for n in range((first_heatmap_day(today) - first).days + 1)]
        totals = store.answer_totals(deck.id, next_day_start(now, None, 4), int(MAX_ANSWER_SECONDS * 1000),
                                     SLOT_SECONDS, None, day_starts)
        compute_stats([DeckData(deck, store.items(deck.id))], totals, now, None, Scheduler().retrievability)
        samples.append(time.perf_counter() - started)
times["quiz answer_totals + compute_stats"] = statistics.median(samples[1:])
print(json.dumps(times))
"""
    out = subprocess.run([run_bench.PY, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
