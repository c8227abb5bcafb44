"""A document's plan: its selection, fragments spread and aliases kept, checked against what
the compiler knows (``catalogue``), with the caller's verdict on every guarded field decided
once (``field_rules.Guard``, the resolvers' own rule). A plan depends only on the document,
the operation and the caller's class (grants, purpose or not), so it is made once per such
triple and kept (``PLANS``).

A verdict is known when the plan is made, except for a person's personal fields at the root,
whose grant is on the datasets that mention the person: there the plan keeps the datasets
whose grant the caller holds, and the statement decides row by row."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    get_named_type,
    visit,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields

from graphql_api.access.caller import Caller
from graphql_api.access.field_rules import (
    ALLOW,
    GUARDS,
    MASK,
    REFUSE,
    Access,
    Guard,
    mask_id_number,
)
from graphql_api.access.grants import DATASETS
from graphql_api.compiler import catalogue, json_text

# The root fields the compiler answers, and the kind of each.
ROOTS = {"person": "person", "landParcel": "land_parcel", "landParcels": "land_parcels",
         "landAreaByUse": "land_area_by_use"}
THROUGH_DYNAMIC = "through"  # a verdict the statement decides per person
# The hidden key the statement puts first in a person whose fields it refused: the datasets
# that mention them, for the walk that finds the refusals' errors.
THROUGH_KEY = "!through"
MAX_PLANS = 1_000


class NotCompiled(Exception):
    """The document (or this request of it) is answered by the resolvers; says why."""


@dataclass
class Selected:
    """One response key of one object: its field, its verdict, what it is built from."""

    key: str
    name: str
    coordinate: str
    nodes: list[FieldNode]
    kind: str  # typename, scalar, relation, or a root / connection part
    verdict: str = ALLOW
    guard: Guard | None = None
    reached: tuple[str, ...] = ()  # the dataset a static ``through`` verdict is on
    allowed_through: tuple[str, ...] = ()  # THROUGH_DYNAMIC: datasets whose grant shows it
    otherwise: str = REFUSE  # THROUGH_DYNAMIC: what a person of other datasets gives
    value: str | None = None  # scalar: SQL of its JSON, with ``{row}`` for the row alias
    masked: str | None = None  # ... and of its masked value, where a lesser grant sees it
    typename: str | None = None
    target: str | None = None  # the object type of a relation or a root
    children: list[Selected] = field(default_factory=list)

    @property
    def node(self) -> FieldNode:
        return self.nodes[0]


@dataclass
class Plan:
    roots: list[Selected]
    # Whether an answer may hold refused fields (their errors are found by walking it), and
    # whether some always are (else only where the statement marked a person ``!through``).
    may_refuse: bool = False
    refuses_always: bool = False
    personal: bool = False  # whether the statement returns the persons it released
    # Whether the statement's text is the same for every request but for the roots' IDs
    # and today (roots by ID, relations without arguments); then ``template`` keeps it.
    by_id: bool = False
    template: tuple[str, dict, dict] | None = None
    # The parsed document and its operation; ``proven`` once a request of the document
    # passed strawberry's parsing and validation and was answered by the plan: its later
    # requests (naming the operation as that one did) may then go straight to the plan
    # (``executor.answer_directly``).
    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    proven: bool = False


class _Planner:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, caller: Caller):
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.access = Access(caller)
        self.may_refuse = False
        self.refuses_always = False
        self.personal = False

    def selections(self, type_: GraphQLObjectType, field_nodes: list[FieldNode],
                   reached_via: str | None) -> list[Selected]:
        grouped = collect_sub_fields(self.schema, self.fragments, {}, type_, field_nodes)
        return [self.selected(type_, key, nodes, reached_via) for key, nodes in grouped.items()]

    def selected(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode],
                 reached_via: str | None) -> Selected:
        name = nodes[0].name.value
        coordinate = f"{parent.name}.{name}"
        if name == "__typename":
            return Selected(key, name, coordinate, nodes, "typename",
                            value=json_text.constant(parent.name))
        definition = parent.fields.get(name)
        if definition is None or name.startswith("__"):
            raise NotCompiled(f"{coordinate} is not compiled")
        selected = Selected(key, name, coordinate, nodes, "scalar")
        self.decide(selected, reached_via)
        if selected.verdict == REFUSE:
            return selected
        named = get_named_type(definition.type)
        relation = catalogue.RELATIONS.get(coordinate)
        if relation is not None and selected.verdict == THROUGH_DYNAMIC:
            raise NotCompiled(f"{coordinate}: a relation shown per person is not compiled")
        if relation is not None:
            selected.kind, selected.target = "relation", relation.target
            selected.children = self.selections(
                self.schema.get_type(relation.target), nodes,
                relation.reached_via if relation.target == "Person" else reached_via)
            return selected
        if isinstance(named, GraphQLObjectType):
            raise NotCompiled(f"{coordinate} is not compiled")
        column, selected.value = self.scalar(parent.name, definition, coordinate)
        if selected.verdict == MASK or (selected.verdict == THROUGH_DYNAMIC
                                        and selected.otherwise == MASK):
            selected.masked = _masked(column, selected.guard)
        return selected

    def decide(self, selected: Selected, reached_via: str | None) -> None:
        guard = GUARDS.get(selected.coordinate)
        if guard is None:
            return
        selected.guard = guard
        if not guard.through:
            selected.verdict = guard.verdict(self.access)[0]
        elif reached_via is not None:
            selected.reached = (reached_via,)
            selected.verdict = guard.verdict(self.access, selected.reached)[0]
        else:  # a person at the root: shown under a grant on a dataset that mentions them
            allowed = tuple(d for d in DATASETS if guard.verdict(self.access, (d,))[0] == ALLOW)
            selected.verdict, selected.allowed_through = THROUGH_DYNAMIC, allowed
            selected.otherwise = (MASK if guard.masked is not None
                                  and self.access.caller.refusal(guard.masked, "") is None
                                  else REFUSE)
        if selected.verdict == REFUSE or (selected.verdict == THROUGH_DYNAMIC
                                          and selected.otherwise == REFUSE):
            self.may_refuse = True
        if selected.verdict == REFUSE:
            self.refuses_always = True
        if guard.personal and (selected.verdict == ALLOW or selected.allowed_through):
            self.personal = True

    def scalar(self, type_name: str, definition: GraphQLField, coordinate: str
               ) -> tuple[str | None, str]:
        """The field's column (None for a constant) and the SQL of its JSON."""
        strawberry_field = definition.extensions.get("strawberry-definition")
        table = catalogue.TABLES.get(type_name)
        if strawberry_field is None or strawberry_field.base_resolver is not None:
            raise NotCompiled(f"{coordinate} is resolved by code")
        python_name = strawberry_field.python_name
        if table is not None and python_name in table.constants:
            return None, table.constants[python_name]
        if table is not None and python_name not in table.column_names():
            raise NotCompiled(f"{coordinate} is not a column")
        column = "{row}." + python_name
        return column, scalar_json(definition, column, coordinate)

    def root(self, operation: OperationDefinitionNode) -> list[Selected]:
        query = self.schema.query_type
        grouped = collect_fields(self.schema, self.fragments, {}, query, operation.selection_set)
        roots = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append(Selected(key, name, "Query.__typename", nodes, "typename",
                                      value=json_text.constant(query.name)))
                continue
            kind = ROOTS.get(name)
            if kind is None:
                raise NotCompiled(f"Query.{name} is not compiled")
            selected = Selected(key, name, f"Query.{name}", nodes, kind)
            self.decide(selected, None)
            if selected.verdict != REFUSE:
                self.root_children(selected, query.fields[name])
            roots.append(selected)
        return roots

    def root_children(self, selected: Selected, definition: GraphQLField) -> None:
        named = get_named_type(definition.type)
        if selected.kind in ("person", "land_parcel") or selected.kind == "land_area_by_use":
            selected.target = named.name
            selected.children = self.selections(named, selected.nodes, None)
        else:  # a connection
            selected.typename = named.name
            selected.children = self.connection(named, selected.nodes)

    def connection(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> list[Selected]:
        parts = []
        grouped = collect_sub_fields(self.schema, self.fragments, {}, type_, nodes)
        node_type = get_named_type(type_.fields["nodes"].type)
        edge_type = get_named_type(type_.fields["edges"].type)
        info_type = get_named_type(type_.fields["pageInfo"].type)
        for key, part_nodes in grouped.items():
            name = part_nodes[0].name.value
            part = Selected(key, name, f"{type_.name}.{name}", part_nodes, name,
                            value=json_text.constant(type_.name))
            if name == "nodes":
                part.target = node_type.name
                part.children = self.selections(node_type, part_nodes, None)
            elif name == "edges":
                part.typename = edge_type.name
                edge_fields = collect_sub_fields(self.schema, self.fragments, {}, edge_type,
                                                part_nodes)
                for edge_key, edge_nodes in edge_fields.items():
                    edge_name = edge_nodes[0].name.value
                    edge_part = Selected(edge_key, edge_name, f"{edge_type.name}.{edge_name}",
                                         edge_nodes, edge_name,
                                         value=json_text.constant(edge_type.name))
                    if edge_name == "node":
                        edge_part.target = node_type.name
                        edge_part.children = self.selections(node_type, edge_nodes, None)
                    part.children.append(edge_part)
            elif name == "pageInfo":
                part.children = [Selected(k, n[0].name.value, f"PageInfo.{n[0].name.value}",
                                          n, n[0].name.value,
                                          value=json_text.constant(info_type.name))
                                 for k, n in collect_sub_fields(self.schema, self.fragments, {},
                                                               info_type, part_nodes).items()]
            elif name not in ("totalCount", "__typename"):
                raise NotCompiled(f"{type_.name}.{name} is not compiled")
            parts.append(part)
        return parts


def scalar_json(definition: GraphQLField, column: str, coordinate: str) -> str:
    """The SQL writing a column as the field's scalar serialises it."""
    type_ = definition.type
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    named = get_named_type(type_)
    if isinstance(type_, GraphQLList):
        if named.name != "String":
            raise NotCompiled(f"{coordinate}: a list of {named.name} is not compiled")
        return json_text.text(column)
    if isinstance(named, GraphQLEnumType):
        cases = " ".join(f"when '{getattr(value.value, 'value', value.value)}' then "
                         f"{json_text.constant(name)}" for name, value in named.values.items())
        return f"(case {column} {cases} else 'null' end)"
    writers = {"ID": json_text.identifier, "String": json_text.text, "Int": json_text.text,
               "Boolean": json_text.text, "Float": json_text.float_, "Date": json_text.text,
               "DateTime": json_text.timestamp}
    writer = writers.get(named.name)
    if writer is None:
        raise NotCompiled(f"{coordinate}: {named.name} is not compiled")
    return writer(column)


def _masked(column: str | None, guard: Guard) -> str:
    """The SQL of the masked value's JSON, as ``field_rules.mask_id_number`` masks it."""
    if guard.masker is not mask_id_number or column is None:
        raise NotCompiled(f"{guard.coordinate}: its mask is not compiled")
    return json_text.text(f"(case when coalesce({column}, '') = '' then {column} else "
                          f"left({column}, 3) || repeat('*', length({column}) - 5) || "
                          f"right({column}, 2) end)")


class _Directives(Visitor):
    found = False

    def enter_directive(self, *_):
        self.found = True
        return Visitor.BREAK


def make_plan(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
              caller: Caller) -> Plan:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations if operation_name is None
                      or (o.name and o.name.value == operation_name)), None)
    if operation is None or operation.operation is not OperationType.QUERY:
        raise NotCompiled("not a query")
    finder = _Directives()
    visit(document, finder)
    if finder.found:
        raise NotCompiled("directives are not compiled")
    planner = _Planner(schema, document, caller)
    roots = planner.root(operation)
    by_id = all(root.kind in ("typename", "person", "land_parcel") for root in roots) and not any(
        field.arguments for root in roots for selected in _walk(root.children)
        for field in selected.nodes) and not any(
        len(root.node.arguments) > 1 for root in roots if root.kind != "typename")
    return Plan(roots, planner.may_refuse, planner.refuses_always, planner.personal, by_id,
                document=document, operation=operation)


