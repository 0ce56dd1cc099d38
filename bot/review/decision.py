"""What the quality gate decides, from figures: contradictions, regressions, tolerance.

Plain Python, no Rasa model: ``conflicts`` finds labels with the words of a training
sentence of another intent, ``resembling`` the training sentences to check again,
``judge`` compares a candidate's figures with the serving model's under ``Tolerance``.
The runs themselves (training, measures, promotion) are ``bot.runtime.gate``.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from math import comb
from pathlib import Path
from typing import Any

from bot.review import labelling
from bot.review.inbox import group_key
from bot.review.measures import Sentence

# Two texts are "the same words" when their word sets overlap this much (Jaccard).
SAME_WORDS = 0.8
# A training sentence "resembles" a label when they share this share of words.
RESEMBLES = 0.5
TRAINING = "entraînement"
LABELS = "exemples relus"


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the serving model a candidate may be, and still serve.

    Retraining moves a few held-out answers both ways even for a harmless label
    (docs/review.md, « Retraining noise »), so the held-out sentences are judged
    together: a net loss is refused when a sign test says chance does not explain it,
    a loss near a label is refused outright, and the per-set drops and the count of
    newly wrong sentences are safety nets above the measured noise.
    """

    intent_f1: float = 0.04  # macro-F1 drop on each held-out set
    intent_accuracy: float = 0.04  # accuracy drop on each held-out set
    entity_f1: float = 0.04  # entity F1 drop on each held-out set
    newly_wrong: int = 20  # held-out sentences right before, wrong now (all sets)
    significance: float = 0.05  # sign test: a net loss less likely than this is refused
    near_labels: int = 0  # newly wrong held-out sentences sharing words with a label
    personas: int = 0  # personas as expected before, not now (all files)

    @classmethod
    def from_setting(cls, setting: str) -> Tolerance:
        """The defaults with ``SPRO_GATE_TOLERANCE``'s overrides.

        ``name=value``, comma-separated, names of this class's fields, for example
        ``newly_wrong=10,intent_f1=0.02``; unknown names and unreadable values are
        ignored (the default stays).
        """
        values: dict[str, Any] = {}
        for item in setting.split(","):
            name, _, value = item.strip().partition("=")
            kind = {"newly_wrong": int, "near_labels": int, "personas": int}.get(
                name, float
            )
            if name not in cls.__dataclass_fields__:
                continue
            try:
                number = kind(value.strip())
            except ValueError:
                continue
            if number >= 0:
                values[name] = number
        return cls(**values)


