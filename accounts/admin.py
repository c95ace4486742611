from collections import Counter

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import router
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from grids.models import Building, Community, Contact, Grid, ImportBatch, Street, Unit

from . import stewardship
from .login import AdminLoginForm
from .models import Role

OUTSIDE_YOUR_STREET = _(
    "This reaches a place outside the streets you manage; only a superuser can save it."
)


class CoveredFormMixin:
    """Refuse, with a message in the form, an object that would reach outside the streets the
    admin user manages (checked on the object as it is about to be saved)."""

    managing_scope = None

    def _post_clean(self):
        super()._post_clean()
        if self.managing_scope is None or self.errors or self.cleaned_data.get("DELETE"):
            return
        if not stewardship.covers(self.managing_scope, self.instance):
            self.add_error(None, ValidationError(OUTSIDE_YOUR_STREET, code="outside"))


def _covered_form(form_class, request):
    return type(
        form_class.__name__,
        (CoveredFormMixin, form_class),
        {"managing_scope": request.scope},
    )


class StewardedAdminMixin:
    """What every admin page of this app shares: objects come through `accounts.stewardship`,
    so an object that reaches a street the user does not manage is a 404, its lists and
    choices never name it, and nothing outside can be saved, deleted or named."""

    def get_queryset(self, request):
        return stewardship.manageable(request.scope, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        # Outside (or missing) is a 404, as on every other page, not a redirect with a message.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "scope_paths") or related is User:
            kwargs["queryset"] = stewardship.manageable(
                request.scope, related._default_manager.all()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        # A filter on a foreign key lists only the values in the user's own rows.
        return [
            (name, admin.RelatedOnlyFieldListFilter)
            if isinstance(name, str) and self._is_foreign_key(name)
            else name
            for name in super().get_list_filter(request)
        ]

    def _is_foreign_key(self, name):
        try:
            return self.model._meta.get_field(name).many_to_one
        except FieldDoesNotExist:  # a lookup path or a method
            return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or stewardship.covers(request.scope, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or stewardship.covers(request.scope, obj))

    def get_form(self, request, obj=None, **kwargs):
        return _covered_form(super().get_form(request, obj, **kwargs), request)

    def save_model(self, request, obj, form, change):
        if not stewardship.covers(request.scope, obj):  # the form refuses it first
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        """Non-superusers see what they delete and counts of the rest, never the names of
        dependent rows, which may belong to another street (a user's cases, say)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if request.user.is_superuser:
            return deleted, counts, perms_needed, protected
        if protected:
            collector = NestedObjects(using=router.db_for_write(self.model))
            collector.collect(objs)
            by_model = Counter(
                str(type(row)._meta.verbose_name_plural) for row in collector.protected
            )
            protected = [
                _("%(things)s: %(count)s") % {"things": things, "count": count}
                for things, count in sorted(by_model.items())
            ]
        return [str(obj) for obj in objs], counts, perms_needed, protected


# The name other apps import.
ScopedAdminMixin = StewardedAdminMixin


class RoleFormSet(forms.BaseInlineFormSet):
    managing_scope = None

    def clean(self):
        super().clean()
        if self.managing_scope is None or self.managing_scope.is_superuser:
            return
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
        ]
        if not any(form.instance.kind for form in kept):
            # A user without roles belongs to no street: only a superuser could manage them.
            raise ValidationError(
                _("Keep at least one role; to end someone's access, untick “active”."),
                code="no_role",
            )


class RoleInline(StewardedAdminMixin, admin.TabularInline):
    model = Role
    formset = RoleFormSet
    extra = 1
    fields = ["kind", "street", "community", "grid"]

    def get_formset(self, request, obj=None, **kwargs):
        # Each role is checked as it will be saved (wider places filled from the narrower).
        kwargs["form"] = _covered_form(self.form, request)
        formset = super().get_formset(request, obj, **kwargs)
        formset.managing_scope = request.scope
        return formset


# The admin's login page is throttled like /login/.
admin.site.login_form = AdminLoginForm
admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(StewardedAdminMixin, UserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Street staff manage names, logins and roles, never admin powers.
        hidden = {"is_superuser", "groups", "user_permissions", "is_staff"}
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        # A new user has no role yet (the roles are saved next, and checked by their formset).
        if change and not stewardship.covers(request.scope, obj):
            raise PermissionDenied
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def get_form(self, request, obj=None, **kwargs):
        # The user's own form: the covering rule for users is checked on their roles.
        return UserAdmin.get_form(self, request, obj, **kwargs)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            for role_form in formset.forms:
                if role_form.instance.kind and not role_form.cleaned_data.get("DELETE"):
                    role_form.instance.clean()
        super().save_related(request, form, formsets, change)
        if not stewardship.covers(request.scope, form.instance):
            raise PermissionDenied  # never reached: the role forms refuse outside places


# The hierarchy's places and contacts: street staff keep their street's, under the same rule.
@admin.register(Street)
class StreetAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "district"]
    search_fields = ["name"]

    # Street staff keep their street's details; creating or removing a street (and with it
    # every role in it) is a superuser's job.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Community)
class CommunityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "street"]
    list_filter = ["street"]
    search_fields = ["name"]


@admin.register(Grid)
class GridAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "community", "party_group_name"]
    list_filter = ["community"]
    list_select_related = ["community"]
    search_fields = ["name", "community__name"]


@admin.register(Building)
class BuildingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "grid"]
    list_select_related = ["grid__community"]
    search_fields = ["name", "estate"]
    raw_id_fields = ["grid"]


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__"]
    list_select_related = ["building"]
    search_fields = ["name", "building__name", "building__estate"]
    raw_id_fields = ["building"]


@admin.register(Contact)
class ContactAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "phone_shown", "organisation", "community", "grid"]
    list_filter = ["kind"]
    list_select_related = ["community", "grid__community"]
    search_fields = ["name", "organisation"]
    raw_id_fields = ["unit", "grid", "community"]

    @admin.display(description=_("phone"))
    def phone_shown(self, contact):
        return contact.masked_phone


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["file_name", "street", "uploaded_by", "uploaded_at", "status"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name != "content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
