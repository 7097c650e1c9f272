"""A small mutation tester: how many wrong numbers would the tests catch?

For each module it lists every mutation site (comparison flipped, arithmetic or bitwise
operator swapped, ``and``/``or`` swapped, ``not``/unary minus dropped, numeric or boolean
constant changed, return value replaced with ``None``, statement deleted), samples some
of them with a fixed seed, writes each mutant into a temporary copy of the worktree
(never the real tree) and runs the module's own test files on it with
``pytest -x -q -p no:cacheprovider -m "not slow and not spark"`` under a timeout. A
mutant is *killed* when the tests fail (or time out) and *survives* when they pass. With
``--trace``, mutants on lines the unmutated run never executes survive without a run.

Heavy third-party imports are made once in this process; each test run is a forked
child, so a run costs the tests' own time, not pandas' and SciPy's import time.

Run ``python tools/mutation.py`` for every module in :data:`MODULES` (``make mutation``),
or ``python tools/mutation.py --module qa_insights/stats/lmdi.py --tests
tests/test_lmdi.py`` for one module while working on it (``--n``, ``--seed``,
``--timeout``; ``--out`` to write a table). Mutants judged equivalent (no test could
tell them apart) are listed with a reason in ``tools/mutation_equivalent.json`` and left
out of the score.

Examples
--------
>>> sites = mutation_sites(ast.parse("def f(a, b):\\n    return a < b"))
>>> [site.describe() for site in sites][:2]
['f: `a < b` -> `a <= b`', 'f: `a < b` -> `a > b`']
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MODULES",
    "ModuleResult",
    "Site",
    "main",
    "markdown_report",
    "mutant_source",
    "mutation_sites",
    "run_module",
]

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "tools" / "mutation_equivalent.json"

#: module -> (its own test files, mutants sampled, target score): what ``make mutation`` runs.
MODULES: dict[str, tuple[tuple[str, ...], int, float]] = {
    "qa_insights/stats/proportions.py": (
        ("tests/test_proportions_edges.py", "tests/test_proportions.py"), 80, 0.90),
    "qa_insights/stats/control_charts.py": (
        ("tests/test_control_charts_rules.py", "tests/test_control_charts.py"), 80, 0.90),
    "qa_insights/stats/lmdi.py": (("tests/test_lmdi_forms.py", "tests/test_lmdi.py"), 80, 0.90),
    "qa_insights/business/targets.py": (
        ("tests/test_targets_boundaries.py", "tests/test_targets.py"), 80, 0.90),
    "qa_insights/present/findings.py": (
        ("tests/test_findings_numbers.py", "tests/test_findings.py"), 80, 0.90),
    "qa_insights/business/costs.py": (("tests/test_costs_ratios.py", "tests/test_costs.py"),
                                      80, 0.90),
    "qa_insights/reports/engine/publish.py": (("tests/test_publish.py",), 40, 0.85),
    "qa_insights/reports/engine/build.py": (("tests/test_build.py", "tests/test_pdf.py"), 40,
                                            0.85),
    "qa_insights/reports/engine/context.py": (("tests/test_context.py",), 40, 0.85),
    "qa_insights/reports/engine/kinds.py": (("tests/test_kinds.py",), 40, 0.85),
}

#: Lines of tests/MUTATION.md between which ``--out`` writes the measured table.
BEGIN, END = "<!-- mutation table: begin -->", "<!-- mutation table: end -->"

#: The tests run on each mutant: ``make test-fast``'s selection (slow simulations left out).
MARKS = "not slow and not spark"

_COMPARE = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt],
            ast.GtE: [ast.Gt, ast.LtE], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
            ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn],
            ast.NotIn: [ast.In]}
_BINARY = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
           ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv], ast.Pow: [ast.Mult],
           ast.BitOr: [ast.BitAnd], ast.BitAnd: [ast.BitOr], ast.BitXor: [ast.BitOr]}
_BOOL = {ast.And: ast.Or, ast.Or: ast.And}


@dataclass(frozen=True)
class Site:
    """One mutation: node number ``index`` in :func:`ast.walk` order, and what it becomes.

    ``kind`` is one of ``compare``, ``binary``, ``bool``, ``unary``, ``constant``,
    ``return``, ``delete``; ``choice`` picks among the replacements of that kind.
    """

    index: int
    kind: str
    choice: int
    line: int
    scope: str
    before: str
    after: str

    def describe(self) -> str:
        """``scope: `before` -> `after```, the mutant's name in reports and the equivalents file."""
        return f"{self.scope}: `{self.before}` -> `{self.after}`"


