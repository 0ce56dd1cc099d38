"""TensorFlow's tensors give back their attribute storage when freed (Python 3.11).

TensorFlow 2.12 builds its ``EagerTensor`` type in C on a Python base class. On
CPython 3.11 that base gives the type a "managed dict" (``Py_TPFLAGS_MANAGED_DICT``):
``object.__new__`` allocates, for every new tensor, a small array for its instance
attributes, stored just before the object. CPython's own deallocator for such types
frees it; TensorFlow's ``EagerTensor_dealloc`` does not know it exists. So every
tensor Rasa's models create (about 30 a message: inputs converted for DIET and TED,
their outputs) left one small block behind: the Rasa server's memory rose by about
1 MB every 1,000 messages, for as long as it ran (TensorFlow issues #60131, #62551;
measured in docs/performance.md, "The soak").

Here the type's deallocator is wrapped: before TensorFlow's own runs, the tensor is
untracked by the garbage collector (as TensorFlow's first step does), its attribute
array is turned into an ordinary dictionary by CPython's public
``PyObject_GenericGetDict`` and that dictionary is released, which frees the array
and whatever attributes it held. Then TensorFlow's deallocator runs unchanged.
Nothing else differs: tests/test_tensor_dealloc.py.

``install()`` applies it only on the layout it was checked against (CPython 3.11,
TensorFlow 2.12, the type's flag and slot where they are expected); otherwise
TensorFlow's own deallocator stays, and a warning says so. ``SPRO_RASA_PATCHES_OFF``
naming ``tensor_dealloc`` (or ``all``) leaves it off. It is taken off at exit,
before Python's own teardown.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import sys
from typing import Any

from bot.rasa_patches import patch_enabled

logger = logging.getLogger(__name__)

NAME = "tensor_dealloc"
CHECKED_TENSORFLOW = ("2.12.",)
CHECKED_PYTHON = (3, 11)
MANAGED_DICT_FLAG = 1 << 4  # Py_TPFLAGS_MANAGED_DICT in CPython 3.11
POINTER = ctypes.sizeof(ctypes.c_void_p)
# PyTypeObject's first fields: refcount, type, size, name, basicsize, itemsize, dealloc.
BASICSIZE_OFFSET = 4 * POINTER
DEALLOC_OFFSET = 6 * POINTER
# CPython 3.11 keeps a managed dict's values at object - 4 words, the dict at - 3.
VALUES_OFFSET = -4 * POINTER
DICT_OFFSET = -3 * POINTER

Destructor = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
# TensorFlow's deallocator and the wrapper in its place, while installed.
_installed: list[tuple[int, Any]] = []
# Wrappers taken off: never freed, a tensor being freed may still be running one.
_retired: list[Any] = []


def tensor_type() -> type:
    """TensorFlow's ``EagerTensor`` class."""
    from tensorflow.python.framework.ops import EagerTensor

    return EagerTensor


def layout_checked(cls: type) -> str:
    """Why the patch does not apply to ``cls`` here ("" when it does)."""
    import tensorflow as tf

    if sys.version_info[:2] != CHECKED_PYTHON:
        return f"Python {sys.version_info[0]}.{sys.version_info[1]}"
    if not tf.__version__.startswith(CHECKED_TENSORFLOW):
        return f"TensorFlow {tf.__version__}"
    if not cls.__flags__ & MANAGED_DICT_FLAG:
        return f"{cls.__name__} has no managed dict"
    basicsize = ctypes.c_ssize_t.from_address(id(cls) + BASICSIZE_OFFSET).value
    if basicsize != cls.__basicsize__:
        return "unexpected type layout"
    return ""


def freeing_destructor(original: int) -> Any:
    """A C destructor: free the tensor's managed dict, then call ``original``."""
    api = ctypes.pythonapi
    untrack = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("PyObject_GC_UnTrack", api))
    get_dict = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p, ctypes.c_void_p)(
        ("PyObject_GenericGetDict", api)
    )
    decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", api))
    # Called with the GIL held (PYFUNCTYPE), as Python calls a deallocator.
    tensorflow_dealloc = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(original)
    pointer_at = ctypes.c_void_p.from_address

    def dealloc(address: int) -> None:
        try:
            untrack(address)
            if pointer_at(address + VALUES_OFFSET).value:
                # Moves the values into a dict held at DICT_OFFSET (a new reference).
                get_dict(address, None)
            held = pointer_at(address + DICT_OFFSET)
            if held.value:
                attributes = held.value
                held.value = None
                decref(attributes)
        finally:
            tensorflow_dealloc(address)

    return Destructor(dealloc)


def install() -> None:
    """Wrap ``EagerTensor``'s deallocator (idempotent)."""
    if _installed or not patch_enabled(NAME):
        return
    cls = tensor_type()
    reason = layout_checked(cls)
    if reason:
        logger.warning(
            "%s: %s is not the layout %s was checked against: "
            "TensorFlow's own deallocator is used.",
            NAME,
            reason,
            NAME,
        )
        return
    slot = ctypes.c_void_p.from_address(id(cls) + DEALLOC_OFFSET)
    original = slot.value
    assert original is not None
    destructor = freeing_destructor(original)
    _installed.append((original, destructor))
    slot.value = ctypes.cast(destructor, ctypes.c_void_p).value
    atexit.unregister(uninstall)
    atexit.register(uninstall)


def uninstall() -> None:
    """Put TensorFlow's own deallocator back (tests, and at exit)."""
    if not _installed:
        return
    original, destructor = _installed.pop()
    ctypes.c_void_p.from_address(id(tensor_type()) + DEALLOC_OFFSET).value = original
    _retired.append(destructor)


def installed() -> bool:
    """True while the wrapper is in place."""
    return bool(_installed)
