"""Classification of the business register: registration facts of enterprises, branches,
household businesses and agencies are open (the register publishes them); who represents
or owns a business is shared within the enterprise dataset, and their names are personal.
Which parcels an organization holds is shared land data."""

from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import open_, personal, shared

CLASSIFICATION = Classification(
    types={**{name: open_() for name in (
        "Organization", "EnterpriseFacet", "BranchFacet", "HouseholdBusinessFacet",
        "StateAgencyFacet", "EnterpriseStatisticsRow")},
        "EnterpriseRole": shared("enterprise")},
    fields={
        "EnterpriseRole.fullName": Rule(personal("enterprise")),
        "Organization.landParcels": Rule(shared("land")),
    },
    subjects={"EnterpriseRole": lambda role: (role.person_id,)},
)
