"""A large import runs in bounded memory and gives the same result (issue 21 H leftover).

The DILA export is read record by record (``base.stream_json_records``) and the
candidates past ``spool.SPILL_AFTER`` go to a temporary SQLite database. Here the read
chunk is 64 bytes and the spill starts after 3 candidates, so every record crosses
chunk boundaries and the disk path runs: the files written, the report and every
refusal (file and line) must be those of the in-memory path, and a second run must
change no byte. ``benchmarks/bench_import_linearity.py`` measures the memory.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.importers import (
    ImportInputError,
    base,
    format_report,
    import_source,
    spool,
)


def service(number: int, **changes: Any) -> dict[str, Any]:
    """A DILA CIO record (fictitious offices on real communes)."""
    record: dict[str, Any] = {
        "id": f"flux-{number:03d}",
        "nom": f"CIO d'essai {number}",
        "pivot": [{"type_service_local": "cio", "code_insee_commune": ["37261"]}],
        "code_insee_commune": "37261",
        "adresse": [
            {
                "type_adresse": "Adresse",
                "numero_voie": f"{number % 7 + 1} rue de l'Essai",
                "code_postal": "37000",
                "nom_commune": "Tours",
                "latitude": "47.39",
                "longitude": "0.689",
            }
        ],
        "telephone": [{"valeur": f"02 47 00 00 {number % 100:02d}"}],
        "date_modification": f"{number % 28 + 1:02d}/03/2024 10:00:00",
    }
    record.update(changes)
    return record


BAD = {
    4: {"date_modification": "hier"},
    11: {"id": ""},
    23: {"code_insee_commune": "99999", "adresse": [{"nom_commune": "Nulle-part"}]},
    31: {"nom": "CIO\u0000 d'essai"},
}


def export(tmp_path: Path, count: int = 40) -> Path:
    """An indented export: 7 places listed several times, 4 bad records, a list item."""
    services: list[Any] = [service(n, **BAD.get(n, {})) for n in range(count)]
    services.insert(17, "pas une fiche")
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps({"version": 3, "service": services}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return path


def structures(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "structures").iterdir())}


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "READ_CHUNK_BYTES", 64)
    monkeypatch.setattr(spool, "SPILL_AFTER", 3)
    monkeypatch.setattr(spool, "BATCH", 2)


def test_streamed_and_spilled_import_writes_what_the_memory_path_writes(
    knowledge_copy: Path, gazetteer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = shutil.copytree(knowledge_copy, tmp_path / "other")
    path = export(tmp_path)
    whole = import_source("dila", path, other, gazetteer)
    monkeypatch.setattr(base, "READ_CHUNK_BYTES", 64)
    monkeypatch.setattr(spool, "SPILL_AFTER", 3)
    monkeypatch.setattr(spool, "BATCH", 2)
    streamed = import_source("dila", path, knowledge_copy, gazetteer)
    assert streamed.ok and len(streamed.added) == 7 and streamed.read == 41
    assert structures(knowledge_copy) == structures(other)
    assert json.dumps(streamed.as_dict()).replace(
        str(knowledge_copy), "K"
    ) == json.dumps(whole.as_dict()).replace(str(other), "K")


def test_every_refusal_is_reported_with_its_line_in_one_run(
    knowledge_copy: Path, gazetteer, tmp_path: Path, small_steps: None
) -> None:
    path = export(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    report = import_source("dila", path, knowledge_copy, gazetteer)

    def line_of(record_id: str) -> int:  # the line of the record's opening brace
        at = next(i for i, text in enumerate(lines) if f'"id": "{record_id}"' in text)
        return at  # the brace is on the line before the id (1-based: same number)

    no_id = next(
        i for i, text in enumerate(lines, 1) if '"id": ""' in text
    ) - 1
    item = next(i for i, text in enumerate(lines, 1) if '"pas une fiche"' in text)
    assert [str(r).split(" : ")[0] for r in report.rejected] == [
        f"enregistrement n° 5 (ligne {line_of('flux-004')}, id « flux-004 »)",
        f"enregistrement n° 12 (ligne {no_id})",
        f"enregistrement n° 18 (ligne {item})",
        f"enregistrement n° 25 (ligne {line_of('flux-023')}, id « flux-023 »)",
        f"enregistrement n° 33 (ligne {line_of('flux-031')}, id « flux-031 »)",
    ]
    text = format_report(report)
    assert f"dila : {path}" in text and f"ligne {line_of('flux-031')}" in text
    assert "caractère de contrôle invisible (NUL)" in text


def test_running_the_same_import_again_changes_no_byte(
    knowledge_copy: Path, gazetteer, tmp_path: Path, small_steps: None
) -> None:
    path = export(tmp_path)
    assert import_source("dila", path, knowledge_copy, gazetteer).written
    first = structures(knowledge_copy)
    again = import_source("dila", path, knowledge_copy, gazetteer)
    assert structures(knowledge_copy) == first
    assert not again.written and not again.added and not again.changed
    assert again.unchanged == 40 - len(BAD)  # every accepted record


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda t: t.replace('"nom": "CIO d\'essai 30"', '"nom": "CIO" "30"'),
         "JSON illisible ligne {line}, colonne"),
        (lambda t: t[: t.index('"nom": "CIO d\'essai 30"') + 12],
         "JSON illisible ligne {line}, colonne .* tronqué"),
    ],
    ids=["damaged", "truncated"],
)
def test_a_damaged_export_is_refused_at_its_line_and_changes_nothing(
    knowledge_copy: Path, gazetteer, tmp_path: Path, small_steps: None, damage, expected
) -> None:
    path = export(tmp_path)
    text = path.read_text(encoding="utf-8")
    line = text[: text.index('"nom": "CIO d\'essai 30"')].count("\n") + 1
    path.write_text(damage(text), encoding="utf-8")
    before = structures(knowledge_copy)
    with pytest.raises(ImportInputError, match=expected.format(line=line)):
        import_source("dila", path, knowledge_copy, gazetteer)
    assert structures(knowledge_copy) == before


def test_a_latin_1_byte_far_in_the_file_gives_its_line(
    knowledge_copy: Path, gazetteer, tmp_path: Path, small_steps: None
) -> None:
    path = export(tmp_path)
    data = path.read_bytes()
    at = data.index("CIO d'essai 30".encode())
    path.write_bytes(data[:at] + b"\xe9" + data[at:])
    line = data[:at].count(b"\n") + 1
    with pytest.raises(ImportInputError, match=f"pas en UTF-8 \\(ligne {line}, octet {at}\\)"):
        import_source("dila", path, knowledge_copy, gazetteer)
