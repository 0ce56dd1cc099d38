"""Fixtures for the web chat in a real headless Chromium (Debian's, driven by Playwright).

The browser is Debian's ``/usr/bin/chromium`` (installed by scripts/setup-browser.sh):
Playwright never downloads one. Pages come from a server started by the tests on
127.0.0.1: the replay server (real channel, replayed dialogue) or the real stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.config import PROJECT_ROOT
from bot.runtime.launcher import free_port

CHROMIUM = os.environ.get("SPRO_CHROMIUM", "/usr/bin/chromium")
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
# Flags for this closed network: no background connections, no first-run, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 360, "height": 740}
PHONE_390 = {"width": 390, "height": 740}  # the layout checks of issue 20
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class ReplayServer:
    """The real web chat channel with a replayed dialogue, in a child process."""

    port: int
    log: Path
    settings: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    # Also the console's sign-in and the chat desk (``replay_server --desk``).
    desk: bool = False
    # Port of a regional site embedding the widget: an origin this server allows.
    embedding_site_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        """Start the server and wait until it answers."""
        env = dict(os.environ, SPRO_VAR_DIR=str(self.log.parent), PYTHONPATH=str(PROJECT_ROOT),
                   SPRO_ALLOWED_ORIGINS=f"http://127.0.0.1:{self.embedding_site_port}")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.browser.replay_server", "--port", str(self.port),
                 "--settings", json.dumps(self.settings), *(["--desk"] if self.desk else [])],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Replay server stopped at start-up; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/webhooks/webchat/health", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Replay server not ready; see {self.log}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait until its port is free."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_replay(tmp: Path, settings: dict[str, Any] | None = None) -> ReplayServer:
    """A started replay server on a free port, logging into ``tmp``."""
    server = ReplayServer(port=free_port(), log=tmp / "replay.log", settings=settings or {})
    server.start()
    return server


@pytest.fixture(scope="session")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    """A replay server shared by the tests that do not stop it."""
    server = start_replay(
        tmp_path_factory.mktemp("replay"),
        # Test values, to show the regional line section filled in (not real data).
        {"human_phone": "01 23 45 67 89", "human_hours": "du lundi au vendredi, de 9 h à 17 h (valeur de test)"},
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download).

    Module-scoped on purpose: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which would break the asyncio tests that follow.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup-browser.sh` (make test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page(viewport=..., **context_options)``: a page in a fresh context (fresh storage)."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="fr-FR", bypass_csp=True, **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: pytest.fail(f"A dialog opened: {dialog.message}"))
        return page

    yield make
    for context in contexts:
        context.close()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page; return its violations."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `bash scripts/setup-browser.sh` (npm ci).")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return result
