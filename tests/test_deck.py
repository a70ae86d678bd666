"""The deck loader: every refusal with its exact `path:line:col: message`, and what a valid deck becomes."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

import quiz.deck
from quiz.model import CardType, Mark
from quiz.deck import CARD_KEYS, CITE_KEYS, DECK_KEYS, load_deck
from quiz.errors import DeckError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "decks"

CITE = "    cite:\n      - source: a.txt\n        quote: a verbatim quote\n"  # inside a card of `cards:`
BODY_CITE = "cite:\n  - source: a.txt\n    quote: a verbatim quote\n"  # the same, for deck_with()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Decks are written to and named relative to tmp_path, so messages read `deck.yaml:L:C: ...`."""
    monkeypatch.chdir(tmp_path)


def write(text: str, name: str = "deck.yaml") -> str:
    Path(name).write_text(textwrap.dedent(text), encoding="utf-8")
    return name


def deck_with(card: str, header: str = "title: T\n") -> str:
    """A deck whose `cards:` list holds `card` (a card body indented by four spaces, '- ' added)."""
    body = textwrap.dedent(card)
    lines = body.splitlines()
    indented = "  - " + lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])
    return write(header + "cards:\n" + indented)


def problems(path: str) -> list[str]:
    with pytest.raises(DeckError) as caught:
        load_deck(path)
    assert caught.value.problems, "DeckError without problems"
    return [str(problem) for problem in caught.value.problems]


# --- valid decks -----------------------------------------------------------------------------------

ALL_TYPES = """\
# yaml-language-server: $schema=../quiz/deck.schema.json
id: iss
title: Russia and the ISS (July 2022 reports)
sources: ../seeds
retention: 0.9
cards:
  - id: rogozin-successor
    question: Who replaced Dmitry Rogozin as head of Roscosmos?
    answer: Yuri Borisov
    accept: [Yury Borisov, Yuri Borissov, Borisov]
    cite:
      - source: 003_21e2480842a6230d.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
    tags: [people]
  - id: ross-cost
    type: choice
    question: According to Interfax, what would Russia's new station cost?
    answer: $6 billion
    choices: [$6 billion, $1 billion, $16 billion, $600 million]
    cite:
      - source: 004_04ab37866c9a9a74.txt
        quote: "Russia's new space station would cost \\\\$6 billion"
  - id: nasa-notice
    type: truefalse
    question: NASA had received official notice of Russia's plans on the day of the announcement.
    answer: false
    cite:
      - {source: 000_56db16ce61149816.txt, quote: she has received no official notice from Roscosmos}
  - id: exit-cloze
    type: cloze
    text: Borisov said Russia would leave the station {{after 2024}} and build the {{Russian orbital station::name}}.
    cite:
      - source: 003_21e2480842a6230d.txt
        quote: the decision was made to leave this station after 2024
      - source: 003_21e2480842a6230d.txt
        quote: we will start to create the Russian orbital station
  - id: iss-launch
    type: flip
    question: Year the first ISS module was launched
    answer: 1998
    cite:
      - source: 000_56db16ce61149816.txt
        quote: '1998'
    tags: [dates, discrepancies]
"""


def test_a_deck_of_all_five_types_loads_into_the_model(tmp_path):
    path = write(ALL_TYPES, "iss.yaml")
    deck = load_deck(path)
    assert (deck.id, deck.title, deck.retention) == ("iss", "Russia and the ISS (July 2022 reports)", 0.9)
    assert deck.path == Path("iss.yaml")
    assert deck.sources == (tmp_path.parent / "seeds").resolve()
    assert [c.type for c in deck.cards] == [CardType.TYPED, CardType.CHOICE, CardType.TRUEFALSE,
                                            CardType.CLOZE, CardType.FLIP]
    typed, choice, truefalse, cloze, flip = deck.cards
    assert typed.question == "Who replaced Dmitry Rogozin as head of Roscosmos?"
    assert typed.answer == "Yuri Borisov"
    assert typed.accept == ("Yury Borisov", "Yuri Borissov", "Borisov")
    assert typed.tags == ("people",)
    assert typed.mark == Mark(7, 5)
    (citation,) = typed.cite
    assert (citation.source, citation.quote) == ("003_21e2480842a6230d.txt", "Yuri Borissov replaced Dmitri Rogozin")
    assert (citation.mark, citation.quote_mark, citation.quote_end) == (Mark(12, 9), Mark(13, 16), Mark(13, 53))
    assert citation.quote_style == ""
    assert choice.choices == ("$6 billion", "$1 billion", "$16 billion", "$600 million")
    assert choice.cite[0].quote == "Russia's new space station would cost \\$6 billion"
    assert choice.cite[0].quote_style == '"'
    assert truefalse.answer == "false"
    assert truefalse.cite[0].mark == Mark(28, 9)
    assert cloze.question == cloze.answer == ""
    assert cloze.gaps == ("after 2024", "Russian orbital station")
    assert cloze.items == (1, 2)
    assert cloze.cloze_prompt(2) == "Borisov said Russia would leave the station after 2024 and build the [name]."
    assert len(cloze.cite) == 2
    assert flip.answer == "1998"
    assert flip.cite[0].quote == "1998" and flip.cite[0].quote_style == "'"
    assert flip.tags == ("dates", "discrepancies")
    assert deck.by_id["exit-cloze"] is cloze


def test_defaults_id_from_file_name_sources_from_deck_folder_and_type_typed(tmp_path):
    Path("sub").mkdir()
    path = write("title: T\ncards:\n  - id: a\n    question: Q\n    answer: A\n" + CITE, "sub/my-deck.yaml")
    deck = load_deck(path)
    assert deck.id == "my-deck"
    assert deck.sources == tmp_path.resolve() / "sub"
    assert deck.sources.is_absolute()
    assert deck.retention is None
    (card,) = deck.cards
    assert (card.type, card.accept, card.choices, card.tags, card.text) == (CardType.TYPED, (), (), (), "")


def test_numbers_are_kept_as_their_source_text():
    path = deck_with("id: a\nquestion: When and at what price?\nanswer: 3.10\n"
                     "accept: [3.1, 0x1F, 1_000, 2022-07-26]\n" + BODY_CITE)
    (card,) = load_deck(path).cards
    assert card.answer == "3.10"
    assert card.accept == ("3.1", "0x1F", "1_000", "2022-07-26")


def test_choices_and_tags_may_be_numbers_and_the_answer_matches_by_text():
    path = write("title: 1984\ncards:\n  - id: y\n    type: choice\n    question: Launch year?\n"
                 "    answer: 1998\n    choices: [1998, 2000, '2024']\n    tags: [2022]\n" + CITE)
    deck = load_deck(path)
    assert deck.title == "1984"
    assert deck.cards[0].choices == ("1998", "2000", "2024")
    assert deck.cards[0].tags == ("2022",)


