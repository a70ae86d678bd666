"""`quiz export --format gift|moodle-xml|qti`, read back by readers that are not quiz's: pygiftparser (a GIFT
parser from PyPI) for GIFT, lxml for Moodle XML and the QTI 1.2 package.

No XML schema is vendored: IMS's QTI 1.2 and content-packaging XSDs are not redistributable here and Moodle
XML has none, so the XML tests check the structure the importers need (elements, their order where the QTI
1.2 DTD fixes it, identifiers, the manifest's resource) with lxml. Every card of decks/iss.yaml goes round
trip: question, answers and feedback come back exactly (unescaped), and hostile text stays text.
"""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pygiftparser import parser as gift_parser
from pygiftparser import utils as gift_utils
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck import load_deck
from quiz.lms import Question, gift_escape, questions
from quiz.model import Deck

ROOT = Path(__file__).resolve().parents[1]
ISS = ROOT / "decks" / "iss.yaml"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
HOSTILE = '<script>alert(1)</script> ~ = # { } : \\ & "x"'

HOSTILE_DECK = """\
id: hostile
title: Hostile <b>text</b>
sources: .
cards:
  - id: typed
    question: "What is {HOSTILE}?"
    answer: "a*b {{x}} ~=#:"
    accept: ["<i>it</i>"]
    cite: [{{source: src.txt, quote: "{QUOTE}"}}]
    tags: [a tag]
  - id: choice
    type: choice
    question: "Pick <img src=x onerror=alert(1)>"
    answer: "=right {{1}}"
    choices: ["~wrong#", "=right {{1}}", "<b>bold</b>"]
    cite: [{{source: src.txt, quote: "{QUOTE}"}}]
  - id: tf
    type: truefalse
    question: "True: a: b = c"
    answer: true
    cite: [{{source: src.txt, quote: "{QUOTE}"}}]
  - id: gaps
    type: cloze
    text: "One {{{{two}}}} three {{{{four::hint <x>}}}}."
    cite: [{{source: src.txt, quote: "{QUOTE}"}}]
  - id: flip
    type: flip
    question: "Flip me"
    answer: "self"
    cite: [{{source: src.txt, quote: "{QUOTE}"}}]
"""
QUOTE = "a <quote> with # and { and } and \\\\ and ~"


@pytest.fixture(scope="module")
def iss() -> Deck:
    return load_deck(ISS)


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    (tmp_path / "src.txt").write_text("It has a <quote> with # and { and } and \\ and ~ in it.\n", encoding="utf-8")
    deck = tmp_path / "hostile.yaml"
    deck.write_text(HOSTILE_DECK.format(HOSTILE=HOSTILE.replace("\\", "\\\\").replace('"', '\\"'), QUOTE=QUOTE),
                    encoding="utf-8")
    return deck


