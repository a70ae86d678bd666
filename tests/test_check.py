"""`quiz check` end to end: exit codes, exact messages, --json, --strict, --fix, NO_COLOR."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from quiz.cli import app

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
S000 = "000_56db16ce61149816.txt"
S001 = "001_47f2f9f2b89161a3.txt"
S003 = "003_21e2480842a6230d.txt"

HEAD = """\
title: Test deck
sources: ../seeds
cards:
"""

GOOD_CARD = """\
  - id: successor
    question: Who replaced Dmitry Rogozin as head of Roscosmos?
    answer: Yuri Borisov
    accept: [Yuri Borissov]
    cite:
      - source: 003_21e2480842a6230d.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "decks").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def deck(project: Path, body: str, name: str = "t.yaml") -> Path:
    path = project / "decks" / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------------- the real decks


@pytest.mark.skipif(not (REPO / "decks" / "iss.yaml").exists(), reason="decks/iss.yaml not written yet")
def test_repo_decks_pass_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = run("--strict")
    assert (code, err) == (0, ""), out
    assert out.startswith("decks/iss.yaml: ")
    assert "missing" not in out and "warning" not in out


# ---------------------------------------------------------------------------------------- all good


def test_all_good_is_one_line(project: Path) -> None:
    deck(project, GOOD_CARD)
    code, out, err = run()
    assert code == 0 and err == ""
    assert out == "decks/t.yaml: 1 citation — 1 exact · 1 card supported · 1 of 5 sources cited\n" + (
        "  cards per source (seeds): 003_21e2480842a6230d.txt 1\n"
        "  not cited: 000_56db16ce61149816.txt, 001_47f2f9f2b89161a3.txt, 002_b5d5ee54d9a87101.txt, "
        "004_04ab37866c9a9a74.txt\n"
    )


def test_normalized_counts_as_verified(project: Path) -> None:
    deck(
        project,
        GOOD_CARD
        + """\
  - id: chief
    type: flip
    question: Which post did Borisov get?
    answer: head of Roscosmos
    cite:
      - source: 000_56db16ce61149816.txt
        quote: "head of Moscow's space corporation ROSCOSMOS"
""",
    )
    code, out, _ = run("-v")
    assert code == 0
    assert out.splitlines()[:2] == [
        "decks/t.yaml: 2 citations — 1 exact, 1 normalized · 1 card supported · 2 of 5 sources cited",
        f"decks/t.yaml:16:9: card chief: normalized (quotes, case) at {S000}:2:59",
    ]


# ------------------------------------------------------------------------------------------ failures

WRONG_QUOTE = """\
  - id: invasion
    question: When did Russia invade Ukraine, per the report?
    answer: earlier this year
    cite:
      - source: 001_47f2f9f2b89161a3.txt
        quote: "Russia invaded Ukraine earlier this year"   # keep this comment
"""


def test_wrong_quote_shows_closest_passage_score_and_diff(project: Path) -> None:
    deck(project, WRONG_QUOTE)
    code, out, err = run("decks/t.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines()[:5] == [
        "decks/t.yaml: 1 citation — 1 missing · 1 card supported · 1 of 5 sources cited",
        f"decks/t.yaml:9:16: card invasion: quote not found in {S001}",
        "  quote:   Russia invaded Ukraine earlier this year",
        f"  closest: {S001}:12:121 (score 98): Russia invaded Ukraine earklier this year",
        "  diff:    Russia invaded Ukraine [-earlier-]{+earklier+} this year",
    ]


def test_wrong_file_is_named(project: Path) -> None:
    deck(
        project,
        """\
  - id: successor
    question: Who replaced Dmitry Rogozin as head of Roscosmos?
    answer: Yuri Borissov
    cite:
      - {source: 000_56db16ce61149816.txt, quote: Yuri Borissov replaced Dmitri Rogozin}
""",
    )
    code, out, _ = run()
    assert code == 1
    assert out.splitlines()[1:3] == [
        f"decks/t.yaml:8:51: card successor: quote not found in {S000} "
        f"(found in {S003}:11:42: wrong file cited?)",
        "  quote:   Yuri Borissov replaced Dmitri Rogozin",
    ]


