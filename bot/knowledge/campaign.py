"""Verification campaign: staff confirm, correct or close the records, season by season.

As directory services run them (Soliguide asks every structure to confirm its details
each season), ``python -m bot campaign export`` writes, per département, the records
whose data is older than ``config.knowledge_max_age_months()``, oldest first, as a CSV
to fill and a printable HTML checklist (name, address, phone, site, source, date, what
is missing). Staff fill the ``statut`` column (confirmé / modifié / fermé) and their
``initiales``, correct the values in place for « modifié », and ``python -m bot campaign
import`` applies the file:

- confirmé: ``verified`` becomes the check's date, ``verified_by`` the initials;
- modifié: the corrected values (name, address, postcode, phone, e-mail, site), then as
  confirmé;
- fermé: the record leaves ``structures/`` and is written, with who and when, to
  ``closed_structures.yaml`` (the trace);
- empty ``statut``: not checked yet, left as it is.

Every row is checked first; one bad row (French message with its line) and nothing is
applied. The files are written only if the whole knowledge then passes the check.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.checks import EMAIL, PHONE, Problem, format_phone, normalize_phone
from bot.knowledge.freshness import is_stale
from bot.knowledge.importers.base import ImportInputError, decode
from bot.knowledge.importers.merge import (
    CLOSED_FILE,
    as_date,
    read_files,
    write_checked,
)
from bot.places import Gazetteer

STATUSES = ("confirmé", "modifié", "fermé")
# CSV column -> record key, for the values staff may correct.
EDITABLE = {
    "nom": "name",
    "adresse": "address",
    "code_postal": "postcode",
    "telephone": "phone",
    "email": "email",
    "site": "website",
}
COLUMNS = (
    "statut",
    "initiales",
    "id",
    "departement",
    "reseau",
    *EDITABLE,
    "commune",
    "source",
    "verifiee_le",
    "manque",
)
_INITIALS = re.compile(r"^[A-Za-zÀ-ÿ]{2,4}$")
_POSTCODE = re.compile(r"^\d{5}$")
_WEBSITE = re.compile(r"^https?://[^\s]+\.[^\s]+$")


def missing(record: dict[str, Any]) -> list[str]:
    """What the record lacks, in French words."""
    gaps = [
        label
        for key, label in (
            ("phone", "téléphone"),
            ("email", "e-mail"),
            ("website", "site"),
            ("hours", "horaires"),
        )
        if not record.get(key)
    ]
    if record.get("location") == "commune":
        gaps.append("position exacte")
    return gaps


def to_confirm(
    knowledge_dir: Path,
    today: date,
    departements: list[str] | None = None,
    max_age_months: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Per département, the records to confirm, oldest first."""
    limit = (
        config.knowledge_max_age_months() if max_age_months is None else max_age_months
    )
    per_dep: dict[str, list[dict[str, Any]]] = {}
    for records in read_files(knowledge_dir / "structures").values():
        for record in records:
            insee = str(record.get("insee") or "")
            dep = insee[:3] if insee.startswith("97") else insee[:2]
            if departements and dep not in departements:
                continue
            if is_stale(as_date(record.get("verified")), today, limit):
                per_dep.setdefault(dep, []).append(record)
    for records in per_dep.values():
        records.sort(
            key=lambda r: (str(r.get("verified")), str(r.get("network")), str(r["id"]))
        )
    return dict(sorted(per_dep.items()))


def _row(dep: str, record: dict[str, Any]) -> dict[str, str]:
    row = {"statut": "", "initiales": "", "id": str(record["id"]), "departement": dep}
    row["reseau"] = str(record.get("network") or "")
    row.update({column: str(record.get(key) or "") for column, key in EDITABLE.items()})
    row["commune"] = str(record.get("commune") or record.get("insee") or "")
    row["source"] = str(record.get("source") or "")
    row["verifiee_le"] = str(record.get("verified") or "")
    row["manque"] = ", ".join(missing(record))
    return row


