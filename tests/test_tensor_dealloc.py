"""TensorFlow tensors freed whole (bot/rasa_patches/tensor_dealloc.py).

Without the patch, on CPython 3.11 with TensorFlow 2.12, every tensor leaves one small
block behind when freed (its instance-attribute array) and keeps whatever attributes
were set on it. With it, nothing is left and everything else is as before.
"""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import tensorflow as tf

from bot.rasa_patches import tensor_dealloc

ROUNDS = 3000
INPUT = np.arange(6, dtype=np.float32).reshape(2, 3)


class Marker:
    """An object whose lifetime a weak reference shows."""


@tf.function
def doubled_sum(x: tf.Tensor) -> tf.Tensor:
    """A traced function, as Rasa's models call them: inputs and outputs are tensors."""
    return tf.reduce_sum(x * 2.0, axis=1)


@pytest.fixture
def patched() -> Iterator[None]:
    tensor_dealloc.install()
    assert tensor_dealloc.installed()
    try:
        yield
    finally:
        tensor_dealloc.uninstall()


@pytest.fixture
def unpatched() -> Iterator[None]:
    was_installed = tensor_dealloc.installed()
    tensor_dealloc.uninstall()
    try:
        yield
    finally:
        if was_installed:
            tensor_dealloc.install()


def blocks_left_per_call(make: Callable[[], object]) -> float:
    """Python memory blocks still allocated after ``make()``, per call."""
    make()
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(ROUNDS):
        make()
    gc.collect()
    return (sys.getallocatedblocks() - before) / ROUNDS


def constant_and_function() -> object:
    return doubled_sum(tf.constant(INPUT))


def test_without_the_patch_every_tensor_leaves_a_block(unpatched: None) -> None:
    # The defect the patch is for, on the installed Python and TensorFlow.
    assert blocks_left_per_call(lambda: tf.constant(INPUT)) > 0.9
    assert blocks_left_per_call(constant_and_function) > 1.8


def test_with_the_patch_tensors_leave_nothing(patched: None) -> None:
    assert blocks_left_per_call(lambda: tf.constant(INPUT)) < 0.05
    assert blocks_left_per_call(constant_and_function) < 0.05


def test_values_are_the_same_with_and_without_the_patch() -> None:
    tensor_dealloc.uninstall()
    before = doubled_sum(tf.constant(INPUT)).numpy()
    tensor_dealloc.install()
    try:
        after = doubled_sum(tf.constant(INPUT)).numpy()
    finally:
        tensor_dealloc.uninstall()
    assert before.tolist() == after.tolist() == [6.0, 24.0]


def test_attributes_set_on_a_tensor_are_released_with_it(patched: None) -> None:
    marker = Marker()
    held = weakref.ref(marker)
    tensor = tf.constant(INPUT)
    tensor.marker = marker  # type: ignore[attr-defined]
    assert tensor.marker is marker  # type: ignore[attr-defined]
    del marker, tensor
    gc.collect()
    assert held() is None


def test_a_tensor_whose_dict_was_read_is_released_whole(patched: None) -> None:
    marker = Marker()
    held = weakref.ref(marker)
    tensor = tf.constant(INPUT)
    tensor.__dict__["marker"] = marker
    assert vars(tensor) == {"marker": marker}
    del marker, tensor
    gc.collect()
    assert held() is None


def test_weak_references_to_a_freed_tensor_are_cleared(patched: None) -> None:
    tensor = tf.constant(INPUT)
    reference = weakref.ref(tensor)
    del tensor
    assert reference() is None


def test_tensors_freed_in_another_thread(patched: None) -> None:
    tensors = [tf.constant(INPUT) for _ in range(200)]
    worker = threading.Thread(target=tensors.clear)
    worker.start()
    worker.join()
    assert blocks_left_per_call(lambda: tf.constant(INPUT)) < 0.05


def test_the_switch_leaves_tensorflows_deallocator(
    monkeypatch: pytest.MonkeyPatch, unpatched: None
) -> None:
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "tensor_dealloc")
    tensor_dealloc.install()
    assert not tensor_dealloc.installed()


def test_uninstall_puts_tensorflows_deallocator_back(unpatched: None) -> None:
    import ctypes

    slot = ctypes.c_void_p.from_address(
        id(tensor_dealloc.tensor_type()) + tensor_dealloc.DEALLOC_OFFSET
    )
    original = slot.value
    tensor_dealloc.install()
    assert slot.value != original
    tensor_dealloc.uninstall()
    assert slot.value == original


def test_a_type_without_a_managed_dict_is_not_patched() -> None:
    assert tensor_dealloc.layout_checked(tensor_dealloc.tensor_type()) == ""
    assert tensor_dealloc.layout_checked(int) == "int has no managed dict"
