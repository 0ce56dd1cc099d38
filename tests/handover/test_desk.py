"""Rules of the chat desk: queue, availability, hand-over, consent, purge, statistics."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.handover.desk import DeskError, HandoverDesk
from bot.handover.line import in_french, open_at
from bot.handover.store import HandoverStore, requests_table, stats_table
from tests.handover.conftest import SNAPSHOT, Clock, Hours


def test_no_live_hand_over_without_an_available_adviser(desk: HandoverDesk) -> None:
    assert desk.line_status("24")["live"] is False
    with pytest.raises(DeskError) as refused:
        desk.request_live("web-a", SNAPSHOT)
    assert refused.value.status == 409


def test_a_paused_or_absent_adviser_does_not_count(
    desk: HandoverDesk, clock: Clock
) -> None:
    desk.set_availability("cmartin", "Claire", available=False)
    assert desk.line_status(None)["advisers"] == 0
    desk.set_availability("cmartin", "Claire", available=True)
    assert desk.line_status(None)["advisers"] == 1
    clock.advance(minutes=5)  # console closed without signing out
    assert desk.line_status(None)["live"] is False
    desk.seen("cmartin")
    assert desk.line_status(None)["live"] is True


def test_closed_line_means_call_back_even_with_advisers(
    desk: HandoverDesk, hours: Hours
) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    hours.open_now = False
    assert desk.line_status(None)["live"] is False
    hours.open_now = None  # unknown hours: the advisers' availability decides
    assert desk.line_status(None)["live"] is True


def test_queue_positions_and_rough_wait(desk: HandoverDesk, clock: Clock) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    first, _ = desk.request_live("web-a", SNAPSHOT)
    clock.advance(seconds=10)
    second, _ = desk.request_live("web-b", SNAPSHOT)
    clock.advance(seconds=10)
    third, _ = desk.request_live("web-c", SNAPSHOT)
    assert [desk.position(r) for r in (first, second, third)] == [0, 1, 2]
    assert desk.person_view(first)["wait_minutes"] == 1  # a free adviser: next
    assert (
        desk.person_view(third)["wait_minutes"] == 12
    )  # two ahead of the free place, 6 min each
    desk.take(first.id, "cmartin")
    assert desk.position(desk.get(second.id)) == 0


def test_asking_again_keeps_the_place_with_a_new_token(desk: HandoverDesk) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    request, token = desk.request_live("web-a", SNAPSHOT)
    again, new_token = desk.request_live("web-a", SNAPSHOT)
    assert again.id == request.id and new_token != token
    with pytest.raises(DeskError):
        desk.by_token(token)
    assert desk.by_token(new_token).id == request.id


def test_one_conversation_per_adviser_unless_they_choose_more(
    desk: HandoverDesk,
) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    a, _ = desk.request_live("web-a", SNAPSHOT)
    b, _ = desk.request_live("web-b", SNAPSHOT)
    desk.take(a.id, "cmartin")
    with pytest.raises(DeskError) as full:
        desk.take(b.id, "cmartin")
    assert full.value.status == 409
    desk.set_availability("cmartin", "Claire", available=True, capacity=2)
    assert desk.take(b.id, "cmartin").status == "taken"


def test_a_paused_adviser_cannot_take(desk: HandoverDesk) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    a, _ = desk.request_live("web-a", SNAPSHOT)
    desk.set_availability("cmartin", "Claire", available=False)
    with pytest.raises(DeskError):
        desk.take(a.id, "cmartin")


def test_only_one_adviser_wins_a_conversation(desk: HandoverDesk) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    desk.set_availability("pdurand", "Paul", available=True)
    a, _ = desk.request_live("web-a", SNAPSHOT)
    desk.take(a.id, "cmartin")
    with pytest.raises(DeskError) as lost:
        desk.take(a.id, "pdurand")
    assert lost.value.status == 409


def test_another_adviser_can_neither_read_nor_write_a_taken_conversation(
    desk: HandoverDesk,
) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    desk.set_availability("pdurand", "Paul", available=True)
    a, _ = desk.request_live("web-a", SNAPSHOT)
    assert desk.conversation(a.id, "pdurand").id == a.id  # waiting: in everyone's queue
    desk.take(a.id, "cmartin")
    for attempt in (
        lambda: desk.conversation(a.id, "pdurand"),
        lambda: desk.adviser_message(a.id, "pdurand", "Bonjour"),
        lambda: desk.hand_back(a.id, "pdurand"),
        lambda: desk.close(a.id, "pdurand", "information"),
    ):
        with pytest.raises(DeskError) as refused:
            attempt()
        assert refused.value.status == 404
    assert [r.id for r in desk.queue("pdurand")] == []
    assert [r.id for r in desk.queue("cmartin")] == [a.id]


def test_messages_both_ways_then_hand_back(desk: HandoverDesk) -> None:
    desk.set_availability("cmartin", "Claire Martin", available=True)
    request, token = desk.request_live("web-a", SNAPSHOT)
    desk.person_message(desk.by_token(token), "Bonjour, je suis là, mon 06 12 34 56 78")
    desk.take(request.id, "cmartin")
    desk.adviser_message(request.id, "cmartin", "Bonjour, je regarde votre situation.")
    messages = desk.messages_after(request.id)
    assert [m.who for m in messages] == ["person", "desk", "adviser"]
    assert "06 12" not in messages[0].text and "[téléphone masqué]" in messages[0].text
    assert messages[2].first_name == "Claire Martin"
    assert desk.messages_after(request.id, messages[1].id) == messages[2:]
    desk.hand_back(request.id, "cmartin")
    assert desk.active_for_sender("web-a") is None
    with pytest.raises(DeskError):
        desk.person_message(desk.by_token(token), "encore là ?")


def test_statistics_rows_are_anonymous(desk: HandoverDesk, clock: Clock) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    request, _ = desk.request_live("web-a", SNAPSHOT)
    clock.advance(seconds=45)
    desk.take(request.id, "cmartin")
    clock.advance(minutes=4)
    desk.close(request.id, "cmartin", "oriented")
    with desk.store.engine.connect() as db:
        (row,) = db.execute(select(stats_table)).all()
    assert row.wait_s == 45 and row.handling_s == 240 and row.outcome == "oriented"
    assert (row.public, row.need, row.channel) == ("jeune_16_25", "emploi", "webchat")
    assert set(row._asdict()) == {
        "id",
        "kind",
        "day",
        "wait_s",
        "handling_s",
        "outcome",
        "public",
        "need",
        "channel",
    }
    assert desk.statistics() == [
        {"kind": "live", "outcome": "oriented", "count": 1, "mean_wait_s": 45}
    ]


def test_person_leaving_the_queue_is_counted(desk: HandoverDesk) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    request, token = desk.request_live("web-a", SNAPSHOT)
    desk.leave(desk.by_token(token))
    assert desk.get(request.id).status == "left"
    assert desk.statistics()[0]["outcome"] == "abandoned"


@pytest.mark.parametrize("consent", [False, None, "true", 1])
def test_no_call_back_without_explicit_consent(
    desk: HandoverDesk, consent: object
) -> None:
    with pytest.raises(DeskError) as refused:
        desk.request_callback(
            "web-a",
            SNAPSHOT,
            consent=consent,
            contact_kind="phone",  # type: ignore[arg-type]
            contact="06 12 34 56 78",
            slot="morning",
        )
    assert refused.value.status == 422 and "cochez" in refused.value.message
    assert desk.callbacks() == []


@pytest.mark.parametrize(
    ("kind", "value"),
    [("phone", "12345"), ("email", "pas un courriel"), ("fax", "0123456789")],
)
def test_bad_contacts_get_a_french_message(
    desk: HandoverDesk, kind: str, value: str
) -> None:
    with pytest.raises(DeskError) as refused:
        desk.request_callback(
            "web-a",
            SNAPSHOT,
            consent=True,
            contact_kind=kind,
            contact=value,
            slot="any",
        )
    assert refused.value.status == 422


def test_call_back_contact_is_purged_after_the_retention(
    desk: HandoverDesk, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRO_CALLBACK_RETENTION_DAYS", "7")
    request = desk.request_callback(
        "web-a",
        SNAPSHOT,
        consent=True,
        contact_kind="email",
        contact="lea@example.org",
        slot="afternoon",
        note="Rappelez-moi au 06 12 34 56 78 svp",
    )
    stored = desk.callbacks()[0]
    assert stored.contact == "lea@example.org" and "06 12" not in stored.note
    clock.advance(days=20)
    assert desk.purge()["contacts"] == 0  # open requests keep their contact a while
    desk.close_callback(request.id, "cmartin", "reached")
    assert desk.callbacks() == []
    clock.advance(days=6)
    assert desk.purge()["contacts"] == 0
    clock.advance(days=2)
    assert desk.purge()["contacts"] == 1
    with desk.store.engine.connect() as db:
        row = db.execute(select(requests_table)).first()
        stats = db.execute(select(stats_table)).all()
    assert row.contact is None and row.contact_kind is None and row.note == ""
    assert "lea@example.org" not in repr(stats)
    assert stats[0].outcome == "reached" and stats[0].kind == "callback"


@pytest.mark.parametrize("days", ["30", "2.5"])
def test_a_call_back_never_closed_loses_its_contact_after_the_set_time(
    desk: HandoverDesk,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    days: str,
) -> None:
    """Issue 21 G: nobody closes the request; the contact goes all the same."""
    monkeypatch.setenv("SPRO_CALLBACK_OPEN_DAYS", days)
    request = desk.request_callback(
        "web-a",
        SNAPSHOT,
        consent=True,
        contact_kind="phone",
        contact="06 12 34 56 78",
        slot="any",
        note="Je préfère le matin",
    )
    clock.advance(days=float(days) - 0.5)
    assert desk.purge()["contacts"] == 0
    assert desk.callbacks()[0].contact == "0612345678"
    clock.advance(days=1)
    assert desk.purge()["contacts"] == 1
    assert desk.callbacks() == []  # no longer offered to advisers: nothing to call
    row = desk.get(request.id)
    assert row is not None and row.contact is None and row.note == ""
    assert (row.status, row.outcome) == ("done", "expired")
    assert desk.statistics()[0]["outcome"] == "expired"
    assert desk.purge()["contacts"] == 0


def test_a_call_back_recorded_before_the_limit_existed_is_purged_too(
    desk: HandoverDesk, clock: Clock
) -> None:
    request = desk.request_callback(
        "web-a", SNAPSHOT, consent=True, contact_kind="email",
        contact="lea@example.org", slot="any",
    )
    with desk.store.engine.begin() as db:  # as older versions stored it
        db.execute(
            requests_table.update()
            .where(requests_table.c.id == request.id)
            .values(purge_after=None)
        )
    clock.advance(days=31)
    assert desk.purge()["contacts"] == 1
    assert desk.get(request.id).contact is None


def test_old_finished_conversations_are_deleted(
    desk: HandoverDesk, clock: Clock
) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    request, _ = desk.request_live("web-a", SNAPSHOT)
    desk.take(request.id, "cmartin")
    desk.hand_back(request.id, "cmartin")
    clock.advance(days=31)
    assert desk.purge()["conversations"] == 1
    assert desk.get(request.id) is None and desk.messages_after(request.id) == []


def test_line_hours_in_osm_notation_or_unknown() -> None:
    monday_10h_paris = datetime(2026, 3, 16, 9, 0)  # UTC
    assert open_at("Mo-Fr 09:00-17:00", monday_10h_paris) is True
    assert open_at("Mo-Fr 11:00-17:00", monday_10h_paris) is False
    assert open_at("off", monday_10h_paris) is False
    assert open_at("du lundi au vendredi, 9 h - 17 h", monday_10h_paris) is None
    assert open_at("", monday_10h_paris) is None


def test_osm_hours_are_said_in_french() -> None:
    assert in_french("Mo-Fr 09:00-12:30,13:30-17:00") == (
        "du lundi au vendredi 9 h 00 – 12 h 30 et 13 h 30 – 17 h 00"
    )
    assert in_french("off") == "fermé"
    assert (
        in_french("du lundi au vendredi, 9 h - 17 h")
        == "du lundi au vendredi, 9 h - 17 h"
    )


def test_staff_commands(
    desk: HandoverDesk,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.handover import __main__ as commands

    monkeypatch.setattr(commands, "get_desk", lambda: desk)
    request = desk.request_callback(
        "web-a",
        SNAPSHOT,
        consent=True,
        contact_kind="phone",
        contact="0612345678",
        slot="any",
    )
    desk.close_callback(request.id, "cmartin", "reached")
    assert commands.main(["stats"]) == 0
    assert "Demande de rappel — Personne recontactée : 1" in capsys.readouterr().out
    assert commands.main(["purge"]) == 0
    assert "Coordonnées effacées : 0" in capsys.readouterr().out


def test_a_waiting_person_learns_when_nobody_is_left(
    desk: HandoverDesk, clock: Clock
) -> None:
    desk.set_availability("cmartin", "Claire", available=True)
    request, _ = desk.request_live("web-a", SNAPSHOT)
    assert desk.person_view(request)["live"] is True
    clock.advance(minutes=5)  # the adviser's console is gone
    assert desk.person_view(request)["live"] is False  # the page offers a call-back


def test_no_outcome_is_recorded_by_default(desk: HandoverDesk) -> None:
    """The console's menus start on « — Choisir — » (value ""): the desk refuses it."""
    desk.set_availability("cmartin", "Claire", available=True)
    request, _ = desk.request_live("web-a", SNAPSHOT)
    desk.take(request.id, "cmartin")
    for outcome in ("", "Personne recontactée"):
        with pytest.raises(DeskError) as refused:
            desk.close(request.id, "cmartin", outcome)
        assert refused.value.status == 422 and "Choisissez" in refused.value.message
    callback = desk.request_callback(
        "web-b", SNAPSHOT, consent=True, contact_kind="phone", contact="06 12 34 56 78", slot="any"
    )
    with pytest.raises(DeskError) as refused:
        desk.close_callback(callback.id, "cmartin", "")
    assert refused.value.status == 422


def test_the_per_message_check_keeps_its_connection_and_sees_other_writers(
    tmp_path: Path, clock: Clock, hours: Hours
) -> None:
    """The check made before each message reuses one SQLite connection (not one per
    check), and still sees what another process (here another engine) committed."""
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    reader_store, writer_store = HandoverStore(url), HandoverStore(url)
    reader = HandoverDesk(reader_store, now=clock, hours=hours)
    writer = HandoverDesk(writer_store, now=clock, hours=hours)
    connects: list[object] = []
    event.listen(reader_store.engine, "connect", lambda *_: connects.append(1))
    try:
        for _ in range(5):
            assert reader.active_for_sender("web-a") is None
        writer.set_availability("cmartin", "Claire", available=True)
        request, _ = writer.request_live("web-a", SNAPSHOT)
        found = reader.active_for_sender("web-a")
        assert found is not None and found.id == request.id
        writer.leave(request)
        assert reader.active_for_sender("web-a") is None
    finally:
        reader_store.dispose()
        writer_store.dispose()
    assert len(connects) <= 1  # NullPool: one per check, 7 here
