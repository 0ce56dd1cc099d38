"""Read a person's profile from free French: age, situation, need, RQTH, cadre, sector.

Keyword and regex rules over an accent-free, lower-case form of the text, so that
SMS style, missing accents and old names (Pôle emploi, Fongecif, CIF) are understood.
They complement DIET (which gives the intent and ``age``/``commune`` entities) and are
testable without Rasa. ``extract(text, requested=...)`` returns only what the text
says; the caller merges it into the slots (a later statement overwrites: corrections).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.routing import NOT_GIVEN, SECTORS, SITUATIONS
from bot.text import fold

_NUMBER_WORDS = {
    "quatorze": 14, "quinze": 15, "seize": 16, "dix sept": 17, "dix huit": 18, "dix neuf": 19,
    "vingt": 20, "vingt et un": 21, "vingt deux": 22, "vingt trois": 23, "vingt quatre": 24,
    "vingt cinq": 25, "vingt six": 26, "vingt sept": 27, "vingt huit": 28, "vingt neuf": 29,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
}


def simplify(text: str) -> str:
    """Lower case, no accents, apostrophes and punctuation as spaces, single spaces."""
    value = re.sub(r"[^a-z0-9+]+", " ", fold(text))
    return f" {' '.join(value.split())} "


def _any(text: str, patterns: tuple[str, ...]) -> bool:
    return any(re.search(p, text) for p in patterns)


# The person's own situation. Order matters: the first matching situation wins, so
# "licenciée, ma fille cherche…" is a job seeker, not a parent.
_SITUATION_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sans_emploi", (
        r" chomage", r" chomeu", r" chomdu", r" demandeu\w* d emploi", r" sans emploi",
        r" sans (travail|boulot|job)", r" licenci", r" au rsa ", r" rsa ", r" pas de (travail|boulot|job)",
        r" inscrit\w* (a|chez) (pole emploi|france travail)", r" (pole emploi|france travail) m",
        r" perdu mon (travail|emploi|boulot|job)", r" rupture conventionnelle",
        r" sans activite", r" en recherche d emploi", r" au foyer", r" conge parental",
        r" je (ne )?travaille (plus|pas)", r" fin de droits", r" je suis inscrit\w* a pole",
        r" j ai pas de taf", r" sans taf",
    )),
    ("decrocheur", (
        r" (arrete|arreter|quitte|lache|abandonne|stoppe|plaque)\w* (l |le |les |mes |mon |ma |la )?"
        r"(ecole|lycee|college|cours|etudes|bac|cap|scolarite|formation|cfa)",
        r" decroch", r" descolaris", r" plus (a|en) (l )?(ecole|lycee|college|cours)",
        r" (vire|exclu|renvoye)\w* du (lycee|college)", r" sans diplome", r" pas de diplome",
        r" aucun diplome", r" sorti\w* (de l ecole|du systeme scolaire)",
    )),
    ("etudiant", (
        r" etudiant", r" a la fac ", r" en fac ", r" universite", r" en (l1|l2|l3|m1|m2|licence|master|bts|but|dut|iut|prepa|classe prepa)",
        r" premiere annee de (licence|fac|medecine|droit|psycho)", r" \b(l1|l2|l3)\b", r" parcoursup.*(fac|licence)",
        r" je suis en (droit|medecine|psycho|socio|staps|eco|lettres)",
    )),
    ("salarie", (
        r" salarie", r" en cdi", r" en cdd", r" mon cdd", r" mon cdi", r" en interim", r" interimaire",
        r" je travaille (comme|dans|en|chez|a|depuis)", r" mon (employeur|patron|entreprise actuelle|poste)",
        r" fonctionnaire", r" contractuel", r" (aide soignant|infirmi|caissi|vendeu|secretaire|comptable|ouvri|technicien|agent)\w* depuis",
        r" je suis (aide soignant|infirmi|caissi|vendeu|secretaire|comptable|ouvri|technicien|magasinier|cariste|serveu|agent)",
        r" en poste", r" fin de (mon |ma )?(cdd|contrat|mission)", r" j ai un (travail|emploi|boulot|job) ",
        r" mon (travail|boulot|job) ", r" en activite",
    )),
    ("independant", (
        r" independant", r" auto entrepreneu", r" micro entrepreneu", r" (je suis|suis) (artisan|commercant|agriculteur|agricultrice|exploitant)",
        r" a mon compte", r" freelance", r" liberal", r" chef d entreprise", r" gerant",
    )),
    ("parent_eleve", (
        r" (ma fille|mon fils|mon enfant|mes enfants|mon ado|notre fille|notre fils)",
        r" parent d eleve", r" je suis (la mere|le pere|maman|papa)",
    )),
    ("eleve", (
        r" lyceen", r" collegien", r" eleve ", r" au (lycee|college) ", r" en (seconde|2nde|premiere|1ere|terminale|tle|troisieme|3eme|3e|4eme|4e|cap|bac pro)\b",
        r" je passe (le|mon) (bac|brevet)", r" en classe de", r" je suis en (2nd|1ere|premiere|terminale|3eme)",
    )),
)

_PARENT = (r" (ma fille|mon fils|mon enfant|mes enfants|mon ado|notre fille|notre fils)",)

_NEED_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vae", (r" vae ", r" validation des acquis", r" (faire )?reconnaitre mon experience",
             r" diplome (grace a|avec|par) (mon|mes|l) experience", r" valider (mon|mes) experience",
             r" valider mes acquis")),
    ("financement_formation", (r" transition pro", r" \bptp\b", r" \bcif\b", r" fongecif", r" opacif",
                               r" financ\w* (ma|une|la|ma future) formation", r" (payer|financement) (ma|une|de ma) formation",
                               r" conge (individuel de )?formation", r" formation longue", r" garder mon salaire")),
    ("creation_entreprise", (r" cre\w* (mon|ma|une|un|son) (entreprise|boite|societe|activite|commerce|restaurant|salon|exploitation|ferme|garage|atelier|auto entreprise|micro entreprise|boutique|magasin|marque|cabinet|agence|start up|startup)",
                             r" creation d (entreprise|activite)", r" monter (ma|mon|une|un) (boite|entreprise|societe|commerce|affaire)",
                             r" (m|me) (installer|lancer|mettre) (a mon compte|en independant|comme|en auto)", r" reprendre (une|un|la|le) (entreprise|commerce|exploitation|ferme|boulangerie|restaurant|garage|salon)",
                             r" ouvrir (mon|ma|un|une) (commerce|restaurant|boutique|salon|food truck|bar|garage|magasin|institut)",
                             r" devenir (auto|micro) entrepreneu", r" (lancer|creer) mon (affaire|projet d entreprise)",
                             r" m installer (comme )?(agricult|eleveu|maraich|paysan)", r" installation agricole")),
    ("apprentissage", (r" apprenti", r" alternance", r" alterner", r" contrat pro", r" contrat de professionnalisation",
                       r" \bcfa\b", r" patron pour (mon|un) (contrat|apprentissage)", r" maitre d apprentissage")),
    ("droits_femmes", (r" violence", r" droits des femmes", r" mes droits de femme", r" (divorce|separation|pension alimentaire)",
                       r" egalite (femmes? hommes?|salariale)", r" harcel", r" (reprendre|retrouver|reprise d) (un )?(travail|emploi|activite) apres (mon |un |le |mes )?(conge|enfants|grossesse|pause|arret|des annees)",
                       r" (apres|pendant) (des annees|10 ans|quinze ans|\d+ ans) (au foyer|a la maison|a elever)", r" retour a l emploi apres")),
    ("vie_quotidienne", (r" logement", r" job d ete", r" jobs d ete", r" job (etudiant|pour l ete|de vacances)", r" petit boulot", r" baby sitting",
                         r" permis (de conduire|b)", r" mobilite", r" \bbafa\b", r" loisirs", r" appart", r" colocation",
                         r" partir a l etranger", r" service civique", r" aide pour (me loger|le permis)")),
    ("reconversion", (r" changer de (metier|voie|boulot|travail|job|carriere|secteur|domaine|branche)", r" reconver", r" reconvertir",
                      r" evolu(er|tion) (professionnel|dans mon)", r" bilan de competence", r" \bcep\b", r" conseil en evolution",
                      r" nouveau metier", r" autre metier", r" (faire|trouver) autre chose", r" plus envie de (faire|travailler)",
                      r" (j en ai marre|marre) de mon (travail|boulot|metier|job)", r" (reorienter|reorientation) professionnel",
                      r" quoi faire (apres|a la fin de) (mon|ma) (cdd|contrat|mission)", r" que faire apres (mon|ma) (cdd|contrat)",
                      r" fin de (mon |ma )?(cdd|contrat)", r" (contrat|cdd|mission) (se termine|s arrete|prend fin|finit|va finir|va se terminer)", r" projet professionnel", r" faire le point sur (ma carriere|mon parcours)", r" evoluer")),
    ("orientation_scolaire", (r" parcoursup", r" orientation", r" (quelle|quelles|choisir (ma|mes|une)) (filiere|etudes|specialite|voie|option)",
                              r" apres (le|mon) (bac|brevet|college|lycee|la 3e|la troisieme|la seconde)", r" quel(le)? (lycee|bac|bts|licence|but)",
                              r" (choisir|trouver) (mon|ma|mes) (orientation|etudes|filiere)", r" reprendre (mes|des) etudes", r" me reorienter",
                              r" changer de (filiere|fac|licence|specialite|lycee)", r" (bac|seconde) (general|pro|techno)", r" stage de (3e|troisieme|seconde)",
                              r" quoi faire plus tard", r" quel metier (faire|choisir)", r" aucune idee de (metier|ce que)")),
    ("formation", (r" formation", r" me former", r" (passer|obtenir|preparer) (un|le|mon) (diplome|titre|cap|bac|bts|permis caces|caces)",
                   r" qualification", r" qualifier", r" apprendre (un|le) metier", r" cours du soir", r" \bcpf\b", r" compte personnel de formation")),
    ("emploi", (r" (trouver|chercher|cherche|trouve|recherche)\w* (un |du |d un |mon |une )?(travail|emploi|boulot|job|taf|poste|stage|cdi|cdd|interim)",
                r" embauch", r" postuler", r" candidature", r" (mon )?\bcv\b", r" offres? d emploi", r" entretien d embauche",
                r" bosser", r" retrouver (du|un) (travail|emploi|boulot)", r" cherche du (travail|taf|boulot)", r" inscri\w* (a|chez) (france travail|pole emploi)")),
    ("information", (r" (je )?(ne )?sais pas (quoi|trop) faire", r" (besoin|envie) d(e|es) (conseils?|infos?|informations?|aide) (pour moi|me concernant)",
                     r" (des )?conseils pour moi", r" (et )?moi (aussi|meme) (j aurais|j ai) besoin", r" perdu\w* ", r" (je )?(ne )?sais pas par ou commencer", r" des (infos|informations) sur")),
)

_SECTOR_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("agriculture", (r" agricol", r" agricult", r" ferme", r" elevage", r" eleveu", r" maraich", r" viticult", r" vigne",
                     r" paysan", r" horticult", r" apicult", r" exploitation", r" chambre d agriculture", r" cheva", r" vaches")),
    ("artisanat", (r" artisan", r" cuisin", r" boulang", r" patiss", r" coiff", r" esthetic", r" mecani", r" plomb", r" electricien",
                   r" menuis", r" macon", r" boucher", r" fleuris", r" carross", r" peintre", r" charcut", r" chocolat", r" couture", r" ebenist",
                   r" chambre des metiers", r" \bcma\b", r" batiment", r" btp", r" garage", r" tatou", r" traiteur", r" toilett", r" prothes", r" ortho")),
    ("commerce", (r" commerce", r" commercial", r" boutique", r" magasin", r" vente", r" vendeu", r" restaurant", r" restauration", r" hotel", r" bar ",
                  r" informatique", r" numerique", r" conseil", r" service", r" industri", r" \bcci\b", r" e commerce", r" immobili", r" transport",
                  r" logistique", r" consultant", r" food truck", r" tourisme", r" communication", r" marketing", r" banque", r" assurance")),
)

_DISABILITY = (r" handicap", r" rqth", r" travailleu\w* handicape", r" mdph", r" invalidite", r" \baah\b", r" maladie chronique",
               r" inapte", r" inaptitude", r" reconnaissance de la qualite de travailleur")
_NO_DISABILITY = (r" (pas|plus|aucun) (de |en situation de )?handicap", r" pas de rqth")
_CADRE = (r" (je suis|suis|en tant que|statut|poste de|j etais|ancien|ancienne) cadre", r" \bcadre (dans|chez|en|commercial|sup|superieur|de sante)",
          r" ingenieur", r" (directeur|directrice) ", r" manager ", r" chef de (projet|service)", r" responsable (d equipe|de service|commercial|marketing)",
          r" \bapec\b")
_NOT_CADRE = (r" (pas|plus|non) cadre", r" pas (le statut )?cadre")

# "je ne sais pas", "je préfère ne pas répondre", "passer": the person skips a question.
_SKIP = (r"^ (je )?(ne )?sais pas ", r" (je )?(ne )?(sais|sait) pas ", r" (je )?prefere (ne pas|pas) (le |la )?(dire|repondre|preciser|donner|indiquer)", r" pas envie de (le |la )?(dire|repondre)",
         r" (je )?(ne )?(veux|souhaite) pas (le |la |vous )?(dire|donner|indiquer|preciser|repondre)", r" rester (discret|discrete|anonyme)",
         r"^ (passer|passe|suivant|aucune idee|aucun|aucune|bof|pas d idee|jsp|chais pas|je c pas|nsp) ", r" (passer|sauter) (la|cette) question",
         r" (je )?(ne )?veux pas (le )?dire", r" ca vous regarde pas", r" c est (prive|confidentiel)", r" (je )?refuse", r" sans reponse",
         r"^ (non merci|non) $", r" rien a dire")

_AGE = re.compile(r" (\d{1,2}) ?(ans|an|a|piges|balais)\b")
_AGE_BARE = re.compile(r"^ (?:j ai |jai |agee? de |age )?(\d{1,2}) (?:ans )?$")
_CHILD = re.compile(r" (ma fille|mon fils|mon enfant|mon ado|notre fille|notre fils|il|elle) (a|aura|qui a) \d{1,2} ")
_AGE_NOT_SELF = re.compile(r" (depuis|pendant|il y a|ca fait|cela fait|plus de|de) \d{1,2} ?ans")


@dataclass
class Extraction:
    """What one message says; only non-empty fields are to be written into slots."""

    values: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


def extract_age(simple: str, requested: str | None) -> float | None:
    """The person's own age: "j'ai 17 ans", "17ans", "dix-sept ans", or "17" when asked."""
    if requested == "age":
        bare = _AGE_BARE.match(simple)
        if bare:
            return _plausible(int(bare.group(1)))
    if _CHILD.search(simple):
        simple = _CHILD.sub(" ", simple)
    for match in _AGE.finditer(simple):
        before = simple[: match.start() + 1]
        if re.search(r"(depuis|pendant|il y a|ca fait|cela fait|plus de|de|dans|a|en|apres|au bout de)\s*$", before):
            continue
        value = _plausible(int(match.group(1)))
        if value is not None:
            return value
    for words, value in sorted(_NUMBER_WORDS.items(), key=lambda item: -len(item[0])):
        if re.search(rf" (j ai|jai|ai|age de|agee de) {words} ans ", simple):
            return float(value)
    return None


