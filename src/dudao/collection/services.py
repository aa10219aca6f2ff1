"""Domain functions for entering values and checking a submission.

Views, the Excel importer and the demo loader all go through :func:`save_values`, so type checks, locking and the
audit trail (who / when / old / new / why, via django-simple-history) apply identically however a value arrives.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from django.db import transaction
from django.utils import timezone

from dudao import concurrency
from dudao.errors import DudaoError, forbidden
from dudao.history import set_author
from dudao.inputs import check_text, parse_number
from dudao.orgs.access import can_view, has_role
from dudao.orgs.selectors import city
from dudao.orgs.vocabulary import Role
from dudao.rounding import fixed

from . import selectors, signals, workflows
from .campaigns import open_campaign
from .expressions import parse
from .models import Campaign, DataElement, DataSet, DataValue, Explanation, Period, Submission
from .vocabulary import ValueType

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

MAX_TEXT = 20000
EDIT_ROLES = (Role.COLLECTOR, Role.DISTRICT_REVIEWER)
Key = TypeVar("Key", bound=Hashable)


# --------------------------------------------------------------------------- values


def parse_value(element: DataElement, raw) -> tuple[str, Decimal | None]:
    """Normalise user input for ``element``: returns (text, number). Empty input clears the value.

    Numbers go through :func:`dudao.inputs.parse_number` (finite, within the element's declared range, at most 15
    significant digits) and text through :func:`dudao.inputs.check_text` (no control characters, at most
    :data:`MAX_TEXT`): the form's autosave, the Excel upload, the API and the statistics import all call this."""
    if raw is None:
        return "", None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if text == "":
        return "", None
    if not element.is_numeric:
        check_text(text, max_length=MAX_TEXT)
        if element.value_type == ValueType.TEXT and "\n" in text:
            raise DudaoError("此项为单行文本")
        return text, None
    cleaned = text
    if element.value_type == ValueType.PERCENT and cleaned.endswith("%"):
        cleaned = cleaned[:-1].strip()
    integer = element.value_type == ValueType.INTEGER
    number = parse_number(
        cleaned,
        minimum=element.minimum,
        maximum=element.maximum,
        integer=integer,
        places=0 if integer else element.decimals,
    )
    assert number is not None
    return f"{number:f}", number


def display_value(element: DataElement, text: str) -> str:
    """A stored value as a person reads it: a number with the element's decimals (half-up, as in the reports),
    so 983 never shows as "983.000000"; text as stored."""
    if not element.is_numeric or text == "":
        return text
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    return fixed(number, 0 if element.value_type == ValueType.INTEGER else element.decimals)


def accepts_edits(submission: Submission) -> bool:
    """Values may change in an editable state, and — for a first draft — only while the campaign is open.

    A submission a reviewer returned stays editable after the deadline: the reviewer asked for the fix.
    """
    if not workflows.is_editable(submission):
        return False
    return submission.state != workflows.workflow_of(submission).initial or submission.campaign.is_open()


def visible_submission(user, pk) -> Submission | None:
    """The submission if it exists *and* lies inside the user's subtrees, else ``None`` (pages and API both answer
    404 for either case, so existence does not leak)."""
    sub = Submission.objects.filter(pk=pk).select_related("campaign__dataset", "campaign__period", "org").first()
    return sub if sub is not None and can_view(user, sub.org) else None


def editor_roles(submission: Submission) -> tuple[str, ...]:
    """Who may change the submission's values: the workflow's ``editors`` (a district's own report: only its
    clerk, so the reviewer who approves did not write it), else the school-data editors."""
    return tuple(workflows.workflow_of(submission).editors) or EDIT_ROLES


def can_edit(user, submission: Submission) -> bool:
    return accepts_edits(submission) and has_role(user, submission.org, *editor_roles(submission))


def edit_refusal(user, submission: Submission) -> str:
    if not workflows.is_editable(submission):
        return "当前状态下不能修改数据"
    if not accepts_edits(submission):
        return "采集任务未开放或已截止"
    return "无权修改该单位数据"


