"""Sign-in throttling (登录限流): after ``MAX_FAILURES`` failed attempts within ``WINDOW`` for one user name — or
``MAX_FAILURES_PER_IP`` from one address, which stops spraying many names — further attempts are refused without
checking the password, until ``WINDOW`` has passed since the count began. A success clears the name's count (only
failures after the last success count against it); every attempt stays in the audit trail (``LoginAttempt``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from dudao.orgs import services

MAX_FAILURES = 5
MAX_FAILURES_PER_IP = 30
WINDOW = timedelta(minutes=15)
LOCKED_MESSAGE = gettext_noop("登录失败次数过多，请 15 分钟后再试。")  # translated where shown (accounts.py)


def client_ip(request) -> str | None:
    """The peer address. Behind a reverse proxy, configure it to set REMOTE_ADDR (we do not trust X-Forwarded-For)."""
    return request.META.get("REMOTE_ADDR") or None


def _keys(username: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"user:{username[:150]}", MAX_FAILURES)]
    if ip:
        keys.append((f"ip:{ip}", MAX_FAILURES_PER_IP))
    return keys


def begin_attempt(username: str, ip: str | None) -> bool:
    """Take a slot for one attempt, before the password is checked; ``False`` = locked, refuse without checking.

    Checking "fewer than 5 failures?" and recording the failure afterwards let 30 parallel wrong passwords all pass
    the check; here the attempt is counted as a failure in the same step that checks the count (a conditional
    update, :func:`dudao.orgs.services.take_sign_in_slots`), and :func:`end_attempt` gives it back on success."""
    return services.take_sign_in_slots(_keys(username, ip), timezone.now() - WINDOW)


def end_attempt(username: str, ip: str | None, succeeded: bool) -> None:
    """The password was checked: keep the audit record; a success clears the name's count and frees the address's
    slot."""
    keys = [key for key, _ in _keys(username, ip)]
    services.settle_sign_in_slots(keys, succeeded, reset=keys[:1])
    services.record_sign_in(username, ip, succeeded)