def _plausible(value: int) -> float | None:
    return float(value) if 11 <= value <= 99 else None


def extract(text: str, requested: str | None = None) -> Extraction:
    """Everything a message says about the person (see module docstring)."""
    simple = simplify(text)
    result = Extraction()
    values = result.values
    age = extract_age(simple, requested)
    if age is not None:
        values["age"] = age
    for situation, patterns in _SITUATION_PATTERNS:
        if _any(simple, patterns):
            values["situation"] = situation
            break
    own_situation = values.get("situation") in ("sans_emploi", "salarie", "independant")
    for need, patterns in _NEED_PATTERNS:
        if need == "orientation_scolaire" and own_situation and _any(simple, _PARENT):
            continue  # the child's orientation; the person's own need is another one
        if _any(simple, patterns):
            values["need"] = need
            break
    for sector, patterns in _SECTOR_PATTERNS:
        if _any(simple, patterns):
            values["sector"] = sector
            break
    if _any(simple, _NO_DISABILITY):
        values["disability"] = False
    elif _any(simple, _DISABILITY):
        values["disability"] = True
    if _any(simple, _NOT_CADRE):
        values["cadre"] = False
    elif _any(simple, _CADRE):
        values["cadre"] = True
    if _any(simple, _PARENT):
        values["parent"] = True
    if requested and requested not in values and _any(simple, _SKIP):
        result.skipped = True
    if requested == "situation" and "situation" not in values:
        quick = _quick_situation(simple)
        if quick:
            values["situation"] = quick
    return result


