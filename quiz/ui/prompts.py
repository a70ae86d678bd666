"""The interactive front end: questionary prompts for answers and ratings, rich for everything printed.

Colours come from rich and prompt_toolkit, both of which honour NO_COLOR. Nothing is drawn in boxes:
every line wraps to the terminal's width, so 40 columns work. Ctrl-C propagates as KeyboardInterrupt
(questionary's `unsafe_ask`), Ctrl-D becomes `EndSession`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from quiz.model import CardType, Rating, Verdict
from quiz.session import CardView, Command, EndSession, Feedback, Leech, RatingChoice, Response, Summary
from quiz.text import printable
from quiz.ui import (
    answer_text,
    clipped_quote,
    evidence_location,
    flag_text,
    marked_quote,
    fit_parts,
    choice_texts,
    header_text,
    kind_hint,
    leech_text,
    one_line,
    passage_location,
    passage_text,
    question_text,
    rating_text,
    summary_lines,
    verdict_runs,
    verdict_text,
)

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from rich.console import Console
    from rich.text import Text

VERDICT_STYLES = {Verdict.CORRECT: "bold green", Verdict.ALMOST: "bold yellow", Verdict.WRONG: "bold red",
                  Verdict.SELF: "bold"}
COMMAND_TITLES = (
    (Command.UNDO, "Undo last answer", "u"),
    (Command.SUSPEND, "Suspend this card", "s"),
    (Command.BURY, "Bury until tomorrow", "b"),
    (Command.QUIT, "Quit", "q"),
)
PRACTICE_HIDDEN = (Command.SUSPEND, Command.BURY)  # they change the schedule, which practice never does
# questionary's select has 36 shortcut keys (1-9, 0, a-z); deck.MAX_CHOICES is kept within it.
SHORTCUT_KEYS = 36


def _no_color() -> bool:
    import os

    return bool(os.environ.get("NO_COLOR"))


def _plain_text_style(app: Any) -> Any:
    """NO_COLOR: prompt_toolkit drops colours then, but still draws the pointer in reverse video and the
    answer in bold; with this it draws text attributes none at all (only the cursor movement it needs)."""
    if _no_color():
        from prompt_toolkit.styles import DEFAULT_ATTRS, StyleTransformation

        class _NoAttributes(StyleTransformation):
            def transform_attrs(self, attrs: Any) -> Any:
                return DEFAULT_ATTRS

        app.style_transformation = _NoAttributes()
    return app


def _ask(question: Any) -> Any:
    """Run a questionary question: Ctrl-C -> KeyboardInterrupt, Ctrl-D -> EndSession."""
    _plain_text_style(question.application)
    try:
        return question.unsafe_ask()
    except EOFError:
        raise EndSession from None


def _bind_eof(question: Any) -> Any:
    """questionary's select ignores Ctrl-D; make it end the session like it does in a text prompt."""
    bindings = question.application.key_bindings

    @bindings.add("c-d", eager=True)
    def _(event: Any) -> None:
        event.app.exit(exception=EOFError)

    return question


def _instant_keys(question: Any) -> Any:
    """questionary's select only moves its pointer on a shortcut key and waits for Enter; here the key
    answers at once, as Anki rates on one key. The arrow keys and Enter still work as before. The
    binding is added after questionary's own, and prompt_toolkit runs the last eager match."""
    from questionary import Separator
    from questionary.prompts.common import InquirerControl

    control = next(c for c in question.application.layout.find_all_controls() if isinstance(c, InquirerControl))
    bindings = question.application.key_bindings
    for index, choice in enumerate(control.choices):
        if isinstance(choice, Separator) or choice.disabled or not choice.shortcut_key:
            continue

        def pick(event: Any, index: int = index, value: Any = choice.value) -> None:
            control.pointed_at = index
            control.is_answered = True  # the answered prompt line shows the choice, as after Enter
            event.app.exit(result=value)

        bindings.add(str(choice.shortcut_key), eager=True)(pick)
    return question