def save_values(
    submission: Submission,
    raw_values: dict[str, object],
    user,
    reason: str = "",
    versions: Mapping[str, object] | None = None,
) -> list[DataValue]:
    """Validate every value first, then write them all in one transaction — or nothing.

    Raises :class:`DudaoError` with ``errors`` = {code: message} when any value is bad, and one with status 403 when
    the submission's state does not allow edits or the user may not edit it.

    ``versions`` (element code → the value's version as the form or client read it, 0 for "no value yet") makes the
    save optimistic: a value someone else saved since is refused with :class:`~dudao.concurrency.StaleEdit` (409),
    which shows their value and this user's per field, and nothing is written. A code without a version (the Excel
    import, loaders, API clients that send none) writes as before.
    """
    if not can_edit(user, submission):
        raise forbidden(edit_refusal(user, submission))
    # only the members being written: an autosave of one field should not load the whole form
    members = submission.campaign.dataset.members.select_related("element").filter(element__code__in=list(raw_values))
    elements = {m.element.code: m.element for m in members}
    parsed, errors = {}, {}
    for code, raw in raw_values.items():
        element = elements.get(code)
        if element is None:
            errors[code] = "数据集中没有此项"
            continue
        try:
            parsed[code] = parse_value(element, raw)
        except DudaoError as exc:
            errors[code] = str(exc)
    if errors:
        raise DudaoError(
            "；".join(f"{elements[c].name if c in elements else c}：{m}" for c, m in errors.items()), errors=errors
        )
    saved = []
    with transaction.atomic():
        # Re-read the state under a row lock: a reviewer may have moved the submission since the check above.
        current_state = Submission.objects.select_for_update().values_list("state", flat=True).get(pk=submission.pk)
        if current_state != submission.state:
            submission.state = current_state
            if not can_edit(user, submission):
                raise forbidden(edit_refusal(user, submission))
        existing = {
            v.element.code: v
            for v in DataValue.objects.select_related("element").filter(
                period=submission.campaign.period, org=submission.org, element__code__in=parsed, category_option=""
            )
        }
        sent = versions or {}
        expected = {code: concurrency.expected_version(sent[code]) for code in parsed if code in sent}
        _refuse_stale(elements, parsed, raw_values, existing, expected, user)
        for code, (text, number) in parsed.items():
            current = existing.get(code)
            if current is None:
                if text == "":
                    continue
                current = DataValue(element=elements[code], period=submission.campaign.period, org=submission.org)
            elif current.value == text:
                continue
            elif code in expected:  # the conditional UPDATE: the guard even for a writer that skips the row lock
                concurrency.advance(
                    current,
                    expected[code],
                    what=elements[code].name,
                    labels={"value": elements[code].name},
                    yours={"value": text},
                )
            else:
                current.version += 1
            current.value, current.number = text, number
            set_author(current, user, reason[:100])
            current.save()
            saved.append(current)
        if saved:
            submission.save(update_fields=["updated_at"])
            # another approved form of the unit for the period makes these values count (extract rule)
            if selectors.counts(submission.org_id, submission.campaign.period_id):
                signals.announce(submission.org_id, submission.campaign.period_id)
    return saved


def _refuse_stale(elements, parsed, raw_values, existing, expected, user) -> None:
    """Refuse the save when a value it changes was saved by someone else after the form read it (its version moved
    on): one :class:`~dudao.concurrency.StaleEdit` naming every such field with both values.

    No conflict (``expected`` is moved to the stored version): a stored value that already equals the typed one
    (both people meant the same), and a value this user saved last — the autosave of a long text sends again while
    its previous request, which the page gave up waiting for, was written; refusing would show the user their own
    words as "someone else's"."""
    stale = []
    for code, version in expected.items():
        current = existing.get(code)
        stored_version = current.version if current is not None else 0
        stored_text = current.value if current is not None else ""
        if version == stored_version or stored_text == parsed[code][0]:
            continue
        latest = current.history.only("history_user_id").first() if current is not None else None
        if latest is not None and latest.history_user_id == getattr(user, "pk", None):
            expected[code] = stored_version  # this user's own earlier save: write over it
        else:
            stale.append(
                concurrency.Difference(
                    code, elements[code].name, display_value(elements[code], stored_text), str(raw_values[code]).strip()
                )
            )
    if stale:
        raise concurrency.StaleEdit("“" + "、".join(d.label for d in stale) + "”", stale)


