"""Reads whose SQL the ORM writes once per process.

Building and compiling a queryset costs Python time on every request, however often the same query runs
with other ids: for the map page and the map API (make bench) the ORM took longer to write their SQL than
PostgreSQL took to plan and run it (a values_list reaching across a join resolves the join for each of its
columns). `CompiledRows` keeps the SQL the ORM wrote for a values_list queryset and runs it again with other
ids: the query is still written once, with the ORM, where it is used; only its compilation is cached.

    STAGE_ROWS = CompiledRows(
        lambda journey_id: Stage.objects.filter(journey_id=journey_id).values_list("id", "title")
    )
    STAGE_ROWS(journey_id=journey.pk)  # [(id, title), …], as list(the queryset) would give

Only whole-number parameters (ids) vary: the queryset is built once with stand-in numbers, which must each
reach the SQL as a parameter, and nothing else may vary between two calls. The rows go through Django's
cursor (query logging and counting see them) and through the converters the ORM would apply.
"""

import operator
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import QuerySet, ValuesListIterable

__all__ = ["CompiledRows"]

# Stand-ins for the ids while the ORM writes the SQL: numbers no row has and no query would otherwise hold.
_STAND_IN = -(2**62) - 7919


class CompiledRows:
    """A values_list read whose SQL is compiled once per database alias (see the module's docstring)."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._compiled: dict[str, tuple] = {}

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **ids: int) -> list[tuple]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using, sorted(ids))
        sql, params, slots, converters = compiled
        if set(ids) != set(slots):
            raise TypeError(f"Expected the ids {sorted(slots)}, got {sorted(ids)}.")
        values = list(params)
        for name, positions in slots.items():
            value = operator.index(ids[name])  # only whole numbers: anything else would change the SQL
            for position in positions:
                values[position] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            rows = cursor.fetchall()
        if converters:
            rows = [_converted(row, converters, connection) for row in rows]
        return rows

    def _compile(self, using: str, names: list[str]) -> tuple:
        stand_ins = {name: _STAND_IN - n for n, name in enumerate(names)}
        queryset = self._build(**stand_ins)
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError("CompiledRows needs a values_list() queryset (rows as tuples).")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if compiler.has_extra_select:
            raise TypeError("CompiledRows cannot read a query that selects columns beyond its values.")
        slots = {name: [i for i, p in enumerate(params) if p == n] for name, n in stand_ins.items()}
        missing = [name for name, positions in slots.items() if not positions]
        if missing:
            raise TypeError(f"The ids {missing} do not reach the SQL as parameters.")
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        return sql, tuple(params), slots, converters


def _converted(row: tuple, converters: list, connection) -> tuple:
    """The row with the ORM's converters applied, as SQLCompiler.apply_converters does."""
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return tuple(row)
