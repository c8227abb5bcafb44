"""The planners' web UI in a real browser: Playwright driving Debian's Chromium against
``kho serve`` on the API tests' seeded warehouse. What the pages show is checked against the
warehouse itself. Screenshots of the land map and the enterprise overview are saved to
``artifacts/ui/`` (or ``$KHO_TEST_ARTIFACTS/ui``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import shapely
import shapely.geometry
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import create_client, kho_fails, running_api

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
    # The parcel's link keeps the list it was opened from.
    assert query(page) == {"view": "parcel", "id": str(parcel_id), "unit": f"current:{commune}",
                           "sort": "PARCEL_NUMBER", **{k: v for k, v in query(page).items()
                                                        if k in ("after", "from")}}
    # Anonymous: the holders are shared data of the land dataset, said in plain words.
    withheld = page.get_by_test_id("parcel-rights").get_by_test_id("withheld")
    expect(withheld).to_have_attribute("data-required", "land:shared")
    expect(withheld).to_contain_text("dữ liệu dùng chung về đất đai")
    expect(withheld).not_to_contain_text("land:shared")

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
    # The largest division's bar names the division as the warehouse's VSIC seed does.
    division, division_name = wh.execute(
        "select industry_division_code, industry_division_name_vi from marts.dim_organization "
        "where organization_type in ('enterprise', 'branch', 'household_business') "
        "and industry_division_name_vi is not null "
        "group by 1, 2 order by count(*) desc, 1 limit 1").fetchone()
    expect(page.get_by_test_id("chart-industry").locator("text.label title").filter(
        has_text=f"{division} · {division_name}")).to_have_count(1)
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
    # The title names the area once its own request answers, apart from the map and table.
    name = wh.execute("select admin_unit_name from marts.dim_admin_unit where generation = "
                      "'current' and level = 'province' and admin_unit_code = %s",
                      (province,)).fetchone()[0]
    expect(page.locator("h1")).to_contain_text(name)
    link, title, ids = page.url, page.locator("h1").inner_text(), table_parcel_ids(page)
    range_text = page.get_by_test_id("page-range").inner_text()
    assert ids and not ids & first_page[0]

    # Someone else opens the link, on a tablet: a new browser context, nothing carried over.
    with fresh_page(browser, TABLET) as other:
        other.goto(link)
        land_ready(other)
        expect(other.locator("h1")).to_have_text(title)
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



def test_industries_land_uses_zones_and_sources_are_named_in_words(ui, page, wh):
    # The enterprises of the commune with most of them, in English: each row's industry by
    # its division's name, never its code alone.
    commune = wh.execute("select current_commune_code from marts.dim_organization where "
                         "organization_type <> 'state_agency' and industry_division_name_en "
                         "is not null and current_commune_code is not null "
                         "group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
    page.goto(f"{ui}/?view=enterprises&unit=current:{commune}&sort=ID&lang=en")
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    first = page.locator("[data-testid=enterprise-rows] tr[data-organization-id]").first
    organization_id = first.get_attribute("data-organization-id")
    division, name, source = wh.execute(
        "select industry_division_code, industry_division_name_en, source_system "
        "from marts.dim_organization where organization_id = %s",
        (organization_id,)).fetchone()
    expect(first).to_contain_text(f"{division} · {name}")
    first.get_by_role("link").click()
    expect(page.get_by_test_id("enterprise-name")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"{division} · {name}")
    assert source == "enterprise"
    expect(page.locator("main")).to_contain_text("Business Registration Office")

    # A parcel in English: its land use by name, its planning zone translated, its source by
    # the agency's name.
    parcel_id, zone, use_name = wh.execute(
        "select land_parcel_id, planning_zone, land_use_name_en from marts.dim_land_parcel "
        "where planning_zone = 'Khu nông nghiệp' and land_use_name_en is not null "
        "order by 1 limit 1").fetchone()
    page.goto(f"{ui}/?view=parcel&id={parcel_id}&lang=en")
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Agricultural zone")
    expect(facts).not_to_contain_text(zone)
    expect(facts).to_contain_text(use_name)
    expect(facts).to_contain_text("Land Registration Office")
    screenshot(page, "words-en.png")


def test_every_page_says_when_the_data_was_published(ui, page, wh):
    published = wh.execute("select published_at from kho_meta.publications "
                           "order by publication_id desc limit 1").fetchone()[0]
    parcel = wh.execute("select land_parcel_id from marts.dim_land_parcel limit 1").fetchone()[0]
    organization = wh.execute("select organization_id from marts.dim_organization "
                              "limit 1").fetchone()[0]
    for view in ("overview", "land", "enterprises", f"parcel&id={parcel}",
                 f"enterprise&id={organization}", "issues"):
        page.goto(f"{ui}/?view={view}")
        shown = page.get_by_test_id("data-as-of")
        expect(shown).to_contain_text("Dữ liệu công bố lúc")
        local = published.astimezone(datetime.timezone(datetime.timedelta(hours=7)))
        expect(shown).to_contain_text(local.strftime("%d/%m/%Y %H:%M"))
    screenshot(page, "data-as-of.png")


def test_a_signed_in_key_shows_its_agency_by_name(ui, page, deployment):
    key = create_client(deployment, "ui-agency-name", "land:shared",
                        agency="Sở Xây dựng tỉnh Tây Ninh")
    page.goto(f"{ui}/?view=land")
    land_ready(page)
    sign_in(page, key)
    expect(page.get_by_test_id("who")).to_have_text("Đã đăng nhập: Sở Xây dựng tỉnh Tây Ninh")
    assert key[:16] not in page.get_by_test_id("who").inner_text()
    screenshot(page, "signed-in-agency.png")


def test_the_back_link_returns_to_the_list_and_filters_it_came_from(ui, page, wh):
    commune, land_use = busiest_commune(wh)
    page.goto(f"{ui}/?view=land&unit=current:{commune}&use={land_use}&sort=AREA_DESC&amin=1")
    land_ready(page)
    came_from = query(page)
    shown = table_parcel_ids(page)
    page.locator("[data-testid=parcel-table] tr[data-parcel-id] a").first.click()
    expect(page.get_by_test_id("parcel-title")).to_be_visible()
    page.locator(".back a").click()
    land_ready(page)
    assert query(page) == came_from
    assert table_parcel_ids(page) == shown
    expect(page.get_by_test_id(f"use-{land_use}")).to_be_checked()

    # The same from an enterprise search.
    page.goto(f"{ui}/?view=enterprises&q=cong%20ty&status=active&sort=REGISTERED_ON")
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    came_from = query(page)
    page.locator("[data-testid=enterprise-rows] tr[data-organization-id] a").first.click()
    expect(page.get_by_test_id("enterprise-name")).to_be_visible()
    page.locator(".back a").click()
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    assert query(page) == came_from
    expect(page.get_by_test_id("enterprise-search")).to_have_value("cong ty")
    screenshot(page, "back-to-list.png")


def test_a_bad_link_ends_in_a_message_with_nothing_left_loading(ui, page):
    for link in ("/?view=land&unit=current:99999", "/?view=land&unit=nonsense",
                 "/?view=enterprises&unit=legacy:1", "/?view=overview&unit=current:99999"):
        page.goto(f"{ui}{link}")
        expect(page.get_by_test_id("error").or_(page.get_by_test_id("not-found")).first
               ).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.locator("main [data-testid=loading]")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text("Đang tải")
    screenshot(page, "bad-link.png")


def test_enterprise_results_come_first_and_the_charts_count_the_search(ui, page, wh):
    page.goto(f"{ui}/?view=enterprises&q=thuong%20mai")
    table = page.get_by_test_id("enterprise-table")
    expect(table).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("enterprise-charts")).to_have_attribute("data-state", "ready")
    assert table.bounding_box()["y"] < page.get_by_test_id("enterprise-charts").bounding_box()["y"]
    total = int(page.get_by_test_id("enterprise-count").get_attribute("data-total"))
    with page.expect_download() as download:
        page.get_by_test_id("chart-status-csv").click()
    counts = [int(row["organization_count"]) for row in csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8-sig")))]
    assert 0 < sum(counts) == total < wh.execute(
        "select count(*) from marts.dim_organization where organization_type <> "
        "'state_agency'").fetchone()[0]
    screenshot(page, "enterprise-results-first.png")


def test_pages_fit_a_tablet_in_english(ui, browser, wh, deployment):
    """Upright on a tablet, in English (the longer labels): no page scrolls sideways, and no
    table needs its own sideways scroll either (minor columns give way); signed in, so that
    a parcel's rights and transfers are tables too."""
    commune, _ = busiest_commune(wh)
    parcel = wh.execute("select land_parcel_id from marts.fct_land_transfer "
                        "group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
    key = create_client(deployment, "ui-tablet", "land:shared", "enterprise:shared")
    with fresh_page(browser, TABLET) as tablet:
        tablet.goto(f"{ui}/?lang=en")
        sign_in(tablet, key)
        expect(tablet.get_by_test_id("who")).to_contain_text("Signed in")
        for link in (f"/?view=enterprises&unit=current:{commune}&lang=en",
                     f"/?view=land&unit=current:{commune}&lang=en", "/?lang=en",
                     f"/?view=parcel&id={parcel}&lang=en"):
            tablet.goto(f"{ui}{link}")
            tablet.wait_for_load_state("networkidle")
            assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], link
            overflowing = tablet.evaluate(
                "[...document.querySelectorAll('main .table-wrap')].filter(w => "
                "w.offsetParent && w.scrollWidth > w.clientWidth + 1).map(w => "
                "w.parentElement.dataset.testid || w.querySelector('table').dataset.testid)")
            assert overflowing == [], (link, overflowing)
        screenshot(tablet, "parcel-tablet-en.png")


