"""Tests of qa_insights.present.privacy: HMAC-SHA256 test vectors of RFC 4231, key precedence,
stability, missing values and collision detection."""

from __future__ import annotations

import doctest
import stat
import warnings

import pandas as pd
import pytest

from qa_insights.present import privacy
from qa_insights.present.privacy import (
    DEFAULT_KEY,
    ENV_VAR,
    KEY_FILE_ENV,
    PseudonymKeyWarning,
    key_fingerprint,
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


@pytest.fixture
def fresh_install(tmp_path, monkeypatch):
    """No key in the environment and an empty config folder: a new installation."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    path = tmp_path / "config" / "qa-insights" / "pseudonym.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    return path


def test_first_use_creates_a_secret_key_file(fresh_install):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PseudonymKeyWarning)
        value = pseudonymise("M1")
    assert fresh_install.is_file() and stat.S_IMODE(fresh_install.stat().st_mode) == 0o600
    key = fresh_install.read_bytes().strip()
    assert len(bytes.fromhex(key.decode())) == 32
    assert value == pseudonymise("M1", key=key) == pseudonymise("M1")  # stable
    with pytest.warns(PseudonymKeyWarning):
        assert value != pseudonymise("M1", key=DEFAULT_KEY)


def test_two_fresh_installations_differ(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    ids = [f"M{i:04d}" for i in range(50)]
    seen = []
    for install in ("a", "b"):
        monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / install / "pseudonym.key"))
        seen.append(pseudonymise(ids))
    assert all(x != y for x, y in zip(*seen, strict=True))


def test_concurrent_first_uses_agree_on_one_key(fresh_install):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: resolve_key(), range(32)))
    assert keys == {fresh_install.read_bytes().strip()}
    assert [p.name for p in fresh_install.parent.iterdir()] == ["pseudonym.key"]


def test_empty_key_file_is_an_error(fresh_install):
    fresh_install.parent.mkdir(parents=True)
    fresh_install.write_text("\n")
    with pytest.raises(ValueError, match="key file is empty"):
        resolve_key()


def test_public_key_only_when_given_and_then_warned(fresh_install, monkeypatch):
    with pytest.warns(PseudonymKeyWarning, match="public"):
        resolve_key(DEFAULT_KEY)
    monkeypatch.setenv(ENV_VAR, DEFAULT_KEY)
    with pytest.warns(PseudonymKeyWarning):
        assert resolve_key() == DEFAULT_KEY.encode()
    assert not fresh_install.exists()


def test_empty_env_var_counts_as_unset(fresh_install, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "")
    assert resolve_key() == fresh_install.read_bytes().strip()


def test_key_fingerprint_does_not_reveal_the_key(fresh_install):
    fingerprint = key_fingerprint()
    key = fresh_install.read_bytes().strip()
    assert fingerprint == key_fingerprint(key) and len(fingerprint) == 16
    assert fingerprint not in key.decode() and fingerprint != key_fingerprint("other")


def test_manager_output_refuses_the_public_key(monkeypatch):
    from qa_insights.reports.engine.publish import ALLOW_PUBLIC_KEY_ENV, public_key_refused

    monkeypatch.delenv(ALLOW_PUBLIC_KEY_ENV, raising=False)
    assert public_key_refused(key_fingerprint(DEFAULT_KEY))
    assert not public_key_refused(key_fingerprint("a secret"))
    monkeypatch.setenv(ALLOW_PUBLIC_KEY_ENV, "1")
    assert not public_key_refused(key_fingerprint(DEFAULT_KEY))


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


def test_publisher_fails_a_manager_run_with_the_public_key(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from qa_insights.reports.engine.publish import (
        ALLOW_PUBLIC_KEY_ENV,
        BuildContext,
        Publisher,
    )

    monkeypatch.delenv(ALLOW_PUBLIC_KEY_ENV, raising=False)

    def check(key: str, analyst_mode: bool) -> dict | None:
        context = BuildContext(fingerprint="f", versions={}, git_commit=None,
                               pseudonym_key=key_fingerprint(key))
        run = SimpleNamespace(task=SimpleNamespace(parameters={"analyst_mode": analyst_mode}))
        return Publisher(tmp_path, context)._privacy_check(run)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PseudonymKeyWarning)
        assert check(DEFAULT_KEY, analyst_mode=False)["ename"] == "PublicPseudonymKey"
        assert check(DEFAULT_KEY, analyst_mode=True) is None
    assert check("a secret", analyst_mode=False) is None


def test_a_new_key_rebuilds_every_report(tmp_path):
    from dataclasses import replace
    from types import SimpleNamespace

    from qa_insights.reports.engine.publish import build_context, build_key

    notebook = tmp_path / "report.ipynb"
    notebook.write_text("{}")
    task = SimpleNamespace(notebook=notebook, title="MQR", parameters={"month": "2026-10"})
    context = build_context("f" * 64, [notebook])
    assert context.pseudonym_key == key_fingerprint()
    assert build_key(task, context) != build_key(task, replace(context, pseudonym_key="0" * 16))
