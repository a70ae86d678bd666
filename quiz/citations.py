"""Locating a card's quotes in its source files.

A quote is *exact* when it occurs verbatim, *normalized* when it occurs once both sides are folded
(Unicode compatibility forms, curly quotes, dashes, whitespace runs, case) or when an ellipsis in the
quote joins pieces that occur in order, and *missing* otherwise (then we explain: the closest passage in
the cited file, its similarity score and a word diff, and any other source file that does contain it).
A source path that leaves the sources folder, is missing, is not a regular file or is not UTF-8 is an
*error*; such a file is never opened.

Every position reported points into the ORIGINAL source text: normalization keeps an offset map from
normalized index to original index, so `text[start:end]` of an exact or normalized result normalizes
to the normalized quote.

Sources are never "corrected": a quote that fixes a typo in the source ("earlier" for "earklier") is
missing, because the citation must reproduce the source.
"""

from __future__ import annotations

import difflib
import errno
import operator
import os
import re
import stat
import unicodedata
from bisect import bisect_right
from itertools import accumulate, compress, repeat
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence

from quiz.errors import QuizError
from quiz.files import read_capped
from quiz.model import LocationStatus
from quiz.text import compiled

# The kinds of difference a normalized match may have, in the order they are reported.
KINDS = ("unicode", "quotes", "dashes", "whitespace", "case")

# Typographic quotes (and primes and guillemets, which sources use as quotes) fold to ASCII ' and ".
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02bb\u00b4\u2039\u203a\uff07"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u301d\u301e\u301f\uff02"
_QUOTE_FOLD = {**{c: "'" for c in _SINGLE_QUOTES}, **{c: '"' for c in _DOUBLE_QUOTES}}
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
_DASH_FOLD = {c: "-" for c in _DASHES}
# Invisible characters that web-scraped text is full of: soft hyphen, zero-width (non-)joiners, BOM.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")

