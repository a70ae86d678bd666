"""The `quiz.history.HistoryStore` contract, run against every implementation.

One set of tests over the `store_factory` fixture: "sqlite" (`quiz.store.Store`, one file) and "postgres"
(`quiz.pgstore.PostgresStore`: a fresh class database on the throwaway server of tests/pgserver.py, each
profile a student added with `quiz class`'s own code, connected through its printed URL). A factory opens
a store on one shared history for a profile; two stores opened by one factory see the same history (as
two processes would).

Where the contract allows two behaviours, the factory says which one its store has:
`factory.sees_other_profiles` (a file lists every profile in it; a student on the class server sees only
its own, by row-level security).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz.history import AnswerTotals, AnsweredCounts, ClassSummary, HistoryStore, ItemTotals, SlotTotals
from quiz.model import FsrsParameters, ItemRecord, ItemState, Rating, Review, State, Verdict
from quiz.stats import MAX_ANSWER_SECONDS, SLOT_SECONDS, tally_answers

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NEW = ItemState()
Factory = Callable[..., HistoryStore]


def learning(at: datetime) -> ItemState:
    return ItemState(State.LEARNING, 1, 2.5, 5.0, at + timedelta(minutes=10), at, 1, 0)


def review_state(at: datetime, days: float = 3.0, reps: int = 3) -> ItemState:
    return ItemState(State.REVIEW, None, 4.0, 5.0, at + timedelta(days=days), at, reps, 0)


def answer(card: str, at: datetime, before: ItemState = NEW, after: ItemState | None = None, *, deck: str = "bio",
           gap: int = 0, rating: int = 3, verdict: str = "correct", practice: bool = False,
           duration_ms: int = 4000) -> Review:
    after = before if practice else (after or learning(at))
    return Review(deck=deck, card=card, gap=gap, reviewed_at=at, rating=rating, verdict=Verdict(verdict),
                  answer="x", duration_ms=duration_ms, before=before, after=after,
                  interval_days=0.0 if practice else 0.007, practice=practice)


@pytest.fixture(params=["sqlite", "postgres"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    opened: list[HistoryStore] = []
    logins: dict[str, str] = {}  # postgres: profile -> the student's URL

    def open_store(profile: str = "default") -> HistoryStore:
        if request.param == "sqlite":
            from quiz.store import Store

            store: HistoryStore = Store(tmp_path / "quiz.db", profile)
        elif request.param == "postgres":
            from quiz.pgstore import PostgresStore

            if profile not in logins:
                logins[profile] = class_login(request.getfixturevalue("class_db"), profile)
            store = PostgresStore(logins[profile])
        else:  # pragma: no cover - one branch per implementation
            raise ValueError(request.param)
        opened.append(store)
        return store

    def open_class_reader() -> HistoryStore:
        """A store for the whole class: any profile of a file; a teacher's login on the server (it reads
        every student and writes only class-wide rows)."""
        if request.param == "sqlite":
            return open_store("teacher")
        from quiz import classroom
        from quiz.pgstore import PostgresStore
        from quiz.postgres import ServerUrl

        class_db = request.getfixturevalue("class_db")
        if "teacher" not in logins:
            class_login(class_db, "someone")  # the class exists
            logins["teacher"] = classroom.add_logins(ServerUrl(class_db.owner_url), ["teacher"], teacher=True)[0].url
        store: HistoryStore = PostgresStore(logins["teacher"], class_reader=True)
        opened.append(store)
        return store

    open_store.sees_other_profiles = request.param != "postgres"  # type: ignore[attr-defined]
    open_store.class_reader = open_class_reader  # type: ignore[attr-defined]
    yield open_store
    for store in opened:
        store.close()


def class_login(class_db, name: str) -> str:
    """A student `name` in the class database (initialised on first use): the URL it logs in with."""
    from quiz import classroom
    from quiz.postgres import ServerUrl

    owner = ServerUrl(class_db.owner_url)
    classroom.init(owner)
    return classroom.add_logins(owner, [name])[0].url


@pytest.fixture
def store(store_factory: Factory) -> HistoryStore:
    return store_factory()


# -- record, then read it back


def test_record_returns_the_review_as_stored_with_an_id_and_the_profile(store: HistoryStore) -> None:
    given = answer("c1", T0)
    stored = store.record(given)
    assert stored.id is not None and stored.profile == store.profile == "default"
    assert (stored.deck, stored.card, stored.gap, stored.rating, stored.verdict) == ("bio", "c1", 0, 3, "correct")
    assert stored.verdict is Verdict.CORRECT
    assert stored.reviewed_at == T0 and stored.after == given.after


def test_record_sets_the_item_state(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    items = store.items("bio")
    assert list(items) == [("c1", 0)]
    record = items[("c1", 0)]
    assert isinstance(record, ItemRecord)
    assert record.state == learning(T0) and not record.suspended and record.buried_until is None


def test_a_practice_answer_is_logged_but_changes_no_item(store: HistoryStore) -> None:
    store.record(answer("c1", T0, practice=True))
    assert dict(store.items("bio")) == {}
    assert [r.practice for r in store.reviews("bio")] == [True]


def test_reviews_come_back_in_time_order_per_deck_and_since(store: HistoryStore) -> None:
    store.record(answer("late", T0 + timedelta(hours=2)))
    store.record(answer("early", T0))
    store.record(answer("other", T0 + timedelta(hours=1), deck="chem"))
    assert [r.card for r in store.reviews()] == ["early", "other", "late"]
    assert [r.card for r in store.reviews("bio")] == ["early", "late"]
    assert [r.card for r in store.reviews("bio", since=T0 + timedelta(hours=1))] == ["late"]


def test_recording_the_same_review_twice_logs_two_answers(store: HistoryStore) -> None:
    """The log is append-only: an incoming id is not a key (no idempotent re-record)."""
    first = store.record(answer("c1", T0))
    second = store.record(first)
    assert second.id != first.id
    assert len(list(store.reviews("bio"))) == 2


def test_items_of_an_unknown_deck_are_empty(store: HistoryStore) -> None:
    assert dict(store.items("nothing")) == {}
    assert list(store.reviews("nothing")) == []
    assert store.due_items("nothing", T0) == []


def test_due_items_in_due_order_without_new_suspended_or_buried(store: HistoryStore) -> None:
    store.record(answer("soon", T0, NEW, review_state(T0, days=1)))
    store.record(answer("later", T0, NEW, review_state(T0, days=5)))
    store.record(answer("first", T0, NEW, learning(T0)))
    store.record(answer("hidden", T0, NEW, review_state(T0, days=1)))
    store.record(answer("away", T0, NEW, review_state(T0, days=1)))
    store.set_suspended("bio", "hidden", True)
    now = T0 + timedelta(days=2)
    store.bury("bio", "away", now + timedelta(hours=1))
    assert [i.card for i in store.due_items("bio", now)] == ["first", "soon"]
    assert [i.card for i in store.due_items("bio", now, until=now + timedelta(days=4))] == ["first", "soon", "later"]
    assert [i.card for i in store.due_items("bio", now, limit=1)] == ["first"]
    assert [i.card for i in store.due_items("bio", now + timedelta(hours=2))] == ["first", "away", "soon"]  # same due: by card


# -- undo


def test_undo_removes_only_the_newest_answer_and_restores_the_state(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    later = T0 + timedelta(minutes=10)
    store.record(answer("c1", later, learning(T0), review_state(later)))
    undone = store.undo()
    assert undone is not None and undone.reviewed_at == later
    assert store.items("bio")[("c1", 0)].state == learning(T0)
    assert [r.reviewed_at for r in store.reviews()] == [T0]


def test_undo_of_the_first_answer_leaves_the_item_new(store: HistoryStore) -> None:
    store.record(answer("c1", T0))
    store.undo()
    assert dict(store.items("bio")) == {} and list(store.reviews()) == []
    assert store.undo() is None


def test_undo_per_deck_takes_that_decks_newest(store: HistoryStore) -> None:
    store.record(answer("b1", T0))
    store.record(answer("c1", T0 + timedelta(minutes=1), deck="chem"))
    undone = store.undo("bio")
    assert undone is not None and undone.card == "b1"
    assert [r.card for r in store.reviews()] == ["c1"]


def test_undo_if_newest_refuses_when_another_answer_came_after(store_factory: Factory) -> None:
    mine, other = store_factory(), store_factory()
    given = mine.record(answer("c1", T0))
    other.record(answer("c2", T0 + timedelta(minutes=1)))
    assert mine.undo("bio", if_newest=given.id) is None
    assert len(list(mine.reviews("bio"))) == 2
    newest = list(mine.reviews("bio"))[-1]
    assert mine.undo("bio", if_newest=newest.id) is not None


def test_undo_of_a_practice_answer_only_removes_the_log_row(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    store.record(answer("c1", T0 + timedelta(minutes=1), learning(T0), practice=True))
    undone = store.undo()
    assert undone is not None and undone.practice
    assert store.items("bio")[("c1", 0)].state == learning(T0)


# -- resets, suspend, bury


def test_reset_puts_the_item_back_to_new_logs_the_reset_and_keeps_the_answers(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    at = T0 + timedelta(hours=1)
    store.reset("bio", "c1", at)
    record = store.items("bio").get(("c1", 0))
    assert record is None or record.state == NEW
    [event] = store.resets("bio")
    assert (event.card, event.gap, event.reset_at, event.before) == ("c1", 0, at, learning(T0))
    assert len(list(store.reviews("bio"))) == 1
    assert store.resets("chem") == []


def test_reset_of_a_new_card_logs_nothing(store: HistoryStore) -> None:
    store.reset("bio", "never", T0)
    assert store.resets() == []


def test_an_undo_after_a_reset_keeps_the_item_reset(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    store.reset("bio", "c1", T0 + timedelta(hours=1))
    store.undo()
    record = store.items("bio").get(("c1", 0))
    assert record is None or record.state == NEW


def test_suspend_and_unsuspend_every_given_gap(store: HistoryStore) -> None:
    store.set_suspended("bio", "cloze", True, gaps=[1, 2])
    items = store.items("bio")
    assert sorted(items) == [("cloze", 1), ("cloze", 2)] and all(r.suspended for r in items.values())
    assert all(r.state == NEW for r in items.values())
    store.set_suspended("bio", "cloze", False, gaps=[1, 2])
    assert not any(r.suspended for r in store.items("bio").values())


def test_reset_keeps_the_suspended_flag_and_lifts_a_burial(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    store.set_suspended("bio", "c1", True)
    store.bury("bio", "c1", T0 + timedelta(days=1))
    store.reset("bio", "c1", T0 + timedelta(hours=1))
    record = store.items("bio")[("c1", 0)]
    assert record.suspended and record.buried_until is None and record.state == NEW


def test_bury_until_and_unbury(store: HistoryStore) -> None:
    store.record(answer("c1", T0, NEW, learning(T0)))
    until = T0 + timedelta(days=1)
    store.bury("bio", "c1", until)
    record = store.items("bio")[("c1", 0)]
    assert record.buried_until == until
    assert record.is_buried(until - timedelta(seconds=1)) and not record.is_buried(until)
    store.bury("bio", "c1", None)
    assert store.items("bio")[("c1", 0)].buried_until is None


# -- what others wrote


def test_changed_since_sees_another_stores_write_but_not_its_own(store_factory: Factory) -> None:
    mine, other = store_factory(), store_factory()
    mine.items("bio")
    token = mine.change_token()
    mine.record(answer("c1", T0))
    assert not mine.changed_since(token)  # its own write: the caller knows
    other.record(answer("c2", T0 + timedelta(minutes=1)))
    assert mine.changed_since(token)
    assert sorted(mine.items("bio")) == [("c1", 0), ("c2", 0)]  # and reads show it
    token = mine.change_token()
    assert not mine.changed_since(token)


def test_a_store_sees_another_stores_suspension(store_factory: Factory) -> None:
    mine, other = store_factory(), store_factory()
    mine.record(answer("c1", T0))
    assert not mine.items("bio")[("c1", 0)].suspended
    other.set_suspended("bio", "c1", True)
    assert mine.items("bio")[("c1", 0)].suspended


# -- counting


def test_answered_since_counts_new_and_review_answers(store: HistoryStore) -> None:
    day = T0
    store.record(answer("n1", day, NEW, learning(day)))
    store.record(answer("r1", day, review_state(day - timedelta(days=3)), review_state(day)))
    store.record(answer("l1", day, learning(day), learning(day)))  # a learning step counts in neither
    store.record(answer("p1", day, review_state(day), practice=True))
    store.record(answer("old", day - timedelta(days=1), NEW, learning(day)))
    counts = store.answered_since("bio", day)
    assert isinstance(counts, AnsweredCounts) and (counts.new, counts.reviews) == (1, 1)
    assert store.answered_keys("bio", day) == {("n1", 0), ("r1", 0), ("l1", 0)}


def test_answer_totals_equal_the_python_tally_of_the_log(store: HistoryStore) -> None:
    import random

    rng = random.Random(7)
    cutoff = T0 + timedelta(days=3)
    for _ in range(300):
        at = T0 + timedelta(minutes=rng.randrange(-600, 6000))
        state = rng.choice(list(State))
        # A studied state the store accepts back: with stability, difficulty and due.
        before = ItemState() if state is State.NEW else ItemState(
            state=state, stability=3.0, difficulty=5.0, due=at + timedelta(days=3), last_review=at)
        store.record(Review(
            deck=rng.choice(["bio", "chem"]), card=f"k{rng.randrange(8)}", gap=rng.choice([0, 1]),
            reviewed_at=at, rating=rng.randint(1, 4),
            verdict=rng.choice(list(Verdict)), answer="", duration_ms=rng.choice([0, 5000, 60_000, 900_000]),
            before=before, after=before, interval_days=0.0, practice=rng.random() < 0.3))
    for deck in ("bio", "chem", "nothing"):
        totals = store.answer_totals(deck, cutoff, int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS)
        expected = tally_answers(store.reviews(deck), before=cutoff)
        assert isinstance(totals, AnswerTotals)
        assert all(isinstance(s, SlotTotals) for s in totals.slots)
        assert all(isinstance(i, ItemTotals) for i in totals.items)
        assert totals.items == expected.items
        assert [s._replace(seconds=0) for s in totals.slots] == [s._replace(seconds=0) for s in expected.slots]
        assert [s.seconds for s in totals.slots] == pytest.approx([s.seconds for s in expected.slots])


def test_answer_totals_stay_equal_to_the_log_through_answers_and_undos(store_factory: Factory) -> None:
    """Both stores keep running totals of the log, moved by every answer and undo in its transaction
    (the undo of the newest answer, within a deck, of a practice answer; another profile's answers in
    between): `answer_totals` must equal the Python tally of what the log holds after each step, also with
    answers after the cut-off, and for a slot and cap the totals are not kept for (summed from the log)."""
    import random

    rng = random.Random(11)
    mine, other = store_factory("default"), store_factory("other")
    cutoff = T0 + timedelta(days=2)
    for step in range(160):
        who = mine if rng.random() < 0.8 else other
        if rng.random() < 0.25:
            who.undo(rng.choice([None, "bio", "chem"]))
        else:
            at = T0 + timedelta(minutes=rng.randrange(-300, 3300))
            before = rng.choice([NEW, learning(at), review_state(at)])
            who.record(answer(f"k{rng.randrange(6)}", at, before, review_state(at), deck=rng.choice(["bio", "chem"]),
                              gap=rng.choice([0, 1]), rating=rng.randint(1, 4), verdict=rng.choice(list(Verdict)),
                              practice=rng.random() < 0.25, duration_ms=rng.choice([0, 1500, 60_000, 75_000])))
        if step % 20 == 19:
            for deck in ("bio", "chem"):
                expected = tally_answers(mine.reviews(deck), before=cutoff)
                for slot_seconds in (SLOT_SECONDS, 3600):
                    totals = mine.answer_totals(deck, cutoff, int(MAX_ANSWER_SECONDS * 1000), slot_seconds)
                    if slot_seconds == SLOT_SECONDS:
                        assert totals.items == expected.items
                        assert [s._replace(seconds=0) for s in totals.slots] == [
                            s._replace(seconds=0) for s in expected.slots]
                        assert [s.seconds for s in totals.slots] == pytest.approx([s.seconds for s in expected.slots])
                    else:
                        assert totals.items == expected.items
                        assert sum(s.answers for s in totals.slots) == sum(s.answers for s in expected.slots)
    assert any(r.reviewed_at >= cutoff for r in mine.reviews())  # the cut-off was exercised
    since = T0 + timedelta(hours=20)  # a slot boundary
    for deck in ("bio", "chem"):
        whole = mine.answer_totals(deck, cutoff, int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS)
        recent = mine.answer_totals(deck, cutoff, int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS, since)
        first = int(since.timestamp()) // SLOT_SECONDS
        assert recent.slots == [s for s in whole.slots if s.slot >= first] != whole.slots
        assert recent.items == whole.items
        hourly = mine.answer_totals(deck, cutoff, int(MAX_ANSWER_SECONDS * 1000), 3600, since)
        assert all(s.slot >= int(since.timestamp()) // 3600 for s in hourly.slots) and hourly.slots


def by_study_day(slots: list[SlotTotals], day_starts: list[datetime], tz, hour: int) -> list[SlotTotals]:
    """What `answer_totals` with `day_starts` must return, from its per-slot totals: the slots from the
    first day start up to the last summed per study day (`quiz.scheduler.study_day` of the slot's start),
    each at the first slot of its day, seconds summed in whole milliseconds; the other slots as they are."""
    from quiz.scheduler import study_day, study_day_start

    merged: dict[int, list[int]] = {}
    rows: list = []
    for row in slots:
        start = datetime.fromtimestamp(row.slot * SLOT_SECONDS, UTC)
        if not day_starts[0] <= start < day_starts[-1]:
            rows.append(row)
            continue
        begins = study_day_start(study_day(start, tz, hour), tz, hour)
        first = -(-int(begins.timestamp()) // SLOT_SECONDS)
        if first not in merged:
            merged[first] = [first, 0, 0, 0, 0]
            rows.append(merged[first])
        day = merged[first]
        day[1] += row.answers
        day[2] += round(row.seconds * 1000)
        day[3] += row.review_answers
        day[4] += row.review_passed
    return [r if isinstance(r, SlotTotals) else SlotTotals(r[0], r[1], r[2] / 1000, r[3], r[4]) for r in rows]


@pytest.mark.parametrize("zone, hour", [("Europe/Berlin", 2), ("America/New_York", 23)])
def test_answer_totals_sum_the_slots_of_each_study_day_across_a_dst_change(
        store: HistoryStore, zone: str, hour: int) -> None:
    """With `day_starts` (what `quiz stats` passes for the days before its heatmap) each study day's slots
    come back summed into one row at the day's first slot, equal to the per-slot totals summed per study
    day: here across a change of the clocks (a 23- or 25-hour day) and with a day start other than 4:00,
    so merging by 24-hour days, by UTC days or by a fixed offset would put answers on the wrong day."""
    import random
    from zoneinfo import ZoneInfo

    from quiz.scheduler import study_day, study_day_start

    tz = ZoneInfo(zone)
    changes = {"Europe/Berlin": datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 02:00 CET -> 03:00 CEST
               "America/New_York": datetime(2026, 11, 1, 6, 0, tzinfo=UTC)}  # 02:00 EDT -> 01:00 EST
    change = changes[zone]
    rng = random.Random(5)
    at = change - timedelta(days=4)
    while at < change + timedelta(days=3):  # an answer every 3 to 40 minutes, a week around the change
        before = rng.choice([NEW, learning(at), review_state(at)])
        store.record(answer(f"k{rng.randrange(5)}", at, before, review_state(at), rating=rng.randint(1, 4),
                            practice=rng.random() < 0.2, duration_ms=rng.choice([0, 1234, 4000, 59_999, 75_000])))
        at += timedelta(minutes=rng.randint(3, 40), milliseconds=rng.randrange(1000))
    first_day = study_day(change, tz, hour) - timedelta(days=2)
    day_starts = [study_day_start(first_day + timedelta(days=n), tz, hour) for n in range(5)]
    assert {b - a for a, b in zip(day_starts, day_starts[1:])} != {timedelta(days=1)}  # the clocks changed
    cutoff = change + timedelta(days=4)
    cap = int(MAX_ANSWER_SECONDS * 1000)
    for since in (None, day_starts[0], day_starts[1]):
        plain = store.answer_totals("bio", cutoff, cap, SLOT_SECONDS, since)
        merged = store.answer_totals("bio", cutoff, cap, SLOT_SECONDS, since, day_starts)
        starts = [start for start in day_starts if since is None or start >= since]
        assert merged.items == plain.items
        assert merged.slots == by_study_day(plain.slots, starts, tz, hour)
        assert len(merged.slots) < len(plain.slots) - 100  # (days were merged: the test tests something)
    # Summed from the log (another cap), and with answers after the cut-off taken off: the same days.
    for max_ms, cut in ((30_000, cutoff), (cap, day_starts[2] + timedelta(hours=5))):
        plain = store.answer_totals("bio", cut, max_ms, SLOT_SECONDS)
        merged = store.answer_totals("bio", cut, max_ms, SLOT_SECONDS, None, day_starts)
        expected = by_study_day(plain.slots, day_starts, tz, hour)
        assert [s._replace(seconds=0) for s in merged.slots] == [s._replace(seconds=0) for s in expected]
        assert [s.seconds for s in merged.slots] == pytest.approx([s.seconds for s in expected])
    assert store.answer_totals("chem", cutoff, cap, SLOT_SECONDS, None, day_starts) == AnswerTotals()


def test_first_answer_is_the_decks_earliest(store: HistoryStore) -> None:
    assert store.first_answer("bio") is None
    store.record(answer("a", T0 + timedelta(days=2)))
    store.record(answer("b", T0 - timedelta(days=3, milliseconds=-7), practice=True))  # logged later, given first
    store.record(answer("c", T0 - timedelta(days=5), deck="chem"))
    assert store.first_answer("bio") == T0 - timedelta(days=3, milliseconds=-7)
    assert store.first_answer("chem") == T0 - timedelta(days=5)
    assert store.first_answer("nothing") is None


def test_orphans_are_stored_items_the_deck_no_longer_has(store: HistoryStore) -> None:
    store.record(answer("kept", T0))
    store.record(answer("gone", T0))
    store.record(answer("cloze", T0, gap=3))
    assert [(r.card, r.gap) for r in store.orphans("bio", {("kept", 0), ("cloze", 1)})] == [("cloze", 3), ("gone", 0)]


# -- profiles


def test_profiles_are_isolated_and_listed(store_factory: Factory) -> None:
    ann, bob = store_factory("ann"), store_factory("bob")
    assert ann.profiles() == []
    ann.record(answer("c1", T0))
    bob.record(answer("c2", T0))
    bob.set_suspended("bio", "c1", True)
    assert [r.card for r in ann.reviews()] == ["c1"] and [r.profile for r in ann.reviews()] == ["ann"]
    assert [r.card for r in bob.reviews()] == ["c2"]
    assert not ann.items("bio")[("c1", 0)].suspended
    assert bob.undo() is not None and [r.card for r in ann.reviews()] == ["c1"]
    if store_factory.sees_other_profiles:  # type: ignore[attr-defined]
        assert ann.profiles() == bob.profiles() == ["ann", "bob"]
    else:
        assert (ann.profiles(), bob.profiles()) == (["ann"], ["bob"])


def test_verdicts_and_ratings_round_trip_as_their_stored_values(store: HistoryStore) -> None:
    for n, verdict in enumerate(Verdict):
        store.record(answer(f"c{n}", T0 + timedelta(minutes=n), verdict=verdict.value, rating=Rating.HARD))
    back = list(store.reviews())
    assert [r.verdict for r in back] == list(Verdict)
    assert all(r.verdict is v for r, v in zip(back, Verdict)) and {r.rating for r in back} == {2}


def test_a_store_is_a_context_manager_that_closes(store_factory: Factory) -> None:
    store = store_factory()
    with store as held:
        assert held is store
        held.record(answer("a", T0))
    with pytest.raises(Exception):  # noqa: B017 - which error is each store's own; the protocol names none
        store.items("bio")  # closed: no method may be called after
    store.close()  # closing twice is harmless
    assert set(store_factory().items("bio")) == {("a", 0)}


# -- the class report's reads across profiles


def test_class_answers_stream_every_profiles_answers_of_the_deck_grouped_and_in_time_order(
    store_factory: Factory,
) -> None:
    ann, bob, teacher = store_factory("ann"), store_factory("bob"), store_factory.class_reader()  # type: ignore[attr-defined]
    # Recorded out of time order and interleaved between profiles; another deck and a practice answer too.
    bob.record(answer("c2", T0 + timedelta(hours=2), verdict="wrong", rating=1, duration_ms=900))
    ann.record(answer("c1", T0 + timedelta(hours=1)))
    ann.record(answer("c1", T0, practice=True, verdict="almost", rating=2))
    bob.record(answer("c1", T0 + timedelta(hours=1), deck="other"))
    ann.record(answer("c3", T0 + timedelta(hours=1), gap=2, before=review_state(T0 - timedelta(days=3))))
    ann.record(answer("c4", T0 + timedelta(hours=3), verdict="self", rating=3))  # a flip card rated Good: correct
    ann.record(answer("c5", T0 + timedelta(hours=3), verdict="self", rating=1))  # ... rated Again: not
    streamed = list(teacher.class_answers("bio"))
    # Each profile's answers together (the order of the profiles is their creation order, which a file
    # and a server fix at different moments: a file on the first answer, a server when the student is
    # added), each profile's in time order, then log order.
    profiles = [a.profile for a in streamed]
    assert sorted(set(profiles)) == ["ann", "bob"] and profiles == sorted(profiles, key=profiles.index)
    got = [a for a in streamed if a.profile == "bob"] + [a for a in streamed if a.profile == "ann"]
    assert [(a.profile, a.card, a.gap, a.reviewed_at) for a in got] == [
        ("bob", "c2", 0, T0 + timedelta(hours=2)),
        ("ann", "c1", 0, T0),
        ("ann", "c1", 0, T0 + timedelta(hours=1)),
        ("ann", "c3", 2, T0 + timedelta(hours=1)),
        ("ann", "c4", 0, T0 + timedelta(hours=3)),
        ("ann", "c5", 0, T0 + timedelta(hours=3)),
    ]
    assert got[1].reviewed_at_ms == int(T0.timestamp() * 1000)
    practice = got[1]
    assert (practice.practice, practice.correct, practice.rating, practice.answer) == (True, False, 2, "x")
    assert (got[0].correct, got[0].rating, got[0].duration_ms, got[0].practice, got[0].answer) == (False, 1, 900, False, "x")
    assert got[2].correct and got[2].answer == ""  # the text of a correct answer is not read
    assert [a.correct for a in got[3:]] == [True, True, False]
    assert [a.before_state for a in got[:4]] == [State.NEW, State.NEW, State.NEW, State.REVIEW]
    assert list(teacher.class_answers("nothing")) == []


def test_class_items_hold_every_profiles_items_of_the_deck(store_factory: Factory) -> None:
    ann, bob, teacher = store_factory("ann"), store_factory("bob"), store_factory.class_reader()  # type: ignore[attr-defined]
    ann.record(answer("c1", T0, NEW, learning(T0)))
    ann.record(answer("c2", T0, NEW, review_state(T0), gap=1))
    bob.record(answer("c1", T0, NEW, review_state(T0)))
    bob.record(answer("c9", T0, deck="other"))
    bob.set_suspended("bio", "c1", True)
    found = teacher.class_items("bio")
    assert set(found) == {"ann", "bob"}  # teacher has nothing stored: left out
    assert found["ann"] == ann.items("bio") and found["bob"] == bob.items("bio")
    assert found["bob"][("c1", 0)].suspended and set(found["bob"]) == {("c1", 0)}
    assert teacher.class_items("nothing") == {}


def test_class_summary_equals_the_fold_of_class_answers_through_answers_and_undos(store_factory: Factory) -> None:
    """`class_summary` reads totals both stores keep up to date with every answer and undo; it must equal
    `quiz.report.summarize_answers` over `class_answers` (the report's definitions, in Python) after each
    step of random answers (three profiles, two decks, practice or not, every verdict, typed text or none,
    out of time order, equal times) and undos (newest, within a deck, often of a first attempt), for
    retention windows that cut 15-minute slots anywhere, start or end exactly on an answer, or are empty."""
    import random

    from quiz.report import summarize_answers

    rng = random.Random(5)
    students = [store_factory(name) for name in ("ann", "bob", "cy")]
    teacher = store_factory.class_reader()  # type: ignore[attr-defined]
    moments = [T0 + timedelta(minutes=m) for m in range(-200, 3000, 37)]
    at = T0
    for step in range(150):
        who = rng.choice(students)
        if rng.random() < 0.2:
            who.undo(rng.choice([None, "bio", "chem"]))
        else:
            at = rng.choice(moments) + timedelta(milliseconds=rng.choice([0, 0, 1, 899_999]))
            before = rng.choice([NEW, learning(at), review_state(at)])
            review = answer(f"k{rng.randrange(4)}", at, before, review_state(at), deck=rng.choice(["bio", "bio", "chem"]),
                            gap=rng.choice([0, 1]), rating=rng.randint(1, 4), verdict=rng.choice(list(Verdict)),
                            practice=rng.random() < 0.25, duration_ms=rng.choice([0, 1500, 1501, 60_000, 75_000]))
            who.record(replace(review, answer=rng.choice(["", "2028", "2030", "x"])))
        if step % 15 == 14:
            windows = [(T0 - timedelta(days=1), T0 + timedelta(days=3)),  # everything
                       (at, at + timedelta(hours=1)),  # starting on the newest answer, mid-slot
                       (at - timedelta(hours=5, milliseconds=7), at),  # ending on it
                       (T0 + timedelta(minutes=17), T0 + timedelta(minutes=23)),  # inside one slot
                       (T0 + timedelta(days=9), T0 + timedelta(days=10))]  # no answers
            for deck in ("bio", "chem", "nothing"):
                for start, end in windows:
                    expected = summarize_answers(teacher.class_answers(deck), start, end)
                    assert teacher.class_summary(deck, start, end) == expected, (step, deck, start, end)
    summary = teacher.class_summary("bio", T0 - timedelta(days=1), T0 + timedelta(days=3))
    assert summary.retention and summary.last_studied_ms
    assert any(s.wrong_answers for s in summary.items.values()) and any(s.lapses for s in summary.items.values())
    assert {p for s in summary.items.values() for p, _ in s.first_attempts} == {"ann", "bob", "cy"}
    assert teacher.class_summary("nothing", T0, T0 + timedelta(days=1)) == ClassSummary()


# -- FSRS parameters (quiz optimize)


def fitted(first: float = 0.3, loss: float = 0.31) -> FsrsParameters:
    weights = (first, 1.2, 2.3, 8.3, 6.4, 0.83, 3.0, 0.001, 1.87, 0.17, 0.8, 1.48, 0.06, 0.26, 1.65, 0.6,
               1.87, 0.54, 0.09, 0.066, 0.154)
    return FsrsParameters(weights, T0, 1200, loss, 0.04, 0.34, 0.06)


def test_fsrs_parameters_are_none_until_saved(store: HistoryStore) -> None:
    assert store.fsrs_parameters() is None
    assert store.fsrs_parameters(class_wide=True) is None


def test_fsrs_parameters_round_trip_per_profile_and_class_wide(store_factory: Factory) -> None:
    alice, bob = store_factory("alice"), store_factory("bob")
    alice.save_fsrs_parameters(fitted(0.3))
    # The class-wide set: any profile of a file may store it; on the server only a teacher.
    store_factory.class_reader().save_fsrs_parameters(fitted(0.5, 0.29), class_wide=True)  # type: ignore[attr-defined]
    assert alice.fsrs_parameters() == fitted(0.3)
    assert bob.fsrs_parameters() is None  # alice's own set is not bob's
    # The class-wide set is shared by every profile of the history, also seen by a store opened later.
    assert alice.fsrs_parameters(class_wide=True) == fitted(0.5, 0.29)
    assert store_factory("carol").fsrs_parameters(class_wide=True) == fitted(0.5, 0.29)
    alice.save_fsrs_parameters(fitted(0.4))  # replaces
    assert store_factory("alice").fsrs_parameters() == fitted(0.4)


def test_saving_bad_fsrs_parameters_is_refused_and_keeps_the_old_set(store: HistoryStore) -> None:
    from dataclasses import replace

    store.save_fsrs_parameters(fitted(0.3))
    for bad in (replace(fitted(), weights=fitted().weights[:20]),
                replace(fitted(), weights=(float("nan"),) + fitted().weights[1:]),
                replace(fitted(), log_loss=float("inf"))):
        with pytest.raises(ValueError):
            store.save_fsrs_parameters(bad)
    assert store.fsrs_parameters() == fitted(0.3)