def _key_prompt(message: str, hint: str, keys: dict[str, tuple[str, Any]]) -> Any:
    """One line `? message hint` that returns the value of the first key of `keys` pressed (each key maps
    to (what the answered line shows, value)); every other key does nothing, Enter included unless it is
    one of `keys`. Ctrl-C -> KeyboardInterrupt, Ctrl-D -> EndSession."""
    from prompt_toolkit.application import Application
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys
    from prompt_toolkit.layout import Layout, Window
    from prompt_toolkit.layout.controls import FormattedTextControl
    from questionary.constants import DEFAULT_STYLE

    shown: list[str] = []

    def line() -> "StyleAndTextTuples":
        tail = ("class:answer", f" {shown[0]}") if shown else ("class:instruction", f" {hint}")
        return [("class:qmark", "? "), ("class:question", message), tail]

    bindings = KeyBindings()
    for key, (label, value) in keys.items():
        def press(event: Any, label: str = label, value: Any = value) -> None:
            shown.append(label)
            event.app.exit(result=value)

        bindings.add(key, eager=True)(press)

    @bindings.add("c-c", eager=True)
    def _interrupt(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt)

    @bindings.add("c-d", eager=True)
    def _end(event: Any) -> None:
        event.app.exit(exception=EOFError)

    @bindings.add(Keys.Any)
    def _other(event: Any) -> None:
        """Any other key does nothing (no stray text, no stray answer)."""

    app: Application[Any] = Application(layout=Layout(Window(FormattedTextControl(line), dont_extend_height=True)),
                                        key_bindings=bindings, style=DEFAULT_STYLE)
    try:
        return _plain_text_style(app).run()
    except EOFError:
        raise EndSession from None


