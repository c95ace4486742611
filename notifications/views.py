"""The bell's list, marking read, channel choices, and the overdue page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import Capability

from . import rules
from .forms import ChannelChoiceForm
from .models import ChannelChoice
from .undelivered import undelivered_to


@require_GET
def notification_list(request):
    # A user's notifications are their own: the list is always filtered by the user.
    notifications = request.user.notifications.all()
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(request.user.notifications, pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(target)


@require_POST
def mark_all_read(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(
        request,
        ngettext("%(n)s notification marked read.", "%(n)s notifications marked read.", count)
        % {"n": count},
    )
    return redirect("notifications:list")


def channel_settings(request):
    # Nothing is written until the user saves (a GET changes no row).
    choice = ChannelChoice.objects.filter(user=request.user).first() or ChannelChoice(
        user=request.user
    )
    form = ChannelChoiceForm(request.POST or None, instance=choice)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification channels are saved."))
        return redirect("notifications:settings")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "undelivered": undelivered_to(request.user)}
    return render(request, "notifications/settings.html", context, status=status)


@require_GET
def overdue(request):
    """What is overdue in the user's places right now, by the rules the reminders use."""
    scope = request.scope.granting(Capability.SEE_OVERDUE)
    if not scope.has_any_place:
        raise Http404
    now = timezone.now()
    context = {
        "unaccepted": scope.narrow(rules.unaccepted_cases(now))
        .select_related("grid", "community", "category")
        .order_by("response_deadline")[:200],
        "tasks_overdue": scope.narrow(rules.tasks_overdue(now))
        .select_related("case__grid", "case__community", "owner_user", "owner_contact")
        .order_by("due_date")[:200],
        "tasks_due_soon": scope.narrow(rules.tasks_due_soon(now))
        .select_related("case__grid", "case__community", "owner_user", "owner_contact")
        .order_by("due_date")[:200],
        "follow_ups": scope.narrow(rules.follow_ups_due(now))
        .select_related("grid", "community", "category")
        .order_by("follow_up_due")[:200],
        "meetings": scope.narrow(rules.meetings_tomorrow(now)).select_related("community"),
        "overdue_cases": scope.narrow(rules.cases_past_deadline(now))
        .select_related("grid", "community", "category", "owner")
        .order_by("response_deadline")[:200],
    }
    return render(request, "notifications/overdue.html", context)
