"""`quiz class report --html FILE`: the class report as one self-contained page.

One file a teacher can open offline, e-mail or put on a shared drive: styles and the sorting script are
inline, the charts are SVG drawn here, and a Content-Security-Policy forbids the page any request at all
(no fonts, images or scripts from elsewhere, even if some text slipped through). Every string from a
deck, a profile name or a typed answer goes through `_h` (HTML-escaped). Tables sort by clicking a
header; the page prints in black on white with the charts kept whole.
"""

from __future__ import annotations

import html

from quiz.report import ClassReport, QuestionRow

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

_STYLE = """
:root { --ink: #1d2433; --muted: #5b6473; --line: #d7dbe2; --bad: #b42318; --good: #1a7f37; --bar: #3b6fd4; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: var(--muted); margin: 0 0 12px; }
.advice { font-size: 16px; font-weight: 600; padding: 10px 14px; border-left: 4px solid var(--bad);
          background: #fdf3f2; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
th { cursor: pointer; user-select: none; background: #f4f6f9; white-space: nowrap; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
.flag { display: inline-block; padding: 0 6px; border-radius: 8px; background: #fde8e6; color: var(--bad);
        font-size: 12px; margin: 1px 2px 1px 0; white-space: nowrap; }
.orphan td { color: var(--muted); }
.q { color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  th { cursor: auto; background: none; }
  .advice { background: none; }
  tr, figure { break-inside: avoid; }
}
"""

