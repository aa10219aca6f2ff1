import pytest

from dudao.orgs.access import can_view, has_role, roles_at, top_units, visible_units
from dudao.orgs.catalog import load_org_catalog, read_catalog
from dudao.orgs.models import Level, OrgGroup, OrgUnit, Role
from dudao.orgs.selectors import schools_under

EXPECTED_DISTRICTS = {
    "310101": "黄浦区",
    "310104": "徐汇区",
    "310105": "长宁区",
    "310106": "静安区",
    "310107": "普陀区",
    "310109": "虹口区",
    "310110": "杨浦区",
    "310112": "闵行区",
    "310113": "宝山区",
    "310114": "嘉定区",
    "310115": "浦东新区",
    "310116": "金山区",
    "310117": "松江区",
    "310118": "青浦区",
    "310120": "奉贤区",
    "310151": "崇明区",
}


@pytest.mark.django_db
def test_catalog_builds_city_and_16_real_districts():
    city = load_org_catalog()
    load_org_catalog()  # idempotent
    assert (city.code, city.name, city.level) == ("310000", "上海市", Level.CITY)
    districts = {d.code: d.name for d in OrgUnit.objects.filter(level=Level.DISTRICT)}
    assert districts == EXPECTED_DISTRICTS
    assert all(d.parent_id == city.id for d in OrgUnit.objects.filter(level=Level.DISTRICT))
    assert OrgUnit.objects.filter(level=Level.DEPARTMENT, parent=city).count() >= 3


@pytest.mark.django_db
def test_group_sets_cover_school_types_and_affiliation():
    load_org_catalog()
    types = set(OrgGroup.objects.filter(group_set__code="school_type").values_list("name", flat=True))
    assert types == {
        "幼儿园",
        "小学",
        "初中",
        "高中",
        "九年一贯制",
        "完全中学",
        "特殊教育",
        "工读",
        "职业高中",
        "普通中专",
        "技工学校",
        "成人中专",
        "高职",
        "本科",
    }
    affiliation = set(OrgGroup.objects.filter(group_set__code="affiliation").values_list("name", flat=True))
    assert affiliation == {"市教委", "区教育局", "行业企业", "民办"}


def test_catalog_file_has_every_role_level():
    data = read_catalog()
    assert len(data["districts"]) == 16


def test_roles_apply_to_the_subtree_only(world):
    reviewer = world.users["district_reviewer"]
    assert has_role(reviewer, world.school_a, Role.DISTRICT_REVIEWER)
    assert has_role(reviewer, world.huangpu, Role.DISTRICT_REVIEWER)
    assert not has_role(reviewer, world.school_c, Role.DISTRICT_REVIEWER)
    assert not has_role(reviewer, world.city, Role.DISTRICT_REVIEWER)  # never upwards
    collector = world.users["collector"]
    assert can_view(collector, world.school_a) and not can_view(collector, world.school_b)
    assert not can_view(collector, world.huangpu)
    assert roles_at(world.users["city_admin"], world.school_c) == {Role.CITY_ADMIN}


def test_visible_units_and_top_units(world):
    reviewer = world.users["district_reviewer"]
    codes = set(visible_units(reviewer).values_list("code", flat=True))
    assert codes == {"310101", "3101010001", "3101010002"}
    assert top_units(reviewer) == [world.huangpu]
    assert set(schools_under(world.city).values_list("code", flat=True)) == {"3101010001", "3101010002", "3101040001"}
    assert not visible_units(world.users["collector"]).filter(code="3101010002").exists()