def load_values(period: Period, rows: Iterable[tuple[OrgUnit, str, Decimal | float | str]]) -> int:
    """Insert ``(unit, element code, value)`` rows for ``period`` in one bulk write — for loading finished past
    rounds (the demo), where 10⁵ values one by one through :func:`save_values` would take minutes.

    Safe only for history loaded as a whole: it skips the edit checks, the row lock and the history rows, which
    guard values someone is editing, and the caller loads the rounds these values belong to in the same transaction
    (campaigns, :func:`explain_warnings_for_loading`, ``review.workflow.fast_forward``). A numeric element stores
    ``value`` as its number; an unknown element code is refused, nothing written."""
    elements = {e.code: e for e in DataElement.objects.all()}
    rows = list(rows)
    unknown = sorted({code for _, code, _ in rows if code not in elements})
    if unknown:
        raise DudaoError(f"没有数据元 {'、'.join(unknown)}")
    values = []
    for org, code, value in rows:
        number = value if elements[code].is_numeric else None
        values.append(
            DataValue(
                element=elements[code],
                period=period,
                org=org,
                value=f"{value}" if number is None else _number_text(number),
                number=number,
            )
        )
    return len(DataValue.objects.bulk_create(values))


def _number_text(number: Decimal | float | int | str) -> str:
    """The stored text of a loaded number, as a person would type it: 983 → "983" (``f"{983:f}"`` gives
    "983.000000"), 92.50 → "92.5"."""
    exact = Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    return f"{exact.normalize():f}" if exact.is_finite() else str(number)


def values_of(submission: Submission) -> dict[str, DataValue]:
    return {
        v.element.code: v
        for v in DataValue.objects.select_related("element").filter(
            period=submission.campaign.period, org=submission.org, category_option=""
        )
    }


def numbers_of(submission: Submission) -> dict[str, Decimal | None]:
    return {code: v.number for code, v in values_of(submission).items()}


