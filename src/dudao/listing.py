"""Search, sort and pages for every list page (``?q=&sort=&page=``), the same way everywhere.

A view names what may be searched and what may be sorted (an allow-list: a ``sort`` from the address bar never
reaches ``order_by`` unless it is listed, so nobody sorts by a password hash or makes the database sort an unindexed
join), then renders ``listing.page`` with three includes::

    {% include "listing/_search.html" %}
    <th>{% include "listing/_sort.html" with col=listing.cols.name label=_("名称") %}</th>
    {% include "listing/_pager.html" %}

It takes a QuerySet (searched with ``icontains`` over the fields, sorted with ``order_by``) or a plain list of
objects/dicts (the same, in Python, over dotted attribute paths) — so lists built in code, like the audit trail,
page the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import QueryDict

PER_PAGE = 50


@dataclass
class Column:
    url: str  # the address that sorts by this column (the other direction when it is the current sort)
    active: bool
    desc: bool

    @property
    def arrow(self) -> str:
        return ("▼" if self.desc else "▲") if self.active else ""


@dataclass
class Listing:
    page: Page
    q: str
    sort: str  # the allowed key in effect ("" = the list's own order)
    desc: bool
    params: QueryDict  # the request's other parameters, kept by every link
    cols: dict[str, Column] = field(default_factory=dict)

    @property
    def items(self) -> Sequence[Any]:
        return list(self.page.object_list)

    def url(self, **changes: Any) -> str:
        query = self.params.copy()
        for key, value in changes.items():
            if value in (None, ""):
                query.pop(key, None)
            else:
                query[key] = str(value)
        return "?" + query.urlencode() if query else "?"

    @property
    def prev_url(self) -> str:
        return self.url(page=self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.url(page=self.page.next_page_number()) if self.page.has_next() else ""

    @property
    def clear_url(self) -> str:
        return self.url(q="")

    @property
    def hidden(self) -> list[tuple[str, str]]:
        """Parameters the search form must carry along (not ``q`` and ``page``: a new search starts on page 1)."""
        return [(k, v) for k in self.params for v in self.params.getlist(k) if k not in ("q", "page")]


def _resolve(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = obj.get(part) if isinstance(obj, Mapping) else getattr(obj, part, None)
        if callable(obj):
            obj = obj()
    return obj


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


def listing(
    request: Any,
    items: QuerySet | Iterable[Any],
    *,
    search: Sequence[str] = (),
    sorts: Mapping[str, str] | None = None,
    default: str = "",
    per_page: int = PER_PAGE,
) -> Listing:
    """``items`` narrowed by ``?q=`` (every word must match one of ``search``), ordered by ``?sort=key`` or
    ``?sort=-key`` when ``key`` is in ``sorts`` (key → field path; anything else is ignored and ``default`` — itself
    a key, maybe with "-" — applies), cut to ``?page=`` (out of range → the last page)."""
    sorts = dict(sorts or {})
    q = request.GET.get("q", "").strip()[:100]
    requested = request.GET.get("sort", "") or default
    key = requested.lstrip("-")
    desc = requested.startswith("-")
    if key not in sorts:
        key, desc = default.lstrip("-"), default.startswith("-")
        if key not in sorts:
            key = ""
    words = q.split()
    if isinstance(items, QuerySet):
        for word in words:
            match = Q()
            for name in search:
                match |= Q(**{f"{name.replace('.', '__')}__icontains": word})
            items = items.filter(match)
        if key:
            path = sorts[key].replace(".", "__")
            items = items.order_by(f"-{path}" if desc else path, "pk")
    else:
        rows = list(items)
        for word in words:
            needle = word.casefold()
            rows = [r for r in rows if any(needle in str(_resolve(r, n) or "").casefold() for n in search)]
        if key:
            rows.sort(key=lambda r: _sort_key(_resolve(r, sorts[key])), reverse=desc)
        items = rows
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    result = Listing(page=page, q=q, sort=key, desc=desc, params=params)
    for name in sorts:
        active = name == key
        target = name if not (active and not desc) else f"-{name}"
        result.cols[name] = Column(url=result.url(sort=target), active=active, desc=active and desc)
    return result
