"""Demo public statistics (公开统计数据): the 教育事业统计 and 经费执行公告 tables of the demo years, imported the way a
report compiler imports them — files through :func:`dudao.statistics.services.import_table`, each with its source
(``data/statistics.yaml``) — so the city report's 规模 and 投入 figures come with their 数据来源."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model

from dudao.errors import DudaoError
from dudao.statistics.services import import_table

DATA = Path(__file__).with_name("data")
IMPORTERS = ("compiler", "city_admin")  # the report team's user when the demo has one, else the city's administrator


def _importer():
    User = get_user_model()
    for name in IMPORTERS:
        user = User.objects.filter(username=name).first()
        if user is not None:
            return user
    raise DudaoError("演示数据中没有可导入统计数据的用户（compiler 或 city_admin）")


def load(period_codes: str | Iterable[str] = ("2019", "2020")) -> int:
    """Import every demo statistics table of ``period_codes`` (one code or several); returns how many values."""
    codes = [period_codes] if isinstance(period_codes, str) else list(period_codes)
    with open(DATA / "statistics.yaml", encoding="utf-8") as fh:
        kinds = yaml.safe_load(fh)
    user = _importer()
    imported = 0
    for code in codes:
        fill = {"year": code, "next_year": str(int(code) + 1)}
        for spec in kinds.values():
            path = DATA / spec["file"].format(**fill)
            if not path.exists():
                continue
            source = {key: str(value).format(**fill) for key, value in spec["source"].items()}
            with open(path, "rb") as fh:
                batch = import_table(fh, source=source, period_code=code, user=user, file_name=path.name)
            imported += batch.rows
    return imported
