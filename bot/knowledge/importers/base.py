"""What every directory importer shares: reading input, cleaning values, errors.

An importer turns one source file (or API answer) into ``Candidate`` records written in
the knowledge files' own notation (``knowledge/schema/structures.schema.json``), or into
``Rejection``s that say, in French, which record was refused and why. Input that cannot
be read at all (wrong encoding, truncated JSON, a CSV without the expected columns)
raises ``ImportInputError``: nothing is imported then. Hostile input (nesting too deep,
huge or control-character fields, non-finite numbers) is refused by the shared guards of
``bot.knowledge.safe_input``, with its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlparse
from urllib.request import urlopen

from bot.knowledge.checks import EMAIL, PHONE, format_phone, normalize_phone
from bot.knowledge.safe_input import (
    MAX_FIELD_CHARS,
    UnsafeInput,
    control_character,
    parse_json,
)
from bot.places import Commune, Gazetteer

URL_TIMEOUT_SECONDS = 60
_CEDEX = re.compile(r"\s+cedex(?:\s+\d+)?\s*$", re.IGNORECASE)


class ImportInputError(ValueError):
    """The input cannot be read at all; the message is French and says where."""


@dataclass(frozen=True)
class Candidate:
    """One record ready to merge, in the knowledge files' notation.

    ``position`` says where it came from in the input.
    """

    position: str
    record: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    """A record refused, with its position in the input and the reason, in French."""

    position: str
    reason: str

    def __str__(self) -> str:
        """The position, then the reason."""
        return f"{self.position} : {self.reason}"


@dataclass
class Parsed:
    """What an importer read: candidates, rejections, records left aside (not SPRO)."""

    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def ignore(self, kind: str) -> None:
        """Count one record of a kind the SPRO does not use."""
        self.ignored[kind] = self.ignored.get(kind, 0) + 1

    def reject(self, position: str, reason: str) -> None:
        """Refuse the record at ``position`` for ``reason`` (French)."""
        self.rejections.append(Rejection(position, reason))

    def objects(
        self, items: Iterable[Any], label: str, not_object: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Count ``items``; yield each object with its position, reject the others.

        Positions read "``label`` n° 1", "``label`` n° 2"…; ``not_object`` is the
        reason given for an item that is not a JSON object.
        """
        for number, item in enumerate(items, 1):
            self.total += 1
            position = f"{label} n° {number}"
            if isinstance(item, dict):
                yield position, item
            else:
                self.reject(position, not_object)


def read_bytes(location: str | Path) -> bytes:
    """The content of a local file or of an http(s) URL."""
    text = str(location)
    if urlparse(text).scheme in ("http", "https"):
        with urlopen(text, timeout=URL_TIMEOUT_SECONDS) as response:
            return response.read()
    path = Path(text)
    if not path.exists():
        raise ImportInputError(f"fichier introuvable : {path}")
    return path.read_bytes()


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is accepted); ImportInputError in French otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportInputError(
            f"le fichier n'est pas en UTF-8 (ligne {line}, octet {exc.start}) : "
            "réenregistrez-le en UTF-8 ou téléchargez à nouveau l'export officiel"
        ) from exc


def load_json(data: bytes) -> Any:
    """Parsed JSON; a truncated or damaged file gives its line and column in French."""
    text = decode(data)
    try:
        return parse_json(text)
    except UnsafeInput as exc:
        raise ImportInputError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        truncated = (
            not text.rstrip().endswith(("}", "]")) or exc.pos >= len(text.rstrip()) - 1
        )
        hint = "le fichier semble tronqué" if truncated else "le fichier est abîmé"
        raise ImportInputError(
            f"JSON illisible ligne {exc.lineno}, colonne {exc.colno} ({hint}) : "
            "téléchargez à nouveau l'export complet"
        ) from exc


