"""The review history store: round trips, profiles, undo, flags, migrations and every failure a user can hit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.errors import StoreError, UsageError
from quiz.model import ItemRecord, ItemState, Review, State
from quiz.cli import default_db_path, default_profile
from quiz.store import APPLICATION_ID, SCHEMA_VERSION, Store

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
NEW = ItemState()


def learning(at: datetime, reps: int = 1) -> ItemState:
    return ItemState(State.LEARNING, 0, 2.3, 5.1, at + timedelta(minutes=10), at, reps, 0)


def reviewing(at: datetime, days: float, reps: int = 3, lapses: int = 0) -> ItemState:
    return ItemState(State.REVIEW, None, days, 4.2, at + timedelta(days=days), at, reps, lapses)


def answer(
    card: str,
    at: datetime,
    before: ItemState,
    after: ItemState,
    *,
    deck: str = "bio",
    gap: int = 0,
    rating: int = 3,
    verdict: str = "correct",
    practice: bool = False,
    override: bool = False,
) -> Review:
    interval = 0.0 if practice else (after.due - at) / timedelta(days=1)
    return Review(
        deck=deck,
        card=card,
        gap=gap,
        reviewed_at=at,
        rating=rating,
        verdict=verdict,
        answer=f"typed for {card}",
        duration_ms=1500,
        before=before,
        after=after,
        interval_days=interval,
        practice=practice,
        override=override,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "quiz.db"


@pytest.fixture
def store(db: Path):
    with Store(db) as s:
        yield s


# --- round trips ---------------------------------------------------------------------------------------

ms_times = st.integers(min_value=0, max_value=4_102_444_800_000).map(
    lambda ms: datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
# Every state quiz can write; reading refuses the rest as corrupt (test_corrupt_history_*).
stabilities = st.floats(min_value=0.0, max_value=1e6, exclude_min=True)
difficulties = st.floats(min_value=1.0, max_value=10.0)
item_states = st.builds(
    ItemState,
    state=st.just(State.NEW),
    step=st.none() | st.integers(0, 20),
    stability=st.none() | stabilities,
    difficulty=st.none() | difficulties,
    due=st.none() | ms_times,
    last_review=st.none() | ms_times,
    reps=st.integers(0, 10**6),
    lapses=st.integers(0, 10**6),
) | st.builds(
    ItemState,
    state=st.sampled_from([State.LEARNING, State.REVIEW, State.RELEARNING]),
    step=st.none() | st.integers(0, 20),
    stability=stabilities,
    difficulty=difficulties,
    due=ms_times,
    last_review=st.none() | ms_times,
    reps=st.integers(0, 10**6),
    lapses=st.integers(0, 10**6),
)
ids = st.text(min_size=1, max_size=40)
reviews = st.builds(
    Review,
    deck=ids,
    card=ids,
    gap=st.integers(0, 50),
    reviewed_at=ms_times,
    rating=st.integers(1, 4),
    verdict=st.sampled_from(["correct", "almost", "wrong", "self"]),
    answer=st.text(max_size=200),
    duration_ms=st.integers(0, 10**9),
    before=item_states,
    after=item_states,
    interval_days=finite,
    practice=st.booleans(),
    override=st.booleans(),
)


@pytest.fixture(scope="module")
def round_trip_stores(tmp_path_factory):
    """A writer and a second, independent connection to read back through; one file for every example
    (a deck id unique to each example keeps them apart)."""
    path = tmp_path_factory.mktemp("round-trip") / "quiz.db"
    with Store(path, "p") as writer, Store(path, "p") as reader:
        yield writer, reader, iter(range(10**9))


@settings(max_examples=120, deadline=None)
@given(review=reviews)
def test_review_and_item_state_round_trip(round_trip_stores, review: Review) -> None:
    writer, reader, counter = round_trip_stores
    review = replace(review, deck=f"{next(counter)}/{review.deck}")
    stored = writer.record(review)
    assert stored == replace(review, id=stored.id, profile="p")
    assert list(writer.reviews(review.deck)) == [stored]
    assert list(reader.reviews(review.deck)) == [stored]
    expected = {} if review.practice else {
        (review.card, review.gap): ItemRecord(review.deck, review.card, review.gap, review.after)
    }
    assert writer.items(review.deck) == expected
    assert reader.items(review.deck) == expected


def test_datetimes_are_stored_as_utc_milliseconds(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=paris)
    after = replace(learning(at), due=at + timedelta(minutes=10, microseconds=999))
    stored = store.record(answer("c1", at, NEW, after))
    assert stored.reviewed_at == datetime(2026, 3, 1, 9, 0, 0, 123000, tzinfo=timezone.utc)
    assert stored.reviewed_at.tzinfo is timezone.utc
    assert stored.after.due == datetime(2026, 3, 1, 9, 10, 0, 124000, tzinfo=timezone.utc)
    assert store.items("bio")[("c1", 0)].state == stored.after
    assert list(store.reviews()) == [stored]


def test_an_answer_with_undecodable_bytes_is_kept(store: Store) -> None:
    typed = b"caf\xe9 au lait".decode("utf-8", "surrogateescape")  # Latin-1 input in a UTF-8 terminal
    stored = store.record(replace(answer("c1", T0, NEW, learning(T0)), answer=typed))
    assert stored.answer == "caf\ufffd au lait"
    assert [r.answer for r in store.reviews()] == ["caf\ufffd au lait"]


def test_bad_reviews_are_refused_before_anything_is_written(store: Store) -> None:
    good = answer("c1", T0, NEW, learning(T0))
    for bad in (
        replace(good, rating=5),
        replace(good, rating=0),
        replace(good, verdict="meh"),
        replace(good, gap=-1),
        replace(good, duration_ms=-3),
        replace(good, card=""),
        replace(good, reviewed_at=T0.replace(tzinfo=None)),
        replace(good, interval_days=float("nan")),
        replace(good, after=replace(good.after, stability=float("nan"))),
    ):
        with pytest.raises(ValueError):
            store.record(bad)
    assert list(store.reviews()) == []
    assert store.items("bio") == {}


# --- profiles, ids, orphans ------------------------------------------------------------------------------


def test_profiles_are_kept_apart(db: Path) -> None:
    with Store(db, "ann") as ann, Store(db, "bob") as bob:
        assert ann.profiles() == []
        ann.record(answer("c1", T0, NEW, learning(T0)))
        bob.record(answer("c2", T0, NEW, learning(T0), rating=1, verdict="wrong"))
        bob.record(answer("c1", T0 + timedelta(seconds=5), NEW, learning(T0), rating=4))
        assert set(ann.items("bio")) == {("c1", 0)}
        assert set(bob.items("bio")) == {("c1", 0), ("c2", 0)}
        assert [r.card for r in ann.reviews()] == ["c1"]
        assert [(r.card, r.profile) for r in bob.reviews()] == [("c2", "bob"), ("c1", "bob")]
        assert ann.answered_since("bio", T0) == (1, 0)
        assert bob.answered_since("bio", T0) == (2, 0)
        assert ann.undo().card == "c1"  # ann's newest, not bob's newer one
        assert ann.undo() is None
        assert len(list(bob.reviews())) == 2
        assert ann.profiles() == bob.profiles() == ["ann", "bob"]
    with Store(db, "carol") as carol:
        assert carol.items("bio") == {} and list(carol.reviews()) == []
        assert carol.profiles() == ["ann", "bob"]  # only profiles with something stored


def test_empty_profile_name_is_a_usage_error(db: Path) -> None:
    with pytest.raises(UsageError):
        Store(db, "  ")


def test_history_is_keyed_by_ids_and_survives_card_removal(store: Store) -> None:
    store.record(answer("keep", T0, NEW, learning(T0)))
    store.record(answer("gone", T0, NEW, learning(T0)))
    store.record(answer("cloze", T0, NEW, learning(T0), gap=1))
    store.record(answer("cloze", T0, NEW, learning(T0), gap=3))
    store.record(answer("keep", T0, NEW, learning(T0), deck="other"))
    # The deck now has "keep" and a cloze card with two gaps; "gone" and gap 3 were removed.
    orphans = store.orphans("bio", {("keep", 0), ("cloze", 1), ("cloze", 2)})
    assert [(o.card, o.gap) for o in orphans] == [("cloze", 3), ("gone", 0)]
    assert all(isinstance(o, ItemRecord) and o.deck == "bio" for o in orphans)
    assert [r.card for r in store.reviews("bio")] == ["keep", "gone", "cloze", "cloze"]
    assert store.orphans("other", {("keep", 0)}) == []


# --- undo -------------------------------------------------------------------------------------------------


def test_undo_removes_exactly_the_newest_answer_again_and_again(store: Store) -> None:
    s1 = learning(T0)
    s2 = reviewing(T0 + timedelta(minutes=10), 3.0, reps=2)
    s3 = reviewing(T0 + timedelta(days=3), 9.5, reps=3)
    r1 = store.record(answer("c1", T0, NEW, s1))
    r2 = store.record(answer("c2", T0 + timedelta(minutes=1), NEW, s1))
    r3 = store.record(answer("c1", T0 + timedelta(minutes=10), s1, s2))
    r4 = store.record(answer("c1", T0 + timedelta(days=3), s2, s3))
    assert store.items("bio")[("c1", 0)].state == s3

    assert store.undo() == r4
    assert store.items("bio")[("c1", 0)].state == s2
    assert list(store.reviews()) == [r1, r2, r3]
    assert store.undo() == r3
    assert store.items("bio")[("c1", 0)].state == s1
    assert store.undo() == r2
    assert ("c2", 0) not in store.items("bio")  # back to never studied
    assert store.undo() == r1
    assert store.items("bio") == {}
    assert store.undo() is None
    assert list(store.reviews()) == []
    # Log ids are never reused after an undo.
    assert store.record(answer("c1", T0 + timedelta(days=4), NEW, s1)).id > r4.id


def test_undo_only_if_still_the_newest_answer(db: Path) -> None:
    with Store(db) as mine, Store(db) as other:
        ours = mine.record(answer("c1", T0, NEW, learning(T0)))
        theirs = other.record(answer("c2", T0 - timedelta(seconds=5), NEW, learning(T0)))  # skewed clock
        assert mine.undo("bio", if_newest=ours.id) is None  # another session answered since
        assert list(mine.reviews()) == [theirs, ours]
        assert set(mine.items("bio")) == {("c1", 0), ("c2", 0)}
        assert other.undo("bio", if_newest=theirs.id) == theirs
        assert mine.undo("bio", if_newest=ours.id) == ours
        assert mine.items("bio") == {}


def test_undo_within_a_deck(store: Store) -> None:
    a1 = store.record(answer("c1", T0, NEW, learning(T0), deck="a"))
    store.record(answer("c1", T0 + timedelta(seconds=1), NEW, learning(T0), deck="b"))
    assert store.undo("a") == a1
    assert store.items("a") == {}
    assert set(store.items("b")) == {("c1", 0)}
    assert store.undo("a") is None
    assert [r.deck for r in store.reviews()] == ["b"]


def test_undo_keeps_flags_and_practice_never_touches_the_item(store: Store) -> None:
    s1 = learning(T0)
    store.record(answer("c1", T0, NEW, s1))
    store.set_suspended("bio", "c1", True)
    store.record(answer("c1", T0 + timedelta(minutes=10), s1, reviewing(T0, 2.0)))
    practice = store.record(answer("c1", T0 + timedelta(minutes=11), s1, s1, practice=True))
    assert store.undo() == practice
    assert store.items("bio")[("c1", 0)].state == reviewing(T0, 2.0)
    store.undo()
    assert store.items("bio")[("c1", 0)] == ItemRecord("bio", "c1", 0, s1, suspended=True)
    store.undo()
    assert store.items("bio")[("c1", 0)] == ItemRecord("bio", "c1", 0, NEW, suspended=True)


def test_undo_of_an_answer_given_before_a_reset_keeps_the_reset(store: Store) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    store.reset("bio", "c1", T0 + timedelta(hours=1))
    undone = store.undo()
    assert undone is not None and undone.card == "c1"
    assert store.items("bio") == {}  # still NEW, as replaying the log would have it


# --- practice, suspend, bury, reset ----------------------------------------------------------------------


def test_practice_answers_are_logged_but_change_nothing(store: Store) -> None:
    s1 = learning(T0)
    store.record(answer("c1", T0, NEW, s1))
    store.record(answer("c1", T0 + timedelta(minutes=1), s1, s1, practice=True, rating=1, verdict="wrong"))
    store.record(answer("c2", T0 + timedelta(minutes=2), NEW, NEW, practice=True))
    assert store.items("bio") == {("c1", 0): ItemRecord("bio", "c1", 0, s1)}
    assert [(r.card, r.practice) for r in store.reviews()] == [("c1", False), ("c1", True), ("c2", True)]
    assert store.answered_since("bio", T0) == (1, 0)


def test_suspend_and_unsuspend_every_gap(store: Store) -> None:
    store.record(answer("cz", T0, NEW, learning(T0), gap=1))
    store.record(answer("cz", T0, NEW, learning(T0), gap=2))
    store.set_suspended("bio", "cz", True)
    assert [i.suspended for i in store.items("bio").values()] == [True, True]
    store.set_suspended("bio", "cz", False)
    assert [i.suspended for i in store.items("bio").values()] == [False, False]
    # A never-studied card: its items are stored as NEW with the flag, and dropped when it is lifted.
    store.set_suspended("bio", "fresh", True)
    store.set_suspended("bio", "fresh-cloze", True, gaps=[1, 2, 3])
    items = store.items("bio")
    assert items[("fresh", 0)] == ItemRecord("bio", "fresh", 0, NEW, suspended=True)
    assert [g for c, g in items if c == "fresh-cloze"] == [1, 2, 3]
    store.set_suspended("bio", "fresh", False)
    store.set_suspended("bio", "fresh-cloze", False)
    assert set(store.items("bio")) == {("cz", 1), ("cz", 2)}


def test_bury_whole_card_or_siblings(store: Store) -> None:
    tomorrow = T0 + timedelta(days=1)
    store.record(answer("cz", T0, NEW, learning(T0), gap=1))
    store.bury("bio", "cz", tomorrow, gaps=[2, 3])  # siblings of the gap just answered
    items = store.items("bio")
    assert items[("cz", 1)].buried_until is None
    assert items[("cz", 2)] == ItemRecord("bio", "cz", 2, NEW, buried_until=tomorrow)
    assert items[("cz", 3)].is_buried(T0) and not items[("cz", 3)].is_buried(tomorrow)
    store.bury("bio", "cz", tomorrow)  # every stored gap
    assert all(i.buried_until == tomorrow for i in store.items("bio").values())
    store.bury("bio", "cz", None)
    assert set(store.items("bio")) == {("cz", 1)}
    assert store.items("bio")[("cz", 1)].buried_until is None


def test_reset_back_to_new_keeps_history_and_is_logged(store: Store) -> None:
    s1 = learning(T0)
    s2 = reviewing(T0, 4.0, reps=2)
    store.record(answer("c1", T0, NEW, s1))
    r2 = store.record(answer("c1", T0 + timedelta(minutes=10), s1, s2))
    store.set_suspended("bio", "c1", True)
    store.bury("bio", "c1", T0 + timedelta(days=1))
    store.reset("bio", "c1", T0 + timedelta(hours=2))
    assert store.items("bio") == {("c1", 0): ItemRecord("bio", "c1", 0, NEW, suspended=True)}
    assert len(list(store.reviews("bio"))) == 2
    (event,) = store.resets("bio")
    assert (event.card, event.gap, event.before, event.log_position) == ("c1", 0, s2, r2.id)
    assert event.reset_at == T0 + timedelta(hours=2)
    store.reset("bio", "never-studied", T0)  # nothing stored: nothing to do
    assert len(store.resets()) == 1
    # After the reset the item is introduced again.
    store.record(answer("c1", T0 + timedelta(hours=3), NEW, s1))
    assert store.answered_since("bio", T0) == (2, 0)


def test_the_log_rebuilds_every_item(store: Store) -> None:
    """Replaying reviews in id order, with resets applied after their log position, gives `items`."""
    t = T0
    s1, s2 = learning(t), reviewing(t, 2.0, reps=2)
    store.record(answer("a", t, NEW, s1))
    store.record(answer("b", t, NEW, s1, gap=1))
    store.record(answer("a", t + timedelta(minutes=10), s1, s2))
    store.reset("bio", "a", t + timedelta(minutes=20))
    store.record(answer("a", t + timedelta(minutes=30), NEW, s1))
    store.record(answer("b", t + timedelta(minutes=31), s1, s1, practice=True))
    store.record(answer("c", t + timedelta(minutes=32), NEW, s1))
    store.undo()
    store.reset("bio", "b", t + timedelta(minutes=40))

    events = [(r.id, 0, r) for r in store.reviews("bio")] + [(e.log_position, 1, e) for e in store.resets("bio")]
    rebuilt: dict[tuple[str, int], ItemState] = {}
    for _, kind, event in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == 0 and not event.practice:
            rebuilt[(event.card, event.gap)] = event.after
        elif kind == 1:
            rebuilt[(event.card, event.gap)] = NEW
    stored = {key: item.state for key, item in store.items("bio").items()}
    assert {k: v for k, v in rebuilt.items() if v != NEW} == stored


# --- queries for the session and daily limits ---------------------------------------------------------------


def test_answered_since_counts_new_and_review_answers(store: Store) -> None:
    day = T0
    s1 = learning(day - timedelta(days=5))
    rv = reviewing(day - timedelta(days=5), 5.0)
    store.record(answer("old", day - timedelta(hours=1), NEW, s1))  # yesterday: not counted
    store.record(answer("n1", day, NEW, s1))  # new
    store.record(answer("n1", day + timedelta(minutes=10), s1, rv))  # learning step: neither
    store.record(answer("r1", day + timedelta(minutes=11), rv, rv))  # review
    store.record(answer("r2", day + timedelta(minutes=12), rv, s1, rating=1, verdict="wrong"))  # review (lapse)
    store.record(answer("r3", day + timedelta(minutes=13), rv, rv, practice=True))  # practice: neither
    store.record(answer("n2", day + timedelta(minutes=14), NEW, s1, deck="other"))  # other deck
    assert store.answered_since("bio", day) == (1, 2)
    assert store.answered_keys("bio", day) == {("n1", 0), ("r1", 0), ("r2", 0)}
    assert store.answered_keys("bio", day - timedelta(days=1)) == {("old", 0), ("n1", 0), ("r1", 0), ("r2", 0)}
    assert store.answered_keys("nothing", day) == set()
    assert store.answered_since("bio", day - timedelta(days=1)) == (2, 2)
    assert store.answered_since("other", day) == (1, 0)
    assert store.answered_since("nothing", day) == (0, 0)


def test_due_items_in_due_order_without_suspended_or_buried(store: Store) -> None:
    for n, days in enumerate([3.0, 1.0, 2.0, 10.0]):
        store.record(answer(f"c{n}", T0, NEW, reviewing(T0, days)))
    store.record(answer("learn", T0, NEW, learning(T0)))
    store.set_suspended("bio", "c2", True)
    store.bury("bio", "c0", T0 + timedelta(days=4))
    store.set_suspended("bio", "new-suspended", True)
    now = T0 + timedelta(days=3, hours=1)
    assert [i.card for i in store.due_items("bio", now)] == ["learn", "c1"]
    assert [i.card for i in store.due_items("bio", now, until=now + timedelta(days=20))] == ["learn", "c1", "c3"]
    assert [i.card for i in store.due_items("bio", T0 + timedelta(days=5))] == ["learn", "c1", "c0"]
    assert [i.card for i in store.due_items("bio", now, limit=1)] == ["learn"]
    assert store.due_items("other", now) == []


def test_reviews_since_and_by_deck_in_time_order(store: Store) -> None:
    store.record(answer("b", T0 + timedelta(hours=2), NEW, learning(T0)))
    store.record(answer("a", T0, NEW, learning(T0), deck="x"))  # recorded later, happened earlier
    store.record(answer("c", T0 + timedelta(hours=3), NEW, learning(T0)))
    assert [r.card for r in store.reviews()] == ["a", "b", "c"]
    assert [r.card for r in store.reviews("bio")] == ["b", "c"]
    assert [r.card for r in store.reviews(since=T0 + timedelta(hours=2))] == ["b", "c"]
    assert [r.card for r in store.reviews("x", since=T0 + timedelta(hours=1))] == []


# --- the file: location, creation, migration ---------------------------------------------------------------


def test_default_db_path_honours_quiz_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QUIZ_DB", str(tmp_path / "mine.db"))
    assert default_db_path() == tmp_path / "mine.db"
    monkeypatch.delenv("QUIZ_DB")
    assert default_db_path().name == "quiz.db" and default_db_path().parent.name == "quiz"
    monkeypatch.setenv("QUIZ_PROFILE", "ann")
    assert default_profile() == "ann"
    monkeypatch.delenv("QUIZ_PROFILE")
    assert default_profile() == "default"


def test_a_new_file_is_created_with_its_folders_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "quiz.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    strict = conn.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' AND strict").fetchall()
    assert {n for (n,) in strict} == {"profiles", "items", "reviews", "resets", "fsrs_parameters", "answer_slots",
                                      "item_answers", "wrong_answers"}
    conn.close()


def make_v1_database(path: Path) -> None:
    """A database as the first quiz version left it, with two profiles' data."""
    conn = sqlite3.connect(path)
    conn.executescript(files("quiz").joinpath("schema_v1.sql").read_text(encoding="utf-8"))
    ms = lambda dt: int(dt.timestamp() * 1000)  # noqa: E731
    due = ms(T0 + timedelta(days=3))
    conn.executemany(
        "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            ("ann", "bio", "c1", 2, None, 3.0, 5.5, due, ms(T0), 2, 0, 0),
            ("ann", "bio", "c2", 1, 0, 0.4, 6.0, due, ms(T0), 1, 0, 1),
            ("bob", "bio", "c1", 2, None, 3.0, 5.5, due, ms(T0), 2, 0, 0),
        ],
    )
    rows = []
    for n, (profile, card, before, after) in enumerate(
        [
            ("ann", "c1", (0, None, None, None, None, None, 0, 0), (1, 0, 0.4, 6.0, ms(T0), ms(T0), 1, 0)),
            ("ann", "c2", (0, None, None, None, None, None, 0, 0), (1, 0, 0.4, 6.0, due, ms(T0), 1, 0)),
            ("ann", "c1", (1, 0, 0.4, 6.0, ms(T0), ms(T0), 1, 0), (2, None, 3.0, 5.5, due, ms(T0), 2, 0)),
            ("bob", "c1", (0, None, None, None, None, None, 0, 0), (2, None, 3.0, 5.5, due, ms(T0), 2, 0)),
            ("eve", "c9", (0, None, None, None, None, None, 0, 0), (1, 0, 0.4, 6.0, due, ms(T0), 1, 0)),
        ],
        start=1,
    ):
        rows.append((n * 10, profile, "bio", card, ms(T0) + n, 3, "correct", f"answer {n}", 900, 3.0) + before + after)
    conn.executemany(f"INSERT INTO reviews VALUES ({','.join('?' * 26)})", rows)
    conn.commit()
    conn.close()


