"""The quality gate's runs: a model trained with reviewed labels serves if no worse.

``retrain`` takes the labels waiting in ``var/review/pending.yml``, refuses at once
those that contradict a training sentence of another intent (same words), trains a
candidate with Rasa's training cache (steps whose inputs did not change are
restored; ``finetune=True`` fine-tunes the serving model instead, a fraction of the
epochs: faster, measured worse here, docs/review.md), measures the candidate and the
serving model (``bot.review.measures``) and puts the candidate into service only when
the held-out answers it changed are within retraining noise and none near a label
went wrong, no figure drops beyond ``Tolerance``'s safety nets, no persona the serving
model got right fails, every label is predicted as
labelled and no training sentence resembling a label changes intent. Accepted labels
go to ``data/nlu/reviewed.yml``; refused ones to ``var/review/refused.yml`` (back in the
inbox, marked refused). The model that served before is kept in ``models/history/``
(the last ``HISTORY_KEPT``); ``rollback`` puts it back. Running servers load the
model that replaced ``models/spro.tar.gz`` by themselves (``bot.review.serving``).
Every run leaves a French HTML report (``bot.review.gate_report``). docs/review.md.
The rules are ``bot.review.decision``; this module trains, measures and serves.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.review import labelling
from bot.review.decision import (
    LABELS,
    TRAINING,
    Run,
    Tolerance,
    blocks,
    conflicts,
    judge,
    label_records,
    refuse,
    resembling,
    take_pending,
    training_examples,
)
from bot.review.measures import Sentence, figures, held_out_sentences
from bot.runtime.launcher import (
    RASA_COMMAND,
    child_environment,
    training_fingerprint,
)
from bot.runtime.persona_servers import play_files

HISTORY_KEPT = 5
# Share of config.yml's epochs a fine-tuning runs (DIET 120 -> 24, TED 60 -> 12).
EPOCH_FRACTION = 0.2


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


class GateBusy(RuntimeError):
    """Another run holds the gate."""


@contextmanager
def holding_the_gate(paths: GatePaths) -> Iterator[None]:
    """Hold the gate's lock (one run or rollback at a time); ``GateBusy`` if held."""
    with open(paths.review_dir / "gate.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GateBusy("Un contrôle de qualité est déjà en cours.") from None
        yield


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
    return {
        file.name: {r.id: "; ".join(r.problems()) for r in results}
        for file, (_, results) in zip(files, play_files(model, files))
    }


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


def promote(paths: GatePaths, run: Run, labels_file: Path, candidate: Path) -> None:
    """Keep the serving model in history, add the labels, serve the candidate."""
    kept = paths.history / run.id
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy2(paths.serving, kept / "spro.tar.gz")
    reviewed = labelling.reviewed_file(paths.root)
    if reviewed.exists():
        shutil.copy2(reviewed, kept / "reviewed.yml")
    labelling.append_blocks(reviewed, blocks(labels_file))
    staged = paths.models_dir / f".{run.id}.tar.gz"
    shutil.copy2(candidate, staged)
    os.replace(staged, paths.serving)
    (paths.models_dir / "spro.fingerprint").write_text(training_fingerprint(paths.root))
    for old in sorted(p for p in paths.history.iterdir() if p.is_dir())[:-HISTORY_KEPT]:
        shutil.rmtree(old)


def kept_models(paths: GatePaths) -> list[str]:
    """Ids of the runs whose previous model is kept in history, oldest first."""
    if not paths.history.exists():
        return []
    return sorted(p.name for p in paths.history.iterdir() if p.is_dir())


def rollback(paths: GatePaths) -> str:
    """Serve again the model that served before the last promotion; that run's id.

    ``GateBusy`` while a run holds the gate, ``FileNotFoundError`` when no model is
    kept.
    """
    paths.review_dir.mkdir(parents=True, exist_ok=True)
    with holding_the_gate(paths):
        return _rollback(paths)


def _rollback(paths: GatePaths) -> str:
    kept = kept_models(paths)
    if not kept:
        raise FileNotFoundError("Aucun modèle précédent n'est conservé.")
    last = paths.history / kept[-1]
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
    tolerance: Tolerance | None = None,
) -> Run:
    """One run of the gate (see the module's docstring); its report is written.

    The tolerance: ``tolerance``, else the defaults with ``SPRO_GATE_TOLERANCE``'s.
    """
    from bot.review.gate_report import write_report

    if tolerance is None:
        tolerance = Tolerance.from_setting(os.environ.get("SPRO_GATE_TOLERANCE", ""))

    paths.runs.mkdir(parents=True, exist_ok=True)
    with holding_the_gate(paths):
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
    labels_file = take_pending(run_dir)
    if labels_file is None:
        run.decision = "rien à faire"
        run.reasons.append("Aucun exemple relu n'attend le contrôle.")
        return
    run.labels = label_records(labels_file)
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
        judge(run, [f.name for f in paths.held_out_files()], tolerance)
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
