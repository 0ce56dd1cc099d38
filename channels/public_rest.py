"""The public REST channel: ``POST /webhooks/rest/webhook``, hardened.

Rasa's ``RestInput`` contract (``{"sender", "message", "metadata"}`` in, a JSON list of
bot messages out), with what a public endpoint needs on top:

- conversation ids are issued by the server (``POST /webhooks/rest/conversations`` ->
  ``{"sender": "c-…"}``) and signed (``channels.conversation_ids``): any other
  ``sender`` gets 403, so nobody reaches a conversation they did not start;
- limits, each refused with a French ``{"error": …}``: body over 64 kB (413), JSON
  nested deeper than 8 levels, metadata other than a 2-digit ``region`` and a short
  ``channel_page`` (400), invalid code points such as lone surrogates (400), all
  checked by ``channels.public_requests``; more than one message at a time or
  ``config.messages_per_minute()`` per conversation (429);
- the text is normalised (NFKC: full-width "j'ai 22 ans" becomes plain), and e-mails,
  phone numbers, names and IBANs are masked before the NLU, the tracker or the logs;
- ``/intent`` messages are accepted only as the payload of a quick reply: one the
  domain declares, or one the assistant offered in its last turn of this conversation;
- whatever fails, the person gets a French answer with the regional line and the
  human option (``bot.conversation.service_problem``), and the failure is logged
  without the text;
- CORS only for the chat routes and only for ``SPRO_ALLOWED_ORIGINS``, never with
  credentials (whatever ``rasa run --cors`` says).
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import config
from bot.conversation.service_problem import service_problem_text
from bot.handover.relay import relay_to_adviser
from bot.privacy import mask_personal_data
from channels import conversation_ids, guard, rate_limits
from channels.public_requests import IncomingMessage, Refused, parse_body, read_body

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
# The chat routes other sites may call (CORS), by the end of their path.
CHAT_ROUTES = ("/webhook", "/conversations", "/config", "/health")
# Seconds after which the person is answered even if the turn goes on (it is saved).
ANSWER_DEADLINE_SECONDS = 10.0

EMPTY_MESSAGE = "Votre message est vide. Écrivez votre question en quelques mots."
NOT_A_QUICK_REPLY = (
    "Je n'ai pas compris cette commande. Écrivez votre question avec vos mots, "
    "ou choisissez une des réponses proposées."
)
BUSY = (
    "Je réponds encore à votre message précédent. Patientez un instant avant "
    "d'envoyer le suivant."
)


def too_long_message(length: int) -> str:
    """French answer to a message over the length limit."""
    return (
        f"Votre message est très long ({length} caractères). Pouvez-vous le résumer "
        f"en quelques phrases ({MAX_MESSAGE_CHARS} caractères au plus) ?"
    )


def bot_text(text: str, recipient_id: str) -> dict[str, Any]:
    """A bot message in the REST channel's output format."""
    return {"recipient_id": recipient_id, "text": text}


class SenderLimiter:
    """One message at a time per conversation (in this process).

    The number per minute is counted by ``channels.rate_limits`` (shared by the
    instances when Redis is configured).
    """

    def __init__(self) -> None:
        """No conversation is busy yet."""
        self.busy: set[str] = set()

    async def acquire(self, sender: str) -> None:
        """Count a message; ``Refused(429)`` when the conversation must wait."""
        if sender in self.busy:
            raise Refused(429, BUSY)
        try:
            await rate_limits.check_conversation(
                "messages", sender, config.messages_per_minute()
            )
        except rate_limits.Limited as limited:
            raise Refused(429, limited.message) from None
        self.busy.add(sender)

    def release(self, sender: str) -> None:
        """The conversation may send its next message."""
        self.busy.discard(sender)


def quick_reply_payloads(agent: Any) -> set[str]:
    """``/intent`` payloads of the buttons the domain's responses declare.

    As Rasa sends them: braces doubled in the domain (to escape Rasa's slot
    placeholders) come out single.
    """
    payloads = set()
    for variations in agent.domain.responses.values():
        for variation in variations:
            for button in variation.get("buttons") or []:
                payload = str(button.get("payload", ""))
                if payload.startswith("/"):
                    payloads.add(payload.replace("{{", "{").replace("}}", "}"))
    return payloads


async def last_offered_payloads(agent: Any, sender: str) -> set[str]:
    """Payloads of the buttons the assistant sent in its last turn here."""
    from rasa.shared.core.events import BotUttered, UserUttered

    tracker = await agent.tracker_store.retrieve(sender)
    payloads: set[str] = set()
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            payloads.update(
                str(b.get("payload", "")) for b in event.data.get("buttons") or []
            )
    return payloads


@lru_cache(maxsize=None)
def _collector_class(channel: str) -> type[CollectingOutputChannel]:
    """One collector class per channel name, made once.

    A class made at every message would be garbage that only Python's full collections
    free (a class refers to itself), so memory would creep between them.
    """
    named = classmethod(lambda cls: channel)
    return type("ChannelCollector", (CollectingOutputChannel,), {"name": named})


def collector_for(channel: str) -> CollectingOutputChannel:
    """A collector named like the input channel (domain.yml `channel:` variants)."""
    return _collector_class(channel)()