def test_missing_source_file(project: Path) -> None:
    deck(
        project,
        """\
  - id: successor
    type: flip
    question: Who?
    answer: Borisov
    cite:
      - source: 003_21e2480842a6230d.text
        quote: Yuri Borissov replaced Dmitri Rogozin
""",
    )
    code, out, _ = run()
    assert code == 1
    assert out.splitlines()[1] == (
        "decks/t.yaml:9:9: card successor: source file '003_21e2480842a6230d.text' not found in the sources "
        "folder seeds (did you mean '003_21e2480842a6230d.txt'?)"
    )


def test_parent_path_is_refused(project: Path) -> None:
    (project / "secret.txt").write_text("Yuri Borissov replaced Dmitri Rogozin", encoding="utf-8")
    deck(
        project,
        """\
  - id: successor
    type: flip
    question: Who?
    answer: Borisov
    cite:
      - source: ../secret.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
""",
    )
    code, out, err = run()
    # The loader already refuses a lexical escape (invalid deck); check would refuse it otherwise.
    assert code in (1, 2)
    assert "../secret.txt" in (err if code == 2 else out)
    assert "exact" not in out


def test_symlink_escape_is_refused(project: Path) -> None:
    (project / "secret.txt").write_text("Yuri Borissov replaced Dmitri Rogozin", encoding="utf-8")
    (project / "seeds" / "link.txt").symlink_to(project / "secret.txt")
    deck(
        project,
        """\
  - id: successor
    type: flip
    question: Who?
    answer: Borisov
    cite:
      - source: link.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
""",
    )
    code, out, _ = run()
    assert code == 1
    assert out.splitlines()[1] == (
        "decks/t.yaml:9:9: card successor: source 'link.txt' leaves the sources folder seeds "
        "(is a symlink to a file outside it); cite a file inside it"
    )


