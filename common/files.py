"""Files chosen in a form that comes back.

A form sent back with a message keeps what was typed, but no browser lets a page put chosen
files back into a file input: the photos would be gone with no word. Each file field that was
sent files says so, and the person chooses them again.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

CHOOSE_AGAIN = _(
    "The file you chose is not kept when the form comes back: choose it again before sending."
)


class AsksForFilesAgain:
    """For a form with file fields: on errors, each file field that was sent files asks for
    them again (its own error, if it has one, says more already)."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not self._errors:
            return
        for name, field in self.fields.items():
            if not isinstance(field, forms.FileField) or name in self._errors:
                continue
            if any(self.files.getlist(self.add_prefix(name))):
                self.add_error(name, CHOOSE_AGAIN)