def _short(node: ast.AST, limit: int = 90) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _skipped(tree: ast.Module) -> set[int]:
    """Ids of nodes not worth mutating: annotations, docstrings, ``__all__``."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(sub) for sub in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.AnnAssign, ast.arg)):
            mark(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                mark(body[0])
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            mark(node)
    return skip


def _scopes(tree: ast.Module) -> dict[int, str]:
    """Node id -> the qualified name of the function or class around it."""
    scopes: dict[int, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{name}.{child.name}" if name != "<module>" else child.name
            scopes[id(child)] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return scopes


def _binds_names(target: ast.AST) -> bool:
    """Whether an assignment target only binds names (``x``, ``a, b``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_binds_names(t) for t in target.elts)
    return isinstance(target, (ast.Name, ast.Starred))


def _replacements(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every (kind, mutated copy) of one node; the copy replaces the node in its parent."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new in _COMPARE.get(type(op), []):
                mutated = copy.deepcopy(node)
                mutated.ops[i] = new()
                yield "compare", mutated
    elif isinstance(node, ast.BinOp):
        for new in _BINARY.get(type(node.op), []):
            mutated = copy.deepcopy(node)
            mutated.op = new()
            yield "binary", mutated
    elif isinstance(node, ast.BoolOp):
        mutated = copy.deepcopy(node)
        mutated.op = _BOOL[type(node.op)]()
        yield "bool", mutated
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield "unary", copy.deepcopy(node.operand)
    elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
        value = node.value
        if isinstance(value, bool):
            yield "constant", ast.Constant(not value)
        elif isinstance(value, (int, float)):
            yield "constant", ast.Constant(value + 1 if value in (0, 1) else value * 2)
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return", ast.Return(ast.Constant(None))
    elif isinstance(node, (ast.Expr, ast.Raise, ast.AugAssign, ast.Assign)):
        if isinstance(node, ast.Assign) and all(_binds_names(t) for t in node.targets):
            return  # deleting a plain binding only raises NameError later
        yield "delete", ast.Pass()


def mutation_sites(tree: ast.Module) -> list[Site]:
    """Every mutation of ``tree``, in a deterministic order.

    Parameters
    ----------
    tree : ast.Module
        The parsed module.

    Returns
    -------
    list of Site

    Examples
    --------
    >>> [s.kind for s in mutation_sites(ast.parse("x = y + 1"))]
    ['binary', 'constant']
    """
    skip, scopes = _skipped(tree), _scopes(tree)
    # A keyword argument's name tells its constants apart (``sort=False``, ``dropna=False``).
    keywords = {id(k.value): f"{k.arg}=" for k in ast.walk(tree)
                if isinstance(k, ast.keyword) and k.arg}
    sites: list[Site] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        name = keywords.get(id(node), "")
        for choice, (kind, mutated) in enumerate(_replacements(node)):
            sites.append(Site(index, kind, choice, getattr(node, "lineno", 0),
                              scopes.get(id(node), "<module>"), name + _short(node),
                              name + _short(mutated)))
    return sites


class _Swap(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST) -> None:
        self.target, self.replacement = target, replacement

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return ast.copy_location(self.replacement, node)
        return super().generic_visit(node)


def mutant_source(source: str, site: Site) -> str:
    """The module's source with ``site`` applied (re-generated with :func:`ast.unparse`).

    Examples
    --------
    >>> site = mutation_sites(ast.parse("x = y + 1"))[0]
    >>> mutant_source("x = y + 1", site)
    'x = y - 1'
    """
    tree = ast.parse(source)
    node = list(ast.walk(tree))[site.index]
    kinds = [(k, m) for k, m in _replacements(node)]
    kind, mutated = kinds[site.choice]
    if kind != site.kind:
        raise ValueError(f"site {site.describe()} does not match the source")
    new = _Swap(node, mutated).visit(tree)
    return ast.unparse(ast.fix_missing_locations(new))


@dataclass
class ModuleResult:
    """The outcome of one module's mutation run."""

    module: str
    tests: tuple[str, ...]
    target: float
    sites: int
    sampled: int
    killed: list[Site] = field(default_factory=list)
    survived: list[Site] = field(default_factory=list)
    uncovered: list[Site] = field(default_factory=list)
    equivalent: list[tuple[Site, str]] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    @property
    def score(self) -> float:
        """Killed / non-equivalent mutants (uncovered ones count as survivors)."""
        counted = len(self.killed) + len(self.survived) + len(self.uncovered)
        return len(self.killed) / counted if counted else float("nan")


#: Top-level entries of the repository not copied into the mutants' working copy.
_NOT_COPIED = {".git", ".venv", "reports", "quarantine", "build", ".hypothesis",
               ".pytest_cache"}


def _copy_tree(root: Path, dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache",
                                    "*.egg-info")
    for src in root.iterdir():
        if src.name in _NOT_COPIED or src.name.endswith(".egg-info"):
            continue
        if src.is_dir():
            shutil.copytree(src, dest / src.name, ignore=ignore)
        else:
            shutil.copy2(src, dest / src.name)


def _preload(project: bool = True) -> None:
    """Import every third-party package the project uses once, before forking the runs.

    The project itself is imported (to reach its dependencies) and then forgotten, so each
    forked run imports the (mutated) copy afresh.
    """
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    sys.path.insert(0, str(ROOT))
    names = ["pytest", "_pytest.python", "hypothesis"]
    for name in names + (["qa_insights", "tests.conftest"] if project else []):
        try:
            __import__(name)
        except ImportError:
            pass
    sys.path.remove(str(ROOT))
    for name in [m for m in sys.modules if m.split(".")[0] in ("qa_insights", "tests")]:
        del sys.modules[name]


def _no_shrinking() -> None:
    """A failing Hypothesis example kills the mutant as it is: no time spent shrinking it."""
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse,
                                                  Phase.generate], print_blob=False)
    settings.load_profile("mutation")


