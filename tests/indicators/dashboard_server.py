"""The dashboard channel alone on a Sanic app (no Rasa model), for the browser test.

Run: ``python -m tests.indicators.dashboard_server --port N`` with ``SPRO_VAR_DIR`` set:
accounts, sessions and indicators come from that folder, as on the real server.
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace
from typing import Any

from sanic import Sanic
from sqlalchemy import create_engine

from channels.dashboard.channel import DashboardInput


async def no_conversation(_: object) -> None:
    """The dashboard has no conversation of its own."""


def main() -> None:
    """Serve on 127.0.0.1 until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--region", default="24")
    parser.add_argument("--tracker-url", help="SQL tracker store the inbox reads")
    parser.add_argument("--model", help="the served model file (the review's gate)")
    args = parser.parse_args()
    channel = DashboardInput(region=args.region)
    app = Sanic("dashboard_alone")
    if args.tracker_url:
        # What the review inbox reads of Rasa's agent: its tracker store's engine.
        @app.before_server_start
        async def agent(app: Any, _: Any) -> None:
            engine = create_engine(args.tracker_url)
            app.ctx.agent = SimpleNamespace(
                tracker_store=SimpleNamespace(engine=engine),
                processor=SimpleNamespace(model_path=args.model),
            )

    app.blueprint(channel.blueprint(no_conversation), url_prefix="/webhooks/dashboard")
    app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False, workers=1)


if __name__ == "__main__":
    main()