def test_quoted_values_are_text_and_truefalse_accepts_yaml_booleans():
    path = write("title: T\ncards:\n  - id: a\n    question: Q\n    answer: 'no'\n" + CITE
                 + "  - id: b\n    type: truefalse\n    question: Q\n    answer: True\n" + CITE)
    first, second = load_deck(path).cards
    assert first.answer == "no"
    assert second.answer == "true"


def test_a_utf8_bom_is_skipped_and_crlf_line_ends_are_fine():
    Path("bom.yaml").write_bytes(b"\xef\xbb\xbftitle: Caf\xc3\xa9\r\ncards:\r\n  - id: a\r\n    question: Q\r\n"
                                 b"    answer: A\r\n    cite: [{source: a.txt, quote: q}]\r\n")
    deck = load_deck("bom.yaml")
    assert deck.title == "Café"
    assert deck.cards[0].cite[0].quote_mark == Mark(6, 35)


def test_multiline_block_scalars_are_stripped_text():
    path = write("title: T\ncards:\n  - id: a\n    question: >\n      A long\n      question\n"
                 "    answer: |\n      A\n" + CITE)
    card = load_deck(path).cards[0]
    assert (card.question, card.answer) == ("A long question", "A")


def test_explicit_core_tags_are_allowed():
    path = write("title: !!str 1984\ncards: !!seq\n  - !!map\n    id: a\n    question: Q\n    answer: !!str 1998\n"
                 + CITE)
    deck = load_deck(path)
    assert deck.title == "1984" and deck.cards[0].answer == "1998"


def test_loading_writes_nothing(tmp_path):
    path = write(ALL_TYPES, "iss.yaml")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    load_deck(path)
    with pytest.raises(DeckError):
        load_deck(write("title: [", "bad.yaml"))
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(before + ["bad.yaml"])


# --- the file itself -------------------------------------------------------------------------------


def test_missing_file():
    assert problems("nope.yaml") == ["nope.yaml:1:1: no such file (check the path)"]


