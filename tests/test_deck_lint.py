"""`quiz check`'s question-quality rules (quiz/lint.py): for each rule a deck that triggers it and one that
does not, the rule names in --json, per-card `lint:` exemptions, and --strict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck import LINT_RULES

REPO = Path(__file__).resolve().parent.parent
S000 = "000_56db16ce61149816.txt"
S003 = "003_21e2480842a6230d.txt"

SUCCESSOR = f"""\
  - id: successor
    question: Who replaced Dmitri Rogozin as head of Roscosmos?
    answer: Yuri Borissov
    cite:
      - source: {S003}
        quote: Yuri Borissov replaced Dmitri Rogozin
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    (tmp_path / "decks").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def card(card_id: str, question: str, answer: str, quote: str, source: str = S003, kind: str = "typed",
         extra: str = "") -> str:
    return (f"  - id: {card_id}\n    type: {kind}\n    question: {json.dumps(question)}\n"
            f"    answer: {json.dumps(answer) if kind != 'truefalse' else answer}\n{extra}"
            f"    cite:\n      - source: {source}\n        quote: {json.dumps(quote)}\n")


def check(*cards: str, strict: bool = False) -> tuple[int, list[dict], str]:
    Path("decks/t.yaml").write_text("title: T\nsources: ../seeds\ncards:\n" + "".join(cards), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "decks/t.yaml", "--json", *(["--strict"] if strict else [])])
    data = json.loads(result.stdout)
    text = CliRunner().invoke(app, ["check", "decks/t.yaml"]).stdout
    return result.exit_code, data["decks"][0]["findings"], text


def rules(findings: list[dict]) -> list[tuple[str, str]]:
    return [(f["rule"], f["card"]) for f in findings]


# ---------------------------------------------------------------------------------------- answer-leak


def test_an_answer_in_another_cards_question_leaks(project: Path) -> None:
    told = card("told", "What did Yuri Borissov tell Putin about the obligations?",
                "we will certainly fulfill all our obligations", "We will certainly fulfill all our obligations")
    code, findings, text = check(SUCCESSOR, told)
    assert code == 0  # a warning
    assert rules(findings) == [("answer-leak", "successor")]
    assert findings[0]["other"] == "told"
    assert ("decks/t.yaml:4:5: warning: card successor: its answer 'Yuri Borissov' is in the question of card "
            "told (leaks the answer of card successor); reword one of them [answer-leak]") in text
    assert check(SUCCESSOR, told, strict=True)[0] == 1


def test_an_answer_in_its_own_question_or_in_a_distractor_leaks(project: Path) -> None:
    own = card("own", "Russia will leave the station after 2024: after which year?", "2024",
               "leave this station after 2024")
    distractor = card("pick", "Who is known for his harsh style?", "Dmitri Rogozin",
                      "Dmitri Rogozin, known for his harsh style", kind="choice",
                      extra="    choices: [Dmitri Rogozin, Yuri Borissov, Elon Musk]\n")
    _, findings, text = check(SUCCESSOR, own, distractor)
    # pick's answer is in successor's question, too
    assert rules(findings) == [("answer-leak", "successor"), ("answer-leak", "own"), ("answer-leak", "pick")]
    assert findings[0]["other"] == "pick" and "in the choices of card pick" in findings[0]["message"]
    assert "its answer '2024' is in its own question" in text


def test_no_leak_when_other_cards_do_not_name_the_answer(project: Path) -> None:
    told = card("told", "What did the new head of Roscosmos tell Putin about the obligations?",
                "we will certainly fulfill all our obligations", "We will certainly fulfill all our obligations")
    gaps = (f"  - id: gaps\n    type: cloze\n    text: 'Until this appointment he was {{{{deputy prime minister}}}}'\n"
            f"    cite:\n      - source: {S003}\n        quote: held the portfolio of deputy prime minister\n")
    code, findings, text = check(SUCCESSOR, told, gaps, strict=True)
    assert (code, findings) == (0, [])
    assert "warning" not in text


# ---------------------------------------------------------------------------------- answer-stands-out


@pytest.mark.parametrize("choices, reason", [
    ("[in 2028, never, soon]", "the only option with a year"),
    ("[by Soyuz, by ship, by rocket]", "the only option with a capitalised name"),
    ("[in 2028 once ROSS operates, never, soon]", "more than 1.5 times longer than every distractor"),
])
def test_a_choice_answer_that_stands_out_by_form(project: Path, choices: str, reason: str) -> None:
    answer = choices[1:].split(",")[0]
    stands = card("stands", "Until when will Russia keep its presence on the station?", answer,
                  "intend to keep their presence", source="001_47f2f9f2b89161a3.txt", kind="choice",
                  extra=f"    choices: {choices}\n")
    _, findings, _ = check(stands)
    assert [f for f in rules(findings) if f[0] == "answer-stands-out"] == [("answer-stands-out", "stands")]
    (message,) = [f["message"] for f in findings if f["rule"] == "answer-stands-out"]
    assert reason in message


def test_a_choice_answer_that_looks_like_its_distractors(project: Path) -> None:
    fits = card("fits", "Until when will Russia keep its presence on the station?", "2028",
                "builds and operates its own orbital facility in 2028", source="001_47f2f9f2b89161a3.txt", kind="choice",
                extra="    choices: ['2028', '2024', '2030']\n")
    assert check(fits)[1] == []


# ---------------------------------------------------------------------------- similar-question, duplicate


