"""Deck loading: YAML with line:col marks, into the `quiz.model` types (`Deck`, `Card`, `Citation`).

A deck is a YAML file of cards; every card cites one or more verbatim quotes from files in the deck's
`sources` folder. This module only parses and validates the file: it never opens a source file
(that is `quiz.citations`), and it never writes anything.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from typing import Any
from pathlib import Path
import yaml

from quiz.errors import DeckError, Problem
from quiz.files import MAX_DECK_BYTES, read_capped
from quiz.model import (CLOZE_GAP, Card, CardType, Citation, Deck, Mark, SourceInfo, collector_paused,
                        source_key)
from quiz.numbers import finite_number
from quiz.text import BIDI_CONTROLS, compiled

# What ends a line for str.splitlines(), in a text that must be one line.
_LINE_BREAK = "[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]"  # compiled where needed

# Three braces in a row: a gap is marked with exactly two on each side.
_STRAY_BRACE = re.compile(r"\{\{\{|\}\}\}")


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------

# A deck needs five levels (deck > cards > card > cite > citation); anything near this is hostile.
MAX_DEPTH = 50
# Enough for every card of a big deck to be wrong; bounds memory and output for a hostile 5 MB file.
MAX_PROBLEMS = 10_000
# A choice card's options each get a one-key shortcut in the interactive prompt (1-9, 0, a-z): 36 of them.
# More would not fit a screen anyway; a longer list is a typed card.
MAX_CHOICES = 36
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
RETENTION_MIN, RETENTION_MAX = 0.70, 0.99

DECK_KEYS = ("id", "title", "sources", "source_info", "retention", "exam", "cards")
CARD_KEYS = ("id", "type", "question", "answer", "accept", "choices", "text", "cite", "tags", "lint")
CITE_KEYS = ("source", "quote")
SOURCE_INFO_KEYS = ("label", "title", "outlet", "date", "url")
# The question-quality rules of `quiz check` (see quiz/check.py) a card may silence with `lint: [...]`.
LINT_RULES = ("answer-leak", "answer-stands-out", "similar-question", "duplicate-card", "unsupported-answer",
              "statement-is-quote")

_COMMON_CARD_KEYS = frozenset({"id", "type", "cite", "tags", "lint"})
# The card fields each type takes (beyond id/type/cite/tags) and which of them are required.
CARD_FIELDS: dict[CardType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    CardType.TYPED: (("question", "answer"), ("accept",)),
    CardType.CHOICE: (("question", "answer", "choices"), ()),
    CardType.TRUEFALSE: (("question", "answer"), ()),
    CardType.FLIP: (("question", "answer"), ()),
    CardType.CLOZE: (("text",), ()),
}

_ALLOWED = {t: _COMMON_CARD_KEYS.union(*CARD_FIELDS[t]) for t in CardType}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
# PyYAML's own implicit-type rules (first character -> [(tag, regexp)]), applied only where a value's
# type matters, so `answer: false` is a boolean, `answer: 1998` a number and `answer: "false"` text.
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_IMPLICIT_ANY = _IMPLICIT.get(None, [])
# Rules by first character, wildcard rules included (PyYAML has none, but a patched resolver might).
_RULES = {first: tuple(rules) + tuple(_IMPLICIT_ANY) for first, rules in _IMPLICIT.items() if first is not None}
_NO_RULES = tuple(_IMPLICIT_ANY)


class _Everything:
    def __contains__(self, item) -> bool:
        return True


# First characters that some rule may claim (all of them if a wildcard rule exists).
_RULE_STARTS = frozenset(_RULES) if not _IMPLICIT_ANY else _Everything()


def _claimed(value: str) -> bool:
    """Whether an implicit rule for its first character claims a plain scalar (it is then not text, or
    not only). PyYAML's own compiled rules: one pattern of them all cost ~9 M instructions to compile, more
    than a deck's searches; most text skips this by its first character (`_RULE_STARTS`)."""
    for _, regexp in _RULES.get(value[0], _NO_RULES):
        if regexp.match(value):
            return True
    return False

# Characters a deck may not hold: those outside YAML's printable set (YAML 1.1 section 5.1), on which
# libyaml stops with an offset-only error, and the line breaks only YAML counts (NEL, LS, PS, a CR without
# LF), which would shift every later line number away from what an editor shows. Written as the
# forbidden set: the negated printable set costs 10 ms to compile. These three are compiled where first
# needed (`compiled`): a deck's text is printable and its values hold no control character.
# Bidirectional embeddings, overrides and isolates are refused too: they make a line display in another
# order than it is stored and graded ("Trojan Source"), and no deck needs them (RTL text does not).
_UNREADABLE = f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029{BIDI_CONTROLS}]|\r(?!\n)"
# What a double-quoted scalar's escapes (\e, \a, \0, \r, \x1b, \N...) may not produce: terminal control,
# NEL (U+0085) and the other C1 controls included, and the bidi controls.
_CONTROL_IN_VALUE = f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff{BIDI_CONTROLS}]"
_BIDI = f"[{BIDI_CONTROLS}]"
_YAML_ONLY_BREAKS = {"\x85": "next line", "\u2028": "line separator", "\u2029": "paragraph separator"}
_TRUE_WORDS = frozenset({"yes", "true", "on"})

# Value kinds of tree nodes.
_MAP, _SEQ, _TEXT, _NUM, _BOOL, _NULL, _BAD = range(7)
_SCALAR_KIND_OF_TAG = {
    _CORE + "str": _TEXT,
    _CORE + "int": _NUM,
    _CORE + "float": _NUM,
    _CORE + "bool": _BOOL,
    _CORE + "null": _NULL,
}

# The tree built from parser events. Scalars are libyaml's `ScalarEvent` objects themselves (value, tag,
# implicit, style, start_mark, end_mark): not copying them (170,000 in a 10,000-card deck) roughly halves
# the time spent above libyaml. Nothing is ever constructed from a tag.
_Scalar = yaml.ScalarEvent


class _Map(dict):
    """A mapping: key text -> (key scalar, value node), in file order, first occurrence of each key."""

    __slots__ = ("start_mark",)
    start_mark: Any


class _Seq(list):
    __slots__ = ("start_mark",)
    start_mark: Any


class _BadMap(_Map):
    """A mapping under a refused tag: parsed (to keep going) but skipped by validation."""

    __slots__ = ()