def test_a_directory():
    Path("d.yaml").mkdir()
    assert problems("d.yaml") == ["d.yaml:1:1: is a directory, not a deck file (give the path of a .yaml deck)"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_opening_it():
    os.mkfifo("pipe.yaml")  # opening it for reading would block forever with no writer
    assert problems("pipe.yaml") == [
        "pipe.yaml:1:1: is not a regular file (a deck must be a .yaml file, not a pipe or device)"]


def test_a_file_over_5_mb_is_refused_by_size_before_reading(monkeypatch):
    with open("big.yaml", "wb") as f:
        f.truncate(6 * 1024 * 1024)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(quiz.deck.os, "open", must_not_run)
    monkeypatch.setattr(quiz.deck, "_decode", must_not_run)
    monkeypatch.setattr(quiz.deck, "_compose", must_not_run)
    assert problems("big.yaml") == [
        "big.yaml:1:1: the file is 6.0 MB; a deck may be at most 5 MB (split it into several decks)"]


def test_a_file_of_exactly_5_mb_is_read():
    with open("five.yaml", "wb") as f:
        f.write(b"title: T\n")
        f.truncate(5 * 1024 * 1024)  # the rest is NUL bytes, which YAML refuses
    assert problems("five.yaml") == ["five.yaml:2:1: control character U+0000 is not allowed in a deck; remove it"]


def test_a_file_just_over_5_mb_says_so_in_bytes():
    with open("just.yaml", "wb") as f:
        f.truncate(5 * 1024 * 1024 + 1)
    assert problems("just.yaml") == [
        "just.yaml:1:1: the file is 5,242,881 bytes; a deck may be at most 5 MB (5,242,880 bytes; "
        "split it into several decks)"]


def test_non_utf8_bytes_point_at_the_first_bad_byte():
    Path("latin1.yaml").write_bytes("title: Ré\ncards: [x]\nq: caf".encode() + b"\xe9 cr\xe8me\n")
    assert problems("latin1.yaml") == [
        "latin1.yaml:3:7: the file is not valid UTF-8 (byte 0xe9); save it as UTF-8"]


def test_utf16_is_named():
    Path("u16.yaml").write_bytes("title: T\n".encode("utf-16"))
    assert problems("u16.yaml") == ["u16.yaml:1:1: the file is UTF-16; save it as UTF-8"]


def test_control_characters():
    path = write("title: a\x07b\ncards: []\n")
    assert problems(path) == ["deck.yaml:1:9: control character U+0007 is not allowed in a deck; remove it"]
    path = write("title: T\ncards: []\nx: caf\u00e9 \u0086\n")  # C1 controls too (a raw NEL is a line break, below)
    assert problems(path) == ["deck.yaml:3:9: control character U+0086 is not allowed in a deck; remove it"]


@pytest.mark.parametrize("char, name", [("\u2028", "line separator"), ("\u2029", "paragraph separator"),
                                        ("\x85", "next line")])
def test_line_breaks_only_yaml_counts_are_refused(char, name):
    # libyaml would count them as line breaks and every later line number would be off by one
    path = write(f"title: T\ncards:\n  - id: a\n    question: Which year?{char}Think.\n")
    assert problems(path) == [
        f"deck.yaml:4:26: {name} U+{ord(char):04X} is not allowed in a deck (it counts as a line break in YAML "
        "but not in most editors); replace it with a normal line break or a space"]


def test_a_carriage_return_without_line_feed_is_refused():
    Path("cr.yaml").write_bytes(b"title: T\r  \ncards: []\n")
    assert problems("cr.yaml") == [
        "cr.yaml:1:9: carriage return without a line feed is not allowed in a deck (editors disagree on where "
        "such a line ends); save the file with LF or CRLF line endings"]


def test_nel_and_other_c1_controls_made_by_escapes_are_refused():
    # "\N" is YAML's escape for NEL (U+0085), a C1 control that passed the check and reached the terminal.
    path = write('title: "Deck\\N"\ncards:\n  - id: a\n    question: "Q\\x9b2J"\n    answer: "\\u0090x"\n')
    assert [p for p in problems(path) if "control character" in p] == [
        "deck.yaml:1:8: control character U+0085 is not allowed in a deck; remove it",
        "deck.yaml:4:15: control character U+009B is not allowed in a deck; remove it",
        "deck.yaml:5:13: control character U+0090 is not allowed in a deck; remove it",
    ]


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069"])
def test_bidi_controls_are_refused_raw_and_as_escapes(char):
    # They make a line display in another order than it is stored (and graded): "Trojan Source".
    message = (f"bidirectional control U+{ord(char):04X} is not allowed in a deck (it shows text in another "
               "order than it is stored); remove it")
    assert problems(write(f"title: T\ncards: []\nx: ab{char}c\n")) == [f"deck.yaml:3:6: {message}"]
    escaped = write(f'title: "T\\u{ord(char):04x}"\ncards: []\n')
    assert problems(escaped)[0] == f"deck.yaml:1:8: {message}"


def test_zero_width_characters_are_allowed_in_a_deck():
    # Needed in some scripts (ZWNJ in Persian, ZWJ in emoji sequences): allowed, and shown as escapes on a
    # terminal (quiz.text), not refused.
    path = write("title: \u0646\u0645\u200c\u0627\nid: t\ncards:\n  - id: a\n    question: Q\u200b?\n    answer: A\n"
                 "    cite: [{source: a.txt, quote: A}]\n")
    assert load_deck(path).cards[0].question == "Q\u200b?"


def test_control_characters_made_by_escapes_are_refused_at_the_scalar():
    path = write('title: "Deck\\e]0;title\\a"\ncards:\n  - id: a\n    question: "Q\\x1b[2J"\n    answer: "A\\rB"\n'
                 '    cite: [{source: "a.txt\\0", quote: "tab\\tand\\nnewline are fine"}]\n')
    assert problems(path) == [
        "deck.yaml:1:8: control character U+001B is not allowed in a deck; remove it",
        "deck.yaml:4:15: control character U+001B is not allowed in a deck; remove it",
        "deck.yaml:5:13: control character U+000D is not allowed in a deck; remove it",
        "deck.yaml:6:21: control character U+0000 is not allowed in a deck; remove it"]


def test_empty_file():
    assert problems(write("")) == ["deck.yaml:1:1: the deck is empty; it needs a 'title' and a list of 'cards'"]
    assert problems(write("# only a comment\n")) == [
        "deck.yaml:1:1: the deck is empty; it needs a 'title' and a list of 'cards'"]


# --- YAML level ------------------------------------------------------------------------------------


def test_yaml_syntax_error_at_libyaml_mark():
    path = write("title: T\ncards:\n  - id: a\n    question: Why: this\n")
    assert problems(path) == [
        "deck.yaml:4:18: invalid YAML: mapping values are not allowed in this context "
        "(a value containing ': ' must be put in quotes)"]


def test_unclosed_flow_list():
    path = write("title: T\ncards: [\n")
    assert problems(path) == ["deck.yaml:3:1: invalid YAML: did not find expected node content"]


def test_an_unclosed_quote_is_reported_at_the_opening_quote():
    path = write('title: T\ncards:\n  - id: a\n    question: "After which year?\n    answer: "2024"\n' + CITE)
    assert problems(path) == [
        'deck.yaml:4:15: invalid YAML: the quoted text that starts here is not closed on its line and runs into '
        'the next key; add the missing closing "']
    path = write("title: T\ncards:\n  - id: a\n    question: 'Which year?\n")
    assert problems(path) == [
        "deck.yaml:4:15: invalid YAML: the quoted text that starts here is never closed; add the missing closing '"]


def test_a_syntax_error_late_in_the_file_still_lets_the_cards_before_it_be_checked():
    # Cards are checked as each one is parsed, so one run shows the earlier cards' problems too.
    path = write("title: T\ncards:\n  - id: Bad Id\n    question: Q\n    answer: A\n" + CITE
                 + "  - id: b\n    question: 'Which year?\n")
    assert problems(path) == [
        "deck.yaml:3:9: card id 'Bad Id' is not valid; use lowercase letters, digits, '-' and '_' (e.g. 'bad-id')",
        "deck.yaml:10:15: invalid YAML: the quoted text that starts here is never closed; add the missing closing '"]


def test_an_unclosed_bracket_is_reported_at_the_bracket():
    path = write("title: T\ncards:\n  - id: a\n    type: choice\n    question: Q\n    answer: A\n"
                 "    choices: [A, B\n" + CITE)
    assert problems(path) == [
        "deck.yaml:7:14: invalid YAML: the list that starts here with '[' is not closed; add the missing ']'"]
    path = write("title: T\ncards:\n  - id: a\n    question: Q\n    answer: A\n"
                 "    cite: [{source: a.txt, quote: q]\n")
    assert problems(path) == [
        "deck.yaml:6:12: invalid YAML: the mapping that starts here with '{' is not closed; add the missing '}'"]


def test_tab_indentation_is_explained():
    path = write("title: T\ncards:\n\t- id: a\n")
    assert problems(path) == [
        "deck.yaml:3:1: tab character used for indentation; YAML indentation must use spaces "
        "(replace the tab with spaces)"]
    path = write("title: T\ncards:\n  - id: a\n  \t question: Q\n")
    assert problems(path) == [
        "deck.yaml:4:3: tab character used for indentation; YAML indentation must use spaces "
        "(replace the tab with spaces)"]


def test_a_tab_after_a_colon_is_just_a_separator():
    path = write("title:\tT\ncards:\n  - id: a\n    question:\tQ\n    answer: A\n" + CITE)
    assert load_deck(path).cards[0].question == "Q"


def test_multiple_documents():
    path = write("title: T\ncards: []\n---\ntitle: U\n")
    assert problems(path) == [
        "deck.yaml:2:8: the deck has no cards; add at least one card under 'cards:'",
        "deck.yaml:3:1: a deck must be a single YAML document; remove this second document "
        "(or move it to its own file)"]


def test_top_level_must_be_a_mapping():
    assert problems(write("- a\n- b\n")) == [
        "deck.yaml:1:1: the top level of a deck must be a mapping with 'title:' and 'cards:', got a list"]
    assert problems(write("just words\n")) == [
        "deck.yaml:1:1: the top level of a deck must be a mapping with 'title:' and 'cards:', "
        "got the text 'just words'"]


def test_anchors_and_aliases_are_refused():
    path = deck_with("id: a\nquestion: &q Q\nanswer: *q\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:4:15: anchors and aliases are not allowed in decks; write the value out in full",
        "deck.yaml:5:13: anchors and aliases are not allowed in decks; write the value out in full"]


def test_the_billion_laughs_alias_bomb_is_refused_without_expanding():
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    path = write("\n".join(lines) + "\n")
    found = problems(path)
    refusal = "anchors and aliases are not allowed in decks; write the value out in full"
    assert found[:3] == [
        "deck.yaml:1:1: unknown key 'a0' at the top of the deck; allowed keys: id, title, sources, source_info, retention, exam, cards",
        "deck.yaml:1:1: the deck has no 'title'; add a line 'title: ...'",
        "deck.yaml:1:1: the deck has no 'cards'; add a 'cards:' list"]
    assert found[3] == f"deck.yaml:1:5: {refusal}"
    assert found[-1] == f"deck.yaml:10:50: {refusal}"
    assert sum(problem.endswith(refusal) for problem in found) == 10 + 9 * 9  # each anchor and alias once


@pytest.mark.parametrize("value, tag", [
    ("!!python/object/apply:os.system [echo hacked]", "!!python/object/apply:os.system"),
    ("!!python/name:os.system", "!!python/name:os.system"),
    ("!foo Q", "!foo"),
    ("!!binary aGk=", "!!binary"),
    ("!<tag:example.com,2000:x> Q", "tag:example.com,2000:x"),
])
def test_tags_other_than_core_ones_are_refused(value, tag):
    path = deck_with(f"id: a\nquestion: {value}\nanswer: A\n" + BODY_CITE)
    assert problems(path) == [
        f"deck.yaml:4:15: tag '{tag}' is not allowed; decks hold plain values only (remove the tag)"]


def test_a_core_tag_on_a_value_it_does_not_fit():
    path = deck_with("id: a\nquestion: !!int twelve\nanswer: A\n" + BODY_CITE)
    assert problems(path) == ["deck.yaml:4:15: 'twelve' is not a valid !!int; remove the tag"]


def test_deep_nesting_is_refused_without_recursion():
    path = write("title: T\ncards: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert problems(path) == [
        "deck.yaml:2:57: nesting deeper than 50 levels; a deck needs only a few (check the structure)"]


def test_duplicate_keys_point_at_the_second_and_name_the_first():
    path = deck_with("id: a\nquestion: Q\nanswer: A\nquestion: Q2\n" + BODY_CITE)
    assert problems(path) == ["deck.yaml:6:5: duplicate key 'question' (first on line 4); remove one of them"]
    path = write("title: T\ntitle: U\ncards:\n  - id: a\n    question: Q\n    answer: A\n" + CITE)
    assert problems(path) == ["deck.yaml:2:1: duplicate key 'title' (first on line 1); remove one of them"]
    path = write("title: T\ncards:\n  - id: a\n    question: Q\n    answer: A\n"
                 "    cite: [{source: a.txt, quote: q, source: b.txt}]\n")
    assert problems(path) == ["deck.yaml:6:38: duplicate key 'source' (first on line 6); remove one of them"]
    # A second `cards:` list is reported once, not checked card by card (its ids would all be duplicates).
    card = "  - id: a\n    question: Q\n    answer: A\n" + CITE
    path = write("title: T\ncards:\n" + card + "cards:\n" + card)
    assert problems(path) == ["deck.yaml:9:1: duplicate key 'cards' (first on line 2); remove one of them"]


def test_a_key_that_is_a_list_is_refused():
    path = write("title: T\n? [a, b]\n: c\ncards: []\n")
    assert problems(path) == [
        "deck.yaml:2:3: a key must be a plain name, not a list or mapping",
        "deck.yaml:4:8: the deck has no cards; add at least one card under 'cards:'"]


# --- deck level ------------------------------------------------------------------------------------


def test_missing_title_and_cards_point_at_the_top_mapping():
    path = write("# yaml-language-server: $schema=../quiz/deck.schema.json\nid: x\n")
    assert problems(path) == [
        "deck.yaml:2:1: the deck has no 'title'; add a line 'title: ...'",
        "deck.yaml:2:1: the deck has no 'cards'; add a 'cards:' list"]


def test_no_cards():
    assert problems(write("title: T\ncards: []\n")) == [
        "deck.yaml:2:8: the deck has no cards; add at least one card under 'cards:'"]
    assert problems(write("title: T\ncards:\n")) == [
        "deck.yaml:2:7: the deck has no cards; add at least one card under 'cards:'"]


def test_cards_must_be_a_list():
    assert problems(write("title: T\ncards: {a: 1}\n")) == [
        "deck.yaml:2:8: 'cards' must be a list of cards ('- id: ...'), got a mapping"]


def test_unknown_top_level_keys():
    path = write("titel: T\nquestion: Q\nauthor: me\ncards: []\n")
    assert problems(path) == [
        "deck.yaml:1:1: unknown key 'titel' at the top of the deck (did you mean 'title'?)",
        "deck.yaml:1:1: the deck has no 'title'; add a line 'title: ...'",
        "deck.yaml:2:1: unknown key 'question' at the top of the deck (card fields go inside a card under 'cards:')",
        "deck.yaml:3:1: unknown key 'author' at the top of the deck; allowed keys: id, title, sources, source_info, "
        "retention, exam, cards",
        "deck.yaml:4:8: the deck has no cards; add at least one card under 'cards:'"]


def test_deck_level_types():
    path = write("id: Big Deck\ntitle: [T]\nsources: 2022\nretention: high\ncards: []\n")
    assert problems(path) == [
        "deck.yaml:1:5: deck id 'Big Deck' is not valid; use lowercase letters, digits, '-' and '_' (e.g. 'big-deck')",
        "deck.yaml:2:8: 'title' must be text, got a list",
        "deck.yaml:3:10: 'sources' must be text (a folder path), got the number 2022 (put it in quotes: \"2022\")",
        "deck.yaml:4:12: 'retention' must be a number between 0.70 and 0.99 (e.g. 0.9), got the text 'high'",
        "deck.yaml:5:8: the deck has no cards; add at least one card under 'cards:'"]


def test_retention_range_and_empty_values():
    path = write("title: ''\nsources:\nretention: 0.5\ncards: []\n")
    assert problems(path) == [
        "deck.yaml:1:8: 'title' is empty; write the deck's title",
        "deck.yaml:2:9: 'sources' is empty; give the folder the citations are in, relative to this file "
        "(or remove the line to use the deck's own folder)",
        "deck.yaml:3:12: 'retention' must be between 0.70 and 0.99, got 0.5",
        "deck.yaml:4:8: the deck has no cards; add at least one card under 'cards:'"]


def test_exam_is_a_local_date_and_time_or_a_date():
    from datetime import datetime, timezone

    from quiz.scheduler import study_day_start

    card = "id: a\nquestion: Q\nanswer: A\n" + BODY_CITE
    local = datetime(2026, 12, 18, 9, 0).astimezone().astimezone(timezone.utc)
    assert load_deck(deck_with(card, "title: T\nexam: 2026-12-18T09:00\n")).exam == local
    assert load_deck(deck_with(card, "title: T\nexam: '2026-12-18 09:00+01:00'\n")).exam == datetime(
        2026, 12, 18, 8, 0, tzinfo=timezone.utc)
    day = datetime(2026, 12, 18).date()
    assert load_deck(deck_with(card, "title: T\nexam: 2026-12-18\n")).exam == study_day_start(day, None, 4)
    assert load_deck(deck_with(card)).exam is None


def test_exam_that_is_not_a_date_is_refused_with_its_position():
    card = "id: a\nquestion: Q\nanswer: A\n" + BODY_CITE
    assert problems(deck_with(card, "title: T\nexam: next friday\n")) == [
        "deck.yaml:2:7: 'exam' must be a date and time like 2026-12-18T09:00 (local time) or a date like "
        "2026-12-18, got 'next friday'"]
    assert problems(deck_with(card, "title: T\nexam: 2026-13-40T09:00\n")) == [
        "deck.yaml:2:7: 'exam' must be a date and time like 2026-12-18T09:00 (local time) or a date like "
        "2026-12-18, got '2026-13-40T09:00'"]
    assert problems(deck_with(card, "title: T\nexam: 20261218\n")) == [
        "deck.yaml:2:7: 'exam' must be a date and time like 2026-12-18T09:00, got the number 20261218"]


def test_a_file_name_that_is_not_a_valid_id_needs_an_explicit_id():
    path = write("title: T\ncards:\n  - id: a\n    question: Q\n    answer: A\n" + CITE, "My Deck.yaml")
    assert problems(path) == [
        "My Deck.yaml:1:1: the deck id defaults to the file name 'My Deck', which is not a valid id; "
        "add 'id: my-deck' (lowercase letters, digits, '-' and '_')"]
    assert load_deck(write("id: my-deck\n" + Path(path).read_text(), "My Deck.yaml")).id == "my-deck"


# --- card level ------------------------------------------------------------------------------------


def test_unknown_card_key_with_a_suggestion():
    path = deck_with("id: a\nqestion: Q\nanswer: A\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:3:5: card 'a' has no 'question'; add the question to ask",
        "deck.yaml:4:5: unknown key 'qestion' in a card (did you mean 'question'?)"]


def test_deck_and_citation_keys_inside_a_card_say_where_they_belong():
    path = deck_with("id: a\nquestion: Q\nanswer: A\ntitle: T\nquote: q\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:6:5: unknown key 'title' in a card (it belongs at the top of the deck)",
        "deck.yaml:7:5: unknown key 'quote' in a card (it belongs inside a 'cite' entry)"]


def test_missing_fields_point_at_the_card():
    path = write("title: T\ncards:\n  - type: choice\n  - id: b\n    type: cloze\n")
    assert problems(path) == [
        "deck.yaml:3:5: card 1 has no 'id'; add a unique id (lowercase letters, digits, '-' and '_')",
        "deck.yaml:3:5: card 1 has no 'question'; add the question to ask",
        "deck.yaml:3:5: card 1 has no 'answer'; add the expected answer",
        "deck.yaml:3:5: card 1 has no 'choices'; add a list of choices that includes the answer",
        "deck.yaml:3:5: card 1 has no 'cite'; every card must cite a verbatim quote: add 'cite:' with "
        "'- source: FILE' and 'quote: TEXT FROM THE FILE'",
        "deck.yaml:4:5: card 'b' has no 'text'; add the text with each hidden part marked {{like this}}",
        "deck.yaml:4:5: card 'b' has no 'cite'; every card must cite a verbatim quote: add 'cite:' with "
        "'- source: FILE' and 'quote: TEXT FROM THE FILE'"]


def test_card_ids_must_match_the_pattern_and_be_unique():
    path = write("title: T\ncards:\n"
                 "  - id: a\n    question: Q\n    answer: A\n" + CITE
                 + "  - id: a\n    question: Q\n    answer: A\n" + CITE
                 + "  - id: Card_2\n    question: Q\n    answer: A\n" + CITE
                 + "  - id: ''\n    question: Q\n    answer: A\n" + CITE)
    assert problems(path) == [
        "deck.yaml:9:9: duplicate card id 'a' (first used on line 3); card ids must be unique within the deck",
        "deck.yaml:15:9: card id 'Card_2' is not valid; use lowercase letters, digits, '-' and '_' "
        "(e.g. 'card_2')",
        "deck.yaml:21:9: 'id' is empty; give the card a unique id"]


def test_a_card_that_is_not_a_mapping():
    path = write("title: T\ncards:\n  - just a question?\n")
    assert problems(path) == [
        "deck.yaml:3:5: each card must be a mapping ('- id: ...' with its fields), got the text 'just a question?'"]


def test_unknown_card_type():
    path = deck_with("id: a\ntype: choise\nquestion: Q\nanswer: A\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:4:11: unknown card type 'choise' (did you mean 'choice'?); "
        "use typed, choice, truefalse, flip or cloze"]


def test_wrong_types_say_expected_and_got():
    path = deck_with("id: a\nquestion: [Q]\nanswer: {A: 1}\naccept: Borisov\ntags: people\n"
                     + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:4:15: 'question' must be text, got a list",
        "deck.yaml:5:13: 'answer' must be text, got a mapping",
        "deck.yaml:6:13: 'accept' must be a list, got the text 'Borisov' (write it as [Borisov])",
        "deck.yaml:7:11: 'tags' must be a list, got the text 'people' (write it as [people])"]


def test_messages_quoting_a_multiline_value_stay_on_one_line():
    path = deck_with("id: a\nquestion: Q\nanswer: A\ntags: |\n  people\n  dates\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:6:11: 'tags' must be a list, got the text 'people dates' (write it as [people dates])"]


def test_booleans_are_only_answers_of_truefalse_cards():
    path = deck_with("id: a\nquestion: Q\nanswer: no\naccept: [yes, '']\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:5:13: 'answer' must be text, got the boolean no (put it in quotes: \"no\")",
        "deck.yaml:6:14: items of 'accept' must be text, got the boolean yes (put it in quotes: \"yes\")",
        "deck.yaml:6:19: empty item in 'accept'; write the alternative or remove the item"]


def test_empty_strings_are_errors():
    path = deck_with("id: a\nquestion: '  '\nanswer:\n" + BODY_CITE)
    assert problems(path) == [
        "deck.yaml:4:15: 'question' is empty; write the question to ask",
        "deck.yaml:5:12: 'answer' is empty; write the expected answer"]


def test_fields_that_do_not_belong_to_the_card_type():
    path = write("title: T\ncards:\n"
                 "  - id: a\n    question: Q\n    answer: A\n    choices: [A, B]\n    text: '{{A}}'\n" + CITE
                 + "  - id: b\n    type: cloze\n    text: '{{A}}'\n    question: Q\n    answer: A\n    accept: [a]\n"
                 + CITE
                 + "  - id: c\n    type: flip\n    question: Q\n    answer: A\n    accept: [a]\n" + CITE)
    assert problems(path) == [
        "deck.yaml:6:5: 'choices' is not allowed on a typed card (set 'type: choice' for a multiple-choice card)",
        "deck.yaml:7:5: 'text' is not allowed on a typed card (set 'type: cloze' for a fill-in-the-gap card)",
        "deck.yaml:14:5: 'question' is not allowed on a cloze card (a cloze card asks its {{gaps}}: put "
        "everything in 'text')",
        "deck.yaml:15:5: 'answer' is not allowed on a cloze card (a cloze card asks its {{gaps}}: put "
        "everything in 'text')",
        "deck.yaml:16:5: 'accept' is not allowed on a cloze card (only typed cards take alternative answers)",
        "deck.yaml:24:5: 'accept' is not allowed on a flip card (only typed cards take alternative answers)"]


# --- choice, truefalse, cloze ----------------------------------------------------------------------


def choice_deck(choices: str, answer: str = "$6 billion", extra: str = "") -> str:
    return deck_with(f"id: c\ntype: choice\nquestion: Cost?\nanswer: {answer}\nchoices: {choices}\n{extra}"
                     + BODY_CITE)


def test_choices_must_contain_the_answer():
    assert problems(choice_deck("[$1 billion, $16 billion]")) == [
        "deck.yaml:7:14: 'choices' does not include the answer '$6 billion'; add it exactly as written in 'answer'"]


def test_choices_answer_differing_in_case_is_pointed_out():
    assert problems(choice_deck("[$6 Billion, $16 billion]")) == [
        "deck.yaml:7:14: 'choices' does not include the answer '$6 billion'; add it exactly as written in "
        "'answer' (the choice '$6 Billion' differs only in case or spacing)"]


def test_choices_must_contain_the_answer_only_once():
    path = choice_deck("\n    - $6 billion\n    - $1 billion\n    - $6 billion")
    assert problems(path) == [
        "deck.yaml:10:11: the answer '$6 billion' is listed twice in 'choices' (first on line 8); keep it once"]


def test_choices_need_two_distinct():
    assert problems(choice_deck("[$6 billion]")) == [
        "deck.yaml:7:14: a choice card needs at least 2 different choices"]
    assert problems(choice_deck("[$1 billion, $1 billion]")) == [
        "deck.yaml:7:14: a choice card needs at least 2 different choices",
        "deck.yaml:7:14: 'choices' does not include the answer '$6 billion'; add it exactly as written in 'answer'",
        "deck.yaml:7:27: choice '$1 billion' is listed twice in 'choices' (first on line 7); keep it once"]


def test_choice_cards_take_no_accept():
    assert problems(choice_deck("[$6 billion, $1 billion]", extra="accept: [six billion]\n")) == [
        "deck.yaml:8:5: 'accept' is not allowed on a choice card (the answer must be one of the choices)"]


def test_truefalse_answer_must_be_a_boolean():
    def tf(answer: str) -> str:
        return deck_with(f"id: t\ntype: truefalse\nquestion: Q\nanswer: {answer}\n"
                         + BODY_CITE)
    assert problems(tf('"false"')) == [
        "deck.yaml:6:13: the answer of a truefalse card must be the boolean true or false, got the text 'false' "
        "(remove the quotes)"]
    assert problems(tf("maybe")) == [
        "deck.yaml:6:13: the answer of a truefalse card must be true or false, got the text 'maybe'"]
    assert problems(tf("1")) == [
        "deck.yaml:6:13: the answer of a truefalse card must be true or false, got the number 1"]
    assert problems(tf("")) == ["deck.yaml:6:12: 'answer' is empty; write true or false"]


def cloze_deck(text: str) -> str:
    return deck_with(f"id: z\ntype: cloze\ntext: {text}\n" + BODY_CITE)


def test_cloze_without_a_gap():
    assert problems(cloze_deck("Russia leaves after 2024.")) == [
        "deck.yaml:5:11: cloze text has no gap; mark each part to hide with double braces, e.g. 'left in {{2024}}'"]


def test_cloze_with_an_empty_gap_or_unmatched_braces():
    assert problems(cloze_deck("'Russia leaves {{ }} and {{builds::what}}.'")) == [
        "deck.yaml:5:11: cloze gap 1 is empty; write the hidden answer between {{ and }}"]
    assert problems(cloze_deck("'Russia leaves {{after 2024}} and {{builds.'")) == [
        "deck.yaml:5:11: cloze text has an unmatched '{{' or '}}'; write each gap as {{answer}} or {{answer::hint}}"]
    assert problems(cloze_deck("Russia leaves after {{2024}.")) == [  # a brace missing is not "no gap"
        "deck.yaml:5:11: cloze text has an unmatched '{{' or '}}'; write each gap as {{answer}} or {{answer::hint}}"]


def test_cloze_gaps_with_hints():
    card = load_deck(cloze_deck("'{{Borisov::who}} replaced {{Rogozin}}'")).cards[0]
    assert card.gaps == ("Borisov", "Rogozin")
    assert card.cloze_prompt(1) == "[who] replaced Rogozin"
    assert card.expected(2) == "Rogozin"


# --- citations -------------------------------------------------------------------------------------


def cite_deck(cite: str) -> str:
    return deck_with("id: a\nquestion: Q\nanswer: A\n" + cite)


def test_cite_must_be_a_non_empty_list_of_mappings():
    assert problems(cite_deck("cite: []\n")) == [
        "deck.yaml:6:11: 'cite' is empty; add at least one '- source: FILE' with its 'quote: ...'"]
    assert problems(cite_deck("cite: {source: a.txt, quote: q}\n")) == [
        "deck.yaml:6:11: 'cite' must be a list of citations ('- source: FILE' and 'quote: ...'), got a mapping"]
    assert problems(cite_deck("cite: [a.txt]\n")) == [
        "deck.yaml:6:12: each 'cite' entry must be a mapping with 'source' and 'quote', got the text 'a.txt'"]


def test_cite_entries_need_exactly_source_and_quote():
    path = cite_deck("cite:\n  - source: a.txt\n  - quote: q\n    page: 3\n  - {source: a.txt, quote: ''}\n")
    assert problems(path) == [
        "deck.yaml:7:9: citation has no 'quote'; add the verbatim text from the source",
        "deck.yaml:8:9: citation has no 'source'; add the file name the quote comes from",
        "deck.yaml:9:9: unknown key 'page' in a citation; allowed keys: source, quote",
        "deck.yaml:10:32: 'quote' is empty; copy the supporting sentence from the source"]


@pytest.mark.parametrize("source", ["../secret.txt", "/etc/passwd", "a/../../b.txt", "C:\\\\x.txt", "..\\\\x.txt"])
def test_citation_paths_may_not_leave_the_sources_folder(source):
    path = cite_deck(f'cite: [{{source: "{source}", quote: q}}]\n')
    shown = source.replace("\\\\", "\\")
    assert problems(path) == [
        f"deck.yaml:6:21: citation source '{shown}' is outside the sources folder; give a file path relative "
        "to it (no absolute paths or '..')"]


def test_citation_paths_in_subfolders_are_fine():
    deck = load_deck(cite_deck("cite: [{source: reports/a..b.txt, quote: q}]\n"))
    assert deck.cards[0].cite[0].source == "reports/a..b.txt"


def test_every_problem_of_a_deck_is_reported_in_file_order():
    path = write("""\
        title: T
        retention: 2
        cards:
          - id: a
            qestion: Q
            answer: A
            cite: []
          - id: b
            type: truefalse
            question: Q
            answer: "yes"
            cite: [{source: ../x, quote: q}]
        """)
    assert problems(path) == [
        "deck.yaml:2:12: 'retention' must be between 0.70 and 0.99, got 2",
        "deck.yaml:4:5: card 'a' has no 'question'; add the question to ask",
        "deck.yaml:5:5: unknown key 'qestion' in a card (did you mean 'question'?)",
        "deck.yaml:7:11: 'cite' is empty; add at least one '- source: FILE' with its 'quote: ...'",
        "deck.yaml:11:13: the answer of a truefalse card must be true or false, got the text 'yes'",
        "deck.yaml:12:21: citation source '../x' is outside the sources folder; give a file path relative to it "
        "(no absolute paths or '..')"]


def test_deck_error_str_is_one_line_per_problem():
    with pytest.raises(DeckError) as caught:
        load_deck(write("title: T\ncards: []\nextra: 1\n"))
    assert str(caught.value) == (
        "deck.yaml:2:8: the deck has no cards; add at least one card under 'cards:'\n"
        "deck.yaml:3:1: unknown key 'extra' at the top of the deck (did you mean 'exam'?)")
    assert caught.value.exit_code == 2


# --- robustness ------------------------------------------------------------------------------------


def test_arbitrary_text_never_crashes_the_loader():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list("ab:-[]{}!&*'\"#|>?,\n\t {}\\%@`~") + ["id", "title", "cards", "cite",
                               "question", "answer", "true", "1", "\ufeff", "é", "{{", "}}", "  - "])

    @hypothesis.settings(max_examples=200, deadline=None, database=None)
    @hypothesis.given(st.lists(alphabet, max_size=60).map("".join))
    def check(text):
        Path("fuzz.yaml").write_text(text, encoding="utf-8")
        try:
            load_deck("fuzz.yaml")
        except DeckError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.line >= 1 and problem.col >= 1 and problem.message

    check()