def test_invalid_deck_exits_2_but_the_others_are_checked(project: Path) -> None:
    deck(project, GOOD_CARD, name="a.yaml")
    (project / "decks" / "b.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    deck(project, WRONG_QUOTE, name="c.yaml")
    code, out, err = run()
    assert code == 2
    assert err.startswith("decks/b.yaml:")
    lines = out.splitlines()
    summaries = [line for line in lines if re.match(r"decks/\w+\.yaml: ", line)]
    assert summaries[0].startswith("decks/a.yaml: 1 citation — 1 exact")
    assert summaries[1] == "decks/b.yaml: invalid deck (1 problem, listed on stderr)"
    assert summaries[2].startswith("decks/c.yaml: 1 citation — 1 missing")
    assert any(line.startswith("decks/c.yaml:9:16: card invasion: quote not found") for line in lines)
    assert lines[-1] == "total: 3 decks · 2 citations, 1 failed · 1 invalid"


def test_a_folder_without_decks_beside_one_with_decks_is_named_not_fatal(project: Path) -> None:
    deck(project, GOOD_CARD)
    code, out, err = run("decks", "seeds")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("decks/t.yaml: 1 citation — 1 exact")
    assert "seeds: no decks in this folder (looked for *.yaml files)" in lines
    data = json.loads(run("decks", "seeds", "--json")[1])
    assert data["empty_folders"] == ["seeds"] and len(data["decks"]) == 1
    code, _, err = run("seeds")  # nothing found at all: still a usage error
    assert (code, err) == (2, "Error: no decks found in seeds (looked for *.yaml files)\n")


def test_usage_errors_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run("nowhere.yaml")
    assert (code, err) == (2, "Error: nowhere.yaml: no such file or folder\n")
    code, _, err = run()
    assert (code, err) == (2, "Error: no decks found in decks (looked for *.yaml files)\n")
    monkeypatch.chdir(project / "seeds")
    code, _, err = run()
    assert (code, err) == (2, "Error: no decks found: there is no ./decks folder; name a deck file or folder\n")


# ------------------------------------------------------------------------------------------- support

UNSUPPORTED = """\
  - id: successor
    question: Who replaced Dmitry Rogozin as head of Roscosmos?
    answer: Yury Borisov
    cite:
      - source: 003_21e2480842a6230d.txt
        quote: replaced Dmitri Rogozin
  - id: gaps
    type: cloze
    text: "{{Yuri Borissov}} replaced {{Dmitry Rogozin}}"
    cite:
      - source: 003_21e2480842a6230d.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
"""


def test_support_warns_and_strict_fails(project: Path) -> None:
    deck(project, UNSUPPORTED)
    code, out, _ = run()
    assert code == 0
    assert out.splitlines()[:3] == [
        "decks/t.yaml: 2 citations — 2 exact · 0 of 2 cards supported · 1 of 5 sources cited",
        "decks/t.yaml:4:5: warning: card successor: answer 'Yury Borisov' is not in any of its quotes; "
        "cite a passage that contains it [unsupported-answer]",
        "decks/t.yaml:10:5: warning: card gaps: gap 2 answer 'Dmitry Rogozin' is not in any of its quotes; "
        "cite a passage that contains it [unsupported-answer]",
    ]
    code, out, _ = run("--strict")
    assert code == 1
    assert "error: card successor" in out


def test_accept_entry_gives_support(project: Path) -> None:
    deck(project, GOOD_CARD.replace("answer: Yuri Borisov", "answer: Y. Borisov"))
    code, out, _ = run("--strict")
    assert code == 0 and "1 card supported" in out


def test_support_treats_hyphens_and_spaces_alike(project: Path) -> None:
    # the source says "director-general" and "Director General"; the grader accepts either for the other
    deck(project, """\
  - id: title
    question: What was Yuri Borisov's title at Roscosmos?
    answer: Director General
    cite:
      - source: 001_47f2f9f2b89161a3.txt
        quote: Yuri Borisov, newly appointed director-general
  - id: title2
    question: What is Borisov's title?
    answer: director-general
    cite:
      - source: 002_b5d5ee54d9a87101.txt
        quote: Roscosmos’s Director General, Yury Borisov
""")
    code, out, _ = run("--strict")
    assert code == 0, out
    assert "2 exact · 2 cards supported" in out.splitlines()[0]


# ---------------------------------------------------------------------------------------------- JSON


def test_json_report_shape(project: Path) -> None:
    deck(project, GOOD_CARD + WRONG_QUOTE)
    code, out, err = run("--json")
    assert code == 1 and err == ""
    data = json.loads(out)
    assert list(data) == ["version", "exit_code", "strict", "counts", "decks", "empty_folders"]
    assert data["counts"] == {
        "decks": 1,
        "invalid_decks": 0,
        "citations": 2,
        "exact": 1,
        "normalized": 0,
        "missing": 1,
        "error": 0,
        "warnings": 0,
    }
    d = data["decks"][0]
    assert list(d) == [
        "path", "valid", "id", "sources", "counts", "citations", "support", "findings", "source_info", "coverage",
        "fixes", "fix_diff", "fix_notes",
    ]
    ok, bad = d["citations"]
    assert list(ok) == [
        "card", "index", "deck_line", "deck_col", "quote_line", "quote_col", "quote", "cited_source", "label",
        "status", "source", "line", "col", "start", "end", "text", "differences", "pieces", "score",
        "closest", "found_in", "message",
    ]
    assert (ok["status"], ok["line"], ok["col"], ok["text"]) == (
        "exact", 11, 42, "Yuri Borissov replaced Dmitri Rogozin",
    )
    seed = (SEEDS / S003).read_text(encoding="utf-8")
    assert seed[ok["start"] : ok["end"]] == ok["text"]
    assert bad["status"] == "missing" and bad["line"] is None
    assert bad["closest"]["score"] == 98 and bad["closest"]["line"] == 12
    assert bad["closest"]["diff"] == "Russia invaded Ukraine [-earlier-]{+earklier+} this year"
    assert d["support"] == {"checked": 2, "supported": 2, "warnings": []}
    assert d["coverage"]["cards_per_source"][S003] == 1
    assert d["coverage"]["uncited"] == ["000_56db16ce61149816.txt", "002_b5d5ee54d9a87101.txt",
                                        "004_04ab37866c9a9a74.txt"]


def test_json_invalid_deck(project: Path) -> None:
    (project / "decks" / "b.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    code, out, err = run("--json")
    assert code == 2 and err
    d = json.loads(out)["decks"][0]
    assert d["valid"] is False and d["problems"][0]["line"] >= 1


# ----------------------------------------------------------------------------------------------- fix


def test_fix_rewrites_only_the_scalar_and_prints_the_diff(project: Path) -> None:
    path = deck(project, GOOD_CARD + WRONG_QUOTE)
    before = path.read_bytes()
    code, out, _ = run("--fix")
    assert code == 0, out
    after = path.read_bytes()
    assert after == before.replace(
        b'"Russia invaded Ukraine earlier this year"', b'"Russia invaded Ukraine earklier this year"'
    )
    assert "-        quote: \"Russia invaded Ukraine earlier this year\"   # keep this comment" in out
    assert "+        quote: \"Russia invaded Ukraine earklier this year\"   # keep this comment" in out
    assert f"decks/t.yaml:16:16: card invasion: fixed quote to the text of {S001} (score 98)" in out
    assert out.splitlines()[0] == (
        "decks/t.yaml: 2 citations — 2 exact · 1 of 2 cards supported · 2 of 5 sources cited"
    )
    assert sorted(p.name for p in (project / "decks").iterdir()) == ["t.yaml"]  # no temp files left


@pytest.mark.parametrize(
    ("written", "fixed"),
    [
        ("'Russia invaded Ukraine earlier this year'", "'Russia invaded Ukraine earklier this year'"),
        ("Russia invaded Ukraine earlier this year", '"Russia invaded Ukraine earklier this year"'),
        ("|\n          Russia invaded Ukraine earlier this year\n", '"Russia invaded Ukraine earklier this year"\n'),
    ],
)
def test_fix_keeps_every_other_byte(project: Path, written: str, fixed: str) -> None:
    body = f"""\
  - id: invasion   # a comment
    question: When did Russia invade Ukraine?
    answer: this year
    cite:
      - source: 001_47f2f9f2b89161a3.txt
        quote: {written}
      - source: 001_47f2f9f2b89161a3.txt
        quote: Meanwhle, Russia's ISS flight director
"""
    path = project / "decks" / "t.yaml"
    raw = ("\ufeff" + HEAD + body).replace("\n", "\r\n").encode("utf-8")
    path.write_bytes(raw)
    code, out, _ = run("--fix")
    assert code == 0, out
    expect = ("\ufeff" + HEAD + body.replace(written, fixed)).replace("\n", "\r\n").encode("utf-8")
    assert path.read_bytes() == expect


def test_fix_leaves_low_scores_alone_and_cites_the_file_that_has_the_quote(project: Path) -> None:
    path = deck(
        project,
        """\
  - id: far
    type: flip
    question: q
    answer: a
    cite:
      - source: 001_47f2f9f2b89161a3.txt
        quote: Something the article never said at all
      - source: 000_56db16ce61149816.txt
        quote: Yuri Borissov replaced Dmitri Rogozin
""",
    )
    before = path.read_text(encoding="utf-8")
    code, out, _ = run("--fix")
    assert code == 1  # the far-off quote is still missing, and left as it was
    assert "fixed quote" not in out
    # the second quote is verbatim in 003_...: the citation now names that file (it used to be left alone)
    assert path.read_text(encoding="utf-8") == before.replace(
        "      - source: 000_56db16ce61149816.txt\n", f"      - source: {S003}\n")
    assert (f"decks/t.yaml:11:9: card far: cited {S003}, which has the quote verbatim, instead of "
            "000_56db16ce61149816.txt") in out
    assert "-      - source: 000_56db16ce61149816.txt" in out and f"+      - source: {S003}" in out
    code, out, _ = run("--fix", "--json")  # nothing left to move; the far-off quote still fails
    assert code == 1 and json.loads(out)["decks"][0]["fixes"] == []


def test_fix_never_touches_an_invalid_deck(project: Path) -> None:
    path = project / "decks" / "t.yaml"
    path.write_text(HEAD + WRONG_QUOTE + "  - id: invasion\n", encoding="utf-8")
    before = path.read_bytes()
    code, _, err = run("--fix")
    assert code == 2 and err
    assert path.read_bytes() == before


# ------------------------------------------------------------------------------------ output hygiene


def _subprocess(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | env
    return subprocess.run(
        [sys.executable, "-m", "quiz", "check", *args], cwd=project, env=full, capture_output=True, text=True
    )


def test_no_color_means_no_escape_codes(project: Path) -> None:
    deck(project, GOOD_CARD + WRONG_QUOTE)
    forced = _subprocess(project, {"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout  # the control: a terminal gets colour
    plain = _subprocess(project, {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.returncode == 1
    assert "\x1b" not in plain.stdout and "quote not found" in plain.stdout
    piped = _subprocess(project, {})
    assert "\x1b" not in piped.stdout


def test_check_imports_no_prompt_or_scheduler_library(project: Path) -> None:
    deck(project, GOOD_CARD)
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['quiz', 'check']\n"
        "try:\n"
        "    runpy.run_module('quiz', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('questionary', 'fsrs', 'rapidfuzz', 'genanki') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "[]", result.stderr


def test_fix_in_flow_mappings_and_multi_line_plain_scalars(project: Path) -> None:
    body = """\
  - id: invasion
    type: flip
    question: q
    answer: a
    cite:
      - {source: 001_47f2f9f2b89161a3.txt, quote: Russia invaded Ukraine earlier this year}
      - source: 001_47f2f9f2b89161a3.txt
        quote: given that diplomatic ties have soured since Russia
          invaded Ukraine earlier this year
  - id: next
    type: flip
    question: q2
    answer: a2
    cite: [{source: 003_21e2480842a6230d.txt, quote: Yuri Borissov replaced Dmitri Rogozin}]
"""
    path = deck(project, body)
    code, out, _ = run("--fix")
    assert code == 0, out
    assert path.read_text(encoding="utf-8") == HEAD + body.replace(
        "quote: Russia invaded Ukraine earlier this year}",
        'quote: "Russia invaded Ukraine earklier this year"}',
    ).replace(
        "quote: given that diplomatic ties have soured since Russia\n          invaded Ukraine earlier this year",
        'quote: "given that diplomatic ties have soured since Russia invaded Ukraine earklier this year"',
    )


def test_fix_writes_through_a_symlinked_deck(project: Path) -> None:
    real = project / "real"
    real.mkdir()
    (real / "t.yaml").write_text(HEAD.replace("../seeds", "../seeds") + WRONG_QUOTE, encoding="utf-8")
    (project / "decks" / "t.yaml").symlink_to(real / "t.yaml")
    code, out, _ = run("--fix", "decks/t.yaml")
    assert code == 0, out
    assert (project / "decks" / "t.yaml").is_symlink()
    assert "earklier" in (real / "t.yaml").read_text(encoding="utf-8")


def test_fix_with_json_reports_the_fix_and_prints_only_json(project: Path) -> None:
    deck(project, WRONG_QUOTE)
    code, out, err = run("--fix", "--json")
    assert (code, err) == (0, "")
    d = json.loads(out)["decks"][0]
    assert d["fixes"] == [
        {
            "card": "invasion",
            "line": 9,
            "col": 16,
            "source": S001,
            "old": "Russia invaded Ukraine earlier this year",
            "new": "Russia invaded Ukraine earklier this year",
            "score": 98,
        }
    ]
    assert d["fix_diff"].startswith("--- decks/t.yaml\n+++ decks/t.yaml (fixed)\n")
    assert d["citations"][0]["status"] == "exact"


def _report_through(console_kind: str, paths: list[str], **options: bool) -> str:
    """The human report of `quiz check PATHS` as rich writes it where it shows no styles (a pipe: colour
    system None, soft wrap, as `quiz.cli._console` makes it), or as `PlainConsole` writes it without rich."""
    import io

    from rich.console import Console

    from quiz import check as checking
    from quiz.ui.check_view import PlainConsole, render_text

    out = io.StringIO()

    def rich_console() -> Console:
        return Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=True, color_system=None)

    report = checking.build(paths, fix=options.pop("fix", False), strict=options.pop("strict", False))
    console = rich_console() if console_kind == "rich" else PlainConsole(out, rich_console)
    render_text(report, console, **options)
    return out.getvalue()


LABELLED = f"""\
source_info:
  {S001}: {{label: "Tab\\there; wide 漢字\\tafter"}}
"""


@pytest.mark.parametrize("options", [{}, {"verbose": True}, {"strict": True}, {"fix": True}],
                         ids=["plain", "verbose", "strict", "fix"])
def test_the_report_without_rich_is_byte_for_byte_what_rich_prints(project: Path, options: dict) -> None:
    """`quiz check` into a pipe or under NO_COLOR writes its report without importing rich
    (`quiz.ui.check_view.PlainConsole`); every kind of line must come out exactly as rich wrote it: failures
    with closest passage and diff, fixes and their diff, warnings, coverage, an invalid deck, an empty
    folder, the total, escaped control characters, and a source label holding tabs (which rich expands
    by cell width). (A label's line feed is refused by the loader; line feeds in any text are the next
    test's.)"""
    text = "Russia will leave the station after 2024.\x1b]0;title\x07 The crew \x1b[2Jwill return home.\n"
    own_sources(project, text, "Russia will leave the station after 2024. The crew will go home.")
    deck(project, GOOD_CARD + WRONG_QUOTE, name="a.yaml")
    (project / "decks" / "b.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    (project / "decks" / "c.yaml").write_text(HEAD.replace("cards:\n", LABELLED + "cards:\n") + WRONG_QUOTE
                                             + GOOD_CARD.replace("successor", "successor2"), encoding="utf-8")
    (project / "empty").mkdir()
    paths = ["decks", "empty", "decks/m.yaml"]
    if options.get("fix"):  # fix a copy each time, so both consoles report the same fixes
        shutil.copytree(project / "decks", project / "copy")
        plain = _report_through("plain", paths, **options)
        shutil.rmtree(project / "decks")
        shutil.move(project / "copy", project / "decks")
        rich = _report_through("rich", paths, **options)
    else:
        plain, rich = _report_through("plain", paths, **options), _report_through("rich", paths, **options)
    assert plain == rich
    assert "\\x1b]0;title\\x07" in plain and "total: 4 decks" in plain and "empty: no decks" in plain
    assert "Tab " in plain and "\t" not in plain  # the label's tabs, expanded to rich's tab stops


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(st.sampled_from("ab 漢\t\r\n\x07\x1b\u200b\u0301") | st.characters(), max_size=12),
                          st.sampled_from(["", "bold red", "dim"])), max_size=4))
@example([("CRLF\r\nnext", "bold red"), ("\x07bell and 漢字", "")])
@example([("tab\tand 漢字\ttabs", "dim")])
def test_a_plain_line_is_what_rich_prints_for_any_text(runs: list[tuple[str, str]]) -> None:
    """Whatever text reaches the report (made printable: a CRLF, a tab, wide characters stay), the plain
    console prints what rich prints without colour."""
    import io

    from rich.console import Console
    from rich.text import Text

    from quiz.text import printable
    from quiz.ui.check_view import PlainConsole, PlainText

    out = io.StringIO()
    rich = Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=True, color_system=None)
    line, plain = Text(), PlainText()
    for text, style in runs:
        line.append(printable(text), style=style)
        plain.append(printable(text), style=style)
    tail = printable(runs[0][0]) if runs else ""
    rich.print(line)
    rich.print(line + Text(tail))
    expected = out.getvalue()
    out.seek(0), out.truncate()
    console = PlainConsole(out, lambda: rich)
    console.print(plain)
    console.print(plain + PlainText(tail))
    assert out.getvalue() == expected


def test_check_into_a_pipe_does_not_import_rich_but_a_terminal_gets_colour(project: Path) -> None:
    deck(project, GOOD_CARD + WRONG_QUOTE)
    probe = "import sys; from quiz.cli import main; sys.argv[0] = 'quiz'; main()"
    shown = "import atexit, sys; atexit.register(lambda: print('rich' in sys.modules, file=sys.stderr)); "
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    for extra, colour in (({}, False), ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False), ({"FORCE_COLOR": "1"}, True)):
        result = subprocess.run([sys.executable, "-c", shown + probe, "check"], cwd=project, env=env | extra,
                                capture_output=True, text=True)
        assert result.returncode == 1 and "quote not found" in result.stdout
        assert ("\x1b[" in result.stdout) is colour
        assert result.stderr.strip() == str(colour), extra  # rich only where it draws colour


# ------------------------------------------------------- long, multi-line and far-off passages (B7, B9)


def own_sources(project: Path, text: str, quote: str, answer: str = "2024") -> Path:
    """A deck citing `quote` from `mine/s.txt` (holding `text`), the only source of its folder."""
    (project / "mine").mkdir()
    (project / "mine" / "s.txt").write_text(text, encoding="utf-8")
    path = project / "decks" / "m.yaml"
    path.write_text(
        "title: Mine\nsources: ../mine\ncards:\n  - id: c1\n    question: Which year?\n"
        f"    answer: \"{answer}\"\n    cite:\n      - source: s.txt\n        quote: {json.dumps(quote)}\n",
        encoding="utf-8",
    )
    return path


def test_a_passage_over_several_lines_is_shown_on_one_line(project: Path) -> None:
    text = "Intro line.\nRussia will leave the station\nafter 2024, the new head\nof Roscosmos said.\n"
    own_sources(project, text, "Russia will leave the station after 2024, the new boss of Roscosmos said")
    code, out, err = run("decks/m.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines()[1:5] == [
        "decks/m.yaml:9:16: card c1: quote not found in s.txt",
        "  quote:   Russia will leave the station after 2024, the new boss of Roscosmos said",
        "  closest: s.txt:2:1 (score 94): Russia will leave the station after 2024, the new head of Roscosmos said",
        "  diff:    Russia will leave the station after 2024, the new [-boss-]{+head+} of Roscosmos said",
    ]


def test_a_far_off_closest_passage_is_not_shown_and_a_long_quote_is_clipped(project: Path) -> None:
    text = "Moscow said: the station will be left after 2024.\n"
    quote = " ".join(["orbit crew module launch"] * 150)  # 3,749 characters, nothing like the source
    own_sources(project, text, quote)
    code, out, err = run("decks/m.yaml")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[1] == "decks/m.yaml:9:16: card c1: quote not found in s.txt"
    assert lines[2].startswith("  quote:   orbit crew module launch orbit ") and lines[2].endswith("…")
    assert len(lines[2]) <= len("  quote:   ") + 301
    assert re.fullmatch(r"  closest: nothing close in s\.txt \(best score \d\d?\)", lines[3])
    assert lines[4].startswith("decks/m.yaml:4:5: warning: card c1: answer '2024'")
    # --json keeps the whole quote and the closest passage with its score
    code, out, _ = run("--json", "decks/m.yaml")
    c = json.loads(out)["decks"][0]["citations"][0]
    assert c["quote"] == quote and c["closest"]["score"] < 50 and c["closest"]["text"]


def test_a_long_near_miss_is_clipped_and_its_diff_shows_the_change(project: Path) -> None:
    words = [f"word{i}" for i in range(150)]
    text = "\n".join(" ".join(words[i : i + 10]) for i in range(0, 150, 10)) + "\n"
    quote = " ".join(words).replace("word120", "wort120")
    own_sources(project, text, quote, answer="word3")
    code, out, _ = run("--json", "decks/m.yaml")
    full = json.loads(out)["decks"][0]["citations"][0]["closest"]
    assert full["text"] == text.rstrip("\n") and "[-wort120-]{+word120+}" in full["diff"]
    code, out, err = run("decks/m.yaml")
    assert (code, err) == (1, "")
    closest, diff = out.splitlines()[3:5]
    assert closest.startswith("  closest: s.txt:1:1 (score 99): word0 word1 ") and closest.endswith("…")
    assert diff.startswith("  diff:    …") and diff.endswith("…") and "[-wort120-]{+word120+}" in diff
    assert max(len(closest), len(diff)) <= 350


@pytest.mark.parametrize("quote", ["...", "…", "[...]", " ... (...) "])
def test_a_quote_of_only_an_ellipsis_fails_the_check_with_a_clear_message(project: Path, quote: str) -> None:
    own_sources(project, "Moscow said: the station will be left after 2024.\n", quote)
    code, out, err = run("decks/m.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines()[1:4] == [
        "decks/m.yaml:9:16: card c1: quote not found in s.txt: the quote is only an ellipsis; "
        "quote the source's words",
        f"  quote:   {' '.join(quote.split())}",
        "decks/m.yaml:4:5: warning: card c1: answer '2024' is not in any of its quotes; cite a passage that "
        "contains it [unsupported-answer]",
    ]


# ------------------------------------------------------------------ source text is shown printable (B14)


def test_control_characters_in_a_source_are_escaped_in_the_report_and_kept_in_json(project: Path) -> None:
    text = "Russia will leave the station after 2024.\x1b]0;window title\x07 The crew \x1b[2J\x1b[Hwill return home.\n"
    own_sources(project, text, "Russia will leave the station after 2024. The crew will go home.")
    code, out, err = run("decks/m.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines()[1:5] == [
        "decks/m.yaml:9:16: card c1: quote not found in s.txt",
        "  quote:   Russia will leave the station after 2024. The crew will go home.",
        "  closest: s.txt:1:1 (score 79): Russia will leave the station after 2024.\\x1b]0;window title\\x07 The "
        "crew \\x1b[2J\\x1b[Hwill return home.",
        "  diff:    Russia will leave the station after [-2024.-]{+2024.\\x1b]0;window title\\x07+} The crew "
        "[-will go-]{+\\x1b[2J\\x1b[Hwill return+} home.",
    ]
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out)
    code, out, _ = run("--json", "decks/m.yaml")
    closest = json.loads(out)["decks"][0]["citations"][0]["closest"]
    assert closest["text"] == text.rstrip("\n") and "\x1b[2J" in closest["diff"]


