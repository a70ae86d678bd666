"""The review history: one SQLite file that never loses an answer. The only module that speaks SQL.

`Store` implements `quiz.history.HistoryStore` (whose contract `tests/test_store_conformance.py` checks);
the types it stores are `quiz.model`'s.

Layout and conventions are documented in `quiz/schema.sql`. In short:

* One file holds every profile's history; a profile only ever sees its own rows.
* A review item is (profile, deck id, card id, cloze gap), gap 0 for ordinary cards. Keys are ids only:
  editing a card's wording keeps its history, removing a card keeps its history (see `orphans`).
* `items` holds each item's current `ItemState` plus its suspended/buried flags. An item that is not
  stored is NEW with no flags.
* `reviews` is the append-only answer log (only `undo` deletes from it, and only the newest row).
* Resets ("forget", back to NEW) are logged in their own table `resets` because they carry no rating;
  replaying `reviews` in id order, with each reset applied right after the review row named by its
  `log_position`, rebuilds every item's state (see `Store.resets`).
* Every instant is stored as integer milliseconds since the epoch, UTC, so datetimes come back truncated
  to the millisecond; `record` returns the review exactly as stored so callers can keep using it.

Speed: `items(deck)` is kept in memory between calls while no other connection commits (PRAGMA
data_version) and patched after this store's own writes, since the session asks for the whole deck after
every answer; `due_items` and `answered_keys` are the cheap queries for "what next" and "what today".
`answer_slots` and `item_answers` hold running totals of the log (kept by triggers in the transaction of
every insert into and delete from `reviews`), which `answer_totals` reads instead of the log.

Durability: WAL journal, `synchronous=FULL`, a busy timeout so that concurrent writers wait for each other,
and every write is its own `BEGIN IMMEDIATE` transaction committed before the method returns, then copied
into the database file itself (a checkpoint): a committed answer that lived only in the -wal file would be
lost with that file (deleted by hand or by a cleaning tool, while a session runs). Before each write the
store checks that its -wal file is still the one it opened, and stops with a StoreError if it was removed
or replaced.

Reading: `create=False` never creates a file nor writes a schema into one (an empty file is refused);
`read_only=True` also reads a file or folder that is not writable, without leaving -wal/-shm files behind.
Every sqlite3 failure the user can act on (corrupt or foreign file, too new a schema, read-only file or
folder, locked beyond the busy timeout, disk full) becomes a `StoreError` naming the file; nothing is ever
silently reset or overwritten.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, overload

from quiz.errors import StoreError, UsageError
from quiz.history import (SUMMED_MAX_ANSWER_MS, SUMMED_SLOT_SECONDS, AnswerTotals, AnsweredCounts, ChangeToken,
                          ClassAnswer, ClassSummary, ItemSummary, ItemTotals, SlotTotals, day_slots,
                          merge_days)
from quiz.model import (DEFAULT_PROFILE, EARLIEST, LATEST, SELF_RATED_CORRECT_FROM, FsrsParameters, ItemRecord,
                        ItemState, Rating, ResetEvent, Review, State, Verdict)
from quiz.text import printable_line

SCHEMA_VERSION = 5
APPLICATION_ID = int.from_bytes(b"QUIZ", "big")  # PRAGMA application_id of every quiz database
DEFAULT_BUSY_TIMEOUT = 10.0  # seconds a writer waits for another one before giving up
VERDICTS = tuple(v.value for v in Verdict)
# The script that upgrades a database from version N-1 to version N, for each N > 1.
MIGRATIONS = {2: "migrate_v1_to_v2.sql", 3: "migrate_v2_to_v3.sql", 4: "migrate_v3_to_v4.sql", 5: "migrate_v4_to_v5.sql"}
MIN_SQLITE = (3, 37, 0)  # STRICT tables

_CLASS_WIDE = 0  # fsrs_parameters.profile_id of the class-wide set (profile ids start at 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
# Stored values outside these ranges were not written by quiz: the file was edited or damaged. The
# stability bound is far above the scheduler's own cap (36,500 days), so no real value is refused.
# A due date may lie the longest interval (100 years, plus fuzz) after the latest clock quiz accepts.
_LATEST_STORED = LATEST.replace(year=LATEST.year + 500)
_MS_MIN = (EARLIEST - _EPOCH) // _MS
_MS_MAX = (_LATEST_STORED - _EPOCH) // _MS
_STABILITY_MIN, _STABILITY_MAX = 0.0, 1e6
_DIFFICULTY_MIN, _DIFFICULTY_MAX = 1.0, 10.0


MAX_PROFILE_LENGTH = 64  # characters; a profile name is shown on screen and stored


def check_profile_name(name: object) -> None:
    """UsageError unless `name` can be a profile: not empty, valid text (a name given as bytes that are
    not UTF-8 cannot be stored, and could not be typed the same way again), no control or invisible
    format characters (it is printed on screen), at most MAX_PROFILE_LENGTH characters."""
    import unicodedata

    if not isinstance(name, str) or not name.strip():
        raise UsageError("the profile name must not be empty (use --profile NAME)")
    shown = printable_line(name[:MAX_PROFILE_LENGTH + 1])
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise UsageError(f"the profile name '{shown}' is not valid UTF-8 text; choose a name of letters "
                         "and digits (--profile NAME or QUIZ_PROFILE)")
    if any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in name):
        raise UsageError(f"the profile name '{shown}' contains a control or invisible character; choose a "
                         "name of letters and digits (--profile NAME or QUIZ_PROFILE)")
    if len(name) > MAX_PROFILE_LENGTH:
        raise UsageError(f"the profile name '{shown[:20]}...' is {len(name)} characters long; at most "
                         f"{MAX_PROFILE_LENGTH} are allowed")


# --- value conversion -------------------------------------------------------------------------------


@overload
def _to_ms(value: datetime) -> int: ...
@overload
def _to_ms(value: datetime | None) -> int | None: ...
def _to_ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive datetime is a programming error: the store cannot guess its time zone.
        raise ValueError(f"naive datetime {value!r}: the store needs timezone-aware UTC datetimes")
    return (value - _EPOCH) // _MS


class _BadValue(ValueError):
    """A stored value no quiz could have written (hand-edited or damaged file); the caller names the row."""


@overload
def _from_ms(value: int, name: str = ...) -> datetime: ...
@overload
def _from_ms(value: int | None, name: str = ...) -> datetime | None: ...
def _from_ms(value: int | None, name: str = "time") -> datetime | None:
    if value is None:
        return None
    if value.__class__ is not int or not _MS_MIN <= value < _MS_MAX:
        raise _BadValue(f"{name} {value!r} is not a time between {EARLIEST:%Y} and {_LATEST_STORED:%Y}")
    return _EPOCH + value * _MS


def _corrupt(deck: object, card: object, gap: object, error: _BadValue) -> StoreError:
    return StoreError(f"corrupt history: deck {printable_line(str(deck))}, card {printable_line(str(card))}, "
                      f"gap {gap}: {error}; restore a backup of the database or remove that row")


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


_STATE_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")


def _state_values(s: ItemState) -> tuple[Any, ...]:
    return (
        int(s.state),
        s.step,
        _float(s.stability),
        _float(s.difficulty),
        _to_ms(s.due),
        _to_ms(s.last_review),
        int(s.reps),
        int(s.lapses),
    )


_STATES = tuple(State)  # by value: indexing is several times faster than State(value) per row


def _state_from(row: tuple[Any, ...] | list[Any], at: int = 0) -> ItemState:
    state, step, stability, difficulty, due, last_review, reps, lapses = row[at : at + 8]
    # One chained check, and the explanation only on failure: `items` builds one of these per stored
    # item (10,000 for a big deck). The ranges keep every later computation finite and in range.
    try:
        valid = (
            0 <= state <= 3
            and (due is None or _MS_MIN <= due < _MS_MAX)
            and (last_review is None or _MS_MIN <= last_review < _MS_MAX)
            and (stability is None or _STABILITY_MIN < stability <= _STABILITY_MAX)  # False for NaN
            and (difficulty is None or _DIFFICULTY_MIN <= difficulty <= _DIFFICULTY_MAX)
            and (state == 0 or (stability is not None and difficulty is not None and due is not None))
            and (step is None or step.__class__ is int)
        )
    except TypeError:  # text where a number belongs
        valid = False
    if not valid:
        raise _BadValue(_state_problem(row[at : at + 8]))
    # Positional and inlined, for the same reason.
    return ItemState(
        _STATES[state],
        step,
        stability,
        difficulty,
        None if due is None else _EPOCH + due * _MS,
        None if last_review is None else _EPOCH + last_review * _MS,
        reps,
        lapses,
    )


def _state_problem(values: tuple[Any, ...] | list[Any]) -> str:
    """What is wrong with stored state values that `_state_from` refused."""
    state, step, stability, difficulty, due, last_review, reps, lapses = values

    def number(value: object) -> bool:
        return value.__class__ in (int, float)

    if state.__class__ is not int or not 0 <= state <= 3:
        return f"state {state!r} is not one of 0 (new), 1 (learning), 2 (review), 3 (relearning)"
    for name, value in (("due", due), ("last_review", last_review)):
        if value is not None:
            try:
                _from_ms(value, name)
            except _BadValue as error:
                return str(error)
    if stability is not None and not (number(stability) and _STABILITY_MIN < stability <= _STABILITY_MAX):
        return f"stability {stability!r} is not a number from {_STABILITY_MIN:g} to {_STABILITY_MAX:g}"
    if difficulty is not None and not (number(difficulty) and _DIFFICULTY_MIN <= difficulty <= _DIFFICULTY_MAX):
        return f"difficulty {difficulty!r} is not a number from {_DIFFICULTY_MIN:g} to {_DIFFICULTY_MAX:g}"
    if step is not None and step.__class__ is not int:
        return f"step {step!r} is not a whole number"
    missing = [n for n, v in (("stability", stability), ("difficulty", difficulty), ("due", due)) if v is None]
    return f"a studied item (state {state}) without {' or '.join(missing)}"


def _stored(s: ItemState) -> ItemState:
    """`s` exactly as it reads back from the store (UTC, millisecond precision, plain types)."""
    return _state_from(_state_values(s))


def _cols(prefix: str) -> str:
    return ", ".join(prefix + f for f in _STATE_FIELDS)


_ITEM_COLS = f"card, gap, {_cols('')}, suspended, buried_until"
_REVIEW_COLS = (
    "id, deck, card, gap, reviewed_at, rating, verdict, answer, duration_ms, interval_days, practice, "
    f"override, {_cols('before_')}, {_cols('after_')}"
)
_INSERT_REVIEW = (
    f"INSERT INTO reviews (profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, duration_ms, "
    f"interval_days, practice, override, {_cols('before_')}, {_cols('after_')}) "
    f"VALUES ({', '.join('?' * 28)})"
)
# Sets an item's schedule, keeping its suspended/buried flags.
_UPSERT_STATE = (
    f"INSERT INTO items (profile_id, deck, card, gap, {_cols('')}) VALUES ({', '.join('?' * 12)}) "
    "ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET "
    + ", ".join(f"{f} = excluded.{f}" for f in _STATE_FIELDS)
)
_NEW_STATE = _state_values(ItemState())
_VERDICT_OF = {v.value: v for v in Verdict}


# `quiz.model.is_correct` of a `reviews` row, in SQL.
_CORRECT_SQL = (f"(CASE WHEN r.verdict = '{Verdict.SELF.value}' THEN r.rating >= {int(SELF_RATED_CORRECT_FROM)} "
                f"ELSE r.verdict = '{Verdict.CORRECT.value}' END)")


def _stored_parameters(weights: list[Any], fitted_at: int, reviews: int, *losses: float) -> FsrsParameters:
    """Stored FSRS parameters as the model's type; ValueError or TypeError if they are not a valid set:
    also one the fsrs package would refuse when the scheduler is made (a hand edit, or a student's role
    writing its own row), which is refused here with the row to blame instead of a traceback later."""
    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS  # the scheduler loads fsrs anyway

    from quiz.scheduler import check_parameters

    parsed = tuple(float(w) for w in weights)
    check_parameters(parsed)
    for index, (value, low, high) in enumerate(zip(parsed, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)):
        if not low <= value <= high:
            raise ValueError(f"w{index} = {value:g} is outside fsrs's bounds [{low:g}, {high:g}]")
    return FsrsParameters(parsed, _from_ms(fitted_at), reviews, *losses)


def _checked_losses(parameters: FsrsParameters) -> tuple[float, float, float, float]:
    """The evaluation of a set about to be stored; ValueError if the set or its losses are not valid."""
    from quiz.scheduler import check_parameters

    check_parameters(parameters.weights)
    losses = (parameters.log_loss, parameters.rmse_bins, parameters.default_log_loss, parameters.default_rmse_bins)
    if not all(math.isfinite(x) for x in losses):
        raise ValueError(f"FSRS parameter losses must be finite numbers, got {losses}")
    return losses


def _review_from_row(row: tuple[Any, ...], profile: str) -> Review:
    rid, deck, card, gap, at, rating, verdict, answer, duration, interval, practice, override = row[:12]
    try:
        if rating not in (1, 2, 3, 4) or verdict not in VERDICTS:
            raise _BadValue(f"answer {rid}: rating {rating!r} or verdict {verdict!r} is not one quiz writes")
        if not (interval.__class__ in (int, float) and math.isfinite(interval)):
            raise _BadValue(f"answer {rid}: interval {interval!r} is not a finite number of days")
        reviewed_at = _from_ms(at, f"answer {rid}: time")
        try:
            before = _state_from(row, 12)
        except _BadValue as error:
            raise _BadValue(f"answer {rid}: state before it: {error}") from None
        try:
            after = _state_from(row, 20)
        except _BadValue as error:
            raise _BadValue(f"answer {rid}: state after it: {error}") from None
    except _BadValue as error:
        raise _corrupt(deck, card, gap, error) from None
    return Review(
        deck=deck,
        card=card,
        gap=gap,
        reviewed_at=reviewed_at,
        rating=rating,
        verdict=_VERDICT_OF.get(verdict, verdict),
        answer=answer,
        duration_ms=duration,
        before=before,
        after=after,
        interval_days=interval,
        practice=bool(practice),
        override=bool(override),
        id=rid,
        profile=profile,
    )


def _item_from_row(deck: str, row: tuple[Any, ...]) -> ItemRecord:
    try:
        state = _state_from(row, 2)
        buried = row[11]
        buried_until = None if buried is None else _from_ms(buried, "buried_until")
    except _BadValue as error:
        raise _corrupt(deck, row[0], row[1], error) from None
    return ItemRecord(deck, row[0], row[1], state, row[10] == 1, buried_until)


def _reset_from_row(r: tuple[Any, ...], profile: str) -> ResetEvent:
    """A ResetEvent from (id, deck, card, gap, reset_at, log_position, the state columns before it)."""
    try:
        reset_at, before = _from_ms(r[4], f"reset {r[0]}: time"), _state_from(r, 6)
    except _BadValue as error:
        raise _corrupt(r[1], r[2], r[3], error) from None
    return ResetEvent(deck=r[1], card=r[2], gap=r[3], reset_at=reset_at, log_position=r[5], before=before,
                      id=r[0], profile=profile)


def _first_answer_from(deck: str, rows: list[tuple[Any, ...]]) -> datetime | None:
    """The time of the first of `rows` of (id, card, gap, reviewed_at), checked; None without rows."""
    if not rows:
        return None
    rid, card, gap, at = rows[0]
    try:
        first: datetime = _from_ms(at, f"answer {rid}: time")
    except _BadValue as error:
        raise _corrupt(deck, card, gap, error) from None
    return first


def _script(name: str) -> str:
    return files("quiz").joinpath(name).read_text(encoding="utf-8")


def _statements(script: str) -> Iterator[str]:
    """Split an SQL script into statements, so they can run inside our own transaction
    (`executescript` would commit it first)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    rest = "\n".join(ln for ln in buffer.splitlines() if not ln.strip().startswith("--")).strip()
    if rest:
        raise ValueError(f"unterminated SQL statement: {rest[:60]!r}")