def test_a_file_with_a_flood_of_problems_stops_listing_them(monkeypatch):
    monkeypatch.setattr(quiz.deck, "MAX_PROBLEMS", 3)
    path = write("title: T\ncards:\n" + "  - x\n" * 5)
    got = "each card must be a mapping ('- id: ...' with its fields), got the text 'x'"
    assert problems(path) == [f"deck.yaml:{line}:5: {got}" for line in (3, 4, 5)] + [
        "deck.yaml:6:5: 2 more problems not shown; fix these and run again"]


def test_the_pure_python_parser_gives_the_same_results(monkeypatch):
    """Without libyaml the loader falls back to PyYAML's own parser: same decks, same problems."""
    import yaml

    good = write(ALL_TYPES, "iss.yaml")
    bad = write("title: T\ncards:\n  - id: a\n    qestion: &x Q\n    answer: *x\n    answer: !foo B\n"
                "    cite: [{source: ../a, quote: ''}]\n", "bad.yaml")
    expected = (load_deck(good), problems(bad))
    monkeypatch.setattr(quiz.deck, "_Loader", yaml.SafeLoader)
    assert (load_deck(good), problems(bad)) == expected


# --- schema and CLI --------------------------------------------------------------------------------


def schema() -> dict:
    return json.loads((ROOT / "quiz" / "deck.schema.json").read_text(encoding="utf-8"))


