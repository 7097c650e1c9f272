"""Exceptions shared across the package."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(Exception):
    """A problem with an input that stops loading.

    The message says the file, the column, what was expected and what was found, so that
    the person who exported the data can fix it.
    """
