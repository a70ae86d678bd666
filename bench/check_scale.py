"""How fast is `quiz check` on a big deck? Prints numbers; asserts nothing.

Generates, in a temporary folder, 1,000 source files of about 3 KB (news-like text with curly quotes,
dashes and line breaks) and a deck of 5,000 cards citing 10,000 quotes: about 88% verbatim, 8% that only
match after normalization (straight quotes, case, whitespace, an ellipsis) and 4% with a corrected typo
(missing, so the closest-passage search and the wrong-file search run). Then times:

- the citation phase alone, in-process: `locate` for every citation with a fresh `Sources` cache;
- `quiz check` end to end, as a subprocess (interpreter start, imports, loading, checking, rendering).

Targets on the development machine: citation phase <= 1.0 s, end to end <= 2.5 s.
Measured 2026-11-21 on the shared 2-core machine (load average 7-9 from other work, so wall times were
3-4x the CPU times): citation phase 0.57 s CPU (2.1 s wall), end to end 1.26 s CPU (5.0 s wall).
Run: /work/venv/bin/python bench/check_scale.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "the station space agency russia orbital module crew launch partner program official said would "
    "after before year month chief minister report according cosmonaut astronaut mission budget cost "
    "billion research science cooperation international decision withdraw build operate segment "
    "laboratory flight director spokesman statement meeting president tuesday july moscow washington "
    "european japanese canadian contract rocket capsule docking supply engine propulsion solar power"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        i = rng.randrange(len(words) - 3)
        words[i] = "“" + words[i]
        words[i + 2] = words[i + 2] + "”"
    if rng.random() < 0.2:
        words.insert(rng.randrange(1, len(words)), "—")
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = words[i] + "’s"
    return " ".join(words) + "."


def source_text(rng: random.Random, size: int = 3000) -> str:
    paragraphs, n = [], 0
    while n < size:
        para = " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
        paragraphs.append(para)
        n += len(para) + 2
    return "\n\n".join(paragraphs) + "\n"


def quote_from(rng: random.Random, text: str) -> str:
    """A verbatim span of 4-12 words from one paragraph."""
    para = rng.choice([p for p in text.split("\n") if p])
    words = para.split(" ")
    k = rng.randint(4, min(12, len(words)))
    i = rng.randrange(len(words) - k + 1)
    return " ".join(words[i : i + k])


def yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(root: Path, n_sources: int = 1000, n_cards: int = 5000, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    seeds = root / "sources"
    seeds.mkdir()
    texts = {}
    for i in range(n_sources):
        name = f"{i:04d}.txt"
        texts[name] = source_text(rng)
        (seeds / name).write_text(texts[name], encoding="utf-8")
    names = sorted(texts)
    kinds = {"exact": 0, "normalized": 0, "missing": 0}
    lines = ["title: Scale test", "sources: ../sources", "cards:"]
    for c in range(n_cards):
        lines += [f"  - id: card-{c}", f"    question: Question {c}?", "ANSWER", "    cite:"]
        answer_at = len(lines) - 2
        for k in range(2):
            name = rng.choice(names)
            quote = quote_from(rng, texts[name])
            r = rng.random()
            if r < 0.04 and any(len(w) > 4 for w in quote.split()):
                words = quote.split(" ")
                j = max(range(len(words)), key=lambda x: len(words[x]))
                words[j] = words[j][:2] + "x" + words[j][2:]  # a "corrected" (here: changed) word
                quote = " ".join(words)
                kinds["missing"] += 1
            elif r < 0.12:
                choice = rng.randrange(3)
                if choice == 0:
                    quote = quote.replace("“", '"').replace("”", '"').replace("’", "'").replace("—", "-")
                    quote = quote.upper() if quote == quote.replace('"', "") else quote
                elif choice == 1:
                    quote = quote.upper()
                else:
                    words = quote.split(" ")
                    if len(words) >= 8:
                        quote = " ".join(words[:3]) + " ... " + " ".join(words[-3:])
                    else:
                        quote = quote.upper()
                kinds["normalized"] += 1
            else:
                kinds["exact"] += 1
            lines += [f"      - source: {name}", f"        quote: {yaml_str(quote)}"]
            if k == 0:  # a typed card whose answer is a word of its first quote (the support check runs)
                lines[answer_at] = f"    answer: {yaml_str(quote.split()[-1].strip('.,“”'))}"
    (root / "decks").mkdir()
    (root / "decks" / "scale.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return kinds


def citation_phase(deck_path: Path) -> tuple[float, float, dict[str, int]]:
    """Wall and CPU seconds to locate every citation of the deck, as `quiz check` does it: each one
    located, then the misses explained in one batch (closest passage, other files containing it)."""
    from quiz.citations import Sources, explain_missing, locate
    from quiz.deck import load_deck

    deck = load_deck(deck_path)
    citations = [c for card in deck.cards for c in card.cite]
    t0, c0 = time.perf_counter(), time.process_time()
    sources = Sources(deck)
    located = [locate(sources, c, explain=False) for c in citations]
    misses = [(loc, c.quote) for loc, c in zip(located, citations) if loc.status == "missing"]
    explained = explain_missing(sources, misses)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert all(loc.closest is not None for loc in explained)
    counts: dict[str, int] = {}
    for loc in located:
        counts[loc.status] = counts.get(loc.status, 0) + 1
    return wall, cpu, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print the numbers as one JSON line (bench/run.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        planned = generate(root)
        print(f"generated 1000 sources and 10000 citations in {time.perf_counter() - t0:.2f} s; planned {planned}")
        deck = root / "decks" / "scale.yaml"
        phase, cpu = [], []
        for _ in range(args.runs):
            seconds, cpu_seconds, counts = citation_phase(deck)
            phase.append(seconds)
            cpu.append(cpu_seconds)
        print(f"located: {counts}")
        print(f"citation phase (in-process, {args.runs} runs): median {statistics.median(phase):.3f} s, "
              f"min {min(phase):.3f} s wall; min {min(cpu):.3f} s CPU   (target <= 1.0 s)")
        cpu_phase = cpu
        quiz = [sys.executable, "-m", "quiz", "check", str(deck)]
        wall, cpu = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            before = os.times()
            result = subprocess.run(quiz, cwd=root, capture_output=True, text=True)
            after = os.times()
            wall.append(time.perf_counter() - t0)
            cpu.append(after.children_user + after.children_system - before.children_user - before.children_system)
        print(f"quiz check end to end (subprocess, exit {result.returncode}, {args.runs} runs): "
              f"median {statistics.median(wall):.3f} s, min {min(wall):.3f} s wall; min {min(cpu):.3f} s CPU"
              "   (target <= 2.5 s)")
        print("(the machine's load average when measured:", ", ".join(f"{x:.2f}" for x in os.getloadavg()) + ")")
        print("first lines of its output:", *result.stdout.splitlines()[:1], sep="\n  ")
        if args.json:
            print(json.dumps({"phase_s": phase, "phase_cpu_s": cpu_phase, "end_to_end_s": wall, "end_to_end_cpu_s": cpu}))


if __name__ == "__main__":
    main()