def test_nearly_the_same_question_twice(project: Path) -> None:
    a = card("a", "Who replaced Dmitri Rogozin as head of Roscosmos?", "Yuri Borissov",
             "Yuri Borissov replaced Dmitri Rogozin")
    b = card("b", "Who replaced Dmitry Rogozin as the head of Roscosmos?", "Borissov",
             "Appointed head of Roscosmos in mid-July")
    _, findings, _ = check(a, b)
    assert ("similar-question", "b") in rules(findings)
    different = card("b", "Who was known for his harsh style?", "Dmitri Rogozin", "known for his harsh style")
    assert [f for f in rules(check(a, different)[1]) if f[0] == "similar-question"] == []


def test_same_answer_and_overlapping_quotes_is_a_likely_duplicate(project: Path) -> None:
    a = card("a", "Who took over Roscosmos in July?", "Yuri Borissov", "Yuri Borissov replaced Dmitri Rogozin")
    b = card("b", "Name Rogozin's successor.", "Yuri Borissov", "Yuri Borissov replaced Dmitri")
    _, findings, text = check(a, b)
    assert rules(findings) == [("duplicate-card", "b")]
    assert "card b: same answer as card a and overlapping quotes" in text
    elsewhere = card("b", "Name Rogozin's successor.", "Yuri Borissov",
                     "Yuri Borissov, announced on Tuesday")  # the same answer, another passage
    assert check(a, elsewhere)[1] == []


# ------------------------------------------------------------------------------- statement-is-quote


def test_a_truefalse_statement_that_repeats_its_quote(project: Path) -> None:
    parrot = card("parrot", "The Russian space sector has been plagued for years by corruption.", "true",
                  "The Russian space sector has been plagued for years by corruption", kind="truefalse")
    _, findings, _ = check(parrot)
    assert rules(findings) == [("statement-is-quote", "parrot")]
    restated = card("parrot", "Corruption has long troubled Russia's space sector.", "true",
                    "The Russian space sector has been plagued for years by corruption", kind="truefalse")
    assert check(restated)[1] == []


# ------------------------------------------------------------------------- unsupported-answer, lint:


def test_support_warning_is_a_named_rule(project: Path) -> None:
    unsupported = card("u", "Who?", "Elon Musk", "Yuri Borissov replaced Dmitri Rogozin")
    _, findings, _ = check(unsupported)
    assert rules(findings) == [("unsupported-answer", "u")]
    supported = card("u", "Who?", "Yuri Borissov", "Yuri Borissov replaced Dmitri Rogozin")
    assert check(supported)[1] == []


def test_lint_silences_one_rule_on_one_card_only(project: Path) -> None:
    told = card("told", "What did Yuri Borissov tell Putin?", "we will certainly fulfill all our obligations",
                "We will certainly fulfill all our obligations")
    also = card("also", "Did Yuri Borissov say it was a great honor?", "true", "It is a great honor for me",
                kind="truefalse")
    exempt = SUCCESSOR.replace("    cite:", "    lint: [answer-leak]\n    cite:")
    code, findings, _ = check(exempt, told, also, strict=True)
    assert (code, findings) == (0, [])
    other_rule = SUCCESSOR.replace("    cite:", "    lint: [similar-question]\n    cite:")
    code, findings, _ = check(other_rule, told, also, strict=True)
    assert code == 1 and rules(findings) == [("answer-leak", "successor"), ("answer-leak", "successor")]


def test_every_rule_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule in LINT_RULES:
        assert f"`{rule}`" in readme, rule


# ------------------------------------------------------------------- answer-leak, against its definition

_WORDS = ["ross", "station", "the", "2024", "after", "Russia", "leave", "ISS", "U.S.", "6.5%", "a", "of"]


def _leaks_by_definition(cards: list) -> list[tuple[str, str, str]]:
    """answer-leak as the module docstring defines it, by brute force: every answer (normalised as the
    grader does) against every shown text of every card, as whole words."""
    from quiz.grading import normalize
    from quiz.lint import _OWN_CLOZE, _shown_texts, answers_of

    out = []
    for index, card in enumerate(cards):
        reported: set[int] = set()
        for answer in answers_of(card):
            norm = normalize(answer)
            if not norm:
                continue
            for other, shown in enumerate(cards):
                for what, text in _shown_texts(shown):
                    if not normalize(text) or f" {norm} " not in f" {normalize(text)} ":
                        continue
                    own = other == index
                    if (own and what in ("choices", "cloze text")) or (not own and what == _OWN_CLOZE):
                        continue
                    if other not in reported:
                        reported.add(other)
                        out.append((card.id, "" if own else shown.id, what if own else ""))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["typed", "choice", "cloze", "flip"]),
                          st.lists(st.sampled_from(_WORDS), min_size=1, max_size=7),
                          st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8),
                          st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=2), max_size=3)),
                min_size=1, max_size=6))
def test_answer_leak_finds_exactly_what_its_definition_finds(specs: list) -> None:
    """The rule looks an answer up only in the texts holding its rarest word; what it finds must be
    what searching every text finds."""
    from quiz.lint import _answer_leaks
    from quiz.model import Card, CardType, Mark

    cards = []
    for n, (kind, answer, question, extra) in enumerate(specs):
        answer_text, question_text = " ".join(answer), " ".join(question)
        if kind == "cloze":
            card = Card(f"c{n}", CardType.CLOZE, (), Mark(n + 1, 1),
                        text=f"{question_text} {{{{{answer_text}}}}} {' '.join(extra[0]) if extra else ''}")
        else:
            others = tuple(" ".join(words) for words in extra)
            card = Card(f"c{n}", CardType(kind), (), Mark(n + 1, 1), question=question_text, answer=answer_text,
                        accept=others if kind != "choice" else (),
                        choices=(answer_text, *others) if kind == "choice" else ())
        cards.append(card)
    found = [(f.card.id, f.other, f.message.split(" is in its own ")[1].split(";")[0] if not f.other else "")
             for f in _answer_leaks(cards)]
    assert found == _leaks_by_definition(cards)
