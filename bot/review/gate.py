"""The quality gate: a model trained with the reviewed labels serves only if no worse.

``retrain`` takes the labels waiting in ``var/review/pending.yml``, refuses at once
those that contradict a training sentence of another intent (same words), trains a
candidate with Rasa's training cache (only the NLU part runs again: the stories and
the domain did not change; ``finetune=True`` fine-tunes the serving model instead, a
fraction of the epochs: faster, measured worse here, docs/review.md), measures the
candidate and the serving model (``bot.review.measures``) and puts the candidate into
service only when no figure drops beyond ``Tolerance``, no held-out sentence or
persona the serving model got right is wrong beyond it, every label is predicted as
labelled and no training sentence resembling a label changes intent. Accepted labels
go to ``data/nlu/reviewed.yml``; refused ones to ``var/review/refused.yml`` (back in the
inbox, marked refused). The model that served before is kept in ``models/history/``
(the last ``HISTORY_KEPT``); ``rollback`` puts it back. Running servers load the
model that replaced ``models/spro.tar.gz`` by themselves (``bot.review.serving``).
Every run leaves a French HTML report (``bot.review.gate_report``). docs/review.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.review import labelling
from bot.review.inbox import group_key
from bot.review.measures import (
    Sentence,
    held_out_sentences,
    nlu_measures,
    persona_measures,
)

HISTORY_KEPT = 5
# Share of config.yml's epochs a fine-tuning runs (DIET 120 -> 24, TED 60 -> 12).
EPOCH_FRACTION = 0.2
# Two texts are "the same words" when their word sets overlap this much (Jaccard).
SAME_WORDS = 0.8
# A training sentence "resembles" a label when they share this share of words.
RESEMBLES = 0.5
TRAINING = "entraînement"
LABELS = "exemples relus"


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the serving model a candidate may be, and still serve."""

    intent_f1: float = 0.01  # macro-F1 drop on each held-out set
    intent_accuracy: float = 0.01  # accuracy drop on each held-out set
    entity_f1: float = 0.02  # entity F1 drop on each held-out set
    newly_wrong: int = 5  # held-out sentences right before, wrong now (all sets)
    personas: int = 0  # personas as expected before, not now (all files)


@dataclass(frozen=True)
class GatePaths:
    """Where the gate reads and writes: training root, models, review folder."""

    root: Path
    models_dir: Path
    review_dir: Path

    @property
    def serving(self) -> Path:
        """The model the servers load."""
        return self.models_dir / "spro.tar.gz"

    @property
    def history(self) -> Path:
        """One folder per promotion: the model that served before and its labels."""
        return self.models_dir / "history"

    @property
    def runs(self) -> Path:
        """One folder per run: its labels, result and report."""
        return self.review_dir / "runs"

    def held_out_files(self) -> list[Path]:
        """The held-out NLU sets (never trained on)."""
        return sorted((self.root / "tests").glob("test_nlu*.yml"))

    def persona_files(self) -> list[Path]:
        """The personas files."""
        return sorted((self.root / "tests" / "e2e").glob("personas*.yml"))


