"""`quiz optimize`: fitting FSRS parameters to a simulated answer log recovers a better model."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from quiz.model import ItemState, Review, State, Verdict
from quiz.optimize import NotEnough, fit, is_better, training_items

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
# A student who forgets faster than FSRS's default learner: lower initial stabilities, a steeper decay.
TRUE_PARAMETERS = (0.1, 0.5, 1.2, 4.0, 7.2, 0.5, 2.0, 0.02, 1.2, 0.3, 1.2, 1.9, 0.1, 0.35, 1.9, 0.5,
                   1.6, 0.5, 0.1, 0.1, 0.45)


def simulated_log(cards: int, answers: int, seed: int, parameters=TRUE_PARAMETERS) -> list[Review]:
    """Answers of a student whose memory follows FSRS with `parameters`, studying on a schedule of the
    default parameters (as a student with a fresh install would), a few days early or late at times."""
    import fsrs

    truth = fsrs.Scheduler(parameters=parameters, learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    plan = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    rng = random.Random(seed)
    log: list[Review] = []
    for index in range(cards):
        true_card = fsrs.Card(card_id=index + 1, due=T0)
        plan_card = fsrs.Card(card_id=index + 1, due=T0)
        now = T0 + timedelta(days=rng.randint(0, 60), hours=rng.uniform(0, 10))
        for n in range(answers):
            recall = truth.get_card_retrievability(true_card, now) if n else 0.0
            if n == 0:
                rating = rng.choices([1, 2, 3, 4], weights=[0.2, 0.1, 0.6, 0.1])[0]
            elif rng.random() > recall:
                rating = 1
            else:
                rating = rng.choices([2, 3, 4], weights=[0.15, 0.7, 0.15])[0]
            true_card, _ = truth.review_card(true_card, fsrs.Rating(rating), now)
            plan_card, _ = plan.review_card(plan_card, fsrs.Rating(rating), now)
            before = ItemState() if n == 0 else ItemState(State.REVIEW, None, 1.0, 5.0, now, now, n, 0)
            log.append(Review("deck", f"c{index}", 0, now, rating, Verdict.SELF, "", 1000, before, before, 1.0))
            interval = (plan_card.due - now) * rng.uniform(0.6, 1.6)
            now = now + max(interval, timedelta(days=1))
    log.sort(key=lambda r: r.reviewed_at)
    return log


def test_training_items_count_study_days_and_restart_after_a_reset():
    first = T0.replace(hour=23)
    logs = [
        Review("d", "c", 0, first, 3, Verdict.CORRECT, "", 1, ItemState(), ItemState(), 1.0),
        Review("d", "c", 0, first + timedelta(hours=6), 3, Verdict.CORRECT, "", 1, ItemState(State.REVIEW), ItemState(), 1.0),
        Review("d", "c", 0, first + timedelta(days=3), 1, Verdict.WRONG, "", 1, ItemState(State.REVIEW), ItemState(), 1.0),
        Review("d", "c", 0, first + timedelta(days=4), 3, Verdict.CORRECT, "", 1, ItemState(), ItemState(), 1.0),
    ]
    # 23:00 -> 05:00 crosses the 04:00 day start: one day; the NEW answer after a reset starts afresh.
    assert [steps for _at, steps in training_items(logs, UTC, 4)] == [[(3, 0), (3, 1)], [(3, 0), (3, 1), (1, 2)]]


def test_below_the_minimum_it_says_how_many_more_are_needed():
    log = simulated_log(10, 5, seed=1)
    result = fit(log, T0, UTC, 4)
    assert result == NotEnough(40, 360)


def test_fitted_parameters_predict_the_held_back_later_log_better_than_the_defaults():
    pytest.importorskip("fsrs_rs_python")
    log = simulated_log(400, 10, seed=7)
    result = fit(log, T0, UTC, 4)
    assert not isinstance(result, NotEnough)
    assert result.reviews == 3600
    assert result.log_loss < result.default_log_loss
    assert result.rmse_bins < result.default_rmse_bins
    assert is_better(result)


def test_quiz_optimize_stores_per_profile_and_for_the_class(tmp_path):
    import json

    from typer.testing import CliRunner

    from quiz.cli import app
    from quiz.store import Store

    db = tmp_path / "quiz.db"
    env = {"QUIZ_NOW": "2026-06-01T12:00:00+00:00", "TZ": "UTC"}
    runner = CliRunner()
    result = runner.invoke(app, ["optimize", "--db", str(db), "--profile", "ann"], env=env)
    assert result.exit_code == 0 and "fitting needs 400: 400 more" in result.output
    assert not db.exists()  # nothing written
    with Store(db, "ann") as ann, Store(db, "bob") as bob:
        for review in simulated_log(300, 10, seed=3):
            (ann if int(review.card[1:]) % 2 else bob).record(review)  # half the cards each
    result = runner.invoke(app, ["optimize", "--db", str(db), "--profile", "ann", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stored"] and data["log_loss"] < data["default_log_loss"]
    with Store(db, "ann") as ann, Store(db, "bob") as bob:
        assert ann.fsrs_parameters().weights == tuple(data["parameters"])
        assert bob.fsrs_parameters() is None and bob.fsrs_parameters(class_wide=True) is None
    result = runner.invoke(app, ["optimize", "--db", str(db), "--class"], env=env)
    assert result.exit_code == 0 and "Stored" in result.output, result.output
    with Store(db, "carol") as carol:
        assert carol.fsrs_parameters(class_wide=True).reviews == 2700  # both profiles' answers pooled
