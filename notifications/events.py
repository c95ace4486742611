"""Who is told of what when something happens, in one place.

The workflows call these functions at the moment the event happens, inside the event's own
transaction: the bell rows and their email and SMS (messages in the outbox) are written with
it, so a rolled-back move tells no one, and the messages go out when it commits. Each row has
the reminders' natural key (rule, object, moment, recipient), so an event told twice (a form
sent twice, a retry) tells each person once; a notice of cases going to a meeting is one per
person and meeting, naming the cases, and never tells a case twice (agenda_added). Whoever
made the move is never told of it. The
words are stored as message ids with their parameters (notices.py): each reader reads them in
their own language, whatever language the person acting reads.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.selectors import street_staff_of
from cases.models import Case
from common.phones import MOBILE_RE, normalise_phone, redact_phones
from meetings.models import Kind, Meeting
from meetings.public import public_url
from meetings.selectors import concerned_by
from meetings.workflow import too_late_to_come
from outbox.models import Message
from outbox.queue import forget

from . import dispatch
from .models import Notification
from .notices import Text, about, at, choice, lines, text, venue
from .notices import cases as cases_of


def tell(
    rule, object_key, moment, title, body, url, *, actor, users=(), contacts=(), residents=()
) -> int:
    """Write one notification per person (users by the bell and their channels, outside
    contacts and residents, given as (case, phone), by SMS) with its messages in the outbox,
    sent on commit; returns how many are new. `title` and `body` are notices.Text."""
    common = {"rule": rule, "object_key": object_key, "due_at": moment, "url": url}
    people = {u.pk: u for u in users if u is not None and u.is_active}
    people.pop(getattr(actor, "pk", None), None)
    reached = {c.pk: c for c in contacts if c is not None}
    rows = [Notification(recipient_key=f"user:{pk}", user=u, **common) for pk, u in people.items()]
    rows += [
        Notification(recipient_key=f"contact:{pk}", contact=c, **common)
        for pk, c in reached.items()
    ]
    rows += [
        Notification(recipient_key=f"resident:{case.pk}", phone=phone, **common)
        for case, phone in residents
        if _is_mobile(phone)
    ]
    if not rows:
        return 0
    for row in rows:
        row.set_words(title, body)
    key = {"rule": rule, "object_key": object_key, "due_at": moment}
    before = Notification.objects.filter(**key).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    dispatch.fan_out(**key)
    return Notification.objects.filter(**key).count() - before


def _case_url(case):
    return reverse("cases:detail", args=[case.pk])


def _empty():
    return text("")


# Cases -------------------------------------------------------------------------------------
def case_assigned(case, actor):
    """The new owner of a case (接单 for someone else, or 改派) hears of it and of its deadline.

    The deadline is part of the key: the same assignment sent twice tells once, a new
    deadline is news."""
    return tell(
        "case_assigned",
        f"case:{case.pk}",
        case.response_deadline,
        text(
            gettext_noop("Case %(code)s is yours, due %(deadline)s"),
            code=case.tracking_code,
            deadline=at(case.response_deadline),
        ),
        about(case),
        _case_url(case),
        actor=actor,
        users=[case.owner],
    )


def escalation_raised(escalation, actor):
    """督办: the street's staff hear that one of their cases is overdue and flagged."""
    case = escalation.case
    return tell(
        "escalated",
        f"escalation:{escalation.pk}",
        escalation.raised_at,
        text(gettext_noop("Escalated to the street: %(code)s"), code=case.tracking_code),
        text(
            gettext_noop("%(about)s\n%(reason)s"),
            about=about(case),
            reason=redact_phones(escalation.reason)[:300],
        ),
        _case_url(case),
        actor=actor,
        users=list(street_staff_of(case.street_id)),
    )


def escalation_answered(escalation, actor):
    """Whoever raised it and the case's owner hear the street's answer and the new deadline."""
    case = escalation.case
    return tell(
        "escalation_answered",
        f"escalation:{escalation.pk}",
        escalation.answered_at,
        text(
            gettext_noop("The street answered on %(code)s: new deadline %(deadline)s"),
            code=case.tracking_code,
            deadline=at(escalation.new_deadline),
        ),
        text(gettext_noop("%(comment)s"), comment=redact_phones(escalation.comment)[:300]),
        _case_url(case),
        actor=actor,
        users=[escalation.raised_by, case.owner],
    )