def test_the_list_downloads_as_csv_and_geojson_with_the_rows_of_the_filter(ui, page, wh):
    commune, land_use = busiest_commune(wh)
    page.goto(f"{ui}/?view=land&unit=current:{commune}&use={land_use}")
    land_ready(page)
    expected = {str(r[0]) for r in wh.execute(
        "select land_parcel_id from marts.dim_land_parcel where current_commune_code = %s "
        "and land_use_code = %s", (commune, land_use))}
    assert expected and table_total(page) == len(expected)
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename == f"thua-dat-current-{commune}.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # a spreadsheet reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["land_parcel_id"] for r in rows} == expected
    assert {r["land_use_code"] for r in rows} == {land_use}
    with page.expect_download() as download:
        page.get_by_test_id("export-geojson").click()
    features = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["features"]
    assert {f["id"] for f in features} == expected


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def pdf_page_size_mm(pdf: bytes) -> tuple[int, int]:
    """The first page's width and height in millimetres (its MediaBox, in points)."""
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf)
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return round((x1 - x0) * 25.4 / 72), round((y1 - y0) * 25.4 / 72)


def test_a_printed_land_page_is_one_clean_sheet(ui, page, wh):
    commune, land_use = busiest_commune(wh)
    page.goto(f"{ui}/?view=land&unit=current:{commune}&use={land_use}")
    land_ready(page)
    page.emulate_media(media="print")
    for hidden in ("header.top", ".filters", "[data-testid=parcel-table]", ".exports",
                   ".area-picker input", ".map-controls"):
        expect(page.locator(hidden).first).to_be_hidden()
    # What a printed map needs: title, area, filter, legend with its colours, the date of the
    # data and where it comes from.
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_test_id("area-name")).to_be_visible()
    expect(page.get_by_test_id("filter-summary")).to_contain_text("Loại đất")
    expect(page.get_by_test_id("data-as-of")).to_be_visible()
    expect(page.get_by_test_id("print-source")).to_be_visible()
    expect(page.get_by_test_id("print-source")).to_contain_text(ui)
    swatch = page.locator("[data-testid=land-use-filter] .swatch").first
    assert swatch.evaluate("s => getComputedStyle(s).printColorAdjust") == "exact"
    assert page.get_by_test_id("parcel-map").get_attribute("data-scale-bar")
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf_pages(pdf) == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "land-print.pdf").write_bytes(pdf)
    # The stylesheet's own sheet: A4 landscape, or A3 landscape once the page chose A3.
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_page_size_mm(pdf) == (297, 210) and pdf_pages(pdf) == 1
    page.emulate_media(media="screen")
    page.get_by_test_id("paper").select_option("A3")
    expect(page.get_by_test_id("paper")).to_contain_text("A3")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("paper")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_page_size_mm(pdf) == (420, 297) and pdf_pages(pdf) == 1
    assert page.get_by_test_id("parcel-map").bounding_box()["height"] > 600
    (ARTIFACTS / "land-print-a3.pdf").write_bytes(pdf)


