"""``personLinkReviews``: the data stewards' review queue, most likely cases first."""

from __future__ import annotations

import psycopg
import strawberry

from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError
from graphql_api.stewardship.types import PersonLinkReview

MAX_CASES = 500

CASES = """
select * from marts.review_person_links
order by match_probability desc, review_id
limit %s
"""


@strawberry.type
class StewardshipQueries:
    @strawberry.field(description="Person links waiting for a data steward, most likely "
                                  "first, with both sides' evidence (for clients with the "
                                  "steward grant).")
    async def person_link_reviews(self, info: Info, first: int = 50
                                  ) -> list[PersonLinkReview] | None:
        if not 1 <= first <= MAX_CASES:
            raise CodedError(f"first must be between 1 and {MAX_CASES}", BAD_USER_INPUT)
        try:
            rows = await info.context.session.fetch_all(CASES, (first,))
        except psycopg.errors.UndefinedTable:  # published before the queue existed
            return []
        # Every field of a case is the steward's, so no field guard sees the persons: the
        # read is logged under both sides' persons here.
        info.context.access.release(
            person for row in rows
            for person in (row["record_person_id"], row["candidate_person_id"]))
        return [PersonLinkReview.from_row(row) for row in rows]
