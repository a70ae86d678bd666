"""The class store's security, on a real PostgreSQL server: a student (or teacher) connects with psycopg
directly, through the URL `quiz class add-student` printed, as a student with psql would, and tries to
cheat. Every attempt must be refused by the server itself, and leave every table as it was (`snapshot`).

These tests share one classroom (setting one up costs about half a second) and each checks that it changed
nothing; the tests that do change things are in tests/test_class_pg.py, with a classroom each.
"""

from __future__ import annotations

import pytest

from class_fixtures import Classroom, insert, review_row, shared_classroom  # noqa: F401

psycopg = pytest.importorskip("psycopg")
from psycopg import errors  # noqa: E402



@pytest.mark.parametrize(
    "query",
    [
        "SELECT profile_id FROM quiz.reviews",
        "SELECT profile_id FROM quiz.reviews WHERE profile_id = %(bob)s OR true",
        "SELECT profile_id FROM quiz.reviews WHERE answer = 'bob''s secret typed text'",
        "SELECT profile_id FROM quiz.items",
        "SELECT profile_id FROM quiz.resets",
        "SELECT profile_id FROM quiz.fsrs_parameters",
        "SELECT profile_id FROM quiz.answer_slots",
        "SELECT profile_id FROM quiz.item_answers",
        "SELECT profile_id FROM quiz.wrong_answers",
        "SELECT profile_id FROM quiz.wrong_answers WHERE answer = 'bob''s secret typed text' OR true",
        "SELECT id FROM quiz.profiles WHERE role_name = 'bob' OR 'x' = 'x'",
        "SELECT id FROM quiz.profiles WHERE name <> 'alice'",
        "SELECT r.profile_id FROM quiz.profiles AS p JOIN quiz.reviews AS r ON true",
    ],
)
def test_a_student_sees_none_of_another_students_rows(classroom: Classroom, query: str) -> None:
    rows = classroom.alice.execute(query, {"bob": classroom.bob_id}).fetchall()
    assert classroom.bob_id not in {row[0] for row in rows}
    assert classroom.tina.execute(query, {"bob": classroom.bob_id}).fetchall()  # bob's rows are there


def test_granting_to_others_grants_nothing(classroom: Classroom) -> None:
    acl = "SELECT relname, relacl FROM pg_class WHERE relnamespace = 'quiz'::regnamespace ORDER BY relname"
    before = classroom.tina.execute(acl).fetchall()
    for statement in ("GRANT SELECT ON quiz.reviews TO PUBLIC", "GRANT ALL ON quiz.items TO alice"):
        classroom.alice.execute(statement)  # PostgreSQL warns "no privileges were granted" and does nothing
    assert classroom.tina.execute(acl).fetchall() == before


