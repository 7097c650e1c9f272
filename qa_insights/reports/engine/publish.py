"""Publishing report runs: the build lock, build keys, atomic renames and the manifest.

``<out>/<month>/manifest.json`` holds one entry per report output stem::

    {"month": "2026-10", "reports": {"monthly_quality_report": {
        "report": "mqr", "title": ..., "status": "ok" | "empty" | "failed",
        "html": "monthly_quality_report.html", "notebook": "monthly_quality_report.ipynb",
        "failed_html": null, "error": null, "tables": ["tables/quality_by_site.csv", ...],
        "parameters": {...}, "input_fingerprint": ..., "notebook_sha256": ...,
        "code_sha256": ..., "build_key": ..., "versions": {...}, "git_commit": ...,
        "engine": "duckdb" | "spark", "started_at": ..., "finished_at": ..., "duration_s": ..., "timings": {...},
        "warnings": [...]}}}

A failed run keeps ``html`` pointing at the previous good HTML (if any, with
``last_good_at``) and adds ``failed_html`` (``<stem>.failed.html#papermill-error-cell``).

Examples
--------
>>> with BuildLock(Path("reports")):                                 # doctest: +SKIP
...     publisher = Publisher(Path("reports"), build_context("abc"))
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Self

from qa_insights.reports.engine.tasks import Task, TaskResult

__all__ = [
    "ALLOW_PUBLIC_KEY_ENV",
    "MANIFEST",
    "VERSIONED_PACKAGES",
    "BuildContext",
    "BuildLock",
    "BuildLocked",
    "Publisher",
    "build_context",
    "build_key",
    "code_files",
    "code_sha256",
    "describe_os_error",
    "notebook_sha256",
    "private_ids",
    "public_key_refused",
    "raw_id_hits",
]

MANIFEST = "manifest.json"
_LOCK = ".qa-insights-build.lock"
_PACKAGE_DIR = Path(__file__).resolve().parents[2]

#: File types that make up the code a report is built from.
_CODE_SUFFIXES = frozenset({".py", ".ipynb", ".j2", ".json", ".css", ".tpl"})

#: Packages whose versions are recorded (and whose change rebuilds every report).
VERSIONED_PACKAGES = ("qa-insights", "numpy", "pandas", "pyarrow", "duckdb", "scipy",
                      "statsmodels", "scikit-learn", "matplotlib", "seaborn", "papermill",
                      "nbconvert", "nbclient", "ipykernel")


class BuildLocked(RuntimeError):
    """Another build holds the output folder."""


class BuildLock:
    """An exclusive lock on an output folder for the length of a build (``flock`` on
    ``<out>/.qa-insights-build.lock``; released when the process ends, even if killed).

    Raises :class:`BuildLocked` at once when another build holds it.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / _LOCK
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`BuildLocked` naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BuildLocked(f"another build is writing to {self.path.parent} (holder: "
                              f"{holder}); wait for it to finish or use another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {_now()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Release the lock (no-op when not held)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def describe_os_error(exc: OSError) -> str:
    """``exc`` for a person: the cause in words and its errno name, e.g. ``"No space left
    on device (ENOSPC)"``.

    Examples
    --------
    >>> import errno
    >>> describe_os_error(OSError(errno.EROFS, "Read-only file system"))
    'Read-only file system (EROFS)'
    """
    import errno

    cause = exc.strerror or str(exc) or type(exc).__name__
    name = errno.errorcode.get(exc.errno or 0)
    return f"{cause} ({name})" if name else cause


@dataclass(frozen=True)
class BuildContext:
    """What is the same for every report of a build."""

    fingerprint: str
    versions: dict[str, str]
    git_commit: str | None
    code_sha256: dict[str, str] = field(default_factory=dict)
    started_at: str = field(default_factory=_now)
    #: Raw moderator / auditor / rater ids of the input, which manager-facing output must
    #: never contain (see :func:`raw_id_hits`).
    private_ids: frozenset[str] = field(default=frozenset(), repr=False)
    #: Query engine of the build and its report kernels (``duckdb`` or ``spark``).
    engine: str = "duckdb"
    #: :func:`qa_insights.present.privacy.key_fingerprint` of the pseudonym key (never the
    #: key): a new key rebuilds every report; manager output refuses the public key.
    pseudonym_key: str = ""

    @property
    def header(self) -> dict[str, Any]:
        """Values for the report header and footer."""
        generated = datetime.fromisoformat(self.started_at).strftime("%Y-%m-%d %H:%M UTC")
        return {"input_fingerprint": self.fingerprint[:16], "generated_at": generated,
                "versions": self.versions, "git_commit": self.git_commit}


#: Environment variable that lets manager-facing output use the public pseudonym key (demos).
ALLOW_PUBLIC_KEY_ENV = "QA_INSIGHTS_ALLOW_PUBLIC_KEY"


def public_key_refused(fingerprint: str) -> bool:
    """Whether a build with this key fingerprint must not publish manager-facing output:
    the key is the public default and ``$QA_INSIGHTS_ALLOW_PUBLIC_KEY`` is not ``1``.

    Examples
    --------
    >>> public_key_refused("0123456789abcdef")
    False
    """
    from qa_insights.present.privacy import DEFAULT_KEY, key_fingerprint

    return (fingerprint == key_fingerprint(DEFAULT_KEY)
            and os.environ.get(ALLOW_PUBLIC_KEY_ENV) != "1")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _git_commit() -> str | None:
    root = _PACKAGE_DIR.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no", "--", "qa_insights"], capture_output=True, text=True, timeout=10,
                               check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def code_files() -> list[Path]:
    """The package files every report depends on: each module of ``qa_insights`` (a
    notebook reaches any of them through the package root, whatever its import style) and
    the report notebooks and template shipped with it.

    Examples
    --------
    >>> any(p.name == "metrics.py" for p in code_files())
    True
    """
    return sorted(p for p in _PACKAGE_DIR.rglob("*")
                  if p.is_file() and p.suffix in _CODE_SUFFIXES
                  and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def code_sha256(notebook: Path) -> str:
    """SHA-256 of the package's code, notebooks and template (:func:`code_files`) and of
    the notebook a report is built from (which may live outside the package)."""
    digest = hashlib.sha256()
    for path in code_files():
        digest.update(str(path.relative_to(_PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    digest.update(notebook.name.encode())
    digest.update(Path(notebook).read_bytes())
    return digest.hexdigest()


def build_context(fingerprint: str, notebooks: Iterable[Path] = (),
                  private_ids: Iterable[str] = (), engine: str = "duckdb") -> BuildContext:
    """Versions, git commit and each notebook's :func:`code_sha256`, gathered once per
    build, the raw ids (:func:`private_ids`) that manager-facing output must not show, and
    the query engine."""
    from qa_insights.present.privacy import key_fingerprint

    return BuildContext(fingerprint=fingerprint, versions=_versions(),
                        git_commit=_git_commit(),
                        code_sha256={str(nb): code_sha256(nb) for nb in set(notebooks)},
                        private_ids=frozenset(private_ids), engine=engine,
                        pseudonym_key=key_fingerprint())  # creates the key once, here


def private_ids(store: Any) -> frozenset[str]:
    """Raw personal ids of the input: every ``moderator_id`` and ``auditor_id`` of the
    audits and ``rater_id`` of calibration, except ids of fewer than 3 characters or only
    digits (they cannot be told apart from ordinary numbers and words in a report)."""
    sql = ("SELECT DISTINCT moderator_id AS id FROM audits "
           "UNION SELECT DISTINCT auditor_id AS id FROM audits")
    if store.table_present("calibration"):
        sql += " UNION SELECT DISTINCT rater_id AS id FROM calibration"
    ids = store.query(sql)["id"].dropna().astype(str)
    return frozenset(i for i in ids if len(i) >= 3 and not i.isdigit())


_DATA_URI = re.compile(r"data:[A-Za-z0-9.+/-]+;base64,[A-Za-z0-9+/=]+")
_TOKEN = re.compile(r"[A-Za-z0-9_]+")


def raw_id_hits(paths: Iterable[Path], ids: frozenset[str]) -> dict[str, int]:
    """File name -> number of distinct raw ``ids`` found in it (files without any left
    out). An id counts when it stands as a whole word (letters, digits and ``_`` around it
    do not belong to it); embedded images (``data:`` URIs) are not searched.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.html").write_text("<td>M0412</td><td>MOD-4e06948929</td>")
    >>> raw_id_hits([folder / "r.html"], frozenset({"M0412", "M0007"}))
    {'r.html': 1}
    """
    plain = {i for i in ids if _TOKEN.fullmatch(i)}
    other = ids - plain
    hits = {}
    for path in paths:
        text = _DATA_URI.sub(" ", path.read_text(encoding="utf-8", errors="replace"))
        found = plain & set(_TOKEN.findall(text))
        found |= {i for i in other if re.search(
            rf"(?<![A-Za-z0-9_]){re.escape(i)}(?![A-Za-z0-9_])", text)}
        if found:
            hits[path.name] = len(found)
    return hits


@lru_cache(maxsize=64)
def _file_sha256(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_sha256(path: Path) -> str:
    """SHA-256 of a notebook file's bytes."""
    return _file_sha256(path, path.stat().st_mtime_ns)


def _key_parameters(task: Task) -> dict[str, Any]:
    # The data folder's location does not matter, its content (the fingerprint) does.
    return {k: v for k, v in task.parameters.items() if k not in ("data_dir", "tables_dir")}


def build_key(task: Task, context: BuildContext) -> str:
    """Hash of everything a report's output depends on: input fingerprint, notebook,
    parameters, package code and template, package versions, query engine."""
    payload = {"fingerprint": context.fingerprint, "notebook": notebook_sha256(task.notebook),
               "parameters": _key_parameters(task), "title": task.title,
               "code": context.code_sha256[str(task.notebook)], "versions": context.versions,
               "engine": context.engine, "pseudonym_key": context.pseudonym_key}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class Publisher:
    """Moves finished runs from their staging folders into ``<out>/<month>/`` and keeps the
    month's manifest. Single-threaded: only the build's main process calls it."""

    def __init__(self, out_dir: Path, context: BuildContext) -> None:
        self.out_dir = Path(out_dir)
        self.context = context
        self._manifests: dict[str, dict[str, Any]] = {}

    def manifest(self, month: str) -> dict[str, Any]:
        """The month's manifest (empty if none yet)."""
        if month not in self._manifests:
            path = self.out_dir / month / MANIFEST
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            data.setdefault("month", month)
            data.setdefault("reports", {})
            self._manifests[month] = data
        return self._manifests[month]

    def clean_staging(self, months: list[str]) -> None:
        """Remove staging folders left by interrupted builds (we hold the lock)."""
        for month in months:
            shutil.rmtree(self.out_dir / month / ".staging", ignore_errors=True)

    def up_to_date(self, task: Task, key: str) -> bool:
        """Whether the published report was built from exactly these inputs."""
        entry = self.manifest(task.month)["reports"].get(task.stem)
        return bool(entry and entry.get("build_key") == key
                    and entry.get("status") in ("ok", "empty") and entry.get("html")
                    and (self.out_dir / task.month / entry["html"]).is_file())

    def _write_manifest(self, month: str) -> None:
        data = self.manifest(month)
        data["updated_at"] = _now()
        path = self.out_dir / month / MANIFEST
        tmp = path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n",
                           encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)  # never leave a half-written manifest behind
            raise

    def _table_clash(self, result: TaskResult) -> dict[str, Any] | None:
        reports = self.manifest(result.task.month)["reports"]
        owners = {t: stem for stem, e in reports.items() if stem != result.task.stem
                  for t in e.get("tables", [])}
        clash = {f"tables/{t}": owners[f"tables/{t}"] for t in result.tables
                 if f"tables/{t}" in owners}
        if not clash:
            return None
        return {"ename": "TableNameClash", "cell_index": None, "exec_count": None,
                "evalue": "; ".join(f"{t} is already written by {s}" for t, s in clash.items())
                + ": give each report's tables unique names"}

    def _privacy_check(self, result: TaskResult) -> dict[str, Any] | None:
        """A manager-facing run (not analyst mode) whose HTML or tables show a raw id of
        the input fails and is not published; the message names the files, not the ids."""
        if result.task.parameters.get("analyst_mode"):
            return None
        if public_key_refused(self.context.pseudonym_key):
            return {"ename": "PublicPseudonymKey", "cell_index": None, "exec_count": None,
                    "evalue": "manager-facing output with the public pseudonym key: anyone "
                              "can reverse its pseudonyms; unset QA_INSIGHTS_PSEUDONYM_KEY "
                              "(a secret key file is used) or set "
                              f"{ALLOW_PUBLIC_KEY_ENV}=1 for a demo"}
        if not self.context.private_ids:
            return None
        staging = result.task.staging
        files = [staging / f"{result.task.stem}.html"]
        files += [staging / "tables" / t for t in result.tables]
        hits = raw_id_hits([f for f in files if f.is_file()], self.context.private_ids)
        if not hits:
            return None
        where = ", ".join(f"{name} ({n} distinct)" for name, n in sorted(hits.items()))
        return {"ename": "RawIdsInReport", "cell_index": None, "exec_count": None,
                "evalue": f"raw moderator, auditor or rater ids in {where}: not published; "
                          "show people through ReportContext.people (pseudonyms) or build "
                          "with --analyst-mode"}

    def _move_good(self, result: TaskResult, previous: dict[str, Any]) -> list[str]:
        """Rename a good run's files into place (tables, notebook, then HTML); returns the
        table paths.

        All or nothing: each file it replaces is first hard-linked into the staging folder,
        and if a rename fails (disk full, read-only) the files already moved are put back,
        so the previous good report stands as it was, and the error is raised.
        """
        task, staging = result.task, result.task.staging
        month_dir = self.out_dir / task.month
        tables = [f"tables/{t}" for t in result.tables]
        moves = [(staging / "tables" / name, month_dir / "tables" / name)
                 for name in result.tables]
        moves += [(staging / f"{task.stem}.{ext}", month_dir / f"{task.stem}.{ext}")
                  for ext in ("ipynb", "html")]
        backup = staging / ".previous"
        done: list[tuple[Path, Path | None]] = []  # (target, its backup or None if new)
        try:
            if tables:
                (month_dir / "tables").mkdir(exist_ok=True)
            for i, (source, target) in enumerate(moves):
                saved = None
                if target.exists():
                    backup.mkdir(exist_ok=True)
                    saved = backup / str(i)
                    os.link(target, saved)
                os.replace(source, target)
                done.append((target, saved))
        except OSError:
            for target, saved in reversed(done):
                try:
                    if saved is not None:
                        os.replace(saved, target)
                    else:
                        target.unlink(missing_ok=True)
                except OSError:
                    pass
            raise
        for old in set(previous.get("tables", [])) - set(tables):
            (month_dir / old).unlink(missing_ok=True)
        for ext in ("ipynb", "html"):
            (month_dir / f"{task.stem}.failed.{ext}").unlink(missing_ok=True)
        return tables

    def _move_failed(self, result: TaskResult) -> dict[str, str | None]:
        """Rename a failed run's notebook and debug HTML into place (stale ones removed)."""
        task, staging = result.task, result.task.staging
        month_dir = self.out_dir / task.month
        moved: dict[str, str | None] = {}
        for ext in ("ipynb", "html"):
            name = f"{task.stem}.failed.{ext}"
            if (staging / name).exists():
                try:
                    os.replace(staging / name, month_dir / name)
                    moved[ext] = name
                except OSError as exc:  # the failure is still recorded in the manifest
                    result.warnings.append(f"could not publish {name}: "
                                           f"{describe_os_error(exc)}")
                    moved[ext] = None
            else:
                (month_dir / name).unlink(missing_ok=True)
                moved[ext] = None
        return moved

    def publish(self, result: TaskResult, key: str) -> None:
        """Publish one run and record it in the manifest.

        A good run's files are renamed into place one by one (tables, notebook, HTML last);
        a failed run (including a table-name clash or a failed rename) publishes its
        ``.failed`` notebook and debug HTML and keeps the previous good HTML.
        """
        import time

        t0 = time.perf_counter()
        task = result.task
        month_dir = self.out_dir / task.month
        month_dir.mkdir(parents=True, exist_ok=True)
        reports = self.manifest(task.month)["reports"]
        previous = reports.get(task.stem, {})
        if result.status != "failed":
            clash = self._table_clash(result) or self._privacy_check(result)
            if clash:
                result.status, result.error = "failed", clash
        html = notebook = None
        tables: list[str] = []
        if result.status != "failed":
            try:
                tables = self._move_good(result, previous)
                html, notebook = f"{task.stem}.html", f"{task.stem}.ipynb"
            except OSError as exc:
                result.status = "failed"
                result.error = {"ename": type(exc).__name__, "cell_index": None,
                                "exec_count": None,
                                "evalue": f"could not publish into {month_dir}: "
                                          f"{describe_os_error(exc)}; the previous version "
                                          "was left in place"}
        failed: dict[str, str | None] = {"ipynb": None, "html": None}
        if result.status == "failed":
            failed = self._move_failed(result)
            tables = previous.get("tables", [])
            if previous.get("html") and (month_dir / previous["html"]).is_file():
                html, notebook = previous["html"], previous.get("notebook")
        shutil.rmtree(task.staging, ignore_errors=True)
        try:
            task.staging.parent.rmdir()  # the month's .staging folder, once it is empty
        except OSError:
            pass
        result.timings["publish_s"] = round(time.perf_counter() - t0, 3)

        entry: dict[str, Any] = {
            "report": task.report, "title": task.title, "status": result.status,
            "html": html, "notebook": notebook, "tables": tables,
            "failed_html": failed["html"], "failed_notebook": failed["ipynb"],
            "error": result.error, "parameters": dict(task.parameters),
            "input_fingerprint": self.context.fingerprint,
            "notebook_sha256": notebook_sha256(task.notebook),
            "code_sha256": self.context.code_sha256[str(task.notebook)], "build_key": key,
            "versions": self.context.versions, "git_commit": self.context.git_commit,
            "engine": self.context.engine, "pseudonym_key_fingerprint": self.context.pseudonym_key,
            "started_at": result.started_at, "finished_at": result.finished_at,
            "duration_s": result.duration_s, "timings": result.timings,
            "warnings": result.warnings,
        }
        if result.status == "failed":
            at_cell = (result.error or {}).get("cell_index") is not None
            entry["error_link"] = (f"{failed['html']}#papermill-error-cell"
                                   if failed["html"] and at_cell else failed["html"])
            if html:
                entry["last_good_at"] = (previous.get("finished_at")
                                         if previous.get("status") in ("ok", "empty")
                                         else previous.get("last_good_at"))
        reports[task.stem] = entry
        self._write_manifest(task.month)
