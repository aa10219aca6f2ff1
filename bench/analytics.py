"""Analytics benchmark: the DuckDB engine against a bare DuckDB GROUP BY and against the Django ORM path.

    python bench/analytics.py                      # 20k schools in DuckDB, 1,000 schools through the ORM
    python bench/analytics.py --schools 500000     # the target: 500k schools × 100 elements × 5 periods
    python bench/analytics.py --database-url postgres://…/scratch   # ORM part on PostgreSQL (database emptied!)

Part 1 (national scale, DuckDB only): synthetic ``facts`` (one row per school × period, one column per element) and
an org tree school → county → province → nation are generated inside DuckDB. Then, side by side in this one run:
  * engine  — ``dudao.indicators.engine.compute`` with 100 synthetic indicators that together read every element
              (ratios, sums, 校均 means and a non-linear weighted mean), for every org unit and period;
  * bare    — one plain ``SELECT org, period, SUM(e0) … SUM(e99) … GROUP BY org, period`` over the same values and
              the same tree: the least work that touches every value and every org unit once.
Part 2 (ORM scale): the same indicators over real Django tables (SQLite in a temp dir): the engine (bulk extract +
DuckDB) vs the Django ORM aggregation path (``reference.orm_aggregate``: GROUP BY per tree level through
``values().annotate(Sum())``, formulas on the sums), checked to give the same numbers; the plain fetch-everything
Python path (``reference.orm_compute``) is printed too. The freshly loaded database is settled first (VACUUM
ANALYZE / ANALYZE) and the paths take turns, best of ``--orm-repeat``.
Live refresh (``engine.refresh``, #14): in part 1 the compute over the one changed period; in part 2, after a full
rebuild, one school's form of the newest period is approved and refreshed (checked against a rebuild); with ``--demo``
the same on ``dudao demo``'s data.
Targets: engine ≤ 1.5 × bare; engine ≥ 10 × faster than the ORM; 500k schools in < 60 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def indicator_items(n_elements: int) -> list[dict]:
    """One indicator per element, in the shipped catalog's proportions (catalog/indicators.yaml: 45 indicators —
    20 sums, 19 ratios of elements, 2 ratios of sums of elements, 4 weighted means, 2 校均 means): per 20
    indicators 9 ratios, 8 sums, 1 ratio of a sum, 1 weighted mean (product), 1 校均 mean. Together they read every
    element."""
    items = []
    for k in range(n_elements):
        a, b, c = f"e{k}", f"e{(k + 1) % n_elements}", f"e{(k + 2) % n_elements}"
        slot = k % 20
        if slot < 9:
            items.append({"code": f"i{k}", "name": f"ratio {k}", "numerator": a, "denominator": b, "factor": 100})
        elif slot < 17:
            items.append({"code": f"i{k}", "name": f"sum {k}", "numerator": a, "aggregation": "sum"})
        elif slot == 17:
            items.append({"code": f"i{k}", "name": f"share {k}", "numerator": f"{a} + {b}", "denominator": c})
        elif slot == 18:
            items.append({"code": f"i{k}", "name": f"weighted {k}", "numerator": f"{a} * {b}", "denominator": b})
        else:
            items.append(
                {
                    "code": f"i{k}",
                    "name": f"mean {k}",
                    "numerator": a,
                    "denominator": b,
                    "aggregation": "school_mean",
                    "factor": 100,
                }
            )
    return items


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def part_duckdb(schools: int, elements: int, periods: int, threads: int | None, repeat: int) -> dict:
    import duckdb

    from dudao.indicators.compute import compute
    from dudao.indicators.definitions import parse_definitions

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    counties = max(1, schools // 180)  # ~2,800 counties for 500k schools, as in China
    provinces = 31
    started = time.perf_counter()
    columns = ", ".join(
        f"CASE WHEN random() < 0.02 THEN NULL ELSE round(random() * 1000 + 1, 2) END AS e{k}" for k in range(elements)
    )
    con.execute(
        f"CREATE TABLE facts AS SELECT s.range AS school, p.range AS period, {columns} "
        f"FROM range({schools}) s CROSS JOIN range({periods}) p"
    )
    county0, province0, nation = schools, schools + counties, schools + counties + provinces
    # edges(org, parent) for the engine; the closure tree(school, org) for the bare GROUP BY — the same org units
    con.execute(f"""
        CREATE TABLE edges AS
        SELECT range AS org, {county0} + range % {counties} AS parent FROM range({schools})
        UNION ALL SELECT {county0} + range, {province0} + range % {provinces} FROM range({counties})
        UNION ALL SELECT {province0} + range, {nation} FROM range({provinces})
        UNION ALL SELECT {nation}, NULL
    """)
    con.execute(f"""
        CREATE TABLE tree AS
        SELECT range AS school, range AS org FROM range({schools})
        UNION ALL SELECT range, {county0} + range % {counties} FROM range({schools})
        UNION ALL SELECT range, {province0} + (range % {counties}) % {provinces} FROM range({schools})
        UNION ALL SELECT range, {nation} FROM range({schools})
    """)
    generated = time.perf_counter() - started
    indicators = parse_definitions(indicator_items(elements))
    sums = ", ".join(f"SUM(f.e{k}) AS s{k}" for k in range(elements))  # noqa: F841 (used in bare())

    def bare():
        con.execute(
            f"CREATE OR REPLACE TABLE bare AS SELECT t.org, f.period, {sums} "
            f"FROM facts f JOIN tree t ON f.school = t.school GROUP BY t.org, f.period"
        )

    def engine():
        compute(con, indicators)

    # interleave, best of `repeat`, so neither side profits from a warmer cache
    t_bare, t_engine = float("inf"), float("inf")
    for _ in range(repeat):
        t_bare = min(t_bare, timed(bare))
        t_engine = min(t_engine, timed(engine))
    # the live refresh after one acceptance (engine.refresh): the same compute over the changed period only — every
    # school of it, because the root's totals need them all (see engine.refresh's trade-off)
    con.execute("CREATE OR REPLACE VIEW facts_one_period AS SELECT * FROM facts WHERE period = 0")
    t_refresh = float("inf")
    for _ in range(repeat):
        t_refresh = min(t_refresh, timed(lambda: compute(con, indicators, facts="facts_one_period", out="refreshed")))
    org_rows = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert org_rows == con.execute("SELECT COUNT(*) FROM bare").fetchone()[0]
    # spot check: the nation's total of a sum indicator equals the bare sum of its element
    k = next(i for i, ind in enumerate(indicators) if ind.aggregation == "sum")
    element = sorted(indicators[k].elements)[0]
    engine_total = con.execute(f"SELECT v{k} FROM results WHERE org = {nation} AND period = 0").fetchone()[0]
    bare_total = con.execute(f"SELECT s{element[1:]} FROM bare WHERE org = {nation} AND period = 0").fetchone()[0]
    assert abs(engine_total - bare_total) <= 1e-6 * abs(bare_total), (engine_total, bare_total)
    values = schools * elements * periods
    return {
        "schools": schools,
        "elements": elements,
        "periods": periods,
        "values": values,
        "generated": generated,
        "bare": t_bare,
        "engine": t_engine,
        "refresh": t_refresh,
        "org_rows": org_rows,
        "indicators": len(indicators),
    }


def setup_django(database_url: str | None) -> None:
    """A throw-away database for the ORM part: SQLite in a temp dir, or ``--database-url`` (emptied first)."""
    os.environ["DUDAO_VAR_DIR"] = tempfile.mkdtemp(prefix="dudao-bench-")
    if database_url:
        os.environ["DUDAO_DATABASE_URL"] = database_url
    else:
        os.environ.pop("DUDAO_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dudao.settings"
    import django

    django.setup()


def _has_tables() -> bool:
    from django.db import connection

    return "orgs_orgunit" in connection.introspection.table_names()


def settle() -> None:
    """Bring the freshly bulk-loaded database to the state a live one is in: statistics gathered and (PostgreSQL) rows
    vacuumed, so hint bits are set. Otherwise whichever path reads the table first pays for that one-off work — and
    on PostgreSQL autovacuum would do it in the background, on the same two cores, while the timings run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def part_orm(schools: int, elements: int, periods: int, repeat: int) -> dict:
    from datetime import date, datetime, timezone

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from dudao.collection.models import Campaign, DataElement, DataSet, DataValue, Period, Submission
    from dudao.indicators import engine
    from dudao.indicators.definitions import parse_definitions
    from dudao.indicators.models import IndicatorValue
    from dudao.indicators.reference import orm_aggregate, orm_compute
    from dudao.orgs.models import Level, OrgUnit

    call_command("flush", interactive=False, verbosity=0) if _has_tables() else None
    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create(username="bench")
    del owner
    city = OrgUnit.objects.create(code="100000", name="全国", level=Level.CITY)
    districts = [
        OrgUnit.objects.create(code=f"1001{i:02d}", name=f"县{i}", level=Level.DISTRICT, parent=city)
        for i in range(max(1, schools // 20))
    ]
    units = [
        OrgUnit(
            code=f"S{i:07d}",
            name=f"学校{i}",
            level=Level.SCHOOL,
            parent=districts[i % len(districts)],
            path=f"{districts[i % len(districts)].path}S{i:07d}/",
        )
        for i in range(schools)
    ]
    OrgUnit.objects.bulk_create(units)
    units = list(OrgUnit.objects.filter(level=Level.SCHOOL))
    dataset = DataSet.objects.create(code="bench", name="bench")
    elements = [DataElement.objects.create(code=f"e{k}", name=f"e{k}", value_type="number") for k in range(elements)]
    import random

    rng = random.Random(1)
    values = []
    for p in range(periods):
        period = Period.objects.create(
            code=str(2000 + p), name=str(2000 + p), start=date(2000 + p, 1, 1), end=date(2000 + p, 12, 31)
        )
        when = datetime(2000 + p, 1, 1, tzinfo=timezone.utc)
        campaign = Campaign.objects.create(
            name=period.code, dataset=dataset, period=period, opens_at=when, closes_at=when, owner=city
        )
        Submission.objects.bulk_create([Submission(campaign=campaign, org=u, state="approved") for u in units])
        for u in units:
            for e in elements:
                number = round(rng.random() * 1000 + 1, 2)
                values.append(DataValue(element=e, period=period, org=u, value=str(number), number=number))
    DataValue.objects.bulk_create(values, batch_size=5000)
    settle()
    indicators = parse_definitions(indicator_items(len(elements)))
    # interleaved, best of `repeat`, so neither side profits from a warmer cache or a quieter moment
    t_engine = t_orm = t_python = float("inf")
    result: dict = {}
    for _ in range(repeat):
        t_engine = min(t_engine, timed(lambda: engine.compute_all(indicators, engine.extract())))
        t_orm = min(t_orm, timed(lambda: result.update(orm_aggregate(indicators))))
        t_python = min(t_python, timed(lambda: orm_compute(indicators)))
    # the live refresh after one acceptance: one school's last-period form is approved after a full rebuild
    last, school = Period.objects.order_by("-start").first(), units[0]
    accepted = Submission.objects.filter(org=school, campaign__period=last)
    accepted.update(state="checked")
    engine.rebuild(indicators)
    accepted.update(state="approved")
    t_refresh = timed(lambda: engine.refresh([school.pk], last.pk, indicators))
    refreshed = {(v.org_id, v.period_id, v.indicator): v.value for v in IndicatorValue.objects.all()}
    t_rebuild = timed(lambda: engine.rebuild(indicators))
    stored = {(v.org_id, v.period_id, v.indicator): v.value for v in IndicatorValue.objects.all()}
    refresh_mismatches = sum(1 for k in stored.keys() | refreshed.keys() if stored.get(k) != refreshed.get(k))
    mismatches = sum(
        1
        for k, v in result.items()
        if (v is None) != (stored.get(k) is None) or (v is not None and abs(stored[k] - v) > 1e-6 * abs(v))
    )
    return {
        "schools": schools,
        "values": len(values),
        "engine": t_engine,
        "orm": t_orm,
        "rebuild": t_rebuild,
        "refresh": t_refresh,
        "refresh_mismatches": refresh_mismatches,
        "python": t_python,
        "mismatches": mismatches,
        "compared": len(result),
    }


def part_demo() -> dict:
    """The live refresh on the demo's data (``dudao demo``, loaded into the emptied database): one accepted school of
    the newest period with results, refreshed against a full rebuild."""
    from django.core.management import call_command

    from dudao.collection import selectors
    from dudao.indicators import engine
    from dudao.indicators.models import IndicatorValue
    from dudao.orgs.selectors import schools_under

    call_command("flush", interactive=False, verbosity=0)
    call_command("demo", verbosity=0)
    settle()
    t_rebuild = timed(engine.rebuild)
    stored = {(v.org_id, v.period_id, v.indicator): v.value for v in IndicatorValue.objects.all()}
    sub = (
        selectors.approved_submissions().select_related("org", "campaign__period").order_by("-campaign__period__start")
    )
    sub = sub.filter(org__in=schools_under()).first()
    t_refresh = timed(lambda: engine.refresh([sub.org_id], sub.campaign.period_id))
    refreshed = {(v.org_id, v.period_id, v.indicator): v.value for v in IndicatorValue.objects.all()}
    return {
        "schools": schools_under().count(),
        "values": len(engine.extract()),
        "rebuild": t_rebuild,
        "refresh": t_refresh,
        "school": sub.org.name,
        "period": sub.campaign.period.code,
        "mismatches": sum(1 for k in stored.keys() | refreshed.keys() if stored.get(k) != refreshed.get(k)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=20000)
    parser.add_argument("--elements", type=int, default=100)
    parser.add_argument("--periods", type=int, default=5)
    parser.add_argument("--orm-schools", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N, part 1 (use 1 at 500k schools)")
    parser.add_argument("--orm-repeat", type=int, default=3, help="best of N, part 2")
    parser.add_argument(
        "--database-url",
        default=None,
        help="run the ORM part on this PostgreSQL database (it is emptied!) instead of SQLite",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=os.environ.get("DUDAO_BENCH_DEMO") == "1",
        help="also load `dudao demo` and time the live refresh on it (env DUDAO_BENCH_DEMO=1)",
    )
    args = parser.parse_args()
    setup_django(args.database_url)

    d = part_duckdb(args.schools, args.elements, args.periods, args.threads, args.repeat)
    print(
        f"DuckDB: {d['schools']:,} schools × {d['elements']} elements × {d['periods']} periods "
        f"= {d['values']:,} values; {d['org_rows']:,} org×period rows; {d['indicators']} indicators "
        f"(generated in {d['generated']:.1f} s)"
    )
    print(f"  bare GROUP BY   {d['bare']:8.2f} s")
    print(f"  engine compute  {d['engine']:8.2f} s   engine / bare = {d['engine'] / d['bare']:.2f}  (target ≤ 1.5)")
    print(
        f"  refresh compute (one period) {d['refresh']:6.2f} s   refresh / engine = {d['refresh'] / d['engine']:.2f}  "
        f"(1 / periods = {1 / d['periods']:.2f})"
    )
    total = d["generated"] + d["engine"]
    print(f"  generate + engine {total:6.1f} s   (target for 500k schools: < 60 s)")

    o = part_orm(args.orm_schools, args.elements, args.periods, args.orm_repeat)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"Django ({backend}): {o['schools']:,} schools, {o['values']:,} values; both paths read the approved values "
        f"from the database and compute every indicator for every org unit"
    )
    print(f"  engine (bulk extract + DuckDB)       {o['engine']:8.2f} s")
    print(
        f"  ORM aggregation (reference.orm_aggregate) {o['orm']:8.2f} s   ORM / engine = "
        f"{o['orm'] / o['engine']:.1f}×  (target ≥ 10×)"
    )
    print(
        f"  (for reference: ORM fetch + per-school Python, reference.orm_compute: {o['python']:.2f} s, "
        f"{o['python'] / o['engine']:.1f}×)"
    )
    print(f"  full `analytics rebuild` incl. storing the results: {o['rebuild']:.2f} s")
    print(f"  results compared: {o['compared']:,}, differing: {o['mismatches']}")
    print(
        f"  live refresh after one acceptance (engine.refresh, 1 school → root, 1 period): {o['refresh']:.2f} s   "
        f"refresh / rebuild = {o['refresh'] / o['rebuild']:.2f}; differing from a rebuild: {o['refresh_mismatches']}"
    )
    if args.demo:
        m = part_demo()
        print(f"Demo ({backend}, `dudao demo`): {m['schools']:,} schools, {m['values']:,} approved values")
        print(f"  full `analytics rebuild`                       {m['rebuild']:8.2f} s")
        print(
            f"  live refresh after one acceptance ({m['school']}, {m['period']}) {m['refresh']:8.2f} s   "
            f"refresh / rebuild = {m['refresh'] / m['rebuild']:.2f}; differing from a rebuild: {m['mismatches']}"
        )


if __name__ == "__main__":
    main()