def read_csv(
    data: bytes, required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Rows of a CSV (``;`` or ``,``).

    Each is (line, row with lower-case keys) or (line, problem in French).
    """
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    except StopIteration:
        raise ImportInputError("le fichier est vide") from None
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportInputError(
            f"colonne(s) absente(s) ligne 1 : {', '.join(missing)} ; "
            "vérifiez qu'il s'agit "
            "bien de l'export officiel (séparateur « ; », en-têtes d'origine)"
        )
    for line, values in _csv_rows(reader):
        if not any(v.strip() for v in values):
            continue
        problem = _field_problem(header, values)
        if problem:
            yield line, problem
            continue
        if len(values) != len(header):
            yield (
                line,
                (
                    f"{len(values)} colonnes au lieu de {len(header)} "
                    "(colonnes décalées : un « ; » "
                    "en trop ou manquant dans une valeur ?)"
                ),
            )
            continue
        yield line, dict(zip(header, values))


def _csv_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line, values) of each row; a row the csv module cannot cut: French error."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportInputError(
                f"ligne {reader.line_num} : une valeur dépasse ce qu'un export "
                f"officiel contient ({exc.__class__.__name__}) ; vérifiez les "
                "guillemets de cette ligne ou téléchargez à nouveau l'export"
            ) from exc
        yield reader.line_num, values


def _field_problem(header: list[str], values: list[str]) -> str | None:
    """Why a CSV row is refused (a huge field, a control character), or None."""
    for name, value in zip(header + [""] * len(values), values):
        column = f"« {name} »" if name else "une colonne en trop"
        if len(value) > MAX_FIELD_CHARS:
            size, limit = (
                f"{n:,}".replace(",", " ") for n in (len(value), MAX_FIELD_CHARS)
            )
            return f"valeur de {size} caractères dans {column} (au plus {limit})"
        control = control_character(value)
        if control:
            return f"caractère de contrôle invisible ({control}) dans {column}"
    return None


def text_of(value: Any) -> str:
    """A value as stripped text ("" for None)."""
    return "" if value is None else " ".join(str(value).split())


def joined_texts(
    row: dict[str, Any], keys: Iterable[str], separator: str = ", "
) -> str:
    """The non-empty texts of ``row[key]`` for ``keys``, joined by ``separator``."""
    return separator.join(t for t in (text_of(row.get(k)) for k in keys) if t)


def parse_day(value: Any) -> date | None:
    """A date from "2024-03-06", "2024-03-06T10:00:00+00:00" or "06/03/2024 13:49:59".

    None when it cannot be read.
    """
    text = text_of(value)
    for pattern, size in (("%Y-%m-%d", 10), ("%d/%m/%Y", 10)):
        try:
            return datetime.strptime(text[:size], pattern).date()
        except ValueError:
            continue
    return None


def clean_phone(value: Any, warnings: list[str]) -> str:
    """A French phone number for display, or "" (with a warning) if it is not one."""
    text = text_of(value)
    if not text:
        return ""
    digits = normalize_phone(text)
    if PHONE.match(digits):
        return format_phone(digits)
    warnings.append(f"téléphone « {text} » illisible, non repris")
    return ""


def clean_email(value: Any, warnings: list[str]) -> str:
    """The e-mail, or "" (with a warning) when it is not one."""
    text = text_of(value)
    if text and not EMAIL.match(text):
        warnings.append(f"e-mail « {text} » invalide, non repris")
        return ""
    return text


def clean_website(value: Any, warnings: list[str]) -> str:
    """A full https:// address ("www." gets it), or "" with a warning."""
    text = text_of(value)
    if not text:
        return ""
    if text.startswith("www."):
        text = "https://" + text
    if not re.match(r"^https?://[^\s]+\.[^\s]+$", text):
        warnings.append(f"site « {text} » invalide, non repris")
        return ""
    return text


def coordinate(value: Any) -> float | None:
    """A float from 47.39 or "47,39"; None when absent, unreadable or not finite."""
    text = text_of(value).replace(",", ".")
    try:
        number = float(text) if text else None
    except ValueError:
        return None
    return round(number, 6) if number is not None and math.isfinite(number) else None


def find_commune(
    gazetteer: Gazetteer, insee: str, postcode: str, name: str
) -> Commune | None:
    """The commune by INSEE code, else by postcode and name (CEDEX is ignored)."""
    found = gazetteer.commune(insee) if insee else None
    if found is not None:
        return found
    name = _CEDEX.sub("", name)
    found = gazetteer.resolve(f"{postcode} {name}".strip()).commune
    if (
        found is None and name and postcode
    ):  # a CEDEX or company postcode: the name in its département
        same = [
            c
            for c in gazetteer.resolve(name).communes
            if postcode.startswith(c.departement_code[:2])
        ]
        found = same[0] if len(same) == 1 else None
    return found


def build_record(
    *,
    record_id: str,
    network: str,
    name: str,
    address: str,
    postcode: str,
    commune: Commune,
    latitude: float | None,
    longitude: float | None,
    phone: str = "",
    email: str = "",
    website: str = "",
    hours: Any = None,
    accessibility: str = "",
    area_served: dict | None = None,
    source: str,
    verified: date,
    note: str = "",
) -> dict[str, Any]:
    """A structure record in the files' key order, without empty optional values."""
    record: dict[str, Any] = {
        "id": record_id,
        "network": network,
        "name": name,
        "address": address,
        "postcode": postcode,
        "commune": commune.name,
        "insee": commune.insee,
    }
    if latitude is not None and longitude is not None:
        record.update(latitude=latitude, longitude=longitude)
    optional = (
        ("phone", phone),
        ("email", email),
        ("website", website),
        ("hours", hours),
        ("accessibility", accessibility),
        ("area_served", area_served),
    )
    record.update({key: value for key, value in optional if value})
    record.update(source=source, verified=verified)
    if note:
        record["note"] = note
    return record
