"""What every directory importer shares: reading input, cleaning values, errors.

An importer turns one source file (or API answer) into ``Candidate`` records written in
the knowledge files' own notation (``knowledge/schema/structures.schema.json``), or into
``Rejection``s that say, in French, which record was refused and why. Input that cannot
be read at all (wrong encoding, truncated JSON, a CSV without the expected columns)
raises ``ImportInputError``: nothing is imported then. Hostile input (nesting too deep,
huge or control-character fields, non-finite numbers) is refused by the shared guards of
``bot.knowledge.safe_input``, with its line. A large JSON export is read record by
record (``stream_json_records``) and the candidates are kept in bounded memory
(``bot.knowledge.importers.spool``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, NoReturn
from urllib.parse import urlparse
from urllib.request import urlopen

from bot.knowledge.checks import EMAIL, PHONE, format_phone, normalize_phone
from bot.knowledge.importers.spool import Candidate as Candidate
from bot.knowledge.importers.spool import Candidates
from bot.knowledge.safe_input import (
    MAX_DEPTH,
    MAX_FIELD_CHARS,
    UnsafeInput,
    control_character,
    json_depth_line,
    parse_json,
)
from bot.places import Commune, Gazetteer

URL_TIMEOUT_SECONDS = 60
_CEDEX = re.compile(r"\s+cedex(?:\s+\d+)?\s*$", re.IGNORECASE)


class ImportInputError(ValueError):
    """The input cannot be read at all; the message is French and says where."""


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

    candidates: Candidates = field(default_factory=Candidates)
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
        self, items: Iterable[tuple[int | None, Any]], label: str, not_object: str
    ) -> Iterator[tuple[str, int | None, dict[str, Any]]]:
        """Count ``items`` (line or None, item); yield (position, line, object).

        Positions read "``label`` n° 1", "``label`` n° 2"…; ``not_object`` is the
        reason given for an item that is not a JSON object (rejected, with its line).
        """
        for number, (line, item) in enumerate(items, 1):
            self.total += 1
            position = f"{label} n° {number}"
            if isinstance(item, dict):
                yield position, line, item
            else:
                self.reject(where(position, line, ""), not_object)


def where(position: str, line: int | None, record_id: str) -> str:
    """« enregistrement n° 4 (ligne 30, id « x ») »: where a record is."""
    known = ([f"ligne {line}"] if line else []) + (
        [f"id « {record_id} »"] if record_id else []
    )
    return position + (f" ({', '.join(known)})" if known else "")


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


READ_CHUNK_BYTES = 1 << 20
# A value (a record) longer than this is not read on in search of its end.
MAX_VALUE_CHARS = 16 << 20
_SPACE = re.compile(r"\s*")


class _JsonStream:
    """JSON text read from a binary stream chunk by chunk, with its line numbers."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""  # what is read and not consumed yet
        self.pos = 0
        self.line = 1  # line of text[0]
        self.bytes_read = 0
        self.byte_lines = 0  # line ends in the bytes read
        self.ended = False

    def more(self) -> bool:
        """Read the next chunk; False at the end of the stream."""
        if self.ended:
            return False
        data = self.stream.read(READ_CHUNK_BYTES)
        pending = self.decoder.getstate()[0]  # the start of a character cut by a chunk
        try:
            decoded = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            line = self.byte_lines + (pending + data)[: exc.start].count(b"\n") + 1
            raise ImportInputError(
                f"le fichier n'est pas en UTF-8 (ligne {line}, octet "
                f"{self.bytes_read - len(pending) + exc.start}) : réenregistrez-le en "
                "UTF-8 ou téléchargez à nouveau l'export officiel"
            ) from exc
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        self.bytes_read += len(data)
        self.byte_lines += data.count(b"\n")
        self.ended = not data
        return True

    def advance(self, to: int) -> None:
        """Consume ``text`` up to ``to``."""
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def peek(self) -> str:
        """The next character that is not a space ("" at the end)."""
        while True:
            self.advance(_SPACE.match(self.text, self.pos).end())  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        """Consume ``char`` (after spaces) or refuse the file."""
        if self.peek() != char:
            self.fail(f"« {char} » attendu")
        self.advance(self.pos + 1)

    def value(self, depth_limit: int = MAX_DEPTH) -> Any:
        """The next JSON value, nested at most ``depth_limit`` deep, parsed."""
        self.peek()
        while True:
            try:
                found, end = _DECODER.raw_decode(self.text, self.pos)
            except RecursionError:
                self._too_deep(1)
            except json.JSONDecodeError as exc:
                # maybe cut by the chunk: read on, up to a size no record reaches
                if len(self.text) - self.pos < MAX_VALUE_CHARS and self.more():
                    continue
                self.advance(min(exc.pos, len(self.text)))
                self.fail("")
            if end == len(self.text) and self.more():
                continue  # a number or word may go on in the next chunk
            line = json_depth_line(self.text[self.pos : end], depth_limit)
            if line is not None:
                self._too_deep(line)
            self.advance(end)
            return found

    def _too_deep(self, line: int) -> NoReturn:
        raise UnsafeInput(
            self.line + line - 1,
            f"données JSON imbriquées sur plus de {MAX_DEPTH} niveaux",
            "ce n'est pas un export officiel : téléchargez-le à nouveau",
        )

    def fail(self, what: str) -> NoReturn:
        """Refuse the file where the stream stands (line and column, in French)."""
        column = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        end = self.text.rstrip()
        truncated = self.ended and (
            not end.endswith(("}", "]")) or self.pos >= len(end) - 1
        )
        hint = "le fichier semble tronqué" if truncated else "le fichier est abîmé"
        detail = f", {what}" if what else ""
        raise ImportInputError(
            f"JSON illisible ligne {self.line}, colonne {column} ({hint}{detail}) : "
            "téléchargez à nouveau l'export complet"
        )


