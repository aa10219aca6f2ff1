"""Shared fixtures: a small org world (two districts, three schools), users for every role, an open campaign."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.catalog import load_all_datasets
from dudao.collection.models import DataSet
from dudao.orgs.catalog import group, load_org_catalog
from dudao.orgs.models import Level, Membership, OrgUnit, Role

# One school's complete, rule-abiding answer to the vocational quality data set.
VALID = {
    "students_total": 1200,
    "enrollment_new": 400,
    "majors_count": 9,
    "fixed_assets": "18000.50",
    "equipment_value": "6500",
    "books": 70000,
    "practice_stations": 1000,
    "staff_total": 140,
    "staff_established": 130,
    "teachers_fulltime": 100,
    "teachers_professional": 55,
    "teachers_dual": 33,
    "teachers_parttime": 20,
    "edu_below_bachelor": 2,
    "edu_bachelor": 75,
    "edu_master_plus": 23,
    "title_junior_below": 28,
    "title_intermediate": 50,
    "title_senior": 22,
    "pass_rate_culture": "92.5",
    "pass_rate_skill": "93",
    "pass_rate_fitness": "86.4",
    "graduates_dual_cert": 300,
    "graduates": 380,
    "employed": 375,
    "employed_direct": 90,
    "further_study": 285,
    "industry_primary": 1,
    "industry_secondary": 40,
    "industry_tertiary": 49,
    "employed_local": 70,
    "employed_other_province": 18,
    "employed_abroad": 2,
    "entrepreneurs": 1,
    "starting_salary": "3800",
    "employer_satisfaction": "96.5",
    "further_study_college": 250,
    "further_study_bachelor": 25,
    "coop_enterprises": 40,
    "order_classes": 3,
    "apprenticeship_students": 50,
    "enterprise_equipment": "200",
    "training_sessions": 3000,
    "text_overview": "学校概况。",
    "text_students": "学生发展。",
    "text_quality": "质量保障。",
    "text_cooperation": "校企合作。",
    "text_contribution": "社会贡献。",
    "text_government": "举办者履责。",
    "text_outlook": "问题与展望。",
}


class Snapshots:
    """Whole-database copies of the test database, so the demo is built once per session and each module that uses
    it gets a pristine copy (and every other module an empty database) without loading it again.

    SQLite: in-memory copies through the ``sqlite3`` backup API. PostgreSQL: template databases next to the test
    database, copied back with ``CREATE DATABASE … TEMPLATE …``."""

    def __init__(self):
        self.copies = {}

    def take(self, name):
        from django.db import connection

        if connection.vendor == "sqlite":
            import sqlite3

            connection.ensure_connection()
            copy = self.copies[name] = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(copy)
        else:
            database = connection.settings_dict["NAME"]
            template = self.copies[name] = f"{database}_{name}"
            connection.close()
            with connection.creation._nodb_cursor() as cursor:
                # a template must have no other sessions (say, a live server thread's that outlived its test)
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [database],
                )
                cursor.execute(f'DROP DATABASE IF EXISTS "{template}"')
                cursor.execute(f'CREATE DATABASE "{template}" TEMPLATE "{database}"')

    def restore(self, name):
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection

        if connection.vendor == "sqlite":
            connection.ensure_connection()
            self.copies[name].backup(connection.connection)
        else:
            database = connection.settings_dict["NAME"]
            connection.close()
            with connection.creation._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.copies[name]}"')
        ContentType.objects.clear_cache()  # ids may differ between copies

    def drop(self):
        from django.db import connection

        for copy in self.copies.values():
            if connection.vendor == "sqlite":
                copy.close()
            else:
                with connection.creation._nodb_cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _demo_snapshots(django_db_setup, django_db_blocker):
    """The empty test database and the full demo in it, each copied once per session."""
    from django.core.management import call_command

    snapshots = Snapshots()
    with django_db_blocker.unblock():
        snapshots.take("empty")
        call_command("demo", "--reset", verbosity=0)
        snapshots.take("demo")
        snapshots.restore("empty")
    yield snapshots
    with django_db_blocker.unblock():
        snapshots.drop()


@pytest.fixture(scope="module")
def demo(_demo_snapshots, django_db_blocker):
    """The full Shanghai demo (``dudao demo``: data, indicators, published reports, plans), for one test module.

    Built once per session and copied in; the module's tests see it as freshly loaded, and the database is empty
    again afterwards, as if the module had loaded the demo itself and flushed."""
    with django_db_blocker.unblock():
        _demo_snapshots.restore("demo")
    yield
    with django_db_blocker.unblock():
        _demo_snapshots.restore("empty")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class World:
    """Named handles on the fixture's org units, users and campaign."""


