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
"""

from __future__ import annotations

import logging
from typing import Any

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
    model.run_inference(predict_data_example)
    try:
        status.assert_existing_objects_matched()
    except AssertionError:
        logger.warning("%s: quick load incomplete; loading the Rasa way", cls.__name__)
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
