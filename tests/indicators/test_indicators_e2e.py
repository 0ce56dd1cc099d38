"""Conversations on the real servers, then the dashboard's API and the report's figures.

A stack of its own (Rasa + action server, own tracker and indicators databases), so that
the figures are exactly those of the conversations sent here. The records are derived
by ``python -m bot.indicators derive`` (what the server does every 15 minutes and the
purge does first); the dashboard is the Rasa server's own channel (credentials.yml).
"""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import Stack, child_environment
from tests.conftest import load_knowledge, post_message
from tests.indicators.conftest import PASSWORDS
from tests.stacks import running_stack

pytestmark = pytest.mark.e2e

ORIENTED = (
    "Mon fils est en 3e et hésite entre un CAP et la seconde générale, on habite Blois"
)
INFORMATION = "c'est quoi le CEP ?"
ABANDONED = "je veux changer de métier"
FEEDBACK_YES = '/give_feedback{"feedback": "oui"}'
FEEDBACK_NO = '/give_feedback{"feedback": "non"}'
TOO_FAR = "c'est trop loin de chez nous"


@pytest.fixture(scope="module")
def indicator_stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, accounts_text: str
) -> Iterator[Stack]:
    """Rasa and the action server with their own var dir and a pilotage account."""
    work = tmp_path_factory.mktemp("indicators-stack")
    load_knowledge(work)
    (work / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    with running_stack(
        trained_model,
        work,
        SPRO_INDICATORS_DATABASE_URL=f"sqlite:///{work / 'indicators.sqlite3'}",
        SPRO_INDICATORS_MIN_CELL="5",
    ) as servers:
        yield servers


def conversation(base: str, *messages: str) -> list[list[dict[str, Any]]]:
    """Send messages in a fresh conversation; the bot's answers to each."""
    sender = f"ind-{uuid.uuid4().hex[:10]}"
    return [post_message(base, sender, text) for text in messages]


def derive(stack: Stack) -> str:
    """Run the staff command that records ended conversations (no idle time here)."""
    env = child_environment(
        {
            "SPRO_VAR_DIR": str(stack.log_dir),
            "SPRO_INDICATORS_DATABASE_URL": "sqlite:///"
            + str(stack.log_dir / "indicators.sqlite3"),
        }
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.indicators",
            "derive",
            "--idle-minutes",
            "0",
            "--tracker",
            f"sqlite:///{stack.log_dir / 'tracker.sqlite3'}",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_dashboard_and_report_show_what_was_sent(indicator_stack: Stack) -> None:
    """Six orientations in Blois (5 « Oui », 1 « Non »), 5 questions, 5 abandons."""
    base = indicator_stack.url
    for _ in range(5):
        answers = conversation(base, ORIENTED, FEEDBACK_YES)
        payloads = [
            m["custom"] for m in answers[0] if isinstance(m.get("custom"), dict)
        ]
        assert payloads and payloads[0]["type"] == "orientation", answers[0]
        asked = [m for m in answers[0] if "aide-t-elle" in (m.get("text") or "")]
        assert asked, "the satisfaction question follows the orientation"
        assert [b["title"] for b in asked[0]["buttons"]] == ["Oui", "En partie", "Non"]
        assert "Merci" in " ".join(m.get("text") or "" for m in answers[1])
    network = payloads[0]["network"]
    # The sixth person answers « Non », gives the reason, then asks again: never asked
    # twice.
    answers = conversation(base, ORIENTED, FEEDBACK_NO, TOO_FAR, ORIENTED)
    assert "quelques mots" in " ".join(m.get("text") or "" for m in answers[1])
    # « trop loin »: the ways in without travelling, not the same answer again.
    assert "Sans vous déplacer" in " ".join(m.get("text") or "" for m in answers[2])
    assert not [m for m in answers[3] if "aide-t-elle" in (m.get("text") or "")]
    for _ in range(5):
        conversation(base, INFORMATION)
    for _ in range(5):
        answers = conversation(base, ABANDONED)
        assert not any(isinstance(m.get("custom"), dict) for m in answers[0])

    assert "16" in derive(indicator_stack)

    pilot = requests.Session()
    signed = pilot.post(
        f"{base}/webhooks/dashboard/login",
        data={"username": "rlefevre", "password": PASSWORDS["rlefevre"]},
        timeout=30,
    )
    assert signed.ok and "Tableau de bord" in signed.text
    assert "Chiffres calculés le" in signed.text  # the derivation just run
    year = date.today().year
    api = pilot.get(
        f"{base}/webhooks/dashboard/api/indicators",
        params={"start": f"{year}-01", "end": f"{year}-12"},
        timeout=30,
    ).json()
    assert api["total"] == 16
    outcomes = {c["value"]: c["count"] for c in api["breakdowns"]["outcome"]}
    assert outcomes == {"oriented": 6, "information": 5, "abandoned": 5}
    # 5 « Oui » and 1 « Non »: the single « Non » must not be readable, so both merge.
    assert {c["value"]: c["count"] for c in api["breakdowns"]["satisfaction"]} == {
        "autres": 6
    }
    assert {c["value"]: c["count"] for c in api["breakdowns"]["network"]} == {
        network: 6
    }
    assert sum(w["count"] or 0 for w in api["weeks"]) == 16
    blois = pilot.get(
        f"{base}/webhooks/dashboard/api/indicators",
        params={"start": f"{year}-01", "end": f"{year}-12", "departement": "41"},
        timeout=30,
    ).json()
    assert blois["total"] == 6 and blois["filters"]["region"] == "24"
    rest = pilot.get(
        f"{base}/webhooks/dashboard/api/indicators",
        params={"start": f"{year}-01", "end": f"{year}-12", "channel": "console"},
        timeout=30,
    ).json()
    assert rest["total"] == 0

    report = pilot.get(
        f"{base}/webhooks/dashboard/report",
        params={"year": year, "departement": "41", "format": "csv"},
        timeout=30,
    )
    text = report.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    figures = {(r["Indicateur"], r["Valeur"]): r["Nombre"] for r in rows}
    assert figures[("Conversations", "Total")] == "6"
    assert figures[("Issue des conversations", "Orientée vers une structure")] == "6"
    merged = ("Cette réponse vous aide-t-elle ?", "Autres (petits effectifs regroupés)")
    assert figures[merged] == "6"
    html = pilot.get(
        f"{base}/webhooks/dashboard/report",
        params={"year": year, "departement": "41", "format": "html"},
        timeout=30,
    ).text
    assert f"Loir-et-Cher (41) — {year}</h1>" in html
    assert '<span class="figure">6</span> <span>Conversations</span>' in html
    pdf = pilot.get(
        f"{base}/webhooks/dashboard/report",
        params={"year": year, "departement": "41", "format": "pdf"},
        timeout=120,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The records hold codes only: no message text, no conversation id.
    database = indicator_stack.log_dir / "indicators.sqlite3"
    with sqlite3.connect(database) as connection:
        opinions = connection.execute(
            "SELECT satisfaction, feedback_theme, count(*) FROM indicator_records "
            "WHERE outcome = 'oriented' GROUP BY 1, 2 ORDER BY 1"
        ).fetchall()
    assert opinions == [("non", "distance", 1), ("oui", "", 5)]
    stored = database.read_bytes()
    for text in (b"ind-", b"Blois", b"fils", b"loin"):
        assert text not in stored
