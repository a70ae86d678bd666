"""Property-based fuzzing of the parts that read untrusted text: the deck loader, the answer grader and the
quote locator. Hypothesis picks random seeds each run and prints the failing example (and seed) on failure.

* Loader: valid decks mutated (lines dropped, duplicated, re-indented; values retyped; random Unicode,
  control characters, YAML punctuation and invalid UTF-8 inserted) either load or raise `DeckError` whose
  every problem has a valid 1-based line:col in the file and a one-line message; nothing else escapes.
* Grader: `normalize` and `grade` never raise on any text; `normalize` is idempotent; typing the expected
  answer (or any accepted one) is always correct.
* Locator: for any text and any quote, a located span (and a missing quote's closest passage) points at
  the text: exact matches are the quote itself, normalized ones normalize to the normalized quote (piece
  by piece for an ellipsis quote), and line:col agree with the start offset. A quote cut from the text and
  then changed only in ways matching ignores (case, curly quotes, dashes, whitespace) is always found.
* Session: random keyboard lines (answers, ratings, commands, odd digits, 10,000-character lines, any
  Unicode) fed to the real session and plain front end never crash it, and the store holds exactly the
  answers the session confirmed.

Example counts per run (see the settings below): loader 600, grader 300 + 300, locator 300 + 300,
session 100; QUIZ_FUZZ_SCALE multiplies them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from quiz.citations import Sources, locate_quote, normalize_for_matching as quote_normalize, split_ellipsis
from quiz.model import Deck, Verdict
from quiz.deck import load_deck
from quiz.errors import DeckError
from quiz.grading import Grade, grade, normalize as answer_normalize

# No example database: the tests write nothing outside their temporary folder.
_FUZZ = settings(deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# QUIZ_FUZZ_SCALE=20 runs twenty times the examples (a longer bug hunt than CI's).
_SCALE = float(os.environ.get("QUIZ_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    return settings(_FUZZ, max_examples=max(1, int(examples * _SCALE)))

# --------------------------------------------------------------------------------------------------
# Loader

BASE_DECKS = [
    """\
id: fuzz
title: Fuzz deck
sources: src
retention: 0.9
cards:
  - id: exit-year
    question: After which year will Russia stop operating on the ISS?
    answer: "2024"
    accept: [after 2024, "2024"]
    tags: [iss, dates]
    cite:
      - source: a.txt
        quote: stop operating on the International Space Station after 2024
  - id: cost
    type: choice
    question: What would the new station cost?
    answer: about $6 billion
    choices: [about $6 billion, about $1 billion]
    cite:
      - source: b.txt
        quote: 'cost about $6 billion'
""",
    """\
title: "Second \\"deck\\""
cards:
  - id: notice
    type: truefalse
    question: >
      NASA had received
      official notice.
    answer: false
    cite:
      - {source: b.txt, quote: "NASA said it had not received any official notice"}
  - id: where
    type: flip
    question: Where was the exit announced?
    answer: |
      Moscow
    cite:
      - source: sub/a.txt
        quote: |-
          Moscow. Russia will
          stop operating
  - id: gap
    type: cloze
    text: Russia will leave the ISS {{after 2024::when}} and build {{its own station}}.
    cite:
      - source: a.txt
        quote: after 2024 ... its own
