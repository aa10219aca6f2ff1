"""Sign-in throttling (登录限流): after ``MAX_FAILURES`` failed attempts within ``WINDOW`` for one user name — or
``MAX_FAILURES_PER_IP`` from one address, which stops spraying many names — further attempts are refused without
checking the password, until the window has passed. A success does not wipe the record (it is an audit trail) but
only failures after the last success count for that user name.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from dudao.orgs import selectors, services

MAX_FAILURES = 5
MAX_FAILURES_PER_IP = 30
WINDOW = timedelta(minutes=15)
LOCKED_MESSAGE = gettext_noop("登录失败次数过多，请 15 分钟后再试。")  # translated where shown (accounts.py)


def client_ip(request) -> str | None:
    """The peer address. Behind a reverse proxy, configure it to set REMOTE_ADDR (we do not trust X-Forwarded-For)."""
    return request.META.get("REMOTE_ADDR") or None


def is_locked(username: str, ip: str | None) -> bool:
    since = timezone.now() - WINDOW
    if selectors.failed_sign_ins(username, since) >= MAX_FAILURES:
        return True
    if not ip:
        return False
    return selectors.failed_sign_ins_from(ip, since) >= MAX_FAILURES_PER_IP


def record(username: str, ip: str | None, succeeded: bool) -> None:
    services.record_sign_in(username, ip, succeeded)
