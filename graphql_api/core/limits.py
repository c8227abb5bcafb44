"""What a request may ask for, decided before anything is read: at the edge, before GraphQL
parses anything, the sizes of the body, the document (comments and whitespace included) and
the variables; then the document's tokens, depth, aliases and estimated cost.

The cost counts the objects a query can return: every field returning objects costs one per
object, a connection's fields count ``first`` (default 20) times, a list relation counts
``LIST_FANOUT`` times. Introspection counts too (its aliases and its objects; only its depth
is not limited, type references nest deep): a list of the schema's types counts as many as
the schema has, and the other introspection lists as many as they hold on average in this
schema, so the estimate of a whole introspection query is about what it returns. A request
above the budget is refused whole (``COST_LIMIT``), with its estimate, so an agency can size
its pages before it ever times out. Every response reports the estimate and the SQL
statements the request ran in ``extensions``.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    StringValueNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    is_enum_type,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from graphql_api.core.errors import (
    ALIAS_LIMIT,
    BAD_USER_INPUT,
    COST_LIMIT,
    DEPTH_LIMIT,
    CodedError,
)
from graphql_api.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# At the edge, in bytes (UTF-8): HTTP 413 with REQUEST_TOO_LARGE.
MAX_BODY_BYTES = 256 * 1024
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_VARIABLES_BYTES = 64 * 1024
MAX_JSON_DEPTH = 64  # nesting of the body's objects and lists: deeper is BAD_REQUEST
MAX_TOKENS = 2_000
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_COST = 10_000
LIST_FANOUT = 10
# Field selections after spreading fragments: what graphql-core and the look-ahead walk.
MAX_FIELDS = 2_000
META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef,
               "__typename": TypeNameMetaFieldDef}


@dataclass(frozen=True)
class Analysis:
    """A selection's estimate: objects it can return, nesting depth below it, aliases and
    field selections once every fragment is expanded (counted, never expanded for real, so
    a fragment used twice per level cannot make the count itself explode)."""

    cost: float = 0
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
        self.introspection_fanouts = introspection_fanouts(schema)

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
        introspection = name.startswith("__") or getattr(parent, "name", "").startswith("__")
        own = Analysis(depth=0 if introspection else 1, aliases=int(field.alias is not None),
                       fields=1)
        definition = META_FIELDS.get(name) or getattr(parent, "fields", {}).get(name)
        if definition is None:
            return own
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        named = get_named_type(field_type)
        if not is_composite_type(named):
            return own
        children = self.selection_set(field.selection_set, named)
        if introspection:
            fanout = self.introspection_fanouts.get((parent.name, name), LIST_FANOUT) \
                if isinstance(field_type, GraphQLList) else 1
            return Analysis(fanout * (1 + children.cost), 0, own.aliases + children.aliases,
                            1 + children.fields)
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


@functools.cache
def introspection_fanouts(schema: GraphQLSchema) -> dict[tuple[str, str], float]:
    """How many items each introspection list holds in this schema: all its types and
    directives, and on average a type's fields, interfaces, possible types, enum values and
    input fields, a field's and a directive's arguments."""
    types = list(schema.type_map.values())
    with_fields = [t for t in types if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)]
    fields = [f for t in with_fields for f in t.fields.values()]
    directives = schema.directives

    def per(total: int, count: int) -> float:
        return total / count if count else 0.0

    return {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(directives),
        ("__Type", "fields"): per(len(fields), len(types)),
        ("__Type", "interfaces"): per(sum(len(t.interfaces) for t in with_fields), len(types)),
        ("__Type", "possibleTypes"): per(sum(len(schema.get_possible_types(t)) for t in types
                                             if is_abstract_type(t)), len(types)),
        ("__Type", "enumValues"): per(sum(len(t.values) for t in types if is_enum_type(t)),
                                      len(types)),
        ("__Type", "inputFields"): per(sum(len(t.fields) for t in types
                                           if isinstance(t, GraphQLInputObjectType)),
                                       len(types)),
        ("__Field", "args"): per(sum(len(f.args) for f in fields), len(fields)),
        ("__Directive", "args"): per(sum(len(d.args) for d in directives), len(directives)),
    }


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


def estimate(analysis: Analysis) -> int:
    """The cost as reported: objects, rounded up."""
    return math.ceil(analysis.cost)


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
    cost = estimate(analysis)
    if cost > MAX_COST:
        return CodedError(f"the query could return about {cost} objects, above the "
                          f"budget of {MAX_COST}: ask for smaller pages (first) or fewer "
                          f"nested relations", COST_LIMIT, cost=cost, budget=MAX_COST)
    return None


def has_nul_literal(query: str | None, document: DocumentNode) -> bool:
    """Whether a string written in the document holds a NUL character (an escape such as
    ``\\u0000``), which PostgreSQL text cannot hold."""
    if not query or "\\u" not in query:
        return False
    found = []

    class Finder(Visitor):
        def enter_string_value(self, node: StringValueNode, *_):
            if "\x00" in node.value:
                found.append(node)
                return Visitor.BREAK
            return None

    visit(document, Finder())
    return bool(found)


class _FirstVariables(Visitor):
    """The variables a document passes as ``first``: all an analysis reads of the
    variables."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def enter_argument(self, node, *_):
        if node.name.value == "first" and isinstance(node.value, VariableNode):
            self.names.add(node.value.name.value)


