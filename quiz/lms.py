"""Exports for learning management systems: GIFT and Moodle XML (Moodle's question bank) and a QTI 1.2
package (Canvas Classic Quizzes, Blackboard, D2L and most others).

Pure of the CLI like `quiz.interop`: functions take a deck and a path, errors are `QuizError`s, and every
file goes through `quiz.files.write_output` (never over the deck, a cited source or a history database,
never over an existing file without `force`, atomically).

The mapping, the same in the three formats:

* typed cards: short-answer questions, the answer and every `accept` entry a fully correct answer;
* choice cards: single-answer multiple choice, the answer right and the other choices wrong;
* true/false cards: true/false questions;
* cloze cards: one short-answer ("missing word") question per gap, named `CARD#N`, its text with that gap
  blank and the other gaps filled in -- quiz asks and schedules each gap on its own, and GIFT has no
  question with several blanks;
* flip cards are left out (the student rates herself; there is no answer an LMS could grade) and named
  through `notify`.

Each question is named by its card id, sits in a category `$course$/DECK/TAG` (its first tag; the deck
alone when it has none), and carries the evidence as general feedback: each citation's source label (the
deck's `source_info` label, else the file name) and its quote.

Question texts, choices and feedback are HTML in all three formats, so deck text is HTML-escaped there: a
`<script>` in a deck is shown as text, never run. Short answers are plain text that Moodle and Canvas
compare with what the student types, so they are not HTML-escaped (escaping "a & b" would make the right
answer wrong); Moodle reads `*` in a short answer as a wildcard, so it is written `\\*`.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable
from xml.etree import ElementTree as ET

from quiz.errors import UsageError
from quiz.files import InUse, deck_files, write_output
from quiz.model import Card, CardType, Deck

FORMATS = ("gift", "moodle-xml", "qti")


@dataclass(frozen=True)
class Question:
    """One exported question, format-neutral: texts are plain (each format escapes them its own way)."""

    name: str  # the card id, or CARD#N for gap N of a cloze card
    kind: str  # "shortanswer" | "multichoice" | "truefalse"
    text: str
    answers: tuple[str, ...]  # shortanswer: every accepted answer; multichoice: the right one first
    choices: tuple[str, ...]  # multichoice: every choice, in the deck's order
    truth: bool  # truefalse: the right answer
    category: str
    evidence: tuple[tuple[str, str], ...]  # (source label, quote) per citation


def questions(deck: Deck) -> tuple[list[Question], list[Card]]:
    """The deck's questions in deck order, and the cards left out (flip cards)."""
    out: list[Question] = []
    left_out: list[Card] = []
    for card in deck.cards:
        category = f"$course$/{_category_part(deck.id)}"
        if card.tags:
            category += f"/{_category_part(card.tags[0])}"
        evidence = tuple((deck.label(c.source), c.quote) for c in card.cite)
        if card.type is CardType.FLIP:
            left_out.append(card)
        elif card.type is CardType.TYPED:
            answers = tuple(dict.fromkeys((card.answer, *card.accept)))
            out.append(Question(card.id, "shortanswer", card.question, answers, (), False, category, evidence))
        elif card.type is CardType.CHOICE:
            out.append(Question(card.id, "multichoice", card.question, (card.answer,), card.choices, False,
                                category, evidence))
        elif card.type is CardType.TRUEFALSE:
            out.append(Question(card.id, "truefalse", card.question, (), (), card.answer.strip().lower() == "true",
                                category, evidence))
        else:
            for gap in card.items:
                out.append(Question(f"{card.id}#{gap}", "shortanswer", _cloze_blank(card, gap), (card.expected(gap),), (),
                                    False, category, evidence))
    return out, left_out


def _cloze_blank(card: Card, gap: int) -> str:
    """The cloze text with gap `gap` (1-based) as a blank "_____" (with its hint in brackets, if any) and
    the other gaps filled in."""
    return card.cloze_prompt(gap, blank="_____")


_CATEGORY_UNSAFE = re.compile(r"[\x00-\x1f\x7f/]+")


def _category_part(text: str) -> str:
    """One level of a category path: no "/" (it would add a level) and no line break (it ends the line)."""
    return _CATEGORY_UNSAFE.sub("_", text).strip() or "_"


