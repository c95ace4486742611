"""History, meeting changes and the access log (phone viewings, exports …) cannot be
changed or deleted in PostgreSQL itself (QuerySet.update/delete, cascades, raw SQL), and a
case is never deleted."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from audit.models import AccessEvent, Kind
from cases.models import Case, CaseEvent, State
from meetings.models import Meeting, MeetingChange
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
REFUSED = (IntegrityError, ProtectedError)


@pytest.fixture
def history(places, personas):
    actor = UserFactory(username="actor_with_history")
    case = CaseFactory(grid=places.cg1)
    event = CaseEvent.objects.create(
        case=case, move="accept", from_state=State.SUBMITTED, to_state=State.ACCEPTED, actor=actor
    )
    log = AccessEvent.objects.create(kind=Kind.PHONE_VIEWED, user=actor, case=case)
    meeting = Meeting.objects.create(
        street=places.street,
        community=places.chunguang,
        kind="monthly",
        starts_at=timezone.now(),
        venue_kind="room",
        host=personas.officer_chunguang,
    )
    change = MeetingChange.objects.create(meeting=meeting, what="scheduled", actor=actor)
    return {
        "actor": actor,
        "case": case,
        "rows": [event, log, change],
        "meeting": meeting,
    }


def refused(action):
    with pytest.raises(REFUSED), transaction.atomic():
        action()


def snapshot(rows):
    return [
        (type(row).__name__, type(row).objects.filter(pk=row.pk).values().first()) for row in rows
    ]


def test_update_and_delete_of_history_rows_are_refused_by_the_database(history):
    before = snapshot(history["rows"])
    for row in history["rows"]:
        rows = type(row).objects.filter(pk=row.pk)
        refused(lambda rows=rows: rows.update(at=timezone.now()))
        refused(lambda rows=rows: rows.delete())
        table = type(row)._meta.db_table
        for sql in (
            f"UPDATE {table} SET at = now() WHERE id = %s",
            f"DELETE FROM {table} WHERE id = %s",
        ):

            def raw(sql=sql, pk=row.pk):
                with connection.cursor() as cursor:
                    cursor.execute(sql, [pk])

            refused(raw)
    assert snapshot(history["rows"]) == before


def test_a_case_is_never_deleted_nor_its_history_with_it(history, places):
    case = history["case"]
    refused(case.delete)
    refused(lambda: Case.objects.filter(pk=case.pk).delete())
    bare = CaseFactory(grid=places.cg1)  # no history: the trigger alone refuses
    refused(lambda: Case.objects.filter(pk=bare.pk).delete())

    def raw():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_case WHERE id = %s", [bare.pk])

    refused(raw)
    assert Case.objects.filter(pk__in=[case.pk, bare.pk]).count() == 2
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_deleting_a_user_or_a_meeting_with_history_is_refused(history):
    refused(history["actor"].delete)
    refused(history["meeting"].delete)
    assert MeetingChange.objects.filter(meeting=history["meeting"]).exists()
    assert history["actor"].__class__.objects.filter(pk=history["actor"].pk).exists()


def test_the_anonymisation_exception_lets_through_note_and_details_only(history):
    event = history["rows"][0]

    def as_anonymiser(**changes):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL youjie.anonymising = 'on'")
        CaseEvent.objects.filter(pk=event.pk).update(**changes)

    refused(lambda: as_anonymiser(move="decline"))
    refused(lambda: as_anonymiser(note="x", to_state=State.DECLINED))
    refused(lambda: AccessEvent.objects.filter(kind=Kind.PHONE_VIEWED).update(detail="x"))
    with transaction.atomic():
        as_anonymiser(note="masked")
    assert CaseEvent.objects.get(pk=event.pk).note == "masked"


def test_creating_history_in_bulk_stays_allowed(places):
    case = CaseFactory(grid=places.cg1)
    CaseEvent.objects.bulk_create(
        [CaseEvent.of(case, move="start", from_state="", to_state=State.SUBMITTED)] * 1
    )
    assert case.events.count() == 1
