"""Hostile and broken decks (tests/corpus/bad) through `quiz check` and `quiz study --plain`.

Each `bad/NAME.yaml` has `bad/NAME.expected` beside it: every `NAME.yaml:LINE:COL: message` line the
commands must print, exactly, with paths relative to the corpus folder (the commands run from there).
A few hostile inputs cannot be committed (a 6 MB file, a directory, a FIFO, a symlink, a 100,000-character
quote); they are made at test time and their expectations are in `GENERATED` below.

For every case:
* `quiz check NAME.yaml`: exit 2 with exactly the expected lines on stderr (exit 1 with them among the
  report lines where the deck is valid but a citation fails), no traceback;
* `quiz study --plain NAME.yaml` (stdin one answer, then EOF): exit 2 and the same lines for an invalid deck,
  and no history database created; a valid deck studies normally;
* nothing anywhere in the corpus copy is created, changed or removed;
* no file outside the sources folder is opened: the "secret" file next to the sources folder is a FIFO
  watched by a thread that blocks opening its write end, which returns only if someone opens it for
  reading (the same watch guards a FIFO inside the sources folder, which must be refused unopened).

Every command is a real `python -m quiz` process, run from one module fixture; the parametrized test then
checks each case's share of the results. Starting ~180 interpreters takes minutes on a busy machine, so the
invalid committed decks go through one `quiz check` and one `quiz study` run that name them all (both
report every deck's problems, each line prefixed with its deck, and `check` prints one summary line per
deck); every other case (valid decks with failing citations, generated inputs) gets its own processes,
run concurrently. `test_one_deck_alone_prints_what_the_batch_printed` shows a deck run alone prints
exactly its share of the batch.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
QUIZ = [sys.executable, "-m", "quiz"]
TIMEOUT = 60  # seconds; a command blocked on opening a FIFO is caught here at the latest
NOW = "2026-11-21T10:00:00+00:00"
HEAD = "id: corpus\ntitle: Corpus deck\nsources: ../sources\ncards:\n"

# Decks that are valid but whose citations fail: `quiz check` exits 1 and `quiz study` studies them.
CITATION_FAILS = {
    "quote_not_found",
    "source_fifo",
    "source_is_directory",
    "source_missing",
    "source_symlink_escape",
    "sources_folder_outside",
    "long_quote",
    "quote_only_ellipsis",
    "source_with_escape_sequences",
}

# Cases whose expected output is the good message the code does not print yet (see /work/briefs/bugs.md).
XFAIL: dict[str, str] = {}


def _deck_text(card_body: str) -> str:
    return HEAD + "  - id: c1\n" + card_body


def _make_dir(bad: Path, name: str) -> None:
    (bad / f"{name}.yaml").mkdir()


def _make_fifo(bad: Path, name: str) -> None:
    os.mkfifo(bad / f"{name}.yaml")


def _make_big(size: int):
    def make(bad: Path, name: str) -> None:
        card = ("  - id: c{}\n    question: After which year will Russia stop operating on the ISS?\n"
                "    answer: \"2024\"\n    cite:\n      - source: station.txt\n"
                "        quote: stop operating on the International Space Station after 2024\n")
        parts, length, i = [HEAD], len(HEAD), 0
        while length < size:
            parts.append(card.format(i))
            length += len(parts[-1])
            i += 1
        data = "".join(parts).encode()[:size]
        (bad / f"{name}.yaml").write_bytes(data)
    return make


def _make_long_quote(bad: Path, name: str) -> None:
    rng = random.Random(20261121)
    words = "station orbit roscosmos moscow crew module launch year after partners obligations".split()
    quote = " ".join(rng.choice(words) for _ in range(20_000))[:100_000].strip()
    assert len(quote) >= 99_990
    body = ("    question: After which year?\n    answer: \"2024\"\n    cite:\n      - source: station.txt\n"
            f"        quote: {quote}\n")
    (bad / f"{name}.yaml").write_text(_deck_text(body), encoding="utf-8")


@dataclass(frozen=True)
class Generated:
    make: object  # (bad folder, name) -> None
    check: tuple[int, str]  # exit code, exact stderr (for exit 1: the expected report lines)
    study: tuple[int, str]


GENERATED = {
    "dir_deck": Generated(
        _make_dir,
        (2, "Error: no decks found in dir_deck.yaml (looked for *.yaml files)\n"),
        (2, "dir_deck.yaml:1:1: is a directory, not a deck file (give the path of a .yaml deck)\n"),
    ),
    "fifo_deck": Generated(
        _make_fifo,
        (2, "fifo_deck.yaml:1:1: is not a regular file (a deck must be a .yaml file, not a pipe or device)\n"),
        (2, "fifo_deck.yaml:1:1: is not a regular file (a deck must be a .yaml file, not a pipe or device)\n"),
    ),
    "over_5mb": Generated(
        _make_big(6 * 1024 * 1024),
        (2, "over_5mb.yaml:1:1: the file is 6.0 MB; a deck may be at most 5 MB (split it into several decks)\n"),
        (2, "over_5mb.yaml:1:1: the file is 6.0 MB; a deck may be at most 5 MB (split it into several decks)\n"),
    ),
    "just_over_5mb": Generated(
        _make_big(5 * 1024 * 1024 + 1),
        (2, "just_over_5mb.yaml:1:1: the file is 5,242,881 bytes; a deck may be at most 5 MB (5,242,880 bytes; "
            "split it into several decks)\n"),
        (2, "just_over_5mb.yaml:1:1: the file is 5,242,881 bytes; a deck may be at most 5 MB (5,242,880 bytes; "
            "split it into several decks)\n"),
    ),
    "long_quote": Generated(
        _make_long_quote,
        (1, "long_quote.yaml:10:16: card c1: quote not found in station.txt\n"
            "long_quote.yaml:5:5: warning: card c1: answer '2024' is not in any of its quotes; cite a passage "
            "that contains it [unsupported-answer]\n"),
        (0, ""),
    ),
}

COMMITTED = sorted(p.stem for p in (CORPUS / "bad").glob("*.yaml"))
CASES = sorted(COMMITTED + list(GENERATED))
WATCHED = ("secret.txt", "sources/pipe.txt")  # FIFOs no command may open


class FifoWatch:
    """Blocks opening the write end of a FIFO in a thread; that open returns only once a reader opens it."""

    def __init__(self, path: Path):
        self.path = path
        self.opened = False
        self._releasing = False
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # blocks until a reader opens the FIFO
        if not self._releasing:
            self.opened = True
        os.close(fd)  # the reader sees end of file, so it never hangs on this FIFO

    def stop(self) -> bool:
        """Release the thread (as a reader of our own) and say whether anyone else opened the FIFO."""
        self._releasing = True
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            fd = None
        self._thread.join(5)
        if fd is not None:
            os.close(fd)
        return self.opened


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under `root` (not following symlinks, never opening anything but regular files)."""
    out: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = os.lstat(path)
            key = str(path.relative_to(root))
            if stat.S_ISREG(info.st_mode):
                out[key] = ("file", info.st_size, info.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
            elif stat.S_ISLNK(info.st_mode):
                out[key] = ("link", os.readlink(path))
            else:
                out[key] = (stat.filemode(info.st_mode), info.st_mtime_ns)
    return out


@dataclass
class Run:
    returncode: int | None
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def _run(args: list[str], cwd: Path, env: dict[str, str], stdin: str) -> Run:
    try:
        done = subprocess.run(QUIZ + args, cwd=cwd, env=env, input=stdin.encode(), capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return Run(None, (e.stdout or b"").decode("utf-8", "replace"),
                   (e.stderr or b"").decode("utf-8", "replace") + f"\n[timed out after {TIMEOUT} s]")
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@dataclass
class CorpusResults:
    root: Path
    dbs: Path
    env: dict[str, str]
    check: dict[str, Run]  # per-deck runs
    study: dict[str, Run]
    batch_check: Run  # one run over every deck of BATCHED
    batch_study: Run
    before: dict[str, tuple]
    after: dict[str, tuple]
    opened: list[str]


# Invalid committed decks: checked together (see the module docstring).
BATCHED = [n for n in COMMITTED if n not in CITATION_FAILS]
STUDY_INPUT = "2024\n\n"  # one answer, Enter for the suggested rating, then end of input


def copy_corpus(base: Path) -> Path:
    """The corpus copied under `base`, with the parts git cannot hold: the secret FIFO outside the sources
    folder, a symlink in the sources folder pointing at it, and a FIFO inside the sources folder."""
    root = base / "corpus"
    shutil.copytree(CORPUS, root, symlinks=True)
    os.mkfifo(root / "secret.txt")
    os.symlink("../secret.txt", root / "sources" / "escape.txt")
    os.mkfifo(root / "sources" / "pipe.txt")
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusResults:
    base = tmp_path_factory.mktemp("corpus")
    root = copy_corpus(base)
    bad = root / "bad"
    for name, generated in GENERATED.items():
        generated.make(bad, name)  # type: ignore[operator]
    watches = [FifoWatch(root / name) for name in WATCHED]
    dbs = base / "db"
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZ_", "LC_", "XDG_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), NO_COLOR="1", TERM="dumb", TZ="UTC",
               QUIZ_NOW=NOW, LANG="C.UTF-8", COLUMNS="100")
    before = snapshot(root)
    files = [f"{n}.yaml" for n in BATCHED]

    def job(kind: str, name: str) -> tuple[str, str, Run]:
        case_env = dict(env, QUIZ_DB=str(dbs / name / "quiz.db"))
        if name == "*":
            args = ["check", *files] if kind == "check" else ["study", "--plain", *files]
            return kind, name, _run(args, bad, case_env, STUDY_INPUT)
        if kind == "check":
            return kind, name, _run(["check", f"{name}.yaml"], bad, case_env, "")
        return kind, name, _run(["study", "--plain", f"{name}.yaml"], bad, case_env, STUDY_INPUT)

    alone = ["*"] + [n for n in CASES if n not in BATCHED]
    results: dict[str, dict[str, Run]] = {"check": {}, "study": {}}
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for kind, name, run in pool.map(lambda a: job(*a), [(k, n) for n in alone for k in ("check", "study")]):
                results[kind][name] = run
    finally:
        opened = [str(w.path.relative_to(root)) for w in watches if w.stop()]
    after = snapshot(root)
    return CorpusResults(root, dbs, env, results["check"], results["study"], results["check"].pop("*"),
                         results["study"].pop("*"), before, after, opened)


