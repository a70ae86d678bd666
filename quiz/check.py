"""`quiz check`: prove every citation of one or more decks, and say precisely what is wrong.

For each deck: load it (an invalid deck is reported with the loader's problems and skipped), locate every
citation in its source (`quiz.citations`), check that each typed/choice/cloze answer is *supported* by one
of its card's quotes, and count which source files the cards cite (coverage). `--fix` rewrites missing
quotes that are near-verbatim (closest passage scoring >= FIX_THRESHOLD) to the source's exact text, and
points a citation whose quote is verbatim in another source at that file, editing only those scalars.

Nothing here prints or exits: `build` returns a `Report`; `to_json` gives it as data, and
`quiz.ui.check_view.render_text` shows it on a terminal. rapidfuzz is imported lazily (explaining a miss)
to keep `quiz check` quick.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from quiz.citations import Location, Sources, explain_missing, fold, locate, split_ellipsis
from quiz.deck import load_deck
from quiz.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, DeckError, Problem, UsageError
from quiz.files import replace_atomically
from quiz.lint import Finding, findings
from quiz.model import Card, CardType, Citation, Deck, LocationStatus
from quiz.text import compiled

FIX_THRESHOLD = 90
DECK_SUFFIXES = (".yaml", ".yml")
JSON_VERSION = 1


@dataclass(frozen=True)
class CitationResult:
    card: Card
    index: int  # position of the citation in card.cite
    citation: Citation
    location: Location

    @property
    def failed(self) -> bool:
        return not self.location.ok


@dataclass(frozen=True)
class SupportIssue:
    """A typed/choice/cloze answer that none of the card's quotes contains."""

    card: Card
    gap: int  # 0 for the card's answer, else the cloze gap number
    answer: str
    rule: str = "unsupported-answer"  # its name for a card's `lint:` list

    @property
    def message(self) -> str:
        what = f"gap {self.gap} answer" if self.gap else "answer"
        also = " (nor any accept entry)" if self.card.accept else ""
        return (
            f"card {self.card.id}: {what} {self.answer!r}{also} is not in any of its quotes; "
            "cite a passage that contains it"
        )


@dataclass(frozen=True)
class Fix:
    """A missing quote rewritten to the source's exact text by --fix."""

    card: str
    line: int  # the quote scalar's position in the deck file
    col: int
    source: str
    old: str
    new: str
    score: int
    moved_from: str = ""  # the citation now names `source`, which has the quote verbatim, instead of this


@dataclass
class DeckReport:
    path: Path  # as the user named it (or as found under a folder)
    deck: Deck | None = None
    problems: list[Problem] = field(default_factory=list)  # loader problems: the deck is invalid
    sources: Sources | None = None
    citations: list[CitationResult] = field(default_factory=list)
    support_checked: int = 0  # cards whose answers must appear in a quote
    support: list[SupportIssue] = field(default_factory=list)
    coverage: dict[str, int] = field(default_factory=dict)  # source -> number of cards citing it
    uncited: list[str] = field(default_factory=list)  # *.txt/*.md in the sources folder nobody cites
    source_files: int = 0
    fixes: list[Fix] = field(default_factory=list)
    fix_diff: str = ""
    fix_notes: list[str] = field(default_factory=list)  # why a fix was not written
    lint: list[Finding] = field(default_factory=list)  # question-quality warnings (quiz.lint)

    @property
    def warnings(self) -> int:
        return len(self.support) + len(self.lint)

    def shown_source(self, source: str, verbose: bool = False) -> str:
        """A source as the human report names it: its label (with the file under -v), else the file."""
        if self.deck is None:
            return source
        label = self.deck.label(source)
        if label == source:
            return source
        return f"{label} ({source})" if verbose else label

    @property
    def valid(self) -> bool:
        return self.deck is not None

    def count(self, status: str) -> int:
        return sum(1 for r in self.citations if r.location.status == status)

    @property
    def failures(self) -> list[CitationResult]:
        return [r for r in self.citations if r.failed]


@dataclass
class Report:
    decks: list[DeckReport]
    strict: bool = False
    # folders named alongside others that hold no deck (`quiz check decks/ seeds/`): reported, not fatal
    empty_folders: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if any(not d.valid for d in self.decks):
            return EXIT_BAD_INPUT
        if any(d.failures for d in self.decks):
            return EXIT_PROBLEMS
        if self.strict and any(d.warnings for d in self.decks):
            return EXIT_PROBLEMS
        return EXIT_OK


