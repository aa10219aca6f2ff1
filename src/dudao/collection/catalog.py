"""Load data sets, their elements and validation rules from ``catalog/datasets/*.yaml``.

The YAML file is the definition: loading it again updates names, units and rules in place (idempotent), and every
rule's formula is parsed at load time so a typo in the catalog fails loudly here rather than during a school's
submission.

An element code means one thing everywhere (indicators, evaluation formulas and reports name elements, not forms), so
a code is declared in exactly one place: one section of one data set. A second declaration — in the same file or in
another data set — is refused with both places named, before anything is written; the database backs this with a
unique constraint on an element's data-set membership.
"""

from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from dudao.errors import DudaoError

from .expressions import parse
from .models import DataElement, DataSet, DataSetElement, ValidationRule
from .vocabulary import ValueType

PERCENT_BOUNDS = (Decimal(0), Decimal(100))


def dataset_files() -> list[Path]:
    return sorted((Path(settings.CATALOG_DIR) / "datasets").glob("*.yaml"))


def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _declarations(path: Path, spec: dict) -> dict[str, str]:
    """element code → where it is declared ("file › section"), refusing a code declared twice in the file."""
    places: dict[str, str] = {}
    for section in spec["sections"]:
        for item in section["elements"]:
            here = f"{path.name} › {section['code']}"
            if item["code"] in places:
                raise _duplicate(item["code"], places[item["code"]], here)
            places[item["code"]] = here
    return places


def _duplicate(code: str, first: str, second: str) -> DudaoError:
    return DudaoError(f"数据元编码“{code}”重复声明：{first} 与 {second}；同一编码只能在一个数据集中声明")


def _refuse_declared_elsewhere(dataset_code: str, places: dict[str, str]) -> None:
    """A code already a member of another data set in the database (loaded from another file earlier)."""
    taken = (
        DataSetElement.objects.filter(element__code__in=list(places))
        .exclude(dataset__code=dataset_code)
        .values_list("element__code", "dataset__code", "section_code")
    )
    for code, other, section in taken:
        raise _duplicate(code, f"{other}.yaml › {section}", places[code])


@transaction.atomic
def load_dataset(path: Path) -> DataSet:
    spec = _read(path)
    _refuse_declared_elsewhere(spec["code"], _declarations(path, spec))
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
                raise DudaoError(f"{path.name}: {item['code']} has unknown type {vtype}")
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
            raise DudaoError(f"{path.name}: rule {rule['code']} uses unknown elements {sorted(unknown)}")
        ValidationRule.objects.update_or_create(
            dataset=dataset,
            code=rule["code"],
            defaults={"expression": rule["expr"], "severity": rule["severity"], "message": rule["message"]},
        )
        rule_codes.append(rule["code"])
    dataset.rules.exclude(code__in=rule_codes).delete()
    return dataset


@transaction.atomic
def load_all_datasets() -> list[DataSet]:
    """Every data set file, all or nothing; a code declared in two files is refused before anything is written."""
    places: dict[str, str] = {}
    for path in dataset_files():
        for code, here in _declarations(path, _read(path)).items():
            if code in places:
                raise _duplicate(code, places[code], here)
            places[code] = here
    return [load_dataset(path) for path in dataset_files()]