def export(
    knowledge_dir: Path,
    out_dir: Path,
    today: date,
    departements: list[str] | None = None,
) -> dict[str, int]:
    """Write ``campagne-<dép>.csv`` and ``.html`` per département; records per dép."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for dep, records in to_confirm(knowledge_dir, today, departements).items():
        rows = [_row(dep, r) for r in records]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        # BOM: spreadsheet software then reads the accents right
        (out_dir / f"campagne-{dep}.csv").write_text(
            "\ufeff" + buffer.getvalue(), encoding="utf-8"
        )
        (out_dir / f"campagne-{dep}.html").write_text(
            checklist_html(dep, rows, today), encoding="utf-8"
        )
        counts[dep] = len(rows)
    return counts


def checklist_html(dep: str, rows: list[dict[str, str]], today: date) -> str:
    """A printable checklist: one block per record, boxes to tick, room to correct."""
    esc = html.escape
    items = []
    for row in rows:
        site = row["site"] or "—"
        items.append(
            f"""<li class="fiche">
<h2>{esc(row["nom"])} <small>({esc(row["reseau"])}, {esc(row["id"])})</small></h2>
<dl>
<dt>Adresse</dt><dd>{esc(row["adresse"])}, {esc(row["code_postal"])} \
{esc(row["commune"])}</dd>
<dt>Téléphone</dt><dd>{esc(row["telephone"]) or "—"}</dd>
<dt>Site</dt><dd>{esc(site)}</dd>
<dt>Source</dt><dd>{esc(row["source"])}</dd>
<dt>Date des données</dt><dd>{esc(row["verifiee_le"])}</dd>
<dt>Manque</dt><dd>{esc(row["manque"]) or "rien"}</dd>
</dl>
<p class="cases">☐ confirmé &nbsp; ☐ modifié &nbsp; ☐ fermé &nbsp;&nbsp;
Initiales : ______</p>
<p class="corrections">Corrections : ____________________________________________</p>
</li>"""
        )
    body = "\n".join(items)
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Campagne de vérification - département {esc(dep)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5rem; color: #1e1e1e; }}
ol {{ padding-left: 1.25rem; }}
.fiche {{ border: 1px solid #555; padding: .5rem .75rem; margin-bottom: .75rem;
  break-inside: avoid; }}
h2 {{ font-size: 1.05rem; margin: 0 0 .25rem; }}
dl {{ display: grid; grid-template-columns: 9rem 1fr; margin: 0; gap: .1rem .5rem; }}
dt {{ font-weight: 700; }} dd {{ margin: 0; }}
</style>
</head>
<body>
<h1>Campagne de vérification - département {esc(dep)}</h1>
<p>Éditée le {today:%d/%m/%Y} : {len(rows)} fiche(s) à confirmer, les plus anciennes
d'abord. Appelez la structure, cochez une case, notez vos initiales et les corrections,
puis reportez-les dans <code>campagne-{esc(dep)}.csv</code> (colonne « statut » :
confirmé, modifié ou fermé) et importez-le : <code>python -m bot campaign import
campagne-{esc(dep)}.csv</code>.</p>
<ol>
{body}
</ol>
</body>
</html>
"""


