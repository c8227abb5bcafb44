"""Classification of the data-quality issues: the query needs a shared grant on the dataset
of the agency whose records they are (``queries.py``); the values in conflict (names,
birth and death dates) are personal data of that dataset."""

from graphql_api.access.field_rules import Classification, Rule
from graphql_api.access.grants import THROUGH, open_, personal

CLASSIFICATION = Classification(
    # The mutation root is open: its one field checks the grant on the issue's dataset.
    types={"DataQualityIssue": open_(), "DataQualityIssuePage": open_(), "Mutation": open_()},
    fields={f"DataQualityIssue.{name}": Rule(personal(THROUGH))
            for name in ("sourceValue", "masterValue")},
    subjects={"DataQualityIssue": lambda issue: (issue.person_id,)},
    reached={"DataQualityIssue": lambda issue: (issue.source_system,)},
)
