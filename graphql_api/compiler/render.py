"""A plan and one request's arguments as one SQL statement.

The statement answers one row: ``data``, the response's ``data`` as JSON text written by
PostgreSQL (each object a concatenation of its keys and values in the document's order,
each list an ordered ``string_agg`` over a lateral subquery, so the text is exactly the
resolvers' JSON); ``released``, the persons whose personal fields it holds (comma-separated;
``-`` for a personal field of no master person); and ``ok``, false when the answer needs
what only the resolvers do (an ID that is no longer in the marts, an admin unit kho does
not know, too many groups): that request is then answered by them. Every value a caller
sent is a parameter; arguments are checked as the resolvers check them, and a request
they would refuse is theirs to answer.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

from graphql import GraphQLSchema, get_argument_values
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryOptional, has_object_definition

from graphql_api.access.field_rules import REFUSE
from graphql_api.access.grants import DATASETS
from graphql_api.compiler import catalogue, json_text
from graphql_api.compiler.plan import THROUGH_DYNAMIC, THROUGH_KEY, NotCompiled, Plan, Selected
from graphql_api.core.aggregates import MAX_GROUPS
from graphql_api.core.common import unchecked_commune_set
from graphql_api.core.errors import parse_uuid
from graphql_api.core.pagination import Order, page_size
from graphql_api.land.queries import LandAreaDimension, land_parcel_conditions

_PLACEHOLDER = re.compile(r"%%|%s")
LAND_AREA_MEASURES = ("count(*) as parcel_count, "
                      "coalesce(sum(area_m2), 0)::float8 as total_area_m2")
# The parcels pre-aggregated per commune (both codes) and land use: the same sums, exactly
# (numeric sums of numeric sums), for the dimensions and filters it holds.
LAND_AREA_MART = "marts.agg_land_area_by_commune_use"
LAND_AREA_MART_MEASURES = ("coalesce(sum(parcel_count), 0)::bigint as parcel_count, "
                           "coalesce(sum(area_m2), 0)::float8 as total_area_m2")
LAND_AREA_MART_DIMENSIONS = frozenset({
    LandAreaDimension.COMMUNE, LandAreaDimension.LEGACY_COMMUNE, LandAreaDimension.LAND_USE,
    LandAreaDimension.LAND_USE_GROUP})
LAND_AREA_COLUMNS = ("commune_code", "legacy_commune_code", "land_use_code",
                     "land_use_name_vi", "land_use_name_en", "land_use_group", "planning_zone",
                     "planning_zone_code", "planning_zone_name_en")


class Statement:
    def __init__(self, schema, strawberry_schema, variables: dict, today: datetime.date):
        self.schema: GraphQLSchema = schema
        self.strawberry_schema = strawberry_schema
        self.variables = variables
        self.today = today
        self.params: dict[str, Any] = {}
        # Where a parameter's value comes from, when another request of the plan gives it
        # anew: "today", or "id:<root key>".
        self.slots: dict[str, str] = {}
        self.checks: list[str] = []
        self._aliases = 0

    # --- parameters and names ---------------------------------------------------------

    def param(self, value: Any, cast: str = "", slot: str | None = None) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        if slot is not None:
            self.slots[name] = slot
        return f"%({name})s{cast}"

    def fragment(self, sql: str, params: list[Any], slot: str | None = None) -> str:
        """A condition written with ``%s`` placeholders, with its parameters bound here."""
        values = iter(params)
        return _PLACEHOLDER.sub(lambda m: "%%" if m.group() == "%%"
                                else self.param(next(values), slot=slot), sql)

    def alias(self, prefix: str) -> str:
        self._aliases += 1
        return f"{prefix}{self._aliases}"

    def values(self, selected: Selected, parent: str) -> dict[str, Any]:
        """The field's arguments as graphql-core coerces them (scalars as the resolver
        receives them)."""
        definition = self.schema.get_type(parent).fields[selected.name]
        return get_argument_values(definition, selected.node, self.variables)

    def arguments(self, selected: Selected, parent: str) -> dict[str, Any]:
        """The field's arguments as its resolver receives them: input objects as their
        strawberry classes (graphql-core has coerced the scalars and enums already)."""
        definition = self.schema.get_type(parent).fields[selected.name]
        values = get_argument_values(definition, selected.node, self.variables)
        strawberry_field = definition.extensions["strawberry-definition"]
        return {python_name: _input(argument_type, values.get(graphql_name))
                for graphql_name, python_name, argument_type in _arguments(strawberry_field)}

    # --- objects -------------------------------------------------------------------------

    def object_json(self, selections: list[Selected], type_name: str, row: str
                    ) -> tuple[str, str | None, list[str]]:
        """An object's JSON from its row, the persons it releases, and the lateral joins
        its relations need."""
        pieces: list[str] = []
        released: list[str] = []
        laterals: list[str] = []
        table = catalogue.TABLES.get(type_name)
        dynamic: str | None = None
        for selected in selections:
            if selected.kind in ("typename", "scalar"):
                value = self.scalar(selected, row)
                if selected.guard is not None and selected.guard.personal and table:
                    if selected.verdict == THROUGH_DYNAMIC:
                        released.append(f"case when {self.allowed(selected, row)} then "
                                        f"{row}.{table.subject}::text end")
                        if selected.otherwise == REFUSE:
                            dynamic = self.allowed(selected, row)
                    elif selected.verdict != REFUSE and selected.verdict != "mask":
                        released.append(f"coalesce({row}.{table.subject}::text, '-')")
            elif selected.verdict == REFUSE:
                value = "'null'"
            else:
                value, child_released, lateral = self.relation(selected, type_name, row)
                laterals.append(lateral)
                if child_released is not None:
                    released.append(child_released)
            pieces.append((selected.key, value))
        json = _object(pieces)
        if dynamic is not None:  # the walk after the statement finds the refusals here
            json = (f"(case when {dynamic} then {json} else '{{\"{THROUGH_KEY}\":' || "
                    f"to_json({row}.source_systems)::text || ',' || substr({json}, 2) end)")
        return json, _joined(released), laterals

    def scalar(self, selected: Selected, row: str) -> str:
        if selected.verdict == REFUSE:
            return "'null'"
        value = selected.value.replace("{row}", row)
        masked = selected.masked.replace("{row}", row) if selected.masked else None
        if selected.verdict == "mask":
            return masked
        if selected.verdict == THROUGH_DYNAMIC:
            return (f"(case when {self.allowed(selected, row)} then {value} "
                    f"else {masked or chr(39) + 'null' + chr(39)} end)")
        return value

    def allowed(self, selected: Selected, row: str) -> str:
        """A person at the root shows a field under a grant on a dataset mentioning them.
        The datasets are the plan's (kho's own names), written into the statement: one
        parameter less to send per personal field."""
        return f"({row}.source_systems && {_datasets(selected.allowed_through)})"

    def relation(self, selected: Selected, parent_type: str, parent_row: str
                 ) -> tuple[str, str | None, str]:
        relation = catalogue.RELATIONS[selected.coordinate]
        table = catalogue.TABLES[relation.target]
        # Every relation's only argument is asOf (a date, or none).
        day = self.values(selected, parent_type).get("asOf") if selected.node.arguments else None
        slot = None
        if day is None and relation.default_day == "today":
            day, slot = self.today, "today"
        condition = "true"
        if relation.condition is not None:
            condition = self.fragment(*relation.condition(day), slot=slot)
        row, lateral = self.alias("r"), self.alias("s")
        json, released, laterals = self.object_json(selected.children, relation.target, row)
        parent = (relation.parent.format(row=parent_row) if "{row}" in relation.parent
                  else f"{parent_row}.{relation.parent}")
        where = f"{relation.key} = {parent} and {condition}"
        if not relation.many:
            source = f"(select {table.columns} from {table.source} where {where}) as {row}"
            return (f"coalesce({lateral}.j, 'null')", released and f"{lateral}.rel",
                    f"left join lateral (select {json} as j, {released or 'null'} as rel "
                    f"from {source} {' '.join(laterals)}) as {lateral} on true")
        order = catalogue.order_items(relation.order_by)
        keys = ", ".join(f"{expression} as _o{i}" for i, (expression, _) in enumerate(order))
        by = ", ".join(f"_o{i} {direction}" for i, (_, direction) in enumerate(order))
        source = (f"(select {table.columns}, {keys} from {table.source} where {where}) "
                  f"as {row}")
        inner = self.alias("x")
        ordering = ", ".join(f"{row}._o{i}" for i in range(len(order)))
        return (f"{lateral}.j", released and f"{lateral}.rel",
                f"cross join lateral (select '[' || coalesce(string_agg({inner}.j, ',' "
                f"order by {by}), '') || ']' as j, string_agg({inner}.rel, ',') as rel from "
                f"(select {json} as j, {released or 'null'} as rel, {ordering} from {source} "
                f"{' '.join(laterals)}) as {inner}) as {lateral}")

    # --- roots -----------------------------------------------------------------------

    def root(self, selected: Selected) -> tuple[str, str | None, str | None]:
        """The root field's JSON, the persons it releases, and its lateral join."""
        if selected.kind == "typename":
            return selected.value, None, None
        if selected.verdict == REFUSE:
            return "'null'", None, None
        return getattr(self, selected.kind)(selected)

    def _one(self, selected: Selected, where: str, found: bool
             ) -> tuple[str, str | None, str]:
        table = catalogue.TABLES[selected.target]
        row, lateral = self.alias("r"), self.alias("s")
        json, released, laterals = self.object_json(selected.children, selected.target, row)
        if found:
            self.checks.append(f"{lateral}.j is not null")
        source = f"(select {table.columns} from {table.source} where {where}) as {row}"
        return (f"coalesce({lateral}.j, 'null')", released and f"{lateral}.rel",
                f"left join lateral (select {json} as j, {released or 'null'} as rel "
                f"from {source} {' '.join(laterals)}) as {lateral} on true")

    def person(self, selected: Selected):
        # An ID no longer in the marts (merged, retired) is the resolvers' to answer.
        person_id = self.param(self.root_id(selected), slot=f"id:{selected.key}")
        return self._one(selected, f"person_id = {person_id}", found=True)

    def land_parcel(self, selected: Selected):
        arguments = self.values(selected, "Query")
        if arguments.get("asOf") is not None:
            raise NotCompiled("landParcel(asOf) is not compiled")
        parcel_id = self.param(self.root_id(selected), slot=f"id:{selected.key}")
        return self._one(selected, f"land_parcel_id = {parcel_id}", found=False)

    def root_id(self, selected: Selected):
        return parse_uuid(self.values(selected, "Query")["id"], "id")

    def parcels(self, arguments: dict):
        """The parcels' filter as conditions, the admin unit checked by the statement."""
        filter_ = arguments.get("filter")
        communes = None
        if filter_ is not None and filter_.admin_unit is not None:
            communes, unit_id = unchecked_commune_set(filter_.admin_unit)
            self.checks.append(f"exists (select from marts.dim_admin_unit "
                               f"where admin_unit_id = {self.param(unit_id)})")
        query = land_parcel_conditions(filter_, communes)
        return query, self.fragment(query.where(), query.params)

    def land_parcels(self, selected: Selected):
        arguments = self.arguments(selected, "Query")
        order: Order = arguments["order_by"].value
        size = page_size(arguments.get("first"))
        after = arguments.get("after")
        query, where = self.parcels(arguments)
        conditions = where
        if after is not None:
            condition, values = order.after(after)
            conditions = (f"{where} and " if where else " where ") + self.fragment(
                condition, values)
        page = (f"(select {query.columns}, {order.key_columns()} from {query.source}"
                f"{conditions} order by {order.order_by()} limit {size + 1})")
        row, rows, totals, lateral = (self.alias("r"), self.alias("x"), self.alias("a"),
                                      self.alias("s"))
        columns, aggregates, laterals, released = [], [], [], []
        key_count = len(order.keys)

        def nodes_column(children: list[Selected]) -> str:
            json, node_released, node_laterals = self.object_json(children, "LandParcel", row)
            name = f"n{len(columns)}"
            columns.append(f"{json} as {name}")
            laterals.extend(node_laterals)
            if node_released is not None:
                released.append(node_released)
            return name

        pieces = []
        for part in selected.children:
            if part.kind == "__typename":
                pieces.append((part.key, part.value))
            elif part.kind == "totalCount":
                pieces.append((part.key, f"(select count(*) from {query.source}{where})::text"))
            elif part.kind == "nodes":
                name = nodes_column(part.children)
                aggregates.append(f"string_agg({rows}.{name}, ',' order by {rows}._rn) "
                                  f"filter (where {rows}._rn <= {size}) as {name}")
                pieces.append((part.key, f"'[' || coalesce({totals}.{name}, '') || ']'"))
            elif part.kind == "edges":
                edge = []
                for edge_part in part.children:
                    if edge_part.kind == "cursor":
                        edge.append((edge_part.key, f"to_json({rows}.cursor)::text"))
                    elif edge_part.kind == "node":
                        edge.append((edge_part.key, f"{rows}.{nodes_column(edge_part.children)}"))
                    else:
                        edge.append((edge_part.key, json_text.constant(part.typename)))
                name = f"e{len(aggregates)}"
                aggregates.append(f"string_agg({_object(edge)}, ',' order by {rows}._rn) "
                                  f"filter (where {rows}._rn <= {size}) as {name}")
                pieces.append((part.key, f"'[' || coalesce({totals}.{name}, '') || ']'"))
            elif part.kind == "pageInfo":
                info = []
                for info_part in part.children:
                    info.append((info_part.key, {
                        "hasNextPage": f"case when {totals}.n > {size} then 'true' "
                                       f"else 'false' end",
                        "hasPreviousPage": "'true'" if after is not None else "'false'",
                        "startCursor": f"coalesce(to_json({self.cursor(order, totals, 'first_k')})"
                                       f"::text, 'null')",
                        "endCursor": f"coalesce(to_json({self.cursor(order, totals, 'last_k')})"
                                     f"::text, 'null')",
                    }.get(info_part.kind, info_part.value)))
                pieces.append((part.key, _object(info)))
        keys = ", ".join(f"{row}._k{i}{' desc' if order.descending else ''}"
                         for i in range(key_count))
        released_sql = _joined(released)
        # A row's cursor only where edges ask for it; the page's first and last from their
        # keys, once.
        selects = ", ".join([*columns, f"{released_sql or 'null'} as rel",
                             *(f"{row}._k{i}" for i in range(key_count)),
                             f"{self.cursor(order, row, '_k')} as cursor" if any(
                                 edge_part.kind == "cursor" for part in selected.children
                                 for edge_part in part.children if part.kind == "edges")
                             else "null as cursor"])
        page_rows = (f"(select {selects}, row_number() over (order by {keys}) as _rn "
                     f"from {page} as {row} {' '.join(laterals)}) as {rows}")
        ends = ", ".join(
            f"(array_agg({rows}._k{i} order by {rows}._rn{direction}) filter "
            f"(where {rows}._rn <= {size}))[1] as {end}_k{i}"
            for end, direction in (("first", ""), ("last", " desc")) for i in range(key_count))
        summary = (f"(select {', '.join([*aggregates, ''])}count(*) as n, "
                   f"string_agg({rows}.rel, ',') filter (where {rows}._rn <= {size}) as rel, "
                   f"{ends} from {page_rows}) as {totals}")
        return (f"{lateral}.j", released_sql and f"{lateral}.rel",
                f"cross join lateral (select {_object(pieces)} as j, {totals}.rel as rel "
                f"from {summary}) as {lateral}")

    def cursor(self, order: Order, row: str, prefix: str) -> str:
        """``pagination.encode_cursor`` in SQL: the order's name and key values (the row's
        ``<prefix>0``, ``<prefix>1``, ...) as compact JSON, base64url without padding."""
        values = []
        for i, (_, pg_type) in enumerate(order.keys):
            key = f"{row}.{prefix}{i}"
            values.append(f"{key}::text" if pg_type in ("integer", "bigint")
                          else f"to_json({key}::text)::text")
        text = " || ',' || ".join([json_text.constant(order.name), *values])
        return (f"rtrim(translate(replace(encode(convert_to('[' || {text} || ']', 'UTF8'), "
                f"'base64'), chr(10), ''), '+/', '-_'), '=')")

    def land_area_by_use(self, selected: Selected):
        arguments = self.arguments(selected, "Query")
        query, where = self.parcels(arguments)
        group_by = arguments.get("group_by")
        dimensions = group_by if group_by is not None else [LandAreaDimension.LAND_USE]
        pairs = list(dict.fromkeys(pair for d in dimensions for pair in d.value))
        chosen = {alias for _, alias in pairs}
        filter_ = arguments.get("filter")
        source, measures = query.source, LAND_AREA_MEASURES
        if set(dimensions) <= LAND_AREA_MART_DIMENSIONS and (filter_ is None or all(
                value is None for name, value in vars(filter_).items() if name != "admin_unit")):
            # Grouped by what the mart holds, filtered by admin unit alone (conditions on
            # the commune columns it has too): its rows, summed again.
            source, measures = LAND_AREA_MART, LAND_AREA_MART_MEASURES
        select = ", ".join([*(f"{expression} as {alias}" for expression, alias in pairs),
                            *(f"null::text as {alias}" for alias in LAND_AREA_COLUMNS
                              if alias not in chosen), measures])
        positions = ", ".join(str(i + 1) for i in range(len(pairs)))
        grouping = f" group by {positions}" if pairs else ""
        row, lateral = self.alias("g"), self.alias("s")
        json, _, _ = self.object_json(selected.children, "LandAreaRow", row)
        ordering = ", ".join(f"{row}.{alias}" for _, alias in pairs)
        order = f" order by {ordering}" if ordering else ""
        self.checks.append(f"{lateral}.groups <= {MAX_GROUPS}")
        return (f"{lateral}.j", None,
                f"cross join lateral (select '[' || coalesce(string_agg({json}, ','{order}), "
                f"'') || ']' as j, count(*) as groups from (select {select} from "
                f"{source}{where}{grouping}) as {row}) as {lateral}")


