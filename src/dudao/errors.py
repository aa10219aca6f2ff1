"""The one error type (错误) every layer raises for something the user can fix or must be told.

A :class:`DudaoError` carries the sentence the user reads, where the problem is when that is known (a form field, an
Excel cell such as ``数据!E7``, a plan line) and the HTTP status the web answers with. Domain code raises it and
never thinks about the surface; the surfaces map it once each:

* pages: :class:`dudao.middleware.DudaoErrorMiddleware` renders ``error.html`` with the status (views that show the
  message next to a field catch it themselves and render the form again);
* API: ``dudao.api.errors.handle`` answers ``{"detail": message, "errors": {...}}`` with the status;
* commands: :func:`command_errors` turns it into Django's ``CommandError`` (exit code 1, no traceback).

So a ``DudaoError`` never becomes a 500, and a bad value never reaches the user as a debug page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
CONFLICT = 409
UNPROCESSABLE = 422


class DudaoError(Exception):
    """Something the user did or asked for cannot be done; ``message`` says why, in words for the user.

    ``locator`` points at the place (field code, ``Sheet!A1`` cell, ``第 12 行``); ``errors`` holds several problems at
    once — field code → message for a form, or a list of located messages for a file import — so one answer can list
    every bad cell instead of the first.
    """

    def __init__(
        self,
        message: str,
        *,
        locator: str = "",
        status: int = BAD_REQUEST,
        errors: Mapping[str, str] | Sequence[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.locator = locator
        self.status = status
        self.errors: Mapping[str, str] | Sequence[str] = errors if errors is not None else {}

    def __str__(self) -> str:
        return f"{self.locator}: {self.message}" if self.locator else self.message

    def messages(self) -> list[str]:
        """Every problem as a sentence for a list: the several ``errors``, or the one message."""
        return list(self.field_errors().values()) or [str(self)]

    def field_errors(self) -> dict[str, str]:
        """The problems as field → message (a list of located messages becomes ``{"1": …, "2": …}``)."""
        if isinstance(self.errors, Mapping):
            return {str(k): str(v) for k, v in self.errors.items()}
        return {str(n): str(v) for n, v in enumerate(self.errors, 1)}


def forbidden(message: str, **kwargs: Any) -> DudaoError:
    return DudaoError(message, status=FORBIDDEN, **kwargs)


def conflict(message: str, **kwargs: Any) -> DudaoError:
    return DudaoError(message, status=CONFLICT, **kwargs)


def not_found(message: str, **kwargs: Any) -> DudaoError:
    return DudaoError(message, status=NOT_FOUND, **kwargs)


@contextmanager
def command_errors() -> Iterator[None]:
    """Inside a management command: a :class:`DudaoError` ends the command with its message (exit 1), not a trace."""
    from django.core.management.base import CommandError

    try:
        yield
    except DudaoError as exc:
        raise CommandError(str(exc)) from None