def task_assigned(task, actor, meeting_id=None):
    """The task's owner: a user by the bell and their channels, an outside contact by SMS.
    A contact has no login: their SMS links to the public page of the meeting that decided
    the task (meetings/public.py), or to nothing, never to the case's staff page."""
    case = task.case
    common = (
        "task_assigned",
        f"task:{task.pk}",
        task.created_at,
        text(
            gettext_noop("New task for you: %(task)s, due %(due)s"),
            task=task.title,
            due=task.due_date,
        ),
        text(gettext_noop("%(code)s · %(about)s"), code=case.tracking_code, about=about(case)),
    )
    if task.owner_contact_id:
        meeting = Meeting.objects.filter(pk=meeting_id).first() if meeting_id else None
        url = public_url(meeting) if meeting else ""
        return tell(*common, url, actor=actor, contacts=[task.owner_contact])
    return tell(*common, _case_url(case), actor=actor, users=[task.owner_user])


# Meetings ----------------------------------------------------------------------------------
def meeting_invitation(meeting, participants, actor) -> set:
    """The invited people hear of the meeting: its time, venue and community.

    Returns the ids of the participants now told: those with an account (the actor counts as
    told) and outside contacts with a mobile for SMS. A guest typed in by hand, or a contact
    with only a landline, is not: the meeting page shows them as not notified."""
    users = [p for p in participants if p.user_id]
    contacts = [p for p in participants if p.contact_id and _has_mobile(p.contact)]
    place = venue(meeting)
    # The title carries the place too: an SMS is the title and a link they cannot open.
    title = _about_meeting(
        meeting, gettext_noop("Invitation: %(kind)s %(time)s, %(community)s, %(place)s")
    )
    body = text(gettext_noop("%(place)s"), place=place)
    invitation = ("meeting_invitation", f"meeting:{meeting.pk}", meeting.starts_at, title, body)
    tell(
        *invitation,
        reverse("meetings:detail", args=[meeting.pk]),
        actor=actor,
        users=[p.user for p in users],
    )
    # People without a login open the meeting's public page, which needs none.
    tell(*invitation, public_url(meeting), actor=actor, contacts=[p.contact for p in contacts])
    return {p.pk for p in users + contacts}


def _time_or_place_changed(details) -> bool:
    before, after = details.get("before", {}), details.get("after", {})
    return any(before.get(key) != after.get(key) for key in ("starts_at", "venue", "address"))


def _about_meeting(meeting, message, **more):
    """A notice's words about a meeting: its kind, time, community and place, and `more`."""
    return text(
        message,
        kind=choice(meeting, "kind"),
        time=at(meeting.starts_at),
        community=meeting.community.name,
        place=venue(meeting),
        **more,
    )


def _has_mobile(contact) -> bool:
    return _is_mobile(contact.phone)


def _is_mobile(phone) -> bool:
    return bool(MOBILE_RE.match(normalise_phone(phone or "")))


# What cases going to a meeting tell whom they concern, one notice per person and meeting:
AGENDA = "meeting_agenda"
# to a grid worker or unit leader not told of the meeting yet, their invitation naming their
# matters; to anyone else (the resident, someone invited before), when and where; and of a
# meeting that began too long ago for anyone to come, that the cases were taken to it.
INVITED = gettext_noop(
    "Invitation: %(kind)s %(time)s, %(community)s, %(place)s, to deliberate %(cases)s"
)
TOLD = gettext_noop("%(cases)s will be deliberated: %(time)s, %(community)s, %(place)s")
TAKEN = gettext_noop(
    "%(cases)s: taken to the deliberation meeting that began %(time)s, %(community)s, %(place)s"
)
# What a person told of a case going to a meeting hears when it is taken off again, if the
# notice that told them has left, been read or passed its gathering time: it can no longer
# be changed.
AGENDA_OFF = "meeting_agenda_off"
OFF = gettext_noop(
    "Agenda change: %(cases)s taken off the agenda of the %(kind)s of %(time)s, %(community)s"
)


