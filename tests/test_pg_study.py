"""Studying against the class server through the cli, as the README's "Classroom server" says: a student's
URL in --db or QUIZ_DB, her own profile only, no password in any message, a teacher who reads but never
studies, and one student on two machines at once."""

from __future__ import annotations

import subprocess

import pytest

from pg_session import QUIZ, PlainSession, study_env, write_deck

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def logins(class_db, tmp_path):
    """{"zoe": URL, "max": URL, "tina": URL (a teacher)} in a fresh class, made with `quiz class`."""
    env = study_env()
    def run(*args: str) -> str:
        done = subprocess.run(QUIZ + ["class", *args, "--db", class_db.owner_url], capture_output=True, text=True,
                              env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout
    run("init")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nzoe,zoe@example.org\nmax,max@example.org\n")
    urls = dict(line.split(",", 1) for line in run("roster", str(roster)).splitlines() if "://" in line)
    lines = subprocess.run(QUIZ + ["class", "roster", str(roster), "--db", class_db.owner_url],
                           capture_output=True, text=True, env=env, timeout=60)
    assert lines.returncode == 2  # the roster is in already: nothing is added twice
    urls["tina"] = run("add-teacher", "tina").splitlines()[-1]
    return urls


def quiz(*args: str, env: dict, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(QUIZ + list(args), input=stdin, capture_output=True, text=True, env=env, timeout=60)


def password(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


def test_a_student_studies_and_reads_her_own_history_through_the_cli(logins, tmp_path):
    deck = write_deck(tmp_path, cards=3)
    env = study_env(logins["zoe"])
    done = quiz("study", "--plain", str(deck), env=env, stdin="a1\n3\nwrong\n1\n")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "Session over: 2 cards studied" in done.stdout
    history = quiz("history", "--no-practice", env=env)
    assert history.returncode == 0, history.stderr
    assert [line.split(",")[0] for line in history.stdout.splitlines()[1:]] == ["facts/q1", "facts/q2"]
    assert ",zoe" in history.stdout and password(logins["zoe"]) not in history.stdout
    stats = quiz("stats", str(deck), "--db", logins["zoe"], env=study_env())
    assert stats.returncode == 0, stats.stderr
    undo = quiz("undo", env=env)
    assert undo.returncode == 0 and "Undid the answer to facts:q2" in undo.stdout
    # max shares the server but not the history
    assert quiz("history", env=study_env(logins["max"])).stdout.count("\n") == 1


@pytest.mark.parametrize("command", [["study", "--plain", "DECK"], ["history"], ["undo"], ["suspend", "DECK", "q1"]])
def test_a_student_cannot_use_another_profile(logins, tmp_path, command):
    deck = write_deck(tmp_path, cards=2)
    args = [str(deck) if part == "DECK" else part for part in command]
    done = quiz(*args, "--profile", "max", env=study_env(logins["zoe"]), stdin="a1\n3\n")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("Error: you are connected to the class server as 'zoe': only your own profile can be "
                           "used there, not 'max'; drop --profile (and QUIZ_PROFILE)\n")
    assert quiz("history", env=study_env(logins["max"])).stdout.count("\n") == 1  # max's history: empty


def test_a_teacher_reads_a_students_history_and_cannot_study(logins, tmp_path):
    deck = write_deck(tmp_path, cards=2)
    assert quiz("study", "--plain", str(deck), env=study_env(logins["zoe"]), stdin="a1\n3\n").returncode == 0
    teacher = study_env(logins["tina"])
    read = quiz("history", "--profile", "zoe", env=teacher)
    assert read.returncode == 0 and "facts/q1" in read.stdout
    for args in (["study", "--plain", str(deck)], ["study", "--plain", str(deck), "--profile", "zoe"],
                 ["undo", "--profile", "zoe"], ["history"]):
        done = quiz(*args, env=teacher, stdin="a2\n3\n")
        assert done.returncode == 2 and done.stderr.startswith("Error: the role 'tina' has no profile of its own")
        assert password(logins["tina"]) not in done.stderr


def test_no_message_shows_the_password(logins, tmp_path):
    deck = write_deck(tmp_path, cards=2)
    url = logins["zoe"]
    secret = password(url)
    wrong = url.replace(secret, secret[:-2] + "xx")
    down = url.split("?", 1)[0] + "?host=/nonexistent"
    for env in (study_env(wrong), study_env(down), study_env(url.replace("/class", "/nosuchdb"))):
        for args in (["study", "--plain", str(deck)], ["history"], ["study", "--help"]):
            done = quiz(*args, env=env)
            assert secret not in done.stdout + done.stderr and secret[:-2] not in done.stdout + done.stderr
            if args[-1] != "--help":
                assert done.returncode == 2 and done.stderr.startswith("Error: cannot connect to postgresql://zoe:***@")
                assert done.stderr.count("\n") == 1
    from quiz.pgstore import PostgresStore

    with PostgresStore(url) as store:
        assert secret not in repr(store) and secret not in str(store.url)


def test_one_student_on_two_machines_sees_one_queue(logins, tmp_path):
    """Two sessions of zoe at once: each notices the other's answers (changed_since against the server),
    so no card is asked twice and every answer is stored once."""
    deck = write_deck(tmp_path, cards=6)
    env = study_env(logins["zoe"])
    lab, laptop = PlainSession(deck, env), PlainSession(deck, env)
    laptop.until("answer> ")  # q1 on the laptop's screen before the lab answers it (on a busy machine the
    # laptop could otherwise start after that answer and never show q1)
    answered = [lab.answer_next()]  # q1; the lab shows q2 next
    lab.until("answer> ", count=2)
    answered.append(laptop.answer_next())  # q1 was on the laptop's screen already: answered again
    laptop.until("answer> ", count=2)
    answered.append(laptop.answer_next())  # the laptop saw the lab's q1: q2
    laptop.until("answer> ", count=3)
    answered.append(laptop.answer_next())  # q3
    laptop.until("answer> ", count=4)
    answered.append(lab.answer_next())  # q2, on the lab's screen all along
    lab.until("answer> ", count=3)
    assert lab.finish() == 0 and laptop.finish() == 0
    assert answered == ["q1", "q1", "q2", "q3", "q2"]
    # the lab's next card skips q3, which the laptop answered meanwhile
    assert lab.text().rsplit("Q: What is fact ", 1)[1].startswith("4?")
    history = quiz("history", env=env).stdout
    assert sorted(line.split(",")[0] for line in history.splitlines()[1:]) == sorted(f"facts/{c}" for c in answered)


def test_the_teacher_reports_on_the_class_and_a_student_sees_only_herself(logins, tmp_path):
    """`quiz class report` against the server: the teacher's role reads every student (row-level security
    lets it); the same command with a student's URL reports on her alone, whatever the client asks."""
    import json

    deck = write_deck(tmp_path, cards=2)
    assert quiz("study", "--plain", str(deck), env=study_env(logins["zoe"]), stdin="a1\n3\nnope\n1\n").returncode == 0
    assert quiz("study", "--plain", str(deck), env=study_env(logins["max"]), stdin="a1\n3\na2\n3\n").returncode == 0
    report = quiz("class", "report", str(deck), "--json", env=study_env(logins["tina"]))
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert sorted(s["profile"] for s in data["students"]) == ["max", "zoe"]
    q2 = next(c for c in data["cards"] if c["id"] == "q2")
    assert (q2["students"], q2["facility"]) == (2, 0.5)
    assert [w["answer"] for w in q2["wrong_answers"]] == ["nope"]
    own = quiz("class", "report", str(deck), "--json", env=study_env(logins["zoe"]))
    assert own.returncode == 0, own.stderr
    assert [s["profile"] for s in json.loads(own.stdout)["students"]] == ["zoe"]