def _input(annotation: Any, value: Any) -> Any:
    """A coerced input value as the strawberry input class its annotation names."""
    while isinstance(annotation, StrawberryOptional):
        annotation = annotation.of_type
    if value is None or not has_object_definition(annotation):
        return value
    return annotation(**{python_name: _input(field_type, value.get(graphql_name))
                         for graphql_name, python_name, field_type in _input_fields(annotation)})


@functools.cache
def _input_fields(input_class: type) -> tuple[tuple[str, str, Any], ...]:
    converter = NameConverter(auto_camel_case=True)
    return tuple((converter.get_graphql_name(field), field.python_name, field.type)
                 for field in input_class.__strawberry_definition__.fields)


@functools.cache
def _arguments(strawberry_field: Any) -> tuple[tuple[str, str, Any], ...]:
    converter = NameConverter(auto_camel_case=True)
    return tuple((converter.from_argument(argument), argument.python_name, argument.type)
                 for argument in strawberry_field.arguments)


def _object(pieces: list[tuple[str, str]]) -> str:
    """The SQL of a JSON object's text from its keys and the SQL of their values."""
    parts = []
    for index, (key, value) in enumerate(pieces):
        parts.append("'" + ("{" if index == 0 else ",") + f'"{key}":' + "'")
        parts.append(value)
    parts.append("'}'")
    return "(" + " || ".join(parts) + ")"


