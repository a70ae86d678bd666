"""Moving cards and history in and out: Anki packages, CSV for spreadsheets, the FSRS optimizer's
review log, and term/definition files from Quizlet or Anki turned into deck skeletons.

Pure of the CLI: functions take decks, reviews and paths and return what they did; errors are
`QuizError`s (exit 2). `genanki` is imported only by the Anki export. Every file goes through
`quiz.files.write_output`: never over a file in use or a history database, never over an existing file
without `force`, and atomically (a temporary file renamed into place), so a failure never leaves half a file.

Formats, and the choices behind them:

* Anki package (`export_apkg`): one note per card. Typed cards use a type-in-the-answer note type,
  choice/true-false/flip cards a basic one (choices listed on the front), cloze cards Anki's cloze
  type with each gap its own `{{cN::...}}`. The back shows each citation (quote and source file).
  Note-type ids are fixed and note GUIDs are `genanki.guid_for(deck id, card id)`, so importing a new
  export of the same deck updates the notes in Anki instead of adding copies. Tags carry over (spaces
  inside a tag become "_", which Anki cannot store).
* Deck CSV (`export_csv`): header + one row per card: id, type, question, answer, accept, choices,
  source, quote, tags, source_label (the deck's `source_info` label of each cited file, "" for one
  without). Lists (accept, choices, tags, and the sources and quotes of several
  citations, in the same order) are joined with " | ". Cloze cards: the question is the text with
  each gap shown as [...] (or its hint) and the answer lists the gaps.
* Review history (`write_history`): the FSRS optimizer's columns first -- card_id (the review item:
  "deck/card", or "deck/card#N" for gap N of a cloze card, since each gap is scheduled on its own),
  review_time (ms since the Unix epoch, UTC), review_rating (1-4), review_state (the item's state
  before the answer: 0 new, 1 learning, 2 review, 3 relearning), review_duration (ms) -- then deck,
  card, gap, reviewed_at (ISO 8601 UTC), verdict, answer, practice (1 for practice answers, which
  did not change the schedule), override (1 if the student rated above the grader's verdict),
  profile.
* Both CSVs: every text cell that starts with = + - @, a tab or a CR (also after leading whitespace) is
  written with a leading "'" so that a spreadsheet shows it as text instead of running it as a formula
  (`_csv_text`, which writes every CSV, does it for every cell).
* Term files (`read_terms`, `import_terms`): Quizlet's export ("term<TAB>definition" per line, or
  comma separated) and Anki's "Notes in Plain Text" export (header lines such as "#separator:tab",
  "#html:true", "#tags column:3", "#guid column:1"). Quizlet rows ask the definition and expect the
  term (a short answer to type); Anki rows ask the front and expect the back. `reverse` swaps them.
  The skeleton's cards cite the placeholder `{source: TODO.txt, quote: TODO}`: a valid deck that
  loads, while `quiz check` flags every card until its author puts in a real source and quote.
  Anki cloze notes ({{c1::...}}) become cloze cards; Anki tags (a tags column, "#tags:") carry over.
  Only a regular file of at most 5 MB is read (never a FIFO or a device). What a deck cannot hold is
  changed: control characters are dropped, a nested cloze becomes one gap, an empty one is left out
  (a note left with no gap makes no card, and is named), other braces in a cloze note become
  parentheses. The skeleton is then loaded with quiz's own loader before anything is written: a
  deck quiz would refuse is never written.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, Protocol, Sequence

from quiz.deck import load_deck
from quiz.model import CLOZE_GAP, Card, CardType, Deck
from quiz.errors import DeckError, Problem, UsageError
from quiz.files import InUse, deck_files, read_capped, write_output
from quiz.text import BIDI_CONTROLS


class TextOut(Protocol):
    """Where text for standard output goes: a text stream, or the CLI's wrapper that escapes it on a terminal."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...

LIST_JOINER = " | "

# Fixed note-type ids: Anki matches note types by id, so every export must reuse the same ones.
TYPED_MODEL_ID = 1732000000101
BASIC_MODEL_ID = 1732000000102
CLOZE_MODEL_ID = 1732000000103


# --------------------------------------------------------------------------------------------------
# Writing files

