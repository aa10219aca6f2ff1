"""Writes of 质量监测: create a campaign, draw its sample, tell the sampled schools and districts, and each school's
checklist steps.

Who does what: a 市管理员 of the city creates a campaign, draws and notifies; the principal or the 采集员 of a
sampled school confirms its steps. Every function runs in one transaction and raises
:class:`~dudao.errors.DudaoError` naming the field the user can fix.

The sample is drawn with :func:`dudao.supervision.services.seeded_draw` — the one rule of a replayable draw — once
per stratum (national: each 样本县 × 小学/初中; vocational: each programme) with the seed ``<campaign seed>/<district
code>/<stratum>`` (vocational ``<campaign seed>/<programme>``), so a stratum's draw does not depend on the others and
anyone can replay any one of them from the campaign's seed and the population rule in the catalog.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao import concurrency
from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind as NoticeKind
from dudao.orgs import selectors as orgs
from dudao.orgs.access import has_role, holders
from dudao.orgs.vocabulary import Level, Role
from dudao.supervision.services import seeded_draw

from . import catalog
from .models import Campaign, Confirmation, SampledSchool, ScheduleEntry
from .vocabulary import STEP_STATE, Kind

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

CONFIRM_ROLES = (Role.PRINCIPAL, Role.COLLECTOR)
QUOTA_MAX = 50


def _invalid(field: str, message: str) -> DudaoError:
    return DudaoError(message, locator=field, status=UNPROCESSABLE, errors={field: message})


def may_create(user: Any) -> bool:
    root = orgs.city()
    return root is not None and has_role(user, root, Role.CITY_ADMIN)


def draw(seed: str, strata: Iterable[tuple[str, list[str], int]]) -> dict[str, list[str]]:
    """The sample of each stratum ``(key, population codes, quota)``: ``quota`` of the codes drawn with the seed
    ``<seed>/<key>``; a population at or below its quota is taken whole. Pure, so a test replays it by hand."""
    return {key: seeded_draw(codes, quota, f"{seed}/{key}") for key, codes, quota in strata}


@transaction.atomic
def create_campaign(
    by: Any,
    kind: str,
    year: int,
    test_day: date,
    *,
    districts: Iterable[OrgUnit] = (),
    programmes: Iterable[str] = (),
    quota: int | None = None,
    seed: str | None = None,
) -> Campaign:
    """A campaign with its schedule (catalog offsets from the 监测日). National: the year's subjects by the rotation
    and the 样本县 the national centre named (``districts``); vocational: the chosen programmes and the schools per
    programme (``quota``, default the catalog's)."""
    if not may_create(by):
        raise forbidden(_("只有市管理员可以组织质量监测"))
    if kind not in Kind.values:
        raise _invalid("kind", _("未知的监测类型"))
    if not isinstance(year, int) or not 2015 <= year <= 2100:
        raise _invalid("year", _("年度应为2015至2100"))
    if test_day.year != year:
        raise _invalid("test_day", _("监测日应在监测年度内"))
    seed = (seed or "").strip()[:40] or str(secrets.randbits(64))
    chosen_districts: list[OrgUnit] = []
    subjects: list[str] = []
    codes: list[str] = []
    if kind == Kind.NATIONAL:
        subjects, _source = catalog.subjects_of(year)
        chosen_districts = sorted({d.pk: d for d in districts if d.level == Level.DISTRICT}.values(), key=str)
        if not chosen_districts:
            raise _invalid("districts", _("请选择样本区"))
        title = _("%(year)d年国家义务教育质量监测") % {"year": year}
        quota = 0
    else:
        known = catalog.programmes()
        codes = [c for c in dict.fromkeys(programmes) if c]
        if not codes or any(c not in known for c in codes):
            raise _invalid("programmes", _("请选择目录中的专业"))
        quota = catalog.spec("vocational")["default_quota"] if quota is None else quota
        if not isinstance(quota, int) or not 0 < quota <= QUOTA_MAX:
            raise _invalid("quota", _("每个专业抽取学校数应为1至%(max)d") % {"max": QUOTA_MAX})
        title = _("%(year)d年中职专业教学质量监测（%(names)s）") % {
            "year": year,
            "names": "、".join(known[c] for c in codes),
        }
    campaign = Campaign.objects.create(
        kind=kind,
        year=year,
        title=title[:100],
        subjects=subjects,
        programmes=codes,
        quota=quota,
        seed=seed,
        test_day=test_day,
        created_by=by,
    )
    campaign.districts.set(chosen_districts)
    ScheduleEntry.objects.bulk_create(
        ScheduleEntry(campaign=campaign, code=code, name=name, due=due)
        for code, name, due in catalog.schedule(kind, test_day)
    )
    return campaign


def strata(campaign: Campaign) -> list[tuple[str, str, OrgUnit | None, list[OrgUnit], int]]:
    """(key, name, district, population in code order, quota) of each stratum of ``campaign`` — the populations the
    sample is drawn from, read from the org tree (national: 学校类型 groups) or the programme catalog (vocational)."""
    found: list[tuple[str, str, OrgUnit | None, list[OrgUnit], int]] = []
    if campaign.kind == Kind.NATIONAL:
        for district in campaign.districts.order_by("code"):
            for stratum in catalog.spec("national")["strata"]:
                units = orgs.in_groups(orgs.schools_under(district), "school_type", stratum["school_types"])
                population = list(units.order_by("code").distinct())
                found.append(
                    (f"{district.code}/{stratum['code']}", stratum["name"], district, population, stratum["quota"])
                )
    else:
        names = catalog.programmes()
        schools = {u.code: u for u in orgs.schools_under()}
        for code in campaign.programmes:
            population = [schools[c] for c in catalog.offering(code) if c in schools]
            found.append((code, names.get(code, code), None, population, campaign.quota))
    return found


@transaction.atomic
def draw_sample(campaign: Campaign, by: Any) -> list[SampledSchool]:
    """Draw the campaign's schools, once: a second draw would change a sample the schools were already told of."""
    if not may_create(by):
        raise forbidden(_("只有市管理员可以抽取样本校"))
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.drawn_at is not None:
        raise conflict(_("本次监测已抽取样本校"))
    layers = strata(locked)
    chosen = draw(locked.seed, [(key, [u.code for u in units], quota) for key, _n, _d, units, quota in layers])
    rows = []
    for key, name, district, units, _quota in layers:
        by_code = {u.code: u for u in units}
        stratum = key.rsplit("/", 1)[-1]
        for code in chosen[key]:
            school = by_code[code]
            rows.append(
                SampledSchool(
                    campaign=locked,
                    school=school,
                    district=district or school.parent,
                    stratum=stratum,
                    stratum_name=name,
                )
            )
    SampledSchool.objects.bulk_create(rows)
    locked.drawn_at = timezone.now()
    locked.save(update_fields=["drawn_at"])
    campaign.drawn_at = locked.drawn_at
    return list(locked.sampled.select_related("school", "district"))


def notify_sampled(campaign: Campaign, by: Any) -> int:
    """Tell each sampled school's principals (a link to the school's task page) and each district's reviewers (the
    campaign page). Keyed per campaign and unit, so running it again tells nobody twice. Returns how many were told."""
    if not may_create(by):
        raise forbidden(_("只有市管理员可以发送监测通知"))
    dates = "；".join(f"{e.name} {e.due:%Y-%m-%d}" for e in campaign.schedule.all())
    return _tell(
        campaign,
        lambda school: (
            _("%(school)s被抽为%(title)s样本校") % {"school": school.name, "title": campaign.title},
            _("请按时间表完成准备并在平台确认：%(dates)s") % {"dates": dates},
        ),
        (
            _("%(title)s：本区样本校名单") % {"title": campaign.title},
            _("请督促本区样本校按时间表完成准备：%(dates)s") % {"dates": dates},
        ),
        key=f"monitoring:{campaign.pk}",
    )


def _tell(
    campaign: Campaign,
    to_school: Callable[[OrgUnit], tuple[str, str]],
    to_district: tuple[str, str],
    key: str,
) -> int:
    """The one list of who hears about a campaign: each sampled school's principals (linked to its task page) and
    each 样本区's reviewers (linked to the campaign), keyed ``<key>:<unit pk>`` so a repeat tells nobody twice.
    Returns how many were told."""
    told = 0
    districts: dict[int, OrgUnit] = {}
    for sampled in campaign.sampled.select_related("school", "district"):
        districts[sampled.district_id] = sampled.district
        title, body = to_school(sampled.school)
        told += len(
            notify(
                holders(sampled.school, [Role.PRINCIPAL], nearest=True),
                NoticeKind.REMINDER,
                title,
                body,
                reverse("monitoring:task", args=[sampled.pk]),
                key=f"{key}:{sampled.school_id}",
            )
        )
    for district in districts.values():
        told += len(
            notify(
                holders(district, [Role.DISTRICT_REVIEWER], nearest=True),
                NoticeKind.REMINDER,
                *to_district,
                reverse("monitoring:campaign", args=[campaign.pk]),
                key=f"{key}:{district.pk}",
            )
        )
    return told


@transaction.atomic
def move_date(entry: ScheduleEntry, due: date, by: Any, version: int, reason: str) -> ScheduleEntry:
    """The 市管理员 moves one date of the schedule (the centre postponed the test, a training was rescheduled) and
    says why; the sampled schools' principals and the districts' reviewers are told of the change — each move once.
    Moving the 现场测试 date moves the campaign's 监测日, which must stay in the monitoring year; the other dates keep
    their days (the centre's notices move them one by one, and the city repeats what the centre says)."""
    if not may_create(by):
        raise forbidden(_("只有市管理员可以调整监测时间安排"))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("请填写调整原因"))
    campaign = entry.campaign
    if entry.code == "test" and due.year != campaign.year:
        raise _invalid("due", _("监测日应在监测年度内"))
    before = entry.due
    concurrency.advance(entry, version, what=_("监测时间安排"), labels={"due": _("日期")}, yours={"due": due})
    entry.due = due
    entry.moved_reason = reason[:200]
    entry.save(update_fields=["due", "moved_reason", "version"])
    if entry.code == "test":
        Campaign.objects.filter(pk=campaign.pk).update(test_day=due)
        campaign.test_day = due
    if due != before:
        _tell_move(campaign, entry, before)
    return entry


