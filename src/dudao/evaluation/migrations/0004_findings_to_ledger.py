"""Move 督政 整改事项 (Rectification + its Revisits) and thematic 跟踪整改 (FollowUp) into the follow-up ledger
(supervision.Finding + Step), the one place a finding's state lives from now on; the next migration drops the old
tables.

Status: 整改中 (open) → open; 已销号 (closed) → closed, its last step an accept (复查通过); 复查未通过 (reopened) →
returned, its last step a return. Each revisit becomes a re-check step (accept or return) dated on its visit day, with its note and
inspector. A resolved follow-up → closed with an accept step (the resolution, by whoever resolved it); an unresolved
one → open. No rectification step is invented: the old tables never recorded what the owner submitted.

:func:`move_rows` does the writes from plain dicts, so a test calls it directly without the old tables."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import migrations
from django.utils import timezone

RECTIFICATION_STATE = {"open": "open", "closed": "closed", "reopened": "returned"}
DUTY_THEME = "区人民政府履行教育职责综合督政"  # the 督政 scheme's name, if its catalog cannot be read


def _at(day: date) -> datetime:
    """Noon of ``day`` in the site's time zone: a revisit or a resolution was recorded as a day."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def _catalog(name: str) -> dict[str, Any]:
    try:
        import yaml

        with open(Path(settings.CATALOG_DIR) / "evaluations" / name, encoding="utf-8") as fh:
            found: dict[str, Any] = yaml.safe_load(fh) or {}
            return found
    except (OSError, ValueError, AttributeError):
        return {}


def rectification_plan(rect: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(ledger status, steps after the raise) of one 整改事项 with its ``revisits`` (oldest first)."""
    state, steps = "open", []
    for visit in rect["revisits"]:
        target = "closed" if visit["closed"] else "returned"
        steps.append(
            {
                "action": "accept" if visit["closed"] else "return",
                "from_state": state,
                "to_state": target,
                "by_id": visit["inspector_id"],
                "text": visit["note"],
                "at": _at(visit["visited_on"]),
            }
        )
        state = target
    final = RECTIFICATION_STATE[rect["status"]]
    ending = {"closed": ("accept", "原整改事项已销号（迁移）"), "returned": ("return", "原整改事项复查未通过（迁移）")}
    if final in ending and state != final:  # a status the revisits do not explain: its step, so the trail ends there
        action, text = ending[final]
        day = rect.get("closed_on") or rect["deadline"]
        steps.append(
            {"action": action, "from_state": state, "to_state": final, "by_id": None, "text": text, "at": _at(day)}
        )
    return final, steps


def follow_up_plan(up: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(ledger status, steps after the raise) of one 跟踪整改."""
    if up["resolved_on"] is None:
        return "open", []
    step = {
        "action": "accept",
        "from_state": "open",
        "to_state": "closed",
        "by_id": up["resolved_by_id"],
        "text": up["resolution"] or "回访已达标",
        "at": _at(up["resolved_on"]),
    }
    return "closed", [step]


def move_rows(
    rectifications: list[dict[str, Any]],
    follow_ups: list[dict[str, Any]],
    Finding: Any,
    Step: Any,
    Inspector: Any,
    fallback_user_id: int | None,
    duty_theme: str = DUTY_THEME,
    theme_names: dict[str, str] | None = None,
) -> list[Any]:
    """Write one ledger finding (with its steps) per old row; returns the findings, rectifications first."""
    theme_names = theme_names or {}
    inspectors = dict(Inspector.objects.filter(user__isnull=False).values_list("user_id", "pk"))
    rows = []
    for rect in rectifications:
        status, steps = rectification_plan(rect)
        author = rect["created_by_id"] or next((v["inspector_id"] for v in rect["revisits"] if v["inspector_id"]), None)
        rows.append(
            (
                {
                    "owner_id": rect["district_id"],
                    "source_kind": "duzheng",
                    "source_ref": f"{rect['period_code']}:{rect['item']}",
                    "theme": duty_theme,
                    "text": rect["finding"],
                    "deadline": rect["deadline"],
                    "created_by_id": author or fallback_user_id,
                },
                rect["created_at"],
                status,
                steps,
            )
        )
    for up in follow_ups:
        status, steps = follow_up_plan(up)
        rows.append(
            (
                {
                    "owner_id": up["school_id"],
                    "source_kind": "thematic",
                    "source_ref": f"visit-{up['visit_id']}:{up['item']}",
                    "theme": theme_names.get(up["theme"], up["theme"]),
                    "text": up["issue"],
                    "deadline": up["due"],
                    "created_by_id": up["inspector_id"] or fallback_user_id,
                },
                up["created_at"],
                status,
                steps,
            )
        )
    made = []
    for fields, created_at, status, steps in rows:
        if fields["created_by_id"] is None:
            raise RuntimeError("迁移整改事项需要至少一个用户作为提出人")
        closed = [s["at"] for s in steps if s["to_state"] == "closed"]
        finding = Finding.objects.create(
            **fields,
            status=status,
            version=1 + len(steps),
            inspector_id=inspectors.get(fields["created_by_id"]),
            closed_at=closed[-1] if status == "closed" else None,
        )
        Finding.objects.filter(pk=finding.pk).update(created_at=created_at)
        raised = Step.objects.create(
            finding=finding, action="raise", to_state="open", by_id=fields["created_by_id"], text=fields["text"]
        )
        Step.objects.filter(pk=raised.pk).update(at=created_at)
        for step in steps:
            at = step.pop("at")
            made_step = Step.objects.create(finding=finding, **step)
            Step.objects.filter(pk=made_step.pk).update(at=at)
        made.append(finding)
    return made


def forwards(apps, schema_editor):
    Rectification = apps.get_model("evaluation", "Rectification")
    FollowUp = apps.get_model("evaluation", "FollowUp")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    if not Rectification.objects.exists() and not FollowUp.objects.exists():
        return
    rects = [
        {
            "district_id": r.district_id,
            "period_code": r.period.code,
            "item": r.item,
            "finding": r.finding,
            "deadline": r.deadline,
            "status": r.status,
            "created_by_id": r.created_by_id,
            "created_at": r.created_at,
            "closed_on": r.closed_on,
            "revisits": [
                {"visited_on": v.visited_on, "inspector_id": v.inspector_id, "closed": v.closed, "note": v.note}
                for v in r.revisits.order_by("visited_on", "pk")
            ],
        }
        for r in Rectification.objects.select_related("period").order_by("pk")
    ]
    ups = [
        {
            "school_id": f.visit.school_id,
            "visit_id": f.visit_id,
            "theme": f.visit.theme,
            "inspector_id": f.visit.inspector_id,
            "created_at": f.visit.created_at,
            "item": f.item,
            "issue": f.issue,
            "due": f.due,
            "resolved_on": f.resolved_on,
            "resolution": f.resolution,
            "resolved_by_id": f.resolved_by_id,
        }
        for f in FollowUp.objects.select_related("visit").order_by("pk")
    ]
    fallback = User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.order_by("pk").first()
    themes = {code: t.get("name", code) for code, t in (_catalog("thematic.yaml").get("themes") or {}).items()}
    move_rows(
        rects,
        ups,
        apps.get_model("supervision", "Finding"),
        apps.get_model("supervision", "Step"),
        apps.get_model("supervision", "Inspector"),
        fallback.pk if fallback else None,
        _catalog("district_duty.yaml").get("name") or DUTY_THEME,
        themes,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0003_merge_0002_record_versions_0002_text_max_length"),
        ("supervision", "0003_visits"),
    ]

    # backwards leaves the ledger's rows where they are (the old tables come back empty)
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