def _write_text(path: Path | None, text: str, stdout: TextOut | None, force: bool = False,
                in_use: Iterable[InUse] = ()) -> None:
    """Write `text` to `path` (checked by `quiz.files.write_output`), or to `stdout` when path is None or "-"."""
    if path is None or str(path) == "-":
        assert stdout is not None
        stdout.write(text)
        stdout.flush()
        return
    data = text.encode("utf-8")
    write_output(path, lambda out: out.write(data), force=force, in_use=in_use)


def _csv_text(rows: Iterable[list]) -> str:
    """Every CSV quiz writes goes through here: each text cell is made spreadsheet-safe (see
    `_spreadsheet_safe`); numbers (ints) are written as they are."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerows([_spreadsheet_safe(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Anki package

def anki_deck_id(deck_id: str) -> int:
    """A stable Anki deck id for a quiz deck id (never 1, Anki's Default deck)."""
    digest = hashlib.sha256(f"quiz deck {deck_id}".encode("utf-8")).digest()
    return (int.from_bytes(digest[:6], "big") % (1 << 47)) + (1 << 30)


def _anki_tag(tag: str) -> str:
    return re.sub(r"\s+", "_", tag.strip())


def _citations_html(card: Card, deck: Deck | None = None) -> str:
    parts = []
    for citation in card.cite:
        # A labelled source shows its label (what students know the article by), else its file name.
        shown = deck.label(citation.source) if deck is not None else citation.source
        parts.append(
            f'<blockquote class="quote">“{html.escape(citation.quote)}”'
            f'<div class="source">— {html.escape(shown)}</div></blockquote>'
        )
    return "".join(parts)


def _text_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _cloze_html(card: Card) -> str:
    """The cloze text with gap N as {{cN::answer}} or {{cN::answer::hint}}, the rest HTML-escaped."""
    out: list[str] = []
    last = 0
    for n, match in enumerate(CLOZE_GAP.finditer(card.text), start=1):
        out.append(_text_html(card.text[last:match.start()]))
        answer = _text_html(match.group(1).strip())
        hint = f"::{_text_html(match.group(2).strip())}" if match.group(2) else ""
        out.append(f"{{{{c{n}::{answer}{hint}}}}}")
        last = match.end()
    out.append(_text_html(card.text[last:]))
    return "".join(out)


_CSS = """.card { font-family: sans-serif; font-size: 20px; text-align: center; color: black; background: white; }
.choices { text-align: left; display: inline-block; }
.accept { font-size: 16px; color: #555; }
.quote { text-align: left; font-size: 16px; margin: 12px 24px; }
.source { font-size: 13px; color: #666; }
.cloze { font-weight: bold; color: blue; }
.nightMode .cloze { color: lightblue; }
"""


def _models():
    import genanki

    common = [{"name": "Citations"}, {"name": "Card ID"}]
    back = ('{{#Also accepted}}<div class="accept">Also accepted: {{Also accepted}}</div>{{/Also accepted}}'
            '<div class="citations">{{Citations}}</div>')
    typed = genanki.Model(
        TYPED_MODEL_ID, "quiz typed answer",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Also accepted"}, *common],
        templates=[{"name": "Typed", "qfmt": "{{Question}}<br><br>{{type:Answer}}",
                    "afmt": "{{Question}}<hr id=answer>{{type:Answer}}" + back}],
        css=_CSS,
    )
    basic = genanki.Model(
        BASIC_MODEL_ID, "quiz basic",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Also accepted"}, *common],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}" + back}],
        css=_CSS,
    )
    cloze = genanki.Model(
        CLOZE_MODEL_ID, "quiz cloze",
        fields=[{"name": "Text"}, {"name": "Back Extra"}, {"name": "Card ID"}],
        templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}",
                    "afmt": '{{cloze:Text}}<div class="citations">{{Back Extra}}</div>'}],
        css=_CSS,
        model_type=genanki.Model.CLOZE,
    )
    return typed, basic, cloze


def _front(card: Card) -> str:
    front = _text_html(card.question)
    if card.type is CardType.CHOICE:
        items = "".join(f"<li>{_text_html(choice)}</li>" for choice in card.choices)
        front += f'<ol class="choices">{items}</ol>'
    elif card.type is CardType.TRUEFALSE:
        front += "<br><i>True or false?</i>"
    return front


