"""TED runs only when its prediction can change the chosen action.

Rasa 3.6 runs every policy of the prediction graph for every prediction, then
``DefaultPolicyPredictionEnsemble._pick_best_policy`` picks one: a "no user" prediction
wins over all others; then an end-to-end prediction over the others; then the highest
maximum confidence, ties going to the higher priority. ``TEDPolicy`` (priority 1 by
default) never makes a "no user" prediction, adds no mandatory event, gives no
confidence above 1, and, trained without end-to-end stories (no text in its features),
makes no end-to-end prediction. So when another policy of higher priority has predicted
with confidence 1 (``RulePolicy`` when a rule applies, ``MemoizationPolicy`` on a
memorised story), or one made a "no user" or end-to-end prediction, TED's output cannot
change the ensemble's result: same action, same probabilities, same events.

Here the prediction graph runs the TED node lazily: it gives the ensemble a pending
call, which the ensemble's node makes only when that condition does not hold, or when
the last action was rejected (the ensemble then lowers that action's probability in
every prediction). Whatever the graph returns is the same as with Rasa's own runner
(``tests/e2e/test_rasa_patches_identical.py`` compares every choice on the test stories
and whole conversations). A TED model trained with end-to-end stories, another
ensemble, or another policy class is run Rasa's way.

``install()`` applies it when the installed Rasa is a checked version, unless
``SPRO_RASA_PATCHES_OFF`` names ``policy_graph`` (or ``all``).
"""

from __future__ import annotations

from typing import Any

from bot.rasa_patches import (
    patch_enabled,
    rasa_attribute,
    rasa_version_checked,
    replace_attributes,
    restore_attributes,
)

NAME = "policy_graph"
_PLANS = "_spro_lazy_plans"
ENSEMBLE_FN = "combine_predictions_from_kwargs"
POLICY_FN = "predict_action_probabilities"


class PendingOutput:
    """A graph node's call, made at most once, when its output is needed."""

    def __init__(self, node: Any, inputs: tuple[Any, ...]) -> None:
        """Keep ``node`` and the inputs the graph gave it."""
        self.node = node
        self.inputs = inputs
        self._output: tuple[str, Any] | None = None

    def output(self) -> tuple[str, Any]:
        """The node's ``(name, output)``, computed at the first call."""
        if self._output is None:
            self._output = self.node(*self.inputs)
        return self._output


class LazyNode:
    """Stands for a graph node in the run graph: returns a ``PendingOutput``."""

    def __init__(self, node: Any) -> None:
        """Stand for ``node`` (a Rasa ``GraphNode``)."""
        self.node = node

    def __call__(self, *inputs: Any) -> tuple[str, PendingOutput]:
        """The node's name and its call, not made yet."""
        return self.node._node_name, PendingOutput(self.node, inputs)


def ted_cannot_win(predictions: list[Any], lazy_priority: int, tracker: Any) -> bool:
    """True when a TED prediction (of ``lazy_priority``) cannot be the ensemble's pick.

    ``predictions`` are those already made. The rules are those of Rasa 3.6's
    ``DefaultPolicyPredictionEnsemble._best_policy_prediction``.
    """
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    last_action = next(
        (
            event
            for event in reversed(tracker.events)
            if isinstance(event, (ActionExecutionRejected, ActionExecuted))
        ),
        None,
    )
    if isinstance(last_action, ActionExecutionRejected):
        return False
    return any(
        prediction.is_no_user_prediction
        or prediction.is_end_to_end_prediction
        or (
            prediction.max_confidence >= 1.0
            and prediction.policy_priority > lazy_priority
        )
        for prediction in predictions
    )


