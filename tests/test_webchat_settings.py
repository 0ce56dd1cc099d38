"""The web chat channel's settings (credentials.yml entry) and its served files."""

from __future__ import annotations

import re

import yaml

from bot.config import PROJECT_ROOT
from channels.webchat import PAGES, STATIC_DIR, STATIC_FILES, WebChatInput
from channels.webchat.settings import DEFAULT_TITLE, WebChatSettings


def test_project_credentials_declare_the_webchat_channel() -> None:
    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())
    channel = WebChatInput.from_credentials(credentials["channels.webchat.WebChatInput"])
    assert channel.name() == "webchat"
    assert channel.settings.title == DEFAULT_TITLE
    # Nothing invented: no regional line or retention period unless configured.
    assert channel.settings.human_phone == ""
    assert channel.settings.retention_days is None


def test_bad_values_are_ignored_not_invented() -> None:
    settings = WebChatSettings.from_mapping(
        {"region": "Centre", "human_url": "javascript:alert(1)", "retention_days": "bientôt",
         "title": "  "}
    )
    assert settings == WebChatSettings()


def test_configured_line_and_retention_reach_the_widget() -> None:
    settings = WebChatSettings.from_mapping(
        {"human_phone": "01 23 45 67 89", "human_hours": "9 h – 17 h",
         "human_url": "https://example.org/orientation", "retention_days": 30}
    )
    config = settings.public_config("")
    assert config["human"] == {"phone": "01 23 45 67 89", "hours": "9 h – 17 h",
                               "url": "https://example.org/orientation"}
    assert config["retention_days"] == 30


def test_served_files_are_local_and_listed() -> None:
    for name in [*STATIC_FILES, *PAGES.values()]:
        text = re.sub(r"/\*.*?\*/", "", (STATIC_DIR / name).read_text(encoding="utf-8"), flags=re.S)
        # No third-party host: the only absolute URL is the map *link* (never loaded).
        urls = re.findall(r"""https?://[^"'\s)]+""", text)
        assert all(u.startswith("https://www.openstreetmap.org/") for u in urls), (name, urls)
    for page in PAGES.values():
        assert '<html lang="fr">' in (STATIC_DIR / page).read_text(encoding="utf-8")


def test_widget_never_writes_html() -> None:
    script = (STATIC_DIR / "spro-chat.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
