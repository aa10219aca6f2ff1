"""Template context: which sections of the navigation this user can actually open (a school clerk should not be
shown links to the city's dashboard that would answer 404)."""

from dudao.notifications.selectors import unread_count
from dudao.orgs.access import memberships
from dudao.orgs.vocabulary import Level, Role
from dudao.supervision.selectors import takes_part
from dudao.surveys.selectors import may_use as uses_surveys

OFFICE_ROLES = {Role.DISTRICT_CLERK, Role.DISTRICT_REVIEWER, Role.CITY_ADMIN, Role.ANALYST, Role.INSPECTOR}
# who writes or approves a city or district report's compiled chapters (报告编撰)
COMPILING_ROLES = {Role.COMPILER, Role.CITY_ADMIN, Role.DISTRICT_REVIEWER}
STATISTICS_ROLES = {Role.CITY_ADMIN, Role.COMPILER}  # who imports public statistics (dudao.statistics)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = memberships(user)
    office = user.is_superuser or any(
        m.role in OFFICE_ROLES and m.org.level in (Level.CITY, Level.DISTRICT, Level.DEPARTMENT) for m in held
    )
    # the cockpit and the evaluation pages are about a city's or a district's schools: a 处室 (department) of the
    # city has no schools of its own, so its office users are not offered them (they answered 404/400 there)
    area = user.is_superuser or any(
        m.role in OFFICE_ROLES and m.org.level in (Level.CITY, Level.DISTRICT) for m in held
    )
    compiling = user.is_superuser or any(
        m.role in COMPILING_ROLES and m.org.level in (Level.CITY, Level.DISTRICT) for m in held
    )
    statistics = user.is_superuser or any(m.role in STATISTICS_ROLES and m.org.level == Level.CITY for m in held)
    # a 市政府部门's staff fill its part of the provincial 履职自评 (evaluation.schemes.provincial_duty)
    duty_part = next(
        (m.org.code for m in held if m.role in (Role.COLLECTOR, Role.CHECKER) and m.org.level == Level.DEPARTMENT), ""
    )
    return {
        "nav_duty_part": duty_part,
        "nav_office": office,
        "nav_area": area,
        "nav_compiling": compiling,
        "nav_statistics": statistics,
        "nav_supervision": takes_part(user),  # 督学: the ledger a school, an inspector or an office reads
        "nav_unread": unread_count(user),  # the badge on 消息
        "nav_surveys": uses_surveys(user),  # 问卷调查: the offices of the city and the districts
    }
