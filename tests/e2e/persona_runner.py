"""Play scripted personas against the running assistant and measure routing and turns.

Used by tests/e2e/test_personas.py (pytest, servers started by the fixtures) and by
scripts/evaluate.py (``make evaluate``). A persona answers the question the assistant
asks, recognised from its wording; free text only (no quick-reply payloads).
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

PERSONAS_FILE = Path(__file__).with_name("personas.yml")
MAX_USER_MESSAGES = 8
Send = Callable[[str, str], list[dict[str, Any]]]

# Wording of the questions (domain.yml responses and bot/dialogue.py) -> slot asked.
QUESTION_MARKERS = (
    ("Que souhaitez-vous faire", "need"),
    ("Quelle est votre situation", "situation"),
    ("Quel âge avez-vous", "age"),
    ("Dans quel domaine", "sector"),
    ("Dans quelle commune", "commune_insee"),
    ("Plusieurs communes correspondent", "commune_insee"),
    ("Voulez-vous que je vous indique la structure", "affirm"),
)


@dataclass
class PersonaResult:
    """What happened to one persona."""

    id: str
    expected: dict[str, Any]
    turns: int = 0
    payload: dict[str, Any] | None = None
    transcript: list[str] = field(default_factory=list)

    @property
    def network(self) -> str | None:
        return self.payload.get("network") if self.payload else None

    @property
    def commune(self) -> str | None:
        commune = self.payload.get("commune") if self.payload else None
        return commune["insee"] if commune else None

    @property
    def first_structure(self) -> dict[str, Any] | None:
        structures = self.payload.get("structures") if self.payload else None
        return structures[0] if structures else None

    def problems(self) -> list[str]:
        """Why this persona failed (empty when routed as expected)."""
        if self.payload is None:
            return [f"no orientation after {self.turns} messages"]
        found = []
        if self.network != self.expected["network"]:
            found.append(f"network {self.network} instead of {self.expected['network']}")
        if self.commune != self.expected.get("commune"):
            found.append(f"commune {self.commune} instead of {self.expected.get('commune')}")
        wanted = self.expected.get("structure_commune")
        first = self.first_structure
        if wanted and (first is None or first["network"] != self.network or first["commune"] != wanted):
            found.append(f"first structure {first and (first['network'], first['commune'])}, "
                         f"expected {self.network} in {wanted}")
        return found


def load_personas(path: Path = PERSONAS_FILE) -> list[dict[str, Any]]:
    """The personas of the YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["personas"]


def question_asked(messages: list[dict[str, Any]]) -> str | None:
    """The slot the assistant asks for in its last messages, if any."""
    text = "\n".join(m.get("text") or "" for m in messages)
    asked = None
    for marker, slot in QUESTION_MARKERS:
        position = text.rfind(marker)
        if position >= 0 and (asked is None or position > asked[0]):
            asked = (position, slot)
    return asked[1] if asked else None


def orientation_payload(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``custom`` orientation payload among the messages, if any."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "orientation":
            return custom
    return None


def play(send: Send, persona: dict[str, Any]) -> PersonaResult:
    """Talk as the persona until the orientation arrives (or the message budget is spent)."""
    sender = f"persona-{persona['id']}-{uuid.uuid4().hex[:6]}"[:128]
    result = PersonaResult(id=persona["id"], expected=persona["expect"])
    answers = {k: list(v) if isinstance(v, list) else [v] for k, v in persona.get("answers", {}).items()}
    text = persona["first"]
    while result.turns < MAX_USER_MESSAGES:
        result.turns += 1
        result.transcript.append(f"> {text}")
        messages = send(sender, text)
        result.transcript.extend(m.get("text", "") for m in messages if m.get("text"))
        result.payload = orientation_payload(messages)
        if result.payload is not None:
            break
        asked = question_asked(messages)
        if asked == "affirm":
            text = persona.get("affirm", "oui")
        elif asked and answers.get(asked):
            queue = answers[asked]
            text = queue.pop(0) if len(queue) > 1 else queue[0]
        else:
            text = "je ne sais pas"
    return result


def summary(results: list[PersonaResult]) -> dict[str, Any]:
    """Routing accuracy and turns over all personas."""
    routed = [r for r in results if not r.problems()]
    turns = [r.turns for r in results if r.payload is not None]
    return {
        "personas": len(results),
        "routed_as_expected": len(routed),
        "routing_accuracy": len(routed) / len(results) if results else 0.0,
        "median_turns": statistics.median(turns) if turns else None,
        "max_turns": max(turns) if turns else None,
        "failures": {r.id: r.problems() for r in results if r.problems()},
    }


def markdown(figures: dict[str, Any]) -> str:
    """The figures as a small markdown table."""
    lines = [
        "| Personas | Routed as expected | Routing accuracy | Median user messages to orientation | Max |",
        "|---:|---:|---:|---:|---:|",
        f"| {figures['personas']} | {figures['routed_as_expected']} | {figures['routing_accuracy']:.0%} "
        f"| {figures['median_turns']} | {figures['max_turns']} |",
    ]
    for persona, problems in figures["failures"].items():
        lines.append(f"\n- `{persona}`: {'; '.join(problems)}")
    return "\n".join(lines) + "\n"
