"""The planners' web UI in a real browser: Playwright driving Debian's Chromium against
``kho serve`` on the API tests' seeded warehouse. What the pages show is checked against the
warehouse itself. Screenshots of the land map and the enterprise overview are saved to
``artifacts/ui/`` (or ``$KHO_TEST_ARTIFACTS/ui``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import create_client, running_api

CHROMIUM = os.environ.get("KHO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
ARTIFACTS = Path(os.environ.get("KHO_TEST_ARTIFACTS",
                                Path(__file__).parents[2] / "artifacts")) / "ui"
READY = 15_000  # ms a page may take to settle in a test (a ceiling, not a measurement)


@pytest.fixture(scope="module")
def ui(deployment):
    """``kho serve`` for the browser: the pages make many anonymous requests from one
    address, more than the default per-address limit allows a test run."""
    with running_api(deployment, env={"KHO_RATE_LIMIT_ANONYMOUS": "1000000"}) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def fresh_page(browser, viewport: dict[str, int] = LAPTOP, **options) -> Iterator[Page]:
    """A page in a fresh browser context (no storage, no cache; ``options`` for
    ``new_context``); a script error fails the test."""
    context = browser.new_context(viewport=viewport, accept_downloads=True, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(READY)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


@pytest.fixture
def page(browser):
    with fresh_page(browser) as page:
        yield page


def land_ready(page: Page) -> None:
    expect(page.get_by_test_id("parcel-map")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("parcel-table")).to_have_attribute("data-state", "ready")


def table_parcel_ids(page: Page, legacy_commune: str | None = None) -> set[str]:
    """The parcels in the table's page (those registered in a former commune)."""
    rows = "[data-testid=parcel-table] tr[data-parcel-id]" + (
        f"[data-legacy-commune='{legacy_commune}']" if legacy_commune else "")
    return set(page.locator(rows).evaluate_all("rows => rows.map(row => row.dataset.parcelId)"))


def map_count(page: Page) -> int:
    return int(page.get_by_test_id("parcel-map").get_attribute("data-parcel-count"))


def map_parcel_ids(page: Page) -> set[str]:
    """The parcels the map has drawn."""
    return set(page.get_by_test_id("parcel-map").evaluate(
        "map => map.parcelMap.parcels.map(parcel => parcel.feature.id)"))


def logged_with(wh, purpose: str) -> int:
    """Access-log entries with this purpose, once the writer has had its moment."""
    deadline = time.monotonic() + 5
    while True:
        count = wh.execute("select count(*) from api.access_log where purpose = %s",
                           (purpose,)).fetchone()[0]
        if count or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def sign_in(page: Page, key: str, purpose: str = "") -> None:
    """Through the dialog, submitted with Enter as a planner would."""
    page.get_by_test_id("signin-button").click()
    page.get_by_test_id("signin-purpose").fill(purpose)
    page.get_by_test_id("signin-key").fill(key)
    page.get_by_test_id("signin-key").press("Enter")


def table_total(page: Page) -> int:
    return int(page.get_by_test_id("table-count").get_attribute("data-total"))


