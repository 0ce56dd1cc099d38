"""The tele-adviser console: a Rasa input channel with its page and its API.

Served by the Rasa server under ``/webhooks/console/``: the page (``GET /``), its
static files, and a JSON API for signed-in advisers only (session cookie, HttpOnly,
SameSite=Strict, with a lifetime and an idle timeout). Every call belongs to the
adviser who started it: another adviser gets 404 for it, and its Rasa conversation
id is random and never shown, so the public chat cannot reach it.

The adviser types what the caller says; it goes through the same dialogue as the
public chat, with ``input_channel`` and output channel named ``console`` so that the
dialogue words its questions for the phone (responses with ``channel: console``) and
quick replies become plain options. See docs/console.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import SlotSet
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.privacy import mask_personal_data
from channels.console.accounts import AccountBook, AccountsError, Adviser
from channels.console.fiche import as_html, as_text, build_sections
from channels.console.profile import (
    COMMUNE_SLOTS, PROFILE_SLOTS, CorrectionError, coerce, field_specs, humanize,
    profile_from_slots, profile_rows,
)
from channels.console.store import OUTCOMES, CallRecord, ConsoleStore
from channels.public_rest import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

COOKIE = "spro_console"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "fiche.css": "text/css; charset=utf-8",
}
MAX_LOGIN_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

NOT_SIGNED_IN = "Connectez-vous pour utiliser la console."
NOT_FOUND = "Appel introuvable."
CLOSED = "Cet appel est clos : il ne peut plus être modifié."
AGENT_NOT_READY = "L'assistant démarre encore. Réessayez dans quelques secondes."


class ApiError(Exception):
    """An error answered as ``{"error": <French message>}`` with an HTTP status."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        """Status, French message and optional extra JSON fields."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


class ConsoleOutputChannel(CollectingOutputChannel):
    """Collects the bot's messages under the name ``console`` (the dialogue's phone wording).

    Quick-reply buttons are not offered on the phone: their titles become ``options``,
    a plain list the adviser can read out.
    """

    @classmethod
    def name(cls) -> str:
        """Name the dialogue sees as the output channel."""
        return "console"

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text plus the buttons' titles as options."""
        options = [str(b.get("title", "")) for b in buttons if b.get("title")]
        await self._persist_message({"recipient_id": recipient_id, "text": text,
                                     "options": options})


