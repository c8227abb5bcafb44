"""``dataDictionary``: the data dictionary's entries, open to every caller (it is metadata,
not data)."""

from __future__ import annotations

import strawberry

from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import open_
from graphql_api.core.errors import BAD_USER_INPUT, CodedError
from graphql_api.dictionary import entries
from graphql_api.opendata.catalogue import BY_NAME, DataClassification


@strawberry.type(description="One field kho shares, as the common data dictionary "
                             "describes it (Decree 278/2025).")
class DataDictionaryEntry:
    field: str = strawberry.field(description="Type.field, e.g. LandParcel.areaM2.")
    dataset: str = strawberry.field(description="The catalogue's dataset (datasets.name).")
    type_name: str
    field_name: str
    graphql_type: str = strawberry.field(description="The field's type in the schema.")
    description_vi: str
    description_en: str
    classification: DataClassification = strawberry.field(
        description="What the field is, as the API enforces it: open, shared or personal.")
    grant: str | None = strawberry.field(
        description="The grant a client needs (DATASET:CLASS; any: any sectoral dataset; "
                    "through: the dataset the person was reached through); null when open.")
    owning_agency: str
    source_system: str = strawberry.field(
        description="Where the value comes from: land, enterprise, civil_registry, cadre "
                    "(the agencies' systems), reference (kho's reference lists) or kho "
                    "(IDs, links and figures kho derives).")
    source_column: str = strawberry.field(
        description="The warehouse column (schema.table.column) or table the value is "
                    "read from.")
    agency_columns: list[str] = strawberry.field(
        description="The agency systems' own columns the value is read from, as table.column "
                    "in their databases (thua_dat.so_thua, khai_sinh.ngay_sinh); empty for "
                    "what kho derives or its reference lists give.")
    download_column: str | None = strawberry.field(
        description="The column of the dataset's open download that holds the value.")
    update_frequency: str = strawberry.field(
        description="continuous (with every publication) or irregular.")
    licence: str | None = strawberry.field(description="For open data.")
    national_code: str | None = strawberry.field(
        description="The national data dictionary's code, from the operator's mapping "
                    "file (KHO_DICTIONARY_MAPPING); null where none is mapped.")


def entry_type(entry: entries.Entry) -> DataDictionaryEntry:
    values = {name: getattr(entry, name) for name in entries.COLUMNS}
    values["classification"] = DataClassification(entry.classification)
    values["agency_columns"] = list(entry.agency_columns)
    return DataDictionaryEntry(**values)


def known_dataset(dataset: str | None) -> str | None:
    if dataset is not None and dataset not in BY_NAME:
        raise CodedError(f"no dataset {dataset!r}; the datasets are "
                         f"{', '.join(BY_NAME)}", BAD_USER_INPUT)
    return dataset


@strawberry.type
class DataDictionaryQueries:
    @strawberry.field(description="The common data dictionary: every field kho shares, in "
                                  "Vietnamese and English, with its classification, owner, "
                                  "source, update frequency, licence and national code.")
    def data_dictionary(self, dataset: str | None = None) -> list[DataDictionaryEntry]:
        chosen = entries.of_dataset(entries.current(), known_dataset(dataset))
        return [entry_type(entry) for entry in chosen]


CLASSIFICATION = Classification(types={"DataDictionaryEntry": open_()})
