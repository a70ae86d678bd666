"""Parsed decks kept between runs, so that `quiz stats`, `study` and `report` on an unchanged 10,000-card
deck do not parse and validate its YAML again (~0.5 s each time).

`load_deck_cached(path)` is `quiz.deck.load_deck(path)`, except that a deck which loaded without a
problem is also written to the user cache folder (`$QUIZ_CACHE_DIR`, else e.g. ~/.cache/quiz), and read
back from there next time. What makes that safe:

* The entry is named by a SHA-256 of the deck file's bytes as read now, the deck's absolute path (its
  `sources` folder is resolved from it), quiz's version and the source of the loader itself (deck.py,
  model.py and this module): any change to the file, even one keeping its size and mtime, or to the
  code that parsed it, names another entry. Nothing is ever looked up by mtime.
* Each entry carries an HMAC-SHA256 of its content keyed by a random secret of this user, kept in the
  cache folder (mode 0600): an entry that was damaged, truncated, or written by anyone without the key
  is not read, only replaced. The content is JSON in a fixed shape, checked as it is turned back into
  cards (no pickle: nothing in the file can run code).
* Any failure (no cache folder, read-only, full disk, a damaged or foreign entry, another model shape)
  just means the deck is parsed as if there were no cache; the cache is never needed and safe to delete.
* A deck with problems is never cached: its problems are reported by the parser every time.

`quiz check` does not use this module: checking a deck always parses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import time
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from quiz.model import Card, CardType, Citation, Deck, Mark, SourceInfo, collector_paused

FORMAT = 3  # bump when the JSON shape below changes
_SECRET_BYTES = 32
# The dataclass fields this module writes and reads, in order. If the model gains or loses one, the
# cache turns itself off (every load parses) until this module learns the new shape: a test says so.
_CARD_FIELDS = ("id", "type", "cite", "mark", "question", "answer", "accept", "choices", "text", "tags", "lint")
_CITATION_FIELDS = ("source", "quote", "mark", "quote_mark", "quote_end", "quote_style")
_DECK_FIELDS = ("id", "title", "path", "sources", "cards", "retention", "exam", "by_id", "source_info")
_SOURCE_INFO_FIELDS = ("source", "label", "mark", "title", "outlet", "date", "url")
_TYPES = {t.value: t for t in CardType}


def shape_is_known() -> bool:
    """Whether the model's Card, Citation and Deck have exactly the fields this cache stores."""
    return (tuple(f.name for f in fields(Card)) == _CARD_FIELDS
            and tuple(f.name for f in fields(Citation)) == _CITATION_FIELDS
            and tuple(f.name for f in fields(Deck)) == _DECK_FIELDS
            and tuple(f.name for f in fields(SourceInfo)) == _SOURCE_INFO_FIELDS)