# Before a monthly session nobody needs to hear within minutes: the notice's e-mail and SMS
# wait this long for what else the officer puts on the agenda, and say it all in one
# (settings.MEETING_NOTICE_GATHER_MINUTES), but leave at the latest this long before it begins.
LEAVE_BEFORE_START = timedelta(hours=2)


def _gathering():
    return timedelta(minutes=settings.MEETING_NOTICE_GATHER_MINUTES)


def _not_before(meeting, now):
    """When an agenda notice's e-mail and SMS may leave. An emergency session's go at once."""
    if meeting.kind != Kind.MONTHLY:
        return now
    return max(now, min(now + _gathering(), meeting.starts_at - LEAVE_BEFORE_START))


def agenda_added(meeting, cases, actor, participants=()) -> set:
    """Whoever cases going to a meeting concern hears when and where they are deliberated:
    the grids' workers (the bell, and e-mail or SMS as each chose), the units' leaders and the
    resident who raised each case (SMS, with a link that needs no login: meetings/public.py).

    One notice per person and meeting, however many of the cases concern them, naming them
    (「…讨论：YJ…、YJ… 等 5 件诉求」). For the grid workers and unit leaders in `participants`
    (listed for these cases and not told of the meeting yet) it is their invitation; returns
    the ids of those told (with an account, or a mobile for SMS). More cases for the same
    person and meeting within `MEETING_NOTICE_GATHER_MINUTES` of their notice, while none of
    its messages has left, go into that notice (`_fold`); later ones make one notice of
    their own. Cases the person was told of before are not told again. A case put on a
    meeting that began too long ago for anyone to come is told in the past, and invites no
    one."""
    if not cases:
        return set()
    past = too_late_to_come(meeting)
    now = timezone.now()
    invited = set() if past else {_person_key(p) for p in participants}
    workers, leaders = concerned_by(cases)
    people = {}  # recipient key → (who, their cases)
    residents = {}  # a resident's mobile → the key of their notice: one SMS for all their cases
    for case in cases:
        for user in workers.get(case.grid_id, []):
            if user.is_active:  # whoever acts is only recorded as knowing (`_agenda_notice`)
                people.setdefault(f"user:{user.pk}", ({"user": user}, []))[1].append(case)
        for leader in leaders.get(case.unit_id, []):
            people.setdefault(f"contact:{leader.pk}", ({"contact": leader}, []))[1].append(case)
        if not case.anonymised_at and _is_mobile(case.resident_phone):
            # Keyed by the first of their cases: anonymising a resident takes every case of
            # their number in the street, so each of those cases' keys is forgotten.
            key = residents.setdefault(normalise_phone(case.resident_phone), f"resident:{case.pk}")
            people.setdefault(key, ({"phone": case.resident_phone}, []))[1].append(case)
    earlier = _agenda_notices(
        meeting, {key: _person(key, who.get("phone")) for key, (who, _cases) in people.items()}
    )
    written = []
    acting = f"user:{getattr(actor, 'pk', None)}"
    for key, (who, their_cases) in people.items():
        wording = TAKEN if past else INVITED if key in invited else TOLD
        pk = _agenda_notice(
            meeting, key, who, their_cases, earlier.get(key, []), now, wording, key == acting
        )
        if pk is not None:
            written.append(pk)
    if written:  # their e-mail and SMS, all in one pass
        dispatch.fan_out(pk__in=written, not_before=_not_before(meeting, now))
    if past:
        return set()
    return {p.pk for p in participants if p.user_id or (p.contact_id and _has_mobile(p.contact))}


def _person_key(participant) -> str:
    if participant.user_id:
        return f"user:{participant.user_id}"
    return f"contact:{participant.contact_id}" if participant.contact_id else ""


def _codes_told(notification) -> list:
    said = notification.params.get("cases")
    if isinstance(said, dict):
        return list(said.get("cases", []))
    code = notification.params.get("code")  # a notice about one case, written before
    return [code] if code else []


