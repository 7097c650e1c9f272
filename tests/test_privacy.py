"""Tests of qa_insights.present.privacy: HMAC-SHA256 test vectors of RFC 4231, key precedence,
stability, missing values and collision detection."""

from __future__ import annotations

import doctest
import warnings

import pandas as pd
import pytest

from qa_insights.present import privacy
from qa_insights.present.privacy import (
    DEFAULT_KEY,
    ENV_VAR,
    PseudonymKeyWarning,
    pseudonymise,
    pseudonymise_columns,
    resolve_key,
)

# RFC 4231 (HMAC-SHA-256 test vectors), test cases 1 and 2.
RFC4231 = [
    (b"\x0b" * 20, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
]


@pytest.mark.parametrize(("key", "data", "digest"), RFC4231)
def test_rfc4231_vectors(key, data, digest):
    assert pseudonymise(data, key=key, prefix="", length=64) == digest
    assert pseudonymise(data, key=key) == "MOD-" + digest[:10]


def test_key_precedence(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "from-env")
    assert resolve_key() == b"from-env"
    assert pseudonymise("M1") == pseudonymise("M1", key="from-env")
    assert resolve_key("argument") == b"argument"
    assert pseudonymise("M1", key="argument") != pseudonymise("M1")


def test_default_key_warns(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.warns(PseudonymKeyWarning, match=ENV_VAR):
        value = pseudonymise("M1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PseudonymKeyWarning)
        assert value == pseudonymise("M1", key=DEFAULT_KEY)


def test_empty_env_var_counts_as_unset(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "")
    with pytest.warns(PseudonymKeyWarning):
        assert resolve_key() == DEFAULT_KEY.encode()


def test_stable_and_key_dependent():
    ids = [f"M{i:04d}" for i in range(500)]
    first = pseudonymise(ids, key="k1")
    assert first == pseudonymise(ids, key="k1")
    assert len(set(first)) == 500
    assert all(a != b for a, b in zip(first, pseudonymise(ids, key="k2"), strict=True))
    assert all("M0" not in p for p in first)


def test_columns_keep_missing_and_other_columns():
    frame = pd.DataFrame({"moderator_id": ["M1", None, "M1"], "auditor_id": ["Q1", "Q2", "Q1"],
                          "n": [1, 2, 3]})
    out = pseudonymise_columns(frame, ["moderator_id", "auditor_id"], key="k", prefix="P-")
    assert out.moderator_id[0] == out.moderator_id[2] == pseudonymise("M1", key="k", prefix="P-")
    assert pd.isna(out.moderator_id[1])
    assert out.auditor_id.tolist() == pseudonymise(["Q1", "Q2", "Q1"], key="k", prefix="P-")
    assert out.n.tolist() == [1, 2, 3] and frame.moderator_id[0] == "M1"


def test_collision_is_detected():
    # With key "k", M133206 and M135457 share the first 8 hex digits (b85cd0f2).
    frame = pd.DataFrame({"moderator_id": ["M133206", "M135457"]})
    with pytest.raises(ValueError, match="collision"):
        pseudonymise_columns(frame, key="k", length=8)
    assert pseudonymise_columns(frame, key="k", length=12).moderator_id.nunique() == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="length"):
        pseudonymise("M1", key="k", length=4)
    with pytest.raises(ValueError, match="empty"):
        resolve_key(b"")


def test_docstring_examples_run():
    assert doctest.testmod(privacy).failed == 0


def test_suppress_small_drops_rows_below_the_minimum_unless_analyst_mode() -> None:
    from qa_insights.present.privacy import suppress_small

    frame = pd.DataFrame({"rater_id": list("abcd"), "n_items": [19, 20, 35, 0]})
    assert suppress_small(frame, "n_items", 20).rater_id.tolist() == ["b", "c"]
    assert suppress_small(frame, "n_items", 20, analyst_mode=True).equals(frame)
    assert suppress_small(frame.iloc[:0], "n_items", 20).empty
