from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Speak Simplified Chinese unless the user picked another language with the switch.

    The browser's Accept-Language is not consulted: staff phones are often set to English
    while the office works in Chinese, so only an explicit choice (the language cookie)
    changes the language.
    """

    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()


def chosen_language(request) -> str:
    """The language picked with the switch (its cookie), else Simplified Chinese."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE
