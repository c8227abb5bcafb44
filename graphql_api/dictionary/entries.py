"""The data dictionary's entries: one per field of every type kho shares, put together from
what already says it, so nothing is written twice:

- the field's name and GraphQL type, and its English description, from the schema (the
  strawberry ``description``; ``fields.csv`` gives one only where the schema has none);
- its classification and the grant it needs, from the access rules (``access/field_rules``,
  as the API enforces them);
- its dataset's owning agency, update frequency and licence, from the catalogue
  (``opendata/catalogue.py``);
- its Vietnamese description, the source system, the warehouse column it is read from, and
  the agency systems' own columns behind it (``table.column`` as their databases name them,
  each checked against the sources' contracts), from ``fields.csv`` beside this module (the
  one place they are written);
- its national code, from the operator's mapping file (``mapping.py``).

A field of a shared type without a row in ``fields.csv``, or a row naming no such field, is
a fault that ``problems`` names (tests/test_data_dictionary.py and ``kho dictionary check``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema

from graphql_api.access.field_rules import Rule
from graphql_api.access.grants import DataClass
from graphql_api.dictionary.mapping import read_mapping
from graphql_api.opendata.catalogue import BY_NAME, LICENCE, DatasetSpec
from kho.settings import load_settings

FIELDS_FILE = Path(__file__).with_name("fields.csv")
FIELDS_HEADER = ("field", "description_vi", "description_en", "source_system",
                 "source_column", "agency_columns")

# The types whose fields kho shares, by the catalogue's dataset they belong to; their
# Connection and Edge types are pagination, not data.
TYPE_DATASETS = {
    "AdminUnit": "admin_units", "AdminUnitSuccession": "admin_units",
    "LandParcel": "land_parcels", "LandAreaRow": "land_parcels",
    "LandRight": "land_rights", "LandTransfer": "land_rights",
    "Organization": "enterprises", "EnterpriseFacet": "enterprises",
    "BranchFacet": "enterprises", "HouseholdBusinessFacet": "enterprises",
    "EnterpriseRole": "enterprises", "EnterpriseStatisticsRow": "enterprises",
    "Person": "persons", "Provenance": "persons",
    "CivilEvent": "civil_events",
    "Employment": "employment", "StateAgencyFacet": "employment",
    "CivilServantStatisticsRow": "employment",
}
# The object types that are not shared data, and why; a new type must join one or the other.
NOT_SHARED = {
    "Query": "the root of the API",
    "Mutation": "the root of the API's one write (acknowledging a data-quality issue)",
    "PageInfo": "pagination",
    "Dataset": "the catalogue: metadata",
    "DataDictionaryEntry": "this dictionary: metadata",
    "Viewer": "the caller's own grants and limits",
    "RateLimit": "the caller's own limits",
    "AccessLogEntry": "the access log, read by the data protection officer",
    "PersonLinkReview": "the stewards' review queue",
    "PersonLinkReviewSide": "the stewards' review queue",
    "ChangeEvent": "the change feed: changes of the fields described here",
    "ChangeFeed": "the change feed: changes of the fields described here",
    "DataQualityIssue": "data-quality issues about the fields described here",
    "DataQualityIssuePage": "data-quality issues about the fields described here",
}
# Where a type's fields come from unless fields.csv says otherwise: an agency's system
# (land, enterprise, civil_registry, cadre), kho's reference seeds, or kho itself (IDs,
# links and figures it derives).
TYPE_SOURCES = {
    "AdminUnit": "reference", "AdminUnitSuccession": "reference",
    "LandParcel": "land", "LandAreaRow": "land", "LandRight": "land", "LandTransfer": "land",
    "Organization": "enterprise", "EnterpriseFacet": "enterprise",
    "BranchFacet": "enterprise", "HouseholdBusinessFacet": "enterprise",
    "EnterpriseRole": "enterprise", "EnterpriseStatisticsRow": "enterprise",
    "Person": "kho", "Provenance": "kho", "CivilEvent": "civil_registry",
    "Employment": "cadre", "StateAgencyFacet": "cadre", "CivilServantStatisticsRow": "cadre",
}
SOURCE_SYSTEMS = ("land", "enterprise", "civil_registry", "cadre", "reference", "kho")


def agency_columns() -> frozenset[str]:
    """Every agency column kho reads, as table.column (the sources' contracts name them);
    imported here only, so that the API's workers do not load the ingestion's geometry
    libraries."""
    from pipelines.sources.contracts import CONTRACTS  # late: keeps pyproj out of the API

    return frozenset(f"{contract.table}.{column.name}" for contract in CONTRACTS
                     for column in contract.columns if not column.name.startswith("_"))
# The types an open dataset's download is made of (one row per object): their open fields
# name the download's column they are read from.
DOWNLOAD_TYPES = {"AdminUnit", "LandParcel", "Organization", "EnterpriseFacet", "BranchFacet",
                  "HouseholdBusinessFacet"}


@dataclass(frozen=True)
class Entry:
    field: str  # Type.field
    dataset: str
    type_name: str
    field_name: str
    graphql_type: str
    description_vi: str
    description_en: str
    classification: str  # open, shared, personal
    grant: str | None  # DATASET:CLASS a client needs; None for open data
    owning_agency: str
    source_system: str
    source_column: str
    agency_columns: tuple[str, ...]  # the agencies' own table.column behind the value
    download_column: str | None
    update_frequency: str
    licence: str | None
    national_code: str | None


COLUMNS = tuple(Entry.__dataclass_fields__)


@dataclass(frozen=True)
class Description:
    vi: str
    en: str
    source_system: str
    source_column: str
    agency_columns: tuple[str, ...]


@functools.cache
def descriptions() -> dict[str, Description]:
    """fields.csv, by field."""
    with FIELDS_FILE.open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file)
        if tuple(next(rows)) != FIELDS_HEADER:
            raise ValueError(f"{FIELDS_FILE} must start with {','.join(FIELDS_HEADER)}")
        return {field: Description(vi, en, source, column,
                                   tuple(c for c in agency.split(";") if c))
                for field, vi, en, source, column, agency in rows}


def shared_types(schema: GraphQLSchema) -> dict[str, GraphQLObjectType]:
    return {name: type_ for name, type_ in schema.type_map.items() if name in TYPE_DATASETS}


def problems(schema: GraphQLSchema) -> list[str]:
    """What keeps the dictionary from describing exactly the fields kho shares."""
    found: list[str] = []
    described = descriptions()
    known_columns = agency_columns()
    fields: set[str] = set()
    for name, type_ in sorted(schema.type_map.items()):
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        if name in TYPE_DATASETS:
            fields.update(f"{name}.{field}" for field in type_.fields)
        elif name not in NOT_SHARED and not name.endswith(("Connection", "Edge")):
            found.append(f"type {name} is neither in TYPE_DATASETS nor in NOT_SHARED")
    for field in sorted(fields - set(described)):
        found.append(f"{field} has no row in {FIELDS_FILE.name}")
    for field in sorted(set(described) - fields):
        found.append(f"{FIELDS_FILE.name} describes {field}, which the schema does not share")
    for field in sorted(fields & set(described)):
        row = described[field]
        type_name, field_name = field.split(".")
        if not row.vi.strip():
            found.append(f"{field} has no Vietnamese description")
        if not (row.en.strip() or schema.type_map[type_name].fields[field_name].description):
            found.append(f"{field} has no English description (schema or {FIELDS_FILE.name})")
        if row.source_system and row.source_system not in SOURCE_SYSTEMS:
            found.append(f"{field} names the unknown source system {row.source_system!r}")
        if not row.source_column.strip():
            found.append(f"{field} names no source column")
        for column in row.agency_columns:
            if column not in known_columns:
                found.append(f"{field} names {column!r}, which no agency table's contract "
                             f"holds")
    return found


def _is_list(type_) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _download_column(spec: DatasetSpec, type_name: str, field, rule: Rule,
                     source_column: str) -> str | None:
    if (spec.data_class is not DataClass.OPEN or type_name not in DOWNLOAD_TYPES
            or rule.need.data_class is not DataClass.OPEN or _is_list(field.type)):
        return None
    mart, _, column = source_column.removeprefix("marts.").partition(".")
    return column if mart == spec.mart and column in spec.columns else None


def build(schema: GraphQLSchema, rules: dict[str, Rule],
          national_codes: dict[str, str]) -> tuple[Entry, ...]:
    described = descriptions()
    entries = []
    for type_name, type_ in shared_types(schema).items():
        spec = BY_NAME[TYPE_DATASETS[type_name]]
        for field_name, field in type_.fields.items():
            coordinate = f"{type_name}.{field_name}"
            row, rule = described[coordinate], rules[coordinate]
            is_open = rule.need.data_class is DataClass.OPEN
            entries.append(Entry(
                field=coordinate, dataset=spec.name, type_name=type_name,
                field_name=field_name, graphql_type=str(field.type),
                description_vi=row.vi, description_en=row.en or field.description,
                classification=rule.need.data_class.label,
                grant=None if is_open else str(rule.need), owning_agency=spec.owner,
                source_system=row.source_system or TYPE_SOURCES[type_name],
                source_column=row.source_column, agency_columns=row.agency_columns,
                download_column=_download_column(spec, type_name, field, rule,
                                                 row.source_column),
                update_frequency=spec.update_frequency,
                licence=LICENCE if is_open and spec.data_class is DataClass.OPEN else None,
                national_code=national_codes.get(coordinate)))
    return tuple(entries)


def field_names() -> set[str]:
    """The fields the dictionary describes (those a mapping file may name)."""
    return set(descriptions())


# The schema the API serves and its fields' rules, as graphql_api/schema.py registers them
# once both are made (it imports this package, so this one cannot import it).
_SERVED: list[tuple[GraphQLSchema, dict[str, Rule]]] = []


def register(schema: GraphQLSchema, rules: dict[str, Rule]) -> None:
    _SERVED[:] = [(schema, rules)]
    _for_mapping.cache_clear()


@functools.cache
def _for_mapping(mapping: Path | None) -> tuple[Entry, ...]:
    codes = read_mapping(mapping, field_names()) if mapping is not None else {}
    schema, rules = _SERVED[0]
    return build(schema, rules, codes)


def check_mapping() -> dict[str, str]:
    """The national codes of ``KHO_DICTIONARY_MAPPING`` (none when unset); a file kho cannot
    use raises ``DictionaryMappingError``. Needs no schema: ``kho serve`` checks before it
    starts anything."""
    mapping = load_settings().dictionary_mapping
    return read_mapping(mapping, field_names()) if mapping is not None else {}


def current() -> tuple[Entry, ...]:
    """The dictionary with the national codes of ``KHO_DICTIONARY_MAPPING``, read once per
    process (the API reads it at startup, so a bad file stops it there)."""
    return _for_mapping(load_settings().dictionary_mapping)


def of_dataset(entries: tuple[Entry, ...], dataset: str | None) -> tuple[Entry, ...]:
    return entries if dataset is None else tuple(e for e in entries if e.dataset == dataset)
