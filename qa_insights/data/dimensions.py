"""Dimensions beyond the contract: a ``sites`` table's attributes and custom columns.

A data folder may carry more ways to slice the audits than the contract names:

* the optional ``sites`` table (:data:`~qa_insights.data.contract.TABLES`) gives each site
  a ``vendor``, a ``region`` and any other attribute (an extra column of ``sites``); the
  clean ``audits`` view is joined to it by ``site`` (:func:`join_sites`), so each attribute
  is a column of ``audits`` and a dimension wherever ``site`` is;
* an extra column of the audits (``language``, ``team``) is a custom dimension: every
  extra column whose name is a plain identifier (:func:`is_dimension_name`) is one, and a
  source mapping names others (``Team Lead`` as ``team_lead``) under ``dimensions:``,
  where it may mark one ``personal: true``.

A dimension is personal (pseudonymised in manager-facing output, like ``moderator_id``)
when the mapping says so or when its name ends in ``_id`` or mentions an e-mail
(:func:`looks_personal`). The store lists its dimensions in ``store.dimensions`` (name ->
:class:`Dimension`); :func:`qa_insights.data.queries.store_dimensions` turns them into the
allow-list of ``by=`` and ``filters=``.

Examples
--------
>>> from qa_insights.data.contract import TABLES
>>> t = extend_table(TABLES["audits"], {"language": False, "team_lead_id": True})
>>> [(c.name, c.personal) for c in t.columns[-2:]]
[('language', False), ('team_lead_id', True)]
>>> is_dimension_name("language"), is_dimension_name("Team Lead"), is_dimension_name("month")
(True, False, False)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from qa_insights.data.contract import TABLES, Column, Table
from qa_insights.data.errors import DataError
from qa_insights.data.sql import quote_ident

__all__ = [
    "Dimension",
    "audit_extras",
    "check_site_attributes",
    "declared_dimensions",
    "dimension_record",
    "extend_table",
    "is_dimension_name",
    "join_sites",
    "looks_personal",
    "missing_site_notes",
    "site_dimensions",
]

#: Names a custom dimension cannot take: the derived and computed dimensions of audits.
_TAKEN = frozenset({"month", "is_error", "error_type", "week", "tenure_band",
                    "handle_time_band"})

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Dimension:
    """A dimension of the audits beyond the contract's.

    Parameters
    ----------
    name : str
        Column name in the clean ``audits`` view.
    source : {"sites", "audits"}
        A ``sites`` attribute, or an extra column of the audits.
    personal : bool
        Personal data: pseudonymised in manager-facing output.
    """

    name: str
    source: str
    personal: bool = False


def is_dimension_name(name: str) -> bool:
    """Whether an extra column named ``name`` can be a dimension: lower case letters,
    digits and ``_``, starting with a letter, and not a name the store derives."""
    return bool(_NAME.fullmatch(name)) and name not in _TAKEN


def looks_personal(name: str) -> bool:
    """Whether a dimension's name suggests personal data (an id or an e-mail address).

    >>> looks_personal("team_lead_id"), looks_personal("reviewer_email"), looks_personal("team")
    (True, True, False)
    """
    return name.endswith("_id") or "email" in name or "e_mail" in name


def audit_extras(table: str, header: Iterable[str],
                 declared: Mapping[str, bool] | None = None) -> dict[str, bool]:
    """Extra columns of ``table``'s header that become dimensions -> personal.

    Every extra column with a plain identifier name (a repeated one is ignored), plus
    those a source mapping declares under ``dimensions:`` (``declared``: name -> personal,
    which also decides the personal flag). Contract and derived columns never are, nor is
    a near miss of a contract column the header lacks (``severty`` when ``severity`` is
    missing: validation says "did you mean", it does not slice by it).

    Examples
    --------
    >>> audit_extras("audits", ["audit_id", "language", "Team Lead", "month", "agent_id"])
    {'language': False, 'agent_id': True}
    >>> audit_extras("audits", ["lang"], {"lang": True})
    {'lang': True}
    >>> audit_extras("audits", ["audit_id", "severty"])
    {}
    """
    from qa_insights.data.columns import nearest_contract_column

    contract = set(TABLES[table].names)
    names = list(header)
    absent = [c for c in TABLES[table].names if c not in set(names)]
    found = {h: looks_personal(h) for h in dict.fromkeys(names)
             if h not in contract and is_dimension_name(h) and names.count(h) == 1
             and nearest_contract_column(h, absent) is None}
    found.update({n: bool(p) or looks_personal(n) for n, p in (declared or {}).items()
                  if n not in contract})
    return found


def extend_table(table: Table, extras: Mapping[str, bool]) -> Table:
    """``table`` with one optional text column per extra (name -> personal), so validation
    reads, trims and keeps them like contract columns."""
    if not extras:
        return table
    added = tuple(Column(name, "string", False, "Custom dimension (extra column).", "",
                         personal=personal or looks_personal(name))
                  for name, personal in extras.items() if name not in table.names)
    return dataclasses.replace(table, columns=table.columns + added)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def site_dimensions(con: duckdb.DuckDBPyConnection, sites: str = "sites",
                    personal: Mapping[str, bool] | None = None) -> dict[str, Dimension]:
    """The dimensions a sites table gives the audits: ``vendor``, ``region`` and its
    extra columns (``site`` and ``site_type`` are audit columns already)."""
    personal = personal or {}
    return {c: Dimension(c, "sites", personal.get(c, looks_personal(c)))
            for c in _columns(con, sites) if c not in ("site", "site_type")}


def check_site_attributes(audit_columns: Iterable[str], sites: Iterable[str]) -> None:
    """Refuse a site attribute named like an audits column (the join would hold both).

    Raises
    ------
    DataError
        The first attribute of sites with the name of an audits column.

    Examples
    --------
    >>> check_site_attributes(["site", "queue"], ["vendor"])
    >>> check_site_attributes(["site", "queue"], ["queue"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qa_insights.data.errors.DataError: sites: column 'queue' is also a column of audits; ...
    """
    audit_columns = set(audit_columns)
    clash = [name for name in sites if name in audit_columns]
    if clash:
        raise DataError(f"sites: column {clash[0]!r} is also a column of audits; rename one "
                        "of them (a site attribute joins the audits by site)")


def dimension_record(dimensions: Mapping[str, Dimension]) -> dict[str, dict[str, object]]:
    """The dimensions as JSON-ready data (what a clean export records in its manifest,
    so another engine reading it knows them, personal flags included).

    Examples
    --------
    >>> dimension_record({"vendor": Dimension("vendor", "sites")})
    {'vendor': {'source': 'sites', 'personal': False}}
    """
    return {name: {"source": d.source, "personal": d.personal} for name, d in dimensions.items()}


def declared_dimensions(record: object) -> dict[str, dict[str, bool]] | None:
    """Table -> dimension -> personal, from :func:`dimension_record`'s output (None when
    there is no record: an export written before dimensions were recorded).

    Examples
    --------
    >>> declared_dimensions({"team_lead": {"source": "audits", "personal": True},
    ...                      "country": {"source": "sites", "personal": False}})
    {'audits': {'team_lead': True}, 'sites': {'country': False}}
    >>> declared_dimensions(None) is None
    True
    """
    if not isinstance(record, dict):
        return None
    out: dict[str, dict[str, bool]] = {"audits": {}, "sites": {}}
    for name, entry in record.items():
        if isinstance(entry, dict) and entry.get("source") in out:
            out[str(entry["source"])][str(name)] = bool(entry.get("personal"))
    return out


def join_sites(con: duckdb.DuckDBPyConnection, sites: Mapping[str, Dimension],
               base: str = "audits_validated", sites_table: str = "sites",
               view: str = "audits") -> None:
    """Define the view ``view`` as ``base`` left-joined to the sites table by ``site``:
    every site attribute becomes a column; ``site_type`` comes from the audits, or from
    the sites table where the audits leave it empty.

    Raises
    ------
    DataError
        An attribute of sites with the name of an audits column.
    """
    check_site_attributes(_columns(con, base), sites)
    extra = "".join(f", s.{quote_ident(name)}" for name in sites)
    con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT a.* REPLACE "
                f"(coalesce(a.site_type, s.site_type) AS site_type){extra} "
                f"FROM {base} AS a LEFT JOIN {sites_table} AS s ON s.site = a.site")


def missing_site_notes(con: duckdb.DuckDBPyConnection, stage: str | None = None,
                       sites_table: str = "sites", limit: int = 10) -> list[str]:
    """One sentence per audited site the sites table lacks (its attributes are unknown),
    naming the first file and data row where it appears when ``stage`` (the audits' stage
    table, with ``_file`` and ``_row``) is given."""
    if stage is not None:
        rows = con.execute(
            f"SELECT t_site, count(*), first(_file ORDER BY _file, _row), "
            f"first(_row ORDER BY _file, _row) FROM {stage} WHERE _reason IS NULL AND t_site "
            f"NOT IN (SELECT site FROM {sites_table}) GROUP BY t_site "
            "ORDER BY count(*) DESC, t_site").fetchall()
    else:
        rows = [(site, n, None, None) for site, n in con.execute(
            f"SELECT site, count(*) FROM audits_validated WHERE site NOT IN "
            f"(SELECT site FROM {sites_table}) GROUP BY site "
            "ORDER BY count(*) DESC, site").fetchall()]
    notes = []
    for site, n, file, row in rows[:limit]:
        where = f"{file} row {row}: " if file is not None else ""
        notes.append(f"{where}site {site!r} ({n} audit{'s' if n != 1 else ''}) is not in "
                     f"the sites table: its vendor, region and other site attributes are "
                     f"unknown (add a row for it to sites)")
    if len(rows) > limit:
        notes.append(f"and {len(rows) - limit} more sites not in the sites table")
    return notes
