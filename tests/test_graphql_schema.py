from graphql_api.schema import SCHEMA_FILE, schema_sdl


def test_committed_schema_matches_the_code():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_sdl(), (
        "graphql_api/schema.graphql is stale: regenerate it with "
        "python -c \"from graphql_api.schema import SCHEMA_FILE, schema_sdl; "
        "SCHEMA_FILE.write_text(schema_sdl())\"")


def test_first_root_queries_exist():
    sdl = schema_sdl()
    for field in ("person(id: ID!): Person", "enterprise(code: String!): Organization",
                  "landParcel(id: ID!): LandParcel"):
        assert field in sdl
