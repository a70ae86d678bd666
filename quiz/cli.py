"""Command-line interface: parse options, call the core, render the result.

This is the only module where errors become messages and exit codes (the codes are `quiz.errors`'s:
0 success, 1 a check found problems, 2 bad usage or bad input (or output that cannot be written),
130 interrupted, 141 the reader of the output went away), all in `fail`, which the app's command group
applies to every `QuizError` a command raises; `main` handles the output streams' own failures.
Heavy modules (questionary, fsrs, rapidfuzz, rich) are imported inside the commands that need them,
so `quiz --help` and `quiz check` stay fast.
"""

# No `from __future__ import annotations` here: typer reads the annotations of every command on every
# start, and as strings each one is compiled and evaluated (~8% of `quiz --help`). Names imported only
# for type checking are written in quotes.

import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer
import typer.core

from quiz.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, DeckError, QuizError, RosterError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from quiz.exam import ExamStatus
    from quiz.files import InUse
    from quiz.history import HistoryStore
    from quiz.model import Deck
    from quiz.scheduler import Scheduler
    from quiz.session import Frontend


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
            return self.kind(raw)  # type: ignore[arg-type]  # whatever the shell or a default gave
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "t", "yes", "y", "on"):
                return True
            if text in ("0", "false", "f", "no", "n", "off", ""):
                return False
            raise typer.BadParameter(f"{raw!r} is not a valid boolean.", ctx=ctx, param=param)  # type: ignore[arg-type]
        from quiz.numbers import finite_number

        try:
            # NaN would pass the min/max checks below (every comparison with it is false).
            value = int(raw) if self.kind is int else finite_number(raw)  # type: ignore[arg-type,call-overload]
        except (TypeError, ValueError):
            noun = "an integer" if self.kind is int else "a finite number"
            raise typer.BadParameter(f"{raw!r} is not {noun}.", ctx=ctx, param=param) from None  # type: ignore[arg-type]
        low, high = getattr(self.info, "min", None), getattr(self.info, "max", None)
        if low is not None and value < low:
            raise typer.BadParameter(f"{raw} is less than the minimum {low}.", ctx=ctx, param=param)  # type: ignore[arg-type]
        if high is not None and value > high:
            raise typer.BadParameter(f"{raw} is more than the maximum {high}.", ctx=ctx, param=param)  # type: ignore[arg-type]
        return value


def _plain_argument_help(param: Any) -> None:
    """Help names a positional argument `DECK...` (`[DECK]...` when optional), as click does, instead of
    typer's `DECK <list[Path]>`: the Python type means nothing to a student."""
    if not isinstance(param, typer.core.TyperArgument) or getattr(param, "_plain_help", False):
        return
    many = param.nargs != 1
    name = param.metavar or param.name or ""
    param._plain_help = True  # type: ignore[attr-defined]
    param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
    param._rich_display_name = lambda: name + ("..." if many else "")  # type: ignore[method-assign]
    param._usage_display_name = lambda: (name if param.required else f"[{name}]") + ("..." if many else "")  # type: ignore[method-assign]


def _use_plain_values(params: list) -> None:
    for param in params:
        _plain_argument_help(param)
        if getattr(param, "_runtime_param", False) is None:
            plain = _PlainValue.for_param(param)
            if plain is not None:
                param._runtime_param = plain


class _QuickCommand(typer.core.TyperCommand):
    """A command whose plain-typed parameters skip typer's pydantic coercion (see `_PlainValue`).
    Anything else, or a typer without that machinery, keeps typer's own coercion."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _use_plain_values(self.get_params(ctx))  # with the (cached) --help option
        return super().parse_args(ctx, args)


class _ReaderGone(Exception):
    """A write to a pipe whose reader has gone (EPIPE). Click's own handling of that exits with 1,
    which means "a check found problems" here; this carries it past click to `main`."""


class _QuickGroup(typer.core.TyperGroup):
    """The app's own options (--install-completion, --show-completion: bool defaulting to None) are
    parsed on every run of every command; without this they alone import pydantic (~150 ms)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:  # `quiz --help` prints from here
            return super().make_context(*args, **kwargs)
        except BrokenPipeError as error:
            raise _ReaderGone() from error

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _use_plain_values(self.get_params(ctx))  # with the (cached) --help option
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        # Every subcommand, not only those declared with cls=_QuickCommand: a bare --help bool alone
        # would import pydantic (`quiz schema`, `quiz stats`, `quiz undo`, ...).
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _use_plain_values(command.get_params(ctx))
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        # The one place a core error becomes a message and an exit code: every command runs through
        # here, whether from `main()` or from a test's CliRunner.
        try:
            return super().invoke(ctx)
        except QuizError as error:
            raise fail(error) from None
        except BrokenPipeError as error:  # past click, which would exit 1 ("problems found")
            raise _ReaderGone() from error


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


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"quiz {version('quiz')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("quiz (version unknown: not installed)")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                      help="Print the version and exit."),
) -> None:
    """Study from decks whose every answer cites its source."""


def fail(error: QuizError) -> typer.Exit:
    """Print a core error the user can act on (no traceback) and return the exit to raise, with the code
    its class carries (`quiz.errors`). A deck's or a roster's problems one per line, `path:line:col: ...`;
    anything else as `Error: ...`. One line each: a deck's file name and the values messages quote come
    from other people (see quiz.text)."""
    from quiz.text import printable_line

    if isinstance(error, (DeckError, RosterError)):
        for problem in error.problems:
            typer.echo(printable_line(str(problem)), err=True)
    else:
        typer.echo(f"Error: {printable_line(str(error))}", err=True)
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

    from quiz.model import EARLIEST, LATEST
    from quiz.scheduler import SystemClock

    raw = os.environ.get("QUIZ_NOW", "").strip()
    if not raw:
        return SystemClock()
    try:
        start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} is not an ISO-8601 time (e.g. 2026-11-21T19:47:00+00:00)")) from None
    if start.tzinfo is None:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} needs a UTC offset (e.g. +00:00)"))
    try:
        utc: "datetime | None" = start.astimezone(timezone.utc)  # 0001-01-01T00:00+01:00 has no UTC time
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise fail(UsageError(f"QUIZ_NOW={raw!r} must be a time from {EARLIEST:%Y} to {LATEST:%Y}"))
    return _StartedClock(utc)


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


