"""The "pilotage" role: its own accounts, never mixed with the advisers'."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from channels.console.__main__ import main as console_main
from bot.advisers.accounts import AccountBook, AccountsError, parse_accounts
from tests.indicators.conftest import PASSWORDS


def test_each_book_sees_only_its_role(tmp_path: Path, accounts_text: str) -> None:
    """The console's book has the adviser, the dashboard's the pilotage account."""
    path = tmp_path / "accounts.yml"
    path.write_text(accounts_text, encoding="utf-8")
    advisers, pilots = AccountBook(path), AccountBook(path, role="pilotage")
    assert set(advisers.advisers()) == {"cmartin"}
    assert set(pilots.advisers()) == {"rlefevre"}
    assert pilots.authenticate("rlefevre", PASSWORDS["rlefevre"]) is not None
    assert advisers.authenticate("rlefevre", PASSWORDS["rlefevre"]) is None
    assert pilots.authenticate("cmartin", PASSWORDS["cmartin"]) is None


def test_an_unknown_role_is_refused_in_french(accounts_text: str) -> None:
    """A typo in a role is an error, not an adviser."""
    with pytest.raises(AccountsError, match="rôle inconnu « pilote »"):
        parse_accounts(accounts_text.replace("role: pilotage", "role: pilote"))


def test_the_command_line_adds_a_pilotage_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``add-adviser --role pilotage`` writes the role; advisers get none."""
    path = tmp_path / "accounts.yml"
    monkeypatch.setenv("SPRO_CONSOLE_ACCOUNTS", str(path))
    monkeypatch.setattr("sys.stdin", io.StringIO("un mot de passe long\n"))
    assert (
        console_main(
            [
                "add-adviser",
                "rlefevre",
                "--name",
                "R. L.",
                "--role",
                "pilotage",
                "--stdin",
            ]
        )
        == 0
    )
    assert "role: pilotage" in path.read_text(encoding="utf-8")
    assert set(AccountBook(path, role="pilotage").advisers()) == {"rlefevre"}
