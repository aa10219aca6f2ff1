"""The analytics engine (分析引擎) on DuckDB.

Two steps, deliberately separate so the benchmark can time the second on any data:

1. *load*: numeric values of approved submissions leave the Django database once, as a long Arrow table, and are
   pivoted in DuckDB into ``facts(school, period, <one column per element>)``; the org tree becomes
   ``edges(org, parent)``.
2. *compute* (:func:`.compute.compute`): per-school terms, rolled up one tree level at a time, into a wide
   ``results`` table for every org unit and period.

Year-on-year change is not stored: it is one lookup of the previous period at read time (:mod:`.query`).
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection, transaction
from django.db.models import Exists, FloatField, OuterRef
from django.db.models.functions import Cast

from dudao.collection.models import DataElement, DataValue, Submission
from dudao.orgs.models import OrgUnit
from dudao.review.workflow import locked_states

from .compute import compute
from .definitions import Indicator, catalog
from .models import IndicatorValue, Rebuild

PERIOD_SPAN = 1 << 32  # (school, period) packed into one int64 key for the pivot


@dataclass
class Extract:
    """Approved numeric values as parallel numpy columns, plus element id → code."""

    org: np.ndarray
    period: np.ndarray
    element: np.ndarray
    number: np.ndarray
    codes: dict[int, str]

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
    keys, inverse = np.unique(data.org[keep] * PERIOD_SPAN + data.period[keep], return_inverse=True)
    matrix = np.full((len(keys), len(wanted)), np.nan)
    matrix[inverse, columns[keep]] = data.number[keep]
    table = {"school": pa.array(keys // PERIOD_SPAN), "period": pa.array(keys % PERIOD_SPAN)}
    for j, code in enumerate(wanted):
        table[code] = pa.array(matrix[:, j], from_pandas=True)
    con.register("facts_arrow", pa.table(table))
    con.execute("CREATE OR REPLACE TABLE facts AS SELECT * FROM facts_arrow")
    con.unregister("facts_arrow")


def load_tree(con: duckdb.DuckDBPyConnection) -> None:
    """``edges(org, parent)`` for every org unit (departments included: they simply never receive data)."""
    units = list(OrgUnit.objects.values_list("id", "parent_id"))
    con.register(
        "edges_arrow",
        pa.table(
            {"org": [u[0] for u in units], "parent": [u[1] for u in units]},
            schema=pa.schema([("org", pa.int64()), ("parent", pa.int64())]),
        ),
    )
    con.execute("CREATE OR REPLACE TABLE edges AS SELECT * FROM edges_arrow")
    con.unregister("edges_arrow")


def approved_values():
    """Numeric values behind a submission that its principal has approved (locked states) — drafts never count."""
    locked = locked_states()
    approved = Submission.objects.filter(org=OuterRef("org"), campaign__period=OuterRef("period"), state__in=locked)
    return DataValue.objects.filter(number__isnull=False, category_option="").filter(Exists(approved))


def extract() -> Extract:
    """The approved values, the bulk way: one flat query fetched as raw tuples into numpy, and the approval filter
    as a vectorised membership test — no correlated subquery per value, no per-row ORM conversion."""
    locked = locked_states()
    approved = np.array(
        [
            o * PERIOD_SPAN + p
            for o, p in Submission.objects.filter(state__in=locked).values_list("org_id", "campaign__period_id")
        ],
        dtype=np.int64,
    )
    query = (
        DataValue.objects.filter(number__isnull=False, category_option="")
        .annotate(as_float=Cast("number", FloatField()))
        .values_list("org_id", "period_id", "element_id", "as_float")
    )
    sql, params = query.query.sql_with_params()
    org, period, element, number = _fetch_columns(sql, params)
    keep = np.isin(org * PERIOD_SPAN + period, approved)
    codes = dict(DataElement.objects.values_list("id", "code"))
    return Extract(org[keep], period[keep], element[keep], number[keep], codes)


PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
# one binary COPY row of (int8, int8, int8, float8): a field count, then per field a length and the big-endian value
_PG_ROW = np.dtype(
    [("n", ">i2"), ("l0", ">i4"), ("org", ">i8"), ("l1", ">i4"), ("period", ">i8"),
     ("l2", ">i4"), ("element", ">i8"), ("l3", ">i4"), ("number", ">f8")]
)  # fmt: skip


def _fetch_columns(sql: str, params) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run a 4-column numeric query and return its columns as numpy arrays.

    On PostgreSQL the rows travel as ``COPY … TO STDOUT (FORMAT BINARY)``: the server sends fixed-width big-endian
    integers and doubles (no number-to-text formatting) and numpy reads them as one structured array — no parsing,
    no Python object per row. Should the layout ever differ (e.g. 4-byte ids), the CSV path reads it instead.
    Elsewhere (SQLite) the rows are fetched and flattened in one pass."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params) as copy:
                for block in copy:
                    buffer.write(block)
            columns = _binary_columns(buffer.getbuffer())
            if columns is not None:
                return columns
            return _csv_columns(cursor, sql, params)
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = np.fromiter(chain.from_iterable(fetched), dtype=np.float64, count=4 * len(fetched)).reshape(-1, 4)
    return rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2].astype(np.int64), rows[:, 3]


def _binary_columns(data) -> tuple[np.ndarray, ...] | None:
    """Columns from a binary COPY stream of (int8, int8, int8, float8) rows, or None if it is not exactly that."""
    if bytes(data[:11]) != PG_SIGNATURE:
        return None
    extension = int.from_bytes(data[15:19], "big")
    start, end = 19 + extension, len(data) - 2  # rows, then the trailer: a field count of -1
    if (end - start) % _PG_ROW.itemsize or bytes(data[end:]) != b"\xff\xff":
        return None
    rows = np.frombuffer(data, dtype=_PG_ROW, offset=start, count=(end - start) // _PG_ROW.itemsize)
    if len(rows) and not (
        (rows["n"] == 4).all() and (rows["l0"] == 8).all() and (rows["l1"] == 8).all()
        and (rows["l2"] == 8).all() and (rows["l3"] == 8).all()
    ):  # fmt: skip
        return None
    return tuple(rows[name].astype(np.int64) for name in ("org", "period", "element")) + (
        rows["number"].astype(np.float64),
    )


def _csv_columns(cursor, sql: str, params) -> tuple[np.ndarray, ...]:
    buffer = io.BytesIO()
    with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT CSV)", params) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    names = ["org", "period", "element", "number"]
    types = {"org": pa.int64(), "period": pa.int64(), "element": pa.int64(), "number": pa.float64()}
    if not buffer.getbuffer().nbytes:
        return tuple(np.empty(0, dtype=np.int64 if n != "number" else np.float64) for n in names)
    table = pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=names),
        convert_options=pa_csv.ConvertOptions(column_types=types),
    )
    return tuple(table.column(n).to_numpy() for n in names)


def compute_all(indicators: Sequence[Indicator], rows: Extract) -> dict[str, np.ndarray]:
    """``results`` as columns — org, period, schools, v0, n0, d0, v1, … in the order of ``indicators`` — numpy
    arrays (masked where NULL), handed over without building a Python object per cell."""
    con = duckdb.connect()
    try:
        load_facts(con, rows, set().union(*(i.elements for i in indicators)))
        load_tree(con)
        compute(con, indicators)
        return con.execute("SELECT * FROM results").fetchnumpy()
    finally:
        con.close()


def rebuild(indicators: Sequence[Indicator] | None = None) -> Rebuild:
    """``dudao analytics rebuild``: recompute every indicator and replace the stored results in one transaction."""
    indicators = list(indicators or catalog())
    started = time.perf_counter()
    rows = extract()
    result = compute_all(indicators, rows)
    objects = []
    columns = {name: array.tolist() for name, array in result.items()}  # masked cells become None
    for row, (org, period, schools) in enumerate(zip(columns["org"], columns["period"], columns["schools"])):
        for i, ind in enumerate(indicators):
            objects.append(
                IndicatorValue(
                    indicator=ind.code,
                    org_id=org,
                    period_id=period,
                    value=columns[f"v{i}"][row],
                    numerator=columns[f"n{i}"][row],
                    denominator=columns[f"d{i}"][row],
                    schools=schools,
                )
            )
    with transaction.atomic():
        IndicatorValue.objects.all().delete()
        IndicatorValue.objects.bulk_create(objects, batch_size=2000)
        return Rebuild.objects.create(seconds=time.perf_counter() - started, values=len(rows), rows=len(objects))
