"""The study loop: what to ask next, grading -> suggested rating, recording, undo. UI-agnostic.

A session is driven one step at a time, so that any front end can drive it:

    view = session.next_card()         # the next card to ask (a `CardView`), or None when nothing is left
    feedback = session.answer(response)  # grade the student's `Response`: verdict, evidence, rating choices
    outcome = session.act(action)      # a `Rating` (records the answer) or a `Command` (undo, suspend, ...)

A terminal front end blocks for each answer; `run()` is that loop over the three steps, talking to the
small `Frontend` protocol below (the questionary one in `quiz.ui.prompts`, the plain line one in
`quiz.ui.plain`, scripted fakes in tests). A request/response front end (a web page) calls one step per
request instead. The session never touches SQL (everything goes through a `quiz.history.HistoryStore`)
and never reads the wall clock (`clock.now()` is injected).

Queue rules (Anki's, per profile, deck and study day; a study day starts at `start_hour` local time):
  1. learning / relearning items that are due now, earliest first;
  2. review items due today, most overdue relative to their interval first (ranked when the queue is
     built, as Anki does), at most `review_limit` per deck and day (answers already given today count);
  3. new items in deck order (cloze gaps in gap order), at most `new_limit` per deck and day;
  4. when nothing else is left, learning items due within `learn_ahead` (20 min) are asked early.
Cloze siblings: once one gap of a card is answered, its other new/review gaps wait for the next study day,
and only one new/review gap per card is queued on a day (so a card's new gaps count once).
What is left today (the header's count, and the summary's "waiting for today") is 1.-3. plus the learning
items due within `learn_ahead`, counted from queues built as a new session would build them, so that the
summary says what the next `quiz study` shows; a gap held back by an answered sibling makes the next card
due when the next study day starts. Learning
items are never buried. Each deck's queue for the day is built from the store once and then kept up to
date with the session's own answers; it is built again after undo, suspend and bury, when another process
writes to the history (a second session on the same deck), and when a new study day starts.

`practice=True` walks the chosen items in a seeded shuffle without touching the schedule: answers are
logged with practice=True and after == before; items rated Again come back at the end of the round.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Callable, Protocol, Sequence, Union

from quiz.model import (LEECH_THRESHOLD, Card, CardType, Citation, Deck, ItemRecord, ItemState, LocationStatus,
                        Rating, Review, State, Verdict, lapse_makes_leech)

if TYPE_CHECKING:  # imported lazily at run time: grading pulls rapidfuzz, the scheduler pulls fsrs
    from quiz.citations import Sources
    from quiz.exam import ExamStatus
    from quiz.grading import Grade
    from quiz.history import HistoryStore
    from quiz.scheduler import Clock, Scheduler


# --------------------------------------------------------------------------------------------------
# What the session hands to a front end, and what it gets back


class Command(str, Enum):
    """Non-rating answers to the rating prompt."""

    UNDO = "undo"
    SUSPEND = "suspend"
    BURY = "bury"
    QUIT = "quit"


class EndSession(Exception):
    """Raised by a front end when the student ends the session normally (Ctrl-D, end of input, quit)."""


@dataclass(frozen=True)
class Progress:
    position: int  # 1-based number of the card on screen within this session
    total: int  # position - 1 + cards still queued (grows when learning items come back)
    new: int
    learning: int  # learning items due now or within the learn-ahead window
    review: int
    # What is left today, this card included: the header shows this rather than position/total, which
    # kept growing as failed cards came back. Learning items count when due within the learn-ahead window.
    left: int = 0
    # The card on screen is the one just answered, back at once because nothing else is due (learn-ahead).
    again_now: bool = False


@dataclass(frozen=True)
class CardView:
    """Everything a front end needs to ask one review item."""

    deck_title: str
    deck_id: str
    card: Card
    gap: int  # 0, or the 1-based cloze gap
    kind: CardType
    prompt: str  # the question, or the cloze text with the gap shown as [...]
    choices: tuple[str, ...]  # choice cards: shuffled options; truefalse: ("True", "False")
    progress: Progress
    state: State  # NEW / LEARNING / REVIEW / RELEARNING (front ends may label new cards)
    practice: bool = False
    exam: "ExamStatus | None" = None  # the deck's exam still to come: days left and expected score


@dataclass(frozen=True)
class Response:
    """The student's answer: the typed text or chosen option ("" for flip); `value` for true/false."""

    text: str
    value: bool | None = None


@dataclass(frozen=True)
class Evidence:
    """One citation as shown after answering: where the quote is and where the answer sits inside it."""

    source: str
    quote: str  # the matched text from the source (or the deck's quote when it was not found)
    found: bool
    line: int | None = None
    col: int | None = None
    highlights: tuple[tuple[int, int], ...] = ()  # [start, end) spans of `quote` to emphasise
    message: str = ""  # for citations not found: "citation not found in 003_x.txt"
    label: str = ""  # the deck's `source_info` label of the source (shown instead of the file name)


@dataclass(frozen=True)
class RatingChoice:
    rating: Rating
    label: str  # "Again", "Hard", "Good", "Easy"
    interval: str  # "10m", "3d"; "" in practice mode (nothing is scheduled)


@dataclass(frozen=True)
class Feedback:
    """What `Session.answer` gives back: the verdict and evidence to show, then the rating prompt."""

    view: CardView
    response: Response
    grade: "Grade"
    evidence: tuple[Evidence, ...]
    choices: tuple[RatingChoice, ...] = ()  # the rating prompt, each with the interval it would give
    suggested: Rating = Rating.GOOD  # the rating that fits the verdict (the prompt's default)


Action = Union[Rating, Command]


@dataclass(frozen=True)
class Passage:
    """The paragraph of a cited source around the quote, for a leech: `re-read: 004_x.txt, lines 12–14`."""

    source: str
    first_line: int
    last_line: int
    text: str  # the source's text: front ends show it through quiz.text (clipped_quote)
    highlights: tuple[tuple[int, int], ...]  # the quote inside `text`


