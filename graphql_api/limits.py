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

from graphql_api.errors import ALIAS_LIMIT, COST_LIMIT, DEPTH_LIMIT, CodedError
from graphql_api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_TOKENS = 2_000
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_COST = 10_000
LIST_FANOUT = 10


@dataclass
class Analysis:
    cost: int = 0
    depth: int = 0
    aliases: int = 0


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], defaults: dict[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults
        self.aliases = 0
        self.depth = 0

    def first(self, field: FieldNode) -> int:
        for argument in field.arguments:
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return min(max(int(value.value), 0), MAX_PAGE_SIZE)
            if isinstance(value, VariableNode):
                name = value.name.value
                given = self.variables.get(name, self.defaults.get(name))
                if isinstance(given, int):
                    return min(max(given, 0), MAX_PAGE_SIZE)
        return DEFAULT_PAGE_SIZE

    def cost(self, selection_set: SelectionSetNode | None, parent, depth: int) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, target, depth)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, target, depth)
        return total

    def field_cost(self, field: FieldNode, parent, depth: int) -> int:
        name = field.name.value
        if name.startswith("__"):  # introspection: GraphiQL's own, bounded by the schema
            return 0
        if field.alias is not None:
            self.aliases += 1
        self.depth = max(self.depth, depth)
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 0
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        named = get_named_type(field_type)
        if not is_composite_type(named):
            return 0
        children = self.cost(field.selection_set, named, depth)
        if named.name.endswith("Connection"):
            return 1 + self.first(field) * children
        inside_connection = isinstance(parent, GraphQLObjectType) and (
            parent.name.endswith("Connection") or parent.name.endswith("Edge"))
        if isinstance(field_type, GraphQLList) and not inside_connection:
            return LIST_FANOUT * (1 + children)
        return 1 + children


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
    root = schema.get_root_type(operation.operation)
    cost = walker.cost(operation.selection_set, root, 0)
    return Analysis(cost=cost, depth=walker.depth, aliases=walker.aliases)


def refusal(analysis: Analysis) -> CodedError | None:
    if analysis.depth > MAX_DEPTH:
        return CodedError(f"the query is {analysis.depth} levels deep; at most {MAX_DEPTH} "
                          f"are allowed", DEPTH_LIMIT, depth=analysis.depth, limit=MAX_DEPTH)
    if analysis.aliases > MAX_ALIASES:
        return CodedError(f"the query uses {analysis.aliases} aliases; at most {MAX_ALIASES} "
                          f"are allowed", ALIAS_LIMIT, aliases=analysis.aliases,
                          limit=MAX_ALIASES)
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