def test_a_v1_database_is_migrated_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "quiz.db"
    make_v1_database(path)
    with Store(path, "ann") as ann:
        items = ann.items("bio")
        assert set(items) == {("c1", 0), ("c2", 0)}
        assert items[("c1", 0)].state == ItemState(
            State.REVIEW, None, 3.0, 5.5, T0 + timedelta(days=3), T0, 2, 0
        )
        assert items[("c2", 0)].suspended and items[("c2", 0)].state.step == 0
        log = list(ann.reviews())
        assert [(r.id, r.card, r.answer, r.gap, r.practice, r.override) for r in log] == [
            (10, "c1", "answer 1", 0, False, False),
            (20, "c2", "answer 2", 0, False, False),
            (30, "c1", "answer 3", 0, False, False),
        ]
        assert log[2].before.state == State.LEARNING and log[2].after.due == T0 + timedelta(days=3)
        assert ann.profiles() == ["ann", "bob", "eve"]
        # The migrated file works like a new one, and log ids keep growing.
        new = ann.record(answer("c3", T0 + timedelta(days=1), NEW, learning(T0)))
        assert new.id > 50
        assert ann.undo() == new
    with Store(path, "bob") as bob:
        assert [r.answer for r in bob.reviews()] == ["answer 4"]
    backup = tmp_path / "quiz.db.bak-v1"
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 5
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 3
    conn.close()
    assert not list(tmp_path.glob("*.partial"))