def screenshot(page: Page, name: str) -> None:
    """A test artefact: the page as the planner sees it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)
    assert (ARTIFACTS / name).stat().st_size > 20_000


def without_diacritics(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_a_commune_chosen_by_its_legacy_name_shows_its_parcels_under_its_current_name(
        ui, page, wh):
    # A former commune of another name than the current commune it became part of (whole).
    legacy, legacy_name, current, current_name = wh.execute("""
        select p.legacy_commune_code, l.admin_unit_name, p.current_commune_code,
               c.admin_unit_name
        from marts.dim_land_parcel as p
        join marts.dim_admin_unit as l
          on l.generation = 'legacy' and l.level = 'commune'
         and l.admin_unit_code = p.legacy_commune_code
        join marts.dim_admin_unit as c
          on c.generation = 'current' and c.level = 'commune'
         and c.admin_unit_code = p.current_commune_code
        where p.legacy_commune_code in (
            select legacy_commune_code from marts.dim_land_parcel
            group by 1 having count(distinct current_commune_code) = 1)
          and p.current_commune_code in (
            select current_commune_code from marts.dim_land_parcel
            group by 1 having count(*) <= 50)
        group by 1, 2, 3, 4
        order by (l.admin_unit_name = c.admin_unit_name), count(*) desc, 1
        limit 1""").fetchone()
    registered = {str(r[0]) for r in wh.execute(
        "select land_parcel_id from marts.dim_land_parcel where legacy_commune_code = %s",
        (legacy,))}
    now_there = {str(r[0]) for r in wh.execute(
        "select land_parcel_id from marts.dim_land_parcel where current_commune_code = %s",
        (current,))}
    assert registered and registered <= now_there

    page.goto(f"{ui}/?view=land")
    land_ready(page)
    # Typed without diacritics, the former commune is offered, marked as a former name.
    words = without_diacritics(legacy_name).split()
    page.get_by_test_id("commune-search").fill(" ".join(words[1:]) or words[0])
    choice = page.locator(f"[data-testid=commune-results] button[data-unit='legacy:{legacy}']")
    expect(choice).to_contain_text(legacy_name)
    choice.click()
    expect(page.get_by_test_id("area-name")).to_have_text(legacy_name)
    expect(page.get_by_test_id("area-selection")).to_contain_text(current_name)
    land_ready(page)
    assert query(page)["unit"] == f"legacy:{legacy}"
    assert table_parcel_ids(page) == map_parcel_ids(page) == registered
    assert map_count(page) == table_total(page) == len(registered)

    # Under its current name: the same parcels, registered there under the former commune,
    # beside those of the other former communes merged into it.
    page.get_by_test_id("area-selection").get_by_role("link", name=current_name).click()
    expect(page.get_by_test_id("area-name")).to_have_text(current_name)
    land_ready(page)
    assert query(page)["unit"] == f"current:{current}"
    assert table_parcel_ids(page) == map_parcel_ids(page) == now_there
    assert table_parcel_ids(page, legacy_commune=legacy) == registered


def busiest_commune(wh) -> tuple[str, str]:
    return wh.execute("select current_commune_code, mode() within group (order by "
                      "land_use_code) from marts.dim_land_parcel group by 1 "
                      "order by count(*) desc, 1 limit 1").fetchone()


def test_filters_keep_the_map_and_the_table_in_agreement(ui, page, wh):
    commune, land_use = busiest_commune(wh)
    page.goto(f"{ui}/?view=land&unit=current:{commune}")
    land_ready(page)
    everything = table_total(page)
    assert map_count(page) == everything == wh.execute(
        "select count(*) from marts.dim_land_parcel where current_commune_code = %s",
        (commune,)).fetchone()[0]
    screenshot(page, "land-map.png")

    page.get_by_test_id(f"use-{land_use}").check()
    land_ready(page)
    # From the median area of that land use up.
    smallest = int(wh.execute(
        "select percentile_disc(0.5) within group (order by area_m2) from "
        "marts.dim_land_parcel where current_commune_code = %s and land_use_code = %s",
        (commune, land_use)).fetchone()[0])
    page.get_by_test_id("area-min").fill(str(smallest))
    page.get_by_test_id("area-min").press("Enter")
    expect(page).to_have_url(re.compile(f"amin={smallest}"))
    land_ready(page)
    expected = {str(r[0]) for r in wh.execute(
        "select land_parcel_id from marts.dim_land_parcel where current_commune_code = %s "
        "and land_use_code = %s and area_m2 >= %s", (commune, land_use, smallest))}
    assert 0 < len(expected) < everything
    assert map_parcel_ids(page) == expected and table_total(page) == len(expected)
    assert table_parcel_ids(page) <= expected
    assert len(table_parcel_ids(page)) == min(len(expected), 50)
    assert query(page)["use"] == land_use

    # A planning zone that holds some of those parcels, not all.
    zone, in_zone = wh.execute(
        "select planning_zone, count(*) from marts.dim_land_parcel where land_parcel_id = "
        "any(%s::uuid[]) and planning_zone is not null group by 1 having count(*) < %s "
        "order by count(*) desc, 1 limit 1", (list(expected), len(expected))).fetchone()
    page.get_by_test_id("zone-select").select_option(zone)
    land_ready(page)
    assert map_count(page) == table_total(page) == in_zone
    assert table_parcel_ids(page) <= map_parcel_ids(page) < expected

    # Nothing matches: both say so.
    page.get_by_test_id("area-min").fill("99999999")
    page.get_by_test_id("area-min").press("Enter")
    land_ready(page)
    assert map_count(page) == table_total(page) == 0
    expect(page.get_by_test_id("parcel-table").get_by_test_id("empty")).to_be_visible()

    page.get_by_test_id("reset-filters").click()
    land_ready(page)
    assert map_count(page) == table_total(page) == everything


def test_a_parcel_opens_with_its_rights_as_the_viewer_may_see_them(ui, page, wh, deployment):
    # A parcel with a person among its right holders, whose name is personal data.
    parcel_id, sheet, number, rights = wh.execute("""
        select p.land_parcel_id, p.map_sheet_number, p.parcel_number, count(*)
        from marts.dim_land_parcel as p
        join marts.fct_land_right as r using (land_parcel_id)
        group by 1, 2, 3
        having count(r.person_id) > 0
        order by count(*) desc, 1 limit 1""").fetchone()
    names = {r[0] for r in wh.execute(
        "select holder_name from marts.fct_land_right where land_parcel_id = %s and "
        "person_id is not null and holder_name is not null", (parcel_id,))}
    assert names
    commune = wh.execute("select current_commune_code from marts.dim_land_parcel where "
                         "land_parcel_id = %s", (parcel_id,)).fetchone()[0]
    page.goto(f"{ui}/?view=land&unit=current:{commune}&sort=PARCEL_NUMBER")
    land_ready(page)
    while not page.locator(f"tr[data-parcel-id='{parcel_id}']").count():
        page.get_by_test_id("next-page").click()
        land_ready(page)
    page.locator(f"tr[data-parcel-id='{parcel_id}'] a").click()
    expect(page.get_by_test_id("parcel-title")).to_contain_text(f"{number}")
    expect(page.get_by_test_id("parcel-title")).to_contain_text(f"{sheet}")
    expect(page.get_by_test_id("parcel-shape")).to_have_attribute("data-parcel-count", "1")
    assert query(page) == {"view": "parcel", "id": str(parcel_id)}
    # Anonymous: the holders are shared data of the land dataset.
    withheld = page.get_by_test_id("parcel-rights").get_by_test_id("withheld")
    expect(withheld).to_have_attribute("data-required", "land:shared")

    # A shared key: the rights, but a person's name stays withheld inside them.
    sign_in(page, create_client(deployment, "ui-land-officer", "land:shared"))
    expect(page.get_by_test_id("who")).to_have_attribute("data-signed-in", "yes")
    rows = page.locator("[data-testid=rights-table] tbody tr")
    expect(rows).to_have_count(rights)
    shown = page.get_by_test_id("rights-table").inner_text()
    assert not any(name in shown for name in names)

    # A personal key without a purpose is told to state one; with a Vietnamese purpose the
    # names show, and the access log holds the purpose as written.
    personal = create_client(deployment, "ui-land-registrar", "land:personal")
    sign_in(page, personal)
    expect(page.get_by_test_id("rights-table")).to_be_visible()
    expect(page.get_by_test_id("parcel-rights").get_by_test_id("withheld")).to_have_attribute(
        "data-missing", "purpose")
    purpose = f"Đối chiếu hồ sơ địa chính {time.time_ns()}"
    sign_in(page, personal, purpose)
    for name in names:
        expect(page.get_by_test_id("rights-table")).to_contain_text(name)
    expect(page.get_by_test_id("parcel-rights").get_by_test_id("withheld")).to_have_count(0)
    assert logged_with(wh, purpose) > 0

    page.get_by_test_id("signin-button").click()
    page.get_by_test_id("signin-key").fill("kho_notakey00000_nosecret")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_be_visible()
    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("who")).to_have_attribute("data-signed-in", "no")
    expect(page.get_by_test_id("parcel-rights").get_by_test_id("withheld")).to_be_visible()


def test_a_key_revoked_while_signed_in_is_said_at_once(ui, page, deployment, wh):
    key = create_client(deployment, "ui-soon-revoked", "land:shared")
    page.goto(f"{ui}/?view=land")
    land_ready(page)
    sign_in(page, key)
    expect(page.get_by_test_id("who")).to_have_attribute("data-signed-in", "yes")
    land_ready(page)
    deployment.kho("clients", "revoke", "ui-soon-revoked")
    time.sleep(11)  # the API's key cache forgets a key within 10 s
    page.get_by_test_id("order-select").select_option("AREA_ASC")
    expect(page.locator("#banner")).to_be_visible()
    expect(page.get_by_test_id("parcel-table").get_by_test_id("error")).to_have_attribute(
        "data-code", "UNAUTHENTICATED")


def test_an_enterprise_is_found_by_its_name_typed_without_diacritics(ui, page, wh):
    organization_id, name, code = wh.execute(
        "select organization_id, organization_name, enterprise_code from marts.dim_organization "
        "where organization_type = 'enterprise' and organization_name <> util.name_key("
        "organization_name) and organization_name ~ '[ăâđêôơưáàảãạéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ]' "
        "order by enterprise_code limit 1").fetchone()
    page.goto(f"{ui}/?view=enterprises")
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("chart-industry")).to_be_visible()
    # The largest division's bar names its section as the warehouse's seed does.
    division, section_name = wh.execute(
        "select industry_division_code, industry_section_name_vi from marts.dim_organization "
        "where organization_type in ('enterprise', 'branch', 'household_business') "
        "and industry_section_code is not null "
        "group by 1, 2 order by count(*) desc, 1 limit 1").fetchone()
    expect(page.get_by_test_id("chart-industry")).to_contain_text(
        f"{division} · {section_name}")
    screenshot(page, "enterprise-overview.png")

    # Two of its words, unaccented and in the other order.
    words = without_diacritics(name).split()
    typed = f"{words[-1]} {words[1]}"
    page.get_by_test_id("enterprise-search").fill(typed)
    expect(page).to_have_url(re.compile("q="))
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    matching = sum(all(w in without_diacritics(n) for w in typed.split()) for (n,) in wh.execute(
        "select organization_name from marts.dim_organization "
        "where organization_type <> 'state_agency'"))
    expect(page.get_by_test_id("enterprise-count")).to_have_attribute("data-total", str(matching))
    result = page.get_by_test_id("enterprise-rows").get_by_role("link", name=name, exact=True)
    expect(result.first).to_be_visible()
    page.get_by_test_id("enterprise-search").fill(code)
    expect(page.get_by_test_id("enterprise-count")).to_have_attribute("data-total", "1")
    expect(page.get_by_test_id("code-search-note")).to_be_visible()
    expect(page.get_by_test_id("status-select")).to_be_disabled()
    page.get_by_test_id("enterprise-rows").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_test_id("enterprise-name")).to_have_text(name)
    assert query(page)["id"] == str(organization_id)
    expect(page.locator("main")).to_contain_text(code)


def test_the_enterprise_charts_count_the_selected_area(ui, page, wh):
    commune = wh.execute("select current_commune_code from marts.dim_organization where "
                         "organization_type <> 'state_agency' and current_commune_code "
                         "is not null group by 1 "
                         "order by count(*) desc, 1 limit 1").fetchone()[0]
    statuses = dict(wh.execute(
        "select status, count(*) from marts.dim_organization where current_commune_code = %s "
        "and organization_type <> 'state_agency' group by 1", (commune,)).fetchall())
    page.goto(f"{ui}/?view=enterprises&unit=current:{commune}")
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("chart-status")).to_have_attribute("data-rows", str(len(statuses)))
    with page.expect_download() as download:
        page.get_by_test_id("chart-status-csv").click()
    rows = list(csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {row["status"]: int(row["organization_count"]) for row in rows} == statuses
    assert int(page.get_by_test_id("enterprise-count").get_attribute("data-total")) \
        == sum(statuses.values())

    # The filters, each checked against the warehouse.
    status = max(statuses, key=statuses.get)
    page.get_by_test_id("status-select").select_option(status)
    expect(page.get_by_test_id("enterprise-count")).to_have_attribute(
        "data-total", str(statuses[status]))
    division, form, count = wh.execute(
        "select left(industry_code, 2), legal_form_code, count(*) from marts.dim_organization "
        "where current_commune_code = %s and status = %s and organization_type <> "
        "'state_agency' and legal_form_code is not null group by 1, 2 "
        "order by count(*) desc, 1, 2 limit 1", (commune, status)).fetchone()
    page.get_by_test_id("industry-select").select_option(division)
    page.get_by_test_id("form-select").select_option(form)
    expect(page.get_by_test_id("enterprise-count")).to_have_attribute("data-total", str(count))
    assert {k: query(page)[k] for k in ("status", "industry", "form")} == {
        "status": status, "industry": division, "form": form}
    shown = page.locator("[data-testid=enterprise-rows] tr[data-organization-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.organizationId)")
    assert set(shown) == {str(r[0]) for r in wh.execute(
        "select organization_id from marts.dim_organization where current_commune_code = %s "
        "and status = %s and left(industry_code, 2) = %s and legal_form_code = %s and "
        "organization_type <> 'state_agency'", (commune, status, division, form))}


def test_the_overview_figures_download_as_csv(ui, page, wh):
    page.goto(f"{ui}/")
    expect(page.get_by_test_id("overview")).to_have_attribute("data-state", "ready")
    # With no area in the link: the province the parcels are in.
    expect(page.get_by_test_id("area-name")).to_be_visible()
    province = page.get_by_test_id("province-select").input_value()
    # Parcels whose land-use code the register wrote wrong have none: an empty code.
    expected = {code or "": (count, area) for code, count, area in wh.execute(
        "select land_use_code, count(*), sum(area_m2)::float8 from marts.dim_land_parcel "
        "where current_commune_code in (select admin_unit_code from marts.dim_admin_unit "
        "where generation = 'current' and province_code = %s) group by 1", (province,))}
    assert expected
    with page.expect_download() as download:
        page.get_by_test_id("chart-land-use-csv").click()
    assert download.value.suggested_filename == f"land-area-by-use-{province}.csv"
    rows = list(csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {r["land_use_code"]: (int(r["parcel_count"]), pytest.approx(float(r["total_area_m2"])))
            for r in rows} == expected
    assert page.get_by_test_id("card-parcels").inner_text().split()[-1].replace(".", "") \
        == str(sum(count for count, _ in expected.values()))


def test_the_language_switches_and_stays(ui, page):
    page.goto(f"{ui}/?view=land")
    land_ready(page)
    nav = page.locator("header nav")
    expect(nav).to_contain_text("Đất đai")
    assert page.evaluate("document.documentElement.lang") == "vi"
    page.get_by_test_id("lang-button").click()
    expect(nav).to_contain_text("Land")
    expect(page.locator("h1")).to_contain_text("Land:")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert query(page)["lang"] == "en"
    land_ready(page)
    expect(page.get_by_test_id("table-count")).to_contain_text("parcels match")
    # The choice is remembered: a link without lang opens in English in this browser.
    page.goto(f"{ui}/?view=enterprises")
    expect(nav).to_contain_text("Enterprises")
    expect(page.locator("h1")).to_contain_text("Enterprises:")
    # Back to the English land page: still English; then back to Vietnamese.
    page.go_back()
    land_ready(page)
    expect(page.get_by_test_id("table-count")).to_contain_text("parcels match")
    page.get_by_test_id("lang-button").click()
    expect(nav).to_contain_text("Doanh nghiệp")
    assert "lang" not in query(page)
    land_ready(page)
    expect(page.get_by_test_id("table-count")).to_contain_text("thửa khớp bộ lọc")


def test_a_shared_link_opens_the_same_selection(ui, page, browser, wh):
    # The province, whose most common land use fills more than one page of the table.
    province, land_use, count = wh.execute(
        "select a.province_code, p.land_use_code, count(*) from marts.dim_land_parcel as p "
        "join marts.dim_admin_unit as a on a.generation = 'current' and a.level = 'commune' "
        "and a.admin_unit_code = p.current_commune_code group by 1, 2 "
        "order by count(*) desc limit 1").fetchone()
    assert count > 50
    page.goto(f"{ui}/?view=land&unit=current:{province}")
    land_ready(page)
    page.get_by_test_id("order-select").select_option("AREA_DESC")
    land_ready(page)
    page.get_by_test_id(f"use-{land_use}").check()
    land_ready(page)
    assert map_count(page) == table_total(page) == count
    first_page = table_parcel_ids(page), page.get_by_test_id("page-range").inner_text()
    page.get_by_test_id("next-page").click()
    land_ready(page)
    link, title, ids = page.url, page.locator("h1").inner_text(), table_parcel_ids(page)
    range_text = page.get_by_test_id("page-range").inner_text()
    assert ids and not ids & first_page[0]

    # Someone else opens the link, on a tablet: a new browser context, nothing carried over.
    with fresh_page(browser, TABLET) as other:
        other.goto(link)
        land_ready(other)
        assert other.locator("h1").inner_text() == title
        assert table_parcel_ids(other) == ids
        assert other.get_by_test_id("page-range").inner_text() == range_text
        expect(other.get_by_test_id(f"use-{land_use}")).to_be_checked()
        expect(other.get_by_test_id("order-select")).to_have_value("AREA_DESC")
        # Readable on a tablet: nothing wider than the screen but the table's own scroller.
        assert other.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.go_back()
    land_ready(page)
    assert "after" not in query(page)
    assert (table_parcel_ids(page), page.get_by_test_id("page-range").inner_text()) \
        == first_page


# A parcel drawn well inside the map's canvas, where a click or a tap lands on it alone.
PARCEL_IN_VIEW = """map => {
    const m = map.parcelMap, rect = m.canvas.getBoundingClientRect();
    for (const parcel of m.parcels) {
        const [minX, minY, maxX, maxY] = parcel.bbox;
        const x = rect.left + m.view.tx + m.view.scale * (minX + maxX) / 2;
        const y = rect.top + m.view.ty + m.view.scale * (minY + maxY) / 2;
        if (x > rect.left + 20 && x < rect.right - 60 && y > rect.top + 20
            && y < rect.bottom - 20 && m.parcelAt(x, y) === parcel) {
            return {id: parcel.feature.id, x, y};
        }
    }
    return null;
}"""


class MapUnderTest:
    """The land map of the commune with most parcels, once nothing above it moves."""

    def __init__(self, page: Page, ui: str, wh):
        commune = wh.execute("select current_commune_code from marts.dim_land_parcel "
                             "group by 1 order by count(*) desc limit 1").fetchone()[0]
        page.goto(f"{ui}/?view=land&unit=current:{commune}")
        land_ready(page)
        # Nothing is still loading that could move the map under the pointer.
        page.wait_for_load_state("networkidle")
        self.page, self.map = page, page.get_by_test_id("parcel-map")
        canvas = self.map.locator("canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        self.x, self.y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def view(self, at: tuple[float, float]) -> dict:
        """Its scale and offset, and the place under a point of the screen, once the
        browser has dispatched the moves it holds back for the next frame."""
        return self.map.evaluate(
            "async map => { await new Promise(done => requestAnimationFrame(() => "
            "requestAnimationFrame(done))); "
            f"return {{...map.parcelMap.view, place: map.parcelMap.toWorld({at[0]}, {at[1]})}}; }}")

    def parcel_in_view(self) -> dict:
        target = self.map.evaluate(PARCEL_IN_VIEW)
        assert target, "no parcel in view"
        return target

    def assert_zoomed(self, before: dict, factor: float, at: tuple[float, float]) -> dict:
        """Zoomed by the factor about a point: the place under it stayed put."""
        after = self.view(at)
        assert after["scale"] == pytest.approx(factor * before["scale"], rel=0.01)
        assert after["place"] == pytest.approx(before["place"], abs=2 / after["scale"])
        return after

    def assert_panned(self, before: dict, dx: float, dy: float) -> dict:
        """Moved with the pointer, not zoomed, and nothing opened."""
        after = self.view((self.x, self.y))
        assert after["scale"] == before["scale"]
        assert (after["tx"] - before["tx"], after["ty"] - before["ty"]) \
            == pytest.approx((dx, dy), abs=1)
        assert query(self.page)["view"] == "land"
        return after

    def assert_opens(self, target: dict) -> None:
        expect(self.page).to_have_url(re.compile(rf"view=parcel.*id={target['id']}"))


def test_the_map_zooms_pans_and_opens_a_parcel_with_a_mouse(ui, page, wh):
    map_ = MapUnderTest(page, ui, wh)
    mouse = page.mouse
    pointer = (map_.x - 100, map_.y + 50)
    before = map_.view(pointer)
    mouse.move(*pointer)
    for _ in range(3):  # three notches of the wheel towards the reader: 1.25 ** 3
        mouse.wheel(0, -100)
    zoomed = map_.assert_zoomed(before, 1.25 ** 3, pointer)
    mouse.move(map_.x, map_.y)
    mouse.down()
    mouse.move(map_.x + 80, map_.y + 40, steps=4)
    mouse.up()
    map_.assert_panned(zoomed, 80, 40)
    target = map_.parcel_in_view()
    mouse.click(target["x"], target["y"])
    map_.assert_opens(target)


def test_the_map_zooms_pans_and_opens_a_parcel_by_touch_on_a_tablet(ui, browser, wh):
    with fresh_page(browser, TABLET, has_touch=True, is_mobile=True) as page:
        map_ = MapUnderTest(page, ui, wh)
        touch = page.context.new_cdp_session(page)

        def fingers(kind: str, *points: tuple[float, float]) -> None:
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                {"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]})

        # Two fingers spread from 60 to 240 px apart about a point off the centre: four
        # times closer there.
        x, y = map_.x + 60, map_.y - 40
        before = map_.view((x, y))
        fingers("touchStart", (x - 30, y), (x + 30, y))
        for step in range(1, 10):
            fingers("touchMove", (x - 30 - 10 * step, y), (x + 30 + 10 * step, y))
        zoomed = map_.assert_zoomed(before, 4, (x, y))
        # The second finger lifted (a touchEnd naming it alone): the first goes on panning
        # from where it is, without a jump, and lifting it opens nothing.
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": [
            {"x": x + 120, "y": y, "id": 1}]})
        fingers("touchMove", (x - 120 + 30, y + 20))
        fingers("touchMove", (x - 120 + 60, y + 40))
        fingers("touchEnd")
        zoomed = map_.assert_panned(zoomed, 60, 40)
        # One finger drags.
        x, y = map_.x, map_.y
        fingers("touchStart", (x, y))
        for step in range(1, 5):
            fingers("touchMove", (x + 20 * step, y + 10 * step))
        fingers("touchEnd")
        map_.assert_panned(zoomed, 80, 40)
        # A tap opens the parcel under it.
        target = map_.parcel_in_view()
        fingers("touchStart", (target["x"], target["y"]))
        fingers("touchEnd")
        map_.assert_opens(target)


def test_bad_links_show_an_error_not_a_blank_page(ui, page):
    page.goto(f"{ui}/?view=land&unit=current:99999")
    error = page.get_by_test_id("parcel-table").get_by_test_id("error")
    expect(error).to_have_attribute("data-code", "NOT_FOUND")
    expect(page.get_by_test_id("parcel-map")).to_have_attribute("data-state", "error")
    # A mistyped area is an error, not silently the whole province.
    page.goto(f"{ui}/?view=enterprises&unit=current:2785")
    expect(page.get_by_test_id("enterprise-table").get_by_test_id("error")).to_have_attribute(
        "data-code", "BAD_USER_INPUT")
    page.goto(f"{ui}/?view=parcel&id=not-a-uuid")
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "BAD_USER_INPUT")
    expect(page.get_by_test_id("retry")).to_be_visible()
    page.goto(f"{ui}/?view=enterprise&id=00000000-0000-0000-0000-000000000000")
    expect(page.get_by_test_id("not-found")).to_have_text("Không tìm thấy.")
    # A stale cursor in a link starts the list afresh.
    page.goto(f"{ui}/?view=land&after=bm90LWEtY3Vyc29y&from=50")
    land_ready(page)
    assert "after" not in query(page) and query(page)["unit"].startswith("current:")

