"""The residents' forms: a request, a status lookup and a rating. No login; clear messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Category, Satisfaction
from cases.photos import PhotosField
from common.files import AsksForFilesAgain
from common.forms import Form
from common.phones import is_valid_phone, normalise_phone, phone_digits, validate_phone


class RequestForm(AsksForFilesAgain, Form):
    """A request from a place: a unit's or a building's QR code, or the place a resident
    chose on the pages without a QR code (community, estate, building, unit)."""

    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    description = forms.CharField(
        label=_("Tell us what happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(label=_("Photos (optional)"), max_count=3)
    resident_name = forms.CharField(label=_("Your name"), max_length=50)
    resident_phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    # A field people never see: a bot that fills every field fills this one too.
    # Out of the tab order too, so keyboard and screen-reader users never land in it.
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, place, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.place = place

    def clean_resident_phone(self):
        return normalise_phone(self.cleaned_data["resident_phone"])

    @property
    def is_bot(self):
        return bool(self.data.get("website"))


class LookupForm(Form):
    tracking_code = forms.CharField(label=_("Tracking code"), max_length=12)
    # The last four digits; the whole number is taken too (asked for when a code has had many
    # wrong tries, see residents/views.py).
    phone_last4 = forms.CharField(
        label=_("Last 4 digits of your phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_tracking_code(self):
        return self.cleaned_data["tracking_code"].strip().upper()

    def clean_phone_last4(self):
        raw = self.cleaned_data["phone_last4"]
        digits = phone_digits(raw)
        if (len(digits) == 4 and raw.strip().isdigit()) or is_valid_phone(normalise_phone(raw)):
            return digits
        raise forms.ValidationError(
            _("Enter the last 4 digits of the phone you gave."), code="invalid"
        )


class RatingForm(Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
