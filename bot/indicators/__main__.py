"""Indicators for staff: ``python -m bot.indicators <command>``.

- ``derive``: record the conversations that ended since the last run (also done by the
  Rasa server every 15 minutes and before every purge);
- ``report --year 2026 [--departement 28 | --region 24] [--out DIR]``: the annual
  report of a territory as HTML, PDF (Debian's headless Chromium) and CSV of the
  aggregated table;
- ``gaps [--year 2026] [--region 24]``: orientations without a local structure, per
  network and département (the structures to add first).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot import config


def _filters(args: argparse.Namespace):
    from bot.indicators.aggregate import Filters
    from bot.indicators.labels import checked_territory

    territory = checked_territory(args.region or "", (args.departement or "").upper())
    return Filters.for_year(args.year, **territory)


def cmd_derive(args: argparse.Namespace) -> int:
    """Derive records from the tracker store."""
    import time

    from bot.indicators.derive import derive_indicators
    from bot.tracker_db import TrackerStoreError, tracker_store_url

    try:
        url = args.tracker or tracker_store_url(args.endpoints)
    except TrackerStoreError as error:
        print(f"Tracker store illisible : {error}", file=sys.stderr)
        return 1
    idle = (
        config.indicators_idle_minutes()
        if args.idle_minutes is None
        else args.idle_minutes
    )
    result = derive_indicators(url, until=time.time() - idle * 60)
    print(f"Conversations enregistrées dans les indicateurs : {result.records}.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the annual report files."""
    from bot.indicators.aggregate import compute
    from bot.indicators.render import csv_text, pdf_bytes, report_filename, report_html
    from bot.indicators.store import get_store

    filters = _filters(args)
    indicators = compute(get_store(), filters)
    css = (
        config.PROJECT_ROOT / "channels" / "dashboard" / "static" / "dashboard.css"
    ).read_text(encoding="utf-8")
    html = report_html(indicators, css)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, content in (("html", html), ("csv", csv_text(indicators))):
        path = out / report_filename(filters, kind)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    if not args.no_pdf:
        path = out / report_filename(filters, "pdf")
        path.write_bytes(pdf_bytes(html))
        written.append(path)
    for path in written:
        print(path)
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    """Print the knowledge gaps."""
    from bot.indicators.aggregate import compute
    from bot.indicators.labels import label
    from bot.indicators.store import get_store

    indicators = compute(get_store(), _filters(args))
    if not indicators.gaps:
        print("Aucune orientation sans structure locale.")
    for gap in indicators.gaps:
        count = (
            gap["count"]
            if gap["count"] is not None
            else f"moins de {indicators.min_cell}"
        )
        place = (
            label("departement", gap["departement"])
            if gap["departement"]
            else "commune non donnée"
        )
        print(f"{place} — {label('gap', gap['network'])} : {count}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.indicators",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    derive = sub.add_parser("derive", help="enregistrer les conversations terminées")
    derive.add_argument(
        "--endpoints", type=Path, default=config.PROJECT_ROOT / "endpoints.yml"
    )
    derive.add_argument(
        "--tracker", help="URL SQLAlchemy du tracker store (remplace --endpoints)"
    )
    derive.add_argument(
        "--idle-minutes",
        type=float,
        default=None,
        help="une conversation silencieuse depuis ce temps est terminée",
    )
    derive.set_defaults(handler=cmd_derive)
    for name, handler, text in (
        ("report", cmd_report, "rapport annuel d'un territoire"),
        ("gaps", cmd_gaps, "orientations sans structure locale"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--year", type=int, default=date.today().year)
        command.add_argument("--region", help="code INSEE de la région, ex. 24")
        command.add_argument("--departement", help="code du département, ex. 28")
        command.set_defaults(handler=handler)
        if name == "report":
            command.add_argument(
                "--out", type=Path, default=config.var_dir() / "reports"
            )
            command.add_argument(
                "--no-pdf", action="store_true", help="HTML et CSV seulement"
            )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; French messages, exit status 1 on error."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(f"PDF impossible : {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
