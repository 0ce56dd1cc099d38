"""The dashboard in Debian's headless Chromium: sign-in, filters, axe audit, screenshot.

The channel runs alone (tests/indicators/dashboard_server.py) on records generated the
way the benchmark does, for the Centre-Val de Loire region.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.indicators.store import IndicatorStore
from bot.runtime.launcher import free_port
from tests.browser.conftest import (  # noqa: F401 - shared fixtures
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    browser,
    new_page,
    run_axe,
)
from tests.indicators.conftest import PASSWORDS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(
    tmp_path_factory: pytest.TempPathFactory, accounts_text: str
) -> Iterator[str]:
    """The dashboard on a free port, with a pilotage account and a year of records."""
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    from bench_indicators import generate

    work = tmp_path_factory.mktemp("dashboard")
    (work / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    url = f"sqlite:///{work / 'indicators.sqlite3'}"
    store = IndicatorStore(url)
    generate(store, per_day=40, days=330)
    store.dispose()
    port = free_port()
    env = dict(
        os.environ,
        SPRO_VAR_DIR=str(work),
        SPRO_INDICATORS_DATABASE_URL=url,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    with open(work / "server.log", "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.indicators.dashboard_server",
                "--port",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}/webhooks/dashboard/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base, timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None, (work / "server.log").read_text()
                assert time.monotonic() < deadline, "dashboard server not ready"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(page: Any, base: str) -> None:
    """Sign in with the keyboard, as a pilotage account."""
    page.goto(base)
    page.get_by_label("Identifiant").fill("rlefevre")
    page.get_by_label("Mot de passe").fill(PASSWORDS["rlefevre"])
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Tableau de bord du premier accueil").wait_for()


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The axe violations that block (serious or critical)."""
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_sign_in_page_passes_axe(dashboard: str, new_page: Any) -> None:  # noqa: F811
    """The sign-in page is accessible and refuses an adviser account in French."""
    page = new_page()
    page.goto(dashboard)
    assert not serious(run_axe(page))
    page.get_by_label("Identifiant").fill("cmartin")
    page.get_by_label("Mot de passe").fill(PASSWORDS["cmartin"])
    page.get_by_role("button", name="Se connecter").click()
    assert (
        page.get_by_role("alert").inner_text().startswith("Identifiant ou mot de passe")
    )


def test_dashboard_filters_charts_tables_and_axe(dashboard: str, new_page: Any) -> None:  # noqa: F811
    """Charts with tables, a filter by département, no axe violation; screenshots."""
    page = new_page(viewport=DESKTOP)
    sign_in(page, dashboard)
    assert page.get_by_role("img", name="Conversations par semaine").is_visible()
    assert page.get_by_role("img", name="Issue des conversations").is_visible()
    page.get_by_text("Tableau des données : issue des conversations").click()
    table = page.get_by_role(
        "table", name="Issue des conversations : tableau des données"
    )
    assert "Orientée vers une structure" in table.inner_text()
    assert not serious(run_axe(page))
    page.get_by_text("Tableau des données : issue des conversations").click()
    page.evaluate("window.scrollTo(0, 0)")
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.screenshot(path=str(SCREENSHOTS / "dashboard-desktop.png"), full_page=False)
    page.set_viewport_size(DESKTOP)

    page.get_by_label("Département").select_option("37")
    page.get_by_role("button", name="Afficher").click()
    page.get_by_text("Indre-et-Loire (37),").wait_for()
    assert "departement=37" in page.url
    assert page.get_by_role("heading", name="Lacunes de la base").is_visible()

    phone = new_page(viewport=PHONE)
    sign_in(phone, dashboard)
    assert not serious(run_axe(phone))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "no horizontal scrolling on a phone"
    phone.screenshot(path=str(SCREENSHOTS / "dashboard-phone-360.png"), full_page=False)


def test_report_buttons_give_files(dashboard: str, new_page: Any) -> None:  # noqa: F811
    """The CSV button downloads the aggregated table of the territory."""
    page = new_page(accept_downloads=True)
    sign_in(page, dashboard)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tableau agrégé (CSV)").click()
    path = Path(download.value.path())
    text = path.read_text(encoding="utf-8")
    assert text.startswith("indicateur;code;libellé;nombre;part")
    assert "conversations;total" in text
