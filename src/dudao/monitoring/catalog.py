"""The 质量监测 catalogs (``catalog/monitoring/*.yaml``) and the pure rules read from them: a year's subjects by the
national rotation, the schedule from the 监测日, and which schools offer a programme."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "monitoring"


@cache
def spec(kind: str) -> dict[str, Any]:
    with open(CATALOG / f"{kind}.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def subjects_of(year: int) -> tuple[list[str], str]:
    """The 学科领域 monitored in ``year`` and the 方案 that says so: position ``(year - from) mod 3`` of the cycle of
    the 方案 in force that year. ([], "") for a year before the national monitoring began."""
    for rotation in spec("national")["rotations"]:
        if rotation["from"] <= year <= rotation["to"]:
            cycle = rotation["cycle"]
            return list(cycle[(year - rotation["from"]) % len(cycle)]), rotation["source"]
    return [], ""


def schedule(kind: str, test_day: date) -> list[tuple[str, str, date]]:
    """(code, name, due date) of each schedule entry, from its offset in days to the 监测日."""
    return [(e["code"], e["name"], test_day + timedelta(days=e["offset"])) for e in spec(kind)["schedule"]]


def checklist(kind: str) -> list[tuple[str, str]]:
    return [(s["code"], s["name"]) for s in spec(kind)["checklist"]]


def programmes() -> dict[str, str]:
    return {p["code"]: p["name"] for p in spec("vocational")["programmes"]}


def offering(programme: str) -> list[str]:
    """The codes of the schools that offer ``programme``, in code order."""
    return sorted(code for code, offered in spec("vocational")["offerings"].items() if programme in offered)
