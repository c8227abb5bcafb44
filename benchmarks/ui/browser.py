"""Loading the planners' pages in Debian's Chromium through Playwright, one fresh context
(cold cache, no cookies or storage) per round, and reading back what the browser can tell.

The page is instrumented from the outside only, by an init script run in the document
before the page's own scripts: a MutationObserver notes ``performance.now()`` (milliseconds
since navigation started) when each element it waits for first reaches
``data-state="ready"`` (or ``"error"``): on the land page ``[data-testid=parcel-map]`` and
``[data-testid=parcel-table]``, on the overview ``[data-testid=overview]`` (its figures and
the province's choropleth drawn); and ``fetch`` is wrapped to note when each GraphQL
request was sent and whether it asks ``landParcels`` (the table's). Everything else comes
from the page's Performance API: navigation and resource timings (DOMContentLoaded, the
GeoJSON downloads and their size, the landParcels request's last byte).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from playwright.sync_api import Browser, Page, sync_playwright

from kho.settings import load_settings

# Debian's Chromium, as the browser tests use it (KHO_CHROMIUM points elsewhere).
CHROMIUM = load_settings().chromium
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}
GEOJSON_PATH = "/opendata/land_parcels.geojson"

LAND_PARTS = {"parcel-map": "map", "parcel-table": "table"}
OVERVIEW_PARTS = {"overview": "overview"}

# Notes when each part (test id -> name, %s) first becomes ready (or fails), resolving
# window.__khoBench.done once all are ready or one failed, and when each GraphQL request was
# sent by fetch (the wrapper only takes notes).
INIT_SCRIPT = """
(() => {
  const kinds = %s;
  const seen = Object.fromEntries(Object.values(kinds).map((kind) => [kind, null]));
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const graphql = [];
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const url = input instanceof Request ? input.url : String(input);
    if (url.split('?')[0].endsWith('/graphql') && init && typeof init.body === 'string') {
      graphql.push({ start: performance.now(),
                     landParcels: init.body.includes('landParcels(') });
    }
    return fetch.apply(window, arguments);
  };
  const look = (el) => {
    const kind = kinds[el.getAttribute && el.getAttribute('data-testid')];
    if (!kind || seen[kind]) return;
    const state = el.getAttribute('data-state');
    if (state !== 'ready' && state !== 'error') return;
    seen[kind] = { state, at: performance.now(), count: el.getAttribute('data-parcel-count'),
                   text: state === 'error' ? el.textContent.trim().slice(0, 1000) : null };
    if (state === 'error' || Object.values(seen).every(Boolean)) finish(seen);
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') look(record.target);
      for (const node of record.addedNodes || []) {
        if (node.nodeType !== 1) continue;
        look(node);
        node.querySelectorAll('[data-testid]').forEach(look);
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true,
                         attributeFilter: ['data-state', 'data-testid'] });
  Object.defineProperty(window, '__khoBench', { value: { seen, done, graphql } });
})();
"""

# Waits for the page to be usable (or to fail), at most ``ms``; then its timings.
READ_SCRIPT = """
async (ms) => {
  const seen = await Promise.race([window.__khoBench.done,
    new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
  const nav = performance.getEntriesByType('navigation')[0];
  const map = document.querySelector('[data-testid=parcel-map]');
  const choropleth = document.querySelector('[data-testid=commune-map]');
  return {
    seen: seen || window.__khoBench.seen, timedOut: seen === null,
    context: map && map.parcelMap ? map.parcelMap.context.length : null,
    outline: map ? map.dataset.outline || null : null,
    communes: choropleth ? Number(choropleth.dataset.communes) : null,
    graphql: window.__khoBench.graphql,
    navigation: { responseStart: nav.responseStart, dcl: nav.domContentLoadedEventEnd },
    resources: performance.getEntriesByType('resource').map((e) => ({
      name: e.name, initiator: e.initiatorType, start: e.startTime,
      responseStart: e.responseStart, end: e.responseEnd, transfer: e.transferSize,
      encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
  };
}
"""


class PageFailed(Exception):
    """The page did not become usable, or showed a wrong answer."""


@dataclass(frozen=True)
class Round:
    usable_ms: float  # navigation start to both map and table ready
    driver_ms: float  # the same, as this process saw it (page.goto to the answer)
    map_ms: float
    table_ms: float
    ttfb_ms: float  # navigation start to the HTML's first byte
    dcl_ms: float  # navigation start to DOMContentLoaded (end)
    static_files: int  # scripts and stylesheets fetched
    static_bytes: int
    geojson_downloads: int  # the filter's parcels, and the commune's whole for context
    geojson_start_ms: float  # the first sent
    geojson_wait_ms: float  # its request start to first byte
    geojson_end_ms: float  # navigation start to the last byte of the last
    geojson_bytes: int  # bodies as sent (encoded)
    geojson_decoded_bytes: int
    graphql_requests: int
    parcels_query_start_ms: float  # the table's landParcels request: sent
    parcels_query_end_ms: float  # its last byte
    drawn: int  # the map's data-parcel-count
    context: int  # the commune's other parcels drawn in grey around them

    @property
    def geojson_ms(self) -> float:
        return self.geojson_end_ms - self.geojson_start_ms

    @property
    def data_to_drawn_ms(self) -> float:
        return self.map_ms - self.geojson_end_ms

    @property
    def parcels_query_ms(self) -> float:
        return self.parcels_query_end_ms - self.parcels_query_start_ms


def _parcels_query(read: dict) -> tuple[int, float, float]:
    """How many GraphQL requests the page sent, and the table's landParcels request: when
    it was sent and when its last byte came (ms from navigation start), from its resource
    timing (the one that started when the wrapped fetch was called). A request the page
    aborted (sent again once the filter was known) has no timing: the last one that
    has is the one that filled the table."""
    sent = [q for q in read["graphql"] if q["landParcels"]]
    if not sent:
        raise PageFailed(f"the page sent no landParcels query by fetch "
                         f"({len(read['graphql'])} other GraphQL requests)")
    entries = [r for r in read["resources"]
               if r["initiator"] == "fetch" and r["name"].split("?")[0].endswith("/graphql")]
    for query in reversed(sent):
        entry = min(entries, key=lambda r: abs(r["start"] - query["start"]), default=None)
        if entry is not None and abs(entry["start"] - query["start"]) <= 5:
            return len(read["graphql"]), entry["start"], entry["end"]
    raise PageFailed(f"none of the {len(sent)} landParcels requests has a resource timing")


def _load(browser: Browser, url: str, parts: dict[str, str], timeout_s: float
          ) -> tuple[dict, float]:
    """One cold load of ``url`` in a fresh context until every part is ready: what the
    page read back, and the milliseconds the driver saw. ``PageFailed`` when a part fails or
    the page is not ready within ``timeout_s``, with the page's own errors."""
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    try:
        page: Page = context.new_page()
        page.add_init_script(INIT_SCRIPT % json.dumps(parts))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        read = page.evaluate(READ_SCRIPT, timeout_s * 1000)
        driver_ms = (time.perf_counter() - started) * 1000
    finally:
        context.close()
    seen = read["seen"]
    problems = "" if not errors else "; the page's errors: " + " | ".join(errors[:5])
    if read["timedOut"]:
        raise PageFailed(f"not usable within {timeout_s:g} s: " + ", ".join(
            f"{kind} {_state(seen[kind])}" for kind in parts.values()) + problems)
    for kind in parts.values():
        if seen[kind]["state"] == "error":
            raise PageFailed(f"the {kind} failed: {seen[kind]['text']!r}{problems}")
    return read, driver_ms


def load_once(browser: Browser, url: str, expected: tuple[int, int], timeout_s: float
              ) -> Round:
    """One cold load of the land page at ``url``, until usable; its figures. ``expected``:
    the parcels of the filter and the commune's others (drawn as context). ``PageFailed``
    when it fails, times out or draws other than expected."""
    read, driver_ms = _load(browser, url, LAND_PARTS, timeout_s)
    seen = read["seen"]
    drawn = seen["map"]["count"]
    if drawn is None or not drawn.isdigit() or int(drawn) != expected[0]:
        raise PageFailed(f"wrong answer: the map drew data-parcel-count={drawn!r}, the "
                         f"warehouse holds {expected[0]:,} parcels of the filter")
    if read["context"] != expected[1]:
        raise PageFailed(f"wrong answer: the map drew {read['context']} parcels as context, "
                         f"the commune holds {expected[1]:,} others")
    resources = read["resources"]
    geojson = sorted((r for r in resources if GEOJSON_PATH in r["name"]),
                     key=lambda r: r["start"])
    if len(geojson) != (2 if expected[1] else 1):
        raise PageFailed(f"expected {2 if expected[1] else 1} GeoJSON downloads, the page "
                         f"made {len(geojson)}")
    static = [r for r in resources if r["initiator"] in ("script", "link", "css", "other")
              and "/static/" in r["name"]]
    count, query_start, query_end = _parcels_query(read)
    first = geojson[0]
    return Round(
        usable_ms=max(seen["map"]["at"], seen["table"]["at"]), driver_ms=driver_ms,
        map_ms=seen["map"]["at"], table_ms=seen["table"]["at"],
        ttfb_ms=read["navigation"]["responseStart"], dcl_ms=read["navigation"]["dcl"],
        static_files=len(static), static_bytes=sum(r["encoded"] for r in static),
        geojson_downloads=len(geojson), geojson_start_ms=first["start"],
        geojson_wait_ms=first["responseStart"] - first["start"],
        geojson_end_ms=max(g["end"] for g in geojson),
        geojson_bytes=sum(g["encoded"] for g in geojson),
        geojson_decoded_bytes=sum(g["decoded"] for g in geojson), graphql_requests=count,
        parcels_query_start_ms=query_start, parcels_query_end_ms=query_end,
        drawn=int(drawn), context=read["context"])


@dataclass(frozen=True)
class OverviewRound:
    usable_ms: float  # navigation start to the figures and the choropleth drawn
    driver_ms: float
    dcl_ms: float
    graphql_requests: int
    graphql_bytes: int  # the answers' bodies as sent
    parcel_downloads: int  # GeoJSON of parcels fetched: none, it is drawn from aggregates
    communes: int  # the choropleth's communes


def overview_once(browser: Browser, url: str, expected: int, timeout_s: float
                  ) -> OverviewRound:
    """One cold load of a province's overview, until its figures and its communes' map are
    drawn; ``PageFailed`` unless the map places ``expected`` communes."""
    read, driver_ms = _load(browser, url, OVERVIEW_PARTS, timeout_s)
    if read["communes"] != expected:
        raise PageFailed(f"wrong answer: the choropleth placed {read['communes']} communes, "
                         f"the province has {expected:,} with a centre")
    graphql = [r for r in read["resources"]
               if r["initiator"] == "fetch" and r["name"].split("?")[0].endswith("/graphql")]
    return OverviewRound(
        usable_ms=read["seen"]["overview"]["at"], driver_ms=driver_ms,
        dcl_ms=read["navigation"]["dcl"], graphql_requests=len(read["graphql"]),
        graphql_bytes=sum(r["encoded"] for r in graphql),
        parcel_downloads=sum(GEOJSON_PATH in r["name"] for r in read["resources"]),
        communes=read["communes"])


def _state(seen: dict | None) -> str:
    return "still loading" if seen is None else seen["state"]


def measure(pages: list[tuple[str, object, object]], rounds: int, warmup: int,
            timeout_s: float) -> tuple[list[list], str]:
    """For each (url, load function, expected): ``warmup`` untimed loads, then ``rounds``
    measured, the pages alternating round by round; the measured rounds of each page and the
    browser's version. The first failure stops everything (``PageFailed``)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(warmup):
                for url, load, expected in pages:
                    load(browser, url, expected, timeout_s)
            measured: list[list] = [[] for _ in pages]
            for _ in range(rounds):
                for i, (url, load, expected) in enumerate(pages):
                    measured[i].append(load(browser, url, expected, timeout_s))
            return measured, browser.version
        finally:
            browser.close()
