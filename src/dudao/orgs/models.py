"""Org units (组织机构), their groups, and who holds which role where.

The tree is city → district → school (departments hang under the city). Each unit stores a materialised ``path`` of
codes so that "this unit and everything under it" is one indexed ``startswith`` query — the question every
permission check and every roll-up asks.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .vocabulary import Level, Role


class OrgUnit(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False)
    groups = models.ManyToManyField("orgs.OrgGroup", blank=True, related_name="units", verbose_name=_("分组"))

    class Meta:
        ordering = ["path"]
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "/") + self.code + "/"
        super().save(*args, **kwargs)

    def is_within(self, other: "OrgUnit") -> bool:
        """True when ``self`` is ``other`` or lies in its subtree."""
        return self.path.startswith(other.path)

    @property
    def district(self) -> "OrgUnit | None":
        node: OrgUnit | None = self
        while node is not None and node.level != Level.DISTRICT:
            node = node.parent
        return node

    def group_name(self, group_set: str) -> str:
        for group in self.groups.all():
            if group.group_set.code == group_set:
                return group.name
        return ""


class OrgGroupSet(models.Model):
    """A way to slice units, e.g. 学校类型 or 隶属; each unit belongs to at most one group of a set."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.name


class OrgGroup(models.Model):
    group_set = models.ForeignKey(OrgGroupSet, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField()
    name = models.CharField(max_length=64)

    class Meta:
        unique_together = [("group_set", "code")]

    def __str__(self) -> str:
        return f"{self.group_set.name}: {self.name}"


class Membership(models.Model):
    """A role held at an org unit; it applies to the unit's whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        unique_together = [("user", "org", "role")]
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")

    def __str__(self) -> str:
        return f"{self.user} @ {self.org.name}: {self.get_role_display()}"


class LoginAttempt(models.Model):
    """One sign-in attempt (web form or API token); failures drive the lock-out in :mod:`dudao.security`.

    Stored in the database rather than a per-process cache so that every server worker sees the same count."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")


class SignInCounter(models.Model):
    """Failed sign-ins counted per key (``user:<name>`` or ``ip:<address>``) since ``since`` — the throttle's state.

    :class:`LoginAttempt` is the audit trail; this is what the lock-out decides on, because a count of attempt rows
    cannot be checked and increased in one step: parallel attempts would all read "4 failures" and all pass. One row
    per key is taken with a conditional ``UPDATE … SET failures = failures + 1 WHERE failures < limit``, which every
    database applies atomically (see :func:`dudao.orgs.services.take_sign_in_slots`)."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    since = models.DateTimeField()

    class Meta:
        verbose_name = _("登录限流计数")
        verbose_name_plural = _("登录限流计数")
