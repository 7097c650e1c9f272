"""tools/mutation.py: it makes valid mutants, and it scores a weak test suite low and a
good one high (on a toy module, so it runs in seconds)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("mutation", ROOT / "tools" / "mutation.py")
mutation = importlib.util.module_from_spec(_SPEC)
sys.modules["mutation"] = mutation   # dataclasses look their module up while building
_SPEC.loader.exec_module(mutation)

TOY = textwrap.dedent('''
    """Toy module."""


    def rate(errors, audits):
        if audits <= 0:
            raise ValueError("no audits")
        return errors / audits


    def status(value, target, higher=True):
        if higher:
            return "met" if value >= target else "missed"
        return "met" if value <= target else "missed"


    def both(a, b):
        return a and not b
''')

WEAK = textwrap.dedent('''
    from toy import both, rate, status


    def test_runs():
        rate(3, 4)
        status(1, 2)
        both(1, 0)
''')

STRONG = textwrap.dedent('''
    import pytest

    from toy import both, rate, status


    def test_rate():
        assert rate(3, 4) == 0.75
        assert rate(2, 1) == 2.0
        with pytest.raises(ValueError):
            rate(1, 0)


    def test_status():
        assert [status(5, 5), status(6, 5), status(4, 5)] == ["met", "met", "missed"]
        assert [status(5, 5, False), status(4, 5, False), status(6, 5, False)] == [
            "met", "met", "missed"]


    def test_both():
        assert [both(1, 0), both(1, 1), both(0, 0)] == [True, False, 0]
''')


def test_every_mutant_of_a_real_module_compiles_and_differs():
    path = ROOT / "qa_insights" / "stats" / "proportions.py"
    source = path.read_text()
    original = ast.unparse(ast.parse(source))
    sites = mutation.mutation_sites(ast.parse(source))
    assert {s.kind for s in sites} >= {"compare", "binary", "bool", "unary", "constant",
                                      "return", "delete"}
    for site in sites[::5]:
        mutant = mutation.mutant_source(source, site)
        compile(mutant, str(path), "exec")
        assert mutant != original, site.describe()


def test_docstrings_annotations_and_all_are_not_mutated():
    source = 'def f(x: int = 1) -> int:\n    """Doc 2."""\n    return x\n__all__ = ["f"]\n'
    sites = mutation.mutation_sites(ast.parse(source))
    assert sorted(s.describe() for s in sites) == ["f: `1` -> `2`",
                                                   "f: `return x` -> `return None`"]


@pytest.fixture()
def toy(tmp_path: Path) -> Path:
    (tmp_path / "toy.py").write_text(TOY)
    (tmp_path / "test_weak.py").write_text(WEAK)
    (tmp_path / "test_strong.py").write_text(STRONG)
    return tmp_path


def _score(root: Path, tests: str) -> float:
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "mutation.py"), "--root",
                          str(root), "--module", "toy.py", "--tests", tests, "--n", "100",
                          "--timeout", "60"], capture_output=True, text=True, timeout=600,
                         check=False, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    row = next(line for line in out.stdout.splitlines() if line.startswith("| `toy.py`"))
    return float(row.split("|")[9].strip().rstrip("%")) / 100


def test_weak_suite_scores_low_and_good_suite_high(toy: Path):
    sites = mutation.mutation_sites(ast.parse(TOY))
    assert len(sites) >= 12
    weak, strong = _score(toy, "test_weak.py"), _score(toy, "test_strong.py")
    assert weak < 0.5
    assert strong == 1.0
