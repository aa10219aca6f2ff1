import pytest

from dudao.collection import services, workflows
from dudao.errors import DudaoError
from dudao.review import workflow
from dudao.review.audit import audit_trail
from dudao.review.coverage import coverage
from dudao.review.models import Transition

from .conftest import VALID, approve_to


def test_full_chain_to_city_with_statement(world):
    sub = approve_to(world.sub_a, world.users, "city_accepted")
    assert sub.state == "city_accepted"
    assert [t.action for t in Transition.objects.filter(submission=sub)] == [
        "submit",
        "check",
        "approve",
        "district_accept",
        "city_accept",
    ]
    statement = workflow.current_statement(sub)
    assert statement.signer == world.users["principal"] and statement.signer_name == "张校长"
    assert statement.values_sha256 == services.values_hash(sub)
    assert statement.signed_at is not None


def test_submit_blocked_by_errors_and_unexplained_warnings(world):
    user = world.users["collector"]
    services.save_values(world.sub_a, dict(VALID, teachers_fulltime=999), user)
    with pytest.raises(DudaoError, match="专任教师数不能大于教职工总数"):
        workflow.perform(world.sub_a, "submit", user)
    services.save_values(world.sub_a, dict(VALID, starting_salary=100), user)
    with pytest.raises(DudaoError, match="平均起薪"):
        workflow.perform(world.sub_a, "submit", user)
    services.explain(world.sub_a, "salary_range", "实习补贴", user)
    workflow.perform(world.sub_a, "submit", user)
    world.sub_a.refresh_from_db()
    assert world.sub_a.state == "submitted"


def test_roles_are_enforced(world):
    services.save_values(world.sub_a, VALID, world.users["collector"])
    with pytest.raises(DudaoError, match="权限"):
        workflow.perform(world.sub_a, "submit", world.users["checker"])
    with pytest.raises(DudaoError, match="权限"):
        workflow.perform(world.sub_a, "submit", world.users["collector_b"])
    with pytest.raises(DudaoError, match="不能执行"):
        workflow.perform(world.sub_a, "approve", world.users["principal"])


def test_statement_requires_confirmation_and_name(world):
    approve_to(world.sub_a, world.users, "checked")
    with pytest.raises(DudaoError, match="责任声明"):
        workflow.perform(world.sub_a, "approve", world.users["principal"], signer_name="张校长", confirm=False)
    with pytest.raises(DudaoError, match="签署人"):
        workflow.perform(world.sub_a, "approve", world.users["principal"], signer_name=" ", confirm=True)
    assert not world.sub_a.statements.exists()


def test_approved_values_are_locked(world):
    approve_to(world.sub_a, world.users, "approved")
    assert workflows.is_locked(world.sub_a)
    with pytest.raises(DudaoError) as refused:
        services.save_values(world.sub_a, {"books": 1}, world.users["collector"])
    assert refused.value.status == 403
    with pytest.raises(DudaoError) as refused:
        services.save_values(world.sub_a, {"books": 1}, world.users["district_reviewer"])
    assert refused.value.status == 403


def test_return_needs_reason_and_voids_statement(world):
    approve_to(world.sub_a, world.users, "approved")
    reviewer = world.users["district_reviewer"]
    with pytest.raises(DudaoError, match="理由"):
        workflow.perform(world.sub_a, "return", reviewer, reason="  ")
    workflow.perform(world.sub_a, "return", reviewer, reason="毕业生数与区统计不符")
    world.sub_a.refresh_from_db()
    assert world.sub_a.state == "returned"
    assert workflow.current_statement(world.sub_a) is None
    assert world.sub_a.statements.get().revoked_reason == "毕业生数与区统计不符"
    # fixed, resubmitted and carried to the city: a fresh statement over the new values
    services.save_values(
        world.sub_a,
        {"graduates": 381, "employed": 376, "further_study": 286},
        world.users["collector"],
        reason="按区统计更正",
    )
    sub = approve_to(world.sub_a, world.users, "city_accepted")
    assert sub.state == "city_accepted"
    assert workflow.current_statement(sub).values_sha256 == services.values_hash(sub)
    assert sub.statements.count() == 2


def test_returning_approved_data_needs_a_higher_level(world):
    approve_to(world.sub_a, world.users, "approved")
    for role in ("collector", "checker", "principal"):
        with pytest.raises(DudaoError):
            workflow.perform(world.sub_a, "return", world.users[role], reason="想改")
    with pytest.raises(DudaoError):  # another district's reviewer
        workflow.perform(world.sub_a, "return", world.users["district_reviewer_xuhui"], reason="想改")


