"""One timeline of everything that happened to a submission: value changes (from django-simple-history) and
workflow transitions, newest first — what a reviewer or an inspector reads to answer "who changed this, and why".

In plain words: people by their names, steps and states by their labels, data elements by their names, values as
the form shows them, explanations by the warning they answer — never an internal code."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from dudao.collection.selectors import explanation_history, value_history
from dudao.collection.services import display_value
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
        return _("系统")
    return user.get_full_name() or user.get_username()


def audit_trail(submission, limit: int = 500) -> list[Entry]:
    wf = workflow_of(submission)
    dataset = submission.campaign.dataset
    names = dict(dataset.members.values_list("element__code", "element__name"))
    # one action ("return") is several steps with their own labels (退回 / 退回学校 / 退回区): keyed by where it starts
    steps = {(s.action, source): s.label for s in wf.steps for source in s.sources}
    entries: list[Entry] = []
    for t in submission.transitions.select_related("user"):
        entries.append(
            Entry(
                t.at,
                _who(t.user),
                _("流转：%(step)s") % {"step": steps.get((t.action, t.from_state), t.action)},
                wf.label(t.from_state),
                wf.label(t.to_state),
                t.reason,
            )
        )
    previous: dict[int, str] = {}
    for h in value_history(submission):
        old = previous.get(h.id, "")
        new = "" if h.history_type == "-" else display_value(h.element, h.value)
        previous[h.id] = new
        entries.append(
            Entry(
                h.history_date,
                _who(h.history_user),
                _("修改：%(element)s") % {"element": names.get(h.element.code, h.element.name)},
                old,
                new,
                h.history_change_reason or "",
            )
        )
    warnings = _warning_labels(dataset, names)
    for h in explanation_history(submission):
        entries.append(
            Entry(
                h.history_date, _who(h.history_user), _("说明：%(warning)s") % {"warning": warnings(h.key)}, "", h.text
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _warning_labels(dataset, names: dict[str, str]):
    """What an explanation answers, in words: a rule's message, or the element whose change was unusual."""
    rules = dict(dataset.rules.values_list("code", "message"))

    def label(key: str) -> str:
        kind, _colon, code = key.partition(":")
        if kind == "outlier" and code:
            return _("“%(element)s”同比变化异常") % {"element": names.get(code, code)}
        return rules.get(key, key)

    return label