# ------------------------------------------------------- bounded closest-passage search (B13)


def test_a_long_missing_quote_against_a_large_source_is_explained_quickly(tmp_path: Path) -> None:
    """B13: the closest-passage search was quadratic in quote x source (minutes for this deck, scaled down
    from the 2 MB / 100,000-character report); now its work is bounded. A 4 KB near miss in the same
    file still finds its passage, with the changed word in the diff."""
    rng = __import__("random").Random(1)
    vocab = "station orbit roscosmos moscow crew module launch year after partners obligations the of and to in"
    words = vocab.split()
    lines = [" ".join(rng.choice(words) for _ in range(15)) + ".\n" for _ in range(5500)]  # ~0.5 MB
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "big.txt").write_text("".join(lines), encoding="utf-8")
    unrelated = " ".join(rng.choice(words) for _ in range(6000))[:30000].strip()
    passage = "".join(lines[3000:3040]).replace("\n", " ").strip()
    near = passage.replace(" the ", " thee ", 1)
    assert near != passage
    (tmp_path / "d.yaml").write_text(
        "id: big\ntitle: Big\nsources: src\ncards:\n  - id: c1\n    question: Q?\n    answer: orbit\n    cite:\n"
        f"      - source: big.txt\n        quote: {unrelated}\n"
        f"      - source: big.txt\n        quote: {near}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)} | {"NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "quiz", "check", "d.yaml"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "")
    lines_out = done.stdout.splitlines()
    assert lines_out[0] == "d.yaml: 2 citations — 2 missing · 1 card supported · all 1 source cited"
    assert lines_out[1] == "d.yaml:10:16: card c1: quote not found in big.txt"
    assert lines_out[2].startswith("  quote:   ") and lines_out[2].endswith("…") and len(lines_out[2]) <= 320
    assert re.fullmatch(r"  (closest: big\.txt:\d+:\d+ \(score \d+\): .*…|closest: nothing close in big\.txt.*)",
                        lines_out[3])
    assert lines_out[5] == "d.yaml:12:16: card c1: quote not found in big.txt"
    assert re.fullmatch(r"  closest: big\.txt:3001:1 \(score (99|100)\): .*", lines_out[7]), lines_out[7]
    assert "[-thee-]{+the+}" in lines_out[8]
