"""The analytics engine (分析引擎) on DuckDB.

Two steps, deliberately separate so the benchmark can time the second on any data:

1. *load*: numeric values of approved submissions leave the Django database once, as a long Arrow table, and are
   pivoted in DuckDB into ``facts(school, period, <one column per element>)``; the org tree becomes
   ``tree(school, org)`` (every school paired with itself and each ancestor).
2. *compute* (:func:`compute`): per school, each indicator's numerator and denominator are vectorised column
   expressions; one ``GROUP BY org, period`` over ``facts ⋈ tree`` sums them for every org unit at once (ratio of
   sums), averages the school ratios for 校均 indicators, and writes a wide ``results`` table.

Year-on-year change is not stored: it is one lookup of the previous period at read time (:mod:`.query`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import duckdb
import pyarrow as pa
from django.db import transaction
from django.db.models import Exists, OuterRef

from dudao.collection.models import DataValue, Submission
from dudao.orgs.models import Level, OrgUnit
from dudao.review.workflow import workflows

from .definitions import Indicator, catalog
from .models import IndicatorValue, Rebuild
from .sql import column, to_sql


def compute(
    con: duckdb.DuckDBPyConnection,
    indicators: Sequence[Indicator],
    facts: str = "facts",
    tree: str = "tree",
    out: str = "results",
) -> None:
    """Compute every indicator for every (org, period) into ``out(org, period, schools, v{i}, n{i}, d{i})``."""
    present = {row[0] for row in con.execute(f"DESCRIBE {facts}").fetchall()}
    terms = []
    for i, ind in enumerate(indicators):
        missing = ind.elements - present
        if missing:  # no school reported these elements: the indicator is simply not computable
            terms += [f"CAST(NULL AS DOUBLE) AS n{i}", f"CAST(NULL AS DOUBLE) AS d{i}"]
            continue
        num = to_sql(ind.numerator)
        if ind.denominator is None:
            terms += [f"CAST({num} AS DOUBLE) AS n{i}", f"CAST(NULL AS DOUBLE) AS d{i}"]
            continue
        den = to_sql(ind.denominator)
        # a school counts towards a ratio only when both sides are known
        terms += [
            f"CAST(CASE WHEN ({den}) IS NOT NULL THEN {num} END AS DOUBLE) AS n{i}",
            f"CAST(CASE WHEN ({num}) IS NOT NULL THEN {den} END AS DOUBLE) AS d{i}",
        ]
    aggregates = []
    for i, ind in enumerate(indicators):
        if ind.aggregation == "school_mean":
            value = f"AVG(n{i} / NULLIF(d{i}, 0)) * {ind.factor!r}"
        elif ind.aggregation == "sum":
            value = f"SUM(n{i}) * {ind.factor!r}"
        else:
            value = f"SUM(n{i}) / NULLIF(SUM(d{i}), 0) * {ind.factor!r}"
        aggregates += [f"{value} AS v{i}", f"SUM(n{i}) AS n{i}", f"SUM(d{i}) AS d{i}"]
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {out} AS
        WITH terms AS (SELECT school, period, {", ".join(terms)} FROM {facts})
        SELECT t.org, s.period, COUNT(*) AS schools, {", ".join(aggregates)}
        FROM terms s JOIN {tree} t ON s.school = t.school
        GROUP BY t.org, s.period
        """
    )


def load_facts(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, int, str, float]], elements: set[str]) -> None:
    """Pivot long (school, period, element, number) rows into ``facts`` with a column per needed element."""
    long = pa.table(
        {
            "school": pa.array([r[0] for r in rows], pa.int64()),
            "period": pa.array([r[1] for r in rows], pa.int64()),
            "element": pa.array([r[2] for r in rows], pa.string()),
            "number": pa.array([r[3] for r in rows], pa.float64()),
        }
    )
    con.register("long_values", long)
    wanted = sorted(elements)
    pivots = [f"MAX(number) FILTER (WHERE element = '{code}') AS {column(code)}" for code in wanted]
    con.execute(
        f"CREATE OR REPLACE TABLE facts AS SELECT school, period{''.join(', ' + p for p in pivots)} "
        f"FROM long_values WHERE element IN ({', '.join(repr(c) for c in wanted) or 'NULL'}) GROUP BY school, period"
    )
    con.unregister("long_values")


def load_tree(con: duckdb.DuckDBPyConnection) -> None:
    units = list(OrgUnit.objects.values_list("id", "code", "path", "level"))
    by_code = {code: pk for pk, code, _, _ in units}
    pairs = []
    for pk, _, path, level in units:
        if level != Level.SCHOOL:
            continue
        for code in path.strip("/").split("/"):
            pairs.append((pk, by_code[code]))
    con.register(
        "tree_arrow",
        pa.table(
            {"school": [p[0] for p in pairs], "org": [p[1] for p in pairs]},
            schema=pa.schema([("school", pa.int64()), ("org", pa.int64())]),
        ),
    )
    con.execute("CREATE OR REPLACE TABLE tree AS SELECT * FROM tree_arrow")
    con.unregister("tree_arrow")


def approved_values():
    """Numeric values behind a submission that its principal has approved (locked states) — drafts never count."""
    locked = set().union(*(wf.locked for wf in workflows().values()))
    approved = Submission.objects.filter(org=OuterRef("org"), campaign__period=OuterRef("period"), state__in=locked)
    return (
        DataValue.objects.filter(number__isnull=False, category_option="")
        .filter(Exists(approved))
        .values_list("org_id", "period_id", "element__code", "number")
    )


def rebuild(indicators: Sequence[Indicator] | None = None) -> Rebuild:
    """``dudao analytics rebuild``: recompute every indicator and replace the stored results in one transaction."""
    indicators = list(indicators or catalog())
    started = time.perf_counter()
    rows = [(org, period, code, float(number)) for org, period, code, number in approved_values()]
    con = duckdb.connect()
    try:
        load_facts(con, rows, set().union(*(i.elements for i in indicators)))
        load_tree(con)
        compute(con, indicators)
        result = con.execute("SELECT * FROM results").fetchall()
    finally:
        con.close()
    objects = []
    for org, period, schools, *cells in result:
        for i, ind in enumerate(indicators):
            value, numerator, denominator = cells[3 * i : 3 * i + 3]
            objects.append(
                IndicatorValue(
                    indicator=ind.code,
                    org_id=org,
                    period_id=period,
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                    schools=schools,
                )
            )
    with transaction.atomic():
        IndicatorValue.objects.all().delete()
        IndicatorValue.objects.bulk_create(objects, batch_size=2000)
        return Rebuild.objects.create(seconds=time.perf_counter() - started, values=len(rows), rows=len(objects))
