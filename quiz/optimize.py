"""`quiz optimize`: fit FSRS-6 parameters to an answer log with fsrs-rs (`fsrs-rs-python`, Rust, no torch).

The log becomes fsrs-rs training items the way Anki builds them: for every graded answer to an item that
had been answered before, the item's answers up to that one, each with the days elapsed since the one
before (study days, so two answers on one study day are 0 days apart). A reset starts the item afresh.

Evaluation is a time-series split: items are ordered by the time of their last answer, the parameters are
fitted on the earlier 80% and both they and the defaults are scored on the later 20%, which the fit did
not see, with srs-benchmark's measures (log loss and RMSE(bins); lower is better). They are stored only
when they beat the defaults on log loss, and what is stored is exactly the set that was evaluated, so the
numbers `quiz stats` shows are those of the set in use.

fsrs-rs is imported only when fitting (it must not slow down start-up).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from quiz.model import FsrsParameters, Review, State

MIN_REVIEWS = 400  # training items (answers after an item's first) below which fitting is refused
HELD_BACK = 0.2  # the later share of the log the evaluation uses


@dataclass(frozen=True)
class NotEnough:
    """Too few answers to fit: `have` training answers, `need` more."""

    have: int
    need: int


def training_items(reviews: Iterable[Review], tz: tzinfo | None, start_hour: int) -> list[tuple[datetime, list]]:
    """(time of the last answer, [(rating, days elapsed), ...]) per training item, in time order."""
    from quiz.scheduler import study_day

    histories: dict[tuple[str, str, str, int], list[tuple[int, datetime]]] = {}
    out: list[tuple[datetime, list]] = []
    for review in reviews:
        if review.practice:
            continue
        key = (review.profile, review.deck, review.card, review.gap)  # pooled logs: one item per profile
        if review.before.state == State.NEW:
            histories[key] = []  # a first answer, or the first after a reset
        history = histories.setdefault(key, [])
        history.append((int(review.rating), review.reviewed_at))
        if len(history) < 2:
            continue
        steps = []
        previous = None
        for rating, at in history:
            day = study_day(at, tz, start_hour)
            steps.append((rating, 0 if previous is None else (day - previous).days))
            previous = day
        out.append((review.reviewed_at, steps))
    out.sort(key=lambda entry: entry[0])
    return out


def _to_fsrs_items(entries: list[tuple[datetime, list]]) -> list:
    import fsrs_rs_python as rs

    return [rs.FSRSItem([rs.FSRSReview(rating, delta) for rating, delta in steps]) for _at, steps in entries]


def fit(reviews: Iterable[Review], now: datetime, tz: tzinfo | None = None, start_hour: int = 4,
        minimum: int = MIN_REVIEWS) -> FsrsParameters | NotEnough:
    """Fit on the earlier part of the log, evaluate fitted and default parameters on the later part."""
    entries = training_items(reviews, tz, start_hour)
    if len(entries) < minimum:
        return NotEnough(len(entries), minimum - len(entries))
    import fsrs_rs_python as rs

    split = int(len(entries) * (1 - HELD_BACK))
    train, test = _to_fsrs_items(entries[:split]), _to_fsrs_items(entries[split:])
    weights = tuple(float(w) for w in rs.FSRS(list(rs.DEFAULT_PARAMETERS)).compute_parameters(train))
    fitted = rs.FSRS(list(weights)).evaluate(test)
    default = rs.FSRS(list(rs.DEFAULT_PARAMETERS)).evaluate(test)
    return FsrsParameters(weights, now, len(entries), float(fitted.log_loss), float(fitted.rmse_bins),
                          float(default.log_loss), float(default.rmse_bins))


def is_better(found: FsrsParameters) -> bool:
    """Whether fitted parameters predicted the later answers better than the defaults."""
    return found.log_loss < found.default_log_loss
