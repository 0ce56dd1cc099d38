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

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import yaml
from jsonschema import Draft7Validator
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot import config
from bot.knowledge.hours import HoursError, parse_hours
from bot.knowledge.model import (
    REQUIRED_NETWORKS, AreaServed, EntryPoint, InfoSheet, KnowledgeSet, Network, Region, Source,
    SourcedFact, Structure,
)
from bot.places import Gazetteer, get_gazetteer, haversine_km

ERROR, WARNING = "erreur", "avertissement"
MAX_KM_FROM_COMMUNE = 30.0
_PHONE = re.compile(r"^(?:0[1-9]\d{8}|0800\d{6}|0[89]\d{8}|3\d{3}|\+33[1-9]\d{8})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_TYPE_FR = {"string": "un texte", "number": "un nombre", "integer": "un nombre entier",
            "array": "une liste (lignes commençant par « - »)", "object": "un bloc de champs",
            "boolean": "oui/non (true/false)"}


@dataclass(frozen=True)
class Problem:
    """One thing to fix in a knowledge file."""

    file: str
    line: int
    message: str
    fix: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity} : {self.message}. À corriger : {self.fix}."


@dataclass
class CheckResult:
    """Problems found, and the knowledge when there is no error."""

    problems: list[Problem] = field(default_factory=list)
    knowledge: KnowledgeSet | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors and self.knowledge is not None


def normalize_phone(value: str) -> str:
    """Digits only ("02.47-00 00 00" -> "0247000000"); keeps a leading +."""
    value = str(value).strip()
    return ("+" if value.startswith("+") else "") + re.sub(r"\D", "", value)


def format_phone(value: str) -> str:
    """French display: "02 47 00 00 00", "0 800 222 100", "3949"."""
    digits = normalize_phone(value)
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    if len(digits) == 10 and digits.startswith("080"):
        return f"{digits[0]} {digits[1:4]} {digits[4:7]} {digits[7:]}"
    if len(digits) == 10:
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))
    return digits


def _load_schema(name: str) -> Draft7Validator:
    path = config.knowledge_schema_dir() / f"{name}.schema.json"
    return Draft7Validator(json.loads(path.read_text(encoding="utf-8")))


def _plain(value: Any) -> Any:
    """Loaded YAML -> plain JSON-like values (dates as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return value


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (C when available); an impossible date stays text for the checks."""


def _date_or_text(loader: Any, node: Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # "2019-02-30": reported in French, with its line, by parse_date
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_or_text)


def yaml_error_line(error: yaml.MarkedYAMLError) -> int:
    """1-based line to show for a YAML error: where an unclosed quote opens, else the problem."""
    context = error.context_mark
    if context is not None and "quoted scalar" in str(error.context or ""):
        return context.line + 1
    mark = error.problem_mark or context
    return mark.line + 1 if mark else 1


