"""`quiz list`, `suspend`, `unsuspend`, `reset`, `undo` through the CLI on a Store-built history."""

from __future__ import annotations

import json
from pathlib import Path

from quiz.model import State
from quiz.store import Store
from test_stats import build_history, run, utc_local_time  # noqa: F401 (fixture)

LIST_HEADER = "id       type   state      due         stability  difficulty  reviews  lapses  text"


def items(db: Path, profile: str = "default") -> dict:
    with Store(db, profile) as store:
        return store.items("demo")


def review_count(db: Path) -> int:
    with Store(db, "default") as store:
        return sum(1 for _ in store.reviews("demo"))


def test_list_plain(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    result = run(["list", str(deck)], db)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert result.output.splitlines() == [
        LIST_HEADER,
        "alpha    typed  review     now         2.0d       5.0         4        1       What is alpha?",
        "beta     flip   review     2026-11-22  4.0d       5.0         1        0       Beta?",
        "gamma#1  cloze  learning   12:30       0.5d       5.0         1        0       The [...] and the second.",
        "gamma#2  cloze  new        new         -          -           0        0       The first and the [...].",
        "delta    typed  suspended  new         -          -           0        0       Delta?",
        "Orphaned history: 1 item whose card is no longer in the deck: old",
    ]


def test_list_json(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    data = json.loads(run(["list", str(deck), "--json"], db).output)
    assert (data["deck"], data["title"], data["now"][:19]) == ("demo", "Demo deck", "2026-11-21T12:00:00")
    assert [i["id"] for i in data["items"]] == ["alpha", "beta", "gamma#1", "gamma#2", "delta"]
    assert data["items"][0] == {
        "id": "alpha", "card": "alpha", "gap": 0, "type": "typed", "text": "What is alpha?", "state": "review",
        "due": "2026-11-21T09:00:00+00:00", "due_label": "now", "stability": 2.0, "difficulty": 5.0,
        "reviews": 4, "lapses": 1, "suspended": False, "buried": False,
    }
    assert data["items"][4]["state"] == "new" and data["items"][4]["suspended"] is True
    assert [(o["id"], o["state"], o["reviews"]) for o in data["orphaned"]] == [("old", "review", 3)]


def test_suspend_and_unsuspend(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    result = run(["suspend", str(deck), "alpha", "gamma#2", "delta"], db)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Suspended alpha: What is alpha?",
        "Suspended gamma#2: The first and the [...].",
        "delta was already suspended: Delta?",
    ]
    stored = items(db)
    assert stored[("alpha", 0)].suspended and stored[("gamma", 2)].suspended
    assert not stored[("gamma", 1)].suspended  # only the named gap
    assert stored[("alpha", 0)].state.state is State.REVIEW  # the schedule is kept

    result = run(["unsuspend", str(deck), "gamma", "alpha", "beta"], db)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Unsuspended gamma (2 gaps): The first and the second.",
        "Unsuspended alpha: What is alpha?",
        "beta was not suspended: Beta?",
    ]
    stored = items(db)
    assert not any(r.suspended for key, r in stored.items() if key != ("delta", 0))
    assert stored[("delta", 0)].suspended


def test_unknown_ids_change_nothing(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    before = items(db)
    for command in ("suspend", "unsuspend", "reset"):
        result = run([command, str(deck), "alpha", "alpah", "xyz", "alpha#1", "gamma#3"], db)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"Error: unknown card ids in {deck}: 'alpah' (did you mean 'alpha'?), 'xyz', "
            "'alpha#1' ('alpha' is not a cloze card: name it 'alpha'), "
            "'gamma#3' (cloze card 'gamma' has gaps 1 to 2); "
            f"nothing was changed (`quiz list {deck}` shows the ids)"
        ]
    assert items(db) == before
    result = run(["suspend", str(deck), "betta"], db)
    assert result.stderr == (
        f"Error: unknown card id in {deck}: 'betta' (did you mean 'beta'?); "
        f"nothing was changed (`quiz list {deck}` shows the ids)\n"
    )


def test_reset_keeps_history(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    answers = review_count(db)
    result = run(["reset", str(deck), "alpha", "gamma", "delta"], db)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Reset alpha to new (its answers stay in the history): What is alpha?",
        "Reset gamma (2 gaps) to new (its answers stay in the history): The first and the second.",
        "delta is new already; still suspended: Delta?",
    ]
    stored = items(db)
    assert ("alpha", 0) not in stored and ("gamma", 1) not in stored  # NEW and unflagged: nothing stored
    assert stored[("delta", 0)].suspended
    assert review_count(db) == answers
    with Store(db, "default") as store:
        assert [(e.card, e.gap, e.before.state) for e in store.resets("demo")] == [
            ("alpha", 0, State.REVIEW), ("gamma", 1, State.LEARNING),
        ]
    stats = json.loads(run(["stats", str(deck), "--json"], db).output)
    assert stats["counts"] == {"new": 3, "learning": 0, "review": 1, "suspended": 1, "total": 5}
    assert stats["last_30_days"]["answers"] == 8  # the answers still count as activity


def test_undo(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    outputs = [run(["undo"], db).output for _ in range(4)]
    assert outputs == [
        "Undid the answer to demo:gamma#1 (Hard, almost) from 2026-11-20 09:00; the card is back to new.\n",
        "Undid the practice answer to demo:beta (Good, self) from 2026-11-20 08:00; "
        "the schedule was not changed by it.\n",
        "Undid the answer to demo:beta (Easy, self) from 2026-11-19 09:00; the card is back to new.\n",
        "Undid the answer to demo:old (Good, correct) from 2026-11-18 09:00; the card is back to review, due now.\n",
    ]
    stored = items(db)
    assert ("gamma", 1) not in stored and ("beta", 0) not in stored
    assert review_count(db) == 4
    assert items(db, "other")[("alpha", 0)].state.reps == 1  # the other profile's answer is untouched


def test_undo_within_deck(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    result = run(["undo", "--deck", "other-deck"], db)
    # a deck with no answers (a typo?): the decks that do have answers are named
    assert (result.exit_code, result.output) == (
        0, "Nothing to undo: deck 'other-deck' has no answers; decks with answers: demo.\n")
    result = run(["undo", "--deck", str(deck)], db)  # a deck file names its deck id
    assert result.output.startswith("Undid the answer to demo:gamma#1 (Hard, almost)")
    result = run(["undo", "--deck", "demo"], db)
    assert result.output.startswith("Undid the practice answer to demo:beta")
    assert review_count(db) == 6


def test_undo_empty_profile(tmp_path, utc_local_time):
    result = run(["undo", "--profile", "nobody"], tmp_path / "quiz.db")
    assert (result.exit_code, result.stdout) == (0, "Nothing to undo for profile nobody.\n")
    assert result.stderr == "Note: profile 'nobody' has no history here (profiles: none yet; quiz profiles lists them).\n"


def test_a_profile_that_does_not_exist_is_named_by_the_read_commands(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    note = "Note: profile 'alcie' has no history here (profiles: default, other; quiz profiles lists them).\n"
    for args in (["stats", str(deck)], ["history"], ["undo"]):
        result = run([*args, "--profile", "alcie"], db)
        assert (result.exit_code, result.stderr) == (0, note), args
        result = run(args, db, QUIZ_PROFILE="alcie")
        assert (result.exit_code, result.stderr) == (0, note), args
    assert run(["stats", str(deck), "--profile", "other"], db).stderr == ""  # it exists: no note
    assert run(["history"], db).stderr == ""  # the default profile, not named: no note


def test_quiz_profiles_lists_the_profiles_and_quiz_version(tmp_path, utc_local_time):
    _, db = build_history(tmp_path)
    result = run(["profiles"], db)
    assert (result.exit_code, result.stdout) == (0, "default\nother\n")
    empty = run(["profiles"], tmp_path / "none.db")
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", "No profiles yet: the history is empty.\n")
    assert not (tmp_path / "none.db").exists()
    from importlib.metadata import version

    from typer.testing import CliRunner

    from quiz.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"quiz {version('quiz')}\n")


def test_help_names_arguments_without_python_types(tmp_path):
    from typer.testing import CliRunner

    from quiz.cli import app

    study = CliRunner().invoke(app, ["study", "--help"]).stdout
    assert "Usage: quiz study [OPTIONS] DECK...\n" in study
    assert "  DECK...  Deck files (YAML) to study." in study and "<list[Path]>" not in study
    suspend = CliRunner().invoke(app, ["suspend", "--help"]).stdout
    assert "Usage: quiz suspend [OPTIONS] DECK ID...\n" in suspend and "<" not in suspend


def test_commands_that_only_read_never_create_a_history_file(tmp_path, utc_local_time):
    deck, _ = build_history(tmp_path)
    db = tmp_path / "not-yet" / "quiz.db"
    for args in (["stats", str(deck)], ["list", str(deck)], ["history"], ["undo"]):
        result = run(args, db)
        assert result.exit_code == 0, (args, result.output)
    assert run(["undo"], db).output == "Nothing to undo for profile default.\n"
    assert "new 5 · learning 0 · review 0" in run(["stats", str(deck)], db).output  # every item new
    assert not db.parent.exists()
    assert run(["suspend", str(deck), "alpha"], db).exit_code == 0  # a write creates it
    assert db.exists()


def test_list_bad_deck_exits_2(tmp_path, utc_local_time):
    result = run(["list", str(tmp_path / "missing.yaml")], tmp_path / "quiz.db")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_corrupt_database_is_a_clear_error(tmp_path, utc_local_time):
    deck, db = build_history(tmp_path)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    for args in (["list", str(deck)], ["stats", str(deck)], ["suspend", str(deck), "alpha"], ["undo"]):
        result = run(args, bad)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("Error: ") and str(bad) in result.stderr and "Traceback" not in result.output
    assert bad.read_bytes() == b"this is not sqlite" * 100
