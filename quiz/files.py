"""Writing files: the one place that decides whether quiz may write a file, and the one way it writes it.

* `write_output` is what every `-o FILE` goes through (history, export, import). It refuses a target that
  is a file quiz is using (the history database, its -wal/-shm, the deck, a cited source, the file being
  imported), any quiz history database, a folder or a block device, and an existing file unless `force`.
  A FIFO or a character device (`/dev/null`, `/dev/stdout`, a shell's `>(...)`) is written into, never
  replaced; a symlink is followed and the file it points to is replaced, the link is kept.
* `replace_atomically` writes a file through a temporary copy beside it, renamed over it once complete
  and synced, so a failure or a crash never leaves half a file (`quiz check --fix` uses it too).

Errors are `UsageError`s naming the file and what to do.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterable

from quiz.errors import UsageError

if TYPE_CHECKING:
    from quiz.model import Deck

# The largest deck file quiz reads (`quiz.deck.load_deck`). Here rather than in quiz.deck, so that a deck
# cache hit (`quiz.deck_cache`) reads the file without importing the parser and PyYAML.
MAX_DECK_BYTES = 5 * 1024 * 1024

_SQLITE_HEADER = b"SQLite format 3\x00"
_QUIZ_APPLICATION_ID = b"QUIZ"  # store.APPLICATION_ID at offset 68 of the header (not imported: start-up)
_DATABASE_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class InUse:
    """A file the command is using, which its output must not replace: `what` completes
    "FILE is ..." (e.g. "the history database in use")."""

    path: Path
    what: str


def read_capped(fd: int, cap: int) -> bytes:
    """At most `cap + 1` bytes of the open file `fd` (one more than allowed, so the caller can tell a file
    over the cap), read in pieces: memory follows what the file holds, never the cap, and a file that
    grew after it was measured, or a device that never ends, still stops at the cap."""
    chunks = []
    remaining = cap + 1
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def deck_files(deck: "Deck", what: str) -> list[InUse]:
    """The deck file (`what` it is to the command) and every source it cites: no output may replace them."""
    used = [InUse(deck.path, what)]
    for source in sorted({c.source for card in deck.cards for c in card.cite}):
        used.append(InUse(deck.sources / source, f"a source cited by {deck.path}"))
    return used


def history_files(db: Path) -> list[InUse]:
    """The history database and the files SQLite keeps beside it while it is open."""
    db = Path(db)
    return [InUse(db, "the history database in use")] + [
        InUse(db.with_name(db.name + side), f"the history database's {side[1:]} file (of {db})")
        for side in _DATABASE_SIDE_FILES
    ]


def _same_file(a: Path, b: Path) -> bool:
    """The same file: the same inode when both exist, else the same absolute path once links are resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _is_quiz_database(path: Path) -> bool:
    """A regular file that starts like a quiz history database (SQLite header, quiz's application id)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        header = os.read(fd, 72)
    except OSError:
        return False
    finally:
        os.close(fd)
    return header.startswith(_SQLITE_HEADER) and header[68:72] == _QUIZ_APPLICATION_ID


def _protected(path: Path) -> str | None:
    """Why `path` is a history database (or a file of one) that no command may replace, else None."""
    real = Path(os.path.realpath(path))
    if _is_quiz_database(real):
        return "a quiz history database"
    for side in _DATABASE_SIDE_FILES:
        if real.name.endswith(side) and _is_quiz_database(real.with_name(real.name[: -len(side)])):
            return f"the {side[1:]} file of the quiz history database {real.with_name(real.name[: -len(side)])}"
    return None


def check_output(path: Path, *, force: bool = False, in_use: Iterable[InUse] = ()) -> str:
    """How `write_output` would write `path`: "new" (a file created), "stream" (a pipe or terminal written
    into), "replace" (an existing file, with `force`); a UsageError for a target it refuses. A command
    that writes several files checks them all first, so a refusal never leaves some of them written."""
    path = Path(path)
    for used in in_use:
        if _same_file(path, used.path):
            raise UsageError(f"{path} is {used.what}; choose another file")
    why = _protected(path)
    if why is not None:
        raise UsageError(f"{path} is {why}; choose another file")
    try:
        info = os.stat(path)  # through a symlink: what it points to decides
    except FileNotFoundError:
        if os.path.islink(path):
            raise UsageError(f"{path} is a symbolic link to a missing file; choose another file") from None
        return "new"
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{path} is a folder; give the file to write, e.g. {path / 'out'}")
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        return "stream"  # a pipe or a terminal (/dev/stdout, >(...)): written into, never renamed over
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path} is not a regular file (a device or socket); choose another file")
    if not force:
        raise UsageError(f"{path} exists; add --force to replace it")
    return "replace"


def write_output(path: Path, write: Callable[[IO[bytes]], object], *, force: bool = False,
                 in_use: Iterable[InUse] = ()) -> None:
    """Write the file given with `-o`: checked (`check_output`, see the module docstring), then written
    by `write`."""
    path = Path(path)
    how = check_output(path, force=force, in_use=in_use)
    if how == "new":
        replace_atomically(path, write)
    elif how == "stream":
        _write_into(path, write)
    else:
        replace_atomically(Path(os.path.realpath(path)), write, shown=path)


def _write_into(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    try:
        # No O_CREAT: if the FIFO or device was swapped for something else meanwhile, fail rather than create.
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
        with os.fdopen(fd, "wb") as out:
            write(out)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def replace_atomically(path: Path, write: Callable[[IO[bytes]], object], *,
                       verify: Callable[[Path], bool] | None = None, shown: Path | None = None) -> bool:
    """Write `path` through a temporary file of the same name in a private folder beside it, synced,
    then renamed over `path` (and the folder synced, so the rename survives a crash). An existing file's
    permissions are kept. With `verify`, the temporary file replaces `path` only if `verify(temporary
    path)` is true; returns whether it did. Errors name `shown` (default `path`)."""
    path = Path(path)
    shown = path if shown is None else shown
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {shown}: the folder {folder} does not exist")
    try:
        import tempfile  # not at module level: the deck loader imports this module on every start-up

        tmp_dir = tempfile.mkdtemp(prefix=".quiz-write-", dir=folder)
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror or error}") from None
    # The same file name: a deck's default id is its file name, and `verify` may load it.
    tmp = os.path.join(tmp_dir, path.name)
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            pass  # a new file: 0666 less the umask, as any program would create it
        if verify is not None and not verify(Path(tmp)):
            return False
        os.replace(tmp, path)
        _fsync_folder(folder)
        return True
    except OSError as error:
        raise UsageError(f"cannot write {shown}: {error.strerror or error}") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.rmdir(tmp_dir)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