# Sorting: by the cell's data-sort (numbers) or its text; blanks last either way.
_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    th.tabIndex = 0;
    function sort() {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.classList.contains("n");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[column];
        var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
        if (raw === "") return null;
        return numeric ? parseFloat(raw) : raw.toLowerCase();
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return (x === null) - (y === null);
        var order = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
});
"""


def _h(text: object) -> str:
    """Text for the page: every character HTML gives a meaning to escaped (quotes too)."""
    return html.escape(str(text), quote=True)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _sort_value(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _cell(text: str, sort: float | None = None, numeric: bool = True) -> str:
    attribute = f' data-sort="{_sort_value(sort)}"' if numeric else ""
    return f'<td class="n"{attribute}>{_h(text)}</td>' if numeric else f"<td>{_h(text)}</td>"


def _wrong_answers(row: QuestionRow) -> str:
    """"2028 ×7, 2030 ×3", each answer kept on one line with its count."""
    return ", ".join(f"{_h(w.answer)}&nbsp;\u00d7{w.count}" for w in row.wrong_answers)


def _head(columns: list[tuple[str, bool]]) -> str:
    cells = "".join(f'<th class="n" scope="col">{_h(name)}</th>' if numeric else f'<th scope="col">{_h(name)}</th>'
                    for name, numeric in columns)
    return f"<thead><tr>{cells}</tr></thead>"


# ---------------------------------------------------------------------------------------------- charts


def _scatter(questions: tuple[QuestionRow, ...]) -> str:
    """Facility (x) against discrimination (y); items without a discrimination are left out."""
    width, height, left, bottom, top, right = 360, 260, 40, 34, 10, 12
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(value: float) -> float:
        return left + value * plot_w

    def y(value: float) -> float:
        return top + (1 - (value + 1) / 2) * plot_h

    parts = [f'<svg id="chart-scatter" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'xmlns="http://www.w3.org/2000/svg" aria-label="facility against discrimination per question">',
             f'<rect x="{x(0):.1f}" y="{y(1):.1f}" width="{x(0.3) - x(0):.1f}" height="{plot_h}" fill="#fde8e6"/>',
             f'<rect x="{x(0):.1f}" y="{y(0):.1f}" width="{plot_w}" height="{y(-1) - y(0):.1f}" fill="#fff4e5"/>',
             f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#999"/>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>']
    for tick in (0, 0.5, 1):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 14}" text-anchor="middle">{tick:g}</text>')
    for tick in (-1, 0, 1):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">facility</text>')
    parts.append(f'<text x="10" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 10 {top + plot_h / 2:.1f})">discrimination</text>')
    for q in questions:
        if q.facility is None or q.discrimination is None:
            continue
        colour = "#b42318" if q.flags and not q.orphan else "#3b6fd4"
        parts.append(f'<circle class="point" cx="{x(q.facility):.1f}" cy="{y(q.discrimination):.1f}" r="4" '
                     f'fill="{colour}" fill-opacity="0.75"><title>{_h(q.label)}: facility '
                     f'{_percent(q.facility)}, discrimination {q.discrimination:+.2f}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _bars(chart_id: str, label: str, rows: list[tuple[str, float | None]]) -> str:
    """Horizontal bars, 0-100%, one per row (a missing value draws no bar)."""
    longest = max((min(len(name), 24) for name, _ in rows), default=8)
    bar_h, gap, name_w, plot_w = 12, 3, int(12 + 6.6 * longest), 200
    height = max(1, len(rows)) * (bar_h + gap) + 20
    width = name_w + plot_w + 50
    parts = [f'<svg id="{chart_id}" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{_h(label)}">']
    for i, (name, value) in enumerate(rows):
        top = i * (bar_h + gap)
        short = name if len(name) <= 24 else name[:23] + "\u2026"
        parts.append(f'<text x="{name_w - 6}" y="{top + bar_h - 2}" text-anchor="end">{_h(short)}</text>')
        parts.append(f'<rect x="{name_w}" y="{top}" width="{plot_w}" height="{bar_h}" fill="#eef1f5"/>')
        if value is not None:
            parts.append(f'<rect class="bar" x="{name_w}" y="{top}" width="{value * plot_w:.1f}" height="{bar_h}" '
                         f'fill="#3b6fd4"><title>{_h(name)}: {_percent(value)}</title></rect>')
            parts.append(f'<text x="{name_w + plot_w + 4}" y="{top + bar_h - 2}">{_percent(value)}</text>')
    axis = len(rows) * (bar_h + gap) + 12
    for tick in (0, 0.5, 1):
        parts.append(f'<text x="{name_w + tick * plot_w:.1f}" y="{axis}" text-anchor="middle">{tick * 100:.0f}%</text>')
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------------------------- page


def render_html(report: ClassReport) -> str:
    exam = report.exam
    score_name = "expected score" if exam else "recall now"
    when = report.now.astimezone().strftime("%Y-%m-%d %H:%M")
    meta = f"{len(report.students)} students · {sum(not q.orphan for q in report.questions)} items · as of {when}"
    if exam:
        meta += f" · exam {exam.astimezone().strftime('%Y-%m-%d %H:%M')}"

    questions = ['<table id="questions" class="sortable">', _head([
        ("item", False), ("students", True), ("facility", True), ("discrimination", True), ("lapse rate", True),
        ("median time", True), ("most common wrong answers", False), ("flags", False)]), "<tbody>"]
    for q in report.questions:
        flags = "".join(f'<span class="flag">{_h(f)}</span>' for f in q.flags)
        text = f'<div class="q">{_h(q.text)}</div>' if q.text else ""
        questions.append(
            f'<tr{" class=orphan" if q.orphan else ""}><td>{_h(q.label)}{text}</td>'
            + _cell(str(q.students), q.students)
            + _cell(_percent(q.facility), q.facility)
            + _cell("" if q.discrimination is None else f"{q.discrimination:+.2f}", q.discrimination)
            + _cell(_percent(q.lapse_rate), q.lapse_rate)
            + _cell("" if q.median_seconds is None else f"{q.median_seconds:.1f} s", q.median_seconds)
            + f"<td>{_wrong_answers(q)}</td><td>{flags}</td></tr>")
    questions.append("</tbody></table>")

    students = ['<table id="students" class="sortable">', _head([
        ("profile", False), ("seen", True), ("due now", True), ("last studied", False), ("retention (30 d)", True),
        (score_name, True)]), "<tbody>"]
    for s in report.students:
        score = s.expected_score if exam else s.recall_now
        last = s.last_studied.astimezone().strftime("%Y-%m-%d") if s.last_studied else "never"
        students.append(
            f"<tr><td>{_h(s.profile)}</td>"
            + _cell(f"{s.seen}/{s.total}", s.seen)
            + _cell(str(s.due), s.due)
            + f"<td>{_h(last)}</td>"
            + _cell(_percent(s.retention), s.retention)
            + _cell(_percent(score), score) + "</tr>")
    students.append("</tbody></table>")

    sources = ['<table id="sources" class="sortable">', _head([
        ("source", False), ("items", True), ("facility", True), ("recall now", True)]), "<tbody>"]
    for r in report.sources:
        sources.append(f"<tr><td>{_h(r.source)}</td>" + _cell(str(r.items), r.items)
                       + _cell(_percent(r.facility), r.facility) + _cell(_percent(r.retrievability), r.retrievability)
                       + "</tr>")
    sources.append("</tbody></table>")

    charts = [
        f"<figure><figcaption>Questions: facility against discrimination</figcaption>{_scatter(report.questions)}"
        "</figure>",
        f"<figure><figcaption>{_h(score_name.capitalize())} per student</figcaption>"
        + _bars("chart-students", f"{score_name} per student",
                [(s.profile, s.expected_score if exam else s.recall_now) for s in report.students]) + "</figure>",
        "<figure><figcaption>Mastery per source (first-attempt facility)</figcaption>"
        + _bars("chart-sources", "facility per source", [(r.source, r.facility) for r in report.sources])
        + "</figure>",
    ]

    return "".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Class report: {_h(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Class report: {_h(report.title)}</h1>",
        f'<p class="meta">Deck {_h(report.deck)} · {_h(meta)}</p>',
        f'<p class="advice" id="recommendation">{_h(report.recommendation)}</p>',
        '<section><h2>Charts</h2><div class="charts">', *charts, "</div></section>",
        "<section><h2>Questions (hardest first)</h2>",
        '<p class="meta">Facility: share of first attempts answered correctly. Discrimination: how much better '
        "the students who got it right did on the other questions (blank below 5 students). Click a header to "
        "sort.</p>",
        *questions, "</section>",
        "<section><h2>Students (most at risk first)</h2>", *students, "</section>",
        "<section><h2>Sources</h2>", *sources, "</section>",
        f"<script>{_SCRIPT}</script></body></html>\n",
    ])
