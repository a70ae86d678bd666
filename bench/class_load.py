"""A class on one PostgreSQL server: many students answering at once through the store API. Prints numbers.

    python bench/class_load.py [--students 300] [--seconds 120] [--pause 2] [--burst-seconds 20]
                               [--burst-students 16] [--json]
    python bench/class_load.py --students 20 --seconds 10 --burst-seconds 5     # a smoke run

Starts its own throwaway server (tests/pgserver.py: initdb in a temporary folder, Unix socket only,
fsync on, max_connections sized for the run), sets up a class with `quiz.classroom` and one login role per
student, and opens one `quiz.pgstore.PostgresStore` per student (one connection each, one thread each).

1. Paced: every student answers one card every PAUSE seconds (starts spread over the first PAUSE) for
   SECONDS: `record` (answer -> committed) then `due_items(limit=1)` (the next card ready). Reports p50,
   p99 and max of both and of their sum, errors, and lost answers = confirmed (record returned) minus
   stored (counted by the server's superuser afterwards; duplicates are reported too).
2. No pause: BURST_STUDENTS students answer back to back for BURST_SECONDS, twice: as configured
   (synchronous_commit on: each commit waits for its WAL flush) and with synchronous_commit off for those
   roles (no flush wait): the difference is the fsync's share. Where the time goes: client CPU
   (time.process_time of this process per answer), server CPU (the postgres processes' utime+stime from
   /proc per answer), WAL flushes (pg_stat_wal: syncs and their time, track_wal_io_timing on).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from quiz.model import ItemState, Review, State, Verdict  # noqa: E402

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def server_cpu_seconds(server) -> float:
    """utime + stime of every process of the server (its postmaster's children included)."""
    pid_file = server.base / "data" / "postmaster.pid"
    master = int(pid_file.read_text().split()[0])
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == master or ppid == master:
            total += int(fields[11]) + int(fields[12])
    return total / tick


class Student(threading.Thread):
    def __init__(self, url: str, number: int, until: float, pause: float, start_at: float) -> None:
        super().__init__(daemon=True)
        self.url, self.number, self.until, self.pause, self.start_at = url, number, until, pause, start_at
        self.commit_ms: list[float] = []
        self.next_ms: list[float] = []
        self.confirmed = 0
        self.errors: list[str] = []
        self.store = None

    def open(self) -> None:
        from quiz.pgstore import PostgresStore

        self.store = PostgresStore(self.url)

    def run(self) -> None:
        store = self.store
        n = 0
        next_at = self.start_at
        while True:
            if self.pause:
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_at += self.pause
            if time.monotonic() >= self.until:
                return
            n += 1
            at = T0 + timedelta(seconds=n)
            after = ItemState(State.REVIEW, None, 4.0, 5.0, at + timedelta(days=1 + n % 5), at, 1, 0)
            review = Review("bench", f"c{n}", 0, at, 3, Verdict.CORRECT, f"a{n}", 3000, ItemState(), after, 1.0)
            try:
                t0 = time.perf_counter()
                store.record(review)
                t1 = time.perf_counter()
                self.confirmed += 1
                store.due_items("bench", at + timedelta(days=2), limit=1)
                t2 = time.perf_counter()
            except Exception as error:  # noqa: BLE001 - counted and reported
                self.errors.append(f"{type(error).__name__}: {error}")
                continue
            self.commit_ms.append((t1 - t0) * 1000)
            self.next_ms.append((t2 - t1) * 1000)


def run_load(server, dbname: str, urls: list[str], seconds: float, pause: float) -> dict:
    students = [Student(url, i, 0, pause, 0) for i, url in enumerate(urls)]
    opened = time.perf_counter()
    for student in students:
        student.open()
    opened = time.perf_counter() - opened
    with server.admin(dbname) as admin:
        before = admin.execute("SELECT count(*) FROM quiz.reviews").fetchone()[0]
        wal0 = admin.execute("SELECT wal_sync, wal_sync_time FROM pg_stat_wal").fetchone()
    start = time.monotonic() + 0.5
    for student in students:
        student.start_at = start + (random.random() * pause if pause else 0)
        student.until = start + seconds
    cpu0, server0, wall0 = time.process_time(), server_cpu_seconds(server), time.monotonic()
    for student in students:
        student.start()
    for student in students:
        student.join()
    cpu, server_cpu, wall = (time.process_time() - cpu0, server_cpu_seconds(server) - server0,
                             time.monotonic() - max(wall0, start))
    with server.admin(dbname) as admin:
        stored, distinct = admin.execute("SELECT count(*), count(DISTINCT answer_id) FROM quiz.reviews").fetchone()
        wal1 = admin.execute("SELECT wal_sync, wal_sync_time FROM pg_stat_wal").fetchone()
    for student in students:
        student.store.close()
    commit = [v for s in students for v in s.commit_ms]
    ready = [v for s in students for v in s.next_ms]
    total = [a + b for s in students for a, b in zip(s.commit_ms, s.next_ms)]
    confirmed = sum(s.confirmed for s in students)
    answers = max(1, len(commit))
    errors = [e for s in students for e in s.errors]
    return {
        "students": len(urls), "seconds": seconds, "pause": pause, "connect_s": round(opened, 2),
        "answers": len(commit), "answers_per_s": round(len(commit) / wall, 1),
        "commit_p50_ms": round(percentile(commit, 0.5), 2), "commit_p99_ms": round(percentile(commit, 0.99), 2),
        "commit_max_ms": round(max(commit, default=float("nan")), 2),
        "next_p50_ms": round(percentile(ready, 0.5), 2), "next_p99_ms": round(percentile(ready, 0.99), 2),
        "total_p50_ms": round(percentile(total, 0.5), 2), "total_p99_ms": round(percentile(total, 0.99), 2),
        "errors": len(errors), "first_error": errors[0] if errors else None,
        "confirmed": confirmed, "stored": stored - before, "lost": confirmed - (stored - before),
        "duplicates": stored - distinct,
        "client_cpu_ms_per_answer": round(cpu * 1000 / answers, 3),
        "server_cpu_ms_per_answer": round(server_cpu * 1000 / answers, 3),
        "wal_syncs_per_answer": round((wal1[0] - wal0[0]) / answers, 3),
        "wal_sync_ms_per_answer": round((wal1[1] - wal0[1]) / answers, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--pause", type=float, default=2.0)
    parser.add_argument("--burst-seconds", type=float, default=20.0)
    parser.add_argument("--burst-students", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import shutil

    from pgserver import start_server

    from quiz import classroom
    from quiz.postgres import ServerUrl

    server = start_server(max_connections=args.students + 20, extra_settings=("track_wal_io_timing=on",))
    try:
        database = server.new_class_database()
        owner = ServerUrl(database.owner_url)
        classroom.init(owner)
        names = [f"s{n:04d}" for n in range(max(args.students, args.burst_students))]
        logins = classroom.add_logins(owner, names)
        urls = [login.url for login in logins]
        results = {"paced": run_load(server, database.name, urls[:args.students], args.seconds, args.pause)}
        if args.burst_seconds > 0:
            burst = urls[:args.burst_students]
            results["no_pause"] = run_load(server, database.name, burst, args.burst_seconds, 0)
            async_urls = [url + "&options=-c%20synchronous_commit%3Doff" for url in burst]
            results["no_pause_no_fsync_wait"] = run_load(server, database.name, async_urls, args.burst_seconds, 0)
        results["machine"] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0],
                              "server": str(server.bindir)}
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)
    if args.json:
        print(json.dumps(results))
        return
    for name, row in results.items():
        print(f"{name}:")
        for key, value in row.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
