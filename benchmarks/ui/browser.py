"""Loading the land page in Debian's Chromium through Playwright, one fresh context (cold
cache, no cookies or storage) per round, and reading back what the browser can tell.

The page is instrumented from the outside only, by an init script run in the document
before the page's own scripts: a MutationObserver notes ``performance.now()`` (milliseconds
since navigation started) when ``[data-testid=parcel-map]`` and ``[data-testid=parcel-table]``
each first reach ``data-state="ready"`` (or ``"error"``), and ``fetch`` is wrapped to note
when each GraphQL request was sent and whether it asks ``landParcels`` (the table's).
Everything else comes from the page's Performance API: navigation and resource timings
(DOMContentLoaded, the GeoJSON download and its size, the landParcels request's last byte).
"""

from __future__ import annotations

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

# Notes when the map and the table first become ready (or fail), resolving
# window.__khoBench.done once both are ready or either failed, and when each GraphQL
# request was sent by fetch (the wrapper only takes notes).
INIT_SCRIPT = """
(() => {
  const kinds = { 'parcel-map': 'map', 'parcel-table': 'table' };
  const seen = { map: null, table: null };
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
    if (state === 'error' || (seen.map && seen.table)) finish(seen);
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
  return {
    seen: seen || window.__khoBench.seen, timedOut: seen === null,
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
    geojson_start_ms: float
    geojson_wait_ms: float  # request start to first byte
    geojson_end_ms: float  # navigation start to its last byte
    geojson_bytes: int  # body as sent (encoded)
    geojson_decoded_bytes: int
    graphql_requests: int
    parcels_query_start_ms: float  # the table's landParcels request: sent
    parcels_query_end_ms: float  # its last byte
    drawn: int  # the map's data-parcel-count

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
    timing (the one that started when the wrapped fetch was called)."""
    sent = [q for q in read["graphql"] if q["landParcels"]]
    if not sent:
        raise PageFailed(f"the page sent no landParcels query by fetch "
                         f"({len(read['graphql'])} other GraphQL requests)")
    start = sent[0]["start"]
    entries = [r for r in read["resources"]
               if r["initiator"] == "fetch" and r["name"].split("?")[0].endswith("/graphql")]
    entry = min(entries, key=lambda r: abs(r["start"] - start), default=None)
    if entry is None or abs(entry["start"] - start) > 5:
        raise PageFailed("the landParcels request has no resource timing")
    return len(read["graphql"]), entry["start"], entry["end"]


def load_once(browser: Browser, url: str, expected: int, timeout_s: float) -> Round:
    """One cold load of the page at ``url`` in a fresh context, until usable; its figures.
    ``PageFailed`` when it fails, times out or draws other than ``expected`` parcels."""
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    try:
        page: Page = context.new_page()
        page.add_init_script(INIT_SCRIPT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        read = page.evaluate(READ_SCRIPT, timeout_s * 1000)
        driver_ms = (time.perf_counter() - started) * 1000
        seen = read["seen"]
        problems = "" if not errors else "; the page's errors: " + " | ".join(errors[:5])
        if read["timedOut"]:
            raise PageFailed(f"not usable within {timeout_s:g} s: map "
                             f"{_state(seen['map'])}, table {_state(seen['table'])}{problems}")
        for kind in ("map", "table"):
            if seen[kind]["state"] == "error":
                raise PageFailed(f"the {kind} failed: {seen[kind]['text']!r}{problems}")
        drawn = seen["map"]["count"]
        if drawn is None or not drawn.isdigit() or int(drawn) != expected:
            raise PageFailed(f"wrong answer: the map drew data-parcel-count={drawn!r}, the "
                             f"warehouse holds {expected:,} parcels of the commune")
        resources = read["resources"]
        geojson = [r for r in resources if GEOJSON_PATH in r["name"]]
        if len(geojson) != 1:
            raise PageFailed(f"expected one GeoJSON download, the page made {len(geojson)}")
        static = [r for r in resources if r["initiator"] in ("script", "link", "css", "other")
                  and "/static/" in r["name"]]
        count, query_start, query_end = _parcels_query(read)
        g = geojson[0]
        return Round(
            usable_ms=max(seen["map"]["at"], seen["table"]["at"]), driver_ms=driver_ms,
            map_ms=seen["map"]["at"], table_ms=seen["table"]["at"],
            ttfb_ms=read["navigation"]["responseStart"], dcl_ms=read["navigation"]["dcl"],
            static_files=len(static), static_bytes=sum(r["encoded"] for r in static),
            geojson_start_ms=g["start"], geojson_wait_ms=g["responseStart"] - g["start"],
            geojson_end_ms=g["end"], geojson_bytes=g["encoded"],
            geojson_decoded_bytes=g["decoded"], graphql_requests=count,
            parcels_query_start_ms=query_start, parcels_query_end_ms=query_end,
            drawn=int(drawn))
    finally:
        context.close()


def _state(seen: dict | None) -> str:
    return "still loading" if seen is None else seen["state"]


def measure(url: str, expected: int, rounds: int, warmup: int, timeout_s: float
            ) -> tuple[list[Round], str]:
    """``warmup`` untimed loads, then ``rounds`` measured; the measured rounds and the
    browser's version. The first failure stops everything (``PageFailed``)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(warmup):
                load_once(browser, url, expected, timeout_s)
            return ([load_once(browser, url, expected, timeout_s) for _ in range(rounds)],
                    browser.version)
        finally:
            browser.close()
