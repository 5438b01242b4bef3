"""Every shell command in README.md and manifest/INSTALL.md works as written.

The `sh` blocks are read from the documents themselves; the `als` commands that touch only a
database and files (programme, booking, migrate, manifest, export) run, in order, against a
temporary SQLite database, with `.venv/bin` on the PATH as `. .venv/bin/activate` puts it. The
others (Graph, the server, the Playground) are parsed, so a renamed option or command still fails.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import parser

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", ROOT / "manifest" / "INSTALL.md"]
FENCE = re.compile(r"^\s*```(\w*)\s*$")
RUN = {"programme", "booking", "migrate", "manifest", "export"}  # safe: a database and files only
PARSE_ONLY = {"serve", "meetings", "attendance"}  # need Graph or hold the terminal
VENV_BIN = Path(sys.executable).parent  # the .venv/bin that `make test` made and runs from
MANIFEST_ENV = {
    "MicrosoftAppId": "0a1b2c3d-1111-4000-8000-000000000001",
    "ALS_DEVELOPER_NAME": "Local Government Association",
    "ALS_DEVELOPER_URL": "https://www.local.gov.uk",
    "ALS_PRIVACY_URL": "https://www.local.gov.uk/privacy",
    "ALS_TERMS_URL": "https://www.local.gov.uk/terms",
    "ALS_PUBLIC_URL": "https://als.example.gov.uk",
}


def shell_commands(path: Path) -> list[str]:
    """The command lines of the document's sh blocks: continuations joined, comments dropped."""
    commands: list[str] = []
    in_block, pending = False, ""
    for line in path.read_text(encoding="utf-8").splitlines():
        fence = FENCE.match(line)
        if fence:
            in_block = not in_block and fence.group(1) in {"sh", "bash", "shell"}
            continue
        if not in_block:
            continue
        text = pending + line.strip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        words = shlex.split(text, comments=True)
        if words:
            commands.append(shlex.join(words))
    return commands


def commands() -> list[str]:
    return [command for path in DOCUMENTS for command in shell_commands(path)]


def test_the_documents_have_commands_to_check() -> None:
    found = commands()
    assert "als programme load examples/programme.yaml" in found
    assert any(c.startswith("als booking open") for c in found)


def _environment(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("Microsoft", "ToBot", "ToChannel", "AZURE_", "GRAPH_", "ALS_"))}
    # Without .venv/bin, as in a new terminal: the document must say how `als` gets on the PATH.
    path = [d for d in keep.get("PATH", "").split(os.pathsep) if Path(d) != VENV_BIN]
    return {**keep, "PATH": os.pathsep.join(path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.sqlite3'}"}


@pytest.mark.slow
def test_every_command_works_as_written(tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = _environment(tmp_path)
    ran: list[str] = []
    for command in commands():
        words = shlex.split(command)
        assignments = [w for w in words if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)]
        program = words[len(assignments):]
        if program[:1] == ["."]:
            # `. .venv/bin/activate`: the virtual environment the tests run in is that .venv.
            assert program[1:] == [".venv/bin/activate"], command
            assert (VENV_BIN / "activate").is_file() or not (ROOT / ".venv").exists()
            env["PATH"] = str(VENV_BIN) + os.pathsep + env["PATH"]
            continue
        if program[:1] == ["make"]:
            targets = re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE)
            assert all(t in targets for t in program[1:]), f"{command}: no such make target"
            continue
        if program[:1] in (["npx"], ["git"], ["cd"], ["chromium"], ["docker"]):
            continue  # the Playground, a clone, a browser, containers: not run here
        if program[:2] == [".venv/bin/python", "-m"] and len(program) > 2 and program[2].startswith("tests."):
            # A demo or benchmark of the test suite: it exists (running it is its own test's job).
            assert (ROOT / (program[2].replace(".", "/") + ".py")).is_file(), f"{command}: no such module"
            continue
        if program[:1] == [".venv/bin/pytest"]:
            # A longer run of one of the suites: its files exist (the suite itself runs in CI).
            files = [w.split("::")[0] for w in program[1:] if w.startswith("tests/")]
            assert files and all((ROOT / f).is_file() for f in files), f"{command}: no such test file"
            continue
        assert program[:1] == ["als"], f"{command}: a command this test does not know how to check"
        args = program[1:]
        if args[0] in PARSE_ONLY:
            parser().parse_args(args)  # exits (SystemExit) on a wrong command or option
            continue
        assert args[0] in RUN, f"{command}: decide whether this test may run it"
        # The package builder's variables, as an admin's .env holds them (INSTALL.md step 2).
        extra = MANIFEST_ENV if args[0] == "manifest" else {}
        result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env={**env, **extra, **dict(
            a.split("=", 1) for a in assignments)}, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}{result.stderr}"
        ran.append(command)
    assert {shlex.split(c)[1] for c in ran} >= {"programme", "booking", "manifest", "export"}


def test_the_example_files_the_readme_names_exist() -> None:
    for command in commands():
        for word in shlex.split(command):
            if word.startswith("examples/"):
                assert (ROOT / word).is_file(), f"{command}: {word} is missing"


def test_what_running_leaves_behind_is_ignored_by_git(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip(reason="not a git checkout (the check needs git's ignore rules); runs in CI and in a clone")
    names = ["als.sqlite3", "als.sqlite3-wal", "als.sqlite3-shm", "als.sqlite3-journal", "export-procurement-tue-2027-03-02/x.csv",
             "devTools/playground.log"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert sorted(result.stdout.split()) == sorted(names)
