"""The forms of the case pages: what each move and action needs, with its messages."""

import uuid
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import possible_owners
from common.files import AsksForFilesAgain
from common.forms import Form, ModelForm
from common.ordering import order_choices_naturally
from common.people import display_name
from common.phones import normalise_phone
from grids.models import Building, Contact, Grid, Unit
from grids.selectors import task_contacts

from . import inputs
from .intake import possible_duplicates
from .models import (
    Case,
    Category,
    Channel,
    ExplanationMethod,
    Outcome,
    Satisfaction,
    State,
    Urgency,
)
from .photos import PhotosField


class DeadlineField(forms.DateTimeField):
    # Whether it lies in the future is the workflow's rule (cases/workflow.py), checked there.
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})


def unchosen(choices):
    """The choices after an empty first one: a record says what someone chose, never what the
    form chose for them (a preselected 满意 would count as satisfied when nobody asked)."""
    return [("", _("Choose…")), *choices]


def _in_three_days():
    return (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


class NoteForm(Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def inputs(self):
        return inputs.Note(note=self.cleaned_data["note"])


class ReasonForm(Form):
    note = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def inputs(self):
        return inputs.Reason(note=self.cleaned_data["note"])


class DeclineForm(ReasonForm):
    """Declining says why, for the history, and what the resident is told, for their status
    page: the reason may name people and things a resident should not read."""

    explanation = forms.CharField(
        label=_("What the resident is told"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Shown on the resident's status page, with phone numbers hidden: name who can help "
            "instead (the property office, the street's service hall), or what to do next."
        ),
    )

    def inputs(self):
        return inputs.Reason(
            note=self.cleaned_data["note"], explanation=self.cleaned_data["explanation"]
        )


class OwnerForm(NoteForm):
    """An owner and a deadline: accepting, or assigning to someone else."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    response_deadline = DeadlineField(label=_("Deadline"))

    def __init__(self, *args, case=None, owners=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None and case is not None:
            owners = possible_owners(case)
        if owners is not None:
            self.fields["owner"].queryset = owners
            self.fields["owner"].label_from_instance = display_name
            order_choices_naturally(self.fields["owner"])
            # Most often the officer takes the case: chosen already, so the defaults suffice
            # (a user who is not among the owners simply finds nothing chosen).
            if user is not None:
                self.initial.setdefault("owner", user.pk)
        self.initial.setdefault("response_deadline", _in_three_days())

    def inputs(self):
        data = self.cleaned_data
        return inputs.Ownership(
            owner=data["owner"], response_deadline=data["response_deadline"], note=data["note"]
        )


class DecideForm(NoteForm):
    plan = forms.CharField(
        label=_("Plan"),
        max_length=2000,
        help_text=_("For example: self-funding + the works + temporary water supply"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def inputs(self):
        return inputs.Decision(plan=self.cleaned_data["plan"], note=self.cleaned_data["note"])


class ResolveForm(Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=unchosen(Outcome.choices))
    note = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    explanation_method = forms.ChoiceField(
        label=_("How it was explained to residents"), choices=unchosen(ExplanationMethod.choices)
    )
    explanation = forms.CharField(
        label=_("The explanation"),
        max_length=2000,
        help_text=_("Worded for residents: the status lookup shows it."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    referral = forms.CharField(
        label=_("Why not, and where the resident was referred"),
        required=False,
        max_length=500,
        help_text=_("Needed when the case cannot be resolved."),
    )

    def inputs(self):
        return inputs.Resolution(**self.cleaned_data)


class VerifyForm(AsksForFilesAgain, Form):
    satisfaction = forms.ChoiceField(
        label=_("Resident's satisfaction"), choices=unchosen(Satisfaction.choices)
    )
    note = forms.CharField(
        label=_("Follow-up visit"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(label=_("Photos of the result"), max_count=4)

    def inputs(self):
        data = self.cleaned_data
        return inputs.Visit(
            satisfaction=data["satisfaction"], note=data["note"], photos=tuple(data["photos"] or ())
        )


class ReopenForm(ReasonForm):
    back_to = forms.ChoiceField(
        label=_("Back to"),
        choices=[
            (State.ACCEPTED, _("accepted")),
            (State.DELIBERATING, _("deliberating again")),
        ],
    )

    def inputs(self):
        return inputs.Reopening(
            back_to=self.cleaned_data["back_to"], note=self.cleaned_data["note"]
        )


# The page's form for each move of cases/workflow.py.
MOVE_FORMS = {
    "accept": OwnerForm,
    "assign": OwnerForm,
    "decline": DeclineForm,
    "propose": NoteForm,
    "handle_directly": ReasonForm,
    "deliberate": NoteForm,
    "decide": DecideForm,
    "start": NoteForm,
    "resolve": ResolveForm,
    "verify": VerifyForm,
    "reopen": ReopenForm,
}


def move_form(move_name, case, data=None, files=None, user=None):
    """The form of a move on a case page, empty or bound to what was sent; `user` is offered
    as the owner where the move takes one."""
    form_class = MOVE_FORMS[move_name]
    if issubclass(form_class, OwnerForm):
        return form_class(data, case=case, user=user, prefix=move_name)
    return form_class(data, files, prefix=move_name)


class TaskForm(Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    owner_user = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    owner_contact = forms.ModelChoiceField(
        label=_("Or an outside contact"), queryset=Contact.objects.none(), required=False
    )
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].queryset = possible_owners(case)
        self.fields["owner_user"].label_from_instance = display_name
        self.fields["owner_contact"].queryset = task_contacts(case)
        self.fields["owner_contact"].label_from_instance = lambda c: (
            f"{c.organisation or c.get_kind_display()} · {c.name}"
        )
        order_choices_naturally(self.fields["owner_user"])
        order_choices_naturally(self.fields["owner_contact"])

    def inputs(self):
        return inputs.NewTask(**self.cleaned_data)


class DropTaskForm(Form):
    drop_reason = forms.CharField(label=_("Why is it dropped?"), max_length=500)


class EscalateForm(Form):
    reason = forms.CharField(
        label=_("Why the street should step in"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnonymiseForm(Form):
    """A resident's request to be forgotten (PIPL): the reason is kept in the access log."""

    reason = forms.CharField(
        label=_("Why (the resident's request, its date)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I confirm: this resident's name and phone are replaced in all their cases in my "
            "street, for good."
        )
    )


class AnswerEscalationForm(Form):
    comment = forms.CharField(
        label=_("The street's comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    new_deadline = DeadlineField(label=_("New deadline"))

    def inputs(self):
        return inputs.EscalationAnswer(**self.cleaned_data)


class LinkDuplicateForm(Form):
    tracking_code = forms.CharField(
        label=_("Tracking code of the case this one repeats"), max_length=12
    )
    # Asked only when the case named is at another place or of another category: the box is
    # drawn with the refusal that says what differs (workflow.link_duplicate). Ticked, it
    # sends the code it was asked about, so it confirms that case and no other typed later.
    elsewhere = forms.CharField(
        label=_("It repeats that case all the same"),
        required=False,
        max_length=12,
        widget=forms.HiddenInput,
    )

    def clean_tracking_code(self):
        return self.cleaned_data["tracking_code"].strip().upper()

    def clean_elsewhere(self):
        return self.cleaned_data["elsewhere"].strip().upper()

    def add_error(self, field, error):
        if field == "elsewhere":
            asked_about = self.cleaned_data.get("tracking_code", "")
            self.fields["elsewhere"].widget = forms.CheckboxInput(
                attrs={"value": asked_about}, check_test=lambda _value: False
            )
        super().add_error(field, error)


REPEAT_GONE = _(
    "The case you marked as repeated is no longer an open case at this place and of this "
    "category. Check the warning above and save again."
)
# The warning asks; nothing is chosen for the person (a default would bias the record).
REPEAT_UNANSWERED = _(
    "Say whether this request repeats one of the open cases shown above, or is a new matter."
)
# The warning's "not a repeat" answer: an answer given, unlike a choice never made.
NOT_A_REPEAT = 0


class PlaceChoiceField(forms.ModelChoiceField):
    """A place among the user's. `known` ({id as sent: place}) holds the places the form has
    already found (LogCaseForm.find_places); any other value is looked up as usual."""

    known = None

    def label_from_instance(self, obj):
        return str(obj)

    def to_python(self, value):
        if self.known and value not in self.empty_values and str(value) in self.known:
            return self.known[str(value)]
        return super().to_python(value)


class RepeatField(forms.Field):
    """The id of the older open case the new one repeats. Which cases it may name depends on
    the place and category chosen, so the form looks it up in `clean()`, in one query."""

    widget = forms.HiddenInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            chosen = int(str(value).strip())
        except ValueError:
            raise forms.ValidationError(REPEAT_GONE, code="invalid_choice") from None
        return None if chosen == NOT_A_REPEAT else chosen


# The place fields of the logging form: the user's places of each level, in the page's order.
PLACES = {
    "grid": (Grid, "community", ("community_id", "id")),
    "building": (Building, "grid", ("grid_id", "estate", "name")),
    "unit": (Unit, "building", ("building_id", "name")),
}


class LogCaseForm(AsksForFilesAgain, ModelForm):
    """Logging a request: the place in two taps (building, then unit), then the matter.

    The places offered are only those the user holds; a grid worker with one grid sees its
    buildings directly.
    """

    building = PlaceChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False
    )
    unit = PlaceChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    grid = PlaceChoiceField(label=_("Grid"), queryset=Grid.objects.none(), required=False)
    photos = PhotosField(label=_("Photos"))
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # "This repeats YJ…": the older open case this one repeats, ticked in the warning the page
    # shows while the place and category are chosen (cases/_similar.html).
    duplicate_of = RepeatField(required=False)
    # Sent with the warning (cases/_similar.html): the person was asked, and must answer.
    repeat_asked = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Case
        fields = [
            "grid",
            "building",
            "unit",
            "category",
            "description",
            "resident_name",
            "resident_phone",
            "channel",
            "urgency",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "resident_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "channel": forms.RadioSelect,
            "urgency": forms.RadioSelect,
        }

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        if not self.is_bound:  # a sent form offers its places when it is checked (full_clean)
            for name in PLACES:
                self.fields[name].queryset = self.places(name)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["category"].empty_label = _("Choose…")  # what it is about, as told
        self.fields["channel"].initial = Channel.VISIT
        self.fields["urgency"].initial = Urgency.ROUTINE
        # 12345 orders arrive from the hotline itself (interop), with their order number.
        self.fields["channel"].choices = [c for c in Channel.choices if c[0] != Channel.HOTLINE]
        self.fields["urgency"].choices = Urgency.choices
        self.initial.setdefault("submission", uuid.uuid4())

    def places(self, name):
        """The user's places of one level: "grid", "building" or "unit"."""
        model, related, order = PLACES[name]
        return self.scope.narrow(model.objects.select_related(related)).order_by(*order)

    def full_clean(self):
        if self.is_bound:
            self.find_places()
            # A place sent that was not found at once is looked up by its field as usual.
            for name in PLACES:
                field, sent = self.fields[name], self.data.get(self.add_prefix(name))
                if sent not in field.empty_values and str(sent) not in (field.known or {}):
                    field.queryset = self.places(name)
        super().full_clean()

    def find_places(self):
        """The places sent, found at once: the narrowest one sent (unit, else building, else
        grid) among the user's places, with the wider ones and the community and street the
        new case takes from them, in one query. A unit among the user's places is in a
        building and a grid among them too; a place sent that is not found here (another
        building's, say) is looked up by its field as usual, and refused as before."""
        if not self.is_bound:
            return
        sent = {}
        for name in ("unit", "building", "grid"):
            try:
                sent[name] = int(self.data.get(self.add_prefix(name)) or 0)
            except (TypeError, ValueError):
                sent[name] = 0
        found = {}
        if sent["unit"]:
            unit = self._first("unit", sent["unit"], "building__grid__community__street")
            if unit is not None:
                found = {"unit": unit, "building": unit.building, "grid": unit.building.grid}
        elif sent["building"]:
            building = self._first("building", sent["building"], "grid__community__street")
            if building is not None:
                found = {"building": building, "grid": building.grid}
        elif sent["grid"]:
            grid = self._first("grid", sent["grid"], "community__street")
            if grid is not None:
                found = {"grid": grid}
        for name, place in found.items():
            self.fields[name].known = {str(place.pk): place}

    def _first(self, name, pk, *related):
        places = self.places(name).select_related(*related)
        return places.filter(pk=pk).order_by().first()  # one row by its key: no sorting

    def _get_validation_exclusions(self):
        # The places and the category were each found by their field among the user's places
        # (the active categories): the model's own check that they exist would only ask again.
        return super()._get_validation_exclusions() | {"grid", "building", "unit", "category"}

    def clean(self):
        # The narrowest place chosen decides the wider ones; a mismatch is refused, not fixed.
        data = super().clean()
        grid, building, unit = data.get("grid"), data.get("building"), data.get("unit")
        if unit is not None:
            if building is None:
                data["building"] = building = unit.building
            elif unit.building_id != building.pk:
                self.add_error("unit", _("This unit is not in the chosen building."))
        if building is not None:
            if grid is None:
                data["grid"] = grid = building.grid
            elif building.grid_id != grid.pk:
                self.add_error("building", _("This building is not in the chosen grid."))
        if grid is None and not self.has_error("grid"):
            self.add_error("grid", _("Choose where the request is from."))
        repeats = data.get("duplicate_of")
        unanswered = data.get("repeat_asked") and self.data.get("duplicate_of") in (None, "")
        if unanswered and not self.errors:
            # Asked, and still to answer for the place and category sent (not for ones the
            # person has since changed away from, which offer nothing).
            candidate = Case(grid=grid, building=building, unit=unit, category=data.get("category"))
            if self.similar(candidate).exists():
                self.add_error("duplicate_of", REPEAT_UNANSWERED)
        if repeats is None or self.has_error("duplicate_of"):
            return data
        if not self.errors:
            # One query: the case named is among the open cases the new one may repeat.
            candidate = Case(grid=grid, building=building, unit=unit, category=data.get("category"))
            data["duplicate_of"] = self.similar(candidate).filter(pk=repeats).first()
            if data["duplicate_of"] is None:
                self.add_error("duplicate_of", REPEAT_GONE)
        elif not self.scope.narrow(Case.objects.filter(pk=repeats)).exists():
            # Sent back for other fields: a case outside the user's places is named at once.
            self.add_error("duplicate_of", REPEAT_GONE)
        return data

    def similar(self, candidate):
        """The open cases in the user's places that `candidate` (unsaved) may repeat."""

        return possible_duplicates(candidate, among=self.scope.narrow(Case.objects.all()))

    def renew_submission(self):
        """A fresh id for the form drawn again, so sending it once more logs a new case."""
        self.data = self.data.copy()
        self.data["submission"] = str(uuid.uuid4())


def _normalised_phone(form):

    return normalise_phone(form.cleaned_data["resident_phone"])


LogCaseForm.clean_resident_phone = _normalised_phone


class BulkForm(Form):
    """The shared fields of a bulk accept or assign; each case is then checked on its own."""

    ids = forms.CharField(required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("accept", _("Accept")), ("assign", _("Assign"))]
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    response_deadline = DeadlineField(label=_("Deadline"))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = display_name
        order_choices_naturally(self.fields["owner"])
        self.initial.setdefault("response_deadline", _in_three_days())

    def clean_ids(self):
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        try:
            ids = sorted({int(value) for value in raw})
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Tick at least one case.")) from None
        if not ids:
            raise forms.ValidationError(_("Tick at least one case."))
        if len(ids) > 100:
            raise forms.ValidationError(_("At most 100 cases at a time."))
        return ids
