"""Startup budget: each command imports only what it needs.

Every probe runs the real command in a fresh interpreter (`python -c`, the console script's own
`quiz.cli.main`) and reports which of the watched packages ended up in `sys.modules`. Timing is measured
by bench/run.py; these tests only guard the imports that timing depends on: questionary/prompt_toolkit,
fsrs, rapidfuzz, rich, genanki and pydantic each cost tens to hundreds of milliseconds.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import quiz

ROOT = Path(__file__).resolve().parent.parent
ISS = ROOT / "decks" / "iss.yaml"

WATCHED = ("questionary", "prompt_toolkit", "fsrs", "rapidfuzz", "rich", "genanki", "pydantic", "yaml", "sqlite3",
           "psycopg")
#: What nothing but `quiz study` (questionary, fsrs) and the commands that render or export may import.
HEAVY = ("questionary", "prompt_toolkit", "fsrs", "rapidfuzz", "rich", "genanki", "pydantic", "psycopg")

PROBE = """\
import json, sys
sys.argv = ["quiz", *sys.argv[1:]]
import quiz.cli
code = 0
try:
    quiz.cli.main()
except SystemExit as exit:
    code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
watched = %r
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(watched))
quiz_modules = sorted(name for name in sys.modules if name == "quiz" or name.startswith("quiz."))
import gc
print(json.dumps({"code": code, "loaded": loaded, "quiz": quiz_modules, "frozen": gc.get_freeze_count()}),
      file=sys.stderr)
""" % (WATCHED,)


def run_quiz(tmp_path: Path, *args: str) -> tuple[dict, str]:
    """Run `quiz ARGS` in a fresh interpreter; return (what it imported and its exit code, its output:
    stdout, then stderr)."""
    env = dict(os.environ, QUIZ_DB=str(tmp_path / "quiz.db"), COLUMNS="80")
    env.pop("NO_COLOR", None)
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path, env=env, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=60)
    *errors, last = result.stderr.strip().splitlines()
    return json.loads(last), result.stdout + "".join(line + "\n" for line in errors)


@pytest.mark.parametrize(
    "args",
    [["--help"], [], ["check", "--help"], ["study", "--help"], ["stats", "--help"], ["export", "--help"],
     ["class", "--help"], ["class", "add-student", "--help"]],
    ids=["--help", "no-arguments", "check --help", "study --help", "stats --help", "export --help", "class --help",
         "class add-student --help"],
)
def test_help_imports_typer_and_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    report, out = run_quiz(tmp_path, *args)
    assert "Usage: quiz" in out
    assert report["loaded"] == [], report  # not even rich: click's plain help formatter
    assert report["quiz"] == ["quiz", "quiz.cli", "quiz.errors"], report


def test_help_exits_0_and_a_missing_command_2(tmp_path: Path) -> None:
    assert run_quiz(tmp_path, "--help")[0]["code"] == 0
    report, _ = run_quiz(tmp_path, "no-such-command")
    assert report["code"] == 2
    assert report["loaded"] == [], report  # a usage error is printed without rich too


def test_check_imports_neither_prompts_nor_scheduler(tmp_path: Path) -> None:
    report, out = run_quiz(tmp_path, "check", str(ISS))
    assert report["code"] == 0, out
    assert "118 exact, 1 normalized" in out
    # yaml reads the deck. No prompts, no FSRS, and no fuzzy matcher while every quote is found verbatim
    # (rapidfuzz only explains misses). Not even rich: into a pipe the report is written without it
    # (quiz.ui.check_view.PlainConsole; a terminal still gets rich's colours, see tests/test_check.py).
    assert report["loaded"] == ["yaml"], report


def test_typer_reads_every_commands_annotations_as_objects_not_strings() -> None:
    """With `from __future__ import annotations` in quiz/cli.py typer compiled and evaluated every
    command's annotations from strings on every start (~8% of `quiz --help`)."""
    from quiz.cli import app

    apps, callbacks = [app], []
    while apps:
        current = apps.pop()
        callbacks += [command.callback for command in current.registered_commands]
        apps += [group.typer_instance for group in current.registered_groups]
    assert len(callbacks) > 20
    as_strings = {f.__name__: a for f in callbacks for a in f.__annotations__.values() if isinstance(a, str)}
    assert as_strings == {}


def test_cli_names_its_type_checking_only_types_in_quotes() -> None:
    """Without PEP 563 every annotation of a function in quiz/cli.py is evaluated when the `def` runs (a
    nested one when its command runs): a name imported only under TYPE_CHECKING must be quoted there."""
    import ast

    tree = ast.parse((ROOT / "quiz" / "cli.py").read_text(encoding="utf-8"))
    checking_only = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.If)
                     and ast.unparse(node.test) == "TYPE_CHECKING" for imp in node.body
                     if isinstance(imp, (ast.Import, ast.ImportFrom)) for alias in imp.names}
    assert "datetime" in checking_only
    unquoted = []
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = function.args
            annotations = [a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg,
                                                  args.kwarg] if a is not None] + [function.returns]
            unquoted += [f"{function.name}:{function.lineno}" for annotation in annotations if annotation is not None
                         for name in ast.walk(annotation) if isinstance(name, ast.Name) and name.id in checking_only]
    assert unquoted == []


