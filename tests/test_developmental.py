"""发展性督导评价 (issue #17 part 3): the framework per school kind, the school's self-evaluation signed by its
principal, the 责任督学's review with the rating computed by the YAML's rule, weak indicators in the follow-up ledger,
the report in three formats, the district summary, and who reads what. Each test replays an attack or a mistake."""

from __future__ import annotations

import copy
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dudao.collection.campaigns import yearly_period
from dudao.errors import DudaoError
from dudao.evaluation import developmental_report as output
from dudao.evaluation import registry
from dudao.evaluation.schemes import developmental as dev
from dudao.orgs import selectors as orgs
from dudao.reports import render
from dudao.supervision import selectors as supervision
from dudao.supervision.vocabulary import SourceKind

pytestmark = pytest.mark.django_db
AREAS = {"学校治理", "课程教学", "条件保障", "学生发展", "特色发展"}


@pytest.fixture
def spec():
    return registry.get("developmental").spec


def user(name):
    return get_user_model().objects.get(username=name)


def client_of(name):
    c = Client()
    c.force_login(user(name))
    return c


def entries(spec, kind, rating="good", key="narrative", text="说明"):
    return {i["code"]: {"rating": rating, key: text} for _a, i in dev.indicators(spec, kind)}


def refused(call, status):
    with pytest.raises(DudaoError) as caught:
        call()
    assert caught.value.status == status, caught.value.message
    return caught.value


def test_framework_every_kind_has_the_five_areas_with_described_indicators(spec):
    assert set(spec["kinds"]) == {"compulsory", "high"}
    for kind, frame in spec["kinds"].items():
        assert {a["name"] for a in frame["areas"]} == AREAS, kind
        for area in frame["areas"]:
            assert 3 <= len(area["indicators"]) <= 5, (kind, area["name"])
            assert all(i["description"] and i["evidence"] for i in area["indicators"])
    broken = copy.deepcopy(spec)
    broken["kinds"]["high"]["overall"]["expr"] = "governance + morale"
    with pytest.raises(ValueError):
        dev.validate(broken)


def test_overall_rating_follows_the_yaml_rule_not_a_typed_value(spec):
    kind = "compulsory"
    ratings = {i["code"]: "excellent" for _a, i in dev.indicators(spec, kind)}
    ratings["stu_health"] = "improve"
    score, level = dev.overall(spec, kind, ratings)
    assert score > 90 and level == "good"  # banded 优秀, capped at 良好 for a 待改进 indicator
    uncapped = copy.deepcopy(spec)
    del uncapped["kinds"][kind]["overall"]["cap_if_weak"]
    assert dev.overall(uncapped, kind, ratings)[1] == "excellent"
    weighted = copy.deepcopy(spec)
    weighted["kinds"][kind]["overall"]["expr"] = "students"  # the rule alone decides
    assert dev.overall(weighted, kind, ratings)[0] == dev.area_scores(spec, kind, ratings)["students"]
    with pytest.raises(ValueError):
        dev.overall(spec, kind, {"gov_direction": "good"})


def test_demo_reviews_are_rated_by_the_rule_and_the_weak_indicator_is_in_the_ledger(demo, spec):
    period = yearly_period(2020)
    school = orgs.unit("3101041002")
    found = dev.record(school, period)
    assert found.stage == dev.Stage.REVIEWED
    ratings = dev.ratings_of(found.review_entries)
    score, level = dev.overall(spec, found.kind, ratings)
    assert (float(found.overall_score), found.overall) == (score, level)
    assert ratings["stu_health"] == "improve"
    ledger = dev.findings_of(user("city_admin"), found)
    assert [f.source_kind for f in ledger] == [SourceKind.EVALUATION]
    assert "身心发展" in ledger[0].text and ledger[0].owner == school


def test_a_collector_of_another_school_cannot_write_this_schools_self_evaluation(demo, spec):
    school, period = orgs.unit("3101011003"), yearly_period(2020)
    kind = dev.kind_of(spec, school)
    for intruder in ("3101011001-principal", "dx310101-1", "d310101", "city_admin"):
        refused(lambda who=intruder: dev.save_self(spec, school, period, user(who), entries(spec, kind), 0), 403)
    checker = user("3101011003-checker")
    saved = dev.save_self(spec, school, period, checker, entries(spec, kind), 0)
    # the checker fills in, but only the principal signs
    refused(lambda: dev.save_self(spec, school, period, checker, entries(spec, kind), saved.version, submit=True), 403)
    signed = dev.save_self(
        spec, school, period, user("3101011003-principal"), entries(spec, kind), saved.version, submit=True
    )
    assert signed.stage == dev.Stage.SUBMITTED and len(signed.signed_sha256) == 64
    refused(lambda: dev.save_self(spec, school, period, checker, entries(spec, kind), signed.version), 409)


