"""Print, as JSON, what a trained model predicts, loaded Rasa's way or with bot.rasa_patches.model_loading.

``SPRO_QUICK_MODEL_LOADING=0|1 python -m tests.model_predictions MODEL``: DIET's intent ranking and entities
on the held-out NLU examples, and TED's action probabilities on every prefix of the test
stories. Run in a subprocess by tests/e2e/test_model_loading.py, once per loader.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bot.config import PROJECT_ROOT


def held_out_examples() -> list[str]:
    """The example sentences of tests/test_nlu.yml, annotations removed by Rasa's reader."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [message.get("text") for message in load_data(str(PROJECT_ROOT / "tests" / "test_nlu.yml")).nlu_examples]


def ted_policy(agent: Any) -> Any:
    """The loaded TEDPolicy inside the agent's graph."""
    from rasa.core.policies.ted_policy import TEDPolicy

    nodes = agent.processor.graph_runner._instantiated_nodes
    return next(node._component for node in nodes.values() if isinstance(node._component, TEDPolicy))


def tracing_counts(agent: Any) -> dict[str, int]:
    """How many times TensorFlow traced each model's prediction function so far."""
    nodes = agent.processor.graph_runner._instantiated_nodes
    counts = {}
    for name, node in nodes.items():
        step = getattr(getattr(node._component, "model", None), "_tf_predict_step", None)
        if step is not None:
            counts[name] = step.experimental_get_tracing_count()
    return counts


async def predictions(model: str) -> dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.training import load_data
    from rasa.shared.core.trackers import DialogueStateTracker

    started = time.perf_counter()
    agent = await load_agent(model_path=model)
    seconds = time.perf_counter() - started
    parses, traces = [], []
    for text in held_out_examples():
        parsed = await agent.parse_message(text)
        traces.append(tracing_counts(agent))
        parses.append({"intent_ranking": [(i["name"], round(i["confidence"], 5)) for i in parsed["intent_ranking"]],
                       "entities": [(e["entity"], e["value"], e["start"]) for e in parsed["entities"]]})
    domain = agent.domain
    ted = ted_policy(agent)
    stories = load_data(str(PROJECT_ROOT / "tests" / "test_stories.yml"), domain, augmentation_factor=0)
    actions = []
    for story in stories:
        events = list(story.events)
        for end in range(1, len(events) + 1):
            if events[end - 1].type_name != "user":
                continue
            tracker = DialogueStateTracker.from_events(story.sender_id, events[:end], domain.slots)
            result = ted.predict_action_probabilities(tracker, domain)
            actions.append([round(p, 5) for p in result.probabilities])
            traces.append(tracing_counts(agent))
    return {"load_seconds": seconds, "parses": parses, "ted": actions,
            "ensemble": ensemble_choices(agent, stories),
            "traces": [traces[0], traces[-1]]}


def ensemble_choices(agent: Any, stories: list[Any]) -> list[Any]:
    """The prediction graph's choice before every action of the test stories.

    Each choice is the winning policy, its rounded probabilities, its events (without
    their time) and flags: what Rasa's processor acts on.
    """
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    choices = []
    for story in stories:
        events = list(story.events)
        for end in range(1, len(events)):
            if not isinstance(events[end], ActionExecuted):
                continue
            tracker = DialogueStateTracker.from_events(story.sender_id, events[:end], agent.domain.slots)
            chosen = agent.processor._predict_next_with_tracker(tracker)
            choices.append([chosen.policy_name, [round(p, 5) for p in chosen.probabilities],
                            [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in chosen.events], chosen.is_no_user_prediction,
                            chosen.is_end_to_end_prediction, chosen.hide_rule_turn])
    return choices


if __name__ == "__main__":
    # The loader is chosen by SPRO_QUICK_MODEL_LOADING (see bot.config), the patches by
    # SPRO_RASA_PATCHES_OFF, both set by the caller; installed as the server does.
    from bot.runtime.rasa_server import install_patches

    install_patches()
    print("PREDICTIONS " + json.dumps(asyncio.run(predictions(sys.argv[1]))))
