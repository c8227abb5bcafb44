"""The schema: the domain query types joined into one root, with the request limits."""

from __future__ import annotations

from pathlib import Path

import strawberry

from graphql_api.access import field_rules, log_query, viewer
from graphql_api.access.log_query import AccessLogQueries
from graphql_api.access.log_writer import AccessLogging
from graphql_api.access.viewer import ViewerQueries
from graphql_api.admin_units import permissions as admin_units_permissions
from graphql_api.admin_units.queries import AdminUnitQueries
from graphql_api.admin_units.types import AdminUnit
from graphql_api.cadre import permissions as cadre_permissions
from graphql_api.cadre.queries import CadreQueries
from graphql_api.changes import permissions as changes_permissions
from graphql_api.changes.queries import ChangeQueries
from graphql_api.civil_registry import permissions as civil_registry_permissions
from graphql_api.compiler.executor import CompiledQueries
from graphql_api.core.document_cache import DocumentCache
from graphql_api.core.errors import is_coded
from graphql_api.core.limits import QueryLimits
from graphql_api.dictionary import entries as dictionary_entries
from graphql_api.dictionary import queries as dictionary_queries
from graphql_api.dictionary.queries import DataDictionaryQueries
from graphql_api.land import permissions as land_permissions
from graphql_api.land.queries import LandQueries
from graphql_api.land.types import LandParcel
from graphql_api.node import NodeQueries
from graphql_api.opendata import catalogue
from graphql_api.opendata.catalogue import OpenDataQueries
from graphql_api.organizations import permissions as organizations_permissions
from graphql_api.organizations.queries import OrganizationQueries
from graphql_api.organizations.types import Organization
from graphql_api.persons import permissions as persons_permissions
from graphql_api.persons.queries import PersonQueries
from graphql_api.persons.types import Person
from graphql_api.quality import permissions as quality_permissions
from graphql_api.quality.mutations import Mutation
from graphql_api.quality.queries import QualityQueries
from graphql_api.stewardship import permissions as stewardship_permissions
from graphql_api.stewardship.queries import StewardshipQueries

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")


@strawberry.type(description="The province's shared master data.")
class Query(PersonQueries, OrganizationQueries, LandQueries, AdminUnitQueries, CadreQueries,
            NodeQueries, OpenDataQueries, AccessLogQueries, StewardshipQueries, ViewerQueries,
            ChangeQueries, QualityQueries, DataDictionaryQueries):
    pass


class KhoSchema(strawberry.Schema):
    """Logs only unexpected errors: a caller's bad input is answered, not a server fault."""

    def process_errors(self, errors, execution_context=None) -> None:
        unexpected = [error for error in errors if not is_coded(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = KhoSchema(
    query=Query,
    mutation=Mutation,
    types=[Person, Organization, LandParcel, AdminUnit],
    # Agencies send the same few documents over and over: parse and validate each once
    # (the cache lives at module level, shared by every request, bounded in bytes).
    # The compiled executor answers what it covers once the limits have let it through.
    extensions=[AccessLogging, DocumentCache, QueryLimits, CompiledQueries],
)


# Every field's classification; fields a caller could lack are guarded from here on.
FIELD_RULES = field_rules.apply(schema._schema, [
    persons_permissions.CLASSIFICATION, land_permissions.CLASSIFICATION,
    organizations_permissions.CLASSIFICATION, cadre_permissions.CLASSIFICATION,
    civil_registry_permissions.CLASSIFICATION, admin_units_permissions.CLASSIFICATION,
    catalogue.CLASSIFICATION, log_query.CLASSIFICATION, stewardship_permissions.CLASSIFICATION,
    viewer.CLASSIFICATION, changes_permissions.CLASSIFICATION,
    quality_permissions.CLASSIFICATION, dictionary_queries.CLASSIFICATION])
# The data dictionary describes the fields of this schema, classified as above.
dictionary_entries.register(schema._schema, FIELD_RULES)
# Arguments and input fields whose values are personal data (hashed in the access log).
PERSONAL_INPUTS = persons_permissions.PERSONAL_INPUTS


def schema_sdl() -> str:
    return schema.as_str() + "\n"
