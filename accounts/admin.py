from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef

from .models import Role


class ScopedAdminMixin:
    """Admin pages go through the same scope as every other page."""

    def get_queryset(self, request):
        return request.scope.narrow(super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "scope_paths"):
            kwargs["queryset"] = request.scope.narrow(related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoleInline(ScopedAdminMixin, admin.TabularInline):
    model = Role
    extra = 1
    fields = ["kind", "street", "community", "grid"]


admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(UserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        roles_in_scope = request.scope.narrow(Role.objects.filter(user=OuterRef("pk")))
        return users.filter(Exists(roles_in_scope), is_superuser=False)

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

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            for role_form in formset.forms:
                if role_form.instance.kind and not role_form.cleaned_data.get("DELETE"):
                    role_form.instance.clean()
        super().save_related(request, form, formsets, change)
