"""Several Rasa instances behind HAProxy on one machine.

``python -m bot.runtime.cluster`` starts them.

Starts, on localhost, N pairs of a Rasa server and its action server (each pair is the
launcher's ``Stack``, configured by ``deploy/endpoints.production.yml``: PostgreSQL
tracker store, Redis lock store), and Debian's HAProxy in front of the Rasa servers
(``deploy/haproxy.cfg.template``: round robin, health checks, a request that finds its
instance gone is sent to another one). PostgreSQL and Redis must be running (by
default on 127.0.0.1:5432, ``postgres`` user, and 127.0.0.1:6379); the tracker
database is created if missing. ``scripts/setup-haproxy.sh`` installs HAProxy.

    python -m bot.runtime.cluster --instances 2 --port 5005

Ctrl-C stops everything. Tests and benchmarks use :meth:`Cluster.temporary`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT, console_accounts_file, var_dir
from bot.runtime.launcher import Stack, ensure_model, free_port

PRODUCTION_ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.production.yml"
HAPROXY_TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
SETUP_HAPROXY = PROJECT_ROOT / "scripts" / "setup-haproxy.sh"


@dataclass(frozen=True)
class Services:
    """Where PostgreSQL and Redis listen, from the environment (local defaults)."""

    pg_host: str = field(
        default_factory=lambda: os.environ.get("SPRO_PG_HOST", "127.0.0.1")
    )
    pg_port: int = field(
        default_factory=lambda: int(os.environ.get("SPRO_PG_PORT", "5432"))
    )
    pg_user: str = field(
        default_factory=lambda: os.environ.get("SPRO_PG_USER", "postgres")
    )
    pg_password: str = field(
        default_factory=lambda: os.environ.get("SPRO_PG_PASSWORD", "")
    )
    redis_host: str = field(
        default_factory=lambda: os.environ.get("SPRO_REDIS_HOST", "127.0.0.1")
    )
    redis_port: int = field(
        default_factory=lambda: int(os.environ.get("SPRO_REDIS_PORT", "6379"))
    )

    def connect(self, database: str = "postgres") -> Any:
        """A psycopg2 connection in autocommit mode."""
        import psycopg2

        connection = psycopg2.connect(
            host=self.pg_host,
            port=self.pg_port,
            user=self.pg_user,
            password=self.pg_password or None,
            dbname=database,
        )
        connection.autocommit = True
        return connection

    def database_url(self, database: str) -> str:
        """The libpq URL of a database (for :func:`tracker_user_texts`)."""
        password = f":{self.pg_password}" if self.pg_password else ""
        return f"postgresql://{self.pg_user}{password}@{self.pg_host}:{self.pg_port}/{database}"

    def environment(self, database: str) -> dict[str, str]:
        """What ``deploy/endpoints.production.yml`` reads (but the action URL)."""
        return {
            "SPRO_PG_HOST": self.pg_host,
            "SPRO_PG_PORT": str(self.pg_port),
            "SPRO_PG_DB": database,
            "SPRO_PG_USER": self.pg_user,
            "SPRO_PG_PASSWORD": self.pg_password,
            "SPRO_REDIS_HOST": self.redis_host,
            "SPRO_REDIS_PORT": str(self.redis_port),
            # HAProxy adds the client's address (option forwardfor): the rate limits
            # count people, not the proxy.
            "SANIC_PROXIES_COUNT": "1",
        }


def create_database(services: Services, name: str) -> None:
    """Create the tracker database unless it exists."""
    admin = services.connect()
    try:
        cursor = admin.cursor()
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def drop_database(services: Services, name: str) -> None:
    """Drop a database, closing its connections."""
    admin = services.connect()
    try:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def tracker_user_texts(database_url: str, senders: list[str]) -> dict[str, list[str]]:
    """The user messages stored for each conversation, in the order they were saved."""
    import psycopg2

    with contextlib.closing(psycopg2.connect(database_url)) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' "
            "AND sender_id = ANY(%s) ORDER BY id",
            (senders,),
        )
        stored: dict[str, list[str]] = {}
        for sender, data in cursor.fetchall():
            stored.setdefault(sender, []).append(json.loads(data).get("text"))
    return stored


def tracker_events(database_url: str, sender: str) -> list[tuple[str, dict[str, Any]]]:
    """Every stored event of one conversation: its type and its data, in saved order."""
    import psycopg2

    with contextlib.closing(psycopg2.connect(database_url)) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id",
            (sender,),
        )
        return [(kind, json.loads(data)) for kind, data in cursor.fetchall()]


def haproxy_executable() -> str:
    """Debian's HAProxy, installed by ``scripts/setup-haproxy.sh`` when missing."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if found is None:
        subprocess.run(["bash", str(SETUP_HAPROXY)], check=True)
        found = shutil.which(
            "haproxy", path="/usr/sbin:/sbin:" + os.environ.get("PATH", "")
        )
    if found is None:
        raise RuntimeError("HAProxy is not installed (scripts/setup-haproxy.sh)")
    return found


