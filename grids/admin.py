from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ScopedAdminMixin

from .models import Building, Community, Contact, Grid, ImportBatch, Street, Unit


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
