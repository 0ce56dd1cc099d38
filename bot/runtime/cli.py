"""Staff command line: ``python -m bot <command>`` (messages in French).

- ``check``: check the knowledge files; every problem with file, line and what to fix;
  exit 1 on error.
- ``load``: check, then load into the database (atomic swap; nothing changes if the
  files have errors).
- ``coverage``: networks without a structure per département, records older than 12
  months.
- ``search "quelle Mission locale pour Vierzon ?"``: what the assistant would propose.
- ``import-shared``: import the shared open data (gazetteer, Centre-Val de Loire
  structures).
- ``sync [--region 24] [--departement 37]``: fetch the DILA API (and data·inclusion when
  configured), import and load atomically.
- ``import <source> <file-or-url> [--dry-run]``: import a national directory (dila,
  education, data-inclusion, transitions-pro) into knowledge/structures/, with a report
  of what changed.
- ``status``: the snapshot the database serves.
- ``purge-conversations``: delete public conversations older than the retention period.
- ``review retrain [--affinage] [--sans-personas]``: train a candidate model with the
  reviewed labels, put it into service only if the quality gate passes (docs/review.md);
  ``review rollback``: serve again the model that served before.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot import config


def _print_problems(problems) -> None:
    for problem in problems:
        print(problem)


def cmd_check(args) -> int:
    """Check the knowledge files and print the problems; 1 on error."""
    from bot.knowledge.files import check_directory

    result = check_directory(args.dir)
    _print_problems(result.problems)
    if result.errors:
        print(
            f"\n{len(result.errors)} erreur(s), {len(result.warnings)} "
            "avertissement(s) : corrigez les erreurs "
            "avant de charger."
        )
        return 1
    routing_problem = _check_routing(
        args.dir or config.knowledge_dir(), result.knowledge
    )
    if routing_problem:
        print(routing_problem)
        print(
            "\n1 erreur dans la table d'orientation : corrigez-la avant de "
            "redémarrer le bot."
        )
        return 1
    assert result.knowledge is not None  # no error: the check built the knowledge
    counts = result.knowledge.counts()
    print(
        f"Fichiers valides ({len(result.files)} fichiers) : {counts['networks']} "
        "réseaux, "
        f"{counts['structures']} structures, {counts['regions']} régions, "
        f"{counts['sheets']} fiches ; "
        f"{len(result.warnings)} avertissement(s)."
    )
    return 0


def _check_routing(folder: Path, knowledge) -> str | None:
    """The problem of ``routing.yml`` (French), or None when it is valid."""
    import yaml

    from bot.conversation.routing import RoutingTable

    path = Path(folder) / "routing.yml"
    if not path.exists():
        return f"{path} : fichier absent ; l'assistant ne peut pas orienter sans lui."
    try:
        table = RoutingTable.from_file(path)
    except (ValueError, yaml.YAMLError) as exc:
        return f"{path} : {exc}"
    known = {network.code for network in knowledge.networks}
    unknown = sorted(table.networks_used() - known)
    if unknown:
        return (
            f"{path} : réseau(x) inconnu(s) {', '.join(unknown)} ; utilisez un code de "
            "networks.yaml."
        )
    return None


def cmd_load(args) -> int:
    """Check, then load the knowledge files into the database."""
    from bot.knowledge.store import load_directory

    url = args.database or config.database_url()
    outcome = load_directory(args.dir, url)
    _print_problems(outcome.check.problems)
    if outcome.snapshot_id is None:
        print(
            f"\nChargement refusé : {len(outcome.check.errors)} erreur(s). La base "
            "n'a pas été modifiée ; "
            "les connaissances précédentes restent en service."
        )
        return 1
    assert outcome.check.knowledge is not None  # loaded: the check had no error
    counts = outcome.check.knowledge.counts()
    change = (
        "nouvelles connaissances" if outcome.changed else "aucun changement de contenu"
    )
    print(
        f"Chargé (version {outcome.snapshot_id}, {change}) : "
        f"{counts['structures']} structures, "
        f"{counts['networks']} réseaux, {counts['regions']} régions, "
        f"{counts['sheets']} fiches. "
        "Le bot en service les utilisera dans quelques secondes, sans redémarrage."
    )
    return 0


def cmd_status(args) -> int:
    """Print the live knowledge snapshot."""
    from bot.knowledge.store import snapshot_info

    info = snapshot_info(args.database or config.database_url())
    if info is None:
        print("Aucune connaissance chargée : lancez « python -m bot load ».")
        return 1
    counts = info["counts"]
    print(
        f"Version {info['id']} chargée le {info['created_at']:%d/%m/%Y à %H:%M} "
        "(UTC) : "
        f"{counts['structures']} structures, {counts['networks']} réseaux, "
        f"{counts['regions']} régions, "
        f"{counts['sheets']} fiches."
    )
    return 0


def cmd_coverage(args) -> int:
    """Print the coverage report."""
    from bot.knowledge.coverage import coverage_report, format_report, table_lines
    from bot.knowledge.files import check_directory

    result = check_directory(args.dir)
    if result.knowledge is None:
        _print_problems(result.errors)
        print(
            "\nRapport impossible : corrigez d'abord les erreurs (python -m bot check)."
        )
        return 1
    report = coverage_report(result.knowledge, regions=args.region or None)
    if args.markdown:
        print("\n".join(table_lines(report, markdown=True)))
        return 0
    print(
        json.dumps(report, ensure_ascii=False, indent=2, default=str)
        if args.json
        else format_report(report)
    )
    return 0


def cmd_search(args) -> int:
    """Print what the assistant would propose for a question."""
    from bot.knowledge.search import format_answer, search

    repository = _staff_repository(args)
    if repository is None:
        return 1
    print(format_answer(search(" ".join(args.question), repository)))
    return 0


def _staff_repository(args):
    """The loaded database if any, else the files themselves.

    Staff can search before loading.
    """
    from bot.knowledge.repository import (
        KnowledgeUnavailable,
        MemoryRepository,
        SqlRepository,
    )
    from bot.knowledge.store import live_snapshot_id

    url = args.database or config.database_url()
    try:
        if not args.files and live_snapshot_id(url) is not None:
            return SqlRepository(url)
    except Exception as exc:  # tell staff, then fall back to the files
        print(
            f"(base injoignable : {exc.__class__.__name__} ; recherche dans les "
            "fichiers)"
        )
    try:
        return MemoryRepository.from_directory(args.dir)
    except KnowledgeUnavailable as exc:
        _print_problems(exc.problems)
        print(
            "\nRecherche impossible : corrigez d'abord les erreurs (python -m bot "
            "check)."
        )
        return None


# The shared directory files ``import-shared`` runs through the importers, in order
# (oldest data first, so that the newest wins field by field): importer, path.
SHARED_DIRECTORIES = (
    ("dila2019", "sources/dila2019_spro_networks_4regions.csv"),
    ("education", "sources/fr-en-annuaire-education_CIO_dept35.csv"),
)


def cmd_import_shared(args) -> int:
    """Rebuild the places and structures from the shared open data."""
    from bot.knowledge.importer import import_places, import_structures
    from bot.knowledge.importers import format_report, import_source
    from bot.knowledge.safe_input import UnsafeInput
    from bot.places import Gazetteer, set_gazetteer

    data = Path(args.data or config.shared_data_dir())
    if not (data / "communes_france_2026.csv").exists():
        print(f"Données partagées introuvables dans {data} (option --data).")
        return 1
    places = Path(args.places or config.places_file())
    count = import_places(data, places)
    print(f"Communes : {count} écrites dans {places}.")
    gazetteer = Gazetteer.from_file(places)
    set_gazetteer(None)
    knowledge = Path(args.dir or config.knowledge_dir())
    folder = knowledge / "structures"
    regions = frozenset(args.region or _described_regions(knowledge))
    try:
        counts = import_structures(
            data, folder, gazetteer, "structures_france.csv", regions
        )
    except UnsafeInput as exc:
        print(f"Import arrêté, {exc}, puis relancez.")
        return 1
    print(f"Régions : {', '.join(sorted(regions))} (structures_france.csv)")
    for network, number in counts.items():
        print(f"Structures {network} : {number} dans {folder / (network + '.yaml')}.")
    for source, relative in SHARED_DIRECTORIES:
        report = import_source(source, data / relative, knowledge, gazetteer)
        print()
        print(format_report(report, limit=args.limit))
        if not report.ok:
            return 1
    print("Vérifiez puis chargez : python -m bot check && python -m bot load")
    return 0


def cmd_import(args) -> int:
    """Import a national directory into knowledge/structures/."""
    from bot.knowledge.importers import ImportInputError, format_report, import_source
    from bot.places import get_gazetteer

    folder = Path(args.dir or config.knowledge_dir())
    try:
        report = import_source(
            args.source, args.location, folder, get_gazetteer(), dry_run=args.dry_run
        )
    except (ImportInputError, OSError) as exc:
        print(f"Import refusé : {exc}. Rien n'a été modifié.")
        return 1
    print(format_report(report, args.dry_run))
    if args.report:
        Path(args.report).write_text(
            json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )
        print(f"Rapport complet : {args.report}")
    return 0 if report.ok else 1


def cmd_campaign(args) -> int:
    """Export the records to confirm, or apply a filled campaign file."""
    from datetime import date

    from bot.knowledge.campaign import export, format_result, import_checked
    from bot.knowledge.importers import ImportInputError
    from bot.knowledge.importers.base import read_bytes
    from bot.places import get_gazetteer

    folder = Path(args.dir or config.knowledge_dir())
    if args.action == "export":
        out = Path(args.out)
        counts = export(folder, out, date.today(), args.departement)
        for dep, number in counts.items():
            print(
                f"Département {dep} : {number} fiche(s) à confirmer → "
                f"{out / f'campagne-{dep}.csv'} et .html"
            )
        if not counts:
            print("Aucune fiche à confirmer.")
        return 0
    if not args.file:
        print("Indiquez le fichier rempli : python -m bot campaign import FICHIER.csv")
        return 1
    checked_on = date.fromisoformat(args.date) if args.date else date.today()
    try:
        result = import_checked(
            folder, read_bytes(args.file), get_gazetteer(), checked_on, args.dry_run
        )
    except (ImportInputError, OSError) as exc:
        print(f"Campagne non appliquée : {exc}. Rien n'a changé.")
        return 1
    print(format_result(result))
    return 0 if result.ok else 1


def cmd_sync(args) -> int:
    """Update from the directories' APIs, then load."""
    from bot.knowledge.importers import ImportInputError, format_report
    from bot.knowledge.importers.sync import sync
    from bot.places import get_gazetteer

    folder = Path(args.dir or config.knowledge_dir())
    gazetteer = get_gazetteer()
    departements = list(args.departement or [])
    if not departements:
        regions = args.region or _described_regions(folder)
        departements = sorted(
            code
            for code, (_name, region) in gazetteer.departements.items()
            if region in regions
        )
    if not departements:
        print("Aucun département à synchroniser (options --region ou --departement).")
        return 1
    try:
        outcome = sync(
            departements,
            folder,
            gazetteer,
            args.database or config.database_url(),
            args.dry_run,
        )
    except (ImportInputError, OSError) as exc:
        print(f"Synchronisation interrompue : {exc}. Rien n'a été modifié.")
        return 1
    for report in outcome.reports:
        print(format_report(report, args.dry_run))
        print()
    if any(not r.ok for r in outcome.reports) or outcome.load_errors:
        print("\n".join(outcome.load_errors))
        print(
            "Synchronisation refusée : les connaissances en service n'ont pas changé."
        )
        return 1
    if outcome.loaded_snapshot is not None:
        print(
            f"Chargé (version {outcome.loaded_snapshot}) : le bot en service "
            "l'utilisera dans quelques secondes."
        )
    return 0


