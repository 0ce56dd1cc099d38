"""The action server: rasa-sdk's, on localhost, optionally behind a shared secret.

``python -m bot.runtime.action_server --port 5055`` serves ``bot.actions`` like
``python -m rasa_sdk``, but listens on ``config.actions_interface()`` (127.0.0.1
unless ``SPRO_ACTIONS_INTERFACE`` says otherwise), answers no cross-origin request,
and, when ``SPRO_ACTIONS_SECRET`` is set (deployments where Rasa and the action
server are on different hosts), refuses every call without that secret in the
``X-SPRO-Action-Secret`` header (Rasa sends it: ``bot.rasa_patches.action_failure``).
Imports rasa-sdk only, never Rasa.
"""

from __future__ import annotations

import argparse
import hmac
import logging

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import config

REFUSED = "Appel refusé : secret partagé absent ou incorrect."


def build_app(secret: str = "") -> Sanic:
    """rasa-sdk's app for ``bot.actions``; ``secret`` checked except on health."""
    app = create_app("bot.actions", cors_origins="")

    if secret:

        @app.middleware("request")
        async def check_secret(request: Request) -> HTTPResponse | None:
            if request.path == "/health":
                return None
            given = request.headers.get(config.ACTION_SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return response.json({"error": REFUSED}, status=401)
            return None

    return app


def warm_up() -> None:
    """Load the gazetteer, routing table and knowledge base before the first call.

    Done once at start (not at import): the first message then takes milliseconds,
    well within the action timeout Rasa applies (``config.action_timeout_seconds()``).
    """
    from bot.conversation.profile import slot_updates
    from bot.knowledge import get_repository

    try:
        slot_updates(
            "j'ai 20 ans et j'habite à Dreux", "inform", [], {}, "commune_insee"
        )
        get_repository().networks()
    except Exception:
        logging.getLogger(__name__).warning("Warm-up incomplete", exc_info=True)


def main(argv: list[str] | None = None) -> None:
    """Serve until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--interface", default=None, help="default: SPRO_ACTIONS_INTERFACE"
    )
    args = parser.parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    host = args.interface or config.actions_interface()
    warm_up()
    build_app(config.actions_secret()).run(
        host, args.port, workers=1, access_log=False, motd=False
    )


if __name__ == "__main__":
    main()
