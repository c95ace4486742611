"""Everything a recorded change to a meeting causes, by name, in the order it happens.

`meetings/history.py` writes each change's history row and then calls each entry below with
the change (`MeetingChanged`: which meeting, which change, who, when, and for an invitation the
people not told yet), inside the change's transaction. Reading `meetings/workflow.py` and this
list tells every consequence of a meeting's change; what a meeting does to its cases (议, 决,
tasks) takes the cases' own road (`cases/consequences.py`).

The entries name functions of the apps above `meetings` (which may import it, never the
reverse); each decides from the change's name whether it concerns it, and returns the ids of
the participants it told, who are then marked told. Whatever leaves the process is only written
here (a notification's e-mail and SMS deliveries, notifications/dispatch.py), and sent after
the commit with no transaction or lock held.
"""

from django.utils.module_loading import import_string

CONSEQUENCES = {
    # The invited people hear of the meeting: its time, place and community, by the bell, and
    # by e-mail and SMS as each chose; an outside contact by SMS. Cases put on its agenda (or
    # carried with an item) tell whom they concern, one notice per person naming them, which
    # invites the grid workers and unit leaders listed for them (notifications/events.py). A
    # case taken off the agenda leaves the notices whose e-mail and SMS have not gone yet, and
    # whoever heard of it otherwise is told it is off ("议程变更").
    "invitations": "notifications.events.follow_meeting_change",
}

_followers = None


def follow(change) -> set:
    """Hand the change to each consequence; returns the ids of the participants they told."""
    global _followers
    if _followers is None:
        _followers = [import_string(path) for path in CONSEQUENCES.values()]
    told = set()
    for follower in _followers:
        told |= set(follower(change) or ())
    return told
