"""Terminal front ends of the study session, and the wording they share.

`quiz.ui.prompts.PromptFrontend` (questionary + rich) and `quiz.ui.plain.PlainFrontend` (numbered lines,
one answer per input line) implement `quiz.session.Frontend`. The functions here turn session data into
the words both show, so the two modes say the same things. No SQL, no scheduling in this package.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Sequence

from quiz.model import Verdict
from quiz.text import printable, printable_quote

if TYPE_CHECKING:
    from quiz.session import CardView, Evidence, Leech, Passage, RatingChoice, Summary

VERDICT_WORDS = {Verdict.CORRECT: "Correct", Verdict.ALMOST: "Almost", Verdict.WRONG: "Wrong", Verdict.SELF: "Answer"}
COMMAND_KEYS = (("u", "undo"), ("s", "suspend"), ("b", "bury"), ("q", "quit"))


def header_text(view: "CardView") -> str:
    """`Russia and the ISS · 24 left today · new 5 · learning 2 · review 17` (practice: `· 3 left ·
    practice`); `· again now: nothing else is due` when the card just answered comes straight back; before an
    exam followed by `· exam in 5 days · expected score 62%`."""
    p = view.progress
    parts = [printable(view.deck_title)]
    if view.practice:
        parts += [f"{p.left} left", "practice"]
    else:
        parts += [f"{p.left} left today", f"new {p.new}", f"learning {p.learning}", f"review {p.review}"]
        if p.again_now:
            parts.append("again now: nothing else is due")
    if view.exam is not None:
        days = view.exam.days_left
        parts.append("exam today" if days == 0 else f"exam in {days} day{'s' if days != 1 else ''}")
        parts.append(f"expected score {view.exam.expected_score:.0%}")
    return " · ".join(parts)


def fit_parts(text: str, width: int, sep: str = " · ") -> str:
    """Break a `a · b · c` line between its parts (never inside one) so no line exceeds `width`."""
    lines: list[str] = []
    for part in text.split(sep):
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return "\n".join(lines)


def question_text(view: "CardView") -> str:
    """The question (or the cloze text with its gap) as shown: deck text, so made printable."""
    return printable(view.prompt)


def choice_texts(view: "CardView") -> list[str]:
    """The options of a choice card as shown (printable); the card's own strings stay the answers."""
    return [printable(option) for option in view.choices]


def kind_hint(view: "CardView") -> str:
    """A short label for what kind of answer is wanted, shown before the question."""
    from quiz.model import CardType

    if view.kind is CardType.CLOZE:
        return "Fill the gap"
    if view.kind is CardType.TRUEFALSE:
        return "True or false?"
    if view.kind is CardType.FLIP:
        return "Recall the answer"
    return ""


def answer_text(view: "CardView") -> str:
    """The expected answer as shown after answering (`True`/`False` for true/false cards)."""
    from quiz.model import CardType

    expected = view.card.expected(view.gap)
    if view.kind is CardType.TRUEFALSE:
        return "True" if expected.strip().casefold() == "true" else "False"
    return printable(expected)


def rating_text(choice: "RatingChoice") -> str:
    """`Good · 3d`, or just `Good` in practice mode."""
    return f"{choice.label} · {choice.interval}" if choice.interval else choice.label


def verdict_runs(
    verdict: Verdict, expected: str, note: str, marks: Sequence[tuple[str, bool]]
) -> list[tuple[str, bool]]:
    """The verdict line as runs of (text, differs): `Almost — Bor`, `i` (a letter the student got wrong),
    `sov (spelling: 1 letter off)`. Each front end shows the differing runs its own way. Printable: the
    marks and `expected` are the deck's text."""
    head = VERDICT_WORDS.get(verdict, verdict.capitalize())
    if verdict is Verdict.SELF:
        return [(printable(f"{head}: {expected}"), False)]
    runs = [(head, False)]
    if marks:
        runs.append((" — ", False))
        runs += [(printable(text), differs) for text, differs in marks]
    if note:
        runs.append((printable(f" ({note})"), False))
    return runs


def verdict_text(verdict: Verdict, expected: str, note: str, marks: Sequence[tuple[str, bool]]) -> str:
    """The verdict line without colour: `Correct`, `Almost — Bor[i]sov (spelling: 1 letter off)`, `Wrong`."""
    return "".join(f"[{text}]" if differs else text for text, differs in verdict_runs(verdict, expected, note, marks))


def evidence_location(ev: "Evidence") -> str:
    """`003_21e2480842a6230d.txt:11` (line known) or just the file name (printable: a symlinked source
    may resolve to a file whose name holds a control character). A source the deck labels shows its
    label instead, e.g. `AP report, line 11`: students know the article, not its file name."""
    from quiz.text import printable_line

    if ev.label:
        return printable_line(f"{ev.label}, line {ev.line}" if ev.line else ev.label)
    return printable_line(f"{ev.source}:{ev.line}" if ev.line else ev.source)