def find_decks(paths: Sequence[str | Path], empty: list[str] | None = None) -> list[Path]:
    """The deck files named by `paths` (files as given, folders searched recursively, sorted).

    No paths means the `decks` folder of the working directory. Raises UsageError for a path that does
    not exist or when no deck is found at all. A folder without decks among paths that do have some is
    appended to `empty` (when given) instead: the decks found are still checked.
    """
    if not paths:
        default = Path("decks")
        if not default.is_dir():
            raise UsageError("no decks found: there is no ./decks folder; name a deck file or folder")
        paths = [default]
    found: list[Path] = []
    seen: set[Path] = set()
    empty_here: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            in_folder = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in DECK_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not in_folder:
                empty_here.append(str(raw))
                continue
            candidates = in_folder
        elif path.exists() or path.is_symlink():
            candidates = [path]  # the loader reports what is wrong with it (directory, FIFO, ...)
        else:
            raise UsageError(f"{raw}: no such file or folder")
        for p in candidates:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                found.append(p)
    if empty_here and (not found or empty is None):
        raise UsageError(f"no decks found in {', '.join(empty_here)} (looked for *.yaml files)")
    if empty is not None:
        empty += empty_here
    return found


_HYPHENS = re.compile(r"[-\u2010-\u2015]")


def _support_form(text: str) -> str:
    """`fold`, and hyphens as spaces: "director-general" is supported by "Director General", as the
    grader accepts one for the other."""
    return " ".join(_HYPHENS.sub(" ", fold(text)).split())


def _supported(card: Card, quotes: list[str]) -> Iterable[SupportIssue]:
    if card.type in (CardType.TRUEFALSE, CardType.FLIP) or "unsupported-answer" in card.lint:
        return
    quotes = [_support_form(q) for q in quotes]
    accept = [_support_form(a) for a in card.accept]
    answers = list(enumerate(card.gaps, 1)) if card.type is CardType.CLOZE else [(0, card.answer)]
    for gap, answer in answers:
        options = [_support_form(answer)] + accept
        if not any(opt and opt in q for opt in options for q in quotes):
            yield SupportIssue(card=card, gap=gap, answer=answer)


def _check_loaded(report: DeckReport, deck: Deck, sources: Sources) -> None:
    report.deck = deck
    report.sources = sources
    results = [
        CitationResult(card=card, index=i, citation=c, location=locate(sources, c, explain=False))
        for card in deck.cards
        for i, c in enumerate(card.cite)
    ]
    # Misses are explained together: "which other file has it?" looks at every file once per batch.
    missing = [k for k, r in enumerate(results) if r.location.status is LocationStatus.MISSING]
    if missing:
        explained = explain_missing(sources, [(results[k].location, results[k].citation.quote) for k in missing])
        for k, loc in zip(missing, explained):
            results[k] = replace(results[k], location=loc)
    report.citations = results
    report.support = []
    report.support_checked = 0
    cited: dict[str, set[str]] = {}
    for card in deck.cards:
        if card.type not in (CardType.TRUEFALSE, CardType.FLIP):
            report.support_checked += 1
            report.support.extend(_supported(card, [fold(c.quote) for c in card.cite]))
    for r in report.citations:
        if r.location.status is not LocationStatus.ERROR:  # a file that cannot be read is reported, not counted
            cited.setdefault(r.location.source, set()).add(r.card.id)
    report.lint = findings(deck.cards, _overlapping_cards(report.citations))
    files = sources.files()
    report.source_files = len(files)
    report.coverage = {name: len(cited.get(name, ())) for name in sorted(set(files) | set(cited))}
    report.uncited = [f for f in files if f not in cited]


def _overlapping_cards(results: list[CitationResult]) -> list[tuple[str, str]]:
    """(earlier card, later card) pairs whose located quotes cover overlapping text of one source file."""
    by_source: dict[str, list[tuple[int, int, int, str]]] = {}
    order: dict[str, int] = {}
    for r in results:
        order.setdefault(r.card.id, len(order))
        if r.location.ok and r.location.end > r.location.start:
            by_source.setdefault(r.location.source, []).append(
                (r.location.start, r.location.end, order[r.card.id], r.card.id))
    pairs: dict[tuple[str, str], None] = {}
    for spans in by_source.values():
        spans.sort()
        open_spans: list[tuple[int, int, str]] = []  # (end, card order, card) of spans still open
        for start, end, rank, card in spans:
            open_spans = [o for o in open_spans if o[0] > start]
            for _, other_rank, other in open_spans:
                if other != card:
                    pairs[(other, card) if other_rank < rank else (card, other)] = None
            open_spans.append((end, rank, card))
    return list(pairs)


