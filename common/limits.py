"""A field's limits said in words, with the field's name: by every form (common/forms.py) and by
the checks a move makes again under its lock (cases/workflow.py, meetings/checks.py,
recurring/services.py), which take typed inputs and no forms."""

from django.core import validators
from django.utils.translation import gettext_lazy as _

# Each limit a field's validators keep → the message that says it (filled in with the field's
# label; %(limit_value)s and %(show_value)s are filled in by the validator).
LIMITS = {
    validators.MaxLengthValidator: _(
        "“%(field)s” can be at most %(limit_value)s characters long; it has %(show_value)s."
    ),
    validators.MinLengthValidator: _(
        "“%(field)s” needs at least %(limit_value)s characters; it has %(show_value)s."
    ),
    validators.MaxValueValidator: _("“%(field)s” can be at most %(limit_value)s."),
    validators.MinValueValidator: _("“%(field)s” must be at least %(limit_value)s."),
}


def too_long(label, limit: int, length: int) -> str:
    """A text over its limit, said as a form says it, for the checks a move makes again
    under its lock (cases/workflow.py, meetings/checks.py, recurring/services.py)."""
    return str(LIMITS[validators.MaxLengthValidator]) % {
        "field": label,
        "limit_value": limit,
        "show_value": length,
    }