def test_a_stale_self_evaluation_save_is_refused_and_the_first_kept(demo, spec):
    school, period = orgs.unit("3101011003"), yearly_period(2020)
    kind = dev.kind_of(spec, school)
    first = dev.save_self(spec, school, period, user("3101011003-checker"), entries(spec, kind, "good", text="甲"), 0)
    read = first.version
    dev.save_self(spec, school, period, user("3101011003-collector"), entries(spec, kind, "pass", text="乙"), read)
    err = refused(
        lambda: dev.save_self(
            spec, school, period, user("3101011003-checker"), entries(spec, kind, "excellent", text="丙"), read
        ),
        409,
    )
    assert "乙" in err.message and "丙" in err.message
    assert dev.record(school, period).self_entries["gov_direction"]["narrative"] == "乙"
    # a first save from a form that read nothing, after someone created the record, is stale too
    refused(lambda: dev.save_self(spec, school, period, user("3101011003-checker"), entries(spec, kind), 0), 409)


def test_only_the_assigned_inspector_or_the_district_reviewer_reviews(demo, spec):
    school, period = orgs.unit("3101011004"), yearly_period(2020)  # submitted, review waiting
    evaluation = dev.record(school, period)
    assigned = supervision.current(school).inspector.user
    review = entries(spec, evaluation.kind, "good", "comment", "评议")
    for intruder in ("dx310104-1", "d310104", "3101011004-principal", "analyst"):
        refused(lambda who=intruder: dev.save_review(spec, school, period, user(who), review, evaluation.version), 403)
    # an unfinished review cannot be finalised, and a weak one needs its comment
    review["gov_direction"] = {"rating": "improve", "comment": ""}
    refused(lambda: dev.save_review(spec, school, period, assigned, review, evaluation.version, finalize=True), 422)
    review["gov_direction"]["comment"] = "章程未按规定修订。"
    done = dev.save_review(spec, school, period, assigned, review, evaluation.version, finalize=True)
    assert done.overall == dev.overall(spec, done.kind, dev.ratings_of(review))[1] == "good"
    assert len(dev.findings_of(assigned, done)) == 1
    refused(lambda: dev.save_review(spec, school, period, user("d310101"), review, done.version), 409)


def test_a_review_before_the_school_submitted_is_refused(demo, spec):
    school, period = orgs.unit("3101011005"), yearly_period(2020)
    kind = dev.kind_of(spec, school)
    refused(lambda: dev.save_review(spec, school, period, user("d310101"), entries(spec, kind, key="comment"), 0), 409)


def test_report_renders_html_pdf_and_docx_with_chinese_text(demo, spec):
    import pdfplumber
    from docx import Document

    school, period = orgs.unit("3101041002"), yearly_period(2020)
    report = output.build(spec, school, period, dev.record(school, period))
    html = render.to_html(report)
    assert "发展性督导评价报告" in html and "待改进事项" in html
    with pdfplumber.open(io.BytesIO(render.to_pdf(report))) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert "发展性督导评价" in text and "学生发展" in text
    doc = Document(io.BytesIO(render.to_docx(report)))
    words = "".join(p.text for p in doc.paragraphs) + "".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert school.name in words and "身心发展" in words
    response = client_of("3101041002-principal").get(
        reverse("evaluation:dev_report", args=[school.code, "docx"]), {"period": "2020"}
    )
    assert response.status_code == 200 and response.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("login", "own", "other"),
    [
        ("3101011001-principal", "3101011001", "3101011002"),
        ("3101041002-collector", "3101041002", "3101041001"),
        ("d310101", "3101011002", "3101041001"),
        ("d310104", "3101041001", "3101011001"),
        ("analyst", None, "3101011001"),  # the third-party analyst has no part in school supervision
    ],
)
def test_a_user_reads_only_their_own_schools_evaluation(demo, login, own, other):
    c = client_of(login)
    if own:
        assert c.get(reverse("evaluation:dev_school", args=[own]), {"period": "2020"}).status_code == 200
    assert c.get(reverse("evaluation:dev_school", args=[other]), {"period": "2020"}).status_code == 404
    assert c.get(reverse("evaluation:dev_report", args=[other, "html"]), {"period": "2020"}).status_code == 404


