"""Merge imported records into ``knowledge/structures/`` and say what changed.

Rules (what a regional data officer expects from a directory import):

- the same place from two sources is one record: same network, same commune (INSEE)
  and same address once normalised, or the same numbered street (« 9 place du Champ de
  foire » in « Maison de l'emploi - 9 place du Champ-de-Foire »), or the same record id;
  each such merge is listed in the report (``merged``);
- the newest data wins: a record is updated only when the source's date is newer than
  the record's ``verified`` date, so a record staff verified by hand after the source's
  update is never overwritten; both sources are then named in ``source``;
- fields the new source leaves empty keep their previous value, except the staff note,
  which described the older data;
- records staff added, and records the source no longer lists, are left as they are;
- nothing is written when the resulting files do not pass ``python -m bot check``: the
  files and the live knowledge stay as they were.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.checks import Problem, explain, parse_yaml, schema_errors
from bot.knowledge.files import check_directory
from bot.knowledge.hours import HoursError, parse_hours
from bot.knowledge.importers.base import (
    ImportInputError,
    Parsed,
    Rejection,
)
from bot.knowledge.importers.spool import Candidates
from bot.knowledge.safe_input import UnsafeInput, unsafe_value
from bot.places import Gazetteer, normalize

HEADER = (
    "# yaml-language-server: $schema=../schema/structures.schema.json\n"
    "# Structures « {network} ». Fiches importées (python -m bot import …)\n"
    "# ou saisies par l'équipe. Vous pouvez corriger une fiche : mettez alors\n"
    "# « verified » à la date de votre vérification,\n"
    "# elle sera conservée lors d'un nouvel import. Voir knowledge/README.md.\n"
)
_STREET_WORDS = {
    "bd": "boulevard",
    "boul": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "pl": "place",
    "r": "rue",
    "all": "allee",
    "imp": "impasse",
    "rte": "route",
    "chem": "chemin",
    "fg": "faubourg",
    "sq": "square",
    "crs": "cours",
    "qu": "quai",
    "bis": "",
    "ter": "",
}


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Plain YAML for staff: no anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# Sources named in one record when an import lists the same place many times.
MAX_SOURCES_NAMED = 10


@dataclass
class Change:
    """One record added or changed: id, file and the fields that differ (old, new)."""

    id: str
    file: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportReport:
    """What an import did (or would do, in a dry run)."""

    source: str
    read: int = 0
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # newer by staff or by another source
    merged: list[str] = field(
        default_factory=list
    )  # same place, another id: one record
    rejected: list[Rejection] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(
        default_factory=list
    )  # the merged files do not pass the check
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the merged files pass the check."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly report (the import log of what came from where)."""
        return {
            "source": self.source,
            "read": self.read,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "merged": self.merged,
            "added": [{"id": c.id, "file": c.file} for c in self.added],
            "changed": [
                {
                    "id": c.id,
                    "file": c.file,
                    "fields": {
                        k: {"avant": o, "après": n} for k, (o, n) in c.fields.items()
                    },
                }
                for c in self.changed
            ],
            "rejected": [
                {"position": r.position, "reason": r.reason} for r in self.rejected
            ],
            "ignored": self.ignored,
            "warnings": self.warnings,
            "written": self.written,
            "problems": [str(p) for p in self.problems],
        }


def address_key(network: str, insee: str, address: str) -> tuple[str, str, str]:
    """The dedup key: network, commune and the words of the address.

    Any order, abbreviations expanded: "Bâtiment A, 1 bd de l'Essai" and
    "1 boulevard de l'Essai, bâtiment A" are the same place.
    """
    words = {_STREET_WORDS.get(w, w) for w in normalize(address).split()}
    return network, insee, " ".join(sorted(w for w in words if w))


def street_key(network: str, insee: str, address: str) -> tuple[str, str, str] | None:
    """Network, commune and the numbered street of an address; None without one.

    The part of the address that starts with a number (parts are separated by « , » or
    « - »): a building or service name around it does not keep two sources apart.
    """
    for part in re.split(r",| - ", address):
        words = [_STREET_WORDS.get(w, w) for w in normalize(part).split()]
        words = [w for w in words if w]
        if len(words) >= 3 and words[0].isdigit():
            return network, insee, " ".join(words)
    return None


CLOSED_FILE = "closed_structures.yaml"


