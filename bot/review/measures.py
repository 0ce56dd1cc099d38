"""What the gate measures of a model: held-out NLU sets, labelled examples, personas.

``nlu_measures`` loads a model in this process (Rasa's agent, the project's patches)
and predicts every sentence of the held-out sets (``tests/test_nlu*.yml``), the
labels under review and the training sentences they resemble; ``persona_measures``
plays the personas (``tests/e2e/personas*.yml``) against the model on servers of
its own. Figures are plain dicts, saved as JSON beside the model they describe.
"""

from __future__ import annotations

import asyncio
import logging
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


async def _parse_all(model: Path, groups: dict[str, list[Sentence]]) -> dict:
    from rasa.core.agent import load_agent

    agent = await load_agent(model_path=str(model))
    parses = {}
    for name, sentences in groups.items():
        parses[name] = [await agent.parse_message(s.text) for s in sentences]
    return parses


def nlu_measures(model: Path, groups: dict[str, list[Sentence]]) -> dict[str, dict]:
    """Figures of ``model`` on each named group of sentences (model loaded here)."""
    from rasa.utils.log_utils import configure_structlog

    from bot.runtime.rasa_server import install_patches

    install_patches()
    configure_structlog(logging.WARNING)  # not one debug line per sentence
    parses = asyncio.run(_parse_all(model, groups))
    return {
        name: figures(sentences, parses[name]).as_dict()
        for name, sentences in groups.items()
    }


def persona_measures(model: Path, files: list[Path]) -> dict[str, dict[str, str]]:
    """Per personas file: persona id -> "" when as expected, else what went wrong."""
    import tempfile

    from bot.evaluation.personas import load_personas, play
    from bot.evaluation.rest import load_knowledge, post_message
    from bot.runtime.launcher import Stack, free_port, write_endpoints

    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="spro-gate-") as folder:
        work = Path(folder)
        load_knowledge(work)
        actions_port = free_port()
        endpoints = write_endpoints(
            work / "endpoints.yml", actions_port, work / "tracker.sqlite3"
        )
        stack = Stack(
            model=model,
            rasa_port=free_port(),
            actions_port=actions_port,
            endpoints=endpoints,
            log_dir=work,
            extra_env={"SPRO_VAR_DIR": str(work)},
        )
        stack.start()
        try:
            stack.wait_ready(timeout=600)
            for file in files:
                played = [
                    play(lambda s, t: post_message(stack.url, s, t), persona)
                    for persona in load_personas(file)
                ]
                results[file.name] = {r.id: "; ".join(r.problems()) for r in played}
        finally:
            stack.stop()
    return results