class _BadSeq(_Seq):
    __slots__ = ()


class _Validated:
    """A card checked as soon as its mapping closed (`on_card`); its subtree is already freed."""

    __slots__ = ("card",)

    def __init__(self, card):
        self.card = card


class _Bad:
    """A node already reported (an alias, a disallowed tag); validation skips it silently."""

    __slots__ = ("start_mark",)

    def __init__(self, start_mark):
        self.start_mark = start_mark


def _kind(node) -> int:
    cls = node.__class__
    if cls is _Map:
        return _MAP
    if cls is _Seq:
        return _SEQ
    if cls is _Bad or cls is _BadMap or cls is _BadSeq:
        return _BAD
    tag = node.tag
    if tag is None:
        if not node.implicit[0]:  # quoted or block scalar
            return _TEXT
        value = node.value
        for tag, regexp in _RULES.get(value[0] if value else "", _NO_RULES):
            if regexp.match(value):
                return _SCALAR_KIND_OF_TAG.get(tag, _TEXT)  # timestamps etc. stay text
        return _TEXT
    return _SCALAR_KIND_OF_TAG.get(tag, _TEXT)  # "!" (non-specific) is text; others were vetted


def _line(node) -> int:
    return node.start_mark.line + 1


class _Report:
    """Collects problems; past MAX_PROBLEMS (a hostile or wholly mistaken file) it keeps only a count."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []
        self.dropped: Problem | None = None  # the first problem not kept
        self.dropped_count = 0

    def at(self, line: int, col: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.path, line, col, message))
        else:
            self.dropped_count += 1
            if self.dropped is None:
                self.dropped = Problem(self.path, line, col, message)

    def node(self, node, message: str) -> None:
        mark = node.start_mark
        self.at(mark.line + 1, mark.column + 1, message)

    def mark(self, mark, message: str) -> None:
        self.at(mark.line + 1, mark.column + 1, message)

    def sorted(self) -> list[Problem]:
        # Stable sort: problems at the same spot keep the order they were found in.
        problems = sorted(self.problems, key=lambda p: (p.line, p.col))
        if self.dropped is not None:
            problems.append(Problem(self.path, self.dropped.line, self.dropped.col,
                                    f"{self.dropped_count} more problems not shown; fix these and run again"))
        return problems


def load_deck(path: str | Path, data: bytes | None = None) -> Deck:
    """Parse and validate a deck file; raise `DeckError` with every problem found.

    With `data`, validate those bytes as the file `path` would be, without reading it (`quiz import`
    checks the deck it made before writing it). Never executes YAML tags, never expands aliases,
    never reads a source file.
    """
    shown = os.fspath(path)
    report = _Report(shown)
    text = _read_text(Path(path), report) if data is None else _bytes_text(data, report)
    deck = None
    if text is not None:
        # Loading makes ~25 small objects per card (parser events, then the Card, its citations and
        # marks) and none of them form cycles; without this the cyclic collector rescans the growing
        # list of cards again and again (10% of the load time on 10,000 cards).
        with collector_paused():
            validator = _Validator(report, Path(path))
            root = _compose(text, report, validator.card)
            if root is not None:
                deck = validator.deck(root)
            # Free what is left of the tree (the top level, non-card entries) and the text by reference
            # counting now, not in the collector's first pass after re-enabling.
            root = text = None
    if report.problems or deck is None:
        raise DeckError(report.sorted())
    return deck


# --- bytes -> text --------------------------------------------------------------------------------


def _read_text(path: Path, report: _Report) -> str | None:
    """The file's text, or None after reporting why it cannot be read (never blocks, never reads > 5 MB)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        report.at(1, 1, "no such file (check the path)")
        return None
    except OSError as error:
        report.at(1, 1, f"cannot open the deck: {error.strerror or error}")
        return None
    if stat.S_ISDIR(info.st_mode):
        report.at(1, 1, "is a directory, not a deck file (give the path of a .yaml deck)")
        return None
    if not stat.S_ISREG(info.st_mode):
        report.at(1, 1, "is not a regular file (a deck must be a .yaml file, not a pipe or device)")
        return None
    if info.st_size > MAX_DECK_BYTES:
        report.at(1, 1, _too_big(info.st_size))
        return None
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, the open must not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        report.at(1, 1, f"cannot open the deck: {error.strerror or error}")
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            report.at(1, 1, "is not a regular file (a deck must be a .yaml file, not a pipe or device)")
            return None
        data = read_capped(fd, MAX_DECK_BYTES)
    except OSError as error:
        report.at(1, 1, f"cannot read the deck: {error.strerror or error}")
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_DECK_BYTES:  # grew after the stat
        report.at(1, 1, _too_big(len(data)))
        return None
    return _decode(data, report)


def _bytes_text(data: bytes, report: _Report) -> str | None:
    """What `_read_text` makes of a file holding `data`."""
    if len(data) > MAX_DECK_BYTES:
        report.at(1, 1, _too_big(len(data)))
        return None
    return _decode(data, report)


def _too_big(size: int) -> str:
    if round(size / 2**20, 1) > MAX_DECK_BYTES / 2**20:
        return f"the file is {size / 2**20:.1f} MB; a deck may be at most 5 MB (split it into several decks)"
    # Just over: "5.0 MB; at most 5 MB" would contradict itself, so count bytes.
    return (f"the file is {size:,} bytes; a deck may be at most 5 MB ({MAX_DECK_BYTES:,} bytes; "
            "split it into several decks)")


def _decode(data: bytes, report: _Report) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.at(1, 1, "the file is UTF-16; save it as UTF-8")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line_start = before.rfind(b"\n") + 1
        col = len(before[line_start:].decode("utf-8")) + 1
        report.at(before.count(b"\n") + 1, col,
                  f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x}); save it as UTF-8")
        return None
    # Every character _UNREADABLE looks for is one Python calls unprintable (tab and LF are allowed, a CR only
    # before an LF), so a text printable without those needs no search: 10 ms instead of 40 on 2.5 MB.
    joined = text.replace("\r\n", "\n") if "\r" in text else text
    printable = joined.replace("\n", "").replace("\t", "").isprintable()
    # Only the first: a binary file would otherwise yield millions of lines.
    bad = None if printable else compiled(_UNREADABLE).search(text)
    if bad is not None:
        line, col = _position(text, bad.start())
        char = bad.group()
        if char == "\r":
            message = ("carriage return without a line feed is not allowed in a deck (editors disagree on where "
                       "such a line ends); save the file with LF or CRLF line endings")
        elif char in _YAML_ONLY_BREAKS:
            message = (f"{_YAML_ONLY_BREAKS[char]} U+{ord(char):04X} is not allowed in a deck (it counts as a "
                       "line break in YAML but not in most editors); replace it with a normal line break or a space")
        else:
            message = _control_message(char)
        report.at(line, col, message)
        return None
    return text


