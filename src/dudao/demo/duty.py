"""Demo of 督政 beyond districts: the city's 2020 履行教育职责 self-evaluation (five 市政府部门 approved, 市卫生健康委
waiting for review, 市公安局 not filed — so the compiled report lists two missing parts) and the 督政 of 市规划资源局,
whose low 资源保障 score is a ledger finding it has answered and the city's inspector has still to re-check.

Everything goes through the services a user's form calls (save, submit, approve, score, raise), so the demo shows
what the pages would have recorded."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model

from dudao.collection.campaigns import yearly_period
from dudao.orgs import selectors as orgs
from dudao.orgs.services import grant
from dudao.orgs.vocabulary import Role
from dudao.supervision import services as ledger

# the logins the demo prints (demo.load.DEMO_LOGINS): one department that filed, one that has not
LOGINS = [
    ("fgw", "市发展改革委（履职自评：本部门部分已审核）"),
    ("gaj", "市公安局（履职自评：本部门部分未填报）"),
]
APPROVED = ("310000-FGW", "310000-CZJ", "310000-RSJ", "310000-GHZY", "310000-ZJW")
SUBMITTED = ("310000-WJW",)
# what each item's answer is in the demo (figures of the kind the city reports; narratives short)
VALUES = {
    "fgw_plan": "yes",
    "fgw_invest": "186.4",
    "czj_spend": "1092.5",
    "czj_share": "13.3",
    "czj_two": "yes",
    "rsj_salary": "yes",
    "rsj_titles": "完成中小学教师职称制度改革，增设正高级教师职称，职业院校自主评聘试点扩大至20所。",
    "ghzy_layout": "yes",
    "ghzy_land": "64.2",
    "zjw_sync": "yes",
    "zjw_new": "58",
    "wjw_health": "全市中小学生视力筛查全覆盖，建立近视防控联络员制度。",
    "wjw_staff": "no",
}
INSPECTED = "310000-GHZY"
INSPECTION = {"policy": "22", "planning": "21", "resources": "15", "conditions": "20"}


def _username(code: str) -> str:
    return code.split("-", 1)[1].lower()


def load(users: dict) -> None:
    # imported here, as demo.load imports the schemes: the module is imported for its LOGINS before any scheme loads
    from dudao.evaluation import registry
    from dudao.evaluation.schemes import provincial_duty as provincial

    User = get_user_model()
    spec = registry.get(provincial.CODE).spec
    period = yearly_period(2020)
    password = users["city_admin"].password
    staff = {}
    for department in provincial.departments(spec):
        user, _ = User.objects.get_or_create(
            username=_username(department.code), defaults={"first_name": department.name}
        )
        user.password = password
        user.save(update_fields=["password"])
        grant(user, department, Role.CHECKER)
        staff[department.code] = users[user.username] = user
    reviewer = users["inspector"]
    for department in provincial.departments(spec):
        code = department.code
        if code not in APPROVED + SUBMITTED:
            continue
        raw = {
            item["code"]: {
                "value": VALUES[item["code"]],
                "narrative": f"{department.name}牵头落实，{item['name']}情况见佐证材料。",
                "links": "https://www.shanghai.gov.cn/",
            }
            for item in provincial.items_of(spec, code)
        }
        part = provincial.save_part(spec, period, department, staff[code], raw, 0, submit=True)
        if code in APPROVED:
            provincial.review_part(spec, period, department, reviewer, approve=True, note="", version=part.version)

    inspected = orgs.unit(INSPECTED)
    provincial.record_inspection(spec, period, inspected, reviewer, INSPECTION)
    for finding in provincial.raise_inspection_findings(spec, period, inspected, reviewer, date(2021, 4, 1)):
        ledger.submit_rectification(
            finding, staff[INSPECTED], "已启动教育用地专项排查，新增用地指标纳入年度计划。", finding.version
        )
