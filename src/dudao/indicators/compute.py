"""The pure part of the engine: indicators over a DuckDB ``facts`` table, no Django involved.

Inputs: ``facts(school, period, <one DOUBLE column per element>)`` and ``edges(org, parent)`` (every org unit with
its parent; the root has none). Output: ``results(org, period, schools, v{i}, n{i}, d{i})`` for every school and
every unit above it.

How: each distinct numerator/denominator formula becomes one *term* column, computed once per school (two
indicators sharing ``teachers_fulltime`` share the column). Level 0 is the schools' own terms; each next level is
one ``GROUP BY parent`` over the level below — sums of sums, so the data are read once and every roll-up after the
first works on thousands of rows, not millions. 校均 indicators carry (Σ ratio, count) so that means roll up exactly.
Values (``v = Σn / Σd × factor``) are computed last, per row, from the summed terms.

Semantics (DHIS2's ratio of sums): the numerator and the denominator are each summed over the schools where they
can be computed; a school with a missing element drops out of the side that needs it.

A unit above the schools may report values of its own (a district bureau's 政府履责 figures): ``facts`` then has a
BOOLEAN column ``own``, true on such rows. An own row is a leaf like a school for the elements it reports — it rolls
up to the units above and adds to its own unit's total — but it is not a school: it does not count in ``schools``,
and terms without elements (the ``1`` of 学校数 or 校均) are NULL on it.

``own`` indicators (本级填报值) are the exception to rolling up: a figure a unit holds itself — the city's count of
schools as the 教育事业统计 publishes it, a district's funding standard — is evaluated on that unit's own facts row
and never summed from below. Their values are joined to the rolled-up rows per (org, period).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from .definitions import Indicator
from .sql import to_sql


class _Terms:
    """Distinct per-school term expressions, each with its column name."""

    def __init__(self) -> None:
        self.columns: dict[str, str] = {}
        self.constant: set[str] = set()  # columns of terms that name no element: they count schools

    def add(self, sql: str, constant: bool = False) -> str:
        if sql not in self.columns:
            self.columns[sql] = f"t{len(self.columns)}"
            if constant:
                self.constant.add(self.columns[sql])
        return self.columns[sql]


def compute(
    con: duckdb.DuckDBPyConnection,
    indicators: Sequence[Indicator],
    facts: str = "facts",
    edges: str = "edges",
    out: str = "results",
) -> int:
    """Fill the table ``out``; returns the number of tree levels above the schools that were rolled up."""
    sql, levels = results_query(con, indicators, facts, edges)
    con.execute(f"CREATE OR REPLACE TABLE {out} AS {sql}")
    for table in levels:
        con.execute(f"DROP TABLE {table}")
    return len(levels) - 1


def results_query(
    con: duckdb.DuckDBPyConnection,
    indicators: Sequence[Indicator],
    facts: str = "facts",
    edges: str = "edges",
) -> tuple[str, list[str]]:
    """Roll the terms up into temp tables ``level0``, ``level1``, … and return the ``SELECT`` of the results over them,
    with the level tables' names (they must outlive the query).

    The engine fetches this query's rows straight into numpy: materialising ~300 columns as a table first (DuckDB
    lays out and analyses every column segment) costs more than the whole roll-up at 1,000 schools."""
    present = {row[0] for row in con.execute(f"DESCRIBE {facts}").fetchall()}
    terms = _Terms()
    # per indicator: (numerator, denominator, ratio-sum, ratio-count) columns, None when not computable
    plan: list[tuple[str, str | None, str | None, str | None] | None] = []
    own_indicators: list[int] = []  # positions of the computable ``own`` indicators
    for i, ind in enumerate(indicators):
        if ind.elements - present:  # nobody reported these elements: not computable anywhere
            plan.append(None)
            continue
        if ind.aggregation == "own":
            own_indicators.append(i)
            plan.append(None)
            continue
        num = terms.add(to_sql(ind.numerator), not ind.numerator.names)
        den = terms.add(to_sql(ind.denominator), not ind.denominator.names) if ind.denominator is not None else None
        if ind.aggregation == "school_mean":
            assert ind.denominator is not None  # the catalog refuses a school_mean indicator without one
            ratio = f"({to_sql(ind.numerator)}) / NULLIF({to_sql(ind.denominator)}, 0)"
            constant = not ind.elements
            plan.append(
                (
                    num,
                    den,
                    terms.add(ratio, constant),
                    terms.add(f"CAST(({ratio}) IS NOT NULL AS INTEGER)", constant),
                )
            )
        else:
            plan.append((num, den, None, None))
    term_columns = list(terms.columns.values())
    own = "own" in present  # some rows are units' own values, not schools'

    def term(sql: str, col: str) -> str:
        if own and col in terms.constant:
            sql = f"CASE WHEN own THEN NULL ELSE {sql} END"
        return f"CAST({sql} AS DOUBLE) AS {col}"

    select_terms = ", ".join(term(sql, col) for sql, col in terms.columns.items())
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE level0 AS SELECT school AS org, period, "
        f"{'CASE WHEN own THEN 0 ELSE 1 END AS schools, own' if own else '1 AS schools'}"
        f"{', ' + select_terms if select_terms else ''} FROM {facts}"
    )
    sums = ", ".join(f"SUM({c}) AS {c}" for c in term_columns)
    levels = ["level0"]
    while True:
        below, here = levels[-1], f"level{len(levels)}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {here} AS SELECT e.parent AS org, b.period, "
            f"SUM(b.schools) AS schools{', ' + sums.replace('SUM(', 'SUM(b.') if sums else ''} "
            f"FROM {below} b JOIN {edges} e ON b.org = e.org WHERE e.parent IS NOT NULL "
            f"GROUP BY e.parent, b.period"
        )
        if con.execute(f"SELECT COUNT(*) FROM {here}").fetchone() == (0,):
            con.execute(f"DROP TABLE {here}")
            break
        levels.append(here)
    outputs = []
    for i, (ind, item) in enumerate(zip(indicators, plan)):
        if item is None:
            outputs += [
                f"CAST(NULL AS DOUBLE) AS v{i}",
                f"CAST(NULL AS DOUBLE) AS n{i}",
                f"CAST(NULL AS DOUBLE) AS d{i}",
            ]
            continue
        num, den, ratio_sum, ratio_count = item
        factor = repr(ind.factor)
        if ind.aggregation == "school_mean":
            value = f"{ratio_sum} / NULLIF({ratio_count}, 0) * {factor}"
        elif ind.aggregation == "sum":
            value = f"{num} * {factor}"
        else:
            value = f"{num} / NULLIF({den}, 0) * {factor}"
        outputs += [f"{value} AS v{i}", f"{num} AS n{i}", f"{den if den else 'CAST(NULL AS DOUBLE)'} AS d{i}"]
    # A unit can hear from leaves at different distances (a school directly under the city, others via districts):
    # each leaf reaches each ancestor exactly once, so summing a unit's rows across levels gives its exact total.
    # A unit's own values (``own``) are one more leaf reaching it: they join its totals, so it gets one row.
    columns = ", ".join(["org", "period", "schools", *term_columns])
    leaves = f"SELECT {columns} FROM level0" + (" WHERE NOT own" if own else "")
    above = " UNION ALL ".join(
        ([f"SELECT {columns} FROM level0 WHERE own"] if own else []) + [f"SELECT * FROM {t}" for t in levels[1:]]
    )
    totals = (
        (
            f"SELECT org, period, SUM(schools) AS schools{', ' + sums if sums else ''} FROM ({above}) "
            f"GROUP BY org, period"
        )
        if above
        else None
    )
    rows = leaves + (f" UNION ALL {totals}" if totals else "")
    if not own_indicators:
        return f"SELECT org, period, schools, {', '.join(outputs)} FROM ({rows})", levels
    # own values per unit, joined to the rolled-up rows: a unit with own facts and no schools gets a row of its own
    own_columns = []
    for i in own_indicators:
        ind = indicators[i]
        num = to_sql(ind.numerator)
        den = to_sql(ind.denominator) if ind.denominator is not None else None
        value = f"({num}) / NULLIF({den}, 0)" if den else f"({num})"
        own_columns += [
            f"CAST({value} * {ind.factor!r} AS DOUBLE) AS o_v{i}",
            f"CAST({num} AS DOUBLE) AS o_n{i}",
            f"CAST({den if den else 'NULL'} AS DOUBLE) AS o_d{i}",
        ]
        outputs[3 * i : 3 * i + 3] = [f"o_v{i} AS v{i}", f"o_n{i} AS n{i}", f"o_d{i} AS d{i}"]
    own_rows = f"SELECT school AS org, period, {', '.join(own_columns)} FROM {facts}"
    sql = (
        f"SELECT COALESCE(r.org, o.org) AS org, COALESCE(r.period, o.period) AS period, "
        f"COALESCE(r.schools, 0) AS schools, {', '.join(outputs)} "
        f"FROM ({rows}) r FULL OUTER JOIN ({own_rows}) o ON r.org = o.org AND r.period = o.period"
    )
    return sql, levels
