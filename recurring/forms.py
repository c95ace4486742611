"""The problem page's forms: each turns what was typed into the services' inputs."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.forms import ResolveForm
from cases.inputs import Resolution
from common.forms import Form
from common.text import CONTROL_CHARACTER_MESSAGE, has_refused_characters
from meetings.models import Kind, Venue

from .inputs import SessionChoice


class DismissForm(Form):
    reason = forms.CharField(
        label=_("Why this is not a recurring problem"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        if has_refused_characters(reason):
            raise forms.ValidationError(CONTROL_CHARACTER_MESSAGE)
        return reason


class SplitForm(Form):
    cases = forms.TypedMultipleChoiceField(
        label=_("Cases to split off into a problem of their own"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Only cases of this problem can be split off.")},
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [
            (
                m.case_id,
                f"{m.case.tracking_code} · {timezone.localtime(m.case.created_at):%Y-%m-%d}",
            )
            for m in members
        ]


class SessionForm(Form):
    kind = forms.ChoiceField(
        label=_("Session"),
        choices=[
            (Kind.MONTHLY, _("the community's next monthly session")),
            (Kind.EMERGENCY, _("an emergency session")),
        ],
        initial=Kind.MONTHLY,
        widget=forms.RadioSelect,
    )
    day = forms.ChoiceField(
        label=_("Day of the emergency session"),
        choices=[("today", _("today")), ("tomorrow", _("tomorrow"))],
        required=False,
    )
    at = forms.TimeField(
        label=_("Time"),
        initial=time(18, 30),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    venue_kind = forms.ChoiceField(
        label=_("Venue"), choices=Venue.choices, initial=Venue.ON_SITE, required=False
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.EMERGENCY:
            for name in ("day", "at", "venue_kind"):
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
        address = data.get("address") or ""
        if has_refused_characters(address):
            self.add_error("address", CONTROL_CHARACTER_MESSAGE)
        return data

    def inputs(self) -> SessionChoice:
        data = self.cleaned_data
        if data["kind"] != Kind.EMERGENCY:
            return SessionChoice(kind=Kind.MONTHLY)
        day = timezone.localdate() + timedelta(days=1 if data["day"] == "tomorrow" else 0)
        return SessionChoice(
            kind=Kind.EMERGENCY,
            starts_at=timezone.make_aware(datetime.combine(day, data["at"])),
            venue_kind=data["venue_kind"],
            address=data["address"],
        )


class CloseForm(ResolveForm):
    """解单 for every carried case at once: the same answer for each of their residents."""

    close_tasks = forms.BooleanField(
        label=_("Mark their open tasks done first"), required=False, initial=True
    )

    def inputs(self):
        values = {k: v for k, v in self.cleaned_data.items() if k != "close_tasks"}
        return Resolution(**values)