def test_a_parcel_is_found_by_its_map_sheet_and_number(ui, page, wh):
    # A sheet and number that name one parcel of the commune.
    commune, sheet, number, parcel_id = wh.execute(
        "select current_commune_code, map_sheet_number, parcel_number, min(land_parcel_id::text) "
        "from marts.dim_land_parcel where current_commune_code is not null group by 1, 2, 3 "
        "having count(*) = 1 order by 1, 2, 3 limit 1").fetchone()
    page.goto(f"{ui}/?view=land&unit=current:{commune}")
    land_ready(page)
    for typed in (f"tờ {sheet} thửa {number}", f"to {sheet} thua {number}",
                  f"Tờ số {sheet}, thửa số {number}", f"{sheet}/{number}"):
        page.get_by_test_id("parcel-search").fill(typed)
        page.get_by_test_id("parcel-search").press("Enter")
        expect(page).to_have_url(re.compile(f"sheet={sheet}&no={number}|no={number}.*sheet={sheet}"))
        land_ready(page)
        assert table_parcel_ids(page) == map_parcel_ids(page) == {parcel_id}, typed
        page.get_by_test_id("reset-filters").click()
        land_ready(page)
        assert table_total(page) > 1
    page.get_by_test_id("parcel-search").fill("không phải số tờ")
    page.get_by_test_id("parcel-search").press("Enter")
    expect(page.get_by_test_id("parcel-search-error")).to_be_visible()
    screenshot(page, "parcel-search.png")


