"""Question-quality rules of `quiz check`: things a careful teacher flags in a review, caught by a program.

Each rule has a name (`quiz.deck.LINT_RULES`) that a card may list under `lint:` to be exempt from it;
there is deliberately no deck-wide switch, so silencing one card never silences the others.

- `answer-leak`: a card's answer (or accepted answer), normalised as the grader does, appears as whole
  words in its own question, or in another card's question, choices or cloze text: whoever studies that
  other card is shown the answer.
- `answer-stands-out`: in a choice card the answer differs in form from every distractor: the only option
  with a number (or a year), the only one with a capitalised name among plain words, or more than 1.5 times
  longer than each distractor. A student picks it without knowing anything.
- `similar-question`: two questions nearly the same (rapidfuzz ratio >= 90 after normalisation).
- `duplicate-card`: two cards with the same answer whose citations overlap in the same source.
- `statement-is-quote`: a true/false statement that repeats its quote word for word (recognition, not recall).
- `unsupported-answer` (found by quiz.check: an answer none of the card's quotes contains).

Pure: no I/O. rapidfuzz is imported only when there are questions to compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from quiz.model import CLOZE_GAP, Card, CardType
from quiz.text import compiled

SIMILAR_RATIO = 90
LONGER_FACTOR = 1.5
_OWN_CLOZE = "cloze text outside its gaps"
_DIGIT = re.compile(r"\d")
_YEAR = r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)"  # compiled where needed: few answers stand out by a number


@dataclass(frozen=True)
class Finding:
    """One question-quality warning about `card` (and, for rules about a pair, the `other` card)."""

    rule: str
    card: Card
    message: str
    other: str = ""  # the other card's id, for answer-leak, similar-question and duplicate-card


@lru_cache(maxsize=4096)
def _normalize(text: str) -> str:
    """`quiz.grading.normalize`, once per text: the rules ask for a card's question up to four times, and
    a deck repeats its answers and choices."""
    from quiz.grading import normalize

    return normalize(text)


def answers_of(card: Card) -> list[str]:
    """What a student must produce for the card: answer and accepted answers, or the cloze gaps."""
    if card.type is CardType.CLOZE:
        return list(card.gaps)
    if card.type is CardType.TRUEFALSE:
        return []
    return [card.answer, *card.accept]


def _shown_texts(card: Card) -> list[tuple[str, str]]:
    """(what, text) a student sees while studying `card`, as (description, text) pairs."""
    if card.type is CardType.CLOZE:
        # Others see the whole text (the gaps they are not asked are filled in); the card's own answers
        # leak only if they are also written outside its gaps.
        return [("cloze text", CLOZE_GAP.sub(lambda m: m.group(1), card.text)),
                (_OWN_CLOZE, CLOZE_GAP.sub(" ", card.text))]
    shown = [("question", card.question)]
    shown.extend(("choices", choice) for choice in card.choices)
    return shown


def findings(cards: Sequence[Card], overlaps: Iterable[tuple[str, str]] = ()) -> list[Finding]:
    """Every rule's findings over `cards` (exempt cards left out), in card order then rule order.

    `overlaps` are the (card, card) pairs whose citations cover overlapping text of one source
    (quiz.check knows where each quote is); with the same answer they make a `duplicate-card`."""
    found: list[Finding] = []
    found += _answer_leaks(cards)
    found += [f for card in cards for f in _stands_out(card)]
    found += _similar_questions(cards)
    found += _duplicates(cards, overlaps)
    found += [f for card in cards for f in _statement_is_quote(card)]
    order = {card.id: i for i, card in enumerate(cards)}
    return sorted((f for f in found if f.rule not in f.card.lint),
                  key=lambda f: (order.get(f.card.id, 0), f.rule, f.other))


def _answer_leaks(cards: Sequence[Card]) -> list[Finding]:
    # Every shown text, normalised, indexed by its words: an answer is looked for only in the texts that
    # hold its rarest word, not in every other card's (a deck may have 10,000 cards).
    texts: list[tuple[int, str, str]] = []  # (index of its card, what it is, " normalised text ")
    having: dict[str, list[int]] = {}  # word -> the texts holding it, in order
    for index, card in enumerate(cards):
        for what, text in _shown_texts(card):
            norm = _normalize(text)
            if not norm:
                continue
            number = len(texts)
            texts.append((index, what, f" {norm} "))
            for word in set(norm.split()):
                having.setdefault(word, []).append(number)
    out: list[Finding] = []
    for index, card in enumerate(cards):
        reported: set[int] = set()
        for answer in answers_of(card):
            norm = _normalize(answer)
            if not norm:
                continue
            rarest = min((having.get(word, []) for word in norm.split()), key=len)
            hits = [n for n in rarest if f" {norm} " in texts[n][2]]
            for number in hits:
                other, what, _ = texts[number]
                own = other == index
                if (own and what in ("choices", "cloze text")) or (not own and what == _OWN_CLOZE):
                    continue  # a choice card lists its own answer, a cloze card hides its own in gaps
                if other in reported:
                    continue
                reported.add(other)
                if own:
                    message = (f"card {card.id}: its answer {answer!r} is in its own {what}; ask for it "
                               "without naming it")
                else:
                    message = (f"card {card.id}: its answer {answer!r} is in the {what} of card "
                               f"{cards[other].id} (leaks the answer of card {card.id}); reword one of them")
                out.append(Finding("answer-leak", card, message, "" if own else cards[other].id))
    return out


def _has_capital_name(text: str) -> bool:
    """Any word starting with an upper-case letter: a name, among options written in plain lower case."""
    return any(word[:1].isupper() for word in text.split())


def _stands_out(card: Card) -> list[Finding]:
    if card.type is not CardType.CHOICE or len(card.choices) < 2:
        return []
    answer = card.answer
    others = [c for c in card.choices if c != answer]
    if not others:
        return []
    reasons = []
    if _DIGIT.search(answer) and not any(_DIGIT.search(c) for c in others):
        reasons.append("the only option with a year" if compiled(_YEAR).search(answer) else "the only option with a number")
    if _has_capital_name(answer) and not any(_has_capital_name(c) for c in others):
        reasons.append("the only option with a capitalised name")
    if all(len(answer) > LONGER_FACTOR * len(c) for c in others):
        reasons.append(f"more than {LONGER_FACTOR:g} times longer than every distractor")
    if not reasons:
        return []
    message = (f"card {card.id}: the answer {answer!r} stands out among the choices ({'; '.join(reasons)}); "
               "make the distractors look like it")
    return [Finding("answer-stands-out", card, message)]


def _similar_questions(cards: Sequence[Card]) -> list[Finding]:
    asked = [(card, _normalize(card.question)) for card in cards if card.type is not CardType.CLOZE]
    asked = [(card, q) for card, q in asked if q]
    pairs = _candidate_pairs([q for _, q in asked])
    if not pairs:
        return []
    from rapidfuzz import fuzz

    out: list[Finding] = []
    for i, j in pairs:
        score = fuzz.ratio(asked[i][1], asked[j][1])
        if score >= SIMILAR_RATIO:
            card, other = asked[i][0], asked[j][0]
            message = (f"card {other.id}: its question is nearly the same as card {card.id}'s "
                       f"(similarity {int(score)}); merge the cards or ask something else")
            out.append(Finding("similar-question", other, message, card.id))
    return out


def _candidate_pairs(questions: list[str]) -> list[tuple[int, int]]:
    """(i, j), i < j, of the questions that may score >= SIMILAR_RATIO, by necessary conditions only.

    A ratio of r means the longest common subsequence covers r% of both texts, so the two share most of
    their words (a few edits change a few words) and most of their letters: pairs sharing fewer than half
    their words, or whose letter counts overlap less than r%, are left out without rapidfuzz (which a check
    of a good deck never imports) and without comparing every pair of a large deck."""
    from collections import Counter

    words = [set(q.split()) for q in questions]
    frequency = Counter(w for ws in words for w in ws)
    common = max(50, len(questions) // 10)  # words in this many questions say nothing (what, the, did)
    index: dict[str, list[int]] = {}
    letters: list[Counter[str] | None] = [None] * len(questions)
    pairs = []
    for j, ws in enumerate(words):
        rare = [w for w in ws if frequency[w] <= common] or list(ws)
        shared: Counter[int] = Counter(i for w in rare for i in index.get(w, ()))
        for w in rare:
            index.setdefault(w, []).append(j)
        for i, n in shared.items():
            a, b = questions[i], questions[j]
            if 2 * n < len(rare) or 200 * min(len(a), len(b)) < SIMILAR_RATIO * (len(a) + len(b)):
                continue
            if letters[i] is None:
                letters[i] = Counter(a)
            if letters[j] is None:
                letters[j] = Counter(b)
            overlap = sum((letters[i] & letters[j]).values())  # type: ignore[operator]
            if 200 * overlap >= SIMILAR_RATIO * (len(a) + len(b)):
                pairs.append((i, j))
    return sorted(pairs)


def _duplicates(cards: Sequence[Card], overlaps: Iterable[tuple[str, str]]) -> list[Finding]:
    by_id = {card.id: card for card in cards}
    out = []
    seen: set[tuple[str, str]] = set()
    for a, b in overlaps:
        first, second = by_id.get(a), by_id.get(b)
        if first is None or second is None or a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        shared = {_normalize(x) for x in answers_of(first)} & {_normalize(x) for x in answers_of(second)}
        shared.discard("")
        if not shared:
            continue
        message = (f"card {second.id}: same answer as card {first.id} and overlapping quotes (a likely "
                   "duplicate); merge them or make one ask something else")
        out.append(Finding("duplicate-card", second, message, first.id))
    return out


def _statement_is_quote(card: Card) -> list[Finding]:
    if card.type is not CardType.TRUEFALSE:
        return []
    statement = _normalize(card.question)
    if not statement:
        return []
    for citation in card.cite:
        quote = _normalize(citation.quote)
        if quote and f" {statement} " in f" {quote} ":
            message = (f"card {card.id}: the statement repeats its quote word for word (recognition, not "
                       "recall); restate it in other words")
            return [Finding("statement-is-quote", card, message)]
    return []