# --- the store ----------------------------------------------------------------------------------------


class Store:
    """The history database of one profile. Open it, use it, close it (or use `with`).

    With `create=False` a file that does not exist is not created: the store is an empty one in memory,
    for commands that only read (`quiz stats` before the first answer must not leave a file behind); an
    existing file without a schema (empty, say) is refused, never given one. With `read_only=True` (which
    implies `create=False`) nothing is written: a writable file is opened as usual (SQLite removes its
    -wal/-shm files when it closes), one whose file or folder is not writable is opened read-only (and
    `immutable` while it has no -wal file, since SQLite cannot otherwise read a WAL database whose -shm
    file it cannot create), and writing raises StoreError."""

    def __init__(
        self,
        path: Path | str,
        profile: str = DEFAULT_PROFILE,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        create: bool = True,
        read_only: bool = False,
    ) -> None:
        check_profile_name(profile)
        self.path = Path(path).expanduser()
        self.profile = profile
        self.busy_timeout = busy_timeout
        self.create = create and not read_only
        self.read_only = read_only
        self._in_memory = False  # create=False and no file: an empty history held in memory
        self._reading_only = False  # opened through SQLite's read-only modes: any write is refused
        # (st_dev, st_ino) of the -wal file as opened: if it changes, the file was removed or replaced
        # under us, and what SQLite still writes into the old one would be lost when it closes.
        self._wal_id: tuple[int, int] | None = None
        self._profile_id: int | None = None
        self._conn: sqlite3.Connection | None = None
        # `items(deck)` of the decks read so far, kept while no other connection commits (PRAGMA
        # data_version tells) and patched after our own writes: the study session asks for the whole
        # deck after every answer, and building 10,000 records each time costs tens of milliseconds.
        self._cache: dict[str, dict[tuple[str, int], ItemRecord]] = {}
        self._cache_gaps: dict[str, dict[str, list[int]]] = {}  # deck -> card -> its cached gaps
        self._cache_version: int | None = None
        # Bumped whenever another connection's commit makes the cached items stale, so a caller that
        # keeps its own index over `items()` (the study session) knows when to rebuild it.
        self.generation = 0
        self._touched: set[tuple[str, str]] = set()  # (deck, card) whose items the open write changes
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(
                f"cannot open {self.path}: quiz needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer "
                f"(this Python has {sqlite3.sqlite_version})"
            )
        self._conn = self._open()

    # -- opening, creating, migrating

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise StoreError(f"cannot open {self.path}: it is a folder, not a database file")
        if not self.create and not self.path.exists():
            conn = sqlite3.connect(":memory:", isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            self._upgrade(conn)  # the schema, in memory
            self._in_memory = True
            return conn
        if self.read_only and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
            return self._open_read_only()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"cannot create the folder {self.path.parent} for {self.path}: {e.strerror or e}"
            ) from e
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise self._error(e, "open") from e
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA trusted_schema = OFF")
            # Only reads until the file is known to be ours and not too new: a foreign, corrupt or newer
            # file must stay byte-identical.
            version = self._check_header(conn)
            if version == 0 and not self.create:
                raise self._no_schema()
            mode = self._switch_to_wal(conn)
            if str(mode).lower() != "wal":
                raise StoreError(
                    f"cannot open {self.path}: SQLite refused write-ahead logging (journal mode {mode}); "
                    "is the file on a network or read-only file system?"
                )
            conn.execute("PRAGMA synchronous = FULL")
            if version < SCHEMA_VERSION:
                self._upgrade(conn)
                self._checkpoint(conn)
            elif not self.read_only:
                # Fail now, not at the first answer, when the file is not writable: BEGIN IMMEDIATE
                # alone does not notice in WAL mode, a page write does (and is rolled back).
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("ROLLBACK")
            self._wal_id = self._wal_identity()
        except sqlite3.Error as e:
            conn.close()
            raise self._error(e, "open") from e
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """The connection of a `read_only` store whose file or folder is not writable."""
        from urllib.parse import quote

        # A -wal file may hold answers not yet in the database file: read it through SQLite's read-only
        # mode (which needs the -shm file that came with it). Without one, `immutable` is the only way
        # SQLite reads a WAL database whose -shm file it cannot create.
        wal = self._wal_path()
        flag = "mode=ro" if wal.exists() else "immutable=1"
        try:
            conn = sqlite3.connect(f"file:{quote(str(self.path.absolute()))}?{flag}", uri=True,
                                   timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise self._error(e, "open") from e
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            version = self._check_header(conn)
            if version == 0:
                raise self._no_schema()
            if version < SCHEMA_VERSION:
                raise StoreError(
                    f"cannot read {self.path}: it has an older schema ({version}) and cannot be upgraded "
                    "because the file or its folder is read-only; make it writable and try again"
                )
        except sqlite3.Error as e:
            conn.close()
            raise self._error(e, "open") from e
        except BaseException:
            conn.close()
            raise
        self._reading_only = True
        return conn

    def _no_schema(self) -> StoreError:
        return StoreError(
            f"{self.path} holds no quiz history (it is empty); quiz only reads it here and never "
            "turns an existing file into a database: check --db / QUIZ_DB, or start with `quiz study`"
        )

    def _wal_path(self) -> Path:
        return self.path.with_name(self.path.name + "-wal")

    def _wal_identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self._wal_path())
        except FileNotFoundError:
            return None
        return (info.st_dev, info.st_ino)

    def _check_wal(self) -> None:
        """StoreError if the -wal file this connection writes to is no longer the one at its path."""
        if self._wal_id is not None and self._wal_identity() != self._wal_id:
            raise StoreError(
                f"the history's write-ahead log {self._wal_path()} was removed or replaced while quiz was "
                f"using it; every answer confirmed so far is saved in {self.path}; start quiz again"
            )

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        """Copy every committed page from the -wal file into the database file (and sync it), so that
        losing the -wal file loses nothing. FULL waits (busy timeout) for a reader of an older snapshot.
        Best effort: when it fails (a reader in the way, a full disk), the commit is still durable in
        the -wal file, where every SQLite commit lives until a checkpoint, and the next write retries."""
        try:
            conn.execute("PRAGMA wal_checkpoint(FULL)").fetchone()
        except sqlite3.Error:
            pass

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """`PRAGMA journal_mode = WAL`, waiting out lock conflicts. When several processes open a new
        file at once, SQLite answers this switch with "database is locked" at once, without calling
        the busy handler (seen in 10% of 4-process races); wait for it as the busy timeout would."""
        import time

        deadline = time.monotonic() + self.busy_timeout
        pause = 0.002
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _check_header(self, conn: sqlite3.Connection) -> int:
        """The file's schema version; StoreError unless it is empty or a quiz database we can read."""
        # One statement, so one snapshot: read one by one, another process creating the schema in
        # between made a new file look like "an SQLite database of another program".
        app_id, version, tables = conn.execute(
            "SELECT (SELECT application_id FROM pragma_application_id), "
            "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)"
        ).fetchone()
        if app_id not in (0, APPLICATION_ID) or (app_id == 0 and (version or tables)):
            raise StoreError(
                f"{self.path} is not a quiz database or is corrupt: it is an SQLite database of another "
                "program; choose another file with --db"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer version of quiz (schema {version}, this quiz knows "
                f"{SCHEMA_VERSION}); upgrade quiz"
            )
        if app_id == APPLICATION_ID and version == 0:
            raise StoreError(f"{self.path} is not a quiz database or is corrupt: it has no schema version")
        return int(version)

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Create the schema in an empty file, or migrate an older one after backing it up.

        All in one BEGIN IMMEDIATE transaction: another process opening the same old file at the same
        time waits, then finds the work done. A failure leaves the file exactly as it was."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._check_header(conn)  # again, now that we hold the write lock
            if version == 0:
                for statement in _statements(_script("schema.sql")):
                    conn.execute(statement)
            elif version < SCHEMA_VERSION:
                self._backup(conn, self.path.with_name(f"{self.path.name}.bak-v{version}"))
                try:
                    for target in range(version + 1, SCHEMA_VERSION + 1):
                        for statement in _statements(_script(MIGRATIONS[target])):
                            conn.execute(statement)
                except sqlite3.Error as e:
                    # Disk full, locked, read-only: say so. Anything else is data the new schema
                    # refuses (or a bug in a script): name the upgrade.
                    raise self._known_error(e) or StoreError(
                        f"cannot upgrade {self.path} from schema {version} to {SCHEMA_VERSION}: {e}; "
                        "nothing was changed"
                    ) from e
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found != SCHEMA_VERSION:
                raise StoreError(f"cannot upgrade {self.path}: the schema scripts left version {found}")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(f"cannot upgrade {self.path}: {len(broken)} rows lost their profile")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _backup(self, conn: sqlite3.Connection, target: Path) -> None:
        """Copy the database to `target`, atomically. The copy is consistent because `conn` holds the
        write lock; it is read through a second connection, which WAL lets read meanwhile (the backup
        API cannot read through the connection that has the write transaction open)."""
        partial = target.with_name(target.name + ".partial")
        try:
            partial.unlink(missing_ok=True)
            source = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
            copy = sqlite3.connect(str(partial), isolation_level=None)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
            os.replace(partial, target)
        except (OSError, sqlite3.Error) as e:
            try:
                partial.unlink(missing_ok=True)
            except OSError:
                pass
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise StoreError(
                f"cannot upgrade {self.path}: the backup copy {target} could not be written ({reason}); "
                "nothing was changed"
            ) from e

    def _error(self, e: sqlite3.Error, doing: str) -> StoreError:
        """The StoreError a user can act on for a failed sqlite3 call."""
        return self._known_error(e) or StoreError(f"cannot {doing} {self.path}: {e}")

    def _known_error(self, e: sqlite3.Error) -> StoreError | None:
        """The StoreError for a failure the user can do something about, None for any other."""
        name = getattr(e, "sqlite_errorname", "") or ""  # Python >= 3.11
        text = str(e)
        low = text.lower()
        where = self.path
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in low or "malformed" in low:
            return StoreError(f"{where} is not a quiz database or is corrupt: {text}")
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in low:
            return StoreError(
                f"{where} is locked by another program (waited {self.busy_timeout:g} s): {text}; "
                "finish or close the other quiz session and try again"
            )
        if name.startswith("SQLITE_FULL") or "disk is full" in low:
            return StoreError(
                f"cannot write {where}: the disk is full; free some space and try again "
                "(answers saved before are safe)"
            )
        if name.startswith("SQLITE_READONLY") or "readonly" in low or "read-only" in low:
            return StoreError(
                f"cannot write {where}: the file or its folder is read-only ({text}); "
                "make it writable or choose another file with --db"
            )
        if name.startswith("SQLITE_CANTOPEN") or "unable to open" in low:
            return StoreError(
                f"cannot open {where}: {text} (is the file or its folder read-only or missing?); "
                "make it writable or choose another file with --db"
            )
        if name.startswith("SQLITE_IOERR") or "i/o error" in low:
            return StoreError(f"cannot use {where}: the disk reported an error ({text})")
        return None

    # -- plumbing

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._cache.clear()
            self._cache_gaps.clear()
            conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, profile={self.profile!r})"

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("the store is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One BEGIN IMMEDIATE transaction, committed (durably) when the block ends without error.
        Write methods name the cards whose items they change in `self._touched`."""
        if self._in_memory or self._reading_only:  # an answer would vanish or fail: a bug, not user input
            raise StoreError(f"cannot write to {self.path}: it was opened only to read")
        self._check_wal()
        conn = self._db
        profile_id = self._profile_id
        self._touched = set()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            patches = self._cache_patches(conn)
            conn.execute("COMMIT")
        except BaseException as e:
            self._profile_id = profile_id  # a profile row created in this transaction is gone too
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite may already have rolled back (e.g. after SQLITE_FULL)
            if isinstance(e, sqlite3.Error):
                raise self._error(e, "write") from e
            raise
        finally:
            self._touched = set()
        self._apply_patches(patches)
        self._checkpoint(conn)
        if self._wal_id is None:
            self._wal_id = self._wal_identity()

    def _cache_patches(self, conn: sqlite3.Connection) -> list[tuple[str, str, list[tuple[Any, ...]]]]:
        """The stored rows, as this transaction leaves them, of every touched card of a cached deck."""
        return [
            (
                deck,
                card,
                conn.execute(
                    f"SELECT {_ITEM_COLS} FROM items WHERE profile_id = ? AND deck = ? AND card = ?",
                    (self._profile_id, deck, card),
                ).fetchall(),
            )
            for deck, card in self._touched
            if deck in self._cache
        ]

    def _apply_patches(self, patches: list[tuple[str, str, list[tuple[Any, ...]]]]) -> None:
        for deck, card, rows in patches:
            items, gaps = self._cache[deck], self._cache_gaps[deck]
            for gap in gaps.pop(card, ()):
                del items[(card, gap)]
            for row in rows:
                items[(card, row[1])] = _item_from_row(deck, row)
            if rows:
                gaps[card] = [row[1] for row in rows]

    def change_token(self) -> ChangeToken:
        """Notice whether another connection has committed since the last read (one cheap PRAGMA) and
        return `generation`, which counts such changes: a caller keeping its own view of the items
        (the study session's queue) rebuilds it when the number moves."""
        self._check_cache()
        return self.generation

    def changed_since(self, token: ChangeToken) -> bool:
        """Whether another connection has committed since `change_token()` returned `token`."""
        return self.change_token() != token

    def _check_cache(self) -> None:
        """Forget the cached items if another connection has committed since they were read."""
        version = self._read("PRAGMA data_version")[0][0]
        if version != self._cache_version:
            self._cache.clear()
            self._cache_gaps.clear()
            self._cache_version = version
            self.generation += 1

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads in the block see one state of the file (a read transaction)."""
        conn = self._db
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as e:
            raise self._error(e, "read") from e
        try:
            yield
        finally:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")  # it wrote nothing
                except sqlite3.Error:
                    pass

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise self._error(e, "read") from e

    def _pid(self) -> int | None:
        """This profile's id, or None while it has nothing stored."""
        if self._profile_id is None:
            rows = self._read("SELECT id FROM profiles WHERE name = ?", (self.profile,))
            if rows:
                self._profile_id = rows[0][0]
        return self._profile_id

    def _ensure_pid(self, conn: sqlite3.Connection) -> int:
        """This profile's id, created if needed (inside a write transaction)."""
        if self._profile_id is None:
            conn.execute("INSERT OR IGNORE INTO profiles (name) VALUES (?)", (self.profile,))
            self._profile_id = conn.execute(
                "SELECT id FROM profiles WHERE name = ?", (self.profile,)
            ).fetchone()[0]
        return self._profile_id

    # -- reading

    def items(self, deck: str) -> dict[tuple[str, int], ItemRecord]:
        """Every stored item of the deck for this profile, by (card, gap)."""
        return dict(self._cached_items(deck))  # a copy: the caller may change it

    def _cached_items(self, deck: str) -> dict[tuple[str, int], ItemRecord]:
        pid = self._pid()
        if pid is None:
            return {}
        self._check_cache()
        items = self._cache.get(deck)
        if items is None:
            rows = self._read(f"SELECT {_ITEM_COLS} FROM items WHERE profile_id = ? AND deck = ?", (pid, deck))
            items = {(r[0], r[1]): _item_from_row(deck, r) for r in rows}
            gaps: dict[str, list[int]] = {}
            for card, gap in items:
                gaps.setdefault(card, []).append(gap)
            self._cache[deck], self._cache_gaps[deck] = items, gaps
        return items

    def due_items(
        self, deck: str, now: datetime, until: datetime | None = None, limit: int | None = None
    ) -> list[ItemRecord]:
        """Items of the deck that are not NEW and due at or before `until` (default `now`), neither
        suspended nor buried at `now`, in due order (then card, gap)."""
        pid = self._pid()
        if pid is None:
            return []
        now_ms = _to_ms(now)
        until_ms = now_ms if until is None else _to_ms(until)
        rows = self._read(
            f"SELECT {_ITEM_COLS} FROM items WHERE profile_id = ? AND deck = ? AND due <= ? "
            "AND state != 0 AND suspended = 0 AND (buried_until IS NULL OR buried_until <= ?) "
            "ORDER BY due, card, gap LIMIT ?",
            (pid, deck, until_ms, now_ms, -1 if limit is None else limit),
        )
        return [_item_from_row(deck, r) for r in rows]

    def reviews(self, deck: str | None = None, since: datetime | None = None) -> Iterator[Review]:
        """This profile's answers (of one deck, or all), at or after `since` if given, in time order."""
        pid = self._pid()
        if pid is None:
            return
        sql = f"SELECT {_REVIEW_COLS} FROM reviews WHERE profile_id = ?"
        params: list[Any] = [pid]
        if deck is not None:
            sql += " AND deck = ?"
            params.append(deck)
        if since is not None:
            sql += " AND reviewed_at >= ?"
            params.append(_to_ms(since))
        sql += " ORDER BY reviewed_at, id"
        try:
            cursor = self._db.execute(sql, params)
            while True:
                rows = cursor.fetchmany(1000)
                if not rows:
                    return
                for row in rows:
                    yield _review_from_row(row, self.profile)
        except sqlite3.Error as e:
            raise self._error(e, "read") from e

    def answer_totals(self, deck: str, before: datetime, max_answer_ms: int,
                      slot_seconds: int, since: datetime | None = None,
                      day_starts: Sequence[datetime] = ()) -> AnswerTotals:
        """This profile's answers in the deck given before `before`, summed for statistics
        (`quiz.stats.tally_answers` is the same in Python; a test keeps them equal):

        - per slot of `slot_seconds` of UTC time: (slot, answers, seconds spent with each answer capped at
          `max_answer_ms`, non-practice answers to items in the review state, of those rated Hard or better);
        - per item: (deck, card, gap, answers, non-practice answers, correct ones of those: graded correct,
          or self-rated Good or Easy).

        For the slot and cap `quiz stats` uses, these are the running totals the schema keeps (a few
        thousand rows), less the answers logged at or after `before` (normally none: only a clock moved
        back leaves them). Summing a million answers of the log instead takes ~3 s. With `since`, only
        the slots from then on (the items still cover the whole log). With `day_starts`, the slots of each
        of those days summed into one (`HistoryStore.answer_totals`): a year of study is 365 rows instead
        of 35,000, summed by SQLite in a tenth of the time it takes to read the slots."""
        pid = self._pid()
        if pid is None:
            return AnswerTotals()
        first_slot = _first_slot(since, slot_seconds)
        firsts = [first for first in day_slots(day_starts, slot_seconds) if first >= first_slot]
        if max_answer_ms != SUMMED_MAX_ANSWER_MS or slot_seconds != SUMMED_SLOT_SECONDS:
            totals = self._sum_log(pid, deck, "reviewed_at < ?", _to_ms(before), max_answer_ms, slot_seconds)
            return AnswerTotals(merge_days([s for s in totals.slots if s.slot >= first_slot], firsts), totals.items)
        key = (pid, deck)
        if len(firsts) < 2:
            slots = self._read(
                "SELECT slot, answers, capped_ms / 1000.0, review_answers, review_passed FROM answer_slots "
                "WHERE profile_id = ? AND deck = ? AND slot >= ? ORDER BY slot", key + (first_slot,))
        else:
            # Each day's slots, found by a range search of the primary key per day, summed in SQL; the
            # slots outside the days as they are.
            slots = self._read(
                "WITH days (first, next) AS (SELECT value, lead(value) OVER (ORDER BY key) FROM json_each(?)) "
                "SELECT d.first, sum(s.answers), sum(s.capped_ms) / 1000.0, sum(s.review_answers), "
                "sum(s.review_passed) FROM days d JOIN answer_slots s ON s.profile_id = ? AND s.deck = ? "
                "AND s.slot >= d.first AND s.slot < d.next GROUP BY d.first "
                "UNION ALL "
                "SELECT slot, answers, capped_ms / 1000.0, review_answers, review_passed FROM answer_slots "
                "WHERE profile_id = ? AND deck = ? AND slot >= ? AND NOT (slot >= ? AND slot < ?) ORDER BY 1",
                (json.dumps(firsts), *key, *key, first_slot, firsts[0], firsts[-1]))
        self._check_slots(pid, deck, slots, slot_seconds)
        items = self._read(
            "SELECT deck, card, gap, answers, graded, correct FROM item_answers "
            "WHERE profile_id = ? AND deck = ? ORDER BY card, gap", key)
        totals = AnswerTotals(list(map(SlotTotals._make, slots)), list(map(ItemTotals._make, items)))
        late = self._sum_log(pid, deck, "reviewed_at >= ?", _to_ms(before), max_answer_ms, slot_seconds)
        if late.slots or late.items:
            return totals.without(AnswerTotals(merge_days(late.slots, firsts), late.items))
        return totals

    def first_answer(self, deck: str) -> datetime | None:
        """When this profile's first answer in the deck was given; None if it has none."""
        pid = self._pid()
        if pid is None:
            return None
        return _first_answer_from(deck, self._read(
            "SELECT id, card, gap, reviewed_at FROM reviews WHERE profile_id = ? AND deck = ? "
            "ORDER BY reviewed_at, id LIMIT 1", (pid, deck)))

    def _sum_log(self, pid: int, deck: str, when: str, at_ms: int, max_answer_ms: int,
                 slot_seconds: int) -> AnswerTotals:
        """The deck's answers whose time matches `when` (an SQL condition on reviewed_at with one
        parameter, `at_ms`), summed from the log as `answer_totals` describes."""
        slot_ms = slot_seconds * 1000
        where = f"WHERE profile_id = ? AND deck = ? AND {when}"
        params = (pid, deck, at_ms)
        # Floor division, also for (absurd) times before 1970: SQLite's integer division truncates.
        slot = f"(reviewed_at - ((reviewed_at % {slot_ms}) + {slot_ms}) % {slot_ms}) / {slot_ms}"
        review_answer = f"practice = 0 AND before_state = {int(State.REVIEW)}"
        slots = self._read(
            f"SELECT {slot} AS slot, count(*), sum(min(max(duration_ms, 0), ?)) / 1000.0, "
            f"sum({review_answer}), sum({review_answer} AND rating >= {int(Rating.HARD)}) FROM reviews {where} "
            "GROUP BY slot ORDER BY slot",
            (max_answer_ms, *params),
        )
        self._check_slots(pid, deck, slots, slot_seconds)
        items = self._read(
            # `quiz.model.is_correct`, in SQL
            "SELECT deck, card, gap, count(*), sum(practice = 0), sum(practice = 0 AND CASE WHEN verdict = "
            f"'{Verdict.SELF.value}' THEN rating >= {int(SELF_RATED_CORRECT_FROM)} "
            f"ELSE verdict = '{Verdict.CORRECT.value}' END) "
            f"FROM reviews {where} GROUP BY card, gap ORDER BY card, gap",
            params,
        )
        return AnswerTotals([SlotTotals(*row) for row in slots], [ItemTotals(*row) for row in items])

    def _check_slots(self, pid: int, deck: str, slots: list[tuple[Any, ...]], slot_seconds: int) -> None:
        """StoreError naming the answer, if sorted `slots` reach outside the times quiz writes."""
        slot_ms = slot_seconds * 1000
        if slots and not (_MS_MIN // slot_ms <= slots[0][0] and slots[-1][0] < _MS_MAX // slot_ms):
            bad = self._read(
                "SELECT id, deck, card, gap, reviewed_at FROM reviews WHERE profile_id = ? AND deck = ? "
                "AND NOT (reviewed_at >= ? AND reviewed_at < ?) LIMIT 1",
                (pid, deck, _MS_MIN, _MS_MAX),
            )
            if bad:
                rid, bad_deck, card, gap, at = bad[0]
                try:
                    _from_ms(at, f"answer {rid}: time")
                except _BadValue as error:
                    raise _corrupt(bad_deck, card, gap, error) from None

    def resets(self, deck: str | None = None) -> list[ResetEvent]:
        """This profile's logged resets (of one deck, or all), in the order they happened."""
        pid = self._pid()
        if pid is None:
            return []
        sql = (
            f"SELECT id, deck, card, gap, reset_at, log_position, {_cols('before_')} FROM resets "
            "WHERE profile_id = ?"
        )
        params: tuple[Any, ...] = (pid,)
        if deck is not None:
            sql += " AND deck = ?"
            params += (deck,)
        return [_reset_from_row(r, self.profile) for r in self._read(sql + " ORDER BY id", params)]

    def answered_since(self, deck: str, since: datetime) -> AnsweredCounts:
        """(new items introduced, review answers) of this profile in the deck at or after `since`,
        practice answers excluded. For Anki-style daily limits: an answer counts as "new" when the item
        was NEW before it, and as a "review" when the item was in the REVIEW state before it; answers
        to (re)learning steps count in neither, as in Anki."""
        pid = self._pid()
        if pid is None:
            return AnsweredCounts(0, 0)
        rows = self._read(
            "SELECT coalesce(sum(before_state = 0), 0), coalesce(sum(before_state = 2), 0) FROM reviews "
            "WHERE profile_id = ? AND deck = ? AND reviewed_at >= ? AND practice = 0",
            (pid, deck, _to_ms(since)),
        )
        return AnsweredCounts(rows[0][0], rows[0][1])

    def answered_keys(self, deck: str, since: datetime) -> set[tuple[str, int]]:
        """(card, gap) of every item of the deck this profile answered at or after `since`, practice
        answers excluded: e.g. to keep a cloze card's siblings apart for the rest of the study day.
        Much cheaper than reading those answers with `reviews`."""
        pid = self._pid()
        if pid is None:
            return set()
        rows = self._read(
            "SELECT DISTINCT card, gap FROM reviews WHERE profile_id = ? AND deck = ? AND reviewed_at >= ? "
            "AND practice = 0",
            (pid, deck, _to_ms(since)),
        )
        return {(card, gap) for card, gap in rows}

    def orphans(self, deck: str, known: set[tuple[str, int]]) -> list[ItemRecord]:
        """Stored items of the deck whose (card, gap) is not in `known` (cards removed from the deck,
        cloze gaps that no longer exist), sorted by card and gap."""
        items = self.items(deck)
        return [items[key] for key in sorted(items) if key not in known]

    def profiles(self) -> list[str]:
        """Names of the profiles that have anything stored in this file, sorted."""
        return [r[0] for r in self._read("SELECT name FROM profiles ORDER BY name")]

    def class_answers(self, deck: str) -> Iterator[ClassAnswer]:
        """The deck's answers of every profile in this file, one profile after the other (in the order
        the profiles were created), each in time order, streamed.

        CROSS JOIN keeps profiles as the outer loop, so each profile's rows come straight off the
        (profile_id, deck, reviewed_at) index in order: no sort of a million rows. Correctness is decided
        here and the text of correct answers left out, so that most rows carry no new Python string."""
        sql = (
            "SELECT p.name, r.card, r.gap, r.reviewed_at, r.rating, "
            f"{_CORRECT_SQL} AS correct, CASE WHEN {_CORRECT_SQL} THEN '' ELSE r.answer END, r.duration_ms, "
            "r.practice, r.before_state FROM profiles p CROSS JOIN reviews r "
            "ON r.profile_id = p.id AND r.deck = ? ORDER BY p.id, r.reviewed_at, r.id"
        )
        make = ClassAnswer._make
        try:
            cursor = self._db.execute(sql, (deck,))
            while True:
                rows = cursor.fetchmany(4096)
                if not rows:
                    return
                yield from map(make, rows)
        except sqlite3.Error as e:
            raise self._error(e, "read") from e

    def class_items(self, deck: str) -> dict[str, dict[tuple[str, int], ItemRecord]]:
        """Every stored item of the deck of every profile in this file, by profile, then (card, gap)."""
        rows = self._read(
            f"SELECT p.name, {', '.join('i.' + c.strip() for c in _ITEM_COLS.split(','))} "
            "FROM profiles p CROSS JOIN items i ON i.profile_id = p.id AND i.deck = ? ORDER BY p.id, i.card, i.gap",
            (deck,),
        )
        return _items_by_profile(deck, rows)

    def class_summary(self, deck: str, window_start: datetime, now: datetime) -> ClassSummary:
        """The deck's answers of every profile in this file summed for the class report, from the totals
        the schema keeps (version 5): per profile and item the first attempt, review answers, lapses and
        durations (item_answers), the wrong answers by text (wrong_answers), each profile's newest answer
        (one step down the (profile, deck, time) index) and the retention counts (answer_slots, plus the
        log in the two 15-minute slots the window cuts). A few thousand rows, where `class_answers` streams
        a million. One read transaction: every part sees the same answers, whatever other processes commit meanwhile."""
        with self._snapshot():
            return self._class_summary(deck, window_start, now)

    def _class_summary(self, deck: str, window_start: datetime, now: datetime) -> ClassSummary:
        items = self._read(
            "SELECT p.name, i.card, i.gap, i.first_correct, i.review_answers, i.lapses, i.durations "
            "FROM profiles p CROSS JOIN item_answers i ON i.profile_id = p.id AND i.deck = ? AND i.graded > 0 "
            "ORDER BY p.id", (deck,))
        wrong = self._read(
            "SELECT card, gap, answer, sum(answers) FROM wrong_answers WHERE deck = ? GROUP BY card, gap, answer",
            (deck,))
        newest = self._read(
            "SELECT p.name, (SELECT max(r.reviewed_at) FROM reviews r WHERE r.profile_id = p.id AND r.deck = ?) "
            "FROM profiles p", (deck,))
        kept: list[tuple[Any, ...]] = []
        slots, edges = _retention_parts(_to_ms(window_start), _to_ms(now) + 1)
        if slots is not None:
            kept += self._read(
                "SELECT p.name, sum(s.review_answers), sum(s.review_passed) FROM profiles p CROSS JOIN answer_slots s "
                "ON s.profile_id = p.id AND s.deck = ? AND s.slot >= ? AND s.slot < ? GROUP BY p.id",
                (deck, *slots))
        for start, end in edges:
            kept += self._read(
                f"SELECT p.name, count(*), sum(r.rating >= {int(Rating.HARD)}) FROM profiles p CROSS JOIN reviews r "
                "ON r.profile_id = p.id AND r.deck = ? AND r.reviewed_at >= ? AND r.reviewed_at < ? "
                f"WHERE r.practice = 0 AND r.before_state = {int(State.REVIEW)} GROUP BY p.id",
                (deck, start, end))
        return _class_summary(deck, items, _joined_durations, wrong, newest, kept)

    # -- FSRS parameters

    def fsrs_parameters(self, class_wide: bool = False) -> FsrsParameters | None:
        """This profile's fitted FSRS parameters (or the class-wide set), None if none is stored."""
        owner = _CLASS_WIDE if class_wide else self._pid()
        if owner is None:
            return None
        rows = self._read(
            "SELECT weights, fitted_at, reviews, log_loss, rmse_bins, default_log_loss, default_rmse_bins "
            "FROM fsrs_parameters WHERE profile_id = ?",
            (owner,),
        )
        if not rows:
            return None
        weights, *rest = rows[0]
        try:
            return _stored_parameters(json.loads(weights), *rest)
        except (ValueError, TypeError) as e:
            raise StoreError(f"{self.path}: the stored FSRS parameters are damaged ({e}); run quiz optimize again") from e

    def save_fsrs_parameters(self, parameters: FsrsParameters, class_wide: bool = False) -> None:
        """Store this profile's (or the class-wide) FSRS parameters, replacing the previous set."""
        losses = _checked_losses(parameters)
        with self._write() as conn:
            owner = _CLASS_WIDE if class_wide else self._ensure_pid(conn)
            conn.execute(
                "INSERT OR REPLACE INTO fsrs_parameters (profile_id, weights, fitted_at, reviews, log_loss, "
                "rmse_bins, default_log_loss, default_rmse_bins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (owner, json.dumps([float(w) for w in parameters.weights]), _to_ms(parameters.fitted_at),
                 int(parameters.reviews), *(float(x) for x in losses)),
            )

    # -- writing

    def record(self, review: Review) -> Review:
        """Append one answer to the log and, unless it is a practice answer, set the item's state to
        `review.after`; one transaction, committed before this returns. Returns the review as stored:
        with its id, this store's profile, and datetimes at millisecond precision."""
        stored = _as_stored(review, self.profile, _storable_text)
        with self._write() as conn:
            pid = self._ensure_pid(conn)
            key = (pid, stored.deck, stored.card, stored.gap)
            cursor = conn.execute(
                _INSERT_REVIEW,
                key
                + (
                    _to_ms(stored.reviewed_at),
                    stored.rating,
                    stored.verdict.value,
                    stored.answer,
                    stored.duration_ms,
                    stored.interval_days,
                    int(stored.practice),
                    int(stored.override),
                )
                + _state_values(stored.before)
                + _state_values(stored.after),
            )
            review_id = cursor.lastrowid
            if not stored.practice:
                conn.execute(_UPSERT_STATE, key + _state_values(stored.after))
                self._touched.add((stored.deck, stored.card))
        return replace(stored, id=review_id)

    def undo(self, deck: str | None = None, if_newest: int | None = None) -> Review | None:
        """Delete this profile's newest answer (within `deck` if given) from the log and put its item
        back to the state before it. Returns the removed answer, or None if there is none.

        With `if_newest` (a review id), undo only if that answer is still the newest one, checked in
        the same transaction: a session undoing its own last answer never removes one that another
        session recorded meanwhile. Otherwise nothing changes and None is returned.

        If the item was reset after that answer, it stays reset (as a rebuild from the log would
        have it); a practice answer never changed the item, so only its log row goes."""
        if self._pid() is None:  # nothing stored for this profile (or a store opened only to read)
            return None
        with self._write() as conn:
            pid = self._pid()
            if pid is None:
                return None
            # `+profile_id` keeps the planner on the rowid: the newest rows are read first.
            sql = f"SELECT {_REVIEW_COLS} FROM reviews WHERE +profile_id = ?"
            params: tuple[Any, ...] = (pid,)
            if deck is not None:
                sql += " AND +deck = ?"
                params += (deck,)
            row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
            if row is None:
                return None
            review = _review_from_row(row, self.profile)
            if if_newest is not None and review.id != if_newest:
                return None
            conn.execute("DELETE FROM reviews WHERE id = ?", (review.id,))
            if not review.practice:
                key = (pid, review.deck, review.card, review.gap)
                reset_later = conn.execute(
                    "SELECT 1 FROM resets WHERE profile_id = ? AND deck = ? AND card = ? AND gap = ? "
                    "AND log_position >= ? LIMIT 1",
                    key + (review.id,),
                ).fetchone()
                if not reset_later:
                    conn.execute(_UPSERT_STATE, key + _state_values(review.before))
                    self._forget_if_pristine(conn, key)
                    self._touched.add((review.deck, review.card))
        return review

    def set_suspended(
        self, deck: str, card: str, suspended: bool, gaps: Iterable[int] | None = None
    ) -> None:
        """Suspend (or unsuspend) the card: every stored gap of it, or exactly `gaps` if given.

        A card that was never answered has no stored items: pass its `Card.items` as `gaps` (gap 0 is
        assumed otherwise), and they are stored as NEW items with the flag."""
        with self._write() as conn:
            pid = self._ensure_pid(conn)
            for gap in self._targets(conn, pid, deck, card, gaps, create=suspended):
                key = (pid, deck, card, gap)
                conn.execute(
                    "UPDATE items SET suspended = ? WHERE profile_id = ? AND deck = ? AND card = ? AND gap = ?",
                    (int(suspended),) + key,
                )
                self._forget_if_pristine(conn, key)

    def bury(
        self, deck: str, card: str, until: datetime | None, gaps: Iterable[int] | None = None
    ) -> None:
        """Hide the card until `until` (None unburies): every stored gap of it, or exactly `gaps` if
        given (e.g. a cloze card's siblings of the gap just answered; unstored gaps are stored as NEW)."""
        until_ms = _to_ms(until)
        with self._write() as conn:
            pid = self._ensure_pid(conn)
            for gap in self._targets(conn, pid, deck, card, gaps, create=until is not None):
                key = (pid, deck, card, gap)
                conn.execute(
                    "UPDATE items SET buried_until = ? "
                    "WHERE profile_id = ? AND deck = ? AND card = ? AND gap = ?",
                    (until_ms,) + key,
                )
                self._forget_if_pristine(conn, key)

    def reset(self, deck: str, card: str, now: datetime, gaps: Iterable[int] | None = None) -> None:
        """Put the card (every stored gap, or exactly `gaps`) back to NEW, as if never studied; its
        answers stay in the log and the reset itself is logged (see `resets`). The suspended flag is
        kept (it is the student's separate choice); a burial is lifted."""
        now_ms = _to_ms(now)
        with self._write() as conn:
            pid = self._ensure_pid(conn)
            position = conn.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'reviews'"
            ).fetchone()[0]
            for gap in self._targets(conn, pid, deck, card, gaps, create=False):
                key = (pid, deck, card, gap)
                row = conn.execute(
                    f"SELECT {_cols('')} FROM items WHERE profile_id = ? AND deck = ? AND card = ? AND gap = ?",
                    key,
                ).fetchone()
                if row is None:
                    continue  # never stored: it is NEW already
                if tuple(row) != _NEW_STATE:
                    conn.execute(
                        "INSERT INTO resets (profile_id, deck, card, gap, reset_at, log_position, "
                        f"{_cols('before_')}) VALUES ({', '.join('?' * 14)})",
                        key + (now_ms, position) + tuple(row),
                    )
                conn.execute(_UPSERT_STATE, key + _NEW_STATE)
                conn.execute(
                    "UPDATE items SET buried_until = NULL "
                    "WHERE profile_id = ? AND deck = ? AND card = ? AND gap = ?",
                    key,
                )
                self._forget_if_pristine(conn, key)

    def _targets(
        self,
        conn: sqlite3.Connection,
        pid: int,
        deck: str,
        card: str,
        gaps: Iterable[int] | None,
        create: bool,
    ) -> list[int]:
        """The gaps a card-level operation applies to; with `create`, unstored ones are stored as NEW."""
        self._touched.add((deck, card))
        stored = [
            r[0]
            for r in conn.execute(
                "SELECT gap FROM items WHERE profile_id = ? AND deck = ? AND card = ? ORDER BY gap",
                (pid, deck, card),
            )
        ]
        if gaps is None:
            targets = stored or [0]
        else:
            targets = sorted({int(g) for g in gaps})
            if any(g < 0 for g in targets):
                raise ValueError(f"cloze gaps are numbered from 1 (0 for ordinary cards): {targets}")
        if create:
            for gap in targets:
                if gap not in stored:
                    conn.execute(_UPSERT_STATE, (pid, deck, card, gap) + _NEW_STATE)
        return targets

    @staticmethod
    def _forget_if_pristine(conn: sqlite3.Connection, key: tuple[Any, ...]) -> None:
        """Drop an item row that says nothing (NEW, no flags): not stored means exactly that."""
        conn.execute(
            "DELETE FROM items WHERE profile_id = ? AND deck = ? AND card = ? AND gap = ? "
            "AND state = 0 AND step IS NULL AND stability IS NULL AND difficulty IS NULL AND due IS NULL "
            "AND last_review IS NULL AND reps = 0 AND lapses = 0 AND suspended = 0 AND buried_until IS NULL",
            key,
        )


def _first_slot(since: datetime | None, slot_seconds: int) -> int:
    """The first slot `answer_totals` returns: the one `since` starts, or (without it) before any time."""
    if since is None:
        return -(2**62)
    return _to_ms(since) // (slot_seconds * 1000)


def _retention_parts(start: int, end: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """The instants [start, end) in ms as the whole `answer_slots` slots inside them ([first, last + 1), or
    None) and the parts of the two cut slots at its ends, which only the log can count exactly."""
    slot_ms = SUMMED_SLOT_SECONDS * 1000
    first, after = -(-start // slot_ms), end // slot_ms
    if first >= after:
        return None, [(start, end)] if start < end else []
    return (first, after), [(start, first * slot_ms), (after * slot_ms, end)]


def _joined_durations(stored: list[str]) -> list[int]:
    """The numbers in `item_answers.durations` values (',d1,d2,...,', or ',' for none) of one item, parsed
    at once: json.loads of the joined list takes about half the time of int() on each of ~10,000 parts.
    _BadValue for a value quiz cannot have written (a hand edit); `_class_summary` checks the numbers."""
    parts = []
    for text in stored:
        if text.__class__ is not str or text[:1] != "," or text[-1:] != ",":
            raise _BadValue(_BAD_DURATIONS)
        if len(text) > 1:
            parts.append(text[1:-1])
    try:
        numbers: list[int] = json.loads("[" + ",".join(parts) + "]")
    except ValueError:
        raise _BadValue(_BAD_DURATIONS) from None
    return numbers


_BAD_DURATIONS = "the answer times kept for the class report (item_answers.durations) are not whole milliseconds"


def _class_summary(deck: str, items: Iterable[tuple[Any, ...]], joined: Callable[[list[Any]], list[int]],
                   wrong: Iterable[tuple[Any, ...]], newest: Iterable[tuple[Any, ...]],
                   kept: Iterable[tuple[Any, ...]]) -> ClassSummary:
    """A `ClassSummary` from what both stores read: `items` (profile, card, gap, first attempt correct,
    review answers, lapses, the durations of the non-practice answers as the store keeps them) with a
    non-practice answer, profiles in creation order; `joined` the durations of every profile's
    row of one item as one list of ints (in any order); `wrong` (card, gap, text, answers); `newest`
    (profile, newest answer or None); `kept` (profile, answers, passed) for parts of the retention window."""
    import statistics

    firsts: dict[tuple[str, int], list[tuple[str, bool]]] = {}
    sums: dict[tuple[str, int], list[int]] = {}  # item -> [review answers, lapses]
    durations: dict[tuple[str, int], list[Any]] = {}
    for name, card, gap, first_correct, review_answers, lapses, item_durations in items:
        key = (card, gap)
        firsts.setdefault(key, []).append((name, bool(first_correct)))
        total = sums.setdefault(key, [0, 0])
        total[0] += review_answers
        total[1] += lapses
        durations.setdefault(key, []).append(item_durations)
    texts: dict[tuple[str, int], dict[str, int]] = {}
    for card, gap, text, count in wrong:
        texts.setdefault((card, gap), {})[text] = count
    summary = ClassSummary()
    for key, (review_answers, lapses) in sums.items():
        try:
            values = joined(durations[key])
            # sum and min fail on, or show, anything but whole non-negative numbers: C loops over the list
            if values and (sum(values).__class__ is not int or min(values) < 0):
                raise _BadValue(_BAD_DURATIONS)
        except (_BadValue, TypeError):
            raise _corrupt(deck, key[0], key[1], _BadValue(_BAD_DURATIONS)) from None
        median = statistics.median(values) if values else None
        summary.items[key] = ItemSummary(tuple(firsts[key]), review_answers, lapses, median, texts.get(key, {}))
    for name, at in newest:
        if at is None:
            continue
        try:
            _from_ms(at, "newest answer: time")
        except _BadValue as error:  # written by hand, or by a student's role: the report cannot show it
            raise StoreError(f"corrupt history: deck {printable_line(deck)}, profile {printable_line(str(name))}: "
                             f"{error}; restore a backup of the database or remove that row") from None
        summary.last_studied_ms[name] = at
    for name, answers, passed in kept:
        if answers:
            was = summary.retention.get(name, (0, 0))
            summary.retention[name] = (was[0] + answers, was[1] + passed)
    return summary


def _as_stored(review: Review, profile: str, text: Callable[[str], str]) -> Review:
    """`review` checked (`_check_review`) and as a store keeps it: plain values of the right types, times
    at millisecond precision, the typed answer made storable by `text`, this store's profile, no id yet."""
    _check_review(review)
    return replace(
        review,
        verdict=Verdict(review.verdict),
        answer=text(review.answer),
        reviewed_at=_from_ms(_to_ms(review.reviewed_at)),
        rating=int(review.rating),
        duration_ms=int(review.duration_ms),
        interval_days=float(review.interval_days),
        before=_stored(review.before),
        after=_stored(review.after),
        practice=bool(review.practice),
        override=bool(review.override),
        profile=profile,
        id=None,
    )


def _items_by_profile(deck: str, rows: Iterable[tuple[Any, ...]]) -> dict[str, dict[tuple[str, int], ItemRecord]]:
    """Rows of (profile name, then the item columns) as each profile's items by (card, gap)."""
    found: dict[str, dict[tuple[str, int], ItemRecord]] = {}
    for row in rows:
        found.setdefault(row[0], {})[(row[1], row[2])] = _item_from_row(deck, row[1:])
    return found


def _storable_text(text: str) -> str:
    """`text`, with any lone surrogate (undecodable input bytes read with surrogateescape, e.g. typed in
    a terminal whose locale is not UTF-8) replaced by U+FFFD: SQLite text must be valid UTF-8, and an
    answer is worth keeping even with one garbled character."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def _check_review(review: Review) -> None:
    """Reject what the schema would reject, with a clear message (these are programming errors)."""
    if not 1 <= int(review.rating) <= 4:
        raise ValueError(f"rating must be 1..4, not {review.rating!r}")
    if review.verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {review.verdict!r}")
    if review.gap < 0:
        raise ValueError(f"gap must be >= 0, not {review.gap}")
    if review.duration_ms < 0:
        raise ValueError(f"duration_ms must be >= 0, not {review.duration_ms}")
    if not review.deck or not review.card:
        raise ValueError("a review needs a deck id and a card id")
    # SQLite stores NaN as NULL: it would come back as "no value" (or break NOT NULL), never as NaN.
    for name, value in (
        ("interval_days", review.interval_days),
        ("before.stability", review.before.stability),
        ("before.difficulty", review.before.difficulty),
        ("after.stability", review.after.stability),
        ("after.difficulty", review.after.difficulty),
    ):
        if value is not None and math.isnan(value):
            raise ValueError(f"{name} is NaN")
