"""The PostgreSQL side of quiz: telling a server URL from a file, hiding its password, connecting, and
the versioned schema in quiz/pg/*.sql with its migration runner.

psycopg is imported inside the functions that talk to a server: a student who studies from a SQLite
file never loads it (and need not have it installed: it is the `postgres` extra).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.errors import ServerError
from quiz.text import printable_line

if TYPE_CHECKING:  # pragma: no cover
    import psycopg

SCHEMA_DIR = Path(__file__).resolve().parent / "pg"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

# `postgresql://user:password@host...`: libpq ends the user info at the first '@' or '/', so a password
# holds no raw '/' or '@' (they are %-encoded); whitespace ends a URL inside a message.
_URL_PASSWORD = re.compile(r"((?:postgres|postgresql)://[^:@/\s]*:)[^@/\s]*@", re.IGNORECASE)
# `password=...` as a URL query parameter or a key=value conninfo item (quoted or not).
_PARAM_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", re.IGNORECASE)


def is_server_url(value: object) -> bool:
    """True for a `postgresql://` (or `postgres://`) URL: the PostgreSQL store. Anything else is a file."""
    return str(value).lower().startswith(("postgresql://", "postgres://"))


def redact_url(text: str) -> str:
    """`text` with every password in a PostgreSQL URL or conninfo string replaced by `***`."""
    return _PARAM_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", str(text)))


class ServerUrl:
    """A server URL that never shows its password: str(), repr() and f-strings give the redacted form;
    only `secret` (passed to libpq) holds the real one."""

    __slots__ = ("secret",)

    def __init__(self, url: str) -> None:
        self.secret = str(url)

    def __str__(self) -> str:
        return redact_url(self.secret)

    def __repr__(self) -> str:
        return f"ServerUrl({redact_url(self.secret)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServerUrl) and other.secret == self.secret

    def __hash__(self) -> int:
        return hash(self.secret)


def load_psycopg():
    try:
        import psycopg
    except ImportError:
        raise ServerError("a PostgreSQL server needs the psycopg package: pip install 'quiz[postgres]'") from None
    return psycopg


def server_message(error: BaseException) -> str:
    """A psycopg error as one printable line without passwords: the server's primary message, or the
    first line of libpq's."""
    diag = getattr(error, "diag", None)
    text = getattr(diag, "message_primary", None) or str(error).strip() or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = "; ".join(lines[:2]) if lines else type(error).__name__
    return redact_url(printable_line(text))


def connect(url: ServerUrl, *, autocommit: bool = False) -> "psycopg.Connection":
    """A connection to the server at `url` (a ServerError naming it, password hidden, if that fails)."""
    psycopg = load_psycopg()
    try:
        return psycopg.connect(url.secret, autocommit=autocommit, connect_timeout=15, application_name="quiz")
    except psycopg.Error as error:
        raise ServerError(f"cannot connect to {url}: {server_message(error)}") from None
    except (ValueError, TypeError) as error:  # not a valid URL or conninfo at all
        raise ServerError(f"{url} is not a valid PostgreSQL URL: {redact_url(str(error))}") from None


# --- the schema ---------------------------------------------------------------------------------------


def migrations() -> list[tuple[int, Path]]:
    """Every quiz/pg/NNN_name.sql, by version; versions run 1, 2, 3, ... without gaps."""
    found = []
    for path in SCHEMA_DIR.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    found.sort()
    if [version for version, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"quiz/pg/ migrations are not numbered 001, 002, ...: {[p.name for _, p in found]}")
    return found


SCHEMA_VERSION = len(migrations())


def schema_version(conn: "psycopg.Connection") -> int:
    """The schema version of the database `conn` is connected to; 0 if quiz never initialised it."""
    # Each query returns exactly one row (a scalar, an aggregate): fetchone() is never None here.
    if conn.execute("SELECT to_regclass('quiz.schema_version')").fetchone()[0] is None:  # type: ignore[index]
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM quiz.schema_version").fetchone()[0])  # type: ignore[index]


def check_version(version: int, where: ServerUrl) -> None:
    """Refuse a database that a newer quiz has upgraded: this one would misread it."""
    if version > SCHEMA_VERSION:
        raise ServerError(f"{where} has quiz schema version {version}, newer than this quiz understands "
                          f"({SCHEMA_VERSION}); upgrade quiz")


def migrate(conn: "psycopg.Connection", where: ServerUrl, names: dict[str, str]) -> list[int]:
    """Bring the database up to SCHEMA_VERSION: each missing version in one transaction of its own, with
    its row in quiz.schema_version, so a failure leaves the last complete version. Returns the versions
    applied (none for an up-to-date database). `names` fills the scripts' placeholders: role and
    database names, quoted as identifiers (`teacher_name`/`student_name` as literals too).
    Concurrent runs wait for each other (an advisory lock) instead of both creating the schema."""
    from psycopg import sql

    psycopg = load_psycopg()
    values: dict[str, sql.Composable] = {key: sql.Identifier(value) for key, value in names.items()}
    values.update({f"{key}_name": sql.Literal(value) for key, value in names.items()})
    applied = []
    try:
        for version, path in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('quiz schema'))")
                current = schema_version(conn)
                check_version(current, where)
                if current >= version:
                    continue
                conn.execute(sql.SQL(path.read_text(encoding="utf-8")).format(**values))
                conn.execute("INSERT INTO quiz.schema_version (version) VALUES (%s)", (version,))
            applied.append(version)
    except psycopg.Error as error:
        raise ServerError(f"cannot set up the class schema in {where}: {server_message(error)}") from None
    return applied
