"""Read and check the knowledge files staff edit (knowledge/*.yaml).

Layout of the knowledge folder:

- ``networks.yaml``: ``networks:`` list (schema/networks.schema.json)
- ``regions.yaml``: ``regions:`` list (schema/regions.schema.json)
- ``sheets.yaml``: ``sheets:`` list of information sheets (schema/sheets.schema.json)
- ``structures/*.yaml``: ``structures:`` lists (schema/structures.schema.json)

``check_directory(path) -> CheckResult`` reports every problem in French with the
file, the line and what to fix; ``result.knowledge`` is the validated
``KnowledgeSet`` when there is no error (warnings do not block a load).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot import config
from bot.knowledge.checks import (
    CheckResult,
    Problem,
    explain,
    format_phone,
    line_of,
    normalize_phone,
    parse_yaml,
    plain,
    schema_errors,
)
from bot.knowledge.model import (
    REQUIRED_NETWORKS,
    EntryPoint,
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Source,
    SourcedFact,
)
from bot.knowledge.safe_input import UnsafeFile
from bot.knowledge.structure_checks import StructureChecker
from bot.places import Gazetteer, get_gazetteer

__all__ = [
    "CheckResult",
    "Problem",
    "check_directory",
    "format_phone",
    "normalize_phone",
]


class _Checker(StructureChecker):
    """Collects problems while turning the files into a KnowledgeSet."""

    # ----------------------------------------------------------------- files
    def networks(self) -> list[Network]:
        path = self.folder / "networks.yaml"
        if not path.exists():
            self.add(
                path,
                1,
                "le fichier des réseaux est absent",
                "recréez knowledge/networks.yaml",
            )
            return []
        seen: dict[str, int] = {}
        networks = []
        for line, node, rec in self.read(path, "networks", "networks"):
            code = rec["code"]
            double = code in seen
            if double:
                self.add(
                    path,
                    line,
                    f"le code de réseau « {code} » est en double (déjà ligne "
                    f"{seen[code]})",
                    "gardez une seule entrée par réseau",
                )
            seen.setdefault(code, line)
            verified = self.parse_date(
                rec["verified"],
                path,
                self.field_line(node, "verified", line),
                "de vérification",
            )
            entries = []
            for index, entry in enumerate(rec.get("entry_points", [])):
                phone = self.check_phone(
                    entry.get("phone", ""),
                    path,
                    line_of(node, ["entry_points", index, "phone"]),
                )
                entries.append(
                    EntryPoint(
                        entry["label"],
                        entry.get("url", ""),
                        phone,
                        entry.get("hours", ""),
                    )
                )
            if double:
                continue
            networks.append(
                Network(
                    code,
                    rec["name"],
                    tuple(rec.get("former_names", [])),
                    rec["summary"].strip(),
                    tuple(rec["publics"]),
                    tuple(entries),
                    rec["source"],
                    verified,
                )
            )
        if seen:
            for code in REQUIRED_NETWORKS:
                if code not in seen:
                    self.add(
                        path,
                        1,
                        f"le réseau « {code} » manque alors que l'assistant "
                        "l'utilise pour orienter",
                        f"rétablissez l'entrée « code: {code} »",
                    )
        return networks

    def regions(self, network_codes: set[str]) -> list[Region]:
        path = self.folder / "regions.yaml"
        if not path.exists():
            self.add(
                path,
                1,
                "le fichier des régions est absent",
                "recréez knowledge/regions.yaml",
            )
            return []
        region_codes = {c.region_code for c in self.gazetteer.communes}
        seen: set[str] = set()
        regions = []
        for line, node, rec in self.read(path, "regions", "regions"):
            before = len(self.result.errors)
            code = rec["code"]
            if code in seen:
                self.add(
                    path,
                    line,
                    f"la région « {code} » est en double",
                    "gardez une seule entrée par région",
                )
            seen.add(code)
            if code not in region_codes:
                self.add(
                    path,
                    line,
                    f"le code région « {code} » est inconnu",
                    'utilisez le code INSEE (ex. "24")',
                )
            for network in rec.get("member_networks", []):
                if network not in network_codes:
                    self.add(
                        path,
                        self.field_line(node, "member_networks", line),
                        f"réseau membre « {network} » inconnu",
                        "utilisez un code de networks.yaml",
                    )
            sources = []
            for index, item in enumerate(rec["sources"]):
                when = (
                    self.parse_date(
                        item["date"],
                        path,
                        line_of(node, ["sources", index]),
                        "de la source",
                    )
                    if item.get("date")
                    else None
                )
                sources.append(
                    Source(
                        item["label"],
                        tuple(item["fields"]),
                        when,
                        item.get("url", ""),
                        item.get("note", ""),
                    )
                )
            backed = {f for s in sources for f in s.fields}
            for name in (
                "service_name",
                "first_level_service",
                "phone",
                "phone_hours",
                "website",
                "member_networks",
                "cep_operator",
                "cep_operator_url",
            ):
                if rec.get(name) and name not in backed:
                    self.add(
                        path,
                        self.field_line(node, name, line),
                        f"la valeur « {name} » n'a pas de source",
                        f"ajoutez « {name} » aux « fields » d'une source, ou "
                        "laissez la valeur vide",
                    )
            phone = self.check_phone(
                rec.get("phone", ""), path, self.field_line(node, "phone", line)
            )
            facts = []
            for index, fact in enumerate(rec.get("facts", [])):
                when = (
                    self.parse_date(
                        fact["date"], path, line_of(node, ["facts", index]), "du fait"
                    )
                    if fact.get("date")
                    else None
                )
                facts.append(
                    SourcedFact(
                        fact["text"].strip(), fact["source"], when, fact.get("url", "")
                    )
                )
            if len(self.result.errors) > before:
                continue
            regions.append(
                Region(
                    code=code,
                    name=rec["name"],
                    service_name=rec.get("service_name", ""),
                    first_level_service=rec.get("first_level_service", ""),
                    phone=phone,
                    phone_hours=rec.get("phone_hours", ""),
                    website=rec.get("website", ""),
                    member_networks=tuple(rec.get("member_networks", [])),
                    cep_operator=rec.get("cep_operator", ""),
                    cep_operator_url=rec.get("cep_operator_url", ""),
                    facts=tuple(facts),
                    sources=tuple(sources),
                )
            )
        return regions

    def place_words(self) -> None:
        """``places/words.yaml``, when the folder has it.

        The words that help find a commune.
        """
        path = self.folder / "places" / "words.yaml"
        if not path.exists():
            return
        self.result.files.append(path)
        try:
            loaded, root = parse_yaml(path.read_text(encoding="utf-8"))
        except UnsafeFile as exc:
            for problem in exc.problems:
                self.add(path, problem.line, problem.message, problem.fix)
            return
        except UnicodeDecodeError:
            self.add(
                path, 1, "le fichier n'est pas en UTF-8", "enregistrez-le en UTF-8"
            )
            return
        for error in schema_errors("place_words", plain(loaded)):
            message, fix = explain(error)
            self.add(path, line_of(root, list(error.absolute_path)), message, fix)

    def sheets(self) -> list[InfoSheet]:
        path = self.folder / "sheets.yaml"
        if not path.exists():
            self.add(
                path,
                1,
                "le fichier des fiches d'information est absent",
                "recréez knowledge/sheets.yaml",
            )
            return []
        seen: set[str] = set()
        sheets = []
        for line, node, rec in self.read(path, "sheets", "sheets"):
            double = rec["code"] in seen
            if double:
                self.add(
                    path,
                    line,
                    f"la fiche « {rec['code']} » est en double",
                    "gardez un code unique par fiche",
                )
            seen.add(rec["code"])
            reviewed = self.parse_date(
                rec["reviewed"],
                path,
                self.field_line(node, "reviewed", line),
                "de relecture",
            )
            if reviewed is None or double:
                continue
            sheets.append(
                InfoSheet(
                    rec["code"],
                    rec["title"],
                    " ".join(rec["answer"].split()),
                    rec["source_url"],
                    rec["source_label"],
                    reviewed,
                    tuple(rec["keywords"]),
                )
            )
        return sheets


def written_codes(path: Path) -> set[str]:
    """The network codes written in ``path``, even in records that have errors.

    The other files are checked against them: a mistake in networks.yaml is reported
    there, not once per structure of that network.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    return set(_CODE_LINE.findall(text))


_CODE_LINE = re.compile(r"""^[ -]*code:\s*["']?([a-z0-9_]+)["']?\s*(?:#.*)?$""", re.M)


def check_directory(
    folder: Path | None = None,
    gazetteer: Gazetteer | None = None,
    today: date | None = None,
    preloaded: dict[Path, list[dict]] | None = None,
) -> CheckResult:
    """Check every knowledge file of ``folder`` (default: config.knowledge_dir()).

    ``preloaded`` gives the records of some structure files already in memory (an import
    about to write them): they are checked as they are, without reading the files;
    problems then point at the record's position (line 1 of the file for a schema
    problem).
    """
    folder = Path(folder or config.knowledge_dir())
    checker = _Checker(folder, gazetteer or get_gazetteer(), today or date.today())
    checker.preloaded = {Path(p): records for p, records in (preloaded or {}).items()}
    networks = checker.networks()
    codes = {n.code for n in networks} | written_codes(folder / "networks.yaml")
    structures = checker.structures(codes)
    regions = checker.regions(codes)
    sheets = checker.sheets()
    checker.place_words()
    result = checker.result
    if not result.errors:
        result.knowledge = KnowledgeSet(
            tuple(networks), tuple(structures), tuple(regions), tuple(sheets)
        )
    return result
