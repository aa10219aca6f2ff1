"""schemathesis against /api/schema/: generated requests (valid and invalid) never get a 5xx, and every answer
conforms to the schema (status codes, content types, bodies). Runs on the demo with a city administrator's token,
so most reads find real data."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from dudao.wsgi import application

# Loaded through the WSGI app at collection time (pytest-django has configured Django by then; serving the schema
# touches no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Requests reach the WSGI app directly, whose request_finished signal would close the database connection —
    and with it the test's transaction (PostgreSQL). Django's own test client unhooks it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(demo, django_user_model):
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=django_user_model.objects.get(username="city_admin"))[0].key


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, token):
    # positive_data_acceptance is left out on purpose: a schema cannot say that "九" is not an integer element's value
    # or that approving needs a signature, and such domain refusals are rightly 400. Every other check applies.
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=[positive_data_acceptance])
