"""The console's dialogue: the Rasa agent of this server, worded for the phone."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.advisers.service import DialogueTurn

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class ConsoleOutputChannel(CollectingOutputChannel):
    """Collects the bot's messages as channel ``console`` (the phone wording).

    Quick-reply buttons are not offered on the phone: their titles become ``options``,
    a plain list the adviser can read out.
    """

    @classmethod
    def name(cls) -> str:
        """Name the dialogue sees as the output channel."""
        return "console"

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text plus the buttons' titles as options."""
        options = [str(b.get("title", "")) for b in buttons if b.get("title")]
        await self._persist_message(
            {"recipient_id": recipient_id, "text": text, "options": options}
        )


class RasaDialogue:
    """The ``Dialogue`` of ``ConsoleService`` backed by this server's Rasa agent."""

    def __init__(
        self, agent: Any, on_new_message: OnNewMessage, channel_name: str
    ) -> None:
        """The agent (None while the server starts) and Rasa's message handler."""
        self.agent = agent
        self.on_new_message = on_new_message
        self.channel_name = channel_name

    def ready(self) -> bool:
        """False until the model is loaded."""
        return self.agent is not None and self.agent.is_ready()

    def slot_types(self) -> dict[str, dict[str, Any]]:
        """Type and values of every slot of the domain."""
        return {
            slot.name: {
                "type": slot.type_name,
                "values": list(getattr(slot, "values", []) or []),
            }
            for slot in self.agent.domain.slots
        }

    async def turn(self, conversation_id: str, text: str) -> DialogueTurn:
        """One message through the dialogue; its messages and the slots afterwards."""
        collector = ConsoleOutputChannel()
        await self.on_new_message(
            UserMessage(
                text,
                collector,
                conversation_id,
                input_channel=self.channel_name,
                metadata={"channel_page": "console"},
            )
        )
        tracker = await self.agent.tracker_store.retrieve(conversation_id)
        slots = tracker.current_slot_values() if tracker is not None else {}
        return DialogueTurn(messages=collector.messages, slots=slots)