# The patterns with invisible characters, and _SENTENCE_END, are compiled where first needed (`compiled`):
# most texts hold no invisible character, and only study shows a passage's sentences.
_INVISIBLE_RE = "[\u00ad\u200b-\u200d\u2060\ufeff]+"
_HAS_WS = re.compile(r"\s")
_WORD = re.compile(r"\S+")
_NON_ASCII_CHAR = re.compile(r"[^\x00-\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_LONG_RUN = r"[\s\u00ad\u200b-\u200d\u2060\ufeff]{2,}"
_LONG_WS = re.compile(r"\s\s+")
# A run of whitespace/invisible characters, except a lone ASCII space (the lookbehind rejects a space
# not followed by another such character). Starting with a character class keeps the scan fast.
_WS_RUN = (r"[\s\u00ad\u200b-\u200d\u2060\ufeff](?<! (?![\s\u00ad\u200b-\u200d\u2060\ufeff]))"
           r"[\s\u00ad\u200b-\u200d\u2060\ufeff]*")

# An ellipsis in a quote marks left-out text: `...`, `…`, and the bracketed forms `(…)`, `[...]`.
_ELLIPSIS = re.compile(r"\s*(?:[(\[]\s*(?:\.\s?\.\s?\.|\u2026)\s*[)\]]|\.{3,}|\u2026)\s*")

MAX_SOURCE_BYTES = 20 * 1024 * 1024
# How much of the folder's uncited files `quiz check` reads, per deck, looking for a missing quote
# elsewhere ("wrong file cited?"): it bounds the time of that hint on a huge folder (`sources: /`).
MAX_SCAN_BYTES = 200 * 1024 * 1024


class SourceError(QuizError):
    """A citation's source cannot be used: outside the sources folder, missing, not a file, not UTF-8."""

    def __init__(self, source: str, reason: str, message: str):
        self.source = source
        self.reason = reason  # "escape" | "missing" | "not-a-file" | "not-utf8" | "unreadable" | "too-large"
        super().__init__(message)


def _fold_char(c: str, skip: frozenset[str] = frozenset()) -> str:
    """The normalized form of one non-whitespace character, leaving the kinds in `skip` unfolded."""
    if c in _QUOTE_FOLD and "quotes" not in skip:
        return _QUOTE_FOLD[c]
    if c in _DASH_FOLD and "dashes" not in skip:
        return _DASH_FOLD[c]
    if "unicode" not in skip:
        if c in _INVISIBLE:
            return ""
        # NFKD rather than NFKC, applied per character: equal under NFKC iff equal under NFKD, and
        # decomposing lets a precomposed "é" match "e" + combining accent without looking ahead.
        c = unicodedata.normalize("NFKD", c)
        if len(c) > 1 and c[0] == " ":
            # A spacing diacritic ("¸", "¨", "˘", "‾", Arabic spacing vowel marks) decomposes to a space
            # and its combining mark(s). Keep only the marks: an inserted space would make a quote that
            # starts with the diacritic (stripped of its leading space) begin inside the character.
            c = c[1:]
    return c if "case" in skip else c.casefold()


_NO_SKIP: frozenset[str] = frozenset()
_FOLD_CACHE: dict[tuple[str, frozenset[str]], str] = {}  # per character; bounded like the caches below


def _fold_run(run: str, skip: frozenset[str]) -> str:
    """Fold a run of non-ASCII characters one by one (per character, exactly as NormText does)."""
    out = []
    for c in run:
        key = (c, skip)
        folded = _FOLD_CACHE.get(key)
        if folded is None:
            folded = _fold_char(c, skip)
            if len(_FOLD_CACHE) < 100_000:
                _FOLD_CACHE[key] = folded
        out.append(folded)
    return "".join(out)


def _collapse_ws(text: str) -> str:
    """Whitespace runs (with any invisible characters in them) to one space; invisible runs to nothing."""
    if not text.isascii() and any(c in text for c in _INVISIBLE):
        text = compiled(_INVISIBLE_RE).sub("", text)
    core = " ".join(text.split())
    if not core:
        return " " if text else ""
    return (" " if text[0].isspace() else "") + core + (" " if text[-1].isspace() else "")


_RUN_CACHE: dict[str, str] = {}
_CHANGING_RE_CACHE: dict[frozenset[str], re.Pattern[str]] = {}


def _fold_run_default(m: re.Match[str]) -> str:
    run = m.group()
    folded = _RUN_CACHE.get(run)
    if folded is None:
        folded = _fold_run(run, _NO_SKIP)
        if len(_RUN_CACHE) < 100_000:  # bounded, whatever the input
            _RUN_CACHE[run] = folded
    return folded


def _fold(text: str, skip: frozenset[str], strip: bool) -> str:
    if not skip:  # the hot path: str.split/join and one scan for non-ASCII, all in C
        text = _collapse_ws(text)
        if not text.isascii():
            text = _NON_ASCII.sub(_fold_run_default, text).casefold()
        else:
            text = text.lower()
        return text.strip(" ") if strip else text
    if "whitespace" not in skip:
        keep_invisible = "unicode" in skip

        def collapse(m: re.Match[str]) -> str:
            run = m.group()
            if _HAS_WS.search(run):
                return " "
            return run if keep_invisible else ""

        text = compiled(_WS_RUN).sub(collapse, text)
    if not text.isascii():
        text = _NON_ASCII.sub(lambda m: _fold_run(m.group(), skip), text)
    if "case" not in skip:
        text = text.lower() if text.isascii() else text.casefold()
    return text.strip(" ") if strip else text


def fold(text: str, skip: Iterable[str] = ()) -> str:
    """Normalize a string without an offset map, stripped; `skip` names kinds of difference NOT to fold."""
    return _fold(text, frozenset(skip), True)


class NormText:
    """A text in normalized form with a map back to the original.

    Most characters normalize one for one (ASCII lower-cased, a curly quote to a straight one, a lone
    newline to a space), so the map only records the *atomic* pieces that change length: a whitespace
    run collapsed to one space, dropped invisible characters, a character NFKD expands ("ﬁ" -> "fi").
    Between them, normalized and original indexes differ by a constant. A match may not start or end
    inside an atomic piece.
    """

    __slots__ = ("text", "_ns", "_os", "_nl", "_ol", "_orig_len")

    def __init__(self, original: str, normalized: str | None = None):
        """`normalized` may pass `normalize_for_matching(original)` if it is already known."""
        ns: list[int] = []  # normalized start of each atomic piece
        os_: list[int] = []  # original start
        nl: list[int] = []  # normalized length (0 for dropped characters)
        ol: list[int] = []  # original length
        shift = 0  # normalized index minus original index, after the pieces so far

        def piece(o: int, o_len: int, n_len: int) -> None:
            nonlocal shift
            ns.append(o + shift)
            os_.append(o)
            nl.append(n_len)
            ol.append(o_len)
            shift += n_len - o_len

        # Atomic pieces: whitespace/invisible runs of two or more, and characters whose normalized
        # form is not exactly one character (found through the set of distinct non-ASCII characters, so
        # a text of curly quotes and dashes only costs one scan).
        ascii_only = original.isascii()
        has_invisible = not ascii_only and any(c in original for c in _INVISIBLE)
        runs = compiled(_LONG_RUN) if has_invisible else _LONG_WS  # the simpler pattern scans several times faster
        events = [(m.start(), m.end(), True) for m in runs.finditer(original)]
        if not ascii_only:
            changing = frozenset(
                c for c in set(_NON_ASCII_CHAR.findall(original)) if len(_fold_run(c, _NO_SKIP)) != 1
            )
            if changing:
                rx = _CHANGING_RE_CACHE.get(changing)
                if rx is None:
                    rx = re.compile("[" + "".join(re.escape(c) for c in sorted(changing)) + "]")
                    if len(_CHANGING_RE_CACHE) < 1000:
                        _CHANGING_RE_CACHE[changing] = rx
                events += [(m.start(), m.end(), False) for m in rx.finditer(original)]
                events.sort(key=lambda e: (e[0], -e[1]))  # a run before the characters inside it
        covered = 0
        for a, b, is_run in events:
            if a < covered:  # a character inside a run already recorded
                continue
            covered = b
            if is_run:
                piece(a, b - a, 1 if _HAS_WS.search(original, a, b) else 0)
            else:
                piece(a, 1, len(_fold_run(original[a], _NO_SKIP)))
        self.text = _fold(original, _NO_SKIP, False) if normalized is None else normalized
        self._ns, self._os, self._nl, self._ol = ns, os_, nl, ol
        self._orig_len = len(original)
        if len(self.text) != self._orig_len + shift:  # would mean the map and the text disagree
            raise AssertionError("normalization map out of step with the normalized text")

    def _delta(self, i: int) -> int:
        """Original minus normalized index in the one-for-one stretch after atomic piece `i`."""
        return 0 if i < 0 else (self._os[i] + self._ol[i]) - (self._ns[i] + self._nl[i])

    def orig_start(self, p: int, snap: bool = False) -> int | None:
        """Original index of normalized index `p` as a span start (None if it splits a piece)."""
        i = bisect_right(self._ns, p) - 1
        if i >= 0 and p < self._ns[i] + self._nl[i]:
            return self._os[i] if (p == self._ns[i] or snap) else None
        return min(p + self._delta(i), self._orig_len)

    def orig_end(self, e: int, snap: bool = False) -> int | None:
        """Original index just past normalized index `e - 1` as a span end (None if it splits a piece)."""
        if e <= 0:
            return 0
        i = bisect_right(self._ns, e - 1) - 1
        if i >= 0 and e - 1 < self._ns[i] + self._nl[i]:
            end = self._ns[i] + self._nl[i]
            return self._os[i] + self._ol[i] if (e == end or snap) else None
        return e + self._delta(i)

    def find(self, needle: str, start: int = 0) -> tuple[int, int] | None:
        """The first occurrence of normalized `needle` at or after normalized index `start`, as an
        ORIGINAL (start, end) span; occurrences that would split a piece are skipped."""
        hay = self.text
        p = hay.find(needle, start)
        while p >= 0:
            a = self.orig_start(p)
            b = self.orig_end(p + len(needle))
            if a is not None and b is not None:
                return a, b
            p = hay.find(needle, p + 1)
        return None

    def norm_index(self, orig: int) -> int:
        """The normalized index of original index `orig` (the end of an atomic piece it falls inside)."""
        i = bisect_right(self._os, orig) - 1
        if i >= 0 and orig < self._os[i] + self._ol[i]:
            return self._ns[i] if orig == self._os[i] else self._ns[i] + self._nl[i]
        return orig - self._delta(i)


def normalize_for_matching(text: str) -> str:
    """The normalized form used for matching: `NormText(text).text`, computed without the map.

    Not `quiz.grading.normalize`, on purpose: a typed answer is compared forgivingly (accents,
    punctuation and leading articles dropped, dates rewritten), but a quote must reproduce its source,
    so only the differences a copy-paste introduces are folded here (see KINDS)."""
    return _fold(text, _NO_SKIP, False)


@dataclass
class SourceText:
    """One source file's text, read once; its normalized form and line index are built on demand."""

    name: str  # relative POSIX path inside the sources folder
    path: Path
    text: str
    _norm: NormText | None = field(default=None, repr=False)
    _lines: list[int] | None = field(default=None, repr=False)
    _flat: str | None = field(default=None, repr=False)
    _words: tuple[list[int], list[int]] | None = field(default=None, repr=False)

    @property
    def norm(self) -> NormText:
        """The normalized text with its offset map (built on first use)."""
        if self._norm is None:
            self._norm = NormText(self.text, self._flat)
        return self._norm

    @property
    def normalized(self) -> str:
        """The normalized text alone (cheaper than `norm` when no offsets are needed)."""
        if self._norm is not None:
            return self._norm.text
        if self._flat is None:
            self._flat = normalize_for_matching(self.text)
        return self._flat

    def words(self) -> tuple[list[int], list[int]]:
        """Start and end indexes of the words of the normalized text (for the closest-passage search)."""
        if self._words is None:
            # The normalized text separates words by single spaces, so word offsets are running sums
            # of word lengths (computed in C, not by a regex match per word).
            parts = self.norm.text.split(" ")
            lengths = list(map(len, parts))
            starts = list(accumulate(map(operator.add, lengths, repeat(1)), initial=0))[:-1]
            ends = list(map(operator.add, starts, lengths))
            keep = list(map(bool, lengths))  # leading/trailing spaces give empty parts
            self._words = (list(compress(starts, keep)), list(compress(ends, keep)))
        return self._words

    def line_col(self, index: int) -> tuple[int, int]:
        """1-based line and column (in characters) of an index into the original text."""
        if self._lines is None:
            self._lines = [m.end() for m in re.finditer("\n", self.text)]
        line = bisect_right(self._lines, index)
        start = self._lines[line - 1] if line else 0
        return line + 1, index - start + 1


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


class Sources:
    """A per-run cache over one sources folder: resolves citation paths safely and reads each file once.

    `Sources(deck)` (a `quiz.deck.Deck`) or `Sources(folder)`.
    """

    def __init__(self, folder: object):
        folder = getattr(folder, "sources", folder)
        self.folder = Path(folder)  # type: ignore[arg-type]
        self.root = self.folder.resolve()
        self._texts: dict[str, SourceText | SourceError] = {}
        self._files: tuple[str, ...] | None = None

    @property
    def display(self) -> str:
        """The folder as shown in messages (relative to the working directory when possible)."""
        return _display(self.root)

    def resolve(self, source: str) -> Path:
        """The path of `source` inside the folder, checked to be a regular file there, else SourceError.

        Nothing but folders is opened: the file's type comes from `stat`, so a FIFO or device is refused
        without blocking on it.
        """
        name, st, fd = self._locate(source, open_file=False)
        assert fd is None
        return self.root / name

    def _locate(self, source: str, open_file: bool) -> tuple[str, os.stat_result, int | None]:
        """(canonical name, stat, open descriptor if `open_file`) of `source`, or SourceError.

        The canonical name is the file's POSIX path inside the folder with symlinks resolved. With
        `open_file` the descriptor is a regular file's, and the stat is the descriptor's own.
        """
        where = f"the sources folder {self.display}"
        if not source or "\x00" in source:
            raise SourceError(source, "missing", f"source {source!r} is not a file name")
        if PurePosixPath(source).is_absolute() or re.match(r"[A-Za-z]:[\\/]|\\\\", source):
            raise SourceError(
                source, "escape", f"source {source!r} is an absolute path; cite a file inside {where}"
            )
        if not self.root.is_dir():
            raise SourceError(
                source, "missing", f"sources folder {self.display} does not exist (set `sources:` in the deck)"
            )
        try:
            found = self._walk(source, open_file)
        except FileNotFoundError:
            hint = difflib.get_close_matches(source, self.files(), n=1, cutoff=0.6)
            did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise SourceError(
                source, "missing", f"source file {source!r} not found in {where}{did_you_mean}"
            ) from None
        except OSError as e:  # permission denied on a folder, a symlink loop, a file used as a folder
            reason = e.strerror or str(e)
            raise SourceError(source, "unreadable", f"source {source!r} cannot be read: {reason}") from None
        if found is None:
            how = "goes up with '..'" if ".." in Path(source).parts else "is a symlink to a file outside it"
            raise SourceError(
                source,
                "escape",
                f"source {source!r} leaves {where} ({how}); cite a file inside it",
            )
        name, st, fd = found
        problem = None
        if stat.S_ISDIR(st.st_mode):
            problem = SourceError(source, "not-a-file", f"source {source!r} is a directory, not a file")
        elif not stat.S_ISREG(st.st_mode):
            problem = SourceError(source, "not-a-file", f"source {source!r} is not a regular file")
        elif st.st_size > MAX_SOURCE_BYTES:
            problem = SourceError(
                source, "too-large", f"source {source!r} is larger than {MAX_SOURCE_BYTES // 2**20} MB"
            )
        if problem is not None:
            if fd is not None:
                os.close(fd)
            raise problem
        return name, st, fd

    def _walk(self, source: str, open_file: bool) -> tuple[str, os.stat_result, int | None] | None:
        """Follow `source` down from the folder one component at a time, each opened relative to its
        parent folder's descriptor with O_NOFOLLOW; None when it leads outside the folder.

        Checking a resolved path and then opening it by name would let a folder inside the sources folder
        be swapped for a symlink to elsewhere in between (quiz check then printed an outside file's text).
        Here nothing is ever looked up by a path that could have changed: a symlink is read (readlink)
        and its target walked the same way, from the folder the link is in, and a `..` only pops back up
        to a folder already opened, never above the sources folder. A component swapped for a symlink
        between its stat and its open makes the open fail and is looked at again.

        The final component is only stat'ed, never opened, unless `open_file` (then O_NONBLOCK too, so a
        FIFO swapped in after the stat cannot block; its fstat is what the caller checks).
        """
        nofollow = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        todo = [p for p in source.split("/") if p not in ("", ".")]
        todo.reverse()  # a stack: the next component last
        names: list[str] = []  # the folders walked into, below the sources folder
        fds = [os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | nofollow)]
        hops = 0  # symlinks followed and opens retried: a loop of links ends like the kernel's (ELOOP)
        try:
            while todo:
                part = todo.pop()
                if part == "..":
                    if not names:
                        return None
                    names.pop()
                    os.close(fds.pop())
                    continue
                st = os.stat(part, dir_fd=fds[-1], follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    hops += 1
                    if hops > 40:
                        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
                    target = os.readlink(part, dir_fd=fds[-1])
                    if target.startswith("/"):
                        # An absolute link may still point inside (`ln -s "$PWD/sources/a.txt"`): walk its
                        # target again from the sources folder itself, by the same rules.
                        inside = Path(os.path.realpath(target))
                        if not inside.is_relative_to(self.root):
                            return None
                        target = inside.relative_to(self.root).as_posix()
                        while len(fds) > 1:
                            os.close(fds.pop())
                        names.clear()
                    todo.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
                    continue
                last = not todo
                if last and not (open_file and stat.S_ISREG(st.st_mode)):  # a FIFO or device stays unopened
                    return "/".join(names + [part]), st, None
                if not last and not stat.S_ISDIR(st.st_mode):
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
                flags = (os.O_RDONLY | os.O_NONBLOCK) if last else (os.O_RDONLY | os.O_DIRECTORY)
                try:
                    fd = os.open(part, flags | nofollow, dir_fd=fds[-1])
                except OSError as e:
                    # ELOOP (ENOTDIR with O_DIRECTORY on Linux): it is no longer what its stat said,
                    # a symlink now, say; look at it again.
                    if e.errno not in (errno.ELOOP, errno.ENOTDIR) or hops >= 40:
                        raise
                    hops += 1
                    todo.append(part)
                    continue
                if last:
                    return "/".join(names + [part]), os.fstat(fd), fd
                fds.append(fd)
                names.append(part)
            # The path ends at a folder ("." or "sub/.."): report it as such.
            return "/".join(names) or ".", os.fstat(fds[-1]), None
        finally:
            for fd in fds:
                os.close(fd)

    def get(self, source: str) -> SourceText:
        """The source's text, read (as UTF-8) once per run; raises SourceError (also cached)."""
        cached = self._texts.get(source)
        if cached is None:
            cached = self._read(source)
            self._texts[source] = cached
        if isinstance(cached, SourceError):
            raise cached
        return cached

    def _read(self, source: str) -> SourceText | SourceError:
        try:
            name, _, fd = self._locate(source, open_file=True)
        except SourceError as e:
            return e
        assert fd is not None
        if name != source and name in self._texts:  # "./a.txt" and "a.txt" share one read
            os.close(fd)
            return self._texts[name]
        try:
            try:
                data = read_capped(fd, MAX_SOURCE_BYTES)  # the cap holds even if the file grows after its fstat
            finally:
                os.close(fd)
        except OSError as e:
            return SourceError(source, "unreadable", f"source {source!r} cannot be read: {e.strerror}")
        if len(data) > MAX_SOURCE_BYTES:
            return SourceError(source, "too-large", f"source {source!r} is larger than {MAX_SOURCE_BYTES // 2**20} MB")
        if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark is not text: columns start after it
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            head = data[: e.start].decode("utf-8", errors="replace")
            line = head.count("\n") + 1
            col = len(head) - (head.rfind("\n") + 1) + 1
            return SourceError(
                source,
                "not-utf8",
                f"source {source!r} is not valid UTF-8 (first bad byte at line {line}, col {col}); "
                "save it as UTF-8",
            )
        result = SourceText(name=name, path=self.root / name, text=text)
        self._texts[name] = result
        return result

    def name(self, source: str) -> str:
        """The canonical name of a source (its POSIX path relative to the folder), or `source` itself."""
        try:
            return self.get(source).name
        except SourceError:
            return source

    def files(self) -> tuple[str, ...]:
        """Every `*.txt` and `*.md` file in the folder (recursively, sorted), as relative POSIX paths.

        Hidden entries and symlinks that resolve outside the folder are left out.
        """
        if self._files is None:
            found: list[str] = []
            if self.root.is_dir():
                self._scan(self.root, "", found, depth=0)
            self._files = tuple(sorted(found))
        return self._files

    def _scan(self, folder: Path, prefix: str, found: list[str], depth: int) -> None:
        if depth > 20:
            return
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    real = Path(entry.path).resolve()
                    if not real.is_relative_to(self.root):
                        continue
                    is_dir, is_file = real.is_dir(), stat.S_ISREG(real.stat().st_mode)
                else:
                    is_dir, is_file = entry.is_dir(), entry.is_file()
            except (OSError, RuntimeError):
                continue
            if is_dir and not entry.is_symlink():
                self._scan(Path(entry.path), f"{prefix}{entry.name}/", found, depth + 1)
            elif is_file and entry.name.lower().endswith((".txt", ".md")):
                found.append(prefix + entry.name)

    def readable(self, max_bytes: int | None = None) -> Iterator[SourceText]:
        """Every readable `*.txt`/`*.md` source file of the folder, one at a time. Files already read
        (the cited ones) come from the cache; any other is read for the caller's look and then dropped,
        so a folder of any size holds one such file in memory at a time (1.2 GB of sources once took
        2.9 GB when all were kept). Stops once `max_bytes` (default MAX_SCAN_BYTES; counted in
        characters, which UTF-8 never has more of than bytes) of such files have been read."""
        left = MAX_SCAN_BYTES if max_bytes is None else max_bytes
        for f in self.files():
            kept = f in self._texts
            if not kept and left <= 0:
                continue
            try:
                src = self.get(f)
            except SourceError:
                continue
            finally:
                if not kept:
                    self._texts.pop(f, None)
            if not kept:
                left -= len(src.text)
            yield src


@dataclass(frozen=True)
class Span:
    """A located piece of a quote: original offsets, 1-based line:col, the original text there."""

    start: int
    end: int
    line: int
    col: int
    text: str


@dataclass(frozen=True)
class Closest:
    """The passage of the cited file most similar to a missing quote."""

    start: int
    end: int
    line: int
    col: int
    text: str  # the original text of the passage
    score: int  # 0..100, rapidfuzz ratio of the normalized quote and passage
    diff: str  # word diff from the quote to the passage: [-only in quote-]{+only in source+}


@dataclass(frozen=True)
class Found:
    """Another source file where a missing quote does occur."""

    source: str
    line: int
    col: int
    status: LocationStatus  # EXACT | NORMALIZED


@dataclass(frozen=True)
class Location:
    """Where a citation's quote is in its source, or why it is not there."""

    status: LocationStatus
    source: str
    line: int = 0
    col: int = 0
    start: int = -1
    end: int = -1
    text: str = ""  # the matched original text (exact/normalized; for an ellipsis, first to last piece)
    differences: tuple[str, ...] = ()  # for "normalized": which of KINDS (and "ellipsis") differed
    score: int | None = None  # 100 when found; the closest passage's score when missing
    closest: Closest | None = None
    found_in: tuple[Found, ...] = ()
    message: str = ""
    pieces: tuple[Span, ...] = ()  # for an ellipsis quote: each piece's own span
    reason: str = ""  # for "error": SourceError.reason; "no-text" for a quote with nothing to find

    @property
    def ok(self) -> bool:
        return self.status.found


@dataclass(frozen=True)
class Paragraph:
    """The paragraph of a source holding a located quote: what a teacher would have the student re-read."""

    first_line: int  # 1-based lines of the paragraph (or of the clipped part shown)
    last_line: int
    text: str  # the source's own text (not yet printable: render it through quiz.text)
    quote: tuple[int, int]  # [start, end) of the quote inside `text`


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
PARAGRAPH_LIMIT = 1200  # characters shown of a longer paragraph, around the quote


def paragraph_around(src: SourceText, start: int, end: int, limit: int = PARAGRAPH_LIMIT) -> Paragraph:
    """The text between the blank lines around [start, end) of `src`, clipped to about `limit` characters
    around the quote when the paragraph is longer (a source without blank lines is one paragraph)."""
    from quiz.text import clip_window

    text = src.text
    para_start, para_end = 0, len(text)
    for m in _BLANK_LINE.finditer(text):
        if m.end() <= start:
            para_start = m.end()
        elif m.start() >= end:
            para_end = m.start()
            break
    body = text[para_start:para_end]
    a, b = clip_window(body, limit, (start - para_start, end - para_start))
    first = para_start + a
    last = max(first, para_start + b - 1)
    return Paragraph(first_line=src.line_col(first)[0], last_line=src.line_col(last)[0], text=body[a:b],
                     quote=(max(0, start - first), min(b - a, end - first)))


def differences(quote: str, matched: str) -> tuple[str, ...]:
    """Which kinds of normalization make `quote` and `matched` equal (each one that, left out, doesn't)."""
    found = tuple(k for k in KINDS if fold(quote, {k}) != fold(matched, {k}))
    return found or (("unicode",) if quote != matched else ())


def split_ellipsis(quote: str) -> list[str]:
    """The pieces of a quote around its ellipses (empty pieces dropped); [quote] when it has none."""
    return [p for p in _ELLIPSIS.split(quote) if p.strip()]


def nothing_to_find(quote: str) -> str:
    """Why `quote` has no words to look for ("" if it has): it is only an ellipsis, or nothing of it is
    left once normalized (only spaces or invisible characters). A quote of invisible characters is never
    found; an ellipsis alone is found only where the source has those very characters ("...")."""
    if any(normalize_for_matching(p).strip(" ") for p in split_ellipsis(quote)):
        return ""
    if _ELLIPSIS.search(quote):
        return "the quote is only an ellipsis; quote the source's words"
    return "the quote has no visible text; quote the source's words"


def _match(src: SourceText, quote: str) -> tuple[LocationStatus, tuple[Span, ...], tuple[str, ...]] | None:
    """Exact, normalized or ellipsis match of `quote` in `src` (no explanation when not found)."""
    text = src.text
    p = text.find(quote) if quote else -1
    if p >= 0 and ((quote.isascii() and not quote.isspace()) or normalize_for_matching(quote).strip(" ")):
        line, col = src.line_col(p)
        return LocationStatus.EXACT, (Span(p, p + len(quote), line, col, quote),), ()
    nq = normalize_for_matching(quote).strip(" ")
    if not nq:
        return None
    span = src.norm.find(nq)
    if span is not None:
        a, b = span
        line, col = src.line_col(a)
        return LocationStatus.NORMALIZED, (Span(a, b, line, col, text[a:b]),), differences(quote, text[a:b])
    pieces = split_ellipsis(quote)
    if not pieces or (len(pieces) < 2 and not _ELLIPSIS.search(quote)):
        return None
    spans: list[Span] = []
    kinds: set[str] = {"ellipsis"}
    norm_pos = 0
    for piece in pieces:
        npiece = normalize_for_matching(piece).strip(" ")
        found = src.norm.find(npiece, norm_pos) if npiece else None
        if found is None:
            return None
        a, b = found
        line, col = src.line_col(a)
        spans.append(Span(a, b, line, col, text[a:b]))
        kinds.update(differences(piece.strip(), text[a:b]))
        norm_pos = src.norm.norm_index(b)
    order = {k: i for i, k in enumerate(KINDS + ("ellipsis",))}
    return LocationStatus.NORMALIZED, tuple(spans), tuple(sorted(kinds, key=order.__getitem__))


def locate(sources: Sources, citation: object, *, explain: bool = True) -> Location:
    """Find `citation.quote` in `citation.source` (see the module docstring for the statuses).

    With `explain` (the default) a missing quote gets its closest passage and the other files that
    contain it; the study session may pass `explain=False` to skip that work.
    """
    return locate_quote(sources, citation.source, citation.quote, explain=explain)  # type: ignore[attr-defined]


def locate_quote(sources: Sources, source: str, quote: str, *, explain: bool = True) -> Location:
    try:
        src = sources.get(source)
    except SourceError as e:
        return Location(status=LocationStatus.ERROR, source=source, message=str(e), reason=e.reason)
    hit = _match(src, quote)
    if hit is not None:
        status, spans, kinds = hit
        first, last = spans[0], spans[-1]
        return Location(
            status=status,
            source=src.name,
            line=first.line,
            col=first.col,
            start=first.start,
            end=last.end,
            text=src.text[first.start : last.end],
            differences=kinds,
            score=100,
            pieces=spans if len(spans) > 1 else (),
        )
    why = nothing_to_find(quote)
    if why:  # no passage can be close to it: say what is wrong with the quote itself
        return Location(status=LocationStatus.MISSING, source=src.name, score=0, message=f"quote not found in {src.name}: {why}",
                        reason="no-text")
    missing = Location(status=LocationStatus.MISSING, source=src.name, message=f"quote not found in {src.name}")
    if not explain:
        return missing
    return explain_missing(sources, [(missing, quote)])[0]


def explain_missing(sources: Sources, misses: Sequence[tuple[Location, str]]) -> list[Location]:
    """Each missing location (with its quote) completed with its closest passage in the cited file and
    the other files that contain the quote. Batched because the second question looks at every file."""
    found = _found_elsewhere(sources, [(loc.source, quote) for loc, quote in misses])
    out = []
    for (loc, quote), found_in in zip(misses, found):
        why = nothing_to_find(quote)
        if why:  # no passage can be close to it, and no file contains it
            out.append(replace(loc, score=0, closest=None, found_in=(), reason="no-text",
                               message=f"quote not found in {loc.source}: {why}"))
            continue
        src = sources.get(loc.source)
        closest = closest_passage(src, quote)
        message = f"quote not found in {loc.source}"
        if _ELLIPSIS.search(quote):
            absent = [p for p in split_ellipsis(quote) if normalize_for_matching(p).strip(" ") not in src.normalized]
            if absent:
                message += f": the part {absent[0].strip()!r} is not in it"
            else:
                message += ": its parts are there, but not in this order"
        if found_in:
            f = found_in[0]
            message += f" (found in {f.source}:{f.line}:{f.col}: wrong file cited?)"
        out.append(
            replace(
                loc,
                score=closest.score if closest else 0,
                closest=closest,
                found_in=tuple(found_in),
                message=message,
            )
        )
    return out


def _found_elsewhere(sources: Sources, queries: Sequence[tuple[str, str]]) -> list[list[Found]]:
    """For each (cited file, quote): the other files of the folder where the quote occurs (exact or
    normalized, ellipsis allowed), in file order.

    Words strictly inside a normalized quote are whole words of any passage matching it, so a file
    can only match if it contains the quote's most distinctive inner word pair (or inner word). For a
    batch, each file is tested against every query's anchor at once with one C-level set intersection,
    instead of searching every file for every quote.
    """
    needles: list[str] = []
    by_anchor: dict[object, list[int]] = {}
    unanchored: list[int] = []
    for i, (_, quote) in enumerate(queries):
        if nothing_to_find(quote):
            needles.append("")
            continue
        pieces = split_ellipsis(quote) or [quote]
        needle = max((normalize_for_matching(p).strip(" ") for p in pieces), key=len)
        needles.append(needle)
        inner = needle.split()[1:-1]  # the first and last word may be parts of source words
        if len(inner) >= 2:
            anchor: object = max(zip(inner, inner[1:]), key=lambda pair: len(pair[0]) + len(pair[1]))
        elif inner:
            anchor = inner[0]
        elif needle:
            unanchored.append(i)
            continue
        else:
            continue
        by_anchor.setdefault(anchor, []).append(i)
    pair_anchors = {a for a in by_anchor if isinstance(a, tuple)}
    word_anchors = {a for a in by_anchor if isinstance(a, str)}
    results: list[list[Found]] = [[] for _ in queries]
    if not by_anchor and not unanchored:
        return results
    for src in sources.readable():
        text = src.normalized
        hit: list[int] = list(unanchored)
        if pair_anchors or word_anchors:
            words = text.split()
            for anchor in pair_anchors.intersection(zip(words, words[1:])):
                hit.extend(by_anchor[anchor])
            for anchor in word_anchors.intersection(words):
                hit.extend(by_anchor[anchor])
        for i in hit:
            if queries[i][0] == src.name or needles[i] not in text:
                continue
            match = _match(src, queries[i][1])
            if match is not None:
                status, spans, _ = match
                results[i].append(Found(source=src.name, line=spans[0].line, col=spans[0].col, status=status))
    return results


_MAX_DIFF_WORDS = 2_000


def word_diff(old: str, new: str) -> str:
    """A word diff in `git diff --word-diff=plain` notation: [-removed-]{+added+} (words split on space)."""
    a, b = old.split(), new.split()
    # Compare words normalized so that a curly/straight quote difference alone doesn't show as a change.
    na, nb = [normalize_for_matching(w) for w in a], [normalize_for_matching(w) for w in b]
    # The words both share at the start and the end are equal whatever the matcher would find; what is left
    # goes to difflib, whose cost grows with the product of the lengths (minutes for two 20,000-word
    # passages): above _MAX_DIFF_WORDS^2 the middle is shown as one change.
    head = 0
    while head < min(len(na), len(nb)) and na[head] == nb[head]:
        head += 1
    tail = 0
    while tail < min(len(na), len(nb)) - head and na[-1 - tail] == nb[-1 - tail]:
        tail += 1
    mid_a, mid_b = na[head : len(na) - tail], nb[head : len(nb) - tail]
    if len(mid_a) * len(mid_b) <= _MAX_DIFF_WORDS**2:
        sm = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        middle = [(op, i1 + head, i2 + head, j1 + head, j2 + head) for op, i1, i2, j1, j2 in sm.get_opcodes()]
    else:
        middle = [("replace", head, len(na) - tail, head, len(nb) - tail)]
    opcodes = ([("equal", 0, head, 0, head)] if head else []) + middle
    if tail:
        opcodes.append(("equal", len(na) - tail, len(na), len(nb) - tail, len(nb)))
    out: list[str] = []
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            out.extend(b[j1:j2])
            continue
        change = ""
        if i2 > i1:
            change += "[-" + " ".join(a[i1:i2]) + "-]"
        if j2 > j1:
            change += "{+" + " ".join(b[j1:j2]) + "+}"
        out.append(change)
    return " ".join(out)


# The closest-passage search does a bounded amount of work whatever the quote and source sizes (a deck may
# be 5 MB, a source 20 MB). rapidfuzz's ratio costs about len(a) * len(b) / 64 machine words (~1.4 ns
# each here), so work is counted in "cells", len(a) * len(b): _MAX_CELLS is about half a second of it.
# Below the budget every word-aligned window of the source is scored (the best quality); above it,
# distinctive word n-grams of the quote ("seeds") are looked up in the source with str.find (C speed) and
# vote for where the quote would start, and only windows around the best few such places are scored.
_MAX_CELLS = 20_000_000_000
_MAX_WINDOWS = 1_000_000  # slicing out each window costs ~0.1-0.3 us even for a tiny quote
_CHUNK = 20_000  # windows held in memory at once
_SEEDS = 24  # n-grams of each size looked up (spread over the quote)
_SEED_HITS = 1000  # occurrences counted per seed; a seed found more often than this is not distinctive
_REGIONS = 3  # places scored in detail


def _seed_starts(hay: str, starts: list[int], q: str, regions: int) -> list[int]:
    """Up to `regions` source word indexes where `q` most plausibly starts (best first), from word
    n-gram seeds: each occurrence in `hay` of an n-gram at quote word j votes for a start at (its word
    index - j), weighted by 1/occurrences so common phrases count for little. Trigrams first; bigrams and
    then single words only if no trigram gives a vote (a change in every third word). At most
    _SEEDS x _SEED_HITS votes per size."""
    qw = q.split(" ")
    nwords = len(qw)
    tol = max(2, min(nwords // 8, 50))  # dropped/added words shift the start: nearby votes add up
    for size in (3, 2, 1):
        if nwords < size:
            continue
        grams = [" ".join(qw[j : j + size]) for j in range(nwords - size + 1)]
        # the longest n-gram of each stretch of the quote: long words are the rare ones
        step = len(grams) / min(_SEEDS, len(grams))
        picks = {max(range(int(k * step), max(int(k * step) + 1, int((k + 1) * step))), key=lambda j: len(grams[j]))
                 for k in range(min(_SEEDS, len(grams)))}
        votes: dict[int, float] = {}
        for j in sorted(picks):
            gram = grams[j]
            found: list[int] = []
            p = hay.find(gram)
            while p >= 0 and len(found) <= _SEED_HITS:
                found.append(p)
                p = hay.find(gram, p + 1)
            if not found or len(found) > _SEED_HITS:
                continue
            weight = 1.0 / len(found)
            for p in found:
                d = bisect_right(starts, p) - 1 - j
                votes[d] = votes.get(d, 0.0) + weight
        if not votes:
            continue
        clustered = {d: sum(votes.get(e, 0.0) for e in range(d - tol, d + tol + 1)) for d in votes}
        best: list[int] = []
        for d in sorted(clustered, key=lambda d: (-clustered[d], d)):
            if all(abs(d - b) > max(tol, nwords // 2) for b in best):
                best.append(d)
                if len(best) == regions:
                    break
        return best
    return []


def closest_passage(src: SourceText, quote: str) -> Closest | None:
    """The passage of `src` most similar to `quote` (rapidfuzz ratio on normalized text), found with a
    bounded amount of work (see _MAX_CELLS)."""
    from rapidfuzz import fuzz, process

    pieces = split_ellipsis(quote)
    if len(pieces) > 1:
        # Explain the first piece that is not in the file at all (else the whole quote, joined).
        norm_text = src.norm.text
        bad = [p for p in pieces if normalize_for_matching(p).strip(" ") not in norm_text]
        quote = bad[0] if bad else " ".join(pieces)
    q = normalize_for_matching(quote).strip(" ")
    hay = src.norm.text
    if not q or not hay:
        return None
    # Candidate windows start at a word start and span about as many words as the quote. Stage 1 scores
    # windows of exactly the quote's word count (everywhere, or where the seeds point); stage 2 varies
    # start and length around the best three, so a dropped or added word still finds its passage.
    starts, ends = src.words()
    n = len(starts)
    if not n:
        return None
    nwords = max(1, len(q.split()))
    spread = min(max(1, nwords // 4), 6)
    k = min(nwords, n)
    window_chars = min(len(q), len(hay))  # about the length of a window
    cell = len(q) * window_chars  # the work of scoring one window
    regions = max(1, min(_REGIONS, _MAX_CELLS // cell))
    if n <= _MAX_WINDOWS and n * cell <= _MAX_CELLS:
        firsts: Sequence[int] = range(0, n - k + 1)
    else:
        firsts = sorted({min(max(0, d), n - k) for d in _seed_starts(hay, starts, q, regions)})
        if not firsts:  # no n-gram of the quote is both in the source and rare in it: sample evenly
            firsts = range(0, n - k + 1, max(1, (n - k + 1) // max(1, min(_SEED_HITS, _MAX_CELLS // cell))))
    # Stage 1, in chunks so that memory stays bounded too: the best `regions` windows.
    stage1: list[tuple[float, int]] = []
    for c0 in range(0, len(firsts), _CHUNK):
        chunk = firsts[c0 : c0 + _CHUNK]
        windows1 = [hay[starts[i] : ends[i + k - 1]] for i in chunk]
        stage1 += [(score, chunk[idx]) for _, score, idx in process.extract(q, windows1, scorer=fuzz.ratio,
                                                                             limit=regions)]
    stage1.sort(key=lambda t: (-t[0], t[1]))
    tops = [i for _, i in stage1[:regions]]
    scored = {(starts[i], ends[i + k - 1]): score for score, i in stage1[:regions]}
    # Stage 2 tries up to (2 * spread + 1)^2 windows per region; a long quote gets fewer (coarser steps),
    # down to none (the stage-1 window alone).
    per_region = max(1, _MAX_CELLS // (2 * cell * len(tops)))
    step = 1
    while (2 * spread // step + 1) ** 2 > per_region and step <= spread:
        step += 1
    cands: set[tuple[int, int]] = set()
    for i0 in tops:
        cands.add((starts[i0], ends[i0 + k - 1]))
        if step > spread:
            continue
        for i in range(max(0, i0 - spread), min(n, i0 + spread + 1), step):
            for kk in range(max(1, nwords - spread), nwords + spread + 1, step):
                # a window running past the end stops at the last word (a quote longer than the
                # whole file still gets the file's tail as its candidate)
                cands.add((starts[i], ends[min(i + kk, n) - 1]))
    windows = sorted(cands - scored.keys())
    if windows:
        for _, score, idx in process.extract(q, [hay[a:b] for a, b in windows], scorer=fuzz.ratio, limit=1):
            scored[windows[idx]] = score
    # the best score; among equals the earliest window (as extractOne over sorted windows picks)
    (a, b), score = min(scored.items(), key=lambda item: (-item[1], item[0]))
    # Word windows keep punctuation glued to words ("said,"), which the quote may leave out: try
    # trimming up to three non-alphanumeric characters at either edge.
    best_a, best_b = a, b
    for da in range(4 if cell * 16 <= _MAX_CELLS else 0):
        if da and (a + da >= b or hay[a + da - 1].isalnum()):
            break
        for db in range(4):
            if db and (b - db <= a + da or hay[b - db].isalnum()):
                break
            if da or db:
                s = fuzz.ratio(q, hay[a + da : b - db])
                if s > score:
                    score, best_a, best_b = s, a + da, b - db
    a, b = best_a, best_b
    oa = src.norm.orig_start(a, snap=True)
    ob = src.norm.orig_end(b, snap=True)
    assert oa is not None and ob is not None
    text = src.text[oa:ob]
    line, col = src.line_col(oa)
    return Closest(
        start=oa, end=ob, line=line, col=col, text=text, score=int(score), diff=word_diff(quote, text)
    )


# ------------------------------------------------------------------------------------------ quiz find

# A fuzzy passage scoring below this shares little more than common letters with the phrase: `quiz find`
# does not offer it (a short phrase scores ~50 against almost any passage of its length).
FIND_MIN_SCORE = 60
# A sentence ends at . ! ? (and closing quotes) before a space, or at a line break; not after an initial
# ("U.S. State Department", "Y. Borisov").
_SENTENCE_END = r"(?<!\b[A-Z])[.!?][\"'\u201d\u2019)]*\s|\n"


@dataclass(frozen=True)
class Passage:
    """Where `quiz find` found a phrase: the exact source text there and the sentence around it."""

    source: str
    status: str  # "exact" | "normalized" | "fuzzy"
    score: int  # 100 for exact and normalized matches
    line: int
    col: int
    start: int
    end: int
    text: str  # the source's own text of the passage (typos included): what a quote must copy
    sentence: str  # the passage with the rest of its sentence(s) around it


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence(s) of `text` containing [start, end), cut at sentence ends and line breaks."""
    head = 0
    for m in compiled(_SENTENCE_END).finditer(text, max(0, start - 1000), start):
        head = m.end()
    tail = compiled(_SENTENCE_END).search(text, max(start, end - 1), end + 1000)
    stop = tail.end() if tail is not None else min(len(text), end + 1000)
    return text[head:stop].strip()


def find_passages(sources: Sources, phrase: str, limit: int = 5) -> list[Passage]:
    """The best passages of every readable source for `phrase`: exact occurrences first, then normalized
    matches (the same rules as a citation's quote: `_match`), and only when neither exists anywhere,
    the closest passage of each file (`closest_passage`), best score first."""
    found: list[Passage] = []
    # Each pass walks the folder again: `readable` keeps one uncited file in memory at a time.
    for src in sources.readable():
        if phrase:
            p = src.text.find(phrase)
            while p >= 0 and len(found) < limit * 4:
                line, col = src.line_col(p)
                found.append(Passage(src.name, "exact", 100, line, col, p, p + len(phrase), phrase,
                                     sentence_around(src.text, p, p + len(phrase))))
                p = src.text.find(phrase, p + 1)
    if not found:
        for src in sources.readable():
            match = _match(src, phrase)
            if match is not None:
                status, spans, _ = match
                a, b = spans[0].start, spans[-1].end
                found.append(Passage(src.name, status.value, 100, spans[0].line, spans[0].col, a, b, src.text[a:b],
                                     sentence_around(src.text, a, b)))
    if not found and not nothing_to_find(phrase):
        for src in sources.readable():
            closest = closest_passage(src, phrase)
            if closest is not None and closest.score >= FIND_MIN_SCORE:
                found.append(Passage(src.name, "fuzzy", closest.score, closest.line, closest.col, closest.start,
                                     closest.end, closest.text, sentence_around(src.text, closest.start, closest.end)))
        found.sort(key=lambda p: (-p.score, p.source, p.start))
    return found[:limit]
