"""The rules every value a person types must pass before it is stored (输入校验): one for numbers, one for text.

Numbers (:func:`parse_number`). A figure must be finite and within its declared range; ``NaN``, ``inf`` and
``1e400`` are refused, not stored or turned into a 500. Beyond any declared range, every number stays below
:data:`MAX_EXPONENT` (below 10¹⁵) with at most :data:`MAX_DIGITS` (15) significant digits: SQLite keeps a decimal column
as a 64-bit float, which holds 15 significant digits exactly and integers only up to 2⁵³, so 2⁵³+1 would come back
as 2⁵³ — refused instead of silently changed. The collection form, its autosave, the Excel upload, the API, the
statistics import and the evaluation and plan forms all call it (the collection through
``collection.services.parse_value``).

Dates (:func:`parse_date`): ISO, as the date inputs send them.

Text (:func:`check_text`). Control characters (U+0000–U+001F except tab, line feed and carriage return, and U+007F)
make the .xlsx and .docx writers fail and have no business in a form; a text longer than its field allows is refused
with the field named, not truncated. :class:`dudao.middleware.InputGuardMiddleware` applies it to every field of
every form post and JSON body (with :data:`MAX_FIELD_LENGTH`, the longest text any field takes), the Excel upload
to every text cell, and :func:`check_model_text` to every model's text fields on save, with the field's own
``max_length`` — so a page form, the API and an import refuse the same things with the same words.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from dudao.errors import UNPROCESSABLE, DudaoError
from dudao.rounding import half_up

MAX_EXPONENT = 15  # |x| < 10¹⁵
MAX_DIGITS = 15
STORED_PLACES = 6  # every DecimalField of the project keeps 6 decimals
MAX_FIELD_LENGTH = 20000  # the longest text any field takes (a report chapter's paragraph, a school's narrative)
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse(message: str, field: str) -> DudaoError:
    return DudaoError(message, errors={field: message} if field else None)


def parse_number(
    raw: object,
    *,
    field: str = "",
    minimum: Decimal | int | float | None = None,
    maximum: Decimal | int | float | None = None,
    integer: bool = False,
    places: int | None = None,
) -> Decimal | None:
    """``raw`` (typed text, an Excel cell's value, a JSON value) as a finite number in [minimum, maximum], rounded
    half-up to ``places`` (default: the 6 decimals a decimal column keeps); ``None`` for blank input. Thousands
    separators (, ，) are allowed.

    Raises :class:`DudaoError` naming ``field`` (its ``errors`` = {field: message}) for anything else."""
    if raw is None or isinstance(raw, bool):
        if raw is None:
            return None
        raise _refuse(_("应为数字"), field)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if text == "":
        return None
    try:
        number = Decimal(text.replace(",", "").replace("，", ""))
    except ArithmeticError:  # InvalidOperation for "abc", Overflow for an exponent beyond Decimal's own limits
        raise _refuse(_("应为数字，收到“%(text)s”") % {"text": text[:20]}, field) from None
    if not number.is_finite():
        raise _refuse(_("应为有限数字"), field)
    if not number.is_zero() and number.adjusted() >= MAX_EXPONENT:  # |x| ≥ 10¹⁵, without arithmetic that overflows
        raise _refuse(_("数值过大（绝对值应小于 10 的 15 次方）"), field)
    if integer and number != number.to_integral_value():
        raise _refuse(_("应为整数"), field)
    if minimum is not None and number < Decimal(str(minimum)):
        raise _refuse(_("不能小于 %(n)s") % {"n": f"{Decimal(str(minimum)).normalize():f}"}, field)
    if maximum is not None and number > Decimal(str(maximum)):
        raise _refuse(_("不能大于 %(n)s") % {"n": f"{Decimal(str(maximum)).normalize():f}"}, field)
    # 四舍五入 like every figure shown (dudao.rounding); also ends "1e-999999999" and "0e999999999", whose plain
    # notation would be a billion digits long
    rounded = half_up(number, STORED_PLACES if places is None else places)
    assert rounded is not None  # half_up gives None only for None
    if len(rounded.normalize().as_tuple().digits) > MAX_DIGITS:
        raise _refuse(_("有效数字过多（不超过 15 位）"), field)
    return rounded


def parse_date(raw: object, field: str) -> date:
    """A date typed as YYYY-MM-DD (what ``<input type="date">`` sends); anything else is refused (422), the field
    named, so a page shows the message beside it and the API returns it under the field."""
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        message = _("日期格式应为 YYYY-MM-DD")
        raise DudaoError(message, locator=field, status=UNPROCESSABLE, errors={field: message}) from None


def parse_id(raw: object) -> int | None:
    """A row id from a query string or a form (``?a=12``, ``part=3``): a positive integer a database column holds,
    else ``None`` (the caller answers "not found") — ``abc``, ``NaN`` or 10³⁰ never reach a query."""
    try:
        number = parse_number(raw, integer=True, minimum=1)
    except DudaoError:
        return None
    return int(number) if number is not None else None


def length_problem(value: str, max_length: int) -> str:
    if len(value) > max_length:
        return _("文字过长（不超过 %(n)s 字，现为 %(m)s 字）") % {"n": max_length, "m": len(value)}
    return ""


def text_problem(value: str, max_length: int = MAX_FIELD_LENGTH) -> str:
    """Why ``value`` may not be stored as text ("" when it may): a control character, or longer than allowed."""
    match = CONTROL_CHARACTERS.search(value)
    if match:
        return _("含有不可见的控制字符（U+%(code)04X），请删除后重试") % {"code": ord(match.group())}
    return length_problem(value, max_length)


def check_text(value: str, *, field: str = "", max_length: int = MAX_FIELD_LENGTH) -> str:
    """``value`` unchanged when it is storable text; else a :class:`DudaoError` naming ``field``."""
    problem = text_problem(value, max_length)
    if problem:
        raise _refuse(problem, field)
    return value


def checks_its_own_text(view):
    """Marks a view that passes every posted text through :func:`check_text` itself, so it can show the problem next
    to the field (the collection form's autosave answers 422 with the field re-rendered) instead of the request guard
    refusing the whole request first."""
    view.checks_its_own_text = True
    return view


def request_text_errors(fields: dict[str, list[str]]) -> dict[str, str]:
    """field → problem for every submitted text (a form post's or a JSON body's strings) that no field may take."""
    errors = {}
    for name, values in fields.items():
        for value in values:
            problem = text_problem(value)
            if problem:
                errors[name] = problem
                break
    return errors


def json_strings(data: object, path: str = "") -> dict[str, list[str]]:
    """Every string in a parsed JSON body by its path (``values.students_total``), keys included."""
    found: dict[str, list[str]] = {}
    if isinstance(data, str):
        found.setdefault(path or "body", []).append(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            found.setdefault(here, []).append(str(key))
            for name, values in json_strings(value, here).items():
                found.setdefault(name, []).extend(values)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            for name, values in json_strings(value, f"{path}[{index}]").items():
                found.setdefault(name, []).extend(values)
    return found


# Text the platform writes itself, not a person: a published report's frozen HTML (length checked; old values with a
# control character are stripped by the exports, and refusing the snapshot would block publishing a report of them).
GENERATED_FIELDS = {"portal.Publication.html"}
TEXT_TYPES = ("CharField", "TextField", "SlugField", "EmailField", "URLField")


def check_model_text(instance) -> None:
    """Before a model row is saved: each text field within its ``max_length`` and free of control characters.

    Connected to ``pre_save`` for every model of the project (:func:`guard_model_text`), so a path that forgets to
    check its input still cannot store a megabyte or a control character."""
    errors = {}
    label = instance._meta.label
    for field in instance._meta.concrete_fields:
        if field.get_internal_type() not in TEXT_TYPES:
            continue
        value = getattr(instance, field.attname)
        if not isinstance(value, str) or not value:
            continue
        limit = field.max_length or MAX_FIELD_LENGTH
        generated = f"{label}.{field.name}" in GENERATED_FIELDS
        problem = length_problem(value, limit) if generated else text_problem(value, limit)
        if problem:
            errors[field.name] = f"{field.verbose_name}：{problem}"
    if errors:
        raise DudaoError("；".join(errors.values()), errors=errors)


def guard_model_text(sender, instance, raw: bool = False, **kwargs) -> None:
    """``pre_save`` receiver: :func:`check_model_text` for the project's own models (not history rows, which copy
    a row already checked, nor fixtures loaded raw)."""
    if raw or not sender.__module__.startswith("dudao.") or sender.__name__.startswith("Historical"):
        return
    check_model_text(instance)
