"""Reliability of the report engine under faults: a killed kernel, a cell timeout, two
builds at once on one output folder, a full or read-only disk.

Each fault fails its report only: the previous good HTML stays in place, the index and the
manifest say ``failed`` with the reason, the rest of the batch completes, and the exit code
is 1. Two concurrent builds: the second stops at once with exit code 2 and says who holds
the folder. A full or read-only output folder gives an error that names the folder and the
cause, and leaves no half-written file where a good report was. (Tiny fixture notebooks:
a few seconds each.)
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from qa_insights import cli
from qa_insights.reports.engine import publish
from qa_insights.reports.engine import run as report_run
from qa_insights.reports.engine.build import build
from qa_insights.reports.engine.kinds import ReportSpec
from tests.report_helpers import ROOT, manifest, tiny_notebook

pytest_plugins = ["tests.fixtures_reports"]


def _registry(notebooks: Path, **bodies: str) -> dict[str, ReportSpec]:
    for name, body in bodies.items():
        tiny_notebook(notebooks / f"{name}.ipynb", body)
    return {name: ReportSpec(name, f"{name}.ipynb", f"{name.title()} report")
            for name in bodies}


@pytest.mark.slow
def test_killed_kernel_and_timeout_fail_only_their_reports(sample_data: Path,
                                                           tmp_path: Path) -> None:
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    registry = _registry(notebooks, good="print('good v1')", killed="print('killed v1')",
                         slow="print('slow v1')")
    first = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=2,
                  progress=False, notebooks_dir=notebooks, execution_timeout=20)
    assert first.exit_code == 0
    month = first.months[0]
    before = {n: (out / month / f"{n}.html").read_bytes() for n in registry}

    _registry(notebooks, good="print('good v2')",
              killed="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
              slow="import time\ntime.sleep(120)")
    t0 = time.perf_counter()
    second = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=2,
                   progress=False, notebooks_dir=notebooks, execution_timeout=4, force=True)
    assert time.perf_counter() - t0 < 60  # the timeout stopped the sleeping cell
    assert second.exit_code == 1
    assert {r.task.stem: r.status for r in second.results} == {
        "good": "ok", "killed": "failed", "slow": "failed"}
    assert "good v2" in (out / month / "good.html").read_text()
    entries = manifest(out, month)["reports"]
    for name in ("killed", "slow"):
        assert (out / month / f"{name}.html").read_bytes() == before[name]  # last good kept
        entry = entries[name]
        assert entry["status"] == "failed" and entry["html"] == f"{name}.html"
        assert entry["last_good_at"]
        assert entry["error"]["ename"] and entry["error"]["evalue"]
    assert "DeadKernel" in entries["killed"]["error"]["ename"] \
        or "died" in entries["killed"]["error"]["evalue"].lower()
    assert "timeout" in (entries["slow"]["error"]["ename"]
                         + entries["slow"]["error"]["evalue"]).lower()
    index = (out / "index.html").read_text()
    assert index.count('class="status status-failed"') == 2
    assert not (out / month / ".staging").exists()
    # The CLI prints each failure with its reason and exits 1.
    assert second.failed and all(r.error for r in second.failed)


_SLOW_BUILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from qa_insights.reports.engine.build import BuildError, build
    from qa_insights.reports.engine.kinds import ReportSpec
    notebooks, out, data = map(Path, sys.argv[1:4])
    try:
        s = build(data_dir=data, out_dir=out, notebooks_dir=notebooks, jobs=1,
                  progress=False, force=True,
                  registry={"hold": ReportSpec("hold", "hold.ipynb", "Hold")})
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(s.exit_code)
""")


