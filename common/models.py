"""Abstract models shared by the apps."""

from django.db import models


class AppendOnly(models.Model):
    """History is never edited: saving an existing row or deleting one is refused.

    This guards one instance in Python; `common/append_only.py` installs the same rule as a
    PostgreSQL trigger, which also holds for QuerySet.update()/delete(), cascades and raw SQL.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("history rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("history rows are append-only")
