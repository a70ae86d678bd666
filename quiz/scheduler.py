"""FSRS scheduling (through the `fsrs` package) with Anki's interval rules on top. Pure: no I/O.

Time always comes in as an argument; nothing here reads the wall clock except `SystemClock`,
which only `quiz.cli` constructs. Every datetime is timezone-aware; results are in UTC.

Division of labour
------------------
* The memory model is FSRS-6: the memory update (stability, difficulty after an answer) by fsrs-rs
  (`fsrs-rs-python`, as in Anki), retrievability by the `fsrs` package's `Scheduler`. Both are
  imported lazily, so importing this module stays cheap (its types, `ItemState`, `Rating`, `State`,
  live in `quiz.model`).
* Everything a student sees on the buttons follows Anki's rules (rslib/src/scheduler/states/*.rs), so a
  student moving between quiz and Anki gets the same schedule:
  - days elapsed since the last review are counted Anki's way: whole 86,400 s periods between the
    last review and the *next* day rollover (a study day starts at 04:00 local time), that rollover
    being today's 04:00 at the UTC offset in force now plus 24 h (on the day before a daylight-saving
    change, an hour away from the local 04:00);
  - learning steps (1 min, 10 min) and relearning steps (10 min): Again goes back to the first step,
    Hard repeats the current step (on the first step: the mean of the first two steps, or 1.5 x the
    only step, at most one day more), Good advances or graduates, Easy always graduates;
  - a graduating or relearned card gets the FSRS interval rounded to whole days (at least 1);
    Easy is at least one day longer than (fuzzed) Good;
  - passing review intervals strictly increase Hard < Good < Easy; when FSRS proposes a longer
    interval than last time, fuzz may not bring it back to the previous interval or below, and when
    the previous interval is still within the proposal's fuzz range, not below the previous interval;
  - Anki's fuzz ranges (+-1 day, plus 15% of the days in 2.5..7, 10% in 7..20, 5% beyond 20) with
    the fuzz factor derived from a seed, so the interval shown on a button is the one applied.
    Pass `item_seed(deck, card, gap, item.reps)` (Anki uses card id + reps the same way).

Precision: Anki computes in 32-bit floats and stores stability with 4 decimals and difficulty with
3; quiz keeps memory states at that stored precision, takes each interval from the *unrounded*
stability (as Anki does) and evaluates the interval formula in f32, so a history gives the same
whole-day intervals (bench/anki_parity.py: 100% identical up to 365 days against Anki 26.09's own
scheduler in UTC, Asia/Tokyo and Europe/Berlin, default and custom parameters). The memory update
itself runs in fsrs-rs (`fsrs-rs-python`, the Rust code Anki runs, in 32-bit floats); with the `fsrs`
package's 64-bit update 19 of 71,600 intervals differed, all over 3,000 days, now 5, all over 15,000
days (the stored 4-decimal stability there is coarser than an f32). Not reproduced: Anki's load balancer and easy
days (they depend on the whole collection's workload) and the random delay Anki adds to learning-step
due times (buttons show the step itself).

Due dates and "due today"
-------------------------
* LEARNING / RELEARNING items are due at an instant: `item.due <= now`.
* REVIEW items are due on a study day, from its start (04:00 local), when
  `study_day(item.due) <= study_day(now)`. `item.due` keeps the local time of day of the answer on
  the due day (an interval of n days answered at 21:30 is due at 21:30 local n study days later),
  so `item.due - now` is the interval (within the hour a DST change adds or removes) and
  `study_day(item.due) - study_day(now)` is exactly n; `Scheduler.interval()` gives the latter.
* NEW items have no due date; they are always available (new-card limits are the session's business).
`is_due(item, now, tz, start_hour)` applies these rules.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from quiz.model import ItemState, Rating, State

if TYPE_CHECKING:  # only for annotations; the real import happens lazily
    import fsrs


__all__ = [
    "Clock",
    "DAY_SECONDS",
    "FSRS_PARAMETER_COUNT",
    "DEFAULT_START_HOUR",
    "ItemState",
    "LEARN_AHEAD_LIMIT",
    "Rating",
    "Scheduler",
    "SchedulerConfig",
    "State",
    "SystemClock",
    "add_study_days",
    "check_parameters",
    "format_interval",
    "from_fsrs_card",
    "fuzz_bounds",
    "fuzz_delta",
    "fuzz_factor",
    "is_due",
    "item_seed",
    "study_day",
    "study_day_start",
    "to_fsrs_card",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


# --------------------------------------------------------------------------------------------------
# Study days
# --------------------------------------------------------------------------------------------------

DAY_SECONDS = 86_400
DEFAULT_START_HOUR = 4  # Anki's default "next day starts at" hour
# Anki's default learn-ahead limit; intervals shorter than it are shown as "<10m" on the buttons.
LEARN_AHEAD_LIMIT = timedelta(minutes=20)


def _check_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")


def _check_start_hour(start_hour: int) -> None:
    if not 0 <= start_hour <= 23:
        raise ValueError(f"start_hour must be 0..23, got {start_hour}")


def _local(moment: datetime, tz: tzinfo | None) -> datetime:
    # tz None means the machine's local zone, as Anki uses the computer's clock settings.
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def study_day(now: datetime, tz: tzinfo | None = None, start_hour: int = DEFAULT_START_HOUR) -> date:
    """The study day `now` belongs to: a study day starts at `start_hour`:00 local time (Anki's
    convention, default 04:00), so 03:59 on the 5th still belongs to the 4th. `tz` None = local zone."""
    _check_aware(now, "now")
    _check_start_hour(start_hour)
    # Wall-clock arithmetic on the local time: subtracting the start hour moves the boundary to midnight.
    return (_local(now, tz).replace(tzinfo=None) - timedelta(hours=start_hour)).date()


def study_day_start(day: date, tz: tzinfo | None = None, start_hour: int = DEFAULT_START_HOUR) -> datetime:
    """The UTC instant study day `day` starts (its `start_hour`:00 local time)."""
    _check_start_hour(start_hour)
    wall = datetime.combine(day, time(hour=start_hour))
    local = wall.replace(tzinfo=tz) if tz is not None else wall.astimezone()
    return local.astimezone(timezone.utc)


def add_study_days(
    moment: datetime, days: int, tz: tzinfo | None = None, start_hour: int = DEFAULT_START_HOUR
) -> datetime:
    """The UTC instant `days` study days after `moment` at the same local time of day (wall-clock
    arithmetic, so a DST change in between does not move it into a neighbouring study day)."""
    _check_aware(moment, "moment")
    target = study_day(moment, tz, start_hour) + timedelta(days=days)
    wall = _local(moment, tz).replace(tzinfo=None) + timedelta(days=days)
    for fold in (0, 1):
        # A wall time inside a DST gap resolves differently with fold 0 and 1; take one that stays
        # on the target study day.
        candidate = wall.replace(fold=fold)
        local = candidate.replace(tzinfo=tz) if tz is not None else candidate.astimezone()
        result = local.astimezone(timezone.utc)
        if study_day(result, tz, start_hour) == target:
            return result
    return study_day_start(target, tz, start_hour)


def is_due(
    item: ItemState, now: datetime, tz: tzinfo | None = None, start_hour: int = DEFAULT_START_HOUR
) -> bool:
    """Whether `item` should be studied at `now` (see the module docstring for the rules)."""
    _check_aware(now, "now")
    if item.state == State.NEW or item.due is None:
        return True
    if item.state == State.REVIEW:
        return study_day(item.due, tz, start_hour) <= study_day(now, tz, start_hour)
    return item.due <= now


def _elapsed_days(last_review: datetime | None, now: datetime, tz: tzinfo | None, start_hour: int) -> int:
    """Days elapsed since the last review, exactly as Anki counts them for FSRS: whole 86,400-second
    periods between the last review and the next day rollover after `now` (so a review yesterday at
    23:00 and one today at 05:00 are one day apart, and two reviews in one study day are 0 apart)."""
    if last_review is None:
        return 0
    seconds = math.floor(_next_day_at(now, tz, start_hour).timestamp()) - math.floor(last_review.timestamp())
    return max(0, seconds) // DAY_SECONDS


def _next_day_at(now: datetime, tz: tzinfo | None, start_hour: int) -> datetime:
    """The next day rollover after `now` as Anki computes it for elapsed days (rslib/src/scheduler/
    timing.rs): today's `start_hour`:00 at the UTC offset in force *now*, plus 86,400 s once it has
    passed. On the day before a daylight-saving change that is an hour away from the local 04:00
    `study_day_start` gives; Anki's rule is followed so both count the same elapsed days."""
    local = _local(now, tz)
    fixed = local.astimezone(timezone(local.utcoffset() or timedelta(0)))
    rollover = fixed.replace(hour=start_hour, minute=0, second=0, microsecond=0)
    if rollover <= fixed.replace(microsecond=0):  # Anki compares whole seconds
        rollover += timedelta(seconds=DAY_SECONDS)
    return rollover


