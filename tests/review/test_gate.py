"""The quality gate's rules, without training: conflicts, judgement, history, report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.review import decision, labelling
from bot.review.decision import Run, Tolerance
from bot.review.gate_report import report_html, run_date, run_title
from bot.review.labelling import Label
from bot.review.measures import Sentence, figures
from bot.runtime import gate, persona_servers
from bot.runtime.gate import GatePaths

AT = datetime(2026, 12, 6, 14, 30)
HELD_OUT = ["test_nlu.yml"]


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GatePaths:
    """A training root with one data file, a models folder, a var folder."""
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SPRO_TRAINING_ROOT", str(tmp_path / "root"))
    root = tmp_path / "root"
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "bot").mkdir()
    for name in ("config.yml", "domain.yml", "bot/nlu.py"):
        (root / name).write_text(name, encoding="utf-8")
    (root / "data" / "nlu" / "base.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - bonjour\n'
        "    - bonjour à vous\n- intent: inform\n  examples: |\n"
        "    - je cherche un emploi\n",
        encoding="utf-8",
    )
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "spro.tar.gz").write_bytes(b"model one")
    return gate.default_paths(tmp_path / "models")


def test_a_label_with_the_words_of_another_intent_conflicts(paths: GatePaths) -> None:
    """« Bonjour ! » labelled as a job request has the words of a greeting."""
    training = decision.training_examples(paths.root)
    harmful = [Sentence("Bonjour !", "inform")]
    assert [c["training"] for c in decision.conflicts(harmful, training)] == ["bonjour"]
    assert decision.conflicts([Sentence("bonjour", "greet")], training) == []
    assert decision.conflicts([Sentence("je cherche du taf", "inform")], training) == []
    near = decision.resembling([Sentence("Bonjour à tous", "inform")], training)
    assert [s.text for s in near] == ["bonjour à vous"]


def test_figures_count_intents_entities_and_wrong_sentences() -> None:
    """A sentence is wrong when its intent or one of its entities is missed."""
    sentences = [
        Sentence("salut", "greet"),
        Sentence("j'habite Dreux", "inform", (("commune", "Dreux"),)),
    ]
    parses = [
        {"intent": {"name": "greet"}, "entities": []},
        {"intent": {"name": "inform"}, "entities": []},
    ]
    measured = figures(sentences, parses)
    assert measured.intent_accuracy == 1.0
    assert measured.entity_f1 == 0.0
    assert measured.wrong == {"j'habite Dreux": "inform"}
    found = [{"entity": "commune", "start": 9, "end": 14}]
    parses[1]["entities"] = found
    assert figures(sentences, parses).wrong == {}


def _set(f1: float, wrong: dict[str, str]) -> dict:
    return {
        "sentences": 10,
        "intent_macro_f1": f1,
        "intent_accuracy": f1,
        "entity_f1": None,
        "wrong": wrong,
    }


def test_judge_refuses_drops_beyond_tolerance_and_lists_what_regressed() -> None:
    """Within tolerance a new wrong sentence is listed; beyond, a drop is a reason."""
    run = Run("1", "x", "affinage")
    run.before = {
        "test_nlu.yml": _set(0.95, {"a": "greet"}),
        "personas": {"personas.yml": {"p1": "", "p2": ""}},
    }
    run.after = {
        "test_nlu.yml": _set(0.945, {"a": "greet", "b": "inform"}),
        "personas": {"personas.yml": {"p1": "", "p2": ""}},
        decision.LABELS: {"wrong": {}},
    }
    decision.judge(run, HELD_OUT, Tolerance())
    assert run.reasons == []
    assert run.regressed_sentences == [
        {"set": "test_nlu.yml", "text": "b", "predicted": "inform", "near_label": ""}
    ]
    worse = Run("2", "x", "affinage", before=run.before)
    worse.after = {
        "test_nlu.yml": _set(0.9, {"a": "greet"}),
        "personas": {"personas.yml": {"p1": "", "p2": "orienté vers cio"}},
        decision.LABELS: {"wrong": {"bonjour": "greet"}},
    }
    decision.judge(worse, HELD_OUT, Tolerance())
    assert len(worse.reasons) == 4  # F1, accuracy, the label, the persona
    assert worse.regressed_personas[0]["persona"] == "p2"
    assert "Exemple relu mal compris" in " ".join(worse.reasons)


def test_sign_test_is_the_binomial_tail() -> None:
    """Chance of at least ``lost`` heads in ``lost + gained`` fair tosses."""
    assert decision.sign_test(0, 0) == 1.0
    assert decision.sign_test(1, 0) == 0.5
    assert decision.sign_test(3, 0) == 0.125
    assert decision.sign_test(2, 2) == 11 / 16
    assert decision.sign_test(8, 0) == 1 / 256
    assert round(decision.sign_test(10, 6), 4) == 0.2272


def _moved(lost: int, gained: int) -> tuple[dict, dict]:
    """Figures of a set where ``lost`` answers became wrong and ``gained`` right."""
    old = {f"juste avant {i}": "greet" for i in range(gained)}
    new = {f"faux après {i}": "inform" for i in range(lost)}
    return _set(0.95, old), _set(0.95 - 0.003 * (lost - gained), new)


def _judged(lost: int, gained: int, labels: list[str], **after: dict) -> Run:
    run = Run(
        "1",
        "x",
        "complet",
        labels=[{"text": t, "intent": "inform", "by": "x"} for t in labels],
    )
    before, moved = _moved(lost, gained)
    run.before = {"test_nlu.yml": before}
    run.after = {"test_nlu.yml": {**moved, "wrong": {**moved["wrong"], **after}}}
    decision.judge(run, HELD_OUT, Tolerance())
    return run


def test_judge_tells_retraining_noise_from_a_net_loss() -> None:
    """Answers moved both ways serve; a one-way loss chance cannot explain does not."""
    noise = _judged(7, 3, ["chui o chomdu"])  # as measured (docs/review.md)
    assert noise.reasons == [] and noise.sign_test_p == 0.1719
    assert len(noise.improved_sentences) == 3
    loss = _judged(8, 0, ["chui o chomdu"])
    assert loss.sign_test_p == 0.0039
    assert len(loss.reasons) == 1 and "test du signe" in loss.reasons[0]
    assert "8 phrases de test devenues fausses pour 0" in loss.reasons[0]


def test_judge_refuses_a_regression_near_a_label() -> None:
    """One held-out sentence sharing words with a label, now wrong, is enough."""
    run = _judged(0, 3, ["coucou ça va"], **{"coucou ça va bien": "inform"})
    assert run.regressed_sentences[0]["near_label"] == "oui"
    assert run.reasons == [
        "Phrase de test proche d'un exemple relu, désormais fausse : "
        "« coucou ça va bien » → inform."
    ]
    wide = Tolerance.from_setting("near_labels=1, significance=0.01, x=3")
    assert (wide.near_labels, wide.significance) == (1, 0.01)


def test_promotion_keeps_history_and_rollback_restores_model_and_labels(
    paths: GatePaths,
) -> None:
    """The model that served and the labels file come back as they were."""
    labelling.write_label(Label("g pa de boulo", "inform", "rlefevre", at=AT))
    run_dir = paths.runs / "20261206-143000"
    run_dir.mkdir(parents=True)
    taken = decision.take_pending(run_dir)
    assert taken is not None and not labelling.pending_file().exists()
    candidate = paths.models_dir / "candidate.tar.gz"
    candidate.write_bytes(b"model two")
    gate.promote(
        paths, Run("20261206-143000", "rlefevre", "affinage"), taken, candidate
    )
    assert paths.serving.read_bytes() == b"model two"
    reviewed = labelling.reviewed_file().read_text(encoding="utf-8")
    assert reviewed.startswith(labelling.HEADER)
    assert "# relu par rlefevre le 2026-12-06 à 14:30\n" in reviewed
    assert "- g pa de boulo" in reviewed
    assert labelling.labelled_keys() == {"g pa de boulo"}
    assert gate.rollback(paths) == "20261206-143000"
    assert paths.serving.read_bytes() == b"model one"
    assert not labelling.reviewed_file().exists()
    with pytest.raises(FileNotFoundError):
        gate.rollback(paths)


def test_only_the_last_models_are_kept(paths: GatePaths) -> None:
    """``HISTORY_KEPT`` previous models, the oldest deleted."""
    labels = paths.root / "labels.yml"
    labels.write_text(labelling.HEADER, encoding="utf-8")
    for number in range(gate.HISTORY_KEPT + 2):
        candidate = paths.models_dir / "candidate.tar.gz"
        candidate.write_bytes(f"model {number}".encode())
        gate.promote(
            paths, Run(f"2026120{number}-000000", "x", "affinage"), labels, candidate
        )
    kept = sorted(p.name for p in paths.history.iterdir())
    assert len(kept) == gate.HISTORY_KEPT and kept[0] == "20261202-000000"


def test_a_conflicting_run_is_refused_before_training(paths: GatePaths) -> None:
    """The harmful label goes back to the inbox marked refused; the model stays."""
    labelling.write_label(Label("Bonjour !", "inform", "rlefevre", at=AT))
    run = gate.retrain(paths, "rlefevre", personas=False)
    assert run.decision == "refusé"
    assert paths.serving.read_bytes() == b"model one"
    assert labelling.refused_keys() == {"bonjour": "inform"}
    assert not labelling.reviewed_file().exists()
    page = (paths.runs / run.id / "rapport.html").read_text(encoding="utf-8")
    assert "Le nouveau modèle est refusé" in page and "« bonjour » (greet)" in page
    assert json.loads((paths.runs / run.id / "run.json").read_text())["decision"] == (
        "refusé"
    )
    assert gate.recent_runs(paths) == [(run.id, "refusé")]


def test_report_is_french_and_escapes_texts() -> None:
    """Decision, labels and figures in French; texts escaped."""
    run = Run("20261206-143000", "rlefevre", "affinage", decision="en service")
    run.labels = [{"text": "<b>g pa</b>", "intent": "inform", "by": "relu par x"}]
    run.before = {"test_nlu.yml": _set(0.95, {})}
    run.after = {"test_nlu.yml": _set(0.96, {})}
    page = report_html(run, Tolerance())
    assert '<html lang="fr">' in page and "Le nouveau modèle est en service." in page
    assert "&lt;b&gt;g pa&lt;/b&gt;" in page and "<b>g pa" not in page
    assert "0,950</td><td>0,960" in page
    assert "Personas non jouées." in page
    title = "Contrôle de qualité du 6 décembre 2026 à 14 h 30"
    assert f"<title>{title} — premier accueil</title>" in page
    assert f"<h1>{title}</h1>" in page and "20261206" not in page


def test_a_run_id_reads_as_a_french_date() -> None:
    """The run's start in words; the 1st of the month « 1er »; other ids as they are."""
    assert run_title("20261206-203048") == (
        "Contrôle de qualité du 6 décembre 2026 à 20 h 30"
    )
    assert run_date("20270101-090500") == "1er janvier 2027 à 9 h 05"
    assert run_date("20260815-000000") == "15 août 2026 à 0 h 00"
    assert run_date("autre") == "autre"


