"""A Sanic server with the real web chat channel and a replayed dialogue, for browser tests.

The page, widget files, settings route and webhook are the production ones
(``channels.webchat.WebChatInput``); only the dialogue is replaced by the messages
of ``recorded/conversation.json``, so the widget's rendering is tested without
training a model. ``python -m tests.browser.replay_server --port 8123``.

Replies: ``/greet`` gives the greeting with quick replies; a message containing the
``orientation_trigger`` gives the orientation (text, structure cards, quick replies);
``/ask_human`` or the ``human_trigger`` the number and the hand-over payload;
``/restart`` nothing; ``/slow N`` waits N seconds, then answers; anything else is echoed back ("Vous avez écrit : …"), which
shows what the channel stored after masking personal data.

``--desk`` also mounts the console's sign-in and the chat desk (public and advisers'
routes), configured by the environment like in production (``SPRO_HANDOVER_DATABASE_URL``,
``SPRO_CONSOLE_ACCOUNTS``…): several such servers sharing one database behind HAProxy
are the cluster of the hand-over's browser tests, without a trained model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.server import configure_cors
from sanic import Sanic

from channels.console.channel import ConsoleInput
from channels.handover.desk import HandoverDeskInput
from channels.handover.public import HandoverInput
from channels.webchat import WebChatInput
from channels.webchat.settings import WebChatSettings

RECORDED = Path(__file__).resolve().parent / "recorded" / "conversation.json"


def replies_for(text: str, recorded: dict[str, Any]) -> list[dict[str, Any]]:
    """The bot messages replayed for one user message."""
    if text == "/greet":
        return recorded["greet"]
    if text == "/restart" or text.startswith("/slow"):
        return []
    if recorded["orientation_trigger"] in text.lower():
        return recorded["orientation"]
    if text == "/ask_human" or recorded["human_trigger"] in text.lower():
        return recorded["human"]
    return [{"text": f"Vous avez écrit : {text}"}]


def build_app(settings: WebChatSettings, desk: bool = False) -> Sanic:
    """The replay app, with the channels mounted where Rasa mounts them."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    channels: list[InputChannel] = [WebChatInput(settings)]
    if desk:
        channels += [ConsoleInput(), HandoverInput(), HandoverDeskInput()]

    async def on_new_message(message: UserMessage) -> None:
        text = message.text or ""
        if text.startswith("/slow"):
            await asyncio.sleep(float(text.split()[1]))
        for reply in replies_for(text, recorded):
            await message.output_channel.send_response(message.sender_id, dict(reply))

    app = Sanic("webchat_replay")
    configure_cors(app, "*")  # as `rasa run --cors "*"`: the channel overrides it
    for channel in channels:
        app.blueprint(channel.blueprint(on_new_message),
                      url_prefix=f"/webhooks/{channel.url_prefix()}")
    return app


def main() -> None:
    """Serve on 127.0.0.1 until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--settings", default="{}", help="the channel's settings, as JSON")
    parser.add_argument("--desk", action="store_true", help="also the console and the chat desk")
    args = parser.parse_args()
    settings = WebChatSettings.from_mapping(json.loads(args.settings))
    build_app(settings, args.desk).run(host="127.0.0.1", port=args.port, access_log=False,
                            motd=False, workers=1)


if __name__ == "__main__":
    main()
