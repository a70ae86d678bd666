"""Command-line interface: parse options, call the core, render the result.

This is the only module where errors become messages and exit codes:
0 success, 1 a check found problems, 2 bad usage or bad input, 130 interrupted.
Heavy modules (questionary, fsrs, rapidfuzz, rich) are imported inside the commands that need them,
so `quiz --help` and `quiz check` stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
import typer.core

from quiz.errors import DeckError, QuizError, UsageError


class _PlainValue:
    """Coerce one command-line value of a plain type (int/float with min/max, str, Path; optional or a
    list of them) the way typer would, without typer 0.29's pydantic TypeAdapter: importing pydantic
    costs 150+ ms, and `quiz study` must show its first card quickly."""

    def __init__(self, kind: type, info: object, many: bool) -> None:
        self.kind, self.info, self.many = kind, info, many

    @classmethod
    def for_param(cls, param: object) -> "_PlainValue | None":
        from typing import Union, get_args, get_origin

        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(descriptor, "file_annotation", None) is not None:
            return None
        annotation, many = descriptor.annotation, False
        if get_origin(annotation) in (list, List):
            annotation, many = get_args(annotation)[0], True
        if get_origin(annotation) is Union:
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else None
        info = descriptor.parameter_info
        if annotation not in (bool, int, float, str, Path) or getattr(info, "parser", None) or getattr(info, "clamp", False):
            return None
        return cls(annotation, info, many)

    def coerce(self, value: object, param: object, ctx: object) -> object:
        if value is None:
            return () if self.many else None
        if self.many:
            return [self._one(v, param, ctx) for v in (value if isinstance(value, (list, tuple)) else [value])]
        return self._one(value, param, ctx)

    def _one(self, raw: object, param: object, ctx: object) -> object:
        if self.kind in (str, Path):
            return self.kind(raw)
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "t", "yes", "y", "on"):
                return True
            if text in ("0", "false", "f", "no", "n", "off", ""):
                return False
            raise typer.BadParameter(f"{raw!r} is not a valid boolean.", ctx=ctx, param=param)  # type: ignore[arg-type]
        try:
            value = self.kind(raw)
        except (TypeError, ValueError):
            noun = "an integer" if self.kind is int else "a number"
            raise typer.BadParameter(f"{raw!r} is not {noun}.", ctx=ctx, param=param)  # type: ignore[arg-type]
        low, high = getattr(self.info, "min", None), getattr(self.info, "max", None)
        if low is not None and value < low:
            raise typer.BadParameter(f"{raw} is less than the minimum {low}.", ctx=ctx, param=param)  # type: ignore[arg-type]
        if high is not None and value > high:
            raise typer.BadParameter(f"{raw} is more than the maximum {high}.", ctx=ctx, param=param)  # type: ignore[arg-type]
        return value


def _use_plain_values(params: list) -> None:
    for param in params:
        if getattr(param, "_runtime_param", False) is None:
            plain = _PlainValue.for_param(param)
            if plain is not None:
                param._runtime_param = plain


class _QuickCommand(typer.core.TyperCommand):
    """A command whose plain-typed parameters skip typer's pydantic coercion (see `_PlainValue`).
    Anything else, or a typer without that machinery, keeps typer's own coercion."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        _use_plain_values(self.get_params(ctx))  # with the (cached) --help option
        return super().parse_args(ctx, args)


