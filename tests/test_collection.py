from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dudao.collection import services
from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.catalog import load_dataset
from dudao.collection.models import DataElement, DataValue, Explanation
from dudao.errors import DudaoError
from dudao.orgs.models import Level, OrgUnit

from .conftest import VALID


def element(code):
    return DataElement.objects.get(code=code)


@pytest.mark.parametrize(
    "code, raw, expected",
    [
        ("students_total", "1,200", ("1200", Decimal(1200))),
        ("students_total", 1200.0, ("1200", Decimal(1200))),
        ("fixed_assets", "18000.456", ("18000.46", Decimal("18000.46"))),
        ("pass_rate_culture", "92.5%", ("92.50", Decimal("92.50"))),
        ("students_total", "  ", ("", None)),
        ("text_overview", " 概况 ", ("概况", None)),
    ],
)
def test_parse_value_normalises(world, code, raw, expected):
    assert services.parse_value(element(code), raw) == expected


@pytest.mark.parametrize(
    "code, raw, message",
    [
        ("students_total", "12.5", "整数"),
        ("students_total", "abc", "应为数字"),
        ("students_total", "-1", "不能小于"),
        ("pass_rate_culture", "100.5", "不能大于 100"),
        ("students_total", "NaN", "有限"),
        ("case_1_title", "两\n行", "单行"),
    ],
)
def test_parse_value_rejects(world, code, raw, message):
    with pytest.raises(DudaoError, match=message):
        services.parse_value(element(code), raw)


def test_save_values_is_all_or_nothing_and_audited(world):
    user = world.users["collector"]
    with pytest.raises(DudaoError) as info:
        services.save_values(world.sub_a, {"students_total": 10, "graduates": "x"}, user)
    assert set(info.value.errors) == {"graduates"}
    assert not DataValue.objects.exists()  # the good value was not saved either

    services.save_values(world.sub_a, {"students_total": 10}, user, reason="初填")
    services.save_values(world.sub_a, {"students_total": 12}, user, reason="更正")
    value = DataValue.objects.get(element__code="students_total", org=world.school_a)
    history = list(value.history.order_by("history_date"))
    assert [h.value for h in history] == ["10", "12"]
    assert [h.history_change_reason for h in history] == ["初填", "更正"]
    assert all(h.history_user == user for h in history)


def test_unchanged_value_writes_no_history(world):
    user = world.users["collector"]
    services.save_values(world.sub_a, {"students_total": 10}, user)
    services.save_values(world.sub_a, {"students_total": "10"}, user)
    assert DataValue.history.count() == 1


def test_other_school_cannot_write(world):
    with pytest.raises(DudaoError) as refused:
        services.save_values(world.sub_a, {"students_total": 10}, world.users["collector_b"])
    assert refused.value.status == 403


def test_closed_campaign_refuses_first_draft_edits(world):
    world.campaign.closes_at = timezone.now() - timedelta(hours=1)
    world.campaign.save()
    with pytest.raises(DudaoError, match="已截止"):
        services.save_values(world.sub_a, {"students_total": 10}, world.users["collector"])


def test_valid_submission_has_no_findings(world):
    services.save_values(world.sub_a, VALID, world.users["collector"])
    assert services.check_submission(world.sub_a) == []


def test_error_rules_and_required(world):
    bad = dict(VALID, teachers_fulltime=200, employed=400)
    del bad["graduates"]
    services.save_values(world.sub_a, bad, world.users["collector"])
    keys = {f.key: f for f in services.check_submission(world.sub_a)}
    assert "required:graduates" in keys
    assert keys["fulltime_le_staff"].severity == "error"
    assert keys["fulltime_le_staff"].message == "专任教师数不能大于教职工总数"
    assert "education_sum" in keys  # 2 + 75 + 23 != 200
    assert "employed_le_graduates" not in keys  # not computable without graduates: reported as missing instead


def test_warning_needs_explanation(world):
    services.save_values(world.sub_a, dict(VALID, starting_salary="500"), world.users["collector"])
    [finding] = services.check_submission(world.sub_a)
    assert (finding.key, finding.severity) == ("salary_range", "warning")
    assert services.blocking([finding]) == [finding]
    with pytest.raises(DudaoError) as refused:
        services.explain(world.sub_a, "salary_range", "  ", world.users["collector"])
    assert refused.value.status == 400
    services.explain(world.sub_a, "salary_range", "实习津贴口径", world.users["collector"])
    [finding] = services.check_submission(world.sub_a)
    assert finding.explanation == "实习津贴口径" and services.blocking([finding]) == []
    assert Explanation.history.count() == 1


def test_robust_outliers_catch_what_mean_sd_cannot():
    changes = {i: 0.01 * ((i % 5) - 2) for i in range(9)}
    changes["big"] = 1.0  # doubled
    assert services.robust_outliers(changes, 3.5) == {"big"}
    # mean ± 3.5 SD can never flag one point among 10: its z-score is at most (n-1)/√n = 2.85
    values = list(changes.values())
    mean = sum(values) / len(values)
    sd = (sum((x - mean) ** 2 for x in values) / len(values)) ** 0.5
    assert (1.0 - mean) / sd < 3.5


