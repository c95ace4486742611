from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommonConfig(AppConfig):
    name = "common"

    def ready(self):
        from .db_roles import after_migrate
        from .text import guard_every_form_text_field

        guard_every_form_text_field()
        # Once per `migrate`, after every app's migrations: the app role's rights follow the schema.
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="common.db_roles")