def test_schema_is_json_and_its_field_names_are_the_loaders():
    data = schema()
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(data["properties"]) == set(DECK_KEYS)
    card = data["$defs"]["card"]
    assert set(card["properties"]) == set(CARD_KEYS)
    assert set(data["$defs"]["citation"]["properties"]) == set(CITE_KEYS)
    assert card["properties"]["type"]["enum"] == [t.value for t in CardType]
    assert data["$defs"]["id"]["anyOf"][0]["pattern"] == "^" + quiz.deck.ID_PATTERN.pattern + "$"
    assert card["properties"]["choices"]["maxItems"] == quiz.deck.MAX_CHOICES


def example_decks() -> list[Path]:
    return sorted((ROOT / "decks").glob("*.yaml")) + sorted(FIXTURES.glob("valid_*.yaml"))


@pytest.mark.parametrize("path", example_decks(), ids=lambda p: p.name)
def test_example_decks_load_and_match_the_schema(path):
    load_deck(path)
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    # Safe to construct here: load_deck has just vetted the file (no tags, no aliases).
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    jsonschema.Draft202012Validator(schema()).validate(data)


def test_schema_rejects_what_the_loader_rejects():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    cite = [{"source": "a.txt", "quote": "q"}]
    good = {"title": "T", "cards": [{"id": "a", "question": "Q", "answer": "A", "cite": cite}]}
    assert validator.is_valid(good)
    bad_cards = [
        {"id": "a", "qestion": "Q", "answer": "A", "cite": cite},
        {"id": "A b", "question": "Q", "answer": "A", "cite": cite},
        {"id": "a", "question": "Q", "answer": "A"},
        {"id": "a", "question": "Q", "answer": "A", "cite": []},
        {"id": "a", "question": "Q", "answer": "", "cite": cite},
        {"id": "a", "question": "Q", "answer": True, "cite": cite},
        {"id": "a", "type": "truefalse", "question": "Q", "answer": "false", "cite": cite},
        {"id": "a", "type": "choice", "question": "Q", "answer": "A", "cite": cite},
        {"id": "a", "type": "choice", "question": "Q", "answer": "A", "choices": ["A"], "cite": cite},
        {"id": "a", "type": "choice", "question": "Q", "answer": "A", "choices": ["A", "B"], "accept": ["a"],
         "cite": cite},
        {"id": "a", "type": "cloze", "text": "no gap", "cite": cite},
        {"id": "a", "type": "cloze", "text": "{{::hint}}", "cite": cite},
        {"id": "a", "type": "cloze", "text": "{{{a}}}", "cite": cite},
        {"id": "a", "type": "cloze", "text": "x {{a}}} y", "cite": cite},
        {"id": "a", "type": "choice", "question": "Q", "answer": "1", "choices": [str(n) for n in range(1, 38)],
         "cite": cite},
        {"id": "a", "type": "cloze", "text": "{{gap}}", "question": "Q", "cite": cite},
        {"id": "a", "type": "flip", "question": "Q", "cite": cite},
        {"id": "a", "question": "Q", "answer": "A", "cite": [{"source": "a.txt"}]},
        {"id": "a", "question": "Q", "answer": "A", "cite": [{"source": "../a.txt", "quote": "q"}]},
    ]
    for card in bad_cards:
        assert not validator.is_valid({"title": "T", "cards": [card]}), card
    assert not validator.is_valid({"title": "T", "cards": []})
    assert not validator.is_valid({"title": "T", "cards": good["cards"], "retention": 1.5})
    assert validator.is_valid({"title": "T", "cards": good["cards"], "exam": "2026-12-18T09:00"})
    assert not validator.is_valid({"title": "T", "cards": good["cards"], "exam": "next friday"})
    assert not validator.is_valid({"cards": good["cards"]})
    numbers = {"title": "T", "cards": [{"id": "a", "type": "choice", "question": "Q", "answer": 1998,
                                        "choices": [1998, 2000], "cite": cite}]}
    assert validator.is_valid(numbers)


