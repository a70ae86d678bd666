"""The teacher's class report (`quiz class report`): what a class got wrong, who is behind, which article
to re-teach. Pure computation over every profile's history of one deck, plus its JSON and CSV forms;
`quiz.ui.report_view` draws it on a terminal and `quiz.report_html` as a page. The answers come summed
(`HistoryStore.class_summary`: totals the stores keep up to date with every answer and undo, a few
thousand rows for a class's million answers); `summarize_answers` sums them the same way in Python.

Definitions (each number, as the tests check it):

- A review item is a card, or one gap of a cloze card. A profile's **first attempt** at an item is its
  first non-practice answer to it (time order); practice answers never count toward facility,
  discrimination, lapse rate, answer times or wrong answers. Correct means `quiz.model.is_correct`
  (graded correct, or a flip card self-rated Good or Easy).
- **facility**: the share of first attempts that were correct (0-1); None when nobody answered.
- **discrimination**: the point-biserial correlation (Pearson's r of a 0/1 variable) between getting the
  item right on the first attempt and the student's *rest score*: the share of correct first attempts
  over the deck's other items. Only students with a first attempt at the item and at one other item
  take part; None below `MIN_DISCRIMINATION_STUDENTS` of them, or when either side does not vary.
- **lapse rate**: of the non-practice answers given while the item was in the review state, the share
  rated Again (Anki's lapses); None without such answers. **median time**: of its non-practice answers.
- **wrong answers**: every non-practice answer that was not correct and has typed or chosen text,
  normalised as the grader normalises (`quiz.grading.normalize`), counted, most common first.
- **flags**: `too hard` (facility < 0.3), `too easy` (facility > 0.95 with at least 10 students),
  `check wording` (discrimination < 0: the strong students get it wrong more than the weak ones),
  `removed` (an orphan: answers to a card, or a cloze gap, that the deck no longer has).
- Students are every profile the store knows (one with no answers in the deck shows zeros). **seen**:
  the deck's items that are not NEW; **due**: of those, not suspended, not buried, due at or before now;
  **last studied**: the newest answer in the deck, practice included; **retention**: true retention over
  the last 30 days (non-practice answers to items in the review state rated Hard or better, as `quiz
  stats`); **recall now** / **expected score**: the mean FSRS retrievability of *every* item of the deck
  now / at the exam instant, a never-seen (NEW) item counting 0. Most at risk first: the lowest expected
  score (recall now without an exam), then the largest backlog.
- Sources: per cited file, the pooled first-attempt facility over the items citing it, and the mean
  current retrievability over every student and item citing it (never seen = 0). The recommendation names
  the source with the lowest facility.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from quiz.history import ClassSummary, ItemSummary
from quiz.model import Deck, ItemRecord, Rating, State
from quiz.exam import expected_score, recall_at

TOO_HARD_BELOW = 0.3
TOO_EASY_ABOVE = 0.95
TOO_EASY_MIN_STUDENTS = 10
MIN_DISCRIMINATION_STUDENTS = 5
RETENTION_DAYS = 30
WRONG_ANSWERS_KEPT = 5  # per item, in the report (the CSV and JSON too): the misconceptions, not a log

# A forgetting curve: retrievability from (stability, whole days since the last review).
Recall = Callable[[float, int], float]


def source_label(deck: Deck, file: str) -> str:
    """How a cited source file is named in the report: its label in the deck's `source_info:` (what
    students know the article by), else the file name as cited."""
    return deck.label(file)


@dataclass(frozen=True)
class WrongAnswer:
    answer: str  # normalised as the grader normalises
    count: int


@dataclass(frozen=True)
class QuestionRow:
    card: str
    gap: int
    text: str  # the question, or the cloze text with this gap hidden ("" for a removed card)
    sources: tuple[str, ...]  # labels of the sources the card cites
    students: int  # students with a first attempt
    correct: int  # of those first attempts, correct
    discrimination: float | None
    review_answers: int
    lapses: int
    median_seconds: float | None
    wrong_answers: tuple[WrongAnswer, ...]
    flags: tuple[str, ...]
    orphan: bool = False

    @property
    def label(self) -> str:
        return f"{self.card}#{self.gap}" if self.gap else self.card

    @property
    def facility(self) -> float | None:
        return self.correct / self.students if self.students else None

    @property
    def lapse_rate(self) -> float | None:
        return self.lapses / self.review_answers if self.review_answers else None


@dataclass(frozen=True)
class StudentRow:
    profile: str
    seen: int
    total: int
    due: int
    last_studied: datetime | None
    retention_answers: int
    retention_passed: int
    recall_now: float
    expected_score: float | None  # at the exam; None without one
    first_attempts: int
    first_correct: int

    @property
    def retention(self) -> float | None:
        return self.retention_passed / self.retention_answers if self.retention_answers else None


@dataclass(frozen=True)
class SourceRow:
    source: str  # the label
    file: str  # as cited
    items: int
    first_attempts: int
    first_correct: int
    retrievability: float | None  # None with no students

    @property
    def facility(self) -> float | None:
        return self.first_correct / self.first_attempts if self.first_attempts else None


@dataclass(frozen=True)
class ClassReport:
    deck: str
    title: str
    now: datetime
    exam: datetime | None
    questions: tuple[QuestionRow, ...]
    students: tuple[StudentRow, ...]
    sources: tuple[SourceRow, ...]

    @property
    def weakest_source(self) -> SourceRow | None:
        """The source whose items the class got wrong most often at first: the article to re-teach."""
        answered = [s for s in self.sources if s.facility is not None]
        if not answered:
            return None
        return min(answered, key=lambda s: (s.facility, s.retrievability or 0.0, s.source))

    @property
    def recommendation(self) -> str:
        weakest = self.weakest_source
        if weakest is None:
            return "no first attempts yet: nothing to recommend"
        return f"re-teach {weakest.source}: {_percent(weakest.facility)}"


# --------------------------------------------------------------------------------------------- compute


@dataclass(eq=False)
class _ItemTally:
    first: dict[str, bool] = field(default_factory=dict)  # profile -> first attempt correct
    durations: list[int] = field(default_factory=list)
    review_answers: int = 0
    lapses: int = 0
    wrong: Counter = field(default_factory=Counter)  # raw text -> count


def point_biserial(pairs: Sequence[tuple[bool, float]]) -> float | None:
    """Pearson's r between a 0/1 outcome and a score, over (outcome, score) pairs; None when either side
    does not vary (or there are fewer than two pairs)."""
    n = len(pairs)
    if n < 2:
        return None
    xs = [1.0 if x else 0.0 for x, _ in pairs]
    ys = [y for _, y in pairs]
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 1e-15:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _recall_of(record: ItemRecord | None, at: datetime, recall: Recall) -> float:
    return recall_at(record.state if record is not None else None, at, recall)


def summarize_answers(answers: Iterable[Any], window_start: datetime, now: datetime) -> ClassSummary:
    """`HistoryStore.class_summary` computed in Python from the answers themselves
    (`HistoryStore.class_answers`: `ClassAnswer`s or tuples in its field order, grouped by profile, each in
    time order), with the retention counts of the answers from `window_start` to `now`. The stores read
    the same from totals they keep up to date; tests hold the two equal."""
    tallies: dict[tuple[str, int], _ItemTally] = {}
    last_ms: dict[str, int] = {}
    retention: dict[str, list[int]] = {}
    now_ms = _ms(now)
    window_ms = _ms(window_start)
    review_state, again, hard = int(State.REVIEW), int(Rating.AGAIN), int(Rating.HARD)

    # One pass over the log: per answer only a few dict look-ups and sums, on plain values unpacked by
    # position.
    profile: str | None = None
    latest = -1
    kept = [0, 0]
    for name, card, gap, at, rating, correct, answer, duration, practice, before in answers:
        if name != profile:
            if profile is not None:
                _close_profile(profile, latest, kept, last_ms, retention)
            profile, latest, kept = name, -1, [0, 0]
        if at > latest:
            latest = at
        if practice:
            continue
        key = (card, gap)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _ItemTally()
        tally.durations.append(duration)
        if before == review_state:
            tally.review_answers += 1
            if rating == again:
                tally.lapses += 1
            if window_ms <= at <= now_ms:
                kept[0] += 1
                if rating >= hard:
                    kept[1] += 1
        first = tally.first
        if name not in first:
            first[name] = bool(correct)
        if not correct and answer:
            tally.wrong[answer] += 1
    if profile is not None:
        _close_profile(profile, latest, kept, last_ms, retention)
    items = {
        key: ItemSummary(tuple(tally.first.items()), tally.review_answers, tally.lapses,
                         statistics.median(tally.durations), dict(tally.wrong))
        for key, tally in tallies.items()
    }
    return ClassSummary(items, last_ms, {name: (n, passed) for name, (n, passed) in retention.items() if n})


_NO_ANSWERS = ItemSummary((), 0, 0, None, {})


def build_report(
    deck: Deck,
    answers: ClassSummary | Iterable[Any],
    items: Mapping[str, Mapping[tuple[str, int], ItemRecord]],
    profiles: Sequence[str],
    now: datetime,
    exam: datetime | None = None,
    recall: Recall | None = None,
    normalize: Callable[[str], str] | None = None,
) -> ClassReport:
    """The report of `deck` from every profile's answers, summed (`HistoryStore.class_summary` with the
    retention window `now - RETENTION_DAYS` to `now`) or as they are (`HistoryStore.class_answers`, summed
    here by `summarize_answers`), and items (`HistoryStore.class_items`). `profiles` are the students
    (those only found in the answers or `items` are added). `recall` defaults to the FSRS forgetting curve
    of `quiz.scheduler.Scheduler`, `normalize` to the grader's."""
    if recall is None:
        from quiz.scheduler import Scheduler

        recall = Scheduler().recall_after
    if normalize is None:
        from quiz.grading import normalize as grader_normalize

        normalize = grader_normalize
    summary = answers if isinstance(answers, ClassSummary) else summarize_answers(
        answers, now - timedelta(days=RETENTION_DAYS), now)

    deck_keys = [(card.id, gap) for card in deck.cards for gap in card.items]
    known = set(deck_keys)
    tallies = summary.items
    last_studied = {name: _EPOCH + timedelta(milliseconds=ms) for name, ms in summary.last_studied_ms.items()}

    students = sorted(set(profiles) | set(last_studied) | set(items))
    # Each student's first-attempt score over the deck's items, for the rest scores of discrimination.
    score: dict[str, list[int]] = {p: [0, 0] for p in students}
    for key in deck_keys:
        tally = tallies.get(key)
        if tally is None:
            continue
        for name, correct in tally.first_attempts:
            s = score[name]
            s[0] += 1
            s[1] += correct

    cards = deck.by_id
    labels = {card.id: tuple(dict.fromkeys(source_label(deck, c.source) for c in card.cite)) for card in deck.cards}
    normal: dict[str, str] = {}
    questions = []
    for key in deck_keys + sorted(k for k in tallies if k not in known):
        card_id, gap = key
        tally = tallies.get(key, _NO_ANSWERS)
        orphan = key not in known
        pairs = []
        for name, correct in tally.first_attempts:
            attempts, right = score[name]
            if not orphan:
                attempts, right = attempts - 1, right - correct
            if attempts > 0:
                pairs.append((correct, right / attempts))
        discrimination = point_biserial(pairs) if len(pairs) >= MIN_DISCRIMINATION_STUDENTS else None
        wrong: Counter = Counter()
        for raw, count in tally.wrong_answers.items():
            text = normal.get(raw)
            if text is None:
                text = normal[raw] = normalize(raw)
            if text:
                wrong[text] += count
        top = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[:WRONG_ANSWERS_KEPT]
        students_answered = len(tally.first_attempts)
        correct_first = sum(correct for _, correct in tally.first_attempts)
        facility = correct_first / students_answered if students_answered else None
        flags = []
        if orphan:  # no longer asked: nothing to fix in it
            facility = None
        if facility is not None and facility < TOO_HARD_BELOW:
            flags.append("too hard")
        if facility is not None and facility > TOO_EASY_ABOVE and students_answered >= TOO_EASY_MIN_STUDENTS:
            flags.append("too easy")
        if discrimination is not None and discrimination < 0:
            flags.append("check wording")
        if orphan:
            flags.append("removed")
        card = cards.get(card_id)
        questions.append(QuestionRow(
            card=card_id,
            gap=gap,
            text="" if orphan or card is None else _card_text(card, gap),
            sources=() if orphan else labels.get(card_id, ()),
            students=students_answered,
            correct=correct_first,
            discrimination=discrimination,
            review_answers=tally.review_answers,
            lapses=tally.lapses,
            median_seconds=None if tally.median_ms is None else tally.median_ms / 1000,
            wrong_answers=tuple(WrongAnswer(text, count) for text, count in top),
            flags=tuple(flags),
            orphan=orphan,
        ))
    questions.sort(key=lambda q: (q.orphan, q.facility is None, q.facility or 0.0, -q.students, q.card, q.gap))

    # Retrievability of every (student, item of the deck), now and at the exam; never seen = 0.
    recall_now: dict[str, dict[tuple[str, int], float]] = {}
    student_rows = []
    total = len(deck_keys)
    for name in students:
        records = items.get(name, {})
        now_values = {key: _recall_of(records.get(key), now, recall) for key in deck_keys}
        recall_now[name] = now_values
        seen = due = 0
        for key in deck_keys:
            record = records.get(key)
            if record is None or record.state.state == State.NEW:
                continue
            seen += 1
            state = record.state
            if (not record.suspended and not record.is_buried(now) and state.due is not None
                    and state.due <= now):
                due += 1
        expected = None
        if exam is not None:
            expected = expected_score(records, deck_keys, exam, recall)
        kept_counts = summary.retention.get(name, (0, 0))
        student_rows.append(StudentRow(
            profile=name,
            seen=seen,
            total=total,
            due=due,
            last_studied=last_studied.get(name),
            retention_answers=kept_counts[0],
            retention_passed=kept_counts[1],
            recall_now=sum(now_values.values()) / total if total else 0.0,
            expected_score=expected,
            first_attempts=score[name][0],
            first_correct=score[name][1],
        ))
    student_rows.sort(key=lambda s: (s.expected_score if s.expected_score is not None else s.recall_now,
                                     -s.due, s.profile))

    # Sources: the items citing each file, pooled.
    cited: dict[str, list[tuple[str, int]]] = {}
    for card in deck.cards:
        for file in dict.fromkeys(c.source for c in card.cite):
            cited.setdefault(file, []).extend((card.id, gap) for gap in card.items)
    source_rows = []
    for file, keys in cited.items():
        attempts = right = 0
        for key in keys:
            tally = tallies.get(key)
            if tally is not None:
                attempts += len(tally.first_attempts)
                right += sum(correct for _, correct in tally.first_attempts)
        values = [recall_now[name][key] for name in students for key in keys]
        source_rows.append(SourceRow(
            source=source_label(deck, file),
            file=file,
            items=len(keys),
            first_attempts=attempts,
            first_correct=right,
            retrievability=sum(values) / len(values) if values else None,
        ))
    source_rows.sort(key=lambda s: (s.facility is None, s.facility or 0.0, s.source))
    return ClassReport(deck.id, deck.title, now, exam, tuple(questions), tuple(student_rows), tuple(source_rows))