_DECODER = json.JSONDecoder()


def stream_json_records(
    stream: BinaryIO, keys: tuple[str, ...], no_list: str
) -> Iterator[tuple[int, Any]]:
    """(line, item) of the list under one of ``keys`` (or of a top-level list).

    The file is read chunk by chunk: memory holds one item at a time, not the whole
    document. Depth and syntax are checked as ``load_json`` does (French errors with the
    line); ``ImportInputError(no_list)`` when there is no such list.
    """
    reader = _JsonStream(stream)
    try:
        first = reader.peek()
        if first == "[":
            yield from _array_items(reader, MAX_DEPTH - 1)
        elif first == "{":
            yield from _object_list(reader, keys, no_list)
        else:
            reader.value()  # a scalar, or a syntax error with its line
            raise ImportInputError(no_list)
        if reader.peek():
            reader.fail("contenu après la fin des données")
    except UnsafeInput as exc:
        raise ImportInputError(str(exc)) from exc


def _object_list(
    reader: _JsonStream, keys: tuple[str, ...], no_list: str
) -> Iterator[tuple[int, Any]]:
    reader.expect("{")
    found = False
    while reader.peek() != "}":
        key = reader.value()
        reader.expect(":")
        if key in keys and not found and reader.peek() == "[":
            found = True
            yield from _array_items(reader, MAX_DEPTH - 2)
        else:
            reader.value(MAX_DEPTH - 1)
        if reader.peek() != ",":
            break
        reader.expect(",")
    reader.expect("}")
    if not found:
        raise ImportInputError(no_list)


def _array_items(reader: _JsonStream, depth_limit: int) -> Iterator[tuple[int, Any]]:
    reader.expect("[")
    if reader.peek() == "]":
        reader.expect("]")
        return
    while True:
        reader.peek()
        line = reader.line
        yield line, reader.value(depth_limit)
        if reader.peek() != ",":
            break
        reader.expect(",")
    reader.expect("]")


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