class PromptFrontend:
    def __init__(self, console: "Console | None" = None) -> None:
        self._console = console
        self._practice = False  # the card on screen is a practice card (set by `ask`)

    @property
    def console(self) -> "Console":
        # rich is imported on first use, i.e. after the first prompt was already on screen
        if self._console is None:
            from rich.console import Console

            # NO_COLOR: no escape codes at all; rich alone drops colours but keeps bold and reverse video.
            self._console = Console(highlight=False, emoji=False, color_system=None if _no_color() else "auto")
        return self._console

    def _paint_card(self, view: CardView) -> None:
        """Header and question, written before questionary is even imported: the student reads the
        question while the prompt machinery loads (about 100 ms). No rich here either, for the same
        reason: two SGR codes (dim, bold) when colour is allowed, plain text otherwise."""
        hint = kind_hint(view)
        question = f"{hint}: {question_text(view)}" if hint else question_text(view)
        if self._console is not None and not _is_stdout(self._console):
            width = self.console.width
            self.console.print()
            self.console.print(fit_parts(header_text(view), width), style="dim", markup=False)
            self.console.print(_wrap(question, 0, width), style="bold", markup=False)
            return
        import sys

        width = _columns()
        header, body = fit_parts(header_text(view), width), _wrap(question, 0, width)
        if _colour_ok(sys.stdout):
            header, body = f"\x1b[2m{header}\x1b[0m", f"\x1b[1m{body}\x1b[0m"
        sys.stdout.write(f"\n{header}\n{body}\n")
        sys.stdout.flush()

    # ---- the Frontend protocol

    def ask(self, view: CardView) -> Response:
        self._practice = view.practice
        self._paint_card(view)
        if view.kind is CardType.TRUEFALSE:
            # Nothing is preselected: a stray Enter must not answer "True".
            value = _key_prompt("Your answer", "(t = True, f = False; or 1 / 2)", {
                "t": ("True", True), "1": ("True", True), "f": ("False", False), "2": ("False", False)})
            return Response("true" if value else "false", bool(value))
        if view.kind is CardType.FLIP:
            _key_prompt("Think of the answer", "(Enter or Space shows it)", {"enter": ("", ""), " ": ("", "")})
            return Response("")
        import questionary

        if view.kind is CardType.CHOICE:
            choices = [questionary.Choice(title=shown, value=option)
                       for shown, option in zip(choice_texts(view), view.choices)]
            # questionary raises on a list longer than its shortcut keys; the loader caps choices at that,
            # and a longer list (a card not from a deck file) still works with the arrow keys alone.
            shortcuts = len(choices) <= SHORTCUT_KEYS
            question = questionary.select("Your choice", choices=choices, use_jk_keys=False, use_shortcuts=shortcuts,
                                          instruction="(its key answers)" if shortcuts else "(arrow keys, Enter)")
            return Response(_ask(_instant_keys(_bind_eof(question))))
        return Response((_ask(questionary.text("Your answer")) or "").strip())

    def show_feedback(self, feedback: Feedback) -> None:
        from rich.text import Text

        from quiz.text import CLIP_LIMIT

        g = feedback.grade
        verdict = g.verdict
        style = VERDICT_STYLES.get(verdict, "bold")
        if self._plain_marks():  # NO_COLOR or no terminal: the differing letters in [ ]
            line = Text(verdict_text(verdict, g.expected, g.note, g.marks), style=style)
        else:
            line = Text()
            for text, differs in verdict_runs(verdict, g.expected, g.note, g.marks):
                line.append(text, style=f"{style} reverse" if differs else style)
        self.console.print(line)
        if verdict is not Verdict.SELF:
            answer = Text("Answer: ")
            answer.append(answer_text(feedback.view), style="bold")
            self.console.print(answer)
        # A long quote is cut to about four lines around the answer (a 40-column terminal gets less).
        limit = min(CLIP_LIMIT, max(120, 4 * (self.console.width - 4)))
        for ev in feedback.evidence:
            text, highlights = clipped_quote(ev.quote, ev.highlights, limit)
            quote = Text("“")
            if self._plain_marks():
                quote.append(one_line(marked_quote(text, highlights)))
            else:
                body = Text(one_line_keep(text))
                for start, end in highlights:
                    body.stylize("bold underline", start, end)
                quote.append_text(body)
            quote.append("”")
            if ev.found:
                head = Text(evidence_location(ev), style="cyan")
            else:  # the deck's own quote, with the answer marked as in plain mode
                head = Text(f"⚠ {flag_text(ev.message)}:", style="yellow")
            self._print_evidence(head, quote, "  " if ev.found else " ")

    def _print_evidence(self, head: "Text", quote: "Text", gap: str) -> None:
        """`  file:line  “quote”` on one line when it fits; else the quote below, wrapped under itself."""
        from rich.text import Text

        if 2 + len(head) + len(gap) + len(quote) <= self.console.width:
            self.console.print(Text("  ").append_text(head).append(gap).append_text(quote))
        else:
            self.console.print(Text("  ").append_text(head))
            for line in quote.wrap(self.console, max(10, self.console.width - 4)):
                line.rstrip()
                self.console.print(Text("    ").append_text(line))

    def _plain_marks(self) -> bool:
        """NO_COLOR or no terminal: the answer in a quote is marked «like this», not by styling."""
        console = self.console
        return bool(console.no_color) or not console.is_terminal

    def ask_rating(self, choices: Sequence[RatingChoice], default: Rating) -> Rating | Command:
        import questionary

        items: list[Any] = [questionary.Choice(title=rating_text(c), value=c.rating, shortcut_key=str(int(c.rating)))
                            for c in choices]
        items.append(questionary.Separator())
        # Practice never changes the schedule, so suspend and bury are not offered there.
        items += [questionary.Choice(title=title, value=command, shortcut_key=key)
                  for command, title, key in COMMAND_TITLES
                  if not (self._practice and command in PRACTICE_HIDDEN)]
        default_choice = next(item for item in items if getattr(item, "value", None) == default)
        default_label = next(c.label for c in choices if c.rating == default)
        question = questionary.select(
            "Rate your answer", choices=items, default=default_choice, use_shortcuts=True, use_jk_keys=False,
            instruction=f"(a key acts at once; Enter = {default_label})",
        )
        return _ask(_instant_keys(_bind_eof(question)))

    def notify(self, message: str) -> None:
        self.console.print(printable(message), style="italic", markup=False)

    def offer_suspend(self, leech: Leech) -> bool:
        from rich.text import Text

        self.console.print(Text(leech_text(leech), style="bold yellow"))
        for passage in leech.passages:
            text, spans = passage_text(passage)
            quote = Text("“")
            if self._plain_marks():
                quote.append(one_line(marked_quote(text, spans)))
            else:
                body = Text(one_line_keep(text))
                for start, end in spans:
                    body.stylize("bold underline", start, end)
                quote.append_text(body)
            quote.append("”")
            self.console.print(Text("  ").append_text(Text(passage_location(passage), style="cyan")))
            for line in quote.wrap(self.console, max(10, self.console.width - 4)):
                line.rstrip()
                self.console.print(Text("    ").append_text(line))
        for message in leech.missing:
            self.console.print(Text(f"  ⚠ {flag_text(message)}", style="yellow"))
        return bool(_key_prompt("Suspend this card?", "(s = suspend, Enter = keep it)",
                                {"s": ("suspend", True), "enter": ("keep", False)}))

    def show_summary(self, summary: Summary) -> None:
        self.console.print()
        for number, line in enumerate(summary_lines(summary)):
            self.console.print(line, style="bold" if number == 0 else None, markup=False)


def _columns() -> int:
    import shutil

    return max(20, shutil.get_terminal_size((80, 24)).columns - 1)


def _colour_ok(stream: Any) -> bool:
    import os

    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _wrap(text: str, indent: int, width: int) -> str:
    """Wrap at word boundaries (a terminal would break words); continuation lines indented by `indent`."""
    import textwrap

    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width=width - indent, break_on_hyphens=False) or [""]
    return ("\n" + " " * indent).join(lines)


def one_line_keep(text: str) -> str:
    """Line breaks to spaces, keeping every offset (highlight spans index the original quote)."""
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _is_stdout(console: "Console") -> bool:
    import sys

    return getattr(console, "file", None) is sys.stdout
