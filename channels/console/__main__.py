"""Console administration: ``python -m channels.console <command>``.

- ``hash-password``: ask for a password (twice) and print its hash for the accounts
  file;
- ``add-adviser USERNAME --name "Claire Martin"``: ask for a password and add the
  account to the accounts file (``SPRO_CONSOLE_ACCOUNTS``, default
  var/console-accounts.yml); ``--role pilotage`` makes it a steering-dashboard account
  (channels/dashboard) instead;
- ``purge [--days N]``: delete calls older than the retention period and expired
  sessions;
- ``stats [--since YYYY-MM-DD]``: closed calls per outcome and per network of the second
  door.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date

import yaml

from bot import config
from bot.advisers.accounts import (
    ROLES,
    AccountsError,
    hash_password,
    parse_accounts,
)
from bot.advisers.store import OUTCOMES, ConsoleStore


def read_new_password(stdin: bool) -> str:
    """A new password, from the terminal (typed twice) or from standard input."""
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Encore une fois : ") != first:
        raise AccountsError("Les deux saisies sont différentes.")
    return first


def add_adviser(
    username: str, name: str, password_hash: str, role: str = "conseiller"
) -> None:
    """Add (or replace) an account in the accounts file, checking the result."""
    path = config.console_accounts_file()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {"advisers": []}
    advisers = [a for a in data.get("advisers", []) if a.get("username") != username]
    account = {"username": username, "name": name, "password_hash": password_hash}
    if role != "conseiller":
        account["role"] = role
    advisers.append(account)
    text = yaml.safe_dump({"advisers": advisers}, allow_unicode=True, sort_keys=False)
    parse_accounts(text, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    print(f"Compte « {username} » enregistré dans {path}.")


def main(argv: list[str] | None = None) -> int:
    """Run one command; French messages, exit status 1 on error."""
    parser = argparse.ArgumentParser(
        prog="python -m channels.console", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    hashing = commands.add_parser(
        "hash-password", help="afficher le hachage d'un mot de passe"
    )
    hashing.add_argument(
        "--stdin", action="store_true", help="lire le mot de passe sur stdin"
    )
    adding = commands.add_parser("add-adviser", help="ajouter un compte de conseiller")
    adding.add_argument("username")
    adding.add_argument(
        "--name", required=True, help="nom affiché sur la fiche de liaison"
    )
    adding.add_argument(
        "--stdin", action="store_true", help="lire le mot de passe sur stdin"
    )
    adding.add_argument(
        "--role",
        choices=sorted(ROLES),
        default="conseiller",
        help="pilotage : accès au tableau de bord seulement",
    )
    purging = commands.add_parser("purge", help="supprimer les appels anciens")
    purging.add_argument("--days", type=int, default=None)
    stats = commands.add_parser("stats", help="issues des appels")
    stats.add_argument("--since", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "hash-password":
            print(hash_password(read_new_password(args.stdin)))
        elif args.command == "add-adviser":
            add_adviser(
                args.username.strip().lower(),
                args.name,
                hash_password(read_new_password(args.stdin)),
                args.role,
            )
        elif args.command == "purge":
            removed = ConsoleStore().purge(args.days)
            print(
                f"{removed['calls']} appel(s) et {removed['sessions']} session(s) "
                "supprimés."
            )
        elif args.command == "stats":
            store = ConsoleStore()
            for outcome, count in store.outcome_counts(args.since).items():
                print(f"{OUTCOMES[outcome]} : {count}")
            for network, count in sorted(store.network_counts(args.since).items()):
                print(f"  orientés vers {network} : {count}")
    except AccountsError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
