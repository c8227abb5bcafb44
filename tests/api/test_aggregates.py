"""Grouped counts and sums (land area by use, enterprise and civil-servant statistics)
against the same groups computed in SQL.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.api.helpers import (
    ASSIGNMENT_IN_FORCE,
    TODAY,
    communes_under,
    ok,
    parcel_units,
    ref,
    rows,
    value,
)

SECTIONS_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "vsic_sections.csv"


def test_land_area_by_use_by_default_groups_by_land_use(api, wh):
    data = ok(api, "{ landAreaByUse { landUseCode landUseNameVi communeCode parcelCount "
                   "totalAreaM2 } }")
    expected = {code: (name, n, float(area)) for code, name, n, area in rows(wh, """
        select land_use_code, land_use_name_vi, count(*), coalesce(sum(area_m2), 0)
        from marts.dim_land_parcel group by 1, 2""")}
    got = {r["landUseCode"]: (r["landUseNameVi"], r["parcelCount"], r["totalAreaM2"])
           for r in data["landAreaByUse"]}
    assert len(got) == len(data["landAreaByUse"]) == len(expected) > 1
    assert all(r["communeCode"] is None for r in data["landAreaByUse"])
    for code, (name, n, area) in expected.items():
        assert got[code][:2] == (name, n)
        assert got[code][2] == pytest.approx(area)


def test_land_area_by_commune_and_group_within_a_district(api, wh):
    district = parcel_units(wh)["legacy_district"]
    data = ok(api, """query($f: LandParcelFilter) {
        landAreaByUse(filter: $f, groupBy: [LEGACY_COMMUNE, LAND_USE_GROUP]) {
            legacyCommuneCode landUseGroup landUseCode parcelCount totalAreaM2 } }""",
              {"f": {"adminUnit": ref(district), "areaMinM2": 100}})
    expected = {(c, g): (n, float(a)) for c, g, n, a in rows(wh, """
        select legacy_commune_code, land_use_group, count(*), sum(area_m2)
        from marts.dim_land_parcel where legacy_commune_code = any(%s) and area_m2 >= 100
        group by 1, 2""", (communes_under(wh, district),))}
    got = {(r["legacyCommuneCode"], r["landUseGroup"]): (r["parcelCount"], r["totalAreaM2"])
           for r in data["landAreaByUse"]}
    assert all(r["landUseCode"] is None for r in data["landAreaByUse"])
    assert got.keys() == expected.keys() and len(got) > 1
    for key, (n, area) in expected.items():
        assert got[key][0] == n
        assert got[key][1] == pytest.approx(area)


def test_enterprise_statistics_by_type_and_status(api, wh):
    data = ok(api, "{ enterpriseStatistics(groupBy: [ORGANIZATION_TYPE, STATUS]) { "
                   "organizationType status statusNameVi industryCode organizationCount "
                   "charterCapitalVnd } }")
    expected = {(t, s): (name, n, c) for t, s, name, n, c in rows(wh, """
        select organization_type, status, status_name_vi, count(*), sum(charter_capital_vnd)
        from marts.dim_organization
        where organization_type in ('enterprise', 'branch', 'household_business')
        group by 1, 2, 3""")}
    rows_ = data["enterpriseStatistics"]
    got = {(r["organizationType"], r["status"]): (r["statusNameVi"], r["organizationCount"],
                                                  r["charterCapitalVnd"]) for r in rows_}
    assert len(got) == len(rows_)
    assert got.keys() == expected.keys()
    assert all(r["industryCode"] is None for r in rows_)
    for key, (name, n, capital) in expected.items():
        assert got[key][:2] == (name, n)
        assert got[key][2] == (None if capital is None else pytest.approx(float(capital)))


def test_enterprise_statistics_by_industry_division_of_active_enterprises(api, wh):
    data = ok(api, """{ enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, LEGAL_FORM],
                          filter: {organizationType: [ENTERPRISE], status: ["active"]}) {
                          industryDivisionCode legalFormCode legalFormNameEn
                          organizationCount } }""")
    expected = {(d, f, name): n for d, f, name, n in rows(wh, """
        select industry_division_code, legal_form_code, legal_form_name_en, count(*)
        from marts.dim_organization
        where organization_type = 'enterprise' and status = 'active' group by 1, 2, 3""")}
    got = {(r["industryDivisionCode"], r["legalFormCode"], r["legalFormNameEn"]):
           r["organizationCount"] for r in data["enterpriseStatistics"]}
    assert got == expected and len(got) > 1


def test_enterprise_statistics_by_industry_section_name_the_section_of_each_division(api, wh):
    with SECTIONS_SEED.open(encoding="utf-8") as seed:
        sections = list(csv.DictReader(seed))

    def section_of(division: str | None) -> dict | None:
        return next((s for s in sections if division and division.isdigit()
                     and int(s["first_division"]) <= int(division) <= int(s["last_division"])),
                    None)

    expected: dict = {}
    for division, n in rows(wh, """
            select industry_division_code, count(*) from marts.dim_organization
            where organization_type in ('enterprise', 'branch', 'household_business')
            group by 1"""):
        section = section_of(division)
        key = (section["section_code"], section["name_vi"], section["name_en"]) if section \
            else (None, None, None)
        expected[key] = expected.get(key, 0) + n
    data = ok(api, "{ enterpriseStatistics(groupBy: [INDUSTRY_SECTION]) { industrySectionCode "
                   "industrySectionNameVi industrySectionNameEn organizationCount } }")
    got = {(r["industrySectionCode"], r["industrySectionNameVi"], r["industrySectionNameEn"]):
           r["organizationCount"] for r in data["enterpriseStatistics"]}
    assert got == expected and len(got) > 2
    # Wholesale and retail (G) covers divisions 45 to 47: one section, three divisions.
    trade = ok(api, """{ organizations(filter: {industryCode: "46"}, first: 1) {
                          nodes { industryDivisionCode industrySectionCode
                                  industrySectionNameEn } } }""")["organizations"]["nodes"]
    has_trade = value(wh, "select count(*) > 0 from marts.dim_organization "
                          "where left(industry_code, 2) = '46'")
    assert [(o["industryDivisionCode"], o["industrySectionCode"], o["industrySectionNameEn"])
            for o in trade] == ([("46", "G", section_of("46")["name_en"])] if has_trade else [])


def test_enterprises_by_division_are_named_by_division(api, wh):
    """Divisions 45, 46 and 47 share a section but each has its own name, from the seed."""
    seed = SECTIONS_SEED.with_name("vsic_divisions.csv")
    with seed.open(encoding="utf-8") as file:
        names = {r["division_code"]: (r["name_vi"], r["name_en"]) for r in csv.DictReader(file)}
    assert len(names) == 88 and len({names[d] for d in ("45", "46", "47")}) == 3
    expected = {(division, *names.get(division, (None, None))): n for division, n in rows(wh, """
        select industry_division_code, count(*) from marts.dim_organization
        where organization_type in ('enterprise', 'branch', 'household_business')
        group by 1""")}
    data = ok(api, "{ enterpriseStatistics(groupBy: [INDUSTRY_DIVISION]) { industryDivisionCode "
                   "industryDivisionNameVi industryDivisionNameEn organizationCount } }")
    got = {(r["industryDivisionCode"], r["industryDivisionNameVi"], r["industryDivisionNameEn"]):
           r["organizationCount"] for r in data["enterpriseStatistics"]}
    assert got == expected and sum(1 for key in got if key[1]) > 2
    one = ok(api, """{ organizations(filter: {industryCode: "4"}, first: 1) {
                        nodes { industryDivisionCode industryDivisionNameEn } } }""")
    for o in one["organizations"]["nodes"]:
        assert o["industryDivisionNameEn"] == names[o["industryDivisionCode"]][1]


def test_civil_servant_statistics_by_agency_today(api, wh):
    data = ok(api, "{ civilServantStatistics(groupBy: [AGENCY]) { agencyCode gradeCode "
                   "civilServantCount agency { id } } }")
    expected = {(str(o), code): n for o, code, n in rows(wh, f"""
        select organization_id, agency_code, count(distinct person_id)
        from marts.fct_employment where {ASSIGNMENT_IN_FORCE} group by 1, 2""", {"d": TODAY})}
    got = {(r["agency"]["id"], r["agencyCode"]): r["civilServantCount"]
           for r in data["civilServantStatistics"]}
    assert all(r["gradeCode"] is None for r in data["civilServantStatistics"])
    assert got == expected and len(got) > 1


def test_civil_servant_statistics_by_grade_as_of_a_past_date(api, wh):
    day = value(wh, "select max(valid_to) from marts.fct_employment")
    assert day is not None
    data = ok(api, """query($d: Date) { civilServantStatistics(groupBy: [GRADE],
                          filter: {asOf: $d}) { gradeCode gradeNameVi civilServantCount } }""",
              {"d": day.isoformat()})
    expected = {(g, name): n for g, name, n in rows(wh, f"""
        select grade_code, grade_name_vi, count(distinct person_id)
        from marts.fct_employment where {ASSIGNMENT_IN_FORCE} group by 1, 2""", {"d": day})}
    got = {(r["gradeCode"], r["gradeNameVi"]): r["civilServantCount"]
           for r in data["civilServantStatistics"]}
    assert got == expected and sum(got.values()) > 0


def test_civil_servant_statistics_of_one_agency_and_of_a_commune(api, wh):
    agency, commune = rows(wh, f"""
        select e.organization_id, o.current_commune_code from marts.fct_employment as e
        inner join marts.dim_organization as o using (organization_id)
        where {ASSIGNMENT_IN_FORCE}
        group by 1, 2 order by count(*) desc, 1 limit 1""", {"d": TODAY})[0]
    for flt, condition, params in (
            ({"agencyId": str(agency)}, "organization_id = %(o)s", {"o": agency}),
            ({"adminUnit": {"code": commune}},
             "organization_id in (select organization_id from marts.dim_organization "
             "where current_commune_code = %(o)s)", {"o": commune})):
        data = ok(api, """query($f: CivilServantFilter) { civilServantStatistics(
                              groupBy: [AGENCY, GRADE], filter: $f) {
                              agencyCode gradeCode civilServantCount } }""", {"f": flt})
        expected = {(a, g): n for a, g, n in rows(wh, f"""
            select agency_code, grade_code, count(distinct person_id) from marts.fct_employment
            where {ASSIGNMENT_IN_FORCE} and {condition} group by 1, 2""",
                                                   {"d": TODAY, **params})}
        got = {(r["agencyCode"], r["gradeCode"]): r["civilServantCount"]
               for r in data["civilServantStatistics"]}
        assert got == expected and got, flt
