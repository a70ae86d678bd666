"""quiz.citations: locating quotes exactly, after normalization, across ellipses; explaining misses;
refusing sources outside the sources folder without opening them."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.citations import (
    NormText,
    SourceError,
    Sources,
    fold,
    locate,
    locate_quote,
    normalize_for_matching as normalize,
    word_diff,
)
from quiz.model import Citation, Mark
from quiz.text import CLIP_LIMIT, clip

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
S000 = "000_56db16ce61149816.txt"
S001 = "001_47f2f9f2b89161a3.txt"
S003 = "003_21e2480842a6230d.txt"


@pytest.fixture
def seeds(tmp_path: Path) -> Sources:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return Sources(folder)


def cite(source: str, quote: str) -> Citation:
    return Citation(source=source, quote=quote, mark=Mark(1, 1), quote_mark=Mark(1, 1))


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------------------------------ exact


def test_exact_reports_line_and_col_in_the_original_file(seeds: Sources) -> None:
    loc = locate(seeds, cite(S003, "Yuri Borissov replaced Dmitri Rogozin"))
    assert (loc.status, loc.source, loc.line, loc.col) == ("exact", S003, 11, 42)
    text = (SEEDS / S003).read_text(encoding="utf-8")
    assert text[loc.start : loc.end] == "Yuri Borissov replaced Dmitri Rogozin"
    assert loc.text == "Yuri Borissov replaced Dmitri Rogozin"
    assert loc.differences == () and loc.score == 100 and loc.ok


def test_exact_col_counts_characters_not_bytes(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "first line\n“Größe” matters — here\n")
    loc = locate_quote(Sources(tmp_path), "a.txt", "here")
    assert (loc.status, loc.line, loc.col) == ("exact", 2, 19)


def test_source_typos_are_quoted_as_they_are(seeds: Sources) -> None:
    loc = locate(seeds, cite(S001, "Russia invaded Ukraine earklier this year"))
    assert loc.status == "exact"
    loc = locate(seeds, cite(S001, "while Rocosmos seeks"))
    assert loc.status == "exact"


# ------------------------------------------------------------------------------------- normalized


@pytest.mark.parametrize(
    ("source_text", "quote", "kinds"),
    [
        ("He said: “we will leave” today.", 'He said: "we will leave" today.', ("quotes",)),
        ("Moscow’s space corporation", "Moscow's space corporation", ("quotes",)),
        ("the 1998–2024 period", "the 1998-2024 period", ("dashes",)),
        ("a station — its own — soon", "a station - its own - soon", ("dashes",)),
        ("temperature −5 degrees", "temperature -5 degrees", ("dashes",)),
        ("the\ninternational   space\tstation", "the international space station", ("whitespace",)),
        ("The International Space Station", "the international space station", ("case",)),
        ("the ﬁnal pact", "the final pact", ("unicode",)),
        ("caf\u00e9 society", "cafe\u0301 society", ("unicode",)),
        ("zero\u200bwidth", "zerowidth", ("unicode",)),
        ("“Of course,”  Borisov  SAID", '"of course," borisov said', ("quotes", "whitespace", "case")),
    ],
)
def test_each_normalization_is_named(tmp_path: Path, source_text: str, quote: str, kinds: tuple) -> None:
    write(tmp_path, "s.txt", "intro line\n" + source_text + "\n")
    loc = locate_quote(Sources(tmp_path), "s.txt", quote)
    assert loc.status == "normalized", loc
    assert loc.differences == kinds
    assert (loc.line, loc.col) == (2, 1)
    original = (tmp_path / "s.txt").read_text(encoding="utf-8")
    assert original[loc.start : loc.end] == loc.text == source_text
    assert normalize(loc.text).strip() == normalize(quote).strip()


def test_normalized_match_in_a_seed(seeds: Sources) -> None:
    loc = locate(seeds, cite(S000, "head of Moscow's space corporation ROSCOSMOS"))
    assert (loc.status, loc.line, loc.col) == ("normalized", 2, 59)
    assert loc.text == "head of Moscow’s space corporation Roscosmos"
    assert loc.differences == ("quotes", "case")


def test_match_never_splits_an_expanded_character(tmp_path: Path) -> None:
    # "ﬁ" normalizes to "fi"; a quote starting at its "i" is not in the text.
    write(tmp_path, "s.txt", "the ﬁnal word")
    assert locate_quote(Sources(tmp_path), "s.txt", "inal word", explain=False).status == "missing"


# ---------------------------------------------------------------------------------------- ellipsis


@pytest.mark.parametrize("gap", ["...", "…", " (…) ", " [...] ", " … "])
def test_ellipsis_joins_pieces_in_order(seeds: Sources, gap: str) -> None:
    quote = f"Yuri Borisov, who was appointed{gap}the head of Moscow’s space corporation Roscosmos"
    loc = locate(seeds, cite(S000, quote))
    assert loc.status == "normalized"
    assert loc.differences == ("ellipsis",)
    assert (loc.line, loc.col) == (2, 1)
    assert [(p.line, p.col) for p in loc.pieces] == [(2, 1), (2, 55)]
    assert loc.text.startswith("Yuri Borisov, who was appointed earlier this month as the head")
    text = (SEEDS / S000).read_text(encoding="utf-8")
    for piece in loc.pieces:
        assert text[piece.start : piece.end] == piece.text


def test_ellipsis_pieces_out_of_order_are_missing(seeds: Sources) -> None:
    quote = "the head of Moscow’s space corporation ... Yuri Borisov, who was appointed"
    assert locate(seeds, cite(S000, quote)).status == "missing"


def test_ellipsis_in_the_source_itself_is_exact(tmp_path: Path) -> None:
    write(tmp_path, "s.txt", "and then... nothing")
    assert locate_quote(Sources(tmp_path), "s.txt", "then... nothing").status == "exact"


def test_ellipsis_piece_differences_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "s.txt", "Borisov said “we will go” and, later, The Station would close")
    loc = locate_quote(Sources(tmp_path), "s.txt", 'said "we will go" ... the station would close')
    assert loc.status == "normalized"
    assert loc.differences == ("quotes", "case", "ellipsis")


# -------------------------------------------------------------------------------- offsets property

_pieces = st.sampled_from(
    ["word", "Space", "ISS", "2024", "“", "”", "‘", "’", '"', "'", "–", "—", "-", "−", " ", "  ", "\n", "\t ",
     "\r\n", "ﬁ", "é", "e\u0301", "\u00a0", "…", "ß", ".", ","]
)


@settings(max_examples=300, deadline=None)
@given(
    before=st.lists(_pieces, max_size=12),
    middle=st.lists(_pieces, min_size=1, max_size=12),
    after=st.lists(_pieces, max_size=12),
    data=st.data(),
)
def test_reported_span_normalizes_to_the_quote(before, middle, after, data) -> None:
    source = "".join(before + middle + after)
    norm = NormText(source)
    quote = "".join(middle)
    # Rewrite the quote with random alternative spellings of the same normalized text.
    swaps = {"“": '"', "”": '"', "’": "'", "–": "-", "—": "-", "\n": " ", "  ": " ", "ISS": "iss", "ﬁ": "fi"}
    if data.draw(st.booleans()):
        for k, v in swaps.items():
            quote = quote.replace(k, v)
    nq = normalize(quote).strip(" ")
    span = norm.find(nq)
    if not nq:
        return
    assert span is not None  # the quote's own text is in the source
    a, b = span
    assert normalize(source[a:b]).strip(" ") == nq


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_offset_map_round_trips_every_linear_index(text: str) -> None:
    norm = NormText(text)
    assert norm.text == normalize(text)
    assert fold(text) == norm.text.strip(" ")
    # The whole normalized text maps back to the whole original (bar stripped invisibles at the edges).
    if norm.text:
        a, b = norm.orig_start(0), norm.orig_end(len(norm.text))
        assert normalize(text[a:b]) == norm.text


# ------------------------------------------------------------------------------------------ missing


def test_typo_fixed_quote_is_missing_with_closest_passage(seeds: Sources) -> None:
    loc = locate(seeds, cite(S001, "Russia invaded Ukraine earlier this year"))
    assert loc.status == "missing" and not loc.ok
    assert loc.message == f"quote not found in {S001}"
    c = loc.closest
    assert c is not None
    assert (c.line, c.col, c.text) == (12, 121, "Russia invaded Ukraine earklier this year")
    assert c.score == loc.score == 98
    assert c.diff == "Russia invaded Ukraine [-earlier-]{+earklier+} this year"
    assert loc.found_in == ()


def test_single_corrected_word_scores_in_the_nineties(seeds: Sources) -> None:
    loc = locate(seeds, cite(S001, "invaded Ukraine earlier"))
    assert loc.status == "missing"
    assert loc.closest is not None and 90 <= loc.closest.score < 100
    assert loc.closest.text == "invaded Ukraine earklier"


def test_never_corrects_the_source_even_normalized(tmp_path: Path) -> None:
    write(tmp_path, "s.txt", "Meanwhle, Russia's flight director")
    loc = locate_quote(Sources(tmp_path), "s.txt", "Meanwhile, Russia's flight director")
    assert loc.status == "missing"
    assert loc.closest is not None and loc.closest.text == "Meanwhle, Russia's flight director"
    assert loc.closest.diff == "[-Meanwhile,-]{+Meanwhle,+} Russia's flight director"


def test_closest_passage_trims_trailing_punctuation(tmp_path: Path) -> None:
    write(tmp_path, "s.txt", "Line one.\nThe station, he said, will close soon.\n")
    loc = locate_quote(Sources(tmp_path), "s.txt", "he sayd")
    assert loc.closest is not None
    assert (loc.closest.line, loc.closest.col, loc.closest.text) == (2, 14, "he said")


def test_wrong_file_is_detected(seeds: Sources) -> None:
    loc = locate(seeds, cite(S000, "Yuri Borissov replaced Dmitri Rogozin"))
    assert loc.status == "missing"
    assert [(f.source, f.line, f.col, f.status) for f in loc.found_in] == [(S003, 11, 42, "exact")]
    assert loc.message == f"quote not found in {S000} (found in {S003}:11:42: wrong file cited?)"


def test_looking_for_a_missing_quote_elsewhere_keeps_one_uncited_file_in_memory(tmp_path: Path) -> None:
    import tracemalloc

    filler = "".join(f"Line {i} of the report says the station keeps orbiting as planned.\n" for i in range(3_000))

    def peak_memory(folder: Path, uncited: int) -> tuple[int, int]:
        """(peak bytes while a missing quote is looked for in `uncited` other files, their total size)"""
        for k in range(uncited):
            write(folder, f"other_{k:03}.txt", filler)
        write(folder, "zz_has_it.txt", "At dawn the crew docked the Progress cargo ship.\n")
        write(folder, "cited.txt", "The crew undocked a Soyuz capsule.\n")
        sources = Sources(folder)
        tracemalloc.start()
        try:
            loc = locate(sources, cite("cited.txt", "The crew docked the Progress cargo ship"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # the hint still works, after all the other files
        assert [(f.source, f.line, f.col) for f in loc.found_in] == [("zz_has_it.txt", 1, 9)]
        return peak, uncited * len(filler)

    one, _ = peak_memory(tmp_path / "one", 1)
    many, total = peak_memory(tmp_path / "many", 80)
    # Each file once stayed in memory (normalized too): 80 files cost more than twice their size.
    assert many < one + total / 10, (one, many, total)


def test_looking_for_a_missing_quote_elsewhere_stops_after_max_bytes(tmp_path: Path) -> None:
    for k in range(5):
        write(tmp_path, f"f{k}.txt", "x" * 1_000 + "\n")
    sources = Sources(tmp_path)
    sources.get("f1.txt")  # cited: always looked at, and not counted
    assert [s.name for s in sources.readable(max_bytes=2_500)] == ["f0.txt", "f1.txt", "f2.txt", "f3.txt"]
    assert [s.name for s in sources.readable(max_bytes=0)] == ["f1.txt"]


def test_wrong_file_detected_after_normalization(seeds: Sources) -> None:
    loc = locate(seeds, cite(S000, "YURI BORISSOV replaced Dmitri Rogozin"))
    assert [(f.source, f.status) for f in loc.found_in] == [(S003, "normalized")]


def test_word_diff_notation() -> None:
    assert word_diff("a b c", "a x c") == "a [-b-]{+x+} c"
    assert word_diff("a b", "a b c") == "a b {+c+}"
    assert word_diff("a b c", "a c") == "a [-b-] c"


# ---------------------------------------------------------------------------- refused source paths


def test_parent_path_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "secret.txt", "the quote")
    sources = Sources(tmp_path / "seeds")
    (tmp_path / "seeds").mkdir()
    loc = locate_quote(sources, "../secret.txt", "the quote")
    assert loc.status == "error" and loc.reason == "escape"
    assert loc.message == (
        f"source '../secret.txt' leaves the sources folder {os.path.relpath(tmp_path / 'seeds')} "
        "(goes up with '..'); cite a file inside it"
    )


def test_absolute_path_is_refused_even_inside(tmp_path: Path) -> None:
    p = write(tmp_path / "seeds", "a.txt", "the quote")
    loc = locate_quote(Sources(tmp_path / "seeds"), str(p), "the quote")
    assert loc.status == "error" and loc.reason == "escape"
    assert "is an absolute path" in loc.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files")
def test_unreadable_outside_file_is_never_opened(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "the quote")
    secret.chmod(0)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "link.txt").symlink_to(secret)
    loc = locate_quote(Sources(tmp_path / "seeds"), "link.txt", "the quote")
    assert loc.reason == "escape"


def test_symlink_escape_is_refused_without_opening(tmp_path: Path) -> None:
    # A FIFO outside the folder: opening it for reading would block this test forever.
    fifo = tmp_path / "outside.fifo"
    os.mkfifo(fifo)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "link.txt").symlink_to(fifo)
    loc = locate_quote(Sources(tmp_path / "seeds"), "link.txt", "anything")
    assert loc.status == "error" and loc.reason == "escape"
    assert "is a symlink to a file outside it" in loc.message


# ------------------------------------------- a folder swapped for a symlink while quiz reads (TOCTOU)

SECRET = "SECRET-MARKER outside the sources folder"


def _swap_folder(tmp_path: Path) -> tuple[Path, Callable[[], None], Callable[[], None]]:
    """seeds/sub (a real folder holding secret.txt) and an outside folder with its own secret.txt, and
    two functions: one puts a symlink to the outside folder in place of seeds/sub, one puts it back."""
    write(tmp_path / "seeds" / "sub", "secret.txt", "the inside quote, nothing secret\n")
    write(tmp_path / "outside", "secret.txt", SECRET + ": the inside quote\n")
    sub, kept = tmp_path / "seeds" / "sub", tmp_path / "seeds" / ".kept"

    def to_link() -> None:
        os.rename(sub, kept)
        os.symlink(tmp_path / "outside", sub)

    def to_folder() -> None:
        os.unlink(sub)
        os.rename(kept, sub)

    return tmp_path / "seeds", to_link, to_folder


def _swap_after_stat(monkeypatch: pytest.MonkeyPatch, name: str, swap: Callable[[], None]) -> None:
    """Run `swap` right after the first stat or lstat of a path ending in `name`: the worst moment, between
    quiz's look at that component and its open."""
    done = []
    for function in ("stat", "lstat"):
        real = getattr(os, function)

        def spy(path, *args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            result = _real(path, *args, **kwargs)
            if not done and os.fspath(path).endswith(name):
                done.append(path)
                swap()
            return result

        monkeypatch.setattr(os, function, spy)


def test_a_folder_swapped_for_an_outside_symlink_after_its_check_is_not_followed(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    # The intermediate component `sub` is checked (a real folder), then replaced by a symlink to the
    # outside before it is opened: the opener must refuse the symlink, not walk through it.
    folder, to_link, _ = _swap_folder(tmp_path)
    _swap_after_stat(monkeypatch, "sub", to_link)
    sources = Sources(folder)
    with pytest.raises(SourceError) as raised:
        sources.get("sub/secret.txt")
    assert raised.value.reason == "escape", raised.value
    assert str(raised.value) == (f"source 'sub/secret.txt' leaves the sources folder {sources.display} "
                                 "(is a symlink to a file outside it); cite a file inside it")


def test_a_folder_swapped_after_its_file_was_checked_still_reads_the_inside_file(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    # The file itself was checked; then the folder holding it becomes a symlink to the outside. The file is
    # opened relative to the folder already open, so it is the inside file that is read.
    folder, to_link, _ = _swap_folder(tmp_path)
    _swap_after_stat(monkeypatch, "secret.txt", to_link)
    text = Sources(folder).get("sub/secret.txt").text
    assert text == "the inside quote, nothing secret\n"


def test_swapping_a_folder_for_a_symlink_while_locating_never_reads_outside(tmp_path: Path) -> None:
    # A thread keeps swapping seeds/sub and a symlink to an outside folder while quotes are located in
    # sub/secret.txt over and over (the quote is missing, so the closest passage of the file is shown too):
    # whatever the interleaving, nothing from the outside file may come out. Before the fix, `quiz check`
    # printed the outside file in 25 of 25 such races.
    folder, to_link, to_folder = _swap_folder(tmp_path)
    stop = threading.Event()
    swaps = [0]

    def swapper() -> None:
        while not stop.is_set():
            to_link()
            to_folder()
            swaps[0] += 1

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    outputs: list[str] = []
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline or len(outputs) < 200:
            sources = Sources(folder)
            loc = locate_quote(sources, "sub/secret.txt", "the inside quote, something else")
            shown = [loc.message, loc.closest.text if loc.closest else "", loc.source]
            try:
                shown.append(sources.get("sub/secret.txt").text)
            except SourceError as e:
                shown.append(str(e))
            outputs.append("\n".join(shown))
    finally:
        stop.set()
        thread.join(5)
    assert swaps[0] > 100, "the swapping thread hardly ran: the race was not exercised"
    assert any("nothing secret" in out for out in outputs), "the inside file was never read"
    leaked = [out for out in outputs if "SECRET" in out]
    assert leaked == [], f"{len(leaked)} of {len(outputs)} reads showed the outside file: {leaked[0]!r}"


def test_fifo_inside_is_refused_without_opening(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    os.mkfifo(tmp_path / "seeds" / "pipe.txt")
    loc = locate_quote(Sources(tmp_path / "seeds"), "pipe.txt", "anything")
    assert (loc.status, loc.reason, loc.message) == (
        "error",
        "not-a-file",
        "source 'pipe.txt' is not a regular file",
    )


def test_directory_source_is_refused(tmp_path: Path) -> None:
    (tmp_path / "seeds" / "sub").mkdir(parents=True)
    loc = locate_quote(Sources(tmp_path / "seeds"), "sub", "anything")
    assert (loc.reason, loc.message) == ("not-a-file", "source 'sub' is a directory, not a file")


def test_missing_source_suggests_a_close_name(tmp_path: Path) -> None:
    write(tmp_path / "seeds", "003_report.txt", "text")
    sources = Sources(tmp_path / "seeds")
    loc = locate_quote(sources, "003_reprot.txt", "text")
    assert loc.reason == "missing"
    assert loc.message.endswith("(did you mean '003_report.txt'?)")
    with pytest.raises(SourceError):
        sources.resolve("003_reprot.txt")


def test_non_utf8_source_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "latin1.txt").write_bytes(b"ok line\ncaf\xe9\n")
    loc = locate_quote(Sources(tmp_path / "seeds"), "latin1.txt", "caf")
    assert (loc.status, loc.reason) == ("error", "not-utf8")
    assert loc.message == (
        "source 'latin1.txt' is not valid UTF-8 (first bad byte at line 2, col 4); save it as UTF-8"
    )


def test_subfolder_paths_inside_are_fine(tmp_path: Path) -> None:
    write(tmp_path / "seeds" / "sub", "a.txt", "deep quote")
    sources = Sources(tmp_path / "seeds")
    loc = locate_quote(sources, "sub/../sub/a.txt", "deep quote")
    assert (loc.status, loc.source) == ("exact", "sub/a.txt")
    assert sources.files() == ("sub/a.txt",)


def test_each_source_is_read_once(tmp_path: Path) -> None:
    p = write(tmp_path / "seeds", "a.txt", "one two three")
    sources = Sources(tmp_path / "seeds")
    assert locate_quote(sources, "a.txt", "one").status == "exact"
    p.write_text("changed", encoding="utf-8")
    assert locate_quote(sources, "a.txt", "two").status == "exact"  # served from the cache


def test_sources_accepts_a_deck_like_object(tmp_path: Path) -> None:
    write(tmp_path / "seeds", "a.txt", "x")

    class FakeDeck:
        sources = tmp_path / "seeds"

    assert Sources(FakeDeck()).root == (tmp_path / "seeds").resolve()


_tricky = st.text(
    alphabet=st.sampled_from(list("ab AB.-'\"\n\t") + list("“”‘’–—−…ﬁßéİΣς\u00a0\u2009\u200b\u00ad\ufeffe\u0301\u0308")),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(_tricky)
def test_every_mappable_span_normalizes_to_its_normalized_slice(text: str) -> None:
    norm = NormText(text)
    n = len(norm.text)
    for p in range(n):
        a = norm.orig_start(p)
        if a is None:
            continue
        for e in range(p + 1, n + 1):
            b = norm.orig_end(e)
            if b is None:
                continue
            # Whitespace at the edges of a slice may come from a longer run: compare stripped forms.
            assert normalize(text[a:b]).strip(" ") == norm.text[p:e].strip(" "), (p, e, a, b)


def test_ellipsis_miss_names_the_missing_part(seeds: Sources) -> None:
    loc = locate(seeds, cite(S000, "Yuri Borisov, who was appointed ... the head of Moscow's space agency"))
    assert loc.status == "missing"
    assert loc.message == (
        f"quote not found in {S000}: the part \"the head of Moscow's space agency\" is not in it"
    )
    assert loc.closest is not None and loc.closest.text.startswith("the head of Moscow’s space")
    loc = locate(seeds, cite(S000, "the head of Moscow’s space corporation ... Yuri Borisov, who was appointed"))
    assert loc.message == f"quote not found in {S000}: its parts are there, but not in this order"


@settings(max_examples=100, deadline=None)
@given(_tricky)
def test_word_offsets_are_the_words_of_the_normalized_text(text: str) -> None:
    from quiz.citations import SourceText

    src = SourceText(name="x.txt", path=Path("x.txt"), text=text)
    starts, ends = src.words()
    assert [src.norm.text[a:b] for a, b in zip(starts, ends)] == src.norm.text.split()


def test_closest_passage_is_bounded_for_long_quotes_and_sources(tmp_path: Path) -> None:
    words = [f"w{i}" for i in range(60000)]
    write(tmp_path, "big.txt", " ".join(words))
    quote = " ".join(words[30000:32000]).replace("w31000", "wX")  # 2,000 words, one changed
    loc = locate_quote(Sources(tmp_path), "big.txt", quote)
    assert loc.status == "missing" and loc.closest is not None
    assert loc.closest.score >= 99
    assert loc.closest.text.startswith("w30000 ") and "[-wX-]{+w31000+}" in loc.closest.diff


# ------------------------------------------------------------------ quotes with nothing to find (B9)


@pytest.mark.parametrize("quote", ["...", "\u2026", "[...]", "(\u2026)", " ... (...) ", "[ . . . ]"])
def test_a_quote_of_only_an_ellipsis_is_missing_with_a_clear_message(tmp_path: Path, quote: str) -> None:
    write(tmp_path / "src", "s.txt", "Moscow. Russia will leave.\n")
    write(tmp_path / "src", "t.txt", "Moscow... Russia will leave.\n")  # another file has "...": no "found in"
    sources = Sources(tmp_path / "src")
    for explain in (False, True):
        loc = locate_quote(sources, "s.txt", quote, explain=explain)
        assert (loc.status, loc.closest, loc.found_in, loc.score) == ("missing", None, (), 0)
        assert loc.message == "quote not found in s.txt: the quote is only an ellipsis; quote the source's words"


def test_an_ellipsis_the_source_has_verbatim_is_found_like_any_verbatim_text(tmp_path: Path) -> None:
    write(tmp_path / "src", "s.txt", "Moscow... Russia will leave.\n")
    loc = locate_quote(Sources(tmp_path / "src"), "s.txt", "...")
    assert (loc.status, loc.start, loc.end) == ("exact", 6, 9)


@pytest.mark.parametrize("quote", ["\u200b", "\u00ad\u200d", "\ufeff \u2060"])
def test_a_quote_of_invisible_characters_is_never_found(tmp_path: Path, quote: str) -> None:
    write(tmp_path / "src", "s.txt", "Moscow\u200b \u00ad\u200d. \ufeff \u2060\n")
    loc = locate_quote(Sources(tmp_path / "src"), "s.txt", quote)
    assert (loc.status, loc.closest) == ("missing", None)
    assert loc.message == "quote not found in s.txt: the quote has no visible text; quote the source's words"


@pytest.mark.parametrize("quote", ["\u2019", "\u201c", "!", "\u2014"])
def test_a_quote_of_one_punctuation_mark_does_not_crash(tmp_path: Path, quote: str) -> None:
    write(tmp_path / "src", "s.txt", "Moscow said: no.\n")
    loc = locate_quote(Sources(tmp_path / "src"), "s.txt", quote)
    assert loc.status == "missing" and loc.message == "quote not found in s.txt"


# ------------------------------------------------------------------------ spacing diacritics (B10)


@pytest.mark.parametrize(
    "text, quote, span",
    [
        ("aaaaaa\u00b8a", "\u00b8A", (6, 8)),  # cedilla, case differs
        ("Er sagte \u00a8Nein\u00a8.", "\u00a8nein", (9, 14)),  # diaeresis
        ("x \u02d8Breve here", "\u02d8breve HERE", (2, 13)),  # breve
        ("over\u203eline", "\u203eLINE", (4, 9)),  # overline
    ],
)
def test_a_quote_starting_with_a_spacing_diacritic_is_found_normalized(
    tmp_path: Path, text: str, quote: str, span: tuple[int, int]
) -> None:
    write(tmp_path / "src", "s.txt", text)
    loc = locate_quote(Sources(tmp_path / "src"), "s.txt", quote)
    assert (loc.status, (loc.start, loc.end)) == ("normalized", span)
    assert "case" in loc.differences
    assert normalize(text[loc.start : loc.end]).strip(" ") == normalize(quote).strip(" ")


def test_spacing_diacritics_fold_one_for_one_without_a_space() -> None:
    text = "a\u00a8b \u00b8c\u02dd\u00af"
    nt = NormText(text)
    assert nt.text == normalize(text) == "a\u0308b \u0327c\u030b\u0304"
    assert " " not in normalize("\u00b8") and normalize("\u00b8") == "\u0327"
    # one character each: no atomic piece, every index maps straight back
    assert [nt.orig_start(i) for i in range(len(nt.text))] == list(range(len(text)))


# -------------------------------------------------------------------------- display excerpts (B6/B7)


def test_clip_folds_lines_and_keeps_short_text_whole() -> None:
    assert clip("Russia  invaded\nUkraine\n\n earlier") == "Russia invaded Ukraine earlier"


def test_clip_cuts_long_text_at_spaces_with_ellipses_around_the_focus() -> None:
    words = [f"w{i}" for i in range(400)]
    text = "\n".join(words)
    head = clip(text)
    assert head.endswith("\u2026") and not head.startswith("\u2026")
    assert len(head) <= CLIP_LIMIT + 1 and "\n" not in head
    assert head[:-1].split(" ") == words[: len(head[:-1].split(" "))]  # whole words only
    flat = " ".join(words)
    i = flat.index("w200 ")
    mid = clip(text, 60, focus=(i, i + 4))
    assert mid.startswith("\u2026") and mid.endswith("\u2026") and " w200 " in mid
    assert len(mid) <= 62
    tail = clip(text, 60, focus=(len(flat) - 4, len(flat)))
    assert tail.startswith("\u2026w") and tail.endswith("w399")