@dataclass(frozen=True)
class Leech:
    """An item that has just lapsed for the `threshold`th time (or again every half threshold after)."""

    deck_id: str
    card_id: str
    gap: int
    lapses: int
    passages: tuple[Passage, ...]  # one per citation found in its source
    missing: tuple[str, ...] = ()  # why a citation has no passage ("citation not found in 003_x.txt")


@dataclass(frozen=True)
class Outcome:
    """What `Session.act` did with a rating or command."""

    action: Action
    done: bool  # the card is finished; False: it still waits for a rating (e.g. a refused undo)
    message: str = ""  # a one-line notice for the student ("Suspended ...", "Nothing to undo ...")
    review: Review | None = None  # the answer as recorded (a rating)
    ended: bool = False  # the student quit: the session is over
    leech: Leech | None = None  # the rating made the item a leech: offer to suspend it (`suspend_leech`)


@dataclass
class Summary:
    now: datetime  # when the session ended (front ends format `next_due` relative to it)
    practice: bool = False
    answers: int = 0  # confirmed answers in this session
    cards: int = 0  # distinct cards answered
    correct: int = 0
    almost: int = 0
    wrong: int = 0
    self_rated: int = 0  # flip cards
    seconds: float = 0.0  # wall time of the session
    next_due: datetime | None = None  # earliest scheduled item not available now (None: nothing scheduled)
    new_left_today: int = 0  # new cards that could still be introduced today within the limit
    new_limit_reached: bool = False  # new cards are waiting but today's limit is used up
    review_limit_reached: bool = False  # due reviews are waiting but today's limit is used up
    due_now: int = 0  # items still waiting now (the session was ended early)
    nothing_due: bool = False  # the session had nothing to ask from the start
    interrupted: bool = False  # ended by Ctrl-C
    tz: tzinfo | None = None  # the study time zone (None: local), for showing `next_due`


class Frontend(Protocol):
    def ask(self, view: CardView) -> Response:
        """Show the card and return the answer. Raise EndSession to end, KeyboardInterrupt on Ctrl-C."""

    def show_feedback(self, feedback: Feedback) -> None:
        """Show the verdict, the expected answer and the evidence."""

    def ask_rating(self, choices: Sequence[RatingChoice], default: Rating) -> Action:
        """Return the chosen rating (default on Enter) or a Command."""

    def notify(self, message: str) -> None:
        """A one-line status message ("Suspended ...", "Nothing to undo", ...)."""

    def show_summary(self, summary: Summary) -> None:
        """The end-of-session summary (also shown after Ctrl-C)."""

    def offer_suspend(self, leech: Leech) -> bool:
        """Say the item is a leech, show the passages to re-read, and return True to suspend it."""


# --------------------------------------------------------------------------------------------------
# Options


@dataclass(frozen=True)
class StudyOptions:
    new_limit: int = 20
    review_limit: int = 200
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # cited file names (a path's last part is compared)
    practice: bool = False
    retention: float | None = None  # overrides each deck's `retention`
    exam: datetime | None = None  # overrides each deck's `exam` (quiz/exam.py says what changes until then)
    tz: tzinfo | None = None  # None: the machine's local time zone
    start_hour: int = 4
    learn_ahead: timedelta = timedelta(minutes=20)
    # Anki caps an answer's recorded time at 60 s by default, so a student who walks away does not
    # skew time statistics; we do the same.
    max_answer_time: timedelta = timedelta(seconds=60)
    leech_threshold: int = LEECH_THRESHOLD  # lapses that make an item a leech (0: never)


RATING_LABELS = {Rating.AGAIN: "Again", Rating.HARD: "Hard", Rating.GOOD: "Good", Rating.EASY: "Easy"}


def select_cards(deck: Deck, tags: Sequence[str] = (), sources: Sequence[str] = ()) -> list[Card]:
    """The deck's cards having any of `tags` (if given) and citing any of `sources` (if given)."""
    wanted_tags = {t.casefold() for t in tags}
    wanted_sources = {PurePath(s).name for s in sources}
    chosen = []
    for card in deck.cards:
        if wanted_tags and not wanted_tags.intersection(t.casefold() for t in card.tags):
            continue
        if wanted_sources and not any(PurePath(c.source).name in wanted_sources for c in card.cite):
            continue
        chosen.append(card)
    return chosen


# --------------------------------------------------------------------------------------------------
# The queue


@dataclass(frozen=True)
class _Item:
    deck: Deck
    card: Card
    gap: int
    state: ItemState

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.deck.id, self.card.id, self.gap)


@dataclass
class _Plan:
    """The queue at one instant: what `_next` asks and what the summary reports."""

    learning: list[_Item] = field(default_factory=list)  # due now, earliest first
    reviews: list[_Item] = field(default_factory=list)
    new: list[_Item] = field(default_factory=list)
    ahead: list[_Item] = field(default_factory=list)  # learning due within the learn-ahead window
    next_due: datetime | None = None
    new_left: int = 0
    new_limit_reached: bool = False
    review_limit_reached: bool = False

    def first(self) -> _Item | None:
        for part in (self.learning, self.reviews, self.new, self.ahead):
            if part:
                return part[0]
        return None

    def size(self) -> int:
        return len(self.learning) + len(self.reviews) + len(self.new) + len(self.ahead)


@dataclass
class _DeckQueue:
    """One deck's queue for one study day. Built from the store in one walk over the deck's cards
    (`Session._build_queue`, ~20 ms on 10,000 cards), then patched after each of this session's own
    answers (`Session._patch_queue`), so that picking the next card costs a few bisections instead of that
    walk. Rebuilt when the study day changes, a burial ends, another process writes (store.changed_since),
    and after undo, suspend and bury; an answer the patch does not expect also leads to a rebuild."""

    generation: int
    tomorrow: datetime  # the next study day's start: this queue is for the day before it
    # Reviews are ranked by overdueness at this instant. Anki also fixes the order when it builds its
    # queue: within a session the ranks barely move, and re-ranking 1,000 due reviews before every card
    # is what made the next card slow on big decks.
    ranked_at: datetime
    valid_until: datetime | None  # the earliest end of a burial: the queue must be rebuilt then
    learning: list[tuple[datetime, int, int, _Item]]  # (re)learning items: (due, deck order, gap, item), sorted
    reviews: list[tuple[float, int, _Item]]  # today's reviews, a gap per card: (-overdueness, order, item), sorted
    new: list[_Item]  # the new items to introduce today, in deck order, within today's limit
    new_cap: int  # new items today's limit still allows
    review_cap: int  # reviews today's limit still allows (only the first `review_cap` of `reviews` are asked)
    new_limit_reached: bool  # more new items are waiting than `new` holds
    later: datetime | None  # the earliest due of the reviews that wait for a later study day
    touched: dict[str, set[int]]  # gaps answered today per card: their siblings wait for the next day
    # A new or due gap waits for the next study day only because a sibling gap was answered today: the
    # next card is then due tomorrow, not when the next review falls due.
    held: bool = False


