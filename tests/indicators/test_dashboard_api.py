"""The dashboard channel on a Sanic app: pilotage accounts only, pages, API, reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiohttp
import pytest
from rasa.core.run import configure_app
from sanic import Sanic

from bot.indicators.store import IndicatorStore
from bot.advisers.accounts import AccountBook
from channels.console.channel import ConsoleInput
from bot.advisers.store import ConsoleStore
from channels.dashboard.channel import DashboardInput
from tests.indicators.conftest import PASSWORDS, record
from tests.sanic_server import served

BASE = "/webhooks/dashboard"


@pytest.fixture
def accounts_file(tmp_path: Path, accounts_text: str) -> Path:
    """Accounts file with one adviser and one pilotage account."""
    path = tmp_path / "accounts.yml"
    path.write_text(accounts_text, encoding="utf-8")
    return path


@pytest.fixture
async def server(
    tmp_path: Path, accounts_file: Path, store: IndicatorStore
) -> AsyncIterator[str]:
    """Dashboard and console channels together, as credentials.yml declares them."""
    Sanic.test_mode = True
    sessions = ConsoleStore(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    channels = [
        DashboardInput(
            sessions=sessions,
            accounts=AccountBook(accounts_file, role="pilotage"),
            indicators=store,
        ),
        ConsoleInput(store=sessions, accounts=AccountBook(accounts_file)),
    ]
    app = configure_app(channels, enable_api=False)
    try:
        async with served(app) as url:
            yield url
    finally:
        sessions.dispose()


async def signed_in(base: str, username: str) -> aiohttp.ClientSession:
    """A browser session after the sign-in form."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        f"{base}{BASE}/login",
        data={"username": username, "password": PASSWORDS[username]},
        allow_redirects=False,
    ) as answer:
        assert answer.status in (303, 401), answer.status
    return session


async def test_only_pilotage_accounts_see_the_dashboard(server: str) -> None:
    """Advisers are refused here; pilotage accounts are refused by the console."""
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{server}{BASE}/api/indicators") as answer:
            assert answer.status == 401
        async with anonymous.get(
            f"{server}{BASE}/report?year=2026&format=csv"
        ) as answer:
            assert answer.status == 401
        async with anonymous.get(f"{server}{BASE}/") as answer:
            assert "Se connecter" in await answer.text()
    adviser = await signed_in(server, "cmartin")
    async with adviser.get(f"{server}{BASE}/api/indicators") as answer:
        assert answer.status == 401
    await adviser.close()
    async with aiohttp.ClientSession() as pilot:
        async with pilot.post(
            f"{server}/webhooks/console/api/login",
            json={"username": "rlefevre", "password": PASSWORDS["rlefevre"]},
        ) as answer:
            assert answer.status == 401


async def test_figures_page_report_and_csv(server: str, store: IndicatorStore) -> None:
    """The API, the page and the report give the stored figures, never a small cell."""
    store.add([record(day=date(2026, 3, 10)) for _ in range(12)])
    store.add(
        [
            record(
                day=date(2026, 3, 11),
                outcome="abandoned",
                network="",
                abandoned_at="age",
            )
            for _ in range(6)
        ]
    )
    store.add([record(day=date(2026, 3, 11), public="cadre") for _ in range(2)])
    pilot = await signed_in(server, "rlefevre")
    try:
        query = "start=2026-01&end=2026-12&region=24"
        async with pilot.get(f"{server}{BASE}/api/indicators?{query}") as answer:
            assert answer.status == 200
            data = await answer.json()
        assert data["total"] == 20
        outcomes = {c["value"]: c["count"] for c in data["breakdowns"]["outcome"]}
        assert outcomes == {"oriented": 14, "abandoned": 6}
        publics = {c["value"]: c["count"] for c in data["breakdowns"]["public"]}
        assert publics == {"jeune_16_25": 18, "autres": 2} or publics == {"autres": 20}
        async with pilot.get(f"{server}{BASE}/?{query}") as answer:
            page = await answer.text()
            assert "Content-Security-Policy" in answer.headers
        assert "Conversations par semaine" in page and "<svg" in page
        assert "Question de l&#x27;âge" in page or "Question de l'âge" in page
        async with pilot.get(f"{server}{BASE}/?start=2026-13-01") as answer:
            assert "Mois de début invalide" in await answer.text()
        async with pilot.get(
            f"{server}{BASE}/report?year=2026&region=24&format=csv"
        ) as answer:
            assert answer.status == 200
            assert "attachment" in answer.headers["Content-Disposition"]
            text = await answer.text()
        assert "Issue des conversations;Orientée vers une structure;14;70,00;" in text
        async with pilot.get(
            f"{server}{BASE}/report?year=2026&region=24&format=html"
        ) as answer:
            html = await answer.text()
        assert "premier accueil — Centre-Val de Loire — 2026</h1>" in html
        async with pilot.get(f"{server}{BASE}/report?year=deux") as answer:
            assert answer.status == 400
        async with pilot.post(
            f"{server}{BASE}/logout", allow_redirects=False
        ) as answer:
            assert answer.status == 303
        async with pilot.get(f"{server}{BASE}/api/indicators") as answer:
            assert answer.status == 401
    finally:
        await pilot.close()
