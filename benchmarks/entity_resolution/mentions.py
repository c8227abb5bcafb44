"""The mentions both matchers resolve, and so the universe every score counts over.

A mention is one source row's naming of a person or an organization in one role, keyed by
(source_system, source_table, source_record_key, role) as kho's xref marts key them, with
``unique_id`` (text) for Splink: ``intermediate.int_persons__mentions`` and
``intermediate.int_organizations__mentions``.
"""

from __future__ import annotations

KEY_COLUMNS = ("unique_id", "source_system", "source_table", "source_record_key", "role")

PERSON_MENTIONS_SQL = """
    select person_mention_id::text as unique_id, *
    from intermediate.int_persons__mentions
"""

ORGANIZATION_MENTIONS_SQL = """
    select organization_mention_id::text as unique_id, *
    from intermediate.int_organizations__mentions
"""

# The models the mentions read, built (untimed) before kho's resolution runs.
UPSTREAM_MODELS = ("+int_persons__mentions", "+int_organizations__mentions")