@pytest.mark.slow
def test_two_concurrent_builds_second_exits_2(sample_data: Path, tmp_path: Path) -> None:
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    # The hold outlasts the second build's start-up (imports, validation) on a busy machine.
    _registry(notebooks, hold="import time\ntime.sleep(40)\nprint('held')")
    argv = [sys.executable, "-c", _SLOW_BUILD, str(notebooks), str(out), str(sample_data)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    lock = out / ".qa-insights-build.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert time.monotonic() < deadline and first.poll() is None, "first build never locked"
        time.sleep(0.1)
    second = subprocess.run(argv, env=env, stderr=subprocess.PIPE, text=True, timeout=120,
                            check=False)
    assert second.returncode == 2
    assert f"another build is writing to {out}" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert first.wait(timeout=120) == 0, first.stderr.read()
    month = next(p.name for p in out.iterdir() if p.is_dir())
    assert "held" in (out / month / "hold.html").read_text()
    assert manifest(out, month)["reports"]["hold"]["status"] == "ok"
    assert lock.read_text() == ""  # released


@pytest.mark.slow
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_full_or_read_only_disk_at_publish_keeps_the_good_report(
        sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    body = ("import pandas as pd\nfrom qa_insights.data.safe_csv import write_csv\n"
            "from pathlib import Path\nPath(tables_dir).mkdir(parents=True, exist_ok=True)\n"
            "write_csv(pd.DataFrame({'v': [VERSION]}), Path(tables_dir) / 'disk_v.csv')\n"
            "print('disk version', VERSION)")
    registry = _registry(notebooks, disk=body.replace("VERSION", "1"))
    first = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks)
    month = first.months[0]
    month_dir = out / month
    good = {p.relative_to(month_dir): p.read_bytes() for p in month_dir.rglob("*")
            if p.is_file() and p.name != "manifest.json"}

    _registry(notebooks, disk=body.replace("VERSION", "2"))
    real_replace = os.replace

    def failing_replace(src, dst, *args, **kwargs):
        # Tables and notebook go in, then the HTML rename fails: all must be rolled back.
        if str(dst).endswith("disk.html") and ".staging" not in str(dst):
            raise OSError(code, os.strerror(code), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(publish.os, "replace", failing_replace)
    second = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                   progress=False, notebooks_dir=notebooks, force=True)
    monkeypatch.setattr(publish.os, "replace", real_replace)
    assert second.exit_code == 1
    entry = manifest(out, month)["reports"]["disk"]
    assert entry["status"] == "failed"
    name = errno.errorcode[code]
    assert str(month_dir) in entry["error"]["evalue"] and name in entry["error"]["evalue"]
    assert os.strerror(code) in entry["error"]["evalue"]
    now = {p.relative_to(month_dir): p.read_bytes() for p in month_dir.rglob("*")
           if p.is_file() and p.name != "manifest.json"}
    assert now == good  # the good report, its notebook and its table, byte for byte
    assert not list(month_dir.rglob("*.tmp")) and not (month_dir / ".staging").exists()
    assert 'class="status status-failed"' in (out / "index.html").read_text()


@pytest.mark.slow
def test_full_disk_while_rendering_fails_the_report_with_the_cause(
        sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    registry = _registry(notebooks, render="print('v1')")
    first = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks)
    month = first.months[0]
    good = (out / month / "render.html").read_bytes()
    real_write_text = Path.write_text

    def full(self: Path, *args, **kwargs):
        if self.suffix == ".html" and ".staging" in str(self):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(report_run.Path, "write_text", full)
    _registry(notebooks, render="print('v2')")
    second = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                   progress=False, notebooks_dir=notebooks, force=True)
    monkeypatch.undo()
    assert second.exit_code == 1
    error = manifest(out, month)["reports"]["render"]["error"]
    assert "No space left on device (ENOSPC)" in error["evalue"]
    assert str(out / month / ".staging") in error["evalue"]
    assert (out / month / "render.html").read_bytes() == good


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_unwritable_output_folder_exits_2_naming_folder_and_cause(
        sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], code: int) -> None:
    def refuse(self: publish.BuildLock) -> None:
        raise OSError(code, os.strerror(code), str(self.path))

    monkeypatch.setattr(publish.BuildLock, "acquire", refuse)
    out = tmp_path / "out"
    assert cli.main(["build", "--data", str(sample_data), "--out", str(out),
                     "--reports", "mqr"]) == 2
    err = capsys.readouterr().err
    assert f"cannot write to the output folder {out}" in err
    assert f"{os.strerror(code)} ({errno.errorcode[code]})" in err
    assert "Traceback" not in err


def test_manifest_write_failure_leaves_no_partial_file(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pub = publish.Publisher(tmp_path, publish.build_context("f" * 64))
    (tmp_path / "2026-10").mkdir()
    (tmp_path / "2026-10" / "manifest.json").write_text('{"month": "2026-10", "reports": {}}')
    before = (tmp_path / "2026-10" / "manifest.json").read_text()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(publish.os, "replace", full)
    with pytest.raises(OSError):
        pub._write_manifest("2026-10")
    assert (tmp_path / "2026-10" / "manifest.json").read_text() == before
    assert sorted(p.name for p in (tmp_path / "2026-10").iterdir()) == ["manifest.json"]

