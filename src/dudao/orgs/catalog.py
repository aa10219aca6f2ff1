"""Load the org catalog (``catalog/orgs.yaml``): city, districts, departments and group sets.

Idempotent, so ``dudao demo`` and migrations on an existing database can run it again safely.
"""

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from .models import OrgGroup, OrgGroupSet, OrgUnit
from .vocabulary import Level


def read_catalog(path: Path | None = None) -> dict:
    path = path or Path(settings.CATALOG_DIR) / "orgs.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@transaction.atomic
def load_org_catalog(path: Path | None = None) -> OrgUnit:
    data = read_catalog(path)
    city, _ = OrgUnit.objects.update_or_create(
        code=data["city"]["code"], defaults={"name": data["city"]["name"], "level": Level.CITY, "parent": None}
    )
    for item in data["districts"]:
        OrgUnit.objects.update_or_create(
            code=item["code"], defaults={"name": item["name"], "level": Level.DISTRICT, "parent": city}
        )
    # 市教委 offices and 市政府部门 alike hang under the city as departments (no schools, no collected data)
    for item in data.get("departments", []) + data.get("government_departments", []):
        OrgUnit.objects.update_or_create(
            code=item["code"], defaults={"name": item["name"], "level": Level.DEPARTMENT, "parent": city}
        )
    for set_code, spec in data["group_sets"].items():
        group_set, _ = OrgGroupSet.objects.update_or_create(code=set_code, defaults={"name": spec["name"]})
        for code, name in spec["groups"].items():
            OrgGroup.objects.update_or_create(group_set=group_set, code=code, defaults={"name": name})
    return city


def group(set_code: str, code: str) -> OrgGroup:
    return OrgGroup.objects.get(group_set__code=set_code, code=code)
