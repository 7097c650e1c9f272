"""``make test`` sets ``QA_INSIGHTS_REQUIRE_PEERS=1``: a skipped test or module then fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SKIPPING = '''
import pytest
{module_skip}
def test_skips():
    pytest.skip("peer not installed")
def test_passes():
    pass
'''


def _run(tmp_path: Path, require: str, module_skip: str = "") -> str:
    test_file = tmp_path / "test_skipping.py"
    test_file.write_text(SKIPPING.format(module_skip=module_skip))
    env = {**os.environ, "QA_INSIGHTS_REQUIRE_PEERS": require}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                           "-p", "no:cacheprovider", "-p", "tests.conftest", str(test_file)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    return done.stdout


@pytest.mark.parametrize("require, summary", [("1", "1 failed, 1 passed"),
                                              ("", "1 passed, 1 skipped")])
def test_a_skipped_test_fails_only_when_peers_are_required(tmp_path: Path, require: str,
                                                           summary: str) -> None:
    out = _run(tmp_path, require)
    assert re.search(rf"\b{summary}\b", out), out
    if require:
        assert "requires every peer and tool: Skipped: peer not installed" in out


def test_a_module_skipped_at_import_fails_when_peers_are_required(tmp_path: Path) -> None:
    out = _run(tmp_path, "1", 'pytest.importorskip("no_such_peer_module")')
    assert "1 error" in out and "requires every peer and tool" in out, out


def test_make_test_requires_the_peers() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "QA_INSIGHTS_REQUIRE_PEERS=1" in recipe and "pytest" in recipe