def _export(deck: Path, fmt: str, out: Path) -> str:
    result = CliRunner().invoke(app, ["export", str(deck), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _evidence(q: Question) -> str:
    return "<br>".join(f"{html.escape(label, quote=False)}: “{html.escape(quote, quote=False)}”"
                       for label, quote in q.evidence)


# pygiftparser's answer pattern ends an answer at the first "}", escaped or not, and it has no `\\` escape;
# Moodle's own importer first swaps `\\` and the escaped characters for placeholders. The test does the same
# for these two (pygiftparser handles every other escape itself) and puts them back in what it read.
_BACKSLASH, _BRACE = "QZbackslashQZ", "QZbraceQZ"


def _gift_unescape(text: str) -> str:
    return gift_utils.transformSpecials(text).replace(_BACKSLASH, "\\").replace(_BRACE, "}")


def _expected_text(q: Question) -> str:
    return html.escape(q.text, quote=False).replace("\n", "<br>")


# --------------------------------------------------------------------------------------------------
# GIFT

def _parse_gift(path: Path) -> list:
    text = path.read_text(encoding="utf-8").replace("\\\\", _BACKSLASH).replace("\\}", _BRACE)
    return gift_parser.parseFile(io.StringIO(text))


def test_gift_round_trip_of_every_card_of_iss(iss: Deck, tmp_path: Path) -> None:
    out = tmp_path / "iss.gift.txt"
    message = _export(ISS, "gift", out)
    expected, left_out = questions(iss)
    assert "Left out 10 flip cards" in message and len(left_out) == 10
    parsed = _parse_gift(out)
    assert [p.title for p in parsed] == [gift_escape(q.name) for q in expected]
    cloze_gaps = sum(len(c.gaps) for c in iss.cards if c.type.value == "cloze")
    assert len(parsed) == len(iss.cards) - 10 - sum(1 for c in iss.cards if c.type.value == "cloze") + cloze_gaps
    for p, q in zip(parsed, expected):
        assert p.valid, p.full
        assert p.markup == "html"
        assert html.unescape(_gift_unescape(p.text)) == q.text
        assert _gift_unescape(p.generalFeedback).removeprefix("[html]") == _evidence(q)
        assert p.cat == q.category.replace(" ", "_") or q.category.startswith(p.cat)
        kind = type(p.answers).__name__
        if q.kind == "shortanswer":
            assert kind == "ShortSet"
            assert [_gift_unescape(a.answer) for a in p.answers.answers] == [a.replace("*", "\\*") for a in q.answers]
        elif q.kind == "truefalse":
            assert kind == "TrueFalseSet" and p.answers.answer is q.truth
        else:
            assert kind == "SelectSet"  # pygiftparser: single-answer multiple choice
            assert [html.unescape(_gift_unescape(a.answer)) for a in p.answers.answers] == list(q.choices)
            assert [a.fraction for a in p.answers.answers] == [100 if c == q.answers[0] else 0 for c in q.choices]


def test_gift_escapes_special_characters_and_html(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "hostile.gift.txt"
    assert "Left out 1 flip card" in _export(hostile, "gift", out)
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "<quote>" not in text
    parsed = _parse_gift(out)
    assert [_gift_unescape(p.title) for p in parsed] == ["typed", "choice", "tf", "gaps#1", "gaps#2"]
    assert all(p.valid for p in parsed)
    typed, choice, tf, gap1, gap2 = parsed
    assert html.unescape(_gift_unescape(typed.text)) == f"What is {HOSTILE}?"
    assert [_gift_unescape(a.answer) for a in typed.answers.answers] == ["a\\*b {x} ~=#:", "<i>it</i>"]
    assert typed.cat == "$course$/hostile/a"  # pygiftparser stops a category at a space; Moodle does not
    assert html.unescape(_gift_unescape(typed.generalFeedback.removeprefix("[html]"))) == f"src.txt: “{QUOTE.replace(chr(92) * 2, chr(92))}”"
    assert [html.unescape(_gift_unescape(a.answer)) for a in choice.answers.answers] == \
        ["~wrong#", "=right {1}", "<b>bold</b>"]
    assert [a.fraction for a in choice.answers.answers] == [0, 100, 0]
    assert tf.answers.answer is True and _gift_unescape(tf.text) == "True: a: b = c"
    assert _gift_unescape(gap1.text) == "One _____ three four."
    assert html.unescape(_gift_unescape(gap2.text)) == "One two three _____ [hint <x>]."


# --------------------------------------------------------------------------------------------------
# Moodle XML

def test_moodle_xml_round_trip_of_every_card_of_iss(iss: Deck, tmp_path: Path) -> None:
    out = tmp_path / "iss.xml"
    _export(ISS, "moodle-xml", out)
    root = etree.parse(str(out)).getroot()
    assert root.tag == "quiz"
    expected, _ = questions(iss)
    category = None
    got = []
    for element in root:
        assert element.tag == "question"
        if element.get("type") == "category":
            category = element.findtext("category/text")
            continue
        got.append((element, category))
    assert len(got) == len(expected)
    for (element, cat), q in zip(got, expected):
        assert element.get("type") == q.kind
        assert element.findtext("name/text") == q.name
        assert cat == q.category
        assert element.find("questiontext").get("format") == "html"
        assert html.unescape(element.findtext("questiontext/text")) == q.text
        assert element.find("generalfeedback").get("format") == "html"
        assert element.findtext("generalfeedback/text") == _evidence(q)
        answers = [(a.findtext("text"), a.get("fraction")) for a in element.findall("answer")]
        if q.kind == "shortanswer":
            assert answers == [(a.replace("*", "\\*"), "100") for a in q.answers]
        elif q.kind == "truefalse":
            assert answers == [("true", "100" if q.truth else "0"), ("false", "0" if q.truth else "100")]
        else:
            assert element.findtext("single") == "true"
            assert [(html.unescape(t), f) for t, f in answers] == \
                [(c, "100" if c == q.answers[0] else "0") for c in q.choices]


def test_moodle_xml_escapes_html_in_every_field(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "hostile.xml"
    _export(hostile, "moodle-xml", out)
    root = etree.parse(str(out)).getroot()
    for element in root.iter("text"):
        parent = element.getparent()
        if parent.get("format") == "html":
            # An HTML field: parsed as HTML, it has no element at all (every tag in the deck is text).
            fragment = etree.fromstring(f"<div>{(element.text or '').replace('<br>', '')}</div>", etree.HTMLParser())
            assert [e.tag for e in fragment.iter()] in (["html", "body", "div"], ["html", "body"]), element.text
    typed = root.find("question[@type='shortanswer']")
    assert html.unescape(typed.findtext("questiontext/text")) == f"What is {HOSTILE}?"
    assert root.findall("question[@type='category']")[0].findtext("category/text") == "$course$/hostile/a tag"


# --------------------------------------------------------------------------------------------------
# QTI 1.2

# The order of an item's children that the QTI 1.2 DTD fixes (of the ones quiz writes).
ITEM_ORDER = ["itemmetadata", "presentation", "resprocessing", "itemfeedback"]


def _qti(out: Path) -> tuple[etree._Element, etree._Element]:
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        assert names[0] == "imsmanifest.xml" and len(names) == 2
        manifest = etree.fromstring(package.read("imsmanifest.xml"))
        resource = manifest.find(f"{CP}resources/{CP}resource")
        assert resource.get("type") == "imsqti_xmlv1p2"
        assert resource.find(f"{CP}file").get("href") == resource.get("href") == names[1]
        for identifier in (manifest.get("identifier"), resource.get("identifier")):
            assert identifier[0].isalpha() and "#" not in identifier  # xsd:ID
        assert manifest.find(f"{CP}organizations") is not None
        assessment = etree.fromstring(package.read(names[1]))
    return manifest, assessment


def test_qti_package_round_trip_of_every_card_of_iss(iss: Deck, tmp_path: Path) -> None:
    out = tmp_path / "iss.zip"
    _export(ISS, "qti", out)
    _, root = _qti(out)
    assert root.tag == f"{QTI}questestinterop"
    (assessment,) = root
    assert assessment.tag == f"{QTI}assessment" and assessment.get("title") == iss.title
    (section,) = assessment
    items = section.findall(f"{QTI}item")
    expected, _ = questions(iss)
    assert len(items) == len(expected) == len(section)
    idents = [item.get("ident") for item in items]
    assert len(set(idents)) == len(idents)
    for item, q in zip(items, expected):
        assert [etree.QName(child).localname for child in item] == ITEM_ORDER
        assert item.get("title") == q.name
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in item.iter(f"{QTI}qtimetadatafield")}
        assert fields["question_type"] == {"shortanswer": "short_answer_question", "truefalse": "true_false_question",
                                           "multichoice": "multiple_choice_question"}[q.kind]
        presentation = item.find(f"{QTI}presentation")
        assert html.unescape(presentation.findtext(f"{QTI}material/{QTI}mattext")) == q.text
        right = [v.text for v in item.iter(f"{QTI}varequal")]
        if q.kind == "shortanswer":
            assert presentation.find(f"{QTI}response_str/{QTI}render_fib") is not None
            assert right == list(q.answers)
        else:
            labels = presentation.findall(f"{QTI}response_lid/{QTI}render_choice/{QTI}response_label")
            shown = {label.get("ident"): html.unescape(label.findtext(f"{QTI}material/{QTI}mattext")) for label in labels}
            if q.kind == "truefalse":
                assert shown == {"true": "True", "false": "False"}
                assert right == ["true" if q.truth else "false"]
            else:
                assert list(shown.values()) == list(q.choices)
                assert [shown[r] for r in right] == [q.answers[0]]
        feedback = item.find(f"{QTI}itemfeedback")
        assert feedback.get("ident") == item.find(f".//{QTI}displayfeedback").get("linkrefid")
        assert feedback.findtext(f"{QTI}flow_mat/{QTI}material/{QTI}mattext") == _evidence(q)


def test_qti_escapes_html_and_the_package_is_reproducible(hostile: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    _export(hostile, "qti", first)
    _export(hostile, "qti", second)
    assert first.read_bytes() == second.read_bytes()
    _, root = _qti(first)
    for mattext in root.iter(f"{QTI}mattext"):
        fragment = etree.fromstring(f"<div>{(mattext.text or '').replace('<br>', '')}</div>", etree.HTMLParser())
        assert [e.tag for e in fragment.iter()] == ["html", "body", "div"], mattext.text
    with zipfile.ZipFile(io.BytesIO(first.read_bytes())) as package:
        assert b"<script>" not in package.read(package.namelist()[1])


# --------------------------------------------------------------------------------------------------
# The command

@pytest.mark.parametrize("fmt", ["gift", "moodle-xml", "qti"])
def test_lms_formats_need_a_file_and_never_replace_the_deck(fmt: str, hostile: Path) -> None:
    result = CliRunner().invoke(app, ["export", str(hostile), "--format", fmt])
    assert result.exit_code == 2 and "writes a file: give one with -o" in result.output
    before = hostile.read_bytes()
    result = CliRunner().invoke(app, ["export", str(hostile), "--format", fmt, "-o", str(hostile), "--force"])
    assert result.exit_code == 2 and "the deck being exported" in result.output
    assert hostile.read_bytes() == before


def test_a_deck_of_flip_cards_only_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("quote here\n", encoding="utf-8")
    deck = tmp_path / "flip.yaml"
    deck.write_text("id: flip\ntitle: F\nsources: .\ncards:\n  - id: f\n    type: flip\n    question: Q\n"
                    "    answer: A\n    cite: [{source: s.txt, quote: quote here}]\n", encoding="utf-8")
    out = tmp_path / "out.gift.txt"
    result = CliRunner().invoke(app, ["export", str(deck), "--format", "gift", "-o", str(out)])
    assert result.exit_code == 2 and "no card an LMS can grade" in result.output
    assert not out.exists()