def _learning_key(entry: tuple[datetime, int, int, _Item]) -> tuple[datetime, int, int]:
    return entry[:3]


def _due_of(entry: tuple[datetime, int, int, _Item]) -> datetime:
    return entry[0]


@dataclass
class _Answered:
    review: Review
    item: _Item
    verdict: Verdict
    practice_queue: list[_Item] | None  # practice: the queue before this answer, restored by undo


_LEARNING = (State.LEARNING, State.RELEARNING)


@dataclass(frozen=True)
class _Pending:
    """The card on screen: shown by `next_card`, answered by `answer`, finished by `act`."""

    item: _Item
    view: CardView
    shown_at: datetime
    feedback: Feedback | None = None
    reveal: datetime | None = None  # when the answer was graded: the instant the rating applies to
    scheduler: "Scheduler | None" = None
    seed: int = 0


class Session:
    def __init__(
        self,
        decks: Sequence[Deck],
        store: "HistoryStore",
        clock: "Clock",
        frontend: Frontend | None,
        options: StudyOptions = StudyOptions(),
        scheduler_for: Callable[[Deck], "Scheduler"] | None = None,
        locate: Callable[[Deck, Citation], object] | None = None,
    ) -> None:
        """`scheduler_for(deck)` and `locate(deck, citation) -> quiz.citations.Location` default to the
        real ones (imported lazily); tests may pass their own."""
        self.decks = list(decks)
        self.store = store
        self.clock = clock
        self.frontend = frontend
        self.options = options
        self._cards = {d.id: select_cards(d, options.tags, options.sources) for d in self.decks}
        self._scheduler_for = scheduler_for or self._default_scheduler
        self._schedulers: dict[str, Scheduler] = {}
        self._locate = locate or self._default_locate
        self._sources: dict[str, Sources] = {}
        self._answered: list[_Answered] = []
        self._forced: tuple[str, str, int] | None = None  # the item undo brought back, asked next
        self._practice_queue: list[_Item] | None = None
        self._queues: dict[str, _DeckQueue] = {}
        self._position = {d.id: {c.id: i for i, c in enumerate(self._cards[d.id])} for d in self.decks}
        self._pending: _Pending | None = None  # the card shown by `next_card`, until `act` is done with it
        self._ended = False  # the student quit

    # ---- public

    def next_card(self) -> CardView | None:
        """Step 1: the card to ask now, or None when nothing is left (or the student quit). Until `act`
        is done with it, asking again returns the same card."""
        if self._pending is not None:
            return self._pending.view
        if self._ended:
            return None
        if self.options.practice and self._practice_queue is None:
            self._practice_queue = self._practice_items()
        now = self.clock.now()
        item, progress = self._next(now)
        if item is None:
            return None
        view = self._view(item, progress)
        if not self.options.practice and self._exam(item.deck, now) is not None:
            view = replace(view, exam=self._exam_status(item.deck, now))
        self._pending = _Pending(item, view, shown_at=self.clock.now())
        return view

    def answer(self, response: Response) -> Feedback:
        """Step 2: grade the student's answer to the card `next_card` returned. The feedback holds the
        verdict, the evidence and the rating choices (each with the interval it would give, previewed at
        this instant, which is also when the answer counts as given)."""
        pending = self._pending
        if pending is None or pending.feedback is not None:
            raise RuntimeError("answer() needs a card from next_card() that has not been answered yet")
        item = pending.item
        grade = self._grade(item, response)
        evidence = self._evidence(item, grade, response)
        suggested = _suggested_rating(grade.verdict)
        reveal = self.clock.now()  # preview and review use the same instant, so the label is what applies
        scheduler = None if self.options.practice else self._scheduler(item.deck)
        seed = self._seed(item)
        labels = {}
        if scheduler and self._exam(item.deck, reveal) is not None:
            from quiz.scheduler import format_interval

            # The intervals as the exam caps them (`_record` applies the same), so the label is what applies.
            labels = {rating: format_interval(scheduler.interval(self._exam_cap(item.deck, scheduler, after, reveal),
                                                                 reveal), collapse=None)
                      for rating, after in scheduler.preview(item.state, reveal, seed).items()}
        elif scheduler:
            # Plain "10m" rather than Anki's collapsed "<10m": the step is what the student will wait.
            labels = scheduler.button_labels(item.state, reveal, seed, collapse=None)
        choices = tuple(RatingChoice(r, RATING_LABELS[r], labels.get(r, "")) for r in Rating)
        feedback = Feedback(pending.view, response, grade, evidence, choices, suggested)
        self._pending = replace(pending, feedback=feedback, reveal=reveal, scheduler=scheduler, seed=seed)
        return feedback

    def act(self, action: Action) -> Outcome:
        """Step 3: the student's choice at the rating prompt. A rating records the answer; undo reverts this
        session's last answer (its card comes next); suspend and bury put the card away; quit ends the
        session. `Outcome.done` False (a refused undo) means the card still waits for a rating."""
        pending = self._pending
        if pending is None or pending.feedback is None:
            raise RuntimeError("act() needs a card answered with answer() first")
        item, feedback = pending.item, pending.feedback
        if isinstance(action, Rating):
            assert pending.reveal is not None
            review = self._record(item, feedback.response, feedback.grade, Rating(action), feedback.suggested,
                                  pending.shown_at, pending.reveal, pending.scheduler, pending.seed)
            self._pending = None
            return Outcome(action, done=True, review=review, leech=self._leech(item, review))
        if action is Command.UNDO:
            undone = self._answered[-1].item.card.id if self._answered else ""
            refusal = self._undo()
            if refusal is not None:
                return Outcome(action, done=False, message=refusal)
            self._pending = None
            return Outcome(action, done=True, message=f"Undid the answer to {undone}; asking it again.")
        if action in (Command.SUSPEND, Command.BURY) and self.options.practice:
            # Practice never changes the schedule; suspending or burying would (front ends don't offer them).
            return Outcome(action, done=False, message="Practice does not change the schedule: suspend and bury "
                                                       "are not available here (quiz suspend CARD does it).")
        if action is Command.SUSPEND:
            self.store.set_suspended(item.deck.id, item.card.id, True, gaps=item.card.items)
            self._queues.clear()
            self._drop_card(item)
            self._pending = None
            return Outcome(action, done=True, message=f"Suspended {item.card.id} (quiz unsuspend brings it back).")
        if action is Command.BURY:
            assert pending.reveal is not None
            until = self._day_start(pending.reveal, days=1)
            self.store.bury(item.deck.id, item.card.id, until, gaps=item.card.items)
            self._queues.clear()
            self._drop_card(item)
            self._pending = None
            return Outcome(action, done=True, message=f"Buried {item.card.id} until tomorrow.")
        # Command.QUIT (and, as ever, anything a front end returns that is neither a rating nor a command)
        self._pending = None
        self._ended = True
        return Outcome(action, done=True, ended=True)

    def suspend_leech(self, leech: Leech) -> str:
        """Suspend the card of a leech (the student accepted the offer); the notice to show."""
        for deck in self.decks:
            card = deck.by_id.get(leech.card_id) if deck.id == leech.deck_id else None
            if card is not None:
                self.store.set_suspended(deck.id, card.id, True, gaps=card.items)
                self._queues.clear()
                self._drop_card(_Item(deck, card, leech.gap, ItemState()))
        return f"Suspended {leech.card_id} (quiz unsuspend brings it back)."

    def run(self) -> Summary:
        """The whole session through `self.frontend`, until nothing is left, the student quits or presses
        Ctrl-C; then the summary."""
        assert self.frontend is not None, "run() needs a front end; without one, drive the session with next_card/answer/act"
        started = self.clock.now()
        interrupted = False
        nothing_due = False
        try:
            nothing_due = self._loop()
        except EndSession:
            pass
        except KeyboardInterrupt:
            interrupted = True
        summary = self.summary(started, interrupted=interrupted, nothing_due=nothing_due)
        try:
            self.frontend.show_summary(summary)
        except KeyboardInterrupt:  # a second Ctrl-C while the summary prints: nothing left to save
            summary.interrupted = True
        return summary

    def summary(self, started: datetime, *, interrupted: bool = False, nothing_due: bool = False) -> Summary:
        now = self.clock.now()
        s = Summary(now=now, practice=self.options.practice, interrupted=interrupted, nothing_due=nothing_due,
                    tz=self.options.tz)
        s.seconds = max(0.0, (now - started).total_seconds())
        s.answers = len(self._answered)
        s.cards = len({(a.item.deck.id, a.item.card.id) for a in self._answered})
        for a in self._answered:
            if a.verdict is Verdict.CORRECT:
                s.correct += 1
            elif a.verdict is Verdict.ALMOST:
                s.almost += 1
            elif a.verdict is Verdict.WRONG:
                s.wrong += 1
            else:
                s.self_rated += 1
        # What a new session started now would show: queues built afresh from the store, the same
        # learn-ahead window. (Counting without the window, from this session's patched queues, told a
        # student 4 cards were waiting where a restart showed 19.)
        self._queues.clear()
        plan = self._plan(now, learn_ahead=self.options.learn_ahead)
        s.next_due = plan.next_due
        s.new_left_today = plan.new_left
        s.new_limit_reached = plan.new_limit_reached
        s.review_limit_reached = plan.review_limit_reached
        s.due_now = len(self._practice_queue) if self._practice_queue is not None else plan.size()
        return s

    # ---- the loop

    def _loop(self) -> bool:
        """Ask until nothing is left; return True if there was nothing to ask at all."""
        first = True
        while True:
            view = self.next_card()
            if view is None:
                return first
            first = False
            self._ask(view)

    def _next(self, now: datetime) -> tuple[_Item | None, Progress]:
        done = len(self._answered)
        if self._practice_queue is not None:
            queue = self._practice_queue
            if self._forced is not None:
                for i, it in enumerate(queue):
                    if it.key == self._forced:
                        queue.insert(0, queue.pop(i))
                        break
                self._forced = None
            counts = Progress(done + 1, done + len(queue), 0, 0, 0, left=len(queue))
            counts = replace(
                counts,
                new=sum(it.state.state is State.NEW for it in queue),
                learning=sum(it.state.state in _LEARNING for it in queue),
                review=sum(it.state.state is State.REVIEW for it in queue),
            )
            return (queue[0] if queue else None), counts
        plan = self._plan(now, learn_ahead=self.options.learn_ahead)
        item = plan.first()
        if self._forced is not None:
            forced = self._find(self._forced, now)
            self._forced = None
            if forced is not None:
                item = forced
        size = plan.size()
        if item is not None and not any(it.key == item.key for it in self._plan_items(plan)):
            size += 1  # an undone item outside today's queue (e.g. now buried as a sibling)
        again_now = (item is not None and bool(self._answered) and self._answered[-1].item.key == item.key
                     and not any(it.key != item.key for it in plan.learning + plan.reviews + plan.new))
        progress = Progress(done + 1, done + size, len(plan.new), len(plan.learning) + len(plan.ahead),
                            len(plan.reviews), left=size, again_now=again_now)
        return item, progress

    @staticmethod
    def _plan_items(plan: _Plan) -> list[_Item]:
        return plan.learning + plan.reviews + plan.new + plan.ahead

    def _ask(self, view: CardView) -> None:
        """One card through the front end: the answer, the feedback, then ratings or commands until the card
        is done. Raises EndSession when the student quits."""
        assert self.frontend is not None
        response = self.frontend.ask(view)
        feedback = self.answer(response)
        self.frontend.show_feedback(feedback)
        while True:
            outcome = self.act(self.frontend.ask_rating(list(feedback.choices), feedback.suggested))
            if outcome.message:
                self.frontend.notify(outcome.message)
            if outcome.leech is not None and self.frontend.offer_suspend(outcome.leech):
                self.frontend.notify(self.suspend_leech(outcome.leech))
            if outcome.ended:
                raise EndSession
            if outcome.done:
                return

    def _record(self, item: _Item, response: Response, grade: "Grade", rating: Rating, suggested: Rating,
                shown_at: datetime, reveal: datetime, scheduler: "Scheduler | None", seed: int) -> Review:
        answered_at = self.clock.now()
        duration = min(max(answered_at - shown_at, timedelta(0)), self.options.max_answer_time)
        if scheduler is None:
            after, interval = item.state, 0.0
        else:
            after = self._exam_cap(item.deck, scheduler, scheduler.review(item.state, rating, reveal, seed), reveal)
            interval = (after.due - reveal).total_seconds() / 86400 if after.due else 0.0
        # Override: the student overrules the grader with a better rating than its verdict suggests.
        override = grade.verdict in (Verdict.WRONG, Verdict.ALMOST) and rating > suggested
        review = self.store.record(Review(
            deck=item.deck.id, card=item.card.id, gap=item.gap, reviewed_at=reveal, rating=int(rating),
            verdict=grade.verdict, answer=response.text, duration_ms=int(duration / timedelta(milliseconds=1)),
            before=item.state, after=after, interval_days=interval, practice=self.options.practice,
            override=override,
        ))
        if not self.options.practice:
            self._patch_queue(item, after, answered_at)
        snapshot = None
        if self._practice_queue is not None:
            snapshot = list(self._practice_queue)
            self._practice_queue.pop(0)
            if rating is Rating.AGAIN:
                self._practice_queue.append(item)
        self._answered.append(_Answered(review, item, grade.verdict, snapshot))
        return review

    def _undo(self) -> str | None:
        """Revert this session's last confirmed answer and ask that item next; or say why not."""
        if not self._answered:
            return "Nothing to undo yet in this session."
        last = self._answered[-1]
        # Only this session's own newest answer may go: the store checks that inside the write
        # transaction, so an answer another session gave meanwhile is never removed.
        if self.store.undo(last.item.deck.id, if_newest=last.review.id) is None:
            return "Cannot undo: this deck was answered in another session since."
        self._answered.pop()
        self._queues.clear()
        if last.practice_queue is not None:
            self._practice_queue = last.practice_queue
        self._forced = last.item.key
        return None

    def _drop_card(self, item: _Item) -> None:
        if self._practice_queue is not None:
            self._practice_queue = [
                it for it in self._practice_queue if (it.deck.id, it.card.id) != (item.deck.id, item.card.id)
            ]

    # ---- building the queue

    def _day_start(self, now: datetime, days: int = 0) -> datetime:
        from quiz.scheduler import study_day, study_day_start

        day = study_day(now, self.options.tz, self.options.start_hour)
        return study_day_start(day + timedelta(days=days), self.options.tz, self.options.start_hour)

    def _plan(self, now: datetime, learn_ahead: timedelta) -> _Plan:
        """The queue at `now`: each deck's day queue, split at `now` and `now + learn_ahead`."""
        plan = _Plan()
        tomorrow = self._day_start(now, days=1)
        ahead_until = now + learn_ahead
        next_due: list[datetime] = []
        learning: list[tuple[datetime, int, int, int, _Item]] = []
        ahead: list[tuple[datetime, int, int, int, _Item]] = []
        reviews: list[tuple[float, int, int, _Item]] = []
        for deck_index, deck in enumerate(self.decks):
            q = self._queue(deck, now, tomorrow)
            due_now = bisect.bisect_right(q.learning, now, key=_due_of)
            soon = bisect.bisect_right(q.learning, ahead_until, key=_due_of)
            learning += [(due, deck_index, order, gap, it) for due, order, gap, it in q.learning[:due_now]]
            ahead += [(due, deck_index, order, gap, it) for due, order, gap, it in q.learning[due_now:soon]]
            if soon < len(q.learning):
                next_due.append(q.learning[soon][0])
            if q.later is not None:
                next_due.append(q.later)
            if q.valid_until is not None:  # a buried item comes back when its burial ends
                next_due.append(q.valid_until)
            if q.held:
                next_due.append(tomorrow)
            reviews += [(rank, deck_index, order, it) for rank, order, it in q.reviews[:q.review_cap]]
            plan.review_limit_reached |= len(q.reviews) > q.review_cap
            plan.new += q.new
            plan.new_left += len(q.new)
            plan.new_limit_reached |= q.new_limit_reached
        if len(self.decks) > 1:  # each deck's part is sorted already
            learning.sort(key=lambda t: t[:4])
            ahead.sort(key=lambda t: t[:4])
            reviews.sort(key=lambda t: t[:3])
        plan.learning = [t[-1] for t in learning]
        plan.ahead = [t[-1] for t in ahead]
        plan.reviews = [t[-1] for t in reviews]
        plan.next_due = min(next_due) if next_due else None
        if plan.review_limit_reached or plan.new_limit_reached:
            plan.next_due = min(plan.next_due, tomorrow) if plan.next_due else tomorrow
        return plan

    def _queue(self, deck: Deck, now: datetime, tomorrow: datetime) -> _DeckQueue:
        """The deck's day queue, rebuilt if it is stale."""
        q = self._queues.get(deck.id)
        if (q is None or self.store.changed_since(q.generation) or q.tomorrow != tomorrow
                or (q.valid_until is not None and now >= q.valid_until)):
            q = self._queues[deck.id] = self._build_queue(deck, now)
        return q

    def _build_queue(self, deck: Deck, now: datetime, ranked_at: datetime | None = None) -> _DeckQueue:
        """The queue rules (see the module docstring) applied to the stored items of the deck."""
        opts = self.options
        generation = self.store.change_token()  # before reading, so that no later write goes unseen
        ranked_at = ranked_at or now
        day_start = self._day_start(now)
        # "Due today" for a review item is study_day(due) <= today, i.e. due before the next day starts.
        tomorrow = self._day_start(now, days=1)
        records = self.store.items(deck.id)  # cached by the store, re-read when another process writes
        new_done, reviews_done = self.store.answered_since(deck.id, day_start)
        touched: dict[str, set[int]] = {}
        for card_id, gap in self.store.answered_keys(deck.id, day_start):
            touched.setdefault(card_id, set()).add(gap)
        q = _DeckQueue(generation=generation, tomorrow=tomorrow, ranked_at=ranked_at,
                       valid_until=None, learning=[], reviews=[], new=[],
                       new_cap=max(0, opts.new_limit - new_done), review_cap=max(0, opts.review_limit - reviews_done),
                       new_limit_reached=False, later=None, touched=touched)
        fresh: list[tuple[Card, int, ItemRecord | None]] = []  # never studied (or NEW) items, in deck order
        final_pass = self._final_pass(deck, now)
        due_reviews: list[tuple[float, int, _Item]] = []
        taken: set[str] = set()  # cards with a learning item due today: their siblings wait
        for order, card in enumerate(self._cards[deck.id]):
            for gap in card.items:
                rec = records.get((card.id, gap))
                if rec is None:
                    fresh.append((card, gap, None))
                    continue
                if rec.suspended:
                    continue  # never asked, never "next due"
                state = rec.state
                due = state.due
                if (state.state is State.REVIEW and due is not None and due >= tomorrow
                        and not (final_pass is not None and final_pass(state))):
                    # A burial ends by the next study day at the latest, so it never hides a later one.
                    q.later = due if q.later is None else min(q.later, due)
                    continue
                if rec.is_buried(now):
                    assert rec.buried_until is not None
                    q.valid_until = rec.buried_until if q.valid_until is None else min(q.valid_until, rec.buried_until)
                    continue
                if state.state is State.NEW:
                    fresh.append((card, gap, rec))
                elif due is None:
                    continue
                elif state.state in _LEARNING:
                    q.learning.append((due, order, gap, _Item(deck, card, gap, state)))
                    if due < tomorrow:
                        taken.add(card.id)
                elif not _sibling_answered(touched, card.id, gap):
                    interval = (due - state.last_review) if state.last_review else timedelta(days=1)
                    overdue = (ranked_at - due) / max(interval, timedelta(days=1))
                    due_reviews.append((-overdue, order, _Item(deck, card, gap, state)))
                else:
                    q.held = True
        q.learning.sort(key=_learning_key)
        due_reviews.sort(key=lambda t: (t[0], t[1]))
        seen_cards = set(taken)
        for entry in due_reviews:
            if entry[2].card.id not in seen_cards:  # a second due gap of a card (or a learning sibling) waits a day
                seen_cards.add(entry[2].card.id)
                q.reviews.append(entry)
        exam = self._exam(deck, now)
        if exam is not None:
            # Pacing: the items not introduced by the start of today, spread over the days left.
            from quiz.exam import days_left, new_quota

            quota = new_quota(len(fresh) + new_done, days_left(now, exam, opts.tz, opts.start_hour), opts.new_limit)
            q.new_cap = max(0, quota - new_done)
            # A card's new gaps come one a day: cards with more of them start first, or the last ones
            # would not all be in before the exam (a stable sort keeps deck order otherwise).
            gaps_left: dict[str, int] = {}
            for card, _gap, _rec in fresh:
                gaps_left[card.id] = gaps_left.get(card.id, 0) + 1
            fresh.sort(key=lambda entry: -gaps_left[entry[0].id])
        for card, gap, rec in fresh:  # in deck order, until the day's limit
            # (a sibling answered today is checked first: `held` must not depend on the order of the checks)
            if rec is None:  # never studied
                if touched.get(card.id):
                    q.held = True
                    continue  # a sibling was answered today
            elif _sibling_answered(touched, card.id, gap):
                q.held = True
                continue
            if card.id in seen_cards:
                continue  # new siblings count once
            if len(q.new) == q.new_cap:
                q.new_limit_reached = True
                break
            seen_cards.add(card.id)
            q.new.append(_Item(deck, card, gap, rec.state if rec is not None else ItemState()))
        return q

    def _patch_queue(self, item: _Item, after: ItemState, now: datetime) -> None:
        """This session's own answer moved one item: move it in the deck's queue instead of rebuilding.
        The queue holds at most one gap per card among today's reviews, new items and learning items due
        today, so the answered item takes no sibling with it. Anything unexpected (an undone item asked
        outside the queue, a learning item due on a later day, an answer that leaves an item due today in
        review) drops the queue, and the next card rebuilds it."""
        q = self._queues.get(item.deck.id)
        if q is None:
            return
        before = item.state
        order = self._position[item.deck.id][item.card.id]
        key = (order, item.gap)
        taken_out = False
        if before.state in _LEARNING:
            if before.due is not None and before.due < q.tomorrow:
                at = bisect.bisect_left(q.learning, (before.due, order, item.gap), key=_learning_key)
                if at < len(q.learning) and q.learning[at][1:3] == key:
                    del q.learning[at]
                    taken_out = True
        elif before.state is State.REVIEW:
            for at, (_, o, it) in enumerate(q.reviews):
                if (o, it.gap) == key:
                    del q.reviews[at]
                    q.review_cap = max(0, q.review_cap - 1)
                    taken_out = True
                    break
        else:
            for at, it in enumerate(q.new):
                if it.card is item.card and it.gap == item.gap:
                    del q.new[at]
                    q.new_cap = max(0, q.new_cap - 1)
                    taken_out = True
                    break
        if not taken_out:
            del self._queues[item.deck.id]
            return
        if after.state in _LEARNING and after.due is not None:
            bisect.insort(q.learning, (after.due, order, item.gap, replace(item, state=after)), key=_learning_key)
        elif after.state is State.REVIEW and after.due is not None and after.due >= q.tomorrow:
            q.later = after.due if q.later is None else min(q.later, after.due)
        else:
            del self._queues[item.deck.id]
            return
        q.touched.setdefault(item.card.id, set()).add(item.gap)
        if not q.held and len(item.card.items) > 1:
            records = self.store.items(item.deck.id)
            q.held = any(_held_by_sibling(records.get((item.card.id, gap)), now, q.tomorrow)
                         for gap in item.card.items if gap != item.gap)

    def _find(self, key: tuple[str, str, int], now: datetime) -> _Item | None:
        deck_id, card_id, gap = key
        for deck in self.decks:
            if deck.id == deck_id and card_id in deck.by_id:
                rec = self.store.items(deck_id).get((card_id, gap))
                return _Item(deck, deck.by_id[card_id], gap, rec.state if rec else ItemState())
        return None

    def _practice_items(self) -> list[_Item]:
        items = []
        for deck in self.decks:
            records = self.store.items(deck.id)
            for card in self._cards[deck.id]:
                for gap in card.items:
                    rec = records.get((card.id, gap))
                    if rec is not None and rec.suspended:
                        continue
                    items.append(_Item(deck, card, gap, rec.state if rec else ItemState()))
        # Seeded from the clock: a fresh order each session, reproducible in tests with a fixed clock.
        random.Random(int(self.clock.now().timestamp())).shuffle(items)
        return items

    # ---- one card

    def _seed(self, item: _Item) -> int:
        from quiz.scheduler import item_seed

        return item_seed(item.deck.id, item.card.id, item.gap, item.state.reps)

    def _view(self, item: _Item, progress: Progress) -> CardView:
        card = item.card
        if card.type is CardType.CLOZE:
            prompt = card.cloze_prompt(item.gap)
        else:
            prompt = card.question
        choices: tuple[str, ...] = ()
        if card.type is CardType.CHOICE:
            options = list(card.choices)
            # Seeded by the item and its review count: a new order on each review, the same after undo.
            random.Random(self._seed(item)).shuffle(options)
            choices = tuple(options)
        elif card.type is CardType.TRUEFALSE:
            choices = ("True", "False")
        return CardView(
            deck_title=item.deck.title, deck_id=item.deck.id, card=card, gap=item.gap, kind=card.type,
            prompt=prompt, choices=choices, progress=progress, state=item.state.state,
            practice=self.options.practice,
        )

    def _grade(self, item: _Item, response: Response) -> "Grade":
        from quiz import grading

        card = item.card
        expected = card.expected(item.gap)
        if card.type is CardType.FLIP:
            return grading.Grade(Verdict.SELF, expected)
        if card.type is CardType.CHOICE:
            return grading.grade_choice(response.text, expected)
        if card.type is CardType.TRUEFALSE:
            value = response.value
            if value is None:
                value = response.text.strip().casefold() in ("t", "true", "yes", "y")
            return grading.grade_truefalse(value, expected)
        accept = card.accept if card.type is CardType.TYPED else ()
        return grading.grade(response.text, expected, accept)

    def _evidence(self, item: _Item, grade: "Grade", response: Response) -> tuple[Evidence, ...]:
        card = item.card
        expected = card.expected(item.gap)
        wanted = [expected, grade.expected, *card.accept]
        if card.type in (CardType.TRUEFALSE,):
            wanted = []
        elif grade.verdict is Verdict.CORRECT and response.text:
            wanted.append(response.text)
        shown = []
        for citation in card.cite:
            info = item.deck.info(citation.source)
            label = info.label if info is not None else ""
            try:
                loc = self._locate(item.deck, citation)
            except Exception as error:  # a broken source must never stop a study session
                shown.append(Evidence(citation.source, citation.quote, False,
                                      message=f"citation not checked in {citation.source}: {error}", label=label))
                continue
            status = getattr(loc, "status", LocationStatus.ERROR)
            if status in (LocationStatus.EXACT, LocationStatus.NORMALIZED):
                text = getattr(loc, "text", None) or citation.quote
                shown.append(Evidence(
                    source=getattr(loc, "source", None) or citation.source, quote=text, found=True,
                    line=getattr(loc, "line", None), col=getattr(loc, "col", None),
                    highlights=highlight_spans(text, wanted), label=label,
                ))
            else:
                if status == LocationStatus.MISSING:
                    message = f"citation not found in {PurePath(citation.source).name}"
                else:  # the source itself is unusable (missing file, outside the sources folder, ...)
                    message = getattr(loc, "message", "") or f"cannot read {citation.source}"
                shown.append(Evidence(
                    source=citation.source, quote=citation.quote, found=False,
                    highlights=highlight_spans(citation.quote, wanted), message=message, label=label,
                ))
        return tuple(shown)

    def _leech(self, item: _Item, review: Review) -> Leech | None:
        """The leech this answer made (a lapse reaching the threshold), with the passages to re-read."""
        before, after = review.before, review.after
        if review.practice or after.lapses <= before.lapses:
            return None
        if not lapse_makes_leech(after.lapses, self.options.leech_threshold):
            return None
        passages: list[Passage] = []
        missing: list[str] = []
        for citation in item.card.cite:
            try:
                passages.append(self._passage(item.deck, citation))
            except LookupError as why:
                missing.append(str(why))
            except Exception as error:  # a broken source must never stop a study session
                missing.append(f"citation not checked in {citation.source}: {error}")
        return Leech(item.deck.id, item.card.id, item.gap, after.lapses, tuple(passages), tuple(missing))

    def _passage(self, deck: Deck, citation: Citation) -> Passage:
        """The paragraph around the quote in its source; LookupError naming why there is none."""
        from quiz.citations import SourceError, paragraph_around

        loc = self._locate(deck, citation)
        start, end = getattr(loc, "start", -1), getattr(loc, "end", -1)
        if getattr(loc, "status", None) not in (LocationStatus.EXACT, LocationStatus.NORMALIZED) or start < 0:
            raise LookupError(f"citation not found in {PurePath(citation.source).name}")
        source = getattr(loc, "source", None) or citation.source
        try:
            src = self._deck_sources(deck).get(source)
        except SourceError as error:
            raise LookupError(str(error)) from None
        para = paragraph_around(src, start, end)
        return Passage(source, para.first_line, para.last_line, para.text, (para.quote,))

    # ---- exam mode (quiz/exam.py)

    def _exam(self, deck: Deck, now: datetime) -> datetime | None:
        """The deck's exam instant (`--exam` over the deck's `exam:`) while it is still to come, else None."""
        exam = self.options.exam or deck.exam
        return exam if exam is not None and now < exam else None

    def _exam_status(self, deck: Deck, now: datetime) -> "ExamStatus | None":
        from quiz.exam import exam_status

        exam = self._exam(deck, now)
        if exam is None:
            return None
        keys = [(card.id, gap) for card in deck.cards for gap in card.items]  # the exam asks the whole deck
        return exam_status(now, exam, self.store.items(deck.id), keys, self._scheduler(deck).recall_after,
                           self.options.tz, self.options.start_hour)

    def _exam_cap(self, deck: Deck, scheduler: "Scheduler", after: ItemState, now: datetime) -> ItemState:
        """`after` with its due date pulled before the deck's exam where recall then needs it."""
        exam = self._exam(deck, now)
        if exam is None:
            return after
        from quiz.exam import cap_due

        return cap_due(after, now, exam, scheduler.config.desired_retention, scheduler.recall_after,
                       self.options.tz, self.options.start_hour)

    def _final_pass(self, deck: Deck, now: datetime) -> Callable[[ItemState], bool] | None:
        """Whether a review item not due yet comes up today in the exam's final pass (None: no exam)."""
        exam = self._exam(deck, now)
        if exam is None:
            return None
        from quiz.exam import final_pass_due

        scheduler = self._scheduler(deck)
        target, recall = scheduler.config.desired_retention, scheduler.recall_after
        tz, hour = self.options.tz, self.options.start_hour
        return lambda state: final_pass_due(state, now, exam, target, recall, tz, hour)

    # ---- dependencies, lazily

    def _scheduler(self, deck: Deck) -> "Scheduler":
        if deck.id not in self._schedulers:
            self._schedulers[deck.id] = self._scheduler_for(deck)
        return self._schedulers[deck.id]

    def _default_scheduler(self, deck: Deck) -> "Scheduler":
        from quiz.scheduler import Scheduler, SchedulerConfig

        from quiz.params import weights_in_use

        retention = self.options.retention or deck.retention or 0.9
        # The scheduler counts elapsed days in study days, so it must use the session's zone and day start.
        return Scheduler(SchedulerConfig(desired_retention=retention, tz=self.options.tz,
                                         start_hour=self.options.start_hour,
                                         parameters=weights_in_use(self.store)))

    def _deck_sources(self, deck: Deck) -> "Sources":
        from quiz.citations import Sources

        sources = self._sources.get(deck.id)
        if sources is None:
            sources = self._sources[deck.id] = Sources(deck)
        return sources

    def _default_locate(self, deck: Deck, citation: Citation) -> object:
        from quiz.citations import locate

        sources = self._deck_sources(deck)
        # explain=False: the closest-passage search is `quiz check`'s job; here a flag is enough.
        return locate(sources, citation, explain=False)


