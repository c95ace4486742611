from django.contrib import admin

from .models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The categories offered when logging a case, shared by every street.

    Renaming one renames it for every street, so only superusers add, rename, reorder or
    retire them; street staff may read the list. A category in use cannot be deleted (cases
    protect it); untick "in use" to retire it.
    """

    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