def _expected(name: str) -> tuple[int, str, int, str]:
    """(check exit, check lines, study exit, study lines) for a case."""
    if name in GENERATED:
        g = GENERATED[name]
        return g.check[0], g.check[1], g.study[0], g.study[1]
    lines = (CORPUS / "bad" / f"{name}.expected").read_text(encoding="utf-8")
    if name in CITATION_FAILS:
        return 1, lines, 0, ""
    return 2, lines, 2, lines


_PROBLEM_LINE = re.compile(r"^\S+\.yaml:\d+:\d+: ")


def _share(output: str, name: str) -> str:
    """The lines of a batch run's output that belong to deck `name`."""
    return "".join(line for line in output.splitlines(keepends=True) if line.startswith(f"{name}.yaml:"))


# With NO_COLOR and TERM=dumb nothing quiz prints may hold a control character: one from a deck or a source
# file would reach the terminal raw (clear the screen, set the window title, ...). Nor a C1 control (NEL,
# CSI), a bidi override or a zero-width character: quiz.text shows those as visible escapes.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]")


def _no_crash(kind: str, run: Run) -> None:
    assert "Traceback" not in run.text, f"quiz {kind} crashed:\n{run.text}"
    assert run.returncode is not None, f"quiz {kind} hung (opened a FIFO?):\n{run.text}"
    bad = _CONTROL.search(run.text)
    assert bad is None, f"quiz {kind} printed control character {bad.group()!r}:\n{run.text!r}"


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL[n])) if n in XFAIL else n for n in CASES],
)
def test_bad_deck(corpus: CorpusResults, name: str) -> None:
    check_code, check_lines, study_code, study_lines = _expected(name)
    if name in BATCHED:
        check, study = corpus.batch_check, corpus.batch_study
        for kind, run in (("check", check), ("study", study)):
            _no_crash(kind, run)
            assert run.returncode == 2, run.text
        assert _share(check.stderr, name) == check_lines
        count = len(check_lines.splitlines())
        assert _share(check.stdout, name) == f"{name}.yaml: invalid deck ({count} problem" \
                                             f"{'s' if count != 1 else ''}, listed on stderr)\n"
        assert _share(study.stderr, name) == study_lines
        return

    check, study = corpus.check[name], corpus.study[name]
    for kind, run in (("check", check), ("study", study)):
        _no_crash(kind, run)
    assert check.returncode == check_code, check.text
    if check_code == 2:
        assert check.stderr == check_lines
    else:
        assert check.stderr == ""
        reported = "".join(line for line in check.stdout.splitlines(keepends=True) if _PROBLEM_LINE.match(line))
        assert reported == check_lines
    assert study.returncode == study_code, study.text
    if study_code == 2:
        assert study.stderr == study_lines
        assert study.stdout == ""
        assert not (corpus.dbs / name).exists(), "study created a history database for an invalid deck"
    else:
        assert study.stderr == ""
        assert "Session over: 1 card studied" in study.stdout, study.stdout


