"""`quiz test`: a printable practice test. One self-contained HTML page (no script, no request): a name and
date header, the numbered questions with room to answer (lines to write on, a box per choice), and, on a
page of its own when printed, the answer key with each answer's evidence (source label, quote, line).

Which items: the review items (a card, or one gap of a cloze card) of the cards left after `--tag` and
`--source`, picked in turns from groups of the same first-cited source and card type, the groups and their
items shuffled by `random.Random(seed)` -- so a test mixes the articles and the kinds of question, and the
same seed gives the same test. Every text from the deck is HTML-escaped.

`--pdf` prints the page through headless Chromium (Playwright for Python and a Chromium), or says what is
missing. Errors are `QuizError`s; files go through `quiz.files.write_output`.
"""

from __future__ import annotations

import html
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from quiz.errors import UsageError
from quiz.files import InUse, deck_files, write_output
from quiz.model import CLOZE_GAP, Card, CardType, Deck, source_key

PAPERS = {"a4": "A4", "letter": "Letter"}


@dataclass(frozen=True)
class Item:
    card: Card
    gap: int  # 0 for an ordinary card, N for gap N of a cloze card


def pick(deck: Deck, count: int, seed: int, tag: str | None = None, source: str | None = None) -> list[Item]:
    """`count` review items, stratified over (first cited source, card type), reproducible by `seed`."""
    if count < 1:
        raise UsageError(f"--count must be at least 1, got {count}")
    cards = [c for c in deck.cards if (tag is None or tag in c.tags)
             and (source is None or any(source_key(x.source) == source_key(source) for x in c.cite))]
    if not cards:
        wanted = " and ".join(w for w in (f"tag {tag!r}" if tag else "", f"source {source!r}" if source else "") if w)
        raise UsageError(f"no card of {deck.path} has {wanted}")
    groups: dict[tuple[str, str], list[Item]] = {}
    for card in cards:
        key = (source_key(card.cite[0].source) if card.cite else "", card.type.value)
        groups.setdefault(key, []).extend(Item(card, gap) for gap in card.items)
    rng = random.Random(seed)
    order = sorted(groups)
    rng.shuffle(order)
    for key in order:
        rng.shuffle(groups[key])
    picked: list[Item] = []
    while len(picked) < count and any(groups[k] for k in order):
        for key in order:
            if groups[key] and len(picked) < count:
                picked.append(groups[key].pop())
    return picked


def _blank(card: Card, gap: int) -> str:
    """The cloze text, escaped, with gap `gap` as a blank to write in and the other gaps filled in."""
    out, last = [], 0
    for number, m in enumerate(CLOZE_GAP.finditer(card.text), 1):
        out.append(html.escape(card.text[last:m.start()]))
        if number == gap:
            hint = f" ({html.escape(m.group(2).strip())})" if m.group(2) else ""
            out.append(f'<span class="blank"></span>{hint}')
        else:
            out.append(html.escape(m.group(1).strip()))
        last = m.end()
    out.append(html.escape(card.text[last:]))
    return "".join(out)


def _question(number: int, item: Item) -> str:
    card = item.card
    if card.type is CardType.CLOZE:
        prompt = f"Fill in the blank: {_blank(card, item.gap)}"
    else:
        prompt = html.escape(card.question)
    if card.type is CardType.CHOICE:
        room = '<ul class="boxes">' + "".join(f"<li>{html.escape(c)}</li>" for c in card.choices) + "</ul>"
    elif card.type is CardType.TRUEFALSE:
        room = '<ul class="boxes tf"><li>True</li><li>False</li></ul>'
    else:
        lines = 3 if card.type is CardType.FLIP else 1 if card.type is CardType.CLOZE else 2
        room = '<div class="lines">' + '<div class="line"></div>' * lines + "</div>"
    return f'<li class="question" value="{number}"><p class="prompt">{prompt}</p>{room}</li>'


def _evidence(deck: Deck, card: Card, sources: object) -> str:
    from quiz.citations import locate

    rows = []
    for citation in card.cite:
        where = locate(sources, citation, explain=False)  # type: ignore[arg-type]
        line = f", line {where.line}" if where.ok else ""
        rows.append(f'<div class="evidence">{html.escape(deck.label(citation.source))}{line}: '
                    f'“{html.escape(citation.quote)}”</div>')
    return "".join(rows)


