"""What staff decide about a message, written as Rasa training data, never to the model.

A label waits in ``var/review/pending.yml`` (Rasa's NLU format, who and when in a
comment above each example, masked text only, no conversation id) until the quality
gate (``bot.runtime.gate``) trains a candidate with it: accepted, it moves to
``data/nlu/reviewed.yml``; refused, to ``var/review/refused.yml``. A text pending or
accepted is never proposed again (``labelled_keys``); a refused one comes back in the
inbox, marked refused (``refused_keys``).
"""

from __future__ import annotations

import fcntl
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

import yaml

from bot import config
from bot.config import PROJECT_ROOT
from bot.privacy import mask_personal_data
from bot.review.inbox import group_key

# What staff may label a message as: the intents the model learns from typed text.
INTENTS = {
    "greet": "Salutation",
    "goodbye": "Au revoir",
    "thank": "Remerciement",
    "inform": "Dit quelque chose de sa situation ou de son besoin",
    "ask_info": "Pose une question d'information",
    "ask_human": "Demande à parler à une personne",
    "skip": "Ne veut pas répondre",
    "restart": "Veut recommencer",
    "affirm": "Oui",
    "deny": "Non",
    "insult": "Insulte",
    "gibberish": "Texte sans sens",
    "out_of_scope": "Hors champ",
}
OUT_OF_SCOPE = "out_of_scope"
# The entities DIET extracts from typed text (the others come from buttons).
ENTITIES = {"commune": "Commune", "age": "Âge"}
HEADER = 'version: "3.1"\nnlu:\n'
_MARKUP = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


class LabelError(ValueError):
    """A label that cannot be written (message in French)."""


@dataclass(frozen=True)
class Label:
    """One decision: the masked text, its intent, entities, the sheet it asks about."""

    text: str
    intent: str
    by: str
    entities: dict[str, str] = field(default_factory=dict)
    sheet: str = ""
    at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))


def review_dir() -> Path:
    """Where labels wait for the gate and the gate's runs are kept."""
    return config.var_dir() / "review"


def pending_file() -> Path:
    """Labels not yet through the gate."""
    return review_dir() / "pending.yml"


def refused_file() -> Path:
    """Labels of runs the gate refused."""
    return review_dir() / "refused.yml"


def training_root() -> Path:
    """The folder with config.yml, domain.yml and data/ (``SPRO_TRAINING_ROOT``)."""
    return Path(os.environ.get("SPRO_TRAINING_ROOT", PROJECT_ROOT))


def reviewed_file(root: Path | None = None) -> Path:
    """Labels accepted by the gate: training data of every later model."""
    return (root or training_root()) / "data" / "nlu" / "reviewed.yml"


def sheets() -> dict[str, str]:
    """Code -> title of the information sheets (``knowledge/sheets.yaml``)."""
    path = config.knowledge_dir() / "sheets.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(s["code"]): str(s["title"]) for s in data.get("sheets") or []}


def annotated(text: str, entities: dict[str, str]) -> str:
    """``text`` with each entity's words in Rasa's markup: ``[Dreux](commune)``."""
    for name, value in sorted(entities.items(), key=lambda item: -len(item[1])):
        value = value.strip()
        if not value:
            continue
        if name not in ENTITIES:
            raise LabelError(f"Entité inconnue : « {name[:30]} ».")
        at = text.casefold().find(value.casefold())
        if at < 0:
            raise LabelError(
                f"« {value[:60]} » n'est pas dans le message : "
                "recopiez les mots tels qu'ils sont écrits."
            )
        end = at + len(value)
        text = f"{text[:at]}[{text[at:end]}]({name}){text[end:]}"
    return text


def checked(label: Label) -> Label:
    """The label with its text masked again; ``LabelError`` when it cannot be used."""
    text = " ".join(mask_personal_data(label.text).split())
    if not text or len(text) > 500:
        raise LabelError("Le message est vide ou trop long pour servir d'exemple.")
    if "](" in text or "]{" in text:
        raise LabelError(
            "Ce message contient des caractères qu'un exemple ne peut pas avoir."
        )
    if label.intent not in INTENTS:
        raise LabelError(f"Intention inconnue : « {label.intent[:40]} ».")
    if label.sheet and label.sheet not in sheets():
        raise LabelError(f"Fiche inconnue : « {label.sheet[:40]} ».")
    if label.sheet and label.intent != "ask_info":
        raise LabelError("Une fiche ne se relie qu'à une question d'information.")
    return Label(text, label.intent, label.by, label.entities, label.sheet, label.at)


def example_block(label: Label) -> str:
    """The label as one Rasa NLU block, who and when in a comment above."""
    sheet = f" ; fiche : {label.sheet}" if label.sheet else ""
    example = annotated(label.text, label.entities)
    return (
        f"  # relu par {label.by} le {label.at:%Y-%m-%d à %H:%M}{sheet}\n"
        f"  - intent: {label.intent}\n"
        "    examples: |\n"
        f"      - {example}\n"
    )


def append_blocks(path: Path, blocks: str) -> None:
    """Append NLU blocks to a Rasa file (created with its header), under a file lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0, 2)
        if handle.tell() == 0:
            handle.write(HEADER)
        handle.write(blocks)


def write_label(label: Label) -> Label:
    """Check ``label``, append it to the pending file; ``LabelError`` if refused."""
    label = checked(label)
    block = example_block(label)
    if group_key(label.text) in labelled_keys():
        raise LabelError("Ce message a déjà été relu.")
    append_blocks(pending_file(), block)
    return label


def examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example without markup) of a Rasa NLU file; nothing if it is absent."""
    if not path.exists():
        return
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield str(block.get("intent")), plain(line[2:])


def plain(example: str) -> str:
    """An example without Rasa's entity markup."""
    return _MARKUP.sub(r"\1", example)


def has_examples(path: Path) -> bool:
    """Whether a Rasa NLU file holds at least one example."""
    return any(True for _ in examples(path))


def labelled_keys(root: Path | None = None) -> set[str]:
    """Grouping keys of the texts labelled and waiting for the gate or accepted.

    Texts of refused runs are proposed again, marked refused (``refused_keys``).
    """
    return {
        group_key(text)
        for path in (pending_file(), reviewed_file(root))
        for _, text in examples(path)
    }


def refused_keys() -> dict[str, str]:
    """Grouping key -> intent of the texts the gate refused (the last label wins)."""
    return {group_key(text): intent for intent, text in examples(refused_file())}
