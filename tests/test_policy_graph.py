"""TED left out only where it cannot change the ensemble's choice (bot.rasa_patches.policy_graph)."""

from __future__ import annotations

import copy
import random
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.constants import (
    DEFAULT_POLICY_PRIORITY,
    MEMOIZATION_POLICY_PRIORITY,
    RULE_POLICY_PRIORITY,
)
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from bot.rasa_patches import policy_graph
from bot.rasa_patches.policy_graph import (
    EnsembleNode,
    LazyNode,
    PendingOutput,
    lazy_policy_nodes,
    ted_cannot_win,
)

DOMAIN = Domain.from_dict(
    {"intents": ["greet"], "actions": ["action_one", "action_two", "action_three"]}
)
ACTIONS = DOMAIN.action_names_or_texts


def tracker(last_action_rejected: bool, after_user: bool) -> DialogueStateTracker:
    events: list[Any] = [ActionExecuted("action_listen")]
    if after_user:
        events.append(UserUttered("bonjour", {"name": "greet", "confidence": 1.0}))
    else:
        events += [UserUttered("bonjour", {"name": "greet"}), ActionExecuted("action_one")]
    if last_action_rejected:
        events.append(ActionExecutionRejected("action_two"))
    return DialogueStateTracker.from_events("someone", events, DOMAIN.slots)


def probabilities(rng: random.Random, certain: bool) -> list[float]:
    """A policy's output: one action at 1.0 (a rule, a memorised story) or a spread."""
    if certain:
        chosen = [0.0] * len(ACTIONS)
        chosen[rng.randrange(len(ACTIONS))] = 1.0
        return chosen
    sharpness = rng.choice([1, 4, 16, 64])  # from a flat spread to a near certainty
    weights = [rng.random() ** sharpness for _ in ACTIONS]
    return [w / sum(weights) for w in weights]


def policy_predictions(rng: random.Random) -> tuple[list[PolicyPrediction], PolicyPrediction]:
    """Memoization's and the rule policy's predictions, then TED's, as each can make them."""
    made = []
    for name, priority in (
        ("MemoizationPolicy", MEMOIZATION_POLICY_PRIORITY),
        ("RulePolicy", RULE_POLICY_PRIORITY),
    ):
        silent = rng.random() < 0.3
        made.append(
            PolicyPrediction(
                [0.0] * len(ACTIONS) if silent else probabilities(rng, rng.random() < 0.6),
                name,
                priority,
                events=[SlotSet("requested_slot", None)] if rng.random() < 0.2 else [],
                optional_events=[SlotSet("age", 20)] if rng.random() < 0.2 else [],
                is_no_user_prediction=rng.random() < 0.1,
                is_end_to_end_prediction=rng.random() < 0.05,
                hide_rule_turn=rng.random() < 0.3,
            )
        )
    ted = PolicyPrediction(
        probabilities(rng, rng.random() < 0.1),
        "TEDPolicy",
        # TED's priority can be configured: above the others', its certainty wins ties.
        rng.choice([DEFAULT_POLICY_PRIORITY] * 3 + [MEMOIZATION_POLICY_PRIORITY, 9]),
        optional_events=[SlotSet("age", 30)] if rng.random() < 0.3 else [],
        diagnostic_data={"attention": [0.5]},
    )
    return made, ted


def combined(predictions: list[PolicyPrediction], state: DialogueStateTracker) -> Any:
    """What Rasa's ensemble picks, as the processor sees it."""
    chosen = DefaultPolicyPredictionEnsemble().combine_predictions(
        copy.deepcopy(predictions), state, DOMAIN
    )
    return (
        chosen.policy_name,
        chosen.probabilities,
        [(type(e), e.as_dict().get("name"), e.as_dict().get("value")) for e in chosen.events],
        chosen.is_no_user_prediction,
        chosen.is_end_to_end_prediction,
        chosen.hide_rule_turn,
        chosen.diagnostic_data,
    )


def test_without_ted_the_ensemble_picks_the_same_whenever_ted_is_left_out() -> None:
    rng = random.Random(20261204)
    left_out = kept = 0
    ted_won = 0
    for case in range(4000):
        made, ted = policy_predictions(rng)
        state = tracker(last_action_rejected=case % 7 == 0, after_user=case % 2 == 0)
        with_ted = combined([*made, ted], state)
        ted_won += with_ted[0] == "TEDPolicy"
        if ted_cannot_win(made, ted.policy_priority, state):
            left_out += 1
            assert combined(made, state) == with_ted, case
        else:
            kept += 1
    # The property is exercised both ways, and TED does win where it is kept.
    assert left_out > 1000 and kept > 1000 and ted_won > 300


