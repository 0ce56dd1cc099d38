"""Which language a message is written in, offline (py3langid), careful with short French.

``detect_language(text)`` returns ``"fr"``, another ISO 639-1 code, or None when the text
is too short to tell (a commune, a number, "ok"). A word that only French uses settles it
as French; otherwise py3langid decides among the languages newcomers to France write in
most, and only when it is confident.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from bot.text import fold

FRENCH = "fr"
# Languages told apart (py3langid knows 97; fewer candidates, fewer confusions on short texts).
CANDIDATES = (
    "fr",
    "en",
    "es",
    "pt",
    "it",
    "de",
    "nl",
    "ro",
    "pl",
    "tr",
    "ru",
    "uk",
    "ar",
    "fa",
    "zh",
    "vi",
)
MIN_PROBABILITY = 0.9
# Latin-script languages without a word list below: only long, unmistakable messages.
SURE_PROBABILITY = 0.99
# Words that only a French writer uses (folded: no accents), SMS forms included.
FRENCH_WORDS = frozenset(
    """
je j jai jsuis jveux jcherche chui suis sommes etes ai avons avez ont les et avec pour dans chez mon mes moi
nous vous elle ils quoi quel quelle quels quelles comment pourquoi combien bonjour bonsoir salut merci oui
daccord voudrais veux voulais aimerais cherche recherche travail emploi boulot taf metier formation etudes lycee
college ecole fac habite ans annee fille fils enfant enfants besoin faire trouver changer apprentissage
alternance reconversion reconvertir former chomage salarie salariee etudiant etudiante apres aussi tres svp stp parler conseiller
""".split()
)
# Short words French shares with other languages: enough to doubt an unlisted language.
FRENCH_COMMON_WORDS = frozenset(
    "de la le un une du des en a ou mais que qui il non sur son sa pas plus merde".split()
)
# Words of the other Latin-script languages, so that noise ("tagada tsoin") is not a language.
LATIN_WORDS = {
    "en": frozenset(
        """i im am my the a an you your is are looking look live lost speak english please hello hi
        want need what how don dont do have has with and of to for job work help find years old student unemployed
        thanks thank yes no can could would training course""".split()
    ),
    "es": frozenset(
        """hola busco trabajo necesito quiero estoy soy el los una por para con hablo habla espanol
        buenos dias tengo anos ayuda gracias""".split()
    ),
    "pt": frozenset(
        """ola preciso procuro emprego trabalho sou estou uma para com tenho anos obrigado obrigada
        portugues bom dia nao voce ajuda""".split()
    ),
    "it": frozenset(
        """ciao cerco lavoro sono ho anni parli italiano buongiorno grazie per una della aiuto""".split()
    ),
    "de": frozenset(
        """ich bin suche eine arbeit ausbildung guten tag sprechen deutsch nicht und habe jahre hilfe""".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[a-z]")

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded on first use."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_pickled_model(
                    MODEL_FILE, norm_probs=True
                )
                identifier.set_languages(list(CANDIDATES))
                _identifier = identifier
    return _identifier


def detect_language(text: str) -> str | None:
    """``"fr"``, another language code, or None when unsure (see module docstring)."""
    if not text or text.startswith("/"):
        return None
    words = [fold(w) for w in _WORD.findall(text.lower())]
    if not words:
        return None
    latin = all(_LATIN.search(w) for w in words)
    if latin and FRENCH_WORDS.intersection(words):
        return FRENCH
    if latin and len(words) < 2:
        return None
    language, probability = _get_identifier().classify(text)
    if not latin:
        return language if probability >= MIN_PROBABILITY else None
    hits = {
        code: len(markers.intersection(words)) for code, markers in LATIN_WORDS.items()
    }
    if hits.get(language, 0) >= 1:
        return language
    best = max(hits, key=lambda code: hits[code])
    if hits[best] >= 2:
        return best
    if (
        language not in LATIN_WORDS
        and language != FRENCH
        and len(words) >= 3
        and probability >= SURE_PROBABILITY
        and not FRENCH_COMMON_WORDS.intersection(words)
    ):
        return language
    return None
