"""Exam mode against the normal schedule: simulated students study the ISS deck daily before an exam.

    python bench/exam_sim.py [--students N] [--days D] [--seed S] [--deck decks/iss.yaml] [--json]

Each student has a true memory that follows FSRS-6 with parameters drawn around the `fsrs` package's
defaults (each weight times a log-normal factor, sigma 0.25 for the stability weights, 0.1 for difficulty,
0.15 for the decay; clipped to fsrs's bounds). The student studies every day at 18:00 (UTC) for the `D`
days before an exam held at 09:00 the day after, through quiz's real study session (`Session`'s step API,
a SQLite history, the default FSRS parameters, desired retention 0.9, --new 20), until nothing is left
that day. At each card the student recalls it with the true retrievability (fsrs's forgetting curve in
fractional days with the student's own parameters); a recalled card is rated Hard / Good / Easy with
probabilities 0.224 / 0.632 / 0.144, a forgotten one Again; the first sight of a new card is rated
Again / Hard / Good / Easy with 0.24 / 0.094 / 0.495 / 0.171 (the FSRS simulator's defaults). The true
memory state is updated by the student's FSRS after every answer.

Two arms per student, with the same student and the same random seed: normal schedule, and exam mode
(`StudyOptions.exam`). Reported per arm: the mean true recall of every item of the deck at the exam
instant (never introduced = 0), the expected score quiz predicted, and the answers spent (every rated
answer, learning steps included). Target: exam mode >= 0.90 mean true recall on exam day, ahead of the
normal schedule, at no more than 1.5x its answers.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UTC = timezone.utc
FIRST_RATING = (0.24, 0.094, 0.495, 0.171)  # Again, Hard, Good, Easy on first sight
RECALLED_RATING = (0.224, 0.632, 0.144)  # Hard, Good, Easy when recalled
ANSWER_SECONDS = 15


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t


def student_parameters(rng: random.Random) -> tuple[float, ...]:
    from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    drawn = []
    for index, (w, low, high) in enumerate(zip(DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)):
        sigma = 0.15 if index == 20 else 0.1 if 4 <= index <= 7 else 0.25
        drawn.append(min(high, max(low, w * math.exp(rng.gauss(0.0, sigma)))))
    return tuple(drawn)


@dataclass
class TrueMemory:
    """One student's real memory: FSRS-6 with the student's own parameters."""

    parameters: tuple[float, ...]

    def __post_init__(self) -> None:
        import fsrs

        self._fsrs = fsrs
        self._scheduler = fsrs.Scheduler(parameters=self.parameters, enable_fuzzing=False)
        decay = -self.parameters[20]
        self._decay = decay
        self._factor = 0.9 ** (1.0 / decay) - 1.0
        self.state: dict[tuple[str, int], tuple[float, float, datetime]] = {}  # key -> (S, D, last review)

    def recall(self, key: tuple[str, int], at: datetime) -> float:
        found = self.state.get(key)
        if found is None:
            return 0.0
        stability, _difficulty, last = found
        days = max(0.0, (at - last).total_seconds() / 86_400)
        return (1.0 + self._factor * days / stability) ** self._decay

    def update(self, key: tuple[str, int], rating: int, at: datetime) -> None:
        fsrs = self._fsrs
        found = self.state.get(key)
        if found is None:
            card = fsrs.Card(card_id=1, due=at)
        else:
            stability, difficulty, last = found
            card = fsrs.Card(card_id=1, state=fsrs.State.Review, step=None, stability=stability,
                             difficulty=difficulty, due=at, last_review=last)
        updated, _log = self._scheduler.review_card(card, fsrs.Rating(rating), at)
        self.state[key] = (float(updated.stability), float(updated.difficulty), at)


@dataclass
class ArmResult:
    true_recall: float
    expected_score: float
    answers: int
    introduced: int


def run_arm(deck, exam_mode: bool, parameters: tuple[float, ...], seed: int, days: int, start: datetime,
            exam: datetime, folder: Path) -> ArmResult:
    from quiz.exam import expected_score
    from quiz.model import CardType, Rating
    from quiz.scheduler import Scheduler, SchedulerConfig
    from quiz.session import Response, Session, StudyOptions
    from quiz.store import Store

    rng = random.Random(seed)
    memory = TrueMemory(parameters)
    options = StudyOptions(tz=UTC, new_limit=20, exam=exam if exam_mode else None)
    answers = 0
    path = folder / f"{'exam' if exam_mode else 'normal'}-{seed}.db"
    with Store(path) as store:
        for day in range(days):
            clock = Clock(start + timedelta(days=day))
            # The citations are not what is measured: every card's evidence is looked up as "found".
            session = Session([deck], store, clock, None, options, locate=lambda _deck, _citation: None)
            while (view := session.next_card()) is not None:
                key = (view.card.id, view.gap)
                clock.t += timedelta(seconds=ANSWER_SECONDS)
                if key not in memory.state:
                    rating = rng.choices((1, 2, 3, 4), FIRST_RATING)[0]
                elif rng.random() < memory.recall(key, clock.t):
                    rating = rng.choices((2, 3, 4), RECALLED_RATING)[0]
                else:
                    rating = 1
                expected = view.card.expected(view.gap)
                if view.kind is CardType.TRUEFALSE:
                    response = Response(expected, expected == "true")
                else:
                    response = Response(expected if rating > 1 else "")
                session.answer(response)
                outcome = session.act(Rating(rating))
                assert outcome.review is not None
                memory.update(key, rating, outcome.review.reviewed_at)
                answers += 1
        keys = [(card.id, gap) for card in deck.cards for gap in card.items]
        true_recall = sum(memory.recall(key, exam) for key in keys) / len(keys)
        predicted = expected_score(store.items(deck.id), keys, exam, Scheduler(SchedulerConfig(tz=UTC)).recall_after)
    return ArmResult(true_recall, predicted, answers, len(memory.state))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deck", type=Path, default=ROOT / "decks" / "iss.yaml")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from quiz.deck import load_deck

    deck = load_deck(args.deck)
    start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    exam = (start + timedelta(days=args.days)).replace(hour=9)
    results: dict[str, list[ArmResult]] = {"normal": [], "exam": []}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for student in range(args.students):
            seed = args.seed * 1_000_003 + student
            parameters = student_parameters(random.Random(seed))
            for arm in ("normal", "exam"):
                results[arm].append(run_arm(deck, arm == "exam", parameters, seed, args.days, start, exam, Path(tmp)))
    elapsed = time.perf_counter() - began

    summary = {}
    for arm, rows in results.items():
        summary[arm] = {
            "mean_true_recall": round(statistics.fmean(r.true_recall for r in rows), 4),
            "min_true_recall": round(min(r.true_recall for r in rows), 4),
            "mean_expected_score": round(statistics.fmean(r.expected_score for r in rows), 4),
            "mean_answers": round(statistics.fmean(r.answers for r in rows), 1),
            "all_introduced": all(r.introduced == sum(len(c.items) for c in deck.cards) for r in rows),
        }
    ratio = summary["exam"]["mean_answers"] / summary["normal"]["mean_answers"]
    ok = (summary["exam"]["mean_true_recall"] >= 0.90
          and summary["exam"]["mean_true_recall"] > summary["normal"]["mean_true_recall"] and ratio <= 1.5)
    report = {"students": args.students, "days": args.days, "seed": args.seed,
              "items": sum(len(c.items) for c in deck.cards), **summary,
              "answers_ratio": round(ratio, 3), "target_met": ok, "seconds": round(elapsed, 1)}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.students} students, {report['items']} items, {args.days} days of daily study before the exam")
        print(f"{'':8} {'true recall':>12} {'(lowest)':>9} {'predicted':>10} {'answers':>8}")
        for arm in ("normal", "exam"):
            s = summary[arm]
            print(f"{arm:8} {s['mean_true_recall']:>12.4f} {s['min_true_recall']:>9.4f} "
                  f"{s['mean_expected_score']:>10.4f} {s['mean_answers']:>8.1f}")
        print(f"exam/normal answers: {ratio:.2f}x; target (>= 0.90, ahead, <= 1.5x): {'met' if ok else 'NOT met'}"
              f" ({elapsed:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