def _of_meeting(meeting) -> Q:
    """Notices about the meeting: keyed by it, or by one of its cases or changes."""
    key = f"meeting:{meeting.pk}"
    return Q(object_key=key) | Q(object_key__startswith=f"{key}:")


def _person(recipient_key, phone="") -> str:
    """Who a notice reaches: a resident by their mobile (their notices are keyed by one of
    their cases, which differs from one batch of cases to the next), anyone else by the key."""
    if recipient_key.startswith("resident:"):
        return f"phone:{normalise_phone(phone)}"
    return recipient_key


def _agenda_notices(meeting, people) -> dict:
    """Each person's notices about the meeting's cases so far, oldest first, those saying
    cases are off too (one query, the rows locked: a fold and a new notice never cross).
    `people`: recipient key → person (`_person`); the result is keyed by recipient key."""
    keys = {person: key for key, person in people.items()}
    residents = (
        Q(recipient_key__startswith="resident:")
        if any(person.startswith("phone:") for person in keys)
        else Q(pk__in=[])
    )
    earlier = {}
    for notification in (
        Notification.objects.filter(_of_meeting(meeting), rule__in=(AGENDA, AGENDA_OFF))
        .filter(Q(recipient_key__in=list(people)) | residents)
        .select_for_update()
        .order_by("created_at", "pk")
    ):
        key = keys.get(_person(notification.recipient_key, notification.phone))
        if key is not None:
            earlier.setdefault(key, []).append(notification)
    return earlier


def _agenda_notice(
    meeting, recipient_key, who, cases, earlier, now, wording, acting=False
) -> int | None:
    """One person's notice of cases going to the meeting: folded into their last one while it
    may be, else written (its id returned: its e-mail and SMS are held until `_not_before`).
    `acting`: the person putting them on, told of nothing: a notice already read, with no
    message, records that they know (so that someone else's taking them off is news)."""
    told = set()  # what the person was told is on the agenda and not taken off since
    for notification in earlier:
        if notification.rule == AGENDA_OFF:
            told -= set(_codes_told(notification))
        else:
            told |= set(_codes_told(notification))
    back = {case.tracking_code for case in cases} - told
    offs = [n for n in earlier if n.rule == AGENDA_OFF and not _only_recorded(n)]
    if back and offs:  # put back while the notice saying it is off still waits: never said
        told |= _unsay(offs[-1], back, now)
    fresh = [case for case in cases if case.tracking_code not in told]
    if not fresh:
        return None
    staff = "user" in who  # a user reads the staff's page, with a line per case
    said = [n for n in earlier if n.rule == AGENDA and not _only_recorded(n)]
    if not acting and said and _fold(said[-1], fresh, wording, staff, now):
        return None
    title = _about_meeting(meeting, wording, cases=cases_of([c.tracking_code for c in fresh]))
    body = _empty()
    if staff:
        body = text(gettext_noop("%(lines)s"), lines=lines(_line(c) for c in fresh))
    url = reverse("meetings:detail", args=[meeting.pk]) if staff else public_url(meeting)
    notification = Notification(
        rule=AGENDA,
        object_key=f"meeting:{meeting.pk}",
        due_at=now,
        recipient_key=recipient_key,
        url=url,
        read_at=now if acting else None,
        fanned_out=acting,
        **who,
    )
    notification.set_words(title, body)
    if acting:
        _record_only(notification)
    notification.save()
    return None if acting else notification.pk


def _record_only(notification) -> None:
    """Mark a notice that tells nothing (the acting person's own move), so that nothing is
    ever folded into it and sent: it only records what its person knows."""
    notification.params = {**notification.params, "recorded_only": True}


def _only_recorded(notification) -> bool:
    return bool(notification.params.get("recorded_only"))


def _line(case):
    """A case in a line of a staff member's notice: its code, grid, category and words."""
    return text(gettext_noop("%(code)s · %(about)s"), code=case.tracking_code, about=about(case))


def _rewritable(notification, now) -> bool:
    """A notice still in its gathering time that its person has not read: it may say
    something else, if its e-mail and SMS have not left either (`_restate`)."""
    return notification.read_at is None and notification.created_at >= now - _gathering()


