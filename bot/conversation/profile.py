"""Read a person's profile from free French: age, situation, need, RQTH, cadre, sector.

The phrasings are data: ``knowledge/profile_rules.yml`` (checked by its JSON Schema),
regular expressions over an accent-free, lower-case form of the text, so that SMS
style, missing accents, old names (Pôle emploi, Fongecif, CIF) and simple English are
understood.
They complement DIET (which gives the intent and ``age``/``commune`` entities) and are
testable without Rasa. ``extract(text, requested=...)`` returns only what the text
says; the caller merges it into the slots (a later statement overwrites: corrections).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, FormatChecker

from bot import config
from bot.conversation.language import OTHER_LANGUAGE_INTENT, next_language
from bot.conversation.routing import NOT_GIVEN, SECTORS, SITUATIONS
from bot.lazy import Lazy
from bot.text import simplify

log = logging.getLogger(__name__)

RULES_FILE = "profile_rules.yml"
RULES_SCHEMA = "profile_rules.schema.json"


@dataclass(frozen=True)
class CodedRule:
    """One code (situation, need, sector) and the phrasings that say it."""

    code: str
    patterns: tuple[re.Pattern[str], ...]
    weak_patterns: tuple[re.Pattern[str], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Status:
    """A situation said in other words than the confident ones (congé parental, RSA…).

    It gives a routing ``situation`` (``non_precise``: any public) only once confirmed;
    ``choices`` are the other plausible situations offered as buttons.
    """

    code: str
    situation: str
    label: str
    label_en: str
    choices: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...] = ()

    def masked(self, simple: str) -> str:
        """The text without the words that say this status (they say no request)."""
        for pattern in self.patterns:
            simple = pattern.sub(" ", simple)
        return simple


@dataclass(frozen=True)
class ProfileRules:
    """The phrasings of ``knowledge/profile_rules.yml``, compiled."""

    situations: tuple[CodedRule, ...]
    needs: tuple[CodedRule, ...]
    sectors: tuple[CodedRule, ...]
    disability: tuple[re.Pattern[str], ...]
    no_disability: tuple[re.Pattern[str], ...]
    cadre: tuple[re.Pattern[str], ...]
    not_cadre: tuple[re.Pattern[str], ...]
    parent: tuple[re.Pattern[str], ...]
    skip: tuple[re.Pattern[str], ...]
    age_patterns: tuple[re.Pattern[str], ...]
    not_own_age: tuple[re.Pattern[str], ...]
    number_words: dict[str, int]
    short_answers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    help: tuple[re.Pattern[str], ...] = ()
    statuses: tuple[Status, ...] = ()
    # English names of the situations and of the needs, by code
    labels_en: dict[str, str] = field(default_factory=dict)
    need_labels_en: dict[str, str] = field(default_factory=dict)

    @property
    def situation_labels(self) -> dict[str, str]:
        """How the assistant names each situation to the person ("parent d'élève")."""
        return self.labels()

    def labels(self, language: str | None = None) -> dict[str, str]:
        """Situation and status codes -> how to name them, in French or English."""
        french = {rule.code: rule.label or rule.code for rule in self.situations}
        french.update({status.code: status.label for status in self.statuses})
        if language != "en":
            return french
        english = {s.code: s.label_en for s in self.statuses}
        return {**french, **self.labels_en, **english}

    def need_labels(
        self, language: str | None, french: dict[str, str]
    ) -> dict[str, str]:
        """The need labels of the facts noted, in English for English speakers."""
        if language != "en":
            return french
        return {
            code: self.need_labels_en.get(code, label) for code, label in french.items()
        }

    def status(self, code: str | None) -> Status | None:
        """The status of that code, if it is one."""
        return next((s for s in self.statuses if s.code == code), None)

    def situation_of(self, guess: str) -> str:
        """The routing situation a confirmed guess gives (a status or a situation)."""
        status = self.status(guess)
        return status.situation if status else guess

    def alternatives(self, guess: str) -> list[str]:
        """The other plausible situations offered with the confirmation of ``guess``."""
        status = self.status(guess)
        return list(status.choices) if status else []

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "ProfileRules":
        """Check against the JSON Schema, compile, check the codes.

        Raises:
            ValueError: in French, when the rules are wrong.
        """
        validator = Draft7Validator(
            json.loads(
                (config.knowledge_schema_dir() / RULES_SCHEMA).read_text("utf-8")
            ),
            format_checker=FormatChecker(),
        )
        errors = sorted(
            validator.iter_errors(data), key=lambda e: list(e.absolute_path)
        )
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "racine"
            raise ValueError(f"{RULES_FILE} ({where}) : {errors[0].message}")
        known = {"situations": set(SITUATIONS), "sectors": set(SECTORS)}
        lookups = {
            name: "(?:" + "|".join(words) + ")"
            for name, words in (data.get("lookups") or {}).items()
        }

        def compiled(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
            return _compiled(patterns, lookups)

        def coded(group: str) -> tuple[CodedRule, ...]:
            rules = []
            for item in data[group]:
                if group in known and item["code"] not in known[group]:
                    raise ValueError(
                        f"{RULES_FILE} : code inconnu « {item['code']} » dans {group}."
                    )
                rules.append(
                    CodedRule(
                        item["code"],
                        compiled(item["patterns"]),
                        compiled(item.get("weak_patterns", [])),
                        item.get("label", ""),
                    )
                )
            return tuple(rules)

        statuses = []
        for item in data["statuses"]:
            for code in (item["situation"], *item["choices"]):
                if code not in SITUATIONS and code != NOT_GIVEN:
                    raise ValueError(
                        f"{RULES_FILE} : situation inconnue « {code} » "
                        f"dans statuses ({item['code']})."
                    )
            statuses.append(
                Status(
                    code=item["code"],
                    situation=item["situation"],
                    label=item["label"],
                    label_en=item["label_en"],
                    choices=tuple(item["choices"]),
                    patterns=compiled(item["patterns"]),
                    examples=tuple(item["examples"]),
                )
            )
        for item in data["short_answers"]:
            if item["code"] not in SITUATIONS:
                raise ValueError(
                    f"{RULES_FILE} : code inconnu « {item['code']} » "
                    "dans short_answers."
                )
        return cls(
            situations=coded("situations"),
            needs=coded("needs"),
            sectors=coded("sectors"),
            disability=compiled(data["disability"]["patterns"]),
            no_disability=compiled(data["disability"]["negative_patterns"]),
            cadre=compiled(data["cadre"]["patterns"]),
            not_cadre=compiled(data["cadre"]["negative_patterns"]),
            parent=compiled(data["parent"]),
            skip=compiled(data["skip"]),
            age_patterns=compiled(data["age_patterns"]),
            not_own_age=compiled(data["not_own_age"]),
            number_words={str(k): int(v) for k, v in data["number_words"].items()},
            short_answers=tuple(
                (item["code"], tuple(item["words"])) for item in data["short_answers"]
            ),
            statuses=tuple(statuses),
            help=compiled(data.get("help", [])),
            labels_en=_english_labels(data["situations"]),
            need_labels_en=_english_labels(data["needs"]),
        )


def _english_labels(items: list[dict[str, Any]]) -> dict[str, str]:
    return {item["code"]: item["label_en"] for item in items if item.get("label_en")}


_LOOKUP = re.compile(r"\{([a-z_]+)\}")


def _compiled(
    patterns: list[str], lookups: dict[str, str] | None = None
) -> tuple[re.Pattern[str], ...]:
    """Compile, each ``{name}`` replaced by the alternation of that word list."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if lookups is None or name not in lookups:
            raise ValueError(f"{RULES_FILE} : liste de mots inconnue « {{{name}}} ».")
        return lookups[name]

    return tuple(re.compile(_LOOKUP.sub(expand, p)) for p in patterns)


