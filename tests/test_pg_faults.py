"""Fault tests of the class store: a real `quiz study --plain` session studies against the throwaway server
as a student while the server crashes (`pg_ctl stop -m immediate`, then a restart) or its backend is
terminated in the middle of a COMMIT. Afterwards every answer the session showed as saved is stored exactly
once; the session either went on after its one "unreachable" line or ended with a clear message and exit 2.
"""

from __future__ import annotations

import time

import pytest

from pg_session import PlainSession, study_env, write_deck

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def student(class_db):
    """(the URL of a student `zoe` in a fresh class, her profile id)."""
    from quiz import classroom
    from quiz.postgres import ServerUrl

    owner = ServerUrl(class_db.owner_url)
    classroom.init(owner)
    url = classroom.add_logins(owner, ["zoe"])[0].url
    return url


def stored(pg_server, class_db) -> list[tuple[str, int]]:
    """(card, how many times) for every answer stored, as the server's superuser sees them."""
    with pg_server.admin(class_db.name) as conn:
        rows = conn.execute("SELECT card, count(*), count(DISTINCT answer_id) FROM quiz.reviews "
                            "GROUP BY card ORDER BY card").fetchall()
    assert all(n == distinct for _, n, distinct in rows)
    return [(card, n) for card, n, _ in rows]


def test_a_server_crash_and_restart_mid_session_loses_and_doubles_nothing(pg_server, class_db, student, tmp_path):
    deck = write_deck(tmp_path)
    session = PlainSession(deck, study_env(student, QUIZ_RETRY_SECONDS="60"))
    answered = [session.answer_next() for _ in range(3)]
    session.until("answer> ", count=4)  # the third answer is saved: the fourth card is on screen
    pg_server.crash()
    try:
        answered.append(session.answer_next())  # its commit fails: the session retries
        session.until("the class server is unreachable; retrying", name="err")
        time.sleep(0.5)
    finally:
        pg_server.start_again()
    session.until("answer> ", count=5)  # ... and goes on once the server is back
    answered += [session.answer_next() for _ in range(2)]
    session.until("answer> ", count=7)
    assert session.finish() == 0, session.text("err")
    assert session.confirmed() == 6 == len(answered)
    assert stored(pg_server, class_db) == sorted((card, 1) for card in answered)
    # one line for the outage, nothing else on stderr
    assert session.text("err").count("\n") == 1, session.text("err")


def test_a_backend_terminated_during_commit_stores_the_answer_once(pg_server, class_db, student, tmp_path):
    """A deferred trigger makes zoe's COMMIT sleep, and the superuser terminates her backend during it: the
    client never learns whether the answer was committed, and sends it again with the same answer id."""
    deck = write_deck(tmp_path)
    session = PlainSession(deck, study_env(student, QUIZ_RETRY_SECONDS="60"))
    answered = [session.answer_next() for _ in range(2)]
    session.until("answer> ", count=3)
    with pg_server.admin(class_db.name) as admin:
        admin.execute("CREATE FUNCTION quiz.slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$")
        admin.execute("CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON quiz.reviews "
                      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION quiz.slow_commit()")
        answered.append(session.answer_next())
        killed = None
        for _ in range(200):
            row = admin.execute("SELECT pid FROM pg_stat_activity WHERE usename = 'zoe' AND query = 'COMMIT' "
                                "AND wait_event = 'PgSleep'").fetchone()
            if row:
                killed = admin.execute("SELECT pg_terminate_backend(%s)", (row[0],)).fetchone()[0]
                break
            time.sleep(0.05)
        assert killed, "zoe's session never reached its COMMIT"
        admin.execute("DROP TRIGGER slow_commit ON quiz.reviews")
    session.until("answer> ", count=4)
    answered.append(session.answer_next())
    session.until("answer> ", count=5)
    assert session.finish() == 0, session.text("err")
    assert session.confirmed() == 4 == len(answered)
    assert stored(pg_server, class_db) == sorted((card, 1) for card in answered)


def test_a_server_that_stays_down_ends_the_session_with_one_clear_line(pg_server, class_db, student, tmp_path):
    deck = write_deck(tmp_path)
    session = PlainSession(deck, study_env(student, QUIZ_RETRY_SECONDS="2"))
    answered = [session.answer_next() for _ in range(2)]
    session.until("answer> ", count=3)
    pg_server.crash()
    try:
        session.answer_next()
        code = session.finish(timeout=30)
    finally:
        pg_server.start_again()
    err = session.text("err").splitlines()
    assert code == 2
    assert err[0].startswith("the class server is unreachable; retrying for up to 2 s")
    assert err[1].startswith("Error: the class server postgresql://zoe:***@") and "stayed unreachable" in err[1]
    assert len(err) == 2 and "Traceback" not in session.text("err")
    assert session.confirmed() == 2
    # the answer in flight was never confirmed; it was not half-written either
    assert stored(pg_server, class_db) == sorted((card, 1) for card in answered)


def test_a_commit_whose_acknowledgement_is_lost_is_retried_with_the_same_answer_id(class_db, student):
    """The other unknown outcome: the COMMIT succeeded but its answer never arrived. Simulated by a store
    whose connection breaks right after its first transaction commits."""
    from datetime import datetime, timezone

    from quiz.model import ItemState, Review, State, Verdict
    from quiz.pgstore import PostgresStore

    class LosesFirstAcknowledgement(PostgresStore):
        lost = False

        def _run(self, work, doing):
            def once(conn, attempt):
                result = work(conn, attempt)
                if not self.lost and doing == "save the answer":
                    self.lost = True
                    conn.close()
                    raise psycopg.OperationalError("server closed the connection unexpectedly")
                return result
            return super()._run(once, doing)

    told: list[str] = []
    at = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    with LosesFirstAcknowledgement(student, on_retry=told.append, sleep=lambda s: None) as store:
        after = ItemState(State.LEARNING, 1, 2.5, 5.0, at, at, 1, 0)
        saved = store.record(Review("facts", "q1", 0, at, 3, Verdict.CORRECT, "a1", 1000, ItemState(), after, 0.01))
        assert store.lost and told == []  # reconnected at once: no outage to report
        assert [r.id for r in store.reviews()] == [saved.id]
        assert store.items("facts")[("q1", 0)].state == after
