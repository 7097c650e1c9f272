"""Where the report notebooks and the nbconvert template live: package data of
``qa_insights.reports``, found with :mod:`importlib.resources` (so a wheel install builds
reports too), without importing papermill or nbconvert.

Examples
--------
>>> (TEMPLATES_DIR / "qa_report" / "index.html.j2").is_file()
True
>>> (NOTEBOOKS_DIR / "monthly_quality_report.ipynb").is_file()
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["NOTEBOOKS_DIR", "PACKAGE_DIR", "TEMPLATES_DIR"]

_REPORTS = Path(str(resources.files("qa_insights.reports")))

#: The installed ``qa_insights`` package folder.
PACKAGE_DIR = _REPORTS.parent

#: Folder of the report notebooks.
NOTEBOOKS_DIR = _REPORTS / "notebooks"

#: Folder holding the ``qa_report`` nbconvert template.
TEMPLATES_DIR = _REPORTS / "templates"
