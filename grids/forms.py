from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.files import AsksForFilesAgain
from common.forms import Form


class ImportUploadForm(AsksForFilesAgain, Form):
    sheet = forms.FileField(
        label=_("Sheet (XLSX or CSV)"),
        help_text=_("Use the template: one row per unit or person."),
    )
    create_places = forms.BooleanField(
        label=_("Create communities and grids that do not exist yet"),
        required=False,
        help_text=_("Leave unticked to catch misspelt community and grid names."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("check", _("Check the sheet")))

    def clean_sheet(self):
        sheet = self.cleaned_data["sheet"]
        if sheet.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return sheet
