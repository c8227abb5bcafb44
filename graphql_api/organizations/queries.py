from __future__ import annotations

import re

import strawberry

from graphql_api.context import Info
from graphql_api.errors import BAD_USER_INPUT, CodedError
from graphql_api.organizations.types import Organization

ENTERPRISE_CODE = re.compile(r"^\d{10}(-\d{3})?$")


@strawberry.type
class OrganizationQueries:
    @strawberry.field(description="An enterprise or branch by its enterprise code "
                                  "(10 digits, or 10-3 for a branch); null when there is none.")
    async def enterprise(self, info: Info, code: str) -> Organization | None:
        code = code.strip()
        if not ENTERPRISE_CODE.match(code):
            raise CodedError(f"not an enterprise code: {code!r} (expected 10 digits or 10-3)",
                             BAD_USER_INPUT)
        row = await info.context.loaders.enterprise_by_code.load(code)
        return Organization.from_row(row) if row else None
