"""The engine's PostgreSQL extract: chunks, helper connections and the shared snapshot.

Transactional tests (helper connections only see committed rows), in their own module so that emptying the database
afterwards does not take a module-scoped demo with it."""

from datetime import date, datetime, timezone

import numpy as np
import psycopg
import pytest
from django.db import connection, transaction

from dudao.collection import selectors
from dudao.collection.models import Campaign, DataElement, DataSet, DataValue, Period, Submission
from dudao.indicators import engine
from dudao.orgs.models import Level, OrgUnit

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the binary extract is PostgreSQL's")

SCHOOLS, ELEMENTS = 12, 5


@pytest.fixture
def values(transactional_db):
    """12 schools × 5 elements × 2 periods; 2021's school 0 is still a draft, and one value is a category option."""
    city = OrgUnit.objects.create(code="310000", name="上海市", level=Level.CITY)
    district = OrgUnit.objects.create(code="310101", name="黄浦区", level=Level.DISTRICT, parent=city)
    schools = [
        OrgUnit.objects.create(code=f"S{i:03d}", name=f"学校{i}", level=Level.SCHOOL, parent=district)
        for i in range(SCHOOLS)
    ]
    dataset = DataSet.objects.create(code="x", name="x")
    elements = [DataElement.objects.create(code=f"e{k}", name=f"e{k}", value_type="number") for k in range(ELEMENTS)]
    for year in (2020, 2021):
        period = Period.objects.create(code=str(year), name=str(year), start=date(year, 1, 1), end=date(year, 12, 31))
        when = datetime(year, 1, 1, tzinfo=timezone.utc)
        campaign = Campaign.objects.create(
            name=str(year), dataset=dataset, period=period, opens_at=when, closes_at=when, owner=city
        )
        for i, school in enumerate(schools):
            state = "draft" if (year, i) == (2021, 0) else "approved"
            Submission.objects.create(campaign=campaign, org=school, state=state)
            DataValue.objects.bulk_create(
                DataValue(element=e, period=period, org=school, value=str(v), number=v)
                for e, v in zip(elements, (year + i * 10 + k + 0.25 for k in range(ELEMENTS)))
            )
    DataValue.objects.create(
        element=elements[0], period=period, org=schools[1], category_option="male", value="1", number=1
    )


def as_rows(data: engine.Extract) -> list[tuple]:
    return list(zip(data.org.tolist(), data.period.tolist(), data.element.tolist(), data.number.tolist()))


def test_helpers_and_chunks_read_the_same_rows(values, monkeypatch):
    monkeypatch.setattr(engine, "PG_CONNECTIONS", 1)
    serial = engine.extract()
    expected = {(v.org_id, v.period_id, v.element_id, float(v.number)) for v in selectors.approved_values()}
    assert len(serial) == len(expected) == (2 * SCHOOLS - 1) * ELEMENTS and set(as_rows(serial)) == expected

    used = []
    helper = engine._helper_slice
    monkeypatch.setattr(engine, "_helper_slice", lambda *a: used.append(a[3:]) or helper(*a))
    monkeypatch.setattr(engine, "PG_CONNECTIONS", 3)
    monkeypatch.setattr(engine, "PG_PARALLEL_MIN_IDS", 1)
    monkeypatch.setattr(engine, "PG_CHUNK_IDS", 7)  # several chunks per slice, uneven at the ends
    parallel = engine.extract()
    assert len(used) == 2  # two helper slices besides this connection's own
    assert sorted(as_rows(parallel)) == sorted(as_rows(serial))  # the same rows (order is the server's)
    assert parallel.codes == serial.codes


def test_helpers_read_the_extracts_snapshot(values, monkeypatch):
    """A value changed by someone else while the extract runs: the helper, which starts later, still reads the
    number as of the snapshot — exactly what this connection saw."""
    monkeypatch.setattr(engine, "PG_CONNECTIONS", 2)
    monkeypatch.setattr(engine, "PG_PARALLEL_MIN_IDS", 1)
    last = DataValue.objects.filter(category_option="").latest("id")  # in the helper's (upper) slice
    fetch = engine._fetch_slice

    def change_then_fetch(cursor, query, start, stop):
        if start == DataValue.objects.order_by("id").first().id:  # this connection's slice: change it first
            with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
                other.execute("UPDATE collection_datavalue SET number = 999999 WHERE id = %s", (last.id,))
        return fetch(cursor, query, start, stop)

    monkeypatch.setattr(engine, "_fetch_slice", change_then_fetch)
    data = engine.extract()
    numbers = dict(zip(zip(data.org.tolist(), data.period.tolist(), data.element.tolist()), data.number.tolist()))
    assert numbers[(last.org_id, last.period_id, last.element_id)] == float(last.number)
    last.refresh_from_db()
    assert last.number == 999999  # the change did happen, after the snapshot


def test_inside_a_callers_transaction_one_connection_reads_everything(values, monkeypatch):
    """Helpers could not see the caller's uncommitted rows, so inside an atomic block there are none."""
    monkeypatch.setattr(engine, "PG_PARALLEL_MIN_IDS", 1)
    monkeypatch.setattr(engine, "_helper_slice", lambda *a: pytest.fail("no helper inside a transaction"))
    with transaction.atomic():
        DataValue.objects.filter(category_option="").update(number=1)
        data = engine.extract()
    assert len(data) and np.all(data.number == 1)