@dataclass
class CampaignResult:
    """What an import applied (or the errors, when nothing was)."""

    confirmed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file was applied."""
        return not (self.errors or self.problems)


def _rows(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    absent = [c for c in ("statut", "initiales", "id", *EDITABLE) if c not in header]
    if absent:
        raise ImportInputError(
            f"colonne(s) absente(s) ligne 1 : {', '.join(absent)} ; utilisez le "
            "fichier écrit par « python -m bot campaign export »"
        )
    rows, errors = [], []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                f"ligne {reader.line_num} : {len(values)} colonnes au lieu de "
                f"{len(header)} (un « ; » en trop ou manquant ?)"
            )
            continue
        rows.append((reader.line_num, {h: v.strip() for h, v in zip(header, values)}))
    return rows, errors


def _new_values(row: dict[str, str], record: dict[str, Any]) -> tuple[dict, list[str]]:
    """The corrected values of a « modifié » row, and what is wrong with them."""
    values: dict[str, Any] = {}
    wrong = []
    for column, key in EDITABLE.items():
        value = row[column]
        if value == str(record.get(key) or ""):
            continue
        if key in ("name", "address", "postcode") and not value:
            wrong.append(f"« {column} » ne peut pas être vide")
        elif key == "postcode" and not _POSTCODE.match(value):
            wrong.append(f"code postal « {value} » invalide (5 chiffres)")
        elif key == "phone" and value and not PHONE.match(normalize_phone(value)):
            wrong.append(f"téléphone « {value} » illisible (ex. 02 47 00 00 00)")
        elif key == "email" and value and not EMAIL.match(value):
            wrong.append(f"e-mail « {value} » invalide")
        elif key == "website" and value and not _WEBSITE.match(value):
            wrong.append(f"site « {value} » invalide (adresse complète https://…)")
        else:
            values[key] = (
                format_phone(normalize_phone(value)) if key == "phone" else value
            )
    if not values and not wrong:
        wrong.append(
            "statut « modifié » mais aucune valeur n'a changé (ou « confirmé » ?)"
        )
    return values, wrong


def import_checked(
    knowledge_dir: Path,
    data: bytes,
    gazetteer: Gazetteer,
    checked_on: date,
    dry_run: bool = False,
) -> CampaignResult:
    """Apply a filled campaign file, all or nothing (see module docstring)."""
    result = CampaignResult()
    rows, result.errors = _rows(data)
    files = read_files(knowledge_dir / "structures")
    where = {
        str(r.get("id")): (path, r) for path, records in files.items() for r in records
    }
    plan = []
    for line, row in rows:
        status = row["statut"].lower()
        if not status:
            result.skipped += 1
            continue
        problems = []
        if status not in STATUSES:
            problems.append(
                f"statut « {row['statut']} » inconnu (confirmé, modifié ou fermé)"
            )
        if not _INITIALS.match(row["initiales"]):
            problems.append("initiales manquantes ou invalides (2 à 4 lettres, ex. AB)")
        found = where.get(row["id"])
        if found is None:
            problems.append(f"fiche « {row['id']} » introuvable dans structures/")
        values: dict = {}
        if found is not None and status == "modifié":
            values, wrong = _new_values(row, found[1])
            problems += wrong
        if problems:
            result.errors.append(f"ligne {line} : " + " ; ".join(problems))
            continue
        if found is not None:
            plan.append((status, row["initiales"].upper(), found, values))
    if result.errors:
        return result
    touched: set[Path] = set()
    closed = []
    for status, initials, (path, record), values in plan:
        touched.add(path)
        if status == "fermé":
            files[path] = [r for r in files[path] if r is not record]
            closed.append(
                {
                    **{k: record.get(k) for k in ("id", "network", "name", "address")},
                    "postcode": record.get("postcode"),
                    "insee": record.get("insee"),
                    "source": record.get("source"),
                    "closed_on": checked_on,
                    "closed_by": initials,
                }
            )
            result.closed.append(str(record["id"]))
            continue
        record.update(values)
        if str(record.get("note", "")).startswith("Données de "):
            record.pop("note")  # the importer's note on the old data no longer holds
        record["verified"] = checked_on
        record["verified_by"] = initials
        (result.changed if values else result.confirmed).append(str(record["id"]))
    changed_files = {path: files[path] for path in touched}
    result.problems, result.written = write_checked(
        knowledge_dir, gazetteer, changed_files, dry_run
    )
    if closed and result.ok and not dry_run:
        _append_closed(knowledge_dir / CLOSED_FILE, closed)
        result.written.append(str(knowledge_dir / CLOSED_FILE))
    return result


def _append_closed(path: Path, closed: list[dict[str, Any]]) -> None:
    """Add the closed records to the trace file (staff read it, the bot does not)."""
    previous: list[dict[str, Any]] = []
    if path.exists():
        previous = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(
            "closed"
        ) or []
    text = yaml.safe_dump(
        {"closed": previous + closed}, allow_unicode=True, sort_keys=False, width=400
    )
    path.write_text(
        "# Structures fermées, retirées de structures/ par une campagne de "
        "vérification (python -m bot campaign import) : qui, quand, d'où venait la "
        "fiche.\n" + text,
        encoding="utf-8",
    )


def format_result(result: CampaignResult) -> str:
    """The result in French for the terminal."""
    if result.errors:
        return "\n".join(
            ["Campagne non appliquée : rien n'a changé. Corrigez ces lignes :"]
            + [f"  {e}" for e in result.errors]
        )
    if result.problems:
        return "\n".join(
            [
                "Campagne non appliquée : les fichiers obtenus ne passent pas la "
                "vérification ; rien n'a changé :"
            ]
            + [f"  {p}" for p in result.problems]
        )
    lines = [
        f"Confirmées : {len(result.confirmed)} ; modifiées : {len(result.changed)} ; "
        f"fermées : {len(result.closed)} ; non traitées : {result.skipped}"
    ]
    if result.written:
        lines.append("Fichiers écrits : " + ", ".join(result.written))
        lines.append("Chargez : python -m bot load")
    return "\n".join(lines)
