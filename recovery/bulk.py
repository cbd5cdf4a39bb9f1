"""Writing many rows in one statement, skipping those a unique constraint already holds.

On PostgreSQL: ``INSERT ... SELECT ... FROM unnest(array, array, ...) ON CONFLICT DO NOTHING``,
one statement with one array parameter per column given, whatever the number of rows (a
multi-row ``VALUES`` list is limited to 65,535 parameters, so Django's ``bulk_create`` cuts it
into batches whose number grows with the rows). The columns not given take the model's default,
sent once as a constant. Rows are plain dicts of attribute names (``customer_id``), not model
instances: building 300,000 instances cost more than the insert. Elsewhere (SQLite for the
demo) ``bulk_create``. Columns added to the model later need no change here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def insert_ignoring_conflicts(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert ``rows`` (dicts by attribute name; every row has the same keys) into ``model``'s
    table, skipping rows that conflict with a unique constraint."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows],
                                           ignore_conflicts=True, batch_size=1000)  # fmt: skip
        return
    given = set(rows[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns, selected, arrays, constants, params = [], [], [], [], []
    for field in fields:
        columns.append(quote(field.column))
        if field.attname in given:
            selected.append(f"u.c{len(arrays)}")
            arrays.append(f"%s::{field.db_type(connection)}[]")
            params.append([row[field.attname] for row in rows])
        else:
            selected.append(f"%s::{field.db_type(connection)}")
            constants.append(field.get_db_prep_save(field.get_default(), connection))
    names = ", ".join(f"c{n}" for n in range(len(arrays)))
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
           f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({names}) "
           "ON CONFLICT DO NOTHING")  # fmt: skip
    # The SELECT list (with the constants) precedes FROM unnest(...) (with the arrays).
    with connection.cursor() as cursor:
        cursor.execute(sql, constants + params)
