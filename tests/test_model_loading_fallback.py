"""Quick model loading falls back to Rasa's own load when its graph cannot be traced."""

from __future__ import annotations

from typing import Any

import pytest

from bot.rasa_patches import model_loading


class FakeStatus:
    """What ``load_weights`` returns: checks that may pass or fail."""

    def __init__(self) -> None:
        self.partial = False

    def assert_existing_objects_matched(self) -> None:
        """Every weight came from the checkpoint."""

    def expect_partial(self) -> None:
        """Training-only weights are not needed."""
        self.partial = True


class FakeModel:
    """A model class with Rasa's load kept where ``install`` keeps it."""

    rasa_loads: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.status = FakeStatus()
        self.inferences = 0

    def load_weights(self, path: str) -> FakeStatus:
        return self.status

    def run_inference(self, data: Any) -> None:
        self.inferences += 1

    @classmethod
    def _spro_rasa_load(cls, path: str, *args: Any, **kwargs: Any) -> str:
        cls.rasa_loads.append(path)
        return "loaded the Rasa way"


def test_a_graph_that_cannot_be_traced_without_autograph_loads_the_rasa_way(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tensorflow as tf

    def branch_on_a_tensor(model: Any, data: Any) -> None:
        raise tf.errors.OperatorNotAllowedInGraphError("a tensor used as a bool")

    monkeypatch.setattr(model_loading, "trace_without_autograph", branch_on_a_tensor)
    FakeModel.rasa_loads = []
    loaded = model_loading.quick_load(FakeModel, "model.tf", "example", "predict")
    assert loaded == "loaded the Rasa way"
    assert FakeModel.rasa_loads == ["model.tf"]
    assert "loading the Rasa way" in caplog.text


def test_autograph_switched_off_by_the_patch_switch_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    traced: list[Any] = []
    monkeypatch.setattr(
        model_loading, "trace_without_autograph", lambda model, data: traced.append(1)
    )
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "autograph")
    loaded = model_loading.quick_load(FakeModel, "model.tf", "example", "predict")
    assert isinstance(loaded, FakeModel) and loaded.inferences == 1 and traced == []
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "")
    loaded = model_loading.quick_load(FakeModel, "model.tf", "example", "predict")
    assert traced == [1] and loaded.status.partial