def _unsay(off, codes, now) -> set:
    """Cases put back on the agenda while the notice saying they are off still waits: it no
    longer says them. Returns the codes it no longer says."""
    unsaid = codes & set(_codes_told(off))
    return unsaid if unsaid and _say_without(off, unsaid, now) else set()


def _say_without(notification, gone, now) -> bool:
    """The notice no longer says the cases `gone`, if it may still change (`_rewritable`, and
    nothing of it sent): rewritten, or, saying nothing else, withdrawn with its messages (its
    `pk` is then None)."""
    if not _rewritable(notification, now):
        return False
    left = [code for code in _codes_told(notification) if code not in gone]
    if left:
        said = notification.params.get("lines")
        kept_lines = None
        if said is not None:
            kept_lines = [
                line
                for line in said.get("lines", [])
                if line.get("params", {}).get("code") not in gone
            ]
        return _restate(notification, left, kept_lines)
    if not dispatch.withdraw_unsent(notification):
        return False
    notification.delete()
    return True


def _fold(notification, fresh, wording, staff, now) -> bool:
    """More cases said in the person's last notice about the meeting, if it is recent (within
    the gathering time), of the same time (not one told in the past while this one invites,
    nor the reverse), and none of its e-mail and SMS has left. The bell shows it unread again."""
    if notification.object_key.count(":") != 1 or notification.created_at < now - _gathering():
        return False
    if (notification.title_msgid == TAKEN) != (wording == TAKEN):
        return False
    if {c.tracking_code for c in fresh} & set(_codes_told(notification)):
        return False  # said, then said to be off: that it is on again is news of its own
    said = notification.params.get("lines", {}).get("lines", [])
    return _restate(
        notification,
        _codes_told(notification) + [c.tracking_code for c in fresh],
        said + lines(_line(c) for c in fresh)["lines"] if staff else None,
        unread=True,
    )


def _restate(notification, codes, case_lines, unread=False) -> bool:
    """The notice says `codes` (and, for staff, `case_lines`) instead, in the bell and in its
    e-mail and SMS, if none of these has been taken up yet (else nothing changes: False).
    `unread`: the bell shows it unread again (it says more than before)."""
    params = {**notification.params, "cases": cases_of(codes)}
    if case_lines is not None:
        params["lines"] = {"lines": case_lines}
    notification.set_words(
        Text(notification.title_msgid, params), Text(notification.body_msgid, params)
    )
    if not dispatch.rewrite_unsent(notification):
        return False
    changed = ["title_msgid", "body_msgid", "params", "title", "body"]
    if unread:
        notification.read_at = None
        changed.append("read_at")
    notification.save(update_fields=changed)
    return True


def agenda_removed(meeting, removed, change) -> None:
    """Cases taken off a meeting's agenda (`removed`: their codes). A notice about them still
    in its gathering time, unread, whose e-mail and SMS have not gone, names the cases still
    to be deliberated instead; one left with none is withdrawn, with its messages, and its
    person no longer counts as told of the meeting by it. Whoever was told of them by a notice
    that cannot be taken back hears that they are off: one notice per person (a resident by
    their number) naming them all, gathered and held as agenda notices are, so that cases
    taken off one after another make one message, and a case put back meanwhile none."""
    gone = set(removed)
    now = timezone.now()
    still_told = {}  # person → [the last notice that told them, {code now off: None}]
    last_off = {}  # person → their last notice saying cases are off
    for notification in (
        Notification.objects.filter(_of_meeting(meeting), rule__in=(AGENDA, AGENDA_OFF))
        .select_related("user")
        .select_for_update(of=("self",))
        .order_by("created_at", "pk")
    ):
        person = _person(notification.recipient_key, notification.phone)
        codes = _codes_told(notification)
        told = still_told.get(person)
        if notification.rule == AGENDA_OFF:  # told as off before: put back since, or not
            if not _only_recorded(notification):
                last_off[person] = notification
            for code in codes if told else ():
                told[1].pop(code, None)
            continue
        off = [code for code in codes if code in gone]
        if off and not _taken_back(meeting, notification, gone, now):
            told = still_told.setdefault(person, [notification, {}])
            told[0] = notification
            told[1].update(dict.fromkeys(off))
    written = []
    for person, (told, codes) in still_told.items():
        if not codes:
            continue
        silent = _silent(told, change)
        held = None if silent else last_off.get(person)
        if held is None or not _fold_off(held, list(codes), now):
            written.append(_taken_off_notice(meeting, told, list(codes), change, now, silent))
    if written:
        dispatch.fan_out(pk__in=written, not_before=_not_before(meeting, now))