class Catalogs:
    """``load_org_catalog()`` + ``load_all_datasets()`` for the ``world`` fixture, cheaply.

    The first time they run on an empty database, the rows they write (in any table) are kept; later, on an empty
    database again, the same rows with the same ids are bulk-inserted — some twenty queries instead of the
    loaders' 1,600 (most of ``world``'s cost, which every test that uses it pays). On a database that already has
    catalog rows the loaders run as they are."""

    rows = None  # [(model, [field values by attname])], in model registration order
    city = None  # the city's id among them

    @classmethod
    def models(cls):
        from django.apps import apps

        return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]

    @classmethod
    def load(cls):
        import copy

        from django.core.management.color import no_style
        from django.db import connection, transaction

        if cls.rows is not None and not any(model._base_manager.exists() for model, _ in cls.rows):
            with transaction.atomic():
                for model, rows in cls.rows:
                    model._base_manager.bulk_create(model(**copy.deepcopy(values)) for values in rows)
                with connection.cursor() as cursor:  # PostgreSQL: sequences continue after the inserted ids
                    for sql in connection.ops.sequence_reset_sql(no_style(), [model for model, _ in cls.rows]):
                        cursor.execute(sql)
            return OrgUnit.objects.get(pk=cls.city)
        before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in cls.models()}
        city = load_org_catalog()
        load_all_datasets()
        if cls.rows is None and not before[OrgUnit] and not before[DataSet]:
            rows = []
            for model, old in before.items():
                pk = model._meta.pk.attname
                fields = [f.attname for f in model._meta.concrete_fields]
                new = [row for row in model._base_manager.values(*fields) if row[pk] not in old]
                if new:
                    rows.append((model, new))
            cls.rows, cls.city = rows, city.pk
        return city


def make_user(username, org, role):
    user = get_user_model().objects.create_user(username=username, password="pw-12345-dudao", first_name=username)
    Membership.objects.create(user=user, org=org, role=role)
    return user


@pytest.fixture
def world(db):
    w = World()
    w.city = Catalogs.load()  # load_org_catalog() + load_all_datasets()
    w.dataset = DataSet.objects.get(code="vocational_quality")
    w.huangpu = OrgUnit.objects.get(code="310101")
    w.xuhui = OrgUnit.objects.get(code="310104")
    w.school_a = OrgUnit.objects.create(code="3101010001", name="甲职业学校", level=Level.SCHOOL, parent=w.huangpu)
    w.school_b = OrgUnit.objects.create(code="3101010002", name="乙职业学校", level=Level.SCHOOL, parent=w.huangpu)
    w.school_c = OrgUnit.objects.create(code="3101040001", name="丙职业学校", level=Level.SCHOOL, parent=w.xuhui)
    for school in (w.school_a, w.school_b, w.school_c):
        school.groups.add(group("school_type", "specialized_secondary"), group("affiliation", "district_bureau"))
    w.users = {
        "collector": make_user("a-collector", w.school_a, Role.COLLECTOR),
        "checker": make_user("a-checker", w.school_a, Role.CHECKER),
        "principal": make_user("a-principal", w.school_a, Role.PRINCIPAL),
        "collector_b": make_user("b-collector", w.school_b, Role.COLLECTOR),
        "collector_c": make_user("c-collector", w.school_c, Role.COLLECTOR),
        "district_reviewer": make_user("huangpu", w.huangpu, Role.DISTRICT_REVIEWER),
        "district_reviewer_xuhui": make_user("xuhui", w.xuhui, Role.DISTRICT_REVIEWER),
        "city_admin": make_user("city", w.city, Role.CITY_ADMIN),
        "inspector": make_user("inspector", w.city, Role.INSPECTOR),
        "analyst": make_user("analyst", w.city, Role.ANALYST),
        "compiler": make_user("compiler", w.city, Role.COMPILER),
    }
    now = timezone.now()
    w.campaign = open_campaign(
        w.dataset, yearly_period(2021), w.city, now - timedelta(days=1), now + timedelta(days=30)
    )
    w.sub_a = w.campaign.submissions.get(org=w.school_a)
    w.sub_b = w.campaign.submissions.get(org=w.school_b)
    w.sub_c = w.campaign.submissions.get(org=w.school_c)
    return w


def approve_to(sub, users, target, values=None):
    """Drive ``sub`` with ``values`` (VALID by default) up to workflow state ``target``."""
    from dudao.collection.services import save_values
    from dudao.review.workflow import perform

    save_values(sub, values or VALID, users["collector"])
    chain = [
        ("submit", "collector", {}),
        ("check", "checker", {}),
        ("approve", "principal", {"signer_name": "张校长", "confirm": True}),
        ("district_accept", "district_reviewer", {}),
        ("city_accept", "city_admin", {}),
    ]
    for action, role, kwargs in chain:
        sub.refresh_from_db()
        if sub.state == target:
            return sub
        perform(sub, action, users[role], **kwargs)
    sub.refresh_from_db()
    return sub
