"""Customers are found by e-mail (any case) through an index on PostgreSQL.

``email__iexact`` compiles to ``UPPER(email) = UPPER(%s)`` there; the unique index is on
``UPPER(email)`` so that every look-up (checkout contact, sign-in, cart merge) uses it, and it
is the only index on the column. Run with ``DATABASE_URL=postgres://...`` (CI does)."""

from __future__ import annotations

import pytest
from django.db import connection

from shop.models import Customer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are PostgreSQL's; run with DATABASE_URL=postgres://...",
    ),
]

CUSTOMERS = 100_000


@pytest.fixture
def many_customers():
    Customer.objects.bulk_create(
        (Customer(email=f"Shopper{n}@Example.com", last_name=f"Shopper{n}")
         for n in range(CUSTOMERS)),
        batch_size=5_000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")


def test_a_look_up_by_e_mail_in_any_case_is_an_index_scan(many_customers):
    lookup = Customer.objects.filter(email__iexact="shopper77777@example.COM")

    plan = lookup.explain()

    assert "Seq Scan" not in plan, plan
    assert "Index Scan" in plan and "unique_customer_email_ci" in plan, plan
    assert [customer.email for customer in lookup] == ["Shopper77777@Example.com"]


def test_the_e_mail_has_one_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
            [Customer._meta.db_table, "%email%"],
        )
        names = [row[0] for row in cursor.fetchall()]

    assert names == ["unique_customer_email_ci"]