def _position(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


# --- text -> node tree ----------------------------------------------------------------------------


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _compose(text: str, report: _Report, on_card: Callable[[object, int], object] | None = None):
    """Build the node tree from libyaml's events; None if the text is not a usable YAML document.

    Working on events (not `yaml.load`) is what lets us see duplicate keys, anchors and tags before
    anything is constructed, and keep every node's line:col. The loop is flat and inlined because it
    runs once per event (about 25 per card).

    Each entry of the top-level `cards` list is handed to `on_card(node, position)` as soon as it is
    complete and replaced by the result (wrapped in `_Validated`): checking a card while its nodes are
    still in the CPU's cache and freeing them at once takes ~15% less time than building the whole tree
    first, and the tree never holds more than one card.
    """
    loader = _Loader(text)
    get_event = loader.get_event
    Scalar, Alias = _Scalar, yaml.AliasEvent
    MappingStart, SequenceStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
    MappingEnd, SequenceEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
    DocumentStart, StreamEnd = yaml.DocumentStartEvent, yaml.StreamEndEvent
    root = None
    # The open collection, whether it is a mapping, and its pending key; outer ones wait on `stack`.
    top: Any = None
    in_map = False
    key = None
    stack: list[tuple] = []
    cards: Any = None  # the top-level `cards` list, once it starts
    documents = 0
    event = None
    try:
        while True:
            event = get_event()
            cls = event.__class__
            if cls is Scalar:
                # The hot path (two thirds of all events): attach the scalar and move on.
                node = event
                if event.anchor is not None or event.tag is not None:
                    node = _vet_scalar(event, report)
                # Every character _CONTROL_IN_VALUE looks for is unprintable: a printable value needs no search.
                if (event.style == '"' and not event.value.isprintable()
                        and compiled(_CONTROL_IN_VALUE).search(event.value) is not None):
                    node = _escaped_control(event, report)
                if in_map:
                    if key is None:
                        key = node
                        continue
                    if key.__class__ is Scalar:
                        pair = (key, node)
                        first = top.setdefault(key.value, pair)
                        if first is not pair:
                            _duplicate_key(key, first[0], report)
                    elif key.__class__ is not _Bad:
                        report.node(key, "a key must be a plain name, not a list or mapping")
                    key = None
                elif top is not None:
                    top.append(node)
                else:
                    root = node
                continue
            if cls is MappingEnd or cls is SequenceEnd:
                top, in_map, key = stack.pop()
                if top is cards and cards is not None and on_card is not None:
                    top[-1] = _Validated(on_card(top[-1], len(top)))
                continue
            if cls is MappingStart or cls is SequenceStart:
                if len(stack) >= MAX_DEPTH:
                    report.mark(event.start_mark, _TOO_DEEP)
                    return None
                if (event.anchor is None and event.tag is None) or _vet_collection(event, report):
                    node = _Map() if cls is MappingStart else _Seq()
                else:  # keep collecting its children, but validation will skip it
                    node = _BadMap() if cls is MappingStart else _BadSeq()
                node.start_mark = event.start_mark
            elif cls is Alias:
                report.mark(event.start_mark, "anchors and aliases are not allowed in decks; "
                                              "write the value out in full")
                node = _Bad(event.start_mark)
            elif cls is DocumentStart:
                documents += 1
                if documents > 1:
                    report.mark(event.start_mark, "a deck must be a single YAML document; remove this second "
                                                  "document (or move it to its own file)")
                    return root
                continue
            elif cls is StreamEnd:
                break
            else:
                continue
            # Attach a collection or alias to the open collection (or make it the root).
            if top is None:
                root = node
            elif not in_map:
                top.append(node)
            elif key is None:
                key = node
            else:
                if key.__class__ is Scalar:
                    pair = (key, node)
                    first = top.setdefault(key.value, pair)
                    if first is not pair:
                        _duplicate_key(key, first[0], report)
                    elif top is root and node.__class__ is _Seq and key.value == "cards" and root.__class__ is _Map:
                        cards = node
                elif key.__class__ is not _Bad:
                    report.node(key, "a key must be a plain name, not a list or mapping")
                key = None
            if cls is MappingStart:
                stack.append((top, in_map, key))
                top, in_map, key = node, True, None
            elif cls is SequenceStart:
                stack.append((top, in_map, key))
                top, in_map, key = node, False, None
    except yaml.MarkedYAMLError as error:
        deep = _nesting_limit_crossed_at(text, error) if "nesting depth" in (error.problem or "") else None
        if deep is not None:
            report.mark(deep, _TOO_DEEP)
        else:
            _report_syntax_error(error, text, report, event)
        return None
    except yaml.YAMLError as error:  # reader errors carry no mark; _decode already rejects their causes
        report.at(1, 1, f"invalid YAML: {error}")
        return None
    finally:
        loader.dispose()
    if documents == 0:
        report.at(1, 1, "the deck is empty; it needs a 'title' and a list of 'cards'")
    return root


_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels; a deck needs only a few (check the structure)"


def _nesting_limit_crossed_at(text: str, error: yaml.MarkedYAMLError):
    """Where a collection first opens deeper than MAX_DEPTH, by the pure-Python parser; None if nowhere.

    libyaml 0.2.6 (in PyYAML 6.0.4's wheels) has a nesting limit of its own, and its scanner reads a
    whole flow collection ahead before the parser hands out its first event, so a deep `[[[...` fails
    inside libyaml before `_compose` sees the level where quiz's limit is crossed. The pure-Python
    parser streams, so it finds that level; it reads only up to where libyaml stopped (quiz's limit
    is far lower than libyaml's), and runs only on this rare error path.
    """
    end = error.problem_mark.index + 1 if error.problem_mark is not None else len(text)
    depth = 0
    try:
        for event in yaml.parse(text[:end], Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


def _escaped_control(event, report: _Report) -> _Bad:
    """A double-quoted scalar whose escapes make a control character (terminal injection from a deck)."""
    found = compiled(_CONTROL_IN_VALUE).search(event.value)
    assert found is not None  # the caller saw it
    char = found.group()
    report.mark(event.start_mark, _control_message(char))
    return _Bad(event.start_mark)


def _control_message(char: str) -> str:
    if compiled(_BIDI).match(char):
        return (f"bidirectional control U+{ord(char):04X} is not allowed in a deck (it shows text in another "
                "order than it is stored); remove it")
    return f"control character U+{ord(char):04X} is not allowed in a deck; remove it"


def _duplicate_key(key, first, report: _Report) -> None:
    report.node(key, f"duplicate key '{_clip(key.value)}' (first on line {_line(first)}); remove one of them")


def _vet_scalar(event, report: _Report):
    """Report an anchor or a tag on a scalar; return the node to use (`_Bad` if the tag is refused)."""
    if event.anchor is not None:
        report.mark(event.start_mark, "anchors and aliases are not allowed in decks; write the value out in full")
    tag = event.tag
    if tag is None or tag == "!":
        return event
    kind = _SCALAR_KIND_OF_TAG.get(tag)
    if kind is None:
        report.mark(event.start_mark, f"tag '{_show_tag(tag)}' is not allowed; decks hold plain values only "
                                      "(remove the tag)")
        return _Bad(event.start_mark)
    if kind != _TEXT:
        plain = _Scalar(None, None, (True, False), event.value, event.start_mark, event.end_mark)
        if _kind(plain) != kind:
            report.mark(event.start_mark, f"'{_clip(event.value)}' is not a valid {_show_tag(tag)}; "
                                          "remove the tag")
            return _Bad(event.start_mark)
    return event


def _vet_collection(event, report: _Report) -> bool:
    """Report an anchor or a tag on a mapping or list; False if the tag is refused."""
    if event.anchor is not None:
        report.mark(event.start_mark, "anchors and aliases are not allowed in decks; write the value out in full")
    tag = event.tag
    expected = _CORE + ("map" if event.__class__ is yaml.MappingStartEvent else "seq")
    if tag is not None and tag != "!" and tag != expected:
        report.mark(event.start_mark, f"tag '{_show_tag(tag)}' is not allowed; decks hold plain values only "
                                      "(remove the tag)")
        return False
    return True


_SYNTAX_HINTS = {
    "mapping values are not allowed here": " (a value containing ': ' must be put in quotes)",
    "mapping values are not allowed in this context": " (a value containing ': ' must be put in quotes)",
    "could not find expected ':'": " (a line is missing 'key: ' or its indentation is off)",
    "did not find expected key": " (check the indentation of this line)",
    "did not find expected '-' indicator": " (check the indentation of this list item)",
}


_UNCLOSED_FLOW = {
    ("while parsing a flow sequence", "did not find expected ',' or ']'"):
        "the list that starts here with '[' is not closed; add the missing ']'",
    ("while parsing a flow mapping", "did not find expected ',' or '}'"):
        "the mapping that starts here with '{' is not closed; add the missing '}'",
}


def _report_syntax_error(error: yaml.MarkedYAMLError, text: str, report: _Report, last_event: Any) -> None:
    """Report where the user must edit, which is not always where libyaml gave up."""
    problem = (error.problem or "syntax error").strip()
    context = (error.context or "").strip()
    mark = error.problem_mark or error.context_mark
    # An unclosed '[' or '{': libyaml notices at the next line; the fix is at the bracket.
    unclosed = _UNCLOSED_FLOW.get((context, problem))
    if unclosed is not None and error.context_mark is not None:
        report.mark(error.context_mark, f"invalid YAML: {unclosed}")
        return
    if context == "while scanning a quoted scalar" and error.context_mark is not None:
        quote = text[error.context_mark.index] if error.context_mark.index < len(text) else '"'
        report.mark(error.context_mark, f"invalid YAML: the quoted text that starts here is never closed; "
                                        f"add the missing closing {quote}")
        return
    # A quote left open swallows the line break and the next key, and the parser fails just after it.
    if (last_event is not None and last_event.__class__ is _Scalar and last_event.style in ('"', "'")
            and mark is not None and last_event.end_mark.line > last_event.start_mark.line  # type: ignore[union-attr]
            and mark.line == last_event.end_mark.line):  # type: ignore[union-attr]
        report.mark(last_event.start_mark, "invalid YAML: the quoted text that starts here is not closed on its "
                                           f"line and runs into the next key; add the missing closing "
                                           f"{last_event.style}")
        return
    if problem == "found unknown escape character" and mark is not None:
        escape = text[mark.index:mark.index + 2]
        if escape.startswith("\\"):
            report.mark(mark, f"invalid YAML: '{escape}' is not an escape in double quotes; write '\\\\' for a "
                              "backslash, or put the text in single quotes")
            return
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    lines = text.splitlines()
    if mark is not None and 0 <= mark.line < len(lines):
        source_line = lines[mark.line]
        indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
        at_tab = mark.column < len(source_line) and source_line[mark.column] == "\t"
        if "\t" in indent or at_tab:
            col = indent.index("\t") + 1 if "\t" in indent else mark.column + 1
            report.at(line, col, "tab character used for indentation; YAML indentation must use spaces "
                                 "(replace the tab with spaces)")
            return
    report.at(line, col, f"invalid YAML: {problem}{_SYNTAX_HINTS.get(problem, '')}")


# --- node tree -> Deck ----------------------------------------------------------------------------

_KIND_NAMES = {_MAP: "a mapping", _SEQ: "a list"}


def _got(node, kind: int | None = None) -> str:
    kind = _kind(node) if kind is None else kind
    if kind == _TEXT:
        return f"the text '{_clip(node.value)}'"
    if kind == _NUM:
        return f"the number {node.value}"
    if kind == _BOOL:
        return f"the boolean {node.value}"
    if kind == _NULL:
        return "an empty value"
    return _KIND_NAMES.get(kind, "an invalid value")


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _did_you_mean(word: str, choices) -> str:
    import difflib  # only on this error path: keeps `quiz` start-up lean

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


_DRIVE = re.compile(r"[A-Za-z]:")


def _cite_escapes(source: str) -> bool:
    """True if a citation path is absolute or climbs out of the sources folder (checked as text)."""
    if "/" not in source and "\\" not in source and ":" not in source:
        return source == ".."
    unified = source.replace("\\", "/")
    return (unified.startswith("/") or _DRIVE.match(unified) is not None
            or (".." in unified and ".." in unified.split("/")))


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    return slug or "my-id"


_MISSING_HINTS = {
    "question": "add the question to ask",
    "answer": "add the expected answer",
    "choices": "add a list of choices that includes the answer",
    "text": "add the text with each hidden part marked {{like this}}",
}

_NOT_ALLOWED_HINTS = {
    "choices": " (set 'type: choice' for a multiple-choice card)",
    "text": " (set 'type: cloze' for a fill-in-the-gap card)",
    "question": " (a cloze card asks its {{gaps}}: put everything in 'text')",
    "answer": " (a cloze card asks its {{gaps}}: put everything in 'text')",
}
_TOP_ONLY = {k: "it belongs at the top of the deck" for k in DECK_KEYS if k not in CARD_KEYS}
_CARD_ONLY = {k: "card fields go inside a card under 'cards:'" for k in CARD_KEYS if k != "id"}
_CITE_ONLY = {k: "it belongs inside a 'cite' entry" for k in CITE_KEYS}
_TYPE_NAMES = [t.value for t in CardType]
_TYPE_BY_NAME = {t.value: t for t in CardType}
_CARD_KEY_SET = frozenset(CARD_KEYS)
_CITE_KEY_SET = frozenset(CITE_KEYS)


# What to write instead of `answer: [a, b]`, by card type.
_LIST_ANSWER_HINTS = {
    CardType.TYPED: "write one answer here and list the other accepted answers under 'accept:'",
    CardType.CHOICE: "write the right option here and list all the options under 'choices:'",
    CardType.FLIP: "write the back of the card as one text; use '|' for several lines",
}


class _Validator:
    def __init__(self, report: _Report, path: Path):
        self.report = report
        self.path = path
        self.card_ids: dict[str, int] = {}

    # -- scalar helpers -----------------------------------------------------------------------------

    def text(self, node, name: str, empty_hint: str, item: bool = False) -> str | None:
        """A text field's stripped value; numbers count as their source text (`answer: 1998`).

        With `item`, `node` is an element of the list field `name` and messages say so.
        """
        # Fast path for the common case, untagged text: quoted, block, or plain that no implicit rule
        # claims (most do not even have a rule for their first character).
        if node.__class__ is _Scalar and node.tag is None:
            value = node.value
            if value and (not node.implicit[0] or value[0] not in _RULE_STARTS or not _claimed(value)):
                value = value.strip()
                if value:
                    return value
        kind = _kind(node)
        if kind == _TEXT or kind == _NUM or kind == _NULL:
            value = node.value.strip()
            if value and kind != _NULL:
                return value
            self.report.node(node, f"empty item in '{name}'; {empty_hint}" if item
                             else f"'{name}' is empty; {empty_hint}")
            return None
        what = f"items of '{name}'" if item else f"'{name}'"
        if kind == _BOOL:
            self.report.node(node, f"{what} must be text, got the boolean {node.value} "
                                   f"(put it in quotes: \"{node.value}\")")
        elif kind != _BAD:
            self.report.node(node, f"{what} must be text, got {_got(node, kind)}")
        return None

    def text_list(self, node, name: str, item_hint: str) -> list[tuple[str, object]] | None:
        if node.__class__ is not _Seq:
            kind = _kind(node)
            if kind == _TEXT or kind == _NUM:
                self.report.node(node, f"'{name}' must be a list, got {_got(node, kind)} "
                                       f"(write it as [{_clip(node.value)}])")
            elif kind != _BAD:
                self.report.node(node, f"'{name}' must be a list, got {_got(node, kind)}")
            return None
        items = []
        for element in node:
            value = self.text(element, name, item_hint, item=True)
            if value is not None:
                items.append((value, element))
        return items

    def text_values(self, node, name: str, item_hint: str) -> tuple[str, ...]:
        """A list field's distinct text items, in order; () after reporting any problem."""
        items = self.text_list(node, name, item_hint)
        if not items:
            return ()
        values = [value for value, _ in items]
        return tuple(values) if len(set(values)) == len(values) else tuple(dict.fromkeys(values))

    def unknown_keys(self, mapping: _Map, allowed, where: str, elsewhere: dict[str, str]) -> None:
        for key, (key_node, _) in mapping.items():
            if key in allowed:
                continue
            if key in elsewhere:
                self.report.node(key_node, f"unknown key '{key}' {where} ({elsewhere[key]})")
            else:
                hint = _did_you_mean(key, allowed) or f"; allowed keys: {', '.join(allowed)}"
                self.report.node(key_node, f"unknown key '{_clip(key)}' {where}{hint}")

    # -- deck ---------------------------------------------------------------------------------------

    def deck(self, root) -> Deck | None:
        report = self.report
        if root.__class__ is not _Map:
            kind = _kind(root)
            if kind != _BAD:
                report.node(root, "the top level of a deck must be a mapping with 'title:' and 'cards:', "
                                  f"got {_got(root, kind)}")
            return None
        fields = root
        self.unknown_keys(root, DECK_KEYS, "at the top of the deck", _CARD_ONLY)

        deck_id = None
        if "id" in fields:
            node = fields["id"][1]
            deck_id = self.text(node, "id", "write the deck id or remove the line")
            if deck_id is not None and not ID_PATTERN.fullmatch(deck_id):
                report.node(node, f"deck id '{_clip(deck_id)}' is not valid; use lowercase letters, digits, "
                                  f"'-' and '_' (e.g. '{_slug(deck_id)}')")
                deck_id = None
        else:
            name = self.path.name
            stem = name[:-5] if name.endswith(".yaml") else self.path.stem
            if ID_PATTERN.fullmatch(stem):
                deck_id = stem
            else:
                report.node(root, f"the deck id defaults to the file name '{_clip(stem)}', which is not a "
                                  f"valid id; add 'id: {_slug(stem)}' (lowercase letters, digits, '-' and '_')")

        title = None
        if "title" in fields:
            title = self.text(fields["title"][1], "title", "write the deck's title")
        else:
            report.node(root, "the deck has no 'title'; add a line 'title: ...'")

        sources = self.path.parent
        if "sources" in fields:
            node = fields["sources"][1]
            kind = _kind(node)
            if kind == _TEXT and node.value.strip():
                sources = self.path.parent / node.value.strip()
            elif kind == _TEXT or kind == _NULL:
                report.node(node, "'sources' is empty; give the folder the citations are in, relative to "
                                  "this file (or remove the line to use the deck's own folder)")
            elif kind != _BAD:
                hint = f" (put it in quotes: \"{node.value}\")" if kind in (_NUM, _BOOL) else ""
                report.node(node, f"'sources' must be text (a folder path), got {_got(node, kind)}{hint}")
        sources = Path(os.path.abspath(sources))

        retention = None
        if "retention" in fields:
            node = fields["retention"][1]
            kind = _kind(node)
            if kind == _NUM:
                try:
                    retention = finite_number(node.value.replace("_", ""))
                except ValueError:  # NaN, infinities, YAML 1.1 sexagesimal and the like
                    retention = None
                if retention is None or not RETENTION_MIN <= retention <= RETENTION_MAX:
                    report.node(node, f"'retention' must be between {RETENTION_MIN:.2f} and "
                                      f"{RETENTION_MAX:.2f}, got {node.value}")
                    retention = None
            elif kind != _BAD:
                report.node(node, f"'retention' must be a number between {RETENTION_MIN:.2f} and "
                                  f"{RETENTION_MAX:.2f} (e.g. 0.9), got {_got(node, kind)}")

        exam = None
        if "exam" in fields:
            node = fields["exam"][1]
            kind = _kind(node)
            if kind == _TEXT:
                from quiz.exam import parse_exam  # only a deck with `exam:` needs it

                exam = parse_exam(node.value)
                if exam is None:
                    report.node(node, f"'exam' must be a date and time like 2026-12-18T09:00 (local time) or a "
                                      f"date like 2026-12-18, got {_clip(node.value)!r}")
            elif kind != _BAD:
                report.node(node, f"'exam' must be a date and time like 2026-12-18T09:00, got {_got(node, kind)}")

        cards: list[Card] = []
        if "cards" in fields:
            node = fields["cards"][1]
            if node.__class__ is _Seq:
                if not node:
                    report.node(node, "the deck has no cards; add at least one card under 'cards:'")
                card = self.card
                for index, card_node in enumerate(node, start=1):
                    # Most cards were checked while parsing (see _compose); entries that are not
                    # collections (a stray scalar, an alias) are checked here.
                    built = card_node.card if card_node.__class__ is _Validated else card(card_node, index)
                    if built is not None:
                        cards.append(built)
            else:
                kind = _kind(node)
                if kind == _NULL:
                    report.node(node, "the deck has no cards; add at least one card under 'cards:'")
                elif kind != _BAD:
                    report.node(node, f"'cards' must be a list of cards ('- id: ...'), got {_got(node, kind)}")
        else:
            report.node(root, "the deck has no 'cards'; add a 'cards:' list")

        source_info: dict[str, SourceInfo] = {}
        if "source_info" in fields:
            source_info = self.source_info(fields["source_info"][1], sources)

        if report.problems or deck_id is None or title is None:
            return None
        return Deck(id=deck_id, title=title, path=self.path, sources=sources, cards=tuple(cards),
                    retention=retention, source_info=source_info, exam=exam)

    # -- source catalogue ---------------------------------------------------------------------------

    def source_info(self, node, sources: Path) -> dict[str, SourceInfo]:
        """`source_info:` maps each source file to its `label` (unique) and optional title/outlet/date/url.

        The files are only looked up (never opened): an entry for a file that is not in the sources folder
        is an error, so a renamed article cannot silently lose its label."""
        report = self.report
        if node.__class__ is not _Map:
            kind = _kind(node)
            if kind != _BAD and kind != _NULL:
                report.node(node, "'source_info' must be a mapping of source file to its details "
                                  f"('FILE: {{label: ...}}'), got {_got(node, kind)}")
            return {}
        out: dict[str, SourceInfo] = {}
        labels: dict[str, Any] = {}  # casefolded label -> the key node of the file that has it
        for name, (key_node, value) in node.items():
            source = name.strip() if isinstance(name, str) else ""
            if not source:
                report.node(key_node, "empty file name in 'source_info'; write the source file's name")
                continue
            if _cite_escapes(source):
                report.node(key_node, f"source_info file '{_clip(source)}' is outside the sources folder; "
                                      "give a file path relative to it (no absolute paths or '..')")
                continue
            if not os.path.isfile(sources / source):
                files = sorted(p.name for p in sources.glob("*")) if sources.is_dir() else []
                report.node(key_node, f"source_info names '{_clip(source)}', which is not a file in the sources "
                                      f"folder{_did_you_mean(source, files)}; fix the name or remove the entry")
                continue
            if value.__class__ is not _Map:
                kind = _kind(value)
                if kind != _BAD:
                    report.node(value, f"the details of '{_clip(source)}' must be a mapping with at least "
                                       f"'label: ...', got {_got(value, kind)}")
                continue
            self.unknown_keys(value, SOURCE_INFO_KEYS, "in a source_info entry", {})
            details: dict[str, str] = {}
            for key in SOURCE_INFO_KEYS:
                pair = value.get(key)
                if pair is not None:
                    text = self.text(pair[1], key, f"write the source's {key} or remove the line")
                    if text is not None and compiled(_LINE_BREAK).search(text):
                        # Shown as one line in study, stats and the class report: a break would split
                        # that line (or, in a CSV or a table cell, shift what follows it).
                        report.node(pair[1], f"the {key} of '{_clip(source)}' spans several lines; write it "
                                             "on one line")
                    elif text is not None:
                        details[key] = text
            if "label" not in value:
                report.node(value, f"source_info of '{_clip(source)}' has no 'label'; add a short name "
                                   "students can recognise the article by (e.g. 'label: AP, 20 April')")
                continue
            label = details.get("label")
            if label is None:
                continue
            first = labels.setdefault(label.casefold(), key_node)
            if first is not key_node:
                report.node(value["label"][1], f"label '{_clip(label)}' is already used for another source (line "
                                               f"{_line(first)}); labels must tell the sources apart")
                continue
            start = key_node.start_mark
            out[source_key(source)] = SourceInfo(source=source, mark=Mark(start.line + 1, start.column + 1),
                                                 **details)
        return out

    # -- card ---------------------------------------------------------------------------------------

    def card(self, node, index: int) -> Card | None:
        report = self.report
        if node.__class__ is not _Map:
            kind = _kind(node)
            if kind != _BAD:
                report.node(node, f"each card must be a mapping ('- id: ...' with its fields), "
                                  f"got {_got(node, kind)}")
            return None
        fields = node
        if not fields.keys() <= _CARD_KEY_SET:
            self.unknown_keys(node, CARD_KEYS, "in a card", _TOP_ONLY | _CITE_ONLY)
        problems_before = len(report.problems)

        card_id = None
        pair = fields.get("id")
        if pair is not None:
            id_node = pair[1]
            card_id = self.text(id_node, "id", "give the card a unique id")
            if card_id is not None:
                first = self.card_ids.setdefault(card_id, id_node)
                if not ID_PATTERN.fullmatch(card_id):
                    report.node(id_node, f"card id '{_clip(card_id)}' is not valid; use lowercase letters, "
                                         f"digits, '-' and '_' (e.g. '{_slug(card_id)}')")
                    card_id = None
                elif first is not id_node:
                    report.node(id_node, f"duplicate card id '{card_id}' (first used on line {_line(first)}); "
                                         "card ids must be unique within the deck")
                    card_id = None
        else:
            report.node(node, f"card {index} has no 'id'; add a unique id (lowercase letters, digits, '-' and '_')")

        card_type: CardType | None = CardType.TYPED
        pair = fields.get("type")
        if pair is not None:
            name = self.text(pair[1], "type", "write one of typed, choice, truefalse, flip, cloze")
            card_type = _TYPE_BY_NAME.get(name) if name is not None else None
            if name is not None and card_type is None:
                report.node(pair[1], f"unknown card type '{_clip(name)}'{_did_you_mean(name, _TYPE_NAMES)}; "
                                     "use typed, choice, truefalse, flip or cloze")

        values: dict[str, object] = {}
        if card_type is not None:
            if not fields.keys() <= _ALLOWED[card_type]:
                self.misplaced_fields(fields, card_type)
            required = CARD_FIELDS[card_type][0]
            for key in required:
                if key not in fields:
                    self.missing_field(node, key, card_type, card_id, index)
            values = self.type_fields(card_type, fields)

        cites: tuple[Citation, ...] = ()
        pair = fields.get("cite")
        if pair is not None:
            cites = self.citations(pair[1])
        else:
            label = f"card '{card_id}'" if card_id is not None else f"card {index}"
            report.node(node, f"{label} has no 'cite'; every card must cite a verbatim quote: add "
                              "'cite:' with '- source: FILE' and 'quote: TEXT FROM THE FILE'")

        pair = fields.get("tags")
        if pair is not None:
            tags = self.text_values(pair[1], "tags", "write the tag or remove the item")
            if tags:
                values["tags"] = tags

        pair = fields.get("lint")
        if pair is not None:
            rules = self.lint_rules(pair[1])
            if rules:
                values["lint"] = rules

        if len(report.problems) != problems_before or card_id is None or card_type is None:
            return None
        start = node.start_mark
        return Card(id=card_id, type=card_type, cite=cites, mark=Mark(start.line + 1, start.column + 1),
                    **values)  # type: ignore[arg-type]

    def lint_rules(self, node) -> tuple[str, ...]:
        """A card's `lint:` list: names of `quiz check` rules this card is exempt from."""
        items = self.text_list(node, "lint", "write a rule name or remove the item")
        if not items:
            return ()
        rules = []
        for value, item in items:
            if value not in LINT_RULES:
                self.report.node(item, f"unknown lint rule '{_clip(value)}'{_did_you_mean(value, LINT_RULES)}; "
                                       f"the rules are {', '.join(LINT_RULES)}")
            elif value not in rules:
                rules.append(value)
        return tuple(rules)

    def misplaced_fields(self, fields: _Map, card_type: CardType) -> None:
        allowed = _ALLOWED[card_type]
        for key, (key_node, _) in fields.items():
            if key in _CARD_KEY_SET and key not in allowed:
                if key == "accept":
                    hint = (" (the answer must be one of the choices)" if card_type is CardType.CHOICE
                            else " (only typed cards take alternative answers)")
                else:
                    hint = _NOT_ALLOWED_HINTS.get(key, "")
                self.report.node(key_node, f"'{key}' is not allowed on a {card_type.value} card{hint}")

    def missing_field(self, node: _Map, key: str, card_type: CardType, card_id: str | None, index: int) -> None:
        hint = _MISSING_HINTS[key]
        if key == "answer" and card_type is CardType.TRUEFALSE:
            hint = "add 'answer: true' or 'answer: false'"
        elif key == "answer" and card_type is CardType.FLIP:
            hint = "add the back of the card as 'answer'"
        label = f"card '{card_id}'" if card_id is not None else f"card {index}"
        self.report.node(node, f"{label} has no '{key}'; {hint}")

    def type_fields(self, card_type: CardType, fields: _Map) -> dict[str, object]:
        """Validate the type-specific fields present; return Card keyword arguments."""
        out: dict[str, object] = {}
        if card_type is CardType.CLOZE:
            pair = fields.get("text")
            if pair is not None:
                text = self.cloze_text(pair[1])
                if text is not None:
                    out["text"] = text
            return out
        pair = fields.get("question")
        if pair is not None:
            question = self.text(pair[1], "question", "write the question to ask")
            if question is not None:
                out["question"] = question
        answer = None
        pair = fields.get("answer")
        if pair is not None:
            if card_type is CardType.TRUEFALSE:
                answer = self.truefalse_answer(pair[1])
            elif pair[1].__class__ is _Seq:
                self.report.node(pair[1], f"'answer' must be text, got a list ({_LIST_ANSWER_HINTS[card_type]})")
            else:
                answer = self.text(pair[1], "answer", "write the expected answer")
            if answer is not None:
                out["answer"] = answer
        if card_type is CardType.TYPED:
            pair = fields.get("accept")
            if pair is not None:
                accepted = self.text_values(pair[1], "accept", "write the alternative or remove the item")
                if accepted:
                    out["accept"] = accepted
        elif card_type is CardType.CHOICE:
            pair = fields.get("choices")
            if pair is not None:
                choices = self.choices(pair[1], answer)
                if choices is not None:
                    out["choices"] = choices
        return out

    def truefalse_answer(self, node) -> str | None:
        kind = _kind(node)
        if kind == _BOOL:
            return "true" if node.value.lower() in _TRUE_WORDS else "false"
        if kind == _TEXT and node.value.strip().lower() in ("true", "false"):
            self.report.node(node, f"the answer of a truefalse card must be the boolean true or false, got the "
                                   f"text '{_clip(node.value)}' (remove the quotes)")
        elif kind == _NULL:
            self.report.node(node, "'answer' is empty; write true or false")
        elif kind != _BAD:
            self.report.node(node, f"the answer of a truefalse card must be true or false, got {_got(node, kind)}")
        return None

    def choices(self, node, answer: object) -> tuple[str, ...] | None:
        items = self.text_list(node, "choices", "write the choice or remove the item")
        if items is None:
            return None
        first_line: dict[str, int] = {}
        for value, item in items:
            if value in first_line:
                what = "the answer" if value == answer else "choice"
                self.report.node(item, f"{what} '{_clip(value)}' is listed twice in 'choices' (first on line "
                                       f"{first_line[value]}); keep it once")
            else:
                first_line[value] = _line(item)
        if len(first_line) < 2:
            self.report.node(node, "a choice card needs at least 2 different choices")
        if len(node) > MAX_CHOICES:
            self.report.node(node[MAX_CHOICES], f"a choice card may have at most {MAX_CHOICES} choices, this is "
                                                f"choice {MAX_CHOICES + 1} of {len(node)}; remove some (or make "
                                                "it a typed card)")
        if isinstance(answer, str) and answer not in first_line:
            folded = {" ".join(c.split()).casefold(): c for c in first_line}
            near = folded.get(" ".join(answer.split()).casefold())
            hint = (f" (the choice '{_clip(near)}' differs only in case or spacing)" if near is not None
                    else "")
            self.report.node(node, f"'choices' does not include the answer '{_clip(answer)}'; add it exactly as "
                                   f"written in 'answer'{hint}")
        return tuple(first_line)

    def cloze_text(self, node) -> str | None:
        text = self.text(node, "text", "write the text with each hidden part marked {{like this}}")
        if text is None:
            return None
        rest = CLOZE_GAP.sub("", text)
        if "{{" in rest or "}}" in rest:  # before "no gap": '{{2024}' is a gap with a brace missing
            self.report.node(node, "cloze text has an unmatched '{{' or '}}'; write each gap as {{answer}} "
                                   "or {{answer::hint}}")
            return None
        gaps = list(CLOZE_GAP.finditer(text))
        if not gaps:
            self.report.node(node, "cloze text has no gap; mark each part to hide with double braces, "
                                   "e.g. 'left in {{2024}}'")
            return None
        ok = True
        for number, gap in enumerate(gaps, start=1):
            if not gap.group(1).strip():
                self.report.node(node, f"cloze gap {number} is empty; write the hidden answer between {{{{ and }}}}")
                ok = False
            elif gap.group(1).startswith("::"):  # '{{::hint}}': the lazy pattern took the hint for the answer
                self.report.node(node, f"cloze gap {number} ('{_clip(gap.group())}') has a hint but no answer "
                                       "before '::'; write {{answer}} or {{answer::hint}}")
                ok = False
        # A brace touching or inside a gap ('{{{a}}}', '{{a}}}', '{{a{b}}') leaves it unclear where the gap
        # starts or ends; the pattern would quietly make the brace part of the answer or of the text.
        triple = _STRAY_BRACE.search(text)
        if triple is not None:
            brace, where = ("{", "before") if triple.group() == "{{{" else ("}", "after")
            self.report.node(node, f"cloze text has a stray '{brace}' {where} a gap ('{triple.group()}'); a gap "
                                   "takes exactly two braces on each side: write {{answer}} or {{answer::hint}}")
            return None
        for number, gap in enumerate(gaps, start=1):
            inside = gap.group()[2:-2]
            if "{" in inside or "}" in inside:
                self.report.node(node, f"cloze gap {number} ('{_clip(gap.group())}') has a brace inside it; "
                                       "write {{answer}} or {{answer::hint}}")
                ok = False
        return text if ok else None

    def citations(self, node) -> tuple[Citation, ...]:
        report = self.report
        if node.__class__ is not _Seq:
            kind = _kind(node)
            if kind == _NULL:
                report.node(node, "'cite' is empty; add at least one '- source: FILE' with its 'quote: ...'")
            elif kind != _BAD:
                report.node(node, f"'cite' must be a list of citations ('- source: FILE' and 'quote: ...'), "
                                  f"got {_got(node, kind)}")
            return ()
        if not node:
            report.node(node, "'cite' is empty; add at least one '- source: FILE' with its 'quote: ...'")
        out = []
        for entry in node:
            if entry.__class__ is not _Map:
                kind = _kind(entry)
                if kind != _BAD:
                    report.node(entry, f"each 'cite' entry must be a mapping with 'source' and 'quote', "
                                       f"got {_got(entry, kind)}")
                continue
            if not entry.keys() <= _CITE_KEY_SET:
                self.unknown_keys(entry, CITE_KEYS, "in a citation", {})
            source = quote = None
            pair = entry.get("source")
            if pair is not None:
                source = self.text(pair[1], "source", "give the source file's name")
                if source is not None and _cite_escapes(source):
                    report.node(pair[1], f"citation source '{_clip(source)}' is outside the sources folder; "
                                         "give a file path relative to it (no absolute paths or '..')")
                    source = None
            else:
                report.node(entry, "citation has no 'source'; add the file name the quote comes from")
            pair = entry.get("quote")
            if pair is not None:
                quote_node = pair[1]
                quote = self.text(quote_node, "quote", "copy the supporting sentence from the source")
            else:
                report.node(entry, "citation has no 'quote'; add the verbatim text from the source")
            if source is not None and quote is not None:
                start, quote_start, quote_end = entry.start_mark, quote_node.start_mark, quote_node.end_mark
                out.append(Citation(source=source, quote=quote, mark=Mark(start.line + 1, start.column + 1),
                                    quote_mark=Mark(quote_start.line + 1, quote_start.column + 1),
                                    quote_end=Mark(quote_end.line + 1, quote_end.column + 1),
                                    quote_style=quote_node.style or ""))
        return tuple(out)
