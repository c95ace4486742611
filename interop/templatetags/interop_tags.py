from django import template

from cases.models import Satisfaction

from .. import messages_out, status_out
from ..forms import ExtensionForm
from ..models import ExternalRef

register = template.Library()


@register.inclusion_tag("interop/_case_panel.html", takes_context=True)
def outside_source(context, case):
    """The case page's panel for a case from outside: the hotline's order number, deadlines,
    the status messages sent back with their state, and the extension request."""
    # The case page loads whether the case came from outside (`has_external`): most did not.
    came_from_outside = getattr(case, "has_external", True)
    ref = (
        ExternalRef.objects.select_related("partner").filter(case_id=case.pk).first()
        if came_from_outside
        else None
    )
    scope = context["request"].scope
    return {
        "case": case,
        "ref": ref,
        "messages_out": messages_out.of_case(case) if ref else [],
        "extension_form": ExtensionForm()
        if ref and status_out.may_request_extension(scope, case)
        else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def satisfaction_label(value):

    return dict(Satisfaction.choices).get(value, value)
