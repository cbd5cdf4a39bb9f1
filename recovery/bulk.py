"""Writing many rows in one statement, skipping those a unique constraint already holds.

On PostgreSQL, ``INSERT ... SELECT * FROM unnest(array, array, ...) ON CONFLICT DO NOTHING``:
one statement with one array parameter per column, whatever the number of rows (a multi-row
``VALUES`` list is limited to 65,535 parameters, so Django's ``bulk_create`` cuts it into
batches whose number grows with the rows). Elsewhere (SQLite for the demo) ``bulk_create``.
Every concrete column is written from the instances, with the model's Python defaults applied
when they were built, so columns added to the model later need no change here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def insert_ignoring_conflicts(objs: Sequence[models.Model]) -> None:
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs]
              for f in fields]  # fmt: skip
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
                       "ON CONFLICT DO NOTHING", params)  # fmt: skip
