"""Who may manage what in the admin: the one rule, used by every admin page.

Only street staff roles give admin powers, over the streets they hold (an officer or a grid
worker marked as staff manages nothing). Someone manages an object only when their streets
cover EVERY place it reaches: its own street and the street of each place it points to (a
contact's unit, grid and community; a role's street, community and grid). Someone manages a
user only when their streets cover every role that user holds, so a person who also works in
another street is managed by that street too and by neither alone: a superuser does it.
Superusers manage everything; nobody else ever manages a superuser, or a user with no role
at all (such an account belongs to no street, so only a superuser may touch it).
"""

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet

from .capabilities import Capability
from .models import Role
from .scope import Scope


def managing_scope(scope: Scope) -> Scope:
    """The places `scope` manages in the admin: the streets where it holds the capability."""
    return scope.granting(Capability.ADMINISTER)


def _street_path(model) -> str | None:
    return getattr(model, "scope_paths", {}).get("street")


def _place_fields(model):
    """The foreign keys of `model` that point to a place (a model that reaches a street)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.many_to_one and _street_path(field.related_model)
    ]


def covered(model, street_ids) -> Q:
    """Rows of `model` whose own street and every place they point to lie in `street_ids`."""
    own = _street_path(model)
    condition = Q(**{f"{own}__in": street_ids}) if own else Q()
    for field in _place_fields(model):
        reach = f"{field.name}__{_street_path(field.related_model)}"
        condition &= Q(**{f"{field.name}__isnull": True}) | Q(**{f"{reach}__in": street_ids})
    return condition


def manageable(scope: Scope, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` that `scope` may see and change in the admin."""
    if scope.is_superuser:
        return queryset
    if queryset.model is User:
        return manageable_users(scope, queryset)
    return queryset.filter(covered(queryset.model, managing_scope(scope).street_ids))


def manageable_users(scope: Scope, users: QuerySet) -> QuerySet:
    """Users holding at least one role, every one of them inside `scope`'s streets."""
    if scope.is_superuser:
        return users
    streets = managing_scope(scope).street_ids
    roles = Role.objects.filter(user=OuterRef("pk"))
    return users.filter(Exists(roles), is_superuser=False).exclude(
        Exists(roles.exclude(covered(Role, streets)))
    )


def _street_of(obj, path: str):
    """Follow a `scope_paths` street path ("community__street_id") on an object in memory."""
    value = obj
    for step in path.split("__"):
        value = getattr(value, step, None)
        if value is None:
            return None
    return value


def covers(scope: Scope, obj) -> bool:
    """Whether `scope` manages `obj`, as it stands in memory (saved or about to be)."""
    if scope.is_superuser:
        return True
    if isinstance(obj, User):
        return (
            obj.pk is not None and manageable_users(scope, User.objects.filter(pk=obj.pk)).exists()
        )
    streets = managing_scope(scope).street_ids
    own = _street_path(type(obj))
    reached = [_street_of(obj, own)] if own else []
    for field in _place_fields(type(obj)):
        place = getattr(obj, field.name, None)
        if place is not None:
            reached.append(_street_of(place, _street_path(type(place))))
    return bool(reached) and all(street in streets for street in reached)
