"""The dictionary and the catalogue as files, next to the open-data downloads:
``/opendata/dictionary.json`` (the datasets and every field), ``/opendata/dictionary.csv``
(the fields, one a row) and ``/opendata/catalog.jsonld`` (the open datasets as a DCAT
catalogue in JSON-LD). Metadata, so open to every caller; admitted by the gate (keys, rate
limits) and logged like the downloads.

The JSON-LD's ``@context`` is written out in the file: a reader needs no network to expand
it, and kho fetches nothing to write it. Its URLs are absolute, built on the address the
request was sent to (behind a proxy, the ``Host`` it forwards)."""

from __future__ import annotations

import csv
import datetime
import io
import json

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graphql_api.access import log_writer
from graphql_api.access.gate import RETRY_AFTER_SECONDS, Gate, refusal
from graphql_api.access.grants import DataClass
from graphql_api.access.log_writer import AccessLog
from graphql_api.core.database import Database, Session
from graphql_api.core.errors import BAD_USER_INPUT, INTERNAL_SERVER_ERROR, CodedError
from graphql_api.dictionary import entries
from graphql_api.dictionary.queries import known_dataset
from graphql_api.opendata.catalogue import (
    CATALOGUE,
    CONTINUOUS,
    LAST_PUBLICATION,
    LICENCE,
    LICENCE_URL,
    DatasetSpec,
    download_urls,
)

JSON_LD = "application/ld+json"
CSV = "text/csv; charset=utf-8"
MEDIA_TYPES = {".csv": "text/csv", ".geojson": "application/geo+json",
               ".json": "application/json"}
FORMATS = {".csv": "CSV", ".geojson": "GeoJSON", ".json": "JSON"}
IANA = "https://www.iana.org/assignments/media-types/"
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {CONTINUOUS: "CONT", "irregular": "IRREG"}
CATALOGUE_TITLE = ("Dữ liệu mở của kho dữ liệu chủ dùng chung của tỉnh",
                   "Open data of the province's shared master-data warehouse")
CATALOGUE_DESCRIPTION = (
    "Các tập dữ liệu mở mà kho chia sẻ theo Nghị định 278/2025: tải về không cần khoá.",
    "The open datasets kho shares under Decree 278/2025: downloads need no key.")
# Written out so that no reader (and not kho) fetches a context from the network.
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcat:dataset": {"@container": "@set"},
    "dcat:distribution": {"@container": "@set"},
    "dcat:downloadURL": {"@type": "@id"},
    "dcat:accessURL": {"@type": "@id"},
    "dcat:mediaType": {"@type": "@id"},
    "dcterms:license": {"@type": "@id"},
    "dcterms:conformsTo": {"@type": "@id"},
    "dcterms:accrualPeriodicity": {"@type": "@id"},
    "dcterms:modified": {"@type": "xsd:dateTime"},
}


def _params(request: Request) -> str | None:
    """The one parameter the dictionary files take, ``dataset``; anything else is refused."""
    unknown = sorted(set(request.query_params) - {"dataset"})
    if unknown:
        raise CodedError(f"unknown parameter {unknown[0]!r}; the dictionary takes dataset",
                         BAD_USER_INPUT)
    values = request.query_params.getlist("dataset")
    if len(values) > 1:
        raise CodedError("dataset is given more than once", BAD_USER_INPUT)
    return known_dataset(values[0]) if values else None


def dictionary_json(dataset: str | None) -> dict:
    chosen = entries.of_dataset(entries.current(), dataset)
    return {
        "datasets": [{
            "name": spec.name, "title_vi": spec.title_vi, "title_en": spec.title_en,
            "description_vi": spec.description_vi, "description_en": spec.description,
            "classification": spec.data_class.label, "owning_agency": spec.owner,
            "update_frequency": spec.update_frequency,
            "licence": LICENCE if spec.data_class is DataClass.OPEN else None,
            "download_urls": download_urls(spec)}
            for spec in CATALOGUE if dataset in (None, spec.name)],
        "fields": [{name: getattr(entry, name) for name in entries.COLUMNS}
                   for entry in chosen]}


