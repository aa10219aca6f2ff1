"""Demo district inputs (区级年报数据): each district bureau's own data set ``district_vocational`` for one year, filled
by its 区填报员 (``d310101-clerk``) and approved by its 区审核员 (``d310101``), through the collection and review
apps' bulk-loading services, as ``demo.load`` loads the schools' past rounds.

2020 carries the figures, the narrative and the 案例 of ``data/districts.yaml``; 2019 (for year-on-year changes)
the figures only, scaled back by each district's growth. The narrative names computed figures by token
(``{{district_funding}}``), never by value."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from dudao.collection import selectors as collection
from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.services import explain_warnings_for_loading, load_values
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.services import grant
from dudao.orgs.vocabulary import Role
from dudao.review.workflow import fast_forward

DATASET = "district_vocational"
NARRATIVE_YEAR = 2020  # the year with texts and cases; other years get figures only
FIGURES = {
    "funding": "district_funding",
    "standard": "district_funding_standard",
    "special": "district_special_funds",
    "projects": "district_projects",
    "quota": "district_staff_quota",
    "filled": "district_staff_filled",
    "bases": "district_training_bases_new",
    "pilots": "district_pilots_hosted",
}
MONEY = {"funding", "special"}  # scaled back by the district's growth for the year before


@cache
def district_data() -> dict[str, dict]:
    with open(Path(__file__).parent / "data" / "districts.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def clerk_username(district_code: str) -> str:
    return f"d{district_code}-clerk"


def rows_for(district_code: str, year: int) -> dict[str, Decimal | str]:
    """element code → value of one district's submission for ``year``."""
    spec = district_data()[district_code]
    back = NARRATIVE_YEAR - year
    figures: dict[str, Decimal | str] = {}
    for key, code in FIGURES.items():
        value = Decimal(str(spec["figures"][key]))
        if key in MONEY and back > 0:
            value = (value / Decimal(str(spec["growth"])) ** back).quantize(Decimal("0.01"))
        figures[code] = value
    figures["district_policies"] = Decimal(len(spec["policies"]))
    if year != NARRATIVE_YEAR:
        return figures
    texts = {
        "district_policies_list": "\n".join(f"《{title}》" for title in spec["policies"]),
        "district_text_overview": spec["overview"],
        "district_text_government": spec["government"],
        "district_text_features": spec["features"],
        "district_text_outlook": spec["outlook"],
    }
    # the cases the city compilers pick (data/school_cases_2020_b.yaml) come first, then the district's own
    unit = orgs.unit(district_code)
    picked = [c for c in _compiled_cases() if unit is not None and c["district"] == unit.name]
    for n, case in enumerate([*picked, *spec.get("cases", [])][:3], start=1):
        texts[f"district_case_{n}_title"] = case["title"]
        texts[f"district_case_{n}_body"] = case["body"]
        texts[f"district_case_{n}_chapter"] = case["chapter"]
    return {**figures, **texts}


def users() -> dict[str, Any]:
    """The clerk and the reviewer of every district (the reviewer ``d<code>`` exists when ``demo.load`` made the
    users; it is created here otherwise)."""
    from .load import DEMO_PASSWORD  # not at import time: demo.load imports this module

    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    found = {}
    for district in orgs.districts():
        for username, full_name, role in (
            (clerk_username(district.code), f"{district.name}填报员", Role.DISTRICT_CLERK),
            (f"d{district.code}", f"{district.name}审核员", Role.DISTRICT_REVIEWER),
        ):
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
            if created:
                user.password = password
                user.save(update_fields=["password"])
            grant(user, district, role)
            found[username] = user
    return found


@transaction.atomic
@cache
def _compiled_cases() -> list[dict]:
    path = Path(__file__).with_name("data") / "school_cases_2020_b.yaml"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return (yaml.safe_load(fh) or {}).get("district_cases", [])


def load(period_code: str) -> None:
    """One year's district round, finished: every district's values loaded, submitted by its clerk and approved by
    its reviewer. Loading a year already loaded changes nothing."""
    from .load import SHANGHAI

    dataset = collection.dataset(DATASET)
    city = orgs.city()
    if dataset is None or city is None:
        raise DudaoError(f"目录中没有 {DATASET} 数据集或市级单位")
    year = int(period_code)
    period = yearly_period(year)
    opens = datetime(year + 1, 1, 10, 9, tzinfo=SHANGHAI)
    campaign = open_campaign(dataset, period, city, opens, opens + timedelta(days=45))
    if any(sub.state != "draft" for sub in campaign.submissions.all()):  # this year's round is loaded already
        return
    people = users()
    data = district_data()
    subs = list(campaign.submissions.select_related("org"))
    missing = sorted(s.org.code for s in subs if s.org.code not in data)
    if missing:
        raise DudaoError(f"演示数据缺少区：{'、'.join(missing)}")
    load_values(period, [(s.org, code, value) for s in subs for code, value in rows_for(s.org.code, year).items()])
    if year == NARRATIVE_YEAR:  # the figures-only years lack the texts a submission needs: history, not checked
        explain_warnings_for_loading(campaign, "经核实：编制数据以区编办核定数为准。")

    def actor(sub, step):
        username = clerk_username(sub.org.code) if Role.DISTRICT_CLERK in step.roles else f"d{sub.org.code}"
        return people[username]

    fast_forward(
        campaign,
        actor,
        lambda sub: f"{sub.org.name}审核员",
        acted_at=opens + timedelta(days=25),
        signed_at=opens + timedelta(days=25),
    )
