"""`quiz optimize --class` against the class server: the teacher's role (no profile of its own) reads every
student's log and stores the class-wide set, which a student without a set of her own then studies with;
a student asking for --class is refused with the reason, nothing written."""

from __future__ import annotations

import json

import pytest
from class_fixtures import classroom  # noqa: F401 (fixture)
from test_optimize import simulated_log
from typer.testing import CliRunner

psycopg = pytest.importorskip("psycopg")

ENV = {"QUIZ_NOW": "2026-06-01T12:00:00+00:00", "TZ": "UTC", "QUIZ_RETRY_SECONDS": "0"}


def _class_rows(room) -> list:
    return room.tina.execute("SELECT profile_id, reviews FROM quiz.fsrs_parameters ORDER BY 1").fetchall()


def test_the_teacher_fits_the_class_set_from_every_students_log(classroom):  # noqa: F811
    from quiz.cli import app
    from quiz.pgstore import PostgresStore

    log = simulated_log(60, 10, seed=5)
    with PostgresStore(classroom.url["alice"]) as alice, PostgresStore(classroom.url["bob"]) as bob:
        for review in log:
            (alice if int(review.card[1:]) % 2 else bob).record(review)
        pooled = len(list(alice.reviews())) + len(list(bob.reviews()))
    runner = CliRunner()
    before = _class_rows(classroom)  # the classroom starts with bob's own set and a class-wide one

    refused = runner.invoke(app, ["optimize", "--class", "--db", classroom.url["alice"]], env=ENV)
    assert refused.exit_code == 2, refused.output
    assert "the class-wide parameters are fitted by the teacher" in refused.output
    assert _class_rows(classroom) == before

    result = runner.invoke(app, ["optimize", "--class", "--json", "--db", classroom.url["tina"]], env=ENV)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stored"] and data["answers"] > 0
    assert _class_rows(classroom) == [(classroom.bob_id, 500), (None, data["answers"])]  # bob's own set kept
    with PostgresStore(classroom.url["alice"]) as alice:  # alice has no set of her own: she uses the class's
        assert alice.fsrs_parameters() is None
        assert alice.fsrs_parameters(class_wide=True).weights == tuple(data["parameters"])
    # every answer after an item's first, of both students (bob had two answers before this test)
    assert pooled == 602 and data["answers"] >= 540
