"""督学 (issue #17 parts 1, 4 and 5): the inspector registry and 挂牌 with history, the follow-up ledger's status
machine, escalation of overdue items, 问责, and who sees which finding. Each test replays an attack or a mistake."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from dudao.errors import DudaoError
from dudao.inbox.selection import inbox
from dudao.notifications.models import Notification
from dudao.notifications.vocabulary import Kind
from dudao.orgs.vocabulary import Role
from dudao.supervision import selectors, services
from dudao.supervision.models import Assignment, ContactMessage, Finding, Step
from dudao.supervision.vocabulary import FindingState, InspectorKind, SourceKind
from tests.conftest import make_user

TODAY = date(2021, 3, 1)


def refused(call, status):
    with pytest.raises(DudaoError) as caught:
        call()
    assert caught.value.status == status, caught.value.message
    return caught.value


@pytest.fixture
def sv(world):
    """The world plus two qualified 黄浦 inspectors with sign-ins, one expired one, and one 徐汇 inspector."""
    w = world
    w.reviewer = w.users["district_reviewer"]
    qualified = {
        "trained_on": date(2020, 9, 1),
        "certified_on": date(2019, 1, 1),
        "certificate_expires": date(2023, 12, 31),
    }
    w.zhang_user = get_user_model().objects.create_user("zhang", password="pw-12345-dudao")
    w.li_user = get_user_model().objects.create_user("li", password="pw-12345-dudao")
    w.zhang = services.register_inspector(
        w.huangpu, w.reviewer, name="张督学", user=w.zhang_user, phone="021-1", **qualified
    )
    w.li = services.register_inspector(w.huangpu, w.reviewer, name="李督学", user=w.li_user, **qualified)
    w.expired = services.register_inspector(
        w.huangpu,
        w.reviewer,
        name="王督学",
        trained_on=date(2020, 9, 1),
        certified_on=date(2017, 1, 1),
        certificate_expires=date(2020, 12, 31),
    )
    w.xu = services.register_inspector(w.xuhui, w.users["district_reviewer_xuhui"], name="徐督学", **qualified)
    services.assign(w.school_a, w.zhang, w.reviewer, date(2021, 1, 1))
    services.assign(w.school_c, w.xu, w.users["city_admin"], date(2021, 1, 1))
    return w


def raised(w, owner=None, by=None, deadline=date(2021, 6, 30), theme="近视防控"):
    return services.raise_finding(
        owner or w.school_a,
        by or w.zhang_user,
        theme=theme,
        text="眼保健操未按时开展。",
        deadline=deadline,
        source_kind=SourceKind.VISIT,
        source_ref="visit-1",
    )


# --------------------------------------------------------------------------- registry and 挂牌


def test_qualification_needs_training_within_a_year_and_an_unexpired_certificate(sv):
    assert sv.zhang.qualified(TODAY)
    assert not sv.expired.qualified(TODAY)
    assert not sv.zhang.qualified(date(2024, 1, 1))  # certificate expired
    assert not sv.zhang.qualified(date(2021, 9, 2))  # last training more than a year ago
    assert not sv.zhang.qualified(date(2018, 6, 1))  # not yet certified


def test_assigning_an_expired_inspector_is_refused(sv):
    error = refused(lambda: services.assign(sv.school_b, sv.expired, sv.reviewer, TODAY), 422)
    assert "inspector" in error.field_errors()
    assert not Assignment.objects.filter(school=sv.school_b).exists()


def test_a_special_inspector_cannot_be_a_schools_responsible_inspector(sv):
    special = services.register_inspector(
        sv.huangpu,
        sv.reviewer,
        name="特约",
        kind=InspectorKind.SPECIAL,
        trained_on=date(2020, 9, 1),
        certified_on=date(2019, 1, 1),
        certificate_expires=date(2023, 1, 1),
    )
    refused(lambda: services.assign(sv.school_b, special, sv.reviewer, TODAY), 422)


def test_reassigning_ends_the_previous_assignment_and_keeps_history(sv):
    services.assign(sv.school_a, sv.li, sv.reviewer, TODAY)
    rows = selectors.history(sv.school_a)
    assert [(a.inspector.name, a.started_on, a.ended_on) for a in rows] == [
        ("李督学", TODAY, None),
        ("张督学", date(2021, 1, 1), TODAY),
    ]
    assert selectors.current(sv.school_a).inspector == sv.li


def test_two_current_inspectors_for_one_school_are_refused_by_the_database(sv):
    """A write that skips the service (a second process, the admin, raw SQL) still cannot give a school two 督学."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(inspector=sv.li, school=sv.school_a, started_on=TODAY)
    Assignment.objects.create(
        inspector=sv.li, school=sv.school_a, started_on=date(2020, 1, 1), ended_on=date(2020, 6, 1)
    )
    assert Assignment.objects.filter(school=sv.school_a, ended_on__isnull=True).count() == 1