def test_a_rejected_last_action_always_runs_ted() -> None:
    rule = PolicyPrediction.for_action_name(DOMAIN, "action_two", "RulePolicy")
    rule.policy_priority = RULE_POLICY_PRIORITY
    assert ted_cannot_win([rule], 1, tracker(False, True))
    assert not ted_cannot_win([rule], 1, tracker(True, True))


class Node:
    """A stand-in for Rasa's GraphNode: records its calls."""

    def __init__(self, name: str, inputs: dict[str, str], output: Any, calls: list[str]):
        self._node_name, self._inputs, self.output, self.calls = name, inputs, output, calls

    def __call__(self, *received: Any) -> tuple[str, Any]:
        self.calls.append(self._node_name)
        value = self.output(dict(received)) if callable(self.output) else self.output
        return self._node_name, value


@pytest.mark.parametrize("rule_certain", [True, False])
def test_the_ensemble_node_calls_ted_only_when_needed(rule_certain: bool) -> None:
    calls: list[str] = []
    state = tracker(False, True)
    rule = PolicyPrediction(
        probabilities(random.Random(1), rule_certain), "RulePolicy", RULE_POLICY_PRIORITY
    )
    ted_prediction = PolicyPrediction(probabilities(random.Random(2), False), "TEDPolicy")
    ted = Node("run_TEDPolicy2", {"tracker": "__tracker__"}, ted_prediction, calls)
    ensemble = Node(
        "select_prediction",
        {"policy1": "run_RulePolicy1", "policy2": "run_TEDPolicy2", "tracker": "__tracker__"},
        lambda received: [
            v for v in received.values() if isinstance(v, PolicyPrediction)
        ],
        calls,
    )
    pending = LazyNode(ted)(("__tracker__", state))
    assert calls == [] and isinstance(pending[1], PendingOutput)
    _, seen = EnsembleNode(ensemble, DEFAULT_POLICY_PRIORITY)(
        ("run_RulePolicy1", rule), pending, ("__tracker__", state)
    )
    if rule_certain:
        assert calls == ["select_prediction"] and seen == [rule]
    else:
        assert calls == ["run_TEDPolicy2", "select_prediction"]
        assert seen == [rule, ted_prediction]
    # A pending call is made once at most.
    assert pending[1].output() == ("run_TEDPolicy2", ted_prediction)
    assert calls.count("run_TEDPolicy2") == 1


def ted_component(priority: int = 1, text_features: bool = False) -> TEDPolicy:
    component = TEDPolicy.__new__(TEDPolicy)
    component.priority = priority
    component.only_e2e = False
    component.fake_features = defaultdict(list)
    if text_features:
        component.fake_features[TEXT] = []
    return component


def schema(ensemble: type = DefaultPolicyPredictionEnsemble, ted_readers: int = 1) -> GraphSchema:
    nodes = {
        "run_RulePolicy1": SchemaNode({}, object, "", "predict_action_probabilities", {}),
        "run_TEDPolicy2": SchemaNode({}, TEDPolicy, "", "predict_action_probabilities", {}),
        "select_prediction": SchemaNode(
            {"policy1": "run_RulePolicy1", "policy2": "run_TEDPolicy2", "tracker": "__tracker__"},
            ensemble,
            "",
            "combine_predictions_from_kwargs",
            {},
        ),
    }
    if ted_readers > 1:
        nodes["another_reader"] = SchemaNode({"x": "run_TEDPolicy2"}, object, "", "run", {})
    return GraphSchema(nodes)


def test_only_a_ted_without_text_features_read_by_the_default_ensemble_is_lazy() -> None:
    def instantiated(component: Any) -> dict[str, Any]:
        return {"run_TEDPolicy2": SimpleNamespace(_component=component)}

    assert lazy_policy_nodes(schema(), instantiated(ted_component(2))) == {
        "run_TEDPolicy2": 2
    }
    assert lazy_policy_nodes(schema(), instantiated(ted_component(text_features=True))) == {}
    assert lazy_policy_nodes(schema(ted_readers=2), instantiated(ted_component())) == {}

    class AnotherEnsemble(DefaultPolicyPredictionEnsemble):
        pass

    assert lazy_policy_nodes(schema(AnotherEnsemble), instantiated(ted_component())) == {}


def test_install_and_uninstall_put_rasa_runner_back() -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    installed_before = DaskGraphRunner.run is policy_graph.run
    policy_graph.uninstall()
    rasa_run = DaskGraphRunner.run
    assert rasa_run is not policy_graph.run
    policy_graph.install()
    policy_graph.install()
    assert DaskGraphRunner.run is policy_graph.run
    policy_graph.uninstall()
    assert DaskGraphRunner.run is rasa_run
    if installed_before:
        policy_graph.install()
