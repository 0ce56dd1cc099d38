"""Sign-in protection that cannot be turned against an adviser (issue 21 F).

Five wrong passwords from anyone locked a named adviser out for 15 minutes. Failures
now slow down the tries of one account from one address, with growing delays: the
adviser, from their own address, signs in at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp

from bot.advisers.store import ConsoleStore
from bot.advisers.sign_in_throttle import FREE_FAILURES, SignInThrottle, delay_seconds
from tests.clock import Clock
from tests.security.conftest import PASSWORDS

ATTACKER, ADVISER = "203.0.113.7", "198.51.100.2"  # each test has its own server


async def console_sign_in(base: str, password: str, address: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base}/webhooks/console/api/login",
            json={"username": "cmartin", "password": password},
            headers={"X-Forwarded-For": address},
        ) as answer:
            return answer.status, await answer.json()


async def dashboard_sign_in(base: str, password: str, address: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base}/webhooks/dashboard/login",
            data={"username": "rlefevre", "password": password},
            headers={"X-Forwarded-For": address},
            allow_redirects=False,
        ) as answer:
            return answer.status, answer.headers


async def test_nobody_can_lock_an_adviser_out_of_the_console(full_server: Any) -> None:
    base, _, _ = full_server
    statuses = [
        (await console_sign_in(base, "devine", ATTACKER))[0] for _ in range(12)
    ]
    assert statuses.count(401) == FREE_FAILURES
    assert statuses.count(429) == 12 - FREE_FAILURES
    status, body = await console_sign_in(base, "devine", ATTACKER)
    assert status == 429 and "n'est pas bloqué" in body["error"]
    status, body = await console_sign_in(base, PASSWORDS["cmartin"], ADVISER)
    assert status == 200, body


async def test_nobody_can_lock_a_pilot_out_of_the_dashboard(full_server: Any) -> None:
    base, _, _ = full_server
    statuses = [
        (await dashboard_sign_in(base, "devine", ATTACKER))[0] for _ in range(8)
    ]
    assert statuses.count(401) == FREE_FAILURES
    status, headers = await dashboard_sign_in(base, "devine", ATTACKER)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    status, _ = await dashboard_sign_in(base, PASSWORDS["rlefevre"], ADVISER)
    assert status == 303


def test_delays_grow_and_hold_across_instances_and_in_parallel(tmp_path: Path) -> None:
    clock = Clock()
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    first, second = ConsoleStore(url, now=clock), ConsoleStore(url, now=clock)
    throttles = [
        SignInThrottle(lambda: store.engine, now=clock) for store in (first, second)
    ]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            tries = list(
                pool.map(
                    lambda i: throttles[i % 2].claim("pdurand", ATTACKER), range(40)
                )
            )
        allowed = sum(1 for wait in tries if wait is None)
        assert 1 <= allowed <= FREE_FAILURES
        waits = []
        for _ in range(6):
            while (wait := throttles[1].claim("pdurand", ATTACKER)) is None:
                pass
            waits.append(wait.seconds)
            clock.advance(seconds=wait.seconds)
        assert waits == sorted(waits) and waits[-1] >= 8 * waits[0]
        assert throttles[0].claim("pdurand", ADVISER) is None
        throttles[0].succeeded("pdurand", ATTACKER)
        assert throttles[1].claim("pdurand", ATTACKER) is None
    finally:
        first.dispose()
        second.dispose()


def test_the_delay_doubles_up_to_fifteen_minutes() -> None:
    delays = [delay_seconds(failures, FREE_FAILURES) for failures in range(20)]
    assert delays[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert delays[FREE_FAILURES : FREE_FAILURES + 4] == [1, 2, 4, 8]
    assert max(delays) == delays[-1] == 15 * 60
