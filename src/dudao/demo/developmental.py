"""The demo's 发展性督导评价: five compulsory schools in 黄浦 and 徐汇 evaluated for 2020 — each school's self-evaluation
signed by its principal, then reviewed by its 责任督学 (the 挂牌 of :mod:`.supervision`; the district reviewer where
a school has none). Four reviews are finished, one is still waiting; one school has an indicator rated 待改进, which
the review turned into a finding of the follow-up ledger. Written through the scheme's own writes, as the people
would."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dudao.collection.campaigns import yearly_period
from dudao.orgs import selectors as orgs
from dudao.supervision import selectors as supervision

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

# school code → (self-rating pattern, review pattern or None while the review waits); patterns repeat over the
# framework's indicators, "improve" is 待改进
SCHOOLS: dict[str, tuple[list[str], list[str] | None]] = {
    "3101011001": (["excellent", "good"], ["excellent", "good", "good"]),
    "3101011002": (["good"], ["good", "good", "pass"]),
    "3101011004": (["good", "pass"], None),
    "3101041001": (["excellent"], ["excellent", "excellent", "good"]),
    "3101041002": (["good"], ["good", "pass", "pass", "good"]),
}
WEAK = ("3101041002", "stu_health")  # the one indicator the review rates 待改进
NARRATIVE = "学校对照指标开展自评：{name}方面已建立相应制度并落实，相关佐证材料已整理归档。"
COMMENT = {
    "excellent": "{name}工作成效显著，经查阅资料和实地察看，达到优秀水平。",
    "good": "{name}工作扎实，制度健全，个别环节仍可进一步完善。",
    "pass": "{name}基本达到要求，建议加强过程管理和成效总结。",
    "improve": "{name}未落实每天校园体育活动一小时，学生体质健康优良率偏低，需限期整改。",
}


def load(users: dict[str, AbstractBaseUser]) -> dict[str, int]:
    from dudao.evaluation import registry
    from dudao.evaluation.schemes import developmental as dev

    spec = registry.get(dev.CODE).spec
    period = yearly_period(2020)
    counts = {"self": 0, "reviewed": 0}
    for code, (own, review) in SCHOOLS.items():
        school = orgs.unit(code)
        principal = users.get(f"{code}-principal")
        kind = dev.kind_of(spec, school) if school else None
        if school is None or principal is None or kind is None:
            continue
        items = [item for _a, item in dev.indicators(spec, kind)]
        entries = {
            item["code"]: {"rating": own[n % len(own)], "narrative": NARRATIVE.format(name=item["name"])}
            for n, item in enumerate(items)
        }
        evaluation = dev.save_self(spec, school, period, principal, entries, 0, submit=True)
        counts["self"] += 1
        if review is None:
            continue
        reviewer = _reviewer(school, users)
        ratings = {item["code"]: review[n % len(review)] for n, item in enumerate(items)}
        if code == WEAK[0]:
            ratings[WEAK[1]] = "improve"
        rated = {c: {"rating": r, "comment": COMMENT[r].format(name=_name(items, c))} for c, r in ratings.items()}
        dev.save_review(spec, school, period, reviewer, rated, evaluation.version, finalize=True)
        counts["reviewed"] += 1
    return counts


def _name(items: list[dict], code: str) -> str:
    return next(i["name"] for i in items if i["code"] == code)


def _reviewer(school: Any, users: dict[str, AbstractBaseUser]) -> Any:
    now = supervision.current(school)
    if now is not None and now.inspector.user is not None:
        return now.inspector.user
    return users[f"d{school.parent.code}"]
