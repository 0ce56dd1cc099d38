"""Play scripted personas against the running assistant: routing, turns and loops.

A persona (``tests/e2e/personas.yml``) answers the question the assistant asks,
recognised from its wording (``QUESTION_MARKERS``, French and English variants of
domain.yml); free text only, no quick-reply payloads. A conversation ends with the
orientation payload, with a human offer, or after ``MAX_USER_MESSAGES``. A question
received three times is a loop.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, cast

import yaml

from bot.config import PROJECT_ROOT
from bot.conversation.orientation_payload import (
    OrientationPayload,
    StructureItem,
    from_json,
    recommended_structures,
)

# The scripted personas, shared by tests, scripts/evaluate.py and the load benchmark.
PERSONAS_FILE = PROJECT_ROOT / "tests" / "e2e" / "personas.yml"
MAX_USER_MESSAGES = 8
MAX_TIMES_ASKED = 2
HUMAN = "human"
Send = Callable[[str, str], list[dict[str, Any]]]

# Wording of the questions (domain.yml responses) -> what is asked.
QUESTION_MARKERS = (
    ("Que souhaitez-vous faire", "need"),
    ("j'ai besoin de savoir ce que vous cherchez", "need"),
    ("What would you like to do", "need"),
    ("I need to know what you are looking for", "need"),
    ("Quelle est votre situation", "situation"),
    ("vous êtes plutôt : en études", "situation"),
    ("What is your situation", "situation"),
    ("Are you studying, working", "situation"),
    ("Si je comprends bien, vous êtes", "confirm"),
    ("If I understand correctly", "confirm"),
    (": c'est bien ça ?", "confirm"),
    (": is that right?", "confirm"),
    ("Quel âge avez-vous", "age"),
    ("Avez-vous moins de 26 ans", "age"),
    ("How old are you", "age"),
    ("Are you under 26", "age"),
    ("Dans quel domaine", "sector"),
    ("Votre projet est-il plutôt dans l'artisanat", "sector"),
    ("In which field", "sector"),
    ("Is your project in crafts", "sector"),
    ("Dans quelle commune", "commune_insee"),
    ("Je n'ai pas trouvé cette commune", "commune_insee"),
    ("Plusieurs communes correspondent", "commune_insee"),
    ("Laquelle de ces communes", "commune_insee"),
    ("In which town", "commune_insee"),
    ("I could not find that town", "commune_insee"),
    ("Several towns match", "commune_insee"),
    ("Which of these towns", "commune_insee"),
    ("Voulez-vous que je vous indique la structure", "affirm"),
)
# A way to a person: the conversation has a next step even without an orientation.
HUMAN_MARKERS = (
    "Une personne peut vous aider",
    "Vous pouvez parler à un conseiller",
    "parler à une personne",
    "You can talk to an adviser",
)


@dataclass
class PersonaResult:
    """What happened to one persona."""

    id: str
    expected: dict[str, Any]
    turns: int = 0
    payload: OrientationPayload | None = None
    human_offer: bool = False
    asked: Counter[str] = field(default_factory=Counter)
    transcript: list[str] = field(default_factory=list)

    @property
    def network(self) -> str | None:
        """The network of the orientation received, if any."""
        return self.payload.get("network") if self.payload else None

    @property
    def commune(self) -> str | None:
        """The INSEE code of the orientation's commune, if any."""
        commune = self.payload.get("commune") if self.payload else None
        return commune["insee"] if commune else None

    @property
    def recommended_structure(self) -> StructureItem | None:
        """The nearest structure of the recommended network, if any.

        Never another network's (the second door), whatever the payload's order.
        """
        mains = recommended_structures(self.payload)
        return cast(StructureItem, mains[0]) if mains else None

    @property
    def loops(self) -> list[str]:
        """The questions received more than ``MAX_TIMES_ASKED`` times."""
        return [slot for slot, count in self.asked.items() if count > MAX_TIMES_ASKED]

    def problems(self) -> list[str]:
        """Why this persona failed (empty when it went as expected)."""
        found = [
            f"question « {slot} » asked {self.asked[slot]} times" for slot in self.loops
        ]
        if self.expected.get("network") == HUMAN:
            if not self.human_offer and self.payload is None:
                found.append(
                    f"no human offer nor orientation after {self.turns} messages"
                )
            return found
        if self.payload is None:
            return [*found, f"no orientation after {self.turns} messages"]
        networks = self.expected["network"]
        allowed = networks if isinstance(networks, list) else [networks]
        if self.network not in allowed:
            found.append(
                f"network {self.network} instead of {self.expected['network']}"
            )
        if "commune" in self.expected and self.commune != self.expected["commune"]:
            found.append(
                f"commune {self.commune} instead of {self.expected.get('commune')}"
            )
        wanted = self.expected.get("structure_commune")
        first = self.recommended_structure
        if wanted and (
            first is None
            or first["network"] != self.network
            or first["commune"] != wanted
        ):
            door = first and (first["network"], first["commune"])
            found.append(
                f"recommended structure {door}, expected {self.network} in {wanted}"
            )
        return found


