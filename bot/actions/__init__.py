"""rasa-sdk custom actions: thin classes that delegate to the plain modules of ``bot``.

Start the action server with ``rasa run actions --actions bot.actions`` (or
``python -m rasa_sdk --actions bot.actions``, which does not import Rasa itself).
"""

from bot.actions.fallback import ActionDefaultFallback
from bot.actions.feedback import ActionAnswerNo, ActionRecordFeedback
from bot.actions.human import ActionTalkToHuman
from bot.actions.info import ActionAnswerInfo
from bot.actions.language import ActionOtherLanguage
from bot.actions.orientation import (
    ActionAskAge,
    ActionAskCommuneInsee,
    ActionAskNeed,
    ActionAskSector,
    ActionAskSituation,
    ActionPresentOrientation,
    ValidateOrientationForm,
)
from bot.actions.profile import ActionValidateSlotMappings

__all__ = [
    "ActionAnswerInfo",
    "ActionAnswerNo",
    "ActionAskAge",
    "ActionAskCommuneInsee",
    "ActionAskNeed",
    "ActionAskSector",
    "ActionAskSituation",
    "ActionDefaultFallback",
    "ActionOtherLanguage",
    "ActionPresentOrientation",
    "ActionRecordFeedback",
    "ActionTalkToHuman",
    "ActionValidateSlotMappings",
    "ValidateOrientationForm",
]
