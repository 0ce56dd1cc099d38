"""The patches of ``bot.rasa_patches`` behave as Rasa's own code, only cheaper."""

from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_patches import (
    action_endpoint,
    event_types,
    lock_store,
    patch_enabled,
    standby,
    tracker_store,
)

VALID_RESPONSES = [
    {},
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "age", "value": 24.0, "timestamp": None}],
        "responses": [
            {"text": "Bonjour", "buttons": []},
            {"custom": {"type": "orientation"}},
        ],
    },
    {"events": [{"event": "action", "name": "action_listen"}], "extra": 1},
]
INVALID_RESPONSES = [
    [],
    "events",
    {"events": "slot"},
    {"events": [{"name": "age"}]},
    {"events": [{"event": "slot", "name": 3}]},
    {"responses": ["Bonjour"]},
    {"events": [], "responses": {"text": "Bonjour"}},
]


@pytest.fixture
def patched() -> Iterator[None]:
    """The patch installed for one test, Rasa's code back afterwards."""
    action_endpoint.install()
    try:
        yield
    finally:
        action_endpoint.uninstall()


def outcome(result: Any) -> tuple[Any, ...]:
    """What Rasa's caller sees of a validation: success, or the error's details."""
    action = RemoteAction("action_x", None)
    try:
        return (action._validate_action_result(copy.deepcopy(result)),)
    except ValidationError as error:
        return (
            error.message,
            list(error.path),
            error.validator,
            list(error.schema_path),
        )


@pytest.mark.parametrize("result", VALID_RESPONSES + INVALID_RESPONSES)
def test_response_validation_is_rasas(result: Any) -> None:
    rasas = outcome(result)
    action_endpoint.install()
    try:
        assert outcome(result) == rasas
    finally:
        action_endpoint.uninstall()
    assert (rasas == (True,)) == (result in VALID_RESPONSES)


def test_schema_is_checked_once(patched: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from jsonschema.validators import validator_for

    validator_class = validator_for(RemoteAction.action_response_format_spec())
    action_endpoint.response_validator(RemoteAction)
    checks: list[Any] = []
    monkeypatch.setattr(
        validator_class,
        "check_schema",
        classmethod(lambda cls, schema: checks.append(schema)),
    )
    for result in VALID_RESPONSES:
        outcome(result)
    assert checks == []


def test_patches_can_be_left_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "action_endpoint")
    action_endpoint.install()
    assert "_spro_rasa_originals" not in vars(RemoteAction)
    assert not patch_enabled("action_endpoint") and patch_enabled("other")
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "all")
    assert not patch_enabled("other")