@pytest.mark.parametrize(
    "who", ["collector", "principal", "district_reviewer_xuhui", "inspector", "analyst", "district_clerk"]
)
def test_assigning_a_school_outside_ones_district_or_without_the_role_is_refused(sv, who):
    refused(lambda: services.assign(sv.school_a, sv.li, sv.users[who], TODAY), 403)
    assert selectors.current(sv.school_a).inspector == sv.zhang


def test_city_admin_assigns_any_school(sv):
    services.assign(sv.school_b, sv.li, sv.users["city_admin"], TODAY)
    assert selectors.current(sv.school_b).inspector == sv.li


# --------------------------------------------------------------------------- the public card


def test_public_card_shows_the_current_inspector_and_takes_a_message_without_login(sv):
    client = Client()
    url = reverse("supervision:school", args=[sv.school_a.code])
    page = client.get(url)
    assert page.status_code == 200 and "张督学" in page.content.decode() and "021-1" in page.content.decode()
    answer = client.post(url, {"text": "学校作业太多。", "name": "家长"})
    assert answer.status_code == 200
    message = ContactMessage.objects.get()
    assert message.inspector == sv.zhang and message.school == sv.school_a
    assert [m.text for m in selectors.messages_for(sv.zhang_user)] == ["学校作业太多。"]


def test_contact_form_flood_from_one_address_is_throttled(sv):
    client = Client()
    url = reverse("supervision:school", args=[sv.school_a.code])
    for n in range(services.MESSAGES_PER_HOUR):
        assert client.post(url, {"text": f"留言{n}"}).status_code == 200
    assert client.post(url, {"text": "又一条"}).status_code == 429
    assert ContactMessage.objects.count() == services.MESSAGES_PER_HOUR


def test_overlong_message_is_refused(sv):
    answer = Client().post(reverse("supervision:school", args=[sv.school_a.code]), {"text": "长" * 1001})
    assert answer.status_code == 422
    assert not ContactMessage.objects.exists()


def test_public_card_shows_no_findings(sv):
    raised(sv)
    page = Client().get(reverse("supervision:school", args=[sv.school_a.code])).content.decode()
    assert "眼保健操" not in page and "近视防控" not in page


# --------------------------------------------------------------------------- the status machine


def test_full_cycle_open_rectifying_returned_rectifying_closed(sv):
    f = raised(sv)
    assert f.status == FindingState.OPEN and f.inspector == sv.zhang
    evidence = SimpleUploadedFile("photo.jpg", b"jpeg-bytes")
    services.submit_rectification(f, sv.users["principal"], "已恢复眼保健操。", f.version, evidence)
    assert f.status == FindingState.RECTIFYING
    services.recheck(f, sv.zhang_user, False, "仍有班级未做。", f.version)
    assert f.status == FindingState.RETURNED
    services.submit_rectification(f, sv.users["checker"], "全部班级已落实。", f.version)
    services.recheck(f, sv.zhang_user, True, "", f.version)
    assert f.status == FindingState.CLOSED and f.closed_at is not None
    assert [s.action for s in selectors.steps(f)] == ["raise", "submit", "return", "submit", "accept"]
    assert Step.objects.get(action="submit", text="已恢复眼保健操。").evidence.read() == b"jpeg-bytes"


