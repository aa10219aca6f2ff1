"""One error shape for every API answer: ``{"detail": "...", "errors": {"field": "message"}}``.

A :class:`~dudao.errors.DudaoError` from the domain answers with its own status and message, so the API says exactly
what the page says."""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from dudao.errors import DudaoError


def _flatten(value) -> str:
    if isinstance(value, dict):
        return "；".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "；".join(_flatten(v) for v in value)
    return str(value)


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DudaoError):
        body: dict = {"detail": str(exc)}
        if exc.errors:
            body["errors"] = exc.field_errors()
        return Response(body, status=exc.status)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": "请求数据有误", "errors": {str(k): _flatten(v) for k, v in detail.items()}}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    else:
        response.data = {"detail": _flatten(response.data)}
    return response