def load_personas(path: Path = PERSONAS_FILE) -> list[dict[str, Any]]:
    """The personas of the YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["personas"]


def question_asked(messages: list[dict[str, Any]]) -> str | None:
    """What the assistant asks in its last messages, if anything."""
    text = "\n".join(m.get("text") or "" for m in messages)
    asked = None
    for marker, slot in QUESTION_MARKERS:
        position = text.rfind(marker)
        if position >= 0 and (asked is None or position > asked[0]):
            asked = (position, slot)
    return asked[1] if asked else None


def orientation_payload(
    messages: list[dict[str, Any]],
) -> OrientationPayload | None:
    """The ``custom`` orientation payload among the messages, if any."""
    for message in messages:
        payload = from_json(message.get("custom"))
        if payload is not None:
            return payload
    return None


def answer_for(
    persona: dict[str, Any], answers: dict[str, list[str]], asked: str | None
) -> str:
    """The persona's reply to what was asked (the last of a list repeats)."""
    if asked == "affirm":
        return persona.get("affirm", "oui")
    if asked == "confirm":
        asked = "confirm" if answers.get("confirm") else "situation"
        if not answers.get(asked):
            return "oui"
    queue = answers.get(asked or "")
    if queue:
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return persona.get("default", "je ne sais pas")


def read_answer(
    persona: dict[str, Any],
    answers: dict[str, list[str]],
    result: PersonaResult,
    messages: list[dict[str, Any]],
) -> str | None:
    """Record the assistant's answer; the persona's next message, None when done.

    Done on an orientation, on a human offer when the persona expects one and nothing
    is asked, or when the persona has sent ``MAX_USER_MESSAGES``.
    """
    said = [m.get("text", "") for m in messages if m.get("text")]
    result.transcript.extend(said)
    result.payload = orientation_payload(messages)
    if result.payload is not None:
        return None
    asked = question_asked(messages)
    if asked in ("need", "situation", "age", "sector", "commune_insee", "confirm"):
        result.asked["situation" if asked == "confirm" else asked] += 1
    if any(marker in t for t in said for marker in HUMAN_MARKERS):
        result.human_offer = True
        if asked is None and persona["expect"].get("network") == HUMAN:
            return None
    if result.turns >= MAX_USER_MESSAGES:
        return None
    return answer_for(persona, answers, asked)


def persona_answers(persona: dict[str, Any]) -> dict[str, list[str]]:
    """The persona's scripted answers per question, each as a list."""
    return {
        k: list(v) if isinstance(v, list) else [v]
        for k, v in persona.get("answers", {}).items()
    }


def play(send: Send, persona: dict[str, Any]) -> PersonaResult:
    """Talk as the persona until an orientation, a human offer or the message budget."""
    sender = f"persona-{persona['id']}-{uuid.uuid4().hex[:6]}"[:128]
    result = PersonaResult(id=persona["id"], expected=persona["expect"])
    answers = persona_answers(persona)
    text: str | None = persona["first"]
    while text is not None:
        result.turns += 1
        result.transcript.append(f"> {text}")
        text = read_answer(persona, answers, result, send(sender, text))
    return result


def _departement(insee: str | None) -> str | None:
    from bot.places import commune

    found = commune(insee) if insee else None
    return found.departement_code if found else None


def networks_with_records() -> set[tuple[str, str]]:
    """(network, département) pairs the shipped knowledge files have a record for."""
    from bot.knowledge.files import check_directory

    knowledge = check_directory(None).knowledge
    return (
        {(s.network, s.departement) for s in knowledge.structures}
        if knowledge
        else set()
    )


