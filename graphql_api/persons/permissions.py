"""Classification of the person master record: who a person is (name, ID numbers, birth,
death) is personal data; that a kho ID is a person, and where their record comes from,
is shared (``any``: every sectoral dataset alike).

The personal fields belong to the dataset the person was reached through (``through``): a
legal representative's birth date needs ``enterprise:personal``, a parcel holder's
``land:personal``. A person looked up at the root (``person``, ``persons``, ``node``,
``personByIdNumber``) was reached through every dataset that mentions them, and no other:
a personal grant on one of those shows them, as reaching them through it would."""

from graphql_api.access.field_rules import Classification, Rule, mask_id_number
from graphql_api.access.grants import ANY, THROUGH, personal, shared

_MASKED_ID = Rule(personal(THROUGH), masked=shared(ANY), masker=mask_id_number)

CLASSIFICATION = Classification(
    types={"Person": shared(ANY)},
    fields={
        "Person.personalIdNumber": _MASKED_ID,
        "Person.idCardNumber": _MASKED_ID,
        **{f"Person.{name}": Rule(personal(THROUGH)) for name in (
            "fullName", "sex", "birthDate", "birthDatePrecision", "isDeceased", "deathDate",
            "birthCommune", "birthLegacyCommune")},
        "Person.landRights": Rule(shared("land")),
        "Person.landTransfers": Rule(shared("land")),
        "Person.enterpriseRoles": Rule(shared("enterprise")),
        "Person.employment": Rule(shared("cadre")),
        "Person.civilEvents": Rule(personal("civil_registry")),
        "Query.personByIdNumber": Rule(personal(ANY)),
    },
    subjects={"Person": lambda person: (person.id,)},
    reached={"Person": lambda person: person.reached_through()},
)

# Arguments and input fields that carry personal values: a caller may only use them where
# they may see those values (graphql_api/persons/queries.py), and the access log keeps
# their HMAC, not the value.
PERSONAL_INPUTS = frozenset({
    "Query.personByIdNumber.number",
    *(f"PersonFilter.{name}" for name in (
        "name", "sex", "birthDateFrom", "birthDateTo", "isDeceased", "birthAdminUnit")),
})
