"""`quiz study --exam` and `quiz stats` with an exam, end to end through the command line."""

from __future__ import annotations

import json
import subprocess

import pytest
from test_study_plain import DECK, NOW, QUIZ, deck, env, study  # noqa: F401 (fixture)


@pytest.mark.parametrize("value, message", [
    ("next friday", "Error: --exam 'next friday' is not a date; use YYYY-MM-DD"),
    ("2026-11-20", "Error: --exam '2026-11-20' is in the past; give the date of an exam still to come"),
    ("2026-02-30", "Error: --exam '2026-02-30' is not a date"),
])
def test_study_refuses_a_bad_or_past_exam_with_one_line_and_exit_2(tmp_path, deck, value, message):
    result = study(tmp_path, [str(deck), "--exam", value], "")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "quiz.db").exists()  # nothing written


def test_study_with_exam_shows_days_left_and_expected_score(tmp_path, deck):
    result = study(tmp_path, [str(deck), "--exam", "2026-11-26", "--plain"], "Yuri Borisov\n3\nq\n")
    assert result.returncode == 0, result.stderr
    # 2026-11-21 10:00 to the 26th's study day: 5 days, 3 before the final pass; 5 items: 2 new today
    assert "Mini ISS · 2 left today · new 2 · learning 0 · review 0 · exam in 5 days · expected score 0%" in result.stdout


def test_deck_exam_drives_study_and_stats(tmp_path, deck):
    deck.write_text(DECK.replace("sources: src\n", "sources: src\nexam: 2026-11-26T09:00\n"), encoding="utf-8")
    result = study(tmp_path, [str(deck), "--plain"], "Yuri Borisov\n4\n")
    assert result.returncode == 0, result.stderr
    assert "exam in 5 days · expected score 0%" in result.stdout
    stats = subprocess.run(QUIZ + ["stats", str(deck), "--json"], capture_output=True, text=True,
                           env=env(tmp_path), cwd=tmp_path, timeout=60)
    assert stats.returncode == 0, stats.stderr
    exam = json.loads(stats.stdout)["exam"]
    assert exam["at"] == "2026-11-26T09:00:00+00:00" and exam["days_left"] == 5
    # one item of five studied (Easy: stability ~8 days), recall at the exam ~0.95: the score ~19%
    assert 0.17 < exam["expected_score"] < 0.2
    text = subprocess.run(QUIZ + ["stats", str(deck)], capture_output=True, text=True,
                          env=env(tmp_path), cwd=tmp_path, timeout=60)
    assert "Exam          in 5 days (2026-11-26 09:00) · expected score 19%" in text.stdout
    # After the exam the stats have no exam any more
    later = subprocess.run(QUIZ + ["stats", str(deck), "--json"], capture_output=True, text=True,
                           env=env(tmp_path, "2026-11-27T10:00:00+00:00"), cwd=tmp_path, timeout=60)
    assert json.loads(later.stdout)["exam"] is None


def test_stats_without_an_exam_has_exam_null(tmp_path, deck):
    stats = subprocess.run(QUIZ + ["stats", str(deck), "--json"], capture_output=True, text=True,
                           env=env(tmp_path), cwd=tmp_path, timeout=60)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["exam"] is None
