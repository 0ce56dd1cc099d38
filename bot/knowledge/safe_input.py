"""What the knowledge files and the directory imports refuse, in one place.

Staff files (YAML) and imported directories (JSON, CSV) may be damaged or hostile.
Before anything is built from them, these checks refuse, with a French message and the
line (for a YAML file: every refusal at once, and its syntax errors in French):

- control characters (NUL…) other than tab and line ends, typed or escaped (a NUL);
- numbers that are not finite (``.nan``, ``.inf``, ``NaN``);
- a key written twice in one YAML mapping (YAML would keep the last one silently);
- YAML aliases (``*name``): staff files never need them, and an "alias bomb" would
  make every reader expand the same data billions of times;
- nesting deeper than ``MAX_DEPTH`` (100,000 nested ``[`` would crash the parser);
- CSV fields longer than ``MAX_FIELD_CHARS``.

``UnsafeInput`` carries the line, the message and what to fix; the knowledge checks
turn it into a ``Problem``, the importers into an ``ImportInputError`` or a rejection.
Every check is linear in the size of the input.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

from bot.knowledge.yaml_errors import describe

MAX_DEPTH = 32
MAX_FIELD_CHARS = 10_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_FINITE = re.compile(r"^[-+]?(?:\.(?:nan|NaN|NAN|inf|Inf|INF))$")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_INNERMOST = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class UnsafeInput(ValueError):
    """Refused input: 1-based line, French message and what to fix."""

    def __init__(self, line: int, message: str, fix: str) -> None:
        """Where, what and how to fix it."""
        super().__init__(f"ligne {line} : {message} ; {fix}")
        self.line, self.message, self.fix = line, message, fix


class UnsafeFile(UnsafeInput):
    """Every refusal of one file (``problems``); reads as the first one."""

    def __init__(self, problems: list[UnsafeInput]) -> None:
        """The refusals, in line order (at least one)."""
        first = problems[0]
        super().__init__(first.line, first.message, first.fix)
        self.problems = problems


def control_character(text: str) -> str | None:
    """The first forbidden control character of ``text``, named ("NUL", "U+001B")."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group())
    return "NUL" if code == 0 else f"U+{code:04X}"


def _control_refusal(line: int, name: str | None, where: str = "") -> UnsafeInput:
    return UnsafeInput(
        line,
        f"caractère de contrôle invisible ({name or '?'}){where}",
        "retapez la valeur ou réenregistrez le fichier depuis un éditeur de texte",
    )


def _control_refusals(text: str) -> list[UnsafeInput]:
    """One refusal per line holding typed control characters."""
    refusals: list[UnsafeInput] = []
    for found in _CONTROL.finditer(text):
        line = text.count("\n", 0, found.start()) + 1
        if not refusals or refusals[-1].line != line:
            refusals.append(_control_refusal(line, control_character(found.group())))
    return refusals


def check_yaml(text: str) -> None:
    """Refuse what a staff YAML file must not hold (see the module docstring).

    ``UnsafeFile`` carries every refusal of the file, in line order (see
    ``yaml_refusals``).
    """
    refusals = yaml_refusals(text)
    if refusals:
        raise UnsafeFile(refusals)