def _close_profile(profile: str, latest: int, kept: list[int], last_ms: dict[str, int],
                   retention: dict[str, list[int]]) -> None:
    # A profile's answers come together (`class_answers`); a store that broke that promise would
    # only split them, so add up rather than overwrite.
    if latest >= 0 and latest > last_ms.get(profile, -1):
        last_ms[profile] = latest
    counts = retention.setdefault(profile, [0, 0])
    counts[0] += kept[0]
    counts[1] += kept[1]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _card_text(card: Any, gap: int) -> str:
    from quiz.stats import card_text

    return card_text(card, gap)


# ------------------------------------------------------------------------------------ JSON and CSV


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def report_to_json(report: ClassReport) -> dict[str, Any]:
    return {
        "deck": report.deck,
        "title": report.title,
        "now": _instant(report.now),
        "exam": _instant(report.exam),
        "recommendation": report.recommendation,
        "cards": [
            {
                "id": q.card,
                "gap": q.gap,
                "text": q.text,
                "sources": list(q.sources),
                "orphan": q.orphan,
                "students": q.students,
                "facility": _ratio(q.facility),
                "discrimination": _ratio(q.discrimination),
                "lapse_rate": _ratio(q.lapse_rate),
                "median_seconds": _ratio(q.median_seconds),
                "wrong_answers": [{"answer": w.answer, "count": w.count} for w in q.wrong_answers],
                "flags": list(q.flags),
            }
            for q in report.questions
        ],
        "students": [
            {
                "profile": s.profile,
                "seen": s.seen,
                "total": s.total,
                "due": s.due,
                "last_studied": _instant(s.last_studied),
                "retention": _ratio(s.retention),
                "recall_now": _ratio(s.recall_now),
                "expected_score": _ratio(s.expected_score),
            }
            for s in report.students
        ],
        "sources": [
            {
                "source": s.source,
                "file": s.file,
                "items": s.items,
                "facility": _ratio(s.facility),
                "retrievability": _ratio(s.retrievability),
            }
            for s in report.sources
        ],
    }


