"""Questionnaires (问卷) as data: ``catalog/surveys/<code>.yaml``, and the two rules that read them — whether a set of
answers is acceptable (:func:`clean`) and how answers score (:func:`tally`). Pure functions over plain dicts, so tests
call them with hand-made answers; the services and selectors are their only other callers (one place per rule).

The scoring rule, the same for every questionnaire (each YAML states it in words under ``rule``): a choice question
with favourable answers is *scored*; 认可度/满意度 = favourable answers ÷ answered scored questions × 100, pooled over
all responses — per respondent group over that group's responses, and overall over all of them (so a group's weight
is its number of answers, not one group one vote). An optional question left blank counts in neither; text is never
scored."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from dudao.errors import UNPROCESSABLE, DudaoError
from dudao.inputs import text_problem

UNITS = ("school", "district")


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    unit: str  # "school" or "district": one link per school or per district of the scope
    target: int  # the sample per unit (样本量)


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    type: str  # "choice" or "text"
    options: tuple[str, ...] = ()
    favourable: tuple[str, ...] = ()
    required: bool = True
    max_length: int = 0

    @property
    def scored(self) -> bool:
        return self.type == "choice" and bool(self.favourable)


@dataclass(frozen=True)
class Questionnaire:
    code: str
    title: str
    basis: str
    rule: str
    school_types: tuple[str, ...]
    groups: tuple[Group, ...]
    questions: tuple[Question, ...]

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)

    @property
    def group_names(self) -> dict[str, str]:
        return {g.code: g.name for g in self.groups}


def codes() -> list[str]:
    return sorted(p.stem for p in (Path(settings.CATALOG_DIR) / "surveys").glob("*.yaml"))


@cache
def get(code: str) -> Questionnaire:
    """The questionnaire ``code``; a :class:`DudaoError` for an unknown code or a malformed file (naming the place)."""
    if code not in codes():
        raise DudaoError(_("没有这份问卷：%(code)s") % {"code": code}, locator="questionnaire", status=UNPROCESSABLE)
    with open(Path(settings.CATALOG_DIR) / "surveys" / f"{code}.yaml", encoding="utf-8") as fh:
        spec: dict[str, Any] = yaml.safe_load(fh)
    return parse(spec)


def parse(spec: dict[str, Any]) -> Questionnaire:
    code = spec["code"]
    default_favourable = tuple(spec.get("favourable") or ())
    groups = tuple(Group(g["code"], g["name"], g["unit"], int(g["target"])) for g in spec["groups"])
    questions = []
    for q in spec["questions"]:
        options = tuple(q.get("options") or ())
        favourable = tuple(q["favourable"]) if "favourable" in q else (default_favourable if options else ())
        question = Question(
            code=q["code"],
            text=q["text"],
            type=q["type"],
            options=options,
            favourable=favourable,
            required=bool(q.get("required", True)),
            max_length=int(q.get("max_length") or 0),
        )
        where = f"surveys/{code}.yaml {question.code}"
        if question.type not in ("choice", "text"):
            raise ValueError(f"{where}: type must be choice or text")
        if question.type == "choice" and (not options or not set(favourable) <= set(options)):
            raise ValueError(f"{where}: a choice needs options, and its favourable answers must be among them")
        if question.type == "text" and question.max_length <= 0:
            raise ValueError(f"{where}: a text question needs max_length")
        questions.append(question)
    for g in groups:
        if g.unit not in UNITS or g.target < 0:
            raise ValueError(f"surveys/{code}.yaml group {g.code}: unit must be one of {UNITS}, target ≥ 0")
    return Questionnaire(
        code=code,
        title=spec["title"],
        basis=spec["basis"],
        rule=spec["rule"],
        school_types=tuple(spec.get("school_types") or ()),
        groups=groups,
        questions=tuple(questions),
    )


def clean(questionnaire: Questionnaire, raw: dict[str, str]) -> dict[str, str]:
    """The answers to store: exactly the questionnaire's questions that were answered, nothing else (no field the
    questionnaire does not ask survives). Every problem at once, each named by its question, in one DudaoError."""
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for n, q in enumerate(questionnaire.questions, 1):
        value = (raw.get(q.code) or "").strip()
        if not value:
            if q.required:
                errors[q.code] = _("第%(n)d题：请作答") % {"n": n}
            continue
        if q.type == "choice" and value not in q.options:
            errors[q.code] = _("第%(n)d题：请从给出的选项中选择") % {"n": n}
            continue
        if q.type == "text":
            problem = text_problem(value, q.max_length)
            if problem:
                errors[q.code] = _("第%(n)d题：%(problem)s") % {"n": n, "problem": problem}
                continue
        answers[q.code] = value
    if errors:
        raise DudaoError(next(iter(errors.values())), locator=next(iter(errors)), status=UNPROCESSABLE, errors=errors)
    return answers


def tally(questionnaire: Questionnaire, answers: dict[str, str]) -> tuple[int, int]:
    """(favourable, answered) over the scored questions of one response."""
    favourable = answered = 0
    for q in questionnaire.questions:
        value = answers.get(q.code)
        if q.scored and value:
            answered += 1
            favourable += value in q.favourable
    return favourable, answered


def percent(favourable: int, answered: int) -> Decimal | None:
    """favourable ÷ answered × 100 — exact (rounding is for display, dudao.rounding); None when nothing was answered."""
    return Decimal(favourable * 100) / Decimal(answered) if answered else None
