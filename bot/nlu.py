"""NLU components of our own, registered with Rasa's default recipe.

Rasa imports this module before it loads any component of our pipeline, which is
where DIET and TED get their quicker loading (``bot.model_loading``).

``SharedSpacyNLP`` is Rasa's ``SpacyNLP`` loading the French spaCy model once per
process. Rasa 3.6 instantiates ``SpacyNLP`` for two graph nodes (``provide`` and
``process``), which loads ``fr_core_news_md`` twice: about 7 s of start-up and a
second copy of the vectors in memory. The model is read-only, so one copy is shared.
"""

from __future__ import annotations

from functools import lru_cache

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

from bot import model_loading
from bot.rasa_patches import action_failure

model_loading.install()
action_failure.install()


@lru_cache(maxsize=None)
def _load_once(spacy_model_name: str) -> SpacyModel:
    return SpacyNLP.load_model(spacy_model_name)


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="SharedSpacyNLP",
)
class SharedSpacyNLP(SpacyNLP):
    """``SpacyNLP`` whose spaCy model is loaded once and shared by every graph node."""

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        """Load the spaCy model, or return the copy this process already loaded."""
        return _load_once(spacy_model_name)