def test_the_batch_runs_reject_every_deck_and_write_nothing(corpus: CorpusResults) -> None:
    assert corpus.batch_study.stdout == ""
    assert not (corpus.dbs / "*").exists(), "study created a history database for invalid decks"


@pytest.mark.parametrize("name", ["alias_bomb", "tag_python_os_system", "syntax_two_documents"])
def test_one_deck_alone_prints_what_the_batch_printed(corpus: CorpusResults, name: str, tmp_path: Path) -> None:
    env = dict(corpus.env, QUIZ_DB=str(tmp_path / "db" / "quiz.db"))
    bad = corpus.root / "bad"
    check = _run(["check", f"{name}.yaml"], bad, env, "")
    study = _run(["study", "--plain", f"{name}.yaml"], bad, env, STUDY_INPUT)
    assert (check.returncode, check.stderr) == (2, _share(corpus.batch_check.stderr, name))
    assert check.stdout == _share(corpus.batch_check.stdout, name)
    assert (study.returncode, study.stdout, study.stderr) == (2, "", _share(corpus.batch_study.stderr, name))
    assert not (tmp_path / "db").exists()


def test_the_corpus_is_big_enough() -> None:
    assert len(COMMITTED) >= 40
    for name in COMMITTED:
        expected = CORPUS / "bad" / f"{name}.expected"
        assert expected.is_file(), f"{name}.yaml has no {name}.expected"
        lines = expected.read_text(encoding="utf-8").splitlines()
        assert lines and all(_PROBLEM_LINE.match(line) and line.startswith(f"{name}.yaml:") for line in lines)
    orphans = {p.stem for p in (CORPUS / "bad").glob("*.expected")} - set(COMMITTED)
    assert not orphans, f"expected-output files without a deck: {sorted(orphans)}"


