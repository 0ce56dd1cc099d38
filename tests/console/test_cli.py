"""``python -m channels.console``: password hashes, accounts file, purge, statistics."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from channels.console.__main__ import main
from bot.advisers.accounts import AccountBook, verify_password


def run(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_hash_password_prints_a_verifiable_hash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["hash-password", "--stdin"], "un mot de passe solide\n", monkeypatch) == 0
    printed = capsys.readouterr().out.strip()
    assert verify_password("un mot de passe solide", printed)
    assert run(["hash-password", "--stdin"], "court\n", monkeypatch) == 1
    assert "12 caractères" in capsys.readouterr().err


def test_add_adviser_writes_a_private_accounts_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = tmp_path / "console-accounts.yml"
    monkeypatch.setenv("SPRO_CONSOLE_ACCOUNTS", str(accounts))
    argv = ["add-adviser", "CMartin", "--name", "Claire Martin", "--stdin"]
    assert run(argv, "un mot de passe solide\n", monkeypatch) == 0
    assert run(["add-adviser", "pdurand", "--name", "Paul Durand", "--stdin"],
               "un autre mot de passe\n", monkeypatch) == 0
    assert accounts.stat().st_mode & 0o077 == 0
    assert "un mot de passe solide" not in accounts.read_text()
    book = AccountBook(accounts)
    assert book.authenticate("cmartin", "un mot de passe solide").name == "Claire Martin"
    assert book.authenticate("pdurand", "un autre mot de passe") is not None


def test_purge_and_stats_on_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPRO_CONSOLE_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")
    assert main(["purge"]) == 0
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "0 appel(s) et 0 session(s) supprimés." in out
    assert "Information donnée : 0" in out