def values_hash(submission: Submission) -> str:
    """SHA-256 over the canonical JSON of the submission's values (code → text), for the responsibility statement."""
    codes = set(submission.campaign.dataset.members.values_list("element__code", flat=True))
    payload = {c: v.value for c, v in sorted(values_of(submission).items()) if c in codes}
    canonical = json.dumps(
        {"org": submission.org.code, "period": submission.campaign.period.code, "values": payload},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- checks


@dataclass
class Finding:
    key: str  # rule code, "required:<code>" or "outlier:<code>"
    severity: str  # "error" | "warning"
    message: str
    elements: tuple[str, ...] = ()
    explanation: str = ""
    version: int = 0  # the explanation's (0: none yet), sent back with an edit of it

    @property
    def needs_explanation(self) -> bool:
        return self.severity == "warning" and not self.explanation


def check_submission(submission: Submission) -> list[Finding]:
    """Every problem that stands between this submission and the checker: missing values, rules, outliers."""
    dataset = submission.campaign.dataset
    members = list(dataset.members.select_related("element"))
    values = values_of(submission)
    numbers = {c: v.number for c, v in values.items()}
    findings: list[Finding] = []
    for m in members:
        if m.element.required and (m.element.code not in values or values[m.element.code].value == ""):
            findings.append(
                Finding(f"required:{m.element.code}", "error", f"“{m.element.name}”未填写", (m.element.code,))
            )
    for rule in dataset.rules.all():
        expression = parse(rule.expression)
        result = expression.evaluate(numbers)
        if result is None:  # an input is missing: the required check already says so
            continue
        if not result:
            findings.append(Finding(rule.code, rule.severity, rule.message, tuple(sorted(expression.names))))
    findings.extend(outlier_findings(submission, numbers))
    explanations = {
        key: (text, version)
        for key, text, version in Explanation.objects.filter(submission=submission).values_list(
            "key", "text", "version"
        )
    }
    for finding in findings:
        finding.explanation, finding.version = explanations.get(finding.key, ("", 0))
    return findings


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error" or f.needs_explanation]


def robust_outliers(changes: Mapping[Key, float], threshold: float) -> set[Key]:
    """Keys whose change lies more than ``threshold`` robust z-scores from the median.

    Median and MAD (scaled by 1.4826 to match σ under normality) instead of mean ± SD, because one school that
    merged or doubled its campus would otherwise inflate the SD and hide itself.
    """
    if not changes:
        return set()
    median = statistics.median(changes.values())
    deviations = [abs(x - median) for x in changes.values()]
    scale = 1.4826 * statistics.median(deviations)
    if scale == 0:
        # More than half the schools changed by exactly the same amount (often 0): fall back to the mean absolute
        # deviation (×1.2533, σ-consistent), as the modified z-score does, rather than flag every tiny difference.
        scale = 1.2533 * statistics.fmean(deviations)
    if scale == 0:
        return set()
    return {k for k, x in changes.items() if abs(x - median) / scale > threshold}


def outlier_findings(submission: Submission, numbers: dict[str, Decimal | None]) -> list[Finding]:
    """Warn when this school's year-on-year change is an outlier among the campaign's schools."""
    spec = submission.campaign.dataset.spec.get("outliers") or {}
    previous = submission.campaign.period.previous()
    if not spec or previous is None:
        return []
    codes = [c for c in spec.get("elements", []) if numbers.get(c) is not None]
    if not codes:
        return []
    org_ids = list(submission.campaign.submissions.values_list("org_id", flat=True))
    rows = DataValue.objects.filter(
        element__code__in=codes,
        org_id__in=org_ids,
        period__in=[previous, submission.campaign.period],
        category_option="",
    ).values_list("element__code", "org_id", "period_id", "number")
    table: dict[tuple[str, int], dict[int, Decimal]] = {}
    for code, org_id, period_id, number in rows:
        if number is not None:
            table.setdefault((code, org_id), {})[period_id] = number
    findings = []
    names = dict(submission.campaign.dataset.members.values_list("element__code", "element__name"))
    for code in codes:
        changes = {}
        for (c, org_id), by_period in table.items():
            before, now = by_period.get(previous.id), by_period.get(submission.campaign.period_id)
            if c == code and before and now is not None and before > 0:
                changes[org_id] = float(now / before - 1)
        if len(changes) < spec.get("min_schools", 8) or submission.org_id not in changes:
            continue
        if submission.org_id in robust_outliers(changes, spec.get("threshold", 3.5)):
            pct = changes[submission.org_id] * 100
            findings.append(
                Finding(
                    f"outlier:{code}",
                    "warning",
                    f"“{names[code]}”比{previous.name}变化 {fixed(pct, 1, sign=True)}%，明显异于其他学校，请说明原因",
                    (code,),
                )
            )
    return findings


def explain_warnings_for_loading(campaign: Campaign, text: str) -> int:
    """Answer every warning of the campaign's submissions with ``text``, as a school does before it submits — for
    loading a finished past round (the demo), which :func:`explain` refuses because that round's campaign is closed
    and nobody edits its values. Loaded data must pass the rules: an error finding is a :class:`DudaoError`.
    Returns how many explanations were written."""
    written = 0
    for sub in campaign.submissions.select_related("campaign__dataset", "campaign__period", "org"):
        for finding in check_submission(sub):
            if finding.severity == "error":
                raise DudaoError(f"{sub.org.code}：{finding.message}（{finding.key}）")
            Explanation.objects.create(submission=sub, key=finding.key, text=text)
            written += 1
    return written


@transaction.atomic
def explain(submission: Submission, key: str, text: str, user, version: object = None) -> Explanation:
    """Write the explanation of a warning. With ``version`` (the explanation's as the page read it, 0 for none) an
    explanation someone else wrote meanwhile is not overwritten: refused (409) with theirs and this one."""
    if not can_edit(user, submission):
        raise forbidden(edit_refusal(user, submission))
    expected = None if version is None else concurrency.expected_version(version)
    text = (text or "").strip()
    if not text:
        raise DudaoError("说明不能为空")
    check_text(text, field="text", max_length=MAX_TEXT)
    if key not in {f.key for f in check_submission(submission) if f.severity == "warning"}:
        raise DudaoError("该项目前没有需要说明的警告")
    obj = Explanation.objects.filter(submission=submission, key=key).first() or Explanation(
        submission=submission, key=key
    )
    if obj.pk is None or obj.text != text:  # one history row per real change
        if obj.pk is not None and expected is None:
            obj.version += 1
        elif obj.pk is not None and expected is not None:
            concurrency.advance(obj, expected, what="说明", labels={"text": "说明"}, yours={"text": text})
        obj.text = text
        set_author(obj, user)
        obj.save()
    return obj


# --------------------------------------------------------------------------- public statistics

STATISTICS_WORKFLOW = "statistics"
STATISTICS_ROLES = (Role.CITY_ADMIN, Role.COMPILER)


def may_record_statistics(user, org: OrgUnit) -> bool:
    """The city's administrators and its report team (报告编撰员) bring published statistics in; nobody else."""
    return has_role(user, org, *STATISTICS_ROLES)


def record_statistics(
    org: OrgUnit, period: Period, dataset_code: str, values: Mapping[str, object], user, reason: str = ""
) -> int:
    """Write published figures (``{element code: number}``) of ``org`` for ``period`` as values of the statistics
    data set ``dataset_code``; returns how many values changed.

    Statistics reach the indicator engine the way every figure does — as values behind a counting submission — so
    no reader needs a second path. The data set's workflow (``statistics``) has one state, final and locked
    (已公布): the submission is created in it, which is what makes the values count. A value already there is
    replaced (a newer or corrected table), with the change and ``reason`` in the audit trail. All or nothing;
    refused (403) unless the user may record statistics at ``org``."""
    if not may_record_statistics(user, org):
        raise forbidden("只有市级管理员或报告编撰员可以导入公开统计数据")
    dataset = DataSet.objects.filter(code=dataset_code).first()
    if dataset is None or dataset.spec.get("workflow") != STATISTICS_WORKFLOW:
        raise DudaoError(f"“{dataset_code}”不是公开统计数据集")
    members = {m.element.code: m.element for m in dataset.members.select_related("element")}
    parsed, errors = {}, {}
    for code, raw in values.items():
        element = members.get(code)
        if element is None or not element.is_numeric:
            errors[code] = f"数据集“{dataset.name}”中没有数值项“{code}”"
            continue
        try:
            parsed[code] = parse_value(element, raw)
        except DudaoError as exc:
            errors[code] = f"{element.name}{exc}"
    if errors:
        raise DudaoError("；".join(errors.values()), errors=errors)
    root = city() or org
    with transaction.atomic():
        now = timezone.now()
        campaign = open_campaign(dataset, period, root, now, now, name=f"{period.name}{dataset.name}", schools=[])
        state = workflows.workflows()[campaign.workflow].final
        Submission.objects.get_or_create(campaign=campaign, org=org, defaults={"state": state})
        existing = {
            v.element.code: v
            for v in DataValue.objects.select_related("element").filter(
                period=period, org=org, element__code__in=list(parsed), category_option=""
            )
        }
        changed = 0
        for code, (text, number) in parsed.items():
            current = existing.get(code) or DataValue(element=members[code], period=period, org=org)
            if current.pk is not None and current.value == text:
                continue
            if text == "":
                continue  # an empty cell neither writes nor clears a published figure
            current.value, current.number = text, number
            set_author(current, user, reason[:100])
            current.save()
            changed += 1
        if changed:
            signals.announce(org.id, period.id)  # statistics count from the moment they are recorded
    return changed