def _taken_back(meeting, notification, gone, now) -> bool:
    """The agenda notice no longer says the cases `gone`: rewritten or withdrawn while it
    could be; withdrawn, its person no longer counts as told of the meeting by it."""
    if notification.object_key.count(":") != 1 or not _say_without(notification, gone, now):
        return False
    if notification.pk is None:
        _untold(meeting, notification)
    return True


def _fold_off(held, codes, now) -> bool:
    """More cases said in the person's waiting notice that cases are off."""
    if not _rewritable(held, now):
        return False
    said = _codes_told(held)
    return _restate(held, said + [code for code in codes if code not in said], None, unread=True)


def _silent(told, change) -> bool:
    """Whoever took the cases off, has left since, or (a resident anonymised since) has no
    number any more: recorded as knowing, told nothing."""
    if told.user_id is not None:
        return told.user_id == getattr(change.actor, "pk", None) or not told.user.is_active
    return told.recipient_key.startswith("resident:") and not told.phone


def _taken_off_notice(meeting, told, codes, change, now, silent) -> int:
    """A new notice that `codes` are off the agenda, to whoever `told` reached, the way it
    reached them. `silent` (`_silent`: whoever took them off, or has left since) gets it read
    and with no message: it only records that those cases are no longer theirs to hear of
    (put back, they are told)."""
    notification = Notification(
        rule=AGENDA_OFF,
        object_key=f"meeting:{meeting.pk}:{change.row.pk}",
        due_at=now,
        recipient_key=told.recipient_key,
        user_id=told.user_id,
        contact_id=told.contact_id,
        phone=told.phone,
        url=told.url if told.user_id else public_url(meeting),
        read_at=now if silent else None,
        fanned_out=silent,
    )
    notification.set_words(_about_meeting(meeting, OFF, cases=cases_of(codes)), _empty())
    if silent:
        _record_only(notification)
    notification.save()
    return notification.pk


def _untold(meeting, notification) -> None:
    """The person of a withdrawn (deleted) notice counts as told of the meeting only by
    another one."""
    kind, _, pk = notification.recipient_key.partition(":")
    if kind not in ("user", "contact"):
        return
    others = Notification.objects.filter(
        _of_meeting(meeting), recipient_key=notification.recipient_key
    )
    if not others.exists():
        meeting.participants.filter(**{f"{kind}_id": pk}).update(notified_at=None)


def forget_resident_phone(case) -> None:
    """An anonymised case's resident: their mobile leaves the notices and the outbox too."""
    told = Notification.objects.filter(recipient_key=f"resident:{case.pk}")
    sources = [dispatch.source_of(notification) for notification in told.only("pk")]
    forget(Message.objects.filter(source__in=sources))
    told.update(phone="")


# The reminders a change settles (notifications/rules.py): once the case is accepted or
# declined, visited, or the task closed, its reminders leave everyone's unread count.
SETTLED_BY = {
    "accept": ("unaccepted",),
    "decline": ("unaccepted",),
    "verify": ("follow_up",),
    "task_done": ("task_due_soon", "task_overdue"),
    "task_dropped": ("task_due_soon", "task_overdue"),
}


def settle_reminders(change) -> None:
    rules = SETTLED_BY.get(change.change)
    if not rules:
        return
    about = f"task:{change.subject.pk}" if change.change.startswith("task_") else None
    Notification.objects.filter(
        rule__in=rules, object_key=about or f"case:{change.case.pk}", read_at__isnull=True
    ).update(read_at=change.at)


