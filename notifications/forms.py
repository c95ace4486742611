from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import ModelForm
from common.phones import MOBILE_RE, normalise_phone

from .models import ChannelChoice


class ChannelChoiceForm(ModelForm):
    class Meta:
        model = ChannelChoice
        fields = ["email", "sms", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone and not MOBILE_RE.match(phone):
            raise forms.ValidationError(_("Enter a mainland mobile number (11 digits)."))
        return phone

    def clean(self):
        data = super().clean()
        if data.get("sms") and not data.get("phone") and not self.has_error("phone"):
            self.add_error("phone", _("SMS needs a mobile number."))
        return data
