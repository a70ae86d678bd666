"""Do quiz and Anki schedule the same review histories identically?

Runs random but realistic review histories (new cards, learning steps, reviews on time, late and
early, lapses) through quiz's scheduler and through Anki's own Rust scheduler (the `anki` package,
headless, FSRS on, same parameters / retention / steps / maximum interval, fuzz off) and prints the
share of identical intervals on all four answer buttons at every answer.

    python bench/anki_parity.py [--cards N] [--reviews R] [--seed S] [--retention 0.9]
                                [--max-interval 36500] [--fuzz]

Fuzz: Anki derives its fuzz factor from card id + reps unless `ANKI_TEST_MODE` is set
(rslib/src/scheduler/answering/mod.rs `get_fuzz_seed_for_id_and_reps` returns None under
`PYTHON_UNIT_TESTS`, which rslib/src/lib.rs reads from that variable), so this script sets it
before Anki's backend loads, and quiz runs with `enable_fuzzing=False`. With `--fuzz` Anki's fuzz
stays on (its factor comes from ChaCha12 seeded with the card id, which quiz does not copy); for
each answer the bench then searches the one fuzz factor with which quiz reproduces all four of
Anki's fuzzed buttons, which checks quiz's fuzz ranges and floors against Anki's. Anki's load
balancer (which moves fuzzed intervals towards quiet days of the whole collection) is switched off
in both modes: quiz has none.

Simulated time: Anki takes "now" from the wall clock and its day rollover from the process's time
zone (TZ). Each (time zone, parameters) run is a child process started with libfaketime preloaded
(`apt-get install libfaketime`), its fake clock set to each simulated answer's instant just before
Anki is asked, so Anki does all of its own day arithmetic, daylight-saving changes included, at the
simulated time; nothing quiz computes is handed to it. All histories advance together in time order
(Anki caches its day rollover until it passes, as a running Anki does).

    python bench/anki_parity.py [--zones UTC,Asia/Tokyo,Europe/Berlin] [--params default,custom]

Targets (intervals up to 365 days identical): >= 99.99% in UTC and zones without daylight saving,
>= 99.95% in zones with it, for default and custom parameters. The exit status is 0 when every run
meets its target.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import quiz.scheduler as scheduler_module  # noqa: E402
from quiz.model import ItemState, Rating, State  # noqa: E402
from quiz.scheduler import (  # noqa: E402
    Scheduler,
    SchedulerConfig,
    study_day,
    study_day_start,
)

UTC = timezone.utc
START_HOUR = 4
HORIZON = datetime(2200, 1, 1, tzinfo=UTC)
ZONES = ("UTC", "Asia/Tokyo", "Europe/Berlin")
# A non-default FSRS-6 parameter set, like one fitted to a learner who forgets faster (w20, the decay,
# twice the default), so the replay also checks the parameters path on both sides.
CUSTOM_PARAMETERS = (0.4, 0.9, 3.0, 10.5, 6.8, 0.6, 2.5, 0.005, 1.6, 0.14, 0.9, 1.7, 0.09, 0.31, 1.4,
                     0.4, 2.2, 0.6, 0.15, 0.08, 0.3)
LIBFAKETIME_PATHS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                     "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                     "/usr/lib/faketime/libfaketime.so.1", "/usr/local/lib/faketime/libfaketime.so.1")


@dataclass
class Mismatch:
    card: int
    answer: int
    button: str
    before: str
    elapsed_days: int
    quiz: str
    anki: str
    quiz_stability: float
    anki_stability: float
    at: datetime


def pick_rating(rng: random.Random, item: ItemState, recall: float) -> Rating:
    """A plausible student: struggles on new cards sometimes, forgets reviews as FSRS predicts."""
    if item.state in (State.NEW, State.LEARNING, State.RELEARNING):
        weights = (0.17, 0.10, 0.63, 0.10)
    else:
        if rng.random() > recall:
            return Rating.AGAIN
        weights = (0.0, 0.15, 0.70, 0.15)
    return rng.choices(list(Rating), weights=weights)[0]


def next_answer_time(rng: random.Random, item: ItemState, now: datetime, tz: tzinfo) -> datetime:
    """When the student answers next: learning cards soon after due (sometimes the next day),
    reviews on their due day or a few days late, now and then long overdue or early."""
    assert item.due is not None
    if item.state in (State.LEARNING, State.RELEARNING):
        if rng.random() < 0.85:
            moment = item.due + timedelta(seconds=rng.randint(0, 30 * 60))
        else:
            moment = item.due + timedelta(hours=rng.uniform(6, 72))
    else:
        due_day = study_day(item.due, tz, START_HOUR)
        ivl = (due_day - study_day(now, tz, START_HOUR)).days
        roll = rng.random()
        if roll < 0.70:
            offset = rng.randint(0, 3)
        elif roll < 0.85:
            offset = rng.randint(0, max(1, ivl // 2))
        else:
            offset = -rng.randint(0, max(0, ivl // 3))
        day = due_day + timedelta(days=offset)
        moment = study_day_start(day, tz, START_HOUR) + timedelta(seconds=rng.randint(0, 86_399))
    return max(moment, now + timedelta(seconds=1)).replace(microsecond=0)


def describe_anki(state) -> tuple[str, int, float]:
    """(kind, value, stability) of an Anki SchedulingState: ('d', days) or ('s', seconds)."""
    normal = state.normal
    kind = normal.WhichOneof("kind")
    if kind == "review":
        return "d", normal.review.scheduled_days, normal.review.memory_state.stability
    if kind == "learning":
        return "s", normal.learning.scheduled_secs, normal.learning.memory_state.stability
    if kind == "relearning":
        learning = normal.relearning.learning
        return "s", learning.scheduled_secs, learning.memory_state.stability
    raise ValueError(f"unexpected Anki state {state}")


def describe_quiz(sched: Scheduler, after: ItemState, now: datetime) -> tuple[str, int]:
    if after.state == State.REVIEW:
        return "d", sched.interval(after, now).days
    return "s", int(round((after.due - now).total_seconds()))


def fmt(kind: str, value: int) -> str:
    return f"{value}d" if kind == "d" else f"{value}s"


def open_anki(path: str, retention: float, params: list[float], maximum_interval: int):
    from anki.collection import Collection

    col = Collection(path)
    col.set_config("fsrs", True)
    # The load balancer moves fuzzed intervals towards days with fewer reviews in the whole
    # collection; quiz has no such thing, so it is off for the comparison.
    col.load_balancer_enabled = False
    deck_id = col.decks.id("parity")
    conf = col.decks.config_dict_for_deck_id(deck_id)
    conf["new"]["delays"] = [1.0, 10.0]
    conf["lapse"]["delays"] = [10.0]
    conf["rev"]["maxIvl"] = maximum_interval
    conf["desiredRetention"] = retention
    conf["fsrsParams6"] = params
    col.decks.update_config(conf)
    return col, deck_id


class QuizSide:
    """quiz's scheduler plus what the bench needs to line its fuzz up with Anki's."""

    # In --fuzz mode the seed passed to quiz encodes the fuzz factor directly (see `factor_seed`).
    SCALE = 2**53

    def __init__(self, retention: float, maximum_interval: int, fuzz: bool, tz: tzinfo,
                 parameters: tuple[float, ...] | None) -> None:
        self.sched = Scheduler(SchedulerConfig(
            desired_retention=retention, maximum_interval=maximum_interval, enable_fuzzing=fuzz,
            tz=tz, start_hour=START_HOUR, parameters=parameters,
        ))
        if fuzz:
            # Anki's factor comes from ChaCha seeded with card id + reps, quiz's from its own seed; to
            # compare the fuzz rules themselves, the bench picks quiz's factor to match Anki's.
            scheduler_module.fuzz_factor = lambda seed: seed / self.SCALE

    def factor_seed(self, factor: float) -> int:
        return int(factor * self.SCALE)

    def values(self, item: ItemState, memories, factor: float | None, now: datetime) -> dict[Rating, tuple[str, int]]:
        outcomes = self.sched._outcomes(item, memories, factor, now)
        return {rating: (("d", delay.days) if state == State.REVIEW else ("s", int(delay.total_seconds())))
                for rating, (state, _step, delay) in outcomes.items()}

    def matching_factor(self, item: ItemState, now: datetime, targets: dict[Rating, tuple[str, int]]) -> float | None:
        """A fuzz factor in [0, 1) for which quiz gives Anki's four intervals, or None. Each button's
        fuzzed interval is non-decreasing in the factor, so bisection finds each button's factor
        range and the ranges must overlap."""
        memories = self.sched._next_memories(item, now)
        low, high = 0.0, 1.0

        def first_factor(rating: Rating, beyond: int) -> float:
            # Smallest factor whose interval for `rating` exceeds `beyond` (1.0 if none).
            if self.values(item, memories, 0.0, now)[rating][1] > beyond:
                return 0.0
            lo, hi = 0.0, 1.0
            for _ in range(30):  # fuzz ranges are at most a few thousand days wide
                mid = (lo + hi) / 2
                if self.values(item, memories, mid, now)[rating][1] > beyond:
                    hi = mid
                else:
                    lo = mid
            return hi

        for rating, (kind, value) in targets.items():
            if kind != "d":
                continue
            low = max(low, first_factor(rating, value - 1))
            high = min(high, first_factor(rating, value))
        if low >= high:
            return None
        factor = (low + high) / 2
        return factor if self.values(item, memories, factor, now) == targets else None


class FakeClock:
    """libfaketime's clock, set through its timestamp file (re-read on every clock call)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.last = 0

    def set(self, moment: datetime) -> datetime:
        """Make the process's clock read `moment` (whole seconds, strictly after the last setting:
        libfaketime restarts its clock only when the setting changes). Returns the moment used."""
        stamp = max(int(moment.timestamp()), self.last + 1)
        self.last = stamp
        with open(self.path, "w") as handle:
            handle.write(f"@{stamp}\n")
        # A new setting restarts the fake clock a few microseconds *before* `stamp`; once it reads
        # `stamp` or later, every reading in the next second (Anki's answer takes milliseconds) is `stamp`.
        while time.time() < stamp:
            pass
        if int(time.time()) != stamp:
            raise SystemExit(f"Error: libfaketime did not set the clock to {stamp} (reads {time.time()})")
        return datetime.fromtimestamp(stamp, UTC)


