"""What every form of the app does, written once: every form the app defines derives from `Form`
or `ModelForm` here (a FilterSet's form too, through its Meta.form; tests/test_forms.py walks
them all).

- **Its limits are said in words, with the field's name.** Django's own messages speak of "this
  value" (「确保该变量包含不超过 2000 字符」): a form's length and number limits say which field
  and what its limit is instead (「“请说说情况”最多 2000 个字，现在有 2100 个字。」).
- **What was typed before a switch comes back** (the language, larger text; common/drafts.py):
  each field shows what the draft holds for it, and a draft of a form sent back with errors
  shows those errors again.
"""

from django import forms
from django.forms.boundfield import BoundField
from django.forms.utils import pretty_name

from . import drafts
from .limits import LIMITS


def say_limits(field, name) -> None:
    """The field's limit messages, naming it by its label."""
    label = str(field.label or pretty_name(name)).replace("%", "%%")
    for validator in field.validators:
        message = LIMITS.get(type(validator))
        if message is not None:
            field.error_messages[validator.code] = str(message) % {
                "field": label,
                "limit_value": "%(limit_value)s",
                "show_value": "%(show_value)s",
            }


def errors_said(form, when_missing) -> str:
    """A form drawn by hand or in a panel, whose errors are said at the top of the page: what
    is wrong in its own words (a text too long, by its field), or `when_missing` when all
    that is wrong is a field left empty."""
    said = [
        str(message)
        for errors in form.errors.as_data().values()
        for error in errors
        if error.code != "required"
        for message in error
    ]
    return " ".join(said) or str(when_missing)


class DraftBoundField(BoundField):
    """A field shows what was typed into it before a switch, if the page's draft holds it."""

    def value(self):
        draft = drafts.current()
        if draft is not None and not self.field.disabled and draft.covers(self.form):
            typed = draft.typed(self)
            if typed is not None:
                return self.field.prepare_value(typed)
        return super().value()


class PageForm:
    """The behaviour every form of the app shares (see the module's docstring)."""

    bound_field_class = DraftBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            say_limits(field, name)

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            drafts.check_again(self)


class Form(PageForm, forms.Form):
    pass


class ModelForm(PageForm, forms.ModelForm):
    pass
