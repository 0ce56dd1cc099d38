"""The review page's routes on a Sanic app: inbox pages, context, rollback, run titles.

The dashboard channel as the Rasa server runs it, with a stand-in for Rasa's agent
(its tracker store's engine and its model file: what the review routes read).
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from rasa.core.run import configure_app
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic
from sqlalchemy import MetaData, Table, create_engine

from bot.advisers.accounts import AccountBook
from bot.advisers.store import ConsoleStore
from bot.indicators.derive import PARIS
from bot.indicators.store import IndicatorStore
from bot.review import labelling
from bot.review.decision import Run
from bot.review.inbox import PAGE_SIZE
from bot.runtime import gate
from channels.dashboard.channel import DashboardInput
from tests.indicators.conftest import PASSWORDS, accounts_text  # noqa: F401
from tests.sanic_server import served

BASE = "/webhooks/dashboard"
AT = datetime(2026, 3, 10, 10, 0, tzinfo=PARIS).timestamp()
RUN = "20261206-143000"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Var folder, training root, models folder with a served model; the base."""
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SPRO_TRAINING_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("SPRO_INDICATORS_MIN_CELL", "1")
    monkeypatch.setenv("SPRO_MODEL_CHECK_SECONDS", "3600")
    (tmp_path / "root" / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "root" / "bot").mkdir()
    for name in ("config.yml", "domain.yml", "bot/nlu.py"):
        (tmp_path / "root" / name).write_text(name, encoding="utf-8")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "spro.tar.gz").write_bytes(b"model one")
    SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    return tmp_path


@pytest.fixture
async def server(
    project: Path,
    accounts_text: str,  # noqa: F811
) -> AsyncIterator[str]:
    """The dashboard channel with the stand-in agent; its base URL."""
    Sanic.test_mode = True
    (project / "accounts.yml").write_text(accounts_text, encoding="utf-8")
    sessions = ConsoleStore(f"sqlite:///{project / 'console.sqlite3'}")
    indicators = IndicatorStore(f"sqlite:///{project / 'indicators.sqlite3'}")
    app = configure_app(
        [
            DashboardInput(
                sessions=sessions,
                accounts=AccountBook(project / "accounts.yml", role="pilotage"),
                indicators=indicators,
            )
        ],
        enable_api=False,
    )
    engine = create_engine(f"sqlite:///{project / 't.db'}")
    app.ctx.agent = SimpleNamespace(
        tracker_store=SimpleNamespace(engine=engine),
        processor=SimpleNamespace(model_path=str(project / "models" / "spro.tar.gz")),
        is_ready=lambda: True,
    )
    try:
        async with served(app) as url:
            yield url
    finally:
        engine.dispose()
        sessions.dispose()
        indicators.dispose()


