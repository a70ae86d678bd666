"""The class store: `quiz.history.HistoryStore` on a PostgreSQL class database (quiz/pg/*.sql).

`PostgresStore` keeps the same semantics as `quiz.store.Store` (the SQLite file), checked by the same
conformance suite (tests/test_store_conformance.py); it converts rows with the same helpers, since both
schemas store instants as integer milliseconds and states as the same eight columns.

Identity: the server decides whose history this is. A student's login role owns exactly one profile
(`quiz.profiles.role_name`), and row-level security shows it nothing else; `--profile` naming anyone
else is refused here with a clear message (the server would show an empty history otherwise). A
teacher's role has no profile of its own: it may read a named student's history, and writes nothing.

Durability, as with SQLite: every write is one transaction, committed before the method returns. When
the connection is lost (the server restarted, the network dropped, the backend was terminated) the store
reconnects and runs the whole transaction again, for at most `retry_seconds`; `on_retry` is told once
per outage that outlasts one immediate reconnection (the study session prints it as one line). A lost
COMMIT leaves its outcome unknown: an answer therefore carries a client-generated `answer_id`, and the
retry's `INSERT ... ON CONFLICT (answer_id) DO NOTHING` finds the first attempt's row instead of storing
the answer twice. The other writes are idempotent as retried (flags are set, not toggled; a reset of an
item that is NEW already logs nothing; an undo first notes which answer it removes and, retried, does not
remove a second one). After the bound a `ServerUnreachable` says what is known; the cli turns it into one
line and exit 2.

"Another process wrote" (`changed_since`): a fingerprint of this profile's rows (newest answer id and
answer count, reset count, item count and the sum of the items' row versions, `xmin`), read in one cheap
statement. Writes run at REPEATABLE READ and read the fingerprint before and after their own change in
their one snapshot: a difference before means someone else wrote first, and the one after becomes the
baseline, so this store's own writes never count, and a write committed by someone else meanwhile (not in
that snapshot) does at the next check.

psycopg is imported when a store is opened: studying from a SQLite file never loads it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from quiz.errors import ServerError, UsageError
from quiz.history import (SUMMED_MAX_ANSWER_MS, SUMMED_SLOT_SECONDS, AnswerTotals, AnsweredCounts, ChangeToken,
                          ClassAnswer, ClassSummary, ItemTotals, SlotTotals, day_slots, merge_days)
from quiz.model import SELF_RATED_CORRECT_FROM, FsrsParameters, ItemRecord, Rating, ResetEvent, Review, State, Verdict
from quiz.postgres import SCHEMA_VERSION, ServerUrl, load_psycopg, schema_version, server_message
from quiz.store import (_CORRECT_SQL, _NEW_STATE, _STATE_FIELDS, _as_stored, _checked_losses, _class_summary, _cols, _first_answer_from, _first_slot, _item_from_row, _items_by_profile, _reset_from_row, _retention_parts, _review_from_row, _state_values,
                        _storable_text, _stored_parameters, _to_ms)

if TYPE_CHECKING:  # pragma: no cover
    import psycopg

T = TypeVar("T")

DEFAULT_RETRY_SECONDS = 30.0
UNREACHABLE = "the class server is unreachable; retrying for up to {seconds:g} s (answers so far are saved)"
_PAGE = 5000  # answers read per query by `reviews`

_ITEM_COLS = f"card, gap, {_cols('')}, suspended, buried_until"
_PARAMETER_COLS = "profile_id, weights, fitted_at, reviews, log_loss, rmse_bins, default_log_loss, default_rmse_bins"
_REVIEW_COLS = (
    "id, deck, card, gap, reviewed_at, rating, verdict, answer, duration_ms, interval_days, practice, "
    f"override, {_cols('before_')}, {_cols('after_')}"
)
_INSERT_REVIEW = (
    "INSERT INTO quiz.reviews (answer_id, profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, "
    f"duration_ms, interval_days, practice, override, {_cols('before_')}, {_cols('after_')}) "
    f"VALUES ({', '.join(['%s'] * 29)}) ON CONFLICT (answer_id) DO NOTHING RETURNING id"
)
_UPSERT_STATE = (
    f"INSERT INTO quiz.items (profile_id, deck, card, gap, {_cols('')}) VALUES ({', '.join(['%s'] * 12)}) "
    "ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET "
    + ", ".join(f"{f} = EXCLUDED.{f}" for f in _STATE_FIELDS)
)
_ITEM_KEY = "profile_id = %s AND deck = %s AND card = %s AND gap = %s"
# One statement, so one snapshot. xmin (the transaction that wrote a row version) changes with every
# insert and update of an item; the count catches deletions.
_FINGERPRINT = (
    "SELECT (SELECT coalesce(max(id), 0) FROM quiz.reviews WHERE profile_id = %(p)s), "
    "(SELECT count(*) FROM quiz.reviews WHERE profile_id = %(p)s), "
    "(SELECT count(*) FROM quiz.resets WHERE profile_id = %(p)s), "
    "(SELECT count(*) FROM quiz.items WHERE profile_id = %(p)s), "
    "(SELECT coalesce(sum(xmin::text::bigint), 0) FROM quiz.items WHERE profile_id = %(p)s)"
)
# Connection lost or server going away/starting (classes 08 and 57P), too many connections, and
# transactions the server rolled back to let another one through (40001, 40P01): run them again.
_TRANSIENT_STATES = ("40001", "40P01", "53300", "57P01", "57P02", "57P03", "57P05")


class ServerUnreachable(ServerError):
    """The class server stayed unreachable for the whole retry period."""


def _joined_arrays(stored: list[list[int]]) -> list[int]:
    """The durations of every profile's row of one item (quiz.item_answers.durations) as one list."""
    return [duration for durations in stored for duration in durations]


