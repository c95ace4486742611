"""The status messages sent to partners, as staff see them: on a case's page, and on the
integration page with the dead letters staff may send again. They are rows of the outbox
(outbox/models.py): destination "partner:<id>", subject "case:<id>"."""

from django.http import Http404

from cases.models import Case
from outbox.models import Channel, Message

from .models import OutboxKind
from .partner_post import destination

KIND_LABELS = dict(OutboxKind.choices)


def case_subject(case) -> str:
    return f"case:{case.pk}"


def _labelled(messages, cases=None):
    for message in messages:
        message.kind_label = KIND_LABELS.get(message.kind, message.kind)
        if cases is not None:
            message.case = cases.get(message.subject)
    return messages


def of_case(case) -> list:
    return _labelled(
        Message.objects.filter(channel=Channel.PARTNER, subject=case_subject(case)).order_by(
            "created_at", "id"
        )
    )


def to_partners(partners, limit=50) -> list:
    """The latest messages to these partners, newest first, each with its case."""
    messages = list(
        Message.objects.filter(
            channel=Channel.PARTNER, destination__in=[destination(p) for p in partners]
        ).order_by("-created_at", "-id")[:limit]
    )
    ids = {int(m.subject.removeprefix("case:")) for m in messages if m.subject.startswith("case:")}
    cases = {case_subject(case): case for case in Case.objects.filter(pk__in=ids)}
    return _labelled(messages, cases)


def one_to(partners, message_id) -> Message:
    """A message to one of these partners; a 404 for any other."""
    found = Message.objects.filter(
        pk=message_id, channel=Channel.PARTNER, destination__in=[destination(p) for p in partners]
    ).first()
    if found is None:
        raise Http404
    return found