def _quick_situation(simple: str) -> str | None:
    """Short answers to "quelle est votre situation ?" ("au chômage", "salariée", "en 1ère")."""
    words = simple.split()
    if any(w in words for w in ("chomage", "chomeur", "chomeuse", "rien", "recherche")):
        return "sans_emploi"
    if any(w.startswith("salari") for w in words) or "travaille" in words or "cdi" in words or "cdd" in words:
        return "salarie"
    if any(w.startswith(("lyce", "colleg", "eleve")) for w in words):
        return "eleve"
    if any(w.startswith("etudi") for w in words) or "fac" in words:
        return "etudiant"
    if "parent" in words or "mere" in words or "pere" in words:
        return "parent_eleve"
    return None


def valid_codes() -> dict[str, tuple[str, ...]]:
    """Codes a button payload may set directly (``/inform{"situation": "salarie"}``)."""
    from bot.routing import get_table

    table = get_table()
    return {
        "situation": (*SITUATIONS, NOT_GIVEN),
        "need": (*table.needs, NOT_GIVEN),
        "sector": (*SECTORS, NOT_GIVEN),
    }


# Slots the dialogue keeps for the profile (names fixed: the console reads them).
PROFILE_SLOTS = ("need", "situation", "age", "sector", "disability", "cadre")
# Intents that answer a question of the form: if nothing is understood, ask again.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "skip", "nlu_fallback"})
# Intents whose message is a question to answer, not something said about oneself.
QUESTION_INTENTS = frozenset({"ask_info"})
MAX_MISUNDERSTOOD = 2


