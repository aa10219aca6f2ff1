"""The words of the org tree that are not tables: a unit's level and the roles held at a unit.

Kept apart from :mod:`.models` so that other apps (and the template context) can name a level or a role without
importing orgs' models, which are private to this app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    SCHOOL = "school", _("学校")
    DEPARTMENT = "department", _("处室")


class Role(models.TextChoices):
    COLLECTOR = "collector", _("采集员")
    CHECKER = "checker", _("审核员")
    PRINCIPAL = "principal", _("校长")
    DISTRICT_REVIEWER = "district_reviewer", _("区审核员")
    CITY_ADMIN = "city_admin", _("市管理员")
    INSPECTOR = "inspector", _("督学")
    ANALYST = "analyst", _("分析员")
    COMPILER = "compiler", _("报告编撰员")
