"""Pseudonymised moderator ids for manager-facing output.

A pseudonym is ``prefix + the first length hex digits of HMAC-SHA256(key, id)``: stable
for the same key (the same moderator gets the same pseudonym every month, so trends can be
followed), not reversible without the key, and different under a different key. The key
is taken from the ``key`` argument, else from the environment variable
``QA_INSIGHTS_PSEUDONYM_KEY``, else from the key file (:func:`key_file`:
``$QA_INSIGHTS_PSEUDONYM_KEY_FILE``, default ``~/.config/qa-insights/pseudonym.key``),
which is created with a random 256-bit key, readable only by its owner, on first use. So
two installations give different pseudonyms, and nobody without the key file can reverse
them. The public :data:`DEFAULT_KEY` is used only when given explicitly (demos), with a
:class:`PseudonymKeyWarning`; a build refuses it for manager-facing output. Reports record
only :func:`key_fingerprint`, never the key. Losing the key file changes every pseudonym
(trends per person restart); keep a copy where the data's other secrets are kept.

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
import secrets
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

__all__ = ["DEFAULT_KEY", "ENV_VAR", "KEY_FILE_ENV", "MIN_AUDITS_PER_PERSON",
           "MIN_CALIBRATION_ITEMS", "PseudonymKeyWarning", "key_file", "key_fingerprint",
           "pseudonymise", "pseudonymise_columns", "resolve_key", "suppress_small"]

#: Environment variable holding the secret key.
ENV_VAR = "QA_INSIGHTS_PSEUDONYM_KEY"
#: Public key (documented, therefore not secret): only for demos, and only when given.
DEFAULT_KEY = "qa-insights-public-default-key"
#: Environment variable naming the key file (default under the user's config folder).
KEY_FILE_ENV = "QA_INSIGHTS_PSEUDONYM_KEY_FILE"


class PseudonymKeyWarning(UserWarning):
    """The public default key was used: pseudonyms are not protected."""


def key_file() -> Path:
    """Where the secret key lives: ``$QA_INSIGHTS_PSEUDONYM_KEY_FILE``, else
    ``$XDG_CONFIG_HOME/qa-insights/pseudonym.key`` (``~/.config`` when unset).

    Examples
    --------
    >>> key_file().name                                    # doctest: +SKIP
    'pseudonym.key'
    """
    named = os.environ.get(KEY_FILE_ENV)
    if named:
        return Path(named).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "qa-insights" / "pseudonym.key"


def _read_or_create(path: Path) -> bytes:
    """The key in ``path``; on first use a random 256-bit key (hex) is written there,
    readable only by its owner. Atomic: concurrent first uses end with one key."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # fails if another process created the key first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        key = path.read_bytes().strip()
    if not key:
        raise ValueError(f"{path}: the pseudonym key file is empty; delete it to create a "
                         "new key (every pseudonym changes) or restore it from a copy")
    return key


def resolve_key(key: str | bytes | None = None) -> bytes:
    """The key to use: the argument, else ``$QA_INSIGHTS_PSEUDONYM_KEY``, else the key file
    (created on first use, see :func:`key_file`).

    Warns with :class:`PseudonymKeyWarning` when the key is the public :data:`DEFAULT_KEY`.

    Examples
    --------
    >>> resolve_key("s3cret")
    b's3cret'
    """
    if key is None:
        key = os.environ.get(ENV_VAR) or None
    if key is None:
        return _read_or_create(key_file())
    if not key:
        raise ValueError("the pseudonym key must not be empty")
    secret = key if isinstance(key, bytes) else key.encode("utf-8")
    if secret == DEFAULT_KEY.encode():
        warnings.warn("the public default pseudonym key is in use: pseudonyms can be "
                      "reversed by hashing known ids; only for demos",
                      PseudonymKeyWarning, stacklevel=3)
    return secret


def key_fingerprint(key: str | bytes | None = None) -> str:
    """A short fingerprint of the key (as :func:`resolve_key` finds it) for manifests:
    tells whether two outputs used the same key without revealing it.

    Examples
    --------
    >>> key_fingerprint("s3cret") == key_fingerprint(b"s3cret") != key_fingerprint("other")
    True
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PseudonymKeyWarning)
        secret = resolve_key(key)
    return hmac.new(secret, b"qa-insights key fingerprint", hashlib.sha256).hexdigest()[:16]


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
