"""What the dashboard reads from a request: the fields of its forms."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from sanic.request import Request


def form_fields(request: Request) -> dict[str, str]:
    """Fields of a form post (urlencoded) or of a JSON body."""
    content_type = request.headers.get("content-type", "")
    raw = (request.body or b"").decode("utf-8", errors="replace")
    if "application/json" in content_type:
        try:
            data = json.loads(raw or "{}")
        except json.JSONDecodeError:
            return {}
        return (
            {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        )
    return {k: v[0] for k, v in parse_qs(raw).items()}