def _staff_file(path: Path) -> dict:
    """A staff YAML file read through the guards; a French error names the file."""
    try:
        loaded = parse_yaml(path.read_text(encoding="utf-8"))[0]
    except UnsafeInput as exc:
        raise ImportInputError(
            f"{path.name}, {exc} (python -m bot check le signale aussi)"
        ) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ImportInputError(
            f"{path.name} : le fichier doit commencer par une clé "
            "(« structures: » ou « closed: ») ; python -m bot check le signale aussi"
        )
    return loaded


def closed_places(path: Path) -> dict[Any, tuple[date, str]]:
    """Records a campaign closed: by id and by address key -> (closing date, id)."""
    if not path.exists():
        return {}
    loaded = _staff_file(path)
    found: dict[Any, tuple[date, str]] = {}
    for item in loaded.get("closed") or []:
        when = as_date(item.get("closed_on")) if isinstance(item, dict) else None
        if when is None:
            continue
        found[str(item.get("id"))] = found[
            address_key(
                str(item.get("network")),
                str(item.get("insee")),
                str(item.get("address")),
            )
        ] = (when, str(item.get("id")))
    return found


def validate(
    parsed: Parsed, gazetteer: Gazetteer, today: date
) -> tuple[Candidates, list[Rejection]]:
    """Candidates that follow the structures schema, the others with a French reason.

    Read and kept in bounded memory (``Candidates``): every refusal is listed.
    """
    accepted, rejected = Candidates(), list(parsed.rejections)
    for candidate in parsed.candidates:
        unsafe = unsafe_value(candidate.record)
        if unsafe:
            rejected.append(Rejection(candidate.position, unsafe))
            continue
        record = {
            **candidate.record,
            "verified": candidate.record["verified"].isoformat(),
        }
        errors = schema_errors("structures", record, "properties/structures/items")
        if errors:
            message, fix = explain(errors[0])
            rejected.append(Rejection(candidate.position, f"{message} ({fix})"))
            continue
        if candidate.record["verified"] > today:
            rejected.append(
                Rejection(
                    candidate.position,
                    f"date de mise à jour dans le futur "
                    f"({candidate.record['verified']:%d/%m/%Y}) : "
                    "fiche refusée, à vérifier",
                )
            )
            continue
        if gazetteer.commune(candidate.record["insee"]) is None:
            rejected.append(
                Rejection(
                    candidate.position,
                    f"code INSEE « {candidate.record['insee']} » inconnu",
                )
            )
            continue
        try:
            parse_hours(candidate.record.get("hours"))
        except HoursError as exc:
            rejected.append(
                Rejection(candidate.position, f"horaires illisibles : {exc}")
            )
            continue
        accepted.append(candidate)
    return accepted, rejected


def read_files(folder: Path) -> dict[Path, list[dict]]:
    """The records of every structures file of ``folder``, by file."""
    files: dict[Path, list[dict]] = {}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        loaded = _staff_file(path)
        files[path] = [
            r for r in (loaded.get("structures") or []) if isinstance(r, dict)
        ]
    return files