def parse_yaml(text: str) -> tuple[Any, Node | None]:
    """Parse YAML (C loader when available) keeping the node tree for line numbers."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def node_at(root: Node | None, path: Iterable[Any]) -> Node | None:
    """The deepest node found along ``path`` (mapping keys, list indexes)."""
    node = root
    for key in path:
        if isinstance(node, MappingNode):
            found = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(key)), None)
            if found is None:
                return node
            node = found
        elif isinstance(node, SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node


def line_of(root: Node | None, path: Iterable[Any]) -> int:
    """1-based line of the value at ``path`` (for a mapping key: the key's line)."""
    path = list(path)
    parent = node_at(root, path[:-1]) if path else None
    if path and isinstance(parent, MappingNode):
        for key, _value in parent.value:
            if isinstance(key, ScalarNode) and key.value == str(path[-1]):
                return key.start_mark.line + 1
    node = node_at(root, path)
    return node.start_mark.line + 1 if node is not None else 1


class _Checker:
    """Collects problems while turning the files into a KnowledgeSet."""

    def __init__(self, folder: Path, gazetteer: Gazetteer, today: date):
        self.folder, self.gazetteer, self.today = folder, gazetteer, today
        self.result = CheckResult()

    # ----------------------------------------------------------------- helpers
    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.folder.parent))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int, message: str, fix: str, severity: str = ERROR) -> None:
        self.result.problems.append(Problem(self.rel(path), line, message, fix, severity))

    def read(self, path: Path, schema: str, key: str) -> list[tuple[int, Node, dict]]:
        """Parse and schema-check one file; return (line, YAML node, plain record) of valid records."""
        self.result.files.append(path)
        try:
            loaded, root = parse_yaml(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            self.add(path, 1, "le fichier n'est pas en UTF-8", "enregistrez-le en UTF-8")
            return []
        except yaml.MarkedYAMLError as exc:
            line = yaml_error_line(exc)
            self.add(path, line, f"le fichier n'est pas du YAML valide ({exc.problem})",
                     "vérifiez l'indentation (espaces, pas de tabulation), les deux-points et les guillemets "
                     "autour de cette ligne")
            return []
        except yaml.YAMLError as exc:
            self.add(path, 1, f"le fichier n'est pas du YAML valide ({exc})", "vérifiez la syntaxe du fichier")
            return []
        if root is None:
            self.add(path, 1, "le fichier est vide", f"commencez par « {key}: » suivi de la liste")
            return []
        data = _plain(loaded)
        bad_records: set[int] = set()
        validator = _load_schema(schema)
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
            path_items = list(error.absolute_path)
            if len(path_items) >= 2 and path_items[0] == key and isinstance(path_items[1], int):
                bad_records.add(path_items[1])
            raw = node_at(root, path_items)
            message, fix = _explain(error, raw.value if isinstance(raw, ScalarNode) else None)
            self.add(path, line_of(root, path_items), message, fix)
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            return []
        records = []
        for index, plain in enumerate(data[key]):
            if index not in bad_records and isinstance(plain, dict):
                records.append((line_of(root, [key, index]), node_at(root, [key, index]), plain))
        return records

    def field_line(self, node: Node, name: str, default: int) -> int:
        if isinstance(node, MappingNode):
            for key, _value in node.value:
                if isinstance(key, ScalarNode) and key.value == name:
                    return key.start_mark.line + 1
        return default

    def parse_date(self, value: str, path: Path, line: int, what: str) -> date | None:
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.add(path, line, f"la date « {value} » n'existe pas", "écrivez une date réelle au format AAAA-MM-JJ")
            return None
        if parsed > self.today:
            self.add(path, line, f"la date {what} {value} est dans le futur",
                     "indiquez la date à laquelle l'information a réellement été vérifiée")
            return None
        return parsed

    def check_phone(self, value: str, path: Path, line: int) -> str:
        if not value:
            return ""
        if not _PHONE.match(normalize_phone(value)):
            self.add(path, line, f"le numéro « {value} » n'est pas un numéro de téléphone français valide",
                     "écrivez 10 chiffres commençant par 0 (ex. 02 47 00 00 00), un numéro court (ex. 3949) "
                     "ou +33 suivi de 9 chiffres")
            return ""
        return format_phone(value)

    # ----------------------------------------------------------------- files
    def networks(self) -> list[Network]:
        path = self.folder / "networks.yaml"
        if not path.exists():
            self.add(path, 1, "le fichier des réseaux est absent", "recréez knowledge/networks.yaml")
            return []
        seen: dict[str, int] = {}
        networks = []
        for line, node, rec in self.read(path, "networks", "networks"):
            code = rec["code"]
            if code in seen:
                self.add(path, line, f"le code de réseau « {code} » est en double (déjà ligne {seen[code]})",
                         "gardez une seule entrée par réseau")
                continue
            seen[code] = line
            verified = self.parse_date(rec["verified"], path, self.field_line(node, "verified", line), "de vérification")
            entries = []
            for index, entry in enumerate(rec.get("entry_points", [])):
                phone = self.check_phone(entry.get("phone", ""), path, line_of(node, ["entry_points", index, "phone"]))
                entries.append(EntryPoint(entry["label"], entry.get("url", ""), phone, entry.get("hours", "")))
            networks.append(Network(code, rec["name"], tuple(rec.get("former_names", [])), rec["summary"].strip(),
                                    tuple(rec["publics"]), tuple(entries), rec["source"], verified))
        if seen:
            for code in REQUIRED_NETWORKS:
                if code not in seen:
                    self.add(path, 1, f"le réseau « {code} » manque alors que l'assistant l'utilise pour orienter",
                             f"rétablissez l'entrée « code: {code} »")
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
                    self.add(path, line, f"l'identifiant « {structure.id} » est déjà utilisé ({seen[structure.id]})",
                             "donnez un identifiant unique à chaque structure")
                    continue
                seen[structure.id] = f"{self.rel(path)}, ligne {line}"
                structures.append(structure)
        return structures

    def structure(self, path: Path, line: int, node: Node, rec: dict,
                  network_codes: set[str]) -> Structure | None:
        errors_before = len(self.result.errors)
        at = lambda name: self.field_line(node, name, line)  # noqa: E731
        if rec["network"] not in network_codes:
            self.add(path, at("network"), f"le réseau « {rec['network']} » n'existe pas",
                     "utilisez un code de knowledge/networks.yaml (ex. mission_locale) ou ajoutez ce réseau")
        commune = self.gazetteer.commune(rec["insee"])
        if commune is None:
            self.add(path, at("insee"), f"le code INSEE « {rec['insee']} » ne correspond à aucune commune",
                     "cherchez le code de la commune avec « python -m bot search <commune> » "
                     "(attention : ce n'est pas le code postal)")
        elif rec["postcode"][:2] != commune.departement_code[:2] and not (
                commune.departement_code in ("2A", "2B") and rec["postcode"].startswith("20")):
            self.add(path, at("postcode"), f"le code postal {rec['postcode']} n'est pas dans le département de "
                     f"{commune.name} ({commune.departement_code})", "vérifiez le code postal et le code INSEE")
        elif rec["postcode"] not in commune.postcodes and self.gazetteer.for_postcode(rec["postcode"]):
            self.add(path, at("postcode"), f"le code postal {rec['postcode']} n'est pas un code de {commune.name} "
                     f"({', '.join(commune.postcodes)}) mais d'une autre commune", "vérifiez le code postal et le code "
                     "INSEE (un code CEDEX est accepté)", WARNING)
        phone = self.check_phone(rec.get("phone", ""), path, at("phone"))
        if rec.get("email") and not _EMAIL.match(rec["email"]):
            self.add(path, at("email"), f"l'adresse e-mail « {rec['email']} » est invalide", "corrigez-la")
        hours = None
        try:
            hours = parse_hours(rec.get("hours"))
        except HoursError as exc:
            self.add(path, at("hours"), f"horaires illisibles : {exc}", "corrigez les horaires ou supprimez « hours »")
        verified = self.parse_date(rec["verified"], path, at("verified"), "de vérification")
        area = AreaServed(tuple(rec.get("area_served", {}).get("communes", [])),
                          tuple(rec.get("area_served", {}).get("epci", [])),
                          tuple(rec.get("area_served", {}).get("departements", [])))
        for insee in area.communes:
            if self.gazetteer.commune(insee) is None:
                self.add(path, at("area_served"), f"territoire : le code INSEE « {insee} » ne correspond à aucune commune",
                         "corrigez le code")
        for siren in area.epci:
            if siren not in self.gazetteer.epci_sirens:
                self.add(path, at("area_served"), f"territoire : l'EPCI « {siren} » est inconnu",
                         "indiquez le SIREN de l'intercommunalité (9 chiffres)")
        for code in area.departements:
            if code not in self.gazetteer.departements:
                self.add(path, at("area_served"), f"territoire : le département « {code} » est inconnu",
                         "indiquez un code de département (ex. \"37\")")
        latitude, longitude = rec.get("latitude"), rec.get("longitude")
        if (latitude is None) != (longitude is None):
            self.add(path, at("latitude" if latitude is not None else "longitude"),
                     "il faut la latitude et la longitude, ou aucune des deux", "complétez ou supprimez les coordonnées")
        if len(self.result.errors) > errors_before or commune is None:
            return None
        if latitude is None or longitude is None:
            if commune.latitude is None or commune.longitude is None:
                self.add(path, line, f"{commune.name} n'a pas de coordonnées connues",
                         "ajoutez latitude et longitude à la structure")
                return None
            latitude, longitude = commune.latitude, commune.longitude
        elif commune.latitude is not None and commune.longitude is not None:
            distance = haversine_km(latitude, longitude, commune.latitude, commune.longitude)
            if distance > MAX_KM_FROM_COMMUNE:
                self.add(path, at("latitude"), f"les coordonnées sont à {distance:.0f} km de {commune.name}",
                         "vérifiez latitude et longitude (ou l'ordre des deux)", WARNING)
        return Structure(
            id=rec["id"], network=rec["network"], name=rec["name"].strip(), address=rec["address"].strip(),
            postcode=rec["postcode"], commune=rec.get("commune") or commune.name, insee=commune.insee,
            departement=commune.departement_code, latitude=float(latitude), longitude=float(longitude),
            phone=phone, email=rec.get("email", ""), website=rec.get("website", ""), hours=hours,
            accessibility=rec.get("accessibility", ""), publics=tuple(rec.get("publics", [])), area=area,
            source=rec["source"], verified=verified, note=rec.get("note", ""),
        )

    def regions(self, network_codes: set[str]) -> list[Region]:
        path = self.folder / "regions.yaml"
        if not path.exists():
            self.add(path, 1, "le fichier des régions est absent", "recréez knowledge/regions.yaml")
            return []
        region_codes = {c.region_code for c in self.gazetteer.communes}
        seen: set[str] = set()
        regions = []
        for line, node, rec in self.read(path, "regions", "regions"):
            before = len(self.result.errors)
            code = rec["code"]
            if code in seen:
                self.add(path, line, f"la région « {code} » est en double", "gardez une seule entrée par région")
            seen.add(code)
            if code not in region_codes:
                self.add(path, line, f"le code région « {code} » est inconnu", "utilisez le code INSEE (ex. \"24\")")
            for network in rec.get("member_networks", []):
                if network not in network_codes:
                    self.add(path, self.field_line(node, "member_networks", line),
                             f"réseau membre « {network} » inconnu", "utilisez un code de networks.yaml")
            sources = []
            for index, item in enumerate(rec["sources"]):
                when = self.parse_date(item["date"], path, line_of(node, ["sources", index]), "de la source") \
                    if item.get("date") else None
                sources.append(Source(item["label"], tuple(item["fields"]), when, item.get("url", ""),
                                      item.get("note", "")))
            backed = {f for s in sources for f in s.fields}
            for name in ("service_name", "first_level_service", "phone", "phone_hours", "website",
                         "member_networks", "cep_operator", "cep_operator_url"):
                if rec.get(name) and name not in backed:
                    self.add(path, self.field_line(node, name, line), f"la valeur « {name} » n'a pas de source",
                             f"ajoutez « {name} » aux « fields » d'une source, ou laissez la valeur vide")
            phone = self.check_phone(rec.get("phone", ""), path, self.field_line(node, "phone", line))
            facts = []
            for index, fact in enumerate(rec.get("facts", [])):
                when = self.parse_date(fact["date"], path, line_of(node, ["facts", index]), "du fait") \
                    if fact.get("date") else None
                facts.append(SourcedFact(fact["text"].strip(), fact["source"], when, fact.get("url", "")))
            if len(self.result.errors) > before:
                continue
            regions.append(Region(
                code=code, name=rec["name"], service_name=rec.get("service_name", ""),
                first_level_service=rec.get("first_level_service", ""), phone=phone,
                phone_hours=rec.get("phone_hours", ""), website=rec.get("website", ""),
                member_networks=tuple(rec.get("member_networks", [])), cep_operator=rec.get("cep_operator", ""),
                cep_operator_url=rec.get("cep_operator_url", ""), facts=tuple(facts), sources=tuple(sources),
            ))
        return regions

    def sheets(self) -> list[InfoSheet]:
        path = self.folder / "sheets.yaml"
        if not path.exists():
            self.add(path, 1, "le fichier des fiches d'information est absent", "recréez knowledge/sheets.yaml")
            return []
        seen: set[str] = set()
        sheets = []
        for line, node, rec in self.read(path, "sheets", "sheets"):
            if rec["code"] in seen:
                self.add(path, line, f"la fiche « {rec['code']} » est en double", "gardez un code unique par fiche")
                continue
            seen.add(rec["code"])
            reviewed = self.parse_date(rec["reviewed"], path, self.field_line(node, "reviewed", line), "de relecture")
            if reviewed is None:
                continue
            sheets.append(InfoSheet(rec["code"], rec["title"], " ".join(rec["answer"].split()), rec["source_url"],
                                    rec["source_label"], reviewed, tuple(rec["keywords"])))
        return sheets


def _explain(error, raw: str | None = None) -> tuple[str, str]:
    """French message and fix for a JSON Schema error (``raw``: the value as typed)."""
    names = [p for p in error.absolute_path if isinstance(p, str)]
    field_name = names[-1] if names else "le document"
    hint = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    kind = error.validator
    if kind == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else "?"
        return f"il manque le champ obligatoire « {name} »", f"ajoutez « {name}: … » (inconnu ? voir knowledge/README.md)"
    if kind == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"champ inconnu « {', '.join(extra)} »", f"vérifiez l'orthographe (champs possibles : {allowed})"
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        if expected == "string" and isinstance(error.instance, (int, float)):
            typed = raw or str(error.instance)
            return (f"« {field_name} » vaut {typed} sans guillemets",
                    f"écrivez la valeur entre guillemets, ex. \"{typed}\" (sinon un zéro initial est perdu)")
        if error.instance is None:
            return f"« {field_name} » est vide", "remplissez la valeur ou supprimez la ligne"
        return f"« {field_name} » doit être {_TYPE_FR.get(expected, expected)}", "corrigez la valeur"
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"valeur « {error.instance} » non prévue pour « {field_name} »", f"valeurs possibles : {allowed}"
    if kind == "anyOf" and hint:
        return f"« {field_name} » est incomplet", hint
    if kind in ("minLength", "minItems"):
        return f"« {field_name} » est vide", "remplissez la valeur ou supprimez la ligne"
    if hint:
        return f"valeur « {error.instance} » invalide pour « {field_name} »", hint
    return f"valeur invalide pour « {field_name} » ({error.message})", "corrigez la valeur"


def check_directory(folder: Path | None = None, gazetteer: Gazetteer | None = None,
                    today: date | None = None) -> CheckResult:
    """Check every knowledge file of ``folder`` (default: config.knowledge_dir())."""
    folder = Path(folder or config.knowledge_dir())
    checker = _Checker(folder, gazetteer or get_gazetteer(), today or date.today())
    networks = checker.networks()
    codes = {n.code for n in networks}
    structures = checker.structures(codes)
    regions = checker.regions(codes)
    sheets = checker.sheets()
    result = checker.result
    if not result.errors:
        result.knowledge = KnowledgeSet(tuple(networks), tuple(structures), tuple(regions), tuple(sheets))
    return result