def rules_file() -> Path:
    """Where the phrasings live."""
    return config.knowledge_dir() / RULES_FILE


def read_rules() -> ProfileRules:
    """Read and check the phrasings file."""
    return ProfileRules.from_data(
        yaml.safe_load(rules_file().read_text(encoding="utf-8"))
    )


_RULES: Lazy[ProfileRules] = Lazy(read_rules)


def get_rules() -> ProfileRules:
    """The phrasings, read and checked on first use."""
    return _RULES.get()


def set_rules(rules: ProfileRules | None) -> None:
    """Replace (or with None, forget) the cached phrasings."""
    _RULES.set(rules)


def _any(text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(p.search(text) for p in patterns)


_AGE_BARE = re.compile(
    r"^ (?:j ai |jai |agee? de |age |i m |i am )?(\d{1,2}) (?:ans |years old )?$"
)


@dataclass
class Extraction:
    """What one message says; only non-empty fields are to be written into slots."""

    values: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


def extract_age(simple: str, requested: str | None) -> float | None:
    """The person's own age: "j'ai 17 ans", "17ans", "dix-sept ans", "17" when asked."""
    if requested == "age":
        bare = _AGE_BARE.match(simple)
        if bare:
            return _plausible(int(bare.group(1)))
    rules = get_rules()
    for pattern in rules.age_patterns:
        for match in pattern.finditer(simple):
            if not may_be_own_age(simple[: match.start() + 1]):
                continue
            value = _plausible(int(match.group(1)))
            if value is not None:
                return value
    for words, value in sorted(
        rules.number_words.items(), key=lambda item: -len(item[0])
    ):
        if re.search(rf" (j ai|jai|ai|age de|agee de) {words} ans ", simple):
            return float(value)
    return None


def may_be_own_age(before: str) -> bool:
    """Whether a number after ``before`` (simplified text) may be the person's age.

    Not after the words of ``not_own_age``: a duration (« depuis »), another person's
    age (« mon fils a »), a negation (« pas »).
    """
    return not _any(before, get_rules().not_own_age)


def reads_as_own_age(simple: str, position: int) -> bool:
    """Whether ``age_patterns`` read the number at ``position`` as the person's age.

    ``simple`` is a simplified text (``bot.text.simplify``); the number must be
    plausible and ``may_be_own_age`` of the words before the phrasing.
    """
    for pattern in get_rules().age_patterns:
        for match in pattern.finditer(simple):
            if match.start(1) == position and may_be_own_age(
                simple[: match.start() + 1]
            ):
                return _plausible(int(match.group(1))) is not None
    return False


def _plausible(value: int) -> float | None:
    return float(value) if 11 <= value <= 99 else None


def extract(text: str, requested: str | None = None) -> Extraction:
    """Everything a message says about the person (see module docstring)."""
    rules = get_rules()
    simple = simplify(text)
    result = Extraction()
    values = result.values
    age = extract_age(simple, requested)
    if age is not None:
        values["age"] = age
    situation = _first(simple, rules.situations)
    status = next((s for s in rules.statuses if _any(simple, s.patterns)), None)
    if status is not None and situation != status.situation:
        # a status in other words is never routed on without a confirmation
        values["situation_guess"] = status.code
    elif situation is not None:
        values["situation"] = situation
    elif requested == "situation" and (
        cue := _first(simple, rules.situations, weak=True)
    ):
        values["situation"] = cue  # a cue given as the answer is the answer
    elif guess := _first(simple, rules.situations, weak=True):
        values["situation_guess"] = guess
    own = values.get("situation") or (status.situation if status else None)
    own_situation = own in ("sans_emploi", "salarie", "independant", "apprenti")
    speaks_of_child = _any(simple, rules.parent)
    # the words of a status say who the person is, not the request ("je suis apprenti et
    # je veux changer de métier": reconversion), unless the confident words say the same
    # situation ("salariée en CDD, mon contrat se termine": what to do next)
    readings = [simple]
    if status is not None:
        readings = [status.masked(simple)] + (
            [simple] if situation == status.situation else []
        )
    for request in readings:
        need = _need(request, rules, skip_school=own_situation and speaks_of_child)
        if need is not None:
            values["need"] = need
            break
    if requested == "need" and "need" not in values:
        # a cue given as the answer is the answer: « ben du travail », « infirmière »
        cue = _first(simple, rules.needs, weak=True)
        if cue is not None:
            values["need"] = cue
    sector = _first(simple, rules.sectors)
    if sector is not None:
        values["sector"] = sector
    if _any(simple, rules.no_disability):
        values["disability"] = False
    elif _any(simple, rules.disability):
        values["disability"] = True
    if _any(simple, rules.not_cadre):
        values["cadre"] = False
    elif _any(simple, rules.cadre):
        values["cadre"] = True
    if speaks_of_child:
        values["parent"] = True
    if requested and requested not in values and _any(simple, rules.skip):
        result.skipped = True
    if requested == "situation" and "situation" not in values:
        quick = _quick_situation(simple)
        if quick:
            values["situation"] = quick
    return result


def asks_for_help(text: str) -> bool:
    """A call for help and nothing else: « aide », « au secours », « help »."""
    return _any(simplify(text), get_rules().help)


def _need(simple: str, rules: ProfileRules, skip_school: bool) -> str | None:
    """The first need said; ``skip_school``: the child's orientation is not the need."""
    for rule in rules.needs:
        if rule.code == "orientation_scolaire" and skip_school:
            continue
        if _any(simple, rule.patterns):
            return rule.code
    return None


def _first(simple: str, rules: tuple[CodedRule, ...], weak: bool = False) -> str | None:
    """The code of the first rule whose (weak) phrasings match."""
    for rule in rules:
        if _any(simple, rule.weak_patterns if weak else rule.patterns):
            return rule.code
    return None


def _quick_situation(simple: str) -> str | None:
    """Short answers to "quelle est votre situation ?".

    For example "au chômage", "salariée", "fac".
    """
    words = simple.split()
    for code, starts in get_rules().short_answers:
        if any(
            w == start or (start.endswith("*") and w.startswith(start[:-1]))
            for w in words
            for start in starts
        ):
            return code
    return None


def valid_codes() -> dict[str, tuple[str, ...]]:
    """Codes a button payload may set directly (``/inform{"situation": "salarie"}``)."""
    from bot.conversation.routing import get_table

    table = get_table()
    return {
        "situation": (*SITUATIONS, NOT_GIVEN),
        "need": (*table.needs, NOT_GIVEN),
        "sector": (*SECTORS, NOT_GIVEN),
    }


# Intents that answer a question of the form: if nothing is understood, say so and ask
# again.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "skip", "nlu_fallback"})
# Intents whose message is a question to answer, not something said about oneself.
QUESTION_INTENTS = frozenset({"ask_info"})
# Languages whose answers the phrasings of knowledge/profile_rules.yml understand.
UNDERSTOOD_LANGUAGES = frozenset({"fr", "en"})
FRENCH = "fr"


def _commune_slots(found: Any) -> dict[str, Any]:
    return {
        "commune_insee": found.insee,
        "commune_name": found.name,
        "postcode": found.postcode,
        "commune_choices": None,
        "commune_refused": False,
    }


def _choose_among(simple: str, choices: list[dict[str, str]]) -> str | None:
    """Pick one of the proposed homonyms from a département name or number."""
    for choice in choices:
        dep_code = choice.get("departement_code", "").lower()
        dep_name = simplify(choice.get("departement_name", "")).strip()
        if (dep_code and re.search(rf" {re.escape(dep_code)} ", simple)) or (
            dep_name and f" {dep_name} " in simple
        ):
            return choice["insee"]
    return None


def _entity_place(text: str, named: str, requested: bool) -> Any:
    """The place DIET's ``commune`` span names, checked against the whole sentence.

    The gazetteer's reading of the sentence wins when it holds the span in a longer
    name ("saint" of "saint amand montrond"); a look-alike of the span in free text
    ("ancien": Ancier) is no commune.
    """
    from bot import places

    resolution = places.resolve(named)
    if resolution.status == "not_found":
        return resolution
    in_text = places.find_in_text(text)
    span = simplify(named)
    if (
        in_text.status != "not_found"
        and in_text.method != "fuzzy"
        and span in simplify(in_text.matched_text)
        and len(in_text.matched_text) > len(named)
    ):
        return in_text
    if resolution.method == "fuzzy" and not requested:
        return places.find_in_text("")  # not found
    return resolution


def commune_updates(
    text: str,
    requested: str | None,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    skipped: bool,
) -> dict[str, Any]:
    """Commune slots from a message: found, ambiguous (choices to offer) or refused."""
    from bot import places

    simple = simplify(text)
    by_entity = {e.get("entity"): e.get("value") for e in entities}
    insee = by_entity.get("commune_insee")
    if isinstance(insee, str):
        found = places.commune(insee)
        if found is not None:
            return _commune_slots(found)
    choices = slots.get("commune_choices") or []
    if requested == "commune_insee" and choices:
        chosen = _choose_among(simple, choices)
        if chosen and (found := places.commune(chosen)):
            return _commune_slots(found)
    resolution = None
    if requested == "commune_insee":
        resolution = places.resolve(text)
    if resolution is None or resolution.status == "not_found":
        named = by_entity.get("commune")
        if isinstance(named, str):
            resolution = _entity_place(text, named, requested == "commune_insee")
    if resolution is None or resolution.status == "not_found":
        resolution = places.find_in_text(text)
        if resolution.method == "fuzzy" and requested != "commune_insee":
            # a look-alike word in free text ("carrière": Carrère) is not a commune
            return {}
    if resolution.status == "found" and resolution.commune is not None:
        return _commune_slots(resolution.commune)
    if resolution.status == "ambiguous":
        communes = resolution.communes[:6]
        same_departement = len({c.departement_code for c in communes}) == 1
        return {
            "commune_choices": [
                {
                    "insee": c.insee,
                    "label": f"{c.name} ({c.postcode})"
                    if same_departement
                    else c.label,
                    "name": c.name,
                    "postcode": c.postcode,
                    "departement_code": c.departement_code,
                    "departement_name": c.departement_name,
                }
                for c in communes
            ]
        }
    if requested == "commune_insee" and skipped:
        return {"commune_refused": True, "commune_choices": None}
    return {}


def slot_updates(
    text: str,
    intent: str | None,
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
    requested: str | None,
    language: str | None = None,
) -> dict[str, Any]:
    """The slot changes a user message brings (profile, commune, skips, derived codes).

    ``requested`` is the slot the form asked for (None outside the form); ``language``
    is the one ``bot.nlu.LanguageGuard`` found (None when unsure). Moving on after a
    question asked twice is the form's job (``bot.conversation.questions``); here an
    answer that is not understood only counts in ``misunderstood``.
    """
    from bot.conversation.routing import Profile, age_band, public_for

    if intent in QUESTION_INTENTS:
        # "c'est quoi la VAE ?" asks about a topic: not a need
        return {}
    updates: dict[str, Any] = {}
    if language is not None:
        new_language = next_language(slots.get("language"), language, text)
        if new_language != slots.get("language"):
            updates["language"] = new_language
        if language not in UNDERSTOOD_LANGUAGES:
            return updates  # answered by the other-language notice, not read as French
    extraction = extract(text, requested)
    values = dict(extraction.values)
    guess = slots.get("situation_guess")
    if requested == "situation" and guess and "situation" not in values:
        if intent == "affirm" or values.get("situation_guess") == guess:
            # "oui", or the status said again in answer to its confirmation
            values["situation"] = get_rules().situation_of(guess)
        elif intent == "deny":
            # "non" to "vous êtes … ?": ask the situation itself, not a skip
            values["situation_guess"] = None
            extraction.skipped = False
    codes = valid_codes()
    for entity in entities:
        # quick replies: /inform{"situation": "salarie"}; DIET's age entity
        name, value = entity.get("entity"), entity.get("value")
        if name in codes and value in codes[name]:
            if value == NOT_GIVEN:
                extraction.skipped = True
                requested = requested or name
            else:
                values[name] = value
        elif name == "age" and "age" not in values:
            start = entity.get("start")
            if isinstance(start, int) and not may_be_own_age(simplify(text[:start])):
                continue  # a duration, "depuis 18 ans", is not the person's age
            digits = re.findall(r"\d{1,2}", str(value))
            if digits and (age := _plausible(int(digits[0]))) is not None:
                values["age"] = age
        elif name in ("disability", "cadre") and isinstance(value, str):
            values[name] = value.lower() in ("true", "oui", "1")
    if values.get("situation") or slots.get("situation"):
        values.pop("situation_guess", None)
        if guess:
            values["situation_guess"] = None
    updates.update({k: v for k, v in values.items() if slots.get(k) != v})
    try:
        updates.update(
            commune_updates(text, requested, entities, slots, extraction.skipped)
        )
    except (OSError, ValueError):
        # places file missing or unreadable: go on without the commune
        log.exception("commune lookup failed")
    skipped = list(slots.get("skipped") or [])
    if (
        extraction.skipped
        and requested
        and requested not in values
        and requested != "commune_insee"
        and requested not in skipped
    ):
        skipped.append(requested)
        updates["skipped"] = skipped
    understood = any(k != "language" for k in updates) or extraction.skipped
    answering = intent in ANSWER_INTENTS or (
        intent == OTHER_LANGUAGE_INTENT and language in UNDERSTOOD_LANGUAGES
    )
    misunderstood = float(slots.get("misunderstood") or 0)
    if requested and not understood and answering:
        updates["misunderstood"] = misunderstood + 1
    elif understood and misunderstood:
        updates["misunderstood"] = 0.0
    merged = {**slots, **updates}
    profile = Profile.from_slots(merged)
    derived = {"public": public_for(profile), "age_band": age_band(profile.age)}
    updates.update({k: v for k, v in derived.items() if slots.get(k) != v})
    return updates