def test_enterprises_are_found_by_street_or_commune(ui, page, wh):
    street = next(line for line, in wh.execute(
        "select address_line from marts.dim_organization where organization_type <> "
        "'state_agency' and address_line ~ '^[0-9]+ [^,]+ [^,]+$' "
        "group by 1 order by count(*) desc, 1"))
    typed = without_diacritics(street.split(" ", 1)[1])
    page.goto(f"{ui}/?view=enterprises")
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    page.get_by_test_id("search-in").select_option("address")
    page.get_by_test_id("enterprise-search").fill(typed)
    expect(page).to_have_url(re.compile("in=address"))
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    # Each word in the address as written or in its commune's names (on both maps).
    expected = {str(i) for i, address in wh.execute("""
        select o.organization_id, concat_ws(' ', o.address_line, c.admin_unit_name,
                                            l.admin_unit_name)
        from marts.dim_organization as o
        left join marts.dim_admin_unit as c on c.generation = 'current'
            and c.level = 'commune' and c.admin_unit_code = o.current_commune_code
        left join marts.dim_admin_unit as l on l.generation = 'legacy'
            and l.level = 'commune' and l.admin_unit_code = o.legacy_commune_code
        where o.organization_type <> 'state_agency'""")
                if all(word in without_diacritics(address) for word in typed.split())}
    assert expected
    expect(page.get_by_test_id("enterprise-count")).to_have_attribute(
        "data-total", str(len(expected)))
    shown = page.locator("[data-testid=enterprise-rows] tr[data-organization-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.organizationId)")
    assert set(shown) <= expected and len(shown) == min(len(expected), 50)
    # The whole list of the search downloads, not only its first page.
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    rows = list(csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {r["organization_id"] for r in rows} == expected
    # The same list as GeoJSON: each enterprise at its commune's centre, the same columns.
    with page.expect_download() as download:
        page.get_by_test_id("export-geojson").click()
    collection = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert {f["id"] for f in collection["features"]} == expected
    centres = {str(i): [lon, lat] for i, lon, lat in wh.execute(
        "select o.organization_id, c.longitude, c.latitude from marts.dim_organization o "
        "join marts.dim_admin_unit c on c.generation = 'current' and c.level = 'commune' "
        "and c.admin_unit_code = o.current_commune_code")}
    for feature in collection["features"]:
        assert set(feature["properties"]) == set(rows[0])
        if feature["geometry"] is not None:
            assert feature["geometry"]["coordinates"] == pytest.approx(
                centres[feature["id"]])

    # By the commune's name, typed without diacritics: the enterprises addressed there.
    commune, name = wh.execute(
        "select o.current_commune_code, c.admin_unit_name from marts.dim_organization as o "
        "join marts.dim_admin_unit as c on c.generation = 'current' and c.level = 'commune' "
        "and c.admin_unit_code = o.current_commune_code where o.organization_type <> "
        "'state_agency' group by 1, 2 order by count(*) desc, 1 limit 1").fetchone()
    there = wh.execute("select count(*) from marts.dim_organization where "
                       "current_commune_code = %s and organization_type <> 'state_agency'",
                       (commune,)).fetchone()[0]
    page.get_by_test_id("enterprise-search").fill(without_diacritics(name))
    expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("enterprise-count")).to_have_attribute(
        "data-total", re.compile(r"\d+"))
    assert int(page.get_by_test_id("enterprise-count").get_attribute("data-total")) >= there
    screenshot(page, "enterprise-address-search.png")


def test_the_map_shows_the_commune_around_the_filtered_parcels(ui, page, wh):
    commune, land_use = busiest_commune(wh)
    everything, chosen = wh.execute(
        "select count(*), count(*) filter (where land_use_code = %s) from "
        "marts.dim_land_parcel where current_commune_code = %s", (land_use, commune)).fetchone()
    page.goto(f"{ui}/?view=land&unit=current:{commune}&use={land_use}")
    land_ready(page)
    shown = page.get_by_test_id("parcel-map")
    expect(shown).to_have_attribute("data-parcel-count", str(chosen))
    # The commune's other parcels in grey, its outline derived from them, a scale bar.
    page.wait_for_function("m => m.parcelMap.context.length > 0", arg=shown.element_handle())
    assert shown.evaluate("m => m.parcelMap.context.length") == everything - chosen
    assert shown.evaluate("m => m.parcelMap.outlines.length") == 1
    expect(shown).to_have_attribute("data-outline", "parcels")
    expect(shown).to_have_attribute("data-scale-bar", re.compile(r"^\d+ k?m$"))
    expect(page.get_by_test_id("outline-note")).to_contain_text("dựng từ các thửa đất")
    # The north arrow, top left: the canvas is dark where the arrow is drawn.
    arrow = shown.locator("canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData("
        "22 * devicePixelRatio, 28 * devicePixelRatio, 1, 1).data)")
    assert arrow[:3] == [0x1d, 0x27, 0x33], arrow
    screenshot(page, "land-map-context.png")
    # A narrower filter downloads the IDs of its parcels only; the parcels drawn are the
    # filter's, their shapes taken from the commune's GeoJSON read once.
    smallest = wh.execute(
        "select percentile_disc(0.5) within group (order by area_m2) from "
        "marts.dim_land_parcel where current_commune_code = %s and land_use_code = %s",
        (commune, land_use)).fetchone()[0]
    narrower = {row[0] for row in wh.execute(
        "select land_parcel_id::text from marts.dim_land_parcel where current_commune_code "
        "= %s and land_use_code = %s and area_m2 >= %s", (commune, land_use, smallest))}
    downloads = []
    page.on("request", lambda r: downloads.append(r.url) if "/opendata/" in r.url else None)
    page.get_by_test_id("area-min").fill(str(smallest))
    page.get_by_test_id("area-min").press("Enter")
    expect(shown).to_have_attribute("data-parcel-count", str(len(narrower)))
    land_ready(page)
    assert set(shown.evaluate("m => m.parcelMap.parcels.map((p) => p.feature.id)")) == narrower
    assert shown.evaluate("m => m.parcelMap.context.length") == everything - len(narrower)
    assert len(downloads) == 1 and "skip_geometry=true" in downloads[0], downloads
    # Zoomed in on a parcel, parcels carry their numbers.
    page.wait_for_load_state("networkidle")
    target = shown.evaluate(PARCEL_IN_VIEW)
    assert target
    page.mouse.move(target["x"], target["y"])
    for _ in range(30):
        page.mouse.wheel(0, -100)
        if shown.get_attribute("data-labels") != "0":
            break
    expect(shown).not_to_have_attribute("data-labels", "0")