def test_nothing_outside_the_sources_folder_was_opened(corpus: CorpusResults) -> None:
    assert corpus.opened == []


def test_no_command_created_changed_or_removed_a_file(corpus: CorpusResults) -> None:
    assert corpus.after == corpus.before


def test_study_created_a_database_only_for_valid_decks(corpus: CorpusResults) -> None:
    created = sorted(p.name for p in corpus.dbs.iterdir()) if corpus.dbs.exists() else []
    assert created == sorted(CITATION_FAILS)


def before_names(snap: dict[str, tuple], folder: str) -> list[str]:
    return [k.split("/", 1)[1] for k in snap if k.startswith(folder + "/") and "/" not in k.split("/", 1)[1]]


def test_check_fix_writes_only_the_deck_it_fixes(corpus: CorpusResults, tmp_path: Path) -> None:
    """`--fix` on every valid corpus deck (each with a failing citation) and on one near-miss deck it can fix:
    the near-miss deck is rewritten (and then checks clean); nothing else anywhere is created or changed,
    and neither FIFO is opened."""
    root = copy_corpus(tmp_path)
    bad = root / "bad"
    near = bad / "near_miss.yaml"
    near.write_text(_deck_text("    question: After which year?\n    answer: \"2024\"\n    cite:\n"
                               "      - source: station.txt\n"
                               "        quote: stop operating on the Internatonal Space Station after 2024\n"),
                    encoding="utf-8")
    watches = [FifoWatch(root / name) for name in WATCHED]
    before = snapshot(root)
    env = dict(corpus.env, QUIZ_DB=str(tmp_path / "db" / "quiz.db"))
    names = sorted(n for n in CITATION_FAILS if n in COMMITTED and n not in XFAIL) + ["near_miss"]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = dict(zip(names, pool.map(lambda n: _run(["check", "--fix", f"{n}.yaml"], bad, env, ""), names)))
    finally:
        opened = [str(w.path.relative_to(root)) for w in watches if w.stop()]
    assert opened == []
    for name, run in runs.items():
        _no_crash(f"check --fix {name}", run)
    assert runs["near_miss"].returncode == 0, runs["near_miss"].text
    after = snapshot(root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == ["bad", "bad/near_miss.yaml"]  # the deck, and its folder's time (replaced by rename)
    assert sorted(os.listdir(bad)) == sorted(before_names(before, "bad"))
    assert 'quote: "stop operating on the International Space Station after 2024"\n' in near.read_text()
    assert not (tmp_path / "db").exists()


def test_checking_a_folder_with_a_symlink_loop_and_a_fifo_deck(corpus: CorpusResults, tmp_path: Path) -> None:
    """`quiz check FOLDER` walks the folder: a symlink loop ends, a FIFO named *.yaml is skipped unopened."""
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(CORPUS / "bad" / "empty_file.yaml", decks)
    os.symlink(".", decks / "loop")
    os.symlink("../decks", decks / "up")
    os.mkfifo(decks / "pipe.yaml")
    watch = FifoWatch(decks / "pipe.yaml")
    try:
        run = _run(["check", "decks"], tmp_path, dict(corpus.env, QUIZ_DB=str(tmp_path / "db" / "quiz.db")), "")
    finally:
        opened = watch.stop()
    assert not opened
    _no_crash("check", run)
    assert (run.returncode, run.stdout, run.stderr) == (
        2,
        "decks/empty_file.yaml: invalid deck (1 problem, listed on stderr)\n",
        "decks/empty_file.yaml:1:1: the deck is empty; it needs a 'title' and a list of 'cards'\n",
    )


def test_a_long_missing_quote_in_a_large_source_is_explained_without_hanging(corpus: CorpusResults,
                                                                             tmp_path: Path) -> None:
    """B13: a 100,000-character quote missing from a 2 MB source kept `quiz check` busy for minutes (its
    closest-passage search grew with quote length x source length). The run must end within TIMEOUT."""
    rng = random.Random(13)
    words = "station orbit roscosmos moscow crew module launch year after partners obligations the of and".split()
    (tmp_path / "src").mkdir()
    lines = (" ".join(rng.choice(words) for _ in range(15)) + ".\n" for _ in range(22_000))
    (tmp_path / "src" / "big.txt").write_text("".join(lines), encoding="utf-8")
    quote = " ".join(rng.choice(words) for _ in range(20_000))[:100_000].strip()
    (tmp_path / "big.yaml").write_text(
        "id: big\ntitle: Big\nsources: src\ncards:\n  - id: c1\n    question: Which orbit?\n    answer: orbit\n"
        f"    cite:\n      - source: big.txt\n        quote: {quote}\n", encoding="utf-8")
    run = _run(["check", "big.yaml"], tmp_path, dict(corpus.env, QUIZ_DB=str(tmp_path / "db" / "quiz.db")), "")
    _no_crash("check", run)
    assert run.returncode == 1, run.text
    assert "big.yaml:10:16: card c1: quote not found in big.txt\n" in run.stdout


def test_a_deck_file_name_and_a_typed_answer_never_reach_the_terminal_raw(corpus: CorpusResults,
                                                                          tmp_path: Path) -> None:
    """A deck's file name is printed in `path:line:col` lines, in `Error:` lines and in check's report; an OSC
    sequence in it retitled the terminal, a line break in it split a problem line. A typed answer is echoed
    and quoted in the verdict. All of it must come out escaped (quiz.text), one line per problem."""
    name = "evil\x1b]0;pwned\x07\nname"
    shown = "decks/evil\\x1b]0;pwned\\x07\\x0aname"
    shutil.copytree(CORPUS / "sources", tmp_path / "sources")
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / f"{name}.yaml").write_text("", encoding="utf-8")  # an invalid (empty) deck
    valid = HEAD.replace("corpus", "named", 1) + (
        "  - id: c1\n    question: Which year?\u200b\n    answer: \"2024\"\n    cite:\n      - source: station.txt\n"
        "        quote: stop operating on the International Space Station after 2024\n"
        "  - id: c2\n    question: Who?\n    answer: Borisov\n    cite:\n      - source: station.txt\n"
        "        quote: not in the file Borisov\n")
    (decks / f"{name}-ok.yaml").write_text(valid, encoding="utf-8")
    (decks / "twin.yaml").write_text(valid, encoding="utf-8")  # the same deck id as the -ok deck
    env = dict(corpus.env, QUIZ_DB=str(tmp_path / "db" / "quiz.db"))
    runs = {
        "check invalid": _run(["check", f"decks/{name}.yaml"], tmp_path, env, ""),
        "study invalid": _run(["study", "--plain", f"decks/{name}.yaml"], tmp_path, env, ""),
        "check valid": _run(["check", f"decks/{name}-ok.yaml"], tmp_path, env, ""),
        "study valid": _run(["study", "--plain", f"decks/{name}-ok.yaml"], tmp_path, env,
                            "2024\x1b]0;typed\x07\n\nq\n"),
        "study twins": _run(["study", "--plain", f"decks/{name}-ok.yaml", "decks/twin.yaml"], tmp_path, env, ""),
    }
    for kind, run in runs.items():
        _no_crash(kind, run)
    empty = f"{shown}.yaml:1:1: the deck is empty; it needs a 'title' and a list of 'cards'\n"
    assert (runs["check invalid"].returncode, runs["check invalid"].stderr) == (2, empty)
    assert runs["check invalid"].stdout == f"{shown}.yaml: invalid deck (1 problem, listed on stderr)\n"
    assert (runs["study invalid"].returncode, runs["study invalid"].stderr) == (2, empty)
    check = runs["check valid"]
    assert check.returncode == 1, check.text
    assert check.stdout.startswith(f"{shown}-ok.yaml: 2 citations")
    assert f"\n{shown}-ok.yaml:16:16: card c2: quote not found in station.txt\n" in check.stdout
    study = runs["study valid"]
    assert study.returncode == 0, study.text
    assert "Q: Which year?\\u200b\n" in study.stdout  # deck text: a zero-width character shown, not hidden
    assert "answer> 2024\\x1b]0;typed\\x07\n" in study.stdout  # the typed answer's echo
    twins = runs["study twins"]
    assert (twins.returncode, twins.stderr) == (
        2, f"Error: decks/twin.yaml and {shown}-ok.yaml have the same deck id 'named'; give one of them another "
           "`id:`\n")
