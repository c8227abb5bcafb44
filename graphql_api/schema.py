"""The schema: the domain query types joined into one root."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.extensions import MaskErrors, QueryDepthLimiter

from graphql_api.errors import is_coded
from graphql_api.land.queries import LandQueries
from graphql_api.organizations.queries import OrganizationQueries
from graphql_api.persons.queries import PersonQueries

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
MAX_QUERY_DEPTH = 10


@strawberry.type(description="The province's shared master data.")
class Query(PersonQueries, OrganizationQueries, LandQueries):
    pass


class KhoSchema(strawberry.Schema):
    """Logs only unexpected errors: a caller's bad input is answered, not a server fault."""

    def process_errors(self, errors, execution_context=None) -> None:
        unexpected = [error for error in errors if not is_coded(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = KhoSchema(
    query=Query,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: MaskErrors(should_mask_error=lambda error: not is_coded(error),
                           error_message="Internal server error"),
    ],
)


def schema_sdl() -> str:
    return schema.as_str() + "\n"