def test_the_map_reads_the_filter_in_full_when_its_ids_are_not_all_in_the_commune(ui, page, wh):
    """The filter's IDs name a parcel the commune's GeoJSON read before does not hold (as
    after a publication in between): the map reads both again, in full, and draws the
    filter's parcels, none missing."""
    commune, land_use = busiest_commune(wh)
    chosen = wh.execute("select count(*) from marts.dim_land_parcel where "
                        "current_commune_code = %s and land_use_code = %s",
                        (commune, land_use)).fetchone()[0]

    def one_more(route):
        collection = route.fetch().json()
        collection["features"].append({"type": "Feature", "id": "published-since",
                                       "geometry": None, "properties": {}})
        route.fulfill(json=collection)

    page.route("**/opendata/land_parcels.geojson?*skip_geometry=true*", one_more)
    downloads = []
    page.on("request", lambda r: downloads.append(r.url) if "/opendata/" in r.url else None)
    page.goto(f"{ui}/?view=land&unit=current:{commune}&use={land_use}")
    land_ready(page)
    expect(page.get_by_test_id("parcel-map")).to_have_attribute("data-parcel-count",
                                                                str(chosen))
    full = [u for u in downloads if "land_use_code=" in u and "skip_geometry" not in u]
    assert len(full) == 1 and len(downloads) == 4, downloads


def test_a_parcel_shows_the_other_parcels_of_its_map_sheet(ui, page, wh):
    parcel_id, neighbours = wh.execute(
        "select min(land_parcel_id::text), count(*) - 1 from marts.dim_land_parcel "
        "where map_sheet_number is not null group by legacy_commune_code, map_sheet_number "
        "order by count(*) desc, legacy_commune_code, map_sheet_number limit 1").fetchone()
    assert neighbours > 0
    page.goto(f"{ui}/?view=parcel&id={parcel_id}")
    shape = page.get_by_test_id("parcel-shape")
    expect(shape).to_have_attribute("data-parcel-count", "1")
    expect(shape).to_have_attribute("data-neighbours", str(neighbours))
    screenshot(page, "parcel-neighbours.png")


def pick_the_day_before(page: Page, changed: datetime.datetime) -> str:
    """Set a record page's date picker to the day before ``changed``, as a planner would;
    the date."""
    day_before = (changed - datetime.timedelta(days=1)).date().isoformat()
    page.get_by_test_id("as-of").fill(day_before)
    page.get_by_test_id("as-of").dispatch_event("change")
    return day_before


def test_a_record_is_shown_as_of_a_past_date(ui, page, wh):
    # The enterprise renamed in its source: before the rename it shows its former name.
    organization_id, before, after, changed = wh.execute(
        "select h.organization_id, h.organization_name, o.organization_name, h.valid_to "
        "from marts.dim_organization_history as h join marts.dim_organization as o "
        "using (organization_id) where h.valid_to is not null and h.organization_name "
        "<> o.organization_name order by h.valid_to desc limit 1").fetchone()
    page.goto(f"{ui}/?view=enterprise&id={organization_id}")
    expect(page.get_by_test_id("enterprise-name")).to_have_text(after)
    day_before = pick_the_day_before(page, changed)
    expect(page.get_by_test_id("enterprise-name")).to_have_text(before)
    expect(page.get_by_test_id("as-of-note")).to_be_visible()
    assert query(page)["asof"] == day_before
    page.get_by_test_id("as-of-bar").get_by_role("link").click()
    expect(page.get_by_test_id("enterprise-name")).to_have_text(after)
    screenshot(page, "record-as-of.png")


def test_the_province_overview_breaks_down_by_commune(ui, page, wh):
    page.goto(f"{ui}/")
    expect(page.get_by_test_id("overview")).to_have_attribute("data-state", "ready")
    province = page.get_by_test_id("province-select").input_value()
    expected = {code: count for code, count in wh.execute(
        "select current_commune_code, count(*) from marts.dim_land_parcel where "
        "current_commune_code in (select admin_unit_code from marts.dim_admin_unit where "
        "generation = 'current' and province_code = %s) group by 1", (province,))}
    rows = page.locator("[data-testid=commune-table] tbody tr")
    got = {code: int(count.replace(".", "")) for code, count in rows.evaluate_all(
        "rows => rows.map(r => [r.dataset.commune, r.cells[1].textContent])") if count != "0"}
    assert got == expected
    # The map: every commune of the province placed, those with parcels by the outline
    # derived from them, the others by their centre; the busiest in the darkest class,
    # drawn without a single parcel.
    placed = wh.execute("select count(*) from marts.dim_admin_unit where generation = "
                        "'current' and level = 'commune' and province_code = %s and (latitude "
                        "is not null or outline_wkt is not null)", (province,)).fetchone()[0]
    shown = page.get_by_test_id("commune-map")
    expect(shown).to_have_attribute("data-communes", str(placed))
    expect(shown.locator("a[data-shape=parcels]")).to_have_count(len(expected))
    busiest = max(expected, key=lambda code: (expected[code], code))
    expect(shown.locator(f"a[data-commune='{busiest}']")).to_have_attribute("data-class", "4")
    page.get_by_test_id("measure-select").select_option("enterprises")
    expect(page.get_by_test_id("overview")).to_have_attribute("data-state", "ready")
    assert query(page)["measure"] == "enterprises"
    counts = rows.evaluate_all("rows => rows.map(r => Number(r.cells[3].textContent"
                               ".replace(/\\./g, '')))")
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    # The area of one land use, commune by commune (in hectares, to one decimal).
    use = wh.execute("select land_use_code from marts.dim_land_parcel where land_use_code is "
                     "not null group by 1 order by sum(area_m2) desc limit 1").fetchone()[0]
    hectares = {code: round(area / 10000, 1) for code, area in wh.execute(
        "select current_commune_code, sum(area_m2)::float8 from marts.dim_land_parcel "
        "where land_use_code = %s and current_commune_code is not null group by 1", (use,))
        if round(area / 10000, 1) > 0}
    page.get_by_test_id("measure-select").select_option(f"use:{use}")
    expect(page.get_by_test_id("overview")).to_have_attribute("data-state", "ready")
    shown = {code: float(text.replace(".", "").replace(",", ".")) for code, text in
             rows.evaluate_all("rows => rows.map(r => [r.dataset.commune, "
                               "r.querySelector('.bar-value').textContent])") if text != "0"}
    assert shown == pytest.approx(hectares, abs=0.051)
    screenshot(page, "overview-communes.png")


