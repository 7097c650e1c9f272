"""Where the report notebooks and the nbconvert template live (a source checkout's
``notebooks/`` and ``templates/``), without importing papermill or nbconvert.

Examples
--------
>>> (TEMPLATES_DIR / "qa_report" / "index.html.j2").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NOTEBOOKS_DIR", "TEMPLATES_DIR"]

_ROOT = Path(__file__).resolve().parent.parent

#: Folder of the report notebooks.
NOTEBOOKS_DIR = _ROOT / "notebooks"

#: Folder holding the ``qa_report`` nbconvert template.
TEMPLATES_DIR = _ROOT / "templates"
