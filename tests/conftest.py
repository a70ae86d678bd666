"""Session-wide test setup: say which versions of quiz's dependencies this run tests against."""

from __future__ import annotations

import os
import re
import tempfile
from importlib import metadata

import pytest


def dependency_versions() -> list[str]:
    """`name version` for every requirement of the installed quiz (runtime, then extras), each once."""
    seen: dict[str, str] = {}
    for requirement in metadata.requires("quiz") or []:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name is None or name.group().lower() in seen:
            continue
        extra = re.search(r"""extra\s*==\s*["']([^"']+)""", requirement)
        try:
            version = metadata.version(name.group())
        except metadata.PackageNotFoundError:
            version = "not installed"
        seen[name.group().lower()] = f"{name.group()} {version}" + (f" ({extra.group(1)})" if extra else "")
    return list(seen.values())


_CACHE_DIRS: list[str] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    # The parsed-deck cache of every quiz the tests run (in-process and in children) goes to a folder of
    # this run, never the user's own cache folder.
    _CACHE_DIRS.append(tempfile.mkdtemp(prefix="quiz-test-cache-"))
    os.environ["QUIZ_CACHE_DIR"] = _CACHE_DIRS[-1]
    # Printed whatever the verbosity (the report header is hidden under -q): CI's log must say which
    # releases the dependency ranges resolved to on the day it ran.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("dependencies: " + ", ".join(dependency_versions()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    import shutil

    for folder in _CACHE_DIRS:
        shutil.rmtree(folder, ignore_errors=True)


# The throwaway PostgreSQL server (session-wide) and a fresh class database per test.
from pgserver import class_db, pg_server  # noqa: E402,F401
