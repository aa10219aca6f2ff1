"""The analytics engine (分析引擎) on DuckDB.

Two steps, deliberately separate so the benchmark can time the second on any data:

1. *load*: numeric values of approved submissions leave the Django database once, as numpy columns (one snapshot),
   and are pivoted into ``facts(school, period, <one column per element>)``, an Arrow view in DuckDB; the org tree
   becomes ``edges(org, parent)``.
2. *compute* (:func:`.compute.results_query`): per-school terms, rolled up one tree level at a time, into wide
   results rows for every org unit and period.

Year-on-year change is not stored: it is one lookup of the previous period at read time (:mod:`.query`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain

import duckdb
import numpy as np
import pyarrow as pa
from django.db import connection, transaction

from dudao.collection import selectors
from dudao.orgs.selectors import lines_to_root, non_school_units, tree_edges

from .compute import results_query
from .definitions import Indicator, catalog
from .models import IndicatorValue, Rebuild, Refresh

PERIOD_SPAN = 1 << 32  # (school, period) packed into one int64 key for the pivot


@dataclass
class Extract:
    """Approved numeric values as parallel numpy columns, plus element id → code."""

    org: np.ndarray
    period: np.ndarray
    element: np.ndarray
    number: np.ndarray
    codes: dict[int, str]
    # ids of the units that are not schools (districts, the city): values there are the unit's own, not a school's
    non_schools: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.number)


def load_facts(con: duckdb.DuckDBPyConnection, data: Extract, elements: set[str]) -> None:
    """Pivot the long values into ``facts(school, period, <one column per needed element>)``.

    The pivot is a numpy scatter into a (school × period, element) matrix — one vectorised pass, no per-element
    filter — and reaches DuckDB as Arrow columns (NaN → NULL)."""
    wanted = sorted(elements)
    column_of = np.full(max(data.codes, default=0) + 1, -1, dtype=np.int64)
    for element_id, code in data.codes.items():
        if code in elements:
            column_of[element_id] = wanted.index(code)
    columns = column_of[data.element] if len(data) else np.empty(0, dtype=np.int64)
    keep = columns >= 0
    schools, periods, inverse = _rows(data.org[keep], data.period[keep])
    matrix = np.full((len(schools), len(wanted)), np.nan)
    matrix[inverse, columns[keep]] = data.number[keep]
    table = {"school": pa.array(schools), "period": pa.array(periods)}
    for j, code in enumerate(wanted):
        table[code] = pa.array(matrix[:, j], from_pandas=True)
    own = _member(schools, data.non_schools)
    if own.any():  # a district's own figures (政府履责): the roll-up counts them, but not as a school
        table["own"] = pa.array(own)
    con.register("facts", pa.table(table))  # a view on the Arrow buffers: read once by level0, never copied


def _rows(org: np.ndarray, period: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (school, period) pairs in (school, period) order, and each value's row among them.

    Ids are dense small integers, so marking them in boolean arrays numbers the pairs in linear time — ``np.unique``
    would sort every value's key (half the pivot's time at 500k values). Sparse ids fall back to the sort."""
    if not len(org):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    if org.max() > 8 * len(org) + 1_000_000 or period.max() > 100_000:
        keys, inverse = np.unique(org * PERIOD_SPAN + period, return_inverse=True)
        return keys // PERIOD_SPAN, keys % PERIOD_SPAN, inverse
    org_seen = np.zeros(org.max() + 1, dtype=bool)
    org_seen[org] = True
    period_seen = np.zeros(period.max() + 1, dtype=bool)
    period_seen[period] = True
    org_ids, period_ids = np.flatnonzero(org_seen), np.flatnonzero(period_seen)
    org_pos, period_pos = np.cumsum(org_seen) - 1, np.cumsum(period_seen) - 1
    cell = org_pos[org] * len(period_ids) + period_pos[period]
    present = np.zeros(len(org_ids) * len(period_ids), dtype=bool)
    present[cell] = True
    cells = np.flatnonzero(present)
    return org_ids[cells // len(period_ids)], period_ids[cells % len(period_ids)], (np.cumsum(present) - 1)[cell]


def load_tree(con: duckdb.DuckDBPyConnection) -> None:
    """``edges(org, parent)`` for every org unit (departments included: they simply never receive data)."""
    units = tree_edges()
    con.register(
        "edges_arrow",
        pa.table(
            {"org": [u[0] for u in units], "parent": [u[1] for u in units]},
            schema=pa.schema([("org", pa.int64()), ("parent", pa.int64())]),
        ),
    )
    con.execute("CREATE OR REPLACE TABLE edges AS SELECT * FROM edges_arrow")
    con.unregister("edges_arrow")


def extract() -> Extract:
    """The approved values, the bulk way: one flat query fetched as raw tuples into numpy, and the approval filter
    as a vectorised membership test — no correlated subquery per value, no per-row ORM conversion. Submissions and
    values are read in one snapshot, so a submission approved mid-extract cannot count with half its values."""
    with _snapshot() as snapshot:
        approved = np.array(
            [o * PERIOD_SPAN + p for o, p in selectors.approved_org_periods()],
            dtype=np.int64,
        )
        if connection.vendor == "postgresql":
            org, period, element, number = _postgres_columns(snapshot)
        else:
            query = selectors.numeric_value_rows()
            org, period, element, number = _fetch_columns(*query.query.sql_with_params())
        codes = selectors.element_codes()
        above = np.array(non_school_units(), dtype=np.int64)
    keep = _member(org * PERIOD_SPAN + period, approved)
    return Extract(org[keep], period[keep], element[keep], number[keep], codes, above)


@contextmanager
def _snapshot():
    """One read-only transaction around the extract. On PostgreSQL it is REPEATABLE READ and its snapshot is
    exported, so helper connections (:func:`_postgres_columns`) see exactly the same rows; yields the snapshot's
    name, or None when there is none to share — on SQLite, or inside a caller's transaction, whose uncommitted rows
    another connection could not see anyway."""
    if connection.in_atomic_block:
        yield None
        return
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield None
            return
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            yield cursor.fetchone()[0]


# PostgreSQL: each value as a fixed 32-byte record (three int8 and a float8, big-endian), aggregated by the server into
# one bytea per chunk of ids. A chunk stays far below bytea's 1 GB limit; one chunk covers the demo and the bench.
_PG_RECORD = np.dtype([("org", ">i8"), ("period", ">i8"), ("element", ">i8"), ("number", ">f8")])
PG_CHUNK_IDS = 4_000_000
# Connections that build records side by side. PostgreSQL 15 runs string_agg on one core per query (parallel
# string_agg came in 16), and packing the records, not scanning, is most of the extract's time; a second
# connection, in the same snapshot, roughly halves it. Below PG_PARALLEL_MIN_IDS one query beats opening one.
PG_CONNECTIONS = 2
PG_PARALLEL_MIN_IDS = 200_000


def _member(keys: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``np.isin`` for many keys against few allowed ones: binary search in the sorted allowed keys (no sort of
    ``keys``, which is what makes ``np.isin`` slow here)."""
    allowed = np.unique(allowed)
    if not len(allowed):
        return np.zeros(len(keys), dtype=bool)
    index = np.minimum(np.searchsorted(allowed, keys), len(allowed) - 1)
    return allowed[index] == keys


def _postgres_columns(snapshot: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every numeric value as four numpy columns, read the fastest way we measured (bench/analytics.py).

    Row-by-row transfer — fetching tuples, or even ``COPY … TO STDOUT`` which hands over one message per row — costs
    the client a Python call per value. Here the server packs the rows into fixed-width binary records
    (``int8send``/``float8send``) and ``string_agg`` joins them into one bytea per chunk of ids, fetched in binary
    and viewed by numpy without parsing: about 40% less time than a binary COPY of the same rows.

    With a ``snapshot`` (see :func:`_snapshot`) and enough rows, the id range is split between ``PG_CONNECTIONS``
    connections: this one and helpers that import the snapshot, each in its own thread (psycopg releases the GIL
    while it waits on the server)."""
    import psycopg  # only on PostgreSQL; Django's own cursors are client-side and cannot return binary results

    quote = connection.ops.quote_name
    table_name, columns = selectors.value_storage(("org", "period", "element", "number", "category_option", "id"))
    table = quote(table_name)
    org, period, element, number, option, pk = (quote(column) for column in columns)
    record = f"int8send({org}) || int8send({period}) || int8send({element}) || float8send({number}::float8)"
    query = (
        f"SELECT string_agg({record}, ''::bytea) FROM {table} "
        f"WHERE {option} = '' AND {number} IS NOT NULL AND {pk} >= %s AND {pk} < %s"
    )
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        extent = cursor.execute(f"SELECT min({pk}), max({pk}) FROM {table}").fetchone()  # (NULL, NULL) when empty
        if extent is None or extent[0] is None:
            parts = []
        else:
            low, high = extent
            span = high + 1 - low
            slices = PG_CONNECTIONS if snapshot and span >= PG_PARALLEL_MIN_IDS else 1
            bounds = [low + span * k // slices for k in range(slices + 1)]
            params = connection.get_connection_params()
            with ThreadPoolExecutor(max_workers=max(1, slices - 1)) as pool:
                helpers = [
                    pool.submit(_helper_slice, params, snapshot, query, bounds[k], bounds[k + 1])
                    for k in range(1, slices)
                    if snapshot  # always: there are helpers only when there is a snapshot to share
                ]
                parts = _fetch_slice(cursor, query, bounds[0], bounds[1])
                for future in helpers:
                    parts += future.result()
    rows = np.concatenate(parts) if parts else np.empty(0, dtype=_PG_RECORD)
    return (
        rows["org"].astype(np.int64),
        rows["period"].astype(np.int64),
        rows["element"].astype(np.int64),
        rows["number"].astype(np.float64),
    )


def _fetch_slice(cursor, query: str, start: int, stop: int) -> list[np.ndarray]:
    """The records with ids in [start, stop), one query per chunk of ``PG_CHUNK_IDS`` ids."""
    parts = []
    for low in range(start, stop, PG_CHUNK_IDS):
        blob = cursor.execute(query, (low, min(low + PG_CHUNK_IDS, stop)), binary=True).fetchone()[0]
        if blob:
            parts.append(np.frombuffer(blob, dtype=_PG_RECORD))
    return parts


def _helper_slice(params: dict, snapshot: str, query: str, start: int, stop: int) -> list[np.ndarray]:
    """:func:`_fetch_slice` on a connection of its own that sees the extract's snapshot."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**params) as conn, psycopg.Cursor(conn) as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        return _fetch_slice(cursor, query, start, stop)


def _fetch_columns(sql: str, params) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run a 4-column numeric query and return its columns as numpy arrays (fetched and flattened in one pass)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = np.fromiter(chain.from_iterable(fetched), dtype=np.float64, count=4 * len(fetched)).reshape(-1, 4)
    return rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2].astype(np.int64), rows[:, 3]


def compute_all(indicators: Sequence[Indicator], rows: Extract) -> dict[str, np.ndarray]:
    """``results`` as columns — org, period, schools, v0, n0, d0, v1, … in the order of ``indicators`` — numpy
    arrays (masked where NULL), handed over without building a Python object per cell."""
    con = duckdb.connect()
    try:
        load_facts(con, rows, set().union(*(i.elements for i in indicators)))
        load_tree(con)
        sql, _ = results_query(con, indicators)
        return con.execute(sql).fetchnumpy()
    finally:
        con.close()


def rebuild(indicators: Sequence[Indicator] | None = None) -> Rebuild:
    """``dudao analytics rebuild``: recompute every indicator and replace the stored results in one transaction."""
    indicators = list(indicators or catalog())
    started = time.perf_counter()
    rows = extract()
    result = compute_all(indicators, rows)
    objects = list(_value_objects(indicators, result))
    with transaction.atomic():
        _lock_results()
        IndicatorValue.objects.all().delete()
        IndicatorValue.objects.bulk_create(objects, batch_size=2000)
        return Rebuild.objects.create(seconds=time.perf_counter() - started, values=len(rows), rows=len(objects))


def _value_objects(indicators: Sequence[Indicator], result: dict[str, np.ndarray], keep: np.ndarray | None = None):
    """``IndicatorValue`` objects of the result rows (only those where ``keep`` is true, when given)."""
    if keep is not None:
        result = {name: array[keep] for name, array in result.items()}
    columns = {name: array.tolist() for name, array in result.items()}  # masked cells become None
    for row, (org, period, schools) in enumerate(zip(columns["org"], columns["period"], columns["schools"])):
        for i, ind in enumerate(indicators):
            yield IndicatorValue(
                indicator=ind.code,
                org_id=org,
                period_id=period,
                value=columns[f"v{i}"][row],
                numerator=columns[f"n{i}"][row],
                denominator=columns[f"d{i}"][row],
                schools=schools,
            )


# One writer of IndicatorValue at a time: a refresh that read its data before another's commit must not store
# older figures over newer ones, nor collide with it on the unique (indicator, org, period) constraint.
_LOCK_KEY = 0x44554441  # "DUDA"


def _lock_results() -> None:
    """Serialise writers of the results (PostgreSQL advisory lock until commit; SQLite serialises writes itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def extract_scope(period_id: int, path: str) -> Extract:
    """:func:`extract` restricted to one period and one subtree (the units whose ``path`` starts with ``path``):
    one flat query filtered in the database, then the same approval rule as the full extract."""
    approved = np.array(
        [o * PERIOD_SPAN + p for o, p in selectors.approved_org_periods(period_id=period_id, under_path=path)],
        dtype=np.int64,
    )
    query = selectors.numeric_value_rows(period_id=period_id, under_path=path)
    org, period, element, number = _fetch_columns(*query.query.sql_with_params())
    keep = _member(org * PERIOD_SPAN + period, approved)
    above = np.array(non_school_units(), dtype=np.int64)
    return Extract(org[keep], period[keep], element[keep], number[keep], selectors.element_codes(), above)


def refresh(
    org_ids_or_path: Sequence[int] | str, period: int | object, indicators: Sequence[Indicator] | None = None
) -> Refresh | None:
    """The live refresh: recompute the indicators of the given units (ids, or one unit's ``path``) and of every unit
    above them for one period, after their approved data changed (a submission accepted, reopened, or its values
    changed while they count) — without ``dudao analytics rebuild``, which stays for catalog changes.

    Only the ``IndicatorValue`` rows of (those units, that period) are replaced; every other unit's and period's rows
    stay as they are. What is read: the period's approved values under the topmost affected unit, because that
    unit's figures are sums over all its schools. For a school that is the city, so the cost grows with one period
    of the city, not with all periods — the trade-off: updating the ancestors by the school's *difference* would
    cost only the changed subtree, but 校均 means and the DHIS2 rule (a side summed over the schools where it is
    computable, NULL when none is) need per-unit partial sums (Σratio, count, per-term counts) that the results
    table does not keep; re-summing one period stays exact with the stored schema and is measured in
    ``bench/analytics.py`` (a fraction of a rebuild; the extract, not DuckDB, dominates).

    Runs in one transaction under the writers' lock, reading after taking it, so a concurrent refresh cannot store
    older figures over newer ones. Returns the :class:`Refresh` log row (None when no unit was found)."""
    started = time.perf_counter()
    period_id = period if isinstance(period, int) else period.pk  # type: ignore[attr-defined]
    if isinstance(org_ids_or_path, str):
        line = lines_to_root(path=org_ids_or_path)
    else:
        line = lines_to_root(org_ids=org_ids_or_path)
    if not line:
        return None
    indicators = list(indicators or catalog())
    affected = np.array(sorted(pk for pk, _ in line), dtype=np.int64)
    top_path = line[0][1]  # root first
    with transaction.atomic():
        _lock_results()
        rows = extract_scope(period_id, top_path)
        result = compute_all(indicators, rows)
        keep = _member(np.asarray(result["org"], dtype=np.int64), affected)
        objects = list(_value_objects(indicators, result, keep))
        IndicatorValue.objects.filter(period_id=period_id, org_id__in=affected.tolist()).delete()
        IndicatorValue.objects.bulk_create(objects, batch_size=2000)
        changed = max(affected.tolist(), key=lambda pk: dict(line)[pk].count("/"))  # the lowest unit, for the log
        return Refresh.objects.create(
            org_id=changed,
            period_id=period_id,
            seconds=time.perf_counter() - started,
            values=len(rows),
            rows=len(objects),
        )
