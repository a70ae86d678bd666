"""Helpers of the class store tests: run `quiz class ...`, set up a classroom (an initialised class
database with students alice and bob and teacher tina, each connected with psycopg through the URL that
quiz printed), and record answers as a study session would."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from quiz.cli import app


def run(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["class", *args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def class_run(class_db, *args: str) -> tuple[int, str, str]:
    return run(*args, "--db", class_db.owner_url)


def owner_password(class_db) -> str:
    return class_db.owner_url.split(":", 2)[2].split("@", 1)[0]


def review_row(profile_id: int, **changes) -> dict:
    row = dict(answer_id=uuid.uuid4(), profile_id=profile_id, deck="iss", card="rogozin-successor", gap=0,
               reviewed_at=1_700_000_000_000, rating=3, verdict="correct", answer="Yuri Borisov",
               duration_ms=4000, interval_days=0.007, practice=False, override=False,
               before_state=0, before_step=None, before_stability=None, before_difficulty=None, before_due=None,
               before_last_review=None, before_reps=0, before_lapses=0,
               after_state=1, after_step=1, after_stability=2.3, after_difficulty=5.0,
               after_due=1_700_000_600_000, after_last_review=1_700_000_000_000, after_reps=1, after_lapses=0)
    row.update(changes)
    return row


def parameters_row(profile_id: int | None, first: float = 0.4) -> dict:
    """A row of quiz.fsrs_parameters: a profile's fitted set, or the class-wide one (None)."""
    from fsrs.scheduler import DEFAULT_PARAMETERS

    return dict(profile_id=profile_id, weights=[first, *DEFAULT_PARAMETERS[1:]], fitted_at=1_700_000_000_000, reviews=500,
                log_loss=0.3, rmse_bins=0.05, default_log_loss=0.33, default_rmse_bins=0.07)


def insert(conn, table: str, row: dict, suffix: str = ""):
    from psycopg import sql

    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})" + suffix).format(
        sql.Identifier("quiz", table), sql.SQL(", ").join(map(sql.Identifier, row)),
        sql.SQL(", ").join(sql.Placeholder() * len(row)))
    return conn.execute(query, list(row.values()))


def answer(conn, profile_id: int, **changes) -> int:
    """Record one answer as a study session would: the log row and the item's new state, one transaction."""
    row = review_row(profile_id, **changes)
    with conn.transaction():
        review_id = insert(conn, "reviews", row, " RETURNING id").fetchone()[0]
        state = {key[6:]: value for key, value in row.items() if key.startswith("after_")}
        insert(conn, "items", dict(profile_id=profile_id, deck=row["deck"], card=row["card"], gap=row["gap"], **state),
               " ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET "
               + ", ".join(f"{key} = EXCLUDED.{key}" for key in state))
    return review_id


class Classroom:
    def __init__(self, class_db) -> None:
        self.db = class_db
        assert class_run(class_db, "init")[0] == 0
        self.url = {}
        for kind, name in (("student", "alice"), ("student", "bob"), ("teacher", "tina")):
            code, out, err = class_run(class_db, f"add-{kind}", name)
            assert code == 0, err
            self.url[name] = out.splitlines()[-1]
        import psycopg

        self.alice = psycopg.connect(self.url["alice"], autocommit=True)
        self.bob = psycopg.connect(self.url["bob"], autocommit=True)
        self.tina = psycopg.connect(self.url["tina"], autocommit=True)
        self.alice_id = self.alice.execute("SELECT id FROM quiz.profiles").fetchone()[0]
        self.bob_id = self.bob.execute("SELECT id FROM quiz.profiles").fetchone()[0]
        # bob has studied: two answers (the first with a typed text he would not want shown), a reset.
        self.bob_first = answer(self.bob, self.bob_id, answer="bob's secret typed text", verdict="wrong", rating=1)
        self.bob_newest = answer(self.bob, self.bob_id, card="ross-cost", reviewed_at=1_700_000_100_000)
        insert(self.bob, "resets", dict(profile_id=self.bob_id, deck="iss", card="nasa-notice", gap=0,
                                         reset_at=1_700_000_200_000, log_position=self.bob_newest,
                                         before_state=2, before_reps=3, before_lapses=0))
        # ... and fitted his own FSRS parameters; the teacher stored a class-wide set.
        insert(self.bob, "fsrs_parameters", parameters_row(self.bob_id))
        insert(self.tina, "fsrs_parameters", parameters_row(None))

    def snapshot(self) -> list:
        """Everything in the class's tables, as the teacher sees it."""
        return [self.tina.execute(f"SELECT * FROM quiz.{table} ORDER BY 1, 2").fetchall()
                for table in ("profiles", "items", "reviews", "resets", "fsrs_parameters", "answer_slots",
                              "item_answers", "wrong_answers")]

    def close(self) -> None:
        for conn in (self.alice, self.bob, self.tina):
            conn.close()


@pytest.fixture
def classroom(class_db):
    """A classroom in a fresh database (roles are cluster-wide: not in a module
    that uses `shared_classroom`, whose alice and bob exist while that module runs)."""
    room = Classroom(class_db)
    try:
        yield room
    finally:
        room.close()




@pytest.fixture(scope="module", name="classroom")
def shared_classroom(pg_server):
    """`classroom` for a whole module (import this one instead of `classroom`): one classroom for the tests that change nothing (each checks that with `snapshot`); alice has
    answered once too. Setting up a classroom takes about half a second."""
    database = pg_server.new_class_database()
    try:
        room = Classroom(database)
        answer(room.alice, room.alice_id)
        try:
            yield room
        finally:
            room.close()
    finally:
        database.drop()
