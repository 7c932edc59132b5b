"""Fast batched inserts with ids chosen up front.

Demo and benchmark data is written straight into the tables: ids are allocated here (so paths
and foreign keys are known before anything is written), rows are buffered per table and
flushed in batches with one `executemany` (or `COPY` on PostgreSQL). Nothing is held beyond a
batch, so the province scale streams in constant memory. After writing, PostgreSQL sequences
are moved past the ids we used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

_ADAPTED = (models.DateTimeField, models.DateField, models.JSONField)


class Ids:
    """Hands out primary keys above the current maximum of each table."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def next(self, model: type[models.Model]) -> int:
        if model not in self._next:
            current = model.objects.aggregate(m=Max("pk"))["m"] or 0
            self._next[model] = current + 1
        value = self._next[model]
        self._next[model] = value + 1
        return value


class _Table:
    def __init__(self, model: type[models.Model], batch: int) -> None:
        self.model = model
        self.batch = batch
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.index.update({f.name: i for i, f in enumerate(self.fields)})
        defaults: list[Any] = []
        preps: list[Callable[[Any], Any] | None] = []
        now = timezone.now()
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append(now)
            elif f.has_default():
                defaults.append(f.get_default())
            else:
                defaults.append(None)
            preps.append(
                (lambda v, f=f: f.get_db_prep_save(v, connection))
                if isinstance(f, _ADAPTED)
                else None
            )
        self.defaults = defaults
        self.preps = preps
        self.rows: list[list[Any]] = []
        self.count = 0

    def row(self, values: dict[str, Any]) -> list[Any]:
        row = list(self.defaults)
        for key, value in values.items():
            row[self.index[key]] = value
        return row


class Sink:
    """Buffered writer: `sink.add(Model, id=..., field=value, ...)`, then `sink.close()`."""

    def __init__(self, batch: int = 5000) -> None:
        self.batch = batch
        self.tables: dict[type[models.Model], _Table] = {}
        self.order: list[type[models.Model]] = []
        self.use_copy = connection.vendor == "postgresql"

    def _table(self, model: type[models.Model]) -> _Table:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = _Table(model, self.batch)
            self.order.append(model)
        return table

    def add(self, model: type[models.Model], **values: Any) -> None:
        table = self._table(model)
        table.rows.append(table.row(values))
        if len(table.rows) >= table.batch:
            # Parents are flushed first so foreign keys hold on databases that check them early.
            self.flush(upto=model)

    def flush(self, upto: type[models.Model] | None = None) -> None:
        """Write buffered rows, table by table in the order tables were first used."""
        for model in self.order:
            self._write(self.tables[model])
            if model is upto:
                break

    def close(self) -> dict[str, int]:
        self.flush()
        reset_sequences(self.order)
        return {m._meta.label: self.tables[m].count for m in self.order}

    def count(self, model: type[models.Model]) -> int:
        table = self.tables.get(model)
        return 0 if table is None else table.count + len(table.rows)

    def _write(self, table: _Table) -> None:
        if not table.rows:
            return
        preps = table.preps
        rows = [
            [p(v) if p is not None and v is not None else v for p, v in zip(preps, r, strict=True)]
            for r in table.rows
        ]
        quote = connection.ops.quote_name
        cols = ", ".join(quote(c) for c in table.columns)
        name = quote(table.model._meta.db_table)
        with connection.cursor() as cursor:
            if self.use_copy:
                with cursor.cursor.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)
        table.count += len(rows)
        table.rows = []


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """Move PostgreSQL sequences past explicitly inserted ids (SQLite and MySQL do it alone)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