def _evidence_html(evidence: Iterable[tuple[str, str]]) -> str:
    return "<br>".join(f"{html.escape(label, quote=False)}: “{html.escape(quote, quote=False)}”" for label, quote in evidence)


def _html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _moodle_short_answer(answer: str) -> str:
    return answer.replace("*", "\\*")


# --------------------------------------------------------------------------------------------------
# GIFT

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def gift_escape(text: str) -> str:
    """Text safe anywhere in a GIFT question: a backslash before each of `~ = # { } :` and before a
    backslash itself (Moodle reads `\\\\` as one), line breaks as `\\n` (a blank line ends a question)."""
    text = _GIFT_SPECIAL.sub(r"\\\1", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def gift_text(qs: list[Question]) -> str:
    parts: list[str] = []
    category = None
    for q in qs:
        if q.category != category:
            category = q.category
            parts.append(f"$CATEGORY: {category}\n")
        head = f"::{gift_escape(q.name)}::[html]{gift_escape(_html(q.text))}"
        feedback = f"####[html]{gift_escape(_evidence_html(q.evidence))}"
        if q.kind == "shortanswer":
            body = " ".join(f"={gift_escape(_moodle_short_answer(a))}" for a in q.answers)
        elif q.kind == "truefalse":
            body = "T" if q.truth else "F"
        else:
            body = " ".join(("=" if c == q.answers[0] else "~") + gift_escape(_html(c)) for c in q.choices)
        parts.append(f"{head} {{{body} {feedback}}}\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------------
# Moodle XML

def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "html") -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = value
    return element


def moodle_xml(qs: list[Question]) -> bytes:
    quiz = ET.Element("quiz")
    category = None
    for q in qs:
        if q.category != category:
            category = q.category
            cat = ET.SubElement(quiz, "question", {"type": "category"})
            _text(cat, "category", category, None)
        question = ET.SubElement(quiz, "question", {"type": q.kind})
        _text(question, "name", q.name, None)
        _text(question, "questiontext", _html(q.text))
        _text(question, "generalfeedback", _evidence_html(q.evidence))
        ET.SubElement(question, "defaultgrade").text = "1"
        ET.SubElement(question, "penalty").text = "0"
        ET.SubElement(question, "hidden").text = "0"
        if q.kind == "shortanswer":
            ET.SubElement(question, "usecase").text = "0"
            for a in q.answers:
                answer = _text(question, "answer", _moodle_short_answer(a), "moodle_auto_format")
                answer.set("fraction", "100")
        elif q.kind == "truefalse":
            for value in ("true", "false"):
                answer = _text(question, "answer", value, "moodle_auto_format")
                answer.set("fraction", "100" if (value == "true") == q.truth else "0")
        else:
            ET.SubElement(question, "single").text = "true"
            ET.SubElement(question, "shuffleanswers").text = "true"
            ET.SubElement(question, "answernumbering").text = "abc"
            for c in q.choices:
                answer = _text(question, "answer", _html(c))
                answer.set("fraction", "100" if c == q.answers[0] else "0")
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


# --------------------------------------------------------------------------------------------------
# QTI 1.2

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_CANVAS_TYPES = {"shortanswer": "short_answer_question", "multichoice": "multiple_choice_question",
                 "truefalse": "true_false_question"}
_IDENT_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _ident(text: str) -> str:
    """An XML name-safe identifier (content packaging's identifiers are xsd:ID: no '#', no leading digit)."""
    return "q_" + _IDENT_UNSAFE.sub("_", text)


def _mattext(parent: ET.Element, value: str) -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", {"texttype": "text/html"}).text = value


def qti_assessment(deck: Deck, qs: list[Question]) -> bytes:
    root = ET.Element("questestinterop", {
        "xmlns": QTI_NS, "xmlns:xsi": XSI_NS,
        "xsi:schemaLocation": f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"})
    assessment = ET.SubElement(root, "assessment", {"ident": _ident(deck.id), "title": deck.title})
    section = ET.SubElement(assessment, "section", {"ident": "root_section"})
    for number, q in enumerate(qs, 1):
        item = ET.SubElement(section, "item", {"ident": f"{_ident(q.name)}_{number}", "title": q.name})
        fields = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
        for label, entry in (("question_type", _CANVAS_TYPES[q.kind]), ("points_possible", "1")):
            field = ET.SubElement(fields, "qtimetadatafield")
            ET.SubElement(field, "fieldlabel").text = label
            ET.SubElement(field, "fieldentry").text = entry
        presentation = ET.SubElement(item, "presentation")
        _mattext(presentation, _html(q.text))
        if q.kind == "shortanswer":
            response = ET.SubElement(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
            render = ET.SubElement(response, "render_fib")
            ET.SubElement(render, "response_label", {"ident": "answer1", "rshuffle": "No"})
            right = list(q.answers)
        else:
            options = [("true", "True"), ("false", "False")] if q.kind == "truefalse" else \
                [(f"choice{i}", c) for i, c in enumerate(q.choices, 1)]
            response = ET.SubElement(presentation, "response_lid", {"ident": "response1", "rcardinality": "Single"})
            render = ET.SubElement(response, "render_choice")
            for ident, label in options:
                _mattext(ET.SubElement(render, "response_label", {"ident": ident}), _html(label))
            if q.kind == "truefalse":
                right = ["true" if q.truth else "false"]
            else:
                right = [ident for ident, label in options if label == q.answers[0]][:1]
        processing = ET.SubElement(item, "resprocessing")
        ET.SubElement(ET.SubElement(processing, "outcomes"), "decvar", {
            "maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
        always = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
        ET.SubElement(ET.SubElement(always, "conditionvar"), "other")
        ET.SubElement(always, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
        for value in right:
            condition = ET.SubElement(processing, "respcondition", {"continue": "No"})
            ET.SubElement(ET.SubElement(condition, "conditionvar"), "varequal", {"respident": "response1"}).text = value
            ET.SubElement(condition, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
        feedback = ET.SubElement(item, "itemfeedback", {"ident": "general_fb"})
        _mattext(ET.SubElement(feedback, "flow_mat"), _evidence_html(q.evidence))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def qti_manifest(deck: Deck, assessment_file: str) -> bytes:
    root = ET.Element("manifest", {
        "identifier": f"{_ident(deck.id)}_manifest", "xmlns": CP_NS, "xmlns:xsi": XSI_NS,
        "xsi:schemaLocation": f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"})
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    resource = ET.SubElement(resources, "resource", {
        "identifier": f"{_ident(deck.id)}_assessment", "type": "imsqti_xmlv1p2", "href": assessment_file})
    ET.SubElement(resource, "file", {"href": assessment_file})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def qti_package(deck: Deck, qs: list[Question]) -> bytes:
    """The zip: imsmanifest.xml and the assessment, with fixed timestamps (the same deck, the same bytes)."""
    assessment_file = f"{_IDENT_UNSAFE.sub('_', deck.id)}.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in (("imsmanifest.xml", qti_manifest(deck, assessment_file)),
                           (assessment_file, qti_assessment(deck, qs))):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------

def export_lms(deck: Deck, fmt: str, out: Path, force: bool = False, in_use: Iterable[InUse] = (),
               notify: Callable[[str], None] | None = None) -> int:
    """Write the deck as `fmt` (one of FORMATS) to `out`; returns the number of questions written. The flip
    cards left out are named through `notify`."""
    qs, left_out = questions(deck)
    if not qs:
        raise UsageError(f"{deck.path} has no card an LMS can grade (flip cards are left out); nothing was written")
    if fmt == "gift":
        data = gift_text(qs).encode("utf-8")
    elif fmt == "moodle-xml":
        data = moodle_xml(qs)
    elif fmt == "qti":
        data = qti_package(deck, qs)
    else:
        raise UsageError(f"unknown LMS format {fmt!r}; use one of {', '.join(FORMATS)}")
    write_output(out, lambda target: target.write(data), force=force,
                 in_use=[*deck_files(deck, "the deck being exported"), *in_use])
    if left_out and notify is not None:
        names = ", ".join(card.id for card in left_out[:10]) + (" ..." if len(left_out) > 10 else "")
        notify(f"Left out {len(left_out)} flip card{'s' if len(left_out) != 1 else ''} (self-rated, no answer "
               f"an LMS can grade): {names}")
    return len(qs)