def local_doors(
    results: list[PersonaResult], with_records: set[tuple[str, str]]
) -> dict[str, Any]:
    """How many oriented personas got a local structure of the recommended network.

    Local: in the person's département. Counted over all, where the open data has a
    record of that network there, and per region.
    """
    from bot.places import get_gazetteer

    regions = get_gazetteer().departements
    rows = []
    for r in results:
        dep = _departement(r.commune)
        if r.network is None or dep is None:
            continue
        first = r.recommended_structure
        local = bool(
            first
            and first.get("network") == r.network
            and _departement(first.get("insee")) == dep
        )
        rows.append((regions[dep][1], (r.network, dep) in with_records, local))
    per_region: dict[str, list[int]] = {}
    for region, has_data, local in rows:
        if has_data:
            cell = per_region.setdefault(region, [0, 0])
            cell[0] += local
            cell[1] += 1
    where_data = [local for _region, has_data, local in rows if has_data]
    return {
        "oriented_with_commune": len(rows),
        "local_door": sum(local for *_rest, local in rows),
        "where_open_data": len(where_data),
        "local_door_where_open_data": sum(where_data),
        "share_where_open_data": sum(where_data) / len(where_data)
        if where_data
        else None,
        "per_region_where_open_data": {
            region: {"local": n, "personas": total, "share": n / total}
            for region, (n, total) in sorted(per_region.items())
        },
    }


def summary(
    results: list[PersonaResult], with_records: set[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """Routing accuracy, turns, loops and local doors over all personas."""
    routed = [r for r in results if not r.problems()]
    turns = [r.turns for r in results if r.payload is not None or r.human_offer]
    ended = [r for r in results if r.payload is not None or r.human_offer]
    return {
        "personas": len(results),
        "routed_as_expected": len(routed),
        "routing_accuracy": len(routed) / len(results) if results else 0.0,
        "ended_with_next_step": len(ended),
        "loops": sum(1 for r in results if r.loops),
        "median_turns": statistics.median(turns) if turns else None,
        "max_turns": max(turns) if turns else None,
        "failures": {r.id: r.problems() for r in results if r.problems()},
        "local_doors": local_doors(
            results,
            networks_with_records() if with_records is None else with_records,
        ),
    }


def is_english(persona: dict[str, Any]) -> bool:
    """A persona who writes English: ``lang: en``, else its first message is English."""
    from bot.conversation.language import ENGLISH, detect_language

    language = persona.get("lang") or persona.get("language")
    if language:
        return str(language).lower().startswith(ENGLISH)
    return detect_language(str(persona.get("first", ""))) == ENGLISH


def english_summary(
    personas: list[dict[str, Any]], results: list[PersonaResult]
) -> dict[str, int]:
    """How many personas write English, and how many of them went as expected."""
    english = [r for p, r in zip(personas, results) if is_english(p)]
    return {
        "english": len(english),
        "english_as_expected": sum(1 for r in english if not r.problems()),
    }


def markdown(figures: dict[str, Any]) -> str:
    """The figures as a small markdown table."""
    lines = [
        "| Personas | As expected | Accuracy | Ended with a next step | Loops "
        "| Median user messages | Max |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {figures['personas']} | {figures['routed_as_expected']} "
        f"| {figures['routing_accuracy']:.0%} | {figures['ended_with_next_step']} "
        f"| {figures['loops']} | {figures['median_turns']} | {figures['max_turns']} |",
    ]
    doors = figures.get("local_doors")
    if doors and doors["where_open_data"]:
        lines.append(
            f"\nA structure of the recommended network in the person's département: "
            f"{doors['local_door']} of {doors['oriented_with_commune']} oriented "
            f"personas; where the open data has one there: "
            f"{doors['local_door_where_open_data']} of {doors['where_open_data']} "
            f"({doors['share_where_open_data']:.0%}) — "
            + ", ".join(
                f"region {code} {cell['local']}/{cell['personas']}"
                for code, cell in doors["per_region_where_open_data"].items()
            )
            + "."
        )
    for persona, problems in figures["failures"].items():
        lines.append(f"\n- `{persona}`: {'; '.join(problems)}")
    return "\n".join(lines) + "\n"