def test_quiz_schema_prints_the_schema_file():
    from typer.testing import CliRunner

    from quiz.cli import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == schema()
    assert result.stdout == (ROOT / "quiz" / "deck.schema.json").read_text(encoding="utf-8")


def test_quiz_check_reports_a_bad_deck_with_exit_2():
    from typer.testing import CliRunner

    from quiz.cli import app

    path = write("title: T\ncards:\n  - id: a\n    qestion: Q\n    answer: A\n" + CITE)
    result = CliRunner().invoke(app, ["check", path])
    assert result.exit_code == 2
    assert "deck.yaml:3:5: card 'a' has no 'question'; add the question to ask" in result.output
    assert "deck.yaml:4:5: unknown key 'qestion' in a card (did you mean 'question'?)" in result.output
    assert "Traceback" not in result.output


# --- source catalogue (`source_info:`) and per-card `lint:` ----------------------------------------

CATALOGUE_CARD = "cards:\n  - id: a\n    question: Q\n    answer: A\n" + CITE


def test_source_info_gives_each_file_a_label_and_details():
    Path("a.txt").write_text("a verbatim quote\n", encoding="utf-8")
    Path("b.txt").write_text("other\n", encoding="utf-8")
    path = write("title: T\nsource_info:\n  a.txt: {label: AP report, outlet: Associated Press, date: 2022-07-26}\n"
                 "  ./b.txt:\n    label: TDI report\n    url: https://example.invalid/b\n" + CATALOGUE_CARD)
    deck = load_deck(path)
    assert deck.label("a.txt") == "AP report"
    assert deck.label("./a.txt") == "AP report"
    assert deck.info("a.txt").outlet == "Associated Press" and deck.info("a.txt").date == "2022-07-26"
    assert deck.label("b.txt") == "TDI report" and deck.info("b.txt").url == "https://example.invalid/b"
    assert deck.label("c.txt") == "c.txt"  # no entry: the file name


