"""Reading the profile from free French (bot/conversation/profile.py): no Rasa needed."""

from __future__ import annotations

import pytest

from bot.conversation.profile import extract, slot_updates

CASES = [
    # text, expected values (subset)
    ("j'ai 17 ans, j'ai arrêté le lycée l'année dernière", {"age": 17.0, "situation": "decrocheur"}),
    ("jai arreter les cours depuis 1 an", {"situation": "decrocheur"}),
    ("jsuis au chomdu depuis 2 ans jveux changer de metier", {"situation": "sans_emploi", "need": "reconversion"}),
    ("Je viens d'être licenciée", {"situation": "sans_emploi"}),
    ("inscrite a pole emploi depuis un an", {"situation": "sans_emploi"}),
    ("je suis salariée en CDD, mon contrat se termine bientôt", {"situation": "salarie", "need": "reconversion"}),
    ("Je voudrais créer mon entreprise de boulangerie", {"need": "creation_entreprise", "sector": "artisanat"}),
    ("je veux m'installer comme maraîchère", {"need": "creation_entreprise", "sector": "agriculture"}),
    ("je cherche un apprentissage en cuisine", {"need": "apprentissage", "sector": "artisanat"}),
    ("je voudrais faire un CIF comme avant avec le Fongecif", {"need": "financement_formation"}),
    ("je veux faire une vae", {"need": "vae"}),
    ("comment avoir un diplome avec mon experience", {"need": "vae"}),
    ("je cherche un job d'ete", {"need": "vie_quotidienne"}),
    ("je suis etudiante en L1 de droit", {"situation": "etudiant"}),
    ("je suis en terminale", {"situation": "eleve"}),
    ("ma fille a 15 ans et veut faire un bac pro", {"situation": "parent_eleve", "parent": True}),
    ("j'ai une RQTH", {"disability": True}),
    ("je n'ai pas de handicap", {"disability": False}),
    ("je suis cadre dans une banque", {"cadre": True}),
    ("dans le cadre de mon travail", {}),
    ("non, j'ai 27 ans", {"age": 27.0}),
    ("j'ai dix-huit ans", {"age": 18.0}),
    ("après 10 ans au foyer je veux reprendre un travail", {"need": "droits_femmes"}),
    ("je cherche du taf", {"need": "emploi"}),
    ("je suis une fille et j'aimerais travailler dans la mécanique", {}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_extracts_what_the_message_says(text: str, expected: dict) -> None:
    values = extract(text).values
    for key, value in expected.items():
        assert values.get(key) == value, (key, values)


def test_durations_and_a_child_s_age_are_not_the_person_s_age() -> None:
    assert "age" not in extract("je suis au chômage depuis 2 ans").values
    assert "age" not in extract("mon fils a 15 ans").values
    assert "age" not in extract("j'ai travaillé pendant 20 ans dans le bâtiment").values


def test_a_bare_number_is_an_age_only_when_the_age_was_asked() -> None:
    assert extract("22", requested="age").values["age"] == 22.0
    assert "age" not in extract("22").values


def test_gender_is_never_read_nor_stored() -> None:
    updates = slot_updates("je suis une fille, je veux devenir mécanicienne", "inform", [], {}, None)
    assert not {"gender", "sexe", "genre"} & set(updates)


def test_a_correction_overwrites_the_age_and_the_public() -> None:
    slots = {"situation": "sans_emploi", "age": 22.0, "public": "jeune_16_25", "age_band": "16_25"}
    updates = slot_updates("non, j'ai 27 ans", "inform", [], slots, None)
    assert updates["age"] == 27.0
    assert updates["public"] == "demandeur_emploi"
    assert updates["age_band"] == "26_plus"


def test_quick_reply_payload_entities_fill_slots() -> None:
    updates = slot_updates('/inform{"situation": "salarie"}', "inform",
                           [{"entity": "situation", "value": "salarie"}], {}, "situation")
    assert updates["situation"] == "salarie"
    ignored = slot_updates("x", "inform", [{"entity": "situation", "value": "pirate"}], {}, None)
    assert "situation" not in ignored


def test_skipping_a_question_is_remembered() -> None:
    updates = slot_updates("je préfère ne pas le dire", "skip", [], {}, "situation")
    assert updates["skipped"] == ["situation"]


def test_the_commune_may_be_refused() -> None:
    updates = slot_updates("je ne veux pas le dire", "skip", [], {}, "commune_insee")
    assert updates["commune_refused"] is True
    assert "commune_insee" not in updates


def test_an_answer_not_understood_is_counted_the_form_moves_on_after_two() -> None:
    first = slot_updates("euh", "inform", [], {}, "situation")
    assert first["misunderstood"] == 1.0 and "skipped" not in first
    second = slot_updates("hmm euh", "inform", [], {"misunderstood": 1.0}, "situation")
    assert second["misunderstood"] == 2.0, "moving on is bot.conversation.questions' job, tested there"


def test_commune_found_in_a_sentence_and_as_a_short_answer() -> None:
    found = slot_updates("j'habite à Joué les Tours", "inform", [], {}, None)
    assert (found["commune_insee"], found["postcode"]) == ("37122", "37300")
    short = slot_updates("vierzon", "inform", [], {}, "commune_insee")
    assert short["commune_name"] == "Vierzon"
    by_postcode = slot_updates("41000", "inform", [], {}, "commune_insee")
    assert by_postcode["commune_choices"][0]["label"] == "Blois (41000)", "one postcode, several communes"
    chosen = slot_updates("Blois", "inform", [], by_postcode, "commune_insee")
    assert chosen["commune_insee"] == "41018"


def test_homonyms_are_offered_then_chosen_by_departement() -> None:
    ambiguous = slot_updates("Saint-Denis", "inform", [], {}, "commune_insee")
    assert "commune_insee" not in ambiguous and len(ambiguous["commune_choices"]) > 1
    chosen = slot_updates("celle du 93", "inform", [], {"commune_choices": ambiguous["commune_choices"]},
                          "commune_insee")
    assert chosen["commune_insee"] == "93066"


def test_every_quick_reply_of_the_form_questions_is_understood() -> None:
    import yaml

    from bot.config import PROJECT_ROOT

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    for slot in ("need", "situation", "sector", "age"):
        for variant in domain["responses"][f"utter_ask_{slot}"]:
            for button in variant.get("buttons", []):
                payload = button["payload"]
                if payload.startswith("/"):
                    continue  # an intent (/skip)
                result = extract(payload, requested=slot)
                assert slot in result.values or result.skipped, (slot, payload)


def test_a_question_about_a_topic_is_not_a_need() -> None:
    assert slot_updates("c'est quoi la VAE ?", "ask_info", [], {"need": "reconversion"}, "situation") == {}


EVERYDAY_NEEDS = [
    ("évolution de carrière", "reconversion"),
    ("je voudrais faire le point", "reconversion"),
    ("bilan de compétences", "reconversion"),
    ("retrouver du travail", "emploi"),
    ("Hello, I am looking for a job", "emploi"),
    ("I want to change my career", "reconversion"),
]


@pytest.mark.parametrize(("text", "need"), EVERYDAY_NEEDS, ids=[t for t, _ in EVERYDAY_NEEDS])
def test_everyday_phrasings_of_needs(text: str, need: str) -> None:
    assert extract(text).values["need"] == need


def test_a_mother_back_to_work_is_not_a_pupil_and_her_children_are_only_a_cue() -> None:
    values = extract("J'ai élevé mes trois enfants pendant douze ans et je voudrais retravailler").values
    assert values["need"] == "droits_femmes"
    assert "situation" not in values and values["situation_guess"] == "parent_eleve"
    assert "age" not in values


def test_a_parent_asking_for_a_daughter_with_an_rqth_is_routed_as_disability() -> None:
    updates = slot_updates("ma fille a une RQTH et sort d'un bac pro", "inform", [], {}, None)
    assert updates["situation"] == "parent_eleve" and updates["disability"] is True
    assert updates["public"] == "travailleur_handicape"


def test_a_new_phrasing_is_a_data_change(tmp_path, monkeypatch) -> None:
    import yaml

    from bot.conversation.profile import get_rules, rules_file, set_rules

    assert "need" not in extract("je veux me lancer dans la permaculture").values
    data = yaml.safe_load(rules_file().read_text(encoding="utf-8"))
    next(n for n in data["needs"] if n["code"] == "creation_entreprise")["patterns"].append(" me lancer dans")
    (tmp_path / "profile_rules.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SPRO_KNOWLEDGE_DIR", str(tmp_path))
    set_rules(None)
    try:
        assert extract("je veux me lancer dans la permaculture").values["need"] == "creation_entreprise"
        assert get_rules().needs
    finally:
        set_rules(None)


def test_the_phrasings_file_is_checked_by_its_schema() -> None:
    import yaml

    from bot.conversation.profile import ProfileRules, rules_file

    data = yaml.safe_load(rules_file().read_text(encoding="utf-8"))
    data["situations"][0]["patterns"].append("(unclosed")
    with pytest.raises(ValueError, match=r"profile_rules\.yml"):
        ProfileRules.from_data(data)
    data = yaml.safe_load(rules_file().read_text(encoding="utf-8"))
    data["situations"][0]["code"] = "pirate"
    with pytest.raises(ValueError, match="pirate"):
        ProfileRules.from_data(data)


@pytest.mark.parametrize(("answer", "situation"), [
    ("au chômage", "sans_emploi"), ("salariée", "salarie"), ("la fac", "etudiant"), ("rien", "sans_emploi")])
def test_one_word_answers_to_the_situation_question(answer: str, situation: str) -> None:
    assert extract(answer, requested="situation").values["situation"] == situation


# Issue 20: a job or a trade named is a need (a study or training project, or a job search),
# said by the person or paraphrased by an adviser in the console.
NAMED_TRADES = [
    ("je veux devenir infirmière", "formation"),
    ("je voudrais faire des études d'infirmière", "formation"),
    ("je suis une fille, je veux devenir mécanicienne", "formation"),
    ("mon rêve c'est d'être boulanger", "formation"),
    ("il voudrait faire une école de coiffure pour devenir coiffeur", "formation"),
    ("je cherche un poste d'aide-soignante", "emploi"),
    ("un emploi de cariste", "emploi"),
    ("I would like to become a nurse", "formation"),
    # an adviser's paraphrase, in the third person
    ("elle veut se former", "formation"),
    ("la personne veut devenir éducatrice spécialisée", "formation"),
    ("il voudrait reprendre ses études", "orientation_scolaire"),
    ("elle aimerait se réorienter", "orientation_scolaire"),
    ("il veut se mettre à son compte", "creation_entreprise"),
]


@pytest.mark.parametrize(("text", "need"), NAMED_TRADES, ids=[t for t, _ in NAMED_TRADES])
def test_a_job_or_a_trade_named_is_a_need(text: str, need: str) -> None:
    assert extract(text).values.get("need") == need


# Everyday answers to « Que souhaitez-vous faire ? »: a cue given as the answer is the answer.
NEED_ANSWERS = [
    ("ben du travail", "emploi"),
    ("un boulot", "emploi"),
    ("du taf", "emploi"),
    ("infirmière", "formation"),
    ("euh aide-soignante", "formation"),
    ("une formation", "formation"),
    ("des études", "orientation_scolaire"),
]


@pytest.mark.parametrize(("answer", "need"), NEED_ANSWERS, ids=[a for a, _ in NEED_ANSWERS])
def test_everyday_answers_to_the_need_question(answer: str, need: str) -> None:
    assert extract(answer, requested="need").values["need"] == need
    updates = slot_updates(answer, "inform", [], {"requested_slot": "need"}, "need")
    assert updates["need"] == need and "misunderstood" not in updates


@pytest.mark.parametrize("text", [
    "je suis infirmière",  # what the person does, not what they want
    "je suis en CDI",
    "j'ai un travail",
])
def test_a_job_held_is_no_answer_to_the_need_question(text: str) -> None:
    assert "need" not in extract(text, requested="need").values


def test_a_cue_is_an_answer_only_to_the_need_question() -> None:
    assert "need" not in extract("infirmière").values
    assert "need" not in extract("ben du travail", requested="age").values


def test_a_word_list_named_in_a_phrasing_must_exist() -> None:
    import yaml

    from bot.conversation.profile import ProfileRules, rules_file

    data = yaml.safe_load(rules_file().read_text(encoding="utf-8"))
    data["needs"][0]["patterns"].append(" devenir {metiers}")
    with pytest.raises(ValueError, match="metiers"):
        ProfileRules.from_data(data)


@pytest.mark.parametrize(("text", "helps"), [
    ("aide", True), ("Aide !", True), ("au secours", True), ("j'ai besoin d'aide", True),
    ("aidez-moi svp", True), ("help", True),
    ("aide-soignante", False), ("aide pour le permis", False), ("je cherche du travail", False)])
def test_a_bare_call_for_help_is_recognised(text: str, helps: bool) -> None:
    from bot.conversation.profile import asks_for_help

    assert asks_for_help(text) is helps