def export_apkg(deck: Deck, out: Path, now: datetime, force: bool = False, in_use: Iterable[InUse] = ()) -> int:
    """Write `deck` as an Anki package; returns the number of notes. `now` stamps the notes, so a
    later export counts as newer and Anki updates the notes it imported before. `force` replaces an
    existing file; `in_use` names more files it must not replace (the deck and its sources are known)."""
    import genanki

    typed, basic, cloze = _models()
    anki_deck = genanki.Deck(anki_deck_id(deck.id), deck.title)
    for card in deck.cards:
        guid = genanki.guid_for(deck.id, card.id)
        tags = [_anki_tag(t) for t in card.tags if t.strip()]
        citations = _citations_html(card, deck)
        if card.type is CardType.CLOZE:
            note = genanki.Note(model=cloze, fields=[_cloze_html(card), citations, card.id], guid=guid, tags=tags)
        else:
            answer = card.answer
            if card.type is CardType.TRUEFALSE:
                answer = "True" if card.answer.strip().casefold() == "true" else "False"
            model = typed if card.type is CardType.TYPED else basic
            accepted = ", ".join(_text_html(a) for a in card.accept)
            note = genanki.Note(model=model, fields=[_front(card), _text_html(answer), accepted, citations, card.id],
                                guid=guid, tags=tags)
        anki_deck.add_note(note)
    package = genanki.Package(anki_deck)

    def write(target: IO[bytes]) -> None:
        # genanki builds its SQLite file in a temporary file of its own and zips it into `target`.
        package.write_to_file(target, timestamp=now.timestamp())

    write_output(out, write, force=force, in_use=[*deck_files(deck, "the deck being exported"), *in_use])
    return len(deck.cards)


# --------------------------------------------------------------------------------------------------
# Deck CSV

DECK_CSV_COLUMNS = ["id", "type", "question", "answer", "accept", "choices", "source", "quote", "tags",
                    "source_label"]


def _cloze_blanks(card: Card) -> str:
    return CLOZE_GAP.sub(lambda m: f"[{m.group(2).strip()}]" if m.group(2) else "[...]", card.text)


def deck_rows(deck: Deck) -> Iterator[list[str]]:
    yield list(DECK_CSV_COLUMNS)
    for card in deck.cards:
        if card.type is CardType.CLOZE:
            question, answer = _cloze_blanks(card), LIST_JOINER.join(card.gaps)
        else:
            question, answer = card.question, card.answer
        yield [
            card.id, card.type.value, question, answer,
            LIST_JOINER.join(card.accept), LIST_JOINER.join(card.choices),
            LIST_JOINER.join(c.source for c in card.cite), LIST_JOINER.join(c.quote for c in card.cite),
            LIST_JOINER.join(card.tags),
            _source_labels(deck, card),
        ]


def _source_labels(deck: Deck, card: Card) -> str:
    """The labels of a card's cited files ("" where a file has none), or "" when the deck has no catalogue.
    (A label is a deck author's text: `_csv_text` makes it spreadsheet-safe like every other cell.)"""
    if not deck.source_info:
        return ""
    return LIST_JOINER.join(info.label if (info := deck.info(c.source)) is not None else "" for c in card.cite)


def export_csv(deck: Deck, out: Path | None, stdout: TextOut | None = None, force: bool = False,
               in_use: Iterable[InUse] = ()) -> int:
    """Write the deck as CSV to `out` (or `stdout` for None / "-"); returns the number of cards."""
    _write_text(out, _csv_text(deck_rows(deck)), stdout, force, [*deck_files(deck, "the deck being exported"), *in_use])
    return len(deck.cards)


# --------------------------------------------------------------------------------------------------
# Review history

HISTORY_COLUMNS = [
    "card_id", "review_time", "review_rating", "review_state", "review_duration",
    "deck", "card", "gap", "reviewed_at", "verdict", "answer", "practice", "override", "profile",
]
# OWASP's rule against CSV injection: a cell starting with one of these is a formula to Excel, LibreOffice
# or Google Sheets (=HYPERLINK(...) sends data away, =cmd|... ran programs in old Excel), so it is written
# with a leading "'", which spreadsheets show as text and hide. Leading spaces and line breaks don't make a
# cell safe (some spreadsheets trim them before parsing), so the first other character decides.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    risky = text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START)
    return "'" + text if risky else text


def _item_id(deck: str, card: str, gap: int) -> str:
    return f"{deck}/{card}" + (f"#{gap}" if gap else "")