def schema_of(path: Path) -> dict:
    conn = sqlite3.connect(path)
    shape = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"):
        shape[table] = (
            conn.execute(f"SELECT * FROM pragma_table_info('{table}')").fetchall(),
            sorted(conn.execute(f"SELECT name, \"unique\" FROM pragma_index_list('{table}')").fetchall()),
            conn.execute(f"SELECT * FROM pragma_foreign_key_list('{table}')").fetchall(),
            conn.execute(f"SELECT strict, wr FROM pragma_table_list('{table}')").fetchall(),
        )
    for (index,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"):
        shape[index] = conn.execute(f"SELECT * FROM pragma_index_info('{index}')").fetchall()
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'"):
        shape[name] = sql
    conn.close()
    return shape


def test_a_migrated_database_has_exactly_the_current_schema(tmp_path: Path) -> None:
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    make_v1_database(old)
    Store(old).close()
    Store(fresh).close()
    assert schema_of(old) == schema_of(fresh)


TOTALS_TRIGGERS = ("reviews_add_to_totals", "reviews_remove_from_totals", "reviews_move_in_totals")


def drop_class_totals(conn: sqlite3.Connection) -> None:
    """Take a database back to what version 4 left: running totals for `quiz stats` only, kept by
    version 4's triggers."""
    from quiz.store import _statements

    for trigger in TOTALS_TRIGGERS:
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE wrong_answers")
    for column in ("review_answers", "lapses", "first_at", "first_id", "first_correct", "durations"):
        conn.execute(f"ALTER TABLE item_answers DROP COLUMN {column}")
    for statement in _statements(files("quiz").joinpath("migrate_v3_to_v4.sql").read_text(encoding="utf-8")):
        if "CREATE TRIGGER" in statement:
            conn.execute(statement)


def drop_running_totals(conn: sqlite3.Connection) -> None:
    """Take a database back to what version 3 left: no running totals of the log."""
    for trigger in TOTALS_TRIGGERS:
        conn.execute(f"DROP TRIGGER {trigger}")
    for table in ("answer_slots", "item_answers", "wrong_answers"):
        conn.execute(f"DROP TABLE {table}")


def test_a_v2_database_gains_the_fsrs_parameters_table_and_keeps_its_answers(tmp_path: Path) -> None:
    from quiz.model import FsrsParameters

    path = tmp_path / "quiz.db"
    with Store(path, "ann") as ann:
        ann.record(answer("c1", T0, NEW, learning(T0)))
    conn = sqlite3.connect(path)  # what version 2 left: no fsrs_parameters table, no running totals
    conn.execute("DROP TABLE fsrs_parameters")
    drop_running_totals(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    from fsrs.scheduler import DEFAULT_PARAMETERS  # a set fsrs accepts (quiz refuses to read any other)

    fitted = FsrsParameters((0.5, *DEFAULT_PARAMETERS[1:]), T0, 10, 0.3, 0.04, 0.35, 0.05)
    with Store(path, "ann") as ann:
        assert [r.card for r in ann.reviews()] == ["c1"]
        assert ann.fsrs_parameters() is None
        ann.save_fsrs_parameters(fitted)
    with Store(path, "ann") as ann:
        assert ann.fsrs_parameters() == fitted
    assert (tmp_path / "quiz.db.bak-v2").exists()
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()
    assert schema_of(path) == schema_of(fresh)


def running_totals(path: Path) -> tuple[list, list, list]:
    """The rows of the three running-total tables, sorted; an item's durations (kept in no order) as the
    sorted tuple of the numbers in them."""
    conn = sqlite3.connect(path)
    slots = conn.execute("SELECT * FROM answer_slots ORDER BY profile_id, deck, slot").fetchall()
    items = [row[:-1] + (tuple(sorted(int(d) for d in row[-1].split(",") if d)),)
             for row in conn.execute("SELECT * FROM item_answers ORDER BY profile_id, deck, card, gap")]
    wrong = conn.execute("SELECT * FROM wrong_answers ORDER BY profile_id, deck, card, gap, answer").fetchall()
    conn.close()
    return slots, items, wrong


def totals_of_the_log(path: Path) -> tuple[list, list, list]:
    """The running totals rebuilt in Python from the log as `Store.reviews` reads it (in time order,
    then log order), one profile after the other: what `running_totals` must always equal."""
    import math

    from quiz.model import is_correct

    conn = sqlite3.connect(path)
    pids = dict(conn.execute("SELECT name, id FROM profiles").fetchall())
    conn.close()
    slots: dict[tuple, list[int]] = {}
    items: dict[tuple, list] = {}
    wrong: dict[tuple, int] = {}
    for name, pid in pids.items():
        with Store(path, name) as reader:
            for r in reader.reviews():
                at_ms = (r.reviewed_at - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
                row = slots.setdefault((pid, r.deck, math.floor(at_ms / 900_000)), [0, 0, 0, 0])
                graded = not r.practice and r.before.state == State.REVIEW
                row[0] += 1
                row[1] += min(r.duration_ms, 60_000)
                row[2] += graded
                row[3] += graded and r.rating >= 2
                # answers, graded, correct, review answers, lapses, first attempt: time, id, correct, durations
                item = items.setdefault((pid, r.deck, r.card, r.gap), [0, 0, 0, 0, 0, None, None, None, ()])
                correct = is_correct(r.verdict, r.rating)
                item[0] += 1
                item[1] += not r.practice
                item[2] += not r.practice and correct
                item[3] += graded
                item[4] += graded and r.rating == 1
                if not r.practice and item[5] is None:
                    item[5:8] = [at_ms, r.id, int(correct)]
                if not r.practice:
                    item[8] = tuple(sorted(item[8] + (r.duration_ms,)))
                if not r.practice and not correct and r.answer:
                    key = (pid, r.deck, r.card, r.gap, r.answer)
                    wrong[key] = wrong.get(key, 0) + 1
    return ([key + tuple(v) for key, v in sorted(slots.items())],
            [key + tuple(v) for key, v in sorted(items.items())],
            [(deck, card, gap, text, pid, n) for (pid, deck, card, gap, text), n in sorted(wrong.items())])


@pytest.mark.parametrize("seed", range(3))
def test_the_running_totals_equal_the_log_through_any_mix_of_answers_and_undos(tmp_path: Path, seed: int) -> None:
    """answer_slots, item_answers (with each item's first attempt) and wrong_answers are kept by triggers
    in the transaction of each answer and undo: after random answers (two profiles, two decks, practice or
    not, every verdict, typed text or none, long and negative-free durations, several answers in one slot,
    out of time order), undos (newest, within a deck, of a practice answer, of a first attempt, after a
    reset) and resets, they equal the totals rebuilt from the log; so they do after hand edits, deletes and
    inserts of any row, and undoing everything empties them."""
    import random

    rng = random.Random(seed)
    path = tmp_path / "quiz.db"
    stores = [Store(path, "ann"), Store(path, "bob")]
    try:
        for step in range(400):
            who = rng.choice(stores)
            roll = rng.random()
            if roll < 0.2:
                who.undo(rng.choice([None, "bio", "chem"]))
            elif roll < 0.23:
                who.reset(rng.choice(["bio", "chem"]), f"c{rng.randrange(5)}", T0)
            else:
                at = T0 + timedelta(minutes=rng.randrange(-3000, 3000))
                before = rng.choice([NEW, learning(at), reviewing(at, 3.0)])
                review = answer(f"c{rng.randrange(5)}", at, before, reviewing(at, 2.0), deck=rng.choice(["bio", "chem"]),
                                gap=rng.choice([0, 1]), rating=rng.randint(1, 4),
                                verdict=rng.choice(["correct", "almost", "wrong", "self"]),
                                practice=rng.random() < 0.25)
                who.record(replace(review, duration_ms=rng.choice([0, 999, 60_000, 60_001, 3_600_000, 2**53 + 1]),
                                   answer=rng.choice(["", "2028", "2030", "typed"])))
            if step % 50 == 0:
                assert running_totals(path) == totals_of_the_log(path)
        assert running_totals(path) == totals_of_the_log(path)
        assert running_totals(path)[0]
        # A hand edit of logged answers (quiz never makes one) moves the totals too.
        conn = sqlite3.connect(path)
        conn.execute("UPDATE reviews SET reviewed_at = reviewed_at + 7 * 60000, rating = 5 - rating, "
                     "duration_ms = duration_ms + 30000, practice = 1 - practice WHERE id % 3 = 0")
        conn.execute("UPDATE reviews SET card = 'moved', verdict = 'self' WHERE id % 5 = 0")
        conn.execute("UPDATE reviews SET answer = 'edited', verdict = 'wrong' WHERE id % 7 = 0")
        conn.execute("UPDATE reviews SET reviewed_at = reviewed_at - 9 * 86400000 WHERE id % 11 = 0")
        conn.commit()
        assert running_totals(path) == totals_of_the_log(path)
        # Deleting answers from the middle of the log (not only the newest), and inserting one before them all.
        conn.execute("DELETE FROM reviews WHERE id % 4 = 1")
        states = ", ".join(f"{when}_{field}" for when in ("before", "after") for field in (
            "state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses"))
        conn.execute(f"INSERT INTO reviews (profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, "
                     f"duration_ms, interval_days, practice, override, {states}) SELECT profile_id, deck, card, gap, "
                     f"reviewed_at - 86400000, 1, 'wrong', 'early', 5, interval_days, 0, 0, {states} "
                     "FROM reviews WHERE id % 6 = 2")
        conn.commit()
        conn.close()
        assert running_totals(path) == totals_of_the_log(path)
        for who in stores:
            while who.undo() is not None:
                pass
        assert running_totals(path) == ([], [], [])
    finally:
        for who in stores:
            who.close()


def test_a_v3_database_gets_its_running_totals_built_from_the_log(tmp_path: Path) -> None:
    """The upgrade from version 3 builds the totals from every answer already logged, in one
    transaction after a backup, and they equal what the triggers would have kept."""
    path = tmp_path / "quiz.db"
    for name, minutes in (("ann", range(0, 600, 7)), ("bob", range(5, 300, 11))):
        with Store(path, name) as store:
            for m in minutes:
                at = T0 + timedelta(minutes=m)
                store.record(answer(f"c{m % 4}", at, reviewing(at, 1.0), reviewing(at, 3.0), rating=1 + m % 4,
                                    verdict=["correct", "wrong", "self"][m % 3], practice=m % 5 == 0,
                                    deck=["bio", "chem"][m % 2]))
    kept = running_totals(path)
    assert kept == totals_of_the_log(path) and kept[0]
    conn = sqlite3.connect(path)  # what version 3 left: no running totals
    drop_running_totals(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with Store(path, "ann") as ann:
        assert ann.answer_totals("bio", T0 + timedelta(days=1), 60_000, 900).items
    assert running_totals(path) == kept
    backup = sqlite3.connect(tmp_path / "quiz.db.bak-v3")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 3
    assert backup.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'answer_slots'").fetchone()[0] == 0
    backup.close()
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()
    assert schema_of(path) == schema_of(fresh)


def test_a_v4_database_gets_the_class_report_totals_built_from_the_log(tmp_path: Path) -> None:
    """The upgrade from version 4 adds what the class report reads (review answers, lapses and first
    attempts and durations per item, wrong answers by text) and builds it from every answer already
    logged, in one transaction after a backup: equal to what the triggers would have kept."""
    path = tmp_path / "quiz.db"
    for name, minutes in (("ann", range(0, 600, 7)), ("bob", range(5, 300, 11))):
        with Store(path, name) as store:
            for m in reversed(minutes):  # logged out of time order: the first attempt is not the first row
                at = T0 + timedelta(minutes=m)
                store.record(replace(
                    answer(f"c{m % 4}", at, reviewing(at, 1.0), reviewing(at, 3.0), rating=1 + m % 4,
                           verdict=["correct", "wrong", "self", "almost"][m % 4], practice=m % 5 == 0,
                           deck=["bio", "chem"][m % 2]),
                    answer=["", "2028", "2030"][m % 3]))
    kept = running_totals(path)
    assert kept == totals_of_the_log(path) and kept[2] and all(row[7] is not None for row in kept[1] if row[5])
    conn = sqlite3.connect(path)
    drop_class_totals(conn)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with Store(path, "ann") as ann:
        assert ann.class_summary("bio", T0, T0 + timedelta(days=1)).items
    assert running_totals(path) == kept
    backup = sqlite3.connect(tmp_path / "quiz.db.bak-v4")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 4
    assert backup.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'wrong_answers'").fetchone()[0] == 0
    backup.close()
    fresh = tmp_path / "fresh.db"
    Store(fresh).close()
    assert schema_of(path) == schema_of(fresh)


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "quiz.db"
    make_v1_database(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE reviews SET verdict = 'bogus' WHERE id = 30")  # version 2 refuses this
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"^cannot upgrade {path} from schema 1 to {SCHEMA_VERSION}: .*nothing was changed"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 5
    conn.close()
    assert path.read_bytes()[100:] == before[100:]  # the header may only differ in its journal mode bytes


# --- files quiz must not use ---------------------------------------------------------------------------------


def test_a_corrupt_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "quiz.db"
    content = b"these are my lecture notes, not a database\n" * 200
    path.write_bytes(content)
    with pytest.raises(StoreError) as error:
        Store(path)
    assert str(error.value) == f"{path} is not a quiz database or is corrupt: file is not a database"
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiz.db"]


def test_a_damaged_quiz_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "quiz.db"
    with Store(path) as s:
        for n in range(60):
            s.record(replace(answer(f"card-{n}", T0, NEW, learning(T0)), answer="words " * 100))
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 6] = b"\xff" * (4096 * 4)  # overwrite a few b-tree pages
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=rf"^{path} is not a quiz database or is corrupt: "):
        with Store(path) as s:
            list(s.reviews())
            s.items("bio")
            s.record(answer("x", T0, NEW, learning(T0)))


def test_another_programs_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('hello')")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    with pytest.raises(StoreError) as error:
        Store(path)
    assert str(error.value) == (
        f"{path} is not a quiz database or is corrupt: it is an SQLite database of another program; "
        "choose another file with --db"
    )
    assert path.read_bytes() == content


def test_a_database_from_a_newer_quiz_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "quiz.db"
    with Store(path) as s:
        s.record(answer("c1", T0, NEW, learning(T0)))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    content = path.read_bytes()
    with pytest.raises(StoreError) as error:
        Store(path)
    assert str(error.value) == (
        f"{path} was written by a newer version of quiz (schema 7, this quiz knows {SCHEMA_VERSION}); upgrade quiz"
    )
    assert path.read_bytes() == content


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="it is a folder, not a database file"):
        Store(tmp_path)


UNPRIVILEGED_OPEN = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from quiz.errors import StoreError
    from quiz.store import Store
    try:
        Store(sys.argv[1]).close()
    except StoreError as error:
        print(f"StoreError: {error}")
    else:
        print("opened")
    """
)


def open_without_privileges(path: Path) -> str:
    """Open `path` with a Store in a child process that file permissions apply to (root's permission
    override capabilities dropped), and say what happened."""
    command = [sys.executable, "-c", UNPRIVILEGED_OPEN, str(path)]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] + command
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_read_only_folder_gives_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    existing = folder / "old.db"
    with Store(existing) as s:
        s.record(answer("c1", T0, NEW, learning(T0)))
    content = existing.read_bytes()
    folder.chmod(0o555)
    try:
        new = open_without_privileges(folder / "quiz.db")
        old = open_without_privileges(existing)
        sub = open_without_privileges(folder / "sub" / "quiz.db")
    finally:
        folder.chmod(0o755)
    assert new.startswith(f"StoreError: cannot open {folder / 'quiz.db'}: unable to open database file")
    assert "read-only" in new and "--db" in new
    assert old.startswith(f"StoreError: cannot write {existing}: the file or its folder is read-only (")
    assert sub.startswith(f"StoreError: cannot create the folder {folder / 'sub'} for {folder / 'sub' / 'quiz.db'}: ")
    assert existing.read_bytes() == content


def test_a_read_only_file_gives_a_store_error_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "quiz.db"
    with Store(path) as s:
        s.record(answer("c1", T0, NEW, learning(T0)))
    content = path.read_bytes()
    path.chmod(0o444)
    try:
        said = open_without_privileges(path)
    finally:
        path.chmod(0o644)
    assert said.startswith(f"StoreError: cannot write {path}: the file or its folder is read-only (")
    assert path.read_bytes() == content


def test_a_lock_held_beyond_the_busy_timeout_is_a_store_error(db: Path) -> None:
    with Store(db, busy_timeout=0.2) as s:
        kept = s.record(answer("c1", T0, NEW, learning(T0)))
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            with pytest.raises(StoreError) as error:
                s.record(answer("c2", T0, NEW, learning(T0)))
            assert str(error.value).startswith(f"{db} is locked by another program (waited 0.2 s): ")
            with pytest.raises(StoreError, match="is locked by another program"):
                s.undo()
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert list(s.reviews()) == [kept]
        s.record(answer("c2", T0, NEW, learning(T0)))  # works again once the lock is gone
        assert len(list(s.reviews())) == 2


def test_a_full_disk_is_a_store_error_and_loses_nothing_committed(db: Path) -> None:
    with Store(db) as s:
        for n in range(20):
            s.record(answer(f"c{n}", T0, NEW, learning(T0)))
        # Make the file unable to grow, as a full disk would.
        pages = s._db.execute("PRAGMA page_count").fetchone()[0]
        s._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError) as error:
            for n in range(20, 2000):
                s.record(replace(answer(f"c{n}", T0, NEW, learning(T0)), answer="x" * 2000))
        assert str(error.value) == (
            f"cannot write {db}: the disk is full; free some space and try again (answers saved before are safe)"
        )
        written = n
    with Store(db) as s:
        assert [r.card for r in s.reviews()] == [f"c{k}" for k in range(written)]
        assert len(s.items("bio")) == written
        assert s._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- the items cache ------------------------------------------------------------------------------------------


def test_items_stay_exact_through_any_mix_of_writes_here_and_elsewhere(db: Path) -> None:
    """`items` is served from memory between calls; after every kind of write, by this store or by
    another connection, it must equal what a freshly opened store reads from the file."""
    import random

    rng = random.Random(7)
    with Store(db) as here, Store(db) as elsewhere:
        t = T0
        for step in range(400):
            store = here if rng.random() < 0.8 else elsewhere
            deck = rng.choice(["bio", "chem"])
            card = f"c{rng.randrange(6)}"
            gap = rng.choice([0, 1, 2])
            current = store.items(deck).get((card, gap))
            before = current.state if current else NEW
            t += timedelta(minutes=1)
            op = rng.randrange(8)
            if op <= 2:
                store.record(answer(card, t, before, learning(t, before.reps + 1), deck=deck, gap=gap))
            elif op == 3:
                store.record(answer(card, t, before, before, deck=deck, gap=gap, practice=True))
            elif op == 4:
                store.undo(rng.choice([deck, None]))
            elif op == 5:
                store.set_suspended(deck, card, rng.random() < 0.6, gaps=rng.choice([None, [gap], [1, 2]]))
            elif op == 6:
                store.bury(deck, card, rng.choice([None, t + timedelta(hours=1)]), gaps=rng.choice([None, [gap]]))
            else:
                store.reset(deck, card, t, gaps=rng.choice([None, [gap]]))
            with Store(db) as fresh:
                for name in ("bio", "chem"):
                    truth = fresh.items(name)
                    assert here.items(name) == truth, (step, op)
                    assert elsewhere.items(name) == truth, (step, op)


def test_items_returns_a_copy(store: Store) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    mine = store.items("bio")
    mine.clear()
    assert set(store.items("bio")) == {("c1", 0)}


def test_a_failed_write_leaves_no_trace_in_memory(db: Path) -> None:
    with Store(db) as s:
        # The first answer of a profile creates the profile, then fails (the file cannot grow).
        s._db.execute(f"PRAGMA max_page_count = {s._db.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(StoreError, match="the disk is full"):
            s.record(replace(answer("c1", T0, NEW, learning(T0)), answer="x" * 100_000))
        s._db.execute("PRAGMA max_page_count = 1000000")
        assert s.items("bio") == {} and s.profiles() == []
        s.record(answer("c1", T0, NEW, learning(T0)))  # the profile is created again, not assumed
        assert set(s.items("bio")) == {("c1", 0)} and s.profiles() == ["default"]


def test_a_store_opened_only_to_read_creates_no_file_and_refuses_writes(tmp_path):
    path = tmp_path / "sub" / "quiz.db"
    with Store(path, create=False) as store:
        assert store.items("iss") == {} and store.answered_since("iss", T0) == (0, 0)
        with pytest.raises(StoreError, match="opened only to read"):
            store.set_suspended("iss", "a", True)
    assert not (tmp_path / "sub").exists()
    with Store(path) as store:  # the default creates it
        store.set_suspended("iss", "a", True)
    with Store(path, create=False) as store:  # and an existing file is read as usual
        assert store.items("iss")[("a", 0)].suspended
