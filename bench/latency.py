"""Latency from an answer to the next card being ready, on a big history. Prints numbers; asserts nothing.

    python bench/latency.py [--cards 10000] [--reviews 1000000] [--answers 2000] [--dir DIR]

Builds (in a temporary folder unless --dir) a database with a deck of CARDS review items and REVIEWS
logged answers (bulk insert: executemany in one transaction), then answers ANSWERS due cards one after
another, timing each step of the path the study session takes after an answer:

    grade      quiz.grading.grade of a typed answer (a plain normalization if quiz.grading is absent)
    schedule   quiz.scheduler.Scheduler.review (a fixed state if quiz.scheduler has no Scheduler)
    record     Store.record: one BEGIN IMMEDIATE transaction, committed (WAL, synchronous=FULL)
    pick       Store.due_items(deck, now, limit=1): the next due item of the deck in due order
    total      all four: the answer-to-next-card latency (target: p99 <= 10 ms)
    total CPU  the CPU time of those four steps (the rest is waiting: for the commit's fsync, or for the
               processor when the machine is busy)

It also times the reads the session's planner makes after each answer: Store.items of the whole deck
(served from memory after the first call), Store.answered_since, and Store.reviews since the start of the
study day (which grows with the answers of the day: here every answer of the run); and
Store.answered_keys, the cheaper way to learn which items were answered today.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quiz.model import ItemState, Rating, Review, State  # noqa: E402
from quiz.store import Store  # noqa: E402

DECK = "bench"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def build(path: Path, cards: int, reviews: int, rng: random.Random) -> tuple[float, float]:
    """Fill a new database; return the seconds it took (wall clock, CPU of this process)."""
    started, cpu = time.perf_counter(), time.process_time()
    Store(path).close()  # the schema, exactly as quiz creates it
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("BEGIN IMMEDIATE")
    profile_id = conn.execute("INSERT INTO profiles (name) VALUES ('default') RETURNING id").fetchone()[0]

    items = []
    for n in range(cards):
        last = NOW - timedelta(days=rng.uniform(0.5, 60))
        if n % 10 == 0:  # a few in (re)learning, due within the hour
            state, step, due = State.LEARNING, 0, NOW + timedelta(minutes=rng.uniform(-30, 30))
        else:
            state, step, due = State.REVIEW, None, NOW + timedelta(days=rng.uniform(-5, 60))
        items.append(
            (profile_id, DECK, f"card-{n:05d}", 0, int(state), step, rng.uniform(1, 200), rng.uniform(1, 10),
             ms(due), ms(last), rng.randint(1, 200), rng.randint(0, 5), 0, None)
        )
    conn.executemany(f"INSERT INTO items VALUES ({', '.join('?' * 14)})", items)

    start = ms(NOW - timedelta(days=3 * 365))
    step_ms = (ms(NOW) - start) // max(reviews, 1)
    columns = (
        "profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, duration_ms, interval_days, "
        "practice, override, before_state, before_step, before_stability, before_difficulty, before_due, "
        "before_last_review, before_reps, before_lapses, after_state, after_step, after_stability, "
        "after_difficulty, after_due, after_last_review, after_reps, after_lapses"
    )

    def rows():
        for k in range(reviews):
            at = start + k * step_ms
            rating = 1 + k % 4
            yield (
                profile_id, DECK, f"card-{k % cards:05d}", 0, at, rating,
                ("wrong", "almost", "correct", "self")[rating - 1], "an answer", 4000 + k % 3000,
                3.5, 0, 0,
                2, None, 10.0, 5.0, at, at - 86_400_000 * 3, k // cards, 0,
                2, None, 12.0, 5.1, at + 86_400_000 * 3, at, k // cards + 1, 0,
            )

    # Bulk load: drop the log's indexes and build them again afterwards (sorting once is much faster
    # than a million index insertions); their SQL comes from the file, so the schema stays quiz's own.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'reviews' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.executemany(f"INSERT INTO reviews ({columns}) VALUES ({', '.join('?' * 28)})", rows())
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started, time.process_time() - cpu


def grader():
    try:
        from quiz.grading import grade
    except ImportError:
        import unicodedata

        def normalized_equal(answer: str, expected: str) -> str:
            fold = lambda s: " ".join(unicodedata.normalize("NFKC", s).casefold().split())  # noqa: E731
            return "correct" if fold(answer) == fold(expected) else "wrong"

        return normalized_equal
    return lambda answer, expected: grade(answer, expected).verdict.value


def scheduler():
    try:
        from quiz.scheduler import Scheduler, item_seed
    except ImportError:
        fixed = ItemState(State.REVIEW, None, 10.0, 5.0, NOW + timedelta(days=10), NOW, 1, 0)
        return lambda item, rating, now, key: replace_due(fixed, now)
    sched = Scheduler()
    return lambda item, rating, now, key: sched.review(item, rating, now, item_seed(*key, item.reps))


def replace_due(state: ItemState, now: datetime) -> ItemState:
    from dataclasses import replace

    return replace(state, due=now + timedelta(days=10), last_review=now)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return f"p50 {q[49]:7.3f} ms   p99 {q[98]:7.3f} ms   max {ordered[-1]:7.3f} ms"


def measure(path: Path, answers: int, rng: random.Random) -> dict[str, list[float]]:
    grade, review = grader(), scheduler()
    typed = ["mitochondria", "the mitochondrion", "ribosome", "Mitochondrion", "golgi"]
    times: dict[str, list[float]] = {
        k: [] for k in ("grade", "schedule", "record", "pick", "total", "total CPU", "items", "answered_since",
                        "reviews today", "answered_keys")
    }
    now = NOW
    with Store(path) as store:
        picked = store.due_items(DECK, now, limit=1)
        for n in range(answers):
            if not picked:  # nothing due: the session would show a new card; answer one as new
                item = ItemState()
                card = f"new-{n}"
            else:
                item, card = picked[0].state, picked[0].card
            c0, t0 = time.thread_time(), time.perf_counter()
            verdict = grade(rng.choice(typed), "mitochondrion")
            t1 = time.perf_counter()
            rating = {"correct": Rating.GOOD, "almost": Rating.HARD}.get(verdict, Rating.AGAIN)
            after = review(item, rating, now, (DECK, card, 0))
            t2 = time.perf_counter()
            store.record(Review(
                deck=DECK, card=card, gap=0, reviewed_at=now, rating=int(rating), verdict=verdict,
                answer="mitochondria", duration_ms=4200, before=item, after=after,
                interval_days=(after.due - now) / timedelta(days=1) if after.due else 0.0,
            ))
            t3 = time.perf_counter()
            picked = store.due_items(DECK, now, limit=1)
            t4, c4 = time.perf_counter(), time.thread_time()
            for key, value in (("grade", t1 - t0), ("schedule", t2 - t1), ("record", t3 - t2),
                               ("pick", t4 - t3), ("total", t4 - t0), ("total CPU", c4 - c0)):
                times[key].append(value * 1000)
            if n % 10 == 0:  # slower: sampled
                day_start = NOW - timedelta(hours=8)
                t5 = time.perf_counter()
                store.items(DECK)
                t6 = time.perf_counter()
                store.answered_since(DECK, day_start)
                t7 = time.perf_counter()
                for _ in store.reviews(DECK, since=day_start):  # grows with the answers of the day
                    pass
                t8 = time.perf_counter()
                store.answered_keys(DECK, day_start)
                t9 = time.perf_counter()
                for key, value in (("items", t6 - t5), ("answered_since", t7 - t6), ("reviews today", t8 - t7),
                                   ("answered_keys", t9 - t8)):
                    times[key].append(value * 1000)
            now += timedelta(seconds=8)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--answers", type=int, default=2_000)
    parser.add_argument("--dir", type=Path, help="where to build the database (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="also print the numbers as one JSON line (bench/run.py)")
    args = parser.parse_args()
    rng = random.Random(20261121)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "bench.db"
        load = os.getloadavg()[0]
        print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
              f"load average {load:.1f} (numbers grow with the load)")
        seconds, cpu = build(path, args.cards, args.reviews, rng)
        size = path.stat().st_size / 1e6
        print(f"built {args.cards} items and {args.reviews} reviews in {seconds:.1f} s ({cpu:.1f} s CPU), "
              f"{size:.0f} MB, at {path}")
        times = measure(path, args.answers, rng)
        print(f"{args.answers} answers, answer -> next card ready:")
        for key in ("grade", "schedule", "record", "pick", "total", "total CPU"):
            print(f"  {key:9} {percentiles(times[key])}")
        target = "met" if sorted(times["total"])[int(0.99 * (len(times["total"]) - 1))] <= 10 else "MISSED"
        print(f"  target p99 <= 10 ms: {target}  (total minus total CPU is waiting, mostly for the disk to "
              "confirm each commit: synchronous=FULL)")
        print("the reads the session's planner makes after each answer (every 10th answer sampled):")
        for key in ("items", "answered_since", "reviews today", "answered_keys"):
            print(f"  {key:14} {percentiles(times[key])}")
        if args.json:
            print(json.dumps({key: statistics.quantiles(sorted(samples), n=100, method="inclusive")[98]
                              for key, samples in times.items() if len(samples) > 1} | {"percentile": 99}))


if __name__ == "__main__":
    main()
