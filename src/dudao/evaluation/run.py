"""Run a scheme for a period and an org scope: the one entry point for the CLI, the pages, the reports and the API.

Returns plain JSON-ready data (``dudao evaluate … --json`` prints it as is), so the page, the PDF and the API all
show the same numbers: a common header, then what the scheme's ``compute`` returns (see :mod:`.registry`).
"""

from __future__ import annotations

from . import registry
from .common import resolve


def evaluate(code: str, period_code: str, org_code: str | None = None) -> dict:
    scheme = registry.get(code)
    period, org = resolve(period_code, org_code)
    header = {
        "scheme": code,
        "name": scheme.spec["name"],
        "basis": scheme.spec.get("basis", ""),
        "period": period.code,
        "period_name": period.name,
        "org": {"code": org.code, "name": org.name, "level": org.level},
    }
    return {**header, **scheme.compute(scheme.spec, period, org)}
