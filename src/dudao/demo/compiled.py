"""The demo's compiled city report (报告编撰): what the third-party compilers wrote for the 2020 city report, entered
through the compiling workspace's own services — a chapter is opened, its parts saved (tokens checked), the schools'
and districts' reviewed cases picked, then submitted by the compiler and approved by the 市教委 — exactly the steps a
compiler takes on ``/compiling/``. The texts are ``data/compiled_2020*.yaml``; the cases they pick are the ones the
demo schools and districts wrote and had approved (``data/school_cases_2020*.yaml``, loaded with the schools' data).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from django.contrib.auth import get_user_model

from dudao.collection import selectors as collection
from dudao.compiling import services
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs

DATA = Path(__file__).with_name("data")


def _yaml(name: str) -> dict:
    path = DATA / name
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _case_sources(year: str) -> dict[str, tuple[str, str]]:
    """case code → (author's name, case title), for the hand-written cases of both files."""
    found: dict[str, tuple[str, str]] = {}
    for part in ("", "_b"):
        data = _yaml(f"school_cases_{year}{part}.yaml")
        for case in data.get("cases", []):
            found[case["code"]] = (case["school"], case["title"])
        for case in data.get("district_cases", []):
            found[case["code"]] = (case["district"], case["title"])
    return found


def load(year: str = "2020") -> int:
    """Enter, submit and approve every compiled chapter of ``year``'s city report; returns the number of chapters."""
    User = get_user_model()
    compiler, approver = User.objects.get(username="compiler"), User.objects.get(username="city_admin")
    city, period = orgs.city(), collection.period(year)
    if city is None or period is None:
        raise DudaoError(f"演示数据尚未加载（没有 {year} 年度或市级机构）")
    chapters: dict[str, dict] = {}
    for part in ("", "_b"):
        chapters.update(_yaml(f"compiled_{year}{part}.yaml").get("chapters", {}))
    sources = _case_sources(year)
    records = {(r.org_name, r.title): r for r in collection.cases(period, under=city)}
    for key, spec in chapters.items():
        chapter = services.open_chapter(city, period, str(key), compiler)
        for item in spec["parts"]:
            saved = services.save_part(chapter, None, item.get("title") or "", item["text"], compiler, chapter.version)
            for code in item.get("cases") or []:
                record = records.get(sources[code])
                if record is None:
                    raise DudaoError(f"演示案例 {code} 没有出现在已核准的学校或区的填报中")
                services.pick_case(saved, record, compiler)
                chapter.refresh_from_db()
            chapter.refresh_from_db()
        services.submit(chapter, compiler)
        services.approve(chapter, approver)
    return len(chapters)
