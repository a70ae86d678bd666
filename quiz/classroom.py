"""Classroom administration on a PostgreSQL server: `quiz class init|add-student|add-teacher|roster|students`.

Run by the teacher with the role that owns the class database (it needs CREATEROLE to make the students'
login roles). What each role may do is enforced by the server (quiz/pg/002_security.sql), not here: this
module only creates the schema, the roles and the profiles.

Every role name goes into SQL as a quoted identifier (psycopg.sql.Identifier), every password as a
scram-sha-256 verifier computed here (the server, and its statement log, never see a password), and
names are also checked against a conservative pattern first, so that a name is the same in a URL, in
psql and in a shell.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from quiz.errors import Problem, RosterError, ServerError, UsageError
from quiz.postgres import (SCHEMA_VERSION, ServerUrl, check_version, connect, load_psycopg, migrate,
                           schema_version, server_message)
from quiz.text import printable_line

if TYPE_CHECKING:  # pragma: no cover
    import psycopg

# Lowercase so that the name is the same in psql unquoted; at most 63 bytes (PostgreSQL's NAMEDATALEN).
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,62}")
NAME_RULE = "1-63 characters: lowercase letters, digits, '_', '.', '-', starting with a letter"
MAX_ROSTER_BYTES = 1_000_000
# Connection parameters that a student's URL keeps from the teacher's (how to reach the server safely);
# the teacher's user, password and password file are never copied.
_KEPT_PARAMETERS = ("sslmode", "sslrootcert", "sslcrl", "sslcompression", "sslsni", "gssencmode",
                    "target_session_attrs", "channel_binding", "require_auth")


@dataclass(frozen=True)
class Credentials:
    """A login made by add-student/add-teacher. `url` carries the password: print it once, to the teacher."""

    role: str
    url: str
    profile: str | None  # None for a teacher: teachers read the class, they have no history of their own


@dataclass(frozen=True)
class InitResult:
    applied: list[int]  # schema versions applied now; empty: it was initialised already
    version: int
    teacher_role: str
    student_role: str


@dataclass(frozen=True)
class StudentRow:
    profile: str
    role: str
    answers: int
    last_answer: datetime | None  # UTC


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a profile or role name, or None if it can."""
    if not NAME_PATTERN.fullmatch(name):
        return f"{printable_line(name)!r} is not a valid name ({NAME_RULE})"
    if name.startswith("pg_"):
        return f"{name!r} is not a valid name: names starting with 'pg_' are reserved by PostgreSQL"
    if name in ("public", "none", "current_user", "session_user", "current_role"):
        return f"{name!r} is not a valid name: it is a reserved word for PostgreSQL roles"
    return None


def generate_password() -> str:
    """A new student's password: 128 random bits, URL-safe (nothing to %-encode)."""
    return secrets.token_urlsafe(16)


def read_password_file(path: Path) -> str:
    """The password in the first line of `path` (its line break dropped)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(4097)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the password file {printable_line(str(path))}: "
                         f"{getattr(error, 'strerror', None) or error}") from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise UsageError(f"the password file {printable_line(str(path))} is empty; put the password on its first line")
    if len(password) > 1024 or not password.isprintable():
        raise UsageError(f"the password in {printable_line(str(path))} must be one line of at most 1024 printable characters")
    return password


def _sql():
    from psycopg import sql

    return sql


def _group_names(database: str) -> tuple[str, str]:
    """The class's teacher and student group roles, named after its database (roles are shared by every
    database on a server; the database name keeps two classes' groups apart)."""
    teacher, student = f"{database}_teacher", f"{database}_student"
    if len(student.encode()) > 63:
        raise UsageError(f"the database name {printable_line(database)!r} is too long to name its roles "
                         f"({student!r} is over 63 bytes); use a shorter database name")
    return teacher, student


def _meta(conn: "psycopg.Connection") -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM quiz.meta").fetchall())