# --------------------------------------------------------------------------------------------------
# Seeds and fuzz (rslib/src/scheduler/states/fuzz.rs)
# --------------------------------------------------------------------------------------------------


def item_seed(deck: str, card: str, gap: int, reps: int) -> int:
    """A fuzz seed for one item at one repetition count, stable across runs, platforms and Python
    versions (unlike `hash()`). Like Anki's `card id + reps`, the same item at the same reps always
    gets the same fuzz, so a preview, an undo and a redo all agree."""
    import hashlib  # lazy: loading OpenSSL costs ~10 ms, and `quiz --help` imports this module

    digest = hashlib.blake2b(
        f"{deck}\x1f{card}\x1f{gap}".encode("utf-8"), digest_size=8, person=b"quiz-fuzz"
    ).digest()
    return (int.from_bytes(digest, "big") + reps) % (1 << 64)


def fuzz_factor(seed: int) -> float:
    """The fuzz factor in [0, 1) for `seed` (Mersenne Twister seeded with an int: reproducible)."""
    import random

    return random.Random(seed).random()


# Fuzz ranges: days in [start, end) each add `factor` days of fuzz in both directions, on top of 1 day.
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.10), (20.0, math.inf, 0.05))


def _round(x: float) -> int:
    """Rust's f32::round (half away from zero), which Anki uses everywhere, unlike Python's round()."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def _f32(x: float) -> float:
    """`x` rounded to the nearest 32-bit float, the precision Anki's FSRS code computes in."""
    rounded: float = struct.unpack("f", struct.pack("f", x))[0]
    return rounded


