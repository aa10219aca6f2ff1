"""The report outline (报告大纲) as the compiling workspace reads it from the city report's outline
(``catalog/reports/quality_annual/city.yaml``, through :func:`dudao.reports.builder.outline`).

That file is the one place the chapters and subsections of the city report are named; this module only flattens it
into the keys a compiler writes under ("0".."9", "1.1".."6.3"), so a key that is not in the outline cannot be
stored and a title cannot drift from the one the report prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dudao.orgs.vocabulary import Level
from dudao.reports.builder import outline


@dataclass(frozen=True)
class Entry:
    key: str
    title: str
    level: int  # 1 chapter, 2 subsection
    free: bool = False  # subsections titled by the writer (特色创新 …)
    indicators: tuple[str, ...] = ()  # indicator catalogue sections shown next to the editor

    @property
    def chapter(self) -> str:
        return self.key.split(".")[0]

    @property
    def label(self) -> str:
        return f"{self.key} {self.title}"


@cache
def entries() -> tuple[Entry, ...]:
    found: list[Entry] = []
    for chapter in outline("quality_annual", Level.CITY):
        subs = chapter.get("subsections", [])
        own = chapter.get("indicators") or [s for sub in subs for s in sub.get("indicators", [])]
        found.append(
            Entry(str(chapter["key"]), chapter["title"], 1, bool(chapter.get("free")), tuple(dict.fromkeys(own)))
        )
        for sub in subs:
            found.append(Entry(str(sub["key"]), sub["title"], 2, False, tuple(sub.get("indicators", []))))
    return tuple(found)


def entry(key: str) -> Entry | None:
    return next((e for e in entries() if e.key == key), None)


def keys() -> list[str]:
    return [e.key for e in entries()]
