"""API tokens (接口令牌) with a life: each expires ``DUDAO_API_TOKEN_DAYS`` after it was issued, its owner can rotate
it (the old key stops working at once), and its last use is recorded.

Storage is DRF's ``authtoken.Token`` (one per user, ``created`` = issued); a rotation deletes the row and creates a
new one, so no old key survives anywhere. The last use (:class:`~dudao.api.models.TokenUse`) is written at most once
a minute per token: authentication reads it with the token (one query) and writes only when it is older than
:data:`USE_RESOLUTION`, so a script polling the API does not turn every GET into a database write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from .models import TokenUse

if TYPE_CHECKING:
    from django.contrib.auth.models import User

USE_RESOLUTION = timedelta(minutes=1)


def lifetime() -> timedelta:
    return timedelta(days=settings.DUDAO_API_TOKEN_DAYS)


def expires_at(token: Token) -> datetime:
    return token.created + lifetime()


def is_expired(token: Token, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= expires_at(token)


@dataclass(frozen=True)
class TokenInfo:
    """What the account page shows: never the key itself (it is shown once, when issued)."""

    created: datetime
    expires: datetime
    expired: bool
    last_used: datetime | None


def info(user: User) -> TokenInfo | None:
    token = Token.objects.filter(user=user).select_related("use").first()  # reverse one-to-one (TokenUse.token)
    if token is None:
        return None
    use = getattr(token, "use", None)
    return TokenInfo(token.created, expires_at(token), is_expired(token), use.last_used if use else None)


def issue(user: User) -> Token:
    """The user's token if it is still valid, else a new one (an expired token is replaced, never handed out)."""
    token = Token.objects.filter(user=user).first()
    if token is not None and not is_expired(token):
        return token
    return rotate(user)


def rotate(user: User) -> Token:
    """A new key for ``user``; the previous one (if any) is deleted in the same transaction and fails from now on."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def touch(token: Token, now: datetime | None = None) -> None:
    """Record a use, unless one was recorded less than :data:`USE_RESOLUTION` ago (read with the token)."""
    now = now or timezone.now()
    use = getattr(token, "use", None)
    if use is not None and now - use.last_used < USE_RESOLUTION:
        return
    if use is None:
        try:
            with transaction.atomic():
                TokenUse.objects.create(token=token, last_used=now)
            return
        except IntegrityError:  # a parallel request recorded the first use
            pass
    TokenUse.objects.filter(token=token, last_used__lt=now - USE_RESOLUTION).update(last_used=now)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` as in DRF, refused with 401 once the token has expired; records the use."""

    def authenticate_credentials(self, key):
        token = Token.objects.select_related("user", "use").filter(key=key).first()
        if token is None:
            raise AuthenticationFailed(gettext("令牌无效。"))
        if not token.user.is_active:
            raise AuthenticationFailed(gettext("用户已停用。"))
        if is_expired(token):
            raise AuthenticationFailed(gettext("令牌已过期，请重新获取或在“接口令牌”页面更换。"))
        touch(token)
        return (token.user, token)
