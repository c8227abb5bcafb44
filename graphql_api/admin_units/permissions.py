"""Classification of the administrative units: all open."""

from graphql_api.permissions import Classification, open_

CLASSIFICATION = Classification(
    types={"AdminUnit": open_(), "AdminUnitSuccession": open_(), "Node": open_()})