def test_year_on_year_outlier_warning(world):
    previous = yearly_period(2020)
    students = element("students_total")
    schools = [world.school_a]
    for i in range(9):
        schools.append(
            OrgUnit.objects.create(
                code=f"310101{i + 10:04d}", name=f"学校{i}", level=Level.SCHOOL, parent=world.huangpu
            )
        )
    open_campaign(
        world.dataset,
        world.campaign.period,
        world.city,
        world.campaign.opens_at,
        world.campaign.closes_at,
        schools=schools,
    )
    for i, school in enumerate(schools):
        DataValue.objects.create(element=students, period=previous, org=school, value="1000", number=1000)
        if school != world.school_a:
            now = 1000 + (i % 5) * 10
            DataValue.objects.create(
                element=students, period=world.campaign.period, org=school, value=str(now), number=now
            )
    services.save_values(world.sub_a, dict(VALID, students_total=2100), world.users["collector"])
    findings = {f.key: f for f in services.check_submission(world.sub_a)}
    assert findings["outlier:students_total"].severity == "warning"
    assert "+110.0%" in findings["outlier:students_total"].message
    services.save_values(world.sub_a, {"students_total": 1020}, world.users["collector"])
    assert "outlier:students_total" not in {f.key for f in services.check_submission(world.sub_a)}


def test_values_hash_is_stable_and_sensitive(world):
    services.save_values(world.sub_a, VALID, world.users["collector"])
    first = services.values_hash(world.sub_a)
    assert first == services.values_hash(world.sub_a) and len(first) == 64
    services.save_values(world.sub_a, {"books": 70001}, world.users["collector"])
    assert services.values_hash(world.sub_a) != first


def test_catalog_rejects_rule_on_unknown_element(db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "code: bad\nname: 坏\nsections:\n  - {code: s, name: s, elements: [{code: x_count, name: x, type: integer}]}\n"
        "rules:\n  - {code: r, expr: x_count <= y_count, severity: error, message: m}\n",
        encoding="utf-8",
    )
    with pytest.raises(DudaoError, match="y_count"):
        load_dataset(path)


def test_catalog_ships_the_quality_report_data_set(world):
    codes = set(world.dataset.members.values_list("element__code", flat=True))
    for needed in [
        "students_total",
        "fixed_assets",
        "equipment_value",
        "edu_master_plus",
        "title_senior",
        "teachers_dual",
        "graduates",
        "employed",
        "industry_secondary",
        "further_study",
        "starting_salary",
        "employer_satisfaction",
        "graduates_dual_cert",
        "pass_rate_culture",
        "coop_enterprises",
        "text_outlook",
        "case_1_body",
    ]:
        assert needed in codes
    assert world.dataset.rules.filter(severity="error").count() >= 10


def test_admin_campaign_save_enrolls_schools(world, admin_client):
    from dudao.collection.models import Campaign

    period = yearly_period(2022)
    response = admin_client.post(
        "/admin/collection/campaign/add/",
        {
            "name": "2022年度采集",
            "dataset": world.dataset.pk,
            "period": period.pk,
            "workflow": "default",
            "opens_at_0": "2022-01-01",
            "opens_at_1": "00:00:00",
            "closes_at_0": "2022-02-01",
            "closes_at_1": "00:00:00",
            "owner": world.city.pk,
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(period=period)
    assert set(campaign.submissions.values_list("org__code", flat=True)) == {"3101010001", "3101010002", "3101040001"}


def test_catalog_command(world, capsys):
    from django.core.management import call_command

    call_command("catalog")
    assert "vocational_quality" in capsys.readouterr().out


def test_explanation_only_for_a_current_warning(world):
    services.save_values(world.sub_a, VALID, world.users["collector"])
    with pytest.raises(DudaoError, match="没有需要说明"):
        services.explain(world.sub_a, "x" * 500, "说明", world.users["collector"])
    assert not Explanation.objects.exists()


def test_mad_zero_falls_back_to_mean_absolute_deviation():
    changes = {i: 0.0 for i in range(7)} | {"a": 0.01, "b": -0.01, "c": 0.02, "big": 0.9}
    assert services.robust_outliers(changes, 3.5) == {"big"}
    assert services.robust_outliers({i: 0.0 for i in range(10)}, 3.5) == set()


def test_stale_submission_cannot_write_after_it_moved_on(world):
    from dudao.collection.models import Submission
    from dudao.review.workflow import perform

    stale = Submission.objects.get(pk=world.sub_a.pk)  # a form opened before the collector pressed 提交
    services.save_values(world.sub_a, VALID, world.users["collector"])
    perform(world.sub_a, "submit", world.users["collector"])
    with pytest.raises(DudaoError) as refused:
        services.save_values(stale, {"books": 1}, world.users["collector"])
    assert refused.value.status == 403
    assert DataValue.objects.get(element__code="books", org=world.school_a).value == str(VALID["books"])


def test_cases_lists_approved_cases_of_every_declaring_dataset(world):
    from dudao.collection.selectors import CaseRecord, case_groups, cases

    from .conftest import approve_to

    case = {"case_2_title": "  产教融合共建实训中心 ", "case_2_body": "学校与企业共建……", "case_2_chapter": "4.1"}
    approve_to(world.sub_a, world.users, "approved", values={**VALID, **case})
    draft = {"case_1_title": "尚未审核的案例", "case_1_body": "草稿"}
    services.save_values(world.sub_b, draft, world.users["collector_b"])
    assert [g["key"] for g in case_groups(world.dataset.spec)] == ["case_1", "case_2", "case_3", "case_4"]
    found = cases(world.campaign.period)
    assert found == [
        CaseRecord(
            world.school_a.id, world.school_a.name, world.school_a.code, "case_2", "产教融合共建实训中心",
            "学校与企业共建……", "4.1",
        )
    ]  # fmt: skip
    assert cases(world.campaign.period, orgs=[world.school_b]) == []
    assert cases(world.campaign.period, under=world.school_a.parent)[0].key == "case_2"
