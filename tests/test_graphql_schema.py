import re
from pathlib import Path

import pytest
import strawberry
from graphql import get_named_type

from graphql_api.access import field_rules
from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import ANY, THROUGH, DataClass, open_, personal, shared
from graphql_api.schema import FIELD_RULES, SCHEMA_FILE, schema, schema_sdl

ACCESS_DOC = Path(__file__).resolve().parent.parent / "docs" / "access.md"


def test_committed_schema_matches_the_code():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "graphql_api/schema.graphql is stale: regenerate it with "
        "python -c \"from graphql_api.schema import SCHEMA_FILE, schema_sdl; "
        "SCHEMA_FILE.write_text(schema_sdl())\"")


def test_the_root_queries_agencies_build_on_exist():
    fields = schema._schema.query_type.fields
    for name in ("person", "personByIdNumber", "persons", "organization", "enterprise",
                 "organizations", "landParcel", "landParcels", "adminUnit", "adminUnits",
                 "node", "landAreaByUse", "enterpriseStatistics", "civilServantStatistics"):
        assert name in fields, name
    for name in ("persons", "organizations", "landParcels", "adminUnits"):
        arguments = fields[name].args
        assert {"first", "after", "filter"} <= set(arguments), name
        assert get_named_type(fields[name].type).name.endswith("Connection")


def test_master_records_are_relay_nodes():
    node = schema._schema.get_type("Node")
    implementations = {t.name for t in schema._schema.get_implementations(node).objects}
    assert implementations == {"Person", "Organization", "LandParcel", "AdminUnit"}


def test_every_field_of_the_schema_carries_a_classification():
    every = {f"{name}.{field}" for name, type_ in schema._schema.type_map.items()
             if not name.startswith("__") and hasattr(type_, "fields")
             and not hasattr(type_, "parse_literal") and type(type_).__name__ != \
             "GraphQLInputObjectType" for field in type_.fields}
    assert every == set(FIELD_RULES)


@pytest.mark.parametrize(("coordinate", "need"), [
    ("Person.fullName", personal(THROUGH)), ("Person.personalIdNumber", personal(THROUGH)),
    ("Person.birthDate", personal(THROUGH)), ("Person.civilEvents", personal("civil_registry")),
    ("Person.id", shared(ANY)), ("Employment.isActiveAfterDeath", personal("cadre")),
    ("CivilEvent.fullName", personal("civil_registry")),
    ("CivilEvent.eventDate", personal("civil_registry")),
    ("LandRight.holderName", personal("land")), ("EnterpriseRole.fullName",
                                                 personal("enterprise")),
    ("Employment.salaryCoefficient", personal("cadre")),
    ("LandParcel.areaM2", open_()), ("LandParcel.boundaryWkt", open_()),
    ("Organization.name", open_()), ("Organization.addressLine", open_()),
    ("AdminUnit.name", open_()), ("LandAreaRow.totalAreaM2", open_()),
])
def test_classifications_follow_the_personal_data_rules(coordinate, need):
    assert FIELD_RULES[coordinate].need == need


def test_a_type_without_classification_or_a_refusable_non_null_field_is_refused():
    @strawberry.type
    class Secret:
        value: str

    @strawberry.type
    class Query:
        secret: Secret | None = None

    with pytest.raises(TypeError, match="without a classification: Secret"):
        field_rules.apply(strawberry.Schema(Query)._schema, [])
    with pytest.raises(TypeError, match=r"must be nullable: Secret\.value"):
        field_rules.apply(strawberry.Schema(Query)._schema, [Classification(
            types={"Secret": open_()}, fields={"Secret.value": Rule(personal("land"))})])


def test_a_field_that_needs_the_dataset_its_object_was_reached_through_needs_its_type_to_say():
    @strawberry.type
    class Holder:
        name: str | None = None

    @strawberry.type
    class Query:
        holder: Holder | None = None

    classification = Classification(types={"Holder": shared(ANY)},
                                    fields={"Holder.name": Rule(personal(THROUGH))})
    with pytest.raises(TypeError, match=r"reached through.*: Holder\.name"):
        field_rules.apply(strawberry.Schema(Query)._schema, [classification])
    classification.reached["Holder"] = lambda holder: ("land",)
    field_rules.apply(strawberry.Schema(Query)._schema, [classification])


def test_docs_list_the_classification_of_every_field_that_is_not_open():
    text = ACCESS_DOC.read_text(encoding="utf-8")
    table = re.search(r"<!-- classification:begin -->\n(.*?)<!-- classification:end -->",
                      text, re.DOTALL)
    assert table and table.group(1) == field_rules.classification_table(FIELD_RULES), (
        "docs/access.md's classification table is stale: regenerate it with "
        "python -c \"from graphql_api.access import field_rules; from graphql_api.schema import "
        "FIELD_RULES; print(field_rules.classification_table(FIELD_RULES), end='')\"")
    assert DataClass.PERSONAL.label in table.group(1)
