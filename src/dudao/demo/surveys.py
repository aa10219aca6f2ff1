"""The demo's 问卷调查 for 2020: the three questionnaires the schemes read, opened by the city over all districts in
November 2020 (closed since), with seeded anonymous responses — written through ``surveys.services`` (the same
validation and tally as a real answer).

Each district answers favourably with its own probability, so the results differ: most districts are above 85%,
崇明 (310151) falls below it on 社会认可度, and 金山 (310116) returned only about 60% of its sample targets, so its
result is incomplete (数据不全) — the cases the balanced, preschool and 督政 pages must show."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dudao.orgs import selectors as orgs
from dudao.surveys import questionnaires, selectors, services

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = "2020"
CODES = ("balanced_recognition", "preschool_satisfaction", "duty_satisfaction")
SEED = 2020_06
LOW = {"balanced_recognition": "310151", "preschool_satisfaction": "310151", "duty_satisfaction": "310118"}
THIN = "310116"  # answered about 60% of the targets: incomplete on every questionnaire
COMMENTS = ["希望进一步缩小校际差距", "教师交流轮岗效果明显", "希望增加普惠性学位", "课后服务还可以更丰富"]


def load(users: dict[str, Any]) -> None:
    city = orgs.city()
    if city is None:
        return
    opens = datetime(2020, 11, 2, 9, tzinfo=SHANGHAI)
    closes = datetime(2020, 12, 15, 17, tzinfo=SHANGHAI)
    for code in CODES:
        if selectors.result(code, PERIOD, city) is not None:
            continue  # already loaded
        survey = services.open_survey(code, PERIOD, city, users["city_admin"], opens_at=opens, closes_at=closes)
        questionnaire = questionnaires.get(code)
        rng = random.Random(f"{SEED}-{code}")
        chance = {d.code: 0.78 if d.code == LOW[code] else rng.uniform(0.88, 0.96) for d in orgs.districts(city)}
        for link in survey.links.select_related("org", "survey").order_by("org__code", "group"):
            district = link.org.code[:6]
            if district == THIN:
                n = int(link.target * 0.6)
            else:
                n = link.target + rng.randint(0, link.target // 5)
            sheets = [_answers(questionnaire, chance[district], rng) for _ in range(n)]
            services.load_responses(link, sheets, datetime(2020, 11, rng.randint(3, 30), 10, tzinfo=SHANGHAI))


def _answers(questionnaire: questionnaires.Questionnaire, p: float, rng: random.Random) -> dict[str, str]:
    out = {}
    for q in questionnaire.questions:
        if q.type == "text":
            if rng.random() < 0.1:
                out[q.code] = rng.choice(COMMENTS)
        elif q.scored:
            unfavourable = [o for o in q.options if o not in q.favourable]
            out[q.code] = rng.choice(list(q.favourable) if rng.random() < p else unfavourable)
        else:
            out[q.code] = rng.choice(q.options)
    return out
