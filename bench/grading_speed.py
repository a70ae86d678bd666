"""How long grading one typed answer takes, and how long exports of a large deck take.

Run: /work/venv/bin/python bench/grading_speed.py [--json]   (--json: also one JSON line, for bench/run.py)
Prints microseconds per grade for typical answers and for hostile ones (long text, huge numbers),
then seconds to export a 10,000-card deck as CSV and as an Anki package.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from quiz import interop
from quiz.model import Card, CardType, Citation, Deck, Mark
from quiz.grading import grade

TYPICAL = [
    ("Yury Borisov", "Yuri Borisov", ()),
    ("Borisov", "Yuri Borisov", ()),
    ("Decmber 1993", "December 1993", ("Dec 1993",)),
    ("2028", "after 2024", ("post-2024", "after the end of 2024")),
    ("Roscosmso", "Roscosmos", ("Roskosmos",)),
    ("$6 billion", "6 billion", ()),
    ("Intrnational Spce Staton", "International Space Station", ()),
    ("the Russian orbital station", "Russian Orbital Station", ("ROSS",)),
]
HOSTILE = [
    ("x" * 2_000, "Roscosmos", ()),
    ("1" * 5_000, "2024", ()),
    ("one " * 500, "1", ()),
]


def per_grade(cases, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for answer, expected, accept in cases:
            grade(answer, expected, accept)
    return (time.perf_counter() - start) / (rounds * len(cases)) * 1e6


def big_deck(n: int) -> Deck:
    mark = Mark(1, 1)
    cards = []
    for i in range(n):
        cite = (Citation("a.txt", f"quote number {i} with some words & <markup>", mark, mark),)
        if i % 5 == 4:
            cards.append(Card(f"c{i}", CardType.CLOZE, cite, mark, text=f"Gap {{{{one {i}}}}} and {{{{two::hint}}}}."))
        else:
            cards.append(Card(f"c{i}", CardType.TYPED, cite, mark, question=f"Question {i}?", answer=f"answer {i}",
                              accept=(f"alt {i}",), tags=("bench", "big deck")))
    return Deck("bench", "Bench deck", Path("bench.yaml"), Path("."), tuple(cards))


def main() -> None:
    grade("warm", "up")  # the first call imports rapidfuzz
    numbers = {"typical_us": per_grade(TYPICAL, 500), "hostile_us": per_grade(HOSTILE, 20)}
    print(f"grade, typical answers: {numbers['typical_us']:8.0f} us per answer")
    print(f"grade, hostile answers: {numbers['hostile_us']:8.0f} us per answer")
    deck = big_deck(10_000)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        interop.export_csv(deck, Path(folder) / "deck.csv")
        numbers["csv_s"] = time.perf_counter() - start
        print(f"export csv, 10,000 cards: {numbers['csv_s']:6.2f} s")
        start = time.perf_counter()
        interop.export_apkg(deck, Path(folder) / "deck.apkg", datetime(2026, 1, 1, tzinfo=timezone.utc))
        size = (Path(folder) / "deck.apkg").stat().st_size
        numbers["apkg_s"] = time.perf_counter() - start
        print(f"export apkg, 10,000 cards: {numbers['apkg_s']:6.2f} s ({size / 1e6:.1f} MB)")
    if "--json" in sys.argv[1:]:
        print(json.dumps(numbers))


if __name__ == "__main__":
    main()