class EnsembleNode:
    """Stands for the ensemble's node: makes the pending TED calls only when needed."""

    def __init__(self, node: Any, lazy_priority: int) -> None:
        """Stand for the ensemble's ``node``; TED's priority is ``lazy_priority``."""
        self.node = node
        self.lazy_priority = lazy_priority

    def __call__(self, *inputs: Any) -> tuple[str, Any]:
        """The ensemble's pick, TED's prediction made first if it could change it."""
        from rasa.core.policies.policy import PolicyPrediction

        received: dict[str, Any] = dict(i for i in inputs if isinstance(i, tuple))
        if any(isinstance(v, PendingOutput) for v in received.values()):
            tracker = received[self.node._inputs["tracker"]]
            made = [v for v in received.values() if isinstance(v, PolicyPrediction)]
            if not ted_cannot_win(made, self.lazy_priority, tracker):
                inputs = tuple(
                    item[1].output()
                    if isinstance(item, tuple) and isinstance(item[1], PendingOutput)
                    else item
                    for item in inputs
                )
        return self.node(*inputs)


def lazy_policy_nodes(schema: Any, instantiated: dict[str, Any]) -> dict[str, int]:
    """TED nodes whose only reader is Rasa's default ensemble, with their priority."""
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.shared.nlu.constants import TEXT

    readers: dict[str, list[str]] = {name: [] for name in schema.nodes}
    for name, schema_node in schema.nodes.items():
        for provider in schema_node.needs.values():
            if provider in readers:
                readers[provider].append(name)
    lazy = {}
    for name, schema_node in schema.nodes.items():
        component = getattr(instantiated.get(name), "_component", None)
        if (
            schema_node.uses is not TEDPolicy
            or schema_node.fn != POLICY_FN
            or not isinstance(component, TEDPolicy)
            or component.only_e2e
            or TEXT in component.fake_features
            or len(readers[name]) != 1
        ):
            continue
        reader = schema.nodes[readers[name][0]]
        if reader.uses is DefaultPolicyPredictionEnsemble and reader.fn == ENSEMBLE_FN:
            lazy[name] = component.priority
    return lazy


def lazy_plan(runner: Any, schema: Any) -> tuple[str, str, int] | None:
    """The lazy TED node, its ensemble and TED's priority, once per set of nodes.

    Rasa builds the run graph again for every prediction, from the same few schemas:
    what can run lazily is worked out at a schema's first run and kept on the runner.
    """
    plans = vars(runner).setdefault(_PLANS, {})
    key = tuple(schema.nodes)
    if key not in plans:
        lazy = lazy_policy_nodes(schema, runner._instantiated_nodes)
        plans[key] = None
        if len(lazy) == 1:
            ((name, priority),) = lazy.items()
            ensemble = next(
                n for n, s in schema.nodes.items() if name in s.needs.values()
            )
            plans[key] = (name, ensemble, priority)
    return plans[key]


def build_dask_graph(self: Any, schema: Any) -> dict[str, Any]:
    """``DaskGraphRunner._build_dask_graph`` with TED lazy behind its ensemble."""
    from rasa.engine.runner.dask import DaskGraphRunner

    run_graph = rasa_attribute(DaskGraphRunner, "_build_dask_graph")(self, schema)
    plan = lazy_plan(self, schema)
    if plan is None:
        return run_graph
    name, ensemble, priority = plan
    task = run_graph[name]
    run_graph[name] = (LazyNode(task[0]), *task[1:])
    task = run_graph[ensemble]
    run_graph[ensemble] = (EnsembleNode(task[0], priority), *task[1:])
    return run_graph


def run(
    self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """``DaskGraphRunner.run``; a pending output asked for as a target is computed."""
    from rasa.engine.runner.dask import DaskGraphRunner

    results = rasa_attribute(DaskGraphRunner, "run")(self, inputs, targets)
    return {
        name: value.output()[1] if isinstance(value, PendingOutput) else value
        for name, value in results.items()
    }


REPLACEMENTS = {"_build_dask_graph": build_dask_graph, "run": run}


def install() -> None:
    """Patch ``DaskGraphRunner`` (idempotent)."""
    if not patch_enabled(NAME) or not rasa_version_checked(NAME):
        return
    from rasa.engine.runner.dask import DaskGraphRunner

    replace_attributes(DaskGraphRunner, REPLACEMENTS)


def uninstall() -> None:
    """Put Rasa's own runner back (for the equality tests)."""
    from rasa.engine.runner.dask import DaskGraphRunner

    restore_attributes(DaskGraphRunner, REPLACEMENTS)
