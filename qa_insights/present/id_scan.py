"""Find raw personal ids in published files: in what a reader sees, never in markup or CSS.

An HTML page is read as a reader would: the text of its elements and the values of the
attributes that carry words (``alt``, ``title``, ``aria-label``, links, ...). Tag and
attribute names, ``class``, ``id`` and ``style`` values, ``<style>`` and ``<script>``
content and embedded images (``data:`` URIs) are markup, not data: an auditor id ``system``
is not found in the CSS font name ``system-ui``. A CSV file is read cell by cell. An id
counts when it stands as a whole token (letters, digits and ``_`` around it do not belong
to it).

Each hit says which kind of id it is (``moderator_id``, ``auditor_id``, ``rater_id``) and
where it was found, never the id itself (the message is published too).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> page = Path(tempfile.mkdtemp()) / "r.html"
>>> _ = page.write_text('<style>body{font-family:system-ui}</style>'
...                     '<p class="system">by system</p>')
>>> id_places([page], {"system": "auditor_id"})
{'r.html': ['auditor_id in the text of <p>']}
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["found_ids", "id_places", "readable_chunks"]

_DATA_URI = re.compile(r"data:[A-Za-z0-9.+/-]+;base64,[A-Za-z0-9+/=]+")
_TOKEN = re.compile(r"[A-Za-z0-9_]+")
#: Attributes whose values are markup (names, CSS, references), not words for a reader.
_MARKUP_ATTRIBUTES = frozenset({"class", "id", "style", "for", "headers", "rel", "type",
                                "lang", "charset", "name", "content", "http-equiv",
                                "width", "height", "colspan", "rowspan", "scope", "role",
                                "target", "crossorigin", "integrity", "media", "property"})
_HIDDEN_ELEMENTS = frozenset({"style", "script"})


class _Reader(HTMLParser):
    """Collects ``(place, text)`` for the text and word-carrying attributes of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[tuple[str, str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name not in _MARKUP_ATTRIBUTES:
                self.chunks.append((f"the {name} attribute of <{tag}>", value))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        tag = self._open[-1] if self._open else "html"
        if tag not in _HIDDEN_ELEMENTS and data.strip():
            self.chunks.append((f"the text of <{tag}>", data))


def readable_chunks(path: Path) -> list[tuple[str, str]]:
    """``(place, text)`` pairs of what a reader sees in an HTML or CSV file (any other
    file is read whole, as ``the text``).

    Examples
    --------
    >>> import tempfile
    >>> table = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = table.write_text("moderator_id,n\\nMOD-1,3\\n")
    >>> readable_chunks(table)
    [('the header', 'moderator_id'), ('the header', 'n'), ('column moderator_id', 'MOD-1'), ('column n', '3')]
    """
    text = _DATA_URI.sub(" ", path.read_text(encoding="utf-8", errors="replace"))
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        reader = _Reader()
        reader.feed(text)
        reader.close()
        return reader.chunks
    if suffix == ".csv":
        rows = list(csv.reader(text.splitlines()))
        if not rows:
            return []
        header = rows[0]
        chunks = [("the header", cell) for cell in header]
        for row in rows[1:]:
            for i, cell in enumerate(row):
                column = header[i] if i < len(header) else f"#{i + 1}"
                chunks.append((f"column {column}", cell))
        return chunks
    return [("the text", text)]


def found_ids(paths: Iterable[Path], ids: Iterable[str]) -> dict[str, set[str]]:
    """File name -> the raw ``ids`` a reader would see in it (files without any left out).

    Examples
    --------
    >>> import tempfile
    >>> page = Path(tempfile.mkdtemp()) / "r.html"
    >>> _ = page.write_text('<td style="font: system-ui">M0412</td>')
    >>> found_ids([page], {"M0412", "system", "ui"})
    {'r.html': {'M0412'}}
    """
    ids = set(ids)
    tokens = frozenset(i for i in ids if _TOKEN.fullmatch(i))
    others = [i for i in ids if i not in tokens]
    hits = {}
    for path in paths:
        found: set[str] = set()
        for _, text in readable_chunks(path):
            found |= _found(text, tokens, others)
        if found:
            hits[path.name] = found
    return hits


def _found(text: str, tokens: frozenset[str], others: Iterable[str]) -> set[str]:
    found = set(tokens & set(_TOKEN.findall(text)))
    found |= {i for i in others if re.search(
        rf"(?<![A-Za-z0-9_]){re.escape(i)}(?![A-Za-z0-9_])", text)}
    return found


def id_places(paths: Iterable[Path], kinds: Mapping[str, str]) -> dict[str, list[str]]:
    """File name -> sentences ``"<kind> in <place>"`` for each kind of raw id found in each
    place (files without any left out).

    Parameters
    ----------
    paths : iterable of Path
        Files to scan (HTML, CSV or text).
    kinds : mapping
        Raw id -> its kind, e.g. ``{"M0412": "moderator_id"}``.

    Examples
    --------
    >>> import tempfile
    >>> page = Path(tempfile.mkdtemp()) / "r.html"
    >>> _ = page.write_text('<td>M0412</td><img alt="rated by Q017" src="x.png">')
    >>> id_places([page], {"M0412": "moderator_id", "Q017": "auditor_id"})
    {'r.html': ['moderator_id in the text of <td>', 'auditor_id in the alt attribute of <img>']}
    """
    tokens = frozenset(i for i in kinds if _TOKEN.fullmatch(i))
    others = [i for i in kinds if i not in tokens]
    hits: dict[str, list[str]] = {}
    for path in paths:
        seen: list[str] = []
        for place, text in readable_chunks(path):
            for raw in sorted(_found(text, tokens, others)):
                sentence = f"{kinds[raw]} in {place}"
                if sentence not in seen:
                    seen.append(sentence)
        if seen:
            hits[path.name] = seen
    return hits
