"""Cross-year continuity (跨年度衔接): tasks of two plans that continue each other, by text similarity.

jieba segments the Chinese text offline (its dictionary ships with the package); each task becomes a TF-IDF vector
over the words of both plans and tasks are paired by cosine similarity — the best partner in the other plan, kept
when the score passes a threshold.
"""

from __future__ import annotations

import logging
import math
from collections import Counter

import jieba

from dudao.rounding import rounded

from .models import Plan, Task, TaskLink

jieba.setLogLevel(logging.WARNING)
STOP = set("的 和 与 及 等 在 为 以 对 了 是 做好 加强 推进 推动 开展 进一步 工作".split()) | set(
    "继续 积极 全面 深入 持续 不断 提升 完善".split()
)  # words every task uses: they would make everything look alike


def _words(text: str) -> list[str]:
    return [w for w in jieba.lcut(text) if len(w) > 1 and w not in STOP and not w.isdigit()]


def _vectors(docs: list[list[str]]) -> list[dict[str, float]]:
    df = Counter(w for doc in docs for w in set(doc))
    n = len(docs)
    vectors = []
    for doc in docs:
        tf = Counter(doc)
        vec = {w: (c / len(doc)) * math.log((1 + n) / (1 + df[w]) + 1) for w, c in tf.items()} if doc else {}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({w: v / norm for w, v in vec.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


def similar_tasks(earlier: list[Task], later: list[Task], threshold: float = 0.25) -> list[tuple[Task, Task, float]]:
    texts = [_words(t.title + "。" + t.body) for t in [*earlier, *later]]
    vectors = _vectors(texts)
    va, vb = vectors[: len(earlier)], vectors[len(earlier) :]
    pairs = []
    for i, a in enumerate(earlier):
        scores = [(_cosine(va[i], vb[j]), j) for j in range(len(later))]
        if not scores:
            continue
        score, j = max(scores)
        if score >= threshold:
            shown = rounded(score, 3)
            assert shown is not None  # rounded() gives None only for None
            pairs.append((a, later[j], shown))
    return pairs


def link_plans(earlier: Plan, later: Plan, threshold: float = 0.25) -> list[TaskLink]:
    """Store the links between two plans (replacing earlier links between them)."""
    if earlier.pk == later.pk:
        raise ValueError("请选择两个不同的工作要点")
    if earlier.year > later.year:
        earlier, later = later, earlier
    TaskLink.objects.filter(earlier__plan=earlier, later__plan=later).delete()
    pairs = similar_tasks(list(earlier.tasks.all()), list(later.tasks.all()), threshold)
    return TaskLink.objects.bulk_create([TaskLink(earlier=a, later=b, score=s) for a, b, s in pairs])
