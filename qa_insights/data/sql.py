"""Tiny helpers for writing SQL text safely.

Values from data or callers are always bound as parameters (``con.execute(sql, params)``).
These helpers cover the few places where DuckDB needs a literal in the text (file paths in
table functions) and identifiers that come from the data contract.

>>> print(quote_ident("a'b"), sql_str("O'Brien"))
"a'b" 'O''Brien'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["quote_ident", "sql_str", "scalar"]


def quote_ident(name: str) -> str:
    """Quote an identifier (column or table name) for SQL; inner double quotes double."""
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """A SQL string literal, for paths and names that table functions need inline."""
    return "'" + value.replace("'", "''") + "'"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    """The single value of a one-row, one-column query (``params`` bound).

    Fetches the whole result, so the connection is free for the next query (DuckDB 2
    refuses new relations while a result is only partly fetched).
    """
    return con.execute(sql, params or []).fetchall()[0][0]
