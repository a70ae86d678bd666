"""The parsed-deck cache (quiz/deck_cache.py): an unchanged deck is not parsed again, and nothing in
the cache is ever trusted over the deck file: a changed file, a damaged or forged entry, an unusable
cache folder all mean the deck is parsed as if there were no cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import quiz.deck
from quiz.deck_cache import cache_dir, load_deck_cached, shape_is_known
from quiz.errors import DeckError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("QUIZ_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def big_deck(tmp_path: Path) -> Path:
    """bench/deck_load.py's generated deck: every card type, cloze hints, several citations, tags."""
    import deck_load

    path = tmp_path / "decks" / "big.yaml"
    path.parent.mkdir()
    deck_load.write_deck(path, 300)
    return path


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the deck was parsed")

    monkeypatch.setattr(quiz.deck, "load_deck", refuse)


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "decks").glob("*.json"))


def same_deck(a, b) -> bool:
    return a == b and a.path == b.path and [c.gaps for c in a.cards] == [c.gaps for c in b.cards] and \
        [type(c.type) for c in a.cards] == [type(c.type) for c in b.cards] and \
        a.source_info == b.source_info and a.exam == b.exam and [c.lint for c in a.cards] == [c.lint for c in b.cards]


def test_the_cache_knows_the_models_shape() -> None:
    """If Card, Citation or Deck gain a field, the cache turns itself off (always correct, never fast):
    teach quiz/deck_cache.py the new field."""
    assert shape_is_known()