def test_reopen_after_city_acceptance(world):
    approve_to(world.sub_a, world.users, "city_accepted")
    with pytest.raises(DudaoError):
        workflow.perform(world.sub_a, "reopen", world.users["district_reviewer"], reason="更正")
    with pytest.raises(DudaoError, match="理由"):
        workflow.perform(world.sub_a, "reopen", world.users["city_admin"])
    workflow.perform(world.sub_a, "reopen", world.users["city_admin"], reason="统计口径调整")
    world.sub_a.refresh_from_db()
    assert world.sub_a.state == "returned" and services.can_edit(world.users["collector"], world.sub_a)


def test_audit_trail_has_who_when_old_new_why(world):
    user = world.users["collector"]
    services.save_values(world.sub_a, {"books": 100}, user, reason="初填")
    services.save_values(world.sub_a, {"books": 120}, user, reason="补录")
    entries = audit_trail(world.sub_a)
    change = next(e for e in entries if e.what == "修改：纸质图书总数" and e.new == "120")
    assert (change.old, change.why, change.who) == ("100", "补录", "a-collector")
    approve_to(world.sub_a, world.users, "submitted")
    submit = next(e for e in audit_trail(world.sub_a) if e.what == "流转：提交审核")  # the step's label, not its code
    assert (submit.old, submit.new) == ("草稿", "已提交")


def test_audit_trail_in_plain_words(world):
    """Names, labels and values as people read them: no action, state, rule or element code, no "983.000000"."""
    user = world.users["collector"]
    user.first_name, user.last_name = "王", "老师"
    user.save()
    services.save_values(world.sub_a, {"fixed_assets": "18000.5"}, user, reason="初填")
    services.save_values(world.sub_a, {"starting_salary": 25000}, user)
    services.explain(world.sub_a, "salary_range", "含海外就业学生，已核实", user)
    approve_to(world.sub_a, world.users, "submitted", {**VALID, "starting_salary": 25000})
    workflow.perform(world.sub_a, "return", world.users["checker"], reason="请核对")
    entries = audit_trail(world.sub_a)
    whats = [e.what for e in entries]
    assert "流转：退回" in whats and "流转：提交审核" in whats
    assets = next(e for e in entries if e.what == "修改：固定资产总值" and e.why == "初填")
    assert assets.who == "王 老师" and assets.new == "18000.50"
    explained = next(e for e in entries if e.what.startswith("说明："))
    assert explained.what == "说明：平均起薪不在1000–20000元之间，请核实" and explained.new.startswith("含海外")
    codes = {"submit", "return", "draft", "submitted", "returned", "salary_range", "starting_salary", "fixed_assets"}
    for e in entries:
        assert not codes & {e.what.split("：", 1)[-1], e.old, e.new}, e


def test_coverage_counts_per_state(world):
    approve_to(world.sub_a, world.users, "city_accepted")
    approve_to(world.sub_b, {**world.users, "collector": world.users["collector_b"]}, "submitted")
    city = coverage(world.campaign, world.city)
    assert city.total == 3 and city.final_count == 1
    assert city.totals["submitted"] == 1 and city.totals["draft"] == 1
    rows = {r["org"].code: r for r in city.rows}
    assert rows["310101"]["done"] == 1 and rows["310101"]["total"] == 2 and rows["310104"]["total"] == 1
    district = coverage(world.campaign, world.huangpu)
    assert [r["sub"].org.code for r in district.rows] == ["3101010001", "3101010002"]
    assert [r["label"] for r in district.rows] == ["市已确认", "已提交"]


def test_city_coverage_counts_units_straight_under_the_city_as_its_own(world):
    """Universities and 市属 schools have no district; the city's coverage lists them under the city itself."""
    from dudao.collection.models import Submission
    from dudao.orgs.models import Level, OrgUnit

    direct = OrgUnit.objects.create(code="310000U999", name="某大学", level=Level.SCHOOL, parent=world.city)
    Submission.objects.create(campaign=world.campaign, org=direct)
    city = coverage(world.campaign, world.city)
    rows = {r["org"].code: r for r in city.rows}
    assert city.total == 4 and rows[world.city.code]["total"] == 1