def as_date(value: Any) -> date | None:
    """A date from a YAML value (date or ISO text); None when it is not one."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _merge_sources(first: str, second: str) -> str:
    """Both sources, once each."""
    if second in first:
        return first
    if first in second:
        return second
    return " ; ".join(p for p in (first, second) if p)


def merge(
    candidates: Candidates, structures_dir: Path
) -> tuple[dict[Path, list[dict]], ImportReport]:
    """Apply the candidates to the structure files in memory.

    Returns the files that change (path -> records) and the report.
    """
    report = ImportReport(source="")
    files = read_files(structures_dir)
    by_id: dict[str, tuple[Path, int]] = {}
    by_key: dict[tuple[str, str, str], tuple[Path, int]] = {}
    by_street: dict[tuple[str, str, str], tuple[Path, int]] = {}

    def index_keys(record: dict, where: tuple[Path, int]) -> None:
        place = (record["network"], record["insee"], record["address"])
        by_key.setdefault(address_key(*place), where)
        street = street_key(*place)
        if street is not None:
            by_street.setdefault(street, where)

    for path, records in files.items():
        for index, record in enumerate(records):
            by_id[str(record.get("id"))] = (path, index)
            if all(
                isinstance(record.get(k), str) for k in ("network", "insee", "address")
            ):
                index_keys(record, (path, index))
    touched: set[Path] = set()
    batch: set[tuple[Path, int]] = set()
    same_place: dict[tuple[Path, int], dict[str, None]] = {}
    closed = closed_places(structures_dir.parent / CLOSED_FILE)
    for candidate in candidates.newest_first():
        new = candidate.record
        report.warnings += [f"{candidate.position} : {w}" for w in candidate.warnings]
        gone = closed.get(new["id"]) or closed.get(
            address_key(new["network"], new["insee"], new["address"])
        )
        if gone is not None and gone[0] >= new["verified"]:
            report.kept.append(
                f"{candidate.position} : structure fermée ({gone[1]}), "
                f"constaté le {gone[0]:%d/%m/%Y} : non réimportée"
            )
            continue
        street = street_key(new["network"], new["insee"], new["address"])
        where = (
            by_id.get(new["id"])
            or by_key.get(address_key(new["network"], new["insee"], new["address"]))
            or (by_street.get(street) if street else None)
        )
        if where is None:
            path = structures_dir / f"{new['network']}.yaml"
            records = files.setdefault(path, [])
            records.append(dict(new))
            by_id[new["id"]] = (path, len(records) - 1)
            index_keys(new, by_id[new["id"]])
            report.added.append(Change(new["id"], path.name))
            touched.add(path)
            batch.add((path, len(records) - 1))
            continue
        path, index = where
        old = files[path][index]
        if old.get("id") != new["id"] and new["source"] not in str(old.get("source")):
            report.merged.append(
                f"{candidate.position} ({new['id']}) → {old.get('id')} ({path.name})"
            )
        old_date = as_date(old.get("verified"))
        if old_date is not None and old_date >= new["verified"]:
            if old.get("source") == new["source"] or new["source"] in str(
                old.get("source")
            ):
                report.unchanged += 1
            elif (path, index) in batch:
                # the same place twice in this import: keep both sources (joined once
                # at the end, so that many copies of one place stay linear)
                same_place.setdefault((path, index), {})[new["source"]] = None
            else:
                report.kept.append(
                    f"{old.get('id')} ({path.name}) : "
                    f"vérifié le {old_date:%d/%m/%Y}, plus récent "
                    f"que {candidate.position} du {new['verified']:%d/%m/%Y}"
                )
            continue
        updated = {**old, **{k: v for k, v in new.items() if k != "id"}}
        updated["source"] = _merge_sources(new["source"], str(old.get("source") or ""))
        updated["id"] = old["id"]
        if "note" not in new:  # the old note described the older data
            updated.pop("note", None)
        _keep_better_position(old, new, updated)
        diff = {
            k: (old.get(k), updated.get(k))
            for k in dict.fromkeys([*old, *updated])
            if old.get(k) != updated.get(k)
        }
        files[path][index] = {k: updated[k] for k in _ordered_keys(updated)}
        report.changed.append(Change(str(old["id"]), path.name, diff))
        touched.add(path)
        batch.add((path, index))
    for (path, index), sources in same_place.items():
        record = files[path][index]
        record["source"] = _with_sources(str(record["source"]), list(sources))
        if len(sources) > MAX_SOURCES_NAMED:
            report.warnings.append(
                f"{record['id']} ({path.name}) : {len(sources) + 1} fiches de cet "
                "import décrivent le même lieu ; vérifiez la source"
            )
    return {path: files[path] for path in touched}, report


def _with_sources(first: str, others: list[str]) -> str:
    """``first`` and the other sources once each, then a count past the tenth."""
    new = [s for s in others if s not in first]
    text = " ; ".join([p for p in (first, *new[:MAX_SOURCES_NAMED]) if p])
    left = len(new) - MAX_SOURCES_NAMED
    if left > 0:
        text += f" ; et {left} autre(s) fiche(s) de la même source pour ce lieu"
    return text


def _keep_better_position(old: dict, new: dict, updated: dict) -> None:
    """A commune's point never replaces an address's own coordinates.

    ``location: commune`` means the position is the commune's (a source without
    coordinates); it goes when the newer source gives the address's coordinates.
    """
    if new.get("location") != "commune":
        updated.pop("location", None)
    elif old.get("location") != "commune" and "latitude" in old:
        updated.update(latitude=old["latitude"], longitude=old["longitude"])
        updated.pop("location", None)


_ORDER = (
    "id",
    "network",
    "name",
    "address",
    "postcode",
    "commune",
    "insee",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "hours",
    "accessibility",
    "publics",
    "area_served",
    "source",
    "verified",
    "verified_by",
    "note",
    "location",
)


def _ordered_keys(record: dict) -> list[str]:
    return [k for k in _ORDER if k in record] + [k for k in record if k not in _ORDER]


def dump_structures(records: list[dict], network: str) -> str:
    """A structures file as staff read it: header, one block per record."""
    text = yaml.dump(
        {"structures": records},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=400,
        default_flow_style=False,
    )
    return HEADER.format(network=network) + text


def apply(
    parsed: Parsed,
    knowledge_dir: Path,
    gazetteer: Gazetteer,
    source: str,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Validate, merge, check the resulting files and (unless ``dry_run``) write."""
    accepted, rejected = validate(parsed, gazetteer, today or date.today())
    parsed.candidates.close()
    structures_dir = knowledge_dir / "structures"
    changed_files, report = merge(accepted, structures_dir)
    accepted.close()
    report.source, report.read, report.ignored = (
        source,
        parsed.total,
        dict(parsed.ignored),
    )
    report.rejected = rejected
    if not changed_files:
        return report
    report.problems, report.written = write_checked(
        knowledge_dir, gazetteer, changed_files, dry_run
    )
    return report


