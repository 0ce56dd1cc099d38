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

from datetime import date
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from bot import config
from bot.knowledge.checks import (
    EMAIL,
    ERROR,
    PHONE,
    WARNING,
    CheckResult,
    Problem,
    explain,
    format_phone,
    line_of,
    node_at,
    normalize_phone,
    parse_yaml,
    plain,
    schema_errors,
    yaml_error_line,
)
from bot.knowledge.hours import HoursError, parse_hours
from bot.knowledge.model import (
    REQUIRED_NETWORKS,
    AreaServed,
    EntryPoint,
    InfoSheet,
    KnowledgeSet,
    Network,
    Region,
    Source,
    SourcedFact,
    Structure,
    file_key,
    structure_fields,
    structure_from_plain,
)
from bot.places import Gazetteer, get_gazetteer, haversine_km

MAX_KM_FROM_COMMUNE = 30.0

__all__ = [
    "CheckResult",
    "Problem",
    "check_directory",
    "format_phone",
    "normalize_phone",
]


class _Checker:
    """Collects problems while turning the files into a KnowledgeSet."""

    def __init__(self, folder: Path, gazetteer: Gazetteer, today: date):
        self.folder, self.gazetteer, self.today = folder, gazetteer, today
        self.result = CheckResult()
        self.preloaded: dict[Path, list[dict]] = {}

    # ----------------------------------------------------------------- helpers
    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.folder.parent))
        except ValueError:
            return str(path)

    def add(
        self, path: Path, line: int, message: str, fix: str, severity: str = ERROR
    ) -> None:
        self.result.problems.append(
            Problem(self.rel(path), line, message, fix, severity)
        )

    def read(self, path: Path, schema: str, key: str) -> list[tuple[int, Node, dict]]:
        """Parse and schema-check one file.

        Return (line, YAML node, plain record) of valid records.
        """
        self.result.files.append(path)
        if path in self.preloaded:
            return self.read_preloaded(path, schema, key)
        try:
            loaded, root = parse_yaml(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            self.add(
                path, 1, "le fichier n'est pas en UTF-8", "enregistrez-le en UTF-8"
            )
            return []
        except yaml.MarkedYAMLError as exc:
            line = yaml_error_line(exc)
            self.add(
                path,
                line,
                f"le fichier n'est pas du YAML valide ({exc.problem})",
                "vérifiez l'indentation (espaces, pas de tabulation), les "
                "deux-points et les guillemets "
                "autour de cette ligne",
            )
            return []
        except yaml.YAMLError as exc:
            self.add(
                path,
                1,
                f"le fichier n'est pas du YAML valide ({exc})",
                "vérifiez la syntaxe du fichier",
            )
            return []
        if root is None:
            self.add(
                path,
                1,
                "le fichier est vide",
                f"commencez par « {key}: » suivi de la liste",
            )
            return []
        data = plain(loaded)
        bad_records: set[int] = set()
        for error in schema_errors(schema, data):
            path_items = list(error.absolute_path)
            if (
                len(path_items) >= 2
                and path_items[0] == key
                and isinstance(path_items[1], int)
            ):
                bad_records.add(path_items[1])
            raw = node_at(root, path_items)
            message, fix = explain(
                error, raw.value if isinstance(raw, ScalarNode) else None
            )
            self.add(path, line_of(root, path_items), message, fix)
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            return []
        records = []
        for index, record in enumerate(data[key]):
            if index not in bad_records and isinstance(record, dict):
                records.append(
                    (line_of(root, [key, index]), node_at(root, [key, index]), record)
                )
        return records

    def read_preloaded(
        self, path: Path, schema: str, key: str
    ) -> list[tuple[int, Node | None, dict]]:
        """Schema-check records given in memory.

        Their "line" is their position in the list.
        """
        data = plain({key: self.preloaded[path]})
        bad_records: set[int] = set()
        for error in schema_errors(schema, data):
            position = list(error.absolute_path)
            index = (
                position[1]
                if len(position) >= 2 and isinstance(position[1], int)
                else -1
            )
            bad_records.add(index)
            message, fix = explain(error)
            self.add(path, index + 1, message, fix)
        return [
            (index + 1, None, record)
            for index, record in enumerate(data[key])
            if index not in bad_records and isinstance(record, dict)
        ]

    def field_line(self, node: Node | None, name: str, default: int) -> int:
        if isinstance(node, MappingNode):
            for key, _value in node.value:
                if isinstance(key, ScalarNode) and key.value == name:
                    return key.start_mark.line + 1
        return default

    def parse_date(self, value: str, path: Path, line: int, what: str) -> date | None:
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.add(
                path,
                line,
                f"la date « {value} » n'existe pas",
                "écrivez une date réelle au format AAAA-MM-JJ",
            )
            return None
        if parsed > self.today:
            self.add(
                path,
                line,
                f"la date {what} {value} est dans le futur",
                "indiquez la date à laquelle l'information a réellement été vérifiée",
            )
            return None
        return parsed

    def check_phone(self, value: str, path: Path, line: int) -> str:
        if not value:
            return ""
        if not PHONE.match(normalize_phone(value)):
            self.add(
                path,
                line,
                f"le numéro « {value} » n'est pas un numéro de téléphone français "
                "valide",
                "écrivez 10 chiffres commençant par 0 (ex. 02 47 00 00 00), un "
                "numéro court (ex. 3949) "
                "ou +33 suivi de 9 chiffres",
            )
            return ""
        return format_phone(value)

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
            if code in seen:
                self.add(
                    path,
                    line,
                    f"le code de réseau « {code} » est en double (déjà ligne "
                    f"{seen[code]})",
                    "gardez une seule entrée par réseau",
                )
                continue
            seen[code] = line
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

    def structures(self, network_codes: set[str]) -> list[Structure]:
        folder = self.folder / "structures"
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        seen: dict[str, str] = {}
        structures = []
        for path in files:
            for line, node, rec in self.read(path, "structures", "structures"):
                structure = self.structure(path, line, node, rec, network_codes)
                if structure is None:
                    continue
                if structure.id in seen:
                    self.add(
                        path,
                        line,
                        f"l'identifiant « {structure.id} » est déjà utilisé "
                        f"({seen[structure.id]})",
                        "donnez un identifiant unique à chaque structure",
                    )
                    continue
                seen[structure.id] = f"{self.rel(path)}, ligne {line}"
                structures.append(structure)
        return structures

    def structure(
        self, path: Path, line: int, node: Node, rec: dict, network_codes: set[str]
    ) -> Structure | None:
        errors_before = len(self.result.errors)
        at = lambda name: self.field_line(node, name, line)  # noqa: E731
        if rec["network"] not in network_codes:
            self.add(
                path,
                at("network"),
                f"le réseau « {rec['network']} » n'existe pas",
                "utilisez un code de knowledge/networks.yaml (ex. mission_locale) "
                "ou ajoutez ce réseau",
            )
        commune = self.gazetteer.commune(rec["insee"])
        if commune is None:
            self.add(
                path,
                at("insee"),
                f"le code INSEE « {rec['insee']} » ne correspond à aucune commune",
                "cherchez le code de la commune avec « python -m bot search "
                "<commune> » "
                "(attention : ce n'est pas le code postal)",
            )
        elif (
            rec["postcode"] not in commune.postcodes
            and rec["postcode"][:2] != commune.departement_code[:2]
            and not (
                commune.departement_code in ("2A", "2B")
                and rec["postcode"].startswith("20")
            )
        ):
            self.add(
                path,
                at("postcode"),
                f"le code postal {rec['postcode']} n'est pas dans le département de "
                f"{commune.name} ({commune.departement_code})",
                "vérifiez le code postal et le code INSEE",
            )
        elif rec["postcode"] not in commune.postcodes and self.gazetteer.for_postcode(
            rec["postcode"]
        ):
            self.add(
                path,
                at("postcode"),
                f"le code postal {rec['postcode']} n'est pas un code de {commune.name} "
                f"({', '.join(commune.postcodes)}) mais d'une autre commune",
                "vérifiez le code postal et le code INSEE (un code CEDEX est accepté)",
                WARNING,
            )
        phone = self.check_phone(rec.get("phone", ""), path, at("phone"))
        if rec.get("email") and not EMAIL.match(rec["email"]):
            self.add(
                path,
                at("email"),
                f"l'adresse e-mail « {rec['email']} » est invalide",
                "corrigez-la",
            )
        hours = None
        try:
            hours = parse_hours(rec.get("hours"))
        except HoursError as exc:
            self.add(
                path,
                at("hours"),
                f"horaires illisibles : {exc}",
                "corrigez les horaires ou supprimez « hours »",
            )
        verified = self.parse_date(
            rec["verified"], path, at("verified"), "de vérification"
        )
        area = AreaServed(
            tuple(rec.get("area_served", {}).get("communes", [])),
            tuple(rec.get("area_served", {}).get("epci", [])),
            tuple(rec.get("area_served", {}).get("departements", [])),
        )
        for insee in area.communes:
            if self.gazetteer.commune(insee) is None:
                self.add(
                    path,
                    at("area_served"),
                    f"territoire : le code INSEE « {insee} » ne correspond à "
                    "aucune commune",
                    "corrigez le code",
                )
        for siren in area.epci:
            if siren not in self.gazetteer.epci_sirens:
                self.add(
                    path,
                    at("area_served"),
                    f"territoire : l'EPCI « {siren} » est inconnu",
                    "indiquez le SIREN de l'intercommunalité (9 chiffres)",
                )
        for code in area.departements:
            if code not in self.gazetteer.departements:
                self.add(
                    path,
                    at("area_served"),
                    f"territoire : le département « {code} » est inconnu",
                    'indiquez un code de département (ex. "37")',
                )
        latitude, longitude = rec.get("latitude"), rec.get("longitude")
        if (latitude is None) != (longitude is None):
            self.add(
                path,
                at("latitude" if latitude is not None else "longitude"),
                "il faut la latitude et la longitude, ou aucune des deux",
                "complétez ou supprimez les coordonnées",
            )
        if len(self.result.errors) > errors_before or commune is None:
            return None
        if latitude is None or longitude is None:
            if commune.latitude is None or commune.longitude is None:
                self.add(
                    path,
                    line,
                    f"{commune.name} n'a pas de coordonnées connues",
                    "ajoutez latitude et longitude à la structure",
                )
                return None
            latitude, longitude = commune.latitude, commune.longitude
        elif commune.latitude is not None and commune.longitude is not None:
            distance = haversine_km(
                latitude, longitude, commune.latitude, commune.longitude
            )
            if distance > MAX_KM_FROM_COMMUNE:
                self.add(
                    path,
                    at("latitude"),
                    f"les coordonnées sont à {distance:.0f} km de {commune.name}",
                    "vérifiez latitude et longitude (ou l'ordre des deux)",
                    WARNING,
                )
        given = {
            item.name: rec[file_key(item)]
            for item, _kind in structure_fields()
            if file_key(item) in rec
        }
        return structure_from_plain(
            given,
            name=rec["name"].strip(),
            address=rec["address"].strip(),
            commune=rec.get("commune") or commune.name,
            insee=commune.insee,
            departement=commune.departement_code,
            latitude=float(latitude),
            longitude=float(longitude),
            phone=phone,
            hours=hours,
            area=area,
            verified=verified,
        )

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
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            self.add(
                path,
                1,
                f"le fichier n'est pas lisible ({exc.__class__.__name__})",
                "vérifiez la syntaxe",
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
            if rec["code"] in seen:
                self.add(
                    path,
                    line,
                    f"la fiche « {rec['code']} » est en double",
                    "gardez un code unique par fiche",
                )
                continue
            seen.add(rec["code"])
            reviewed = self.parse_date(
                rec["reviewed"],
                path,
                self.field_line(node, "reviewed", line),
                "de relecture",
            )
            if reviewed is None:
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
    codes = {n.code for n in networks}
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
