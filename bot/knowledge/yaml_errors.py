"""YAML syntax errors told in French, at the line staff must fix.

The YAML parser reports in English and, for some mistakes, where it gave up rather
than where the mistake is: an unclosed quote swallows the next lines and is reported
where the quoted text happens to end, a missing « : » on the line after. ``describe``
reads the error and the file's lines and returns the line, a French message and what
to fix; nothing of the parser's English reaches staff.
"""

from __future__ import annotations

import re

import yaml

_PREFIX = "le fichier n'est pas du YAML valide : "
_GENERIC = (
    "syntaxe incorrecte",
    "vérifiez l'indentation (espaces, pas de tabulation), les deux-points et les "
    "guillemets de cette ligne",
)
# A value (after « champ: » or « - ») that opens a quote.
_OPENING = re.compile(r"""^\s*(?:-\s+)*(?:[^\s"'#][^:#]*:\s+)?(["'])(.*)$""")
_UNQUOTED_COLONS = re.compile(r""""[^"]*"|'[^']*'""")
# Parser wording (English) -> kind, tried in order on "context / problem".
_KINDS: tuple[tuple[str, str], ...] = (
    ("tab character", "tab"),
    ("unknown escape", "escape"),
    ("flow sequence", "bracket"),
    ("flow mapping", "brace"),
    ("block scalar", "block_scalar"),
    ("an alias", "anchor"),
    ("an anchor", "anchor"),
    ("cannot start any token", "start"),
    ("constructor for the tag", "tag"),
    ("another document", "documents"),
    ("<document start>", "documents"),
    ("incompatible YAML document", "directive"),
    ("directive", "directive"),
    ("quoted scalar", "quote"),
    ("could not find expected ':'", "colon"),
    ("mapping values are not allowed", "mapping_value"),
    ("expected key", "indent"),
    ("expected '-' indicator", "indent"),
    ("expected <block end>", "indent"),
)


def describe(text: str, error: yaml.YAMLError) -> tuple[int, str, str]:
    """A YAML syntax error of ``text`` in French: 1-based line, message, fix."""
    lines = text.splitlines() or [""]
    if not isinstance(error, yaml.MarkedYAMLError):
        return 1, _PREFIX + _GENERIC[0], _GENERIC[1]
    wording = f"{error.context or ''} / {error.problem or ''}"
    kind = next((k for words, k in _KINDS if words in wording), "")
    mark = error.problem_mark or error.context_mark
    problem_line = mark.line + 1 if mark else 1
    start = error.context_mark.line + 1 if error.context_mark else 1
    quote = _unclosed_quote(lines, min(start, problem_line), problem_line)
    if kind in ("indent", "colon", "mapping_value", "quote") and quote is not None:
        line, char = quote
        return _refusal(
            line,
            f"guillemet {char} ouvert sans être refermé",
            "fermez le guillemet à la fin de la valeur (ou retirez-le)",
        )
    line, kind = _locate(lines, kind, problem_line, start)
    if _leading_tab(lines, line):
        kind = "tab"
    message, fix = _words(kind, lines, line, error)
    return _refusal(line, message, fix)


def _refusal(line: int, message: str, fix: str) -> tuple[int, str, str]:
    return line, _PREFIX + message, fix


def _text(lines: list[str], line: int) -> str:
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _leading_tab(lines: list[str], line: int) -> bool:
    current = _text(lines, line)
    return "\t" in current[: len(current) - len(current.lstrip())]


def _unclosed_quote(lines: list[str], first: int, last: int) -> tuple[int, str] | None:
    """The last line in [first, last] opening a quote it does not close."""
    for number in range(last, first - 1, -1):
        found = _OPENING.match(_text(lines, number))
        if found is None:
            continue
        char, rest = found.groups()
        rest = rest.replace("''", "") if char == "'" else re.sub(r"\\.", "", rest)
        if char not in rest:
            return number, f"« {char} »"
    return None


def _significant(lines: list[str], line: int) -> int:
    """The nearest line before ``line`` holding something (not blank, not comment)."""
    for number in range(line - 1, 0, -1):
        stripped = _text(lines, number).strip()
        if stripped and not stripped.startswith("#"):
            return number
    return line