def _answer(card: Card, gap: int) -> str:
    if card.type is CardType.TRUEFALSE:
        return "True" if card.answer.strip().lower() == "true" else "False"
    answer = html.escape(card.expected(gap))
    if card.accept:
        answer += ' <span class="accept">(also: ' + ", ".join(html.escape(a) for a in card.accept) + ")</span>"
    return answer


def render(deck: Deck, items: list[Item], seed: int) -> str:
    from quiz.citations import Sources

    sources = Sources(deck)
    title = html.escape(deck.title)
    questions = "\n".join(_question(n, item) for n, item in enumerate(items, 1))
    key = "\n".join(f'<li value="{n}"><p class="answer">{_answer(item.card, item.gap)}</p>'
                    f"{_evidence(deck, item.card, sources)}</li>" for n, item in enumerate(items, 1))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}: practice test</title>
<style>
/* A4 and Letter: the page's own size; margins and a column narrow enough for both. */
@page {{ margin: 16mm 15mm; }}
body {{ font: 11pt/1.45 Georgia, "Times New Roman", serif; color: #000; max-width: 180mm; margin: 1.5em auto; }}
header {{ border-bottom: 2px solid #000; margin-bottom: 1em; }}
h1 {{ font-size: 16pt; margin: 0 0 .3em; }}
.fields {{ display: flex; gap: 2em; margin: .6em 0 .8em; }}
.fields span {{ flex: 1; border-bottom: 1px solid #000; padding-top: 1.2em; }}
.meta {{ font-size: 9pt; color: #444; }}
ol {{ padding-left: 1.8em; }}
.question {{ margin-bottom: 1em; break-inside: avoid; }}
.prompt {{ margin: 0 0 .4em; }}
.blank {{ display: inline-block; width: 9em; border-bottom: 1px solid #000; }}
.lines .line {{ border-bottom: 1px solid #777; height: 2em; }}
.boxes {{ list-style: none; padding: 0; margin: 0; }}
.boxes li {{ margin: .25em 0; }}
.boxes li::before {{ content: ""; display: inline-block; width: .9em; height: .9em; border: 1.5px solid #000;
  margin-right: .6em; vertical-align: -.1em; }}
.boxes.tf li {{ display: inline-block; margin-right: 2.5em; }}
#key {{ break-before: page; }}
#key li {{ margin-bottom: .7em; break-inside: avoid; }}
.answer {{ margin: 0; font-weight: bold; }}
.accept {{ font-weight: normal; font-size: 9.5pt; }}
.evidence {{ font-size: 9.5pt; color: #333; margin-left: 1em; }}
@media screen {{ #key {{ border-top: 3px double #000; margin-top: 2em; padding-top: 1em; }} }}
</style></head>
<body>
<header><h1>{title}</h1>
<div class="fields"><span>Name:</span><span>Date:</span></div>
<p class="meta">Practice test: {len(items)} question{"s" if len(items) != 1 else ""} (seed {seed}).</p></header>
<main><ol class="questions">
{questions}
</ol></main>
<section id="key"><h2>Answer key</h2>
<ol>
{key}
</ol></section>
</body></html>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(page: str, paper: str) -> bytes:
    """The page printed by headless Chromium, or a UsageError saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise UsageError("--pdf needs Playwright for Python (pip install playwright) and Chromium; "
                         "or open the HTML page and print it from a browser") from None
    browser_path = _chromium()
    if browser_path is None:
        raise UsageError("--pdf needs Chromium (e.g. apt-get install chromium); "
                         "or open the HTML page and print it from a browser")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path,
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            try:
                tab = browser.new_page()
                tab.set_content(page)
                return tab.pdf(format=PAPERS[paper], print_background=True)
            finally:
                browser.close()
    except Exception as error:  # Playwright's errors have no common public base to name
        raise UsageError(f"--pdf: Chromium could not print the page ({str(error).splitlines()[0]})") from None


def write_test(deck: Deck, out: Path, count: int, seed: int, tag: str | None = None, source: str | None = None,
               pdf: bool = False, paper: str = "a4", force: bool = False, in_use: Iterable[InUse] = ()) -> int:
    """Write the practice test (HTML, or PDF with `pdf`) to `out`; returns the number of questions."""
    if paper not in PAPERS:
        raise UsageError(f"unknown paper {paper!r}; use a4 or letter")
    items = pick(deck, count, seed, tag, source)
    page = render(deck, items, seed)
    data = to_pdf(page, paper) if pdf else page.encode("utf-8")
    write_output(out, lambda target: target.write(data), force=force,
                 in_use=[*deck_files(deck, "the deck of the test"), *in_use])
    return len(items)
