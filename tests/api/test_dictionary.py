"""The data dictionary over HTTP: ``dataDictionary`` for an anonymous caller, the two
downloads, the DCAT catalogue (parsed, its distributions fetched), and the operator's
mapping of national codes, shown when good and refusing the API's start when not."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import httpx
import pytest

from graphql_api.dictionary import entries
from graphql_api.dictionary.mapping import DICTIONARY_MAPPING_INVALID
from graphql_api.opendata.catalogue import BY_NAME, CATALOGUE
from tests.api.helpers import codes
from tests.conftest import running_api

FIELDS = ("field dataset typeName fieldName graphqlType descriptionVi descriptionEn "
          "classification grant owningAgency sourceSystem sourceColumn agencyColumns "
          "downloadColumn "
          "updateFrequency licence nationalCode")
DCAT, DCTERMS = "dcat:", "dcterms:"
OPEN = [spec.name for spec in CATALOGUE if spec.data_class.label == "open"]


def anonymous(api: str, query: str) -> dict:
    """A GraphQL request without a key: the dictionary is metadata, open to everyone."""
    response = httpx.post(f"{api}/graphql", json={"query": query}, timeout=60)
    return response.json()


def ok(api: str, query: str) -> dict:
    body = anonymous(api, query)
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_anonymous_callers_read_the_dictionary(api):
    every = ok(api, f"{{ dataDictionary {{ {FIELDS} }} }}")["dataDictionary"]
    assert len(every) == len(entries.field_names())
    by_field = {entry["field"]: entry for entry in every}
    parcel_area = by_field["LandParcel.areaM2"]
    assert parcel_area["classification"] == "OPEN" and parcel_area["grant"] is None
    assert parcel_area["licence"] == "CC BY 4.0"
    assert parcel_area["downloadColumn"] == "area_m2"
    assert parcel_area["sourceColumn"] == "marts.dim_land_parcel.area_m2"
    assert parcel_area["agencyColumns"] == ["thua_dat.dien_tich"]
    assert parcel_area["descriptionVi"] and parcel_area["descriptionEn"]
    assert parcel_area["owningAgency"] == BY_NAME["land_parcels"].owner
    assert parcel_area["nationalCode"] is None
    # Personal fields are described too (their description is metadata), with their grant.
    holder = by_field["LandRight.holderName"]
    assert (holder["classification"], holder["grant"]) == ("PERSONAL", "land:personal")
    assert by_field["Person.personalIdNumber"]["grant"] == "through:personal"
    assert all(entry["descriptionVi"] and entry["descriptionEn"] for entry in every)


def test_the_dictionary_filters_by_dataset(api):
    land = ok(api, '{ dataDictionary(dataset: "land_rights") { field dataset } }')
    assert land["dataDictionary"]
    assert {entry["dataset"] for entry in land["dataDictionary"]} == {"land_rights"}
    assert {entry["field"].split(".")[0] for entry in land["dataDictionary"]} == {
        "LandRight", "LandTransfer"}
    body = anonymous(api, '{ dataDictionary(dataset: "land_right") { field } }')
    assert codes(body) == ["BAD_USER_INPUT"]


def test_the_dictionary_downloads(api):
    answer = httpx.get(f"{api}/opendata/dictionary.json", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    assert [d["name"] for d in document["datasets"]] == [spec.name for spec in CATALOGUE]
    assert all(d["description_vi"] and d["description_en"] for d in document["datasets"])
    assert len(document["fields"]) == len(entries.field_names())
    assert set(document["fields"][0]) == set(entries.COLUMNS)

    answer = httpx.get(f"{api}/opendata/dictionary.csv", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == entries.COLUMNS
    assert [row["field"] for row in rows] == [field["field"] for field in document["fields"]]
    area = next(row for row in rows if row["field"] == "LandParcel.areaM2")
    assert (area["classification"], area["download_column"]) == ("open", "area_m2")
    birth = next(row for row in rows if row["field"] == "Person.birthDate")
    assert "khai_sinh.ngay_sinh" in birth["agency_columns"].split(";")

    one = httpx.get(f"{api}/opendata/dictionary.csv", params={"dataset": "enterprises"},
                    timeout=30)
    assert {row["dataset"] for row in csv.DictReader(io.StringIO(one.text))} == {
        "enterprises"}
    for url, params in (("dictionary.json", {"dataset": "nope"}),
                        ("dictionary.csv", {"datset": "land_parcels"}),
                        ("catalog.jsonld", {"dataset": "land_parcels"})):
        refused = httpx.get(f"{api}/opendata/{url}", params=params, timeout=30)
        assert refused.status_code == 400, url
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _texts(values) -> dict[str, str]:
    return {value["@language"]: value["@value"] for value in values}


def test_the_dcat_catalogue_lists_the_open_datasets_and_their_downloads(api):
    answer = httpx.get(f"{api}/opendata/catalog.jsonld", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    catalog = answer.json()
    context = catalog["@context"]
    assert isinstance(context, dict)  # inline: nothing to fetch
    assert context["dcat"] == "http://www.w3.org/ns/dcat#"
    assert context["dcterms"] == "http://purl.org/dc/terms/"
    assert catalog["@type"] == f"{DCAT}Catalog"
    assert set(_texts(catalog[f"{DCTERMS}title"])) == {"vi", "en"}
    assert catalog[f"{DCTERMS}modified"]  # the deployment has published
    datasets = catalog[f"{DCAT}dataset"]
    assert [d[f"{DCTERMS}identifier"] for d in datasets] == OPEN
    listed = set()
    for dataset in datasets:
        spec = BY_NAME[dataset[f"{DCTERMS}identifier"]]
        assert dataset["@type"] == f"{DCAT}Dataset"
        assert _texts(dataset[f"{DCTERMS}title"]) == {"vi": spec.title_vi, "en": spec.title_en}
        assert _texts(dataset[f"{DCTERMS}description"]) == {
            "vi": spec.description_vi, "en": spec.description}
        assert dataset[f"{DCTERMS}publisher"]["foaf:name"] == spec.owner
        assert dataset[f"{DCTERMS}license"] == "https://creativecommons.org/licenses/by/4.0/"
        assert dataset[f"{DCTERMS}modified"] == catalog[f"{DCTERMS}modified"]
        described = httpx.get(dataset[f"{DCTERMS}conformsTo"], timeout=30).json()
        assert {f["dataset"] for f in described["fields"]} == {spec.name}
        distributions = dataset[f"{DCAT}distribution"]
        assert distributions
        for distribution in distributions:
            assert distribution["@type"] == f"{DCAT}Distribution"
            url = distribution[f"{DCAT}downloadURL"]
            assert url.startswith(f"{api}/opendata/{spec.name}.")
            listed.add(url.removeprefix(api))
            media_type = distribution[f"{DCAT}mediaType"].removeprefix(
                "https://www.iana.org/assignments/media-types/")
            with httpx.stream("GET", url, timeout=120) as download:
                assert download.status_code == 200, url
                assert download.headers["content-type"].startswith(media_type), url
                assert next(download.iter_bytes())
    # Every download of the catalogue's datasets, and no other.
    expected = set()
    for spec in CATALOGUE:
        if spec.name in OPEN:
            expected |= {f"/opendata/{spec.name}.csv"} | (
                {f"/opendata/{spec.name}.geojson"} if spec.geojson else set())
    assert listed == expected


def test_the_mapping_names_fields_by_national_codes(deployment, tmp_path):
    mapping = tmp_path / "national-codes.csv"
    mapping.write_text("field,national_code\nLandParcel.areaM2,TD.DIEN_TICH\n"
                       "Person.fullName,CD.HO_TEN\n", encoding="utf-8")
    with running_api(deployment, {"KHO_DICTIONARY_MAPPING": str(mapping)}) as base:
        every = ok(base, "{ dataDictionary { field nationalCode } }")["dataDictionary"]
        coded = {e["field"]: e["nationalCode"] for e in every if e["nationalCode"]}
        assert coded == {"LandParcel.areaM2": "TD.DIEN_TICH", "Person.fullName": "CD.HO_TEN"}
        rows = csv.DictReader(io.StringIO(
            httpx.get(f"{base}/opendata/dictionary.csv", timeout=30).text))
        assert {r["field"]: r["national_code"] for r in rows if r["national_code"]} == coded
        fields = httpx.get(f"{base}/opendata/dictionary.json", timeout=30).json()["fields"]
        assert {f["field"]: f["national_code"] for f in fields if f["national_code"]} == coded


@pytest.mark.parametrize(("text", "says"), [
    ("field,national_code\nLandParcel.areaM3,TD.DIEN_TICH\n", "'LandParcel.areaM3'"),
    ("field;national_code\nLandParcel.areaM2;TD.DIEN_TICH\n", "line 1 must be the header"),
])
def test_a_mapping_kho_cannot_use_stops_the_api(deployment, tmp_path, text, says):
    mapping = tmp_path / "national-codes.csv"
    mapping.write_text(text, encoding="utf-8")
    served = subprocess.run(
        [sys.executable, "-m", "kho.cli", "serve", "--port", "1"],
        env={**deployment.env, "KHO_DICTIONARY_MAPPING": str(mapping)},
        capture_output=True, text=True, timeout=120)
    assert served.returncode == 1
    assert f"error: {DICTIONARY_MAPPING_INVALID}: KHO_DICTIONARY_MAPPING names" \
        in served.stderr
    assert says in served.stderr