def _server_text(text: str) -> str:
    """PostgreSQL text holds no NUL character: one typed into an answer is kept as U+FFFD."""
    return _storable_text(text).replace("\x00", "\ufffd")



def _only_row(cursor: Any) -> tuple[Any, ...]:
    """The row of a query that always returns exactly one (an aggregate, `current_user`)."""
    row = cursor.fetchone()
    if row is None:  # not for these queries; a server that answers so is not one quiz can use
        raise ServerError("the class server returned no row where one was certain")
    return tuple(row)

class PostgresStore:
    """One profile's history in a class database. Open it, use it, close it (or use `with`).

    `profile`: None for the connecting role's own; a student naming another profile is refused. With
    `read_only=True` nothing is written (writing raises StoreError); a teacher's role may then read the
    history of the student named by `profile`. `on_retry(message)` is called once per outage."""

    def __init__(
        self,
        url: ServerUrl | str,
        profile: str | None = None,
        *,
        read_only: bool = False,
        class_reader: bool = False,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        on_retry: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url if isinstance(url, ServerUrl) else ServerUrl(url)
        self.read_only = read_only
        self._class_reader = class_reader  # a teacher may open it without a profile, for the whole class
        self.retry_seconds = retry_seconds
        self.on_retry = on_retry
        self._sleep, self._monotonic = sleep, monotonic
        self._psycopg = load_psycopg()
        self._conn: psycopg.Connection | None = None
        self._closed = False
        self._seen: tuple | None = None  # the fingerprint as of this store's last look
        # Counts the changes made by others: what `change_token` hands out (see the module docstring).
        self.generation = 0
        self._conn = self._connect(first=True)
        self._profile_id, self.profile = self._identify(profile)

    # -- connecting

    def _connect(self, first: bool = False) -> "psycopg.Connection":
        psycopg = self._psycopg
        try:
            # Keepalives and a TCP user timeout: a dropped network shows up as an error within seconds,
            # not as a commit that waits forever (ignored on a Unix socket).
            conn = psycopg.connect(self.url.secret, autocommit=True, connect_timeout=10, application_name="quiz",
                                   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                                   tcp_user_timeout=15000)
        except (ValueError, TypeError) as error:  # not a valid URL or conninfo at all
            raise ServerError(f"{self.url} is not a valid PostgreSQL URL: {server_message(error)}") from None
        except psycopg.Error as error:
            if first:
                raise ServerError(f"cannot connect to {self.url}: {server_message(error)}") from None
            raise
        # Reads are single statements (autocommit); a write's transaction sees one snapshot.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        return conn

    def _identify(self, wanted: str | None) -> tuple[int | None, str]:
        """(profile id, name) this store reads and writes; refuses a profile the role may not use."""
        conn = self._db
        try:
            version = schema_version(conn)
            own = conn.execute("SELECT id, name FROM quiz.profiles WHERE role_name = current_user").fetchone() \
                if version else None
            role = _only_row(conn.execute("SELECT current_user"))[0]
        except self._psycopg.Error as error:
            self.close()
            raise ServerError(f"cannot read the class database {self.url}: {server_message(error)}") from None
        if version != SCHEMA_VERSION:
            self.close()
            if version > SCHEMA_VERSION:
                raise ServerError(f"{self.url} has quiz schema version {version}, newer than this quiz "
                                  f"understands ({SCHEMA_VERSION}); upgrade quiz")
            raise ServerError(f"{self.url} is not set up as a quiz class (schema version {version} of "
                              f"{SCHEMA_VERSION}); the teacher runs: quiz class init --db URL")
        # Whether the connecting role is a student using its own profile (not a teacher reading one).
        self.own_profile = own is not None
        if own is not None:
            if wanted is not None and wanted != own[1]:
                self.close()
                raise UsageError(f"you are connected to the class server as {own[1]!r}: only your own profile "
                                 f"can be used there, not {wanted!r}; drop --profile (and QUIZ_PROFILE)")
            return own[0], own[1]
        if wanted is None and self._class_reader:
            # A teacher working on the whole class (`quiz class report`, `quiz optimize --class`): no
            # profile of its own; the server lets it read every student and write only class-wide rows.
            return None, role
        if wanted is None or not self.read_only:
            self.close()
            why = ("a teacher's role reads the class and writes nothing" if wanted is not None or not self.read_only
                   else "name a student with --profile NAME (`quiz class students` lists them)")
            raise UsageError(f"the role {role!r} has no profile of its own on {self.url}: {why}")
        found = conn.execute("SELECT id FROM quiz.profiles WHERE name = %s", (wanted,)).fetchone()
        if found is None:
            self.close()
            raise UsageError(f"there is no profile {wanted!r} that the role {role!r} may read on {self.url}")
        return found[0], wanted

    @property
    def _db(self) -> "psycopg.Connection":
        if self._closed:
            raise ValueError("the store is closed")
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
                pass

    def _transient(self, error: BaseException) -> bool:
        """Whether running the statement again on a fresh connection may succeed."""
        state = getattr(error, "sqlstate", None)
        if state is None:  # libpq's own failure: connecting, or the connection broke
            return isinstance(error, self._psycopg.OperationalError)
        return state.startswith("08") or state in _TRANSIENT_STATES or (
            self._conn is not None and self._conn.broken)

    def _run(self, work: Callable[["psycopg.Connection", int], T], doing: str) -> T:
        """`work(connection, attempt)`, run again on a new connection while the server is unreachable,
        for at most `retry_seconds`. `work` must be safe to run again (see the module docstring)."""
        deadline: float | None = None
        told = False
        pause = 0.05
        attempt = 0
        while True:
            try:
                return work(self._db, attempt)
            except self._psycopg.Error as error:
                if not self._transient(error):
                    raise ServerError(f"cannot {doing} on {self.url}: {server_message(error)}") from None
                rolled_back = getattr(error, "sqlstate", None) in ("40001", "40P01")
                if not rolled_back:
                    self._drop_connection()
                now = self._monotonic()
                if deadline is None:
                    deadline = now + self.retry_seconds
                if now >= deadline:
                    self._drop_connection()
                    raise ServerUnreachable(
                        f"the class server {self.url} stayed unreachable for {self.retry_seconds:g} s "
                        f"({server_message(error)}); every answer confirmed before is saved, the last one "
                        "may not be: study again when the server is back") from None
                # A connection that broke once and reconnects at once is no outage to report.
                if attempt and not told and not rolled_back and self.on_retry is not None:
                    self.on_retry(UNREACHABLE.format(seconds=self.retry_seconds))
                    told = True
                self._sleep(min(pause, max(0.0, deadline - now)))
                pause = min(pause * 2, 1.0)
                attempt += 1

    def _read(self, sql: str, params: Any = ()) -> list[tuple]:
        return self._run(lambda conn, _: conn.execute(sql, params).fetchall(), "read the history")

    def _write(self, work: Callable[["psycopg.Connection", int], T], doing: str) -> T:
        """`work` in one REPEATABLE READ transaction, committed before this returns, with the change
        fingerprint read before and after it (see the module docstring)."""
        if self.read_only:
            raise ServerError(f"cannot write to {self.url}: it was opened only to read")
        if self._profile_id is None:  # pragma: no cover - a profile-less role is refused when opened
            raise ServerError(f"cannot write to {self.url}: this role has no profile")

        def transaction(conn: "psycopg.Connection", attempt: int) -> tuple[T, tuple, tuple]:
            with conn.transaction():
                before = self._fingerprint(conn)
                result = work(conn, attempt)
                after = self._fingerprint(conn)
            return result, before, after

        result, before, after = self._run(transaction, doing)
        if self._seen is not None and before != self._seen:
            self.generation += 1
        self._seen = after
        return result

    def _fingerprint(self, conn: "psycopg.Connection") -> tuple:
        return _only_row(conn.execute(_FINGERPRINT, {"p": self._profile_id}))

    # -- plumbing

    def close(self) -> None:
        self._drop_connection()
        self._closed = True

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({str(self.url)!r}, profile={self.profile!r})"

    def change_token(self) -> ChangeToken:
        """Notice whether anyone else has written this profile's rows since this store last looked, and
        return `generation`, which counts such changes."""
        seen = tuple(self._read(_FINGERPRINT, {"p": self._profile_id})[0])
        if self._seen is not None and seen != self._seen:
            self.generation += 1
        self._seen = seen
        return self.generation

    def changed_since(self, token: ChangeToken) -> bool:
        return self.change_token() != token

    # -- reading

    def class_answers(self, deck: str) -> Iterator[ClassAnswer]:
        """The deck's answers of every profile this role may read (a teacher: the class; a student: its
        own, by row-level security), profile after profile in creation order, each in time order."""
        sql = (
            "SELECT p.name, r.card, r.gap, r.reviewed_at, r.rating, "
            f"{_CORRECT_SQL} AS correct, CASE WHEN {_CORRECT_SQL} THEN '' ELSE r.answer END, r.duration_ms, "
            "r.practice, r.before_state FROM quiz.profiles p JOIN quiz.reviews r "
            "ON r.profile_id = p.id AND r.deck = %s ORDER BY p.id, r.reviewed_at, r.id"
        )
        yield from map(ClassAnswer._make, self._read(sql, (deck,)))

    def class_items(self, deck: str) -> dict[str, dict[tuple[str, int], ItemRecord]]:
        """Every stored item of the deck of every profile this role may read, by profile, then (card, gap)."""
        rows = self._read(
            f"SELECT p.name, {', '.join('i.' + c.strip() for c in _ITEM_COLS.split(','))} "
            "FROM quiz.profiles p JOIN quiz.items i ON i.profile_id = p.id AND i.deck = %s "
            "ORDER BY p.id, i.card, i.gap",
            (deck,),
        )
        return _items_by_profile(deck, rows)

    def class_summary(self, deck: str, window_start: datetime, now: datetime) -> ClassSummary:
        """The deck's answers of every profile this role may read, summed for the class report from the
        totals the schema keeps (version 5), read as `quiz.store.Store.class_summary` reads them, in one
        REPEATABLE READ transaction (one snapshot)."""
        slots, edges = _retention_parts(_to_ms(window_start), _to_ms(now) + 1)

        def read(conn: "psycopg.Connection", attempt: int) -> ClassSummary:
            def rows(sql: str, params: tuple) -> list[tuple]:
                return conn.execute(sql, params).fetchall()

            with conn.transaction():
                items = rows(
                    "SELECT p.name, i.card, i.gap, i.first_correct, i.review_answers, i.lapses, "
                    "i.durations FROM quiz.profiles p JOIN quiz.item_answers i ON i.profile_id = p.id AND i.deck = %s "
                    "AND i.graded > 0 ORDER BY p.id", (deck,))
                wrong = rows("SELECT card, gap, answer, sum(answers) FROM quiz.wrong_answers WHERE deck = %s "
                             "GROUP BY card, gap, answer", (deck,))
                newest = rows(
                    "SELECT p.name, (SELECT max(r.reviewed_at) FROM quiz.reviews r WHERE r.profile_id = p.id "
                    "AND r.deck = %s) FROM quiz.profiles p", (deck,))
                kept: list[tuple] = []
                if slots is not None:
                    kept += rows(
                        "SELECT p.name, sum(s.review_answers), sum(s.review_passed) FROM quiz.profiles p "
                        "JOIN quiz.answer_slots s ON s.profile_id = p.id AND s.deck = %s AND s.slot >= %s "
                        "AND s.slot < %s GROUP BY p.id, p.name", (deck, *slots))
                for start, end in edges:
                    kept += rows(
                        f"SELECT p.name, count(*), count(*) FILTER (WHERE r.rating >= {int(Rating.HARD)}) "
                        "FROM quiz.profiles p JOIN quiz.reviews r ON r.profile_id = p.id AND r.deck = %s "
                        f"AND r.reviewed_at >= %s AND r.reviewed_at < %s WHERE NOT r.practice "
                        f"AND r.before_state = {int(State.REVIEW)} GROUP BY p.id, p.name", (deck, start, end))
                return _class_summary(deck, items, _joined_arrays, wrong, newest, [(name, int(n), int(p)) for name, n, p in kept])

        return self._run(read, "read the history")

    # -- FSRS parameters

    def fsrs_parameters(self, class_wide: bool = False) -> FsrsParameters | None:
        """This profile's fitted FSRS parameters (or the class-wide set), None if none is stored."""
        if not class_wide and self._profile_id is None:
            return None
        where = "profile_id IS NULL" if class_wide else "profile_id = %s"
        rows = self._read(f"SELECT {_PARAMETER_COLS} FROM quiz.fsrs_parameters WHERE {where}",
                          () if class_wide else (self._profile_id,))
        if not rows:
            return None
        try:
            return _stored_parameters(*rows[0][1:])  # after profile_id
        except (ValueError, TypeError) as e:
            raise ServerError(f"{self.url}: the stored FSRS parameters are damaged ({e}); run quiz optimize "
                              "again") from None

    def save_fsrs_parameters(self, parameters: FsrsParameters, class_wide: bool = False) -> None:
        """Store this profile's (or, for a teacher, the class-wide) FSRS parameters, replacing the previous
        set; the server's row-level security decides who may write which."""
        losses = _checked_losses(parameters)
        values = (None if class_wide else self._profile_id, [float(w) for w in parameters.weights],
                  _to_ms(parameters.fitted_at), int(parameters.reviews), *(float(x) for x in losses))

        if self.read_only:
            raise ServerError(f"cannot write to {self.url}: it was opened only to read")

        def work(conn: "psycopg.Connection", attempt: int) -> None:
            # An upsert, so a retry after a lost acknowledgement stores the same set once. Not through
            # `_write`: a teacher has no profile (and no change fingerprint), and no queue depends on it.
            with conn.transaction():
                conn.execute(
                    f"INSERT INTO quiz.fsrs_parameters ({_PARAMETER_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (profile_id) DO UPDATE SET "
                    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _PARAMETER_COLS.split(", ")[1:]),
                    values,
                )

        self._run(work, "save the FSRS parameters")

    def items(self, deck: str) -> dict[tuple[str, int], ItemRecord]:
        rows = self._read(f"SELECT {_ITEM_COLS} FROM quiz.items WHERE profile_id = %s AND deck = %s",
                          (self._profile_id, deck))
        return {(r[0], r[1]): _item_from_row(deck, r) for r in rows}

    def due_items(
        self, deck: str, now: datetime, until: datetime | None = None, limit: int | None = None
    ) -> list[ItemRecord]:
        now_ms = _to_ms(now)
        until_ms = now_ms if until is None else _to_ms(until)
        rows = self._read(
            f"SELECT {_ITEM_COLS} FROM quiz.items WHERE profile_id = %s AND deck = %s AND due <= %s "
            "AND state <> 0 AND NOT suspended AND (buried_until IS NULL OR buried_until <= %s) "
            "ORDER BY due, card, gap LIMIT %s",
            (self._profile_id, deck, until_ms, now_ms, limit),
        )
        return [_item_from_row(deck, r) for r in rows]

    def reviews(self, deck: str | None = None, since: datetime | None = None) -> Iterator[Review]:
        """In pages (keyset on (reviewed_at, id)): each page its own statement, so a long read holds no
        transaction open and survives a reconnection."""
        where = "profile_id = %s"
        params: list = [self._profile_id]
        if deck is not None:
            where += " AND deck = %s"
            params.append(deck)
        if since is not None:
            where += " AND reviewed_at >= %s"
            params.append(_to_ms(since))
        after: tuple[int, int] | None = None
        while True:
            sql, page_params = f"SELECT {_REVIEW_COLS} FROM quiz.reviews WHERE {where}", list(params)
            if after is not None:
                sql += " AND (reviewed_at, id) > (%s, %s)"
                page_params.extend(after)
            rows = self._read(sql + f" ORDER BY reviewed_at, id LIMIT {_PAGE}", page_params)
            for row in rows:
                yield _review_from_row(row, self.profile)
            if len(rows) < _PAGE:
                return
            after = (rows[-1][4], rows[-1][0])

    def answer_totals(self, deck: str, before: datetime, max_answer_ms: int, slot_seconds: int,
                      since: datetime | None = None, day_starts: Sequence[datetime] = ()) -> AnswerTotals:
        """The running totals the schema keeps (version 4), less the answers logged at or after `before`;
        the log itself summed for another slot or cap; with `day_starts`, each day's slots summed by the
        server (see `quiz.store.Store.answer_totals`)."""
        first_slot = _first_slot(since, slot_seconds)
        firsts = [first for first in day_slots(day_starts, slot_seconds) if first >= first_slot]
        if max_answer_ms != SUMMED_MAX_ANSWER_MS or slot_seconds != SUMMED_SLOT_SECONDS:
            totals = self._sum_log(deck, "reviewed_at < %s", _to_ms(before), max_answer_ms, slot_seconds)
            return AnswerTotals(merge_days([s for s in totals.slots if s.slot >= first_slot], firsts), totals.items)
        key = (self._profile_id, deck)
        if len(firsts) < 2:
            slots = self._read(
                "SELECT slot, answers, capped_ms / 1000.0, review_answers, review_passed FROM quiz.answer_slots "
                "WHERE profile_id = %s AND deck = %s AND slot >= %s ORDER BY slot", key + (first_slot,))
        else:
            slots = self._read(
                "WITH days (first, next) AS (SELECT f, lead(f) OVER (ORDER BY f) FROM unnest(%s::bigint[]) AS f) "
                "SELECT d.first, sum(s.answers), sum(s.capped_ms) / 1000.0, sum(s.review_answers), "
                "sum(s.review_passed) FROM days d JOIN quiz.answer_slots s ON s.profile_id = %s AND s.deck = %s "
                "AND s.slot >= d.first AND s.slot < d.next GROUP BY d.first "
                "UNION ALL "
                "SELECT slot, answers, capped_ms / 1000.0, review_answers, review_passed FROM quiz.answer_slots "
                "WHERE profile_id = %s AND deck = %s AND slot >= %s AND NOT (slot >= %s AND slot < %s) ORDER BY 1",
                (firsts, *key, *key, first_slot, firsts[0], firsts[-1]))
        items = self._read(
            "SELECT deck, card, gap, answers, graded, correct FROM quiz.item_answers "
            "WHERE profile_id = %s AND deck = %s ORDER BY card, gap", key)
        totals = AnswerTotals([SlotTotals(int(s), int(n), float(seconds), int(r), int(p)) for s, n, seconds, r, p in slots],
                              [ItemTotals(*row) for row in items])
        late = self._sum_log(deck, "reviewed_at >= %s", _to_ms(before), max_answer_ms, slot_seconds)
        if late.slots or late.items:
            return totals.without(AnswerTotals(merge_days(late.slots, firsts), late.items))
        return totals

    def first_answer(self, deck: str) -> datetime | None:
        return _first_answer_from(deck, self._read(
            "SELECT id, card, gap, reviewed_at FROM quiz.reviews WHERE profile_id = %s AND deck = %s "
            "ORDER BY reviewed_at, id LIMIT 1", (self._profile_id, deck)))

    def _sum_log(self, deck: str, when: str, at_ms: int, max_answer_ms: int, slot_seconds: int) -> AnswerTotals:
        """The deck's answers whose time matches `when` (a condition on reviewed_at with one parameter,
        `at_ms`), summed from the log."""
        slot_ms = int(slot_seconds) * 1000
        where = f"WHERE profile_id = %s AND deck = %s AND {when}"
        params = (self._profile_id, deck, at_ms)
        # Floor division, also before 1970 (div truncates toward zero). No `%`: psycopg's placeholder sign.
        slot = f"div(reviewed_at - mod(mod(reviewed_at, {slot_ms}) + {slot_ms}, {slot_ms}), {slot_ms})"
        review_answer = f"NOT practice AND before_state = {int(State.REVIEW)}"
        slots = self._read(
            f"SELECT {slot} AS slot, count(*), sum(least(greatest(duration_ms, 0), %s)) / 1000.0, "
            f"count(*) FILTER (WHERE {review_answer}), "
            f"count(*) FILTER (WHERE {review_answer} AND rating >= {int(Rating.HARD)}) "
            f"FROM quiz.reviews {where} GROUP BY slot ORDER BY slot",
            (int(max_answer_ms), *params),
        )
        items = self._read(
            # `quiz.model.is_correct`, in SQL
            "SELECT deck, card, gap, count(*), count(*) FILTER (WHERE NOT practice), "
            f"count(*) FILTER (WHERE NOT practice AND CASE WHEN verdict = '{Verdict.SELF.value}' "
            f"THEN rating >= {int(SELF_RATED_CORRECT_FROM)} ELSE verdict = '{Verdict.CORRECT.value}' END) "
            f"FROM quiz.reviews {where} GROUP BY deck, card, gap ORDER BY card, gap",
            params,
        )
        return AnswerTotals(
            [SlotTotals(int(s), n, float(seconds), r, p) for s, n, seconds, r, p in slots],
            [ItemTotals(*row) for row in items],
        )

    def resets(self, deck: str | None = None) -> list[ResetEvent]:
        sql = (f"SELECT id, deck, card, gap, reset_at, log_position, {_cols('before_')} FROM quiz.resets "
               "WHERE profile_id = %s")
        params: tuple = (self._profile_id,)
        if deck is not None:
            sql += " AND deck = %s"
            params += (deck,)
        return [_reset_from_row(r, self.profile) for r in self._read(sql + " ORDER BY id", params)]

    def answered_since(self, deck: str, since: datetime) -> AnsweredCounts:
        rows = self._read(
            "SELECT count(*) FILTER (WHERE before_state = 0), count(*) FILTER (WHERE before_state = 2) "
            "FROM quiz.reviews WHERE profile_id = %s AND deck = %s AND reviewed_at >= %s AND NOT practice",
            (self._profile_id, deck, _to_ms(since)),
        )
        return AnsweredCounts(rows[0][0], rows[0][1])

    def answered_keys(self, deck: str, since: datetime) -> set[tuple[str, int]]:
        rows = self._read(
            "SELECT DISTINCT card, gap FROM quiz.reviews WHERE profile_id = %s AND deck = %s "
            "AND reviewed_at >= %s AND NOT practice",
            (self._profile_id, deck, _to_ms(since)),
        )
        return {(card, gap) for card, gap in rows}

    def orphans(self, deck: str, known: set[tuple[str, int]]) -> list[ItemRecord]:
        items = self.items(deck)
        return [items[key] for key in sorted(items) if key not in known]

    def profiles(self) -> list[str]:
        """The profiles with anything stored that this role may see: a student's own, or the class's for
        a teacher (row-level security decides)."""
        return [r[0] for r in self._read(
            "SELECT p.name FROM quiz.profiles AS p WHERE "
            "EXISTS (SELECT 1 FROM quiz.reviews AS r WHERE r.profile_id = p.id) OR "
            "EXISTS (SELECT 1 FROM quiz.items AS i WHERE i.profile_id = p.id) OR "
            "EXISTS (SELECT 1 FROM quiz.resets AS s WHERE s.profile_id = p.id) ORDER BY p.name")]

    # -- writing

    def record(self, review: Review) -> Review:
        """One answer, one transaction, committed before this returns; retried with the same answer id
        when the connection is lost, so it is stored exactly once."""
        stored = _as_stored(review, self.profile, _server_text)
        answer_id = uuid.uuid4()  # the same for every attempt of this one answer
        key = (self._profile_id, stored.deck, stored.card, stored.gap)
        values = (answer_id, *key, _to_ms(stored.reviewed_at), stored.rating, stored.verdict.value, stored.answer,
                  stored.duration_ms, stored.interval_days, stored.practice, stored.override,
                  *_state_values(stored.before), *_state_values(stored.after))

        def work(conn: "psycopg.Connection", attempt: int) -> int:
            row = conn.execute(_INSERT_REVIEW, values).fetchone()
            if row is None:  # an earlier attempt committed it: its transaction set the item too
                found = conn.execute("SELECT id FROM quiz.reviews WHERE profile_id = %s AND answer_id = %s",
                                     (self._profile_id, answer_id)).fetchone()
                if found is None:  # taken by a row this role cannot see: never by chance (122 random bits)
                    raise ServerError(f"cannot save the answer on {self.url}: its answer id is taken")
                return found[0]
            if not stored.practice:
                conn.execute(_UPSERT_STATE, key + _state_values(stored.after))
            return row[0]

        return replace(stored, id=self._write(work, "save the answer"))

    def undo(self, deck: str | None = None, if_newest: int | None = None) -> Review | None:
        """Through quiz.undo_newest (students may not delete answers themselves). The answer to remove is
        read first and named to the function: run again after a lost connection, the call removes that
        one answer or nothing, never the one before it."""
        if self.read_only:
            raise ServerError(f"cannot write to {self.url}: it was opened only to read")
        for _ in range(5):  # another session answering between the read and the call: look again
            sql = f"SELECT {_REVIEW_COLS} FROM quiz.reviews WHERE profile_id = %s"
            params: tuple = (self._profile_id,)
            if deck is not None:
                sql += " AND deck = %s"
                params += (deck,)
            rows = self._read(sql + " ORDER BY id DESC LIMIT 1", params)
            if not rows or (if_newest is not None and rows[0][0] != if_newest):
                return None
            target = _review_from_row(rows[0], self.profile)

            def work(conn: "psycopg.Connection", attempt: int, target: Review = target) -> bool:
                if attempt and conn.execute("SELECT 1 FROM quiz.reviews WHERE id = %s", (target.id,)).fetchone() is None:
                    return True  # the lost attempt removed it
                return conn.execute("SELECT id FROM quiz.undo_newest(%s, %s)", (deck, target.id)).fetchone() is not None

            if self._write(work, "undo the answer"):
                return target
            if if_newest is not None:
                return None
        return None

    def set_suspended(self, deck: str, card: str, suspended: bool, gaps: Iterable[int] | None = None) -> None:
        wanted = None if gaps is None else list(gaps)

        def work(conn: "psycopg.Connection", attempt: int) -> None:
            for gap in self._targets(conn, deck, card, wanted, create=suspended):
                key = (self._profile_id, deck, card, gap)
                conn.execute(f"UPDATE quiz.items SET suspended = %s WHERE {_ITEM_KEY}", (suspended, *key))
                self._forget_if_pristine(conn, key)

        self._write(work, "suspend the card" if suspended else "unsuspend the card")

    def bury(self, deck: str, card: str, until: datetime | None, gaps: Iterable[int] | None = None) -> None:
        until_ms = _to_ms(until)
        wanted = None if gaps is None else list(gaps)

        def work(conn: "psycopg.Connection", attempt: int) -> None:
            for gap in self._targets(conn, deck, card, wanted, create=until is not None):
                key = (self._profile_id, deck, card, gap)
                conn.execute(f"UPDATE quiz.items SET buried_until = %s WHERE {_ITEM_KEY}", (until_ms, *key))
                self._forget_if_pristine(conn, key)

        self._write(work, "bury the card")

    def reset(self, deck: str, card: str, now: datetime, gaps: Iterable[int] | None = None) -> None:
        now_ms = _to_ms(now)
        wanted = None if gaps is None else list(gaps)

        def work(conn: "psycopg.Connection", attempt: int) -> None:
            # This profile's newest answer: its history replays the reset right after it.
            position = _only_row(conn.execute("SELECT coalesce(max(id), 0) FROM quiz.reviews WHERE profile_id = %s",
                                              (self._profile_id,)))[0]
            for gap in self._targets(conn, deck, card, wanted, create=False):
                key = (self._profile_id, deck, card, gap)
                row = conn.execute(f"SELECT {_cols('')} FROM quiz.items WHERE {_ITEM_KEY}", key).fetchone()
                if row is None:
                    continue  # never stored: it is NEW already
                if tuple(row) != _NEW_STATE:
                    conn.execute(
                        "INSERT INTO quiz.resets (profile_id, deck, card, gap, reset_at, log_position, "
                        f"{_cols('before_')}) VALUES ({', '.join(['%s'] * 14)})",
                        key + (now_ms, position) + tuple(row),
                    )
                conn.execute(_UPSERT_STATE, key + _NEW_STATE)
                conn.execute(f"UPDATE quiz.items SET buried_until = NULL WHERE {_ITEM_KEY}", key)
                self._forget_if_pristine(conn, key)

        self._write(work, "reset the card")

    def _targets(self, conn: "psycopg.Connection", deck: str, card: str, gaps: list[int] | None,
                 create: bool) -> list[int]:
        """The gaps a card-level operation applies to; with `create`, unstored ones are stored as NEW."""
        stored = [r[0] for r in conn.execute(
            "SELECT gap FROM quiz.items WHERE profile_id = %s AND deck = %s AND card = %s ORDER BY gap",
            (self._profile_id, deck, card))]
        if gaps is None:
            targets = stored or [0]
        else:
            targets = sorted({int(g) for g in gaps})
            if any(g < 0 for g in targets):
                raise ValueError(f"cloze gaps are numbered from 1 (0 for ordinary cards): {targets}")
        if create:
            for gap in targets:
                if gap not in stored:
                    conn.execute(_UPSERT_STATE, (self._profile_id, deck, card, gap) + _NEW_STATE)
        return targets

    @staticmethod
    def _forget_if_pristine(conn: "psycopg.Connection", key: tuple) -> None:
        """Drop an item row that says nothing (NEW, no flags): not stored means exactly that."""
        conn.execute(
            f"DELETE FROM quiz.items WHERE {_ITEM_KEY} AND state = 0 AND step IS NULL AND stability IS NULL "
            "AND difficulty IS NULL AND due IS NULL AND last_review IS NULL AND reps = 0 AND lapses = 0 "
            "AND NOT suspended AND buried_until IS NULL",
            key,
        )