@pytest.fixture
async def action_server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A small HTTP server recording what it receives and from which client port."""
    seen: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "body": body,
                "headers": {
                    k: v
                    for k, v in request.headers.items()
                    if k.lower() not in {"content-length", "user-agent"}
                },
                "peer": request.transport.get_extra_info("peername")[1],
            }
        )
        if request.query.get("fail"):
            return web.Response(status=400, text='{"action_name": "x", "error": "non"}')
        if request.query.get("plain"):
            return web.Response(text="ok")
        return web.json_response({"events": [], "responses": [{"text": "Bonjour"}]})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def calls(url: str) -> list[Any]:
    """The same requests as Rasa makes them, and what each returns or raises."""
    endpoint = EndpointConfig(
        url=f"{url}/webhook",
        params={"a": "1"},
        headers={"X-Spro": "oui"},
        token="secret",
        basic_auth={"username": "u", "password": "p"},
    )
    results: list[Any] = []
    for kwargs in (
        {"json": {"next_action": "action_x"}, "method": "post", "timeout": 300},
        {"method": "get", "subpath": "status", "params": {"b": "2"}},
        {"method": "post", "json": {}, "params": {"plain": "1"}},
        {"method": "post", "json": {}, "params": {"fail": "1"}},
    ):
        try:
            results.append(await endpoint.request(**kwargs))
        except ClientResponseError as error:
            results.append(("error", error.status, error.text))
    try:
        await EndpointConfig(url="http://127.0.0.1:9/webhook").request(json={})
    except aiohttp.ClientConnectionError as error:
        results.append(type(error).__name__)
    return results


def decoded(request: dict[str, Any]) -> dict[str, Any]:
    """A recorded request with its body read as JSON (when it is JSON), not its port."""
    body = request["body"]
    return {
        **{k: v for k, v in request.items() if k != "peer"},
        "body": json.loads(body) if body else body,
    }


async def test_requests_are_rasas_on_a_kept_connection(
    action_server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = action_server
    rasas = await calls(url)
    rasas_requests = [{k: v for k, v in s.items() if k != "peer"} for s in seen]
    rasas_ports = {s["peer"] for s in seen}
    seen.clear()
    action_endpoint.install()
    try:
        assert await calls(url) == rasas
    finally:
        await action_endpoint.close_session()
        action_endpoint.uninstall()
    # Same requests; the JSON body's text differs (ujson, ``test_action_call_body...``).
    assert [decoded(s) for s in seen] == [decoded(s) for s in rasas_requests]
    assert len(rasas_ports) == 4 and len({s["peer"] for s in seen}) == 1
    assert rasas[0] == {"events": [], "responses": [{"text": "Bonjour"}]}
    assert rasas[2] is None and rasas[3][:2] == ("error", 400)


def action_call_body() -> dict[str, Any]:
    """Rasa's body for a call of a custom action: a varied conversation, our domain."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    root = Path(__file__).resolve().parent.parent
    domain = Domain.load(str(root / "domain.yml"))
    parse = {
        "intent": {"name": "inform", "confidence": 0.9876543210123},
        "entities": [{"entity": "commune", "value": "Saint-Étienne/Loire", "start": 3}],
        "intent_ranking": [{"name": "inform", "confidence": 1 / 3}],
        "text": "à Saint-Étienne/Loire « 😀 » \u2028 \\ \"x\"",
    }
    tracker = DialogueStateTracker.from_events(
        "c-1",
        [
            ActionExecuted("action_session_start", timestamp=1.5),
            SessionStarted(timestamp=1.6),
            ActionExecuted("action_listen", timestamp=1.7),
            UserUttered(parse["text"], parse["intent"], parse["entities"], parse),
            SlotSet("age", 17.0),
            SlotSet("commune_choices", [{"insee": "42218", "postcode": "42000"}]),
            SlotSet("disability", False),
            ActiveLoop("orientation_form"),
            BotUttered(
                "Vous avez 17 ans ?",
                {"buttons": [{"title": "Oui", "payload": '/inform{"age": 17}'}]},
                {"utter_action": "utter_ask_age"},
            ),
        ],
        domain.slots,
    )
    return RemoteAction("action_ask_age", None)._action_call_format(tracker, domain)


def test_action_call_body_reads_as_rasa_s(monkeypatch: pytest.MonkeyPatch) -> None:
    body = action_call_body()
    encoded = action_endpoint.encode_json(body)
    assert json.loads(encoded) == json.loads(json.dumps(body))
    assert encoded != json.dumps(body)  # ujson's text, not the standard library's
    assert list(json.loads(encoded)) == list(body)  # same keys, same order
    domain_calls: list[Any] = []
    dumps = action_endpoint.ujson.dumps

    def counted(value: Any) -> str:
        if value is body["domain"]:
            domain_calls.append(value)
        return dumps(value)

    monkeypatch.setattr(action_endpoint.ujson, "dumps", counted)
    again = action_call_body()  # a new tracker, the same kind of body
    again["domain"] = body["domain"]
    assert json.loads(action_endpoint.encode_json(again)) == json.loads(json.dumps(again))
    assert domain_calls == []  # the domain's text was kept
    assert json.loads(action_endpoint.encode_json({"x": float("nan")}))["x"] != 0
    assert action_endpoint.encode_json({"domain": {}}) == '{"domain":{}}'