def iso(moment: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 with ``Z``."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def structure_payload(match: Any, why: str = "") -> dict[str, Any]:
    """A knowledge ``StructureMatch`` in the orientation contract's shape."""
    s = match.structure
    return {
        "id": s.id, "network": s.network, "name": s.name, "address": s.address,
        "postcode": s.postcode, "commune": s.commune, "insee": s.insee, "phone": s.phone,
        "email": s.email, "website": s.website, "hours": s.hours_text,
        "open_now": s.open_now(), "distance_km": round(match.distance_km, 1), "why": why,
    }


class ConsoleInput(InputChannel):
    """Console for the tele-advisers of the regional orientation line."""

    @classmethod
    def name(cls) -> str:
        """Channel name; URL prefix ``/webhooks/console``; the dialogue's channel name."""
        return "console"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "ConsoleInput":
        """Options from credentials.yml (all optional)."""
        credentials = credentials or {}
        return cls(
            correction_intent=credentials.get("correction_intent", "inform"),
            secure_cookie=bool(credentials.get("secure_cookie", False)),
        )

    def __init__(
        self,
        correction_intent: str | None = "inform",
        secure_cookie: bool = False,
        store: ConsoleStore | None = None,
        accounts: AccountBook | None = None,
    ) -> None:
        """Intent used to tell the dialogue about a correction; cookie ``Secure`` flag.

        ``store`` and ``accounts`` default to the configured database and accounts file.
        """
        self.correction_intent = correction_intent or None
        self.secure_cookie = secure_cookie
        self._store = store
        self.accounts = accounts or AccountBook()
        self._failures: dict[str, tuple[int, float]] = {}
        self._validate_configuration()

    def _validate_configuration(self) -> None:
        if self.correction_intent is not None and not str(self.correction_intent).isidentifier():
            raise InvalidConfigException(
                f"console: correction_intent « {self.correction_intent} » is not an intent name."
            )

    @property
    def store(self) -> ConsoleStore:
        """Calls and sessions (built on first use, from the configured database)."""
        if self._store is None:
            self._store = ConsoleStore()
        return self._store

    # Authentication -------------------------------------------------------------------
    def adviser_for(self, request: Request) -> Adviser:
        """The signed-in adviser, or ``ApiError(401)``."""
        token = request.cookies.get(COOKIE)
        username = self.store.session_user(token) if token else None
        adviser = self.accounts.get(username) if username else None
        if adviser is None:
            raise ApiError(401, NOT_SIGNED_IN)
        return adviser

    def _locked_out(self, username: str) -> bool:
        failures, since = self._failures.get(username, (0, 0.0))
        if time.monotonic() - since > LOCKOUT_SECONDS:
            self._failures.pop(username, None)
            return False
        return failures >= MAX_LOGIN_FAILURES

    def _record_failure(self, username: str) -> None:
        failures, since = self._failures.get(username, (0, time.monotonic()))
        self._failures[username] = (failures + 1, since)

    async def sign_in(self, request: Request) -> HTTPResponse:
        """Check the password and open a session (cookie)."""
        body = json_body(request)
        username = str(body.get("username", "")).strip().lower()[:64]
        password = str(body.get("password", ""))
        if not username or not password:
            raise ApiError(400, "Saisissez votre identifiant et votre mot de passe.")
        if self._locked_out(username):
            raise ApiError(429, "Trop d'essais. Réessayez dans 15 minutes ou demandez à "
                                "votre responsable de vérifier votre compte.")
        try:
            adviser = await asyncio.get_running_loop().run_in_executor(
                None, self.accounts.authenticate, username, password
            )
        except AccountsError as error:
            logger.error("Console accounts file unusable: %s", error)
            raise ApiError(503, "Les comptes de la console sont mal configurés : "
                                "prévenez l'équipe technique.") from None
        if adviser is None:
            self._record_failure(username)
            raise ApiError(401, "Identifiant ou mot de passe incorrect.")
        self._failures.pop(username, None)
        token, expires = self.store.create_session(adviser.username)
        answer = response.json({"adviser": adviser_json(adviser), "expires_at": iso(expires)})
        answer.cookies[COOKIE] = token
        cookie = answer.cookies[COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/webhooks/console"
        cookie["secure"] = self.secure_cookie or request.scheme == "https"
        return answer

    # Calls ----------------------------------------------------------------------------
    def call_for(self, request: Request, call_id: str, adviser: Adviser) -> CallRecord:
        """The adviser's own call, or 404 (the same for a call of another adviser)."""
        call = self.store.get_call(call_id, adviser.username)
        if call is None:
            raise ApiError(404, NOT_FOUND)
        return call

    async def run_turn(
        self,
        request: Request,
        call: CallRecord,
        text: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> list[dict[str, Any]]:
        """Send ``text`` to the dialogue for this call; update the call from the answer."""
        agent = ready_agent(request)
        collector = ConsoleOutputChannel()
        message = UserMessage(text, collector, call.sender_id, input_channel=self.name(),
                              metadata={"channel_page": "console"})
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("Console: handling a message failed (call %s)", call.id)
            raise ApiError(502, "L'assistant n'a pas pu traiter ce message. Votre texte est "
                                "conservé : réessayez ou continuez l'appel sans l'assistant.")
        tracker = await agent.tracker_store.retrieve(call.sender_id)
        if tracker is not None:
            call.profile = profile_from_slots(tracker.current_slot_values())
        now = self.store.now()
        replies = []
        for item in collector.messages:
            custom = item.get("custom")
            if isinstance(custom, dict) and custom.get("type") == "orientation":
                call.orientation = custom
                call.chosen_structure = None
            if item.get("text"):
                replies.append({"who": "assistant", "text": item["text"], "at": iso(now),
                                "options": item.get("options", [])})
        call.transcript.extend(replies)
        return replies

    async def correct(
        self,
        request: Request,
        call: CallRecord,
        field: str,
        value: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> list[dict[str, Any]]:
        """Set a profile field in the conversation, then let the dialogue go on from it."""
        agent = ready_agent(request)
        specs = {s.name: s for s in field_specs(slot_descriptions(agent))}
        if field not in specs:
            raise ApiError(400, "Ce champ du profil ne peut pas être corrigé ici.")
        if field == "commune":
            slots = resolve_commune(str(value or ""))
            text = slots["commune_name"] and f"{slots['commune_name']} ({slots['postcode']})"
        else:
            try:
                coerced = coerce(specs[field], value)
            except CorrectionError as error:
                raise ApiError(422, str(error)) from None
            slots = {field: coerced}
            text = humanize(coerced)
        async with agent.lock_store.lock(call.sender_id):
            tracker = await agent.processor.fetch_tracker_and_update_session(call.sender_id)
            for name, slot_value in slots.items():
                tracker.update(SlotSet(name, slot_value))
            await agent.tracker_store.save(tracker)
        call.corrections.append({"field": field, "label": specs[field].label,
                                 "text": text or "non renseigné", "at": iso(self.store.now())})
        call.profile.update(slots)
        replies: list[dict[str, Any]] = []
        # The dialogue re-routes from the corrected profile when it gets the correction as
        # its own answer intent with entities it declares (quick replies' payload format).
        entities = {k: v for k, v in slots.items()
                    if v is not None and k in agent.domain.entities}
        if self.correction_intent and self.correction_intent in agent.domain.intents and entities:
            payload = f"/{self.correction_intent}{json.dumps(entities, ensure_ascii=False)}"
            replies = await self.run_turn(request, call, payload, on_new_message)
        return replies

    def call_json(self, call: CallRecord) -> dict[str, Any]:
        """What the console page shows of a call."""
        last_replies: list[dict[str, Any]] = []
        for turn in reversed(call.transcript):
            if turn.get("who") != "assistant":
                break
            last_replies.insert(0, turn)
        return {
            "id": call.id, "started_at": iso(call.started_at), "ended_at": iso(call.ended_at),
            "open": call.is_open, "outcome": call.outcome,
            "outcome_label": OUTCOMES.get(call.outcome or ""),
            "elapsed_s": call.duration_seconds(self.store.now()),
            "profile": profile_rows(call.profile), "orientation": call.orientation,
            "chosen_structure": call.chosen_structure, "transcript": call.transcript,
            "suggestion": last_replies, "corrections": call.corrections,
            "consent": call.consent, "caller_name": call.caller_name,
            "caller_contact": call.caller_contact, "note": call.note,
        }

    def fiche_sections(self, call: CallRecord, adviser: Adviser) -> list:
        """The fiche for a call, with network names from the knowledge base when available."""
        return build_sections(call, adviser.name, network_name)

    # Routes ---------------------------------------------------------------------------
    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The page, its static files and the API."""
        bp = Blueprint(f"console_{type(self).__name__}", __name__)

        @bp.middleware("response")
        async def headers(request: Request, answer: HTTPResponse) -> None:
            for name, value in SECURITY_HEADERS.items():
                answer.headers.setdefault(name, value)
            answer.headers["Cache-Control"] = "no-store"

        def api(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
            async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                try:
                    if request.method != "GET":
                        check_same_origin(request)
                    return await handler(request, *args, **kwargs)
                except ApiError as error:
                    return response.json({"error": error.message, **error.extra},
                                         status=error.status)
            wrapped.__name__ = handler.__name__
            return wrapped

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # relative links need the trailing slash
                return response.redirect(request.path + "/")
            return await response.file(STATIC_DIR / "console.html",
                                       mime_type="text/html; charset=utf-8")

        @bp.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            if name not in STATIC_FILES:
                return response.text("Fichier introuvable.", status=404)
            return await response.file(STATIC_DIR / name, mime_type=STATIC_FILES[name])

        @bp.route("/api/login", methods=["POST"])
        @api
        async def login(request: Request) -> HTTPResponse:
            return await self.sign_in(request)

        @bp.route("/api/logout", methods=["POST"])
        @api
        async def logout(request: Request) -> HTTPResponse:
            token = request.cookies.get(COOKIE)
            if token:
                self.store.delete_session(token)
            answer = response.json({"signed_out": True})
            answer.cookies[COOKIE] = ""
            answer.cookies[COOKIE]["max-age"] = 0
            answer.cookies[COOKIE]["path"] = "/webhooks/console"
            return answer

        @bp.route("/api/me", methods=["GET"])
        @api
        async def me(request: Request) -> HTTPResponse:
            return response.json({"adviser": adviser_json(self.adviser_for(request))})

        @bp.route("/api/fields", methods=["GET"])
        @api
        async def fields(request: Request) -> HTTPResponse:
            self.adviser_for(request)
            specs = field_specs(slot_descriptions(ready_agent(request)))
            return response.json({"fields": [s.as_dict() for s in specs],
                                  "outcomes": [{"value": k, "label": v}
                                               for k, v in OUTCOMES.items()]})

        @bp.route("/api/calls", methods=["GET"])
        @api
        async def list_calls(request: Request) -> HTTPResponse:
            adviser = self.adviser_for(request)
            calls = self.store.list_calls(adviser.username)
            return response.json({"calls": [
                {"id": c.id, "started_at": iso(c.started_at), "open": c.is_open,
                 "outcome_label": OUTCOMES.get(c.outcome or "")} for c in calls
            ]})

        @bp.route("/api/calls", methods=["POST"])
        @api
        async def start_call(request: Request) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = self.store.create_call(adviser.username)
            return response.json(self.call_json(call), status=201)

        @bp.route("/api/calls/<call_id:str>", methods=["GET"])
        @api
        async def get_call(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            return response.json(self.call_json(self.call_for(request, call_id, adviser)))

        @bp.route("/api/calls/<call_id:str>/say", methods=["POST"])
        @api
        async def say(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = open_call(self.call_for(request, call_id, adviser))
            text = str(json_body(request).get("text", "")).strip()
            if not text:
                raise ApiError(400, "Saisissez ce que dit la personne.")
            if len(text) > MAX_MESSAGE_CHARS:
                raise ApiError(400, f"{MAX_MESSAGE_CHARS} caractères au plus par message.")
            masked = mask_personal_data(text)
            turn = {"who": "caller", "text": masked, "at": iso(self.store.now())}
            replies = await self.run_turn(request, call, masked, on_new_message)
            call.transcript.insert(len(call.transcript) - len(replies), turn)
            self.store.save_call(call)
            return response.json(self.call_json(call))

        @bp.route("/api/calls/<call_id:str>/profile", methods=["POST"])
        @api
        async def correct(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = open_call(self.call_for(request, call_id, adviser))
            body = json_body(request)
            await self.correct(request, call, str(body.get("field", "")), body.get("value"),
                               on_new_message)
            self.store.save_call(call)
            return response.json(self.call_json(call))

        @bp.route("/api/calls/<call_id:str>/structure", methods=["POST"])
        @api
        async def choose_structure(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = open_call(self.call_for(request, call_id, adviser))
            body = json_body(request)
            structure_id = body.get("structure_id")
            if structure_id is None:
                call.chosen_structure = None
            else:
                call.chosen_structure = chosen_structure(str(structure_id),
                                                         call.profile.get("commune_insee"))
            self.store.save_call(call)
            return response.json(self.call_json(call))

        @bp.route("/api/calls/<call_id:str>/caller", methods=["POST"])
        @api
        async def caller(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = self.call_for(request, call_id, adviser)
            body = json_body(request)
            call.consent = body.get("consent") is True
            call.caller_name = short(body.get("name"), 200) if call.consent else ""
            call.caller_contact = short(body.get("contact"), 200) if call.consent else ""
            call.note = short(body.get("note"), 2000)
            self.store.save_call(call)
            return response.json(self.call_json(call))

        @bp.route("/api/calls/<call_id:str>/close", methods=["POST"])
        @api
        async def close(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = open_call(self.call_for(request, call_id, adviser))
            outcome = json_body(request).get("outcome")
            if outcome not in OUTCOMES:
                raise ApiError(400, "Choisissez l'issue de l'appel : "
                               + ", ".join(f"« {v} »" for v in OUTCOMES.values()) + ".")
            self.store.close_call(call, outcome)
            return response.json(self.call_json(call))

        @bp.route("/api/calls/<call_id:str>/fiche", methods=["GET"])
        @api
        async def fiche(request: Request, call_id: str) -> HTTPResponse:
            adviser = self.adviser_for(request)
            call = self.call_for(request, call_id, adviser)
            sections = self.fiche_sections(call, adviser)
            download = request.args.get("download") == "1"
            if request.args.get("format") == "html":
                prefix = request.path.rsplit("/api/", 1)[0]
                answer = response.html(as_html(sections, f"{prefix}/static/fiche.css"))
            else:
                answer = response.text(as_text(sections))
            if download:
                day = call.started_at.strftime("%Y-%m-%d")
                extension = "html" if request.args.get("format") == "html" else "txt"
                answer.headers["Content-Disposition"] = (
                    f'attachment; filename="fiche-de-liaison-{day}.{extension}"'
                )
            return answer

        @bp.route("/api/networks", methods=["GET"])
        @api
        async def networks(request: Request) -> HTTPResponse:
            self.adviser_for(request)
            repository = knowledge()
            return response.json({"networks": [{"code": n.code, "name": n.name}
                                               for n in repository.networks()]})

        @bp.route("/api/structures", methods=["GET"])
        @api
        async def structures(request: Request) -> HTTPResponse:
            self.adviser_for(request)
            network = str(request.args.get("network", ""))
            place = resolve_commune(str(request.args.get("commune", "")))
            repository = knowledge()
            if repository.network(network) is None:
                raise ApiError(400, "Choisissez un réseau dans la liste.")
            matches = repository.nearest_structures(network, place["commune_insee"], limit=5)
            return response.json({
                "commune": place,
                "structures": [structure_payload(m) for m in matches],
            })

        return bp


def adviser_json(adviser: Adviser) -> dict[str, str]:
    """The adviser as the page shows them."""
    return {"username": adviser.username, "name": adviser.name}


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or ``ApiError(400)``."""
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "La requête doit être un objet JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "La requête doit être un objet JSON.")
    return body


def check_same_origin(request: Request) -> None:
    """Refuse changes sent from another site (with SameSite cookies, a second lock)."""
    if "application/json" not in request.headers.get("content-type", ""):
        raise ApiError(415, "La requête doit être envoyée en JSON (application/json).")
    origin = request.headers.get("origin")
    if origin and urlparse(origin).netloc != request.host:
        raise ApiError(403, "Requête refusée : elle ne vient pas de la console.")


def open_call(call: CallRecord) -> CallRecord:
    """The call if still open, else ``ApiError(409)``."""
    if not call.is_open:
        raise ApiError(409, CLOSED)
    return call


def short(value: Any, limit: int) -> str:
    """A text field, trimmed to ``limit`` characters."""
    return str(value or "").strip()[:limit]


def ready_agent(request: Request) -> Any:
    """The Rasa agent of this server, or ``ApiError(503)`` while it loads."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        raise ApiError(503, AGENT_NOT_READY)
    return agent


def slot_descriptions(agent: Any) -> dict[str, dict[str, Any]]:
    """Type (and values) of the dialogue's profile slots; codes from the dialogue's lists."""
    descriptions = {
        slot.name: {"type": slot.type_name, "values": list(getattr(slot, "values", []) or [])}
        for slot in agent.domain.slots if slot.name in PROFILE_SLOTS
    }
    for name, codes in dialogue_codes().items():
        if name in descriptions and codes:
            descriptions[name] = {"type": "categorical", "values": list(codes)}
    return descriptions


def dialogue_codes() -> dict[str, tuple[str, ...]]:
    """The codes the dialogue accepts for situation, need, sector (bot.profile), if any."""
    try:
        from bot.profile import valid_codes
    except ImportError:
        return {}
    try:
        return dict(valid_codes())
    except Exception:  # noqa: BLE001 - a broken routing table must not close the console
        logger.exception("Console: the dialogue's codes cannot be read; free text instead")
        return {}


def knowledge() -> Any:
    """The knowledge repository, or ``ApiError(503)`` when it cannot be read."""
    from bot.knowledge import KnowledgeUnavailable, get_repository

    try:
        repository = get_repository()
        repository.networks()
    except KnowledgeUnavailable as error:
        raise ApiError(503, f"La base des structures est indisponible : {error}") from None
    return repository


def network_name(code: str) -> str:
    """A network's name from the knowledge base, or its code."""
    if not code:
        return "réseau non renseigné"
    try:
        network = knowledge().network(code)
    except ApiError:
        return code
    return network.name if network else code


def resolve_commune(text: str) -> dict[str, Any]:
    """The three commune slots for a name, postcode or INSEE code; ``ApiError`` otherwise."""
    from bot import places

    if not text.strip():
        return {name: None for name in COMMUNE_SLOTS}
    found = places.resolve(text)
    if found.status == "ambiguous":
        raise ApiError(422, "Plusieurs communes correspondent : précisez le code postal.",
                       choices=[f"{c.name} ({c.postcodes[0] if c.postcodes else c.insee})"
                                for c in found.communes])
    if found.status != "found":
        raise ApiError(422, f"Commune introuvable : « {text[:60]} ».")
    commune = found.commune
    return {"commune_insee": commune.insee, "commune_name": commune.name,
            "postcode": commune.postcodes[0] if commune.postcodes else ""}


def chosen_structure(structure_id: str, insee: str | None) -> dict[str, Any]:
    """A structure the adviser picked, in the orientation contract's shape."""
    repository = knowledge()
    structure = repository.structure(structure_id)
    if structure is None:
        raise ApiError(404, "Structure introuvable dans la base.")
    distance = None
    if insee:
        for match in repository.nearest_structures(structure.network, insee, limit=50):
            if match.structure.id == structure_id:
                distance = match.distance_km
    from bot.knowledge import StructureMatch

    payload = structure_payload(StructureMatch(structure, distance or 0.0),
                                why="Choisie par le conseiller ou la conseillère.")
    if distance is None:
        payload["distance_km"] = None
    return payload