def _tell_move(campaign: Campaign, entry: ScheduleEntry, before: date) -> None:
    title = _("%(title)s：时间安排调整") % {"title": campaign.title}
    body = _("%(name)s由 %(before)s 调整为 %(after)s。原因：%(reason)s") % {
        "name": entry.name,
        "before": f"{before:%Y-%m-%d}",
        "after": f"{entry.due:%Y-%m-%d}",
        "reason": entry.moved_reason,
    }
    _tell(
        campaign,
        lambda school: (title, body),
        (title, body),
        key=f"monitoring:{campaign.pk}:move:{entry.pk}:{entry.version}",
    )


def may_confirm(user: Any, sampled: SampledSchool) -> bool:
    return has_role(user, sampled.school, *CONFIRM_ROLES)


def next_step(sampled: SampledSchool) -> str:
    """The checklist step the school confirms next ("" when all are done): the steps go in catalog order."""
    done = {c.step for c in sampled.confirmations.all()}
    for code, _name in catalog.checklist(sampled.campaign.kind):
        if code not in done:
            return code
    return ""


@transaction.atomic
def confirm(
    sampled: SampledSchool, step: str, by: Any, version: int, note: str = "", *, at: datetime | None = None
) -> SampledSchool:
    """The school's principal or 采集员 confirms the next checklist step (名单上报, then 准备就绪); who and when are
    kept. ``version`` is the sampled school's as the page read it: two people confirming at once cannot both pass.
    ``at`` (default now) is for loading a past campaign's history."""
    if not may_confirm(by, sampled):
        raise forbidden(_("只有样本校的校长或采集员可以确认"))
    steps = dict(catalog.checklist(sampled.campaign.kind))
    if step not in steps:
        raise _invalid("step", _("未知的准备事项"))
    expected = next_step(sampled)
    if step != expected:
        raise _invalid("step", _("请先完成：%(step)s") % {"step": steps[expected]} if expected else _("各项均已确认"))
    state = STEP_STATE[step]
    concurrency.advance(
        sampled, version, what=_("样本校准备情况"), labels={"status": _("状态")}, yours={"status": state}
    )
    Confirmation.objects.create(
        sampled=sampled, step=step, by=by, at=at or timezone.now(), note=(note or "").strip()[:200]
    )
    sampled.status = state
    sampled.save(update_fields=["status", "version"])
    return sampled
