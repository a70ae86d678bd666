"""Showing text that quiz did not write (decks, file names, sources, profile names, typed answers) to a person.

Every human-readable output passes such text through `printable` (or `printable_line` where the text must
stay on one line, as in a `path:line:col: message` line). Characters a terminal would obey instead of
showing are replaced by a visible escape in Python's notation:

* C0 controls (ESC, BEL, NUL, ...) except tab and line feed, a CR that does not end a CRLF, DEL, and the
  C1 controls U+0080-U+009F (among them NEL, U+0085, and CSI, U+009B) become `\\x1b`, `\\x85`, ...;
* bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder how a
  line is displayed, and the zero-width characters (U+200B-U+200D, U+2060, U+FEFF), which hide text or
  split words invisibly, become `\\u202e`, `\\u200b`, ...;
* a byte that was not UTF-8 (Python reads it from argv, the environment or a file name as a lone
  surrogate, U+DC80-U+DCFF) becomes `\\xff`, the byte it was; other lone surrogates `\\ud800`.

Machine-readable output (--json, CSV files) keeps the real text. This module imports nothing heavy: it is
on every command's start-up path.
"""

from __future__ import annotations

import re

# Character classes (for a regex `[...]`), shared with the deck loader and the term-file import.
C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # without tab, LF and CR (handled on their own)
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
SURROGATES = "\ud800-\udfff"

# What `printable` replaces. A CR is kept only where it ends a CRLF line.
UNSAFE = re.compile(f"[{C0_C1}{BIDI_CONTROLS}{ZERO_WIDTH}{SURROGATES}]|\r(?!\n)")
# What `printable_line` replaces: the same, plus every line break and tab.
UNSAFE_IN_LINE = re.compile(f"[{C0_C1}{BIDI_CONTROLS}{ZERO_WIDTH}{SURROGATES}\t\n\r]")


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
    return UNSAFE.sub(_escape_match, text)


def printable_line(text: str) -> str:
    """`text` safe to show on a terminal on ONE line: like `printable`, and line breaks and tabs
    escaped too (a file name holding a newline must not start a line of its own)."""
    if text.isprintable():
        return text
    return UNSAFE_IN_LINE.sub(_escape_match, text)