def _held_by_sibling(rec: ItemRecord | None, now: datetime, tomorrow: datetime) -> bool:
    """Whether a gap whose sibling was answered today would be asked today but for that answer (a new
    gap, or a review due today), as `_build_queue` decides: it then waits for the next study day."""
    if rec is None:
        return True
    state = rec.state
    if rec.suspended or (state.state is State.REVIEW and state.due is not None and state.due >= tomorrow):
        return False
    if rec.is_buried(now):
        return False
    return state.state is State.NEW or (state.state is State.REVIEW and state.due is not None)


def _sibling_answered(touched: dict[str, set[int]], card_id: str, gap: int) -> bool:
    """Whether another gap of the card was answered today (without building sets per item)."""
    gaps = touched.get(card_id)
    if not gaps:
        return False
    return len(gaps) > 1 or gap not in gaps


def _suggested_rating(verdict: Verdict) -> Rating:
    return {Verdict.WRONG: Rating.AGAIN, Verdict.ALMOST: Rating.HARD}.get(verdict, Rating.GOOD)


_WORD = re.compile(r"\w+")
# The spelling-variant search grades every run of words of the quote: ~1.5 s for a 100,000-character
# quote. Real quotes are a sentence or two; a longer one only gets the verbatim searches.
_SPELLING_SEARCH_CHARS = 5_000


