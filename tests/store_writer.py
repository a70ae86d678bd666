"""Helper process for tests/test_durability.py: records answers and confirms each one after it is committed.

    python tests/store_writer.py DB --count N [--prefix P] [--deck D] [--profile NAME] [--wait]

Answer number i is `expected_review(prefix, i)`; after `Store.record` returns, the script prints
"confirmed i" (flushed), so a test can tell exactly which answers the program reported as saved.
With --wait it reads one line from stdin before opening the store, so several writers can be started
and then released at the same moment.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quiz.model import ItemState, Review, State  # noqa: E402
from quiz.store import Store  # noqa: E402

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
CARDS = 37  # answers cycle over this many cards, so items are updated again and again


def expected_review(prefix: str, i: int, deck: str = "deck") -> Review:
    """The i-th answer of a writer: deterministic, so the test can check every stored field."""
    at = T0 + timedelta(seconds=i)
    before = (
        ItemState()
        if i < CARDS
        else ItemState(State.REVIEW, None, 1.0 + i - CARDS, 5.0, at, at - timedelta(days=1), i // CARDS, 0)
    )
    after = ItemState(State.REVIEW, None, 1.0 + i, 5.0, at + timedelta(days=1 + i % 5), at, i // CARDS + 1, 0)
    return Review(
        deck=deck,
        card=f"{prefix}card-{i % CARDS}",
        gap=i % 3,
        reviewed_at=at,
        rating=1 + i % 4,
        verdict=("correct", "almost", "wrong", "self")[i % 4],
        answer=f"{prefix}answer {i}",
        duration_ms=i,
        before=before,
        after=after,
        interval_days=float(1 + i % 5),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--deck", default="deck")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--wait", action="store_true")
    args = parser.parse_args()
    if args.wait:
        sys.stdin.readline()
    with Store(args.db, args.profile) as store:
        for i in range(args.count):
            store.record(expected_review(args.prefix, i, args.deck))
            print(f"confirmed {i}", flush=True)


if __name__ == "__main__":
    main()