def wrong_answers_text(row: QuestionRow) -> str:
    """"2028 ×7, 2030 ×3": the misconceptions in one line."""
    return ", ".join(f"{w.answer} \u00d7{w.count}" for w in row.wrong_answers)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def csv_cell(text: str) -> str:
    """A CSV cell holding text that came from a deck or a student (ids, typed answers, profile names):
    never read as a formula by a spreadsheet. The one place report CSVs guard their text cells, to be
    pointed at the shared guard of `quiz.interop`'s CSV writer."""
    from quiz.interop import _spreadsheet_safe

    return _spreadsheet_safe(text)


def report_tables(report: ClassReport) -> dict[str, list[list[str]]]:
    """The three tables as CSV rows (header first), by file name."""
    questions = [["id", "gap", "students", "facility", "discrimination", "lapse_rate", "median_seconds",
                  "wrong_answers", "flags", "orphan", "sources", "text"]]
    for q in report.questions:
        questions.append([csv_cell(q.card), str(q.gap), str(q.students), _number(q.facility),
                          _number(q.discrimination), _number(q.lapse_rate), _number(q.median_seconds),
                          csv_cell(wrong_answers_text(q)), "; ".join(q.flags), str(int(q.orphan)),
                          csv_cell("; ".join(q.sources)), csv_cell(q.text)])
    students = [["profile", "seen", "total", "due", "last_studied", "retention", "recall_now", "expected_score"]]
    for s in report.students:
        students.append([csv_cell(s.profile), str(s.seen), str(s.total), str(s.due),
                         _instant(s.last_studied) or "", _number(s.retention), _number(s.recall_now),
                         _number(s.expected_score)])
    sources = [["source", "file", "items", "facility", "retrievability"]]
    for r in report.sources:
        sources.append([csv_cell(r.source), csv_cell(r.file), str(r.items), _number(r.facility),
                        _number(r.retrievability)])
    return {"questions.csv": questions, "students.csv": students, "sources.csv": sources}


