"""`quiz test`: the printable practice test. Which items it picks (stratified, reproducible, filtered), that
deck text stays text, and, in headless Chromium, that the page renders, the answer key starts on its own
printed page, and a screenshot and a PDF are made. Under CI=true a missing browser fails the browser test;
elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from browser import CHROMIUM, playwright_or_skip
from typer.testing import CliRunner

from quiz.cli import app
from quiz.deck import load_deck
from quiz.paper import pick, render

ROOT = Path(__file__).resolve().parents[1]
ISS = ROOT / "decks" / "iss.yaml"
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def test_pick_is_reproducible_and_stratified_over_sources_and_types() -> None:
    deck = load_deck(ISS)
    first = pick(deck, 12, seed=7)
    assert [(i.card.id, i.gap) for i in first] == [(i.card.id, i.gap) for i in pick(deck, 12, seed=7)]
    assert [(i.card.id, i.gap) for i in first] != [(i.card.id, i.gap) for i in pick(deck, 12, seed=8)]
    assert len({(i.card.id, i.gap) for i in first}) == 12
    groups = {(i.card.cite[0].source, i.card.type) for i in first}
    all_groups = {(c.cite[0].source, c.type) for c in deck.cards}
    # Taken in turns: 12 items from 12 different groups while there are at least 12 groups.
    assert len(groups) == min(12, len(all_groups))
    every = pick(deck, 10_000, seed=1)
    assert len(every) == sum(len(c.items) for c in deck.cards)


def test_pick_filters_by_tag_and_source() -> None:
    deck = load_deck(ISS)
    tagged = pick(deck, 100, seed=1, tag="discrepancies")
    assert tagged and all("discrepancies" in i.card.tags for i in tagged)
    source = "./002_b5d5ee54d9a87101.txt"
    cited = pick(deck, 100, seed=1, source=source)
    assert cited and all(any(c.source.endswith("002_b5d5ee54d9a87101.txt") for c in i.card.cite) for i in cited)
    result = CliRunner().invoke(app, ["test", str(ISS), "--tag", "no-such-tag", "-o", "unused.html"])
    assert result.exit_code == 2 and "no card of" in result.output and not Path("unused.html").exists()


def _hostile_deck(tmp_path: Path) -> Path:
    (tmp_path / "src.txt").write_text(f"first line\nthe quote {HOSTILE} here\n", encoding="utf-8")
    deck = tmp_path / "hostile.yaml"
    q = HOSTILE.replace('"', '\\"')
    deck.write_text(f"""id: hostile
title: "T {q}"
sources: .
source_info:
  src.txt: {{label: "L {q}"}}
cards:
  - id: c
    type: choice
    question: "Q {q}"
    answer: "A {q}"
    choices: ["A {q}", "B"]
    cite: [{{source: src.txt, quote: "the quote {q} here"}}]
  - id: z
    type: cloze
    text: "Gap {{{{G {q}::H {q}}}}} end"
    cite: [{{source: src.txt, quote: "the quote {q} here"}}]
""", encoding="utf-8")
    return deck


def test_the_page_escapes_deck_text_and_cites_the_line(tmp_path: Path) -> None:
    deck = load_deck(_hostile_deck(tmp_path))
    page = render(deck, pick(deck, 5, seed=1), seed=1)
    assert "<script>window" not in page and "<img" not in page
    assert page.count("&lt;script&gt;") >= 5
    assert "L &lt;img" in page and ", line 2: “the quote &lt;img" in page
    assert Counter(re.findall(r'<li class="question"', page))['<li class="question"'] == 2


def test_the_test_prints_with_the_key_on_its_own_page(tmp_path: Path) -> None:
    sync_playwright = playwright_or_skip()
    deck = _hostile_deck(tmp_path)
    one = tmp_path / "one.html"
    result = CliRunner().invoke(app, ["test", str(deck), "-n", "1", "--seed", "3", "-o", str(one)])
    assert result.exit_code == 0, result.output
    full = tmp_path / "iss.html"
    result = CliRunner().invoke(app, ["test", str(ISS), "-n", "12", "--seed", "3", "-o", str(full)])
    assert result.exit_code == 0, result.output
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(full.resolve().as_uri())
            assert page.locator("li.question").count() == 12
            assert page.locator("#key li").count() == 12
            assert page.locator(".fields").inner_text().split() == ["Name:", "Date:"]
            page.emulate_media(media="print")
            assert page.evaluate("getComputedStyle(document.getElementById('key')).breakBefore") == "page"
            shot = tmp_path / "practice-test.png"
            page.screenshot(path=str(shot))
            pdf = tmp_path / "practice-test.pdf"
            pdf.write_bytes(page.pdf(format="Letter"))
            assert shot.stat().st_size > 10_000 and pdf.read_bytes().startswith(b"%PDF")
            # One question fits on a page: two printed pages mean the key starts a page of its own.
            page.goto(one.resolve().as_uri())
            assert page.evaluate("window.pwned") is None and not errors
            pages = len(re.findall(rb"/Type\s*/Page\b", page.pdf(format="A4")))
            assert pages == 2
        finally:
            browser.close()
    print(f"screenshot: {shot}")


def test_pdf_option_writes_a_pdf(tmp_path: Path) -> None:
    playwright_or_skip()
    out = tmp_path / "t.pdf"
    result = CliRunner().invoke(app, ["test", str(ISS), "-n", "3", "--seed", "1", "--pdf", "--paper", "letter",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_pdf_without_chromium_says_what_is_missing_and_writes_nothing(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on the PATH
    out = tmp_path / "t.pdf"
    result = CliRunner().invoke(app, ["test", str(ISS), "-n", "3", "--seed", "1", "--pdf", "-o", str(out)])
    assert result.exit_code == 2
    assert "--pdf needs" in result.output and "print it from a browser" in result.output
    assert not out.exists()
