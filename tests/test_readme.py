"""Every code block of the README works from the repository root, as a newcomer runs it:
Python blocks are executed, shell blocks' commands are checked (make targets exist,
``qa-insights`` lines parse, and the cheap ones run), ``text`` blocks are synopses."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from qa_insights.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def _commands(kind: str) -> list[str]:
    return [line.split("#")[0].strip() for lang, body in BLOCKS if lang == kind
            for line in body.splitlines() if line.split("#")[0].strip()]


def test_every_block_declares_a_known_language() -> None:
    assert BLOCKS and {lang for lang, _ in BLOCKS} <= {"bash", "python", "text"}


@pytest.mark.slow
@pytest.mark.parametrize("index", [i for i, (lang, _) in enumerate(BLOCKS) if lang == "python"])
def test_python_block_runs_from_the_repository_root(index: int) -> None:
    run = subprocess.run([sys.executable, "-c", BLOCKS[index][1]], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip()


def test_make_targets_in_shell_blocks_exist() -> None:
    targets = [c.split()[1] for c in _commands("bash") if c.startswith("make ")]
    assert {"reports", "test"} <= set(targets)
    for target in targets:
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, f"make {target}: {dry.stderr}"


def test_qa_insights_commands_in_shell_blocks_parse() -> None:
    commands = [c for c in _commands("bash") if c.startswith("qa-insights ")]
    assert commands
    for command in commands:
        args = _parser().parse_args(shlex.split(command)[1:])
        assert callable(args.func)


@pytest.mark.slow
def test_validate_in_the_readme_runs(tmp_path: Path) -> None:
    for command in _commands("bash"):
        if command.startswith("qa-insights validate"):
            argv = shlex.split(command)[1:]
            run = subprocess.run([sys.executable, "-m", "qa_insights.cli", *argv,
                                  "--quarantine-dir", str(tmp_path)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, run.stderr