def cors_headers(request: Request) -> dict[str, str]:
    """CORS headers for a configured origin (never with credentials), else none."""
    origin = (request.headers.get("origin") or "").rstrip("/")
    if not origin or origin not in config.allowed_origins():
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }


def add_public_cors(
    blueprint: Blueprint, paths: tuple[str, ...] | None = CHAT_ROUTES
) -> None:
    """Replace any CORS header on ``blueprint``'s answers by the configured ones.

    Only the sites configured to embed the web chat, never with credentials; on the
    answers whose path ends with one of ``paths`` (None: all), none on the others.
    """

    @blueprint.middleware("response")
    async def public_cors(request: Request, answer: HTTPResponse) -> None:
        for name in [
            h for h in answer.headers if h.lower().startswith("access-control-")
        ]:
            del answer.headers[name]
        answer.headers["Vary"] = "Origin"
        if paths is None or request.path.rstrip("/").endswith(paths):
            answer.headers.update(cors_headers(request))


class PublicRestInput(RestInput):
    """REST channel for the public, answering at ``/webhooks/rest/webhook``."""

    limiter: SenderLimiter | None = None

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix ``/webhooks/rest``."""
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Health check, conversation ids and webhook routes."""
        webhook = Blueprint(f"public_webhook_{type(self).__name__}", __name__)
        self.add_message_routes(webhook, on_new_message, health_path="/")
        return webhook

    def add_message_routes(
        self,
        blueprint: Blueprint,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        health_path: str,
    ) -> None:
        """Add the health check, ``POST /conversations`` and ``POST /webhook``."""
        self.limiter = SenderLimiter()
        guard.protect(blueprint)
        add_public_cors(blueprint)

        @blueprint.route(health_path, methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/conversations", methods=["POST", "OPTIONS"])
        async def conversations(request: Request) -> HTTPResponse:
            if request.method == "OPTIONS":
                return response.empty(status=204)
            return response.json({"sender": conversation_ids.issue()}, status=201)

        @blueprint.route("/webhook", methods=["POST", "OPTIONS"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if request.method == "OPTIONS":
                return response.empty(status=204)
            try:
                incoming = parse_body(await read_body(request))
                agent = getattr(request.app.ctx, "agent", None)
                return response.json(await self.answer(incoming, on_new_message, agent))
            except Refused as refusal:
                headers = {"Retry-After": "60"} if refusal.status == 429 else None
                return response.json(
                    {"error": refusal.message}, status=refusal.status, headers=headers
                )

    async def answer(
        self,
        incoming: IncomingMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any = None,
    ) -> list[dict[str, Any]]:
        """Run one checked message through Rasa and collect the bot's messages."""
        if not incoming.text:
            return [bot_text(EMPTY_MESSAGE, incoming.sender_id)]
        if len(incoming.text) > MAX_MESSAGE_CHARS:
            return [bot_text(too_long_message(len(incoming.text)), incoming.sender_id)]
        if incoming.text.startswith("/") and not await self.is_quick_reply(
            incoming, agent
        ):
            return [bot_text(NOT_A_QUICK_REPLY, incoming.sender_id)]
        if await self.held_by_adviser(incoming):
            return []
        limiter = self.limiter or SenderLimiter()
        await limiter.acquire(incoming.sender_id)
        collector = collector_for(self.name())
        message = UserMessage(
            mask_personal_data(incoming.text),
            collector,
            incoming.sender_id,
            input_channel=self.name(),
            metadata=incoming.metadata or None,
        )
        turn = asyncio.ensure_future(on_new_message(message))
        turn.add_done_callback(lambda _: limiter.release(incoming.sender_id))
        region = incoming.metadata.get("region")
        try:
            await asyncio.wait_for(
                asyncio.shield(turn), timeout=ANSWER_DEADLINE_SECONDS
            )
        except asyncio.TimeoutError:
            logger.error(
                "No answer within %.0f s (sender %s); the turn goes on",
                ANSWER_DEADLINE_SECONDS,
                incoming.sender_id,
            )
            return [bot_text(service_problem_text(region), incoming.sender_id)]
        except Exception:  # the person must still get an answer (not kept: not saved)
            logger.exception(
                "Handling a message failed (sender %s)", incoming.sender_id
            )
            return [
                *collector.messages,
                bot_text(service_problem_text(region, kept=False), incoming.sender_id),
            ]
        if not collector.messages:
            return [bot_text(service_problem_text(region), incoming.sender_id)]
        return collector.messages

    @staticmethod
    async def held_by_adviser(incoming: IncomingMessage) -> bool:
        """True when the message went to the adviser holding the conversation.

        The assistant then stays silent, on the REST channel as in the web chat.
        """
        return await relay_to_adviser(incoming.sender_id, incoming.text)

    @staticmethod
    async def is_quick_reply(incoming: IncomingMessage, agent: Any) -> bool:
        """True for a payload of the domain's buttons or of the last buttons offered."""
        if agent is None or not agent.is_ready():
            return agent is None  # no dialogue on this server (a test double)
        if incoming.text in quick_reply_payloads(agent):
            return True
        return incoming.text in await last_offered_payloads(agent, incoming.sender_id)