def _run_tests(workdir: Path, tests: Sequence[str], timeout: float,
               trace: str | None = None) -> tuple[str, float, set[int]]:
    """Run ``tests`` in a forked child inside ``workdir``: ('pass'|'fail'|'timeout', s, lines)."""
    lines_file = workdir / ".mutation_lines.json"
    lines_file.unlink(missing_ok=True)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        code = 3
        try:
            os.chdir(workdir)
            os.setpgid(0, 0)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.dont_write_bytecode = True
            sys.path.insert(0, str(workdir))
            import pytest

            _no_shrinking()
            executed: set[int] = set()
            if trace is not None:
                def local(frame, event, arg):
                    executed.add(frame.f_lineno)
                    return local

                def tracer(frame, event, arg):
                    return local if frame.f_code.co_filename == trace else None

                sys.settrace(tracer)
            code = int(pytest.main([*tests, "-x", "-q", "-p", "no:cacheprovider", "-m", MARKS]))
            sys.settrace(None)
            if trace is not None:
                lines_file.write_text(json.dumps(sorted(executed)))
        finally:
            os._exit(code)
    deadline = start + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - start, set()
        time.sleep(0.05)
    seconds = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    lines = set(json.loads(lines_file.read_text())) if lines_file.exists() else set()
    return ("pass" if code == 0 else "fail"), seconds, lines


def _equivalents(module: str) -> dict[str, str]:
    if not EQUIVALENT_FILE.exists():
        return {}
    return json.loads(EQUIVALENT_FILE.read_text()).get(module, {})


def _node_lines(tree: ast.Module, site: Site) -> set[int]:
    node = list(ast.walk(tree))[site.index]
    first = getattr(node, "lineno", 0)
    last = getattr(node, "end_lineno", first) or first
    return set(range(first, last + 1))


def run_module(module: str, tests: Sequence[str], n: int, seed: int = 20240623,
               timeout: float | None = None, target: float = 0.90,
               log: bool = True, root: Path = ROOT, trace: bool = False,
               only: set[str] | None = None) -> ModuleResult:
    """Mutate ``module`` (a path relative to the repository) and run ``tests`` on each mutant.

    Parameters
    ----------
    module : str
        Path of the module, e.g. ``qa_insights/stats/lmdi.py``.
    tests : sequence of str
        Its own test files.
    n : int
        Mutants sampled (all of them when there are fewer sites).
    seed : int
        Seed of the sample.
    timeout : float, optional
        Seconds per test run; three times the unmutated run plus 30 s by default.
    target : float
        The score the module should reach (only reported).
    log : bool
        Print one line per mutant.
    root : Path
        The repository (copied, never changed).
    trace : bool
        Trace the unmutated run's lines (several times slower) so that mutants on lines
        the tests never run are reported as such without a run of their own.
    only : set of str, optional
        Run only the sampled mutants with these names (:meth:`Site.describe`), e.g. the
        survivors of an earlier run, to re-check them after adding tests.

    Returns
    -------
    ModuleResult
    """
    started = time.monotonic()
    source = (root / module).read_text()
    original = ast.parse(source)
    unparsed = ast.unparse(original)
    sites = mutation_sites(original)
    regenerated = ast.parse(unparsed)
    chosen = sorted(random.Random(seed).sample(range(len(sites)), min(n, len(sites))))
    if only is not None:
        chosen = [i for i in chosen if sites[i].describe() in only]
    equivalent = _equivalents(module) if root == ROOT else {}
    result = ModuleResult(module, tuple(tests), target, len(sites), len(chosen))
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        workdir = Path(tmp)
        _copy_tree(root, workdir)
        path = workdir / module
        path.write_text(unparsed)
        outcome, seconds, executed = _run_tests(workdir, tests, 3600,
                                                trace=str(path) if trace else None)
        if outcome != "pass":
            result.error = "its tests fail before any mutation"
            result.seconds = time.monotonic() - started
            if log:
                print(f"{module}: {result.error} ({', '.join(tests)})", flush=True)
            return result
        limit = timeout if timeout is not None else 3 * seconds + 60
        if log:
            print(f"{module}: {len(sites)} sites, {len(chosen)} sampled; unmutated run "
                  f"{seconds:.1f} s, {len(executed)} lines run", flush=True)
        for number, i in enumerate(chosen, 1):
            site = sites[i]
            name = site.describe()
            if name in equivalent:
                result.equivalent.append((site, equivalent[name]))
                verdict = "equivalent"
            elif trace and not (_node_lines(regenerated, site) & executed):
                result.uncovered.append(site)
                verdict = "not run by the tests"
            else:
                path.write_text(mutant_source(source, site))
                outcome, seconds, _ = _run_tests(workdir, tests, limit)
                path.write_text(unparsed)
                if outcome == "pass":
                    result.survived.append(site)
                else:
                    result.killed.append(site)
                verdict = f"{outcome} ({seconds:.0f} s)"
            if log:
                print(f"  [{number}/{len(chosen)}] L{site.line} {name}: {verdict}", flush=True)
    result.seconds = time.monotonic() - started
    return result