def marked_quote(text: str, spans: Sequence[tuple[int, int]], left: str = "«", right: str = "»") -> str:
    """The quote with each highlighted span wrapped in `left`/`right` (plain and NO_COLOR output)."""
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], left, text[start:end], right]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def clipped_quote(
    text: str, spans: Sequence[tuple[int, int]], limit: int | None = None
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A quote longer than `limit` characters (default: quiz.text.CLIP_LIMIT) cut around its first
    highlighted span, with "…" at each cut, and the spans moved to match (clipped at the cuts), so the
    answer stays on screen however long the quote is. The result is printable (see `printable_quote`):
    a quote found in a source is the source's text, which may hold control characters."""
    from quiz.text import CLIP_LIMIT, CLIP_MARK, clip_window

    a, b = clip_window(text, limit or CLIP_LIMIT, spans[0] if spans else None)
    if (a, b) == (0, len(text)):
        return printable_quote(text, tuple(spans))
    lead = CLIP_MARK if a else ""
    shift = len(lead) - a
    moved = tuple((max(s, a) + shift, min(e, b) + shift) for s, e in spans if s < b and e > a)
    return printable_quote(lead + text[a:b] + (CLIP_MARK if b < len(text) else ""), moved)


def leech_text(leech: "Leech") -> str:
    """`Leech: who has lapsed 8 times. Re-read the passage below, then rewrite the card or suspend it.`"""
    from quiz.stats import item_label

    return (f"Leech: {printable(item_label(leech.card_id, leech.gap))} has lapsed {leech.lapses} times. "
            "Re-read the passage below, then rewrite the card or suspend it.")


def passage_location(passage: "Passage") -> str:
    """`re-read: 004_04ab37866c9a9a74.txt, lines 12–14` (printable: the name is a file's)."""
    from quiz.text import printable_line

    lines = (f"line {passage.first_line}" if passage.first_line == passage.last_line
             else f"lines {passage.first_line}–{passage.last_line}")
    return f"re-read: {printable_line(passage.source)}, {lines}"


def passage_text(passage: "Passage") -> tuple[str, tuple[tuple[int, int], ...]]:
    """The paragraph as shown (printable, on one line), with the quote's span moved to match."""
    from quiz.citations import PARAGRAPH_LIMIT

    text, spans = clipped_quote(passage.text, passage.highlights, PARAGRAPH_LIMIT + 2)
    return text, spans


def flag_text(message: str) -> str:
    """The ⚠ line's message on one line, clipped like a quote (it may quote a long source path)."""
    from quiz.text import clip

    return clip(printable(message), 200)


def one_line(text: str) -> str:
    """Quotes may span lines in the source; evidence is shown on one line (the terminal wraps it)."""
    return " ".join(text.split())


def when_text(due: datetime, now: datetime, tz: tzinfo | None) -> str:
    """`in 8m (20:15)`, `in 2d (Mon 23 Nov 09:12)` — relative, then local clock time."""
    from quiz.scheduler import format_interval

    local = due.astimezone(tz) if tz is not None else due.astimezone()
    local_now = now.astimezone(tz) if tz is not None else now.astimezone()
    when = local.strftime("%H:%M") if local.date() == local_now.date() else local.strftime("%a %d %b %H:%M")
    delta = max(due - now, timedelta(0))
    return f"in {format_interval(delta)} ({when})"


def duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def summary_lines(s: "Summary") -> list[str]:
    """The end-of-session text, one sentence a line."""
    lines = []
    if s.nothing_due and not s.answers:
        if s.practice:
            lines.append("No cards to practise (check --tag / --source, or unsuspend cards).")
            return lines
        if s.next_due is not None:
            lines.append(f"Nothing to study now. The next card is due {when_text(s.next_due, s.now, s.tz)}.")
        else:
            lines.append("Nothing to study now.")
        lines += _limit_lines(s)
        lines.append("Run `quiz study --practice` to study anyway (your schedule is not changed).")
        return lines
    head = "Interrupted" if s.interrupted else ("Practice over" if s.practice else "Session over")
    counts = [f"{s.correct} correct", f"{s.almost} almost", f"{s.wrong} wrong"]
    if s.self_rated:
        counts.append(f"{s.self_rated} self-rated")
    cards = "card" if s.cards == 1 else "cards"
    answers = "answer" if s.answers == 1 else "answers"
    lines.append(f"{head}: {s.cards} {cards} studied ({s.answers} {answers}: {', '.join(counts)}) "
                 f"in {duration_text(s.seconds)}.")
    if s.practice:
        lines.append("Practice answers are logged but do not change your schedule.")
        return lines
    if s.due_now:
        lines.append(f"{s.due_now} more {'card is' if s.due_now == 1 else 'cards are'} waiting for today.")
    elif s.next_due is not None:
        lines.append(f"Next card due {when_text(s.next_due, s.now, s.tz)}.")
    lines += _limit_lines(s)
    return lines


def _limit_lines(s: "Summary") -> list[str]:
    lines = []
    new = "new card" if s.new_left_today == 1 else "new cards"
    if s.new_left_today:
        lines.append(f"{s.new_left_today} {new} left today.")
    elif s.new_limit_reached:
        lines.append("Today's new-card limit is reached (--new N raises it).")
    if s.review_limit_reached:
        lines.append("Today's review limit is reached (--reviews N raises it).")
    return lines
