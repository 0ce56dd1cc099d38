"""Age and commune entities checked after DIET (bot/conversation/entities.py, bot/nlu.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot import config, places
from bot.conversation.entities import checked_entities
from bot.nlu import EntityRepair


def tagged(text: str, *spans: tuple[str, str]) -> list[dict[str, Any]]:
    """Entities as DIET gives them: (entity, words of the text)."""
    entities = []
    for entity, words in spans:
        start = text.index(words)
        entities.append(
            {
                "entity": entity,
                "start": start,
                "end": start + len(words),
                "value": words,
            }
        )
    return entities


def read(text: str, *spans: tuple[str, str]) -> list[tuple[str, str]]:
    """(entity, text of the span) after the check."""
    checked = checked_entities(text, tagged(text, *spans), places.get_gazetteer())
    return [(e["entity"], text[e["start"] : e["end"]]) for e in checked]


def test_a_cut_commune_name_is_completed() -> None:
    text = "je vis à Romorantin-Lanthenay depuis peu"
    assert read(text, ("commune", "Romorantin")) == [
        ("commune", "Romorantin-Lanthenay")
    ]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("j'ai 34 ans et je cherche", "34"),
        ("je suis allé à l'IUT mais j'ai arrêté", "IUT"),
        ("je suis à la retraite, ancien maçon", "ancien"),
    ],
)
def test_a_span_that_names_no_commune_is_dropped(text: str, span: str) -> None:
    assert ("commune", span) not in read(text, ("commune", span))


def test_a_look_alike_is_a_commune_after_a_place_cue_or_alone() -> None:
    assert read("j'habite à Blios", ("commune", "Blios")) == [("commune", "Blios")]
    assert read("blios", ("commune", "blios")) == [("commune", "blios")]


def test_a_commune_missed_is_added_where_it_is_written() -> None:
    assert read("je travaille à Châteauroux en ce moment") == [
        ("commune", "Châteauroux")
    ]
    assert read("je vis à Vitré mais je travaille à Rennes", ("commune", "Rennes")) == [
        ("commune", "Vitré"),
        ("commune", "Rennes"),
    ]
    assert read("Vierzon") == [("commune", "Vierzon")]
    assert read("41000") == [("commune", "41000")]
    assert read("je suis en CDD à Ancenis") == [("commune", "Ancenis")]


@pytest.mark.parametrize(
    "text", ["il me faut du boulot rapidement", "merci", "oui", "bonjour"]
)
def test_everyday_words_are_not_added_as_communes(text: str) -> None:
    assert read(text) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("je suis cariste depuis 12 ans", "12"),
        ("ma fille a 15 ans et ne va plus en cours", "15"),
        ("mon fils aura 16 ans en mai", "16"),
        ("ma fille de 16 ans cherche un apprentissage", "16"),
        ("non, pas 18, j'ai 21 ans", "18"),
    ],
)
def test_an_age_that_is_not_the_persons_is_dropped(text: str, number: str) -> None:
    assert ("age", number) not in read(text, ("age", number))


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("j'ai 45 ans", "45"),
        ("je suis âgée de 52 ans", "52"),
        ("j'ai déjà 30 ans", "30"),
    ],
)
def test_the_persons_own_age_stays(text: str, number: str) -> None:
    assert read(text, ("age", number)) == [("age", number)]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("bonjour, j'ai 38 ans et je voudrais changer de métier", [("age", "38")]),
        ("jai19ans jcherche du taf", [("age", "19")]),
        ("I'm 27 and unemployed", [("age", "27")]),
        ("je suis caissière depuis 15 ans", []),
        ("j'ai bossé 20 ans dans le bâtiment", []),
    ],
)
def test_an_age_diet_missed_is_added_when_the_profile_rules_read_it(
    text: str, age: list[tuple[str, str]]
) -> None:
    assert read(text) == age


def test_entities_of_other_kinds_are_kept_as_they_are() -> None:
    button = {"entity": "situation", "value": "salarie"}
    assert checked_entities("/inform", [button], places.get_gazetteer()) == [button]


def test_the_component_checks_rasa_messages_and_names_itself_the_extractor() -> None:
    repair = EntityRepair.create({}, None, None, None)  # type: ignore[arg-type]
    text = "bonjour j'habite à Romorantin-Lanthenay depuis 20 ans"
    message = Message.build(text=text)
    diet = tagged(text, ("commune", "Romorantin"), ("age", "20"))
    for entity in diet:
        entity.update(extractor="DIETClassifier", confidence_entity=0.9)
    message.set("entities", diet)
    repair.process([message])
    assert message.get("entities") == [
        {
            "entity": "commune",
            "start": 19,
            "end": 39,
            "value": "Romorantin-Lanthenay",
            "extractor": "EntityRepair",
            "confidence_entity": 0.9,
        }
    ]
    assert "entities" in message.as_dict(only_output_properties=True)


def test_the_component_reads_the_gazetteer_once_when_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repair = EntityRepair.create({}, None, None, None)  # type: ignore[arg-type]
    monkeypatch.setenv("SPRO_PLACES_FILE", str(tmp_path / "absent.csv.gz"))
    places.set_gazetteer(None)
    try:
        message = Message.build(text="j'habite à Châteauroux")
        repair.process([message])
        assert [e["value"] for e in message.get("entities")] == ["Châteauroux"]
    finally:
        places.set_gazetteer(None)


def test_the_pipeline_checks_entities_after_diet_and_evaluate_reports_it() -> None:
    pipeline = yaml.safe_load((config.PROJECT_ROOT / "config.yml").read_text())[
        "pipeline"
    ]
    names = [step["name"] for step in pipeline]
    assert names.index("bot.nlu.EntityRepair") > names.index("DIETClassifier")
    evaluate = (config.PROJECT_ROOT / "scripts" / "evaluate.py").read_text()
    assert 'ENTITY_EXTRACTOR = "EntityRepair"' in evaluate