def _walk(selections: list[Selected]):
    for selected in selections:
        yield selected
        yield from _walk(selected.children)


def caller_class(caller: Caller) -> tuple:
    """What a plan depends on of the caller: the grants held and whether a purpose was
    declared (the refusals' wording, which names the client, is made per request)."""
    return (tuple(sorted((d, int(c)) for d, c in caller.grants.items())),
            bool(caller.purpose), caller.is_anonymous)


class Plans:
    """Plans per (document, operation, caller class), least recently used leaving first;
    a document that does not compile is remembered as such."""

    def __init__(self, max_plans: int = MAX_PLANS):
        self.max_plans = max_plans
        self._plans: OrderedDict[tuple, Plan | NotCompiled] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, schema: GraphQLSchema, query: str, document: DocumentNode,
            operation_name: str | None, caller: Caller) -> Plan:
        key = (query, operation_name, caller_class(caller))
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
        if plan is None:
            try:
                plan = make_plan(schema, document, operation_name, caller)
            except NotCompiled as err:
                plan = err
            with self._lock:
                self._plans[key] = plan
                while len(self._plans) > self.max_plans:
                    self._plans.popitem(last=False)
        if isinstance(plan, NotCompiled):
            raise plan
        return plan

    def prove(self, query: str, operation_name: str | None, caller: Caller, plan: Plan) -> None:
        """``plan`` answered a request of ``query`` that named ``operation_name`` (None: the
        document's only operation, which the plan is kept under by its name)."""
        plan.proven = True
        key = (query, operation_name, caller_class(caller))
        with self._lock:
            if self._plans.get(key) is not plan:
                self._plans[key] = plan
                while len(self._plans) > self.max_plans:
                    self._plans.popitem(last=False)

    def proven(self, query: str, operation_name: str | None, caller: Caller) -> Plan | None:
        """The plan of a document already answered by it for this caller class, else None."""
        key = (query, operation_name, caller_class(caller))
        with self._lock:
            plan = self._plans.get(key)
            if plan is None or isinstance(plan, NotCompiled) or not plan.proven:
                return None
            self._plans.move_to_end(key)
            return plan


PLANS = Plans()