def init(url: ServerUrl) -> InitResult:
    """Create (or upgrade) the class schema, its group roles and its security policies. A database that
    is up to date is left as it is (`applied` is empty)."""
    psycopg = load_psycopg()
    with connect(url, autocommit=True) as conn:
        try:
            database = conn.info.dbname
            owner = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]  # always one row
            version = schema_version(conn)
            check_version(version, url)
            meta = _meta(conn) if version >= 2 else {}  # named at the first init: upgrades keep them
        except psycopg.Error as error:
            raise ServerError(f"cannot read the class schema of {url}: {server_message(error)}") from None
        if meta:
            teacher, student = meta["teacher_role"], meta["student_role"]
        else:
            teacher, student = _group_names(database)
        applied = migrate(conn, url, {"owner": owner, "teacher": teacher, "student": student,
                                      "database": database})
        return InitResult(applied, max(applied, default=version), teacher, student)


def _class_roles(conn: "psycopg.Connection", url: ServerUrl) -> dict[str, str]:
    """The group role names of an initialised, current class database."""
    version = schema_version(conn)
    check_version(version, url)
    if version < SCHEMA_VERSION:
        raise UsageError(f"{url} is not set up as a class (schema version {version} of {SCHEMA_VERSION}); "
                         "run: quiz class init --db URL")
    return _meta(conn)


def _existing_roles(conn: "psycopg.Connection", names: list[str]) -> set[str]:
    rows = conn.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)", (names,)).fetchall()
    return {row[0] for row in rows}


