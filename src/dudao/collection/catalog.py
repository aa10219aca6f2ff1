"""Load data sets, their elements and validation rules from ``catalog/datasets/*.yaml``.

The YAML file is the definition: loading it again updates names, units and rules in place (idempotent), and every
rule's formula is parsed at load time so a typo in the catalog fails loudly here rather than during a school's
submission.
"""

from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from .expressions import parse
from .models import DataElement, DataSet, DataSetElement, ValidationRule, ValueType

PERCENT_BOUNDS = (Decimal(0), Decimal(100))


class CatalogError(ValueError):
    pass


def dataset_files() -> list[Path]:
    return sorted((Path(settings.CATALOG_DIR) / "datasets").glob("*.yaml"))


@transaction.atomic
def load_dataset(path: Path) -> DataSet:
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    dataset, _ = DataSet.objects.update_or_create(
        code=spec["code"],
        defaults={"name": spec["name"], "period_type": spec.get("period_type", "yearly"), "spec": spec},
    )
    known: set[str] = set()
    order = 0
    for section in spec["sections"]:
        for item in section["elements"]:
            vtype = item["type"]
            if vtype not in ValueType.values:
                raise CatalogError(f"{path.name}: {item['code']} has unknown type {vtype}")
            low, high = PERCENT_BOUNDS if vtype == ValueType.PERCENT else (None, None)
            if vtype in (ValueType.INTEGER, ValueType.NUMBER):
                low = Decimal(0)  # counts and money are never negative in this data set
            element, _ = DataElement.objects.update_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "value_type": vtype,
                    "unit": item.get("unit", ""),
                    "decimals": item.get("decimals", 0),
                    "minimum": item.get("min", low),
                    "maximum": item.get("max", high),
                    "required": item.get("required", True),
                    "help_text": item.get("help", ""),
                },
            )
            order += 1
            DataSetElement.objects.update_or_create(
                dataset=dataset,
                element=element,
                defaults={"section_code": section["code"], "section_name": section["name"], "order": order},
            )
            known.add(element.code)
    dataset.members.exclude(element__code__in=known).delete()
    rule_codes = []
    for rule in spec.get("rules", []):
        expression = parse(rule["expr"])
        unknown = expression.names - known
        if unknown:
            raise CatalogError(f"{path.name}: rule {rule['code']} uses unknown elements {sorted(unknown)}")
        ValidationRule.objects.update_or_create(
            dataset=dataset,
            code=rule["code"],
            defaults={"expression": rule["expr"], "severity": rule["severity"], "message": rule["message"]},
        )
        rule_codes.append(rule["code"])
    dataset.rules.exclude(code__in=rule_codes).delete()
    return dataset


def load_all_datasets() -> list[DataSet]:
    return [load_dataset(path) for path in dataset_files()]
