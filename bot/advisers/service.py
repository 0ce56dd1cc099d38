"""What the console does, without HTTP or Rasa: sign-in, sessions, calls, fiche.

``ConsoleService`` holds the rules (sign-in lockout kept in the store so that it holds
across several Rasa instances, calls owned by their adviser, closed calls frozen, notes
masked without consent); the channel (``channels.console.channel``) only maps HTTP to
it. The dialogue is reached through the small ``Dialogue`` protocol: the channel passes
one backed by the Rasa agent, tests pass a fake. Profile corrections go through the
dialogue as a message (``/inform{"age": "25"}``), never by writing into its tracker.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.advisers import script_aid
from bot.advisers.accounts import AccountBook, AccountsError, Adviser
from bot.advisers.fiche import Section, build_sections
from bot.advisers.profile_view import (
    COMMUNE_SLOTS,
    PROFILE_SLOTS,
    CorrectionError,
    FieldSpec,
    coerce,
    field_specs,
    humanize,
    profile_from_slots,
    profile_rows,
)
from bot.advisers.sign_in_throttle import SignInThrottle
from bot.advisers.store import OUTCOMES, CallRecord, ConsoleStore
from bot.conversation.channel_differences import CONSOLE
from bot.conversation.orientation import network_name as knowledge_network_name
from bot.conversation.orientation import structure_item
from bot.conversation.orientation_payload import is_orientation, to_json
from bot.indicators import record_event
from bot.privacy import mask_personal_data
from bot.text_input import InvalidText, normalise_text

logger = logging.getLogger(__name__)

MAX_SAID_CHARS = 2000
MAX_NOTE_CHARS = 2000
MAX_CALLER_FIELD_CHARS = 200

NOT_SIGNED_IN = "Connectez-vous pour utiliser la console."
NOT_FOUND = "Appel introuvable."
CLOSED = "Cet appel est clos : il ne peut plus être modifié."
AGENT_NOT_READY = "L'assistant démarre encore. Réessayez dans quelques secondes."
DIALOGUE_FAILED = (
    "L'assistant n'a pas pu traiter ce message. Votre texte est conservé : "
    "réessayez ou continuez l'appel sans l'assistant."
)
CORRECTION_NOT_TAKEN = (
    "L'assistant n'a pas pris en compte cette correction. Réessayez, ou notez-la "
    "dans la zone « Note »."
)


class ConsoleError(Exception):
    """A refusal answered as ``{"error": <French message>}`` with an HTTP status."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        """Status, French message and optional extra JSON fields."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class DialogueTurn:
    """The dialogue's answer to one message: its messages and the slots afterwards."""

    messages: list[dict[str, Any]]
    slots: dict[str, Any] = field(default_factory=dict)


class Dialogue(Protocol):
    """The part of the assistant the console talks to (one conversation per call)."""

    def ready(self) -> bool:
        """False while the model loads."""

    def slot_types(self) -> dict[str, dict[str, Any]]:
        """``{"type", "values"}`` of each profile slot the dialogue declares."""

    async def turn(self, conversation_id: str, text: str) -> DialogueTurn:
        """Send ``text`` as the caller's message; raise on failure."""


@dataclass(frozen=True)
class SignedIn:
    """An opened session."""

    adviser: Adviser
    token: str
    expires_at: datetime


