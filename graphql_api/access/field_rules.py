"""What each caller may see: the classification of every field, and its enforcement.

Every field of the schema has a classification: the dataset it belongs to (``land``,
``enterprise``, ``civil_registry``, ``cadre``; ``any`` for what every sectoral dataset
shares; ``through`` for the person master record's personal fields, which belong to the
dataset the person was reached through) and its data class (``open``, ``shared``,
``personal``). A type has one for all its fields; a field may be stricter. The domain
folders declare them (``<domain>/permissions.py``), and for a type with ``through`` fields
which datasets its object was reached through; ``apply`` checks that the schema has no
field without one and guards the fields a caller could lack: a guarded field the caller may not see
answers null with a ``FORBIDDEN`` error on its path (or a masked value, where the field
allows that), every other field of the answer stays. Because fields are guarded where they
resolve, aliases and fragments reach the same guard.

Whether the caller holds a field's grant, and declared a purpose for personal data, is the
caller's rule (``caller.Caller.refusal``). Each release of a personal field records whose
data it was, for the access log.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from graphql_api.access.caller import Caller
from graphql_api.access.grants import THROUGH, DataClass, Need, open_
from graphql_api.core.errors import CodedError


@dataclass(frozen=True)
class Rule:
    """A field's classification; a caller holding only ``masked`` sees the value through
    ``masker``."""

    need: Need
    masked: Need | None = None
    masker: Callable[[Any], Any] | None = None


@dataclass
class Classification:
    """One domain's declarations: each type's need, and the fields that need more."""

    types: dict[str, Need]
    fields: dict[str, Rule] = field(default_factory=dict)
    # Whose personal data a type's object is (person IDs), for the access log.
    subjects: dict[str, Callable[[Any], Iterable[Any]]] = field(default_factory=dict)
    # The datasets a type's object was reached through, for its fields that need a grant
    # on one of them (``through``).
    reached: dict[str, Callable[[Any], Iterable[str]]] = field(default_factory=dict)


class Access:
    """One request's view: the caller, verdicts per rule (decided once), and the persons
    whose personal data the answer released."""

    def __init__(self, caller: Caller):
        self.caller = caller
        self.released_persons: set[str] = set()
        # Any personal field released (a holder's name may belong to no master person).
        self.released_personal = False
        self._verdicts: dict[tuple, tuple[str, CodedError | None]] = {}

    def verdict(self, key: tuple, needs: tuple[Need, ...], masked: Need | None,
                what: str, through: tuple[str, ...] = ()) -> tuple[str, CodedError | None]:
        """``through``: the datasets the object was reached through, for ``through`` needs."""
        known = self._verdicts.get(key)
        if known is not None:
            return known
        verdict: tuple[str, CodedError | None] = (ALLOW, None)
        for need in needs:
            refusal = self._refusal(need, what, through)
            if refusal is not None:
                ok_masked = masked is not None and self._refusal(masked, what, through) is None
                verdict = (MASK, None) if ok_masked else (REFUSE, refusal)
                break
        self._verdicts[key] = verdict
        return verdict

    def _refusal(self, need: Need, what: str, through: tuple[str, ...]) -> CodedError | None:
        if need.dataset == THROUGH:
            return self.caller.refusal_through(need, through, what)
        return self.caller.refusal(need, what)

    def release(self, persons: Iterable[Any]) -> None:
        self.released_personal = True
        for person in persons:
            if person is not None:
                self.released_persons.add(str(person))


ALLOW, MASK, REFUSE = "allow", "mask", "refuse"


@dataclass(frozen=True)
class Guard:
    """What guards one field: the needs a caller must hold, what a lesser grant sees, whose
    data it releases; read by the resolvers' guard and by the query compiler alike, so
    both decide the same."""

    coordinate: str
    needs: tuple[Need, ...]
    masked: Need | None
    masker: Callable[[Any], Any] | None
    personal: bool
    through: bool  # a need on the dataset the object was reached through

    def verdict(self, access: Access, through: tuple[str, ...] = ()
                ) -> tuple[str, CodedError | None]:
        key = (self.coordinate, through) if self.through else (self.coordinate,)
        return access.verdict(key, self.needs, self.masked, self.coordinate, through)


# Every guarded field's guard, by coordinate (``Type.field``), as ``apply`` made them.
GUARDS: dict[str, Guard] = {}


def mask_id_number(value: str | None) -> str | None:
    """``080*******45``: the first three digits (the province of registration) and the last
    two, as the shared-data rules allow."""
    if not value:
        return value
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


# --- applying the declarations to the schema ----------------------------------------------

GENERIC_OPEN = {"PageInfo", "Provenance", "Query"}


def _type_need(name: str, types: dict[str, Need]) -> Need | None:
    for suffix in ("Connection", "Edge"):
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return types[name[: -len(suffix)]]
    if name in GENERIC_OPEN:
        return open_()
    return types.get(name)


def _is_non_null(type_) -> bool:
    return isinstance(type_, GraphQLNonNull)


def apply(schema: GraphQLSchema, classifications: Iterable[Classification]) -> dict[str, Rule]:
    """Guard every field whose classification a caller could lack; raise when a field has
    none, or when a guarded field could not answer null. Returns each field's rule."""
    types: dict[str, Need] = {}
    fields: dict[str, Rule] = {}
    subjects: dict[str, Callable[[Any], Iterable[Any]]] = {}
    reached: dict[str, Callable[[Any], Iterable[str]]] = {}
    for classification in classifications:
        types.update(classification.types)
        fields.update(classification.fields)
        subjects.update(classification.subjects)
        reached.update(classification.reached)
    unclassified, nullable_needed, unreached, every_rule = [], [], [], {}
    known = {f"{t}.{f}" for t, graphql_type in schema.type_map.items()
             if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType)
             for f in graphql_type.fields}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"classified fields the schema does not have: {', '.join(unknown)}")
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(
                graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            continue
        parent_need = _type_need(type_name, types)
        if parent_need is None:
            unclassified.append(type_name)
            continue
        for field_name, graphql_field in graphql_type.fields.items():
            coordinate = f"{type_name}.{field_name}"
            rule = fields.get(coordinate, Rule(parent_need))
            needs = {rule.need}
            target_need = _type_need(get_named_type(graphql_field.type).name, types)
            if target_need is not None:
                needs.add(target_need)
                if rule.need.data_class is DataClass.OPEN:  # a relation to a guarded type
                    rule = Rule(target_need)
            every_rule[coordinate] = rule
            needs = tuple(sorted((n for n in needs if n.data_class is not DataClass.OPEN
                                  and n != parent_need), key=str))
            if not needs or isinstance(graphql_type, GraphQLInterfaceType):
                continue
            if _is_non_null(graphql_field.type):
                nullable_needed.append(coordinate)
                continue
            through = any(n.dataset == THROUGH for n in (*needs, rule.masked) if n is not None)
            if through and type_name not in reached:
                unreached.append(coordinate)
                continue
            guard = GUARDS[coordinate] = Guard(
                coordinate, needs, rule.masked, rule.masker,
                personal=any(n.data_class is DataClass.PERSONAL for n in needs),
                through=through)
            graphql_field.resolve = _guard(
                graphql_field.resolve or default_field_resolver, guard,
                subjects.get(type_name), reached.get(type_name) if through else None)
    if unclassified:
        raise TypeError(f"types without a classification: {', '.join(sorted(unclassified))}")
    if unreached:
        raise TypeError("fields that need a grant on the dataset their object was reached "
                        "through, of a type that does not say which: "
                        + ", ".join(sorted(unreached)))
    if nullable_needed:
        raise TypeError("fields a caller may be refused must be nullable: "
                        + ", ".join(sorted(nullable_needed)))
    return every_rule


def _guard(resolve, guard: Guard, subjects, reached=None):
    masker = guard.masker

    def guarded(source, info, **args):
        access: Access = info.context.access
        through = tuple(reached(source)) if reached is not None and source is not None else ()
        verdict, refusal = guard.verdict(access, through)
        if verdict is ALLOW:
            if guard.personal:
                access.release(subjects(source) if subjects is not None and source is not None
                               else ())
            return resolve(source, info, **args)
        if verdict is MASK:
            value = resolve(source, info, **args)
            if inspect.isawaitable(value):
                return _masked(value, masker)
            return masker(value)
        raise refusal

    return guarded


async def _masked(value, masker):
    return masker(await value)


def classification_table(rules: dict[str, Rule]) -> str:
    """The fields that are not open, as a Markdown table (docs/access.md)."""
    lines = ["| field | needs | a lesser grant sees |", "|---|---|---|"]
    for coordinate, rule in sorted(rules.items()):
        if rule.need.data_class is DataClass.OPEN:
            continue
        masked = f"{rule.masked} (masked)" if rule.masked else ""
        lines.append(f"| `{coordinate}` | {rule.need} | {masked} |")
    return "\n".join(lines) + "\n"
