"""Which FSRS parameters a profile studies with, and how `quiz stats` shows them.

A profile uses the set `quiz optimize` fitted to its own answer log; without one, the class-wide set
(`quiz optimize --class`, fitted to every profile's log pooled), which is what a new student starts
from; without that, the `fsrs` package's defaults. Cheap to import: no fsrs, no SQL.
"""

from __future__ import annotations

from typing import Any

from quiz.history import HistoryStore
from quiz.model import FsrsParameters

PROFILE, CLASS, DEFAULT = "profile", "class", "default"


def parameters_in_use(store: HistoryStore) -> tuple[FsrsParameters | None, str]:
    """(the fitted set in use or None for the defaults, where it comes from: PROFILE, CLASS or DEFAULT)."""
    own = store.fsrs_parameters()
    if own is not None:
        return own, PROFILE
    shared = store.fsrs_parameters(class_wide=True)
    if shared is not None:
        return shared, CLASS
    return None, DEFAULT


def weights_in_use(store: HistoryStore) -> tuple[float, ...] | None:
    """The weights for `SchedulerConfig.parameters` (None: the defaults)."""
    found, _source = parameters_in_use(store)
    return found.weights if found is not None else None


def parameters_to_json(found: FsrsParameters | None, source: str) -> dict[str, Any]:
    """The `fsrs` object of `quiz stats --json`."""
    if found is None:
        from fsrs.scheduler import DEFAULT_PARAMETERS  # only here: the rest of stats needs no fsrs

        return {"source": DEFAULT, "parameters": [float(w) for w in DEFAULT_PARAMETERS], "evaluation": None}
    return {
        "source": source,
        "parameters": list(found.weights),
        "fitted_at": found.fitted_at.isoformat(),
        "evaluation": {
            "reviews": found.reviews,
            "log_loss": round(found.log_loss, 4),
            "rmse_bins": round(found.rmse_bins, 4),
            "default_log_loss": round(found.default_log_loss, 4),
            "default_rmse_bins": round(found.default_rmse_bins, 4),
        },
    }


def describe(found: FsrsParameters | None, source: str) -> str:
    """One line for `quiz stats`: which parameters are in use and how they did against the defaults."""
    if found is None:
        return "FSRS parameters: the defaults (quiz optimize fits them to your answers)"
    whose = "this profile's answers" if source == PROFILE else "the class's answers"
    return (f"FSRS parameters: fitted to {whose} on {found.fitted_at:%Y-%m-%d} ({found.reviews} answers); "
            f"on the later answers log loss {found.log_loss:.4f} vs {found.default_log_loss:.4f} default, "
            f"RMSE(bins) {found.rmse_bins:.4f} vs {found.default_rmse_bins:.4f}")