def _commune_slots(found: Any) -> dict[str, Any]:
    return {"commune_insee": found.insee, "commune_name": found.name, "postcode": found.postcode,
            "commune_choices": None, "commune_refused": False}


def _choose_among(simple: str, choices: list[dict[str, str]]) -> str | None:
    """Pick one of the proposed homonyms from a département name or number."""
    for choice in choices:
        dep_code = choice.get("departement_code", "").lower()
        dep_name = simplify(choice.get("departement_name", "")).strip()
        if (dep_code and re.search(rf" {re.escape(dep_code)} ", simple)) or (dep_name and f" {dep_name} " in simple):
            return choice["insee"]
    return None


def commune_updates(text: str, requested: str | None, entities: list[dict[str, Any]],
                    slots: dict[str, Any], skipped: bool) -> dict[str, Any]:
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
            resolution = places.resolve(named)
    if resolution is None or resolution.status == "not_found":
        resolution = places.find_in_text(text)
    if resolution.status == "found" and resolution.commune is not None:
        return _commune_slots(resolution.commune)
    if resolution.status == "ambiguous":
        communes = resolution.communes[:6]
        same_departement = len({c.departement_code for c in communes}) == 1
        return {"commune_choices": [
            {"insee": c.insee, "label": f"{c.name} ({c.postcode})" if same_departement else c.label,
             "departement_code": c.departement_code, "departement_name": c.departement_name}
            for c in communes]}
    if requested == "commune_insee" and skipped:
        return {"commune_refused": True, "commune_choices": None}
    return {}


