"""Staff commands of the chat desk: ``python -m bot.handover purge|stats``.

- ``purge``: erase the contact data of call-backs closed more than
  ``SPRO_CALLBACK_RETENTION_DAYS`` (7) days ago and delete finished conversations older
  than ``SPRO_CONVERSATION_RETENTION_DAYS`` (30); schedule it daily.
- ``stats [--since AAAA-MM-JJ]``: anonymous counts per kind and outcome, mean wait.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.handover.desk import (
    AUTOMATIC_OUTCOMES,
    CALLBACK_OUTCOMES,
    LIVE_OUTCOMES,
    get_desk,
)

LABELS = {**LIVE_OUTCOMES, **AUTOMATIC_OUTCOMES, **CALLBACK_OUTCOMES}
KINDS = {"live": "Tchat avec une personne", "callback": "Demande de rappel"}


def main(argv: list[str] | None = None) -> int:
    """Run one command; print French lines."""
    parser = argparse.ArgumentParser(prog="python -m bot.handover")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "purge", help="effacer les coordonnées et conversations expirées"
    )
    stats = commands.add_parser("stats", help="statistiques anonymes")
    stats.add_argument("--since", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    desk = get_desk()
    if args.command == "purge":
        done = desk.purge()
        print(
            f"Coordonnées effacées : {done['contacts']} ; "
            f"conversations supprimées : {done['conversations']}."
        )
        return 0
    rows = desk.statistics(args.since)
    if not rows:
        print("Aucune demande close sur la période.")
    for row in rows:
        print(
            f"{KINDS.get(row['kind'], row['kind'])} — "
            f"{LABELS.get(row['outcome'], row['outcome'])} : {row['count']} "
            f"(attente moyenne {row['mean_wait_s']} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