def default_db_path() -> Path:
    """`$QUIZ_DB` if set, else `quiz.db` in the user data folder (e.g. ~/.local/share/quiz/quiz.db)."""
    env = os.environ.get("QUIZ_DB", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("quiz") / "quiz.db"


def default_profile() -> str:
    """`$QUIZ_PROFILE` if set, else "default"."""
    from quiz.model import DEFAULT_PROFILE

    return os.environ.get("QUIZ_PROFILE", "").strip() or DEFAULT_PROFILE


def open_store(db: Optional[str], profile: Optional[str], create: bool = True,
               read_only: bool = False, class_reader: bool = False) -> "HistoryStore":
    """Open the history store: `--db`, else `QUIZ_DB`, else the user data folder; `--profile`, else
    `QUIZ_PROFILE`, else `default`. `QUIZ_BUSY_TIMEOUT` (seconds, default 10) is how long to wait for
    another process that holds the file's write lock.
    `create=False` (undo): a missing file is an empty history, and neither it nor a schema in an empty
    file is created. `read_only=True` (stats, list, history): that, and a file or folder that is not
    writable is still read (see `Store`).

    A `postgresql://` (or `postgres://`) URL is a class server (`quiz.pgstore`): the profile is the
    login's own (`--profile` naming another one is refused), and while the server is unreachable the
    store says so on stderr, once, and retries for `QUIZ_RETRY_SECONDS` (default 30)."""
    from quiz.postgres import is_server_url

    raw = db if db is not None else os.environ.get("QUIZ_DB", "").strip() or None
    if raw is not None and is_server_url(raw):
        return _open_server_store(raw, profile, read_only, class_reader)
    from quiz.store import Store

    path = Path(raw).expanduser() if raw is not None else default_db_path()
    name = profile or default_profile()
    wait = _seconds_from_env("QUIZ_BUSY_TIMEOUT", 10.0)
    return Store(path, name, busy_timeout=wait, create=create and not read_only, read_only=read_only)


def _seconds_from_env(name: str, default: float) -> float:
    """A number of seconds (0-3600) from the environment variable `name`; NaN and infinities refused."""
    from quiz.numbers import finite_number

    raw = os.environ.get(name, "").strip()
    try:
        value = finite_number(raw) if raw else default
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise fail(UsageError(f"{name}={raw!r} must be a number of seconds from 0 to 3600"))
    return value


def _open_server_store(url: str, profile: Optional[str], read_only: bool, class_reader: bool) -> "HistoryStore":
    """The class server's store; its URL's password never reaches a message (ServerUrl redacts it)."""
    from quiz.postgres import ServerUrl

    retry = _seconds_from_env("QUIZ_RETRY_SECONDS", 30.0)
    from quiz.pgstore import PostgresStore

    return PostgresStore(ServerUrl(url), profile or None, read_only=read_only, class_reader=class_reader,
                         retry_seconds=retry,
                         on_retry=lambda message: typer.echo(message, err=True))


_PROFILE_OPTION = typer.Option(None, "--profile", envvar="QUIZ_PROFILE", metavar="NAME",
                               help="History profile (default: default).")
_DB_OPTION = typer.Option(None, "--db", envvar="QUIZ_DB", metavar="FILE|URL", show_default=False,
                          help="History database file, or a class server: postgresql://USER@HOST/DB.")
# Anki's leech threshold (quiz.model.LEECH_THRESHOLD); a literal here keeps quiz.model off the --help path.
_LEECH_OPTION = typer.Option(8, "--leech", min=0, metavar="N",
                             help="Lapses that make a card a leech (0: never).")


def _load_decks(paths: List[Path]) -> list:
    """Load the decks (every problem of every deck reported at once); refuse two decks with one id.
    An unchanged deck comes from the parsed-deck cache (`quiz.deck_cache`); `quiz check` never
    comes here: it always parses."""
    from quiz.deck_cache import load_deck_cached

    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_deck_cached(path))
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


def _note_missing_profile(store: "HistoryStore", profile: Optional[str]) -> None:
    """A read command (stats, history, undo) for a profile named with --profile or QUIZ_PROFILE that has
    nothing stored: one line on stderr naming it and the profiles there are, instead of a silent empty
    result (a typo in a name looked like a lost history)."""
    from quiz.text import printable_line

    if not (profile or os.environ.get("QUIZ_PROFILE", "").strip()):
        return
    known = store.profiles()
    if store.profile in known:
        return
    there = ", ".join(known) if known else "none yet"
    typer.echo(printable_line(f"Note: profile {store.profile!r} has no history here (profiles: {there}; "
                              "quiz profiles lists them)."), err=True)


def _console(soft_wrap: bool = False):
    import os

    from rich.console import Console

    # NO_COLOR: no escape codes at all (rich alone would drop colours but keep bold); the heatmap then
    # shades with characters.
    plain = bool(os.environ.get("NO_COLOR"))
    console = Console(file=sys.stdout, highlight=False, markup=False, emoji=False, soft_wrap=soft_wrap,
                      color_system=None if plain else "auto")
    console.on_broken_pipe = _reader_gone  # type: ignore[method-assign]  # rich's own exits with 1, "problems found"; see `main`
    return console


def _reader_gone() -> None:
    raise _ReaderGone()


