"""NLU components of our own, registered with Rasa's default recipe.

Importing this module changes nothing in Rasa: the Rasa patches (quicker DIET and TED
loading included) are installed by the server's entry point
(``bot.runtime.rasa_server``).

``EntityRepair`` checks the ``age`` and ``commune`` entities by the project's rules
(see its docstring).

``LanguageGuard`` keeps messages in another language from being read as a French
intent (see its docstring).

``SharedSpacyNLP`` is Rasa's ``SpacyNLP`` loading the French spaCy model once per
process. Rasa 3.6 instantiates ``SpacyNLP`` for two graph nodes (``provide`` and
``process``), which loads ``fr_core_news_md`` twice: about 7 s of start-up and a
second copy of the vectors in memory. The model is read-only, so one copy is shared.
Its components that no feature reads are switched off (``UNUSED_SPACY_PIPES``: Rasa
already switches the parser off; the named-entity recogniser only sets ``doc.ents``).
Tokens, lemmas (French lemmas come from the morphologizer's part of speech, which
stays on) and word vectors are unchanged: ``tests/e2e/test_rasa_patches_identical.py``
checks that the predictions are identical. The model's list of 712,952 strings is not
read (``load_without_strings``): about 130 MB of each process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import (
    ENTITIES,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot import places
from bot.conversation.entities import CHECKED, checked_entities
from bot.conversation.language import (
    ABOUT_THE_PERSON_INTENT,
    DETECTED_LANGUAGE,
    NOT_UNDERSTOOD,
    detect_language,
    guarded_intent,
)
from bot.conversation.profile import asks_for_help, get_rules
from bot.places import Gazetteer
from bot.rasa_patches import patch_enabled

UNUSED_SPACY_PIPES = ("parser", "ner")


def load_without_strings(spacy_model_name: str) -> SpacyModel:
    """The spaCy model as Rasa loads it, without its list of strings.

    spaCy keeps a store from each string's hash back to its text; the French model
    ships one string per word-vector key. Vectors are found by the hash of a token's
    text, never by text, and spaCy adds to the store every string it uses (a word when
    the tokenizer first meets it, a lemma, a part of speech, a morphology, a label as
    its pipes load): the strings read back are there, the half-million others are not
    (``tests/test_spacy_strings.py`` compares every token's attributes and vectors).
    Rasa's own loading, with its checks and messages, when the model is missing or
    needs another spaCy version.
    """
    import spacy

    try:
        model = spacy.load(spacy_model_name, disable=["parser"], exclude=["strings"])
    except OSError:
        return SpacyNLP.load_model(spacy_model_name)
    info = spacy.info(spacy_model_name)
    required = info.get("spacy_version", "") if isinstance(info, dict) else ""
    if not spacy.util.is_compatible_version(spacy.about.__version__, required):
        return SpacyNLP.load_model(spacy_model_name)
    return SpacyModel(model=model, model_name=spacy_model_name)


@lru_cache(maxsize=None)
def _load_once(spacy_model_name: str) -> SpacyModel:
    if patch_enabled("spacy_strings"):
        loaded = load_without_strings(spacy_model_name)
    else:
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


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class LanguageGuard(GraphComponent):
    """A message in another language is never read as a French intent.

    Placed after the intent classifiers,
    ``bot.conversation.language.guarded_intent`` decides (with confidence 1): a
    message in a language other than French or English becomes ``other_language``;
    English gets its own reading (a person, restart, yes, no…,
    else ``inform``, read by the profile phrasings); a message of emoji or signs only
    is ``gibberish`` and a "goodbye" without a goodbye in words ``nlu_fallback``; a bare
    call for help (« aide », ``help`` in ``knowledge/profile_rules.yml``) is ``inform``:
    the orientation starts with a warm line, whatever the classifier made of it. The
    language found (``fr``, ``en``…, or nothing when unsure) goes into the parse data
    as ``detected_language`` for the actions.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageGuard":
        """No settings."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``detected_language``; replace the intent where the language says."""
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text)
            if language is not None:
                message.set(DETECTED_LANGUAGE, language, add_to_output=True)
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            replaced = guarded_intent(text, current, language)
            if replaced is None and asks_for_help(text):
                # « aide »: an orientation, not an opinion
                replaced = ABOUT_THE_PERSON_INTENT
            if replaced is None or replaced == current:
                continue
            intent = {INTENT_NAME_KEY: replaced, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = (
                []  # nothing to offer as "Vouliez-vous dire… ?"
                if replaced in NOT_UNDERSTOOD
                else [
                    r
                    for r in message.get(INTENT_RANKING_KEY) or []
                    if r.get(INTENT_NAME_KEY) != replaced
                ]
            )
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class EntityRepair(GraphComponent, EntityExtractorMixin):
    """The ``age`` and ``commune`` entities checked by the project's own rules.

    Placed after DIET and the synonym mapper: ``bot.conversation.entities`` drops an age
    that is not the person's, completes or drops a commune span by the communes
    gazetteer, and adds the communes DIET missed. Every age and commune entity of the
    output carries this component's name as ``extractor``: they are the pipeline's
    reading, which ``rasa test nlu`` (and ``scripts/evaluate.py``) report under that
    name. The gazetteer (with its typo index) and the profile rules are read once,
    when the component is created.
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        """Check with this gazetteer."""
        self.gazetteer = gazetteer

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EntityRepair":
        """Read the gazetteer and the profile rules now, not at the first message."""
        gazetteer = places.get_gazetteer()
        gazetteer.typos.build()
        get_rules()
        return cls(gazetteer)

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the age and commune entities by their checked reading."""
        for message in messages:
            entities = checked_entities(
                message.get(TEXT) or "", message.get(ENTITIES) or [], self.gazetteer
            )
            for entity in entities:
                if entity.get("entity") in CHECKED:
                    entity[EXTRACTOR] = self.name
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
