"""Write docs/cli.md, the CLI reference, from the commands' own --help (as sqlite-utils does with cog).

    python tools/cli_reference.py          # rewrite docs/cli.md
    python tools/cli_reference.py --check  # exit 1 if docs/cli.md is out of date (tests run this)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "cli.md"


def help_text(*command: str) -> str:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    out = subprocess.run([sys.executable, "-m", "quiz", *command, "--help"], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    return out.stdout.rstrip() + "\n"


def commands(*group: str) -> list[str]:
    """The commands of `quiz` (or of its sub-command `group`), each followed by its own sub-commands
    ("class", "class report", ...)."""
    lines = help_text(*group).splitlines()
    if "Commands:" not in lines:
        return []
    start = lines.index("Commands:") + 1
    found = []
    for name in [line.split()[0] for line in lines[start:] if line.startswith("  ") and line.split()]:
        found.append(" ".join([*group, name]))
        found.extend(commands(*group, name))
    return found


def render() -> str:
    parts = ["# quiz command reference\n",
             "Generated from each command's `--help` by `python tools/cli_reference.py`; "
             "a test fails when it is out of date.\n",
             "```\n$ quiz --help\n" + help_text() + "```\n"]
    for name in commands():
        parts.append(f"## quiz {name}\n\n```\n$ quiz {name} --help\n" + help_text(*name.split()) + "```\n")
    return "\n".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not REFERENCE.exists() or REFERENCE.read_text(encoding="utf-8") != text:
            print(f"{REFERENCE.relative_to(ROOT)} is out of date: run python tools/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    REFERENCE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
