from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"

    def ready(self):
        from .text import guard_every_form_text_field

        guard_every_form_text_field()
