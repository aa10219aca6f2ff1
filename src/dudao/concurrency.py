"""Optimistic concurrency (乐观锁): the one rule for "two people saved the same record".

Every editable record carries a ``version``. A page or API client reads it with the values, sends it back with the
save, and the write happens only if the record still has that version: one ``UPDATE … SET version = version + 1
WHERE pk = … AND version = <expected>``. Zero rows updated means someone else saved in between; the save is refused
(409) with a :class:`StaleEdit` that shows, per field that differs, what the other person saved and what this user
typed — so nothing is lost silently, and the user decides with both values in front of them.

Why a version and not a row lock: the two people read their forms minutes apart, in separate requests; a lock cannot
span that, a number carried in the form can. Why one module: every app (collection, plans, evaluation, compiling)
asks the same question, and the answer — and its wording — must be the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F
from django.utils.translation import gettext as _

from dudao.errors import CONFLICT, DudaoError

VERSION_FIELD = "version"


@dataclass(frozen=True)
class Difference:
    """One field the other person saved differently: its code (form field), label, their value and this user's."""

    field: str
    label: str
    theirs: str
    yours: str


class StaleEdit(DudaoError):
    """The record changed since the user read it (version ``expected``, now ``current``); nothing was saved.

    ``differences`` lists the fields where the stored value and the user's differ; ``errors`` maps each of those
    field codes to a sentence with both values, so a form shows it next to the field and the API returns it."""

    def __init__(
        self, what: str, differences: list[Difference], *, expected: int | None = None, current: int | None = None
    ) -> None:
        self.differences = differences
        self.expected, self.current = expected, current
        errors = {
            d.field: _("他人已保存为“%(theirs)s”，您填写的是“%(yours)s”") % {"theirs": d.theirs, "yours": d.yours}
            for d in differences
        }
        detail = "；".join(
            _("%(label)s：他人保存的是“%(theirs)s”，您填写的是“%(yours)s”")
            % {"label": d.label, "theirs": d.theirs or _("（空）"), "yours": d.yours or _("（空）")}
            for d in differences
        )
        message = _("%(what)s已被他人修改，您的保存未生效，请核对后再保存") % {"what": what}
        # no locator: the message names each field itself, and "version:" in front of it would only puzzle the user
        super().__init__(f"{message}。{detail}" if detail else message, status=CONFLICT, errors=errors)


def expected_version(raw: object) -> int:
    """The version a page or client sent (a hidden field, a JSON number; an entity tag such as ``"3"`` or ``W/"3"``
    is read too); a missing or malformed one is refused — a save that does not say what it read cannot be checked."""
    text = str(raw if raw is not None else "").strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or len(text) > 9:
        raise DudaoError(
            _("页面缺少版本号，请刷新后再改"), locator=VERSION_FIELD, errors={VERSION_FIELD: _("缺少版本号")}
        )
    return int(text)


def differences(
    labels: Mapping[str, str], theirs: Mapping[str, object], yours: Mapping[str, object]
) -> list[Difference]:
    """The fields of ``yours`` whose value differs from ``theirs`` (compared as stripped text), labelled."""
    found = []
    for code, mine in yours.items():
        stored = "" if theirs.get(code) is None else str(theirs.get(code)).strip()
        typed = "" if mine is None else str(mine).strip()
        if stored != typed:
            found.append(Difference(code, labels.get(code, code), stored, typed))
    return found


def refuse(
    what: str,
    expected: int,
    current: int,
    labels: Mapping[str, str],
    theirs: Mapping[str, object],
    yours: Mapping[str, object],
) -> StaleEdit:
    """The refusal for a save made from version ``expected`` of a record now at ``current``."""
    return StaleEdit(what, differences(labels, theirs, yours), expected=expected, current=current)


def advance(
    instance: models.Model,
    expected: int,
    *,
    what: str,
    labels: Mapping[str, str],
    yours: Mapping[str, object],
    theirs: Callable[[Any], Mapping[str, object]] | None = None,
) -> int:
    """Claim the next version of ``instance``'s row if it is still at ``expected``; else raise :class:`StaleEdit`.

    One conditional ``UPDATE`` (atomic on every backend: the row is write-locked by the update itself), so two saves
    from the same version cannot both pass. Call inside the transaction that then writes the new values; the
    instance's ``version`` is set to the claimed number, so its own ``save()`` keeps it. ``theirs(row)`` gives the
    stored values to show (default: the attributes named in ``yours``). Returns the new version."""
    model = type(instance)
    manager = model._default_manager
    claimed = manager.filter(pk=instance.pk, **{VERSION_FIELD: expected}).update(
        **{VERSION_FIELD: F(VERSION_FIELD) + 1}
    )
    if claimed == 0:
        fresh = manager.get(pk=instance.pk)
        stored = theirs(fresh) if theirs else {code: getattr(fresh, code) for code in yours}
        raise refuse(what, expected, getattr(fresh, VERSION_FIELD), labels, stored, yours)
    setattr(instance, VERSION_FIELD, expected + 1)
    return expected + 1


class Claims:
    """:func:`advance` for a form of several rows (one score per item, one weight per indicator): each row is claimed
    with its own expected version, every stale one is collected, and :meth:`check` refuses them all in one
    :class:`StaleEdit` — the user sees every field someone else changed, not only the first.

    A row whose stored value already equals the typed one is no conflict (both meant the same)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.stale: list[Difference] = []

    def claim(
        self,
        instance: models.Model,
        expected: int | None,
        *,
        field: str,
        label: str,
        yours: object,
        theirs: Callable[[Any], object],
    ) -> bool:
        """Claim ``instance``'s next version if it is still at ``expected``; False (and noted) if not. ``None``: the
        caller read no version (the demo, scripts) — the row is replaced as before, its version still counted."""
        if expected is None:
            setattr(instance, VERSION_FIELD, getattr(instance, VERSION_FIELD) + 1)
            return True
        manager = type(instance)._default_manager
        filtered = manager.filter(pk=instance.pk, **{VERSION_FIELD: expected})
        if filtered.update(**{VERSION_FIELD: F(VERSION_FIELD) + 1}):
            setattr(instance, VERSION_FIELD, expected + 1)
            return True
        fresh = manager.get(pk=instance.pk)
        self.stale.extend(differences({field: label}, {field: theirs(fresh)}, {field: yours}))
        setattr(instance, VERSION_FIELD, getattr(fresh, VERSION_FIELD))
        return False

    def check(self) -> None:
        if self.stale:
            raise StaleEdit(self.what, self.stale)


def versions_sent(data: Mapping[str, object], codes: list[str], prefix: str = "version_") -> dict[str, int]:
    """``{code: expected version}`` from a form's hidden ``version_<code>`` fields (0 for a row not stored yet);
    a code without its field is refused by :func:`expected_version`."""
    return {code: expected_version(data.get(f"{prefix}{code}")) for code in codes}
