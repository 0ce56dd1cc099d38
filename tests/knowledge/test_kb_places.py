"""Place resolution on real inputs; expected INSEE codes checked against the 2026 gazetteer."""

from __future__ import annotations

import pytest

from bot import places
from bot.places import normalize

# (what a person types, expected INSEE code)
FOUND = [
    ("Tours", "37261"), ("tours", "37261"), ("TOURS", "37261"), ("Tourss", "37261"),
    ("Joué-lès-Tours", "37122"), ("Joue les Tours", "37122"), ("joue-les-tours", "37122"),
    ("Joue les tour", "37122"), ("Jou les Tours", "37122"),
    ("Saint-Cyr-sur-Loire", "37214"), ("St Cyr sur Loire", "37214"), ("st-cyr-s/-loire", "37214"),
    ("Saint-Pierre-des-Corps", "37233"), ("St Pierre des Corps", "37233"), ("Saint Pierre des Corp", "37233"),
    ("Saint-Avertin", "37208"), ("Sant Avertin", "37208"),
    ("Orléans", "45234"), ("orleans", "45234"), ("Orleasn", "45234"),
    ("Fleury les aubrais", "45147"), ("Saint-Jean-de-Braye", "45284"), ("Saint-Jean-de-la-Ruelle", "45285"),
    ("Bourges", "18033"), ("Bourges Cedex", "18033"), ("Vierzon", "18279"), ("Vierzom", "18279"),
    ("St Amand Montrond", "18197"), ("St Amand Monrond", "18197"),
    ("Blois", "41018"), ("Blios", "41018"), ("vendome", "41269"), ("Vendôme", "41269"),
    ("Romorantin", "41194"), ("Romorantin-Lanthenay", "41194"), ("Romoratin", "41194"),
    ("Romorantin Lantenay", "41194"),
    ("Châteauroux", "36044"), ("chateauroux", "36044"), ("Chatauroux", "36044"),
    ("Issoudun", "36088"), ("Issodun", "36088"), ("Argenton-sur-Creuse", "36006"), ("Le Blanc", "36018"),
    ("Deols", "36063"),
    ("Chartres", "28085"), ("Dreux", "28134"), ("Châteaudun", "28088"), ("Nogent-le-Rotrou", "28280"),
    ("Luce", "28218"), ("Mainvilliers", "28229"),
    ("Montargis", "45208"), ("Montargi", "45208"), ("Gien", "45155"), ("Pithiviers", "45252"), ("Ingré", "45169"),
    ("Amboise", "37003"), ("Amboisse", "37003"), ("Chinon", "37072"), ("Loches", "37132"),
    ("Beaulieu-lès-Loches", "37020"), ("L'Île-Bouchard", "37119"), ("ile bouchard", "37119"),
    ("La Riche", "37195"), ("Blere", "37027"), ("Chambray les tours", "37050"),
    ("Ste Maure de Touraine", "37226"), ("Chateau Renault", "37063"),
    ("Mehun sur Yevre", "18141"), ("Aubigny sur Nere", "18015"), ("Lamotte-Beuvron", "41106"),
    ("Le Mans", "72181"), ("Nantes", "44109"), ("Rennes", "35238"), ("Caen", "14118"), ("Rouen", "76540"),
    ("Brest", "29019"), ("Paris", "75056"),
    # arrondissements
    ("Paris 15e", "75115"), ("Paris 15", "75115"), ("Lyon 3eme", "69383"), ("Marseille 8e", "13208"),
    # postcodes with one commune, INSEE codes
    ("37000", "37261"), ("37300", "37122"), ("45000", "45234"), ("75015", "75115"), ("13008", "13208"),
    ("37261", "37261"), ("18279", "18279"), ("2A004", "2A004"),
    # postcode + name, homonym + département
    ("18100 Vierzon", "18279"), ("41000 Villebarou", "41276"), ("Saint-Denis 93", "93066"),
    ("Vernouillet 28", "28404"), ("Olivet (Loiret)", "45232"),
]

AMBIGUOUS = [
    ("18100", {"18279", "18150", "18263", "18214", "18210"}),
    ("Saint-Denis", {"97411", "93066", "11339", "30247"}),
    ("Olivet", {"45232", "53169"}),
    ("Vernouillet", {"28404", "78643"}),
    ("Chartre", {"28085", "64186"}),
]


def test_table_has_enough_real_inputs():
    assert len(FOUND) + len(AMBIGUOUS) >= 60


