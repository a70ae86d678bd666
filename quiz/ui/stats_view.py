"""`quiz stats` and `quiz list` on a terminal: the numbers of `quiz.stats` drawn with rich (imported inside
the functions that draw, so importing this module costs nothing heavy).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Sequence

from quiz.stats import HEATMAP_WEEKS, RECENT_DAYS, ItemRow, LeechRow, Stats
from quiz.text import plural, printable, printable_line

HEAT_CHARS = "·░▒▓█"  # no-colour heatmap shades, level 0..4
# With colour the same shades are drawn green (level 0 dim): the characters keep the levels apart even
# on a 16-colour terminal, where GitHub's five greens would collapse into two.
HEAT_STYLES = ("bright_black", "green", "green", "bright_green", "bright_green")
BAR_EIGHTHS = " ▁▂▃▄▅▆▇█"


def _uses_color(console: Any) -> bool:
    return console.color_system is not None and not console.no_color


def _percent(value: float | None, missing: str = "-") -> str:
    return missing if value is None else f"{value * 100:.0f}%"


def heat_level(count: int, peak: int) -> int:
    """0 for no answers, else 1..4 by the share of the busiest day (quarters, rounded up)."""
    if count <= 0 or peak <= 0:
        return 0
    return max(1, min(4, -(-4 * count // peak)))


def forecast_chart(forecast: Sequence[int], height: int = 4, column: int = 2) -> list[str]:
    """A vertical bar chart of due counts, one column per day, drawn with eighth blocks."""
    peak = max(forecast, default=0)
    if peak == 0:
        return []
    label_width = len(str(peak))
    lines = []
    for row in range(height, 0, -1):
        cells = []
        for n in forecast:
            eighths = round(n * height * 8 / peak)
            fill = min(8, max(0, eighths - (row - 1) * 8))
            if n and row == 1 and fill == 0:
                fill = 1  # a day with any cards due is always visible
            cells.append(BAR_EIGHTHS[fill] * (column - 1 if column > 1 else 1) + " " * (column > 1))
        label = str(peak) if row == height else ""
        lines.append(f"{label:>{label_width}} │{''.join(cells).rstrip()}")
    lines.append(f"{'0':>{label_width}} └{'─' * (len(forecast) * column)}")
    axis = [" "] * (len(forecast) * column)
    for day, text in ((0, "today"), (10, "+10d"), (20, "+20d")):
        start = day * column
        if start + len(text) <= len(axis):
            axis[start : start + len(text)] = list(text)
    lines.append(" " * (label_width + 2) + "".join(axis).rstrip())
    return lines


def _fitted_table(console: Any, columns: Sequence[tuple[str, Any]], rows: Sequence[Sequence[str]],
                  flexible: int, min_flexible: int = 8) -> Any:
    """A rich table in which every column keeps the width of its longest cell except column `flexible`,
    which gets the rest of the console width (cut with an ellipsis). rich's own shrinking would drop
    narrow columns instead. A rule under the header on a terminal, plain spaces otherwise."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    gap = 2
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, (name, _) in enumerate(columns)]
    rest = console.width - sum(w for i, w in enumerate(widths) if i != flexible) - gap * (len(columns) - 1)
    widths[flexible] = max(min_flexible, min(widths[flexible], rest))
    terminal = console.is_terminal
    table = Table(
        box=box.SIMPLE_HEAD if terminal else None,
        show_edge=False,
        pad_edge=False,
        padding=(0, gap - 1 if terminal else gap, 0, 0),
        header_style="bold" if terminal else "",
    )
    for (name, justify), width in zip(columns, widths):
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis", width=width)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _print_table(console: Any, table: Any) -> None:
    """Print a table; off a terminal without the trailing blanks rich pads the last column with."""
    from rich.text import Text

    if console.is_terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    for line in captured.get().splitlines():
        console.print(Text(line.rstrip()), soft_wrap=True)


