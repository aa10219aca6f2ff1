"""The checklists a visit is recorded against: the routine items (catalog/supervision/checklists.yaml) and the
thematic inspection's themes (catalog/evaluations/thematic.yaml — read as a file, the same catalog the thematic
scheme reads, since this app sits below evaluation and may not import it).

One place judges an answer: :func:`clean` turns the posted answers into what is stored and :func:`unmet` lists the
items that become findings."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from dudao.errors import UNPROCESSABLE, DudaoError
from dudao.inputs import parse_number

ROUTINE = "routine"
THEMATIC = "thematic"


@cache
def _load(relative: str) -> dict[str, Any]:
    with open(Path(settings.CATALOG_DIR) / relative, encoding="utf-8") as fh:
        spec: dict[str, Any] = yaml.safe_load(fh)
    return spec


def routine() -> dict[str, Any]:
    return _load("supervision/checklists.yaml")


def thematic() -> dict[str, Any]:
    return _load("evaluations/thematic.yaml")


def themes() -> list[tuple[str, str]]:
    """(code, name) of each theme of the thematic inspection."""
    return [(code, theme["name"]) for code, theme in thematic()["themes"].items()]


def checklist(kind: str, theme: str = "") -> tuple[str, list[dict[str, Any]], int]:
    """(name, items, follow-up days) of the checklist a visit of ``kind`` (and ``theme``) answers."""
    if kind == ROUTINE:
        spec = routine()
        return spec["name"], spec["items"], spec["follow_up_days"]
    if kind == THEMATIC:
        spec = thematic()
        if theme not in spec["themes"]:
            raise DudaoError(
                _("未知的督导主题"), locator="theme", status=UNPROCESSABLE, errors={"theme": _("未知的督导主题")}
            )
        found = spec["themes"][theme]
        return found["name"], found["items"], spec["follow_up_days"]
    raise DudaoError(_("访校类型无效"), locator="kind", status=UNPROCESSABLE, errors={"kind": _("访校类型无效")})


TRUE = (True, "1", "true", "on", "yes", "是")
FALSE = (False, None, "", "0", "false", "off", "no", "否")


def clean(items: list[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """Answers as stored: a bool for a checkbox item, a number (or ``None``, unanswered) for a number item."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in items:
        value = raw.get(item["code"])
        if item["type"] == "bool":
            if value in TRUE:
                answers[item["code"]] = True
            elif value in FALSE:
                answers[item["code"]] = False
            else:
                errors[item["code"]] = _("应为“是”或“否”")
        else:
            try:
                number = parse_number(value, field=item["code"], minimum=0)
            except DudaoError as exc:
                errors[item["code"]] = exc.message
                continue
            answers[item["code"]] = None if number is None else float(number)
    if errors:
        raise DudaoError(next(iter(errors.values())), status=UNPROCESSABLE, errors=errors)
    return answers


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return _("未填") if value is None else f"{value:g}"


def met(item: dict[str, Any], value: Any) -> bool | None:
    """Whether one answer meets its item: a checkbox when ticked, a number when it reaches ``min``; ``None`` for an
    unanswered number item (not judged). The one rule visits, the thematic scheme's statistics and the ledger use."""
    if item["type"] == "bool":
        return value is True
    if value is None:
        return None
    return float(value) >= item["min"]


def unmet(items: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The items the visit found not met (an unanswered number item is not judged)."""
    return [item for item in items if met(item, answers.get(item["code"])) is False]