def write_checked(
    knowledge_dir: Path,
    gazetteer: Gazetteer,
    changed_files: dict[Path, list[dict]],
    dry_run: bool = False,
) -> tuple[list[Problem], list[str]]:
    """Write the structure files only if the whole knowledge then passes the check.

    Returns the problems (nothing written) or the files written. Every file is staged
    first, then swapped in, so that a failure leaves the previous files in place.
    """
    with tempfile.TemporaryDirectory(prefix="spro-import-") as tmp:
        preview = Path(tmp) / knowledge_dir.name
        shutil.copytree(knowledge_dir, preview, ignore=shutil.ignore_patterns("places"))
        if (knowledge_dir / "places").exists():
            (preview / "places").symlink_to(
                (knowledge_dir / "places").resolve(), target_is_directory=True
            )
        for path in changed_files:
            (
                preview / "structures" / path.name
            ).touch()  # a new file must be found by the check
        check = check_directory(
            preview,
            gazetteer,
            preloaded={
                preview / "structures" / path.name: records
                for path, records in changed_files.items()
            },
        )
    if check.errors:
        return list(check.errors), []
    if dry_run:
        return [], []
    staged = {}
    for path, records in changed_files.items():
        staged[path] = path.with_suffix(path.suffix + ".tmp")
        staged[path].write_text(
            dump_structures(records, re.sub(r"\.ya?ml$", "", path.name)),
            encoding="utf-8",
        )
    written = []
    for path, temporary in staged.items():
        temporary.replace(path)
        written.append(str(path))
    return [], written


def format_report(report: ImportReport, dry_run: bool = False, limit: int = 20) -> str:
    """The report as French text for the terminal."""
    lines = [
        f"Import « {report.source} »"
        + (" (essai à blanc : rien n'est écrit)" if dry_run else ""),
        f"Enregistrements lus : {report.read}",
        f"Ajoutés : {len(report.added)} ; modifiés : {len(report.changed)} ; "
        f"identiques : {report.unchanged} ; "
        f"gardés (plus récents) : {len(report.kept)} ; "
        f"fusionnés (même lieu) : {len(report.merged)} ; "
        f"refusés : {len(report.rejected)} ; "
        f"hors SPRO : {sum(report.ignored.values())}",
    ]
    for title, items in (
        ("Ajoutés", [f"{c.id} → {c.file}" for c in report.added]),
        (
            "Modifiés",
            [
                f"{c.id} ({c.file}) : "
                + ", ".join(f"{k} « {o} » → « {n} »" for k, (o, n) in c.fields.items())
                for c in report.changed
            ],
        ),
        ("Gardés", report.kept),
        ("Fusionnés avec une fiche existante (même lieu)", report.merged),
        ("Refusés", [str(r) for r in report.rejected]),
        ("Avertissements", report.warnings),
    ):
        if items:
            lines.append(f"{title} :")
            lines += [f"  - {item}" for item in items[:limit]]
            if len(items) > limit:
                lines.append(
                    f"  … et {len(items) - limit} autre(s) "
                    "(option --report pour la liste complète)"
                )
    if report.ignored:
        lines.append(
            "Hors SPRO (non importés) : "
            + ", ".join(f"{k} ({v})" for k, v in sorted(report.ignored.items()))
        )
    if report.problems:
        lines.append(
            "Import annulé : les fichiers obtenus ne passent pas la vérification ; "
            "rien n'a été écrit :"
        )
        lines += [f"  {p}" for p in report.problems[:limit]]
    elif report.written:
        lines.append("Fichiers écrits : " + ", ".join(report.written))
        lines.append(
            "Vérifiez puis chargez : python -m bot check && python -m bot load"
        )
    return "\n".join(lines)