def _to_u32(x: float) -> int:
    # Rust's `as u32` saturates negative values to 0.
    return max(0, int(x))


def fuzz_delta(interval: float) -> float:
    """How many days an interval may move either way under fuzz (0 below 2.5 days)."""
    if interval < 2.5:
        return 0.0
    delta = 1.0
    for start, end, factor in _FUZZ_RANGES:
        delta += factor * max(min(interval, end) - start, 0.0)
    return delta


def fuzz_bounds(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """The inclusive range of whole days fuzz may pick for `interval`, kept within [minimum, maximum]
    and at least two days wide when the limits allow it (Anki's `constrained_fuzz_bounds`)."""
    minimum = min(minimum, maximum)
    interval = min(max(interval, float(minimum)), float(maximum))
    delta = fuzz_delta(interval)
    lower = min(max(_to_u32(_round(interval - delta)), minimum), maximum)
    upper = min(max(_to_u32(_round(interval + delta)), minimum), maximum)
    if upper == lower and 2 < upper < maximum:
        upper = lower + 1
    return lower, upper


def _with_review_fuzz(factor: float | None, interval: float, minimum: int, maximum: int) -> int:
    """A review interval in whole days: fuzzed when `factor` is given, else rounded; within limits."""
    if factor is not None:
        lower, upper = fuzz_bounds(interval, minimum, maximum)
        return math.floor(lower + factor * (1 + upper - lower))
    minimum = min(minimum, maximum)
    return min(max(_to_u32(_round(interval)), minimum), maximum)


# --------------------------------------------------------------------------------------------------
# Learning steps (rslib/src/scheduler/states/steps.rs), as whole seconds
# --------------------------------------------------------------------------------------------------


def _maybe_round_in_days(secs: int) -> int:
    # Delays over a day are whole days, so answering earlier or later in the day gives the same result.
    if secs > DAY_SECONDS:
        return _round(secs / DAY_SECONDS) * DAY_SECONDS
    return secs


class _Steps:
    def __init__(self, steps: tuple[timedelta, ...]) -> None:
        self.secs = tuple(int(step.total_seconds()) for step in steps)

    def __bool__(self) -> bool:
        return bool(self.secs)

    def index(self, step: int | None) -> int:
        # A step index left over from a longer step list counts as the last step (as Anki does).
        return min(max(step or 0, 0), len(self.secs) - 1)

    def again(self) -> int | None:
        return self.secs[0] if self.secs else None

    def hard(self, step: int | None) -> int | None:
        if not self.secs:
            return None
        idx = self.index(step)
        if idx > 0:
            return self.secs[idx]
        first = self.secs[0]
        if len(self.secs) > 1:
            # Mean of the first (Again) and second (Good) steps, so Again < Hard < Good.
            return _maybe_round_in_days((first + self.secs[1]) // 2)
        # 50% more than Again, but at most a day more, so Hard stays below a graduating Good.
        return _maybe_round_in_days(min(first * 3 // 2, first + DAY_SECONDS))

    def good(self, step: int | None) -> int | None:
        if not self.secs:
            return None
        idx = self.index(step) + 1
        return self.secs[idx] if idx < len(self.secs) else None


# --------------------------------------------------------------------------------------------------
# Scheduler
# --------------------------------------------------------------------------------------------------

# fsrs-rs (Anki) keeps stability within these bounds; the Python package only enforces the minimum.
_STABILITY_MIN = 0.001
_STABILITY_MAX = 36_500.0


@dataclass(frozen=True)
class SchedulerConfig:
    desired_retention: float = 0.9
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)
    maximum_interval: int = 36500
    enable_fuzzing: bool = True
    # Where study days begin (Anki's "next day starts at"); tz None = the machine's local zone.
    tz: tzinfo | None = None
    start_hour: int = DEFAULT_START_HOUR
    # The 21 FSRS-6 parameters (w0..w20); None = the `fsrs` package's defaults. `quiz optimize` fits
    # them to a learner's (or a class's) answer log and the history store keeps them.
    parameters: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        # Callers validate user input (deck `retention:`, `--retention`) into friendly errors first;
        # these guard against programming mistakes.
        if not 0.0 < self.desired_retention < 1.0:
            raise ValueError(f"desired_retention must be between 0 and 1, got {self.desired_retention}")
        if self.maximum_interval < 1:
            raise ValueError(f"maximum_interval must be at least 1 day, got {self.maximum_interval}")
        for step in (*self.learning_steps, *self.relearning_steps):
            if step.total_seconds() < 1:
                raise ValueError(f"(re)learning steps must be at least 1 second, got {step}")
        _check_start_hour(self.start_hour)
        if self.parameters is not None:
            check_parameters(self.parameters)


FSRS_PARAMETER_COUNT = 21


def check_parameters(parameters: tuple[float, ...] | list[float]) -> None:
    """Raise ValueError unless `parameters` is 21 finite numbers (FSRS-6). The `fsrs` package checks
    each against its bounds when a `Scheduler` is made; this check needs no fsrs import."""
    if len(parameters) != FSRS_PARAMETER_COUNT:
        raise ValueError(f"FSRS-6 needs {FSRS_PARAMETER_COUNT} parameters, got {len(parameters)}")
    for index, value in enumerate(parameters):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"FSRS parameter w{index} must be a finite number, got {value!r}")


@dataclass(frozen=True)
class _Memory:
    stability: float
    difficulty: float
    interval: float  # unrounded FSRS interval in days for this memory state


class Scheduler:
    """FSRS-6 memory model + Anki's interval rules. `preview()` and `review()` agree for equal seeds."""

    def __init__(self, config: SchedulerConfig = SchedulerConfig()) -> None:
        import fsrs  # lazy: `quiz --help` must not import fsrs

        self.config = config
        self._fsrs_mod = fsrs
        # Steps, intervals and fuzz are applied here (Anki's way); fsrs runs without fuzz and only
        # its memory states (stability, difficulty) and retrievability are used.
        extra = {} if config.parameters is None else {"parameters": tuple(float(w) for w in config.parameters)}
        self._fsrs = fsrs.Scheduler(
            **extra,
            desired_retention=config.desired_retention,
            learning_steps=config.learning_steps,
            relearning_steps=config.relearning_steps,
            maximum_interval=config.maximum_interval,
            enable_fuzzing=False,
        )
        # Anki computes intervals in 32-bit floats; an interval of 35.49998 (f32) vs 35.50000 (f64)
        # rounds to different days, so the interval formula is evaluated at f32 precision.
        decay = _f32(-self._fsrs.parameters[20])
        self._inverse_decay = _f32(1.0 / decay)
        self._factor = _f32(_f32(_f32(0.9) ** self._inverse_decay) - 1.0)
        self._retention_term = _f32(_f32(_f32(config.desired_retention) ** self._inverse_decay) - 1.0)
        # fsrs's own forgetting curve R = (1 + factor * days / S) ** decay, in 64-bit floats as fsrs has it.
        self._curve_decay = -float(self._fsrs.parameters[20])
        self._curve_factor = 0.9 ** (1.0 / self._curve_decay) - 1.0
        self._rs: Any = None  # fsrs_rs_python.FSRS, made on first use
        self._learn = _Steps(config.learning_steps)
        self._relearn = _Steps(config.relearning_steps)

    # ---- public API ------------------------------------------------------------------------------

    def review(self, item: ItemState, rating: Rating, now: datetime, seed: int = 0) -> ItemState:
        """The state after answering `item` with `rating` at `now`."""
        return self.preview(item, now, seed)[Rating(rating)]

    def preview(self, item: ItemState, now: datetime, seed: int = 0) -> dict[Rating, ItemState]:
        """What each rating would give at `now` (each equal to `review()` with the same seed)."""
        now = _utc(now)
        self._check_item(item)
        memories = self._next_memories(item, now)
        factor = fuzz_factor(seed) if self.config.enable_fuzzing else None
        outcomes = self._outcomes(item, memories, factor, now)
        result: dict[Rating, ItemState] = {}
        for rating in Rating:
            state, step, delay = outcomes[rating]
            memory = memories[rating]
            lapse = item.state == State.REVIEW and rating == Rating.AGAIN
            result[rating] = ItemState(
                state=state,
                step=step,
                stability=memory.stability,
                difficulty=memory.difficulty,
                due=self._due(now, delay, state),
                last_review=now,
                reps=item.reps + 1,
                lapses=item.lapses + (1 if lapse else 0),
            )
        return result

    def retrievability(self, item: ItemState, now: datetime) -> float:
        """Predicted probability of recall at `now`, 0..1 (0 for a NEW item)."""
        _check_aware(now, "now")  # (any zone: the difference of two aware times is the same in all)
        if item.state == State.NEW or item.stability is None or item.last_review is None:
            return 0.0
        # fsrs's get_card_retrievability to the bit (a test compares them), without building an fsrs.Card:
        # `quiz stats` asks for every studied item, and the Card was most of the time. fsrs counts whole
        # 24-hour periods since the last review (none before it).
        return self.recall_after(item.stability, (now - item.last_review).days)

    def recall_after(self, stability: float, elapsed_days: float) -> float:
        """`retrievability` of a studied item with this stability `elapsed_days` whole days (24-hour
        periods; exam mode also passes fractions) after its last review: fsrs's forgetting curve with the decay of the parameters in use,
        without building an fsrs.Card, since the class report evaluates it for every student and item."""
        value = float((1.0 + self._curve_factor * max(0, elapsed_days) / stability) ** self._curve_decay)
        return min(1.0, max(0.0, value))

    def interval(self, after: ItemState, now: datetime) -> timedelta:
        """The interval to show for a state `preview()` returned at `now`: whole days for REVIEW
        (study days from today to the due day, as Anki shows it), else the time until due."""
        now = _utc(now)
        if after.due is None:
            return timedelta(0)
        if after.state == State.REVIEW:
            tz, hour = self.config.tz, self.config.start_hour
            return timedelta(days=(study_day(after.due, tz, hour) - study_day(now, tz, hour)).days)
        return after.due - now

    def button_labels(self, item: ItemState, now: datetime, seed: int = 0,
                      collapse: timedelta | None = LEARN_AHEAD_LIMIT) -> dict[Rating, str]:
        """Labels for the four answer buttons: Anki's, e.g. {AGAIN: "<1m", ..., EASY: "8d"}; with
        `collapse=None` the plain intervals ("1m", "10m"), as `quiz study` shows them."""
        return {
            rating: format_interval(self.interval(after, now), collapse=collapse)
            for rating, after in self.preview(item, now, seed).items()
        }

    def study_day(self, now: datetime) -> date:
        """`study_day()` with this scheduler's time zone and day start hour."""
        return study_day(now, self.config.tz, self.config.start_hour)

    def is_due(self, item: ItemState, now: datetime) -> bool:
        """`is_due()` with this scheduler's time zone and day start hour."""
        return is_due(item, now, self.config.tz, self.config.start_hour)

    # ---- ItemState <-> fsrs.Card -----------------------------------------------------------------

    def to_fsrs_card(self, item: ItemState) -> "fsrs.Card":
        return to_fsrs_card(item)

    # ---- internals -------------------------------------------------------------------------------

    def _check_item(self, item: ItemState) -> None:
        if item.state != State.NEW and (item.stability is None or item.difficulty is None):
            raise ValueError(f"a {item.state.name} item needs stability and difficulty: {item!r}")
        if item.state != State.NEW and item.last_review is None:
            raise ValueError(f"a {item.state.name} item needs last_review: {item!r}")

    def _raw_interval(self, stability: float) -> float:
        # The interval (days) at which predicted recall falls to the desired retention, unrounded,
        # as fsrs-rs returns it to Anki (the Python package rounds it, which loses Anki's fuzz bounds).
        return _f32(_f32(_f32(stability) / self._factor) * self._retention_term)

    def _next_memories(self, item: ItemState, now: datetime) -> dict[Rating, _Memory]:
        tz, hour = self.config.tz, self.config.start_hour
        days = _elapsed_days(item.last_review, now, tz, hour)
        # The memory update in 32-bit floats by fsrs-rs, the code Anki itself runs (the `fsrs` package's
        # 64-bit arithmetic moved intervals of several thousand days across a rounding point). It only
        # depends on the stored stability/difficulty and on whole days elapsed, counted Anki's way.
        import fsrs_rs_python

        if self._rs is None:
            self._rs = fsrs_rs_python.FSRS(list(self._fsrs.parameters))
        memory = None
        if item.state != State.NEW and item.stability is not None and item.difficulty is not None:
            memory = fsrs_rs_python.MemoryState(item.stability, item.difficulty)
        states = self._rs.next_states(memory, self.config.desired_retention, days)
        memories: dict[Rating, _Memory] = {}
        for rating, updated in zip(Rating, (states.again, states.hard, states.good, states.easy)):
            exact = min(max(float(updated.memory.stability), _STABILITY_MIN), _STABILITY_MAX)
            # Kept at the precision Anki stores (card data JSON: 4 decimals for stability, 3 for
            # difficulty), so a history scheduled here continues exactly as Anki would continue it.
            stability = _round(exact * 10_000) / 10_000
            difficulty = _round(float(updated.memory.difficulty) * 1_000) / 1_000
            # The interval comes from the unrounded stability, as in Anki (it rounds only when
            # storing): S = 9.499962 is 9 days there, and 10 if rounded to 9.5 first.
            memories[rating] = _Memory(stability, difficulty, self._raw_interval(exact))
        return memories

    def _limits(self, minimum: int) -> tuple[int, int]:
        maximum = max(self.config.maximum_interval, 1)
        return min(max(minimum, 1), maximum), maximum

    def _graduate(self, interval: float, factor: float | None) -> int:
        # Leaving (re)learning: the FSRS interval rounded to whole days (at least 1), then fuzzed.
        low, high = self._limits(1)
        return _with_review_fuzz(factor, float(max(_round(interval), 1)), low, high)

    def _easy_after_good(self, memories: dict[Rating, _Memory], factor: float | None) -> int:
        # Easy out of (re)learning: at least one day more than what Good would be, fuzzed.
        low, high = self._limits(1)
        good = _with_review_fuzz(factor, memories[Rating.GOOD].interval, low, high)
        easy = float(max(_round(memories[Rating.EASY].interval), 1))
        return _with_review_fuzz(factor, easy, min(good + 1, high), high)

    def _learning_outcomes(
        self, item: ItemState, memories: dict[Rating, _Memory], factor: float | None, steps: _Steps
    ) -> dict[Rating, tuple[State, int | None, timedelta]]:
        """Anki's learning.rs / relearning.rs under FSRS (short-term FSRS scheduling only when there
        are no steps, as Anki does with its default "short-term with steps" off)."""
        stay = State.RELEARNING if item.state == State.RELEARNING else State.LEARNING
        out: dict[Rating, tuple[State, int | None, timedelta]] = {}

        def graduate_or_short_term(rating: Rating, step: int | None) -> tuple[State, int | None, timedelta]:
            interval = memories[rating].interval
            if not steps and interval < 0.5:
                return stay, 0 if step is None else step, timedelta(seconds=int(interval * DAY_SECONDS))
            return State.REVIEW, None, timedelta(days=self._graduate(interval, factor))

        again = steps.again()
        out[Rating.AGAIN] = (
            (stay, 0, timedelta(seconds=again)) if again is not None else graduate_or_short_term(Rating.AGAIN, 0)
        )
        hard = steps.hard(item.step)
        current = steps.index(item.step) if steps else 0
        out[Rating.HARD] = (
            (stay, current, timedelta(seconds=hard))
            if hard is not None
            else graduate_or_short_term(Rating.HARD, item.step)
        )
        good = steps.good(item.step)
        out[Rating.GOOD] = (
            (stay, current + 1, timedelta(seconds=good))
            if good is not None
            else graduate_or_short_term(Rating.GOOD, item.step)
        )
        out[Rating.EASY] = (State.REVIEW, None, timedelta(days=self._easy_after_good(memories, factor)))
        return out

    def _outcomes(
        self, item: ItemState, memories: dict[Rating, _Memory], factor: float | None, now: datetime
    ) -> dict[Rating, tuple[State, int | None, timedelta]]:
        """(state, step, delay until due) for each rating, given the new memory states and the
        fuzz factor (None: no fuzz)."""
        if item.state in (State.NEW, State.LEARNING):
            return self._learning_outcomes(item, memories, factor, self._learn)
        if item.state == State.RELEARNING:
            return self._learning_outcomes(item, memories, factor, self._relearn)
        return self._review_outcomes(item, memories, factor, now)

    def _scheduled_days(self, item: ItemState) -> int:
        """The interval the REVIEW item was last given, in days (due day minus last review day)."""
        assert item.due is not None and item.last_review is not None
        tz, hour = self.config.tz, self.config.start_hour
        return max(1, (study_day(item.due, tz, hour) - study_day(item.last_review, tz, hour)).days)

    def _review_outcomes(
        self, item: ItemState, memories: dict[Rating, _Memory], factor: float | None, now: datetime
    ) -> dict[Rating, tuple[State, int | None, timedelta]]:
        """Anki's review.rs under FSRS."""
        out: dict[Rating, tuple[State, int | None, timedelta]] = {}
        again = self._relearn.again()
        if again is not None:
            out[Rating.AGAIN] = (State.RELEARNING, 0, timedelta(seconds=again))
        else:
            # Without relearning steps the lapse is not fuzzed (Anki fuzzes on leaving relearning).
            interval = memories[Rating.AGAIN].interval
            if interval < 0.5:
                out[Rating.AGAIN] = (State.RELEARNING, 0, timedelta(seconds=int(interval * DAY_SECONDS)))
            else:
                out[Rating.AGAIN] = (State.REVIEW, None, timedelta(days=max(_round(interval), 1)))

        scheduled = self._scheduled_days(item) if item.due is not None else 0

        previous = 0
        for rating in (Rating.HARD, Rating.GOOD, Rating.EASY):
            interval = memories[rating].interval
            # Each passing button is at least a day longer than the one before it (Hard < Good < Easy).
            minimum = max(self._review_minimum(interval, scheduled), previous + 1)
            low, high = self._limits(minimum)
            days = _with_review_fuzz(factor, interval, low, high)
            out[rating] = (State.REVIEW, None, timedelta(days=days))
            previous = days
        return out

    def _review_minimum(self, interval: float, previous: int) -> int:
        """Anki's `minimum_review_fuzz_interval`: fuzz never takes a passed review back to its
        previous interval or below when FSRS proposes longer, nor below the previous interval when
        that is still within the proposal's fuzz range; a clearly shorter proposal (after a change
        of retention or parameters) is not held up."""
        if _to_u32(_round(interval)) > previous:
            return previous + 1
        _lower, upper = fuzz_bounds(interval, 1, max(self.config.maximum_interval, 1))
        return previous if previous <= upper else 0

    def _due(self, now: datetime, delay: timedelta, state: State) -> datetime:
        if state == State.REVIEW:
            return add_study_days(now, delay.days, self.config.tz, self.config.start_hour)
        return now + delay


def _utc(moment: datetime) -> datetime:
    _check_aware(moment, "now")
    # fsrs insists on tzinfo == timezone.utc (not just any zone at offset 0).
    return moment.astimezone(timezone.utc)


# --------------------------------------------------------------------------------------------------
# ItemState <-> fsrs.Card (lossless given reps and lapses, which fsrs.Card does not carry)
# --------------------------------------------------------------------------------------------------

# fsrs.Card requires a due date; a NEW item has none, so it travels as this placeholder.
_NO_DUE = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_fsrs_card(item: ItemState, card_id: int = 0) -> "fsrs.Card":
    """The fsrs.Card for `item`. NEW becomes fsrs's Learning at step 0 without memory state (that is
    how fsrs represents a card never reviewed); its missing due date becomes a fixed placeholder."""
    import fsrs

    step: int | None
    if item.state == State.NEW:
        state, step = fsrs.State.Learning, 0
    else:
        state, step = fsrs.State(int(item.state)), item.step
    # Passing card_id and due explicitly matters: fsrs would otherwise read the clock (and sleep).
    return fsrs.Card(
        card_id=card_id,
        state=state,
        step=step,
        stability=item.stability,
        difficulty=item.difficulty,
        due=item.due if item.due is not None else _NO_DUE,
        last_review=item.last_review,
    )


def from_fsrs_card(card: "fsrs.Card", reps: int = 0, lapses: int = 0) -> ItemState:
    """The ItemState for an fsrs.Card (inverse of `to_fsrs_card`)."""
    import fsrs

    never_reviewed = card.state == fsrs.State.Learning and card.stability is None and card.last_review is None
    if never_reviewed:
        return ItemState(state=State.NEW, reps=reps, lapses=lapses)
    return ItemState(
        state=State(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
        reps=reps,
        lapses=lapses,
    )


# --------------------------------------------------------------------------------------------------
# Interval labels (rslib/src/scheduler/timespan.rs, answer buttons)
# --------------------------------------------------------------------------------------------------

_MINUTE = 60.0
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_MONTH = 30.417 * _DAY  # 365 / 12 days, as Anki
_YEAR = 365 * _DAY


def format_interval(delta: timedelta, collapse: timedelta | None = None) -> str:
    """An Anki answer-button label: "30s", "1m", "6m", "1h", "1.5h", "3d", "1.2mo", "2.5y".

    Seconds, minutes and days are whole numbers, hours, months and years have one decimal (dropped
    when zero). With `collapse` (Anki passes its learn-ahead limit, `LEARN_AHEAD_LIMIT`), a non-zero
    interval shorter than it gets a "<" prefix: "<1m", "<10m"."""
    seconds = delta.total_seconds()
    size = abs(seconds)
    if size < _MINUTE:
        amount, suffix = float(_round(seconds)), "s"
    elif size < _HOUR:
        amount, suffix = float(_round(seconds / _MINUTE)), "m"
    elif size < _DAY:
        amount, suffix = _round(seconds / _HOUR * 10) / 10, "h"
    elif size < _MONTH:
        amount, suffix = float(_round(seconds / _DAY)), "d"
    elif size < _YEAR:
        amount, suffix = _round(seconds / _MONTH * 10) / 10, "mo"
    else:
        amount, suffix = _round(seconds / _YEAR * 10) / 10, "y"
    text = f"{amount:.0f}{suffix}" if amount == int(amount) else f"{amount:.1f}{suffix}"
    if collapse is not None and 0 < seconds < collapse.total_seconds():
        return "<" + text
    return text
