"""What the page's data costs without a browser: the same GeoJSON fetched with httpx, and the
same commune's parcels selected with psycopg, each timed over as many rounds as the page."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import orjson
from psycopg import sql

from graphql_api.opendata.catalogue import BY_NAME
from kho import db

PARCELS = BY_NAME["land_parcels"]


@dataclass(frozen=True)
class Fetch:
    seconds: list[float]
    first_byte: list[float]
    size: int
    features: int


def commune_column(generation: str) -> sql.Identifier:
    return sql.Identifier(f"{generation}_commune_code")


def parcel_count(url: str, generation: str, code: str) -> int:
    """Parcels of the commune in the published marts: what the map must draw."""
    with db.connect(url) as conn:
        return conn.execute(sql.SQL("select count(*) from {} where {} = %s").format(
            sql.Identifier("marts", PARCELS.mart), commune_column(generation)),
            (code,)).fetchone()[0]


def fetch_geojson(url: str, params: dict[str, str], rounds: int) -> Fetch:
    """GET the GeoJSON ``rounds`` times, a new connection each, reading the whole body;
    checked: HTTP 200 and a FeatureCollection (its features are counted once)."""
    seconds, first_byte, body = [], [], b""
    for _ in range(rounds):
        with httpx.Client(timeout=120) as client:
            started = time.perf_counter()
            with client.stream("GET", url, params=params) as response:
                chunks = response.iter_bytes()
                first = next(chunks, b"")
                first_byte.append(time.perf_counter() - started)
                body = first + b"".join(chunks)
            seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: HTTP {response.status_code}: {body[:2000]!r}")
    collection = orjson.loads(body)
    if collection.get("type") != "FeatureCollection":
        raise SystemExit(f"GET {url}: not a FeatureCollection: {body[:2000]!r}")
    return Fetch(seconds, first_byte, len(body), len(collection["features"]))


def select_parcels(url: str, generation: str, code: str, rounds: int) -> list[float]:
    """Seconds of selecting the download's columns of the commune's parcels, in its order,
    and fetching every row, ``rounds`` times over one connection."""
    statement = sql.SQL("select {} from {} where {} = %s order by 1").format(
        sql.SQL(", ").join(map(sql.Identifier, PARCELS.columns)),
        sql.Identifier("marts", PARCELS.mart), commune_column(generation))
    seconds = []
    with db.connect(url, autocommit=True) as conn:
        for _ in range(rounds):
            started = time.perf_counter()
            conn.execute(statement, (code,)).fetchall()
            seconds.append(time.perf_counter() - started)
    return seconds
