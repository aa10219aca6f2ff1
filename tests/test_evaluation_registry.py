"""The evaluation scheme registry: one module in ``dudao.evaluation.schemes`` plus one YAML file is a whole scheme —
``evaluate()``, ``dudao evaluate``, the scheme page, its report and the index page pick it up with nothing else
touched. The test scheme is written to a temporary directory and removed again, so no other test sees it."""

import json
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import get_template
from django.test import override_settings

from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation import schemes as schemes_package
from dudao.evaluation.run import evaluate

from .conftest import approve_to

# The whole of a new scheme: what share of a district's schools have approved data for a data set.
TINY_MODULE = """
from dudao.collection.expressions import parse
from dudao.orgs.models import Level, OrgUnit

from ..common import districts, pass_counts
from ..inputs import approved_values
from ..registry import Scheme, register
from ..text import passed_word


def compute(spec, period, org):
    rate = parse(spec["indicators"][0]["expr"])
    results = []
    for district in districts(org):
        schools = list(OrgUnit.objects.filter(path__startswith=district.path, level=Level.SCHOOL))
        figures = {"approved": len(approved_values(spec["dataset"], period, schools)), "schools": len(schools)}
        value = rate.evaluate(figures)
        passed = None if value is None else float(value) >= spec["min_rate"]
        results.append({"code": district.code, "name": district.name, **figures, "passed": passed})
    return {"districts": results, "summary": pass_counts(results)}


def verdict(unit):
    return passed_word(unit["passed"])


def describe(result):
    return [f"{d['name']}：{d['approved']}/{d['schools']} 所已核准，{verdict(d)}" for d in result["districts"]]


SCHEME = register(Scheme("tiny", compute, describe=describe, verdict=verdict, inputs_from=("dataset",)))
"""

TINY_YAML = """\
code: tiny
name: 数据报送核准率（测试方案）
basis: 仅供测试
dataset: vocational_quality
min_rate: 50
indicators:
  - {code: approved_share, name: 已核准学校占比, expr: "approved * 100 / schools"}
"""


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """Drop ``schemes/tiny.py`` and ``catalog/evaluations/tiny.yaml`` in place (in a temporary directory) and let
    the registry discover them; afterwards the scheme is gone again."""
    registry.all_schemes()  # the real schemes are discovered first, as in a running site
    package_dir = tmp_path / "schemes"
    package_dir.mkdir()
    (package_dir / "tiny.py").write_text(TINY_MODULE, encoding="utf-8")
    (tmp_path / "catalog" / "evaluations").mkdir(parents=True)
    (tmp_path / "catalog" / "evaluations" / "tiny.yaml").write_text(TINY_YAML, encoding="utf-8")
    monkeypatch.setattr(schemes_package, "__path__", [*schemes_package.__path__, str(package_dir)])
    try:
        with override_settings(CATALOG_DIR=tmp_path / "catalog"):  # only the new YAML is read from there
            registry.discover()
        yield registry.get("tiny")
    finally:
        registry.unregister("tiny")
        sys.modules.pop(f"{registry.PACKAGE}.tiny", None)
    assert "tiny" not in registry.codes()


def test_the_schemes_in_their_order():
    assert registry.codes() == [
        "balanced",
        "preschool",
        "hei",
        "district_duty",
        "provincial_duty",
        "thematic",
        "developmental",
    ]
    for scheme in registry.all_schemes():
        assert scheme.spec["code"] == scheme.code
        get_template(scheme.template)
        if scheme.forms_template:
            get_template(scheme.forms_template)
    assert registry.get("preschool").inputs == ("kindergarten", "district_preschool")
    assert registry.get("balanced").inputs == ("compulsory_conditions", "district_balanced")
    assert registry.get("hei").inputs == ("hei",)
    assert registry.get("district_duty").inputs == registry.get("thematic").inputs == ()


def test_an_unknown_scheme_is_not_found():
    with pytest.raises(DudaoError, match="未知的评估方案 'nope'；可选：balanced, preschool") as raised:
        registry.get("nope")
    assert raised.value.status == 404
    with pytest.raises(DudaoError, match="未知的评估方案"):
        evaluate("nope", "2020")
    with pytest.raises(CommandError, match="invalid choice: 'nope'"):
        call_command("evaluate", "nope", "--period", "2020")


def test_a_formula_typo_fails_when_the_scheme_registers():
    spec = {"code": "broken", "name": "有错的方案", "indicators": [{"code": "x", "expr": "approved * "}]}
    with pytest.raises(DudaoError, match="公式"):
        registry.register(registry.Scheme("broken", lambda spec, period, org: {}, spec=spec))
    assert "broken" not in registry.codes()
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(registry.Scheme("balanced", lambda spec, period, org: {}, spec={"name": "again"}))


@pytest.mark.django_db
def test_one_module_and_one_yaml_make_a_scheme(tiny, world, client):
    assert tiny.inputs == ("vocational_quality",)
    assert registry.codes()[-1] == "tiny"  # after the five (default order)
    approve_to(world.sub_a, world.users, "city_accepted")  # 黄浦: 1 of 2 schools approved; 徐汇: 0 of 1

    # run.evaluate: the common header, then what the module computes
    result = evaluate("tiny", "2021", "310101")
    assert (
        result["scheme"] == "tiny" and result["name"] == "数据报送核准率（测试方案）" and result["basis"] == "仅供测试"
    )
    assert result["districts"] == [{"code": "310101", "name": "黄浦区", "approved": 1, "schools": 2, "passed": True}]
    assert evaluate("tiny", "2021", "310104")["summary"] == {"passed": 0, "failed": 1, "no_data": 0}
    with pytest.raises(DudaoError, match="以区为单位"):
        evaluate("tiny", "2021", world.school_a.code)

    # the CLI: a valid choice, JSON as is, and the module's lines under the header
    out = StringIO()
    call_command("evaluate", "tiny", "--period", "2021", "--org", "310101", "--json", stdout=out)
    assert json.loads(out.getvalue()) == result
    out = StringIO()
    call_command("evaluate", "tiny", "--period", "2021", "--org", "310104", stdout=out)
    assert out.getvalue().splitlines() == [
        "数据报送核准率（测试方案） · 2021年度 · 徐汇区",
        "徐汇区：0/1 所已核准，未达标",
    ]

    # the pages: listed on the index, its own page and report (the describe lines, as it has no block of its own)
    client.force_login(world.users["inspector"])
    index = client.get("/evaluation/?period=2021").content.decode()
    assert "数据报送核准率（测试方案）" in index and "/evaluation/tiny/report.pdf" in index
    page = client.get("/evaluation/tiny/?period=2021&org=310101")
    assert page.status_code == 200
    assert "<li>黄浦区：1/2 所已核准，达标</li>" in page.content.decode()
    report = client.get("/evaluation/tiny/report.html?period=2021&org=310101").content.decode()
    assert "2021年度黄浦区数据报送核准率（测试方案）报告" in report and "1/2 所已核准，达标" in report
    school = client.get(f"/evaluation/tiny/?period=2021&org={world.school_a.code}")
    assert school.status_code == 400 and "以区为单位" in school.content.decode()


@pytest.mark.django_db
def test_the_scheme_page_of_an_unregistered_code_is_404(world, client):
    client.force_login(world.users["inspector"])
    assert client.get("/evaluation/tiny/?period=2021").status_code == 404
    assert client.get("/evaluation/tiny/report.html?period=2021").status_code == 404