def test_a_student_cannot_write_rows_for_another_profile(classroom: Classroom) -> None:
    alice, bob_id = classroom.alice, classroom.bob_id
    before = classroom.snapshot()
    attempts = [
        lambda: insert(alice, "reviews", review_row(bob_id)),
        lambda: insert(alice, "items", dict(profile_id=bob_id, deck="iss", card="x", gap=0, state=2, reps=9, lapses=0)),
        lambda: insert(alice, "resets", dict(profile_id=bob_id, deck="iss", card="x", gap=0, reset_at=1,
                                             log_position=1, before_state=2, before_reps=1, before_lapses=0)),
        lambda: insert(alice, "profiles", dict(name="mallory", role_name="alice")),
    ]
    for attempt in attempts:
        with pytest.raises(errors.InsufficientPrivilege):
            attempt()
    assert classroom.snapshot() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE quiz.reviews SET rating = 4",
        "UPDATE quiz.reviews SET rating = 4 WHERE profile_id = %(bob)s",
        "DELETE FROM quiz.reviews",
        "DELETE FROM quiz.reviews WHERE id = %(bob_review)s",
        "DELETE FROM quiz.resets",
        "UPDATE quiz.answer_slots SET answers = answers + 100",
        "UPDATE quiz.item_answers SET correct = answers WHERE profile_id = %(alice)s",
        "DELETE FROM quiz.item_answers",
        "UPDATE quiz.item_answers SET first_correct = true, first_id = NULL WHERE profile_id = %(alice)s",
        "UPDATE quiz.wrong_answers SET answers = answers + 100",
        "DELETE FROM quiz.wrong_answers",
        "INSERT INTO quiz.wrong_answers (deck, card, gap, answer, profile_id, answers) "
        "VALUES ('iss', 'x', 0, 'planted', %(alice)s, 50)",
        "INSERT INTO quiz.item_answers (profile_id, deck, card, gap, answers, graded, correct) "
        "VALUES (%(alice)s, 'iss', 'x', 0, 50, 50, 50)",
        "INSERT INTO quiz.answer_slots (profile_id, deck, slot, answers, capped_ms, review_answers, review_passed) "
        "VALUES (%(alice)s, 'iss', 1, 1, 1, 1, 1)",
        "CREATE OR REPLACE FUNCTION quiz.keep_answer_totals() RETURNS trigger LANGUAGE plpgsql "
        "AS 'BEGIN RETURN NULL; END'",
        "ALTER TABLE quiz.reviews DISABLE TRIGGER keep_answer_totals",
        "UPDATE quiz.resets SET log_position = 0",
        "UPDATE quiz.profiles SET role_name = 'alice' WHERE name = 'bob'",
        "DELETE FROM quiz.profiles",
        "UPDATE quiz.items SET profile_id = %(bob)s",
        "INSERT INTO quiz.reviews (id, answer_id, profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, "
        "duration_ms, interval_days, before_state, before_reps, before_lapses, after_state, after_reps, after_lapses) "
        "OVERRIDING SYSTEM VALUE VALUES (999999, gen_random_uuid(), %(alice)s, 'iss', 'x', 0, 1, 3, 'correct', 'a', "
        "1, 1, 0, 0, 0, 1, 1, 0)",
        # FSRS parameters: only one's own set; the class-wide set is the teacher's to write.
        "INSERT INTO quiz.fsrs_parameters (profile_id, weights, fitted_at, reviews, log_loss, rmse_bins, "
        "default_log_loss, default_rmse_bins) VALUES (%(bob)s, array_fill(0.5::float8, ARRAY[21]), 0, 0, 0, 0, 0, 0)",
        "INSERT INTO quiz.fsrs_parameters (profile_id, weights, fitted_at, reviews, log_loss, rmse_bins, "
        "default_log_loss, default_rmse_bins) VALUES (NULL, array_fill(0.5::float8, ARRAY[21]), 0, 0, 0, 0, 0, 0) "
        "ON CONFLICT (profile_id) DO UPDATE SET log_loss = 0",
        "DELETE FROM quiz.fsrs_parameters",
        "ALTER TABLE quiz.reviews DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE quiz.reviews NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE quiz.reviews ADD COLUMN cheat text",
        "DROP POLICY own_reads ON quiz.reviews",
        "CREATE POLICY peek ON quiz.reviews FOR SELECT USING (true)",
        "DROP TABLE quiz.reviews",
        "DROP SCHEMA quiz CASCADE",
        "TRUNCATE quiz.reviews",
        "TRUNCATE quiz.items",
        "CREATE TABLE quiz.notes (x text)",
        "CREATE TABLE public.notes (x text)",
        "CREATE TEMP TABLE notes (x text)",
        "CREATE FUNCTION quiz.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE OR REPLACE FUNCTION quiz.undo_newest(p_deck text DEFAULT NULL, p_if_newest bigint DEFAULT NULL) "
        "RETURNS SETOF quiz.reviews LANGUAGE sql AS 'SELECT * FROM quiz.reviews'",
        "CREATE ROLE mallory LOGIN PASSWORD 'x'",
        "ALTER ROLE alice BYPASSRLS",
        "ALTER ROLE alice SUPERUSER",
        "ALTER ROLE bob PASSWORD 'mine now'",
        "GRANT {teacher} TO alice",
        "SET ROLE {teacher}",
        "SET ROLE bob",
        "SET SESSION AUTHORIZATION bob",
        "COPY quiz.reviews FROM PROGRAM 'true'",
        "SELECT pg_read_file('PG_VERSION')",
    ],
)
def test_every_way_to_cheat_is_refused_by_the_server(classroom: Classroom, statement: str) -> None:
    before = classroom.snapshot()
    query = statement.replace("{teacher}", f'"{classroom.db.name}_teacher"')
    with pytest.raises(errors.InsufficientPrivilege):
        classroom.alice.execute(query, {"bob": classroom.bob_id, "alice": classroom.alice_id,
                                        "bob_review": classroom.bob_newest} if "%(" in query else None)
    assert classroom.snapshot() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE quiz.items SET reps = 99, due = 0 WHERE profile_id <> %(alice)s",
        "UPDATE quiz.items SET suspended = true WHERE profile_id = %(bob)s",
        "UPDATE quiz.items SET suspended = true WHERE card = 'ross-cost'",
        "DELETE FROM quiz.items",
        "DELETE FROM quiz.items WHERE profile_id = %(bob)s",
        "UPDATE quiz.fsrs_parameters SET log_loss = 0",
        "UPDATE quiz.fsrs_parameters SET log_loss = 0 WHERE profile_id IS NULL",
    ],
)
def test_another_students_items_are_out_of_reach(classroom: Classroom, statement: str) -> None:
    """Row-level security filters rather than raises here: the statement touches none of bob's rows."""
    before = classroom.snapshot()
    params = {"bob": classroom.bob_id, "alice": classroom.alice_id} if "%(" in statement else None
    cursor = classroom.alice.execute(statement, params)
    assert cursor.rowcount == 0
    assert classroom.snapshot() == before


def test_the_teacher_reads_everything_and_writes_nothing(classroom: Classroom) -> None:
    tina = classroom.tina
    assert tina.execute("SELECT name FROM quiz.profiles ORDER BY name").fetchall() == [("alice",), ("bob",)]
    assert tina.execute("SELECT answer FROM quiz.reviews WHERE id = %s", (classroom.bob_first,)).fetchall() == [
        ("bob's secret typed text",)]
    assert tina.execute("SELECT count(*) FROM quiz.reviews").fetchone() == (3,)
    assert tina.execute("SELECT count(*) FROM quiz.items").fetchone() == (3,)
    assert tina.execute("SELECT count(*) FROM quiz.resets").fetchone() == (1,)
    before = classroom.snapshot()
    for statement, params in [
        (None, None),  # insert, below
        ("UPDATE quiz.reviews SET rating = 4", None),
        ("DELETE FROM quiz.reviews", None),
        ("UPDATE quiz.items SET reps = 0", None),
        ("UPDATE quiz.item_answers SET correct = 0", None),
        ("DELETE FROM quiz.answer_slots", None),
        ("DELETE FROM quiz.wrong_answers", None),
        ("DELETE FROM quiz.items", None),
        ("INSERT INTO quiz.profiles (name, role_name) VALUES ('t', 'tina')", None),
        ("SELECT * FROM quiz.undo_newest()", None),
        ("TRUNCATE quiz.reviews", None),
        ("CREATE ROLE mallory", None),
    ]:
        with pytest.raises(errors.InsufficientPrivilege):
            if statement is None:
                insert(tina, "reviews", review_row(classroom.bob_id))
            else:
                tina.execute(statement, params)
    assert classroom.snapshot() == before
