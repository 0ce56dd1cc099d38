"""`rasa data validate` is clean, and every custom action is registered."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import child_environment, venv_bin


def test_rasa_data_validate_is_clean() -> None:
    run = subprocess.run(
        [venv_bin("rasa"), "data", "validate"],
        cwd=PROJECT_ROOT, env=child_environment(), capture_output=True, text=True, timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    warnings = re.findall(r"UserWarning: (.*)", output)
    # Responses sent only by custom actions are flagged as unused by the validator:
    # accept them only if the code really uses them.
    code = "\n".join(p.read_text() for p in (PROJECT_ROOT / "bot").rglob("*.py"))
    # Forms ask with utter_ask_<slot>; Rasa's action_restart sends utter_restart.
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    sent_by_rasa = {"utter_restart"} | {
        f"utter_ask_{slot}" for form in (domain.get("forms") or {}).values()
        for slot in form.get("required_slots", [])
    }
    unexplained = [
        w for w in warnings
        if not ((m := re.match(r"The utterance '(\w+)' is not used", w))
                and (f'"{m[1]}"' in code or m[1] in sent_by_rasa))
    ]
    assert not unexplained, unexplained


def test_every_domain_action_is_registered_in_the_action_server() -> None:
    import rasa_sdk.executor

    executor = rasa_sdk.executor.ActionExecutor()
    executor.register_package("bot.actions")
    domain = yaml.safe_load(Path(PROJECT_ROOT / "domain.yml").read_text())
    custom = [a for a in domain.get("actions", []) if not a.startswith("utter_")]
    assert custom
    for name in custom:
        assert name in executor.actions, f"{name} is in domain.yml but not in bot.actions"


def test_every_response_renders_without_a_placeholder_error(monkeypatch) -> None:
    """Rasa fills {slot} placeholders in every string, buttons' payloads included."""
    import asyncio

    import rasa.core.nlg.interpolator as interpolator
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    errors: list[str] = []
    monkeypatch.setattr(
        interpolator.structlogger, "exception", lambda event, **kw: errors.append(kw)
    )
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker.from_events("test", [], slots=domain.slots)
    payloads = set()
    for name, variations in domain.responses.items():
        # Values the actions pass with the response (utter_message(response=…, x=…)).
        given = {
            key: "valeur"
            for variation in variations
            for key in re.findall(r"(?<!{){(\w+)}(?!})", variation.get("text") or "")
        }
        message = asyncio.run(nlg.generate(name, tracker, "rest", **given))
        payloads |= {b["payload"] for b in (message or {}).get("buttons") or []}
    assert errors == []
    assert '/give_feedback{"feedback": "en_partie"}' in payloads
