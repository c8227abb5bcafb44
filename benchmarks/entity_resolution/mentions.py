"""The mentions both matchers resolve, and where kho publishes what it made of them.

A mention is one source row's naming of a person or an organization in one role, keyed by
(source_system, source_table, source_record_key, role) as kho's xref marts key them, with
``unique_id`` (text) for Splink: ``intermediate.int_persons__mentions`` and
``intermediate.int_organizations__mentions``. What the scores count over is not the
mentions but every truth record (universe.py): a record without a mention is a miss.
"""

from __future__ import annotations

from dataclasses import dataclass

KEY_COLUMNS = ("source_system", "source_table", "source_record_key", "role")

PERSON_MENTIONS_SQL = """
    select person_mention_id::text as unique_id, *
    from intermediate.int_persons__mentions
"""

ORGANIZATION_MENTIONS_SQL = """
    select organization_mention_id::text as unique_id, *
    from intermediate.int_organizations__mentions
"""

# The models the mentions and the universe read, built (untimed) before kho's resolution
# runs; the staging models hold the keys by which land rights, land transfers and
# assignments name their holders and civil servants.
UPSTREAM_MODELS = ("+int_persons__mentions", "+int_organizations__mentions",
                   "+stg_land__land_rights", "+stg_land__land_transfers",
                   "+stg_cadre__assignments")


@dataclass(frozen=True)
class EntityKind:
    kind: str  # as the truth's entity_kind says
    plural: str
    mentions_sql: str
    name_column: str  # null when the mention states no name
    xref: str  # kho's published resolution
    cluster_column: str


KINDS = (
    EntityKind("person", "persons", PERSON_MENTIONS_SQL, "full_name_key",
               "marts_build.xref_person", "person_id"),
    EntityKind("organization", "organizations", ORGANIZATION_MENTIONS_SQL, "name_key",
               "marts_build.xref_organization", "organization_id"),
)