MAX_CACHED_SIZE_TEXT = 24  # a page size written longer is not remembered


class Analyses:
    """Each document's analysis once per operation and page sizes asked (agencies send the
    same few documents over and over, with other IDs), least recently used leaving first."""

    def __init__(self, max_entries: int = 1_000):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, Analysis] = OrderedDict()
        self._first_variables: OrderedDict[bytes, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, schema: GraphQLSchema, query: str | None, document,
            operation_name: str | None, variables: dict[str, Any]) -> Analysis:
        if query is None:
            return analyse(schema, document, operation_name, variables)
        # Keyed by a digest, so that the cache holds no documents (they may be 64 KiB).
        digest = hashlib.blake2b(query.encode("utf-8", "replace"), digest_size=16).digest()
        names = self._remembered(self._first_variables, digest)
        if names is None:
            finder = _FirstVariables()
            visit(document, finder)
            names = self._remember(self._first_variables, digest, tuple(sorted(finder.names)))
        sizes = tuple(repr(variables.get(n)) for n in names)
        if any(len(size) > MAX_CACHED_SIZE_TEXT for size in sizes):  # no page size: refused
            return analyse(schema, document, operation_name, variables)
        key = (digest, operation_name, sizes)
        analysis = self._remembered(self._entries, key)
        if analysis is None:
            analysis = self._remember(self._entries, key, analyse(
                schema, document, operation_name, variables))
        return analysis

    def _remembered(self, entries: OrderedDict, key):
        with self._lock:
            value = entries.get(key)
            if value is not None:
                entries.move_to_end(key)
            return value

    def _remember(self, entries: OrderedDict, key, value):
        with self._lock:
            entries[key] = value
            while len(entries) > self.max_entries:
                entries.popitem(last=False)
        return value


ANALYSES = Analyses()


class QueryLimits(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        analysis = ANALYSES.get(context.schema._schema, context.query,
                                context.graphql_document, context.operation_name,
                                context.variables or {})
        context.context.cost = estimate(analysis)
        error = refusal(analysis)
        if error is None and has_nul_literal(context.query, context.graphql_document):
            error = CodedError("text may not contain NUL characters (U+0000)", BAD_USER_INPUT,
                               http_status=400)
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[error])
        yield

    def get_results(self) -> dict[str, Any]:
        return results(self.execution_context.context)


def results(context) -> dict[str, Any]:
    """The response's extensions of a request (its ``Context``) that the limits let through:
    the estimated cost and the SQL statements it ran."""
    if context.cost is None:
        return {}
    return {"cost": {"estimated": context.cost, "budget": MAX_COST},
            "sqlStatements": context.session.statements}
