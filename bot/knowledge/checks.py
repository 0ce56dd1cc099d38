"""Shared pieces of the knowledge checks.

Problems in French, YAML line numbers, schemas, phones.

``Problem`` and ``CheckResult`` are what ``python -m bot check`` prints; ``parse_yaml``
keeps the node tree so that every problem points at its line; ``explain`` turns a JSON
Schema error into a French message and what to fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import fastjsonschema
import yaml
from jsonschema import Draft7Validator
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot import config
from bot.knowledge.model import KnowledgeSet
from bot.knowledge.safe_input import UnsafeFile, UnsafeInput, check_yaml
from bot.knowledge.yaml_errors import describe

ERROR, WARNING = "erreur", "avertissement"
MAX_KM_FROM_COMMUNE = 30.0
PHONE = re.compile(r"^(?:0[1-9]\d{8}|0800\d{6}|0[89]\d{8}|3\d{3}|\+33[1-9]\d{8})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_TYPE_FR = {
    "string": "un texte",
    "number": "un nombre",
    "integer": "un nombre entier",
    "array": "une liste (lignes commençant par « - »)",
    "object": "un bloc de champs",
    "boolean": "oui/non (true/false)",
}


@dataclass(frozen=True)
class Problem:
    """One thing to fix in a knowledge file."""

    file: str
    line: int
    message: str
    fix: str
    severity: str = ERROR

    def __str__(self) -> str:
        """The problem as one line for staff."""
        return (
            f"{self.file}:{self.line}: {self.severity} : {self.message}. À "
            f"corriger : {self.fix}."
        )


@dataclass
class CheckResult:
    """Problems found, and the knowledge when there is no error."""

    problems: list[Problem] = field(default_factory=list)
    knowledge: KnowledgeSet | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The problems that block a load."""
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that do not block a load."""
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error and the knowledge was built."""
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
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits


def load_schema(name: str) -> Draft7Validator:
    """The validator of ``knowledge/schema/<name>.schema.json``.

    Detailed errors, for the French messages.
    """
    path = config.knowledge_schema_dir() / f"{name}.schema.json"
    return Draft7Validator(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=16)
def _compiled(name: str, pointer: str) -> Callable[[Any], Any]:
    schema = load_schema(name).schema
    for part in filter(None, pointer.split("/")):
        schema = schema[part]
    return fastjsonschema.compile(schema)


def schema_errors(name: str, data: Any, pointer: str = "") -> list:
    """JSON Schema errors of ``data``, sorted by path.

    Against the schema, or the sub-schema at ``pointer``.

    A compiled check runs first (fast); only invalid data goes through jsonschema for
    the details.
    """
    try:
        _compiled(name, pointer)(data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    validator = load_schema(name)
    if pointer:
        schema = validator.schema
        for part in filter(None, pointer.split("/")):
            schema = schema[part]
        validator = Draft7Validator(schema)
    return sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))


def plain(value: Any) -> Any:
    """Loaded YAML -> plain JSON-like values (dates as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return value


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (C when available).

    An impossible date stays text for the checks.
    """


def _date_or_text(loader: Any, node: Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # "2019-02-30": reported in French, with its line, by parse_date
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_or_text)


def parse_yaml(text: str) -> tuple[Any, Node | None]:
    """Parse YAML (C loader when available) keeping the node tree for line numbers.

    Hostile content and syntax errors are refused first, all at once and in French
    (``bot.knowledge.safe_input.UnsafeFile``); so is what only building finds (a
    ``!tag``).
    """
    check_yaml(text)
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as error:
        raise UnsafeFile([UnsafeInput(*describe(text, error))]) from error
    finally:
        loader.dispose()


def node_at(root: Node | None, path: Iterable[Any]) -> Node | None:
    """The deepest node found along ``path`` (mapping keys, list indexes)."""
    node = root
    for key in path:
        if isinstance(node, MappingNode):
            found = next(
                (
                    v
                    for k, v in node.value
                    if isinstance(k, ScalarNode) and k.value == str(key)
                ),
                None,
            )
            if found is None:
                return node
            node = found
        elif (
            isinstance(node, SequenceNode)
            and isinstance(key, int)
            and key < len(node.value)
        ):
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


def explain(error, raw: str | None = None) -> tuple[str, str]:
    """French message and fix for a JSON Schema error (``raw``: the value as typed)."""
    names = [p for p in error.absolute_path if isinstance(p, str)]
    field_name = names[-1] if names else "le document"
    hint = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    kind = error.validator
    if kind == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else "?"
        return (
            f"il manque le champ obligatoire « {name} »",
            f"ajoutez « {name}: … » (inconnu ? voir knowledge/README.md)",
        )
    if kind == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return (
            f"champ inconnu « {', '.join(extra)} »",
            f"vérifiez l'orthographe (champs possibles : {allowed})",
        )
    if kind == "type":
        expected = (
            error.validator_value
            if isinstance(error.validator_value, str)
            else error.validator_value[0]
        )
        if expected == "string" and isinstance(error.instance, (int, float)):
            typed = raw or str(error.instance)
            return (
                f"« {field_name} » vaut {typed} sans guillemets",
                f'écrivez la valeur entre guillemets, ex. "{typed}" (sinon un zéro '
                "initial est perdu)",
            )
        if error.instance is None:
            return (
                f"« {field_name} » est vide",
                "remplissez la valeur ou supprimez la ligne",
            )
        return (
            f"« {field_name} » doit être {_TYPE_FR.get(expected, expected)}",
            "corrigez la valeur",
        )
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return (
            f"valeur « {error.instance} » non prévue pour « {field_name} »",
            f"valeurs possibles : {allowed}",
        )
    if kind == "anyOf" and hint:
        return f"« {field_name} » est incomplet", hint
    if kind in ("minLength", "minItems"):
        return (
            f"« {field_name} » est vide",
            "remplissez la valeur ou supprimez la ligne",
        )
    if hint:
        return f"valeur « {error.instance} » invalide pour « {field_name} »", hint
    return (
        f"valeur invalide pour « {field_name} » ({error.message})",
        "corrigez la valeur",
    )
