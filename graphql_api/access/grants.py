"""What a grant names: a dataset and a data class. A field declares the grant it needs (a
``Need``, in ``field_rules``), a caller holds grants per dataset (``caller``), and the api
schema keeps each client's (``clients``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

DATASETS = ("land", "enterprise", "civil_registry", "cadre")
ANY = "any"  # any of the sectoral datasets
# The sectoral dataset an object was reached through (a person reached from a land right:
# land); the object's type says which (``field_rules.Classification.reached``).
THROUGH = "through"
AUDIT = "audit"  # the data protection officer's grant: reading the access log
STEWARD = "steward"  # a data steward's grant: reading the review queue of person links
# Grants that name a role, not a dataset: each is personal data of its own kind.
ROLE_GRANTS = (AUDIT, STEWARD)


class DataClass(enum.IntEnum):
    OPEN = 0
    SHARED = 1
    PERSONAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Need:
    """One grant a field needs: a class (or a stronger one) on a dataset."""

    dataset: str
    data_class: DataClass

    def __str__(self) -> str:
        return f"{self.dataset}:{self.data_class.label}"


def open_() -> Need:
    return Need(ANY, DataClass.OPEN)


def shared(dataset: str) -> Need:
    return Need(dataset, DataClass.SHARED)


def personal(dataset: str) -> Need:
    return Need(dataset, DataClass.PERSONAL)