def slot_updates(text: str, intent: str | None, entities: list[dict[str, Any]],
                 slots: dict[str, Any], requested: str | None) -> dict[str, Any]:
    """The slot changes one user message brings (profile, commune, skips, derived codes).

    ``requested`` is the slot the form asked for (None outside the form).
    """
    from bot.routing import Profile, age_band, public_for

    if intent in QUESTION_INTENTS:  # "c'est quoi la VAE ?" asks about a topic: not a need
        return {}
    extraction = extract(text, requested)
    values = dict(extraction.values)
    codes = valid_codes()
    for entity in entities:  # quick replies: /inform{"situation": "salarie"}; DIET's age entity
        name, value = entity.get("entity"), entity.get("value")
        if name in codes and value in codes[name]:
            if value == NOT_GIVEN:
                extraction.skipped = True
                requested = requested or name
            else:
                values[name] = value
        elif name == "age" and "age" not in values:
            digits = re.findall(r"\d{1,2}", str(value))
            if digits and (age := _plausible(int(digits[0]))) is not None:
                values["age"] = age
        elif name in ("disability", "cadre") and isinstance(value, str):
            values[name] = value.lower() in ("true", "oui", "1")
    updates = {k: v for k, v in values.items() if slots.get(k) != v}
    try:
        updates.update(commune_updates(text, requested, entities, slots, extraction.skipped))
    except Exception:  # noqa: BLE001 - places data missing: the dialogue goes on without
        pass
    skipped = list(slots.get("skipped") or [])
    if extraction.skipped and requested and requested not in values and requested != "commune_insee" \
            and requested not in skipped:
        skipped.append(requested)
    understood = bool(updates) or extraction.skipped
    misunderstood = float(slots.get("misunderstood") or 0)
    if requested and not understood and intent in ANSWER_INTENTS:
        misunderstood += 1
        if misunderstood >= MAX_MISUNDERSTOOD:  # never a dead end: move on without it
            misunderstood = 0
            if requested == "commune_insee":
                updates["commune_refused"] = True
            elif requested not in skipped:
                skipped.append(requested)
        updates["misunderstood"] = misunderstood
    elif understood and misunderstood:
        updates["misunderstood"] = 0.0
    if skipped != list(slots.get("skipped") or []):
        updates["skipped"] = skipped
    merged = {**slots, **updates}
    profile = Profile.from_slots(merged)
    derived = {"public": public_for(profile), "age_band": age_band(profile.age)}
    updates.update({k: v for k, v in derived.items() if slots.get(k) != v})
    return updates