@pytest.fixture
async def pilotage(server: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A signed-in pilotage account."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        async with session.post(
            f"{server}{BASE}/login",
            data={"username": "rlefevre", "password": PASSWORDS["rlefevre"]},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303
        yield session


def promoted(project: Path) -> gate.GatePaths:
    """A run put a second model into service: the first one is kept."""
    paths = gate.default_paths(project / "models")
    labels = project / "labels.yml"
    labels.write_text(labelling.HEADER, encoding="utf-8")
    candidate = project / "models" / "candidate.tar.gz"
    candidate.write_bytes(b"model two")
    gate.promote(paths, Run(RUN, "rlefevre", "complet"), labels, candidate)
    (paths.runs / RUN).mkdir(parents=True)
    (paths.runs / RUN / "state").write_text("en service", encoding="utf-8")
    return paths


def text_of(html: str) -> str:
    """The page's text without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_rollback_asks_then_serves_the_previous_model(
    server: str, pilotage: aiohttp.ClientSession, project: Path
) -> None:
    """Button, confirmation, result in French; then nothing to go back to."""
    paths = promoted(project)
    async with pilotage.get(f"{server}{BASE}/review") as answer:
        page = await answer.text()
    assert "Revenir au modèle précédent</button>" in page
    assert "Contrôle de qualité du 6 décembre 2026 à 14 h 30</a> : en service" in page
    assert f'href="{BASE}/review/runs/{RUN}"' in page
    # Without the confirmation, the form only leads to it: nothing changes.
    async with pilotage.post(
        f"{server}{BASE}/review/rollback", allow_redirects=False
    ) as answer:
        assert answer.status == 303
        assert answer.headers["Location"].endswith("confirm=rollback#rollback")
    assert paths.serving.read_bytes() == b"model two"
    async with pilotage.get(f"{server}{BASE}/review?confirm=rollback") as answer:
        page = await answer.text()
    assert "Revenir au modèle précédent ?" in page
    assert "avant le contrôle de qualité du 6 décembre 2026 à 14 h 30" in page
    assert 'name="confirm" value="oui"' in page and ">Annuler</a>" in page

    async with pilotage.post(
        f"{server}{BASE}/review/rollback", data={"confirm": "oui"}
    ) as answer:
        assert answer.status == 200
        page = await answer.text()
    assert paths.serving.read_bytes() == b"model one"
    assert (
        "Le modèle qui servait avant le contrôle de qualité du 6 décembre 2026 à "
        "14 h 30 est de nouveau en service" in page
    )
    assert "Aucun modèle précédent n'est conservé." in page  # and no button
    assert "Revenir au modèle précédent</button>" not in page

    async with pilotage.post(
        f"{server}{BASE}/review/rollback", data={"confirm": "oui"}
    ) as answer:
        assert answer.status == 400
        assert 'role="alert"><p>Aucun modèle précédent n&#x27;est conservé.' in (
            await answer.text()
        )


async def test_rollback_has_the_protections_of_the_retrain(
    server: str, pilotage: aiohttp.ClientSession, project: Path
) -> None:
    """Pilotage only, same origin only, never during a gate run."""
    paths = promoted(project)
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.post(
            f"{server}{BASE}/review/rollback",
            data={"confirm": "oui"},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303 and answer.headers["Location"] == f"{BASE}/"
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as adviser:
        async with adviser.post(
            f"{server}{BASE}/login",
            data={"username": "cmartin", "password": PASSWORDS["cmartin"]},
        ) as answer:
            assert answer.status == 401
        async with adviser.post(
            f"{server}{BASE}/review/rollback",
            data={"confirm": "oui"},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303
    async with pilotage.post(
        f"{server}{BASE}/review/rollback",
        data={"confirm": "oui"},
        headers={"Origin": "https://ailleurs.example"},
    ) as answer:
        assert answer.status == 403
    assert paths.serving.read_bytes() == b"model two"

    paths.review_dir.mkdir(parents=True, exist_ok=True)
    with open(paths.review_dir / "gate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run holds the gate
        async with pilotage.get(f"{server}{BASE}/review") as answer:
            page = await answer.text()
        assert "Un contrôle est en cours" in page
        assert "Revenir au modèle précédent</button>" not in page
        async with pilotage.post(
            f"{server}{BASE}/review/rollback", data={"confirm": "oui"}
        ) as answer:
            assert answer.status == 400
            assert "Un contrôle est déjà en cours" in await answer.text()
        with pytest.raises(gate.GateBusy):  # the same rule for the command
            gate.rollback(paths)
    assert paths.serving.read_bytes() == b"model two"


def write_conversations(project: Path, texts: list[str]) -> None:
    """One conversation per text, its message not understood (Rasa's rows)."""
    engine = create_engine(f"sqlite:///{project / 't.db'}")
    table = Table("events", MetaData(), autoload_with=engine)
    rows = []
    for number, text in enumerate(texts):
        at = AT + 60 * number
        for event in (
            {"event": "action", "name": "action_session_start", "timestamp": at},
            {"event": "bot", "text": "Bonjour ! Que cherchez-vous ?", "timestamp": at},
            {
                "event": "user",
                "text": text,
                "timestamp": at + 1,
                "input_channel": "webchat",
                "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.2}},
            },
        ):
            rows.append(
                {
                    "sender_id": f"c-{number}",
                    "type_name": event["event"],
                    "timestamp": event["timestamp"],
                    "data": json.dumps(event),
                }
            )
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    engine.dispose()


async def test_the_inbox_page_pages_and_opens_a_conversation(
    server: str, pilotage: aiohttp.ClientSession, project: Path
) -> None:
    """Derived on the visit; one page of groups; the conversation when opened."""
    write_conversations(project, [f"message numero {n}" for n in range(PAGE_SIZE + 2)])
    march = f"{server}{BASE}/review?start=2026-03-01&end=2026-03-31"
    async with pilotage.get(march) as answer:
        page = await answer.text()
    assert f"{PAGE_SIZE + 2} groupe(s) de messages" in text_of(page)
    assert f"Groupes 1 à {PAGE_SIZE} sur {PAGE_SIZE + 2}" in text_of(page)
    assert "Assistant :" not in page  # no conversation read until one is opened
    opened = re.search(r'href="([^"]*open=(\d+))#c-1"', page)
    assert opened is not None
    async with pilotage.get(server + opened.group(1).replace("&amp;", "&")) as answer:
        page = await answer.text()
    assert '<h3 id="c-1" tabindex="-1">Conversation autour du message 1' in page
    assert "<strong>Assistant :</strong> Bonjour ! Que cherchez-vous ?" in page
    after = re.search(r'href="([^"]*page=2)" rel="next"', page)
    assert after is not None
    async with pilotage.get(server + after.group(1).replace("&amp;", "&")) as answer:
        page = await answer.text()
    assert f"Message {PAGE_SIZE + 2} :" in page and "Message 1 :" not in page
    # Labelled from page 2: back on page 2.
    back = re.search(r'name="back" value="([^"]*)"', page)
    assert back is not None and "page=2" in back.group(1)
    assert date(2026, 3, 1).isoformat() in back.group(1)


async def test_labelled_messages_leave_and_refused_ones_come_back_marked(
    server: str, pilotage: aiohttp.ClientSession, project: Path
) -> None:
    """Labelled through the page: gone; refused by a run: back, marked refused."""
    write_conversations(project, ["g pa de boulo", "kestion de la meteo"])
    march = f"{server}{BASE}/review?start=2026-03-01&end=2026-03-31"
    async with pilotage.post(
        f"{server}{BASE}/review/label",
        data={"text": "g pa de boulo", "intent": "inform", "back": "start=2026-03-01"},
    ) as answer:
        assert "Étiquette enregistrée." in await answer.text()
    labelling.append_blocks(
        labelling.refused_file(),
        labelling.example_block(labelling.Label("kestion de la meteo", "inform", "x")),
    )
    async with pilotage.get(march) as answer:
        page = text_of(await answer.text())
    assert "g pa de boulo" not in page
    assert "Message 1 : kestion de la meteo" in page
    assert "Étiquette refusée par le contrôle de qualité" in page


def test_the_default_period_ends_on_the_day_in_paris(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After midnight in Paris (still yesterday in UTC) the day's messages are in."""
    from datetime import date, timedelta

    from channels.dashboard import review

    monkeypatch.setattr(review, "paris_today", lambda: date(2026, 12, 7))
    filters = review.inbox_filters({})
    assert filters.end == date(2026, 12, 7)
    assert filters.start == date(2026, 12, 7) - timedelta(30)