def dictionary_csv(dataset: str | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(entries.COLUMNS)
    for entry in entries.of_dataset(entries.current(), dataset):
        writer.writerow(["" if value is None else ";".join(value) if isinstance(value, tuple)
                         else value
                         for value in (getattr(entry, name) for name in entries.COLUMNS)])
    return out.getvalue()


def _texts(vi: str, en: str) -> list[dict]:
    return [{"@value": vi, "@language": "vi"}, {"@value": en, "@language": "en"}]


def _distribution(base: str, url: str, spec: DatasetSpec) -> dict:
    suffix = url[url.rindex("."):]
    return {"@id": base + url, "@type": "dcat:Distribution",
            "dcterms:title": f"{spec.title_en} ({FORMATS[suffix]})",
            "dcat:downloadURL": base + url, "dcat:accessURL": base + url,
            "dcat:mediaType": IANA + MEDIA_TYPES[suffix], "dcterms:format": FORMATS[suffix],
            "dcterms:license": LICENCE_URL}


def catalog(base: str, published_at: datetime.datetime | None) -> dict:
    """The open datasets as a DCAT catalogue; ``base``: the API's URL, without a slash."""
    modified = published_at.isoformat() if published_at is not None else None
    datasets = []
    for spec in CATALOGUE:
        if spec.data_class is not DataClass.OPEN:
            continue
        dictionary = f"{base}/opendata/dictionary.json?dataset={spec.name}"
        dataset = {
            "@id": f"{base}/opendata/catalog.jsonld#{spec.name}", "@type": "dcat:Dataset",
            "dcterms:identifier": spec.name,
            "dcterms:title": _texts(spec.title_vi, spec.title_en),
            "dcterms:description": _texts(spec.description_vi, spec.description),
            "dcterms:publisher": {"@type": "foaf:Agent", "foaf:name": spec.owner},
            "dcterms:license": LICENCE_URL,
            "dcterms:accrualPeriodicity": FREQUENCY + FREQUENCIES[spec.update_frequency],
            "dcterms:conformsTo": dictionary,
            "dcat:distribution": [_distribution(base, url, spec)
                                  for url in download_urls(spec)]}
        if modified is not None:
            dataset["dcterms:modified"] = modified
        datasets.append(dataset)
    document = {
        "@context": CONTEXT, "@id": f"{base}/opendata/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dcterms:title": _texts(*CATALOGUE_TITLE),
        "dcterms:description": _texts(*CATALOGUE_DESCRIPTION),
        "dcterms:publisher": {"@type": "foaf:Agent", "foaf:name": "kho"},
        "dcterms:license": LICENCE_URL,
        "dcat:dataset": datasets}
    if modified is not None:
        document["dcterms:modified"] = modified
    return document


class DictionaryFiles:
    """The three routes; each admitted by the gate and logged, refused or not."""

    def __init__(self, database: Database, gate: Gate, access_log: AccessLog | None):
        self.database, self.gate, self.access_log = database, gate, access_log

    async def _answer(self, request: Request, name: str, make) -> Response:
        operation = f"download {name}"
        admitted = await self.gate.admit(request, operation)
        if isinstance(admitted, Response):
            return admitted
        parameters = {key: request.query_params.getlist(key) for key in request.query_params}

        def record(outcome: str, code: str | None = None) -> None:
            if self.access_log is not None:
                self.access_log.record(log_writer.entry(
                    admitted, outcome, operation_type=operation,
                    variables=parameters or None, error_codes=[code] if code else []))

        try:
            response = await make(request)
        except Exception as err:
            coded = err if isinstance(err, CodedError) else self.database.coded_error(err)
            if coded is None:
                record("failed", INTERNAL_SERVER_ERROR)
                raise
            code = coded.extensions["code"]
            record("failed", code)
            status = coded.http_status or 400
            return refusal(coded.message, code, status,
                           {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None)
        record("ok")
        return response

    async def json(self, request: Request) -> Response:
        async def make(request):
            return JSONResponse(dictionary_json(_params(request)))
        return await self._answer(request, "dictionary.json", make)

    async def csv(self, request: Request) -> Response:
        async def make(request):
            return Response(dictionary_csv(_params(request)), media_type=CSV, headers={
                "Content-Disposition": 'attachment; filename="dictionary.csv"'})
        return await self._answer(request, "dictionary.csv", make)

    async def catalog(self, request: Request) -> Response:
        async def make(request):
            if request.query_params:
                raise CodedError("the catalogue takes no parameters", BAD_USER_INPUT)
            try:
                row = await Session(self.database).fetch_one(LAST_PUBLICATION)
            except psycopg.errors.UndefinedTable:
                row = None
            base = str(request.base_url).rstrip("/")
            body = json.dumps(catalog(base, row["published_at"] if row else None),
                              ensure_ascii=False)
            return Response(body, media_type=JSON_LD)
        return await self._answer(request, "catalog.jsonld", make)
