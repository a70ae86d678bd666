"""Measure `load_deck` on a generated 10,000-card deck (all five card types). Prints numbers; no asserts.

Usage: python bench/deck_load.py [CARDS] [RUNS] [--json]   (--json: also one JSON line, for bench/run.py)
The brief's budget is 0.5 s for 10,000 cards.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from quiz.deck import load_deck
from quiz.deck_cache import load_deck_cached

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def write_deck(path: Path, cards: int) -> None:
    lines = [
        "# yaml-language-server: $schema=../quiz/deck.schema.json",
        "id: bench",
        "title: Generated benchmark deck",
        "sources: ../seeds",
        "retention: 0.9",
        "cards:",
    ]
    cite = [
        "    cite:",
        "      - source: 003_21e2480842a6230d.txt",
        "        quote: Yuri Borissov replaced Dmitri Rogozin",
    ]
    for n in range(cards):
        kind = n % 5
        lines.append(f"  - id: card-{n}")
        if kind == 0:
            lines += ["    question: Who replaced Dmitry Rogozin as head of Roscosmos?",
                      "    answer: Yuri Borisov",
                      "    accept: [Yury Borisov, Yuri Borissov, Borisov]"]
        elif kind == 1:
            lines += ["    type: choice", "    question: What would the new station cost?",
                      "    answer: $6 billion",
                      "    choices: [$6 billion, $1 billion, $16 billion, $600 million]"]
        elif kind == 2:
            lines += ["    type: truefalse", "    question: NASA had received official notice.",
                      "    answer: false"]
        elif kind == 3:
            lines += ["    type: cloze",
                      "    text: Russia would leave the station {{after 2024}} and build the "
                      "{{Russian Orbital Station::name}}."]
        else:
            lines += ["    type: flip", "    question: Year the ISS's first module launched", "    answer: 1998"]
        lines += cite
        lines.append("    tags: [people, space]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    argv = [a for a in sys.argv[1:] if a != "--json"]
    cards = int(argv[0]) if len(argv) > 0 else 10_000
    runs = int(argv[1]) if len(argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        write_deck(path, cards)
        size = path.stat().st_size
        times, cpu_times = [], []
        for _ in range(runs):
            start, cpu_start = time.perf_counter(), time.process_time()
            deck = load_deck(path)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        assert len(deck.cards) == cards  # a sanity check of the benchmark itself, not a timing assert
        # The floor for any loader that keeps line:col through PyYAML: libyaml's events, nothing else.
        text = path.read_text(encoding="utf-8")
        floor = []
        for _ in range(runs):
            cpu_start = time.process_time()
            loader = Loader(text)
            while loader.get_event().__class__ is not yaml.StreamEndEvent:
                pass
            loader.dispose()
            floor.append(time.process_time() - cpu_start)
        # The parsed-deck cache (quiz/deck_cache.py) of `stats`/`study`/`report`: the first load parses and
        # writes the entry, the second reads it. A fresh cache folder each run.
        first, second = [], []
        for n in range(runs):
            os.environ["QUIZ_CACHE_DIR"] = str(Path(tmp) / f"cache{n}")
            for samples in (first, second):
                cpu_start = time.process_time()
                load_deck_cached(path)
                samples.append(time.process_time() - cpu_start)
    print(f"deck_load: {cards} cards, {size / 1024:.0f} KiB, {runs} runs")
    print(f"wall median {statistics.median(times):.3f} s  min {min(times):.3f} s  max {max(times):.3f} s  "
          f"(budget 0.500 s)")
    # CPU time is what the loader costs; wall time also counts whatever else the machine is doing.
    print(f"cpu  median {statistics.median(cpu_times):.3f} s  min {min(cpu_times):.3f} s")
    print(f"libyaml events alone (cpu): median {statistics.median(floor):.3f} s  min {min(floor):.3f} s")
    ratio = statistics.median(second) / statistics.median(first)
    print(f"deck cache (cpu): first load {statistics.median(first):.3f} s, second {statistics.median(second):.3f} s, "
          f"ratio {ratio:.2f}x (target <= 0.2x)")
    if "--json" in sys.argv[1:]:
        print(json.dumps({"cards": cards, "wall_s": times, "cpu_s": cpu_times, "libyaml_cpu_s": floor,
                          "cache_first_cpu_s": first, "cache_second_cpu_s": second}))


if __name__ == "__main__":
    main()