def test_a_steward_works_through_the_agency_s_data_quality_issues(ui, page, wh, deployment):
    """Anonymous: asked to sign in. An agency's key: its own agency's issues only, the values
    in conflict under its personal grant, acknowledged in place with a note (as the
    warehouse then keeps it), and the filter's issues as a CSV file."""
    stored = [r[0] for r in wh.execute(
        "select issue_id from changes.quality_issues where source_system = 'cadre' "
        "and status in ('open', 'reopened') order by issue_id").fetchall()]
    assert stored, "the API tests' warehouse holds open issues of the cadre agency"
    page.goto(f"{ui}/?view=issues")
    expect(page.get_by_test_id("empty")).to_contain_text("đăng nhập bằng khóa của cơ quan")
    key = create_client(deployment, "ui-steward-cadre", "cadre:personal",
                        agency="Sở Nội vụ tỉnh Tây Ninh")
    sign_in(page, key, "rà soát dữ liệu cán bộ")
    agency = page.get_by_test_id("issues-agency")
    expect(agency.locator("option")).to_have_count(1)
    assert agency.input_value() == "cadre"
    page.get_by_test_id("issues-status").select_option("OPEN")
    table = page.get_by_test_id("issues-table")
    expect(table).to_have_attribute("data-state", "ready")
    assert query(page)["status"] == "OPEN" and query(page)["agency"] == "cadre"
    rows = page.locator("[data-testid=issues-rows] tr[data-issue-id]")
    open_ids = [r[0] for r in wh.execute(
        "select issue_id from changes.quality_issues where source_system = 'cadre' "
        "and status = 'open' order by issue_id limit 50").fetchall()]
    expect(rows).to_have_count(len(open_ids))
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.issueId)") == open_ids
    expect(page.get_by_test_id("withheld")).to_have_count(0)
    first = rows.first
    expect(first).not_to_contain_text("ẩn")
    screenshot(page, "issues.png")
    # Acknowledged in place: the row says who and keeps its place; the warehouse keeps it.
    first.get_by_test_id("acknowledge").click()
    first.get_by_test_id("acknowledge-note").fill("đang xác minh với phòng tổ chức")
    first.get_by_test_id("acknowledge-confirm").click()
    expect(first).to_have_attribute("data-status", "ACKNOWLEDGED")
    expect(first.get_by_test_id("issue-status")).to_contain_text("Sở Nội vụ tỉnh Tây Ninh")
    assert wh.execute("select status, acknowledged_by, note from changes.quality_issues "
                      "where issue_id = %s", (open_ids[0],)).fetchone() == (
        "acknowledged", "Sở Nội vụ tỉnh Tây Ninh (client ui-steward-cadre)",
        "đang xác minh với phòng tổ chức")
    # The filter's issues, as one file the spreadsheet opens.
    page.get_by_test_id("issues-status").select_option("ACKNOWLEDGED")
    expect(table).to_have_attribute("data-state", "ready")
    with page.expect_download() as download:
        page.get_by_test_id("issues-export").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    acknowledged = [r[0] for r in wh.execute(
        "select issue_id from changes.quality_issues where source_system = 'cadre' "
        "and status = 'acknowledged' order by issue_id").fetchall()]
    assert [r["issue_id"] for r in csv.DictReader(io.StringIO(text))] == acknowledged
    assert open_ids[0] in acknowledged
    # A key with the shared grant only: the issues, the values in conflict withheld.
    shared = create_client(deployment, "ui-steward-cadre-shared", "cadre:shared")
    sign_in(page, shared, "rà soát")
    expect(page.get_by_test_id("issues-table")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("withheld")).to_be_visible()
    expect(page.locator("[data-testid=issues-rows] [data-testid=value-withheld]").first
           ).to_be_visible()