async def test_the_body_encoding_can_be_left_to_rasa(
    action_server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = action_server
    body = action_call_body()
    action_endpoint.install()
    try:
        for off in ("", "action_json"):
            monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", off)
            await action_endpoint.close_session()
            await EndpointConfig(url=f"{url}/webhook").request(json=body)
    finally:
        await action_endpoint.close_session()
        action_endpoint.uninstall()
    assert seen[0]["body"] == action_endpoint.encode_json(body).encode()
    assert seen[1]["body"] == json.dumps(body).encode()


async def stored_rows(path: Path, patch: bool) -> tuple[list[Any], list[Any], str]:
    """Save then read back two turns of a conversation in a SQLite tracker store."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_store.uninstall()  # another test may have installed every patch (bot.runtime.rasa_server)
    if patch:
        tracker_store.install()
    try:
        domain = Domain.from_yaml(
            "slots:\n  age:\n    type: float\n    mappings: [{type: custom}]\n"
        )
        store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
        tracker = DialogueStateTracker.from_events(
            "conv-1",
            [
                ActionExecuted("action_listen", timestamp=1.0),
                UserUttered("j'ai 24 ans", {"name": "inform"}, timestamp=2.0),
                SlotSet("age", 24.0, timestamp=3.0),
            ],
        )
        await store.save(tracker)
        tracker.update(BotUttered("Merci", timestamp=4.0))
        await store.save(tracker)
        loaded = await store.retrieve("conv-1")
        assert loaded is not None
        with store.session_scope() as session:
            journal = session.execute(sa.text("PRAGMA journal_mode")).scalar()
        events = [e.as_dict() for e in loaded.events]
    finally:
        tracker_store.uninstall()
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT id, sender_id, type_name, timestamp, intent_name, "
            "action_name, data FROM events ORDER BY id"
        ).fetchall()
    return events, rows, journal


async def test_sqlite_tracker_store_writes_the_same_rows(tmp_path: Path) -> None:
    rasas = await stored_rows(tmp_path / "rasa.sqlite3", patch=False)
    patched = await stored_rows(tmp_path / "patched.sqlite3", patch=True)
    assert patched[:2] == rasas[:2]
    assert len(rasas[1]) == 4
    assert (rasas[2], patched[2]) == ("delete", "wal")


def redis_lock_store() -> Any:
    """Rasa's Redis lock store on this machine's Redis (database 15), or skip."""
    import redis
    from rasa.core.lock_store import RedisLockStore

    try:
        redis.StrictRedis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis on 127.0.0.1:6379 is needed")
    return RedisLockStore(host="127.0.0.1", port=6379, db=15, key_prefix="sprotest")


def lock_story(store: Any, conversation: str) -> list[Any]:
    """The states a conversation's lock goes through in a typical sequence."""
    from rasa.core.lock import TicketLock

    states: list[Any] = []

    def state() -> None:
        raw = store.red.get(store.key_prefix + conversation)
        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
        states.append([t.number for t in lock.tickets] if lock else None)

    first = store.issue_ticket(conversation, 60)
    second = store.issue_ticket(conversation, 60)
    state()
    store.issue_ticket(conversation, -1)  # already expired
    state()
    store.update_lock(conversation)
    state()
    store.finish_serving(conversation, first)
    state()
    store.cleanup(conversation, second)
    state()
    states.append((first, second, store.issue_ticket(conversation, 60)))
    store.cleanup(conversation, states[-1][2])
    state()
    return states


def test_redis_lock_store_changes_locks_as_rasa_does() -> None:
    store = redis_lock_store()
    conversation = f"conv-{uuid.uuid4().hex[:8]}"
    rasas = lock_story(store, conversation)
    lock_store.install()
    try:
        assert lock_story(store, conversation) == rasas
    finally:
        lock_store.uninstall()
    assert rasas == [[0, 1], [0, 1, 2], [0, 1], [1], None, (0, 1, 0), None]


def test_redis_lock_store_gives_simultaneous_messages_different_tickets() -> None:
    store = redis_lock_store()
    lock_store.install()
    try:
        for _ in range(5):
            conversation = f"conv-{uuid.uuid4().hex[:8]}"
            with ThreadPoolExecutor(8) as pool:
                tickets = list(
                    pool.map(lambda _: store.issue_ticket(conversation, 60), range(16))
                )
            assert sorted(tickets) == list(range(16))
            store.delete_lock(conversation)
    finally:
        lock_store.uninstall()


def test_a_ticket_of_a_stopped_instance_is_dropped_within_seconds() -> None:
    store = redis_lock_store()
    lock_store.install()
    conversation = f"conv-{uuid.uuid4().hex[:8]}"
    holders = lock_store.holders_key(store, conversation)
    try:
        first = store.issue_ticket(conversation, 60)
        second = store.issue_ticket(conversation, 60)
        assert store.red.hget(holders, str(first)).decode() == (
            lock_store.LIVENESS.instance
        )
        assert store.red.ttl(lock_store.alive_key(store, lock_store.LIVENESS.instance)) > 0
        store.update_lock(conversation)  # its holder runs: the ticket stays
        assert store.get_lock(conversation).is_locked(second)
        # The holder of the first ticket stops without cleaning up (killed).
        store.red.hset(holders, str(first), "an-instance-that-stopped")
        store.update_lock(conversation)
        assert not store.get_lock(conversation).is_locked(second)
        store.cleanup(conversation, second)
        assert store.get_lock(conversation) is None
        assert not store.red.exists(holders)
    finally:
        store.delete_lock(conversation)
        store.red.delete(holders)
        lock_store.uninstall()


def test_a_message_waiting_for_a_stopped_instance_is_served() -> None:
    store = redis_lock_store()
    lock_store.install()
    conversation = f"conv-{uuid.uuid4().hex[:8]}"
    stopped = "an-instance-that-stopped"
    try:
        orphan = store.issue_ticket(conversation, 60)
        store.red.hset(lock_store.holders_key(store, conversation), str(orphan), stopped)

        async def next_message() -> float:
            started = time.monotonic()
            async with store.lock(conversation, wait_time_in_seconds=0.1):
                return time.monotonic() - started

        assert asyncio.run(next_message()) < 2  # not the 60 s lifetime
        assert store.get_lock(conversation) is None
    finally:
        store.delete_lock(conversation)
        lock_store.uninstall()


def event_lookups() -> list[Any]:
    """What ``Event.resolve_by_type`` answers for every event name and a few others."""
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event, SlotSet

    names = sorted(
        {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    )
    answers: list[Any] = []
    for name in [*names, "topic", "no_such_event"]:
        for default in (None, SlotSet):
            try:
                answers.append((name, default, Event.resolve_by_type(name, default)))
            except ValueError as error:
                answers.append((name, default, str(error)))
    return answers


def test_event_classes_kept_by_name_are_those_rasa_finds() -> None:
    from rasa.shared.core.events import Event, SlotSet

    event_types.uninstall()
    rasas = event_lookups()
    event_types.install()
    event_types.install()
    try:
        assert len(rasas) >= 40
        assert event_lookups() == rasas
        assert event_lookups() == rasas  # from what was kept
        with pytest.raises(ValueError):
            Event.resolve_by_type("spro_test_event")
        # A class defined later answers its name: what was kept is forgotten.

        class LaterEvent(SlotSet):
            type_name = "spro_test_event"

        assert Event.resolve_by_type("spro_test_event") is LaterEvent
    finally:
        event_types.uninstall()
        event_types.install()


@pytest.fixture
def standby_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Any, list[tuple[Any, ...]]]]:
    """This process made a standby, Rasa's listener replaced by one that records calls.

    Gives the ready file, the write end of the process's input, and the calls.
    """
    import io
    import os

    import rasa.core.run

    calls: list[tuple[Any, ...]] = []

    async def rasas_listener(*args: Any) -> str:
        calls.append(args)
        return "agent"

    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", rasas_listener)
    ready_file = tmp_path / "standby.ready"
    monkeypatch.setenv(standby.READY_FILE_VARIABLE, str(ready_file))
    read_end, write_end = os.pipe()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.FileIO(read_end)))
    standby.install()
    with open(write_end, "wb", buffering=0) as launcher_end:
        try:
            yield ready_file, launcher_end, calls
        finally:
            standby.uninstall()
    assert rasa.core.run.load_agent_on_start is rasas_listener