def _described_regions(folder: Path) -> list[str]:
    import yaml

    loaded = yaml.safe_load((folder / "regions.yaml").read_text(encoding="utf-8")) or {}
    return [
        str(r["code"])
        for r in loaded.get("regions") or []
        if isinstance(r, dict) and r.get("code")
    ]


def cmd_purge_conversations(args) -> int:
    """Delete the public conversations older than the retention period."""
    from bot.runtime.conversation_retention import purge_conversations
    from bot.tracker_db import TrackerStoreError, tracker_store_url

    days = args.days if args.days is not None else config.conversation_retention_days()
    try:
        url = args.tracker or tracker_store_url(args.endpoints)
        result = purge_conversations(url, days)
    except TrackerStoreError as exc:
        print(f"Purge impossible : {exc}")
        return 1
    print(
        f"Conversations de plus de {days:g} jours effacées : {result.conversations} "
        f"({result.events} événements)."
    )
    return 0


def cmd_review(args) -> int:
    """The quality gate: retrain with the reviewed labels, or roll back."""
    from bot.review.gate_report import DECISIONS, rolled_back
    from bot.runtime.gate import GateBusy, default_paths, retrain, rollback

    paths = default_paths(args.models)
    if args.action == "rollback":
        try:
            restored = rollback(paths)
        except (FileNotFoundError, GateBusy) as problem:
            print(problem)
            return 1
        print(rolled_back(restored))
        return 0
    if not paths.serving.exists():
        print(f"Aucun modèle en service ({paths.serving}) : lancez « make train ».")
        return 1
    try:
        run = retrain(
            paths, args.by, finetune=args.affinage, personas=not args.sans_personas
        )
    except GateBusy as problem:
        print(problem)
        return 1
    print(DECISIONS.get(run.decision, run.decision))
    for reason in run.reasons:
        print(f"- {reason}")
    print(f"Rapport : {paths.runs / run.id / 'rapport.html'}")
    return 0 if run.decision in ("en service", "rien à faire") else 2


