"""The data dictionary describes exactly the fields kho shares, in both languages, with the
classification the API enforces; the operator's mapping file is read in full or refused.
(Over HTTP, against a deployment: tests/api/test_dictionary.py.)"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from graphql import build_schema

from graphql_api.access.grants import DataClass
from graphql_api.dictionary import entries
from graphql_api.dictionary.mapping import (
    DICTIONARY_MAPPING_INVALID,
    DictionaryMappingError,
    read_mapping,
)
from graphql_api.opendata.catalogue import BY_NAME, CATALOGUE
from graphql_api.schema import FIELD_RULES, SCHEMA_FILE, schema
from kho.settings import SettingsError


def test_every_shared_field_is_described_and_nothing_else():
    assert entries.problems(schema._schema) == []
    built = entries.build(schema._schema, FIELD_RULES, {})
    shared = {f"{name}.{field}" for name, type_ in entries.shared_types(schema._schema).items()
              for field in type_.fields}
    assert {entry.field for entry in built} == shared
    assert len(built) == len(shared)  # described once
    for entry in built:
        assert entry.description_vi.strip() and entry.description_en.strip(), entry.field


def test_a_field_added_to_the_schema_without_a_description_is_named():
    """The check walks the schema: a new field, a new type, and a field the schema no
    longer has each make it fail."""
    sdl = SCHEMA_FILE.read_text()
    grown = sdl.replace("type LandParcel implements Node {",
                        "type LandParcel implements Node {\n  roofColour: String", 1)
    grown += "\ntype Orchard {\n  treeCount: Int\n}\n"
    found = entries.problems(build_schema(grown))
    assert "LandParcel.roofColour has no row in fields.csv" in found
    assert "type Orchard is neither in TYPE_DATASETS nor in NOT_SHARED" in found
    shrunk = sdl.replace("  parcelNumber: Int\n", "", 1)
    assert shrunk != sdl
    assert ("fields.csv describes LandParcel.parcelNumber, which the schema does not share"
            in entries.problems(build_schema(shrunk)))


def test_every_catalogue_dataset_and_shared_type_is_in_the_dictionary():
    assert set(entries.TYPE_DATASETS.values()) == set(BY_NAME)
    assert set(entries.TYPE_DATASETS) == set(entries.TYPE_SOURCES)
    for spec in CATALOGUE:
        assert spec.description_vi.strip() and spec.description.strip()


def test_classification_is_the_access_rules_own():
    for entry in entries.build(schema._schema, FIELD_RULES, {}):
        need = FIELD_RULES[entry.field].need
        assert entry.classification == need.data_class.label
        assert entry.grant == (None if need.data_class is DataClass.OPEN else str(need))
    by_field = {e.field: e for e in entries.build(schema._schema, FIELD_RULES, {})}
    assert by_field["LandParcel.areaM2"].classification == "open"
    assert by_field["LandParcel.areaM2"].licence == "CC BY 4.0"
    assert by_field["LandRight.holderName"].grant == "land:personal"
    assert by_field["LandRight.holderName"].licence is None
    assert by_field["Person.birthDate"].grant == "through:personal"


def test_every_column_of_the_open_downloads_is_described():
    built = entries.build(schema._schema, FIELD_RULES, {})
    for spec in CATALOGUE:
        if spec.data_class is DataClass.OPEN:
            described = {e.download_column for e in built
                         if e.dataset == spec.name and e.download_column}
            assert set(spec.columns) == described, spec.name


def _mapping(tmp_path, text: str | bytes):
    path = tmp_path / "national-codes.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_mapping_names_fields_by_national_codes(tmp_path):
    path = _mapping(tmp_path, "field,national_code\nLandParcel.areaM2,TD.DIEN_TICH\n\n"
                              "Person.fullName, CD.HO_TEN\n")
    codes = read_mapping(path, entries.field_names())
    assert codes == {"LandParcel.areaM2": "TD.DIEN_TICH", "Person.fullName": "CD.HO_TEN"}
    built = {e.field: e for e in entries.build(schema._schema, FIELD_RULES, codes)}
    assert built["LandParcel.areaM2"].national_code == "TD.DIEN_TICH"
    assert built["LandParcel.parcelNumber"].national_code is None


@pytest.mark.parametrize(("text", "says"), [
    ("field,national_code\nLandParcel.areaM3,TD.DIEN_TICH\n",
     "line 2 names 'LandParcel.areaM3', which is no field of the data dictionary"),
    ("field,code\nLandParcel.areaM2,TD.DIEN_TICH\n", "line 1 must be the header"),
    ("", "line 1 must be the header field,national_code, got 'an empty file'"),
    ("field,national_code\nLandParcel.areaM2,TD.DIEN_TICH,extra\n", "line 2 has 3 columns"),
    ("field,national_code\nLandParcel.areaM2,\n", "line 2 gives LandParcel.areaM2 the code ''"),
    ("field,national_code\nLandParcel.areaM2,TD DIEN TICH\n", "without spaces"),
    ("field,national_code\nLandParcel.areaM2,A\nLandParcel.areaM2,B\n",
     "line 3 names LandParcel.areaM2 a second time"),
    ("field,national_code\nLandParcel.areaM2,\"TD\n", "is not CSV"),
    (b"field,national_code\nLandParcel.areaM2,\xff\n", "is not UTF-8 text"),
])
def test_a_mapping_kho_cannot_use_is_refused_with_its_code(tmp_path, text, says):
    path = _mapping(tmp_path, text)
    with pytest.raises(DictionaryMappingError) as raised:
        read_mapping(path, entries.field_names())
    assert raised.value.code == DICTIONARY_MAPPING_INVALID
    assert isinstance(raised.value, SettingsError)
    message = str(raised.value)
    assert message.startswith(f"{DICTIONARY_MAPPING_INVALID}: KHO_DICTIONARY_MAPPING names")
    assert says in message, message


def test_a_missing_mapping_file_is_refused(tmp_path):
    with pytest.raises(DictionaryMappingError, match="cannot be read"):
        read_mapping(tmp_path / "absent.csv", entries.field_names())


def _kho(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kho.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_kho_dictionary_check(tmp_path, monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env["KHO_HOME"] = str(tmp_path / "home")
    plain = _kho("dictionary", "check", env=env)
    assert plain.returncode == 0, plain.stderr
    assert f"describes {len(entries.field_names())} fields of 7 datasets" in plain.stdout
    good = _mapping(tmp_path, "field,national_code\nLandParcel.areaM2,TD.DIEN_TICH\n")
    mapped = _kho("dictionary", "check", env={**env, "KHO_DICTIONARY_MAPPING": str(good)})
    assert mapped.returncode == 0, mapped.stderr
    assert "1 have a national code" in mapped.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("field,national_code\nParcel.area,X\n", encoding="utf-8")
    refused = _kho("dictionary", "check", env={**env, "KHO_DICTIONARY_MAPPING": str(bad)})
    assert refused.returncode == 1
    assert f"error: {DICTIONARY_MAPPING_INVALID}" in refused.stderr
    assert "'Parcel.area'" in refused.stderr


def test_the_fields_file_is_well_formed():
    with entries.FIELDS_FILE.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert tuple(rows[0]) == entries.FIELDS_HEADER
    assert all(len(row) == len(entries.FIELDS_HEADER) for row in rows)
    fields = [row[0] for row in rows[1:]]
    assert len(fields) == len(set(fields))


def test_agency_columns_name_the_agencies_own_columns(monkeypatch):
    """Each field read from an agency names the agency's own columns behind it (a value the
    register keeps, a person's name as every register writes it), each one a column of a
    source's contract; a column no contract holds is named as a problem."""
    described = entries.descriptions()
    assert described["LandParcel.parcelNumber"].agency_columns == ("thua_dat.so_thua",)
    assert set(described["Person.birthDate"].agency_columns) >= {
        "khai_sinh.ngay_sinh", "ho_so_can_bo.ngay_sinh", "chu_su_dung.ngay_sinh"}
    assert described["Employment.salaryCoefficient"].agency_columns == (
        "qua_trinh_cong_tac.he_so_luong",)
    assert described["Person.mentionCount"].agency_columns == ()  # kho counts them
    # Every field of an agency's own type that is a value of one of its records says where
    # in the agency's tables it comes from.
    for field, row in described.items():
        type_name = field.split(".")[0]
        if entries.TYPE_SOURCES[type_name] in ("land", "enterprise", "civil_registry",
                                                 "cadre") and row.source_system == "":
            column = row.source_column.rsplit(".", 1)[-1]
            if not column.endswith("_id") and column not in ("organization_type",
                                                            "holder_type", "role",
                                                            "event_type", "parcel_count"):
                assert row.agency_columns, field
    broken = dict(described)
    area = broken["LandParcel.areaM2"]
    broken["LandParcel.areaM2"] = entries.Description(area.vi, area.en, area.source_system,
                                                      area.source_column,
                                                      ("thua_dat.dien_tich_m2",))
    monkeypatch.setattr(entries, "descriptions", lambda: broken)
    assert ("LandParcel.areaM2 names 'thua_dat.dien_tich_m2', which no agency table's "
            "contract holds") in entries.problems(schema._schema)
