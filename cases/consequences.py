"""Everything a recorded change to a case causes, by name, in the order it happens.

`cases/history.py` writes each change's history row and then calls each entry below with the
change (`CaseChanged`: which case, which change, who, when, what it carried), inside the
change's transaction. Reading `workflow.perform()` and this list tells every consequence of a
move; a bulk move, a repeat closing with its original, a task, an escalation, a resident's
rating and the hotline's own messages take the same road.

The entries name functions of the apps above `cases` (which may import it, never the
reverse); each decides from the change's name whether it concerns it. Whatever leaves the
process is only written here (a notification's deliveries, a message to the hotline), and
sent after the commit with no transaction or lock held.
"""

from django.utils.module_loading import import_string

CONSEQUENCES = {
    # The month's figures of the case's street, community and grid (reports/rollups.py).
    "report rollups": "reports.rollups.follow_change",
    # The bell, e-mail and SMS of whoever the change concerns: the new owner, a task's owner,
    # the street on an escalation and the case's people on its answer (notifications/events.py).
    "notices": "notifications.events.follow_change",
    # 签收, 退单 and 办结 to the 12345 hotline for its orders, repeats included
    # (interop/status_out.py).
    "hotline status": "interop.status_out.follow_change",
    # A recurring problem's lead case in a session: its 议, 决 and the plan's tasks are made
    # on every case carried with it, each through workflow and so down this same list
    # (recurring/follow.py). Last: the lead's own consequences come first.
    "recurring problems": "recurring.follow.follow_change",
}

_followers = None


def follow(change) -> None:
    global _followers
    if _followers is None:
        _followers = [import_string(path) for path in CONSEQUENCES.values()]
    for follower in _followers:
        follower(change)
