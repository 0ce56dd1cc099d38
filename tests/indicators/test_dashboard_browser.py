"""The dashboard in Debian's headless Chromium: sign-in, filters, axe audit, screenshot.

The channel runs alone (tests/indicators/dashboard_server.py) on records generated the
way the benchmark does, for the Centre-Val de Loire region, with one derivation run
recorded (so the page can say when the figures were computed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.indicators.store import IndicatorStore, windows_table
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
    now = time.time()
    with store.engine.begin() as connection:  # the last derivation, 5 minutes ago
        connection.execute(
            windows_table.insert().values(
                start=0.0,
                end=now - 95 * 60,
                records=0,
                derived_at=datetime.fromtimestamp(now - 300, timezone.utc).replace(
                    tzinfo=None
                ),
            )
        )
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
    # What a manager reads first under the filters: when computed, then the figures.
    phone.evaluate(
        "document.querySelector('.freshness').scrollIntoView(); scrollBy(0, -8)"
    )
    phone.screenshot(path=str(SCREENSHOTS / "dashboard-phone-360.png"), full_page=False)


def test_report_buttons_give_files(dashboard: str, new_page: Any) -> None:  # noqa: F811
    """The CSV button downloads the aggregated table of the territory."""
    page = new_page(accept_downloads=True)
    sign_in(page, dashboard)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tableau agrégé (CSV)").click()
    path = Path(download.value.path())
    text = path.read_text(encoding="utf-8-sig")
    assert text.startswith("Indicateur;Valeur;Nombre;Part (%);Remarque")
    assert "Conversations;Total;" in text


# Words of a table cell split over two lines (« Nombr / e »), and
# chart texts drawn outside their SVG (cut by the card or the page).
LAYOUT_DEFECTS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('th, td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\\s-]+/g;  // a line may end after a hyphen: Val-de-/Loire
      let match;
      while ((match = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.viewBox.baseVal;
    for (const text of svg.querySelectorAll('text')) {
      const b = text.getBBox();
      if (b.x < -3 || b.x + b.width > box.width + 3 || text.textContent.includes('…'))
        broken.push(`${text.textContent} ${b.x} ${b.width} ${box.width}`);
    }
  }
  return broken;
}"""


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def dashboard_page(
    request: pytest.FixtureRequest,
    dashboard: str,
    new_page: Any,  # noqa: F811
) -> Any:
    """A pilotage account's dashboard on a phone (360x740), then on a desktop."""
    signed = new_page(viewport=request.param)
    sign_in(signed, dashboard)
    return signed


def test_the_page_says_when_figures_were_computed(dashboard_page: Any) -> None:
    """Above the key figures: when computed, up to when, and the 90 minutes rule."""
    page = dashboard_page
    notice = page.locator(".freshness")
    assert notice.is_visible()
    text = notice.inner_text()
    assert re.search(r"Chiffres calculés le \d\d/\d\d/\d{4} à \d+\s?h\s?\d\d", text)
    assert "comptée après 90\u00a0minutes sans message" in text
    figures = page.get_by_role("list", name="Chiffres clés").bounding_box()
    box = notice.bounding_box()
    assert box and figures and box["y"] < figures["y"], "said before the figures"


def test_a_departement_outside_the_region_is_refused(dashboard_page: Any) -> None:
    """Bretagne with the 41 (listed for the region shown before): an alert, Bretagne."""
    page = dashboard_page
    page.get_by_label("Région", exact=True).select_option("53")
    page.locator("#departement").select_option("41")
    page.get_by_role("button", name="Afficher").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Loir-et-Cher (41) n'est pas dans la région Bretagne" in alert.inner_text()
    assert page.get_by_label("Région", exact=True).input_value() == "53"
    assert page.locator("#departement").input_value() == ""
    assert page.get_by_text("Bretagne, du ").is_visible()
    assert not page.get_by_text("Loir-et-Cher (41), du ").count()
    assert not serious(run_axe(page))


def test_tables_and_chart_labels_are_whole_on_screen(dashboard_page: Any) -> None:
    """Every data table unfolded: no word cut in a cell, no chart label cut."""
    page = dashboard_page
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate(LAYOUT_DEFECTS) == []
    assert page.get_by_text("Intercommunalités (EPCI)").first.is_visible()


def test_the_printed_report_has_whole_labels_and_headers(
    dashboard: str,
    new_page: Any,  # noqa: F811
) -> None:
    """The HTML report as Chromium prints it on A4 (182 mm wide): nothing cut."""
    page = new_page()
    sign_in(page, dashboard)
    answer = page.request.get(
        dashboard + "report?year=2026&region=24&departement=&format=html"
    )
    assert answer.ok
    printed = new_page(viewport={"width": 688, "height": 1000})
    printed.emulate_media(media="print")
    printed.set_content(answer.text())
    assert printed.get_by_text("Parent d'élève (question pour son enfant)").count()
    assert printed.evaluate(LAYOUT_DEFECTS) == []
