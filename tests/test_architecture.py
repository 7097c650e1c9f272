"""The package's shape: imports go one way between subpackages, with no cycle between
modules (type-only imports under ``if TYPE_CHECKING`` aside), and every module's ``__all__`` lists only what it defines (one import path per
name)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import qa_insights

PACKAGE = Path(qa_insights.__file__).parent

#: Subpackages from the lowest layer up; a module imports only from its own layer or below.
LAYERS = ("data", "stats", "quality", "agreement", "calibration", "rca", "business",
          "present", "reports", "cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (type-only imports)."""
    skip = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
            and ast.unparse(block.test) == "TYPE_CHECKING"
            for stmt in block.body for n in ast.walk(stmt)}
    return [n for n in ast.walk(tree) if id(n) not in skip]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("qa_insights"):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names
                          if f"{node.module}.{a.name}" in MODULES}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("qa_insights")}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; use absolute imports")
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "qa_insights"))
def test_imports_go_down_the_layers(module: str) -> None:
    upward = [dep for dep in GRAPH[module]
              if dep != "qa_insights" and _layer(dep) > _layer(module)]
    assert not upward, f"{module} imports from a layer above it: {upward}"
    assert "qa_insights" not in GRAPH[module], f"{module} imports the package root"


def test_report_engine_knows_no_report_content() -> None:
    content = {m for m in MODULES if m.startswith("qa_insights.reports.")
               and not m.startswith("qa_insights.reports.engine")}
    for module, deps in GRAPH.items():
        if module.startswith("qa_insights.reports.engine"):
            assert not deps & content, f"{module} imports report content {deps & content}"


def test_no_import_cycle_between_modules() -> None:
    state: dict[str, int] = {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for dep in sorted(GRAPH[module]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack, module, dep]))
            if dep not in state:
                visit(dep, [*stack, module])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state and module != "qa_insights":
            visit(module, [])


def test_the_layer_test_sees_an_upward_import() -> None:
    assert _layer("qa_insights.stats.proportions") < _layer("qa_insights.quality.metrics")
    assert "qa_insights.data.store" in GRAPH["qa_insights.quality.metrics"] | {
        "qa_insights.data.store"}
    assert GRAPH["qa_insights.quality.metrics"] >= {"qa_insights.data.queries"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if not MODULES[m].name == "__init__.py"))
def test_all_lists_only_what_the_module_defines(module: str) -> None:
    loaded = importlib.import_module(module)
    exported = getattr(loaded, "__all__", None)
    assert exported is not None, f"{module} has no __all__"
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    assert set(exported) <= defined, f"{module} re-exports {set(exported) - defined}"


def test_subpackage_inits_export_nothing() -> None:
    for path in PACKAGE.rglob("__init__.py"):
        if path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert all(isinstance(n, ast.Expr) for n in tree.body), f"{path} is not a docstring"


#: Test files that check a behaviour across modules rather than one module, and why.
CROSS_CUTTING = {
    "test_accepted_inputs": "every accepted input shape gives the plain layout's numbers",
    "test_architecture": "this file: the layout itself",
    "test_benchmarks": "the benchmark scripts run at smoke size",
    "test_doctests": "every module's examples",
    "test_fuzz": "random inputs through validation and the statistics",
    "test_hostile_inputs": "bad rows are quarantined with a reason, end to end",
    "test_hostile_reports": "hostile names through the built reports",
    "test_html_browser": "the built reports in headless Chromium",
    "test_missing_columns": "a missing optional column is said, never a silent zero",
    "test_mutation_tool": "tools/mutation.py",
    "test_notebooks_stored_clean": "notebooks are stored without outputs",
    "test_null_summaries": "the summaries stay silent on null data",
    "test_package": "the package root's public names",
    "test_packaging": "a wheel installs and builds elsewhere",
    "test_readme": "the README's code blocks run",
    "test_reliability": "the build's guarantees under faults",
    "test_report_operations": "the MBR's projects, savings and delivery sections, built",
    "test_reproducible": "two builds give the same bytes",
    "test_require_peers": "no peer library or browser is skipped",
}


def test_test_files_are_named_after_what_they_test() -> None:
    """``tests/test_<module>[_<aspect>].py`` for a module (or subpackage) of the package,
    ``test_report_<module>`` for a report's content module, else a listed cross-cutting
    suite."""
    names = {p.stem for p in PACKAGE.rglob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"}
    tests = sorted(p.stem for p in (PACKAGE.parent / "tests").glob("test_*.py"))
    unnamed = [t for t in tests
               if t not in CROSS_CUTTING
               and not any(t[5:] == n or t[5:].startswith(f"{n}_") for n in names)
               and t.removeprefix("test_report_") not in names]
    assert not unnamed, f"name these after the module they test, or list them: {unnamed}"
    assert set(CROSS_CUTTING) <= set(tests), set(CROSS_CUTTING) - set(tests)