class _QuickGroup(typer.core.TyperGroup):
    """The app's own options (--install-completion, --show-completion: bool defaulting to None) are
    parsed on every run of every command; without this they alone import pydantic (~150 ms)."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        _use_plain_values(self.get_params(ctx))  # with the (cached) --help option
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]
        # Every subcommand, not only those declared with cls=_QuickCommand: a bare --help bool alone
        # would import pydantic (`quiz schema`, `quiz stats`, `quiz undo`, ...).
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _use_plain_values(command.get_params(ctx))
        return name, command, rest


app = typer.Typer(
    cls=_QuickGroup,
    name="quiz",
    help="Study from decks whose every answer cites its source.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # click's plain help and usage errors: typer's rich formatter imports rich.markdown and markdown_it
    # (~115 ms CPU, more than the rest of `quiz --help`), and help must come up fast.
    rich_markup_mode=None,
)


def fail(error: QuizError) -> typer.Exit:
    """Print a core error the user can act on (no traceback) and return the exit to raise."""
    if isinstance(error, DeckError):
        for problem in error.problems:
            typer.echo(str(problem), err=True)
    else:
        typer.echo(f"Error: {error}", err=True)
    return typer.Exit(error.exit_code)


class _StartedClock:
    """Test hook behind `QUIZ_NOW`: a clock that starts at a fixed instant and advances with real time."""

    def __init__(self, start: "datetime") -> None:
        import time

        self._start = start
        self._t0 = time.monotonic()
        self._monotonic = time.monotonic

    def now(self) -> "datetime":
        from datetime import timedelta

        return self._start + timedelta(seconds=self._monotonic() - self._t0)


def make_clock():
    """The clock the core uses. `QUIZ_NOW` (ISO-8601 with offset) is a TEST HOOK for end-to-end tests:
    time starts there and advances with real elapsed time. Otherwise the system clock."""
    import os
    from datetime import datetime, timezone

    from quiz.scheduler import SystemClock

    raw = os.environ.get("QUIZ_NOW", "").strip()
    if not raw:
        return SystemClock()
    try:
        start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} is not an ISO-8601 time (e.g. 2026-11-21T19:47:00+00:00)"))
    if start.tzinfo is None:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} needs a UTC offset (e.g. +00:00)"))
    return _StartedClock(start.astimezone(timezone.utc))


def day_start_hour() -> int:
    """The local hour a study day starts: 4 (Anki's convention), or `QUIZ_DAY_START` (0-23) for a class
    whose evenings run late or whose mornings start early."""
    import os

    raw = os.environ.get("QUIZ_DAY_START", "").strip()
    if not raw:
        return 4
    if not raw.isdecimal() or not 0 <= int(raw) <= 23:
        raise fail(UsageError(f"QUIZ_DAY_START={raw!r} must be an hour from 0 to 23"))
    return int(raw)


def open_store(db: Optional[Path], profile: Optional[str], create: bool = True):
    """Open the history store: `--db`, else `QUIZ_DB`, else the user data folder; `--profile`, else
    `QUIZ_PROFILE`, else `default`. `QUIZ_BUSY_TIMEOUT` (seconds, default 10) is how long to wait for
    another process that holds the file's write lock. A StoreError becomes a message and exit 2.
    `create=False` (commands that only read): a missing file is an empty history, and is not created."""
    import os

    from quiz.store import Store, default_db_path, default_profile

    path = db if db is not None else default_db_path()
    name = profile or default_profile()
    raw_wait = os.environ.get("QUIZ_BUSY_TIMEOUT", "").strip()
    try:
        wait = float(raw_wait) if raw_wait else 10.0
    except ValueError:
        wait = -1.0
    if not 0 <= wait <= 3600:
        raise fail(UsageError(f"QUIZ_BUSY_TIMEOUT={raw_wait!r} must be a number of seconds from 0 to 3600"))
    try:
        return Store(path, name, busy_timeout=wait, create=create)
    except QuizError as error:  # StoreError (unusable file), UsageError (bad profile name)
        raise fail(error)


_PROFILE_OPTION = typer.Option(None, "--profile", envvar="QUIZ_PROFILE", metavar="NAME",
                               help="History profile (default: default).")
_DB_OPTION = typer.Option(None, "--db", envvar="QUIZ_DB", metavar="FILE", help="History database file.")


def _load_decks(paths: List[Path]) -> list:
    """Load the decks (every problem of every deck reported at once); refuse two decks with one id."""
    from quiz.deck import load_deck

    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_deck(path))
        except DeckError as error:
            problems.extend(error.problems)
    if problems:
        raise fail(DeckError(problems))
    seen: dict = {}
    for deck in loaded:
        if deck.id in seen:
            raise fail(UsageError(f"{deck.path} and {seen[deck.id]} have the same deck id {deck.id!r}; "
                                  "give one of them another `id:`"))
        seen[deck.id] = deck.path
    return loaded


def _deck_id(deck: Optional[str]) -> Optional[str]:
    """A `--deck` value that names a deck file or a deck id, as the id."""
    if deck is not None and (deck.endswith((".yaml", ".yml")) or Path(deck).is_file()):
        (loaded,) = _load_decks([Path(deck)])
        return loaded.id
    return deck


def _console(soft_wrap: bool = False):
    import os

    from rich.console import Console

    # NO_COLOR: no escape codes at all (rich alone would drop colours but keep bold); the heatmap then
    # shades with characters.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(file=sys.stdout, highlight=False, markup=False, emoji=False, soft_wrap=soft_wrap,
                   color_system=None if plain else "auto")


def _print_json(data: object) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the deck format (for editors and CI)."""
    from importlib.resources import files

    sys.stdout.write(files("quiz").joinpath("deck.schema.json").read_text(encoding="utf-8"))


@app.command(cls=_QuickCommand)  # plain option types: skip typer's pydantic coercion (~150 ms)
def check(
    paths: Optional[List[Path]] = typer.Argument(
        None, metavar="PATH", help="Deck files or folders of decks (default: ./decks).", show_default=False
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the full report as JSON on stdout."),
    strict: bool = typer.Option(False, "--strict",
                                help="Treat warnings (unsupported answers, question-quality rules) as failures."),
    fix: bool = typer.Option(
        False, "--fix", help="Rewrite near-verbatim quotes (score >= 90) to the source's exact text."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list normalized citations and coverage."),
) -> None:
    """Prove every citation: each quote must occur in its source file (exact or normalized).

    Also warns about question quality, each warning with its rule: answer-leak, answer-stands-out,
    similar-question, duplicate-card, unsupported-answer, statement-is-quote (a card may list rules it is
    exempt from under `lint:`).

    Exit 0 all verified; 1 a citation failed (or a warning with --strict); 2 an invalid deck or bad usage.
    """
    from quiz import check as checking

    try:
        report = checking.build(paths or [], fix=fix, strict=strict)
    except QuizError as error:
        raise fail(error)
    for deck_report in report.decks:
        for problem in deck_report.problems:
            typer.echo(str(problem), err=True)
    if json_output:
        _print_json(checking.to_json(report))
    else:
        checking.render_text(report, _console(soft_wrap=True), verbose=verbose)
    raise typer.Exit(report.exit_code)


@app.command("find", cls=_QuickCommand)
def find_quote(
    phrase: str = typer.Argument(..., metavar="PHRASE", help="Words to look for in the sources.",
                                 show_default=False),
    deck: Optional[Path] = typer.Argument(None, metavar="DECK", help="Search this deck's sources (and show "
                                          "their labels).", show_default=False),
    sources: Optional[Path] = typer.Option(None, "--sources", metavar="DIR",
                                           help="Search this folder instead of a deck's sources."),
    limit: int = typer.Option(5, "--limit", min=1, max=100, metavar="N", help="Passages to show."),
    json_output: bool = typer.Option(False, "--json", help="Print the passages as JSON."),
) -> None:
    """Find a quote in the sources: exact, then normalized, then the closest passages.

    Prints each passage as LABEL FILE:LINE:COL with its sentence, then a ready-to-paste `cite:` block
    with the source's exact text (typos included). Exit 0 found; 1 nothing close; 2 bad usage.
    """
    from quiz.check import yaml_scalar
    from quiz.citations import Sources, clip, find_passages, printable

    if (deck is None) == (sources is None):
        raise fail(UsageError("give a DECK or --sources DIR (one of them) to search, e.g. "
                              "quiz find 'after 2024' decks/iss.yaml"))
    loaded = None
    if deck is not None:
        (loaded,) = _load_decks([deck])
        folder = loaded.sources
    else:
        assert sources is not None
        if not sources.is_dir():
            raise fail(UsageError(f"--sources {sources}: no such folder"))
        folder = sources
    if not phrase.strip():
        raise fail(UsageError("PHRASE is empty; give the words to look for"))
    passages = find_passages(Sources(folder), phrase, limit)

    def label(source: str) -> str:
        return loaded.label(source) if loaded is not None and loaded.info(source) is not None else ""

    if json_output:
        _print_json({
            "phrase": phrase,
            "sources": str(Path(folder).resolve()),
            "passages": [{"source": p.source, "label": label(p.source) or None, "status": p.status,
                          "score": p.score, "line": p.line, "col": p.col, "start": p.start, "end": p.end,
                          "text": p.text, "sentence": p.sentence} for p in passages],
            "cite": ({"source": passages[0].source, "quote": passages[0].text} if passages else None),
        })
        raise typer.Exit(0 if passages else 1)
    if not passages:
        typer.echo(f"Nothing close to {printable(phrase)!r} in {folder}.")
        raise typer.Exit(1)
    for p in passages:
        how = p.status if p.status != "fuzzy" else f"closest, score {p.score}"
        name = label(p.source)
        typer.echo(printable(f"{name + ' ' if name else ''}{p.source}:{p.line}:{p.col} ({how})"))
        typer.echo(printable("  " + clip(p.sentence)))
    best = passages[0]
    typer.echo("")
    typer.echo("cite:")
    typer.echo(printable(f"  - source: {yaml_scalar(best.source, chr(39))}"))
    typer.echo(f"    quote: {yaml_scalar(best.text, chr(39))}")


@app.command(cls=_QuickCommand)
def study(
    decks: List[Path] = typer.Argument(..., metavar="DECK", help="Deck files (YAML) to study.", show_default=False),
    new: int = typer.Option(20, "--new", min=0, metavar="N", help="New cards per deck and study day."),
    reviews: int = typer.Option(200, "--reviews", min=0, metavar="N", help="Reviews per deck and study day."),
    tag: List[str] = typer.Option([], "--tag", metavar="TAG",
                                  help="Only cards with this tag (repeatable: any of them)."),
    source: List[str] = typer.Option(
        [], "--source", metavar="FILE",
        help="Only cards citing this source file (repeatable: any of them; with --tag: both).",
    ),
    practice: bool = typer.Option(False, "--practice", help="Go through the cards without changing the schedule."),
    plain: bool = typer.Option(False, "--plain", help="Plain numbered lines (automatic without a terminal)."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
    retention: Optional[float] = typer.Option(
        None, "--retention", min=0.7, max=0.99, metavar="R",
        help="Desired retention 0.70-0.99 (overrides the deck's).",
    ),
) -> None:
    """Study the cards that are due: answer, see the cited evidence, rate, repeat.

    A study day starts at 04:00 local time. Ctrl-C ends the session (exit 130); every rated answer is already saved.

    Without a terminal (pipes) or with --plain: one answer per input line.

    The evidence names each source by its label from the deck's `source_info:` (else its file name).
    """
    import os

    from quiz.session import Session, StudyOptions, select_cards

    unique: dict = {}  # the same file named twice (e.g. by a shell glob) is studied once
    for path in decks:
        unique.setdefault(path.resolve(), path)
    loaded = _load_decks(list(unique.values()))
    if (tag or source) and not any(select_cards(d, tag, source) for d in loaded):
        wanted = " ".join([f"--tag {t}" for t in tag] + [f"--source {s}" for s in source])
        raise fail(UsageError(f"no card matches {wanted}"))
    options = StudyOptions(new_limit=new, review_limit=reviews, tags=tuple(tag), sources=tuple(source),
                           practice=practice, retention=retention, start_hour=day_start_hour())
    clock = make_clock()
    if plain or os.environ.get("TERM") == "dumb" or not (sys.stdin.isatty() and sys.stdout.isatty()):
        from quiz.ui.plain import PlainFrontend

        frontend = PlainFrontend()
    else:
        from quiz.ui.prompts import PromptFrontend

        frontend = PromptFrontend()
    # The decks live as long as the session: moved out of the collector's sight, a full collection no
    # longer walks every card's objects (tens of ms on 10,000 cards, felt as a stall between cards).
    import gc

    store = open_store(db, profile)
    gc.freeze()
    try:
        summary = Session(loaded, store, clock, frontend, options).run()
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()
        gc.unfreeze()  # an in-process caller (a test) gets its collector back as it was
    if summary.interrupted:
        raise typer.Exit(130)


# --- progress and card management: stats, list, suspend, unsuspend, reset, undo --------------------


def _deck_data(store, deck):
    """A deck with its stored items, and the stored items whose card (or gap) the deck no longer has."""
    from quiz.stats import DeckData

    items = store.items(deck.id)
    known = {(card.id, gap) for card in deck.cards for gap in card.items}
    return DeckData(deck, items, [record for key, record in sorted(items.items()) if key not in known])


@app.command()
def stats(
    decks: Optional[List[Path]] = typer.Argument(
        None, metavar="DECK", help="Deck files (default: every *.yaml in ./decks).", show_default=False
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the numbers as JSON."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Progress: what is due, activity, retention, hardest cards, mastery per source.

    Cards by state, due today/tomorrow, 30-day forecast, 12-week heatmap, true retention, streak.

    Per cited article (by its `source_info:` label): answers correct and current recall, so you know which
    one to re-read.

    Without DECK: every *.yaml / *.yml file in ./decks. Counts are per review item (a cloze gap is one).
    """
    from quiz.scheduler import Scheduler
    from quiz.stats import (MAX_ANSWER_SECONDS, SLOT_SECONDS, AnswerTotals, compute_stats, next_day_start,
                            render_stats, stats_to_json)

    if not decks:
        decks = sorted([*Path("decks").glob("*.yaml"), *Path("decks").glob("*.yml")])
        if not decks:
            raise fail(UsageError("no DECK given and no decks/*.yaml here; name one, e.g. quiz stats decks/iss.yaml"))
    loaded = _load_decks(decks)
    now = make_clock().now()
    store = open_store(db, profile, create=False)
    try:
        data = [_deck_data(store, deck) for deck in loaded]
        hour = day_start_hour()
        before = next_day_start(now, None, hour)
        totals = AnswerTotals()
        for deck in loaded:
            slots, items = store.answer_totals(deck.id, before, int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS)
            totals.slots += slots
            totals.items += items
        numbers = compute_stats(data, totals, now, None, Scheduler().retrievability, start_hour=hour)
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()
    if json_output:
        _print_json(stats_to_json(numbers))
    else:
        render_stats(numbers, _console())


@app.command("list")
def list_cards(
    deck: Path = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print every item's full state as JSON."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Each card's state: type, due date, stability, difficulty, reviews, lapses; cloze gaps as card#N."""
    from quiz.stats import list_items, render_list, row_to_json

    (loaded,) = _load_decks([deck])
    now = make_clock().now()
    store = open_store(db, profile, create=False)
    try:
        rows, orphan_rows = list_items(_deck_data(store, loaded), now, None, start_hour=day_start_hour())
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()
    if json_output:
        _print_json({
            "deck": loaded.id,
            "title": loaded.title,
            "now": now.isoformat(),
            "items": [row_to_json(r) for r in rows],
            "orphaned": [row_to_json(r) for r in orphan_rows],
        })
    else:
        render_list(rows, orphan_rows, _console())


def _manage(deck_path: Path, ids: List[str], profile: Optional[str], db: Optional[Path], action: str) -> None:
    """suspend / unsuspend / reset: check every id first, then change each card and confirm it."""
    from quiz.scheduler import State
    from quiz.stats import resolve_targets, short_text

    (deck,) = _load_decks([deck_path])
    try:
        targets = resolve_targets(deck, ids)
    except QuizError as error:
        raise fail(error)
    now = make_clock().now()
    store = open_store(db, profile)
    try:
        items = store.items(deck.id)
        for target in targets:
            records = [items.get((target.card.id, gap)) for gap in target.gaps]
            suspended = all(r is not None and r.suspended for r in records)
            text = short_text(target.card, target.gaps[0] if len(target.gaps) == 1 else 0)
            name = target.label + (f" ({len(target.gaps)} gaps)" if len(target.gaps) > 1 else "")
            if action == "suspend":
                store.set_suspended(deck.id, target.card.id, True, gaps=target.gaps)
                line = f"{name} was already suspended" if suspended else f"Suspended {name}"
            elif action == "unsuspend":
                was = any(r is not None and r.suspended for r in records)
                store.set_suspended(deck.id, target.card.id, False, gaps=target.gaps)
                line = f"Unsuspended {name}" if was else f"{name} was not suspended"
            else:
                fresh = all(r is None or r.state.state is State.NEW for r in records)
                store.reset(deck.id, target.card.id, now, gaps=target.gaps)
                if fresh:
                    line = f"{name} is new already"
                else:
                    line = f"Reset {name} to new (its answers stay in the history)"
                if any(r is not None and r.suspended for r in records):
                    line += "; still suspended"
            typer.echo(f"{line}: {text}")
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()


_IDS_ARGUMENT = typer.Argument(..., metavar="ID", help="Card ids; card#N for one gap of a cloze card.",
                               show_default=False)
_DECK_ARGUMENT = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False)


@app.command()
def suspend(
    deck: Path = _DECK_ARGUMENT,
    ids: List[str] = _IDS_ARGUMENT,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Stop asking these cards (their schedule and history are kept) until `quiz unsuspend`."""
    _manage(deck, ids, profile, db, "suspend")


@app.command()
def unsuspend(
    deck: Path = _DECK_ARGUMENT,
    ids: List[str] = _IDS_ARGUMENT,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Ask suspended cards again, on the schedule they had."""
    _manage(deck, ids, profile, db, "unsuspend")


@app.command()
def reset(
    deck: Path = _DECK_ARGUMENT,
    ids: List[str] = _IDS_ARGUMENT,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Make cards new again, as if never studied; their answers stay in the history (and in stats)."""
    _manage(deck, ids, profile, db, "reset")


@app.command()
def undo(
    deck: Optional[str] = typer.Option(None, "--deck", metavar="DECK",
                                       help="Only this deck's answers (a deck file or a deck id)."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Take back the last answer of the profile: the card goes back to how it was before it."""
    from quiz.scheduler import Rating
    from quiz.stats import describe_state, item_label

    deck_id = _deck_id(deck)
    now = make_clock().now()
    store = open_store(db, profile, create=False)
    try:
        review = store.undo(deck_id)
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()
    if review is None:
        typer.echo("Nothing to undo" + (f" in deck {deck_id}." if deck_id else f" for profile {store.profile}."))
        return
    when = review.reviewed_at.astimezone().strftime("%Y-%m-%d %H:%M")
    rating = Rating(review.rating).name.capitalize()
    kind = "practice answer" if review.practice else "answer"
    effect = ("the schedule was not changed by it" if review.practice
              else f"the card is back to {describe_state(review.before, now, None)}")
    typer.echo(f"Undid the {kind} to {review.deck}:{item_label(review.card, review.gap)} "
               f"({rating}, {review.verdict}) from {when}; {effect}.")


# --- interop: export, import, history -------------------------------------------------------------


def _to_stdout(out: Optional[Path]) -> bool:
    return out is None or str(out) == "-"


@app.command()
def export(
    deck: Path = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False),
    fmt: str = typer.Option(..., "--format", "-f", metavar="apkg|csv",
                            help="apkg (Anki package) or csv (one row per card)."),
    out: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE", help="File to write (csv: '-' or none for standard output).",
        show_default=False,
    ),
) -> None:
    """Export a deck for Anki (.apkg, citations on the back) or a spreadsheet (CSV).

    Re-importing a newer .apkg of the same deck into Anki updates its notes instead of duplicating them.
    """
    from quiz import interop

    fmt = fmt.strip().casefold()
    if fmt not in ("apkg", "csv"):
        raise fail(UsageError(f"unknown export format {fmt!r}; use --format apkg or --format csv"))
    if fmt == "apkg" and _to_stdout(out):
        raise fail(UsageError("an Anki package is a file: give one with -o, e.g. -o deck.apkg"))
    (loaded,) = _load_decks([deck])
    try:
        if fmt == "apkg":
            count = interop.export_apkg(loaded, out, make_clock().now())
        else:
            count = interop.export_csv(loaded, None if _to_stdout(out) else out, sys.stdout)
    except QuizError as error:
        raise fail(error)
    if not _to_stdout(out):
        typer.echo(f"Wrote {count} card{'s' if count != 1 else ''} of {loaded.id} to {out}", err=True)


@app.command("import")
def import_(
    source: Path = typer.Argument(..., metavar="FILE", help="Quizlet or Anki text export (.tsv, .csv, .txt).",
                                  show_default=False),
    out: Path = typer.Option(..., "--output", "-o", metavar="FILE", help="Deck file to create (.yaml).",
                             show_default=False),
    reverse: bool = typer.Option(False, "--reverse", help="Ask the other side (Quizlet: the term; Anki: the back)."),
    title: Optional[str] = typer.Option(None, "--title", metavar="TEXT", help="Deck title (default: the file name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the deck file if it exists."),
    sources: Optional[Path] = typer.Option(None, "--sources", metavar="DIR",
                                           help="Folder of the source articles (the deck's `sources:`)."),
) -> None:
    """Make a deck skeleton from term/definition pairs (Quizlet export or Anki 'Notes in Plain Text').

    Quizlet lines (term TAB definition) ask the definition and expect the term; Anki notes ask the front.

    Every card cites a TODO placeholder that `quiz check` flags until you put in the source and a verbatim quote.
    """
    from quiz import interop

    try:
        count = interop.import_terms(source, out, force=force, reverse=reverse, title=title, sources=sources)
    except QuizError as error:
        raise fail(error)
    typer.echo(f"Wrote {count} card{'s' if count != 1 else ''} to {out}; fill in each `cite` "
               f"(source file and verbatim quote), then run: quiz check {out}", err=True)


@app.command()
def history(
    deck: Optional[str] = typer.Option(None, "--deck", metavar="DECK",
                                       help="Only this deck's answers (a deck file or a deck id)."),
    fmt: str = typer.Option("csv", "--format", "-f", metavar="csv|json",
                            help="csv (spreadsheets, FSRS optimizer) or json."),
    out: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE", help="File to write ('-' or none for standard output).",
        show_default=False,
    ),
    practice: bool = typer.Option(True, "--practice/--no-practice",
                                  help="Include practice answers (they did not change the schedule)."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[Path] = _DB_OPTION,
) -> None:
    """Export the review log: one row per answer, oldest first.

    FSRS optimizer columns: card_id, review_time (ms, UTC), review_rating, review_state, review_duration (ms).

    Then deck, card, gap, reviewed_at, verdict, answer, practice, override, profile.

    card_id is deck/card, or deck/card#N for gap N of a cloze card (each gap is scheduled on its own).
    """
    from quiz import interop

    fmt = fmt.strip().casefold()
    if fmt not in ("csv", "json"):
        raise fail(UsageError(f"unknown history format {fmt!r}; use --format csv or --format json"))
    deck_id = _deck_id(deck)
    store = open_store(db, profile, create=False)
    try:
        count = interop.write_history(store.reviews(deck_id), None if _to_stdout(out) else out, fmt,
                                      include_practice=practice, stdout=sys.stdout)
    except QuizError as error:
        raise fail(error)
    finally:
        store.close()
    if not _to_stdout(out):
        typer.echo(f"Wrote {count} answer{'s' if count != 1 else ''} to {out}", err=True)


# What a terminal without these characters shows instead (an ASCII or Latin-1 locale, say).
_LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u00ab": "*", "\u00bb": "*", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00b7": "-",
    "\u2026": "...", "\u2192": "->", "\u26a0": "!", "\u2500": "-", "\u2502": "|", "\u2514": "+",
}


def _lookalike(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a character the output encoding lacks becomes its ASCII look-alike, its
    accent-free letter, or '?' — never a UnicodeEncodeError in the middle of a session."""
    import unicodedata

    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start:error.end]:
        plain = _LOOKALIKES.get(char)
        if plain is None:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"
        out.append(plain)
    return "".join(out), error.end


def _safe_standard_streams() -> None:
    """A closed stdin reads as end of input, and a terminal that can't show a curly quote gets a
    look-alike rather than a UnicodeEncodeError: neither may crash a session or lose an answer."""
    import codecs
    import os

    if sys.stdin is None:  # file descriptor 0 closed
        sys.stdin = open(os.devnull, encoding="utf-8")
    codecs.register_error("quiz-lookalike", _lookalike)
    for stream, errors in ((sys.stdin, "replace"), (sys.stdout, "quiz-lookalike"), (sys.stderr, "quiz-lookalike")):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)


def main() -> None:
    _safe_standard_streams()
    try:
        app(prog_name="quiz")  # also under `python -m quiz`, so usage lines match the docs
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise SystemExit(130)