""",
]

YAML_PUNCTUATION = list(":-[]{}#&*!|>'\"%@`,?\\") + [": ", "- ", "\n", "\t", "  ", "---\n", "...\n", "\r\n", "{{", "}}"]
CONTROL = [chr(c) for c in range(0, 32)] + ["\x7f", "\ufeff", "\u202e", "\u200b"]
# Line breaks libyaml counts but editors may not (NEL, LS, PS, a CR without LF); the loader refuses them.
UNUSUAL_BREAKS = ["\x85", "\u2028", "\u2029", "\r"]
RETYPED = ["[a, b]", "{a: 1}", "42", "4.2e3", "true", "no", "~", "''", '""', "|\n  x", ">-\n", "&a x", "*a",
           "!!python/object/apply:os.system [echo]", "!!binary aGk=", "!custom x", "- item", "2024-01-01",
           "[[[[[[[[", "\"\\e[31m\"", "? complex", "<<: *a", "0x1F", ".inf", "=", "!!str 12", "!!int x"]

text_piece = st.one_of(
    st.sampled_from(YAML_PUNCTUATION),
    st.sampled_from(CONTROL + UNUSUAL_BREAKS),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8),
)


@st.composite
def mutated_deck(draw) -> bytes:
    lines = draw(st.sampled_from(BASE_DECKS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["drop", "duplicate", "indent", "retype", "insert", "insert"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            lines = [""]
        line = lines[i]
        if op == "drop":
            del lines[i]
        elif op == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif op == "indent":
            shift = draw(st.integers(-4, 4))
            lines[i] = line[-shift:] if shift < 0 and line[: -shift].strip() == "" else " " * max(shift, 0) + line
        elif op == "retype" and ": " in line:
            key = line.split(": ", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(RETYPED))}\n"
        else:
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(text_piece) + line[at:]
    data = "".join(lines).encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # now and then, bytes that are not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _check_problems(path: Path, data: bytes, error: DeckError) -> None:
    assert error.problems, "DeckError without problems"
    text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    for p in error.problems:
        assert p.path == str(path)
        assert 1 <= p.line <= len(lines) + 1, f"{p}: line out of range (file has {len(lines)} lines)"
        width = len(lines[p.line - 1]) if p.line <= len(lines) else 0
        assert 1 <= p.col <= width + 1, f"{p}: column out of range (line {p.line} has {width} characters)"
        assert p.message.strip() and "\n" not in p.message and "\r" not in p.message, repr(p.message)


@fuzz(600)
@given(data=mutated_deck())
def test_a_mutated_deck_loads_or_fails_with_valid_marks(workdir: Path, data: bytes) -> None:
    path = workdir / "deck.yaml"
    path.write_bytes(data)
    try:
        deck = load_deck(path)
    except DeckError as error:
        event("refused")
        _check_problems(path, data, error)
    else:
        event("loaded")
        assert isinstance(deck, Deck) and deck.cards
        for card in deck.cards:
            assert card.id and card.cite and all(c.source and c.quote for c in card.cite)
            assert card.items  # a cloze card has at least one gap


@fuzz(300)
@given(data=mutated_deck())
def test_checking_cards_while_parsing_finds_what_checking_the_whole_tree_finds(workdir: Path, data: bytes) -> None:
    """load_deck checks each card as soon as it is parsed (quiz.deck._compose's on_card); building the
    whole tree first and checking it after must give the same deck and the same problems, whenever the
    file parses (a syntax error stops the tree, not the cards already checked) and the problems fit
    under the cap (past it, which ones are kept depends on the order they are found in)."""
    from quiz import deck as deck_module

    path = workdir / "deck.yaml"
    path.write_bytes(data)
    try:
        streamed, streamed_problems = load_deck(path), []
    except DeckError as error:
        streamed, streamed_problems = None, [str(p) for p in error.problems]
    whole = deck_module._Report(str(path))
    text = deck_module._read_text(path, whole)
    if text is None:
        assert streamed is None and streamed_problems == [str(p) for p in whole.sorted()]
        return
    root = deck_module._compose(text, whole)  # no on_card: the whole tree
    if root is None or len(whole.problems) >= deck_module.MAX_PROBLEMS:
        event("syntax error or many problems: not compared")
        return
    built = deck_module._Validator(whole, path).deck(root)
    assert streamed_problems == [str(p) for p in whole.sorted()]
    assert streamed == (built if not whole.problems else None)


# --------------------------------------------------------------------------------------------------
# Grader

answers = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(list("0123456789.,-/ $%") + ["one", "hundred", "first", " and ", "k", "bn"]),
             max_size=12).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.sampled_from(["2024", "after 2024", "Yuri Borisov", "$6 billion", "U.S.", "21/11/2026", "1st",
                     "ﬁve", "İstanbul", "ß", "\u0301", "..."]),
)


@fuzz(300)
@given(text=answers)
def test_normalize_never_raises_and_is_idempotent(text: str) -> None:
    once = answer_normalize(text)
    assert isinstance(once, str)
    assert answer_normalize(once) == once


@fuzz(300)
@given(answer=answers, expected=answers, accept=st.lists(answers, max_size=3))
def test_grade_never_raises_and_the_expected_answer_is_correct(answer: str, expected: str, accept: list[str]) -> None:
    result = grade(answer, expected, accept)
    assert isinstance(result, Grade) and isinstance(result.verdict, Verdict)
    assert result.verdict is not Verdict.SELF
    for target in [expected, *accept]:
        if answer_normalize(target).strip():
            assert grade(target, expected, accept).verdict is Verdict.CORRECT, (target, expected, accept)


# --------------------------------------------------------------------------------------------------
# Locator

SOURCE_CHARS = st.one_of(
    st.sampled_from(list("abcdefghij ABC.,;:'\"-")),
    st.sampled_from(["\n", "\r\n", "  ", "\t", "\u00a0", "\u2019", "\u201c", "\u201d", "\u2014", "\u2013",
                     "\ufb01", "\u00ad", "\u200b", "e\u0301", "\u00e9", "\u0130", "\u00df", "...", "\u2026"]),
    st.characters(blacklist_categories=("Cs",)),
)
source_texts = st.lists(SOURCE_CHARS, min_size=1, max_size=120).map("".join)

FOLDS = {"'": ["\u2019", "\u2018"], '"': ["\u201c", "\u201d"], "-": ["\u2014", "\u2013"], " ": ["  ", "\n", "\t"]}


def _line_col(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _sources(workdir: Path, text: str, counter=[0]) -> Sources:  # noqa: B006 - a call counter on purpose
    counter[0] += 1
    folder = workdir / f"src{counter[0]}"
    folder.mkdir()
    (folder / "s.txt").write_bytes(text.encode("utf-8"))
    return Sources(folder)


def _assert_points_at_text(text: str, quote: str, loc) -> None:
    assert 0 <= loc.start <= loc.end <= len(text)
    assert loc.text == text[loc.start:loc.end]
    assert (loc.line, loc.col) == _line_col(text, loc.start)
    if loc.status == "exact":
        assert text[loc.start:loc.end] == quote
    elif "ellipsis" in loc.differences:
        pieces = split_ellipsis(quote)
        spans = loc.pieces or (loc,)  # one piece ("Moscow ...") is the located span itself
        assert len(pieces) == len(spans)
        assert (loc.start, loc.end) == (spans[0].start, spans[-1].end)
        for piece, span in zip(pieces, spans):
            assert text[span.start:span.end] == span.text
            assert (span.line, span.col) == _line_col(text, span.start)
            assert quote_normalize(span.text).strip(" ") == quote_normalize(piece).strip(" ")
    else:
        assert loc.status == "normalized"
        assert quote_normalize(text[loc.start:loc.end]).strip(" ") == quote_normalize(quote).strip(" ")


@fuzz(300)
@given(text=source_texts, quote=st.one_of(st.text(max_size=30), source_texts))
def test_any_located_quote_points_at_its_text(workdir: Path, text: str, quote: str) -> None:
    assume(not text.startswith("\ufeff"))  # a leading BOM is not part of the text
    loc = locate_quote(_sources(workdir, text), "s.txt", quote, explain=True)
    event(f"status {loc.status}" + (" with a closest passage" if loc.closest else ""))
    assert loc.status in ("exact", "normalized", "missing")
    if loc.ok:
        _assert_points_at_text(text, quote, loc)
    elif loc.closest is not None:  # the explanation of a miss also points at the text
        c = loc.closest
        assert 0 <= c.start <= c.end <= len(text)
        assert c.text == text[c.start:c.end]
        assert (c.line, c.col) == _line_col(text, c.start)
        assert 0 <= c.score <= 100


@fuzz(300)
@given(text=source_texts, data=st.data())
def test_a_quote_cut_from_the_text_is_found_even_when_respelled(workdir: Path, text: str, data) -> None:
    assume(not text.startswith("\ufeff"))
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    cut = text[i:j]
    assume(quote_normalize(cut).strip(" "))
    respell = data.draw(st.booleans())
    quote = cut
    if respell:
        out = []
        for ch in cut:
            choice = data.draw(st.integers(0, 3))
            if ch in FOLDS and choice:
                out.append(FOLDS[ch][choice % len(FOLDS[ch])])
            elif ch.isascii() and ch.isalpha() and choice == 1:
                out.append(ch.swapcase())
            else:
                out.append(ch)
        quote = "".join(out)
    loc = locate_quote(_sources(workdir, text), "s.txt", quote, explain=False)
    event(f"status {loc.status}" + (" (ellipsis)" if "ellipsis" in loc.differences else ""))
    if quote == cut:
        assert loc.status == "exact"
        assert loc.start == text.find(cut)
    assert loc.ok, (text, quote, loc)
    _assert_points_at_text(text, quote, loc)


@pytest.mark.parametrize("quote", ["...", "\u2026", "[...]", " ... (...) "])
def test_a_quote_of_only_an_ellipsis_is_missing_not_a_crash(workdir: Path, quote: str) -> None:
    loc = locate_quote(_sources(workdir, "Moscow. Russia will leave.\n"), "s.txt", quote, explain=False)
    assert loc.status == "missing"


@pytest.mark.parametrize("text, quote", [("aaaaaa\u00b8a", "\u00b8A"), ("Er sagte \u00a8Nein\u00a8.", "\u00a8nein")])
def test_a_respelled_quote_starting_with_a_spacing_diacritic_is_found(workdir: Path, text: str, quote: str) -> None:
    loc = locate_quote(_sources(workdir, text), "s.txt", quote, explain=False)
    assert loc.status == "normalized"


# --------------------------------------------------------------------------------------------------
# A study session fed random keyboard input (plain front end, in-process, real store)

SESSION_DECK = """\
id: keys
title: Keyboard
sources: src
cards:
  - id: typed
    question: After which year will Russia leave?
    answer: after 2024
    cite: [{source: a.txt, quote: after 2024}]
  - id: choice
    type: choice
    question: What would it cost?
    answer: $6 billion
    choices: [$6 billion, $1 billion, $3 billion]
    cite: [{source: a.txt, quote: $6 billion}]
  - id: tf
    type: truefalse
    question: NASA got notice.
    answer: false
    cite: [{source: a.txt, quote: not received any official notice}]
  - id: flip
    type: flip
    question: Where was it announced?
    answer: Moscow
    cite: [{source: a.txt, quote: Moscow}]
  - id: gaps
    type: cloze
    text: Russia will leave {{after 2024}} and build {{its own station}}.
    cite: [{source: b.txt, quote: not in the file}]
"""
SESSION_SOURCE = ("Moscow. Russia will leave after 2024 and build its own station for $6 billion.\n"
                  "NASA said it had not received any official notice.\n")

keyboard_line = st.one_of(
    st.sampled_from(["", "1", "3", "4", "t", "f", "after 2024"]),  # lines that move a session on, often
    st.sampled_from(["", "1", "2", "3", "4", "5", "0", "u", "s", "b", "q", "t", "f", "x", "again", "EASY",
                     "after 2024", "$6 billion", "its own station", "Moscow", " u ", "-1", "99999999999999999999"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e"),
            max_size=12),
    st.just("x" * 10_000),
)


class _FixedClock:
    def __init__(self) -> None:
        from datetime import datetime, timezone

        self.at = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)

    def now(self):
        return self.at


@pytest.fixture(scope="module")
def session_deck(workdir: Path):
    folder = workdir / "session"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "a.txt").write_text(SESSION_SOURCE, encoding="utf-8")
    (folder / "src" / "b.txt").write_text("Something else.\n", encoding="utf-8")
    (folder / "keys.yaml").write_text(SESSION_DECK, encoding="utf-8")
    return load_deck(folder / "keys.yaml")


def _study(workdir: Path, deck, lines: list[str], practice: bool = False):
    import io

    from quiz.session import Session, StudyOptions
    from quiz.store import Store
    from quiz.ui.plain import PlainFrontend

    db = Path(tempfile.mkdtemp(dir=workdir)) / "quiz.db"
    stdin, stdout = io.StringIO("".join(line + "\n" for line in lines)), io.StringIO()
    with Store(db) as store:
        summary = Session([deck], store, _FixedClock(), PlainFrontend(stdin, stdout, echo=True),
                          StudyOptions(practice=practice)).run()
        stored = list(store.reviews(deck.id))
    return summary, stored, stdout.getvalue()


@fuzz(100)
@given(lines=st.lists(keyboard_line, min_size=2, max_size=60), practice=st.booleans())
def test_random_keyboard_input_never_crashes_a_session_or_loses_an_answer(
    workdir: Path, session_deck, lines: list[str], practice: bool
) -> None:
    summary, stored, transcript = _study(workdir, session_deck, lines, practice)
    assert not summary.interrupted
    assert len(stored) == summary.answers, transcript
    assert all(r.practice == practice for r in stored)
    event(f"{min(summary.answers, 5)}{'+' if summary.answers >= 5 else ''} answers")


@pytest.mark.parametrize("typed", ["\u00b2", "\u2460"])  # superscript two, circled one
def test_a_digit_int_cannot_read_at_a_choice_prompt_is_asked_again(workdir: Path, session_deck, typed: str) -> None:
    # The typed card comes first: answer it, rate it, then the choice card gets the odd digit.
    summary, stored, transcript = _study(workdir, session_deck, ["after 2024", "", typed])
    assert "Please answer with a number from 1 to 3" in transcript
    assert len(stored) == summary.answers == 1
