"""Chapters written by people (编撰内容): the extension point through which apps above reports put text into them.

The city report is compiled by a third-party team under the 市教委 (:mod:`dudao.compiling`); a district writes parts
of its own report. Those apps sit above this one (they preview and publish reports), so the builder cannot import
them; instead each registers a *provider* here when Django starts, and a report template names the provider in a
``{compiled: <name>}`` block. A provider returns, for the report's org, period and chapter key ("2.3", "7"), the
approved :class:`Part` objects — never drafts: what is not approved does not reach a report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

    from .builder import Block


@dataclass
class Part:
    """A piece of a chapter: untitled parts go into the section named by the key; titled ones become its
    subsections (chapters whose subsections the writers title themselves, such as 特色创新)."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # 数据来源 notes the part's figures need


Provider = Callable[["OrgUnit", "Period", str], list[Part]]
_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _PROVIDERS[name] = provider


def parts(name: str, org: OrgUnit, period: Period, key: str) -> list[Part]:
    provider = _PROVIDERS.get(name)
    return provider(org, period, key) if provider else []