CSV_FILES = ("questions.csv", "students.csv", "sources.csv")


@dataclass
class Outputs:
    """The files `quiz class report` writes besides its terminal output: a page, a folder of CSV files.
    `check()` vets every target first (none may be the history, the deck or a source, and an existing
    file is replaced only with `force`), so a refusal never leaves the others half written."""

    html: Path | None = None
    csv_dir: Path | None = None
    force: bool = False
    in_use: list[Any] = field(default_factory=list)  # quiz.files.InUse

    def targets(self) -> list[Path]:
        found = [] if self.html is None else [Path(self.html)]
        if self.csv_dir is not None:
            found += [Path(self.csv_dir) / name for name in CSV_FILES]
        return found

    def check(self) -> None:
        from quiz.errors import UsageError
        from quiz.files import check_output

        if self.html is not None and not (Path(self.html).parent or Path(".")).is_dir():
            raise UsageError(f"cannot write {self.html}: the folder {Path(self.html).parent} does not exist")
        if self.csv_dir is not None and Path(self.csv_dir).exists() and not Path(self.csv_dir).is_dir():
            raise UsageError(f"--csv {self.csv_dir}: not a folder; name a folder to write the CSV files into")
        for target in self.targets():
            check_output(target, force=self.force, in_use=self.in_use)

    def write(self, report: "ClassReport") -> None:
        from quiz.errors import UsageError
        from quiz.interop import _csv_text, _write_text

        if self.csv_dir is not None:
            folder = Path(self.csv_dir)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise UsageError(f"cannot create the folder {folder}: {error.strerror or error}") from None
            for name, rows in report_tables(report).items():
                _write_text(folder / name, _csv_text(rows), None, self.force, self.in_use)
        if self.html is not None:
            from quiz.report_html import render_html

            _write_text(Path(self.html), render_html(report), None, self.force, self.in_use)

