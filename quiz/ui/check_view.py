"""The human report of `quiz check` on a terminal (`quiz.check` builds it; `--json` is `quiz.check.to_json`).

rich is imported inside the functions that draw, so importing this module costs nothing heavy. Where rich
would show no styles (a pipe, a file, NO_COLOR: see `shows_styles`) the report is written by
`PlainConsole` without importing rich at all, byte for byte as rich writes it there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, Any, Callable

from quiz.check import CitationResult, DeckReport, Report
from quiz.model import LocationStatus
from quiz.text import clip, plural, printable, printable_line

# Below this score the "closest passage" shares little more than common words with the quote: the human
# report says there is nothing close instead of showing it (--json keeps it, with its score).
CLOSE_THRESHOLD = 50


def summary_line(d: DeckReport) -> str:
    """One line per deck, e.g. `decks/iss.yaml: 74 citations — 70 exact, 4 normalized · ...`."""
    if not d.valid:
        return f"{_shown(d.path)}: invalid deck ({plural(len(d.problems), 'problem')}, listed on stderr)"
    counts = [
        f"{n} {label}"
        for label, n in (
            ("exact", d.count("exact")),
            ("normalized", d.count("normalized")),
            ("missing", d.count("missing")),
            ("errors" if d.count("error") != 1 else "error", d.count("error")),
        )
        if n
    ]
    parts = [f"{plural(len(d.citations), 'citation')} — {', '.join(counts)}"]
    if d.support_checked:
        ok = d.support_checked - len({s.card.id for s in d.support})
        if ok == d.support_checked:
            parts.append(f"{plural(ok, 'card')} supported")
        else:
            parts.append(f"{ok} of {plural(d.support_checked, 'card')} supported")
    if d.source_files:
        cited = d.source_files - len(d.uncited)
        if cited == d.source_files:
            parts.append(f"all {plural(d.source_files, 'source')} cited")
        else:
            parts.append(f"{cited} of {plural(d.source_files, 'source')} cited")
    return f"{_shown(d.path)}: " + " · ".join(parts)


def _at(d: DeckReport, r: CitationResult) -> str:
    mark = r.citation.quote_mark if r.location.status is LocationStatus.MISSING else r.citation.mark
    return f"{_shown(d.path)}:{mark.line}:{mark.col}"


def _shown(path: Path) -> str:
    """A deck path as shown in a report line: its name may hold a control character or a line break."""
    return printable_line(str(path))


def render_text(report: Report, console: Any, *, verbose: bool = False) -> None:
    """Print the human report on a rich Console (markup off: quotes may contain [brackets]).

    Every text that comes from a file (source passages, quotes, file names, messages quoting them) goes
    through `printable`, so a control character in a source shows as `\\x1b` instead of reaching the
    terminal."""
    text_type: Any = PlainText
    if not isinstance(console, PlainConsole):
        from rich.text import Text as text_type

    # Every line below is built with this `Text`: rich's (or its plain stand-in), over the printable form
    # of its string.
    def Text(text: str = "", style: str = "") -> Any:  # noqa: N802
        return text_type(printable(text), style=style)

    for d in report.decks:
        line = Text(summary_line(d))
        style = "red" if not d.valid or d.failures else ("yellow" if d.warnings else "green")
        line.stylize(f"bold {style}", 0, len(_shown(d.path)) + 1)
        console.print(line)
        if not d.valid:
            continue
        for f in d.fixes:
            if f.moved_from:
                console.print(Text(f"{_shown(d.path)}:{f.line}:{f.col}: card {f.card}: cited {f.source}, which "
                                   f"has the quote verbatim, instead of {f.moved_from}", style="cyan"))
                continue
            console.print(
                Text(f"{_shown(d.path)}:{f.line}:{f.col}: card {f.card}: fixed quote to the text of {f.source} "
                     f"(score {f.score})", style="cyan")
            )
        if d.fix_diff:
            for diff_line in d.fix_diff.splitlines():
                style = "green" if diff_line.startswith("+") else "red" if diff_line.startswith("-") else ""
                console.print(Text(diff_line, style=style))
        for note in d.fix_notes:
            console.print(Text(note, style="yellow"))
        for r in d.citations:
            loc = r.location
            if loc.ok:
                if verbose and loc.status is LocationStatus.NORMALIZED:
                    console.print(
                        Text(
                            f"{_at(d, r)}: card {r.card.id}: normalized ({', '.join(loc.differences)}) "
                            f"at {loc.source}:{loc.line}:{loc.col}",
                            style="dim",
                        )
                    )
                continue
            head = Text(f"{_at(d, r)}: ")
            head.append(f"card {r.card.id}: ", style="bold")
            if d.shown_source(r.citation.source) != r.citation.source:
                head.append(printable(f"({d.shown_source(r.citation.source)}) "))
            head.append(printable(loc.message), style="red")
            console.print(head)
            if loc.status is not LocationStatus.MISSING:
                continue
            # One line each, however long or multi-line the quote and passage are (clipped with "…").
            console.print(Text("  quote:   ") + Text(clip(printable(r.citation.quote))))
            if loc.found_in or loc.reason == "no-text":
                continue
            c = loc.closest
            if c is None or c.score < CLOSE_THRESHOLD:
                best = f" (best score {c.score})" if c is not None else ""
                console.print(Text(f"  closest: nothing close in {loc.source}{best}", style="dim"))
                continue
            passage = Text(clip(printable(c.text)))
            console.print(Text(f"  closest: {loc.source}:{c.line}:{c.col} (score {c.score}): ") + passage)
            diff = " ".join(printable(c.diff).split())
            change = [i for i in (diff.find("[-"), diff.find("{+")) if i >= 0]
            focus = (min(change), min(change) + 2) if change else None
            console.print(Text("  diff:    ") + _diff_text(clip(diff, focus=focus), text_type))
        # Unsupported answers and question-quality findings, in deck order, each naming its rule (what a
        # card lists under `lint:` to be exempt).
        warned = [(s.card, s.message, s.rule) for s in d.support] + [(f.card, f.message, f.rule) for f in d.lint]
        warned.sort(key=lambda w: (w[0].mark.line, w[0].mark.col))
        for card, message, rule in warned:
            line = Text(f"{_shown(d.path)}:{card.mark.line}:{card.mark.col}: ")
            line.append("error" if report.strict else "warning", style="bold red" if report.strict else "bold yellow")
            line.append(printable(f": {message} [{rule}]"))
            console.print(line)
        if verbose or d.uncited:
            shown = " · ".join(f"{d.shown_source(name, verbose)} {n}" for name, n in d.coverage.items() if n)
            folder = d.sources.display if d.sources else ""
            console.print(Text(f"  cards per source ({folder}): {shown or 'none'}", style="dim"))
            if d.uncited:
                console.print(Text(f"  not cited: {', '.join(d.shown_source(f, verbose) for f in d.uncited)}",
                                   style="dim"))
    for folder in report.empty_folders:
        console.print(Text(f"{folder}: no decks in this folder (looked for *.yaml files)", style="yellow"))
    if len(report.decks) > 1:
        valid = [d for d in report.decks if d.valid]
        total = sum(len(d.citations) for d in valid)
        failed = sum(len(d.failures) for d in valid)
        warnings = sum(d.warnings for d in valid)
        invalid = len(report.decks) - len(valid)
        parts = [plural(len(report.decks), "deck"), f"{plural(total, 'citation')}, {failed} failed"]
        if warnings:
            parts.append(plural(warnings, "warning"))
        if invalid:
            parts.append(f"{invalid} invalid")
        console.print(Text("total: " + " · ".join(parts), style="bold"))


_DIFF_TOKEN = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.DOTALL)


def _diff_text(diff: str, text_type: Any) -> Any:
    """A word diff with removals red and additions green (the [-..-]{+..+} markers stay for NO_COLOR)."""
    out = text_type()
    pos = 0
    for m in _DIFF_TOKEN.finditer(diff):
        out.append(diff[pos : m.start()])
        out.append(m.group(), style="red" if m.group(1) is not None else "green")
        pos = m.end()
    out.append(diff[pos:])
    return out


# --- the report where rich would show no styles, without rich ------------------------------------------


def shows_styles(stream: IO[str]) -> bool:
    """Whether the rich console of `quiz check` (colour system "auto", none under NO_COLOR) would write
    escape codes to `stream`: never under NO_COLOR; otherwise where rich sees a terminal, by rich's own
    rules: TTY_COMPATIBLE=1 (yes) or 0 (no), else FORCE_COLOR when set (yes unless empty), else isatty()."""
    environ = os.environ
    if environ.get("NO_COLOR", ""):
        return False
    tty_compatible = environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# What rich's Text drops from every string it is given (BEL, BS, VT, FF, CR): `printable` has escaped all
# of them but the CR of a CRLF already.
_RICH_DROPS = dict.fromkeys((7, 8, 11, 12, 13))


class PlainText:
    """The part of rich's `Text` that `render_text` uses, keeping the characters only (styles are what a
    console without colour leaves out anyway)."""

    def __init__(self, text: str = "", style: str = "") -> None:
        self.plain = text.translate(_RICH_DROPS)

    def append(self, text: str, style: str = "") -> PlainText:
        self.plain += text.translate(_RICH_DROPS)
        return self

    def stylize(self, style: str, start: int = 0, end: int | None = None) -> None:
        pass

    def __add__(self, other: PlainText) -> PlainText:
        return PlainText(self.plain + other.plain)


class PlainConsole:
    """Writes `render_text`'s lines as rich's console writes them where it shows no styles (soft wrap:
    each line whole, then a line feed; flushed after each, a closed pipe reported to `on_broken_pipe`), so
    `quiz check` into a pipe or a file does not import rich (a third of its start-up). A line with a tab
    goes to the console `rich_console()` makes: rich expands tabs by the width of each character."""

    def __init__(self, file: IO[str], rich_console: Callable[[], Any]) -> None:
        self.file = file
        self._rich_console = rich_console
        self._rich: Any = None
        self.on_broken_pipe: Callable[[], None] = lambda: None

    def print(self, text: PlainText) -> None:
        if "\t" in text.plain:
            from rich.text import Text

            if self._rich is None:
                self._rich = self._rich_console()
            self._rich.print(Text(text.plain))
            return
        try:
            self.file.write(text.plain + "\n")
            self.file.flush()
        except BrokenPipeError:
            self.on_broken_pipe()
