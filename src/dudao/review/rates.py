"""Reporting rates (完成率与及时率) of a campaign, per district and per school — DHIS2's reporting rates.

Three shares, read off the campaign's own workflow so that every workflow (school, district, direct, …) counts alike:

* *submitted* (已提交) — the submission reached the state its submit step leads to, or any state beyond it;
* *approved* (已核准) — it is in a locked state (a principal vouched for it; what analytics and reports use);
* *accepted* (已确认) — it reached the workflow's final state.

Timeliness compares the time of the latest submit step (a :class:`Transition`) with ``campaign.closes_at``: on time
(按时) or late (逾期); a unit that has not submitted once the campaign closed is overdue (逾期未交). A submission sent
back and submitted again counts with its last submission, as DHIS2 counts a form completed again.

Units directly under the city (universities, 市属学校) have no district: the city view counts them in a row of
their own under the city and lists them school by school, since no district page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from dudao.collection.workflows import Workflow, workflows
from dudao.orgs.vocabulary import Level
from dudao.rounding import half_up

from .models import Transition

if TYPE_CHECKING:
    from dudao.collection.models import Campaign, Submission
    from dudao.orgs.models import OrgUnit


def submit_targets(wf: Workflow) -> frozenset[str]:
    """States a submit step leads to: out of an editable state into a non-editable one."""
    return frozenset(s.target for s in wf.steps if set(s.sources) & wf.editable and s.target not in wf.editable)


def submitted_states(wf: Workflow) -> frozenset[str]:
    """At or beyond a submit target; a workflow without one (imported statistics) only counts its final state."""
    targets = submit_targets(wf)
    if not targets:
        return frozenset({wf.final})
    return frozenset().union(*(wf.at_or_beyond(t) for t in targets))


@dataclass
class Rate:
    """Counts for one unit (a district, the city's own units, one school) or for the whole scope."""

    org: Any
    total: int = 0
    submitted: int = 0
    approved: int = 0
    accepted: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # not submitted, campaign closed

    def add(self, other: Rate) -> None:
        for name in ("total", "submitted", "approved", "accepted", "on_time", "late", "overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def share(self, count: int) -> Decimal | None:
        return half_up(Decimal(count) * 100 / self.total, 1) if self.total else None

    @property
    def submitted_pct(self) -> Decimal | None:
        return self.share(self.submitted)

    @property
    def approved_pct(self) -> Decimal | None:
        return self.share(self.approved)

    @property
    def accepted_pct(self) -> Decimal | None:
        return self.share(self.accepted)

    @property
    def on_time_pct(self) -> Decimal | None:
        return self.share(self.on_time)


@dataclass
class SchoolRate(Rate):
    sub: Any = None
    state_label: str = ""
    submitted_at: datetime | None = None
    timeliness: str = ""  # "on_time" | "late" | "overdue" | "" (not due yet, or no submit step recorded)

    @property
    def code(self) -> str:
        return self.org.code

    @property
    def name(self) -> str:
        return self.org.name

    @property
    def state(self) -> str:
        return self.sub.state

    @property
    def progress(self) -> int:
        """How far along (0 draft/returned … 3 accepted): what "sort by state" orders by, not the label's spelling."""
        return self.submitted + self.approved + self.accepted


@dataclass
class Rates:
    campaign: Any
    org: Any
    closed: bool
    totals: Rate
    groups: list[Rate] = field(default_factory=list)  # per district (city view); empty for a district
    schools: list[SchoolRate] = field(default_factory=list)  # every unit in scope, by code
    direct: list[SchoolRate] = field(default_factory=list)  # city view: units with no district

    @property
    def laggards(self) -> list[SchoolRate]:
        return [s for s in self.schools if not s.submitted]


def school_rate(sub: Submission, wf: Workflow, submitted_at: datetime | None, closes_at: datetime, now: datetime):
    row = SchoolRate(org=sub.org, total=1, sub=sub, state_label=wf.label(sub.state), submitted_at=submitted_at)
    if sub.state in submitted_states(wf):
        row.submitted = 1
        if submitted_at is not None:
            if submitted_at <= closes_at:
                row.on_time, row.timeliness = 1, "on_time"
            else:
                row.late, row.timeliness = 1, "late"
    elif now > closes_at:
        row.overdue, row.timeliness = 1, "overdue"
    row.approved = int(sub.state in wf.locked)
    row.accepted = int(sub.state == wf.final)
    return row


def submit_times(campaign: Campaign, org: OrgUnit, wf: Workflow) -> dict[int, datetime]:
    """Per submission id, when it was last submitted (the latest transition into a submit target)."""
    rows = Transition.objects.filter(
        submission__campaign=campaign,
        submission__org__path__startswith=org.path,
        to_state__in=submit_targets(wf),
    ).values_list("submission_id", "at")
    times: dict[int, datetime] = {}
    for pk, at in rows.order_by("at", "id"):
        times[pk] = at
    return times


def rates(campaign: Campaign, org: OrgUnit, now: datetime | None = None) -> Rates:
    """The reporting rates of ``campaign`` in ``org``'s subtree (a district, or the city with a row per district)."""
    now = now or timezone.now()
    wf = workflows()[campaign.workflow]
    subs = campaign.submissions.filter(org__path__startswith=org.path).select_related("org__parent__parent")
    times = submit_times(campaign, org, wf)
    report = Rates(campaign=campaign, org=org, closed=now > campaign.closes_at, totals=Rate(org=org))
    by_group: dict[str, Rate] = {}
    for sub in subs.order_by("org__code"):
        row = school_rate(sub, wf, times.get(sub.pk), campaign.closes_at, now)
        report.schools.append(row)
        report.totals.add(row)
        if org.level == Level.CITY:
            district = sub.org.district
            if district is None:  # straight under the city: no district page lists it
                report.direct.append(row)
            group = district or org
            by_group.setdefault(group.code, Rate(org=group)).add(row)
    report.groups = [by_group[code] for code in sorted(by_group)]
    return report
