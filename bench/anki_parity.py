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

Simulated time: Anki takes "now" from the wall clock. It computes FSRS's days elapsed as
whole 86,400 s periods between the card's `last_review_time` and the next day rollover
(`timing.next_day_at.elapsed_days_since(last_review_time)`), so before each answer the card's
last review time is moved to the same distance before Anki's real next rollover as the simulated
last review is before the simulated next rollover. Anki then does its own day arithmetic on real
timestamps; nothing quiz computes is handed to it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def pick_rating(rng: random.Random, item: ItemState, recall: float) -> Rating:
    """A plausible student: struggles on new cards sometimes, forgets reviews as FSRS predicts."""
    if item.state in (State.NEW, State.LEARNING, State.RELEARNING):
        weights = (0.17, 0.10, 0.63, 0.10)
    else:
        if rng.random() > recall:
            return Rating.AGAIN
        weights = (0.0, 0.15, 0.70, 0.15)
    return rng.choices(list(Rating), weights=weights)[0]


def next_answer_time(rng: random.Random, item: ItemState, now: datetime) -> datetime:
    """When the student answers next: learning cards soon after due (sometimes the next day),
    reviews on their due day or a few days late, now and then long overdue or early."""
    assert item.due is not None
    if item.state in (State.LEARNING, State.RELEARNING):
        if rng.random() < 0.85:
            moment = item.due + timedelta(seconds=rng.randint(0, 30 * 60))
        else:
            moment = item.due + timedelta(hours=rng.uniform(6, 72))
    else:
        due_day = study_day(item.due, UTC, START_HOUR)
        ivl = (due_day - study_day(now, UTC, START_HOUR)).days
        roll = rng.random()
        if roll < 0.70:
            offset = rng.randint(0, 3)
        elif roll < 0.85:
            offset = rng.randint(0, max(1, ivl // 2))
        else:
            offset = -rng.randint(0, max(0, ivl // 3))
        day = due_day + timedelta(days=offset)
        moment = study_day_start(day, UTC, START_HOUR) + timedelta(seconds=rng.randint(0, 86_399))
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

    def __init__(self, retention: float, maximum_interval: int, fuzz: bool) -> None:
        self.sched = Scheduler(SchedulerConfig(
            desired_retention=retention, maximum_interval=maximum_interval, enable_fuzzing=fuzz,
            tz=UTC, start_hour=START_HOUR,
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


def run(cards: int, reviews: int, seed: int, retention: float, maximum_interval: int, fuzz: bool) -> int:
    from anki.scheduler_pb2 import CardAnswer
    from fsrs.scheduler import DEFAULT_PARAMETERS

    rng = random.Random(seed)
    quiz = QuizSide(retention, maximum_interval, fuzz)
    sched = quiz.sched
    workdir = tempfile.TemporaryDirectory(prefix="quiz-anki-parity-")  # honours TMPDIR
    col, deck_id = open_anki(os.path.join(workdir.name, "parity.anki2"), retention, list(DEFAULT_PARAMETERS),
                             maximum_interval)
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

    for index in range(cards):
        note = col.new_note(notetype)
        note["Front"], note["Back"] = f"q{index}", f"a{index}"
        col.add_note(note, deck_id)
        card_id = note.cards()[0].id
        item = ItemState()
        now = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 30 * 86_400))
        for answer in range(reviews):
            elapsed = 0
            if item.last_review is not None:
                # Place the Anki card's last review at the simulated distance before Anki's real rollover.
                sim_next_day = study_day_start(study_day(now, UTC, START_HOUR) + timedelta(days=1), UTC, START_HOUR)
                before_rollover = int(sim_next_day.timestamp()) - int(item.last_review.timestamp())
                elapsed = before_rollover // 86_400
                card = col.get_card(card_id)
                card.last_review_time = col.sched.day_cutoff - before_rollover
                col.update_card(card, skip_undo_entry=True)

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
                                               preview[rating].stability, stab_a))

            recall = sched.retrievability(item, now) if item.state == State.REVIEW else 1.0
            rating = pick_rating(rng, item, recall)
            col.sched.answer_card(CardAnswer(
                card_id=card_id,
                current_state=states.current,
                new_state=getattr(states, state_of[rating]),
                rating=buttons[rating],
                answered_at_millis=int(time.time() * 1000),
                milliseconds_taken=5000,
            ))
            item = preview[rating]
            answers += 1
            now = next_answer_time(rng, item, now)

    seconds = time.perf_counter() - started
    col.close()
    workdir.cleanup()

    def share(same: int, total: int) -> str:
        return f"{100.0 * same / total:7.3f}%  ({same}/{total})" if total else "   n/a"

    print(f"quiz vs Anki {_anki_version()} scheduler, FSRS-6 default parameters, retention {retention}, "
          f"maximum interval {maximum_interval} d, fuzz {'on (Anki seeds; quiz factor fitted)' if fuzz else 'off'}")
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
        print("  first mismatches (card, answer#, button, state before, days elapsed, quiz, anki, S quiz, S anki):")
        # Mismatches within a year first: those are the ones the target is about.
        mismatches.sort(key=lambda m: (not (m.anki.endswith("s") or int(m.anki[:-1]) <= 365),))
        for m in mismatches[:10]:
            print(f"    {m.card:4d} {m.answer:2d} {m.button:5s} {m.before:10s} {m.elapsed_days:4d}"
                  f"  quiz {m.quiz:>7s}  anki {m.anki:>7s}  S {m.quiz_stability:.4f} / {m.anki_stability:.4f}")
    target = 99.5
    ok = compared_365 and 100.0 * identical_365 / compared_365 >= target
    print(f"  target >= {target}% for intervals <= 365 d: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def _anki_version() -> str:
    try:
        from anki.buildinfo import version

        return version
    except Exception:  # pragma: no cover - only for the banner
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=300, help="number of simulated card histories")
    parser.add_argument("--reviews", type=int, default=10, help="answers per card")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the simulation")
    parser.add_argument("--retention", type=float, default=0.9, help="desired retention for both")
    parser.add_argument("--max-interval", type=int, default=36500, help="maximum interval in days for both")
    parser.add_argument("--fuzz", action="store_true",
                        help="leave Anki's fuzz on and check that one quiz fuzz factor reproduces its buttons")
    args = parser.parse_args()
    if args.fuzz:
        os.environ.pop("ANKI_TEST_MODE", None)  # Anki's fuzz must be on for this mode
    else:
        os.environ["ANKI_TEST_MODE"] = "1"  # before Anki's backend is created: turns its fuzz off
    return run(args.cards, args.reviews, args.seed, args.retention, args.max_interval, args.fuzz)


if __name__ == "__main__":
    raise SystemExit(main())