def login_url(conn: "psycopg.Connection", role: str, password: str) -> str:
    """The URL `role` logs in with: the server and database the teacher reached, this role and password
    (%-encoded), and the teacher's TLS settings. A socket folder goes in `?host=`, since a URL's host
    part cannot hold a path."""
    info = conn.info
    host, port = info.host or "", str(info.port or "")
    netloc = quote(role, safe="") + ":" + quote(password, safe="") + "@"
    query: dict[str, str] = {}
    if host.startswith("/") or "," in host or not host:
        if host:
            query["host"] = host
        if port:
            query["port"] = port
    else:
        netloc += (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    parameters = info.get_parameters()
    for key in _KEPT_PARAMETERS:
        if parameters.get(key):
            query[key] = parameters[key]
    url = f"postgresql://{netloc}/{quote(info.dbname, safe='')}"
    return url + ("?" + urlencode(query, quote_via=quote) if query else "")


def _create_login(conn: "psycopg.Connection", role: str, password: str, group: str) -> None:
    """CREATE ROLE for one login, member of `group`, with no power beyond the group's. The password goes
    as a scram-sha-256 verifier computed by libpq here."""
    sql = _sql()
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    conn.execute(sql.SQL(
        "CREATE ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT "
        "PASSWORD {verifier} IN ROLE {group}"
    ).format(role=sql.Identifier(role), verifier=sql.Literal(verifier), group=sql.Identifier(group)))


def add_logins(url: ServerUrl, names: list[str], *, teacher: bool = False,
               passwords: dict[str, str] | None = None) -> list[Credentials]:
    """Create a login role for each name (students: with a profile of the same name), all in one
    transaction: either every one is created or none. A name that is invalid or already a role on the
    server is a UsageError naming it. Passwords are generated unless given in `passwords`."""
    for name in names:
        problem = name_problem(name)
        if problem:
            raise UsageError(problem)
    psycopg = load_psycopg()
    created = []
    with connect(url) as conn:
        try:
            roles = _class_roles(conn, url)
            taken = sorted(_existing_roles(conn, names))
            if taken:
                raise UsageError(f"a role named {taken[0]!r} already exists on this server; choose another name")
            group = roles["teacher_role" if teacher else "student_role"]
            for name in names:
                password = (passwords or {}).get(name) or generate_password()
                _create_login(conn, name, password, group)
                if not teacher:
                    conn.execute("INSERT INTO quiz.profiles (name, role_name) VALUES (%s, %s)", (name, name))
                created.append(Credentials(name, login_url(conn, name, password), None if teacher else name))
            conn.commit()
        except psycopg.Error as error:
            raise ServerError(f"cannot add {'teachers' if teacher else 'students'} in {url}: "
                              f"{server_message(error)}") from None
    return created


def _field_columns(line: str, delimiter: str) -> list[int]:
    """1-based column where each field of one CSV line starts (quotes respected)."""
    starts, quoted = [1], False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            starts.append(index + 2)
    return starts


@dataclass(frozen=True)
class RosterEntry:
    name: str
    line: int
    col: int


def read_roster(path: Path) -> list[RosterEntry]:
    """The names in a roster: a CSV file (comma, semicolon or tab separated, as spreadsheets save it)
    whose header row has a `name` column; other columns are ignored, blank names skipped. Every problem
    (bad name, a name listed twice) is reported at once with its line and column, as a RosterError."""
    import csv
    import io

    shown = printable_line(str(path))
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ROSTER_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read the roster {shown}: {error.strerror or error}") from None
    if len(raw) > MAX_ROSTER_BYTES:
        raise RosterError([Problem(shown, 1, 1, f"the roster is larger than {MAX_ROSTER_BYTES} bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_line = raw[:error.start].count(b"\n") + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise RosterError([Problem(shown, bad_line, col, "not UTF-8 text; save the roster as UTF-8 CSV")]) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RosterError([Problem(shown, 1, 1, "the first line must be a header with a 'name' column")])
    delimiter = next((d for d in (",", ";", "\t") if d in lines[0]), ",")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [cell.strip().casefold() for cell in rows[0]]
    if "name" not in header:
        raise RosterError([Problem(shown, 1, 1, "the header has no 'name' column (e.g. a first line: name)")])
    column = header.index("name")
    problems: list[Problem] = []
    entries: list[RosterEntry] = []
    first_seen: dict[str, int] = {}
    # csv rows and file lines match one to one: a name cannot hold a line break (refused below anyway).
    for number, (row, line) in enumerate(zip(rows[1:], lines[1:]), start=2):
        if column >= len(row) or not row[column].strip():
            continue
        name = row[column].strip()
        starts = _field_columns(line, delimiter)
        col = starts[column] if column < len(starts) else 1
        problem = name_problem(name)
        if problem:
            problems.append(Problem(shown, number, col, problem))
        elif name in first_seen:
            problems.append(Problem(shown, number, col, f"{name!r} is listed twice (first on line {first_seen[name]})"))
        else:
            first_seen[name] = number
            entries.append(RosterEntry(name, number, col))
    if problems:
        raise RosterError(problems)
    if not entries:
        raise RosterError([Problem(shown, 1, 1, "the roster lists no names under its 'name' column")])
    return entries


def add_roster(url: ServerUrl, path: Path) -> list[Credentials]:
    """Add every student of a roster file, all or none; a name that is already a role on the server is
    reported at its line like any other problem in the file."""
    entries = read_roster(path)
    names = [entry.name for entry in entries]
    with connect(url) as conn:
        try:
            taken = _existing_roles(conn, names)
        except load_psycopg().Error as error:
            raise ServerError(f"cannot read the roles of {url}: {server_message(error)}") from None
    if taken:
        raise RosterError([Problem(printable_line(str(path)), entry.line, entry.col,
                                   f"a role named {entry.name!r} already exists on this server; choose another name")
                           for entry in entries if entry.name in taken])
    return add_logins(url, names)


def students(url: ServerUrl) -> list[StudentRow]:
    """Every student profile with its role, number of answers and last answer time, by name."""
    with connect(url) as conn:
        try:
            _class_roles(conn, url)
            rows = conn.execute(
                "SELECT p.name, p.role_name, count(r.id), max(r.reviewed_at) "
                "FROM quiz.profiles AS p LEFT JOIN quiz.reviews AS r ON r.profile_id = p.id "
                "GROUP BY p.id ORDER BY p.name"
            ).fetchall()
        except load_psycopg().Error as error:
            raise ServerError(f"cannot list the students of {url}: {server_message(error)}") from None
    return [
        StudentRow(name, role, count,
                   None if last is None else datetime.fromtimestamp(last / 1000, tz=timezone.utc))
        for name, role, count, last in rows
    ]