def _locate(lines: list[str], kind: str, line: int, start: int) -> tuple[int, str]:
    """The line to show and the refined kind (what the parser saw is often later)."""
    if kind in ("colon", "bracket", "brace"):
        return start, kind  # where the key or the bracket begins
    if kind == "documents":
        markers = [n for n in range(2, line + 1) if _text(lines, n).startswith("---")]
        return (markers[0] if markers else line), kind
    if kind == "mapping_value":
        current = _UNQUOTED_COLONS.sub("", _text(lines, line))
        if len(re.findall(r":(?:\s|$)", current)) >= 2:
            return line, "colon_in_value"
        previous = _significant(lines, line)
        above = _text(lines, previous).strip()
        if re.match(r"-[^\s-]", above):
            return previous, "dash"
        if ":" not in _UNQUOTED_COLONS.sub("", above) and not above.startswith("-"):
            return previous, "colon"
        return line, "indent"
    if kind == "indent":
        current = _text(lines, line)
        after_quote = re.search(r""":\s+(["'])[^"']*\1\s*[^\s#]""", current)
        if after_quote:
            return line, "after_quote"
    return line, kind


def _words(
    kind: str, lines: list[str], line: int, error: yaml.MarkedYAMLError
) -> tuple[str, str]:
    """French message and fix for a refined kind."""
    if kind == "start":
        column = error.problem_mark.column if error.problem_mark else 0
        char = _text(lines, line)[column : column + 1] or "?"
        return (
            f"une valeur ne peut pas commencer par « {char} »",
            "mettez la valeur entre guillemets",
        )
    if kind == "tag":
        found = re.search(r"tag '([^']*)'", str(error.problem))
        tag = (found.group(1) if found else "!").replace("tag:yaml.org,2002:", "!!")
        return (
            f"étiquette « {tag} » non prise en charge",
            "supprimez l'étiquette « !… » ou mettez la valeur entre guillemets",
        )
    return _FIXED.get(kind, _GENERIC)


_FIXED = {
    "tab": (
        "tabulation dans l'indentation",
        "remplacez la tabulation par des espaces (2 par niveau)",
    ),
    "escape": (
        "barre oblique inverse « \\ » inconnue entre guillemets doubles",
        "doublez-la (\\\\) ou mettez la valeur entre guillemets simples",
    ),
    "bracket": (
        "crochet « [ » ouvert sans être refermé",
        "fermez la liste par « ] » sur la même ligne, éléments séparés par des "
        "virgules",
    ),
    "brace": (
        "accolade « { » ouverte sans être refermée",
        "fermez le bloc par « } », champs séparés par des virgules",
    ),
    "block_scalar": (
        "« > » ou « | » doit être seul en fin de ligne",
        "écrivez le texte à la ligne suivante, plus indenté, ou mettez la valeur "
        "entre guillemets",
    ),
    "anchor": (
        "« & » ou « * » en début de valeur",
        "mettez la valeur entre guillemets",
    ),
    "documents": (
        "une ligne « --- » commence un second document",
        "supprimez la ligne « --- » : un fichier ne contient qu'une liste",
    ),
    "directive": (
        "ligne « % » (directive) non prise en charge",
        "supprimez la ligne qui commence par « % »",
    ),
    "quote": (
        "guillemet ouvert sans être refermé",
        "fermez le guillemet à la fin de la valeur (ou retirez-le)",
    ),
    "colon": (
        "il manque « : » après le nom du champ",
        "écrivez « champ: valeur » (deux-points puis un espace)",
    ),
    "colon_in_value": (
        "la valeur contient « : » suivi d'un espace",
        "mettez la valeur entre guillemets",
    ),
    "dash": (
        "tiret de liste sans espace après",
        "écrivez « - » suivi d'un espace",
    ),
    "after_quote": (
        "du texte suit le guillemet fermant",
        "mettez toute la valeur entre les guillemets",
    ),
    "indent": (
        "indentation incorrecte : la ligne n'est pas alignée sur son bloc",
        "alignez-la avec des espaces sur les champs voisins (2 espaces par niveau)",
    ),
}
