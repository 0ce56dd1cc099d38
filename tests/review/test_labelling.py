"""Labels: Rasa's format, who and when, masked, checked, never proposed twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.review import labelling as labels
from bot.review.labelling import Label, LabelError, write_label

AT = datetime(2026, 12, 6, 14, 30)


@pytest.fixture(autouse=True)
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh run-time folder."""
    monkeypatch.setenv("SPRO_VAR_DIR", str(tmp_path))
    return tmp_path


def test_a_label_is_rasa_training_data_with_who_and_when() -> None:
    """Written to the pending file: Rasa reads the example and its entities."""
    write_label(
        Label(
            "jcherche du taf a dreux jai 19 ans",
            "inform",
            "rlefevre",
            {"commune": "dreux", "age": "19"},
            at=AT,
        )
    )
    write_label(Label("c koi le cep", "ask_info", "rlefevre", sheet="cep", at=AT))
    text = labels.pending_file().read_text(encoding="utf-8")
    assert "# relu par rlefevre le 2026-12-06 à 14:30\n" in text
    assert "# relu par rlefevre le 2026-12-06 à 14:30 ; fiche : cep\n" in text
    assert "- jcherche du taf a [dreux](commune) jai [19](age) ans" in text
    data = load_data(str(labels.pending_file()))
    assert {e.get("intent") for e in data.training_examples} == {"inform", "ask_info"}
    entities = data.training_examples[0].get("entities")
    assert {(e["entity"], e["value"]) for e in entities} == {
        ("commune", "dreux"),
        ("age", "19"),
    }


def test_masked_again_and_never_twice() -> None:
    """A phone number typed in the text is masked; the same text is refused after."""
    written = write_label(
        Label("rappelez moi au 06 12 34 56 78", "ask_human", "rlefevre", at=AT)
    )
    assert "06 12" not in labels.pending_file().read_text(encoding="utf-8")
    assert written.text == "rappelez moi au [téléphone masqué]"
    assert labels.group_key(written.text) in labels.labelled_keys()
    with pytest.raises(LabelError, match="déjà été relu"):
        write_label(Label("Rappelez-moi au 06 12 34 56 78 !", "deny", "x", at=AT))


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (Label("bonjour", "make_coffee", "x"), "Intention inconnue"),
        (Label("c koi", "ask_info", "x", sheet="nope"), "Fiche inconnue"),
        (Label("c koi", "inform", "x", sheet="cep"), "question d'information"),
        (Label("a tours", "inform", "x", {"commune": "Blois"}), "pas dans le message"),
        (Label("a tours", "inform", "x", {"name": "tours"}), "Entité inconnue"),
        (Label("[x](greet) oui", "affirm", "x"), "caractères"),
    ],
)
def test_refused_labels_write_nothing(label: Label, message: str) -> None:
    """Each refusal in French, and the pending file is untouched."""
    with pytest.raises(LabelError, match=message):
        write_label(label)
    assert not labels.pending_file().exists()


def test_reviewed_texts_count_as_labelled_refused_ones_come_back(
    tmp_path: Path,
) -> None:
    """Accepted texts are not proposed again; refused ones are, marked refused."""
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    block = labels.example_block(Label("je cherche un stage", "inform", "x", at=AT))
    labels.append_blocks(labels.reviewed_file(tmp_path), block)
    labels.append_blocks(
        labels.refused_file(),
        labels.example_block(Label("salut", "inform", "x", at=AT)),
    )
    assert labels.labelled_keys(tmp_path) == {"je cherche un stage"}
    assert labels.refused_keys() == {"salut": "inform"}
    parsed = yaml.safe_load(labels.reviewed_file(tmp_path).read_text(encoding="utf-8"))
    assert parsed["version"] == "3.1"