def test_a_link_to_no_page_or_to_no_date_says_so(ui, page, wh):
    """A page name kho does not have (not even one of an object's inherited keys) is said,
    with the way to the overview; a record's link whose date is no date says so and shows
    today's record."""
    for view in ("nope", "constructor", "__proto__"):
        page.goto(f"{ui}/?view={view}")
        expect(page.get_by_test_id("not-found")).to_contain_text(f"Không có trang “{view}”")
        expect(page.get_by_role("main").get_by_role("link", name="Tổng quan")).to_be_visible()
    parcel, code = wh.execute("select land_parcel_id::text, land_use_code "
                              "from marts.dim_land_parcel order by 1 limit 1").fetchone()
    page.goto(f"{ui}/?view=parcel&id={parcel}&asof=31-02-2020")
    expect(page.get_by_test_id("as-of-invalid")).to_contain_text("“31-02-2020”")
    expect(page.get_by_test_id("parcel-title")).to_be_visible()
    expect(page.locator("main dl.facts")).to_contain_text(code)
    screenshot(page, "no-such-date.png")


def test_a_parcel_is_shown_as_of_a_past_date(ui, page, wh):
    """A parcel whose area the register changed: the day before, its former area."""
    parcel, before, after, changed = wh.execute(
        "select h.land_parcel_id::text, h.area_m2, p.area_m2, h.valid_to "
        "from marts.dim_land_parcel_history h join marts.dim_land_parcel p "
        "using (land_parcel_id) where h.valid_to is not null and h.area_m2 <> p.area_m2 "
        "order by h.valid_to desc limit 1").fetchone()

    def shown(area) -> str:  # as the Vietnamese page writes it: 1.234,5
        return f"{area:,.1f}".rstrip("0").rstrip(".").replace(",", " ").replace(
            ".", ",").replace(" ", ".")

    page.goto(f"{ui}/?view=parcel&id={parcel}")
    facts = page.locator("main dl.facts")
    expect(facts).to_contain_text(shown(after))
    day_before = pick_the_day_before(page, changed)
    expect(page.get_by_test_id("as-of-note")).to_be_visible()
    expect(facts).to_contain_text(shown(before))
    assert query(page)["asof"] == day_before
    screenshot(page, "parcel-as-of.png")


def test_a_parcel_opened_from_an_enterprise_leads_back_to_it(ui, page, wh, deployment):
    organization, name = wh.execute(
        "select o.organization_id::text, o.organization_name from marts.dim_organization o "
        "join marts.fct_land_right r using (organization_id) where r.is_current "
        "order by 1 limit 1").fetchone()
    # An enterprise's land rights are shared data of the land register.
    key = create_client(deployment, "ui-from-enterprise", "land:shared", "enterprise:shared")
    page.goto(f"{ui}/?view=enterprise&id={organization}")
    sign_in(page, key)
    expect(page.get_by_test_id("enterprise-name")).to_have_text(name)
    page.get_by_test_id("enterprise-parcels").locator("table a").first.click()
    expect(page.get_by_test_id("parcel-title")).to_be_visible()
    assert query(page)["back"] == f"enterprise:{organization}"
    back = page.locator("main p.back a")
    expect(back).to_have_text("‹ Quay lại doanh nghiệp")
    back.click()
    expect(page.get_by_test_id("enterprise-name")).to_have_text(name)
    screenshot(page, "back-to-enterprise.png")