def _print_json(data: object) -> None:
    import json

    from quiz.text import printable_json

    sys.stdout.write(printable_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


class _TerminalSafe:
    """Standard output for a data format (CSV, JSON) that may hold text from a deck or a typed answer: into
    a pipe or a file the text goes as it is, but on a terminal it is shown through `printable`, so a
    stored ESC sequence cannot drive the terminal that `quiz history` prints to."""

    def __init__(self, stream) -> None:
        self._stream = stream
        try:
            self._terminal = stream.isatty()
        except (AttributeError, ValueError):
            self._terminal = False

    def write(self, text: str) -> int:
        from quiz.text import printable

        return self._stream.write(printable(text) if self._terminal else text)

    def flush(self) -> None:
        self._stream.flush()


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

    report = checking.build(paths or [], fix=fix, strict=strict)
    from quiz.text import printable_line

    for deck_report in report.decks:
        for problem in deck_report.problems:
            typer.echo(printable_line(str(problem)), err=True)
    if json_output:
        _print_json(checking.to_json(report))
    else:
        from quiz.ui.check_view import PlainConsole, render_text, shows_styles

        if shows_styles(sys.stdout):
            console = _console(soft_wrap=True)
        else:  # the same text, without importing rich
            console = PlainConsole(sys.stdout, lambda: _console(soft_wrap=True))
            console.on_broken_pipe = _reader_gone
        render_text(report, console, verbose=verbose)
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
    from quiz.citations import Sources, find_passages
    from quiz.errors import EXIT_OK, EXIT_PROBLEMS
    from quiz.text import clip, printable_line

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
        raise typer.Exit(EXIT_OK if passages else EXIT_PROBLEMS)
    if not passages:
        typer.echo(printable_line(f"Nothing close to {phrase!r} in {folder}."))
        raise typer.Exit(EXIT_PROBLEMS)
    for p in passages:
        how = p.status if p.status != "fuzzy" else f"closest, score {p.score}"
        name = label(p.source)
        typer.echo(printable_line(f"{name + ' ' if name else ''}{p.source}:{p.line}:{p.col} ({how})"))
        typer.echo(printable_line("  " + clip(p.sentence)))
    best = passages[0]
    typer.echo("")
    typer.echo("cite:")
    typer.echo(f"  - source: {_pasteable(yaml_scalar(best.source, chr(39)), best.source, yaml_scalar)}")
    typer.echo(f"    quote: {_pasteable(yaml_scalar(best.text, chr(39)), best.text, yaml_scalar)}")


def _pasteable(scalar: str, text: str, yaml_scalar: Any) -> str:
    """A YAML scalar safe to print: a bidi or zero-width character (which single quotes keep as it is) makes
    it double-quoted with that character escaped, which YAML reads back as the same text."""
    from quiz.text import printable_line

    if printable_line(scalar) == scalar:
        return scalar
    return printable_line(yaml_scalar(text, None))


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
    db: Optional[str] = _DB_OPTION,
    retention: Optional[float] = typer.Option(
        None, "--retention", min=0.7, max=0.99, metavar="R",
        help="Desired retention 0.70-0.99 (overrides the deck's).",
    ),
    leech: int = _LEECH_OPTION,
    exam: Optional[str] = typer.Option(
        None, "--exam", metavar="DATE",
        help="Exam date (YYYY-MM-DD, or with a time and UTC offset; overrides the deck's exam:): new cards "
             "paced to finish, no item left below the retention at the exam, a final pass, the expected score.",
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
    clock = make_clock()
    exam_at = _exam_instant(exam, clock.now()) if exam else None
    options = StudyOptions(new_limit=new, review_limit=reviews, tags=tuple(tag), sources=tuple(source),
                           practice=practice, retention=retention, start_hour=day_start_hour(),
                           leech_threshold=leech, exam=exam_at)
    frontend: Frontend
    if plain or os.environ.get("TERM") == "dumb" or not (sys.stdin.isatty() and sys.stdout.isatty()):
        from quiz.ui.plain import PlainFrontend

        frontend = PlainFrontend()
    else:
        from quiz.ui.prompts import PromptFrontend

        frontend = PromptFrontend()
    # The decks live as long as the session: moved out of the collector's sight, a full collection no
    # longer walks every card's objects (tens of ms on 10,000 cards, felt as a stall between cards).
    import gc

    with open_store(db, profile) as store:
        gc.freeze()
        try:
            summary = Session(loaded, store, clock, frontend, options).run()
        finally:
            gc.unfreeze()  # an in-process caller (a test) gets its collector back as it was
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


# --- progress and card management: stats, list, suspend, unsuspend, reset, undo --------------------


def _deck_data(store: "HistoryStore", deck):
    """A deck with its stored items, and the stored items whose card (or gap) the deck no longer has."""
    from quiz.stats import DeckData

    items = store.items(deck.id)
    known = {(card.id, gap) for card in deck.cards for gap in card.items}
    return DeckData(deck, items, [items[key] for key in sorted(items.keys() - known)])


@app.command()
def stats(
    decks: Optional[List[Path]] = typer.Argument(
        None, metavar="DECK", help="Deck files (default: every *.yaml in ./decks).", show_default=False
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the numbers as JSON."),
    days: Optional[int] = typer.Option(None, "--days", min=1, max=36500, metavar="N", show_default=False,
                                       help="Days studied and streaks from the last N study days only."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
    leech: int = _LEECH_OPTION,
    exam: Optional[str] = typer.Option(
        None, "--exam", metavar="DATE",
        help="Exam date (YYYY-MM-DD; overrides the decks' exam:): the expected score then.",
    ),
) -> None:
    """Progress: what is due, activity, retention, hardest cards, mastery per source, leeches.

    Cards by state, due today/tomorrow, 30-day forecast, 12-week heatmap, true retention, streak.

    Per cited article (by its `source_info:` label): answers correct and current recall, so you know which
    one to re-read.

    Without DECK: every *.yaml / *.yml file in ./decks. Counts are per review item (a cloze gap is one).
    --days N reads the answer log of the last N study days only (like Anki's one-year view): the heatmap,
    recent activity and retention are the same while N covers them; per-card counts stay all-time.
    """
    from quiz.model import collector_paused

    # The command builds ~100,000 objects (the deck, the stored items, the totals) that form no cycles
    # and live until it ends: the cyclic collector's passes over them found nothing and were a third of
    # its CPU time on a 10,000-card deck (0.27 s). Paused as `load_deck` pauses it, for the whole command.
    with collector_paused():
        _stats(decks, json_output, days, profile, db, leech, exam)


def _stats(decks: Optional[List[Path]], json_output: bool, days: Optional[int], profile: Optional[str],
           db: Optional[str], leech: int, exam: Optional[str]) -> None:
    from datetime import timedelta

    from quiz.params import describe, parameters_in_use, parameters_to_json
    from quiz.scheduler import Scheduler, SchedulerConfig, study_day, study_day_start
    from quiz.stats import (MAX_ANSWER_SECONDS, SLOT_SECONDS, AnswerTotals, compute_stats, find_leeches,
                            first_heatmap_day, leech_to_json, next_day_start, stats_to_json)

    if not decks:
        decks = sorted([*Path("decks").glob("*.yaml"), *Path("decks").glob("*.yml")])
        if not decks:
            raise fail(UsageError("no DECK given and no decks/*.yaml here; name one, e.g. quiz stats decks/iss.yaml"))
    loaded = _load_decks(decks)
    now = make_clock().now()
    exam_at = _exam_instant(exam, now) if exam else None
    with open_store(db, profile, read_only=True) as store:
        _note_missing_profile(store, profile)
        data = [_deck_data(store, deck) for deck in loaded]
        hour = day_start_hour()
        before = next_day_start(now, None, hour)
        today = study_day(now, None, hour)
        started = [at for at in (store.first_answer(deck.id) for deck in loaded) if at is not None]
        first_day = study_day(min(started), None, hour) if started else today  # of the answers read
        since = None  # --days: from the start of the study day N-1 days before today (a slot boundary)
        if days is not None:
            since = study_day_start(today - timedelta(days=days - 1), None, hour)
            # (--days 36500 on a month of answers: a month of day starts, not a hundred years of them)
            first_day = max(first_day, today - timedelta(days=days - 1))
        # The days before the heatmap only count as studied or not: the store sums each into one row (a
        # year of 15-minute slots is 35,000 rows to read and loop over). The heatmap's days keep their
        # slots: their minutes are the slots' seconds added up in order, which a day's milliseconds summed
        # at once differ from in the last bits (on 607 of the 1,096 days of bench/stats_vs_anki.py's
        # history), enough to move a rounded minute one day.
        merged = first_heatmap_day(today)
        day_starts = [study_day_start(first_day + timedelta(days=n), None, hour)
                      for n in range((merged - first_day).days + 1)] if first_day < merged else []
        totals = AnswerTotals()
        for deck in loaded:
            found = store.answer_totals(deck.id, before, int(MAX_ANSWER_SECONDS * 1000), SLOT_SECONDS, since,
                                        day_starts)
            totals.slots += found.slots
            totals.items += found.items
        fitted, source = parameters_in_use(store)
        scheduler = Scheduler(SchedulerConfig(parameters=fitted.weights if fitted else None))
        numbers = compute_stats(data, totals, now, None, scheduler.retrievability, start_hour=hour)
        exam_now = _stats_exam(data, exam_at, now, scheduler, hour)
    leeches = find_leeches(data, leech)
    if json_output:
        from quiz.exam import exam_to_json

        _print_json({**stats_to_json(numbers), "fsrs": parameters_to_json(fitted, source),
                     "leeches": [leech_to_json(row) for row in leeches], "exam": exam_to_json(exam_now)})
    else:
        from quiz.ui.stats_view import render_leeches, render_stats

        console = _console()
        render_stats(numbers, console)
        render_leeches(leeches, leech, console)
        if exam_now is not None:
            console.print(_exam_line(exam_now), markup=False, highlight=False)
        console.print(describe(fitted, source), markup=False, highlight=False)


def _stats_exam(data: list, exam_at: "datetime | None", now: "datetime", scheduler: "Scheduler",
                hour: int) -> "ExamStatus | None":
    """The next exam of the decks (`--exam` for all of them, else each deck's `exam:`) still to come, with
    the expected score over every item of the decks taking it; None without one."""
    from quiz.exam import exam_status

    exams = {exam_at or d.deck.exam for d in data} - {None}
    upcoming = sorted(when for when in exams if when > now)
    if not upcoming:
        return None
    first = upcoming[0]
    items: dict = {}
    keys: list = []
    for d in data:
        if (exam_at or d.deck.exam) == first:
            items.update({(d.deck.id, *key): record for key, record in d.items.items()})
            keys += [(d.deck.id, card.id, gap) for card in d.deck.cards for gap in card.items]
    return exam_status(now, first, items, keys, scheduler.recall_after, None, hour)


def _exam_line(status: "ExamStatus") -> str:
    days = status.days_left
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return (f"Exam          {when} ({status.at.astimezone():%Y-%m-%d %H:%M}) · "
            f"expected score {status.expected_score:.0%} (mean predicted recall of every item then)")


@app.command()
def optimize(
    class_wide: bool = typer.Option(False, "--class",
                                    help="Fit one set to every profile's answers pooled (new students start from it)."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
) -> None:
    """Fit FSRS parameters to the answer log and keep them if they predict it better than the defaults.

    Fits on the earlier 80% of the log and scores fitted and default parameters on the later 20% (log
    loss and RMSE(bins), lower is better). Stored per profile, or with --class for the whole class.
    """
    from quiz.model import Review
    from quiz.optimize import MIN_REVIEWS, NotEnough, fit, is_better

    now = make_clock().now()
    # --class on a class server is the teacher's: the role without a profile of its own reads every
    # student's log and may write only the class-wide set (the server's row-level security).
    with open_store(db, profile, read_only=True, class_reader=class_wide) as store:
        whose = "the class" if class_wide else f"profile {store.profile}"
        if class_wide:
            if getattr(store, "own_profile", False):
                raise UsageError(f"you are connected to the class server as the student {store.profile!r}: "
                                 "the class-wide parameters are fitted by the teacher (quiz optimize --class "
                                 "with the teacher's URL); drop --class to fit your own")
            # Every profile's log, each read through a store opened for that profile.
            reviews: list[Review] = []
            for name in store.profiles():
                with open_store(db, name, read_only=True) as other:
                    reviews += other.reviews()
            reviews.sort(key=lambda r: r.reviewed_at)
        else:
            reviews = list(store.reviews())
    result = fit(reviews, now, None, day_start_hour())
    better = not isinstance(result, NotEnough) and is_better(result)
    if better:
        assert not isinstance(result, NotEnough)
        with open_store(db, None if class_wide else profile, class_reader=class_wide) as store:
            store.save_fsrs_parameters(result, class_wide=class_wide)
    if isinstance(result, NotEnough):
        if json_output:
            _print_json({"stored": False, "answers": result.have, "needed": result.need, "minimum": MIN_REVIEWS})
        else:
            print(f"{result.have} usable answers for {whose}; fitting needs {MIN_REVIEWS}: {result.need} more. "
                  "Keeping the current parameters.")
        return
    if json_output:
        _print_json({"stored": better, "answers": result.reviews, "parameters": list(result.weights),
                     "log_loss": result.log_loss, "rmse_bins": result.rmse_bins,
                     "default_log_loss": result.default_log_loss, "default_rmse_bins": result.default_rmse_bins})
        return
    print(f"Fitted to {result.reviews} answers of {whose}; on the later 20% of the log:")
    print(f"  log loss   {result.log_loss:.4f} (defaults {result.default_log_loss:.4f})")
    print(f"  RMSE(bins) {result.rmse_bins:.4f} (defaults {result.default_rmse_bins:.4f})")
    print("Stored: quiz study now schedules with them." if better
          else "Not better than the defaults: nothing stored.")


@app.command("list")
def list_cards(
    deck: Path = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print every item's full state as JSON."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
) -> None:
    """Each card's state: type, due date, stability, difficulty, reviews, lapses; cloze gaps as card#N."""
    from quiz.stats import list_items, row_to_json

    (loaded,) = _load_decks([deck])
    now = make_clock().now()
    with open_store(db, profile, read_only=True) as store:
        rows, orphan_rows = list_items(_deck_data(store, loaded), now, None, start_hour=day_start_hour())
    if json_output:
        _print_json({
            "deck": loaded.id,
            "title": loaded.title,
            "now": now.isoformat(),
            "items": [row_to_json(r) for r in rows],
            "orphaned": [row_to_json(r) for r in orphan_rows],
        })
    else:
        from quiz.ui.stats_view import render_list

        render_list(rows, orphan_rows, _console())


def _manage(deck_path: Path, ids: List[str], profile: Optional[str], db: Optional[str], action: str) -> None:
    """suspend / unsuspend / reset: check every id first, then change each card and confirm it."""
    from quiz.model import State
    from quiz.stats import resolve_targets, short_text
    from quiz.text import printable_line

    (deck,) = _load_decks([deck_path])
    targets = resolve_targets(deck, ids)
    now = make_clock().now()
    with open_store(db, profile) as store:
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
            typer.echo(printable_line(f"{line}: {text}"))


_IDS_ARGUMENT = typer.Argument(..., metavar="ID", help="Card ids; card#N for one gap of a cloze card.",
                               show_default=False)
_DECK_ARGUMENT = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False)


@app.command()
def suspend(
    deck: Path = _DECK_ARGUMENT,
    ids: List[str] = _IDS_ARGUMENT,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
) -> None:
    """Stop asking these cards (their schedule and history are kept) until `quiz unsuspend`."""
    _manage(deck, ids, profile, db, "suspend")


@app.command()
def unsuspend(
    deck: Path = _DECK_ARGUMENT,
    ids: List[str] = _IDS_ARGUMENT,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
) -> None:
    """Ask suspended cards again, on the schedule they had."""
    _manage(deck, ids, profile, db, "unsuspend")


@app.command()
def reset(
    deck: Path = _DECK_ARGUMENT,
    ids: List[str] = _IDS_ARGUMENT,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
) -> None:
    """Make cards new again, as if never studied; their answers stay in the history (and in stats)."""
    _manage(deck, ids, profile, db, "reset")


@app.command()
def undo(
    deck: Optional[str] = typer.Option(None, "--deck", metavar="DECK",
                                       help="Only this deck's answers (a deck file or a deck id)."),
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
) -> None:
    """Take back the last answer of the profile: the card goes back to how it was before it."""
    from quiz.model import Rating
    from quiz.stats import describe_state, item_label
    from quiz.text import printable_line

    deck_id = _deck_id(deck)
    now = make_clock().now()
    with open_store(db, profile, create=False) as store:
        _note_missing_profile(store, profile)
        review = store.undo(deck_id)
        answered = sorted({r.deck for r in store.reviews()}) if review is None and deck_id else []
    if review is None:
        where = f" in deck {deck_id}." if deck_id else f" for profile {store.profile}."
        if deck_id and deck_id not in answered:  # a typo in --deck: say which decks do have answers
            where = (f": deck {deck_id!r} has no answers; decks with answers: {', '.join(answered)}." if answered
                     else f": deck {deck_id!r} has no answers, and no deck has any for profile {store.profile}.")
        typer.echo("Nothing to undo" + printable_line(where))
        return
    when = review.reviewed_at.astimezone().strftime("%Y-%m-%d %H:%M")
    rating = Rating(review.rating).name.capitalize()
    kind = "practice answer" if review.practice else "answer"
    effect = ("the schedule was not changed by it" if review.practice
              else f"the card is back to {describe_state(review.before, now, None)}")
    typer.echo(printable_line(f"Undid the {kind} to {review.deck}:{item_label(review.card, review.gap)} "
                              f"({rating}, {review.verdict}) from {when}; {effect}."))


@app.command()
def profiles(db: Optional[str] = _DB_OPTION) -> None:
    """List the profiles that have anything stored in the history, one per line."""
    from quiz.text import printable_line

    with open_store(db, None, read_only=True) as store:
        names = store.profiles()
    for name in names:
        typer.echo(printable_line(name))
    if not names:
        typer.echo("No profiles yet: the history is empty.", err=True)


# --- interop: export, import, history -------------------------------------------------------------


def _to_stdout(out: Optional[Path]) -> bool:
    return out is None or str(out) == "-"


_FORCE_OPTION = typer.Option(False, "--force", help="Replace the output file if it exists.")


@app.command()
def export(
    deck: Path = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False),
    fmt: str = typer.Option(..., "--format", "-f", metavar="apkg|csv|gift|moodle-xml|qti",
                            help="apkg (Anki package), csv (one row per card), gift or moodle-xml (Moodle's "
                                 "question bank) or qti (QTI 1.2 package: Canvas and most other LMSs)."),
    out: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE", help="File to write (csv: '-' or none for standard output).",
        show_default=False,
    ),
    force: bool = _FORCE_OPTION,
) -> None:
    """Export a deck for Anki (.apkg, citations on the back), a spreadsheet (CSV) or an LMS (GIFT, Moodle XML, QTI).

    Re-importing a newer .apkg of the same deck into Anki updates its notes instead of duplicating them.

    LMS formats: each question's general feedback is its evidence (source label and quote); flip cards are left out.
    """
    from quiz import interop

    fmt = fmt.strip().casefold()
    lms_formats = ("gift", "moodle-xml", "qti")
    if fmt not in ("apkg", "csv", *lms_formats):
        raise fail(UsageError(f"unknown export format {fmt!r}; use --format apkg, csv, gift, moodle-xml or qti"))
    if fmt == "apkg" and _to_stdout(out):
        raise fail(UsageError("an Anki package is a file: give one with -o, e.g. -o deck.apkg"))
    if fmt in lms_formats and _to_stdout(out):
        suffix = {"gift": "gift.txt", "moodle-xml": "xml", "qti": "zip"}[fmt]
        raise fail(UsageError(f"--format {fmt} writes a file: give one with -o, e.g. -o deck.{suffix}"))
    (loaded,) = _load_decks([deck])
    if fmt in lms_formats:
        from quiz import lms

        assert out is not None  # refused above
        count = lms.export_lms(loaded, fmt, out, force=force, notify=lambda message: typer.echo(message, err=True))
        typer.echo(f"Wrote {count} question{'s' if count != 1 else ''} of {loaded.id} to {out}", err=True)
        return
    if fmt == "apkg":
        assert out is not None  # refused above: a package is a file
        count = interop.export_apkg(loaded, out, make_clock().now(), force=force)
    else:
        count = interop.export_csv(loaded, None if _to_stdout(out) else out, _TerminalSafe(sys.stdout),
                                   force=force)
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
    force: bool = typer.Option(False, "--force", help="Replace the deck file if it exists."),
    sources: Optional[Path] = typer.Option(None, "--sources", metavar="DIR",
                                           help="Folder of the source articles (the deck's `sources:`)."),
) -> None:
    """Make a deck skeleton from term/definition pairs (Quizlet export or Anki 'Notes in Plain Text').

    Quizlet lines (term TAB definition) ask the definition and expect the term; Anki notes ask the front.

    Every card cites a TODO placeholder that `quiz check` flags until you put in the source and a verbatim quote.
    """
    from quiz import interop

    count = interop.import_terms(source, out, force=force, reverse=reverse, title=title, sources=sources,
                                 notify=lambda message: typer.echo(message, err=True))
    typer.echo(f"Wrote {count} card{'s' if count != 1 else ''} to {out}; fill in each `cite` "
               f"(source file and verbatim quote), then run: quiz check {out}", err=True)


@app.command("test")
def practice_test(
    deck: Path = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False),
    out: Path = typer.Option(..., "--output", "-o", metavar="FILE", help="File to write (.html, or .pdf with --pdf).",
                             show_default=False),
    count: int = typer.Option(20, "--count", "-n", metavar="N", help="Number of questions."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="S",
                                       help="Pick with this seed (the same seed, the same test); default: random."),
    tag: Optional[str] = typer.Option(None, "--tag", metavar="TAG", help="Only cards with this tag."),
    source: Optional[str] = typer.Option(None, "--source", metavar="FILE", help="Only cards citing this source file."),
    pdf: bool = typer.Option(False, "--pdf", help="Print to PDF through headless Chromium."),
    paper: str = typer.Option("a4", "--paper", metavar="a4|letter", help="PDF paper size."),
    force: bool = _FORCE_OPTION,
) -> None:
    """Write a printable practice test: numbered questions with room to answer, then the answer key with evidence.

    Items are picked in turns over sources and card types; the key starts on its own printed page.
    """
    import random

    from quiz import paper as paper_test

    (loaded,) = _load_decks([deck])
    if seed is None:
        seed = random.SystemRandom().randrange(1_000_000)
    written = paper_test.write_test(loaded, out, count, seed, tag=tag, source=source, pdf=pdf,
                                    paper=paper.strip().casefold(), force=force)
    typer.echo(f"Wrote a test of {written} question{'s' if written != 1 else ''} (seed {seed}) to {out}", err=True)


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
    force: bool = _FORCE_OPTION,
    profile: Optional[str] = _PROFILE_OPTION,
    db: Optional[str] = _DB_OPTION,
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
    from quiz.files import InUse, history_files

    deck_id = _deck_id(deck)
    with open_store(db, profile, read_only=True) as store:
        _note_missing_profile(store, profile)
        path = getattr(store, "path", None)  # the files of a store that keeps its history in one
        in_use = history_files(path) if path is not None else []
        if deck is not None and Path(deck).is_file():  # --deck named a deck file
            in_use.append(InUse(Path(deck), "the deck being read"))
        count = interop.write_history(store.reviews(deck_id), None if _to_stdout(out) else out, fmt,
                                      include_practice=practice, stdout=_TerminalSafe(sys.stdout), force=force,
                                      in_use=in_use)
    if not _to_stdout(out):
        typer.echo(f"Wrote {count} answer{'s' if count != 1 else ''} to {out}", err=True)