@pytest.mark.parametrize("which", ["iss", "generated"])
def test_a_second_load_of_an_unchanged_deck_reads_the_cache_and_equals_the_parse(
        cache: Path, big_deck: Path, which: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ROOT / "decks" / "iss.yaml" if which == "iss" else big_deck
    parsed = quiz.deck.load_deck(path)
    first = load_deck_cached(path)
    assert same_deck(first, parsed) and len(entries(cache)) == 1
    no_parsing(monkeypatch)
    second = load_deck_cached(path)
    assert same_deck(second, parsed)
    assert second.by_id.keys() == parsed.by_id.keys() and second.sources == parsed.sources


def test_a_changed_deck_is_parsed_again_even_with_the_same_size_and_mtime(cache: Path, big_deck: Path) -> None:
    load_deck_cached(big_deck)
    info = os.stat(big_deck)
    text = big_deck.read_text(encoding="utf-8")
    changed = text.replace("first module launched", "first module lounched", 1)
    assert len(changed) == len(text) and changed != text
    big_deck.write_text(changed, encoding="utf-8")
    os.utime(big_deck, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert load_deck_cached(big_deck) == quiz.deck.load_deck(big_deck)
    assert "lounched" in "".join(c.question for c in load_deck_cached(big_deck).cards)
    assert len(entries(cache)) == 1  # the entry of the old content was replaced


@pytest.mark.parametrize("damage", ["truncated", "flipped", "forged", "not json", "empty", "wrong shape"])
def test_a_damaged_or_forged_entry_is_never_trusted_and_is_rebuilt(
        cache: Path, big_deck: Path, damage: str) -> None:
    parsed = quiz.deck.load_deck(big_deck)
    load_deck_cached(big_deck)
    (entry,) = entries(cache)
    raw = entry.read_bytes()
    mac, _, body = raw.partition(b"\n")
    payload = json.loads(body)
    if damage == "truncated":
        raw = raw[: len(raw) // 2]
    elif damage == "flipped":
        raw = raw[:-10] + bytes([raw[-10] ^ 1]) + raw[-9:]
    elif damage == "forged":  # valid JSON of the right shape, without the key: an escape sequence planted
        payload["cards"][0][4] = "\x1b]0;pwned\x07"
        raw = mac + b"\n" + json.dumps(payload).encode()
    elif damage == "not json":
        raw = b"\xff\xfe garbage"
    elif damage == "empty":
        raw = b""
    else:  # signed with the right key but not a deck (as if an older quiz wrote it): refused while decoding
        import hashlib
        import hmac

        body = json.dumps({"id": 3, "cards": "x"}).encode()
        raw = hmac.new((cache / "secret").read_bytes(), body, hashlib.sha256).hexdigest().encode() + b"\n" + body
    entry.write_bytes(raw)
    assert same_deck(load_deck_cached(big_deck), parsed)
    (entry,) = entries(cache)
    assert entry.read_bytes() != raw  # rebuilt
    assert same_deck(load_deck_cached(big_deck), parsed)


def test_a_lost_or_damaged_secret_only_costs_the_entries(cache: Path, big_deck: Path) -> None:
    parsed = quiz.deck.load_deck(big_deck)
    load_deck_cached(big_deck)
    assert (cache / "secret").stat().st_mode & 0o077 == 0  # only the user reads the key
    (cache / "secret").write_bytes(b"short")
    assert same_deck(load_deck_cached(big_deck), parsed)
    (cache / "secret").unlink()
    assert same_deck(load_deck_cached(big_deck), parsed)


@pytest.mark.parametrize("kind", ["a file", "read-only", "missing parent is a file"])
def test_an_unusable_cache_folder_changes_nothing_but_speed(
        tmp_path: Path, big_deck: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    folder = tmp_path / "c"
    if kind == "a file":
        folder.write_text("not a folder")
    elif kind == "read-only":
        folder.mkdir()
        folder.chmod(0o500)
    else:
        (tmp_path / "f").write_text("x")
        folder = tmp_path / "f" / "cache"
    monkeypatch.setenv("QUIZ_CACHE_DIR", str(folder))
    try:
        assert same_deck(load_deck_cached(big_deck), quiz.deck.load_deck(big_deck))
        assert same_deck(load_deck_cached(big_deck), quiz.deck.load_deck(big_deck))
    finally:
        if kind == "read-only":
            folder.chmod(0o700)


def test_a_deck_with_problems_is_reported_every_time_and_never_cached(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: X\ncards:\n  - id: a\n    type: typed\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DeckError) as error:
            load_deck_cached(bad)
        assert error.value.problems == pytest.raises(DeckError, quiz.deck.load_deck, bad).value.problems
    assert not entries(cache)
    with pytest.raises(DeckError):
        load_deck_cached(tmp_path / "missing.yaml")


def test_the_same_file_under_another_folder_keeps_its_own_sources(cache: Path, big_deck: Path, tmp_path: Path) -> None:
    other = tmp_path / "else" / "where" / "big.yaml"
    other.parent.mkdir(parents=True)
    other.write_bytes(big_deck.read_bytes())
    first, second = load_deck_cached(big_deck), load_deck_cached(other)
    assert first.sources != second.sources
    assert second == quiz.deck.load_deck(other)


def test_stats_use_the_cache_and_check_never_does(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    env = dict(os.environ, QUIZ_CACHE_DIR=str(folder), QUIZ_DB=str(tmp_path / "quiz.db"))
    deck = str(ROOT / "decks" / "iss.yaml")
    check = subprocess.run([sys.executable, "-m", "quiz", "check", deck, "--json"], env=env, capture_output=True,
                           text=True, cwd=ROOT)
    assert check.returncode in (0, 1), check.stderr
    assert not folder.exists()
    stats = subprocess.run([sys.executable, "-m", "quiz", "stats", deck, "--json"], env=env, capture_output=True,
                           text=True, cwd=ROOT)
    assert stats.returncode == 0, stats.stderr
    assert len(entries(folder)) == 1
    again = subprocess.run([sys.executable, "-m", "quiz", "stats", deck, "--json"], env=env, capture_output=True,
                           text=True, cwd=ROOT)
    first, second = json.loads(stats.stdout), json.loads(again.stdout)
    first.pop("now"), second.pop("now")
    assert first == second


def test_the_default_cache_folder_is_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("QUIZ_CACHE_DIR")
    assert cache_dir() == platformdirs.user_cache_path("quiz")


def test_a_cached_cloze_card_has_the_gaps_and_items_of_its_text(cache: Path, big_deck: Path) -> None:
    """The entry carries each cloze card's parsed gaps (so a load does not parse every cloze text again):
    they must be what the card's text gives."""
    load_deck_cached(big_deck)
    cached = load_deck_cached(big_deck)
    cloze = [c for c in cached.cards if c.type.value == "cloze"]
    assert cloze
    parsed = quiz.deck.load_deck(big_deck)
    for card in cloze:
        fresh = parsed.by_id[card.id]
        assert card.gaps == fresh.gaps and card.items == fresh.items and card.gaps
    assert all(c.items == (0,) for c in cached.cards if c.type.value != "cloze")


def test_an_entry_keeps_the_source_catalogue_the_exam_and_lint_exemptions(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("Russia will leave the station after 2024.\n", encoding="utf-8")
    deck = tmp_path / "d.yaml"
    deck.write_text(
        "title: T\nexam: 2027-01-15T09:00\nsource_info:\n  a.txt: {label: The wire report, outlet: AFP}\n"
        "cards:\n  - id: c\n    question: When will Russia leave?\n    answer: after 2024\n"
        "    lint: [answer-leak]\n    cite: [{source: a.txt, quote: leave the station after 2024}]\n",
        encoding="utf-8")
    parsed = quiz.deck.load_deck(deck)
    assert parsed.exam is not None and parsed.source_info and parsed.cards[0].lint == ("answer-leak",)
    assert same_deck(load_deck_cached(deck), parsed)
    no_parsing(monkeypatch)
    cached = load_deck_cached(deck)
    assert same_deck(cached, parsed) and cached.label("a.txt") == "The wire report"


def test_a_cache_hit_imports_neither_the_parser_nor_pyyaml(cache: Path, big_deck: Path) -> None:
    """Reading an entry back needs neither quiz.deck nor PyYAML (~35 ms of imports, a tenth of `quiz stats`
    on a 10,000-card deck): only a miss, which parses, imports them. Each load in a fresh interpreter."""
    code = ("import json, sys; from quiz.deck_cache import load_deck_cached; deck = load_deck_cached(sys.argv[1]); "
            "print(json.dumps([len(deck.cards), 'yaml' in sys.modules, 'quiz.deck' in sys.modules]))")
    env = dict(os.environ, QUIZ_CACHE_DIR=str(cache))
    loads = [json.loads(subprocess.run([sys.executable, "-c", code, str(big_deck)], env=env, capture_output=True,
                                       text=True, check=True).stdout) for _ in range(2)]
    assert loads == [[300, True, True], [300, False, False]]
