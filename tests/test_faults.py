"""Faults around a study session: each one ends in a clear message (no traceback) and loses no answer the
session had confirmed. An answer counts as confirmed once the session has moved past it (the next card's
header or the summary is on screen); each test compares the confirmed answers with the history afterwards.

Faults: the history folder read-only (run as `nobody`: root ignores permissions), the history locked by
another process beyond the busy timeout (at start and in the middle of a session), the disk full during a
commit (RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail with EFBIG), a session killed with SIGKILL (its
WAL file left behind), a C locale and an ASCII-only output encoding, a 40x10 terminal, stdin at end of
file and stdin closed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import resource
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from quiz.errors import StoreError
from quiz.store import Store

QUIZ = [sys.executable, "-m", "quiz"]
NOW = "2026-11-21T10:00:00+00:00"
# Each process's clock starts at QUIZ_NOW and runs on, and the log is read back in time order: a session
# that follows another in a test starts later.
SEED_TIME, LATER = "2026-11-21T09:00:00+00:00", "2026-11-21T11:00:00+00:00"
CARDS = 12
DECK_ID = "modules"
HEADER = re.compile(r"^Station modules [·-] \d+ left today", re.M)  # "-": the look-alike in an ASCII locale


def answer_for(question_number: int) -> str:
    return f"{question_number * 7} tonnes"


def write_deck(folder: Path) -> Path:
    (folder / "src").mkdir(parents=True, exist_ok=True)
    facts = "".join(f"Module {i} of the station weighs {answer_for(i)} “without fuel”.\n" for i in range(CARDS))
    (folder / "src" / "modules.txt").write_text(facts, encoding="utf-8")
    cards = "".join(
        f"  - id: m{i}\n"
        f"    question: How much does module {i} weigh (“dry”)?\n"
        f"    answer: {answer_for(i)}\n"
        f"    cite:\n"
        f"      - source: modules.txt\n"
        f"        quote: Module {i} of the station weighs {answer_for(i)}\n"
        for i in range(CARDS)
    )
    path = folder / "modules.yaml"
    path.write_text(f"id: {DECK_ID}\ntitle: Station modules\nsources: src\ncards:\n{cards}", encoding="utf-8")
    return path


def quiz_env(db: Path, now: str = NOW, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZ_", "LC_"))}
    env.update(QUIZ_DB=str(db), QUIZ_NOW=now, TZ="UTC", NO_COLOR="1", COLUMNS="80", LANG="C.UTF-8")
    env.update(extra)
    return env


def all_answers() -> str:
    """Input answering every card right (whichever order they come in) and taking the suggested rating."""
    return "".join(f"{answer_for(i)}\n\n" for i in range(CARDS))


def confirmed_answers(transcript: str) -> list[str]:
    """The answers a plain-mode transcript shows as done: rated, then followed by a header or the summary."""
    confirmed = []
    chunks = transcript.split("rating> ")
    for before, after in zip(chunks, chunks[1:]):
        if HEADER.search(after) or "Session over" in after:
            typed = re.findall(r"^answer> (.*)$", before, re.M)
            confirmed.append(typed[-1])
    return confirmed


def stored_answers(db: Path) -> list[str]:
    with Store(db) as store:
        return [r.answer for r in store.reviews(DECK_ID)]


def seed_history(db: Path, deck: Path, answers: int = 1) -> list[str]:
    """A history with `answers` confirmed answers, made by a normal session."""
    typed = "".join(f"{answer_for(i)}\n\n" for i in range(answers))  # then end of input
    done = subprocess.run(QUIZ + ["study", "--plain", str(deck)], input=typed, capture_output=True, text=True,
                          env=quiz_env(db, SEED_TIME), timeout=60)
    assert done.returncode == 0, done.stderr
    confirmed = confirmed_answers(done.stdout)
    assert stored_answers(db) == confirmed
    return confirmed


def right_answer(transcript: str) -> str:
    number = int(re.findall(r"How much does module (\d+) weigh", transcript)[-1])
    return answer_for(number)


class PlainSession:
    """`quiz study --plain` driven line by line through pipes."""

    def __init__(self, deck: Path, env: dict[str, str], **popen):
        self.proc = subprocess.Popen(QUIZ + ["study", "--plain", str(deck)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **popen)
        self.out = ""

    def read_until(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while not re.search(pattern, self.out):
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {pattern!r}:\n{self.out}"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, f"output ended before {pattern!r}:\n{self.out}"
                self.out += chunk.decode("utf-8", "replace")
        return self.out

    def send(self, line: str) -> None:
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def answer_one(self) -> str:
        """Answer the card on screen right, take the suggested rating, wait until the session moves on."""
        self.read_until(r"answer> $")
        typed = right_answer(self.out)
        self.send(typed)
        self.read_until(r"rating> $")
        headers = len(HEADER.findall(self.out))
        self.send("")
        deadline = time.monotonic() + 30
        while len(HEADER.findall(self.out)) == headers and "Session over" not in self.out:
            self.read_until(r"answer> $|Session over", timeout=max(0.1, deadline - time.monotonic()))
        return typed

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out.decode("utf-8", "replace")
        return self.proc.returncode, self.out, err.decode("utf-8", "replace")


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    return write_deck(tmp_path / "deck")


def assert_clean_error(code: int, err: str, needle: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], err


# --------------------------------------------------------------------------------------------------
# A session killed mid-way: the WAL file is left behind and every confirmed answer is in it


def test_a_killed_session_keeps_every_confirmed_answer(tmp_path: Path, deck: Path) -> None:
    db = tmp_path / "db" / "quiz.db"
    session = PlainSession(deck, quiz_env(db))
    confirmed = [session.answer_one() for _ in range(5)]
    session.read_until(r"answer> $")
    session.send(right_answer(session.out))  # answered, not yet rated: not confirmed
    session.read_until(r"rating> $")
    session.proc.kill()
    session.proc.wait(10)
    session.proc.stdout.close(), session.proc.stderr.close(), session.proc.stdin.close()
    wal = db.with_name(db.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0, "expected the killed writer to leave its WAL behind"

    assert stored_answers(db) == confirmed
    # A new session recovers from the stale WAL and goes on.
    again = subprocess.run(QUIZ + ["study", "--plain", str(deck)], input=all_answers(), capture_output=True,
                           text=True, env=quiz_env(db, LATER), timeout=60)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert stored_answers(db) == confirmed + confirmed_answers(again.stdout)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# --------------------------------------------------------------------------------------------------
# The -wal file deleted while a session runs (by hand, or by a tool that cleans "temporary" files)


def _start_and_delete_wal(tmp_path: Path, deck: Path) -> tuple[PlainSession, list[str], Path]:
    db = tmp_path / "db" / "quiz.db"
    session = PlainSession(deck, quiz_env(db))
    confirmed = [session.answer_one() for _ in range(3)]
    wal = db.with_name(db.name + "-wal")
    assert wal.exists()
    wal.unlink()
    return session, confirmed, db


def test_a_deleted_wal_then_a_crash_loses_no_confirmed_answer(tmp_path: Path, deck: Path) -> None:
    # Every answer used to live only in the -wal file until the session closed: deleted, then the session
    # killed (a crash, a power cut), every answer was gone and the database file held not even a schema.
    session, confirmed, db = _start_and_delete_wal(tmp_path, deck)
    session.proc.kill()
    session.proc.wait(10)
    session.proc.stdout.close(), session.proc.stderr.close(), session.proc.stdin.close()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:  # the database file alone, read-only
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert [r[0] for r in conn.execute("SELECT answer FROM reviews ORDER BY id")] == confirmed


def test_a_deleted_wal_stops_the_session_before_an_answer_it_could_lose(tmp_path: Path, deck: Path) -> None:
    session, confirmed, db = _start_and_delete_wal(tmp_path, deck)
    session.read_until(r"answer> $")
    session.send(right_answer(session.out))
    session.read_until(r"rating> $")
    session.send("")  # rate: the store notices its -wal file is gone instead of writing into it
    code, out, err = session.finish()
    assert_clean_error(code, err, f"write-ahead log {db}-wal was removed")
    assert confirmed_answers(out) == confirmed
    assert stored_answers(db) == confirmed


@pytest.mark.parametrize("command", ["stats", "list", "history", "undo"])
def test_read_commands_refuse_an_empty_file_and_leave_it_empty(tmp_path: Path, deck: Path, command: str) -> None:
    # They used to write a 45 KB schema into it (an emptied database file looked like a new one).
    db = tmp_path / "empty.db"
    db.touch()
    args = {"stats": [str(deck)], "list": [str(deck)], "history": [], "undo": []}[command]
    done = subprocess.run(QUIZ + [command, *args, "--db", str(db)], capture_output=True, text=True,
                          env=quiz_env(db), timeout=60)
    assert_clean_error(done.returncode, done.stderr, f"{db} holds no quiz history")
    assert db.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck", "empty.db"]


# --------------------------------------------------------------------------------------------------
# The disk full during a commit


def test_a_full_disk_during_a_commit_is_a_clear_error_and_loses_nothing(tmp_path: Path, deck: Path) -> None:
    db = tmp_path / "db" / "quiz.db"
    before = seed_history(db, deck)
    # No file may grow past half the database's present size. (Up to the database's size, as before, no
    # longer bites: every commit is checkpointed, so the WAL never holds more than one answer.)
    limit = db.stat().st_size // 2

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(QUIZ + ["study", "--plain", str(deck)], input=all_answers().encode(),
                          capture_output=True, env=quiz_env(db), preexec_fn=small_disk, timeout=60)
    out, err = done.stdout.decode(), done.stderr.decode()
    assert_clean_error(done.returncode, err, str(db))
    assert re.search(r"disk is full|disk reported an error", err), err
    confirmed = confirmed_answers(out)
    assert len(confirmed) < CARDS - 1, "the size limit never bit"
    assert stored_answers(db) == before + confirmed
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# --------------------------------------------------------------------------------------------------
# Another process holding the lock


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def hold_lock(db: Path) -> subprocess.Popen:
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    return locker


def release(locker: subprocess.Popen) -> None:
    locker.stdin.close()
    locker.wait(10)
    locker.stdout.close()


def test_a_history_locked_past_the_busy_timeout_at_start_is_a_clear_error(tmp_path: Path, deck: Path) -> None:
    """Through the CLI, waiting QUIZ_BUSY_TIMEOUT (1 s here; 10 s by default)."""
    db = tmp_path / "db" / "quiz.db"
    before = seed_history(db, deck)
    locker = hold_lock(db)
    try:
        done = subprocess.run(QUIZ + ["study", "--plain", str(deck)], input=all_answers(), capture_output=True,
                              text=True, env=quiz_env(db, QUIZ_BUSY_TIMEOUT="1"), timeout=60)
    finally:
        release(locker)
    assert_clean_error(done.returncode, done.stderr, "is locked by another program")
    assert "Q: " not in done.stdout  # no card was shown that could not be saved
    assert stored_answers(db) == before


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


class _LockingInput(io.StringIO):
    """Answers every card; before the line that answers card number `at`, another process takes the lock."""

    def __init__(self, db: Path, at: int):
        super().__init__(all_answers())
        self.db, self.at, self.lines, self.locker = db, at, 0, None

    def readline(self, *args) -> str:  # type: ignore[override]
        self.lines += 1
        if self.lines == 2 * (self.at - 1) + 1 and self.locker is None:
            self.locker = hold_lock(self.db)
        return super().readline(*args)


def test_a_history_locked_in_the_middle_of_a_session_loses_no_confirmed_answer(tmp_path: Path, deck: Path) -> None:
    """In-process, through the real Session and plain front end, with a busy timeout of 0.3 s."""
    from quiz.deck import load_deck
    from quiz.session import Session, StudyOptions
    from quiz.ui.plain import PlainFrontend

    db = tmp_path / "db" / "quiz.db"
    stdin, stdout = _LockingInput(db, at=4), io.StringIO()
    store = Store(db, busy_timeout=0.3)
    try:
        with pytest.raises(StoreError, match="is locked by another program"):
            Session([load_deck(deck)], store, _Clock(), PlainFrontend(stdin, stdout, echo=True),
                    StudyOptions(tz=timezone.utc)).run()
    finally:
        store.close()
        if stdin.locker is not None:
            release(stdin.locker)
    confirmed = confirmed_answers(stdout.getvalue())
    assert len(confirmed) == 3
    assert stored_answers(db) == confirmed


# --------------------------------------------------------------------------------------------------
# A read-only history folder (as an unprivileged user: root may write anywhere)


def _run_as_nobody():
    if os.geteuid() != 0:
        return []  # already unprivileged: permissions apply
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only for quiz")
    probe = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                            "import quiz.store"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot run this Python/quiz: " + probe.stderr.decode()[-200:])
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_dir():
    """A folder user nobody can read (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="quiz-faults-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("existing", [True, False], ids=["existing-history", "no-history-yet"])
def test_a_read_only_history_folder_is_a_clear_error(shared_dir: Path, existing: bool) -> None:
    as_nobody = _run_as_nobody()
    deck = write_deck(shared_dir / "deck")
    for path in [shared_dir / "deck", *(shared_dir / "deck").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    folder = shared_dir / "db"
    folder.mkdir()
    db = folder / "quiz.db"
    before = seed_history(db, deck) if existing else []
    for path in [folder, *folder.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    digest = _digest(folder)
    if not as_nobody:
        assert not os.access(folder, os.W_OK), "could not make the folder read-only"
    env = quiz_env(db, HOME=str(shared_dir))
    done = subprocess.run(as_nobody + QUIZ + ["study", "--plain", str(deck)], input=all_answers(),
                          capture_output=True, text=True, env=env, timeout=60, cwd=shared_dir)
    assert_clean_error(done.returncode, done.stderr, str(db))
    assert re.search(r"read-only|cannot (create|open|write)", done.stderr), done.stderr
    assert "Q: " not in done.stdout  # no card was shown that could not be saved
    assert _digest(folder) == digest
    if existing:
        folder.chmod(0o755)
        assert stored_answers(db) == before


@pytest.mark.parametrize("folder_mode", [0o555, 0o777], ids=["read-only-folder", "read-only-file"])
def test_a_read_only_history_still_serves_stats_list_and_history(shared_dir: Path, folder_mode: int) -> None:
    # They used to open it for writing and fail ("attempt to write a readonly database"); a read-only
    # connection in a writable folder would leave -wal/-shm files behind.
    as_nobody = _run_as_nobody()
    deck = write_deck(shared_dir / "deck")
    for path in [shared_dir / "deck", *(shared_dir / "deck").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    folder = shared_dir / "db"
    folder.mkdir()
    db = folder / "quiz.db"
    answers = seed_history(db, deck, answers=2)
    db.chmod(0o444)
    folder.chmod(folder_mode)
    digest = _digest(folder)
    if not as_nobody:
        assert not os.access(db, os.W_OK), "could not make the history read-only"
    env = quiz_env(db, HOME=str(shared_dir))
    for command in (["stats", str(deck)], ["list", str(deck)], ["history", "--format", "json"]):
        done = subprocess.run(as_nobody + QUIZ + command, capture_output=True, text=True, env=env, timeout=60,
                              cwd=shared_dir)
        assert (done.returncode, done.stderr) == (0, ""), (command, done.stderr)
        if command[0] == "history":
            assert [r["answer"] for r in json.loads(done.stdout)] == answers
        elif command[0] == "list":
            assert re.search(r"m\d+ +typed +learning", done.stdout), done.stdout
        assert _digest(folder) == digest, command  # nothing written, no -wal/-shm left behind


# --------------------------------------------------------------------------------------------------
# Terminals and encodings


def test_a_c_locale_still_shows_curly_quotes_and_saves_answers(tmp_path: Path, deck: Path) -> None:
    db = tmp_path / "quiz.db"
    env = quiz_env(db, LANG="C", LC_ALL="C")
    done = subprocess.run(QUIZ + ["study", "--plain", str(deck)], input=all_answers().encode(),
                          capture_output=True, env=env, timeout=60)
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 0 and err == "", err
    assert "“without fuel”" in out or "(“dry”)" in out
    assert stored_answers(db) == confirmed_answers(out)
    assert len(confirmed_answers(out)) == CARDS


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_output_encoding_without_curly_quotes_degrades_instead_of_crashing(
    tmp_path: Path, deck: Path, encoding: str
) -> None:
    db = tmp_path / "quiz.db"
    env = quiz_env(db, PYTHONIOENCODING=encoding)
    done = subprocess.run(QUIZ + ["study", "--plain", str(deck)], input=all_answers().encode(),
                          capture_output=True, env=env, timeout=60)
    out, err = done.stdout.decode(encoding, "replace"), done.stderr.decode(encoding, "replace")
    assert "Traceback" not in err
    assert done.returncode == 0, err
    assert len(confirmed_answers(out)) == CARDS
    assert stored_answers(db) == confirmed_answers(out)
    check = subprocess.run(QUIZ + ["check", str(deck)], capture_output=True, env=env, timeout=60)
    assert check.returncode == 0 and b"Traceback" not in check.stderr, check.stderr


def test_a_40_by_10_terminal(tmp_path: Path, deck: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    db = tmp_path / "quiz.db"
    env = quiz_env(db, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm-256color")
    for name in ("NO_COLOR", "COLUMNS", "LINES"):
        env.pop(name, None)
    child = pexpect.spawn(sys.executable, ["-m", "quiz", "study", str(deck)], env=env, encoding="utf-8",
                          dimensions=(10, 40), timeout=30)
    child.logfile_read = transcript = io.StringIO()
    typed = []
    try:
        for _ in range(2):
            child.expect(r"module (\d+)")
            number = int(child.match.group(1))
            child.expect("Your answer")
            typed.append(answer_for(number))
            child.send(typed[-1] + "\r")
            child.expect("Correct")
            child.expect("Rate your answer")
            child.send("\r")
        child.expect("Your answer")
        child.send("\x03")  # Ctrl-C before answering the third card
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert "Traceback" not in transcript.getvalue()
    assert child.exitstatus == 130
    assert stored_answers(db) == typed


# --------------------------------------------------------------------------------------------------
# No input


def test_stdin_at_end_of_file_ends_the_session_normally(tmp_path: Path, deck: Path) -> None:
    db = tmp_path / "quiz.db"
    done = subprocess.run(QUIZ + ["study", "--plain", str(deck)], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=quiz_env(db), timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "Session over: 0 cards studied" in done.stdout
    assert stored_answers(db) == []


@pytest.mark.parametrize("plain", [True, False], ids=["plain", "auto"])
def test_a_closed_stdin_ends_the_session_normally(tmp_path: Path, deck: Path, plain: bool) -> None:
    db = tmp_path / "quiz.db"
    args = ["study", "--plain", str(deck)] if plain else ["study", str(deck)]
    done = subprocess.run(QUIZ + args, capture_output=True, text=True, env=quiz_env(db), timeout=60,
                          preexec_fn=lambda: os.close(0))
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "Session over: 0 cards studied" in done.stdout
    assert stored_answers(db) == []
