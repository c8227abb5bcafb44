"""Classification of the cadre database: assignments (agency, position, grade) are shared
within the cadre dataset; a civil servant's name and salary are personal. Statistics are
open, with small counts suppressed (graphql_api/cadre/queries.py)."""

from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import open_, personal, shared

CLASSIFICATION = Classification(
    types={"Employment": shared("cadre"), "CivilServantStatisticsRow": open_()},
    fields={
        "Employment.fullName": Rule(personal("cadre")),
        "Employment.salaryCoefficient": Rule(personal("cadre")),
        # Says the person has died: personal, and reached through the cadre dataset.
        "Employment.isActiveAfterDeath": Rule(personal("cadre")),
    },
    subjects={"Employment": lambda employment: (employment.person_id,)},
)
