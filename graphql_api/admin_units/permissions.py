"""Classification of the administrative units: all open."""

from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import open_

CLASSIFICATION = Classification(
    types={"AdminUnit": open_(), "AdminUnitSuccession": open_(), "Node": open_()})
