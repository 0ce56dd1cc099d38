"""Settings of the web chat, from its ``credentials.yml`` entry.

Nothing here is invented: the regional line, its hours and the retention period
are shown only when configured (``credentials.yml``, which Rasa lets refer to
environment variables as ``${VAR}``) or, for the line, found in the knowledge
base's region record. Otherwise the widget says where to find them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping

logger = logging.getLogger(__name__)

DEFAULT_TITLE = "Orientation : posez votre question"
_REGION_CODE = re.compile(r"^\d{2}$")
_WEB_URL = re.compile(r"^https?://[^\s]+$")


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return "" if value is None else str(value).strip()


def _positive_int(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


@dataclass(frozen=True)
class WebChatSettings:
    """What the widget needs to know beyond the conversation itself."""

    title: str = DEFAULT_TITLE
    region: str = ""
    human_phone: str = ""
    human_hours: str = ""
    human_url: str = ""
    retention_days: int | None = None

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "WebChatSettings":
        """Read the ``credentials.yml`` entry; bad values are ignored with a warning."""
        region = _text(mapping, "region")
        if region and not _REGION_CODE.match(region):
            logger.warning(
                "webchat: region %r is not a 2-digit INSEE code; ignored", region
            )
            region = ""
        url = _text(mapping, "human_url")
        if url and not _WEB_URL.match(url):
            logger.warning("webchat: human_url must start with https://; ignored")
            url = ""
        retention = _text(mapping, "retention_days")
        days = _positive_int(retention) if retention else None
        if retention and days is None:
            logger.warning(
                "webchat: retention_days must be a positive number of days; ignored"
            )
        return cls(
            title=_text(mapping, "title") or DEFAULT_TITLE,
            region=region,
            human_phone=_text(mapping, "human_phone"),
            human_hours=_text(mapping, "human_hours"),
            human_url=url,
            retention_days=days,
        )

    def public_config(self, region: str = "") -> dict[str, Any]:
        """Settings sent to the widget for ``region``.

        A 2-digit code, or the default.
        """
        region = region if _REGION_CODE.match(region or "") else self.region
        human = {
            "phone": self.human_phone,
            "hours": self.human_hours,
            "url": self.human_url,
        }
        region_name = ""
        record = region_record(region) if region else None
        if record is not None:
            region_name = record.name
            if not any(human.values()):
                human = {
                    "phone": record.phone,
                    "hours": record.phone_hours,
                    "url": record.website,
                }
        return {
            "title": self.title,
            "region": region,
            "region_name": region_name,
            "human": human,
            "retention_days": self.retention_days,
            "networks": network_names(),
        }


def region_record(code: str) -> Any:
    """The knowledge base's record of a region, or None when unknown or unavailable."""
    try:
        from bot.knowledge import get_repository

        return get_repository().region(code)
    except Exception:  # the chat works without the knowledge base
        logger.info("webchat: no knowledge record for region %s", code, exc_info=True)
        return None


def network_names() -> dict[str, str]:
    """Network codes to their public names, from the knowledge base.

    Empty if unavailable.
    """
    try:
        from bot.knowledge import get_repository

        return {network.code: network.name for network in get_repository().networks()}
    except Exception:  # the widget falls back to the payload's wording
        logger.info("webchat: network names unavailable", exc_info=True)
        return {}
