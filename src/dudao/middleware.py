"""Request middleware: the language choice and the one mapping of :class:`~dudao.errors.DudaoError` to a page.

Language choice: Chinese unless the user picked another language with the switch in the header.

Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the platform English for every
official using an English-locale browser; here the browser is not asked, only the explicit choice (cookie) counts.
"""

import json
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from dudao.errors import DudaoError
from dudao.inputs import json_strings, request_text_errors


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
        return error_page(request, exception)


def error_page(request, exception: DudaoError) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return HttpResponse(str(exception), status=exception.status, content_type="text/plain; charset=utf-8")
    return render(request, "error.html", {"error": exception}, status=exception.status)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has expired is sent to the login page — the whole page, and back afterwards.

    ``login_required`` answers a redirect to the login page; htmx would follow it inside the XHR and swap the login
    form into the field that was saving. Here that redirect becomes ``HX-Redirect`` to the login page with ``next``
    = the page the user was on (htmx's ``HX-Current-URL``, same origin only; else the requested path)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or response.status_code not in (301, 302):
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login:
            return response
        page = request.headers.get("HX-Current-URL", "")
        if page and url_has_allowed_host_and_scheme(page, {request.get_host()}, request.is_secure()):
            parts = urlsplit(page)
            back = parts.path + (f"?{parts.query}" if parts.query else "")
        else:
            back = request.get_full_path() if request.method == "GET" else "/"
        answer = HttpResponse(status=401)
        answer["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return answer


# The Content-Security-Policy of every answer (Django 5.2 has none built in). Script only from our own static files:
# no inline <script>, no on…= handlers, no javascript: URLs, no eval — htmx, ECharts and the Swagger UI are vendored
# (static/vendor, drf-spectacular-sidecar) and the pages' own code lives in static/*.js. Styles allow 'unsafe-inline'
# on purpose: the report's stylesheet is inline (its HTML is frozen whole with a publication), a few templates carry
# style="…", and ECharts' tooltips are HTML with style attributes; inline style cannot run code. data: images are
# the report's charts (PNG) and the Swagger UI's icons. Nothing may frame a page (like X-Frame-Options: DENY).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    """Sets :data:`CONTENT_SECURITY_POLICY` on every answer that does not carry its own policy (a view may set a
    stricter or narrower one). ``tests/test_csp.py`` loads the key pages in chromium and fails on any violation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class InputGuardMiddleware:
    """Every text a form post or a JSON body carries is checked before any view sees it: no control characters
    (U+0000–U+001F but tab/LF/CR, U+007F) and at most :data:`dudao.inputs.MAX_FIELD_LENGTH` characters. A bad field
    answers 400 with the field named — ``{"detail", "errors"}`` for the API, the message for htmx, else the error
    page — so no page form, however it reads ``request.POST``, can take a megabyte or a control character; each
    field's own, smaller limit is its model's ``max_length``, checked on save (:func:`dudao.inputs.check_model_text`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("POST", "PUT", "PATCH") or getattr(view_func, "checks_its_own_text", False):
            return None
        if request.content_type == "application/json":
            try:
                fields = json_strings(json.loads(request.body or b"null"))
            except ValueError:
                return None  # the view (DRF's parser) answers a malformed body
        else:
            fields = dict(request.POST.lists())
        errors = request_text_errors(fields)
        if not errors:
            return None
        error = DudaoError("；".join(f"{name}：{problem}" for name, problem in errors.items()), errors=errors)
        if "api" in request.resolver_match.namespaces:
            body = {"detail": str(error), "errors": error.field_errors()}
            return JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})
        return error_page(request, error)