@dataclass
class Run:
    """One pass through the gate and what it decided."""

    id: str
    by: str
    mode: str  # "complet" (cached core) or "affinage" (fine-tuning)
    labels: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    regressed_sentences: list[dict[str, str]] = field(default_factory=list)
    improved_sentences: list[dict[str, str]] = field(default_factory=list)
    sign_test_p: float | None = None  # chance of the held-out net loss (or gain)
    regressed_personas: list[dict[str, str]] = field(default_factory=list)
    decision: str = ""  # "en service", "refusé", "rien à faire", "échec"
    seconds: float = 0.0

    def as_json(self) -> str:
        """JSON of the run, kept beside its report."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


def _words(text: str) -> set[str]:
    return set(group_key(text).split())


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def training_examples(root: Path) -> list[tuple[str, str]]:
    """(intent, text) of every training file of ``root/data/nlu``."""
    return [
        example
        for path in sorted((root / "data" / "nlu").glob("*.yml"))
        for example in labelling.examples(path)
    ]


def conflicts(
    labels: list[Sentence], training: list[tuple[str, str]]
) -> list[dict[str, str]]:
    """Labels whose words are those of a training sentence of another intent."""
    found = []
    for label in labels:
        words = _words(label.text)
        for intent, text in training:
            if intent != label.intent and _overlap(words, _words(text)) >= SAME_WORDS:
                found.append(
                    {
                        "label": label.text,
                        "intent": label.intent,
                        "training": text,
                        "training_intent": intent,
                    }
                )
    return found


def resembling(
    labels: list[Sentence], training: list[tuple[str, str]]
) -> list[Sentence]:
    """Training sentences of another intent sharing many words with a label."""
    found: dict[str, Sentence] = {}
    for label in labels:
        words = _words(label.text)
        for intent, text in training:
            if intent != label.intent and _overlap(words, _words(text)) >= RESEMBLES:
                found[text] = Sentence(text, intent)
    return list(found.values())


def sign_test(lost: int, gained: int) -> float:
    """Chance of losing at least ``lost`` of the ``lost + gained`` changed answers.

    The exact one-sided sign test (McNemar's test on the sentences one model gets
    right and the other wrong): if retraining moved each answer one way or the other
    by chance, the lost ones would follow a binomial law of parameter one half.
    """
    changed = lost + gained
    if not changed:
        return 1.0
    return sum(comb(changed, k) for k in range(lost, changed + 1)) / 2**changed


def near_a_label(text: str, labels: list[set[str]]) -> bool:
    """Whether ``text`` shares at least ``RESEMBLES`` of its words with a label."""
    words = _words(text)
    return any(_overlap(words, label) >= RESEMBLES for label in labels)


def judge(run: Run, held_out: list[str], tolerance: Tolerance) -> None:
    """Fill ``run.reasons``, the regressions and the improvements.

    ``run.before`` and ``run.after`` hold the figures of the serving model and of the
    candidate; ``run.labels`` the labels (their words tell a regression near them).
    """
    before, after = run.before, run.after
    label_words = [_words(str(label.get("text", ""))) for label in run.labels]
    for name in (name for name in held_out if name in after):
        old, new = before[name], after[name]
        checks = (
            ("macro-F1 des intentions", "intent_macro_f1", tolerance.intent_f1),
            ("exactitude des intentions", "intent_accuracy", tolerance.intent_accuracy),
            ("F1 des entités", "entity_f1", tolerance.entity_f1),
        )
        for label, key, allowed in checks:
            if old[key] is not None and new[key] is not None:
                if old[key] - new[key] > allowed:
                    run.reasons.append(
                        f"{name} : {label} {old[key]:.3f} → {new[key]:.3f} "
                        f"(baisse tolérée {allowed})"
                    )
        for text, predicted in new["wrong"].items():
            if text not in old["wrong"]:
                run.regressed_sentences.append(
                    {
                        "set": name,
                        "text": text,
                        "predicted": predicted,
                        "near_label": "oui" if near_a_label(text, label_words) else "",
                    }
                )
        for text, predicted in old["wrong"].items():
            if text not in new["wrong"]:
                run.improved_sentences.append(
                    {"set": name, "text": text, "was": predicted}
                )
    lost, gained = len(run.regressed_sentences), len(run.improved_sentences)
    run.sign_test_p = round(sign_test(lost, gained), 4)
    if lost > tolerance.newly_wrong:
        run.reasons.append(
            f"{lost} phrases de test bien comprises par le modèle en service ne le "
            f"sont plus (tolérance : {tolerance.newly_wrong})."
        )
    elif lost > gained and run.sign_test_p < tolerance.significance:
        run.reasons.append(
            f"{lost} phrases de test devenues fausses pour {gained} devenues justes : "
            f"une perte nette que le hasard du réentraînement n'explique pas (test du "
            f"signe, p = {run.sign_test_p:.3f} < {tolerance.significance})."
        )
    near = [r for r in run.regressed_sentences if r["near_label"]]
    if len(near) > tolerance.near_labels:
        run.reasons += [
            f"Phrase de test proche d'un exemple relu, désormais fausse : "
            f"« {r['text']} » → {r['predicted']}."
            for r in near
        ]
    for text, predicted in after.get(LABELS, {}).get("wrong", {}).items():
        run.reasons.append(
            f"Exemple relu mal compris par le candidat : « {text} » → {predicted}."
        )
    old_training = before.get(TRAINING, {}).get("wrong", {})
    for text, predicted in after.get(TRAINING, {}).get("wrong", {}).items():
        if text not in old_training:
            run.reasons.append(
                f"Phrase d'entraînement proche d'un exemple relu, désormais "
                f"comprise autrement : « {text} » → {predicted}."
            )
    old_personas = before.get("personas", {})
    for file, results in after.get("personas", {}).items():
        for persona, problem in results.items():
            if problem and not old_personas.get(file, {}).get(persona, "x"):
                run.regressed_personas.append(
                    {"file": file, "persona": persona, "problem": problem}
                )
    if len(run.regressed_personas) > tolerance.personas:
        run.reasons.append(
            f"{len(run.regressed_personas)} personas réussies par le modèle en service "
            f"ne le sont plus (tolérance : {tolerance.personas})."
        )


def label_records(path: Path) -> list[dict[str, Any]]:
    """The labels of a run's file with who and when (from the comment above each)."""
    records: list[dict[str, Any]] = []
    comment = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("# relu par"):
            comment = stripped[2:]
        elif stripped.startswith("- intent:"):
            records.append({"intent": stripped.split(":", 1)[1].strip(), "by": comment})
        elif stripped.startswith("- ") and records and "text" not in records[-1]:
            records[-1]["text"] = labelling.plain(stripped[2:])
    return records


def blocks(path: Path) -> str:
    """A Rasa NLU file's blocks, without its header."""
    text = path.read_text(encoding="utf-8")
    return text[len(labelling.HEADER) :] if text.startswith(labelling.HEADER) else text


def take_pending(run_dir: Path) -> Path | None:
    """Move the pending labels into the run (labels written later wait for the next)."""
    pending = labelling.pending_file()
    if not pending.exists():
        return None
    taken = run_dir / "labels.yml"
    with open(pending, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        os.replace(pending, taken)
    return taken if labelling.has_examples(taken) else None


def refuse(run: Run, labels_file: Path) -> None:
    """Send a refused run's labels back to the inbox, marked refused."""
    note = f"  # refusé par le contrôle de qualité {run.id} : rapport runs/{run.id}\n"
    labelling.append_blocks(labelling.refused_file(), note + blocks(labels_file))
