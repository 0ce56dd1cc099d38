"""The dashboard channel alone on a Sanic app (no Rasa model), for the browser test.

Run: ``python -m tests.indicators.dashboard_server --port N`` with ``SPRO_VAR_DIR`` set:
accounts, sessions and indicators come from that folder, as on the real server.
"""

from __future__ import annotations

import argparse

from sanic import Sanic

from channels.dashboard.channel import DashboardInput


async def no_conversation(_: object) -> None:
    """The dashboard has no conversation of its own."""


def main() -> None:
    """Serve on 127.0.0.1 until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--region", default="24")
    args = parser.parse_args()
    channel = DashboardInput(region=args.region)
    app = Sanic("dashboard_alone")
    app.blueprint(channel.blueprint(no_conversation), url_prefix="/webhooks/dashboard")
    app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False, workers=1)


if __name__ == "__main__":
    main()
