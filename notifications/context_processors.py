def bell(request):
    """The unread count for the bell on every page: one indexed count, only when logged in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": lambda: user.notifications.filter(read_at__isnull=True).count()}
