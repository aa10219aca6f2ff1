"""Language choice: Chinese unless the user picked another language with the switch in the header.

Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the platform English for every
official using an English-locale browser; here the browser is not asked, only the explicit choice (cookie) counts.
"""

from django.conf import settings
from django.utils import translation


class LanguageChoiceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
