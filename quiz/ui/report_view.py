"""`quiz class report` on a terminal: three rich tables that fit the console (80 columns and up) and the
recommendation. rich is imported inside `render_report`; `NO_COLOR` is the console's business (see
`quiz.cli._console`). Every string that came from a deck, a profile name or a typed answer goes through
`shown` before it reaches the terminal."""

from __future__ import annotations

import re
from typing import Any, Sequence

from quiz.report import ClassReport, wrong_answers_text

# C0 and C1 controls, DEL, and the bidirectional overrides and isolates that reorder what follows them.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """`text` safe for one table cell on a terminal: every control character becomes a visible escape
    (`\\x1b`, `\\n`, `\\u202e`), so a student's typed answer or a profile name cannot clear the screen,
    set the title or reorder the line. The one place this view escapes (to be pointed at `quiz.text`)."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _table(console: Any, columns: Sequence[tuple[str, str, int]], rows: Sequence[Sequence[str]],
           flexible: int, wrap: bool = False) -> Any:
    """A table whose columns keep their longest cell (each capped at its given maximum, 0 = none) except
    `flexible`, which gets what is left of the console width; cells too long end with an ellipsis, or
    with `wrap` the flexible column's cells continue on the next lines."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    gap = 2
    widths = []
    for i, (name, _, cap) in enumerate(columns):
        width = max([len(name)] + [len(row[i]) for row in rows])
        widths.append(min(width, cap) if cap else width)
    rest = console.width - sum(w for i, w in enumerate(widths) if i != flexible) - gap * (len(columns) - 1)
    widths[flexible] = max(6, min(widths[flexible], rest))
    terminal = console.is_terminal
    table = Table(box=box.SIMPLE_HEAD if terminal else None, show_edge=False, pad_edge=False,
                  padding=(0, gap - 1 if terminal else gap, 0, 0), header_style="bold" if terminal else "")
    for i, ((name, justify, _), width) in enumerate(zip(columns, widths)):
        wraps = wrap and i == flexible
        table.add_column(name, justify=justify, no_wrap=not wraps,  # type: ignore[arg-type]
                         overflow="fold" if wraps else "ellipsis", width=width)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def render_report(report: ClassReport, console: Any) -> None:
    from rich.text import Text

    from quiz.ui.stats_view import _print_table

    def heading(text: str) -> None:
        console.print()
        console.print(Text(text, style="bold"), soft_wrap=not console.is_terminal)

    console.print(Text(f"Class report: {shown(report.title)} ({shown(report.deck)})", style="bold"),
                  soft_wrap=not console.is_terminal)
    exam = f"; exam {report.exam.astimezone().strftime('%Y-%m-%d %H:%M')}" if report.exam else ""
    console.print(Text(f"{len(report.students)} students, {sum(not q.orphan for q in report.questions)} items"
                       f"{exam}; as of {report.now.astimezone().strftime('%Y-%m-%d %H:%M')}"),
                  soft_wrap=not console.is_terminal)

    heading("Questions (hardest first; facility = first attempts correct)")
    rows: list[tuple[str, ...]] = [
        (
            shown(q.label),
            str(q.students),
            _percent(q.facility),
            _signed(q.discrimination),
            _percent(q.lapse_rate),
            _seconds(q.median_seconds),
            ", ".join(q.flags),
        )
        for q in report.questions
    ]
    columns: tuple[tuple[str, str, int], ...] = (("item", "left", 0), ("n", "right", 0), ("fac", "right", 0), ("disc", "right", 0),
               ("lapse", "right", 0), ("time", "right", 0), ("flags", "left", 0))
    _print_table(console, _table(console, columns, rows, flexible=0))

    # A column of their own: squeezed beside six numbers they would not fit 80 columns.
    heading("Most common wrong answers (normalised as graded)")
    rows = [(shown(q.label), shown(wrong_answers_text(q))) for q in report.questions if q.wrong_answers]
    if rows:
        columns = (("item", "left", 24), ("wrong answers", "left", 0))
        _print_table(console, _table(console, columns, rows, flexible=1, wrap=True))
    else:
        console.print("No wrong answers yet.")

    heading("Students (most at risk first)")
    score = "expected" if report.exam else "recall"
    rows = [
        (
            shown(s.profile),
            f"{s.seen}/{s.total}",
            str(s.due),
            s.last_studied.astimezone().strftime("%Y-%m-%d") if s.last_studied else "never",
            _percent(s.retention),
            _percent(s.expected_score if report.exam else s.recall_now),
        )
        for s in report.students
    ]
    columns = (("profile", "left", 0), ("seen", "right", 0), ("due", "right", 0), ("last studied", "left", 0),
               ("retention", "right", 0), (score, "right", 0))
    _print_table(console, _table(console, columns, rows, flexible=0))

    heading("Sources")
    rows = [(shown(s.source), str(s.items), _percent(s.facility), _percent(s.retrievability))
            for s in report.sources]
    columns = (("source", "left", 0), ("items", "right", 0), ("facility", "right", 0), ("recall", "right", 0))
    _print_table(console, _table(console, columns, rows, flexible=0))
    console.print()
    console.print(Text(shown(report.recommendation), style="bold"), soft_wrap=not console.is_terminal)
