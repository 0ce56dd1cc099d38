"""The load balancer's timeouts leave the chat desk's event streams open."""

from __future__ import annotations

import re
from pathlib import Path

from bot.runtime.cluster import haproxy_config
from channels.handover import hub

SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def timeouts(config: str) -> dict[str, float]:
    """The ``timeout <name> <value>`` lines of an HAProxy configuration, in seconds."""
    found = {}
    for name, number, unit in re.findall(
        r"^\s*timeout\s+(\S+)\s+(\d+)(ms|s|m|h)?\s*$", config, re.MULTILINE
    ):
        found[name] = int(number) * SECONDS[unit or "ms"]
    return found


def test_a_stream_speaks_well_within_the_balancers_inactivity_timeouts() -> None:
    # HAProxy cuts a response silent for `timeout server` (measured with HAProxy 2.6:
    # an SSE response is not a tunnel, `timeout tunnel` does not apply to it). A stream
    # sends a state or a ping at least every STATE_REFRESH_SECONDS.
    configured = timeouts(haproxy_config(5005, [5006, 5007], Path("/tmp/h.sock")))
    assert configured["server"] >= 10 * hub.STATE_REFRESH_SECONDS
    assert configured["client"] >= 10 * hub.STATE_REFRESH_SECONDS
    # A stream ends by itself and the browser reconnects: no hour-long timeouts needed.
    assert hub.STREAM_SECONDS <= 600
