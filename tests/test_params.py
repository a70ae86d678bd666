"""FSRS parameters as configuration: which set a profile uses, and how `quiz stats` shows it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from quiz.model import FsrsParameters
from quiz.params import CLASS, DEFAULT, PROFILE, parameters_in_use
from quiz.session import Session
from quiz.store import Store
from tests.test_stats import build_history, run, utc_local_time  # noqa: F401 (a fixture)

UTC = timezone.utc
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def fitted(first: float) -> FsrsParameters:
    weights = (first, 1.29, 2.31, 8.3, 6.41, 0.83, 3.02, 0.001, 1.87, 0.17, 0.8, 1.48, 0.06, 0.26, 1.65, 0.6,
               1.87, 0.54, 0.09, 0.066, 0.154)
    return FsrsParameters(weights, T0, 1500, 0.31, 0.041, 0.34, 0.062)


def test_a_profile_uses_its_own_set_else_the_class_set_else_the_defaults(tmp_path):
    db = tmp_path / "quiz.db"
    with Store(db, "ann") as ann, Store(db, "bob") as bob:
        assert parameters_in_use(ann) == (None, DEFAULT)
        bob.save_fsrs_parameters(fitted(0.5), class_wide=True)
        assert parameters_in_use(ann) == (fitted(0.5), CLASS)  # a new student starts from the class's
        ann.save_fsrs_parameters(fitted(0.3))
        assert parameters_in_use(ann) == (fitted(0.3), PROFILE)
        assert parameters_in_use(bob) == (fitted(0.5), CLASS)


def test_the_study_session_schedules_with_the_stored_parameters(tmp_path):
    from quiz.deck import load_deck

    deck_path, db = build_history(tmp_path)
    deck = load_deck(deck_path)
    with Store(db) as store:
        assert Session([deck], store, clock=None, frontend=None)._scheduler(deck).config.parameters is None
        store.save_fsrs_parameters(fitted(0.3))
        scheduler = Session([deck], store, clock=None, frontend=None)._scheduler(deck)
    assert scheduler.config.parameters == fitted(0.3).weights


def test_stats_json_and_text_show_the_parameters_in_use(tmp_path, utc_local_time):
    deck_path, db = build_history(tmp_path)
    data = json.loads(run(["stats", str(deck_path), "--json"], db).output)
    assert data["fsrs"]["source"] == "default" and len(data["fsrs"]["parameters"]) == 21
    with Store(db) as store:
        store.save_fsrs_parameters(fitted(0.3))
    data = json.loads(run(["stats", str(deck_path), "--json"], db).output)
    assert data["fsrs"] == {
        "source": "profile", "parameters": list(fitted(0.3).weights), "fitted_at": T0.isoformat(),
        "evaluation": {"reviews": 1500, "log_loss": 0.31, "rmse_bins": 0.041, "default_log_loss": 0.34,
                       "default_rmse_bins": 0.062},
    }
    text = run(["stats", str(deck_path)], db).output
    assert "FSRS parameters: fitted to this profile's answers on 2026-11-01 (1500 answers)" in text
