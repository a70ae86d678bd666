"""The class store's administration (`quiz class ...`) and its security, on a real PostgreSQL server.

The server comes from tests/pgserver.py (a throwaway cluster per test session, a fresh database per
test). The security suite connects as a student (or teacher) with psycopg directly, using the URL that
`quiz class add-student` printed, as a student with psql would: every way to cheat must be refused by
the server, not by quiz.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from class_fixtures import Classroom, answer, class_run, classroom, insert, owner_password, review_row, run  # noqa: F401
from quiz.postgres import SCHEMA_VERSION, ServerUrl, redact_url

psycopg = pytest.importorskip("psycopg")
from psycopg import errors, sql  # noqa: E402

# ------------------------------------------------------------------------------- no server needed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://alice:s3cret@db.school.example:5432/class7",
         "postgresql://alice:***@db.school.example:5432/class7"),
        ("postgres://alice:p%40ss%2Fw%3Ard@/class7?host=/tmp", "postgres://alice:***@/class7?host=/tmp"),
        ("postgresql://alice@db/class7?sslmode=require&password=s3cret&x=1",
         "postgresql://alice@db/class7?sslmode=require&password=***&x=1"),
        ("host=db user=alice password=s3cret dbname=class7", "host=db user=alice password=*** dbname=class7"),
        (r"host=db password = 'it\'s s3cret' dbname=class7", "host=db password = *** dbname=class7"),
        ("cannot connect to postgresql://a:x@h/d or postgresql://b:y@h/d",
         "cannot connect to postgresql://a:***@h/d or postgresql://b:***@h/d"),
        ("postgresql://alice@db:5432/class7", "postgresql://alice@db:5432/class7"),
        ("postgresql://db:5432/class7", "postgresql://db:5432/class7"),
        ("class.db", "class.db"),
    ],
)
def test_redact_url_hides_every_password(text: str, expected: str) -> None:
    assert redact_url(text) == expected


def test_a_server_url_shows_no_password_in_str_repr_or_fstring() -> None:
    url = ServerUrl("postgresql://teacher:hunter2@db/class7")
    for shown in (str(url), repr(url), f"{url}", f"{url!r}", repr([url]), repr(ValueError(url))):
        assert "hunter2" not in shown
        assert "teacher:***@db/class7" in shown
    assert url.secret == "postgresql://teacher:hunter2@db/class7"


def test_class_commands_need_a_server_url(tmp_path: Path) -> None:
    code, out, err = run("init", "--db", str(tmp_path / "quiz.db"))
    assert (code, out) == (2, "")
    assert err == ("Error: quiz class needs the class database on a PostgreSQL server: "
                   "--db postgresql://USER@HOST/DBNAME (or QUIZ_DB)\n")
    assert not (tmp_path / "quiz.db").exists()


@pytest.mark.parametrize("command", ["init", "add-student", "add-teacher", "roster", "students"])
def test_help_never_shows_the_password_in_quiz_db(command: str) -> None:
    code, out, err = run(command, "--help", env={"QUIZ_DB": "postgresql://teacher:hunter2@db/class7"})
    assert code == 0
    assert "hunter2" not in out + err
    assert "--db URL" in out


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://teacher:hunter2@/class7?host={tmp_path}&connect_timeout=2"
    code, out, err = run("students", "--db", url)
    assert code == 2
    assert "hunter2" not in out + err
    assert err.startswith(f"Error: cannot connect to postgresql://teacher:***@/class7?host={tmp_path}")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "name",
    ["Alice", "1alice", "", "a" * 64, "pg_alice", "public", "al ice", "alice'; DROP TABLE quiz.reviews; --",
     'a"b', "al\x1b[2Jice", "élodie", "alice\n", "a/b", "a@b", "a:b"],
)
def test_bad_student_names_are_refused_before_any_connection(name: str) -> None:
    # The URL leads nowhere: the name is refused before quiz even tries to connect.
    code, out, err = run("add-student", name, "--db", "postgresql://t@/nowhere?host=/nonexistent")
    assert (code, out) == (2, "")
    assert err.startswith("Error: ") and "not a valid name" in err
    assert "\x1b" not in err and err.count("\n") == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_roster_problems_are_reported_per_line_and_column(tmp_path: Path) -> None:
    roster = write(tmp_path / "class.csv",
                   "email,name\n"
                   "a@school.example,alice\n"
                   "b@school.example,Bob\n"
                   "c@school.example,\"carl'; DROP ROLE x; --\"\n"
                   ",\n"
                   "d@school.example,alice\n")
    code, out, err = run("roster", str(roster), "--db", "postgresql://t@/nowhere?host=/nonexistent")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{roster}:3:18: 'Bob' is not a valid name (1-63 characters: lowercase letters, digits, '_', '.', '-', "
        "starting with a letter)",
        f"{roster}:4:18: \"carl'; DROP ROLE x; --\" is not a valid name (1-63 characters: lowercase letters, "
        "digits, '_', '.', '-', starting with a letter)",
        f"{roster}:6:18: 'alice' is listed twice (first on line 2)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("student\nalice\n", "1:1: the header has no 'name' column (e.g. a first line: name)"),
        ("", "1:1: the first line must be a header with a 'name' column"),
        ("name\n\n", "1:1: the roster lists no names under its 'name' column"),
    ],
)
def test_a_roster_without_names_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    roster = write(tmp_path / "class.csv", text)
    code, _, err = run("roster", str(roster), "--db", "postgresql://t@/nowhere?host=/nonexistent")
    assert (code, err) == (2, f"{roster}:{expected}\n")


def test_a_roster_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_bytes(b"name\nalice\nb\xe9a\n")
    code, _, err = run("roster", str(roster), "--db", "postgresql://t@/nowhere?host=/nonexistent")
    assert (code, err) == (2, f"{roster}:3:2: not UTF-8 text; save the roster as UTF-8 CSV\n")


# ------------------------------------------------------------------------------ with a real server


def test_init_creates_the_class_and_a_second_run_says_it_is_already_initialised(class_db) -> None:
    code, out, err = class_run(class_db, "init")
    assert (code, err) == (0, "")
    assert out.startswith("Initialised postgresql://")
    assert f"group roles {class_db.name}_teacher and {class_db.name}_student" in out
    code, out, err = class_run(class_db, "init")
    assert (code, err) == (0, "")
    assert out.endswith(f"is already initialised (schema version {SCHEMA_VERSION}); nothing to do\n")
    for shown in (out, err):
        assert owner_password(class_db) not in shown
    with psycopg.connect(class_db.owner_url) as conn:
        assert conn.execute("SELECT version FROM quiz.schema_version ORDER BY version").fetchall() == [
            (version,) for version in range(1, SCHEMA_VERSION + 1)]
        # Row-level security is on for every table with rows of a profile, also for their owner.
        assert conn.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relnamespace = 'quiz'::regnamespace AND relkind = 'r' ORDER BY relname"
        ).fetchall() == [("answer_slots", True, True), ("fsrs_parameters", True, True), ("item_answers", True, True),
                         ("items", True, True), ("meta", False, False),
                         ("profiles", True, True), ("resets", True, True), ("reviews", True, True),
                         ("schema_version", False, False), ("wrong_answers", True, True)]


def test_the_password_can_come_from_a_pgpass_file(class_db, tmp_path: Path) -> None:
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:{class_db.name}:{class_db.owner}:{owner_password(class_db)}\n", encoding="utf-8")
    passfile.chmod(0o600)  # libpq ignores a password file that others can read
    without_password = class_db.owner_url.replace(":" + owner_password(class_db) + "@", "@", 1)
    code, out, err = run("init", "--db", without_password, env={"PGPASSFILE": str(passfile)})
    assert (code, err) == (0, ""), err
    assert out.startswith(f"Initialised postgresql://{class_db.owner}@/{class_db.name}?host=")
    code, out, err = run("students", "--db", without_password, env={"PGPASSFILE": str(tmp_path / "none")})
    assert code == 2 and "password" in err and err.count("\n") == 1


def test_a_database_from_a_newer_quiz_is_refused(class_db) -> None:
    assert class_run(class_db, "init")[0] == 0
    with psycopg.connect(class_db.owner_url) as conn:
        conn.execute("INSERT INTO quiz.schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    for args in (["init"], ["students"], ["add-student", "alice"]):
        code, out, err = class_run(class_db, *args)
        assert (code, out) == (2, "")
        assert (f"has quiz schema version {SCHEMA_VERSION + 1}, newer than this quiz understands "
                f"({SCHEMA_VERSION}); upgrade quiz") in err
        assert owner_password(class_db) not in err


def test_commands_on_an_uninitialised_database_say_to_run_init(class_db) -> None:
    code, out, err = class_run(class_db, "add-student", "alice")
    assert (code, out) == (2, "")
    assert f"is not set up as a class (schema version 0 of {SCHEMA_VERSION}); run: quiz class init --db URL" in err


def test_a_failed_migration_leaves_nothing_half_done(class_db, pg_server) -> None:
    # The group role already exists (say, from a class database of the same name that was dropped):
    # version 2 fails, and none of it stays, though version 1 (its own transaction) does.
    with pg_server.admin() as conn:
        conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(f"{class_db.name}_student")))
    code, out, err = class_run(class_db, "init")
    assert (code, out) == (2, "")
    assert f'role "{class_db.name}_student" already exists' in err
    with psycopg.connect(class_db.owner_url) as conn:
        assert conn.execute("SELECT max(version) FROM quiz.schema_version").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM quiz.meta").fetchone() == (0,)
        assert conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'quiz.reviews'::regclass").fetchone() == (False,)
        roles = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (f"{class_db.name}_teacher",)).fetchone()
        assert roles == (0,)


def test_add_student_prints_a_url_the_student_logs_in_with(class_db) -> None:
    class_run(class_db, "init")
    code, out, err = class_run(class_db, "add-student", "alice")
    assert (code, err) == (0, "")
    url = out.splitlines()[-1]
    assert url.startswith("postgresql://alice:")
    assert owner_password(class_db) not in out
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("alice", class_db.name)
        assert conn.execute("SELECT name, role_name FROM quiz.profiles").fetchall() == [("alice", "alice")]
    wrong = url.replace("postgresql://alice:", "postgresql://alice:x", 1)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong)


def test_add_student_json_and_password_file(class_db, tmp_path: Path) -> None:
    class_run(class_db, "init")
    secret = tmp_path / "pw"
    secret.write_text("correct horse/battery@staple:%?\n", encoding="utf-8")
    code, out, err = class_run(class_db, "add-student", "bob", "--password-file", str(secret), "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert sorted(data) == ["profile", "url"] and data["profile"] == "bob"
    assert "correct%20horse%2Fbattery%40staple%3A%25%3F@" in data["url"]
    with psycopg.connect(data["url"]) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("bob",)


def test_add_teacher_makes_a_reader_without_a_profile(class_db) -> None:
    class_run(class_db, "init")
    code, out, err = class_run(class_db, "add-teacher", "tina", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert sorted(data) == ["role", "url"] and data["role"] == "tina"
    with psycopg.connect(data["url"]) as conn:
        assert conn.execute("SELECT count(*) FROM quiz.profiles").fetchone() == (0,)
        assert conn.execute("SELECT pg_has_role('tina', %s, 'member')", (f"{class_db.name}_teacher",)).fetchone() == (True,)


def test_a_name_already_taken_on_the_server_is_refused_and_nothing_is_created(class_db) -> None:
    class_run(class_db, "init")
    assert class_run(class_db, "add-student", "alice")[0] == 0
    for args in (["add-student", "alice"], ["add-teacher", "alice"], ["add-student", class_db.owner]):
        code, out, err = class_run(class_db, *args)
        assert (code, out) == (2, "")
        assert err == f"Error: a role named {args[1]!r} already exists on this server; choose another name\n"
    with psycopg.connect(class_db.owner_url) as conn:
        assert conn.execute("SELECT name FROM quiz.profiles").fetchall() == [("alice",)]


def test_roster_adds_every_student_or_none(class_db, tmp_path: Path) -> None:
    class_run(class_db, "init")
    roster = write(tmp_path / "class.csv", "\ufeffName;email\nalice;a@school.example\nbob;b@school.example\n")
    code, out, err = class_run(class_db, "roster", str(roster))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "profile,url"
    assert [line.split(",", 1)[0] for line in lines[1:]] == ["alice", "bob"]
    for line in lines[1:]:
        with psycopg.connect(line.split(",", 1)[1]) as conn:
            assert conn.execute("SELECT current_user").fetchone() == (line.split(",", 1)[0],)
    # bob is taken now: the whole second roster is refused, carl is not created either.
    again = write(tmp_path / "more.csv", "name\ncarl\nbob\n")
    code, out, err = class_run(class_db, "roster", str(again))
    assert (code, out) == (2, "")
    assert err == f"{again}:3:1: a role named 'bob' already exists on this server; choose another name\n"
    with psycopg.connect(class_db.owner_url) as conn:
        assert conn.execute("SELECT name FROM quiz.profiles ORDER BY name").fetchall() == [("alice",), ("bob",)]
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'carl'").fetchone() == (0,)


# ------------------------------------------------- the security suite (the rest: tests/test_class_security.py)


def test_a_student_inserts_and_reads_back_only_its_own_rows(classroom: Classroom) -> None:
    alice = classroom.alice
    review_id = answer(alice, classroom.alice_id, answer="Borisov")
    assert alice.execute("SELECT id, answer FROM quiz.reviews").fetchall() == [(review_id, "Borisov")]
    assert alice.execute("SELECT profile_id, card, reps FROM quiz.items").fetchall() == [
        (classroom.alice_id, "rogozin-successor", 1)]
    assert alice.execute("SELECT name FROM quiz.profiles").fetchall() == [("alice",)]


def test_a_student_updates_its_own_items_but_deletes_only_pristine_ones(classroom: Classroom) -> None:
    alice = classroom.alice
    answer(alice, classroom.alice_id)
    assert alice.execute("UPDATE quiz.items SET suspended = true").rowcount == 1
    assert alice.execute("DELETE FROM quiz.items").rowcount == 0  # a studied item goes back to NEW by a reset
    insert(alice, "items", dict(profile_id=classroom.alice_id, deck="iss", card="fresh", gap=0, state=0, reps=0,
                                lapses=0))
    assert alice.execute("DELETE FROM quiz.items").rowcount == 1
    assert alice.execute("SELECT card FROM quiz.items").fetchall() == [("rogozin-successor",)]


def test_undo_takes_back_only_the_callers_newest_answer(classroom: Classroom) -> None:
    alice, alice_id = classroom.alice, classroom.alice_id
    older = answer(alice, alice_id, card="c1")
    newest = answer(alice, alice_id, card="c2", reviewed_at=1_700_000_050_000)
    # bob's undo takes bob's newest, never alice's (the function finds the caller by its login).
    assert classroom.bob.execute("SELECT id FROM quiz.undo_newest()").fetchall() == [(classroom.bob_newest,)]
    assert alice.execute("SELECT id FROM quiz.reviews ORDER BY id").fetchall() == [(older,), (newest,)]
    other_before = classroom.snapshot()[2]
    # Naming bob's answer, or her own older one, undoes nothing.
    assert alice.execute("SELECT id FROM quiz.undo_newest(NULL, %s)", (classroom.bob_newest,)).fetchall() == []
    assert alice.execute("SELECT id FROM quiz.undo_newest(NULL, %s)", (older,)).fetchall() == []
    assert alice.execute("SELECT id FROM quiz.undo_newest('no-such-deck')").fetchall() == []
    assert classroom.snapshot()[2] == other_before
    # Her newest goes, and its item is back to NEW (not stored); the older answer and its item stay.
    assert alice.execute("SELECT id, card FROM quiz.undo_newest()").fetchall() == [(newest, "c2")]
    assert alice.execute("SELECT id FROM quiz.reviews").fetchall() == [(older,)]
    assert alice.execute("SELECT card, reps FROM quiz.items").fetchall() == [("c1", 1)]
    assert alice.execute("SELECT id FROM quiz.undo_newest('iss', %s)", (older,)).fetchall() == [(older,)]
    assert alice.execute("SELECT count(*) FROM quiz.items").fetchone() == (0,)
    # bob's history is untouched by alice.
    tina = classroom.tina
    assert tina.execute("SELECT id FROM quiz.reviews ORDER BY id").fetchall() == [(classroom.bob_first,)]


def test_undo_keeps_an_item_that_was_reset_after_the_answer(classroom: Classroom) -> None:
    alice, alice_id = classroom.alice, classroom.alice_id
    studied = dict(before_state=2, before_stability=30.0, before_difficulty=4.0, before_due=1_699_000_000_000,
                   before_last_review=1_698_000_000_000, before_reps=5, before_lapses=1)
    review_id = answer(alice, alice_id, **studied)
    insert(alice, "resets", dict(profile_id=alice_id, deck="iss", card="rogozin-successor", gap=0,
                                 reset_at=1_700_000_300_000, log_position=review_id,
                                 before_state=1, before_reps=6, before_lapses=1))
    alice.execute("UPDATE quiz.items SET state = 0, step = NULL, stability = NULL, difficulty = NULL, due = NULL, "
                  "last_review = NULL, reps = 0, lapses = 0, suspended = true")
    assert alice.execute("SELECT id FROM quiz.undo_newest()").fetchall() == [(review_id,)]
    # Still NEW (as a rebuild from the log would have it), not back to the 5 reps before the answer.
    assert alice.execute("SELECT state, reps, suspended FROM quiz.items").fetchall() == [(0, 0, True)]
    # Without a later reset, undo restores the state before the answer, keeping the suspended flag.
    review_id = answer(alice, alice_id, **studied)
    assert alice.execute("SELECT id FROM quiz.undo_newest()").fetchall() == [(review_id,)]
    assert alice.execute("SELECT state, stability, reps, lapses, suspended FROM quiz.items").fetchall() == [
        (2, 30.0, 5, 1, True)]


TOTALS_OF_THE_LOG = (
    "SELECT profile_id, deck, div(reviewed_at, 900000), count(*), sum(least(duration_ms, 60000)), "
    "count(*) FILTER (WHERE NOT practice AND before_state = 2), "
    "count(*) FILTER (WHERE NOT practice AND before_state = 2 AND rating >= 2) "
    "FROM quiz.reviews GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    "SELECT profile_id, deck, card, gap, count(*), count(*) FILTER (WHERE NOT practice), "
    "count(*) FILTER (WHERE NOT practice AND CASE WHEN verdict = 'self' THEN rating >= 3 "
    "ELSE verdict = 'correct' END), count(*) FILTER (WHERE NOT practice AND before_state = 2), "
    "count(*) FILTER (WHERE NOT practice AND before_state = 2 AND rating = 1), "
    # the first attempt: the first non-practice answer in time order, then log order
    "(array_agg(reviewed_at ORDER BY reviewed_at, id) FILTER (WHERE NOT practice))[1], "
    "(array_agg(id ORDER BY reviewed_at, id) FILTER (WHERE NOT practice))[1], "
    "(array_agg(CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END ORDER BY reviewed_at, id) "
    "FILTER (WHERE NOT practice))[1], "
    # the durations, kept in no order, as a sorted multiset (NULL for none, as array_agg of no rows)
    "array_agg(duration_ms ORDER BY duration_ms) FILTER (WHERE NOT practice) "
    "FROM quiz.reviews GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    "SELECT deck, card, gap, answer, profile_id, count(*) FROM quiz.reviews WHERE NOT practice AND answer <> '' "
    "AND NOT CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END "
    "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
)
RUNNING_TOTALS = (
    "SELECT profile_id, deck, slot, answers, capped_ms, review_answers, review_passed FROM quiz.answer_slots "
    "ORDER BY 1, 2, 3",
    "SELECT profile_id, deck, card, gap, answers, graded, correct, review_answers, lapses, first_at, first_id, "
    "first_correct, (SELECT array_agg(d ORDER BY d) FROM unnest(durations) AS d) "
    "FROM quiz.item_answers ORDER BY 1, 2, 3, 4",
    "SELECT deck, card, gap, answer, profile_id, answers FROM quiz.wrong_answers ORDER BY 1, 2, 3, 4, 5",
)


def running_totals_match_the_log(conn) -> bool:
    return [conn.execute(q).fetchall() for q in RUNNING_TOTALS] == [conn.execute(q).fetchall() for q in TOTALS_OF_THE_LOG]


def test_the_running_totals_follow_answers_and_undo_newest_and_a_v3_database_gets_them(classroom: Classroom) -> None:
    """Each student's own answers (inserted as that student) and quiz.undo_newest (run as the owner)
    move the running totals through the trigger: per slot, per item (with the first attempt, version 5)
    and per wrong answer; the students themselves cannot write them (see tests/test_class_security.py).
    Taking the database back to version 3 and upgrading (versions 4 and 5 over the answers already
    logged) builds them from the log again, equal."""
    alice, alice_id, tina = classroom.alice, classroom.alice_id, classroom.tina
    for n in range(12):
        answer(alice, alice_id, card=f"c{n % 3}", reviewed_at=1_700_000_000_000 + n * 400_000, rating=1 + n % 4,
               verdict=("correct", "wrong", "self")[n % 3], before_state=2 * (n % 2), duration_ms=(20_000, 90_000)[n % 2],
               answer=("", "2028", "2030", "2028")[n % 4], practice=n % 5 == 4)
    # One logged with an earlier time than the rest: the first attempt at c1 now.
    answer(alice, alice_id, card="c1", reviewed_at=1_699_999_000_000, verdict="wrong", answer="early")
    assert running_totals_match_the_log(tina)
    assert alice.execute("SELECT count(*) FROM quiz.item_answers").fetchone() == (3,)  # her own rows only
    assert alice.execute("SELECT first_at FROM quiz.item_answers WHERE card = 'c1'").fetchone() == (1_699_999_000_000,)
    for _ in range(5):  # the first one undone is that first attempt
        alice.execute("SELECT id FROM quiz.undo_newest()").fetchall()
    assert running_totals_match_the_log(tina)
    assert tina.execute("SELECT sum(answers) FROM quiz.answer_slots WHERE profile_id = %s",
                        (alice_id,)).fetchone() == (8,)
    with psycopg.connect(classroom.db.owner_url, autocommit=True) as owner:
        # A hand edit of the log by the owner (quiz never makes one) moves the totals too, and so do
        # deleting answers from the middle of the log and inserting one before them all.
        owner.execute("UPDATE quiz.reviews SET reviewed_at = reviewed_at + 1000000, rating = 5 - rating, "
                      "practice = NOT practice WHERE id % 2 = 0")
        owner.execute("UPDATE quiz.reviews SET answer = 'edited', verdict = 'wrong' WHERE id % 3 = 0")
        assert running_totals_match_the_log(owner)
        owner.execute("DELETE FROM quiz.reviews WHERE id IN (SELECT min(id) FROM quiz.reviews GROUP BY card)")
        insert(owner, "reviews", review_row(alice_id, card="c2", reviewed_at=1_600_000_000_000, verdict="wrong",
                                            answer="earliest"))
        assert running_totals_match_the_log(owner)
        kept = [owner.execute(q).fetchall() for q in RUNNING_TOTALS]
        owner.execute("DROP TABLE quiz.answer_slots, quiz.item_answers, quiz.wrong_answers")
        owner.execute("DROP FUNCTION quiz.keep_answer_totals() CASCADE")
        owner.execute("DELETE FROM quiz.schema_version WHERE version >= 4")
    assert class_run(classroom.db, "init")[0] == 0
    assert [tina.execute(q).fetchall() for q in RUNNING_TOTALS] == kept and kept[1] and kept[2]


# What a student's role may write into its own rows (or the owner into any) that quiz never writes itself:
# every read refuses it as one line naming the row, never a traceback (SQLite's corruption tests' twin).
DAMAGES = {
    "item due": ("UPDATE quiz.items SET due = 9223372036854775807", "due 9223372036854775807 is not a time"),
    "item buried_until": ("UPDATE quiz.items SET buried_until = -9223372036854775807", "buried_until -9223372036854775807"),
    "answer time": ("", "time 9223372036854775807"),  # a new answer: the log is append-only
    "reset time": ("UPDATE quiz.resets SET reset_at = -9223372036854775807", "time -9223372036854775807"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_impossible_values_a_student_writes_are_reported_as_corrupt_history(classroom: Classroom, damage: str) -> None:
    from typer.testing import CliRunner

    from quiz.cli import app
    from quiz.errors import StoreError
    from quiz.pgstore import PostgresStore

    deck = str(Path(__file__).resolve().parents[1] / "decks" / "iss.yaml")
    bob = classroom.bob
    sql_text, says = DAMAGES[damage]
    if damage == "answer time":
        answer(bob, classroom.bob_id, card="nasa-notice", reviewed_at=9223372036854775807)
    elif damage == "reset time":  # the resets are append-only for a student: the owner's hand edit
        with psycopg.connect(classroom.db.owner_url, autocommit=True) as owner:
            assert owner.execute(sql_text).rowcount == 1
        with PostgresStore(classroom.url["bob"]) as store, pytest.raises(StoreError) as caught:
            store.resets("iss")
        assert str(caught.value).startswith("corrupt history: deck iss, card nasa-notice, gap 0: reset ")
        assert says in str(caught.value)
        return
    else:
        assert bob.execute(sql_text).rowcount >= 1
    readers = {"item due": [["stats", deck], ["study", "--plain", deck]],
               "item buried_until": [["stats", deck], ["list", deck]],
               "answer time": [["history"], ["class", "report", deck]]}[damage]
    for args in readers:
        url = classroom.url["tina" if args[0] == "class" else "bob"]
        result = CliRunner().invoke(app, [*args, "--db", url], input="\n")
        assert result.exit_code == 2, (args, result.exit_code, result.output, result.exception)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), args
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: corrupt history: deck iss, ") and says in line, (args, line)


def test_a_retried_answer_is_stored_once(classroom: Classroom) -> None:
    row = review_row(classroom.alice_id)
    with pytest.raises(errors.UniqueViolation):
        for _ in range(2):
            insert(classroom.alice, "reviews", row)
    assert insert(classroom.alice, "reviews", row, " ON CONFLICT (answer_id) DO NOTHING").rowcount == 0
    assert classroom.alice.execute("SELECT count(*) FROM quiz.reviews").fetchone() == (1,)


def test_a_role_outside_the_class_cannot_even_connect(classroom: Classroom, pg_server) -> None:
    with pg_server.admin() as conn:
        conn.execute("CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(pg_server.url(classroom.db.name, "outsider", "outsider-pw"))


def test_a_name_full_of_sql_metacharacters_is_only_ever_a_name(class_db) -> None:
    """Names are refused by their pattern before any SQL; this goes past that check to show that the
    SQL would still treat such a name as one quoted identifier, never as SQL."""
    from quiz import classroom as admin
    from quiz.postgres import connect

    class_run(class_db, "init")
    hostile = 'x"; DROP TABLE quiz.reviews; CREATE ROLE evil SUPERUSER; --'
    url = ServerUrl(class_db.owner_url)
    with connect(url) as conn:
        admin._create_login(conn, hostile, "pw-of-the-hostile-name", f"{class_db.name}_student")
        conn.execute("INSERT INTO quiz.profiles (name, role_name) VALUES (%s, %s)", (hostile, hostile))
        conn.commit()
        assert conn.execute("SELECT to_regclass('quiz.reviews') IS NOT NULL").fetchone() == (True,)
        assert conn.execute("SELECT rolname FROM pg_roles WHERE rolname IN (%s, 'evil')", (hostile,)).fetchall() == [
            (hostile,)]
    student = psycopg.connect(f"postgresql://{quote(hostile, safe='')}:"
                              f"pw-of-the-hostile-name@/{class_db.name}?{class_db.owner_url.split('?', 1)[1]}")
    with student:
        assert student.execute("SELECT name FROM quiz.profiles").fetchall() == [(hostile,)]
        code, out, err = class_run(class_db, "students")
        assert code == 0 and hostile in out


def test_students_lists_each_profile_with_its_last_answer(classroom: Classroom) -> None:
    code, out, err = class_run(classroom.db, "students")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "profile  role   answers  last answer",
        "alice    alice        0  never",
        "bob      bob          2  2023-11-14T22:15:00Z",
    ]
    code, out, err = class_run(classroom.db, "students", "--json")
    assert json.loads(out) == [
        {"profile": "alice", "role": "alice", "answers": 0, "last_answer": None},
        {"profile": "bob", "role": "bob", "answers": 2, "last_answer": "2023-11-14T22:15:00Z"},
    ]
    # A teacher runs it too (reading is all it needs).
    code, out, _ = run("students", "--json", "--db", classroom.url["tina"])
    assert code == 0 and len(json.loads(out)) == 2


PROBE_TEST = """
def test_needs_the_server(pg_server):
    pass
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_without_server_binaries_the_tests_skip_except_under_ci(tmp_path: Path, ci: str, outcome: str) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE_TEST, encoding="utf-8")
    tests = Path(__file__).resolve().parent
    env = dict(os.environ, CI=ci, QUIZ_PG_BINDIR=str(tmp_path / "no-such-bin"), PYTHONPATH=str(tests))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pgserver",
                             "-rsf", str(probe)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert outcome in result.stdout, result.stdout + result.stderr
    assert "PostgreSQL server binaries not found" in result.stdout