def yaml_refusals(text: str) -> list[UnsafeInput]:
    """Every refusal of a staff YAML file, each with its line, in French.

    One pass over the parser's events (C parser when available), before anything is
    composed or built: aliases, duplicate keys, control characters and non-finite
    numbers are all collected; nesting deeper than ``MAX_DEPTH`` or a syntax error
    (told in French by ``bot.knowledge.yaml_errors``) ends the pass. Typed control
    characters are replaced by spaces for the pass, so what follows is checked too.
    """
    refusals = _control_refusals(text)
    clean = _CONTROL.sub(" ", text) if refusals else text
    # For each open mapping: the keys seen and whether the next node is a key.
    stack: list[tuple[set[str], list[bool]] | None] = []
    try:
        for event in yaml.parse(clean, Loader=_YAML_LOADER):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, _CLOSES):
                stack.pop()
                continue
            if not isinstance(event, (yaml.NodeEvent, yaml.CollectionStartEvent)):
                continue
            frame = stack[-1] if stack else None
            is_key = frame is not None and frame[1][0]
            if frame is not None:
                frame[1][0] = not frame[1][0]
            if isinstance(event, yaml.AliasEvent):
                refusals.append(
                    UnsafeInput(
                        line,
                        f"alias YAML « *{event.anchor} » : les fichiers de "
                        "connaissances n'en utilisent pas",
                        "recopiez la valeur à cet endroit au lieu d'y renvoyer",
                    )
                )
            elif isinstance(event, yaml.ScalarEvent):
                refusals += _check_scalar(event, line, is_key, frame)
            elif isinstance(event, _OPENS):
                if len(stack) >= MAX_DEPTH:
                    refusals.append(
                        UnsafeInput(
                            line,
                            f"données imbriquées sur plus de {MAX_DEPTH} niveaux",
                            "vérifiez les crochets, les accolades et l'indentation",
                        )
                    )
                    break
                stack.append(
                    (set(), [True])
                    if isinstance(event, yaml.MappingStartEvent)
                    else None
                )
    except yaml.YAMLError as error:
        refusals.append(UnsafeInput(*describe(clean, error)))
    return sorted(refusals, key=lambda refusal: refusal.line)


def _check_scalar(
    event: yaml.ScalarEvent,
    line: int,
    is_key: bool,
    frame: tuple[set[str], list[bool]] | None,
) -> list[UnsafeInput]:
    if event.implicit[0] and not event.style and _NOT_FINITE.match(event.value):
        return [
            UnsafeInput(
                line,
                f"« {event.value} » n'est pas un nombre utilisable",
                "écrivez un nombre (ex. 47.39), ou supprimez la ligne si la valeur "
                "est inconnue",
            )
        ]
    name = control_character(event.value)  # escaped in quotes ("\0")
    if name is not None:
        return [_control_refusal(line, name, f" dans « {event.value[:40]!r} »")]
    if is_key and frame is not None:
        if event.value in frame[0]:
            return [
                UnsafeInput(
                    line,
                    f"le champ « {event.value} » est écrit deux fois dans le même bloc",
                    "gardez une seule ligne pour ce champ",
                )
            ]
        frame[0].add(event.value)
    return []


def json_depth_line(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line where ``text`` nests deeper than ``limit``, else None (linear)."""
    rest = _JSON_STRING.sub('""', text)
    for _ in range(limit):
        if "[" not in rest and "{" not in rest:
            return None
        rest = _INNERMOST.sub("0", rest)
    if "[" not in rest and "{" not in rest:
        return None
    depth = 0  # too deep or unbalanced: find the line, if it is too deep
    for token in _JSON_TOKEN.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, token.start()) + 1
        elif mark in "]}":
            depth -= 1
    return None


def parse_json(text: str) -> Any:
    """``json.loads`` with the depth bounded; ``UnsafeInput`` past ``MAX_DEPTH``.

    Other syntax errors stay ``json.JSONDecodeError`` (the caller says where).
    """
    line = json_depth_line(text)
    if line is not None:
        raise UnsafeInput(
            line,
            f"données JSON imbriquées sur plus de {MAX_DEPTH} niveaux",
            "ce n'est pas un export officiel : téléchargez-le à nouveau",
        )
    return json.loads(text)


def unsafe_value(value: Any, field: str = "") -> str | None:
    """Why an imported value cannot be kept (French), or None.

    Control characters in a text, a number that is not finite, nesting deeper than
    ``MAX_DEPTH``; ``field`` names the place in the record.
    """
    pending: list[tuple[Any, str, int]] = [(value, field, 0)]
    while pending:
        item, where, depth = pending.pop()
        label = f" dans « {where} »" if where else ""
        if depth > MAX_DEPTH:
            return f"données imbriquées sur plus de {MAX_DEPTH} niveaux{label}"
        if isinstance(item, str):
            name = control_character(item)
            if name is not None:
                return f"caractère de contrôle invisible ({name}){label}"
        elif isinstance(item, float) and not math.isfinite(item):
            return f"nombre non utilisable ({item}){label}"
        elif isinstance(item, dict):
            pending += [(v, str(k), depth + 1) for k, v in item.items()]
            pending += [(k, where, depth + 1) for k in item]
        elif isinstance(item, (list, tuple)):
            pending += [(v, where, depth + 1) for v in item]
    return None
