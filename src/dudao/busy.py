"""A busy database answers 503 + Retry-After (服务繁忙), not a hanging request and then a 500.

SQLite has one write lock for the whole file. A page request queues for it at most the busy timeout (a few seconds,
``DUDAO_SQLITE_TIMEOUT``); if another process still holds it then — a long import, a backup, a stuck worker — SQLite
raises ``OperationalError: database is locked``. That is not a bug in the request but a temporary state of the
server, so the answer is 503 with ``Retry-After``: the browser shows the 503 page, an API client or proxy may retry.

This is Django's ``handler500`` (``dudao.urls``) rather than a middleware, because the lock can be met anywhere —
in a view, or in a middleware after it (the session being saved) — and Django turns every such exception into a call
of ``handler500`` inside its ``except`` block, where the exception is still ``sys.exc_info()``. Anything else gets
Django's own 500 page unchanged.
"""

from __future__ import annotations

import logging
import sys

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views import defaults

logger = logging.getLogger("dudao.busy")

RETRY_AFTER_SECONDS = 5
LOCKED_MESSAGES = ("database is locked", "database table is locked")


def is_lock_timeout(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it was raised from) is SQLite giving up waiting for the write lock."""
    while exc is not None:
        if isinstance(exc, OperationalError) or type(exc).__name__ == "OperationalError":
            if any(text in str(exc).lower() for text in LOCKED_MESSAGES):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def _is_api(request) -> bool:
    try:  # the API's URLconf ends in a catch-all, so every path under it resolves into its namespace
        return resolve(request.path_info).namespace == "api"
    except Resolver404:
        return False


def server_error(request, template_name: str = defaults.ERROR_500_TEMPLATE_NAME):
    exc = sys.exc_info()[1]
    if not is_lock_timeout(exc):
        return defaults.server_error(request, template_name)
    logger.warning("database busy, answered 503: %s %s (%s)", request.method, request.path, exc)
    if _is_api(request):
        response: HttpResponse = JsonResponse({"detail": gettext("服务繁忙，请稍后重试。")}, status=503)
    elif request.headers.get("HX-Request"):
        response = HttpResponse(
            gettext("服务繁忙，未保存，请稍后重试。"), status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        # like the 500 page: rendered without the request, so nothing on it needs the database
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