def default_paths(models_dir: Path | None = None) -> GatePaths:
    """The project's paths (``SPRO_TRAINING_ROOT`` names another training folder)."""
    root = labelling.training_root()
    return GatePaths(root, models_dir or root / "models", labelling.review_dir())


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
    regressed_personas: list[dict[str, str]] = field(default_factory=list)
    decision: str = ""  # "en service", "refusé", "rien à faire", "échec"
    seconds: float = 0.0

    def as_json(self) -> str:
        """JSON of the run, kept beside its report."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


class GateBusy(RuntimeError):
    """Another run holds the gate."""


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


def model_digest(model: Path) -> str:
    """SHA-256 of a model file."""
    digest = hashlib.sha256()
    with open(model, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def measure(
    model: Path,
    paths: GatePaths,
    extra: dict[str, list[Sentence]],
    personas: bool,
    kept: dict[str, list[Sentence]] | None = None,
) -> dict[str, Any]:
    """Figures of ``model`` on the held-out sets, the ``extra`` groups (and personas).

    With ``kept`` (groups measured with the held-out sets), the figures that do not
    depend on this run are read from, or written to, a JSON file beside the model,
    keyed by the contents of the model, the sets and the personas files.
    """
    groups = {f.name: held_out_sentences(f) for f in paths.held_out_files()}
    groups.update(kept or {})
    if kept is None:
        held = nlu_measures(model, {**groups, **extra})
        if personas:
            held["personas"] = persona_measures(model, paths.persona_files())
        return held
    digest = hashlib.sha256(model_digest(model).encode())
    for file in paths.persona_files():
        digest.update(file.read_bytes())
    digest.update(json.dumps([asdict(s) for g in groups.values() for s in g]).encode())
    key = f"{digest.hexdigest()}-{int(personas)}"
    cache = model.with_name(model.name.replace(".tar.gz", "") + ".measures.json")
    stored = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    if stored.get("key") == key:
        held = stored["figures"]
        return {**held, **nlu_measures(model, extra)} if extra else held
    held = nlu_measures(model, {**groups, **extra})
    if personas:
        held["personas"] = persona_measures(model, paths.persona_files())
    figures = {k: v for k, v in held.items() if k not in extra}
    cache.write_text(json.dumps({"key": key, "figures": figures}), encoding="utf-8")
    return held


def train_candidate(
    paths: GatePaths, labels_file: Path, out: Path, finetune: bool, log_file: Path
) -> Path:
    """Train the candidate into ``out``: the training data plus ``labels_file``."""
    from bot.runtime.launcher import RASA_COMMAND, child_environment

    command = [
        *RASA_COMMAND,
        "train",
        "--fixed-model-name",
        "candidate",
        "--out",
        str(out),
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data",
        str(labels_file),
    ]
    if finetune:
        command += [
            "--finetune",
            str(paths.serving),
            "--epoch-fraction",
            os.environ.get("SPRO_GATE_EPOCH_FRACTION", str(EPOCH_FRACTION)),
        ]
    # Rasa's training cache of the project (``make train`` fills it): the steps whose
    # inputs did not change (stories, domain) are not run again.
    cache = os.environ.get("RASA_CACHE_DIRECTORY") or str(PROJECT_ROOT / ".rasa/cache")
    with open(log_file, "wb") as log:
        run = subprocess.run(
            command,
            cwd=paths.root,
            env=child_environment({"RASA_CACHE_DIRECTORY": cache}),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    model = out / "candidate.tar.gz"
    if run.returncode != 0 or not model.exists():
        raise RuntimeError(
            f"L'entraînement du modèle candidat a échoué : voir {log_file}"
        )
    return model


def held_out_names(figures: dict[str, Any], paths: GatePaths) -> list[str]:
    """The held-out sets present in a run's figures."""
    return [f.name for f in paths.held_out_files() if f.name in figures]


def judge(run: Run, paths: GatePaths, tolerance: Tolerance) -> None:
    """Fill ``run.reasons`` and the regressions from ``run.before`` and ``after``."""
    before, after = run.before, run.after
    for name in held_out_names(after, paths):
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
                    {"set": name, "text": text, "predicted": predicted}
                )
    if len(run.regressed_sentences) > tolerance.newly_wrong:
        run.reasons.append(
            f"{len(run.regressed_sentences)} phrases de test bien comprises par le "
            f"modèle en service ne le sont plus (tolérance : {tolerance.newly_wrong})."
        )
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


def _label_records(path: Path) -> list[dict[str, Any]]:
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


def _blocks(path: Path) -> str:
    """A Rasa NLU file's blocks, without its header."""
    text = path.read_text(encoding="utf-8")
    return text[len(labelling.HEADER) :] if text.startswith(labelling.HEADER) else text