def run(cards: int, reviews: int, seed: int, retention: float, maximum_interval: int, fuzz: bool,
        zone: str, params_name: str) -> dict:
    from anki.scheduler_pb2 import CardAnswer
    from fsrs.scheduler import DEFAULT_PARAMETERS

    tz = ZoneInfo(zone)
    parameters = CUSTOM_PARAMETERS if params_name == "custom" else None
    clock = FakeClock(os.environ["FAKETIME_TIMESTAMP_FILE"])
    rng = random.Random(seed)
    quiz = QuizSide(retention, maximum_interval, fuzz, tz, parameters)
    sched = quiz.sched
    workdir = tempfile.TemporaryDirectory(prefix="quiz-anki-parity-")  # honours TMPDIR
    first = datetime(2025, 1, 5, tzinfo=UTC)
    clock.set(first - timedelta(days=1))
    col, deck_id = open_anki(os.path.join(workdir.name, "parity.anki2"), retention,
                             list(parameters or DEFAULT_PARAMETERS), maximum_interval)
    notetype = col.models.by_name("Basic")
    buttons = {Rating.AGAIN: CardAnswer.AGAIN, Rating.HARD: CardAnswer.HARD,
               Rating.GOOD: CardAnswer.GOOD, Rating.EASY: CardAnswer.EASY}
    state_of = {Rating.AGAIN: "again", Rating.HARD: "hard", Rating.GOOD: "good", Rating.EASY: "easy"}

    compared = identical = 0
    compared_365 = identical_365 = 0
    compared_rev = identical_rev = 0
    fuzzed_answers = fuzz_matched = 0
    answers = 0
    mismatches: list[Mismatch] = []
    worst_stability = 0.0
    worst_pair = (0.0, 0.0)
    started = time.perf_counter()

    # Every history starts on a random day of one year (so answers fall in every season, on both sides
    # of each daylight-saving change) and all advance together in time order: Anki's clock only moves on.
    items: list[ItemState] = []
    card_ids: list[int] = []
    queue: list[tuple[datetime, int, int]] = []  # (when, card, answers given)
    for index in range(cards):
        note = col.new_note(notetype)
        note["Front"], note["Back"] = f"q{index}", f"a{index}"
        col.add_note(note, deck_id)
        card_ids.append(note.cards()[0].id)
        items.append(ItemState())
        start = first + timedelta(seconds=rng.randint(0, 365 * 86_400))
        queue.append((start, index, 0))
    heapq.heapify(queue)

    while queue:
        moment, index, answer = heapq.heappop(queue)
        now = clock.set(moment)
        item, card_id = items[index], card_ids[index]
        elapsed = scheduler_module._elapsed_days(item.last_review, now, tz, START_HOUR)
        states = col._backend.get_scheduling_states(card_id)
        anki = {rating: describe_anki(getattr(states, state_of[rating])) for rating in Rating}
        quiz_seed = 0
        if fuzz:
            fuzzed_answers += 1
            factor = quiz.matching_factor(item, now, {r: (k, v) for r, (k, v, _s) in anki.items()})
            fuzz_matched += factor is not None
            quiz_seed = quiz.factor_seed(factor if factor is not None else 0.5)
        preview = sched.preview(item, now, quiz_seed)
        for rating in Rating:
            kind_a, value_a, stab_a = anki[rating]
            kind_q, value_q = describe_quiz(sched, preview[rating], now)
            same = (kind_a, value_a) == (kind_q, value_q)
            compared += 1
            identical += same
            if kind_a == "s" or value_a <= 365:
                compared_365 += 1
                identical_365 += same
            if item.state == State.REVIEW and rating != Rating.AGAIN:
                compared_rev += 1
                identical_rev += same
            # Anki stores stability with 4 decimals (card data JSON); its preview shows the f32.
            stab_a = round(stab_a, 4)
            if stab_a:
                diff = abs(preview[rating].stability - stab_a) / stab_a
                if diff > worst_stability:
                    worst_stability, worst_pair = diff, (preview[rating].stability, stab_a)
            if not same:
                mismatches.append(Mismatch(index, answer, rating.name, item.state.name, elapsed,
                                           fmt(kind_q, value_q), fmt(kind_a, value_a),
                                           preview[rating].stability, stab_a, now.astimezone(tz)))

        recall = sched.retrievability(item, now) if item.state == State.REVIEW else 1.0
        rating = pick_rating(rng, item, recall)
        col.sched.answer_card(CardAnswer(
            card_id=card_id,
            current_state=states.current,
            new_state=getattr(states, state_of[rating]),
            rating=buttons[rating],
            answered_at_millis=int(now.timestamp()) * 1000,
            milliseconds_taken=5000,
        ))
        items[index] = item = preview[rating]
        answers += 1
        following = next_answer_time(rng, item, now, tz)
        # A history whose next answer is centuries away ends (the clock cannot go past 2262).
        if answer + 1 < reviews and following < HORIZON:
            heapq.heappush(queue, (following, index, answer + 1))

    seconds = time.perf_counter() - started
    col.close()
    workdir.cleanup()

    def share(same: int, total: int) -> str:
        return f"{100.0 * same / total:7.3f}%  ({same}/{total})" if total else "   n/a"

    target = target_for(zone)
    percent_365 = 100.0 * identical_365 / compared_365 if compared_365 else 0.0
    ok = bool(compared_365) and percent_365 >= target
    label = "custom (CUSTOM_PARAMETERS)" if parameters else "default"
    print(f"quiz vs Anki {_anki_version()} scheduler, time zone {zone}, FSRS-6 {label} parameters, "
          f"retention {retention}, maximum interval {maximum_interval} d, "
          f"fuzz {'on (Anki seeds; quiz factor fitted)' if fuzz else 'off'}")
    print(f"  histories                     {cards}")
    print(f"  reviews (answers)             {answers}")
    print(f"  compared intervals            {compared}  (4 buttons per answer)")
    print(f"  identical, intervals <= 365 d {share(identical_365, compared_365)}")
    print(f"  identical, all                {share(identical, compared)}")
    print(f"  identical, review H/G/E only  {share(identical_rev, compared_rev)}")
    if fuzz:
        print(f"  answers whose 4 fuzzed intervals one quiz fuzz factor reproduces {share(fuzz_matched, fuzzed_answers)}")
    print(f"  max relative stability diff   {worst_stability:.2e}  (quiz {worst_pair[0]:.4f} vs Anki {worst_pair[1]:.4f})")
    print(f"  time                          {seconds:.1f} s")
    if mismatches:
        print("  first mismatches (card, answer#, button, state before, days elapsed, quiz, anki, S quiz, S anki, local time):")
        # Mismatches within a year first: those are the ones the target is about.
        mismatches.sort(key=lambda m: (not (m.anki.endswith("s") or int(m.anki[:-1]) <= 365),))
        for m in mismatches[:10]:
            print(f"    {m.card:4d} {m.answer:2d} {m.button:5s} {m.before:10s} {m.elapsed_days:4d}"
                  f"  quiz {m.quiz:>7s}  anki {m.anki:>7s}  S {m.quiz_stability:.4f} / {m.anki_stability:.4f}"
                  f"  {m.at:%Y-%m-%d %H:%M %Z}")
    print(f"  target >= {target}% for intervals <= 365 d: {'met' if ok else 'NOT met'}")
    return {"zone": zone, "params": params_name, "answers": answers, "compared_365": compared_365,
            "identical_365": identical_365, "percent_365": percent_365, "compared": compared,
            "identical": identical, "target": target, "ok": ok}