@pytest.mark.parametrize(
    "start,action,code",
    [
        ("open", "recheck_ok", 409),
        ("open", "recheck_no", 409),
        ("returned", "recheck_ok", 409),
        ("rectifying", "submit", 409),
        ("closed", "submit", 409),
        ("closed", "recheck_ok", 409),
        ("closed", "recheck_no", 409),
        ("open", "hold", 409),  # 问责 only on an escalated item
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(sv, start, action, code):
    f = raised(sv)
    principal, zhang = sv.users["principal"], sv.zhang_user
    if start in ("rectifying", "returned", "closed"):
        services.submit_rectification(f, principal, "整改。", f.version)
    if start == "returned":
        services.recheck(f, zhang, False, "未到位。", f.version)
    if start == "closed":
        services.recheck(f, zhang, True, "", f.version)
    before = (f.status, f.version, Step.objects.count())
    calls = {
        "submit": lambda: services.submit_rectification(f, principal, "再整改。", f.version),
        "recheck_ok": lambda: services.recheck(f, zhang, True, "", f.version),
        "recheck_no": lambda: services.recheck(f, zhang, False, "不行。", f.version),
        "hold": lambda: services.hold_accountable(f, sv.reviewer, "约谈", "校长"),
    }
    refused(calls[action], code)
    f.refresh_from_db()
    assert (f.status, f.version, Step.objects.count()) == before


def test_returning_without_a_reason_is_refused(sv):
    f = raised(sv)
    services.submit_rectification(f, sv.users["principal"], "整改。", f.version)
    error = refused(lambda: services.recheck(f, sv.zhang_user, False, " ", f.version), 422)
    assert "note" in error.field_errors()


@pytest.mark.parametrize("who", ["collector_b", "district_reviewer", "city_admin", "collector", "analyst"])
def test_someone_other_than_the_owner_submitting_a_rectification_is_refused(sv, who):
    f = raised(sv)
    refused(lambda: services.submit_rectification(f, sv.users[who], "代为整改。", f.version), 403)


def test_another_schools_inspector_rechecking_is_refused(sv):
    f = raised(sv)
    services.submit_rectification(f, sv.users["principal"], "整改。", f.version)
    refused(lambda: services.recheck(f, sv.li_user, True, "", f.version), 403)
    refused(lambda: services.recheck(f, sv.users["district_reviewer_xuhui"], True, "", f.version), 403)
    refused(lambda: services.recheck(f, sv.users["principal"], True, "", f.version), 403)


def test_district_and_city_may_recheck_their_schools(sv):
    for who in ("district_reviewer", "city_admin", "inspector"):
        f = raised(sv)
        services.submit_rectification(f, sv.users["principal"], "整改。", f.version)
        services.recheck(f, sv.users[who], True, "", f.version)
        assert f.status == FindingState.CLOSED


def test_a_district_does_not_recheck_its_own_duzheng_rectification(sv):
    f = services.raise_finding(
        sv.huangpu,
        sv.users["inspector"],
        theme="教师编制",
        text="编制不足。",
        deadline=date(2021, 6, 30),
        source_kind=SourceKind.DUZHENG,
        source_ref="2020-duty",
    )
    services.submit_rectification(f, sv.users["district_clerk"], "已增编。", f.version)
    refused(lambda: services.recheck(f, sv.reviewer, True, "", f.version), 403)
    services.recheck(f, sv.users["city_admin"], True, "", f.version)


def test_raising_a_finding_at_an_unassigned_school_is_refused(sv):
    refused(lambda: raised(sv, owner=sv.school_b, by=sv.zhang_user), 403)  # 张督学 is assigned to school_a only
    refused(lambda: raised(sv, owner=sv.school_a, by=sv.users["principal"]), 403)
    raised(sv, owner=sv.school_b, by=sv.reviewer)


def test_concurrent_recheck_from_a_stale_page_is_refused_by_version(sv):
    """Two inspectors opened the page at the same version: the first says 'not yet', the second's 'accepted' must not
    overwrite it."""
    f = raised(sv)
    services.submit_rectification(f, sv.users["principal"], "整改。", f.version)
    seen = f.version
    stale = Finding.objects.get(pk=f.pk)
    services.recheck(f, sv.zhang_user, False, "未到位。", seen)
    error = refused(lambda: services.recheck(stale, sv.reviewer, True, "", seen), 409)
    assert error.locator == "version"
    f.refresh_from_db()
    assert f.status == FindingState.RETURNED


def test_a_stale_page_posting_a_recheck_gets_409(sv):
    f = raised(sv)
    services.submit_rectification(f, sv.users["principal"], "整改。", f.version)
    client = Client()
    client.force_login(sv.zhang_user)
    url = reverse("supervision:recheck", args=[f.pk])
    assert client.post(url, {"version": f.version, "verdict": "return", "note": "未到位"}).status_code == 302
    assert client.post(url, {"version": f.version, "verdict": "accept"}).status_code == 409
    f.refresh_from_db()
    assert f.status == FindingState.RETURNED


# --------------------------------------------------------------------------- escalation and 问责


def test_overdue_items_are_escalated_once_and_the_district_is_told(sv):
    late = raised(sv, deadline=date(2021, 3, 31))
    on_time = raised(sv, deadline=date(2021, 5, 31))
    rectified = raised(sv, deadline=date(2021, 3, 31))
    services.submit_rectification(rectified, sv.users["principal"], "整改。", rectified.version)
    done = services.escalate_overdue(date(2021, 4, 1))
    assert [f.pk for f in done] == [late.pk]
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.escalated_at is not None and on_time.escalated_at is None
    told = Notification.objects.filter(user=sv.reviewer, kind=Kind.FINDING_ESCALATED)
    assert told.count() == 1 and "甲职业学校" in told.get().title
    assert not Notification.objects.filter(
        user=sv.users["city_admin"], kind=Kind.FINDING_ESCALATED
    ).exists()  # nearest only
    # the school was told of each new item when it was raised, not of the escalation (that is for the district)
    assert not Notification.objects.filter(user=sv.users["principal"], kind=Kind.FINDING_ESCALATED).exists()
    assert services.escalate_overdue(date(2021, 4, 2)) == []
    assert told.count() == 1


def test_escalation_command(sv):
    from django.core.management import call_command

    late = raised(sv, deadline=date(2021, 3, 31))
    call_command("escalate_findings", "--today", "2021-04-01")
    late.refresh_from_db()
    assert late.escalated_at is not None


def test_accountability_on_an_escalated_item_by_the_district_only(sv):
    late = raised(sv, deadline=date(2021, 3, 31))
    services.escalate_overdue(date(2021, 4, 1))
    for who in ("principal", "district_reviewer_xuhui", "inspector", "analyst"):
        refused(lambda who=who: services.hold_accountable(late, sv.users[who], "约谈", "校长"), 403)
    refused(lambda: services.hold_accountable(late, sv.zhang_user, "约谈", "校长"), 403)
    record = services.hold_accountable(late, sv.reviewer, "约谈", "甲职业学校校长", "逾期未整改")
    assert record.finding == late and selectors.accountabilities(late) == [record]


# --------------------------------------------------------------------------- who sees what


@pytest.fixture
def ledger(sv):
    sv.a = raised(sv)
    sv.b = raised(sv, owner=sv.school_b, by=sv.reviewer, theme="体育课")
    sv.c = raised(sv, owner=sv.school_c, by=sv.users["city_admin"], theme="作业")
    return sv


def visible(user):
    return set(selectors.visible_findings(user).values_list("pk", flat=True))


def test_each_role_sees_its_rows(ledger):
    w = ledger
    assert visible(w.users["principal"]) == {w.a.pk}
    assert visible(w.users["collector_b"]) == {w.b.pk}
    assert visible(w.zhang_user) == {w.a.pk}
    assert visible(w.li_user) == set()
    assert visible(w.reviewer) == {w.a.pk, w.b.pk}
    assert visible(w.users["district_reviewer_xuhui"]) == {w.c.pk}
    assert visible(w.users["city_admin"]) == {w.a.pk, w.b.pk, w.c.pk}
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    assert visible(w.users["analyst"]) == set() and visible(w.users["compiler"]) == set()


def test_an_inspector_moved_to_another_school_no_longer_sees_the_old_one(ledger):
    w = ledger
    services.assign(w.school_a, w.li, w.reviewer, TODAY)
    assert visible(w.li_user) == {w.a.pk}
    assert visible(w.zhang_user) == {w.a.pk}  # raised it: still theirs to re-check
    services.assign(w.school_b, w.zhang, w.reviewer, TODAY)
    assert visible(w.zhang_user) == {w.a.pk, w.b.pk}


@pytest.mark.parametrize(
    "who,finding,status",
    [
        ("principal", "a", 200),
        ("principal", "b", 404),
        ("collector_c", "a", 404),
        ("zhang", "a", 200),
        ("zhang", "c", 404),
        ("li", "a", 404),
        ("district_reviewer", "b", 200),
        ("district_reviewer", "c", 404),
        ("district_reviewer_xuhui", "a", 404),
        ("city_admin", "c", 200),
        ("analyst", "a", 404),
        ("anonymous", "a", 302),
    ],
)
def test_finding_page_answers_by_role(ledger, who, finding, status):
    client = Client()
    users = {**ledger.users, "zhang": ledger.zhang_user, "li": ledger.li_user}
    if who != "anonymous":
        client.force_login(users[who])
    pk = getattr(ledger, finding).pk
    assert client.get(reverse("supervision:finding", args=[pk])).status_code == status


def test_board_and_registry_are_for_district_and_city_only(ledger):
    w = ledger
    for who, status in (("principal", 404), ("analyst", 404), ("district_reviewer", 200), ("city_admin", 200)):
        client = Client()
        client.force_login(w.users[who])
        assert client.get(reverse("supervision:board")).status_code == status, who
        assert client.get(reverse("supervision:inspectors")).status_code == status, who
    assert Client().get(reverse("supervision:board")).status_code == 302
    board = selectors.board(w.users["city_admin"])
    rows = {code: counts for code, _name, counts in board["districts"]}
    assert rows == {"310101": [2, 0, 0, 0], "310104": [1, 0, 0, 0]}
    assert selectors.board(w.reviewer)["districts"] == [("310101", "黄浦区", [2, 0, 0, 0])]


def test_the_board_counts_a_departments_duzheng_findings_in_its_own_row(ledger):
    w = ledger
    from dudao.orgs.models import OrgUnit

    czj = OrgUnit.objects.get(code="310000-CZJ")
    first = raised(w, owner=czj, by=w.users["inspector"], theme="教育经费")
    raised(w, owner=czj, by=w.users["inspector"], theme="教育经费")
    services.submit_rectification(first, make_user("czj-checker", czj, Role.CHECKER), "已追加预算。", first.version)
    board = selectors.board(w.users["city_admin"])
    # 市财政局: 2 findings, one open, one rectifying → [open 1, rectifying 1, returned 0, closed 0]
    assert board["departments"] == [("310000-CZJ", "市财政局", [1, 1, 0, 0])]
    assert {code for code, _name, _counts in board["districts"]} == {"310101", "310104"}  # not a district
    themes = dict(board["themes"])
    assert themes["教育经费"] == [1, 1, 0, 0]
    assert selectors.board(w.reviewer)["departments"] == []  # a district does not read the city's departments
    client = Client()
    client.force_login(w.users["city_admin"])
    page = client.get(reverse("supervision:board")).content.decode()
    assert 'id="board-departments"' in page and "市财政局" in page


def test_raising_a_finding_tells_the_owners_writers_once(sv):
    finding = raised(sv)  # 张督学 raises for 甲职业学校: its principal and checker are told, not its collector
    told = Notification.objects.filter(kind=Kind.FINDING_RAISED, key=f"finding-{finding.pk}")
    assert set(told.values_list("user__username", flat=True)) == {"a-principal", "a-checker"}
    assert told.get(user=sv.users["principal"]).link == reverse("supervision:finding", args=[finding.pk])
    # a district's own 督政 finding goes to its reviewers and clerks, the one who raised it excluded
    district = raised(sv, owner=sv.huangpu, by=sv.users["city_admin"])
    got = Notification.objects.filter(kind=Kind.FINDING_RAISED, key=f"finding-{district.pk}")
    assert set(got.values_list("user__username", flat=True)) == {"huangpu", "huangpu-clerk"}
    # the key makes telling again a no-op
    from dudao.notifications.services import notify

    assert notify([sv.users["principal"]], Kind.FINDING_RAISED, "x", key=f"finding-{finding.pk}") == []


def test_registry_lists_only_ones_own_districts_inspectors(ledger):
    names = {p.name for p in selectors.inspectors(ledger.reviewer)}
    assert names == {"张督学", "李督学", "王督学"}
    assert {p.name for p in selectors.inspectors(ledger.users["city_admin"])} == names | {"徐督学"}


def test_owners_inbox_lists_open_items_and_the_inspectors_lists_rechecks(ledger):
    w = ledger
    assert [f.pk for f in inbox(w.users["principal"]).findings] == [w.a.pk]
    assert inbox(w.users["collector"]).findings == []  # collectors read; principal and checker answer
    services.submit_rectification(w.a, w.users["principal"], "整改。", w.a.version)
    assert inbox(w.users["principal"]).findings == []
    assert [f.pk for f in inbox(w.zhang_user).rechecks] == [w.a.pk]
    assert inbox(w.li_user).rechecks == []


def test_evidence_is_served_to_readers_only(ledger):
    w = ledger
    services.submit_rectification(
        w.a, w.users["principal"], "整改。", w.a.version, SimpleUploadedFile("e.pdf", b"%PDF")
    )
    step = Step.objects.get(action="submit")
    url = reverse("supervision:evidence", args=[step.pk])
    for who, status in (("principal", 200), ("collector_b", 404), ("district_reviewer_xuhui", 404)):
        client = Client()
        client.force_login(w.users[who])
        assert client.get(url).status_code == status, who


def test_pages_render_for_their_users(ledger):
    client = Client()
    client.force_login(ledger.zhang_user)
    page = client.get(reverse("supervision:index"))
    assert page.status_code == 200 and "甲职业学校" in page.content.decode()
    assert client.get(reverse("supervision:finding", args=[ledger.a.pk])).status_code == 200
    client.force_login(ledger.users["principal"])
    assert client.get(reverse("home")).status_code == 200
    assert 'id="inbox-findings"' in client.get(reverse("home")).content.decode()
