from graphql_api.schema import SCHEMA_FILE, schema, schema_sdl


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
        assert fields[name].type.of_type.name.endswith("Connection")


def test_master_records_are_relay_nodes():
    node = schema._schema.get_type("Node")
    implementations = {t.name for t in schema._schema.get_implementations(node).objects}
    assert implementations == {"Person", "Organization", "LandParcel", "AdminUnit"}
