"""Accounts, sessions and call storage of the console (no Rasa needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.advisers.accounts import (
    AccountBook, AccountsError, hash_password, parse_accounts, verify_password,
)
from bot.advisers.store import ConsoleStore
from tests.console.conftest import PASSWORDS, Clock


def test_password_hash_is_salted_and_verifiable() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("anything", "not-a-hash")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(AccountsError, match="12 caractères"):
        hash_password("court")


def test_accounts_file_with_a_clear_password_is_refused() -> None:
    with pytest.raises(AccountsError, match="hash-password"):
        parse_accounts("advisers:\n  - username: cmartin\n    password_hash: secret123\n")
    with pytest.raises(AccountsError, match="en double"):
        h = hash_password("un mot de passe solide")
        parse_accounts(f"advisers:\n  - {{username: a1, password_hash: '{h}'}}\n"
                       f"  - {{username: a1, password_hash: '{h}'}}\n")


def test_authenticate(accounts: AccountBook) -> None:
    adviser = accounts.authenticate("CMartin", PASSWORDS["cmartin"])
    assert adviser is not None and adviser.name == "Claire Martin"
    assert accounts.authenticate("cmartin", PASSWORDS["pdurand"]) is None
    assert accounts.authenticate("nobody", PASSWORDS["cmartin"]) is None


def test_no_accounts_file_means_nobody_signs_in(tmp_path: Path) -> None:
    assert AccountBook(tmp_path / "absent.yml").authenticate("cmartin", "x" * 12) is None


def test_removed_adviser_loses_access(accounts: AccountBook, accounts_file: Path) -> None:
    assert accounts.get("pdurand") is not None
    text = accounts_file.read_text()
    accounts_file.write_text(text[: text.index("  - username: pdurand")])
    import os

    os.utime(accounts_file, (1, 1))  # a new modification time, whatever the clock resolution
    assert accounts.get("pdurand") is None


def test_session_expires_after_its_lifetime(
    store: ConsoleStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRO_CONSOLE_SESSION_MINUTES", "60")
    monkeypatch.setenv("SPRO_CONSOLE_IDLE_MINUTES", "30")
    token, _ = store.create_session("cmartin")
    for _ in range(3):
        clock.advance(minutes=19)
        assert store.session_user(token) == "cmartin"
    clock.advance(minutes=4)  # 61 minutes after sign-in, though used 4 minutes ago
    assert store.session_user(token) is None
    assert store.session_user(token) is None


def test_session_expires_when_idle(
    store: ConsoleStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRO_CONSOLE_IDLE_MINUTES", "30")
    token, _ = store.create_session("cmartin")
    clock.advance(minutes=31)
    assert store.session_user(token) is None


def test_only_token_hashes_are_stored(store: ConsoleStore) -> None:
    token, _ = store.create_session("cmartin")
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT token_hash FROM console_sessions").all()
    assert rows and all(token not in row[0] for row in rows)


def test_a_call_belongs_to_its_adviser(store: ConsoleStore) -> None:
    call = store.create_call("cmartin")
    assert store.get_call(call.id, "cmartin") is not None
    assert store.get_call(call.id, "pdurand") is None
    assert call.id not in call.sender_id
    assert len(call.id) >= 20


def test_close_records_anonymous_outcome_and_purge_keeps_it(
    store: ConsoleStore, clock: Clock
) -> None:
    call = store.create_call("cmartin")
    call.profile = {"public": "employed", "need": "career_advice"}
    call.orientation = {"network": "cep_actifs_occupes",
                        "structures": [{"network": "cep_actifs_occupes"}]}
    clock.advance(minutes=7)
    store.close_call(call, "oriented")
    stored = store.get_call(call.id, "cmartin")
    assert stored.outcome == "oriented" and stored.duration_seconds() == 420
    other = store.create_call("pdurand")
    store.close_call(other, "call_back")
    assert store.outcome_counts() == {"oriented": 1, "information": 0, "call_back": 1,
                                      "out_of_scope": 0}
    assert store.network_counts() == {"cep_actifs_occupes": 1}
    clock.advance(days=31)
    recent = store.create_call("cmartin")
    assert store.purge(30)["calls"] == 2
    assert store.get_call(call.id, "cmartin") is None
    assert store.get_call(recent.id, "cmartin") is not None
    assert store.outcome_counts()["oriented"] == 1
    with pytest.raises(ValueError):
        store.close_call(recent, "whatever")
