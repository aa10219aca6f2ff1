"""Request middleware: the language choice and the one mapping of :class:`~dudao.errors.DudaoError` to a page.

Language choice: Chinese unless the user picked another language with the switch in the header.

Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the platform English for every
official using an English-locale browser; here the browser is not asked, only the explicit choice (cookie) counts.
"""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation

from dudao.errors import DudaoError


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


class DudaoErrorMiddleware:
    """Turns a :class:`~dudao.errors.DudaoError` that a view let through into an answer with its status: the message
    alone for an htmx request (swapped in place of the control), else the error page. Never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DudaoError):
            return None
        if request.headers.get("HX-Request"):
            return HttpResponse(str(exception), status=exception.status, content_type="text/plain; charset=utf-8")
        return render(request, "error.html", {"error": exception}, status=exception.status)