def build(
    paths: Sequence[str | Path], *, fix: bool = False, strict: bool = False
) -> Report:
    """Check every deck named by `paths` (see `find_decks`); with `fix`, rewrite near-miss quotes first."""
    empty: list[str] = []
    deck_paths = find_decks(paths, empty)
    caches: dict[Path, Sources] = {}
    reports = []
    for path in deck_paths:
        report = DeckReport(path=path)
        reports.append(report)
        try:
            deck = load_deck(path)
        except DeckError as e:
            report.problems = e.problems or [Problem(str(path), 1, 1, str(e))]
            continue
        sources = caches.get(deck.sources)
        if sources is None:
            sources = caches[deck.sources] = Sources(deck.sources)
        _check_loaded(report, deck, sources)
        if fix and report.failures:
            _fix(report)
            if report.fixes:
                try:
                    _check_loaded(report, load_deck(path), sources)
                except DeckError as e:  # cannot happen: the fix was verified by loading it
                    report.deck = None
                    report.problems = e.problems
    return Report(decks=reports, strict=strict, empty_folders=empty)


# ---------------------------------------------------------------------------------------------- --fix

_YAML_BREAK = r"\r\n|[\r\n\x85\u2028\u2029]"  # what libyaml counts as a line break (compiled for --fix only)


def _yaml_double_quoted(text: str) -> str:
    out = ['"']
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029\ufeff":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def yaml_scalar(text: str, style: str | None) -> str:
    """`text` as a YAML flow scalar: single-quoted if the old one was and can be, else double-quoted."""
    if style == "'" and not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]", text):
        return "'" + text.replace("'", "''") + "'"
    return _yaml_double_quoted(text)


def _scalar_spans(text: str) -> dict[tuple[int, int], tuple[int, int, str | None]]:
    """Every scalar of a YAML text: (line, col) 1-based of its start -> (start, end, style) offsets."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    starts = [0] + [m.end() for m in compiled(_YAML_BREAK).finditer(text)]
    spans = {}
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.ScalarEvent):
            s, e = event.start_mark, event.end_mark
            assert s is not None and e is not None  # a parsed event always has its marks
            spans[(s.line + 1, s.column + 1)] = (
                starts[s.line] + s.column,
                starts[e.line] + e.column,
                event.style,
            )
    return spans


def _fix(report: DeckReport) -> None:
    """Rewrite each near-miss quote of the (valid) deck to its source's text; verify, then replace."""
    path = report.path
    candidates = []
    moves: list[tuple[CitationResult, str]] = []  # a quote that is verbatim in another source: cite that file
    for r in report.failures:
        loc, c = r.location, r.citation
        where = f"{path}:{c.quote_mark.line}:{c.quote_mark.col}: card {r.card.id}"
        verbatim = [f for f in loc.found_in if f.status is LocationStatus.EXACT]
        if loc.status is LocationStatus.MISSING and verbatim and split_ellipsis(c.quote) == [c.quote]:
            moves.append((r, verbatim[0].source))
            continue
        if loc.status is not LocationStatus.MISSING or loc.closest is None or loc.closest.score < FIX_THRESHOLD:
            continue
        if loc.found_in:
            report.fix_notes.append(f"{where}: not fixed: the quote is in {loc.found_in[0].source}; cite that file")
            continue
        if len(split_ellipsis(c.quote)) != 1 or split_ellipsis(c.quote)[0] != c.quote:
            report.fix_notes.append(f"{where}: not fixed: quotes with an ellipsis are fixed by hand")
            continue
        candidates.append(r)
    if not candidates and not moves:
        return
    target = path.resolve()  # through a symlinked deck, edit the file it points to and keep the link
    raw = target.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw[3 if bom else 0 :].decode("utf-8")
    spans = _scalar_spans(text)
    edits = []
    fixes = []
    for r in candidates:
        c, closest = r.citation, r.location.closest
        assert closest is not None
        span = spans.get((c.quote_mark.line, c.quote_mark.col))
        if span is None:
            report.fix_notes.append(
                f"{path}:{c.quote_mark.line}:{c.quote_mark.col}: card {r.card.id}: not fixed: quote scalar not found"
            )
            continue
        start, end, style = span
        old = text[start:end]
        tail = ""
        if style in ("|", ">"):  # a block scalar's span ends after its line break(s): keep them
            tail = old[len(old.rstrip()) :]
            if not compiled(_YAML_BREAK).search(tail):
                tail = ""
        edits.append((start, end, yaml_scalar(closest.text, style) + tail))
        fixes.append(
            Fix(
                card=r.card.id,
                line=c.quote_mark.line,
                col=c.quote_mark.col,
                source=r.location.source,
                old=c.quote,
                new=closest.text,
                score=closest.score,
            )
        )
    source_spans = _source_spans(text) if moves else {}
    for r, new_source in moves:
        c = r.citation
        span = source_spans.get((c.mark.line, c.mark.col))
        if span is None:
            report.fix_notes.append(f"{path}:{c.mark.line}:{c.mark.col}: card {r.card.id}: not fixed: source scalar not found")
            continue
        start, end, style = span
        plain = not style and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*", new_source)
        edits.append((start, end, new_source if plain else yaml_scalar(new_source, style)))
        fixes.append(Fix(card=r.card.id, line=c.mark.line, col=c.mark.col, source=new_source, old=c.quote,
                         new=c.quote, score=100, moved_from=c.source))
    if not edits:
        return
    new_text = text
    for start, end, replacement in sorted(edits, reverse=True):
        new_text = new_text[:start] + replacement + new_text[end:]
    data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
    # The rewritten deck is written beside the deck under the deck's own file name (so a default deck id
    # stays the same), loaded back and compared, and only then replaces the deck.
    changed = {(f.card, f.old): f.new for f in fixes if not f.moved_from}
    moved = {(f.card, f.old): f.source for f in fixes if f.moved_from}
    if not replace_atomically(target, lambda out: out.write(data),
                              verify=lambda tmp: _verify(report.deck, _load_or_none(str(tmp)), changed, moved),
                              shown=path):
        report.fix_notes.append(f"{path}: not fixed: the rewritten deck did not load back identically")
        return
    report.fixes = fixes
    report.fix_diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"{path}",
            tofile=f"{path} (fixed)",
        )
    )