def test_main_takes_what_start_up_loaded_out_of_the_collectors_sight(tmp_path: Path) -> None:
    """typer, click and quiz.cli live until the process ends: frozen (gc.freeze) before the command runs,
    no full collection walks them again, nor the last one at exit."""
    report, _ = run_quiz(tmp_path, "check", "--json", str(ISS))
    assert report["frozen"] > 10_000, report


def test_check_compiles_no_pattern_it_does_not_use(tmp_path: Path) -> None:
    """Patterns with big character classes cost millions of instructions each to compile (more than all
    their searches in a check): those a good deck never needs are compiled where first needed."""
    code = ("import re, sys; sys.argv = ['quiz', 'check', %r]\n"
            "import quiz.cli\n"
            "try:\n    quiz.cli.main()\nexcept SystemExit:\n    pass\n"
            "import quiz.check, quiz.citations, quiz.deck, quiz.lint, quiz.text\n"
            "deferred = {'text.UNSAFE': quiz.text.UNSAFE, 'text.UNSAFE_IN_LINE': quiz.text.UNSAFE_IN_LINE,\n"
            "            'deck._UNREADABLE': quiz.deck._UNREADABLE, 'deck._CONTROL_IN_VALUE': quiz.deck._CONTROL_IN_VALUE,\n"
            "            'deck._BIDI': quiz.deck._BIDI, 'lint._YEAR': quiz.lint._YEAR,\n"
            "            'check._YAML_BREAK': quiz.check._YAML_BREAK,\n"
            "            'citations._SENTENCE_END': quiz.citations._SENTENCE_END,\n"
            "            'citations._INVISIBLE_RE': quiz.citations._INVISIBLE_RE,\n"
            "            'citations._LONG_RUN': quiz.citations._LONG_RUN}\n"
            "compiled = {key[1] for key in re._cache}\n"
            "print(sorted(name for name, pattern in deferred.items() if pattern in compiled), file=sys.stderr)\n"
            % str(ISS))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env=dict(os.environ, QUIZ_DB=str(tmp_path / "quiz.db")), timeout=60)
    assert "118 exact, 1 normalized" in result.stdout, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr


def test_check_json_does_not_import_rich(tmp_path: Path) -> None:
    report, out = run_quiz(tmp_path, "check", "--json", str(ISS))
    assert report["code"] == 0
    assert json.loads(out)["counts"]["exact"] == 118
    assert report["loaded"] == ["yaml"], report


def test_schema_imports_nothing_heavy(tmp_path: Path) -> None:
    report, out = run_quiz(tmp_path, "schema")
    assert report["code"] == 0
    assert json.loads(out)["$schema"].startswith("https://json-schema.org/")
    assert report["loaded"] == [], report


def _quiz_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(quiz.__path__, "quiz.") if info.name != "quiz.__main__")


@pytest.mark.parametrize("module", _quiz_modules())
def test_no_module_imports_a_heavy_package_at_its_top(module: str) -> None:
    """The rule behind every fast start: heavy packages are imported inside the functions that use them."""
    code = f"import sys, json, {module}; print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout)) & set(HEAVY)
    assert loaded == set(), f"importing {module} imports {sorted(loaded)}"


def test_every_module_is_probed() -> None:
    modules = _quiz_modules()
    assert {"quiz.cli", "quiz.deck", "quiz.check", "quiz.session", "quiz.store", "quiz.ui.prompts"} <= set(modules)


@pytest.mark.parametrize(
    "args",
    [
        ["stats", str(ISS)],
        ["stats", "--json", str(ISS)],
        ["list", "--json", str(ISS)],
        ["suspend", str(ISS), "no-such-card"],
        ["undo"],
        ["history", "--format", "json"],
        ["export", "--format", "csv", str(ISS)],
    ],
    ids=lambda args: " ".join(Path(a).name for a in args),
)
def test_only_study_imports_the_prompt_library_and_no_command_pydantic(tmp_path: Path, args: list[str]) -> None:
    """typer would coerce every option (even --help's bool) through pydantic; the app's command class
    does plain types itself, for every command."""
    report, out = run_quiz(tmp_path, *args)
    assert report["code"] in (0, 2), out
    assert out.strip(), "the command printed nothing: the probe did not run it"
    assert not {"questionary", "prompt_toolkit", "pydantic"} & set(report["loaded"]), report


@pytest.mark.parametrize("module", ["quiz.model", "quiz.history", "quiz.session"])
def test_the_model_and_the_session_import_no_parser_matcher_or_scheduler(module: str) -> None:
    """A front end (a web page, a teacher's view) drives `quiz.session` and speaks `quiz.model`'s types
    without paying for PyYAML, rapidfuzz or fsrs: those load only when a deck is read, an answer graded,
    a card scheduled."""
    code = f"import sys, json, {module}; print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout)) & {"yaml", "rapidfuzz", "fsrs", "rich", "questionary", "sqlite3"}
    assert loaded == set(), f"importing {module} imports {sorted(loaded)}"


def test_terminal_rendering_lives_in_the_ui_package_only() -> None:
    """check.py and stats.py printed to rich consoles themselves; the core computes, `quiz.ui` draws."""
    import ast

    root = Path(quiz.__file__).parent
    drawing = []
    for path in sorted(root.glob("*.py")):  # the core: every module outside quiz/ui and the CLI
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if any(name == "rich" or name.startswith(("rich.", "questionary")) for name in names):
                    drawing.append(path.name)
    assert drawing == []
