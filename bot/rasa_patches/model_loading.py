"""Load DIET and TED for prediction without Rasa's one-step training at load time.

Rasa 3.6 rebuilds a trained TensorFlow model by running ``fit`` on one example (to
create the weights), then loads the weights and traces the prediction graph. On this
project's 2-core machines that training step costs about 33 s for DIET and 11 s for
TED at every start, and some 600 MB of memory for the training graph and optimizer.

``quick_load`` restores the same checkpoint without training: TensorFlow restores each
weight when the prediction graph creates it (deferred restoration), then checks that
every weight the prediction uses came from the checkpoint. If anything is missing, or
for fine-tuning, it falls back to Rasa's own ``load``. Predictions are identical; see
``tests/e2e/test_model_loading.py``. ``SPRO_QUICK_MODEL_LOADING=0`` keeps Rasa's way.

The prediction graph is also traced without AutoGraph (``trace_without_autograph``,
``SPRO_RASA_PATCHES_OFF=autograph`` keeps it): AutoGraph rewrites the Python source of
the prediction step and of every function it calls into graph code, about 6 s of each
start here. DIET's and TED's prediction code branches and loops only on settings and
Python lists, never on a tensor's value, so tracing it as written builds the same graph
(the same test proves the predictions identical); a branch on a tensor would fail the
trace at load, and Rasa's own load is used then.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.rasa_patches import patch_enabled

logger = logging.getLogger(__name__)

_RASA_LOAD = "_spro_rasa_load"


def quick_load(
    cls: Any,
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``RasaModel.load`` for prediction: restore the weights, trace prediction only."""
    rasa_load = getattr(cls, _RASA_LOAD)
    if finetune_mode or predict_data_example is None:
        return rasa_load(
            model_file_name,
            model_data_example,
            predict_data_example,
            finetune_mode,
            *args,
            **kwargs,
        )
    model = cls(*args, **kwargs)
    status = model.load_weights(model_file_name)
    try:
        if patch_enabled("autograph"):
            trace_without_autograph(model, predict_data_example)
        model.run_inference(predict_data_example)
        status.assert_existing_objects_matched()
    except (AssertionError, TypeError, ValueError) as error:
        # TypeError: TensorFlow's OperatorNotAllowedInGraphError (a branch on a tensor)
        logger.warning(
            "%s: quick load incomplete (%s); loading the Rasa way",
            cls.__name__,
            type(error).__name__,
        )
        return rasa_load(
            model_file_name,
            model_data_example,
            predict_data_example,
            finetune_mode,
            *args,
            **kwargs,
        )
    status.expect_partial()  # optimizer and training-only weights are not needed
    return model


def trace_without_autograph(model: Any, predict_data_example: Any) -> None:
    """Give ``model`` the prediction function Rasa makes, traced without AutoGraph.

    The same ``tf.function`` of ``predict_step`` with the same input signature (taken,
    as Rasa does, from the first batch), ``autograph=False``.
    """
    import tensorflow as tf
    from rasa.utils.train_utils import create_data_generators

    batches, _ = create_data_generators(
        model_data=predict_data_example, batch_sizes=1, epochs=1, shuffle=False
    )
    first_batch = next(iter(batches))[0]
    model._tf_predict_step = tf.function(
        model.predict_step,
        input_signature=model._dynamic_signature(first_batch),
        autograph=False,
    )


def install() -> None:
    """Make DIET and TED load with ``quick_load`` unless disabled (idempotent)."""
    from bot.config import quick_model_loading

    if not quick_model_loading():
        return
    from rasa.core.policies.ted_policy import TED
    from rasa.nlu.classifiers.diet_classifier import DIET

    for model_class in (DIET, TED):
        if _RASA_LOAD not in vars(model_class):
            setattr(model_class, _RASA_LOAD, model_class.load)
            model_class.load = classmethod(quick_load)
