"""``/health/``: the floor of the stack (one query through the full middleware) and a load
balancer's health check. It answers in JSON outside the language prefixes, and a 503 when the
database does not answer."""

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_health_answers_ok_in_json_with_one_query_of_its_own(client, django_assert_num_queries):
    from shop.selectors import markets_by_country

    markets_by_country()  # a warm process: the middleware reads the markets from memory
    with django_assert_num_queries(1) as captured:
        response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    own = [q["sql"] for q in captured.captured_queries if q["sql"].strip().upper() == "SELECT 1"]
    assert len(own) == 1
    assert "no-cache" in response["Cache-Control"]


def test_health_has_no_language_prefix_and_sets_no_session(client):
    assert client.get("/de/health/").status_code == 404
    response = client.get("/health/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_health_is_read_only(client):
    assert client.post("/health/").status_code == 405


def test_health_reports_503_when_the_database_does_not_answer(client):
    def refuse(execute, sql, params, many, context):
        if sql.strip().upper() == "SELECT 1":
            raise OperationalError("connection refused")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