# --- the teacher's commands: quiz class ... ---------------------------------------------------------

class_app = typer.Typer(
    cls=_QuickGroup,
    name="class",
    help="A teacher's commands: set up a class on a PostgreSQL server, and report on any shared history.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(class_app, name="class")

_CLASS_DB_OPTION = typer.Option(
    None, "--db", envvar="QUIZ_DB", metavar="URL", show_default=False,
    help="The class database, as its owner: postgresql://USER@HOST/DB (the password from ~/.pgpass, "
         "PGPASSFILE or the URL; never printed).",
)


def _class_url(db: Optional[str]):
    """The --db/QUIZ_DB value as a server URL whose password never prints."""
    from quiz.postgres import ServerUrl, is_server_url

    if not db or not is_server_url(db):
        raise fail(UsageError("quiz class needs the class database on a PostgreSQL server: "
                              "--db postgresql://USER@HOST/DBNAME (or QUIZ_DB)"))
    return ServerUrl(db)


@class_app.command("init")
def class_init(db: Optional[str] = _CLASS_DB_OPTION) -> None:
    """Create the class schema, its teacher and student group roles and its row-level security.

    Run it as the role that owns the database (with CREATEROLE). Running it again does nothing.
    """
    from quiz import classroom

    url = _class_url(db)
    result = classroom.init(url)
    if result.applied:
        typer.echo(f"Initialised {url} (schema version {result.version}); group roles "
                   f"{result.teacher_role} and {result.student_role}")
    else:
        typer.echo(f"{url} is already initialised (schema version {result.version}); nothing to do")


def _print_logins(created: list, json_output: bool, single: bool) -> None:
    if json_output:
        key = "profile" if created[0].profile is not None else "role"
        rows = [{key: login.profile if key == "profile" else login.role, "url": login.url} for login in created]
        _print_json(rows[0] if single else rows)
    elif single:
        (login,) = created
        kind = "student" if login.profile is not None else "teacher"
        typer.echo(f"Added {kind} {login.role}. Give them this URL (it holds their password; it is not shown again):")
        typer.echo(login.url)
    else:
        typer.echo("profile,url")
        for login in created:
            typer.echo(f"{login.role},{login.url}")


def _add_login(name: str, db: Optional[str], password_file: Optional[Path], json_output: bool,
               teacher: bool) -> None:
    from quiz import classroom

    url = _class_url(db)
    passwords = {name: classroom.read_password_file(password_file)} if password_file else None
    created = classroom.add_logins(url, [name], teacher=teacher, passwords=passwords)
    _print_logins(created, json_output, single=True)


_PASSWORD_FILE_OPTION = typer.Option(None, "--password-file", metavar="FILE", show_default=False,
                                     help="Take the password from the first line of FILE (default: generate one).")
_CLASS_JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


@class_app.command("add-student")
def class_add_student(
    name: str = typer.Argument(..., metavar="NAME", help="Profile and login role name.", show_default=False),
    db: Optional[str] = _CLASS_DB_OPTION,
    password_file: Optional[Path] = _PASSWORD_FILE_OPTION,
    json_output: bool = _CLASS_JSON_OPTION,
) -> None:
    """Add a student: a login role that sees only its own history, and a profile of the same name.

    The last line printed is the student's connection URL, password included (--json: {"profile", "url"}).
    """
    _add_login(name, db, password_file, json_output, teacher=False)


@class_app.command("add-teacher")
def class_add_teacher(
    name: str = typer.Argument(..., metavar="NAME", help="Login role name.", show_default=False),
    db: Optional[str] = _CLASS_DB_OPTION,
    password_file: Optional[Path] = _PASSWORD_FILE_OPTION,
    json_output: bool = _CLASS_JSON_OPTION,
) -> None:
    """Add a teacher: a login role that reads every student's history and writes none.

    The last line printed is the teacher's connection URL, password included (--json: {"role", "url"}).
    """
    _add_login(name, db, password_file, json_output, teacher=True)


@class_app.command("roster")
def class_roster(
    roster: Path = typer.Argument(..., metavar="FILE.csv", help="CSV file with a 'name' column.",
                                  show_default=False),
    db: Optional[str] = _CLASS_DB_OPTION,
    json_output: bool = _CLASS_JSON_OPTION,
) -> None:
    """Add every student listed in a CSV file (all or none); print profile,url lines (CSV).

    A bad or duplicate name, or one already taken on the server, is reported as FILE:LINE:COL.
    """
    from quiz import classroom

    url = _class_url(db)
    created = classroom.add_roster(url, roster)
    _print_logins(created, json_output, single=False)


@class_app.command("students")
def class_students(
    db: Optional[str] = _CLASS_DB_OPTION,
    json_output: bool = _CLASS_JSON_OPTION,
) -> None:
    """List the students: profile, login role, answers and last answer time (UTC)."""
    from quiz import classroom
    from quiz.text import printable_line

    url = _class_url(db)
    rows = classroom.students(url)
    def stamp(when: "datetime | None") -> str | None:
        return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")

    if json_output:
        _print_json([{"profile": row.profile, "role": row.role, "answers": row.answers,
                      "last_answer": stamp(row.last_answer)} for row in rows])
        return
    if not rows:
        typer.echo("No students yet; add them with: quiz class add-student NAME (or quiz class roster FILE.csv)")
        return
    table = [("profile", "role", "answers", "last answer")] + [
        (printable_line(row.profile), printable_line(row.role), str(row.answers),
         stamp(row.last_answer) or "never")
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    for line in table:
        typer.echo(f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:>{widths[2]}}  {line[3]}".rstrip())

def _files_in_use(store: "HistoryStore", deck: "Deck") -> "list[InUse]":
    """The files an output of a command reading `store` and `deck` must never replace."""
    from quiz.files import deck_files, history_files

    path = getattr(store, "path", None)  # the files of a store that keeps its history in one
    return [*(history_files(path) if path is not None else []), *deck_files(deck, "the deck being read")]


def _exam_instant(raw: str, now: "datetime") -> "datetime":
    """`--exam` as an instant: a date is the start of that study day (04:00 local, or QUIZ_DAY_START);
    a time needs its UTC offset. The exam must not be in the past: the states known now say nothing
    about it."""
    from datetime import date, datetime, timezone

    from quiz.scheduler import study_day_start

    text = raw.strip()
    try:
        if len(text) == 10:
            when = study_day_start(date.fromisoformat(text), None, day_start_hour())
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--exam {raw!r} is not a date; use YYYY-MM-DD (or YYYY-MM-DDTHH:MM+01:00)") from None
    if when.tzinfo is None:
        raise UsageError(f"--exam {raw!r} needs a UTC offset, e.g. {text}+00:00, or give a date alone")
    when = when.astimezone(timezone.utc)
    if when < now:
        raise UsageError(f"--exam {raw!r} is in the past; give the date of an exam still to come")
    return when


@class_app.command("report")
def class_report(
    deck: Path = typer.Argument(..., metavar="DECK", help="Deck file.", show_default=False),
    db: Optional[str] = _DB_OPTION,
    exam: Optional[str] = typer.Option(
        None, "--exam", metavar="DATE",
        help="Exam date (YYYY-MM-DD): each student's expected score then (mean recall of every item).",
    ),
    html: Optional[Path] = typer.Option(None, "--html", metavar="FILE",
                                        help="Also write the report as one self-contained HTML page."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON instead of tables."),
    csv_dir: Optional[Path] = typer.Option(None, "--csv", metavar="DIR",
                                           help="Also write questions.csv, students.csv, sources.csv here."),
    force: bool = typer.Option(False, "--force", help="Replace a page or CSV files that already exist."),
) -> None:
    """What the class gets wrong, which students are behind, which source to re-teach.

    Questions: facility (first attempts correct), discrimination, lapse rate, median time, the most
    common wrong answers and flags (too hard, too easy, check wording).

    Students: cards seen, due now, last studied, true retention (30 days), expected score at --exam.

    Sources: first-attempt facility and current recall per cited file; the weakest is named.
    """
    from datetime import timedelta

    from quiz import report as class_report_module
    from quiz.text import printable_line

    (loaded,) = _load_decks([deck])
    now = make_clock().now()
    exam_at = _exam_instant(exam, now) if exam else getattr(loaded, "exam", None)
    with open_store(db, None, read_only=True, class_reader=True) as store:
        outputs = class_report_module.Outputs(html=html, csv_dir=csv_dir, force=force,
                                              in_use=_files_in_use(store, loaded))
        outputs.check()  # every target before anything is written: --html class.db would end the class's history
        # The log summed as the report needs it: a few thousand rows the store keeps up to date, not
        # every answer of the class.
        summary = store.class_summary(loaded.id, now - timedelta(days=class_report_module.RETENTION_DAYS), now)
        result = class_report_module.build_report(
            loaded, summary, store.class_items(loaded.id), store.profiles(), now, exam_at
        )
    outputs.write(result)
    if csv_dir is not None:
        typer.echo(f"Wrote questions.csv, students.csv and sources.csv to {printable_line(str(csv_dir))}", err=True)
    if html is not None:
        typer.echo(f"Wrote the report page to {printable_line(str(html))}", err=True)
    if json_output:
        _print_json(class_report_module.report_to_json(result))
    else:
        from quiz.ui.report_view import render_report

        render_report(result, _console())


# What a terminal without these characters shows instead (an ASCII or Latin-1 locale, say).
_LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u00ab": "*", "\u00bb": "*", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00b7": "-",
    "\u2026": "...", "\u2192": "->", "\u26a0": "!", "\u2500": "-", "\u2502": "|", "\u2514": "+",
    # `quiz stats` charts: heatmap shades and bar heights keep their order (they were all "?")
    "\u2591": ":", "\u2592": "+", "\u2593": "*", "\u2588": "#",
    "\u2581": "_", "\u2582": "_", "\u2583": "_", "\u2584": "=", "\u2585": "=", "\u2586": "=", "\u2587": "=",
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


class _ClosedOutput(io.TextIOBase):
    """Standard output when its file descriptor was closed (`quiz ... >&-`): every write fails with
    EBADF, so the command ends with one line and exit 2 instead of pretending it printed something."""

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")


def _hold_descriptor(fd: int) -> bool:
    """Put /dev/null on a closed standard descriptor; True if it was closed. Left free, the next file
    opened (the history database) would get it, and output meant for the screen could land in it."""
    import os

    try:
        os.fstat(fd)
        return False
    except OSError:
        pass
    null = os.open(os.devnull, os.O_RDWR)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)
    return True


def _safe_standard_streams() -> None:
    """A closed stdin reads as end of input, and a terminal that can't show a curly quote gets a
    look-alike rather than a UnicodeEncodeError: neither may crash a session or lose an answer.
    A closed stdout fails each write (see `main` for how a failed write ends the command); a closed
    stderr is silent."""
    import codecs
    import os

    for fd in (0, 1, 2):
        _hold_descriptor(fd)
    if sys.stdin is None:  # file descriptor 0 closed
        sys.stdin = open(os.devnull, encoding="utf-8")
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    codecs.register_error("quiz-lookalike", _lookalike)
    for stream, errors in ((sys.stdin, "replace"), (sys.stdout, "quiz-lookalike"), (sys.stderr, "quiz-lookalike")):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)


#: Exit status when the reader of our output went away (`quiz schema | head -1`): what a shell shows
#: for a Unix tool killed by SIGPIPE (128 + 13), so pipelines treat quiz like any other tool.
EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null: the output still buffered cannot be written anywhere,
    and Python's own flush at exit would otherwise fail again (a second message, exit status 120)."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass
    if isinstance(sys.stdout, _ClosedOutput):
        sys.stdout = open(os.devnull, "w", encoding="utf-8")


def _flush_stdout() -> None:
    """Write out buffered output now, while a failure can still become a message and an exit code."""
    if sys.stdout is not None:
        sys.stdout.flush()


def main() -> None:
    """The console script. Besides the commands' own exits: output that cannot be written (disk full,
    stdout closed) is one line on stderr and exit 2, never exit 0 or 1, which would read as "done" or
    "problems found"; a reader that went away (a closed pipe) ends quiz quietly with 141, as SIGPIPE
    ends other Unix tools."""
    import gc

    # What is loaded by now (typer, click, this module) lives until the process ends: moved out of the
    # cyclic collector's sight, it is no longer walked by each full collection and the last one at exit,
    # which would find nothing in it to free (~4% of `quiz check`, ~8% of `quiz --help`).
    gc.freeze()
    _safe_standard_streams()
    try:
        try:
            app(prog_name="quiz")  # also under `python -m quiz`, so usage lines match the docs
        finally:
            _flush_stdout()
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except (BrokenPipeError, _ReaderGone):
        _silence_stdout()
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except OSError as error:
        from quiz.text import printable_line

        if error.filename is not None:  # a file some command failed to handle: still no traceback
            typer.echo(f"Error: {printable_line(str(error.filename))}: {error.strerror or error}", err=True)
        else:
            typer.echo(f"Error: cannot write the output: {error.strerror or error}", err=True)
        _silence_stdout()
        raise SystemExit(EXIT_BAD_INPUT) from None