def test_report_shows_both_ways_and_the_sign_test() -> None:
    """Sentences lost and gained, the one near a label marked, chance stated."""
    run = _judged(3, 1, ["coucou ça va"], **{"coucou ça va bien": "inform"})
    page = report_html(run, Tolerance())
    assert "Phrases de test devenues fausses (4)" in page
    assert "Phrases de test devenues justes (1)" in page
    assert "« coucou ça va bien » compris inform <strong>(proche" in page
    assert "Bilan : 4 devenue(s) fausse(s), 1 devenue(s) juste(s)" in page
    assert f"au hasard : {decision.sign_test(4, 1):.3f}".replace(".", ",") in page


def test_the_gate_personas_meet_no_flood_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every persona speaks from 127.0.0.1: no 429 on the gate's own servers."""
    from channels import rate_limits

    started: list[dict[str, str]] = []

    class RecordedStack:
        def __init__(self, **settings: object) -> None:
            started.append(dict(settings["extra_env"]))  # type: ignore[call-overload]

        def start(self) -> None:
            pass

        def wait_ready(self, timeout: float) -> None:
            pass

        def stop(self) -> None:
            pass

    monkeypatch.setattr(persona_servers, "Stack", RecordedStack)
    monkeypatch.setattr(persona_servers, "load_knowledge", lambda work: None)
    assert gate.persona_measures(Path("model.tar.gz"), []) == {}
    monkeypatch.setenv("SPRO_RATE_LIMITS", started[0]["SPRO_RATE_LIMITS"])
    for route in ("/webhooks/rest/conversations", "/webhooks/rest/webhook"):
        limit = rate_limits.limit(rate_limits.ROUTES[route])
        assert (limit.per_address, limit.per_conversation) == (0, 0), route


def test_the_tolerance_is_a_setting_with_the_defaults_kept() -> None:
    """``SPRO_GATE_TOLERANCE`` overrides the fields it names and no other."""
    assert Tolerance.from_setting("") == Tolerance()
    wide = Tolerance.from_setting("newly_wrong=12, intent_f1=0.03,bogus=1,entity_f1=x")
    assert (wide.newly_wrong, wide.intent_f1) == (12, 0.03)
    assert (wide.entity_f1, wide.personas) == (Tolerance().entity_f1, 0)
