from django.contrib import admin

from .models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The categories offered when logging a case: street staff rename, reorder or retire them.

    A category in use cannot be deleted (cases protect it); untick "in use" to retire it.
    """

    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "name"]
