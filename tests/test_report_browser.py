"""`quiz class report --html`, opened in a real browser: headless Chromium (Debian's `chromium`, which
`.ci/run` installs when missing) driven by Playwright for Python.

Asserts what a person sees: the tables' rows and numbers, the three charts, sorting by clicking a header,
hostile typed answers shown as text; and that the page logs no console error and makes no request but
for itself. Saves a screenshot and prints its path. Under CI=true a missing browser fails the test;
elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import html
import os
import sqlite3
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from browser import CHROMIUM, playwright_or_skip

from quiz.model import ItemState, Review, State, Verdict
from quiz.store import Store

ROOT = Path(__file__).resolve().parents[1]
DECK_FILE = ROOT / "tests" / "decks" / "valid_all_types.yaml"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
HOSTILE = '<img src="http://example.invalid/x.png" onerror="window.pwned=1"><script>window.pwned=2</script>'
ITEMS = [("rogozin-successor", 0), ("ross-cost", 0), ("nasa-notice", 0), ("exit-cloze", 1), ("exit-cloze", 2),
         ("first-module", 0)]


def _answer(deck: str, card: str, gap: int, at: datetime, right: bool, text: str, seconds: float) -> Review:
    after = ItemState(State.REVIEW, None, 3.0 if right else 0.5, 5.0, at + timedelta(days=3), at, 1, 0)
    return Review(deck=deck, card=card, gap=gap, reviewed_at=at, rating=3 if right else 1,
                  verdict=Verdict.CORRECT if right else Verdict.WRONG, answer=text,
                  duration_ms=int(seconds * 1000), before=ItemState(), after=after, interval_days=3.0)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight students; student i gets item j right first time when (i + j) % 3 != 0 (with a twist for the
    last two items so their numbers differ); one student's name and wrong answers are hostile HTML."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "class.db"
    names = [f"student-{i:02d}" for i in range(8)]
    for i, name in enumerate(names):
        with Store(db, name) as store:
            for j, (card, gap) in enumerate(ITEMS):
                right = (i + j) % 3 != 0 if j < 4 else i % (j - 2) == 0
                text = "" if card == "first-module" else ("right" if right else (HOSTILE if i == 7 else "2028"))
                store.record(_answer("all-types", card, gap, NOW - timedelta(days=2, minutes=j), right, text, 2 + j))
    # quiz refuses such a profile name; a history written by another program may still hold one.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE profiles SET name = ? WHERE name = 'student-07'", (HOSTILE,))
    conn.close()
    page = folder / "report.html"
    env = dict(os.environ, NO_COLOR="1", QUIZ_NOW=NOW.isoformat(), TZ="UTC")
    out = subprocess.run([sys.executable, "-m", "quiz", "class", "report", str(DECK_FILE), "--db", str(db),
                          "--html", str(page), "--exam", "2026-12-01"], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    return page


def test_the_page_shows_the_report_sorts_and_stays_offline(page_file: Path, tmp_path: Path) -> None:
    sync_playwright = playwright_or_skip()
    url = page_file.resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("load")

            # What a person reads: the recommendation, each table's rows and numbers.
            assert page.inner_text("#recommendation").startswith("re-teach ")
            students = page.locator("#students tbody tr")
            assert students.count() == 8
            profiles = [students.nth(i).locator("td").first.inner_text() for i in range(8)]
            assert HOSTILE in profiles  # shown as text, not run as markup
            questions = page.locator("#questions tbody tr")
            assert questions.count() == 6
            first_row = [c.strip() for c in questions.first.locator("td").all_inner_texts()]
            # hardest first: first-module (student i right when i % 3 == 0: 3 of 8 -> 38%)
            assert first_row[0].startswith("first-module") and first_row[1:3] == ["8", "38%"]
            cloze = page.locator("#questions tbody tr", has_text="exit-cloze#1")
            assert "2028\u00a0×" in cloze.inner_text()  # the answer and its count kept together
            assert page.locator("#sources tbody tr").count() == 4

            # The charts, drawn inline.
            with_discrimination = [v for v in page.locator("#questions tbody tr td:nth-child(4)").all_inner_texts()
                                   if v.strip()]
            assert page.locator("#chart-scatter circle.point").count() == len(with_discrimination) >= 4
            assert page.locator("#chart-students rect.bar").count() == 8
            assert page.locator("#chart-sources rect.bar").count() == 4

            # Sorting by clicking a header: the profile column, then the numeric facility column.
            header = page.locator("#students thead th", has_text="profile")
            header.click()
            shown = page.locator("#students tbody tr td:first-child").all_inner_texts()
            assert shown == sorted(shown, key=str.lower)
            header.click()
            assert page.locator("#students tbody tr td:first-child").all_inner_texts() == sorted(shown, key=str.lower,
                                                                                                 reverse=True)
            page.locator("#questions thead th", has_text="facility").click()
            facility = [float(v.strip("%")) for v in page.locator("#questions tbody tr td:nth-child(3)").all_inner_texts()]
            assert facility == sorted(facility) and facility[-1] > facility[0]

            # Hostile answers and names stayed text: no image loaded, no script ran.
            assert page.evaluate("window.pwned === undefined")
            assert page.locator("img").count() == 0 and page.locator("script").count() == 1

            shot = tmp_path / "class-report.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot of the class report page: {shot}")
            keep = os.environ.get("QUIZ_SCREENSHOT")  # e.g. docs/class-report.png, to refresh the README's
            if keep:
                shutil.copyfile(shot, keep)
        finally:
            browser.close()
    assert errors == []
    assert requests and all(u == url or u.startswith("data:") for u in requests), requests


def test_the_page_is_self_contained(page_file: Path) -> None:
    text = page_file.read_text(encoding="utf-8")
    escaped = html.escape(HOSTILE, quote=True)
    assert escaped in text and HOSTILE not in text
    # The only addresses: the SVG namespace, and the hostile answer's, shown as escaped text.
    for found in re.finditer("https?://", text):
        assert text.startswith("http://www.w3.org/2000/svg", found.start()) or text[:found.start()].endswith("&quot;")
    assert "<link" not in text and "@import" not in text
    assert "Content-Security-Policy" in text