def render_stats(stats: Stats, console: Any) -> None:
    """Print `stats` with rich: summary lines, the forecast chart, the heatmap, tables."""
    from rich.text import Text

    color = _uses_color(console)
    narrow = console.width < 70

    def line(label: str, text: str) -> None:
        out = Text()
        out.append(f"{label:<14}", style="bold")
        out.append(text)
        console.print(out, soft_wrap=not console.is_terminal)  # off a terminal: one line per fact

    def heading(text: str) -> None:
        console.print()
        console.print(Text(text, style="bold"))

    if len(stats.decks) == 1:
        deck = stats.decks[0]
        console.print(Text(f"{printable(deck.title)} · deck {deck.id}", style="bold"))
    else:
        console.print(Text(f"{len(stats.decks)} decks: " + ", ".join(d.id for d in stats.decks), style="bold"))
    cards = sum(d.cards for d in stats.decks)
    line("Cards", f"{plural(cards, 'card')}, {plural(stats.total, 'item')} (each cloze gap is an item)")
    line(
        "Items",
        f"new {stats.new} · learning {stats.learning} · review {stats.review} · suspended {stats.suspended}",
    )
    line("Due", f"today {stats.due_today} · tomorrow {stats.due_tomorrow}")

    heading("Due forecast, next 30 days")
    chart = forecast_chart(stats.forecast, column=1 if narrow else 2)
    if chart:
        for text in chart:
            console.print(Text(text))
    else:
        console.print("Nothing due in the next 30 days.")

    heading(f"Answers, last {HEATMAP_WEEKS} weeks")
    peak = max((d.answers for d in stats.days), default=0)
    weeks = HEATMAP_WEEKS
    months = [" "] * (weeks * 2)
    for week in range(weeks):
        monday = stats.heatmap_start + timedelta(weeks=week)
        # label the column of a month's first Monday (the first column too, if most of it is that month)
        if monday.day <= 7 or (week == 0 and monday.day <= 21):
            months[week * 2 : week * 2 + 3] = list(monday.strftime("%b"))
    console.print(Text("     " + "".join(months).rstrip()))
    by_day = {d.day: d.answers for d in stats.days}
    for weekday, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        row = Text(f"{name}  ")
        for week in range(weeks):
            day = stats.heatmap_start + timedelta(weeks=week, days=weekday)
            if day > stats.today:
                row.append("  ")
                continue
            level = heat_level(by_day.get(day, 0), peak)
            row.append(HEAT_CHARS[level], style=HEAT_STYLES[level] if color else "")
            row.append(" ")
        row.rstrip()
        console.print(row)
    legend = Text("     less ")
    for level in range(5):
        legend.append(HEAT_CHARS[level], style=HEAT_STYLES[level] if color else "")
        legend.append(" ")
    legend.append("more")
    if peak:
        busiest = max(stats.days, key=lambda d: (d.answers, d.day))
        legend.append(f"  (busiest: {busiest.answers} on {busiest.day.isoformat()})")
    console.print(legend)

    console.print()
    if stats.retention is None:
        retention = "true retention - (no review answers yet)"
    else:
        retention = (
            f"true retention {stats.retention * 100:.1f}% "
            f"({stats.retention_passed} of {stats.retention_answers} review answers passed)"
        )
    line("Last 30 days", retention)
    line(
        "",
        f"{stats.answers_per_day:.1f} answers/day · {stats.minutes_per_day:.1f} min/day · "
        f"studied {stats.recent_days_studied} of {RECENT_DAYS} days",
    )
    line(
        "Today",
        f"{plural(stats.today_answers, 'answer')} · {stats.today_seconds / 60:.1f} min · "
        f"streak {plural(stats.streak, 'day')} (longest {stats.longest_streak})",
    )

    several = len(stats.decks) > 1
    heading("Hardest cards")
    rows: list[tuple[str, ...]]
    columns: tuple[tuple[str, str], ...]
    if stats.hardest:
        rows = [
            (
                (f"{item.deck}:{item.label}" if several else item.label) + (" (suspended)" if item.suspended else ""),
                str(item.lapses),
                _percent(item.retrievability),
                printable_line(item.text),
            )
            for item in stats.hardest
        ]
        columns = (("id", "left"), ("lapses", "right"), ("recall", "right"), ("question", "left"))
        _print_table(console, _fitted_table(console, columns, rows, flexible=3))
    else:
        console.print("No studied cards yet.")

    heading("Mastery by source")
    rows = [
        (
            printable_line(source.shown),
            str(source.cards),
            str(source.answers),
            _percent(source.correct_share),
            _percent(source.retrievability, "not studied"),
        )
        for source in stats.sources
    ]
    columns = (("source", "left"), ("cards", "right"), ("answers", "right"), ("correct", "right"), ("recall", "right"))
    _print_table(console, _fitted_table(console, columns, rows, flexible=0))
    weakest = stats.weakest_source
    if weakest is not None and weakest.retrievability is not None:
        target = _percent(stats.target_retention)
        if weakest.retrievability < stats.target_retention:
            advice = (f"Re-read first: {printable_line(weakest.shown)} (recall {_percent(weakest.retrievability)}, "
                      f"target {target})")
        else:
            advice = f"Every studied source is at or above the {target} recall target."
        console.print(Text(advice), soft_wrap=not console.is_terminal)

    console.print()
    if stats.orphan_items or stats.orphan_answers:
        where = ", ".join(d.id for d in stats.decks if d.orphan_items or d.orphan_answers)
        line(
            "Orphaned",
            f"{plural(stats.orphan_items, 'item')} with {plural(stats.orphan_answers, 'answer')}, "
            f"from cards no longer in {where} (history kept)",
        )
    else:
        line("Orphaned", "none (every stored item is in its deck)")


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _list_on_terminal(rows: Sequence[ItemRow], all_cells: list[tuple[str, ...]], header: tuple[str, ...],
                      console: Any) -> None:
    """Numbers and dates keep their width; on a narrow terminal the headers shorten first, then the id
    is cut with an ellipsis; the text column is shown only when there is room for it. Below ~60
    columns a table no longer fits: one short block per item instead."""
    from rich import box
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    short = ("id", "type", "state", "due", "stab", "diff", "revs", "laps", "text")
    id_width = max([2] + [len(c[0]) for c in all_cells])
    for names in (header, short):
        widths = [max([len(name)] + [len(c[i]) for c in all_cells]) for i, name in enumerate(names)]
        fixed = sum(widths[1:-1]) + 2 * (len(names) - 2)
        if console.width - fixed >= min(id_width, 16):
            break
    else:
        for row, c in zip(rows, all_cells):
            console.print(Text(c[0], style="bold dim" if row.suspended else "bold"))
            details = Text(
                f"{c[1]} · {c[2]} · due {c[3]} · stability {c[4]} · difficulty {c[5]} · "
                f"{plural(row.reps, 'review')} · {plural(row.lapses, 'lapse')}"
            )
            console.print(Padding(details, (0, 0, 0, 2)))  # wrapped lines stay indented under the id
        return
    show_text = console.width - fixed - id_width - 2 >= 20
    widths[0] = max(4, min(id_width, console.width - fixed))
    if show_text:
        widths[-1] = console.width - fixed - widths[0] - 2
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for i, name in enumerate(names if show_text else names[:-1]):
        table.add_column(name, justify="right" if 4 <= i <= 7 else "left", no_wrap=True, overflow="ellipsis",
                         width=widths[i])
    for row, row_cells in zip(rows, all_cells):
        shown = row_cells if show_text else row_cells[:-1]
        table.add_row(*(Text(c) for c in shown), style="dim" if row.suspended else "")
    console.print(table)