# A consequence of each recorded change to a case (cases/consequences.py).
def follow_change(change) -> None:
    """Whoever a change concerns hears of it: a case's new owner (接单 for someone else, 改派),
    a task's owner, the street on an escalation, the case's people on the street's answer;
    and the reminders the change settles are no longer unread."""
    settle_reminders(change)
    if change.change in ("accept", "assign"):
        case_assigned(change.case, change.actor)
    elif change.change == "task_added":
        # A decided task is made again on every case a recurring problem carries
        # (recurring/follow.py): its owner is told once, by the lead case's task.
        if "recurring_problem" not in change.details:
            task_assigned(change.subject, change.actor, change.details.get("meeting"))
    elif change.change == "escalated":
        escalation_raised(change.subject, change.actor)
    elif change.change == "escalation_answered":
        escalation_answered(change.subject, change.actor)
    elif change.change == "anonymised":
        forget_resident_phone(change.case)


def meeting_moved_or_cancelled(meeting, change, actor) -> None:
    """Everyone already told of the meeting hears that its time or place changed, or that it
    is off: the invited people who were told, and whoever its agenda's cases concern (the
    grid's workers, the unit's leaders, the resident), as each first heard of it."""
    told = list(
        meeting.participants.filter(notified_at__isnull=False).select_related("user", "contact")
    )
    place = venue(meeting)
    if change.change == "cancelled":
        title = _about_meeting(
            meeting,
            gettext_noop("Cancelled: %(kind)s of %(time)s, %(community)s. Reason: %(reason)s"),
            reason=change.note,
        )
    else:
        title = _about_meeting(
            meeting, gettext_noop("Moved: %(kind)s is now %(time)s, %(community)s, %(place)s")
        )
    # One notice per change (its history row), whatever else was told at this time before.
    common = (f"meeting_{change.change}", f"meeting:{meeting.pk}:{change.row.pk}", change.at)
    body = text(gettext_noop("%(place)s"), place=place)
    on_agenda = (
        Q(tracking_code__in=change.details.get("cases", []))
        if change.change == "cancelled"  # its pending items are gone with it
        else Q(agenda_items__meeting=meeting)
    )
    cases = list(Case.objects.filter(on_agenda, community_id=meeting.community_id).distinct())
    workers, leaders = concerned_by(cases)
    tell(
        *common,
        title,
        body,
        reverse("meetings:detail", args=[meeting.pk]),
        actor=actor,
        users=[p.user for p in told if p.user_id]
        + [user for grid_workers in workers.values() for user in grid_workers],
    )
    tell(
        *common,
        title,
        _empty(),
        public_url(meeting),
        actor=actor,
        contacts=[p.contact for p in told if p.contact_id and _has_mobile(p.contact)]
        + [leader for unit_leaders in leaders.values() for leader in unit_leaders],
        residents=[(c, c.resident_phone) for c in cases if not c.anonymised_at],
    )


# A consequence of each recorded change to a meeting (meetings/consequences.py).
def follow_meeting_change(change) -> set:
    """The people of an invitation not told yet hear of the meeting; returns who was told.
    A meeting moved in time or place, or cancelled, is told to whoever heard of it."""
    if change.change == "invited":
        return meeting_invitation(change.meeting, change.participants, change.actor)
    if change.change == "cancelled" or (
        change.change == "moved" and _time_or_place_changed(change.details)
    ):
        meeting_moved_or_cancelled(change.meeting, change, change.actor)
        return set()
    if change.change in ("agenda", "carried"):
        # Cases put on its agenda, or carried with another case's item (a recurring
        # problem's): whom they concern hears, and those listed for them are invited by it.
        codes = change.details.get("cases", [])
        cases = sorted(
            Case.objects.filter(
                community_id=change.meeting.community_id, tracking_code__in=codes
            ).select_related("grid", "category"),
            key=lambda case: codes.index(case.tracking_code),
        )
        return agenda_added(change.meeting, cases, change.actor, change.participants)
    if change.change == "removed":
        codes = [change.note, *change.details.get("carried", [])]
        agenda_removed(change.meeting, codes, change)
    return set()
