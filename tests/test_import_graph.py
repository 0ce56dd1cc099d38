"""The project's import graph runs downhill: layers, channels apart, no cycle.

Every ``import`` of ``bot/`` and ``channels/`` is read with ``ast`` (function-level ones
included). The layers, bottom first, are README's "Architecture" list:

0. ground floor: ``bot.config``, ``bot.db``, ``bot.lazy``, ``bot.text``… (no layer above)
1. knowledge: ``bot.knowledge``, ``bot.places``
2. conversation: ``bot.conversation``
3. services: ``bot.indicators``, ``bot.handover``, ``bot.advisers``, ``bot.evaluation``,
   ``bot.review``
4. Rasa-facing: ``bot.actions``, ``bot.nlu``, ``bot.rasa_patches``
5. runtime: ``bot.runtime``, ``python -m bot``
6. channels: ``channels`` (HTTP adapters)

A module imports only its own layer or lower ones; a channel package
(``channels/<name>/``) never imports another channel package, only the shared modules
at the top of ``channels/``, which import no channel package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.config import PROJECT_ROOT

PACKAGES = ("bot", "channels")
LAYERS: tuple[tuple[str, ...], ...] = (
    (),  # 0: whatever is not named below (bot's ground floor)
    ("bot.knowledge", "bot.places"),
    ("bot.conversation",),
    ("bot.indicators", "bot.handover", "bot.advisers", "bot.evaluation", "bot.review"),
    ("bot.actions", "bot.nlu", "bot.rasa_patches"),
    ("bot.runtime", "bot.__main__"),
    ("channels",),
)


def module_name(path: Path) -> str:
    """``bot/conversation/profile.py`` -> ``bot.conversation.profile``."""
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
    }


def imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules ``name`` imports, at any level of the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from bot import config`` imports the module bot.config.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name:
                    yield target


def graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    modules = project_modules()
    return {name: set(imports(name, path, modules)) for name, path in modules.items()}


def layer(name: str) -> int:
    """The layer of a module (0: bot's ground floor)."""
    for index, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return index
    return 0


def channel_package(name: str) -> str | None:
    """``channels.console.channel`` -> ``channels.console``; None for shared modules."""
    parts = name.split(".")
    if parts[0] != "channels" or len(parts) < 2:
        return None
    path = PROJECT_ROOT.joinpath(*parts[:2])
    return ".".join(parts[:2]) if path.is_dir() else None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def without_parent_packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop the edges of a package's ``__init__`` to its own submodules.

    A package that re-exports its submodules is one unit with them, not a cycle.
    """
    return {
        name: {t for t in targets if not t.startswith(name + ".")}
        for name, targets in edges.items()
    }


def test_every_import_runs_downhill() -> None:
    uphill = [
        f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, targets in graph().items()
        for target in sorted(targets)
        if layer(target) > layer(name)
    ]
    assert uphill == []


def test_no_channel_imports_another_channel() -> None:
    crossing = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in sorted(targets)
        if target.startswith("channels.")
        and channel_package(target) is not None
        and channel_package(target) != channel_package(name)
    ]
    assert crossing == []


def test_no_import_cycle() -> None:
    assert cycles(without_parent_packages(graph())) == []


def test_the_checks_see_a_violation() -> None:
    """The checks above can fail: an uphill import and a cycle are found."""
    edges = {
        "bot.config": {"bot.runtime.launcher"},
        "bot.runtime.launcher": {"bot.config"},
    }
    assert layer("bot.runtime.launcher") > layer("bot.config")
    assert cycles(edges) == [["bot.config", "bot.runtime.launcher"]]
    assert channel_package("channels.console.channel") == "channels.console"
    assert channel_package("channels.public_rest") is None
    modules = project_modules()
    assert "bot.conversation.profile" in graph()["bot.actions.profile"]
    assert "bot.advisers.script_aid" in modules


def test_file_names_tell_the_layer() -> None:
    """No two modules of bot/ share a file name, except the actions (named after the
    conversation step they run), package files and each package's own ``store``."""
    allowed = {"__init__", "__main__", "store"}
    seen: dict[str, list[str]] = {}
    for name in project_modules():
        if name.startswith("bot.") and not name.startswith("bot.actions."):
            stem = name.rpartition(".")[2]
            seen.setdefault(stem, []).append(name)
    shared = {
        stem: names
        for stem, names in seen.items()
        if len(names) > 1 and stem not in allowed
    }
    assert shared == {}, shared