def history_records(reviews: Iterable, include_practice: bool = True) -> Iterator[dict]:
    """One dict per review (see HISTORY_COLUMNS), in the order given (the store gives time order)."""
    for r in reviews:
        if r.practice and not include_practice:
            continue
        when = r.reviewed_at.astimezone(timezone.utc)
        ms = int(when.timestamp() * 1000 + (0.5 if when.timestamp() >= 0 else -0.5))
        yield {
            "card_id": _item_id(r.deck, r.card, r.gap),
            "review_time": ms,
            "review_rating": int(r.rating),
            "review_state": int(r.before.state),
            "review_duration": max(0, int(r.duration_ms)),
            "deck": r.deck,
            "card": r.card,
            "gap": int(r.gap),
            "reviewed_at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "verdict": r.verdict,
            "answer": r.answer,
            "practice": int(bool(r.practice)),
            "override": int(bool(r.override)),
            "profile": r.profile,
        }


def write_history(reviews: Iterable, out: Path | None, fmt: str = "csv", include_practice: bool = True,
                  stdout: TextOut | None = None, force: bool = False, in_use: Iterable[InUse] = ()) -> int:
    """Write the review log as CSV (or JSON, a list of objects); returns the number of reviews.
    `in_use` names the files `out` must not replace: the history database (`quiz.files.history_files`)."""
    records = list(history_records(reviews, include_practice))
    if fmt == "json":
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        rows: list[list] = [list(HISTORY_COLUMNS)]
        for record in records:
            rows.append([record[c] for c in HISTORY_COLUMNS])  # text cells are guarded by _csv_text
        text = _csv_text(rows)
    else:
        raise UsageError(f"unknown history format {fmt!r}; use csv or json")
    _write_text(out, text, stdout, force, in_use)
    return len(records)


# --------------------------------------------------------------------------------------------------
# Term/definition files -> deck skeleton

MAX_IMPORT_BYTES = 5 * 1024 * 1024
_SEPARATOR_NAMES = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}
_HTML_BREAK = re.compile(r"<br\s*/?>|</(?:div|p|li)>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")
# The header lines of Anki's "Notes in Plain Text" export (and of files Anki imports).
_ANKI_HEADER = re.compile(r"#(separator|html|tags|columns|notetype|deck|if matches|"
                          r"(?:guid|notetype|deck|tags) column):(.*)", re.IGNORECASE)
# Anki's cloze deletions: {{c1::answer}} or {{c1::answer::hint}}, which may nest.
_ANKI_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_ANKI_CLOZE_MARK = re.compile(r"\{\{c\d+::|\}\}")
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Term:
    question: str
    answer: str
    key: str  # what the card id is made from: the term (Quizlet) or the front (Anki)
    tags: tuple[str, ...]
    line: int
    cloze: str = ""  # an Anki cloze note's text in quiz's syntax ({{answer}} / {{answer::hint}})


@dataclass(frozen=True)
class TermFile:
    terms: list[Term]
    from_anki: bool  # an Anki text export (front/back) rather than Quizlet's (term/definition)
    skipped: tuple[Problem, ...] = ()  # lines that make no card (a cloze note whose every gap is empty)


# Terminal control characters and bidi controls a deck may not hold (the loader refuses them); a term file that carries
# them (pasted from a terminal, say) loses them on import rather than producing a deck that cannot load.
_CONTROL = re.compile(f"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff{BIDI_CONTROLS}]")


def _plain(text: str, is_html: bool) -> str:
    if is_html:
        text = html.unescape(_HTML_TAG.sub("", _HTML_BREAK.sub(" ", text)))
    return " ".join(_CONTROL.sub("", text).split())