async def test_a_standby_loads_rasa_s_agent_then_waits_to_serve(
    standby_process: tuple[Path, Any, list[tuple[Any, ...]]],
) -> None:
    import os

    import rasa.core.run

    ready_file, launcher_end, calls = standby_process
    listener = asyncio.ensure_future(
        rasa.core.run.load_agent_on_start("model", "endpoints", None, "app", "loop")
    )
    for _ in range(100):
        if ready_file.exists():
            break
        await asyncio.sleep(0.02)
    assert calls == [("model", "endpoints", None, "app", "loop")]
    assert ready_file.read_text() == str(os.getpid())
    await asyncio.sleep(0.2)
    assert not listener.done()  # Sanic binds the port only once it returns
    launcher_end.write(b"serve\n")
    assert await asyncio.wait_for(listener, 5) == "agent"


async def test_a_standby_whose_launcher_is_gone_stops(
    standby_process: tuple[Path, Any, list[tuple[Any, ...]]],
) -> None:
    import rasa.core.run

    _, launcher_end, calls = standby_process
    launcher_end.close()
    with pytest.raises(SystemExit):
        await rasa.core.run.load_agent_on_start("model", "endpoints", None, "a", "l")
    assert len(calls) == 1


def test_only_a_standby_process_changes_rasa_s_listener(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rasa.core.run

    rasas = rasa.core.run.load_agent_on_start
    monkeypatch.delenv(standby.READY_FILE_VARIABLE, raising=False)
    standby.install()
    assert rasa.core.run.load_agent_on_start is rasas
    monkeypatch.setenv(standby.READY_FILE_VARIABLE, str(tmp_path / "ready"))
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "standby")
    standby.install()
    assert rasa.core.run.load_agent_on_start is rasas
    assert not standby.available()
    monkeypatch.setenv("SPRO_RASA_PATCHES_OFF", "")
    assert standby.available()
    standby.install()
    try:
        assert rasa.core.run.load_agent_on_start is standby.load_agent_then_wait
    finally:
        standby.uninstall()
    assert rasa.core.run.load_agent_on_start is rasas