def test_source_info_for_a_missing_file_is_an_error_at_its_key():
    Path("a.txt").write_text("a verbatim quote\n", encoding="utf-8")
    path = write("title: T\nsource_info:\n  a.txt: {label: A}\n  gone.txt: {label: B}\n" + CATALOGUE_CARD)
    with pytest.raises(DeckError) as caught:
        load_deck(path)
    assert [str(p) for p in caught.value.problems] == [
        "deck.yaml:4:3: source_info names 'gone.txt', which is not a file in the sources folder (did you mean 'a.txt'?); "
        "fix the name or remove the entry"]


def test_source_info_labels_must_be_unique_and_present():
    Path("a.txt").write_text("x\n", encoding="utf-8")
    Path("b.txt").write_text("y\n", encoding="utf-8")
    Path("c.txt").write_text("z\n", encoding="utf-8")
    path = write("title: T\nsource_info:\n  a.txt: {label: Wire}\n  b.txt: {label: wire}\n  c.txt: {outlet: X}\n"
                 "  ../d.txt: {label: D}\n" + CATALOGUE_CARD)
    with pytest.raises(DeckError) as caught:
        load_deck(path)
    messages = [str(p) for p in caught.value.problems]
    assert ("deck.yaml:4:18: label 'wire' is already used for another source (line 3); labels must tell the "
            "sources apart") in messages
    assert any(m.startswith("deck.yaml:5:10: source_info of 'c.txt' has no 'label'") for m in messages)
    assert any(m.startswith("deck.yaml:6:3: source_info file '../d.txt' is outside the sources folder")
               for m in messages)