def has_dst(zone: str) -> bool:
    tz = ZoneInfo(zone)
    return tz.utcoffset(datetime(2025, 1, 15)) != tz.utcoffset(datetime(2025, 7, 15))


def target_for(zone: str) -> float:
    # Anki caches its day rollover until it passes (set with the UTC offset of its first use that
    # day); quiz computes it afresh, so a few answers in the hours of a daylight-saving change may differ.
    return 99.95 if has_dst(zone) else 99.99


def find_libfaketime() -> str | None:
    candidates = [os.environ.get("QUIZ_LIBFAKETIME", ""), *LIBFAKETIME_PATHS]
    return next((path for path in candidates if path and os.path.exists(path)), None)


def _anki_version() -> str:
    try:
        from anki.buildinfo import version

        return version
    except Exception:  # pragma: no cover - only for the banner
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=300, help="number of simulated card histories per run")
    parser.add_argument("--reviews", type=int, default=10, help="answers per card")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the simulation")
    parser.add_argument("--retention", type=float, default=0.9, help="desired retention for both")
    parser.add_argument("--max-interval", type=int, default=36500, help="maximum interval in days for both")
    parser.add_argument("--fuzz", action="store_true",
                        help="leave Anki's fuzz on and check that one quiz fuzz factor reproduces its buttons")
    parser.add_argument("--zones", default=",".join(ZONES), help="comma-separated IANA time zones, one run each")
    parser.add_argument("--params", default="default,custom",
                        help="comma-separated parameter sets (default, custom), one run each per zone")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # zone/params of one run, under libfaketime
    args = parser.parse_args()
    if args.child:
        zone, params_name = args.child.split("|")
        result = run(args.cards, args.reviews, args.seed, args.retention, args.max_interval, args.fuzz,
                     zone, params_name)
        print("RESULT " + json.dumps(result))
        return 0

    library = find_libfaketime()
    if library is None:
        print("Error: libfaketime not found (apt-get install libfaketime, or set QUIZ_LIBFAKETIME)",
              file=sys.stderr)
        return 2
    zones = [zone.strip() for zone in args.zones.split(",") if zone.strip()]
    param_sets = [name.strip() for name in args.params.split(",") if name.strip()]
    for name in param_sets:
        if name not in ("default", "custom"):
            print(f"Error: --params: unknown parameter set {name!r} (default, custom)", file=sys.stderr)
            return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="quiz-anki-clock-") as clock_dir:
        for zone in zones:
            for name in param_sets:
                stamp_file = os.path.join(clock_dir, "now")
                Path(stamp_file).write_text("@1735689600\n")
                env = dict(os.environ, TZ=zone, LD_PRELOAD=library, FAKETIME_FMT="%s",
                           FAKETIME_TIMESTAMP_FILE=stamp_file, FAKETIME_NO_CACHE="1",
                           FAKETIME_DONT_FAKE_MONOTONIC="1")
                if args.fuzz:
                    env.pop("ANKI_TEST_MODE", None)  # Anki's fuzz must be on for this mode
                else:
                    env["ANKI_TEST_MODE"] = "1"  # before Anki's backend is created: turns its fuzz off
                cmd = [sys.executable, __file__, "--child", f"{zone}|{name}", "--cards", str(args.cards),
                       "--reviews", str(args.reviews), "--seed", str(args.seed), "--retention",
                       str(args.retention), "--max-interval", str(args.max_interval)]
                if args.fuzz:
                    cmd.append("--fuzz")
                child = subprocess.run(cmd, env=env, capture_output=True, text=True)
                lines = child.stdout.splitlines()
                print("\n".join(line for line in lines if not line.startswith("RESULT ")), flush=True)
                found = [json.loads(line[7:]) for line in lines if line.startswith("RESULT ")]
                if child.returncode != 0 or not found:
                    print(child.stderr, file=sys.stderr)
                    print(f"Error: the run for {zone} / {name} failed", file=sys.stderr)
                    return 1
                results.append(found[0])
    print()
    print("summary: identical intervals <= 365 d")
    for r in results:
        print(f"  {r['zone']:16s} {r['params']:8s} {r['percent_365']:8.3f}%  ({r['identical_365']}/{r['compared_365']})"
              f"  target >= {r['target']}%  {'met' if r['ok'] else 'NOT met'}")
    lowest = min(results, key=lambda r: r["percent_365"])
    print(f"lowest, intervals <= 365 d {lowest['percent_365']:.3f}%  ({lowest['zone']}, {lowest['params']})")
    if args.json:
        print(json.dumps({"runs": results}))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