@pytest.mark.parametrize("text, insee", FOUND)
def test_found(gazetteer, text, insee):
    result = gazetteer.resolve(text)
    assert result.status == "found", (text, [c.label for c in result.communes])
    assert result.commune.insee == insee


@pytest.mark.parametrize("text, codes", AMBIGUOUS)
def test_ambiguous_lists_each_commune_with_its_departement(gazetteer, text, codes):
    result = gazetteer.resolve(text)
    assert result.status == "ambiguous"
    assert {c.insee for c in result.communes} >= codes
    labels = [c.label for c in result.communes]
    assert len(set(labels)) == len(labels), "each choice must be told apart by its département"
    populations = [c.population for c in result.communes]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize("text", ["xyzzy", "12345", "", "   ", "bonjour"])
def test_not_found(gazetteer, text):
    assert gazetteer.resolve(text).status == "not_found"


def test_region_preference_picks_the_local_homonym(gazetteer):
    assert gazetteer.resolve("Olivet").status == "ambiguous"
    result = gazetteer.resolve("Olivet", region="24")
    assert result.status == "found" and result.commune.insee == "45232"


def test_commune_fields(gazetteer):
    tours = gazetteer.commune("37261")
    assert tours.name == "Tours" and tours.departement_name == "Indre-et-Loire" and tours.region_code == "24"
    assert tours.region_name == "Centre-Val de Loire" and "37000" in tours.postcodes and tours.postcode == "37000"
    assert 47.3 < tours.latitude < 47.5 and 0.6 < tours.longitude < 0.8
    assert tours.epci_siren == "243700754"


def test_normalize():
    assert normalize("Joué-lès-Tours") == "joue les tours"
    assert normalize("St-Cyr s/ Loire") == "saint cyr sur loire"
    assert normalize("Paris 15ème arrondissement") == "paris 15"
    assert normalize("Œuilly") == "oeuilly"


SENTENCES = [
    ("j'habite à joue les tours et je cherche du travail", "37122"),
    ("Bonjour, je suis à Vierzon, j'ai 19 ans", "18279"),
    ("quelle Mission locale pour Vierzon ?", "18279"),
    ("je vis a romorantin depuis 2 ans", "41194"),
    ("j'habite à Joue les tour", "37122"),
    ("mon code postal est 37300", "37122"),
    ("je suis au chômage à St Pierre des Corps", "37233"),
    ("J'habite Orléans", "45234"),
    ("salut jsuis sur tours", "37261"),
    ("je cherche un CFA près de Chateauroux", "36044"),
    ("je suis de Saint-Denis 93", "93066"),
]


@pytest.mark.parametrize("sentence, insee", SENTENCES)
def test_find_in_text(gazetteer, sentence, insee):
    result = gazetteer.find_in_text(sentence)
    assert result.status == "found", (sentence, result)
    assert result.commune.insee == insee
    assert result.matched_text


@pytest.mark.parametrize("sentence", [
    "je cherche une formation en mars",
    "j'ai besoin d'aide pour mon CV",
    "je veux faire un bac pro",
    "c'est quoi le CPF ?",
    "Bonjour",
    "je voudrais travailler dans la mer",
])
def test_find_in_text_ignores_common_words(gazetteer, sentence):
    assert gazetteer.find_in_text(sentence).status == "not_found"


def test_module_functions_use_the_cached_gazetteer():
    assert places.resolve("Tours").commune.insee == "37261"
    assert places.find_in_text("j'habite à Blois").commune.insee == "41018"
    assert places.commune("41018").name == "Blois"


def test_place_words_are_data_checked_by_their_schema(tmp_path):
    from bot.places.words import place_words, read_place_words, words_file

    words = place_words()
    assert words.abbreviations["st"] == "saint" and "habite" in words.cues and "emploi" in words.common_words
    broken = tmp_path / "words.yaml"
    broken.write_text(words_file().read_text(encoding="utf-8").replace("habite", "Habité"), encoding="utf-8")
    with pytest.raises(ValueError, match="cues"):
        read_place_words(broken)


def test_one_haversine():
    from math import cos, radians

    from bot.places.geo import haversine_km, haversine_radians

    tours, orleans = (47.394269, 0.694943), (47.873417, 1.912195)
    assert round(haversine_km(*tours, *orleans), 1) == 105.6
    lat1, lat2 = radians(tours[0]), radians(orleans[0])
    assert haversine_radians(lat1, radians(tours[1]), cos(lat1), lat2, radians(orleans[1]), cos(lat2)) == \
        haversine_km(*tours, *orleans)
