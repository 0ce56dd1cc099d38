"""At least 30 scripted personas over the REST channel, on the real servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.launcher import Stack
from tests.conftest import post_message
from tests.e2e.persona_runner import PersonaResult, load_personas, markdown, play, summary

pytestmark = pytest.mark.e2e
PERSONAS = load_personas()


@pytest.fixture(scope="module")
def results(stack: Stack) -> dict[str, PersonaResult]:
    """Every persona played once against the running assistant."""
    return {p["id"]: play(lambda s, t: post_message(stack.url, s, t), p) for p in PERSONAS}


def test_there_are_at_least_30_personas() -> None:
    assert len(PERSONAS) >= 30
    assert len({p["id"] for p in PERSONAS}) == len(PERSONAS)


@pytest.mark.parametrize("persona_id", [p["id"] for p in PERSONAS])
def test_persona_is_oriented_to_the_expected_network_and_commune(
    results: dict[str, PersonaResult], persona_id: str
) -> None:
    result = results[persona_id]
    assert not result.problems(), "\n".join([*result.problems(), *result.transcript])


def test_routing_accuracy_and_median_turns(results: dict[str, PersonaResult]) -> None:
    figures = summary(list(results.values()))
    report = Path(PROJECT_ROOT / "results")
    report.mkdir(exist_ok=True)
    (report / "personas.md").write_text(markdown(figures), encoding="utf-8")
    print("\n" + markdown(figures))
    assert figures["routing_accuracy"] >= 0.9, figures["failures"]
    assert figures["median_turns"] <= 4
