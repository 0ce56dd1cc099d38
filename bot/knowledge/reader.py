"""Read one knowledge file into records, collecting every problem in French.

``RecordReader`` parses a YAML file (or records given in memory), checks it against its
JSON Schema and keeps the valid records with their line; it also checks the values every
record type shares (dates, phone numbers). ``bot.knowledge.structure_checks`` and
``bot.knowledge.files`` build the per-record-type checks on it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from bot.knowledge.checks import (
    ERROR,
    PHONE,
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
)
from bot.knowledge.safe_input import UnsafeFile, UnsafeInput
from bot.places import Gazetteer


class RecordReader:
    """Reads the knowledge files and collects their problems in ``result``."""

    def __init__(self, folder: Path, gazetteer: Gazetteer, today: date):
        """The knowledge folder, the gazetteer to check places against, today."""
        self.folder, self.gazetteer, self.today = folder, gazetteer, today
        self.result = CheckResult()
        self.preloaded: dict[Path, list[dict]] = {}

    def rel(self, path: Path) -> str:
        """``path`` as staff read it: relative to the knowledge folder's parent."""
        try:
            return str(path.relative_to(self.folder.parent))
        except ValueError:
            return str(path)

    def add(
        self, path: Path, line: int, message: str, fix: str, severity: str = ERROR
    ) -> None:
        """Record a problem (an error unless ``severity`` says otherwise)."""
        self.result.problems.append(
            Problem(self.rel(path), line, message, fix, severity)
        )

    def read(self, path: Path, schema: str, key: str) -> list[tuple[int, Node, dict]]:
        """Parse and schema-check one file.

        Return (line, YAML node, plain record) of valid records. The records a schema
        error leaves incomplete are kept, without their wrong fields, in
        ``self.incomplete`` (until the next read) so that their other fields are
        checked in the same run. When the file cannot be read as a whole (syntax,
        refused content), each record of its list is read on its own: every record's
        problems are reported at once and the good records are still checked.
        """
        self.result.files.append(path)
        self.incomplete: list[tuple[int, Node, dict]] = []
        if path in self.preloaded:
            return self.read_preloaded(path, schema, key)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.add(
                path, 1, "le fichier n'est pas en UTF-8", "enregistrez-le en UTF-8"
            )
            return []
        try:
            loaded, root = parse_yaml(text)
        except UnsafeFile as exc:
            return self._read_records_apart(path, schema, key, text, exc.problems)
        if root is None:
            self.add(
                path,
                1,
                "le fichier est vide",
                f"commencez par « {key}: » suivi de la liste",
            )
            return []
        return self._checked(path, schema, key, loaded, root)

    def _checked(
        self, path: Path, schema: str, key: str, loaded: object, root: Node
    ) -> list[tuple[int, Node, dict]]:
        """Schema-check one parsed document; its valid records (see ``read``)."""
        data = plain(loaded)
        wrong: dict[int, set[str]] = {}
        for error in schema_errors(schema, data):
            path_items = list(error.absolute_path)
            if (
                len(path_items) >= 2
                and path_items[0] == key
                and isinstance(path_items[1], int)
            ):
                fields = wrong.setdefault(path_items[1], set())
                fields.update(str(item) for item in path_items[2:3])
            raw = node_at(root, path_items)
            message, fix = explain(
                error, raw.value if isinstance(raw, ScalarNode) else None
            )
            self.add(path, line_of(root, path_items), message, fix)
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            return []
        records = []
        for index, record in enumerate(data[key]):
            if not isinstance(record, dict):
                continue
            found = (line_of(root, [key, index]), node_at(root, [key, index]))
            if index in wrong:
                kept = {k: v for k, v in record.items() if k not in wrong[index]}
                self.incomplete.append((*found, kept))
            else:
                records.append((*found, record))
        return records

    def _read_records_apart(
        self,
        path: Path,
        schema: str,
        key: str,
        text: str,
        problems: list[UnsafeInput],
    ) -> list[tuple[int, Node, dict]]:
        """Read each record of an unreadable file on its own (see ``read``)."""
        chunks = record_chunks(text, key)
        first = chunks[0][0] if chunks else None
        apart: list[UnsafeInput] = []
        parsed = []
        for start, chunk in chunks:
            try:
                parsed.append(parse_yaml(chunk))
            except UnsafeFile as exc:
                apart += exc.problems
        if not apart:  # the records read alone: the trouble is around them
            first = None
        for problem in problems:
            if first is None or problem.line < first:
                self.add(path, problem.line, problem.message, problem.fix)
        for problem in apart:
            self.add(path, problem.line, problem.message, problem.fix)
        if first is None:
            return []
        records = []
        for loaded, root in parsed:
            if root is not None:
                records += self._checked(path, schema, key, loaded, root)
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
        """The line of field ``name`` in a record's node, else ``default``."""
        if isinstance(node, MappingNode):
            for key, _value in node.value:
                if isinstance(key, ScalarNode) and key.value == name:
                    return key.start_mark.line + 1
        return default

    def parse_date(self, value: str, path: Path, line: int, what: str) -> date | None:
        """An ISO date not in the future, else None and a problem."""
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
        """A French phone number formatted, or "" (with a problem if invalid)."""
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


_ITEM = re.compile(r"^( *)-(?:\s|$)")


def record_chunks(text: str, key: str) -> list[tuple[int, str]]:
    """Each item of the ``key:`` list, alone: (first line, text parsing on its own).

    The text is padded with empty lines so that its line numbers are the file's; an
    empty list when the file has no recognisable ``key:`` list.
    """
    lines = text.splitlines()
    head = next(
        (i for i, line in enumerate(lines) if re.match(rf"^{key}:\s*(#.*)?$", line)),
        None,
    )
    if head is None:
        return []
    indent = None
    starts: list[int] = []
    end = len(lines)
    for number in range(head + 1, len(lines)):
        line = lines[number]
        item = _ITEM.match(line)
        if indent is None and item:
            indent = item.group(1)
        if indent is not None and item and item.group(1) == indent:
            starts.append(number)
        elif line[:1] not in ("", " ", "#", "\t", "-"):
            end = number  # the next top-level key ends the list
            break
    bounds = zip(starts, [*starts[1:], end])
    return [
        (first + 1, "\n" * (first - 1) + f"{key}:\n" + "\n".join(lines[first:last]))
        for first, last in bounds
    ]
