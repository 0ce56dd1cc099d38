"""Sign-in protection of the staff pages that nobody can turn against an adviser.

A lock per user name let anyone lock a named adviser out for 15 minutes with five wrong
passwords. Failures are now counted per account *and* client address, and what grows is
a delay, not a lock: after ``FREE_FAILURES`` failures from one address for one account,
the next try from there waits 1 s, then 2, 4… up to 15 minutes. The adviser, signing in
from their own address, is never slowed by someone else's failures. Failures from one
address over all accounts (trying many names) get the same growing delay after
``FREE_ADDRESS_FAILURES``. A success clears the account's count for that address.

Counts live in the console's database (one table), so they hold across Rasa instances;
claiming a try is a conditional update, so parallel tries cannot all pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import create_tables, token_hash, utcnow

FREE_FAILURES = 3
FREE_ADDRESS_FAILURES = 20
LONGEST_DELAY_SECONDS = 15 * 60
FORGET_AFTER = timedelta(days=1)

metadata = MetaData()

failures_table = Table(
    "staff_sign_in_failures",
    metadata,
    # A hash of "account|address" or "*|address": no address is stored in clear.
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("next_try_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


def delay_seconds(failures: int, free: int) -> int:
    """The wait before the next try after ``failures`` failures (doubling)."""
    if failures < free:
        return 0
    return min(2 ** (failures - free), LONGEST_DELAY_SECONDS)


def wait_text(seconds: int) -> str:
    """French: « Trop d'essais … réessayez dans 2 minutes. »."""
    if seconds >= 90:
        amount = f"{round(seconds / 60)} minutes"
    else:
        amount = f"{seconds} seconde{'s' if seconds > 1 else ''}"
    return (
        f"Trop d'essais depuis cette connexion : réessayez dans {amount}. "
        "Votre compte n'est pas bloqué."
    )


@dataclass(frozen=True)
class Wait:
    """A try refused for now: seconds to wait, and the French message."""

    seconds: int

    @property
    def message(self) -> str:
        """The French message."""
        return wait_text(self.seconds)


class SignInThrottle:
    """Growing delays per account and address, in the console's database."""

    def __init__(
        self, engine: Callable[[], Engine], now: Callable[[], datetime] = utcnow
    ) -> None:
        """``engine``: gives the database's engine (the console store's)."""
        self._engine = engine
        self.now = now
        self._ready = False

    @property
    def engine(self) -> Engine:
        """The engine, with this module's table created on first use."""
        engine = self._engine()
        if not self._ready:
            create_tables(metadata, engine)
            self._ready = True
        return engine

    def claim(self, username: str, address: str) -> Wait | None:
        """Count one try of ``username`` from ``address``; a ``Wait`` when too soon."""
        pair, anyone = _key(username, address), _key("*", address)
        for key, free in ((anyone, FREE_ADDRESS_FAILURES), (pair, FREE_FAILURES)):
            wait = self._claim(key, free, count=key == pair)
            if wait is not None:
                return wait
        return None

    def failed(self, address: str) -> None:
        """A wrong password from ``address`` (whatever the account)."""
        self._claim(_key("*", address), FREE_ADDRESS_FAILURES, count=True, check=False)

    def succeeded(self, username: str, address: str) -> None:
        """The account signed in from this address: its count starts again."""
        with self.engine.begin() as db:
            db.execute(
                failures_table.delete().where(
                    failures_table.c.key == _key(username, address)
                )
            )

    def purge(self) -> int:
        """Forget counts not touched for a day."""
        with self.engine.begin() as db:
            return int(
                db.execute(
                    failures_table.delete().where(
                        failures_table.c.updated_at < self.now() - FORGET_AFTER
                    )
                ).rowcount
            )

    def _claim(
        self, key: str, free: int, count: bool, check: bool = True
    ) -> Wait | None:
        now = self.now()
        with self.engine.begin() as db:
            row = db.execute(
                select(failures_table).where(failures_table.c.key == key)
            ).first()
        if row is None:
            if not count:
                return None
            try:
                with self.engine.begin() as db:
                    db.execute(
                        failures_table.insert().values(
                            key=key,
                            failures=1,
                            next_try_at=now + timedelta(seconds=delay_seconds(1, free)),
                            updated_at=now,
                        )
                    )
                return None
            except IntegrityError:
                return Wait(1)  # another try at this very moment
        if check and row.next_try_at > now:
            return Wait(max(1, int((row.next_try_at - now).total_seconds() + 0.999)))
        if not count:
            return None
        failures = 1 if row.updated_at < now - FORGET_AFTER else row.failures + 1
        with self.engine.begin() as db:
            claimed = db.execute(
                failures_table.update()
                .where(
                    failures_table.c.key == key,
                    failures_table.c.failures == row.failures,
                )
                .values(
                    failures=failures,
                    next_try_at=now + timedelta(seconds=delay_seconds(failures, free)),
                    updated_at=now,
                )
            ).rowcount
        return None if claimed or not check else Wait(1)


def _key(username: str, address: str) -> str:
    return token_hash(f"{username}|{address}")
