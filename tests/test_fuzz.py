"""Bad input never crashes and never half-saves (hypothesis): the Excel importers, the formula language and the
plan parser answer anything with their own clear error type — or a result — and a rejected file writes nothing."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dudao.collection import excel, services
from dudao.collection.models import DataValue
from dudao.errors import DudaoError
from dudao.plans.parser import parse, parse_file

from .conftest import VALID

# openpyxl itself refuses control characters in cells, so the generated *files* cannot contain them
printable = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

cell_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**53), max_value=2**53),  # an .xlsx number is a double: beyond 2⁵³ the file itself rounds
    st.floats(allow_nan=True, allow_infinity=True),
    printable,
    st.sampled_from(["", " ", "1,200", "１２００", "1e400", "-0", "NaN", "=1/0", "=SUM(A1:A9)", "12.345678901", "九"]),
    st.booleans(),
    st.dates(),
)


def _school_file(world, changes: dict[int, object], extra_rows: list[tuple] = ()) -> tuple[io.BytesIO, dict]:
    """The school template filled with VALID, then ``changes`` (row index → cell value); also returns code → the
    value each changed row ends up with."""
    wb = openpyxl.load_workbook(io.BytesIO(excel.school_template(world.sub_a)))
    ws = wb[excel.SHEET]
    codes = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    for r, code in enumerate(codes, start=2):
        if code in VALID:
            ws.cell(r, 5).value = VALID[code]
    final = {}
    for index, value in changes.items():
        if index < len(codes):
            ws.cell(2 + index, 5).value = value
            final[codes[index]] = value
    for row in extra_rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    # what the importer will see: openpyxl turns "=…" text into a formula, read back (data_only) without a value
    reread = openpyxl.load_workbook(io.BytesIO(out.getvalue()), data_only=True)[excel.SHEET]
    final = {code: reread.cell(2 + codes.index(code), 5).value for code in final}
    out.seek(0)
    return out, final


_TEMPLATE: dict[int, bytes] = {}


def _snapshot():
    return sorted(DataValue.objects.values_list("org_id", "element_id", "value"))


@pytest.mark.django_db
@FUZZ
@given(
    changes=st.dictionaries(st.integers(min_value=0, max_value=60), cell_values, max_size=6),
    extra=st.lists(st.tuples(st.one_of(st.none(), printable), cell_values), max_size=3),
)
def test_school_import_accepts_or_names_every_bad_cell(world, changes, extra):
    before = _snapshot()
    extra_rows = [(code, None, None, None, value) for code, value in extra]
    upload, final = _school_file(world, changes, extra_rows)
    try:
        result = excel.import_school(world.sub_a, upload, world.users["collector"])
    except DudaoError as exc:
        assert exc.errors and all(e.startswith(f"{excel.SHEET}!") for e in exc.errors), exc.errors
        assert _snapshot() == before  # nothing saved
        return
    assert result.schools == [world.school_a.code]
    stored = {v.element.code: v.value for v in DataValue.objects.filter(org=world.school_a).select_related("element")}
    elements = {m.element.code: m.element for m in world.sub_a.campaign.dataset.members.select_related("element")}
    for code, value in final.items():
        if value is not None and str(value).strip():
            assert stored[code] == services.parse_value(elements[code], value)[0]  # what was accepted is kept


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_corrupt_files_are_refused_cleanly(world, data):
    # one template for the whole run: hypothesis needs the same byte length in every example
    good = _TEMPLATE.setdefault(world.sub_a.pk, excel.school_template(world.sub_a))
    mode = data.draw(st.sampled_from(["flip", "truncate", "random", "zip_of_junk"]))
    if mode == "flip":
        blob = bytearray(good)
        for _ in range(data.draw(st.integers(1, 20))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
        payload = bytes(blob)
    elif mode == "truncate":
        payload = good[: data.draw(st.integers(0, len(good) - 1))]
    elif mode == "random":
        payload = data.draw(st.binary(max_size=2000))
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("[Content_Types].xml", data.draw(st.binary(max_size=200)))
            z.writestr("xl/workbook.xml", data.draw(st.text(max_size=200)))
        payload = out.getvalue()
    before = _snapshot()
    for importer in (
        lambda f: excel.import_school(world.sub_a, f, world.users["collector"]),
        lambda f: excel.import_district(world.campaign, world.huangpu, f, world.users["district_reviewer"]),
    ):
        try:
            importer(io.BytesIO(payload))
        except DudaoError as exc:
            assert exc.errors
    assert _snapshot() == before or mode == "flip"  # a flipped byte may still leave a valid, valid-valued file


@pytest.mark.django_db
@FUZZ
@given(
    header=st.lists(st.one_of(st.none(), printable, st.sampled_from(sorted(VALID))), max_size=6),
    rows=st.lists(
        st.tuples(st.one_of(st.none(), st.sampled_from(["3101010001", "3101010002", "3101040001", "x"])), cell_values),
        max_size=5,
    ),
)
def test_district_import_accepts_or_names_every_bad_cell(world, header, rows):
    wb = openpyxl.load_workbook(
        io.BytesIO(excel.district_template(world.campaign, world.huangpu, world.users["district_reviewer"]))
    )
    ws = wb[excel.SHEET]
    for offset, code in enumerate(header):
        ws.cell(1, ws.max_column + 1 if offset else 3).value = code
    for school, value in rows:
        ws.append([school, None, value])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    before = _snapshot()
    try:
        excel.import_district(world.campaign, world.huangpu, out, world.users["district_reviewer"])
    except DudaoError as exc:
        assert exc.errors and all(e.startswith(f"{excel.SHEET}!") or "工作表" in e for e in exc.errors), exc.errors
        assert _snapshot() == before


# ----------------------------------------------------------------------------- formulas

names = st.sampled_from(["a", "b", "students_total", "x_1"])
atoms = st.one_of(names, st.integers(-(10**6), 10**6).map(str), st.sampled_from(["0", "0.0", "1e308", "1e-300"]))
ops = st.sampled_from(["+", "-", "*", "/", "==", "<=", ">", " and ", " or "])
functions = st.sampled_from(["abs", "min", "max", "sum", "eval", "__import__"])
formulas = st.deferred(
    lambda: st.one_of(
        atoms,
        atoms,
        st.tuples(formulas, ops, formulas).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        formulas.map(lambda t: f"({t})"),
        formulas.map(lambda t: f"-{t}"),
        formulas.map(lambda t: f"not {t}"),
        st.tuples(functions, formulas).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(functions, formulas, formulas).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(formulas, st.text(max_size=60)),
    values=st.dictionaries(names, st.one_of(st.none(), st.integers(-(10**9), 10**9), st.decimals(allow_nan=False))),
)
def test_formula_language_parses_or_refuses_and_evaluates_without_crashing(text, values):
    try:
        expression = parse_formula(text)
    except DudaoError as exc:
        assert str(exc)
        return
    assert expression.names <= {"a", "b", "students_total", "x_1"} | set(expression.names)
    result = expression.evaluate(values)
    assert result is None or isinstance(result, (Decimal, bool))


def parse_formula(text):
    from dudao.collection.expressions import parse as formula_parse

    return formula_parse(text)


# ----------------------------------------------------------------------------- plans

numerals = st.sampled_from(["一", "二", "三", "十", "十二", "二十一", "〇"])
plan_lines = st.one_of(
    numerals.map(lambda n: f"{n}、加强职业教育"),
    numerals.map(lambda n: f"（{n}）推进产教融合"),
    st.integers(0, 80).map(lambda n: f"{n}．完善制度。到年底不少于{n}所。"),
    st.integers(0, 80).map(lambda n: f"{n}.开展工作，覆盖率达到{n}%以上。"),
    st.sampled_from(["上海市教育委员会", "沪教委职〔2020〕5号", "2020年3月1日", "附件", "", "- 3 -", "第 2 页"]),
    st.text(max_size=30),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(plan_lines, max_size=40))
def test_plan_parser_structured_noise(lines):
    try:
        plan = parse("\n".join(lines))
    except DudaoError as exc:
        assert str(exc)
        return
    numbers = [t.no for t in plan.tasks]
    assert numbers == sorted(numbers)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(suffix=st.sampled_from([".txt", ".docx", ".pdf", ".doc", ""]), payload=st.binary(max_size=3000))
def test_plan_files_of_any_bytes(tmp_path_factory, suffix, payload):
    path = tmp_path_factory.mktemp("plan") / f"plan{suffix}"
    path.write_bytes(payload)
    try:
        parse_file(path)
    except DudaoError as exc:
        assert str(exc)