def boundary_file(path: Path, units: list[tuple[str, float, float, float]]) -> Path:
    """A boundary file as an operator would give it: each commune a square of its area
    around its centre (WGS 84)."""
    features = []
    for code, lat, lon, area_km2 in units:
        half = (area_km2 ** 0.5) / 2 / 110.6
        west, east = lon - half / 0.98, lon + half / 0.98
        features.append({"type": "Feature", "properties": {"code": code}, "geometry": {
            "type": "Polygon", "coordinates": [[[west, lat - half], [east, lat - half],
                                                [east, lat + half], [west, lat + half],
                                                [west, lat - half]]]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def test_the_maps_draw_the_province_s_boundary_file(ui, page, wh, deployment, tmp_path):
    """With the operator's boundary file (every commune of the province but the busiest):
    the overview draws those communes by their boundaries and the busiest by the outline
    derived from its parcels, a commune's land map is outlined by its boundary, the API
    serves each as loaded. A file
    kho cannot use stops the run with its code and keeps the boundaries loaded before."""
    busiest, _ = busiest_commune(wh)
    province = wh.execute("select province_code from marts.dim_admin_unit where generation = "
                          "'current' and admin_unit_code = %s", (busiest,)).fetchone()[0]
    units = wh.execute(
        "select admin_unit_code, latitude, longitude, coalesce(area_km2, 20) "
        "from marts.dim_admin_unit where generation = 'current' and level = 'commune' "
        "and province_code = %s and latitude is not null and admin_unit_code <> %s "
        "order by 1", (province, busiest)).fetchall()
    bounded = units[0][0]
    deployment.env["KHO_ADMIN_BOUNDARIES"] = str(boundary_file(tmp_path / "ranh-gioi.geojson",
                                                               units))
    try:
        deployment.kho("materialize")
        broken = tmp_path / "broken.geojson"
        broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                          '"properties": {"code": "99999"}, "geometry": null}]}')
        deployment.env["KHO_ADMIN_BOUNDARIES"] = str(broken)
        refused = kho_fails(deployment, "materialize", timeout=900)
        assert "ADMIN_BOUNDARIES_INVALID" in refused.stdout + refused.stderr
        assert "no current administrative unit has the code 99999" in \
            refused.stdout + refused.stderr
    finally:
        deployment.env.pop("KHO_ADMIN_BOUNDARIES")
    served = dict(wh.execute("select admin_unit_code, boundary_wkt from marts.dim_admin_unit "
                             "where generation = 'current' and level = 'commune' "
                             "and province_code = %s and boundary_wkt is not null",
                             (province,)).fetchall())
    assert set(served) == {code for code, *_ in units}
    page.goto(f"{ui}/")
    expect(page.get_by_test_id("overview")).to_have_attribute("data-state", "ready")
    shown = page.get_by_test_id("commune-map")
    expect(shown).to_have_attribute("data-shapes", "outlines")
    expect(shown.locator("a[data-shape=boundary]")).to_have_count(len(units))
    expect(shown.locator(f"a[data-commune='{busiest}']")).to_have_attribute(
        "data-shape", "parcels")
    screenshot(page, "overview-boundaries.png")
    page.goto(f"{ui}/?view=land&unit=current:{bounded}")
    land_ready(page)
    expect(page.get_by_test_id("parcel-map")).to_have_attribute("data-outline", "boundary")
    expect(page.get_by_test_id("outline-note")).to_contain_text("tệp ranh giới")
    page.goto(f"{ui}/?view=land&unit=current:{busiest}")
    land_ready(page)
    expect(page.get_by_test_id("parcel-map")).to_have_attribute("data-outline", "parcels")


@pytest.mark.parametrize("link, ready, kept", [
    ("/?view=enterprises&q=thuong%20mai", "enterprise-charts", "filter-summary"),
    ("/?view=overview", "overview", "commune-map"),
])
def test_a_printed_enterprise_list_or_overview_is_one_clean_sheet(ui, page, link, ready, kept):
    """Title, area, what was asked, the figures' charts (the overview's choropleth), the date
    of the data and the source line; the long tables, inputs and buttons left out."""
    page.goto(f"{ui}{link}")
    expect(page.get_by_test_id(ready)).to_have_attribute("data-state", "ready")
    if ready == "enterprise-charts":
        expect(page.get_by_test_id("enterprise-table")).to_have_attribute("data-state", "ready")
        expect(page.get_by_test_id("filter-summary")).to_contain_text("“thuong mai”")
    page.emulate_media(media="print")
    for hidden in ("header.top", ".filters", "[data-testid=enterprise-table]",
                   "[data-testid=commune-table]", "[data-testid=print]", ".area-picker input"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    for visible in ("h1", "[data-testid=data-as-of]", "[data-testid=print-source]",
                    f"[data-testid={kept}]"):
        expect(page.locator(visible).first).to_be_visible()
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf_pages(pdf) == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{ready}-print.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")
    page.get_by_test_id("paper").select_option("A3")
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_page_size_mm(pdf) == (420, 297) and pdf_pages(pdf) == 1
    (ARTIFACTS / f"{ready}-print-a3.pdf").write_bytes(pdf)


def test_the_overview_communes_download_as_geojson(ui, page, wh):
    """Each commune of the province a feature, by its outline (the boundary file's, else
    derived from its parcels) or, without one, at its centre, with the table's figures: the
    parcels counted against the warehouse."""
    page.goto(f"{ui}/?view=overview")
    expect(page.get_by_test_id("overview")).to_have_attribute("data-state", "ready")
    province = page.get_by_test_id("province-select").input_value()
    with page.expect_download() as download:
        page.get_by_test_id("communes-geojson").click()
    collection = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    communes = {code: (lat, lon) for code, lat, lon in wh.execute(
        "select admin_unit_code, latitude, longitude from marts.dim_admin_unit where "
        "generation = 'current' and level = 'commune' and province_code = %s",
        (province,)).fetchall()}
    outlines = {code: wkt for code, wkt in wh.execute(
        "select admin_unit_code, outline_wkt from marts.dim_admin_unit where generation = "
        "'current' and level = 'commune' and province_code = %s", (province,)).fetchall()}
    parcels = dict(wh.execute(
        "select current_commune_code, count(*) from marts.dim_land_parcel "
        "group by 1").fetchall())
    assert collection["type"] == "FeatureCollection"
    assert {f["id"] for f in collection["features"]} == set(communes)
    for feature in collection["features"]:
        lat, lon = communes[feature["id"]]
        assert feature["properties"]["parcel_count"] == parcels.get(feature["id"], 0)
        if feature["geometry"] is None:
            assert lat is None and outlines[feature["id"]] is None
        elif feature["geometry"]["type"] == "Point":
            assert outlines[feature["id"]] is None
            assert feature["geometry"]["coordinates"] == pytest.approx([lon, lat])
        else:
            assert shapely.geometry.shape(feature["geometry"]).equals_exact(
                shapely.from_wkt(outlines[feature["id"]]), 1e-9)
