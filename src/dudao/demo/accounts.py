"""Demo year-end accounts (年终交账) of the 2020 vocational plan, from ``data/vocational_accounts_2020.yaml`` (its
header states the format): each account is filed by the responsible unit's writer, submitted and approved by the
office head — through ``plans.accounts``, as people would — so the 工作年报 compiles from them; then the plan's owner
compiles and publishes the 工作年报 through the portal's four-eyes step (:func:`publish`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.contrib.auth import get_user_model

from dudao.collection import selectors as collection
from dudao.compiling import workreport
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.services import grant
from dudao.orgs.vocabulary import Level, Role
from dudao.plans import accounts, services
from dudao.plans import selectors as plans
from dudao.portal import publishing

if TYPE_CHECKING:
    from dudao.plans.models import Plan

DATA = Path(__file__).with_name("data")
ACCOUNTS = DATA / "vocational_accounts_2020.yaml"


def read(path: Path = ACCOUNTS) -> dict[int, dict]:
    """The YAML's entries, checked: task no → {org, text, actuals}; a malformed entry names itself."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    entries = {}
    for no, entry in raw.items():
        if not isinstance(no, int) or not isinstance(entry, dict):
            raise DudaoError(f"{path.name}：条目 {no} 应为 任务序号: {{org, text, actuals}}")
        missing = {"org", "text"} - set(entry)
        if missing:
            raise DudaoError(f"{path.name}：任务 {no} 缺少 {'、'.join(sorted(missing))}")
        actuals = entry.get("actuals") or []
        if not isinstance(actuals, list):
            raise DudaoError(f"{path.name}：任务 {no} 的 actuals 应为数字列表")
        entries[no] = {"org": str(entry["org"]), "text": str(entry["text"]), "actuals": actuals}
    return entries


def head_of(org: Any, like: Any) -> Any:
    """The office head (处长, 审核员 at the office) who reviews its accounts — made for the demo if it has none."""
    User = get_user_model()
    head, created = User.objects.get_or_create(
        username=f"head-{org.code}", defaults={"first_name": f"{org.name}负责人"}
    )
    if created:
        head.password = like.password  # the demo password
        head.save()
        grant(head, org, Role.CHECKER)
    return head


def load(plan: Plan, path: Path = ACCOUNTS) -> int:
    """File, submit and approve the accounts of ``path`` for ``plan``; returns how many were approved."""
    city_admin = plan.imported_by or get_user_model().objects.get(username="city_admin")  # the plan's owner
    approved = 0
    for no, entry in sorted(read(path).items()):
        task = plans.task(plan, no)
        org = orgs.unit(entry["org"])
        if org is None or org.level not in (Level.DEPARTMENT, Level.DISTRICT):
            raise DudaoError(f"{path.name}：任务 {no} 的责任单位 {entry['org']} 不是处室或区")
        assignment = plans.assignment_of(task, org) or services.assign(
            task, org, "lead", date(plan.year, 12, 31), city_admin
        )
        writer = plans.responsible(assignment)[0]
        account = accounts.save(assignment, writer, entry["text"], entry["actuals"], version=None, submit=True)
        if org.level == Level.DEPARTMENT:
            head_of(org, city_admin)
        reviewer = accounts.reviewers(account)[0]
        accounts.review(account, reviewer, "approve", version=None)
        approved += 1
    return approved


SECOND_ADMIN = "city_admin2"  # a second 市管理员: the four-eyes step needs someone other than the requester


def publish(plan: Plan) -> Any:
    """Compile the plan's 工作年报 and publish it on the portal as the city would: the plan's owner (the city admin
    who imported it) asks from the compile page, a second city admin approves at the publication desk."""
    User = get_user_model()
    owner = plan.imported_by or User.objects.get(username="city_admin")
    city, period = orgs.city(), collection.period(str(plan.year))
    if city is None or period is None:
        raise DudaoError(f"演示数据缺少市级机构或 {plan.year} 年度，不能发布工作年报")
    approver, created = User.objects.get_or_create(
        username=SECOND_ADMIN, defaults={"first_name": "市教委管理员（发布复核）"}
    )
    if created:
        approver.password = owner.password  # the demo password
        approver.save()
        grant(approver, city, Role.CITY_ADMIN)
    requested = publishing.request(city, period, owner, workreport.template_of(plan), notify=False)
    return publishing.approve(requested, approver, "年终交账已全部审核通过")
