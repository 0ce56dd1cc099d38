"""Channel differences are declared once (bot/conversation/channel_differences.py).

Behaviour: ``domain.yml``'s ``channel:`` variants name declared channels; no Python
module compares a channel's name itself; each channel keeps what it showed before.
"""

from __future__ import annotations

import ast

import yaml

from bot.config import PROJECT_ROOT
from bot.conversation.channel_differences import (
    CHANNEL_PROFILES,
    DEFAULT,
    HANDOVER_CHANNEL,
    channel_profile,
)
from bot.conversation.dialogue import with_buttons
from bot.conversation.orientation import CARD_PARTS
from bot.indicators.store import CHANNELS

DECLARING_MODULE = PROJECT_ROOT / "bot" / "conversation" / "channel_differences.py"


def test_every_domain_variant_names_a_declared_channel() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    variants = {
        variant["channel"]
        for texts in domain["responses"].values()
        for variant in texts
        if isinstance(variant, dict) and "channel" in variant
    }
    assert variants and variants <= set(CHANNEL_PROFILES), variants


def test_no_module_compares_a_channel_name_itself() -> None:
    names = set(CHANNEL_PROFILES)
    found = []
    for package in ("bot", "channels"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            if path == DECLARING_MODULE:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # Comparisons anywhere, and module-level constants (``X = "console"``).
            module_level = [n for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))]
            for node in [*ast.walk(tree), *module_level]:
                if isinstance(node, ast.Compare):
                    operands = [node.left, *node.comparators]
                elif node in module_level and node.value is not None:
                    operands = [node.value]
                else:
                    continue
                for operand in operands:
                    for const in ast.walk(operand):
                        if isinstance(const, ast.Constant) and const.value in names:
                            found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert found == []


def test_each_channel_keeps_its_differences() -> None:
    webchat, rest, console = (channel_profile(n) for n in ("webchat", "rest", "console"))
    assert webchat.hidden_parts == CARD_PARTS == frozenset({"nearest", "remote", "reach"})
    assert console.hidden_parts == frozenset({"closing"}) and not rest.hidden_parts
    assert [with_buttons(n) for n in ("webchat", "rest", "console", None, "cmdline")] == [
        True, True, False, True, True]
    assert [channel_profile(n).asks_feedback for n in ("webchat", "rest", "console")] == [
        True, True, False]
    assert HANDOVER_CHANNEL == "webchat" and not rest.offers_handover
    assert channel_profile("cmdline") is DEFAULT and channel_profile(None) is DEFAULT
    assert CHANNELS == {"webchat": "Tchat du site", "rest": "API publique",
                        "console": "Téléphone (console)"}