def _source_spans(text: str) -> dict[tuple[int, int], tuple[int, int, str | None]]:
    """The `source:` value scalar of every mapping of a YAML text: (line, col) 1-based of the mapping's
    start (a citation's `mark`) -> (start, end, style) offsets of the value."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    starts = [0] + [m.end() for m in compiled(_YAML_BREAK).finditer(text)]
    spans: dict[tuple[int, int], tuple[int, int, str | None]] = {}
    # per open collection: [is a mapping, its start, the next node is a key, the last key read]
    stack: list[list[Any]] = []

    def node_done(value: Any = None, event: Any = None) -> None:
        if not stack or not stack[-1][0]:
            return
        top = stack[-1]
        if top[2]:
            top[3] = value
        elif top[3] == "source" and event is not None:
            s, e = event.start_mark, event.end_mark
            spans[top[1]] = (starts[s.line] + s.column, starts[e.line] + e.column, event.style)
        top[2] = not top[2]

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            mark = event.start_mark
            assert mark is not None  # a parsed event always has its marks
            stack.append([isinstance(event, yaml.MappingStartEvent), (mark.line + 1, mark.column + 1), True, None])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            node_done()
        elif isinstance(event, yaml.ScalarEvent):
            node_done(event.value, event)
        elif isinstance(event, yaml.AliasEvent):
            node_done()
    return spans


def _load_or_none(path: str) -> Deck | None:
    """Load the rewritten temp file (None if it no longer loads)."""
    try:
        return load_deck(path)
    except DeckError:
        return None


def _verify(before: Deck | None, after: Deck | None, changed: dict[tuple[str, str], str],
            moved: dict[tuple[str, str], str] | None = None) -> bool:
    """The rewritten deck has the same cards with the same citations, except the intended quotes (and the
    intended sources: `moved`, by card and quote)."""
    if before is None or after is None or len(before.cards) != len(after.cards):
        return False
    for a, b in zip(before.cards, after.cards):
        if a.id != b.id or len(a.cite) != len(b.cite):
            return False
        for ca, cb in zip(a.cite, b.cite):
            want = changed.get((a.id, ca.quote), ca.quote)
            source = (moved or {}).get((a.id, ca.quote), ca.source)
            if cb.source != source or cb.quote != want:
                return False
        if (a.question, a.answer, a.accept, a.choices, a.text, a.tags) != (
            b.question,
            b.answer,
            b.accept,
            b.choices,
            b.text,
            b.tags,
        ):
            return False
    return True


# ------------------------------------------------------------------------------------------------ JSON


def _location_json(loc: Location) -> dict[str, Any]:
    found = loc.ok
    return {
        "status": loc.status,
        "source": loc.source,
        "line": loc.line if found else None,
        "col": loc.col if found else None,
        "start": loc.start if found else None,
        "end": loc.end if found else None,
        "text": loc.text if found else None,
        "differences": list(loc.differences),
        "pieces": [
            {"line": p.line, "col": p.col, "start": p.start, "end": p.end, "text": p.text} for p in loc.pieces
        ],
        "score": loc.score,
        "closest": None
        if loc.closest is None
        else {
            "line": loc.closest.line,
            "col": loc.closest.col,
            "start": loc.closest.start,
            "end": loc.closest.end,
            "text": loc.closest.text,
            "score": loc.closest.score,
            "diff": loc.closest.diff,
        },
        "found_in": [
            {"source": f.source, "line": f.line, "col": f.col, "status": f.status} for f in loc.found_in
        ],
        "message": loc.message,
    }


def to_json(report: Report) -> dict[str, Any]:
    """The whole report as plain data with stable keys (see the README for the shape)."""
    decks = []
    for d in report.decks:
        entry: dict[str, Any] = {"path": str(d.path), "valid": d.valid}
        if not d.valid:
            entry["problems"] = [{"line": p.line, "col": p.col, "message": p.message} for p in d.problems]
            decks.append(entry)
            continue
        assert d.deck is not None and d.sources is not None
        entry.update(
            {
                "id": d.deck.id,
                "sources": str(d.sources.root),
                "counts": {
                    "citations": len(d.citations),
                    **{s: d.count(s) for s in ("exact", "normalized", "missing", "error")},
                    "warnings": d.warnings,
                },
                "citations": [
                    {
                        "card": r.card.id,
                        "index": r.index,
                        "deck_line": r.citation.mark.line,
                        "deck_col": r.citation.mark.col,
                        "quote_line": r.citation.quote_mark.line,
                        "quote_col": r.citation.quote_mark.col,
                        "quote": r.citation.quote,
                        "cited_source": r.citation.source,
                        "label": d.deck.label(r.citation.source) if d.deck.info(r.citation.source) else None,
                        **_location_json(r.location),
                    }
                    for r in d.citations
                ],
                "support": {
                    "checked": d.support_checked,
                    "supported": d.support_checked - len({s.card.id for s in d.support}),
                    "warnings": [
                        {
                            "card": s.card.id,
                            "line": s.card.mark.line,
                            "col": s.card.mark.col,
                            "gap": s.gap,
                            "answer": s.answer,
                            "accept": list(s.card.accept),
                            "message": s.message,
                            "rule": s.rule,
                        }
                        for s in d.support
                    ],
                },
                # Every warning, each with the rule a card can name under `lint:` to be exempt from it.
                "findings": sorted(
                    [{"rule": s.rule, "card": s.card.id, "line": s.card.mark.line, "col": s.card.mark.col,
                      "other": None, "message": s.message} for s in d.support]
                    + [{"rule": f.rule, "card": f.card.id, "line": f.card.mark.line, "col": f.card.mark.col,
                        "other": f.other or None, "message": f.message} for f in d.lint],
                    key=lambda w: (w["line"], w["col"], w["rule"]),
                ),
                "source_info": {
                    info.source: {"label": info.label, "title": info.title or None, "outlet": info.outlet or None,
                                  "date": info.date or None, "url": info.url or None}
                    for info in d.deck.source_info.values()
                },
                "coverage": {"cards_per_source": d.coverage, "uncited": d.uncited, "files": d.source_files},
                "fixes": [
                    {
                        "card": f.card,
                        "line": f.line,
                        "col": f.col,
                        "source": f.source,
                        "old": f.old,
                        "new": f.new,
                        "score": f.score,
                        **({"moved_from": f.moved_from} if f.moved_from else {}),
                    }
                    for f in d.fixes
                ],
                "fix_diff": d.fix_diff,
                "fix_notes": d.fix_notes,
            }
        )
        decks.append(entry)
    valid = [d for d in report.decks if d.valid]
    return {
        "version": JSON_VERSION,
        "exit_code": report.exit_code,
        "strict": report.strict,
        "counts": {
            "decks": len(report.decks),
            "invalid_decks": len(report.decks) - len(valid),
            "citations": sum(len(d.citations) for d in valid),
            **{s: sum(d.count(s) for d in valid) for s in ("exact", "normalized", "missing", "error")},
            "warnings": sum(d.warnings for d in valid),
        },
        "decks": decks,
        "empty_folders": report.empty_folders,
    }


__all__ = ["Report", "DeckReport", "build", "find_decks", "to_json"]