def cache_dir() -> Path:
    """`$QUIZ_CACHE_DIR` if set, else quiz's folder in the user cache folder (e.g. ~/.cache/quiz)."""
    env = os.environ.get("QUIZ_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("quiz")


def load_deck_cached(path: str | Path) -> Deck:
    """`quiz.deck.load_deck(path)`, from the cache when the file and the loader are unchanged."""
    from quiz.files import MAX_DECK_BYTES

    data = _read_deck_bytes(Path(path), MAX_DECK_BYTES)
    if data is None or not shape_is_known():
        return load_deck(path)  # it reports what is wrong with the file, if anything
    folder = cache_dir()
    secret = _secret(folder)
    key = _key(Path(path), data)
    if secret is None or key is None:
        return load_deck(path, data)
    # The name starts with the deck's own part, so that writing a new entry can drop its older ones.
    entry = folder / "decks" / f"{key[:16]}-{key[16:]}.json"
    deck = _read_entry(entry, secret, Path(path))
    if deck is None:
        deck = load_deck(path, data)  # a DeckError goes to the caller, and nothing is written
        _write_entry(entry, secret, deck)
    return deck


def load_deck(path: str | Path, data: bytes | None = None) -> Deck:
    """`quiz.deck.load_deck`, imported when a deck is parsed: a cache hit does without the parser and
    PyYAML (~35 ms of imports, a tenth of `quiz stats` on a 10,000-card deck)."""
    from quiz.deck import load_deck as parse

    return parse(path, data)


# --- the key and the secret ---------------------------------------------------------------------------


def _read_deck_bytes(path: Path, cap: int) -> bytes | None:
    """The deck file's bytes, or None for anything unusual (missing, not a regular file, too big,
    unreadable): the parser then reads the file itself and reports the problem."""
    from quiz.files import read_capped

    try:
        # O_NONBLOCK: a FIFO in place of the deck must not hang the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = read_capped(fd, cap)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= cap else None


_LOADER_DIGEST: str | None = None


def _loader_digest() -> str | None:
    """A SHA-256 of the code that turns a deck file into a `Deck`: another loader, another entry."""
    global _LOADER_DIGEST
    if _LOADER_DIGEST is None:
        import importlib.util

        import quiz
        import quiz.model

        digest = hashlib.sha256(f"quiz {quiz.__version__} cache format {FORMAT}\0".encode())
        try:
            spec = importlib.util.find_spec("quiz.deck")  # its file found, not imported (see `load_deck`)
            deck_file = spec.origin if spec is not None else None
            for module_file in (deck_file, quiz.model.__file__, __file__):
                digest.update(Path(str(module_file)).read_bytes())
        except (OSError, TypeError):
            return None
        _LOADER_DIGEST = digest.hexdigest()
    return _LOADER_DIGEST


def _key(path: Path, data: bytes) -> str | None:
    """80 hex digits: 16 naming the deck file (its absolute path), 64 for everything that made the
    entry (the loader, the path, the file's bytes)."""
    loader = _loader_digest()
    if loader is None:
        return None
    where = os.fsencode(os.path.abspath(path))
    # A deck's `exam:` is local time, resolved when it is loaded: another time zone, another entry.
    zone = f"{os.environ.get('TZ', '')}|{time.tzname}|{time.timezone}|{time.altzone}".encode()
    digest = hashlib.sha256(loader.encode() + b"\0" + where + b"\0" + zone + b"\0")
    digest.update(data)
    return hashlib.sha256(where).hexdigest()[:16] + digest.hexdigest()


def _secret(folder: Path) -> bytes | None:
    """This user's cache key (created on first use, readable only by the user); None if unavailable."""
    secret_path = folder / "secret"
    try:
        value = secret_path.read_bytes()
        if len(value) == _SECRET_BYTES:
            return value
    except OSError:
        pass
    partial = folder / f"secret.{os.getpid()}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        value = os.urandom(_SECRET_BYTES)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, value)
        finally:
            os.close(fd)
        # Replacing a damaged secret only costs the entries made with it (they no longer verify).
        os.replace(partial, secret_path)
        return value
    except OSError:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        return None


# --- entries -------------------------------------------------------------------------------------------


_new_tuple = tuple.__new__


def _mark(value: Any) -> Mark:
    line, col = value  # exactly two items, or ValueError
    if not line.__class__ is col.__class__ is int:
        raise TypeError("a mark is two whole numbers")
    return _new_tuple(Mark, (line, col))  # what Mark(line, col) makes, without its keyword handling


def _texts(value: Any) -> tuple[str, ...]:
    if not value:  # most cards have no accept, choices or tags
        if value.__class__ is not list:
            raise TypeError("a list of texts expected")
        return ()
    if value.__class__ is not list or any(v.__class__ is not str for v in value):
        raise TypeError("a list of texts expected")
    return tuple(value)


def _encode(deck: Deck) -> dict[str, Any]:
    return {
        "id": deck.id,
        "title": deck.title,
        "sources": os.fspath(deck.sources),
        "retention": deck.retention,
        # The exam is a local time resolved at load: the key holds the local time zone (see `_key`).
        "exam": None if deck.exam is None else deck.exam.isoformat(),
        "source_info": [[key, i.source, i.label, list(i.mark), i.title, i.outlet, i.date, i.url]
                        for key, i in deck.source_info.items()],
        "cards": [
            [c.id, c.type.value, [[q.source, q.quote, list(q.mark), list(q.quote_mark),
                                    None if q.quote_end is None else list(q.quote_end), q.quote_style]
                                   for q in c.cite],
             list(c.mark), c.question, c.answer, list(c.accept), list(c.choices), c.text, list(c.tags),
             list(c.gaps), list(c.lint)]  # the cloze answers, parsed once here rather than on every load
            for c in deck.cards
        ],
    }


def _decode(payload: Any, path: Path) -> Deck:
    """The deck an entry's JSON describes; TypeError, ValueError or KeyError if it is not one."""
    if payload.__class__ is not dict:
        raise TypeError("an entry is a JSON object")
    retention = payload["retention"]
    if retention is not None and retention.__class__ is not float:
        raise TypeError("retention is a number")
    if payload["cards"].__class__ is not list:
        raise TypeError("cards is a list")
    cards = []
    new_card, new_citation = Card.__new__, Citation.__new__
    for row in payload["cards"]:
        card_id, kind, cite, mark, question, answer, accept, choices, text, tags, gaps, lint = row
        if not card_id.__class__ is question.__class__ is answer.__class__ is text.__class__ is str:
            raise TypeError("a card's texts are text")
        citations = []
        for source, quote, at, quote_at, quote_end, style in cite:
            if not source.__class__ is quote.__class__ is style.__class__ is str:
                raise TypeError("a citation's texts are text")
            citation = new_citation(Citation)
            # Frozen dataclasses without __post_init__: filling __dict__ is what __init__ does, 5x faster.
            citation.__dict__.update(source=source, quote=quote, mark=_mark(at), quote_mark=_mark(quote_at),
                                     quote_end=None if quote_end is None else _mark(quote_end), quote_style=style)
            citations.append(citation)
        card = new_card(Card)
        card_type = _TYPES[kind]
        card.__dict__.update(id=card_id, type=card_type, cite=tuple(citations), mark=_mark(mark),
                             question=question, answer=answer, accept=_texts(accept), choices=_texts(choices),
                             text=text, tags=_texts(tags), lint=_texts(lint))
        if card_type is CardType.CLOZE:
            # `Card.gaps` and `Card.items` are cached properties: their values go where they keep them.
            gaps = _texts(gaps)
            card.__dict__.update(gaps=gaps, items=tuple(range(1, len(gaps) + 1)))
        elif gaps:
            raise ValueError("only a cloze card has gaps")
        cards.append(card)
    deck_id, title, sources = payload["id"], payload["title"], payload["sources"]
    if not deck_id.__class__ is title.__class__ is sources.__class__ is str:
        raise TypeError("a deck's id, title and sources are text")
    exam = payload["exam"]
    if exam is not None:
        exam = datetime.fromisoformat(exam)  # TypeError or ValueError if it is not an ISO instant
        if exam.tzinfo is None:
            raise ValueError("the exam is an instant with its UTC offset")
    source_info = {}
    for key, source, label, mark, title_, outlet, date, url in payload["source_info"]:
        texts = (key, source, label, title_, outlet, date, url)
        if any(t.__class__ is not str for t in texts):
            raise TypeError("a source_info entry's fields are text")
        source_info[key] = SourceInfo(source=source, label=label, mark=_mark(mark), title=title_, outlet=outlet,
                                      date=date, url=url)
    return Deck(id=deck_id, title=title, path=path, sources=Path(sources), cards=tuple(cards), retention=retention,
                exam=exam, source_info=source_info)


def _read_entry(entry: Path, secret: bytes, path: Path) -> Deck | None:
    """The cached deck, or None if there is no usable entry (missing, damaged, forged, another shape)."""
    try:
        raw = entry.read_bytes()
    except OSError:
        return None
    mac, _, body = raw.partition(b"\n")
    if not hmac.compare_digest(mac, hmac.new(secret, body, hashlib.sha256).hexdigest().encode()):
        return None
    # As in `quiz.deck.load_deck`: ~10 objects per card, none in a cycle; the cyclic collector would
    # otherwise rescan the growing list again and again (two thirds of the time on 10,000 cards).
    with collector_paused():
        try:
            return _decode(json.loads(body), path)
        except (ValueError, TypeError, KeyError, RecursionError):
            return None


def _write_entry(entry: Path, secret: bytes, deck: Deck) -> None:
    """Store the deck, atomically, in place of the older entries of the same deck file; silently nothing
    if the cache folder cannot be written."""
    try:
        body = json.dumps(_encode(deck), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError):  # e.g. text that is not valid Unicode: parse it each time
        return
    mac = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.partial")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        for older in entry.parent.glob(entry.name[:17] + "*.json"):
            if older.name != entry.name:
                older.unlink(missing_ok=True)
        partial.write_bytes(mac + b"\n" + body)
        os.replace(partial, entry)
    except OSError:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