def render_list(rows: Sequence[ItemRow], orphans: Sequence[ItemRow], console: Any) -> None:
    """The item table of `quiz list`: a rich table on a terminal, plain aligned columns otherwise.

    A suspended or buried item shows that in the state column (like Anki's browser shows it in place of
    the due date); `--json` has both the scheduling state and the flags."""
    from rich.text import Text

    header = ("id", "type", "state", "due", "stability", "difficulty", "reviews", "lapses", "text")

    def cells(row: ItemRow) -> tuple[str, ...]:
        state = "suspended" if row.suspended else "buried" if row.buried else row.state
        return (
            row.label,
            row.type,
            state,
            row.due_label,
            "-" if row.stability is None else f"{row.stability:.1f}d",
            _number(row.difficulty),
            str(row.reps),
            str(row.lapses),
            printable_line(row.text),
        )

    all_cells = [cells(row) for row in rows]
    if console.is_terminal:
        _list_on_terminal(rows, all_cells, header, console)
    else:
        # plain: columns aligned with spaces, nothing truncated (scripts should prefer --json)
        table_rows = [header] + all_cells
        widths = [max(len(r[i]) for r in table_rows) for i in range(len(header) - 1)]
        for r in table_rows:
            text = "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]
            console.print(Text(text.rstrip()), soft_wrap=True)
    if orphans:
        console.print(
            Text(
                f"Orphaned history: {plural(len(orphans), 'item')} whose card is no longer in the deck: "
                + ", ".join(o.label for o in orphans)
            ),
            soft_wrap=not console.is_terminal,
        )


def render_leeches(rows: Sequence["LeechRow"], threshold: int, console: Any) -> None:
    """`Leeches (8+ lapses): re-read their sources, then rewrite or suspend them`, one line per item:
    `  who · 9 lapses · 003_x.txt, 004_y.txt · Who replaced Dmitry Rogozin?` (deck text made printable)."""
    if not rows:
        return
    console.print()
    console.print(f"Leeches ({threshold}+ lapses): re-read their sources, then rewrite or suspend them",
                  style="bold", markup=False, highlight=False)
    for row in rows:
        parts = [printable_line(row.label), plural(row.lapses, "lapse")]
        if row.suspended:
            parts.append("suspended")
        parts += [", ".join(printable_line(s) for s in row.sources), printable(row.text)]
        console.print("  " + " · ".join(parts), markup=False, highlight=False)
