"""Classification of the stewards' review queue: both sides' names, birth dates and records
are personal data, for data stewards only (the ``steward`` grant), whose every read is in
the access log under the persons of both sides (the query releases them)."""

from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import STEWARD, DataClass, Need

STEWARD_NEED = Need(STEWARD, DataClass.PERSONAL)

CLASSIFICATION = Classification(
    types={"PersonLinkReview": STEWARD_NEED, "PersonLinkReviewSide": STEWARD_NEED},
    fields={"Query.personLinkReviews": Rule(STEWARD_NEED)},
)
