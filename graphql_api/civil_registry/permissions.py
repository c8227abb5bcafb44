"""Classification of the civil registry: every birth, marriage and death is personal."""

from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import personal

CLASSIFICATION = Classification(
    types={"CivilEvent": personal("civil_registry")},
    subjects={"CivilEvent": lambda event: (event.person_id,)},
)