def _read_import_text(path: Path) -> str:
    """The file's text. Only a regular file is read, and never more than MAX_IMPORT_BYTES + 1 bytes:
    `st_size` is 0 for /dev/zero, a FIFO or a /proc file, so the size alone would let them be read forever."""
    try:
        # O_NONBLOCK: opening a FIFO nobody writes to must not hang (it is refused just below).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path} is a folder; give a .csv, .tsv or .txt file")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path} is not a regular file (a pipe or a device); give a .csv, .tsv or .txt file")
        if info.st_size > MAX_IMPORT_BYTES:
            raise UsageError(f"{path} is {info.st_size // (1024 * 1024)} MB; term files over 5 MB are refused")
        data = read_capped(fd, MAX_IMPORT_BYTES)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_IMPORT_BYTES:  # a file whose size did not tell (it grew, or /proc)
        raise UsageError(f"{path} holds more than {MAX_IMPORT_BYTES:,} bytes; term files over 5 MB are refused")
    if b"\x00" in data:
        raise UsageError(f"{path} is not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"{path} is not UTF-8 text (byte {error.start + 1}); save it as UTF-8 and retry") from None


def _quiz_cloze(text: str) -> tuple[str, str] | None:
    """An Anki cloze note's text in quiz's cloze syntax, and the text with every gap filled in (for the
    card id); None if no gap has an answer.

    A nested cloze ({{c1::a {{c2::b}}}}) becomes one gap of the outer text (quiz gaps do not nest), an
    empty one ({{c1::}}) is left out, and any other brace becomes a parenthesis: quiz's syntax has no
    way to write a brace touching or inside a gap."""
    def unbraced(part: str) -> str:
        return part.replace("{", "(").replace("}", ")")

    out: list[str] = []
    filled: list[str] = []
    gaps = 0
    # The open clozes, outermost first: [the opening mark, the text inside it so far].
    stack: list[list[str]] = []
    position = 0
    for mark in _ANKI_CLOZE_MARK.finditer(text):
        piece, position = text[position:mark.start()], mark.end()
        if stack:
            stack[-1][1] += piece
        else:
            out.append(unbraced(piece))
            filled.append(unbraced(piece))
        if mark.group() != "}}":
            stack.append([mark.group(), ""])
            continue
        if not stack:  # a "}}" that closes nothing
            out.append("))")
            filled.append("))")
            continue
        inside = stack.pop()[1]
        answer, _, hint = inside.partition("::")
        answer, hint = " ".join(unbraced(answer).split()), " ".join(unbraced(hint).split())
        if stack:  # an inner cloze: its answer is part of the outer one's, its hint is dropped
            stack[-1][1] += answer
        elif answer:
            gaps += 1
            out.append("{{" + answer + (f"::{hint}" if hint else "") + "}}")
            filled.append(answer)
    rest = "".join(opening + inside for opening, inside in stack) + text[position:]  # clozes never closed
    out.append(unbraced(rest))
    filled.append(unbraced(rest))
    if not gaps:
        return None
    return " ".join("".join(out).split()), " ".join("".join(filled).split())


def _column_number(value: str) -> int | None:
    """A 1-based column number from an Anki header ("#tags column:3"), as a 0-based index; None if bad."""
    return int(value) - 1 if value.isascii() and value.isdigit() and int(value) >= 1 else None


def read_terms(path: str | Path, reverse: bool = False) -> TermFile:
    """Parse a Quizlet or Anki text export. Raises UsageError (unreadable, empty) or DeckError
    (one `path:line:col` problem per unusable line)."""
    path = Path(path)
    text = _read_import_text(path)
    # Only CR and LF end a line: splitlines() also splits at U+0085, U+2028, form feeds and the like, which
    # a term may hold (they become spaces).
    lines = _LINE_END.split(text)
    shown = str(path)

    # Anki's header lines come first: "#key:value".
    separator: str | None = None
    is_html = False
    anki = False
    special: dict[str, int] = {}
    first = 0
    problems: list[Problem] = []
    global_tags: tuple[str, ...] = ()
    for first, line in enumerate(lines):
        header = _ANKI_HEADER.match(line)
        if not header:  # a Quizlet term may start with "#" too ("#1 hit"): only Anki's keys are headers
            break
        key, value = header.group(1).casefold(), header.group(2).strip()
        anki = True
        if key == "tags":
            global_tags = tuple(value.split())
        elif key == "separator":
            separator = _SEPARATOR_NAMES.get(value.casefold(), value if len(value) == 1 else None)
            if separator is None:
                problems.append(Problem(shown, first + 1, 1, f"unknown separator {value!r}; "
                                        "use tab, comma, semicolon, pipe, space or colon"))
        elif key == "html":
            is_html = value.casefold() == "true"
        elif key.endswith(" column"):
            column = _column_number(value)
            if column is None:
                raw = header.group(2)
                problems.append(Problem(shown, first + 1, header.start(2) + len(raw) - len(raw.lstrip()) + 1,
                                        f"'{key}' must be a column number (1 for the first column), not {value!r}"))
            else:
                special[key[: -len(" column")]] = column
    else:
        first = len(lines)
    body = lines[first:]
    if problems:
        raise DeckError(problems)
    if not any(line.strip() for line in body):
        raise UsageError(f"{path} has no term/definition lines")
    if separator is None:
        separator = "\t" if any("\t" in line for line in body) else ","

    terms: list[Term] = []
    skipped: list[Problem] = []
    if anki or separator != "\t":
        # Anki quotes fields holding the separator or a line break ("..."), like CSV. A field may be as
        # long as the file (csv's default limit, 128 KB, raised an uncaught csv.Error).
        csv.field_size_limit(max(csv.field_size_limit(), MAX_IMPORT_BYTES + 1))
        reader = csv.reader(io.StringIO("\n".join(body)), delimiter=separator, quotechar='"', strict=False)
        rows = []
        try:
            for row in reader:
                rows.append((first + reader.line_num, row))
        except csv.Error as error:
            raise DeckError([Problem(shown, first + reader.line_num, 1, f"cannot read this line: {error}")]) from None
    else:
        rows = [(first + i + 1, line.split("\t")) for i, line in enumerate(body)]

    skip = {special[k] for k in ("guid", "notetype", "deck", "tags") if k in special}
    for line_no, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        tags = global_tags
        if anki:
            if "tags" in special and special["tags"] < len(row):
                tags = tuple(dict.fromkeys(tags + tuple(row[special["tags"]].split())))  # linear, not per tag
            fields = [cell for i, cell in enumerate(row) if i not in skip]
        else:
            # Quizlet does not quote: a separator inside the definition splits it; put it back.
            fields = [row[0], separator.join(row[1:])] if len(row) > 1 else row
        fields = [_plain(cell, is_html) for cell in fields]
        if anki and fields and _ANKI_CLOZE.search(fields[0]):
            # A cloze note: one cloze card, each {{cN::...}} its own gap (quiz asks every gap separately).
            cloze = _quiz_cloze(fields[0])
            if cloze is None:
                skipped.append(Problem(shown, line_no, 1, "this cloze note makes no card: every {{c1::...}} in "
                                                          "it is empty, so there is nothing to ask"))
            else:
                terms.append(Term("", "", cloze[1], tags, line_no, cloze[0]))
            continue
        if len(fields) < 2 or not fields[0] or not fields[1]:
            what = "front and back" if anki else "a term and a definition"
            sep_name = next((n for n, s in _SEPARATOR_NAMES.items() if s == separator), repr(separator))
            problems.append(Problem(shown, line_no, 1, f"expected {what} separated by {sep_name}"))
            continue
        first_col, second_col = fields[0], fields[1]
        if anki:  # front is the question
            question, answer = (second_col, first_col) if reverse else (first_col, second_col)
        else:  # Quizlet: term, definition -> ask the definition
            question, answer = (first_col, second_col) if reverse else (second_col, first_col)
        terms.append(Term(question, answer, first_col, tags, line_no))
    if problems:
        raise DeckError(problems)
    if not terms:
        if skipped:
            raise DeckError(skipped)
        raise UsageError(f"{path} has no term/definition lines")
    return TermFile(terms, anki, tuple(skipped))


_ID_CHARS = re.compile(r"[^a-z0-9]+")
# Letters NFKD does not split into a base letter and an accent.
_ASCII_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE",
                                "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


def slug(text: str, limit: int = 40) -> str:
    """A card/deck id from text: ASCII lowercase letters and digits joined by '-', at most `limit` long.

    The deck loader's `_slug` is not this one on purpose: it only suggests a fix for an id someone typed
    ("My_Deck" -> "my_deck"), keeping underscores and their spelling, while this one makes new ids from
    arbitrary text (accents transliterated, length bounded)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS)).encode("ascii", "ignore").decode()
    s = _ID_CHARS.sub("-", ascii_text.lower()).strip("-")
    if len(s) > limit:
        s = s[:limit]
        s = s.rsplit("-", 1)[0] if "-" in s else s
    return s.strip("-") or "card"


def skeleton_yaml(terms: list[Term], deck_id: str, title: str, source_name: str, reverse: bool,
                  from_anki: bool, sources: str = ".", articles: Sequence[str] = ()) -> str:
    import yaml

    used: set[str] = set()
    # The next number to try after each base id: one counter per base keeps 40,000 copies of one term
    # linear (trying 2, 3, ... afresh for each copy took minutes).
    next_number: dict[str, int] = {}
    cards = []
    for term in terms:
        base = card_id = slug(term.key)
        if card_id in used:
            n = next_number.get(base, 2)
            while f"{base}-{n}" in used:  # taken by a term whose own id is this ("a 2" is "a-2")
                n += 1
            card_id = f"{base}-{n}"
            next_number[base] = n + 1
        used.add(card_id)
        card: dict = {"id": card_id}
        if term.cloze:
            card.update({"type": "cloze", "text": term.cloze})
        else:
            card.update({"question": term.question, "answer": term.answer})
        card["cite"] = [{"source": "TODO.txt", "quote": "TODO"}]
        if term.tags:
            card["tags"] = list(term.tags)
        cards.append(card)
    if from_anki:
        direction = "the back of each Anki note, expecting the front" if reverse else \
            "the front of each Anki note, expecting the back"
    else:
        direction = "the term, expecting the definition" if reverse else "the definition, expecting the term"
    # A line break in the file name would end the comment and put the rest into the YAML; a control
    # character in the title would be a value the loader refuses.
    source_name = _plain(source_name, False) or "a term file"
    title = _plain(title, False) or deck_id
    header = (
        f"# Deck skeleton made by `quiz import` from {source_name} ({len(cards)} cards).\n"
        "#\n"
        "# Every answer in a quiz deck cites a verbatim quote from a source article. For each card:\n"
        "#   1. put the article (a .txt file) in the `sources` folder (\".\" is this file's folder),\n"
        "#   2. replace `source: TODO.txt` with the article's file name and `quote: TODO` with the words\n"
        "#      of the article that support the answer, copied exactly,\n"
        "#   3. run `quiz check` on this file: it flags every card that still cites TODO.txt.\n"
        "# Cards are typed-answer cards (Anki cloze notes: cloze cards); add `accept: [...]` to a typed card\n"
        "# for other answers to count as correct.\n"
        f"# Questions ask {direction}.\n"
    )
    if articles:
        from quiz.text import printable_line

        # A file name may hold a line break or a control character: neither may end the comment.
        names = [printable_line(name) for name in articles[:10]]
        shown = ", ".join(names) + (f" and {len(articles) - 10} more" if len(articles) > 10 else "")
        header += (
            f"# The articles ({len(articles)} in {printable_line(sources)}): {shown}.\n"
            "# `quiz find 'WORDS OF THE ANSWER' THIS-DECK.yaml` finds a passage and prints its `cite:` block.\n"
        )
    body = yaml.dump(
        {"id": deck_id, "title": title, "sources": sources, "cards": cards},
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=False, allow_unicode=True, default_flow_style=False, width=100, indent=2,
    )
    return header + body


def import_terms(src: str | Path, out: str | Path, force: bool = False, reverse: bool = False,
                 title: str | None = None, sources: str | Path | None = None,
                 notify: Callable[[str], None] | None = None) -> int:
    """Turn a term file into a deck skeleton at `out`; returns the number of cards. Lines that make no
    card are passed to `notify`. A deck quiz's own loader would refuse is never written.

    With `sources` (a folder of articles), the skeleton's `sources:` points at it (relative to the deck)
    and its header lists the articles."""
    src, out = Path(src), Path(out)
    folder = "."
    articles: Sequence[str] = ()
    if sources is not None:
        from quiz.citations import Sources

        if not Path(sources).is_dir():
            raise UsageError(f"--sources {sources}: no such folder (give the folder of the source articles)")
        folder = Path(os.path.relpath(Path(sources).resolve(), Path(out).resolve().parent)).as_posix()
        articles = Sources(sources).files()
    parsed = read_terms(src, reverse)
    stem = out.name[:-5] if out.name.endswith(".yaml") else out.stem
    deck_id = slug(stem, limit=60)
    text = skeleton_yaml(parsed.terms, deck_id, title or src.stem, src.name, reverse, parsed.from_anki,
                         folder, articles)
    _check_skeleton(text, src, out)
    for problem in parsed.skipped:
        if notify is not None:
            notify(str(problem))
    _write_text(out, text, None, force, [InUse(src, "the file being imported")])
    return len(parsed.terms)


def _check_skeleton(text: str, src: Path, out: Path) -> None:
    """Load the deck about to be written with quiz's own loader; refuse (nothing written) if it fails."""
    try:
        load_deck(out, data=text.encode("utf-8"))
    except DeckError as error:
        first = error.problems[0]
        raise UsageError(f"the deck made from {src} would not load ({first.message}, at line {first.line} of "
                         f"the deck); nothing was written") from None