def iso(moment: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 with ``Z``."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def short(value: Any, limit: int) -> str:
    """A text field, trimmed to ``limit`` characters."""
    return str(value or "").strip()[:limit]


def knowledge() -> Any:
    """The knowledge repository, or ``ConsoleError(503)`` when it cannot be read."""
    from bot.knowledge import KnowledgeUnavailable, get_repository

    try:
        repository = get_repository()
        repository.networks()
    except KnowledgeUnavailable as error:
        raise ConsoleError(
            503, f"La base des structures est indisponible : {error}"
        ) from None
    return repository


def network_name(code: str) -> str:
    """A network's name from the knowledge base, or its code."""
    if not code:
        return "réseau non renseigné"
    try:
        return knowledge_network_name(knowledge(), code)
    except ConsoleError:
        return code


def resolve_commune(text: str) -> dict[str, Any]:
    """The commune slots for a name, postcode or INSEE code, else ``ConsoleError``."""
    from bot import places

    found = places.resolve(text)
    if found.status == "ambiguous":
        raise ConsoleError(
            422,
            "Plusieurs communes correspondent : précisez le code postal.",
            choices=[
                f"{c.name} ({c.postcodes[0] if c.postcodes else c.insee})"
                for c in found.communes
            ],
        )
    if found.status != "found" or found.commune is None:
        raise ConsoleError(422, f"Commune introuvable : « {text[:60]} ».")
    commune = found.commune
    return {
        "commune_insee": commune.insee,
        "commune_name": commune.name,
        "postcode": commune.postcodes[0] if commune.postcodes else "",
    }


def dialogue_codes() -> dict[str, tuple[str, ...]]:
    """The codes the dialogue accepts for situation, need, sector.

    They come from ``bot.conversation.profile``.
    """
    from bot.conversation.profile import valid_codes
    from bot.conversation.routing import NOT_GIVEN

    try:
        codes = valid_codes()
    except Exception:
        logger.exception(
            "Console: the dialogue's codes cannot be read; free text instead"
        )
        return {}
    return {
        name: tuple(c for c in values if c != NOT_GIVEN)
        for name, values in codes.items()
    }


def correction_entities(
    spec: FieldSpec, value: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """Entities telling the dialogue a correction; the slot values expected after."""
    if value is None or str(value).strip() == "":
        raise ConsoleError(422, f"{spec.label} : indiquez la valeur corrigée.")
    if spec.kind == "commune":
        slots = resolve_commune(str(value))
        return {"commune_insee": slots["commune_insee"]}, slots
    try:
        coerced = coerce(spec, value)
    except CorrectionError as error:
        raise ConsoleError(422, str(error)) from None
    if isinstance(coerced, bool):
        return {spec.name: "oui" if coerced else "non"}, {spec.name: coerced}
    if spec.kind == "number":
        return {spec.name: str(int(coerced))}, {spec.name: float(int(coerced))}
    return {spec.name: str(coerced)}, {spec.name: coerced}


class ConsoleService:
    """The console's rules over its store, its accounts file and the dialogue."""

    def __init__(
        self,
        store: ConsoleStore,
        accounts: AccountBook,
        correction_intent: str = "inform",
        network_names: Callable[[str], str] = network_name,
    ) -> None:
        """``correction_intent``: the intent carrying a correction's entities."""
        self.store = store
        self.accounts = accounts
        self.correction_intent = correction_intent
        self.network_names = network_names
        self.throttle = SignInThrottle(lambda: store.engine, now=store.now)

    # Sessions -------------------------------------------------------------------------
    async def sign_in(
        self, username: str, password: str, address: str = ""
    ) -> SignedIn:
        """Check the password and open a session.

        Failures slow down the tries of this account from this ``address`` only
        (``bot.advisers.sign_in_throttle``): nobody can lock an adviser out.
        """
        username = username.strip().lower()[:64]
        if not username or not password:
            raise ConsoleError(
                400, "Saisissez votre identifiant et votre mot de passe."
            )
        wait = self.throttle.claim(username, address)
        if wait is not None:
            raise ConsoleError(429, wait.message, retry_after=wait.seconds)
        try:
            adviser = await asyncio.get_running_loop().run_in_executor(
                None, self.accounts.authenticate, username, password
            )
        except AccountsError as error:
            logger.error("Console accounts file unusable: %s", error)
            raise ConsoleError(
                503,
                "Les comptes de la console sont mal configurés : "
                "prévenez l'équipe technique.",
            ) from None
        if adviser is None:
            self.throttle.failed(address)
            raise ConsoleError(401, "Identifiant ou mot de passe incorrect.")
        self.throttle.succeeded(username, address)
        token, expires = self.store.create_session(adviser.username)
        return SignedIn(adviser, token, expires)

    def adviser(self, token: str | None) -> Adviser:
        """The adviser of a live session, or ``ConsoleError(401)``."""
        username = self.store.session_user(token) if token else None
        adviser = self.accounts.get(username) if username else None
        if adviser is None:
            raise ConsoleError(401, NOT_SIGNED_IN)
        return adviser

    def sign_out(self, token: str | None) -> None:
        """End a live session; ``ConsoleError(401)`` when there is none."""
        self.adviser(token)
        self.store.delete_session(str(token))

    # Calls ----------------------------------------------------------------------------
    def start_call(self, adviser: Adviser) -> CallRecord:
        """A new call of this adviser."""
        return self.store.create_call(adviser.username)

    def calls(self, adviser: Adviser) -> list[CallRecord]:
        """The adviser's latest calls."""
        return self.store.list_calls(adviser.username)

    def call(self, adviser: Adviser, call_id: str) -> CallRecord:
        """The adviser's own call, or 404 (the same for a call of another adviser)."""
        call = self.store.get_call(call_id, adviser.username)
        if call is None:
            raise ConsoleError(404, NOT_FOUND)
        return call

    def open_call(self, adviser: Adviser, call_id: str) -> CallRecord:
        """The adviser's call if still open, else ``ConsoleError(409)``."""
        call = self.call(adviser, call_id)
        if not call.is_open:
            raise ConsoleError(409, CLOSED)
        return call

    async def say(
        self, adviser: Adviser, call_id: str, text: str, dialogue: Dialogue
    ) -> CallRecord:
        """The caller's words (masked) to the dialogue; the call takes its answer."""
        call = self.open_call(adviser, call_id)
        try:
            text = normalise_text(text)
        except InvalidText as error:
            raise ConsoleError(400, str(error)) from None
        if not text:
            raise ConsoleError(400, "Saisissez ce que dit la personne.")
        if text.startswith("/"):
            raise ConsoleError(
                400, "Tapez les mots de la personne, sans commande « / »."
            )
        if len(text) > MAX_SAID_CHARS:
            raise ConsoleError(400, f"{MAX_SAID_CHARS} caractères au plus par message.")
        masked = mask_personal_data(text)
        turn = {"who": "caller", "text": masked, "at": iso(self.store.now())}
        replies = await self._run_turn(call, masked, dialogue)
        call.transcript.insert(len(call.transcript) - len(replies), turn)
        self.save_open(call)
        return call

    async def correct(
        self,
        adviser: Adviser,
        call_id: str,
        field_name: str,
        value: Any,
        dialogue: Dialogue,
    ) -> CallRecord:
        """Tell the dialogue a corrected profile field; it re-routes from it."""
        call = self.open_call(adviser, call_id)
        specs = {spec.name: spec for spec in self.fields(dialogue)}
        spec = specs.get(field_name)
        if spec is None:
            raise ConsoleError(400, "Ce champ du profil ne peut pas être corrigé ici.")
        entities, expected = correction_entities(spec, value)
        payload = f"/{self.correction_intent}{json.dumps(entities, ensure_ascii=False)}"
        await self._run_turn(call, payload, dialogue)
        if any(call.profile.get(name) != wanted for name, wanted in expected.items()):
            self.save_open(call)
            raise ConsoleError(502, CORRECTION_NOT_TAKEN)
        shown = (
            f"{expected['commune_name']} ({expected['postcode']})"
            if spec.kind == "commune"
            else humanize(expected[spec.name])
        )
        call.corrections.append(
            {
                "field": spec.name,
                "label": spec.label,
                "text": shown,
                "at": iso(self.store.now()),
            }
        )
        self.save_open(call)
        return call

    async def _run_turn(
        self, call: CallRecord, text: str, dialogue: Dialogue
    ) -> list[dict[str, Any]]:
        if not dialogue.ready():
            raise ConsoleError(503, AGENT_NOT_READY)
        try:
            answer = await dialogue.turn(call.sender_id, text)
        except Exception:
            logger.exception("Console: handling a message failed (call %s)", call.id)
            raise ConsoleError(502, DIALOGUE_FAILED) from None
        if answer.slots:
            call.profile = profile_from_slots(answer.slots)
        at = iso(self.store.now())
        replies = []
        for item in answer.messages:
            custom = item.get("custom")
            if is_orientation(custom):
                call.orientation = to_json(custom)
                call.chosen_structure = None
            if item.get("text"):
                replies.append(
                    {
                        "who": "assistant",
                        "text": item["text"],
                        "at": at,
                        "options": item.get("options", []),
                    }
                )
        call.transcript.extend(replies)
        return replies

    def choose_structure(
        self, adviser: Adviser, call_id: str, structure_id: Any
    ) -> CallRecord:
        """The adviser's choice of structure for the fiche (None clears it)."""
        call = self.open_call(adviser, call_id)
        call.chosen_structure = (
            None
            if structure_id is None
            else chosen_structure(str(structure_id), call.profile.get("commune_insee"))
        )
        self.save_open(call)
        return call

    def record_caller(
        self,
        adviser: Adviser,
        call_id: str,
        consent: bool,
        name: Any,
        contact: Any,
        note: Any,
    ) -> CallRecord:
        """Name and contact kept only with consent; without it the note is masked."""
        call = self.open_call(adviser, call_id)
        call.consent = consent
        call.caller_name = short(name, MAX_CALLER_FIELD_CHARS) if consent else ""
        call.caller_contact = short(contact, MAX_CALLER_FIELD_CHARS) if consent else ""
        note_text = short(note, MAX_NOTE_CHARS)
        call.note = note_text if consent else mask_personal_data(note_text)
        self.save_open(call)
        return call

    def close(self, adviser: Adviser, call_id: str, outcome: Any) -> CallRecord:
        """End the call with one of the outcomes."""
        call = self.open_call(adviser, call_id)
        if outcome not in OUTCOMES:
            raise ConsoleError(
                400,
                "Choisissez l'issue de l'appel : "
                + ", ".join(f"« {v} »" for v in OUTCOMES.values())
                + ".",
            )
        if not self.store.close_call(call, outcome):
            raise ConsoleError(409, CLOSED)
        record_phone_call(call)
        return call

    def save_open(self, call: CallRecord) -> None:
        """Save a call; ``ConsoleError(409)`` when it was closed meanwhile."""
        if not self.store.save_call(call):
            raise ConsoleError(409, CLOSED)

    def fiche(self, adviser: Adviser, call_id: str) -> list[Section]:
        """The fiche de liaison of a call, network names from the knowledge base."""
        return build_sections(
            self.call(adviser, call_id), adviser.name, self.network_names
        )

    # Reference data -------------------------------------------------------------------
    def fields(self, dialogue: Dialogue) -> list[FieldSpec]:
        """Correctable profile fields, typed from the dialogue's slots and codes."""
        if not dialogue.ready():
            raise ConsoleError(503, AGENT_NOT_READY)
        descriptions = {
            name: description
            for name, description in dialogue.slot_types().items()
            if name in PROFILE_SLOTS
        }
        for name, codes in dialogue_codes().items():
            if name in descriptions and codes:
                descriptions[name] = {"type": "categorical", "values": list(codes)}
        return field_specs(descriptions)

    @staticmethod
    def networks() -> list[dict[str, str]]:
        """Networks of the knowledge base, for the structure search."""
        return [{"code": n.code, "name": n.name} for n in knowledge().networks()]

    @staticmethod
    def structures(network: str, commune: str) -> dict[str, Any]:
        """The nearest structures of a network for a commune."""
        place = (
            resolve_commune(commune)
            if commune.strip()
            else dict.fromkeys(COMMUNE_SLOTS)
        )
        repository = knowledge()
        if repository.network(network) is None:
            raise ConsoleError(400, "Choisissez un réseau dans la liste.")
        matches = repository.nearest_structures(
            network, place["commune_insee"], limit=5
        )
        return {
            "commune": place,
            "structures": [structure_item(m, "", None) for m in matches],
        }

    def view(self, call: CallRecord) -> dict[str, Any]:
        """What the console page shows of a call."""
        profile = script_aid.profile_with_orientation(call.profile, call.orientation)
        last_replies: list[dict[str, Any]] = []
        for turn in reversed(call.transcript):
            if turn.get("who") != "assistant":
                break
            last_replies.insert(0, turn)
        return {
            "id": call.id,
            "started_at": iso(call.started_at),
            "ended_at": iso(call.ended_at),
            "open": call.is_open,
            "outcome": call.outcome,
            "outcome_label": OUTCOMES.get(call.outcome or ""),
            "elapsed_s": call.duration_seconds(self.store.now()),
            "profile": profile_rows(profile),
            "proposal": script_aid.proposal(call.orientation, self.network_names),
            "next_question": script_aid.next_question(profile, call.orientation),
            "network_names": {
                code: self.network_names(code)
                for code in {
                    str(s.get("network") or "")
                    for s in [
                        *(call.orientation or {}).get("structures", []),
                        call.chosen_structure or {},
                    ]
                }
                if code
            },
            "orientation": call.orientation,
            "chosen_structure": call.chosen_structure,
            "transcript": call.transcript,
            "suggestion": last_replies,
            "corrections": call.corrections,
            "consent": call.consent,
            "caller_name": call.caller_name,
            "caller_contact": call.caller_contact,
            "note": call.note,
        }


def record_phone_call(call: CallRecord) -> None:
    """The anonymous indicator of a closed call: its outcome, public, need, territory.

    A distinct kind (``phone_call``): the conversation of the call is still derived from
    the tracker store, so the dashboard shows these apart and counts nothing twice.
    Never a name, contact, note or id. A failing indicators database does not undo the
    closing: it is logged.
    """
    profile = script_aid.profile_with_orientation(call.profile, call.orientation)
    try:
        record_event(
            "phone_call",
            CONSOLE,
            str(call.outcome or ""),
            day=call.ended_at.date() if call.ended_at else None,
            commune_insee=str(profile.get("commune_insee") or "") or None,
            public=str(profile.get("public") or ""),
            need=str(profile.get("need") or ""),
        )
    except SQLAlchemyError:
        logger.exception("Console: the indicator of a closed call was not recorded")


def chosen_structure(structure_id: str, insee: str | None) -> dict[str, Any]:
    """A structure the adviser picked, in the orientation contract's shape."""
    from bot.knowledge import StructureMatch

    repository = knowledge()
    structure = repository.structure(structure_id)
    if structure is None:
        raise ConsoleError(404, "Structure introuvable dans la base.")
    distance = None
    if insee:
        for match in repository.nearest_structures(structure.network, insee, limit=50):
            if match.structure.id == structure_id:
                distance = match.distance_km
    item = structure_item(
        StructureMatch(structure, distance or 0.0),
        "Choisie par le conseiller ou la conseillère.",
        None,
    )
    item["distance_km"] = distance
    return dict(item)
