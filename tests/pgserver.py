"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, a Unix socket in that
folder (no TCP port, so nothing else on the machine can reach it or clash with it), stopped at the end
of the session, also when a test fails.

The server runs as an unprivileged user: `initdb` and `postgres` refuse to run as root, which is what CI
and this machine run the tests as. Then `nobody` owns the folder and runs the server.

Authentication is real for the roles quiz creates: only the fixture's own superuser (`quiz_admin`)
logs in without a password (`trust`, over the socket only); every other role needs its scram-sha-256
password, so the URLs that `quiz class add-student` prints are tested as a student would use them.

Debian's server binaries live in /usr/lib/postgresql/VERSION/bin (`.ci/run` installs the `postgresql`
package when they are missing); `QUIZ_PG_BINDIR` points elsewhere. Without them the PostgreSQL tests
are skipped with the reason, except under CI=true, where they fail: CI must never pass by skipping.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

ADMIN = "quiz_admin"


def find_bindir() -> Path | None:
    """The newest PostgreSQL server binaries installed here (or QUIZ_PG_BINDIR), or None."""
    configured = os.environ.get("QUIZ_PG_BINDIR", "").strip()
    candidates = [configured] if configured else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def unavailable(reason: str) -> None:
    """Skip the test that needs the server; under CI=true, fail it instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL test server unavailable under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class PgServer:
    bindir: Path
    base: Path  # owned by `user`; holds data/, the socket and the log
    user: str | None  # run the server binaries as this user (when we are root), else as ourselves
    max_connections: int = 40
    extra_settings: tuple[str, ...] = ()  # more `-c name=value` server settings (the benchmark's)
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> str:
        return str(self.base)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        extra = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
               "TZ": "UTC", "HOME": str(self.base)}
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], cwd=self.base, env=env, check=check,
                              capture_output=True, text=True, timeout=120, **extra)

    def start(self) -> None:
        data = self.base / "data"
        self._run("initdb", "-D", str(data), "-U", ADMIN, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                  "--no-instructions", "--auth-local=trust", "--auth-host=reject")
        # Our superuser over the socket without a password; everyone else with a scram-sha-256 password.
        (data / "pg_hba.conf").write_text(
            f"local all {ADMIN} trust\n"
            "local all all scram-sha-256\n"
        )
        self.start_again()

    def start_again(self) -> None:
        """Start the server on its existing data folder (after `stop` or `crash`)."""
        options = " ".join([
            "-c listen_addresses=''",
            f"-c unix_socket_directories='{self.socket_dir}'",
            "-c fsync=on",
            "-c password_encryption=scram-sha-256",
            f"-c max_connections={self.max_connections}",
            "-c shared_buffers=16MB",
            *(f"-c {setting}" for setting in self.extra_settings),
        ])
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.base / "data"), "-l",
                  str(self.base / "server.log"), "-o", options)

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend killed, no shutdown checkpoint; the next start
        recovers from the write-ahead log, as after a power cut."""
        self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-t", "60", "-D", str(self.base / "data"))

    def stop(self) -> None:
        if (self.base / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-m", "fast", "-w", "-t", "60", "-D", str(self.base / "data"), check=False)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.base / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def url(self, dbname: str = "postgres", user: str = ADMIN, password: str | None = None) -> str:
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "")
        return f"postgresql://{auth}@/{quote(dbname, safe='')}?host={quote(self.socket_dir, safe='')}"

    def admin(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def new_class_database(self) -> "ClassDatabase":
        """A fresh database owned by a fresh teacher role (LOGIN, CREATEROLE, a password, not a
        superuser: row-level security holds it to the policies too, as on a real school server)."""
        from psycopg import sql

        number = next(self._names)
        name = f"class{os.getpid()}_{number}"
        owner, password = f"{name}_owner", f"pw-{number}-{os.urandom(6).hex()}"
        with self.admin() as conn:
            before = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(owner), sql.Literal(password)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner)))
        return ClassDatabase(self, name, owner, self.url(name, owner, password), before)


@dataclass
class ClassDatabase:
    server: PgServer
    name: str
    owner: str
    owner_url: str  # carries the owner's password
    roles_before: set[str]

    def drop(self) -> None:
        """Drop the database and every role created since it was made (roles are cluster-wide: the next
        test may create a student of the same name)."""
        from psycopg import sql

        with self.server.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            roles = [row[0] for row in conn.execute("SELECT rolname FROM pg_roles")
                     if row[0] not in self.roles_before]
            for role in roles:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def start_server(max_connections: int = 40, extra_settings: tuple[str, ...] = ()) -> PgServer:
    """Start a server for this test session (or a benchmark), or skip/fail (see `unavailable`)."""
    bindir = find_bindir()
    if bindir is None:
        unavailable("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
                    "(install Debian's postgresql package, or set QUIZ_PG_BINDIR)")
    try:
        import psycopg  # noqa: F401  (only: is it installed?)
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[test]')")
    user = None
    if os.geteuid() == 0:
        user = "nobody"
        try:
            pwd.getpwnam(user)
        except KeyError:
            unavailable("running as root and there is no user 'nobody' to run the server as")
    # Directly under the system temp folder: the unprivileged user must reach it (pytest's own tmp
    # folders are private to root), and a socket path must stay under ~100 bytes.
    base = Path(tempfile.mkdtemp(prefix="quiz-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    server = PgServer(bindir, base, user, max_connections, extra_settings)
    try:
        server.start()
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", None) or ""
        log = server.log_tail()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        unavailable(f"cannot start the PostgreSQL test server: {error}\n{detail}\n{log}")
    return server


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (started on first use, stopped at the end)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture
def class_db(pg_server: PgServer):
    """A fresh, empty database owned by a non-superuser teacher role; dropped afterwards with every role
    the test created."""
    database = pg_server.new_class_database()
    try:
        yield database
    finally:
        database.drop()