def highlight_spans(text: str, candidates: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Where the answer sits inside a quote, as [start, end) spans of `text`; () if it is not there.

    For each candidate in order (the expected answer first), the first way that finds it wins: verbatim
    (case and runs of spaces ignored: "$6 billion"), its words with any punctuation between them
    ("after 2024" in "after 2024,"), a run of as many words that the grader accepts as a spelling of
    it ("Yuri Borissov" for "Yuri Borisov"). Failing all candidates, a name's surname alone."""
    cands = [c.strip() for c in candidates if c and c.strip()]
    words = list(_WORD.finditer(text))
    for cand in cands:  # the expected answer first, then the accepted alternatives
        spans = _find_all(r"\s+".join(re.escape(tok) for tok in cand.split()), text)
        cand_words = _WORD.findall(cand)
        if not spans and cand_words:
            spans = _find_all(r"\W+".join(re.escape(w) for w in cand_words), text)
        if spans:
            return spans
        size = len(cand_words)
        for i in range(len(words) - size + 1) if size and len(text) <= _SPELLING_SEARCH_CHARS else ():
            start, end = words[i].start(), words[i + size - 1].end()
            if _graded_equal(text[start:end], cand):
                return ((start, end),)
    for cand in cands:
        names = _WORD.findall(cand)
        if len(names) >= 2 and all(w[:1].isupper() for w in names):
            spans = _find_all(re.escape(names[-1]), text)
            if spans:
                return spans
    return ()


def _find_all(pattern: str, text: str) -> tuple[tuple[int, int], ...]:
    # (?<!\w)/(?!\w) instead of \b: a pattern may start or end with a symbol such as "$"
    return tuple((m.start(), m.end()) for m in re.finditer(r"(?<!\w)" + pattern + r"(?!\w)", text, re.IGNORECASE))


def _graded_equal(piece: str, expected: str) -> bool:
    from quiz.grading import grade

    return grade(piece, expected).verdict is Verdict.CORRECT
