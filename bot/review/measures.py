"""Figures of a model on a set of sentences: intent macro-F1, accuracy, entity F1.

``held_out_sentences`` reads a Rasa NLU file (held-out sets, labels), ``figures``
compares what a model predicted with it and lists the sentences it got wrong. The
predictions themselves come from ``bot.runtime.gate`` (a model loaded there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score


@dataclass(frozen=True)
class Sentence:
    """One sentence to predict: its text, expected intent and entities (name, value)."""

    text: str
    intent: str
    entities: tuple[tuple[str, str], ...] = ()


@dataclass
class SetFigures:
    """Figures of one set of sentences and the sentences the model got wrong."""

    sentences: int
    intent_macro_f1: float
    intent_accuracy: float
    entity_f1: float | None
    wrong: dict[str, str] = field(default_factory=dict)  # text -> what was predicted

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def held_out_sentences(path: Path) -> list[Sentence]:
    """The sentences of a Rasa NLU file with their intent and entities."""
    from rasa.shared.nlu.training_data.loading import load_data

    found = []
    for message in load_data(str(path)).nlu_examples:
        entities = tuple(
            sorted(
                (str(e["entity"]), str(message.get("text"))[e["start"] : e["end"]])
                for e in message.get("entities") or []
            )
        )
        found.append(Sentence(message.get("text"), message.get("intent"), entities))
    return found


def _entity_f1(expected: list[set], predicted: list[set]) -> float | None:
    """Micro F1 of (entity, words) pairs; None when the set has no entity."""
    truth = sum(len(e) for e in expected)
    if not truth:
        return None
    found = sum(len(p) for p in predicted)
    hits = sum(len(e & p) for e, p in zip(expected, predicted))
    if not hits:
        return 0.0
    precision, recall = hits / found, hits / truth
    return 2 * precision * recall / (precision + recall)


def figures(sentences: list[Sentence], parses: list[dict[str, Any]]) -> SetFigures:
    """Intent macro-F1, accuracy, entity F1 and the wrong sentences of one set."""
    expected = [s.intent for s in sentences]
    predicted = [str((p.get("intent") or {}).get("name")) for p in parses]
    wanted = [
        {(name, value.casefold()) for name, value in s.entities} for s in sentences
    ]
    got = [
        {
            (str(e["entity"]), s.text[e["start"] : e["end"]].casefold())
            for e in p.get("entities") or []
            if "start" in e
        }
        for s, p in zip(sentences, parses)
    ]
    wrong = {}
    for sentence, intent, want, have in zip(sentences, predicted, wanted, got):
        if intent != sentence.intent or not want <= have:
            names = ", ".join(f"{n} « {v} »" for n, v in sorted(have))
            wrong[sentence.text] = intent + (f" ({names})" if names else "")
    labels = sorted(set(expected))
    hits = sum(e == p for e, p in zip(expected, predicted))
    return SetFigures(
        sentences=len(sentences),
        intent_macro_f1=float(
            f1_score(
                expected, predicted, labels=labels, average="macro", zero_division=0
            )
        ),
        intent_accuracy=hits / len(sentences) if sentences else 1.0,
        entity_f1=_entity_f1(wanted, got),
        wrong=wrong,
    )
