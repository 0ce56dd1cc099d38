"""NLU components of our own, registered with Rasa's default recipe.

Rasa imports this module before it loads any component of our pipeline, which is
where DIET and TED get their quicker loading (``bot.model_loading``).

``SharedSpacyNLP`` is Rasa's ``SpacyNLP`` loading the French spaCy model once per
process. Rasa 3.6 instantiates ``SpacyNLP`` for two graph nodes (``provide`` and
``process``), which loads ``fr_core_news_md`` twice: about 7 s of start-up and a
second copy of the vectors in memory. The model is read-only, so one copy is shared.
Its components that no feature reads are switched off (``UNUSED_SPACY_PIPES``: Rasa
already switches the parser off; the named-entity recogniser only sets ``doc.ents``).
Tokens, lemmas (French lemmas come from the morphologizer's part of speech, which
stays on) and word vectors are unchanged: ``tests/e2e/test_rasa_patches_identical.py``
checks that the predictions are identical.
"""

from __future__ import annotations

from functools import lru_cache

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

from bot import model_loading
from bot.rasa_patches import action_endpoint, lock_store, patch_enabled, tracker_store

model_loading.install()
action_endpoint.install()
tracker_store.install()
lock_store.install()

UNUSED_SPACY_PIPES = ("parser", "ner")


@lru_cache(maxsize=None)
def _load_once(spacy_model_name: str) -> SpacyModel:
    loaded = SpacyNLP.load_model(spacy_model_name)
    if patch_enabled("spacy_pipes"):
        for name in UNUSED_SPACY_PIPES:
            if name in loaded.model.pipe_names:
                loaded.model.disable_pipe(name)
    return loaded


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
