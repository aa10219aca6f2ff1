"""One timeline of everything that happened to a submission: value changes (from django-simple-history) and
workflow transitions, newest first — what a reviewer or an inspector reads to answer "who changed this, and why"."""

from dataclasses import dataclass
from datetime import datetime

from dudao.collection.selectors import explanation_history, value_history
from dudao.collection.workflows import workflow_of


@dataclass
class Entry:
    at: datetime
    who: str
    what: str
    old: str = ""
    new: str = ""
    why: str = ""


def _who(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def audit_trail(submission, limit: int = 500) -> list[Entry]:
    wf = workflow_of(submission)
    names = dict(submission.campaign.dataset.members.values_list("element__code", "element__name"))
    entries: list[Entry] = []
    for t in submission.transitions.select_related("user"):
        entries.append(
            Entry(t.at, _who(t.user), f"流转：{t.action}", wf.label(t.from_state), wf.label(t.to_state), t.reason)
        )
    previous: dict[int, str] = {}
    for h in value_history(submission):
        old = previous.get(h.id, "")
        new = "" if h.history_type == "-" else h.value
        previous[h.id] = new
        entries.append(
            Entry(
                h.history_date,
                _who(h.history_user),
                f"修改：{names.get(h.element.code, h.element.code)}",
                old,
                new,
                h.history_change_reason or "",
            )
        )
    for h in explanation_history(submission):
        entries.append(Entry(h.history_date, _who(h.history_user), f"说明：{h.key}", "", h.text))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
