from accounts.capabilities import Capability

from . import heartbeat


def bell(request):
    """The unread count for the bell on every page: one indexed count, only when logged in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": lambda: user.notifications.filter(read_at__isnull=True).count()}


def reminder_scan(request):
    """Staff see a banner on every page when reminders have stopped going out.

    Street staff and community officers (and superusers): they are the ones reminders are for
    and who call whoever runs the servers. The time comes through the cache (30 s)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def stale_since():
        scope = getattr(request, "scope", None)
        if scope is None or Capability.SEE_OVERDUE not in scope.capabilities:
            return None
        at = heartbeat.last_scan_at_cached()
        if not heartbeat.is_stale(at):
            return None
        return {"at": at, "minutes": heartbeat.stale_after_seconds() // 60}

    return {"reminder_scan_stale": stale_since}