def markdown_report(results: Sequence[ModuleResult], seed: int) -> str:
    """The scores table and the surviving and equivalent mutants, as Markdown."""
    lines = [("| module | tests | sites | sampled | killed | survived | not run | "
             "equivalent | score | target | minutes |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.error:
            lines.append(f"| `{r.module}` | {', '.join(f'`{t}`' for t in r.tests)} | "
                         f"{r.sites} | not measured: {r.error} | | | | | | "
                         f"{r.target:.0%} | {r.seconds / 60:.1f} |")
            continue
        mark = "ok" if r.score >= r.target else "BELOW"
        lines.append(
            f"| `{r.module}` | {', '.join(f'`{t}`' for t in r.tests)} | {r.sites} | "
            f"{r.sampled} | {len(r.killed)} | {len(r.survived)} | {len(r.uncovered)} | "
            f"{len(r.equivalent)} | {r.score:.1%} | {r.target:.0%} ({mark}) | "
            f"{r.seconds / 60:.1f} |")
    lines += ["", (f"Seed {seed}. Score = killed / (sampled - equivalent); mutants on lines "
              "the tests never run count as survivors."), ""]
    for r in results:
        if r.survived or r.uncovered or r.equivalent:
            lines += [f"### `{r.module}`", ""]
        for label, group in (("survived", r.survived), ("not run by the tests", r.uncovered)):
            for site in group:
                lines.append(f"- {label}: L{site.line} {site.describe()}")
        for site, reason in r.equivalent:
            lines.append(f"- equivalent: L{site.line} {site.describe()} ({reason})")
        if r.survived or r.uncovered or r.equivalent:
            lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: every module of :data:`MODULES`, or one with ``--module``/``--tests``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", help="one module, e.g. qa_insights/stats/lmdi.py")
    parser.add_argument("--tests", nargs="+", help="its test files (with --module)")
    parser.add_argument("--n", type=int, help="mutants sampled per module")
    parser.add_argument("--seed", type=int, default=20240623)
    parser.add_argument("--timeout", type=float, help="seconds per test run")
    parser.add_argument("--out", help="write the Markdown table here (between the "
                        f"{BEGIN!r} and {END!r} lines when the file has them)")
    parser.add_argument("--trace", action="store_true",
                        help="trace the unmutated run; mutants on unrun lines skip their run")
    parser.add_argument("--only", type=Path,
                        help="file of mutant names (one a line): re-run just those of the sample")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="repository to copy (default: this one)")
    args = parser.parse_args(argv)
    if args.module:
        default = MODULES.get(args.module, (tuple(args.tests or ()), 80, 0.90))
        plan = {args.module: (tuple(args.tests or default[0]), default[1], default[2])}
    else:
        plan = MODULES
    only = None
    if args.only:
        only = {line.strip() for line in args.only.read_text().splitlines() if line.strip()}
    _preload(project=args.root.resolve() == ROOT)
    results = []
    for module, (tests, n, target) in plan.items():
        if not tests:
            parser.error(f"{module}: give its test files with --tests")
        results.append(run_module(module, tests, args.n or n, args.seed, args.timeout,
                                  target, root=args.root.resolve(), trace=args.trace,
                                  only=only))
    report = markdown_report(results, args.seed)
    print(report)
    if args.out:
        _write_report(Path(args.out), report)
    return 0 if all(not r.error and r.score >= r.target for r in results) else 1


def _write_report(path: Path, report: str) -> None:
    """Write ``report`` to ``path``, between its BEGIN and END lines when it has them."""
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = f"{head}{BEGIN}\n{report}\n{END}{rest.split(END, 1)[1]}"
    else:
        text = f"{BEGIN}\n{report}\n{END}\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