def haproxy_config(port: int, rasa_ports: list[int], stats_socket: Path) -> str:
    """``deploy/haproxy.cfg.template`` for these ports and this stats socket."""
    servers = "\n".join(
        f"    server rasa{index} 127.0.0.1:{rasa_port} check"
        for index, rasa_port in enumerate(rasa_ports, start=1)
    )
    return (
        HAPROXY_TEMPLATE.read_text()
        .replace("{port}", str(port))
        .replace("{stats_socket}", str(stats_socket))
        .replace("{servers}", servers)
    )


def haproxy_servers(stats_socket: Path) -> dict[str, dict[str, str]]:
    """HAProxy's ``show stat`` row of each Rasa server (status, ``stot`` requests…)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(2)
        connection.connect(str(stats_socket))
        connection.sendall(b"show stat\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    lines = answer.decode().splitlines()
    if not lines or not lines[0].startswith("# "):
        return {}
    return {
        row["svname"]: row
        for row in csv.DictReader([lines[0][2:], *lines[1:]])
        if row.get("pxname") == "rasa"
        and row.get("svname") not in ("FRONTEND", "BACKEND")
    }


@dataclass
class Cluster:
    """HAProxy in front of ``instances`` Rasa servers, each with its action server."""

    model: Path
    work: Path
    database: str
    instances: int = 2
    port: int = 5005
    services: Services = field(default_factory=Services)
    stacks: list[Stack] = field(default_factory=list)
    haproxy: subprocess.Popen | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Base URL of the load balancer."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def haproxy_pid(self) -> int:
        """Process id of HAProxy."""
        assert self.haproxy is not None
        return self.haproxy.pid

    @property
    def database_url(self) -> str:
        """The libpq URL of the tracker database."""
        return self.services.database_url(self.database)

    def shared_settings(self) -> dict[str, str]:
        """What every instance must share beside the tracker store.

        The console's and the chat desk's tables (sessions, queue, messages) and the
        indicators go to the cluster's PostgreSQL database unless the environment names
        others; the advisers' accounts file is the launching machine's. With one SQLite
        file per instance, an adviser signed in on one instance would be unknown to the
        other, and each instance would derive the shared conversations again.
        """
        shared_url = self.services.database_url(self.database)
        return {
            "SPRO_CONSOLE_DATABASE_URL": os.environ.get(
                "SPRO_CONSOLE_DATABASE_URL", shared_url
            ),
            "SPRO_INDICATORS_DATABASE_URL": os.environ.get(
                "SPRO_INDICATORS_DATABASE_URL", shared_url
            ),
            "SPRO_CONSOLE_ACCOUNTS": str(console_accounts_file()),
            **self.extra_env,
        }

    def start(self, timeout: float = 300.0) -> float:
        """Start every server, wait until all answer; return the seconds it took."""
        from bot.knowledge.store import load_directory

        started = time.monotonic()
        self.work.mkdir(parents=True, exist_ok=True)
        create_database(self.services, self.database)
        knowledge_url = os.environ.get(
            "SPRO_DATABASE_URL", f"sqlite:///{self.work / 'knowledge.sqlite3'}"
        )
        outcome = load_directory(url=knowledge_url)
        if outcome.snapshot_id is None:
            raise RuntimeError("The knowledge files have errors (python -m bot check)")
        # Conversation ids issued by one instance must be accepted by every other one.
        conversation_secret = os.environ.get(
            "SPRO_CONVERSATION_SECRET"
        ) or secrets.token_urlsafe(32)
        for index in range(1, self.instances + 1):
            actions_port = free_port()
            instance_dir = self.work / f"instance-{index}"
            instance_dir.mkdir(exist_ok=True)
            env = {
                **self.services.environment(self.database),
                **self.shared_settings(),
                "SPRO_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
                "SPRO_DATABASE_URL": knowledge_url,
                "SPRO_VAR_DIR": str(instance_dir),
                "SPRO_CONVERSATION_SECRET": conversation_secret,
            }
            stack = Stack(
                model=self.model,
                rasa_port=free_port(),
                actions_port=actions_port,
                endpoints=PRODUCTION_ENDPOINTS,
                log_dir=instance_dir,
                extra_env=env,
            )
            self.stacks.append(stack)
            stack.start()
        config = self.work / "haproxy.cfg"
        config.write_text(
            haproxy_config(
                self.port, [s.rasa_port for s in self.stacks], self.stats_socket
            )
        )
        log = open(self.work / "haproxy.log", "ab")
        self.haproxy = subprocess.Popen(
            [haproxy_executable(), "-db", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        for stack in self.stacks:
            stack.wait_ready(timeout=max(1.0, timeout - (time.monotonic() - started)))
        self._wait_balancer(started, timeout)
        return time.monotonic() - started

    @property
    def stats_socket(self) -> Path:
        """HAProxy's UNIX socket for ``show stat``."""
        return self.work / "haproxy.sock"

    def _wait_balancer(self, started: float, timeout: float) -> None:
        # Ready once HAProxy answers and sends requests to every instance: an instance
        # that refused the first health checks (still starting) comes back only after
        # two good ones, and until then every request would go to the others.
        while True:
            if self.haproxy is not None and self.haproxy.poll() is not None:
                raise RuntimeError(f"HAProxy stopped; see {self.work / 'haproxy.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/webhooks/rest/", timeout=2):
                    pass
                servers = haproxy_servers(self.stats_socket).values()
                if sum(row["status"].startswith("UP") for row in servers) == len(
                    self.stacks
                ):
                    return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() - started > timeout:
                raise TimeoutError("HAProxy not sending to every instance") from None
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop HAProxy and every server."""
        if self.haproxy is not None and self.haproxy.poll() is None:
            self.haproxy.terminate()
            try:
                self.haproxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.haproxy.kill()
                self.haproxy.wait()
        for stack in self.stacks:
            stack.stop()

    @classmethod
    @contextlib.contextmanager
    def temporary(
        cls,
        model: Path,
        instances: int,
        work: Path,
        extra_env: dict[str, str] | None = None,
    ) -> Iterator[Cluster]:
        """A cluster on free ports with a fresh tracker database, dropped afterwards.

        ``extra_env``: settings given to every instance (e.g. an accounts file).
        """
        cluster = cls(
            model=model,
            work=work,
            instances=instances,
            port=free_port(),
            database=f"spro_tracker_{uuid.uuid4().hex[:8]}",
            extra_env=dict(extra_env or {}),
        )
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()
            drop_database(cluster.services, cluster.database)


def main(argv: list[str] | None = None) -> int:
    """Run the cluster in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SPRO_PORT", 5005))
    )
    parser.add_argument(
        "--database", default=os.environ.get("SPRO_PG_DB", "spro_tracker")
    )
    args = parser.parse_args(argv)
    cluster = Cluster(
        model=ensure_model(),
        work=var_dir() / "cluster",
        database=args.database,
        instances=args.instances,
        port=args.port,
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print(f"Starting HAProxy and {args.instances} Rasa instances...", flush=True)
        seconds = cluster.start()
        print(
            f"Ready in {seconds:.0f} s: {cluster.url}/webhooks/rest/webhook "
            f"(web chat: {cluster.url}/webhooks/webchat/). Logs: {cluster.work}. "
            "Ctrl-C stops everything.",
            flush=True,
        )
        while all(
            process.poll() is None
            for stack in cluster.stacks
            for process in (stack.rasa, stack.actions)
            if process is not None
        ):
            time.sleep(1)
        print("A server stopped; see the logs. Stopping.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
