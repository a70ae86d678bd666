"""Plain line mode: the study session as numbered plain-text lines, one answer per input line.

Used automatically when stdin or stdout is not a terminal (pipes, scripts, CI) and with `--plain`
(screen readers). No ANSI codes, no cursor movement, nothing that needs a terminal: it only reads lines
and writes lines. End of input ends the session normally; Ctrl-C raises KeyboardInterrupt as usual.
Answers read from a non-terminal are echoed after their prompt, so a transcript reads like a dialogue.
"""

from __future__ import annotations

import sys
from typing import TextIO, Sequence

from quiz.model import CardType, Rating, Verdict
from quiz.session import CardView, Command, EndSession, Feedback, Leech, RatingChoice, Response, Summary
from quiz.text import printable
from quiz.ui import (
    answer_text,
    choice_texts,
    COMMAND_KEYS,
    clipped_quote,
    evidence_location,
    flag_text,
    header_text,
    kind_hint,
    leech_text,
    marked_quote,
    passage_location,
    passage_text,
    one_line,
    question_text,
    rating_text,
    summary_lines,
    verdict_text,
)

RATING_WORDS = {
    "1": Rating.AGAIN, "a": Rating.AGAIN, "again": Rating.AGAIN,
    "2": Rating.HARD, "h": Rating.HARD, "hard": Rating.HARD,
    "3": Rating.GOOD, "g": Rating.GOOD, "good": Rating.GOOD,
    "4": Rating.EASY, "e": Rating.EASY, "easy": Rating.EASY,
}
COMMAND_WORDS = {
    "u": Command.UNDO, "undo": Command.UNDO,
    "s": Command.SUSPEND, "suspend": Command.SUSPEND,
    "b": Command.BURY, "bury": Command.BURY,
    "q": Command.QUIT, "quit": Command.QUIT,
}
TRUE_WORDS = {"t": True, "true": True, "1": True, "f": False, "false": False, "2": False}


class PlainFrontend:
    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None, echo: bool | None = None):
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        if echo is None:
            try:
                echo = not self.stdin.isatty()
            except (AttributeError, ValueError):
                echo = True
        self.echo = echo
        self._practice = False  # the card on screen is a practice card (set by `ask`)

    # ---- low level

    def _say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def _read(self, prompt: str) -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:  # end of input: the student is done
            if self.echo:
                self.stdout.write("\n")
            raise EndSession
        line = line.rstrip("\r\n")
        if self.echo:  # what was typed, shown: an ESC in it must not reach the terminal as one
            self.stdout.write(printable(line) + "\n")
            self.stdout.flush()
        return line

    # ---- the Frontend protocol

    def ask(self, view: CardView) -> Response:
        self._practice = view.practice
        self._say()
        self._say(header_text(view))
        hint = kind_hint(view)
        question = question_text(view)
        self._say(f"{hint}: {question}" if hint else f"Q: {question}")
        if view.kind is CardType.CHOICE:
            for number, option in enumerate(choice_texts(view), 1):
                self._say(f"  {number}) {option}")
            while True:
                raw = self._read(f"answer 1-{len(view.choices)}> ").strip()
                chosen = self._pick(raw, view.choices)
                if chosen is not None:
                    return Response(chosen)
                self._say(f"Please answer with a number from 1 to {len(view.choices)}, or the option's text.")
        if view.kind is CardType.TRUEFALSE:
            while True:
                raw = self._read("answer t/f> ").strip().casefold()
                if raw in TRUE_WORDS:
                    value = TRUE_WORDS[raw]
                    return Response("true" if value else "false", value)
                self._say("Please answer t (true) or f (false).")
        if view.kind is CardType.FLIP:
            return Response(self._read("Enter shows the answer> ").strip())
        return Response(self._read("answer> ").strip())

    @staticmethod
    def _pick(raw: str, options: Sequence[str]) -> str | None:
        if raw.isdecimal() and 1 <= int(raw) <= len(options):
            return options[int(raw) - 1]
        folded = raw.casefold()
        for option in options:
            if option.casefold() == folded:
                return option
        return None

    def show_feedback(self, feedback: Feedback) -> None:
        g = feedback.grade
        self._say(verdict_text(g.verdict, g.expected, g.note, g.marks))
        if g.verdict is not Verdict.SELF:
            self._say(f"Answer: {answer_text(feedback.view)}")
        for ev in feedback.evidence:
            quote = one_line(marked_quote(*clipped_quote(ev.quote, ev.highlights)))
            if ev.found:
                self._say(f"  {evidence_location(ev)}  “{quote}”")
            else:
                self._say(f"  ⚠ {flag_text(ev.message)}: “{quote}”")

    def ask_rating(self, choices: Sequence[RatingChoice], default: Rating) -> Rating | Command:
        self._say("Rate: " + " | ".join(f"{int(c.rating)} {rating_text(c)}" for c in choices))
        default_label = next(c.label for c in choices if c.rating == default)
        # Practice never changes the schedule, so suspend and bury are not offered there.
        keys = [(k, w) for k, w in COMMAND_KEYS if not (self._practice and w in ("suspend", "bury"))]
        self._say(f"Enter = {default_label} · " + " · ".join(f"{k} {w}" for k, w in keys))
        allowed = {word for key, name in keys for word in (key, name)}
        while True:
            raw = self._read("rating> ").strip().casefold()
            if not raw:
                return default
            if raw in RATING_WORDS:
                return RATING_WORDS[raw]
            if raw in COMMAND_WORDS and raw in allowed:
                return COMMAND_WORDS[raw]
            self._say(f"Please answer 1-4 (or a/h/g/e), {', '.join(k for k, _ in keys)}; Enter = {default_label}.")

    def notify(self, message: str) -> None:
        self._say(printable(message))

    def offer_suspend(self, leech: Leech) -> bool:
        self._say(leech_text(leech))
        for passage in leech.passages:
            self._say(f"  {passage_location(passage)}")
            self._say(f"    “{one_line(marked_quote(*passage_text(passage)))}”")
        for message in leech.missing:
            self._say(f"  ⚠ {flag_text(message)}")
        while True:
            raw = self._read("suspend it? s = suspend, Enter = keep> ").strip().casefold()
            if raw in ("", "k", "keep", "n", "no"):
                return False
            if raw in ("s", "suspend", "y", "yes"):
                return True
            self._say("Please answer s (suspend) or press Enter (keep it).")

    def show_summary(self, summary: Summary) -> None:
        self._say()
        for line in summary_lines(summary):
            self._say(line)
