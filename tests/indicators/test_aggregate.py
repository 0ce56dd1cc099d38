"""Aggregation of the records, and the minimum cell size that keeps people anonymous."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bot.indicators.aggregate import OTHERS, Filters, compute, suppress
from bot.indicators.render import csv_text
from bot.indicators.store import IndicatorStore
from tests.indicators.conftest import record


def test_small_values_are_merged_and_the_merge_is_itself_large_enough() -> None:
    """Small values are merged and the merge is itself large enough."""
    cells = suppress({"a": 40, "b": 12, "c": 3, "d": 1}, min_cell=5)
    # c and d merged: 4 people, in two values, neither recoverable.
    assert [(c.value, c.count) for c in cells] == [("a", 40), ("b", 12), (OTHERS, 4)]
    # c alone would be read as total - a - b: the smallest shown value (b) joins it.
    cells = suppress({"a": 40, "b": 12, "c": 3}, min_cell=5)
    assert [(c.value, c.count) for c in cells] == [("a", 40), (OTHERS, 15)]
    cells = suppress({"a": 40, "b": 12, "c": 6}, min_cell=5)
    assert [(c.value, c.count) for c in cells] == [("a", 40), ("b", 12), ("c", 6)]
    assert suppress({"a": 2, "b": 1}, min_cell=5)[0].count is None
    assert suppress({}, min_cell=5) == []
    cells = suppress({"a": 10, "b": 10}, min_cell=5)
    assert [c.share for c in cells] == [0.5, 0.5]


@pytest.mark.parametrize("min_cell", [2, 5, 11])
def test_no_count_below_the_threshold_is_ever_shown(
    store: IndicatorStore, min_cell: int
) -> None:
    """No count below the threshold is ever shown."""
    records = [
        record(public=p, need=n, departement=d, outcome=o, local_structure=local)
        for p, n, d, o, local, times in [
            ("jeune_16_25", "emploi", "28", "oriented", True, 23),
            ("cadre", "reconversion", "28", "oriented", False, 7),
            ("eleve", "orientation_scolaire", "36", "abandoned", None, 3),
            ("actif_occupe", "vae", "18", "information", None, 1),
        ]
        for _ in range(times)
    ]
    store.add(records)
    indicators = compute(store, Filters.for_year(2026), min_cell=min_cell)
    assert indicators.total == 34
    for dimension, cells in indicators.breakdowns.items():
        for cell in cells:
            if cell.value != OTHERS:
                assert cell.count is None or cell.count >= min_cell, (cells, min_cell)
        if dimension in ("outcome", "public", "need"):  # merged lines keep the total
            assert sum(c.count or 0 for c in cells) == 34
        assert [c.value for c in cells].count(OTHERS) <= 1
    outcome = {c.value: c.count for c in indicators.breakdowns["outcome"]}
    assert outcome["oriented"] == 30
    assert sum(v or 0 for v in outcome.values()) == 34
    rows = csv.DictReader(io.StringIO(csv_text(indicators)[1:]), delimiter=";")
    for row in rows:
        if row["Nombre"] and not row["Valeur"].startswith("Autres"):
            assert int(row["Nombre"]) >= min_cell or row["Nombre"] == "0", row


def test_a_small_territory_shows_no_breakdown(store: IndicatorStore) -> None:
    """A small territory shows no breakdown."""
    store.add([record(departement="36", region="24") for _ in range(3)])
    store.add([record(departement="28") for _ in range(30)])
    small = compute(store, Filters.for_year(2026, departement="36"), min_cell=5)
    assert small.total is None and small.breakdowns == {}
    assert all(week.count in (0, None) for week in small.weeks)
    whole = compute(store, Filters.for_year(2026, region="24"), min_cell=5)
    assert whole.total == 33


def test_filters_by_period_channel_and_territory(store: IndicatorStore) -> None:
    """Filters by period channel and territory."""
    store.add([record(day=date(2026, 1, 5)) for _ in range(6)])
    store.add([record(day=date(2026, 2, 2), channel="console") for _ in range(7)])
    store.add([record(day=date(2026, 2, 3), departement="45") for _ in range(8)])
    january = compute(store, Filters(date(2026, 1, 1), date(2026, 1, 31)), min_cell=5)
    assert january.total == 6
    console = compute(store, Filters.for_year(2026, channel="console"), min_cell=5)
    assert console.total == 7
    loiret = compute(store, Filters.for_year(2026, departement="45"), min_cell=5)
    assert loiret.total == 8
    weeks = {
        w.value: w.count
        for w in compute(store, Filters.for_year(2026), min_cell=5).weeks
    }
    assert (
        weeks["2026-01-05"] == 6
        and weeks["2026-02-02"] == 15
        and weeks["2026-03-02"] == 0
    )
    with pytest.raises(ValueError, match="Canal inconnu"):
        Filters.for_year(2026, channel="fax")
    with pytest.raises(ValueError, match="suivre"):
        Filters(date(2026, 2, 1), date(2026, 1, 1))


def test_knowledge_gaps_list_networks_without_a_local_structure(
    store: IndicatorStore,
) -> None:
    """Gaps: networks without a local structure, where a commune was given."""
    no_commune = record(network="cio", local_structure=False, departement="", epci="")
    store.add([no_commune for _ in range(7)])
    store.add(
        [
            record(
                network="cap_emploi",
                structure_network="",
                local_structure=False,
                departement="36",
            )
            for _ in range(6)
        ]
    )
    store.add(
        [
            record(
                network="apec",
                structure_network="",
                local_structure=False,
                departement="18",
            )
            for _ in range(2)
        ]
    )
    store.add([record() for _ in range(10)])
    indicators = compute(store, Filters.for_year(2026), min_cell=5)
    assert indicators.gaps == [
        {"departement": "36", "network": "cap_emploi", "count": 6},
        {"departement": "18", "network": "apec", "count": None},
    ]
    local = {c.value: c.count for c in indicators.breakdowns["local_structure"]}
    assert local == {"oui": 10, "non": 15}


def test_satisfaction_and_abandonment(store: IndicatorStore) -> None:
    """Satisfaction and abandonment."""
    store.add([record(satisfaction="oui") for _ in range(9)])
    store.add([record(satisfaction="non", feedback_theme="distance") for _ in range(6)])
    store.add(
        [
            record(
                outcome="abandoned",
                abandoned_at="commune_insee",
                network="",
                local_structure=None,
            )
            for _ in range(5)
        ]
    )
    indicators = compute(store, Filters.for_year(2026), min_cell=5)
    assert {c.value: c.count for c in indicators.breakdowns["satisfaction"]} == {
        "oui": 9,
        "non": 6,
    }
    assert {c.value: c.count for c in indicators.breakdowns["feedback_theme"]} == {
        "distance": 6
    }
    assert {c.value: c.count for c in indicators.breakdowns["abandoned_at"]} == {
        "commune_insee": 5
    }


def test_hand_overs_and_call_backs_are_counted_apart(store: IndicatorStore) -> None:
    """Hand overs and call backs are counted apart."""
    from bot.indicators.store import record_event

    for wait in (30, 60, 90, 120, 150):
        record_event(
            "handover",
            "webchat",
            "oriented",
            day=date(2026, 4, 1),
            region="24",
            public="cadre",
            wait_seconds=wait,
            store=store,
        )
    record_event("call_back", "webchat", "done", day=date(2026, 4, 1), store=store)
    store.add([record() for _ in range(5)])
    indicators = compute(store, Filters.for_year(2026), min_cell=5)
    assert indicators.total == 5
    assert indicators.handovers == 5 and indicators.mean_wait_seconds == 90
    assert indicators.call_backs is None  # one call-back: hidden
    with pytest.raises(ValueError):
        record_event("chat", "webchat", store=store)
