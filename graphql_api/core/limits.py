"""What a request may ask for, decided before anything is read: the document's size
(tokens), depth, aliases and estimated cost.

The cost counts the objects a query can return: every field returning objects costs one per
object, a connection's fields count ``first`` (default 20) times, a list relation counts
``LIST_FANOUT`` times. A request above the budget is refused whole (``COST_LIMIT``), with its
estimate, so an agency can size its pages before it ever times out. Every response reports
the estimate and the SQL statements the request ran in ``extensions``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from strawberry.extensions import SchemaExtension

from graphql_api.core.errors import ALIAS_LIMIT, COST_LIMIT, DEPTH_LIMIT, CodedError
from graphql_api.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_TOKENS = 2_000
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_COST = 10_000
LIST_FANOUT = 10
# Field selections after spreading fragments: what graphql-core and the look-ahead walk.
MAX_FIELDS = 2_000


@dataclass(frozen=True)
class Analysis:
    """A selection's estimate: objects it can return, nesting depth below it, aliases and
    field selections once every fragment is expanded (counted, never expanded for real, so
    a fragment used twice per level cannot make the count itself explode)."""

    cost: int = 0
    depth: int = 0
    aliases: int = 0
    fields: int = 0

    def __add__(self, other: Analysis) -> Analysis:
        return Analysis(self.cost + other.cost, max(self.depth, other.depth),
                        self.aliases + other.aliases, self.fields + other.fields)


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], defaults: dict[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.fragment_analyses: dict[str, Analysis] = {}

    def first(self, field: FieldNode) -> int:
        for argument in field.arguments:
            if argument.name.value != "first":
                continue
            value = argument.value
            given: Any = None
            if isinstance(value, IntValueNode):
                given = int(value.value)
            elif isinstance(value, VariableNode):
                name = value.name.value
                given = self.variables.get(name, self.defaults.get(name))
            if isinstance(given, float) and given.is_integer():  # GraphQL's Int takes 100.0
                given = int(given)
            if isinstance(given, int) and not isinstance(given, bool):
                return min(max(given, 0), MAX_PAGE_SIZE)
        return DEFAULT_PAGE_SIZE

    def selection_set(self, selection_set: SelectionSetNode | None, parent) -> Analysis:
        total = Analysis()
        if selection_set is None:
            return total
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> Analysis:
        if name not in self.fragment_analyses:
            self.fragment_analyses[name] = Analysis()  # a cycle (refused by validation) ends
            fragment = self.fragments.get(name)
            if fragment is not None:
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.fragment_analyses[name] = self.selection_set(fragment.selection_set,
                                                                  target)
        return self.fragment_analyses[name]

    def field(self, field: FieldNode, parent) -> Analysis:
        name = field.name.value
        if name.startswith("__"):  # introspection: GraphiQL's own, bounded by the schema
            return Analysis(fields=1)
        own = Analysis(depth=1, aliases=int(field.alias is not None), fields=1)
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return own
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        named = get_named_type(field_type)
        if not is_composite_type(named):
            return own
        children = self.selection_set(field.selection_set, named)
        if named.name.endswith("Connection"):
            cost = 1 + self.first(field) * children.cost
        elif isinstance(field_type, GraphQLList) and not (
                isinstance(parent, GraphQLObjectType)
                and parent.name.endswith(("Connection", "Edge"))):
            cost = LIST_FANOUT * (1 + children.cost)
        else:
            cost = 1 + children.cost
        return Analysis(cost, 1 + children.depth, own.aliases + children.aliases,
                        1 + children.fields)


def analyse(schema: GraphQLSchema, document, operation_name: str | None,
            variables: dict[str, Any]) -> Analysis:
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations
                      if operation_name is None or (o.name and o.name.value == operation_name)),
                     None)
    if operation is None:
        return Analysis()
    defaults = {}
    for definition in operation.variable_definitions:
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    walker = _Walker(schema, fragments, variables, defaults)
    return walker.selection_set(operation.selection_set,
                                schema.get_root_type(operation.operation))


def refusal(analysis: Analysis) -> CodedError | None:
    if analysis.depth > MAX_DEPTH:
        return CodedError(f"the query is {analysis.depth} levels deep; at most {MAX_DEPTH} "
                          f"are allowed", DEPTH_LIMIT, depth=analysis.depth, limit=MAX_DEPTH)
    if analysis.aliases > MAX_ALIASES:
        return CodedError(f"the query uses {analysis.aliases} aliases; at most {MAX_ALIASES} "
                          f"are allowed", ALIAS_LIMIT, aliases=analysis.aliases,
                          limit=MAX_ALIASES)
    if analysis.fields > MAX_FIELDS:
        return CodedError(f"the query expands to {analysis.fields} field selections once its "
                          f"fragments are spread; at most {MAX_FIELDS} are allowed",
                          COST_LIMIT, fields=analysis.fields, limit=MAX_FIELDS)
    if analysis.cost > MAX_COST:
        return CodedError(f"the query could return about {analysis.cost} objects, above the "
                          f"budget of {MAX_COST}: ask for smaller pages (first) or fewer "
                          f"nested relations", COST_LIMIT, cost=analysis.cost,
                          budget=MAX_COST)
    return None


class QueryLimits(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        analysis = analyse(context.schema._schema, context.graphql_document,
                           context.operation_name, context.variables or {})
        context.context.cost = analysis.cost
        error = refusal(analysis)
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[error])
        yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if context.cost is None:
            return {}
        return {"cost": {"estimated": context.cost, "budget": MAX_COST},
                "sqlStatements": context.session.statements}