def _take_pending(run_dir: Path) -> Path | None:
    """Move the pending labels into the run (labels written later wait for the next)."""
    pending = labelling.pending_file()
    if not pending.exists():
        return None
    taken = run_dir / "labels.yml"
    with open(pending, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        os.replace(pending, taken)
    return taken if labelling.has_examples(taken) else None


def promote(paths: GatePaths, run: Run, labels_file: Path, candidate: Path) -> None:
    """Keep the serving model in history, add the labels, serve the candidate."""
    from bot.runtime.launcher import training_fingerprint

    kept = paths.history / run.id
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy2(paths.serving, kept / "spro.tar.gz")
    reviewed = labelling.reviewed_file(paths.root)
    if reviewed.exists():
        shutil.copy2(reviewed, kept / "reviewed.yml")
    labelling.append_blocks(reviewed, _blocks(labels_file))
    staged = paths.models_dir / f".{run.id}.tar.gz"
    shutil.copy2(candidate, staged)
    os.replace(staged, paths.serving)
    (paths.models_dir / "spro.fingerprint").write_text(training_fingerprint(paths.root))
    for old in sorted(p for p in paths.history.iterdir() if p.is_dir())[:-HISTORY_KEPT]:
        shutil.rmtree(old)


def refuse(run: Run, labels_file: Path) -> None:
    """Send a refused run's labels back to the inbox, marked refused."""
    note = f"  # refusé par le contrôle de qualité {run.id} : rapport runs/{run.id}\n"
    labelling.append_blocks(labelling.refused_file(), note + _blocks(labels_file))


def rollback(paths: GatePaths) -> str:
    """Serve again the model that served before the last promotion; its id."""
    from bot.runtime.launcher import training_fingerprint

    kept = (
        sorted(p for p in paths.history.iterdir() if p.is_dir())
        if (paths.history.exists())
        else []
    )
    if not kept:
        raise FileNotFoundError("Aucun modèle précédent n'est conservé.")
    last = kept[-1]
    reviewed = labelling.reviewed_file(paths.root)
    if (last / "reviewed.yml").exists():
        shutil.copy2(last / "reviewed.yml", reviewed)
    elif reviewed.exists():
        reviewed.unlink()
    staged = paths.models_dir / f".{last.name}.tar.gz"
    shutil.copy2(last / "spro.tar.gz", staged)
    os.replace(staged, paths.serving)
    (paths.models_dir / "spro.fingerprint").write_text(training_fingerprint(paths.root))
    shutil.rmtree(last)
    return last.name


def retrain(
    paths: GatePaths,
    by: str,
    finetune: bool = False,
    personas: bool = True,
    tolerance: Tolerance = Tolerance(),
) -> Run:
    """One run of the gate (see the module's docstring); its report is written."""
    from bot.review.gate_report import write_report

    paths.runs.mkdir(parents=True, exist_ok=True)
    with open(paths.review_dir / "gate.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GateBusy("Un contrôle de qualité est déjà en cours.") from None
        started = time.monotonic()
        run = Run(
            id=datetime.now().strftime("%Y%m%d-%H%M%S"),
            by=by,
            mode="affinage" if finetune else "complet",
        )
        run_dir = paths.runs / run.id
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "state").write_text("en cours", encoding="utf-8")
        try:
            _run(paths, run, run_dir, finetune, personas, tolerance)
        except Exception as problem:  # the report says why; the serving model stays
            run.decision = "échec"
            run.reasons.append(str(problem))
            labels_file = run_dir / "labels.yml"
            if labels_file.exists():
                refuse(run, labels_file)
            raise
        finally:
            run.seconds = round(time.monotonic() - started, 1)
            (run_dir / "run.json").write_text(run.as_json(), encoding="utf-8")
            write_report(run, run_dir / "rapport.html", tolerance)
            (run_dir / "state").write_text(run.decision, encoding="utf-8")
    return run


def _run(
    paths: GatePaths,
    run: Run,
    run_dir: Path,
    finetune: bool,
    personas: bool,
    tolerance: Tolerance,
) -> None:
    labels_file = _take_pending(run_dir)
    if labels_file is None:
        run.decision = "rien à faire"
        run.reasons.append("Aucun exemple relu n'attend le contrôle.")
        return
    run.labels = _label_records(labels_file)
    labels = held_out_sentences(labels_file)
    training = training_examples(paths.root)
    run.conflicts = conflicts(labels, training)
    near = resembling(labels, training)
    if run.conflicts:
        run.reasons += [
            f"« {c['label']} » étiqueté {c['intent']} a les mots de la phrase "
            f"d'entraînement « {c['training']} » ({c['training_intent']})."
            for c in run.conflicts
        ]
        run.decision = "refusé"
        refuse(run, labels_file)
        return
    serving_training = [Sentence(t, i) for i, t in training]
    run.before = measure(
        paths.serving, paths, {}, personas, kept={TRAINING: serving_training}
    )
    run.before[TRAINING] = {
        "wrong": {
            t: p
            for t, p in run.before[TRAINING]["wrong"].items()
            if t in {s.text for s in near}
        }
    }
    with tempfile.TemporaryDirectory(dir=paths.models_dir, prefix=".gate-") as work:
        log_file = run_dir / "train.log"
        candidate = train_candidate(paths, labels_file, Path(work), finetune, log_file)
        run.after = measure(
            candidate, paths, {LABELS: labels, TRAINING: near}, personas
        )
        judge(run, paths, tolerance)
        if run.reasons:
            run.decision = "refusé"
            refuse(run, labels_file)
            return
        promote(paths, run, labels_file, candidate)
        run.decision = "en service"


def is_busy(paths: GatePaths) -> bool:
    """Whether a run holds the gate now."""
    lock_path = paths.review_dir / "gate.lock"
    if not lock_path.exists():
        return False
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def recent_runs(paths: GatePaths, count: int = 5) -> list[tuple[str, str]]:
    """(run id, state) of the last runs, newest first; « interrompu » if it died."""
    if not paths.runs.exists():
        return []
    busy = is_busy(paths)
    found = []
    for folder in sorted(paths.runs.iterdir(), reverse=True)[:count]:
        state_file = folder / "state"
        state = state_file.read_text(encoding="utf-8") if state_file.exists() else ""
        if state == "en cours" and not busy:
            state = "interrompu"
        found.append((folder.name, state or "interrompu"))
    return found


def report_file(paths: GatePaths, run_id: str) -> Path | None:
    """The report of a run, when ``run_id`` names one."""
    if not run_id.replace("-", "").isdigit():
        return None
    path = paths.runs / run_id / "rapport.html"
    return path if path.exists() else None
