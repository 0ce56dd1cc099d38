"""What each channel shows or does differently: declared here, once.

Python code never tests a channel's name: it asks ``channel_profile(name)``. What a
channel *says* differently (shorter sentences for the phone, no quick-reply hints) is
Rasa's own mechanism, the ``channel:`` variants of ``domain.yml`` responses, and only
there; ``tests/test_channel_differences.py`` checks that each variant names a channel
declared below.

A channel not declared here (``rasa shell``'s ``cmdline``, a new channel) gets
``DEFAULT``: every orientation part, quick replies, the feedback question, no hand-over.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.orientation import CARD_PARTS

WEBCHAT = "webchat"
REST = "rest"
CONSOLE = "console"


@dataclass(frozen=True)
class ChannelProfile:
    """One channel's differences from the others."""

    label: str  # its name in the indicators and on the dashboard
    # Orientation parts (bot.conversation.orientation.Part names) not sent as text.
    hidden_parts: frozenset[str] = frozenset()
    quick_replies: bool = True  # buttons under a question
    asks_feedback: bool = (
        True  # « Cette réponse vous aide-t-elle ? » after the orientation
    )
    offers_handover: bool = False  # its page can pass the person to an adviser
    desk_label: str = ""  # how the hand-over desk names it to the adviser


CHANNEL_PROFILES: dict[str, ChannelProfile] = {
    # The web chat's structure cards show the nearest structures and the remote options;
    # its page hands the conversation to the chat desk (channels/handover/).
    WEBCHAT: ChannelProfile(
        label="Tchat du site",
        hidden_parts=CARD_PARTS,
        offers_handover=True,
        desk_label="tchat du site (web chat)",
    ),
    REST: ChannelProfile(label="API publique"),
    # On the phone the adviser reads the answers: no buttons, no feedback question, and
    # they say the closing hint in their own words.
    CONSOLE: ChannelProfile(
        label="Téléphone (console)",
        hidden_parts=frozenset({"closing"}),
        quick_replies=False,
        asks_feedback=False,
    ),
}
DEFAULT = ChannelProfile(label="")
# The channel the hand-over desk's requests come from (its records' default).
HANDOVER_CHANNEL = next(n for n, p in CHANNEL_PROFILES.items() if p.offers_handover)


def channel_profile(channel: str | None) -> ChannelProfile:
    """The differences of ``channel`` (``DEFAULT`` for an undeclared one)."""
    return CHANNEL_PROFILES.get(channel or "", DEFAULT)