def _datasets(datasets: tuple[str, ...]) -> str:
    """An array literal of kho's dataset names (never a caller's text)."""
    unknown = [name for name in datasets if name not in DATASETS]
    if unknown:
        raise ValueError(f"not datasets of kho: {unknown}")
    return "array[" + ", ".join(f"'{name}'" for name in datasets) + "]::text[]"


def _joined(released: list[str]) -> str | None:
    return f"concat_ws(',', {', '.join(released)})" if released else None


def statement(plan: Plan, schema, strawberry_schema, variables: dict, today: datetime.date
              ) -> tuple[str, dict]:
    """The plan's statement for these (coerced) variables, and its parameters. A plan whose
    statement only its roots' IDs and today change (``Plan.by_id``) is rendered once; its
    other requests bind their values to the same text."""
    built = Statement(schema, strawberry_schema, variables, today)
    if plan.template is not None:
        sql, params, slots = plan.template
        ids = {f"id:{root.key}": built.root_id(root) for root in plan.roots
               if root.kind in ("person", "land_parcel") and root.verdict != REFUSE}
        return sql, {name: today if slots.get(name) == "today" else ids.get(
            slots.get(name), value) for name, value in params.items()}
    pieces, released, laterals = [], [], []
    for selected in plan.roots:
        json, root_released, lateral = built.root(selected)
        pieces.append((selected.key, json))
        if root_released is not None:
            released.append(root_released)
        if lateral is not None:
            laterals.append(lateral)
    checks = " and ".join(built.checks) or "true"
    sql = (f"select {_object(pieces)} as data, {_joined(released) or 'null'} as released, "
           f"coalesce({checks}, false) as ok from (select 1) as _root {' '.join(laterals)}")
    if plan.by_id:
        plan.template = (sql, dict(built.params), dict(built.slots))
    return sql, built.params