def build_parser() -> argparse.ArgumentParser:
    """The parser of the staff commands."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Outils de l'équipe pour la base de connaissances.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="dossier knowledge/ (par défaut celui du projet)",
        )
        command.set_defaults(handler=handler)
        return command

    add("check", cmd_check, "Vérifier les fichiers de connaissances.")
    load = add(
        "load",
        cmd_load,
        "Vérifier puis charger les fichiers dans la base (remplacement atomique).",
    )
    load.add_argument(
        "--database", help="URL SQLAlchemy (par défaut SPRO_DATABASE_URL ou SQLite)"
    )
    status = add("status", cmd_status, "Afficher la version chargée dans la base.")
    status.add_argument("--database")
    coverage = add(
        "coverage",
        cmd_coverage,
        "Rapport de couverture : réseaux sans structure, fiches anciennes.",
    )
    coverage.add_argument(
        "--region", action="append", help="code région INSEE (ex. 24) ; répétable"
    )
    coverage.add_argument("--json", action="store_true", help="sortie JSON")
    coverage.add_argument(
        "--markdown",
        action="store_true",
        help="le tableau par département et réseau en Markdown (pour la doc)",
    )
    search = add(
        "search",
        cmd_search,
        "Chercher comme l'assistant : « quelle Mission locale pour Vierzon ? »",
    )
    search.add_argument("question", nargs="+")
    search.add_argument("--database")
    search.add_argument(
        "--files",
        action="store_true",
        help="chercher dans les fichiers plutôt que dans la base",
    )
    imp = add(
        "import-shared",
        cmd_import_shared,
        "Reconstruire depuis l'open data partagé : communes, structures des régions "
        "de regions.yaml (structures_france.csv), puis les annuaires de "
        "../shared/data/sources (dila2019, education).",
    )
    imp.add_argument(
        "--region", action="append", help="code région INSEE (par défaut regions.yaml)"
    )
    imp.add_argument(
        "--limit", type=int, default=5, help="lignes par rubrique des rapports"
    )
    imp.add_argument(
        "--data", help="dossier des données partagées (par défaut ../shared/data)"
    )
    imp.add_argument("--places", help="fichier des communes à écrire")
    importer = add(
        "import",
        cmd_import,
        "Importer un annuaire national dans knowledge/structures/.",
    )
    importer.add_argument(
        "source",
        choices=["dila", "dila2019", "education", "data-inclusion", "transitions-pro"],
        help="dila (service-public.fr), dila2019 (réexport CSV de 2019), education "
        "(CIO), data-inclusion, transitions-pro",
    )
    importer.add_argument("location", help="fichier ou URL de l'export")
    importer.add_argument(
        "--dry-run",
        action="store_true",
        help="montrer ce qui changerait sans rien écrire",
    )
    importer.add_argument(
        "--report", help="écrire le rapport complet (JSON) dans ce fichier"
    )
    campaign = add(
        "campaign",
        cmd_campaign,
        "Campagne de vérification : « export » écrit, par département, les fiches à "
        "confirmer (CSV à remplir + liste HTML imprimable) ; « import FICHIER.csv » "
        "applique le fichier rempli (tout ou rien).",
    )
    campaign.add_argument("action", choices=["export", "import"])
    campaign.add_argument("file", nargs="?", help="(import) le fichier CSV rempli")
    campaign.add_argument(
        "--out", default="campagne", help="(export) dossier où écrire les fichiers"
    )
    campaign.add_argument(
        "--departement", action="append", help="(export) code département ; répétable"
    )
    campaign.add_argument(
        "--date",
        help="(import) date des vérifications, AAAA-MM-JJ (défaut : aujourd'hui)",
    )
    campaign.add_argument(
        "--dry-run", action="store_true", help="(import) vérifier sans rien écrire"
    )
    syncing = add(
        "sync",
        cmd_sync,
        "Mettre à jour depuis les API des annuaires, puis charger (remplacement "
        "atomique).",
    )
    syncing.add_argument(
        "--region",
        action="append",
        help="code région INSEE (par défaut celles de regions.yaml)",
    )
    syncing.add_argument(
        "--departement", action="append", help="code département (remplace --region)"
    )
    syncing.add_argument(
        "--dry-run",
        action="store_true",
        help="montrer ce qui changerait sans rien écrire",
    )
    syncing.add_argument(
        "--database", help="URL SQLAlchemy (par défaut SPRO_DATABASE_URL ou SQLite)"
    )
    purge = sub.add_parser(
        "purge-conversations",
        help="Effacer les conversations du public plus anciennes que la durée de "
        "conservation.",
        description="Effacer les conversations du public dont le dernier message a "
        "plus de N jours.",
    )
    purge.add_argument(
        "--days",
        type=float,
        default=None,
        help="durée de conservation en jours (par défaut "
        "SPRO_CONVERSATION_RETENTION_DAYS ou 30)",
    )
    purge.add_argument(
        "--endpoints",
        type=Path,
        default=config.PROJECT_ROOT / "endpoints.yml",
        help="fichier endpoints.yml qui déclare le tracker store",
    )
    purge.add_argument(
        "--tracker", help="URL SQLAlchemy du tracker store (remplace --endpoints)"
    )
    purge.set_defaults(handler=cmd_purge_conversations)
    review = sub.add_parser(
        "review",
        help="Réentraîner avec les exemples relus derrière le contrôle de qualité, "
        "ou revenir au modèle précédent.",
        description="« retrain » entraîne un modèle candidat avec les exemples relus "
        "et ne le met en service que si aucune mesure ne baisse au-delà de la "
        "tolérance ; « rollback » remet en service le modèle précédent.",
    )
    review.add_argument("action", choices=["retrain", "rollback"])
    review.add_argument(
        "--affinage",
        action="store_true",
        help="affiner le modèle en service (plus rapide, moins sûr) plutôt que "
        "réentraîner la compréhension",
    )
    review.add_argument(
        "--sans-personas",
        action="store_true",
        help="ne pas jouer les personas (jeux de test NLU seulement)",
    )
    review.add_argument(
        "--by", default=os.environ.get("USER", "equipe"), help="qui lance"
    )
    review.add_argument(
        "--models", type=Path, default=None, help="dossier des modèles (models/)"
    )
    review.set_defaults(handler=cmd_review)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one staff command; return its exit code."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
