"""Showing text that quiz did not write (decks, file names, sources, profile names, typed answers) to a person.

Every human-readable output passes such text through `printable` (or `printable_line` where the text must
stay on one line, as in a `path:line:col: message` line). Characters a terminal would obey instead of
showing are replaced by a visible escape in Python's notation:

* C0 controls (ESC, BEL, NUL, ...) except tab and line feed, a CR that does not end a CRLF, DEL, and the
  C1 controls U+0080-U+009F (among them NEL, U+0085, and CSI, U+009B) become `\\x1b`, `\\x85`, ...;
* bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder how a
  line is displayed, and the zero-width characters (U+200B-U+200D, U+2060, U+FEFF), which hide text or
  split words invisibly, become `\\u202e`, `\\u200b`, ...;
* the line and paragraph separators U+2028 and U+2029 become `\\u2028`, `\\u2029`;
* a byte that was not UTF-8 (Python reads it from argv, the environment or a file name as a lone
  surrogate, U+DC80-U+DCFF) becomes `\\xff`, the byte it was; other lone surrogates `\\ud800`.

Machine-readable output (--json, CSV files) keeps the real text, except that JSON shown on a terminal
writes those characters as `\\uXXXX` escapes (`printable_json`). The other helpers every human-readable
output shares live here too: `printable_quote` (escaping that keeps highlight spans on the same
characters), `clip` (one line of at most CLIP_LIMIT characters) and `plural`. No other module escapes text
on its own. This module imports nothing heavy: it is on every command's start-up path.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

# Character classes (for a regex `[...]`), shared with the deck loader and the term-file import.
C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # without tab, LF and CR (handled on their own)
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
# Unicode's line and paragraph separators: some programs break lines there, so one line could look like two.
SEPARATORS = "\u2028\u2029"
SURROGATES = "\ud800-\udfff"


@lru_cache(maxsize=None)
def compiled(pattern: str) -> re.Pattern[str]:
    """`re.compile(pattern)` once per process, kept for good (`re`'s own cache drops its oldest entries
    when a program compiles many patterns): for a pattern compiled where it is first needed instead of at
    import, because most runs never need it and compiling costs more than using it (a character class
    holding a range of thousands of characters costs millions of instructions)."""
    return re.compile(pattern)


# What `printable` replaces. A CR is kept only where it ends a CRLF line. Both are compiled where first
# needed (`compiled`): most text is printable and never needs them.
UNSAFE = f"[{C0_C1}{BIDI_CONTROLS}{ZERO_WIDTH}{SEPARATORS}{SURROGATES}]|\r(?!\n)"
# What `printable_line` replaces: the same, plus every line break and tab.
UNSAFE_IN_LINE = f"[{C0_C1}{BIDI_CONTROLS}{ZERO_WIDTH}{SEPARATORS}{SURROGATES}\t\n\r]"


def escape(char: str) -> str:
    """The visible form of one character: `\\x1b` below U+0100, `\\u202e` above, `\\xff` for an
    undecodable byte."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_match(m: re.Match[str]) -> str:
    return escape(m.group())


def printable(text: str) -> str:
    """`text` safe to show on a terminal (see the module docstring); tab, line feed and CRLF stay."""
    if text.isprintable():  # the usual case, checked in C: every character UNSAFE finds is unprintable
        return text
    return compiled(UNSAFE).sub(_escape_match, text)


def printable_line(text: str) -> str:
    """`text` safe to show on a terminal on ONE line: like `printable`, and line breaks and tabs
    escaped too (a file name holding a newline must not start a line of its own)."""
    if text.isprintable():
        return text
    return compiled(UNSAFE_IN_LINE).sub(_escape_match, text)


def printable_quote(
    text: str, spans: Sequence[tuple[int, int]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """`printable(text)` (each control, bidi or zero-width character as a visible escape like
    `\\x1b` or `\\u202e`), with the highlight spans moved to the same characters."""
    from bisect import bisect_left
    from itertools import accumulate

    unsafe = [m.start() for m in compiled(UNSAFE).finditer(text)]
    if not unsafe:
        return text, tuple(spans)
    # growth[k]: how many characters the first k escapes added (an escape is 4 or 6 characters for 1)
    growth = list(accumulate((len(escape(text[i])) - 1 for i in unsafe), initial=0))

    def moved(i: int) -> int:
        return i + growth[bisect_left(unsafe, i)]

    return printable(text), tuple((moved(s), moved(e)) for s, e in spans)


def printable_json(text: str) -> str:
    """JSON text (`json.dumps(..., ensure_ascii=False)`) safe to show: json escapes the C0 controls itself
    but writes C1 controls, bidi overrides and zero-width characters as they are; as `\\uXXXX` escapes
    they read back the same and a terminal shows them."""
    return compiled(UNSAFE).sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# Displays (quiz check's report lines, study's evidence) show at most this many characters of a quote or
# passage: about four lines of an 80-column terminal.
CLIP_LIMIT = 300
CLIP_MARK = "\u2026"


def clip_window(text: str, limit: int = CLIP_LIMIT, focus: tuple[int, int] | None = None) -> tuple[int, int]:
    """The [start, end) slice of `text` to show in at most `limit` characters, containing `focus` (e.g.
    the answer inside a quote) with context on both sides, cut at spaces where one is near."""
    n = len(text)
    if n <= limit:
        return 0, n
    fs, fe = focus if focus is not None else (0, 0)
    fs, fe = max(0, min(fs, n)), max(0, min(fe, n))
    if fe - fs >= limit:
        return fs, fs + limit
    a = max(0, min(fs - (limit - (fe - fs)) // 2, n - limit))
    b = a + limit
    slack = min(20, limit // 10)
    if a > 0:
        sp = text.find(" ", a, min(a + slack, fs))
        if sp >= 0:
            a = sp + 1
    if b < n:
        sp = text.rfind(" ", max(b - slack, fe, a + 1), b)
        if sp >= 0:
            b = sp
    return a, b


def clip(text: str, limit: int = CLIP_LIMIT, focus: tuple[int, int] | None = None) -> str:
    """`text` on one line (whitespace runs folded to a space), at most `limit` characters of it around
    `focus` (an index range of the folded text), with "…" where it was cut."""
    flat = " ".join(text.split())
    a, b = clip_window(flat, limit, focus)
    return (CLIP_MARK if a else "") + flat[a:b] + (CLIP_MARK if b < len(flat) else "")


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """`1 card`, `2 cards` (`plural_form` for an irregular plural)."""
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"
