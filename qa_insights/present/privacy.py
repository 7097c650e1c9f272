"""Pseudonymised moderator ids for manager-facing output.

A pseudonym is ``prefix + the first length hex digits of HMAC-SHA256(key, id)``: stable
for the same key (the same moderator gets the same pseudonym every month, so trends can be
followed), not reversible without the key, and different under a different key. The key
is taken from the ``key`` argument, else from the environment variable
``QA_INSIGHTS_PSEUDONYM_KEY``, else :data:`DEFAULT_KEY` with a
:class:`PseudonymKeyWarning`: the default is public, so anyone can re-identify ids by
hashing candidate ids; set a secret key for real data.

Examples
--------
>>> pseudonymise("M0412", key="example-secret")
'MOD-4e06948929'
>>> pseudonymise(["M0412", "M0007"], key="example-secret", prefix="", length=8)
['4e069489', '885bbe67']
"""

from __future__ import annotations

import hashlib
import hmac
import os
import warnings
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["DEFAULT_KEY", "ENV_VAR", "PseudonymKeyWarning", "pseudonymise",
           "pseudonymise_columns", "resolve_key", "MIN_AUDITS_PER_PERSON", "MIN_CALIBRATION_ITEMS",
           "suppress_small"]

#: Environment variable holding the secret key.
ENV_VAR = "QA_INSIGHTS_PSEUDONYM_KEY"
#: Public fallback key (documented, therefore not secret): only for sample data and demos.
DEFAULT_KEY = "qa-insights-public-default-key"


class PseudonymKeyWarning(UserWarning):
    """The public default key was used: pseudonyms are not protected."""


def resolve_key(key: str | bytes | None = None) -> bytes:
    """The key to use: the argument, else ``$QA_INSIGHTS_PSEUDONYM_KEY``, else the default.

    Warns with :class:`PseudonymKeyWarning` when falling back to :data:`DEFAULT_KEY`.

    Examples
    --------
    >>> resolve_key("s3cret")
    b's3cret'
    """
    if key is None:
        key = os.environ.get(ENV_VAR) or None
    if key is None:
        warnings.warn(f"no pseudonym key given and {ENV_VAR} is not set: using the public "
                      "default key, so pseudonyms can be reversed by hashing known ids",
                      PseudonymKeyWarning, stacklevel=3)
        key = DEFAULT_KEY
    if not key:
        raise ValueError("the pseudonym key must not be empty")
    return key if isinstance(key, bytes) else key.encode("utf-8")


def _one(secret: bytes, value: str, prefix: str, length: int) -> str:
    digest = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:length]


def pseudonymise(ids: str | Iterable[str], key: str | bytes | None = None, *,
                 prefix: str = "MOD-", length: int = 10) -> str | list[str]:
    """Keyed, stable pseudonyms (HMAC-SHA256) of one id or a sequence of ids.

    Parameters
    ----------
    ids : str or iterable of str
        Identifiers (converted with ``str``).
    key : str or bytes, optional
        Secret key; see :func:`resolve_key` for the fallbacks.
    prefix : str
        Text put before the hex digest.
    length : int
        Hex digits kept, 8 to 64 (10 digits: collisions are unlikely below ~100,000 ids).

    Returns
    -------
    str or list of str
        One pseudonym per id, in order.

    Examples
    --------
    >>> pseudonymise("Jefe", key="x", prefix="", length=8) == pseudonymise("Jefe", key="x")[4:12]
    True
    """
    if not 8 <= length <= 64:
        raise ValueError(f"length must be between 8 and 64 hex digits; got {length}")
    secret = resolve_key(key)
    if isinstance(ids, str):
        return _one(secret, ids, prefix, length)
    return [_one(secret, str(v), prefix, length) for v in ids]


def pseudonymise_columns(frame: pd.DataFrame, columns: Sequence[str] = ("moderator_id",),
                         key: str | bytes | None = None, *, prefix: str = "MOD-",
                         length: int = 10) -> pd.DataFrame:
    """Copy of ``frame`` with the id ``columns`` replaced by pseudonyms (missing stay missing).

    Raises
    ------
    ValueError
        When two different ids of a column get the same pseudonym (use a larger ``length``).

    Examples
    --------
    >>> f = pd.DataFrame({"moderator_id": ["M1", "M2", None], "n": [3, 4, 5]})
    >>> out = pseudonymise_columns(f, key="k")
    >>> out.moderator_id.str.startswith("MOD-").tolist(), out.moderator_id.isna().tolist()
    ([True, True, False], [False, False, True])
    """
    secret = resolve_key(key)
    out = frame.copy()
    for col in columns:
        uniques = pd.unique(out[col].dropna().astype(str))
        mapping = {v: _one(secret, v, prefix, length) for v in uniques}
        if len(set(mapping.values())) != len(mapping):
            raise ValueError(f"pseudonym collision in column {col!r}: increase length "
                             f"(now {length})")
        out[col] = out[col].mask(out[col].notna(), out[col].astype(str).map(mapping))
    return out


#: Minimum audits behind a per-person figure in manager-facing output (moderators).
MIN_AUDITS_PER_PERSON = 30
#: Minimum calibration items behind a per-rater figure in manager-facing output: sessions
#: hold 20-40 items, so a rater's month is judged on at least one full session.
MIN_CALIBRATION_ITEMS = 20


def suppress_small(frame: pd.DataFrame, count_column: str, minimum: int,
                   analyst_mode: bool = False) -> pd.DataFrame:
    """Drop the rows whose ``count_column`` is below ``minimum`` (kept in analyst mode), so
    no per-person figure rests on too few observations in manager-facing output.

    Examples
    --------
    >>> f = pd.DataFrame({"rater_id": ["a", "b"], "n_items": [25, 12]})
    >>> suppress_small(f, "n_items", MIN_CALIBRATION_ITEMS).rater_id.tolist()
    ['a']
    >>> len(suppress_small(f, "n_items", MIN_CALIBRATION_ITEMS, analyst_mode=True))
    2
    """
    if analyst_mode or frame.empty:
        return frame
    return frame[frame[count_column] >= minimum].reset_index(drop=True)
