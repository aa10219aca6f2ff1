"""The evaluation scheme registry (评估方案): everything the CLI, the pages, the reports, the API and the demo know
about a scheme, asked for by its code.

A scheme is one module in :mod:`dudao.evaluation.schemes` plus one YAML file ``catalog/evaluations/<code>.yaml``. The
YAML is data — thresholds, formulas, weights, checklists — so next year's revised standard is an edit to a file, not
a release. The module computes from it and calls :func:`register` with a :class:`Scheme`. Every module of the package
is imported the first time the registry is asked (:func:`discover`), so adding a scheme touches nothing else: the
CLI's choices, the index page, the API's list and the demo's data sets all come from here.

A scheme's formulas are vetted with the shared formula parser when it registers, so a typo in the YAML fails as soon
as the schemes are loaded rather than in the middle of an evaluation.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from dudao.collection.expressions import parse
from dudao.errors import not_found

PACKAGE = "dudao.evaluation.schemes"
LINES_TEMPLATE = "evaluation/_lines.html"  # the result block of a scheme without its own: its describe() lines


def _no_lines(result: dict[str, Any]) -> list[str]:
    return []


@dataclass(eq=False)
class Scheme:
    """One evaluation scheme, as its module registers it.

    ``compute(spec, period, org)`` gathers the approved inputs in ``org``'s scope and calls the pure functions; it
    returns JSON-ready data that :func:`dudao.evaluation.run.evaluate` puts after the common header (scheme, name,
    basis, period, org). It raises :class:`~dudao.errors.DudaoError` for a scope the scheme cannot evaluate.

    ``verdict(unit)`` is the word for one unit's result (达标 / 未达标 / 无数据, a grade …) and ``describe(result)``
    the CLI's lines under the header, one per unit, saying that verdict.

    ``inputs_from`` names the spec keys whose values are the data sets the scheme reads (``dataset``,
    ``district_dataset`` …); :attr:`inputs` are those data set codes, so the demo knows what to collect.

    ``template`` is the result block shown on the scheme's page and in its report (the template's ``page`` tells
    them apart); ``forms_template`` a page-only block under it (forms for inspectors or universities), and
    ``page_context(request, spec, org, period, result)`` adds what those blocks need to the page's context.

    ``order`` places the scheme in lists (index page, CLI choices, API); ``spec`` is read from the YAML file when the
    scheme registers unless it is given.

    ``levels`` are the org levels the scheme evaluates (``city``, ``district``, ``school``) and ``schools(spec,
    units)`` narrows a queryset of schools to those it evaluates (compulsory schools, universities …): the pages offer
    only those scopes, so no menu link leads to a scope the scheme refuses. ``has_data(spec, period, org)`` says
    whether anything in ``org``'s subtree was recorded for ``period``; without it, whether any input data set has an
    approved submission there (:mod:`.scopes`). Pages open on the latest period with data and say 无数据 otherwise.
    """

    code: str
    compute: Callable[[dict[str, Any], Any, Any], dict[str, Any]]
    describe: Callable[[dict[str, Any]], list[str]] = _no_lines
    verdict: Callable[[dict[str, Any]], str] | None = None
    inputs_from: tuple[str, ...] = ()
    template: str = LINES_TEMPLATE
    forms_template: str = ""
    page_context: Callable[..., dict[str, Any]] | None = None
    order: int = 100
    spec: dict[str, Any] = field(default_factory=dict)
    levels: tuple[str, ...] = ("city", "district")
    schools: Callable[[dict[str, Any], Any], Any] | None = None
    has_data: Callable[[dict[str, Any], Any, Any], bool] | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.spec[key] for key in self.inputs_from)


_schemes: dict[str, Scheme] = {}
_discovery = threading.Lock()
_discovered = False


def register(scheme: Scheme) -> Scheme:
    """Add ``scheme`` (reading and vetting its YAML); returns it, so a module can keep it as ``SCHEME``."""
    if not re.fullmatch(r"[-a-zA-Z0-9_]+", scheme.code):
        raise ValueError(f"scheme code {scheme.code!r} must be a slug: it is a URL segment and a file name")
    if scheme.code in _schemes:
        raise ValueError(f"scheme {scheme.code!r} is registered twice")
    if not scheme.spec:
        scheme.spec = load_spec(scheme.code)
    for item in formulas(scheme.spec):
        parse(item["expr"])  # raises a DudaoError naming the formula
    _schemes[scheme.code] = scheme
    return scheme


def unregister(code: str) -> None:
    _schemes.pop(code, None)


def get(code: str) -> Scheme:
    """The scheme ``code``; an unknown code is a :func:`~dudao.errors.not_found` error listing the known ones."""
    _discover_once()
    try:
        return _schemes[code]
    except KeyError:
        raise not_found(f"未知的评估方案 {code!r}；可选：{', '.join(codes())}") from None


def all_schemes() -> list[Scheme]:
    """Every scheme, by ``order`` and then in registration order."""
    _discover_once()
    return sorted(_schemes.values(), key=lambda s: s.order)


def codes() -> list[str]:
    return [s.code for s in all_schemes()]


def discover() -> None:
    """Import every module of :mod:`dudao.evaluation.schemes` (each registers its scheme); already imported ones are
    left as they are."""
    package = importlib.import_module(PACKAGE)
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{PACKAGE}.{module.name}")


def _discover_once() -> None:
    global _discovered
    if _discovered:
        return
    with _discovery:
        if not _discovered:
            discover()
            _discovered = True


def load_spec(code: str) -> dict[str, Any]:
    path = Path(settings.CATALOG_DIR) / "evaluations" / f"{code}.yaml"
    with open(path, encoding="utf-8") as fh:
        spec: dict[str, Any] = yaml.safe_load(fh)
    return spec


def formulas(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The items of a spec that carry a formula (``expr``): indicators (a list, or a dict of which some are
    formulas), core items and conditions."""
    indicators = spec.get("indicators")
    if isinstance(indicators, list):
        yield from indicators
    elif isinstance(indicators, dict):
        yield from (i for i in indicators.values() if "expr" in i)
    yield from spec.get("core", [])
    yield from spec.get("conditions", [])
