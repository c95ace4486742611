"""The meeting pages' forms: each parses what was typed into the action's typed inputs
(`inputs()`, see meetings/inputs.py). The rules those inputs must keep are the workflow's
(`meetings/checks.py`); a refusal comes back to the form field by field."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import officers_of
from cases.forms import TaskForm
from common.forms import Form, ModelForm
from common.ordering import order_choices_naturally
from common.people import display_name
from grids.models import Community, Contact, ContactKind

from . import inputs
from .models import Kind, Meeting, ParticipantKind, Venue


class VersionedForm(Form):
    """Carries the version of the meeting the form was opened on (see Meeting.version)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)


class IdsField(forms.Field):
    """Ticked rows (checkboxes named alike), as a set of ids."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Tick rows of this page only.")}

    def to_python(self, value):
        try:
            return frozenset(int(item) for item in value or ())
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MeetingForm(ModelForm):
    """Scheduling or moving a meeting: when, where, who hosts."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    class Meta:
        model = Meeting
        fields = ["community", "starts_at", "venue_kind", "address", "host"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        communities = scope.narrow(Community.objects.all())
        self.fields["community"].queryset = communities
        self.fields["host"].queryset = officers_of(communities.values_list("pk", flat=True))
        self.fields["host"].label_from_instance = display_name
        order_choices_naturally(self.fields["host"])
        self.fields["host"].required = True
        if self.instance.pk:  # a meeting stays in its community
            del self.fields["community"]
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def _post_clean(self):
        pass  # the workflow builds and saves the meeting; the form only parses

    def inputs(self):
        """Moving the meeting the form was opened on."""
        data = self.cleaned_data
        return inputs.Rescheduling(
            starts_at=data["starts_at"],
            venue_kind=data["venue_kind"],
            address=data["address"],
            host=data["host"],
            version=data.get("version"),
        )


class NewMeetingForm(MeetingForm):
    """Scheduling a meeting by hand: a monthly session, or an emergency one."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Kind.choices,
        initial=Kind.MONTHLY,
        required=False,
        widget=forms.RadioSelect,
    )
    field_order = ["kind"]

    def inputs(self):
        data = self.cleaned_data
        return inputs.NewMeeting(
            community=data["community"],
            kind=data["kind"] or Kind.MONTHLY,
            starts_at=data["starts_at"],
            venue_kind=data["venue_kind"],
            address=data["address"],
            host=data["host"],
        )


class EmergencyForm(Form):
    day = forms.ChoiceField(
        label=_("Day"), choices=[("today", _("today")), ("tomorrow", _("tomorrow"))]
    )
    at = forms.TimeField(
        label=_("Time"), initial=time(18, 30), widget=forms.TimeInput(attrs={"type": "time"})
    )
    venue_kind = forms.ChoiceField(label=_("Venue"), choices=Venue.choices, initial=Venue.ON_SITE)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def starts_at(self):
        day = timezone.localdate() + timedelta(
            days=1 if self.cleaned_data["day"] == "tomorrow" else 0
        )
        return timezone.make_aware(datetime.combine(day, self.cleaned_data["at"]))

    def inputs(self):
        return inputs.EmergencySession(
            starts_at=self.starts_at(),
            venue_kind=self.cleaned_data["venue_kind"],
            address=self.cleaned_data["address"],
        )


class ReasonForm(Form):
    reason = forms.CharField(label=_("Why"), max_length=500)

    def inputs(self):
        return inputs.Cancellation(reason=self.cleaned_data["reason"])


class InviteForm(Form):
    kinds = forms.MultipleChoiceField(
        label=_("Invite"),
        choices=[(k, label) for k, label in ParticipantKind.choices if k != "guest"],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    outside_bodies = forms.ModelMultipleChoiceField(
        label=_("Outside bodies"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outside_bodies"].queryset = Contact.objects.filter(
            street_id=meeting.street_id, kind=ContactKind.OUTSIDE_BODY
        ).order_by("organisation")
        self.fields["outside_bodies"].label_from_instance = lambda c: c.organisation or c.name

    def inputs(self):
        return inputs.Invitation(
            kinds=tuple(self.cleaned_data["kinds"]),
            outside_bodies=tuple(self.cleaned_data["outside_bodies"]),
        )


class GuestForm(Form):
    name = forms.CharField(label=_("Guest's name"), max_length=50)
    organisation = forms.CharField(label=_("Organisation"), max_length=80, required=False)

    def inputs(self):
        return inputs.Guest(**self.cleaned_data)


class AttendanceForm(Form):
    """The attendance table's ticks: who came, and who may be named on notices."""

    attended = IdsField(required=False)
    named = IdsField(required=False)

    def inputs(self):
        return inputs.Attendance(
            attended=self.cleaned_data["attended"], named=self.cleaned_data["named"]
        )


class AgendaForm(Form):
    """The cases ticked from those waiting for deliberation."""

    cases = IdsField(required=False)


class MinutesForm(VersionedForm):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def inputs(self):
        return inputs.Minutes(
            text=self.cleaned_data["minutes"], version=self.cleaned_data.get("version")
        )


class DiscussionForm(Form):
    discussion = forms.CharField(
        label=_("Discussion"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def inputs(self):
        return inputs.Deferral(discussion=self.cleaned_data["discussion"])


class DecisionForm(DiscussionForm):
    plan = forms.CharField(
        label=_("Decision: the plan"),
        max_length=2000,
        help_text=_("For example: self-funding + the works + temporary water supply"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    votes_for = forms.IntegerField(label=_("For"), min_value=0, max_value=999)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, max_value=999, initial=0)
    votes_abstain = forms.IntegerField(label=_("Abstain"), min_value=0, max_value=999, initial=0)
    responsible = forms.CharField(label=_("Responsible parties"), max_length=300)
    public_wording = forms.CharField(
        label=_("The decision in residents' words (for the notice)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Printed on the public notice; no names or phone numbers."),
    )

    def inputs(self, task_forms=()):
        """The decision with the tasks of its filled rows (see DecisionTaskForm)."""
        data = self.cleaned_data
        return inputs.ItemDecision(
            discussion=data["discussion"],
            plan=data["plan"],
            votes_for=data["votes_for"],
            votes_against=data["votes_against"],
            votes_abstain=data["votes_abstain"],
            responsible=data["responsible"],
            public_wording=data["public_wording"],
            tasks=tuple(form.inputs() for form in task_forms if form.cleaned_data),
        )


class DecisionTaskForm(TaskForm):
    """A task of the decision; a row left blank is skipped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        data = forms.Form.clean(self)
        if not any(data.get(name) for name in ("title", "owner_user", "owner_contact")):
            return {}
        if not data.get("title"):
            self.add_error("title", _("Name the task."))
        if not data.get("due_date") and "due_date" not in self.errors:
            self.add_error("due_date", _("Give the task a due date."))
        if bool(data.get("owner_user")) == bool(data.get("owner_contact")):
            self.add_error(None, _("Choose one owner: a user or an outside contact."))
        return data

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due and due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


TASK_ROWS = 3


def decision_task_forms(case, data=None, prefix="item"):
    return [DecisionTaskForm(data, case=case, prefix=f"{prefix}-task{i}") for i in range(TASK_ROWS)]