def test_lint_lists_known_rules_only():
    deck = load_deck(deck_with("id: a\nquestion: Q\nanswer: A\nlint: [answer-leak]\n" + BODY_CITE))
    assert deck.cards[0].lint == ("answer-leak",)
    with pytest.raises(DeckError) as caught:
        load_deck(deck_with("id: a\nquestion: Q\nanswer: A\nlint: [answer-leek]\n" + BODY_CITE))
    (problem,) = caught.value.problems
    assert "unknown lint rule 'answer-leek' (did you mean 'answer-leak'?)" in str(problem)


def test_schema_knows_the_catalogue_and_the_lint_rules():
    data = schema()
    assert set(data["$defs"]["source"]["properties"]) == set(quiz.deck.SOURCE_INFO_KEYS)
    assert data["$defs"]["card"]["properties"]["lint"]["items"]["enum"] == list(quiz.deck.LINT_RULES)
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(data)
    cards = [{"id": "a", "question": "Q", "answer": "A", "cite": [{"source": "a.txt", "quote": "q"}]}]
    assert validator.is_valid({"title": "T", "source_info": {"a.txt": {"label": "L"}}, "cards": cards})
    assert not validator.is_valid({"title": "T", "source_info": {"a.txt": {"outlet": "O"}}, "cards": cards})
    assert not validator.is_valid({"title": "T", "source_info": {"../a.txt": {"label": "L"}}, "cards": cards})
    assert not validator.is_valid({"title": "T", "cards": [{**cards[0], "lint": ["nope"]}]})
