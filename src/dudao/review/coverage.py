"""Coverage (填报进度): per state counts and per school rows for a district or the city."""

from collections import Counter
from dataclasses import dataclass, field

from dudao.collection.workflows import workflows
from dudao.orgs.vocabulary import Level


@dataclass
class CoverageReport:
    states: list[tuple[str, str]]  # (state, label) in workflow order
    totals: Counter
    rows: list = field(default_factory=list)  # per school (district view) or per district (city view)
    total: int = 0
    final_count: int = 0

    @property
    def cells(self) -> list[int]:
        """Counts in workflow order (templates cannot index a Counter: ``totals.items`` would look up "items")."""
        return [self.totals.get(state, 0) for state, _ in self.states]


def coverage(campaign, org) -> CoverageReport:
    wf = workflows()[campaign.workflow]
    subs = list(campaign.submissions.filter(org__path__startswith=org.path).select_related("org__parent"))
    report = CoverageReport(states=list(wf.states.items()), totals=Counter(s.state for s in subs), total=len(subs))
    report.final_count = report.totals.get(wf.final, 0)
    if org.level == Level.CITY:
        by_district: dict = {}
        for s in subs:
            district = s.org.district or org  # units straight under the city (universities, 市属学校) count as its own
            entry = by_district.setdefault(district.code, {"org": district, "counts": Counter(), "total": 0})
            entry["counts"][s.state] += 1
            entry["total"] += 1
        for entry in by_district.values():
            entry["cells"] = [entry["counts"].get(state, 0) for state, _ in report.states]
            entry["done"] = entry["counts"].get(wf.final, 0)
        report.rows = sorted(by_district.values(), key=lambda e: e["org"].code)
    else:
        report.rows = [{"sub": s, "label": wf.label(s.state)} for s in subs]
    return report