def test_the_inspector_reads_assigned_schools_only(demo, spec):
    mine = {a.school.code for a in supervision.assigned_schools(user("dx310101-1"))}
    c = client_of("dx310101-1")
    readable = {s.code for s in dev.readable_schools(spec, user("dx310101-1"))}
    assert readable and readable <= mine
    for code in readable:
        assert c.get(reverse("evaluation:dev_school", args=[code]), {"period": "2020"}).status_code == 200
    assert c.get(reverse("evaluation:dev_school", args=["3101041002"]), {"period": "2020"}).status_code == 404
    city = client_of("city_admin")
    assert city.get(reverse("evaluation:dev_school", args=["3101041002"]), {"period": "2020"}).status_code == 200


def test_district_summary_lists_area_ratings_and_exports_to_excel(demo, spec):
    from openpyxl import load_workbook

    result = dev.compute(spec, yearly_period(2020), orgs.unit("310104"))
    rows = {r["code"]: r for r in result["schools"]}
    assert rows["3101041001"]["overall_name"] and [a["level_name"] for a in rows["3101041001"]["areas"]].count("") == 0
    assert rows["3101041002"]["weak"] == 1 and result["summary"]["weak_indicators"] == 1
    assert rows["3101041003"]["stage"] == ""
    assert all(code.startswith("310104") for code in rows)
    page = client_of("d310104").get(
        reverse("evaluation:scheme", args=["developmental"]), {"org": "310104", "period": "2020"}
    )
    assert page.status_code == 200 and "3101041002" in page.content.decode()
    response = client_of("d310104").get(reverse("evaluation:dev_export"), {"org": "310104", "period": "2020"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    assert cells[0][:2] == ["学校代码", "学校"] and "学校治理" in cells[0]
    assert any(r[0] == "3101041002" and r[7] == 1 for r in cells)
    assert (
        client_of("d310104").get(reverse("evaluation:dev_export"), {"org": "310101", "period": "2020"}).status_code
        == 404
    )


def test_two_tabs_of_the_self_evaluation_form_the_second_save_is_refused_on_the_page(demo):
    page = reverse("evaluation:dev_school", args=["3101011003"])
    post = reverse("evaluation:dev_self", args=["3101011003"])
    checker, principal = client_of("3101011003-checker"), client_of("3101011003-principal")
    form = checker.get(page, {"period": "2020"}).content.decode()
    assert 'id="dev-self-form"' in form and 'name="version" value="0"' in form
    checker.post(
        post, {"period": "2020", "version": "0", "gov_direction_rating": "good", "gov_direction_narrative": "甲"}
    )
    answer = principal.post(
        post,
        {"period": "2020", "version": "0", "gov_direction_rating": "pass", "gov_direction_narrative": "乙"},
        follow=True,
    ).content.decode()
    assert "已被他人修改" in answer and "甲" in answer and "乙" in answer
    # the school's page has no review form, the inspector's page no self-evaluation form
    assert 'id="dev-review-form"' not in form


def test_evidence_is_kept_per_indicator_and_only_readers_download_it(demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = reverse("evaluation:dev_self", args=["3101011003"])
    upload = SimpleUploadedFile("规划.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    client_of("3101011003-principal").post(
        post, {"period": "2020", "version": "0", "gov_direction_rating": "good", "gov_direction_evidence": upload}
    )
    found = dev.evidence(dev.record(orgs.unit("3101011003"), yearly_period(2020)))
    (kept,) = found[("self", "gov_direction")]
    url = reverse("evaluation:dev_evidence", args=[kept.pk])
    got = client_of("d310101").get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 evidence"
    for outsider in ("3101011001-principal", "d310104", "analyst"):
        assert client_of(outsider).get(url).status_code == 404


def test_the_review_form_shows_only_to_a_reviewer_of_a_submitted_school(demo):
    page = reverse("evaluation:dev_school", args=["3101011004"])
    assert 'id="dev-review-form"' in client_of("d310101").get(page, {"period": "2020"}).content.decode()
    school_view = client_of("3101011004-principal").get(page, {"period": "2020"}).content.decode()
    assert 'id="dev-review-form"' not in school_view and 'id="dev-self-form"' not in school_view  # signed: read-only
