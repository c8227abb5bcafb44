"""Every filter against the same condition in SQL; filters on what does not exist are
NOT_FOUND, bad ones BAD_USER_INPUT; name searches match every word in any order, LIKE's own
characters only themselves.
"""

from __future__ import annotations

import json

import pytest

from graphql_api.core.pagination import MAX_PAGE_SIZE
from tests.api.helpers import (
    codes,
    column,
    communes_under,
    fold,
    has_words,
    ids,
    node_ids,
    ok,
    parcel_units,
    post,
    ref,
    rows,
    units_under,
    value,
    walk,
)


def parcel_filter_case(name: str, wh, units) -> tuple[dict, str, dict]:
    """A LandParcelFilter and the same condition in SQL over marts.dim_land_parcel."""
    if name == "another province":
        unit_id = value(wh, "select min(admin_unit_id) from marts.dim_admin_unit "
                            "where generation = 'legacy' and level = 'province' "
                            "and admin_unit_id <> %s",
                        (units["legacy_province"],))
        return ({"adminUnit": ref(unit_id)}, "legacy_commune_code = any(%(communes)s)",
                {"communes": communes_under(wh, unit_id)})
    if name in ("current commune", "current province", "legacy commune", "legacy district",
                "legacy province"):
        unit_id = units[name.replace(" ", "_")]
        column_name = ("current_commune_code" if unit_id.startswith("current")
                       else "legacy_commune_code")
        return ({"adminUnit": ref(unit_id)}, f"{column_name} = any(%(communes)s)",
                {"communes": communes_under(wh, unit_id)})
    if name == "land-use codes":
        uses = column(wh, "select land_use_code from marts.dim_land_parcel group by 1 "
                          "order by count(*) desc, 1 limit 2")
        return {"landUseCode": uses}, "land_use_code = any(%(uses)s)", {"uses": uses}
    if name == "land-use group":
        group = value(wh, "select land_use_group from marts.dim_land_parcel group by 1 "
                          "order by count(*) desc, 1 limit 1")
        return {"landUseGroup": group}, "land_use_group = %(group)s", {"group": group}
    if name in ("map sheet and parcel number", "map sheet"):
        # The commonest pair: found in more than one commune, it still names few parcels.
        sheet, number = rows(wh, "select map_sheet_number, parcel_number from "
                                 "marts.dim_land_parcel where map_sheet_number is not null "
                                 "and parcel_number is not null group by 1, 2 "
                                 "order by count(*) desc, 1, 2 limit 1")[0]
        if name == "map sheet":
            return ({"mapSheetNumber": sheet}, "map_sheet_number = %(sheet)s",
                    {"sheet": sheet})
        return ({"mapSheetNumber": sheet, "parcelNumber": number},
                "map_sheet_number = %(sheet)s and parcel_number = %(number)s",
                {"sheet": sheet, "number": number})
    areas = sorted(float(a) for a in column(wh, "select area_m2 from marts.dim_land_parcel"))
    low, high = areas[len(areas) // 4], areas[3 * len(areas) // 4]
    if name == "area range":
        return ({"areaMinM2": low, "areaMaxM2": high}, "area_m2 between %(low)s and %(high)s",
                {"low": low, "high": high})
    if name == "area at least":
        return {"areaMinM2": high}, "area_m2 >= %(high)s", {"high": high}
    if name == "area at most":
        return {"areaMaxM2": low}, "area_m2 <= %(low)s", {"low": low}
    if name == "planning zones":
        zones = column(wh, "select planning_zone from marts.dim_land_parcel group by 1 "
                           "order by count(*), 1 limit 2")
        return {"planningZone": zones}, "planning_zone = any(%(zones)s)", {"zones": zones}
    issued = sorted(column(wh, "select certificate_issued_on from marts.dim_land_parcel "
                               "where certificate_issued_on is not null"))
    first, last = issued[len(issued) // 3], issued[2 * len(issued) // 3]
    if name == "certificate issued":
        return ({"certificateIssuedFrom": first.isoformat(),
                 "certificateIssuedTo": last.isoformat()},
                "certificate_issued_on between %(first)s and %(last)s",
                {"first": first, "last": last})
    if name == "certificate issued from":
        return ({"certificateIssuedFrom": last.isoformat()},
                "certificate_issued_on >= %(last)s", {"last": last})
    assert name == "combined"
    district = units["legacy_district"]
    return ({"adminUnit": ref(district), "landUseGroup": "agricultural", "areaMinM2": low,
             "certificateIssuedTo": last.isoformat()},
            "legacy_commune_code = any(%(communes)s) and land_use_group = 'agricultural' "
            "and area_m2 >= %(low)s and certificate_issued_on <= %(last)s",
            {"communes": communes_under(wh, district), "low": low, "last": last})


PARCEL_FILTERS = ["current commune", "current province", "legacy commune", "legacy district",
                  "legacy province", "another province", "land-use codes", "land-use group",
                  "area range", "area at least", "area at most", "planning zones",
                  "certificate issued", "certificate issued from", "map sheet",
                  "map sheet and parcel number", "combined"]


@pytest.mark.parametrize("name", PARCEL_FILTERS)
def test_land_parcel_filter(api, wh, name):
    flt, condition, params = parcel_filter_case(name, wh, parcel_units(wh))
    expected = ids(column(wh, f"select land_parcel_id from marts.dim_land_parcel "
                              f"where {condition} order by land_parcel_id", params))
    total = value(wh, "select count(*) from marts.dim_land_parcel")
    if name == "another province":
        assert expected == []
    elif "province" in name:  # every parcel is in the province
        assert len(expected) == total
    else:
        assert 0 < len(expected) < total
    nodes = walk(api, "landParcels", MAX_PAGE_SIZE, len(expected), args=", filter: $f",
                 defs=", $f: LandParcelFilter", variables={"f": flt})
    assert node_ids(nodes) == expected


def test_a_legacy_commune_and_its_default_successor(api, wh):
    # A legacy commune split between current communes, with parcels.
    legacy, default = rows(wh, """
        select legacy_commune_code, current_commune_code
        from marts.bridge_admin_unit_succession
        where is_default and legacy_commune_code in (
            select legacy_commune_code from marts.bridge_admin_unit_succession
            group by 1 having count(*) > 1)
          and legacy_commune_code in (select legacy_commune_code from marts.dim_land_parcel)
        order by 1 limit 1""")[0]
    query = """query($f: LandParcelFilter) { landParcels(first: 100, filter: $f) {
                   totalCount nodes { id legacyCommuneCode currentCommuneCode } } }"""
    by_legacy = ok(api, query, {"f": {"adminUnit": {"code": legacy, "generation": "LEGACY"}}})
    assert sorted(node_ids(by_legacy["landParcels"]["nodes"])) == sorted(ids(column(
        wh, "select land_parcel_id from marts.dim_land_parcel where legacy_commune_code = %s",
        (legacy,))))
    assert {n["legacyCommuneCode"] for n in by_legacy["landParcels"]["nodes"]} == {legacy}
    by_current = ok(api, query, {"f": {"adminUnit": {"code": default}}})
    assert sorted(node_ids(by_current["landParcels"]["nodes"])) == sorted(ids(column(
        wh, "select land_parcel_id from marts.dim_land_parcel where current_commune_code = %s",
        (default,))))
    assert by_current["landParcels"]["totalCount"] == value(
        wh, "select count(*) from marts.dim_land_parcel where current_commune_code = %s",
        (default,))


@pytest.mark.parametrize("flt", [
    {"adminUnit": {"code": "99999"}},  # no such commune
    {"adminUnit": {"code": "99999", "generation": "LEGACY"}},
    {"adminUnit": {"code": "999", "generation": "LEGACY"}},  # no such district
])
def test_parcel_filters_on_an_admin_unit_that_does_not_exist_are_not_found(api, flt):
    for field in ("landParcels(filter: $f) { totalCount }",
                  "landAreaByUse(filter: $f) { parcelCount }"):
        body = post(api, f"query($f: LandParcelFilter) {{ {field} }}", {"f": flt})
        assert codes(body) == ["NOT_FOUND"], (field, body)
        assert body["data"] is None


@pytest.mark.parametrize("flt", [
    {"adminUnit": {"code": "1234"}},  # no admin unit has 4 digits
    {"adminUnit": {"code": "8a"}},
    {"adminUnit": {"code": "806"}},  # districts are legacy only
    {"areaMinM2": 500.0, "areaMaxM2": 100.0},
    {"certificateIssuedFrom": "2020-01-02", "certificateIssuedTo": "2020-01-01"},
], ids=lambda f: json.dumps(f))
def test_bad_parcel_filters_are_bad_user_input(api, flt):
    for field in ("landParcels(filter: $f) { totalCount }",
                  "landAreaByUse(filter: $f) { parcelCount }"):
        body = post(api, f"query($f: LandParcelFilter) {{ {field} }}", {"f": flt})
        assert codes(body) == ["BAD_USER_INPUT"], (field, body)
        assert body["data"] is None


@pytest.mark.parametrize("field, flt", [
    ("organizations(filter: $f) { totalCount }", {"adminUnit": {"code": "99999"}}),
    ("enterpriseStatistics(groupBy: [STATUS], filter: $f) { organizationCount }",
     {"adminUnit": {"code": "999", "generation": "LEGACY"}}),
    ("persons(filter: $f) { totalCount }", {"birthAdminUnit": {"code": "99999"}}),
    ("civilServantStatistics(groupBy: [AGENCY], filter: $f) { civilServantCount }",
     {"adminUnit": {"code": "99999"}}),
    ("civilServantStatistics(groupBy: [AGENCY], filter: $f) { civilServantCount }",
     {"agencyId": "00000000-0000-0000-0000-000000000000"}),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v.split("(")[0])
def test_filters_on_something_that_does_not_exist_are_not_found(api, field, flt):
    body = post(api, f"query($f: {FILTER_TYPES[field.split('(')[0]]}) {{ {field} }}",
                {"f": flt})
    assert codes(body) == ["NOT_FOUND"], body


def test_civil_servant_statistics_refuse_an_organization_that_is_no_agency(api, wh):
    enterprise = value(wh, "select organization_id from marts.dim_organization "
                           "where organization_type = 'enterprise' limit 1")
    body = post(api, "query($f: CivilServantFilter) { civilServantStatistics(groupBy: [GRADE], "
                     "filter: $f) { civilServantCount } }", {"f": {"agencyId": str(enterprise)}})
    assert codes(body) == ["NOT_FOUND"], body


FILTER_TYPES = {"organizations": "OrganizationFilter", "enterpriseStatistics":
                "OrganizationFilter", "persons": "PersonFilter", "adminUnits": "AdminUnitFilter",
                "civilServantStatistics": "CivilServantFilter"}


@pytest.mark.parametrize("field, flt", [
    ("organizations(filter: $f) { totalCount }", {"adminUnit": {"code": "1234"}}),
    ("organizations(filter: $f) { totalCount }", {"industryCode": "4x"}),
    ("organizations(filter: $f) { totalCount }", {"name": "a"}),
    ("organizations(filter: $f) { totalCount }",
     {"registeredFrom": "2020-01-02", "registeredTo": "2020-01-01"}),
    ("persons(filter: $f) { totalCount }", {"sex": "unknown"}),
    ("persons(filter: $f) { totalCount }",
     {"birthDateFrom": "2000-01-02", "birthDateTo": "2000-01-01"}),
    ("adminUnits(filter: $f) { totalCount }", {"within": {"code": "1234"}}),
    ("civilServantStatistics(groupBy: [AGENCY], filter: $f) { civilServantCount }",
     {"agencyId": "not-a-uuid"}),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v.split("(")[0])
def test_bad_filters_are_bad_user_input(api, field, flt):
    body = post(api, f"query($f: {FILTER_TYPES[field.split('(')[0]]}) {{ {field} }}",
                {"f": flt})
    assert codes(body) == ["BAD_USER_INPUT"], body


def check_filtered(api, field: str, filter_type: str, flt: dict, expected: list[str]) -> None:
    """The connection filtered: all of it page by page where it is small, else its count
    and first page."""
    if len(expected) <= 5 * MAX_PAGE_SIZE:
        nodes = walk(api, field, MAX_PAGE_SIZE, len(expected), args=", filter: $f",
                     defs=f", $f: {filter_type}", variables={"f": flt})
        assert node_ids(nodes) == expected
        return
    page = ok(api, f"query($f: {filter_type}) {{ {field}(first: {MAX_PAGE_SIZE}, filter: $f) "
                   f"{{ totalCount nodes {{ id }} }} }}", {"f": flt})[field]
    assert page["totalCount"] == len(expected)
    assert node_ids(page["nodes"]) == expected[:MAX_PAGE_SIZE]


def name_part(names: list[str]) -> tuple[str, str]:
    """A two-word part of names, with diacritics and without: the most frequent one that
    not every name has."""
    counts: dict[str, int] = {}
    spelled: dict[str, str] = {}
    for name in names:
        words, folded = name.split(), fold(name).split()
        assert len(words) == len(folded)
        for i in range(len(words) - 1):
            key = " ".join(folded[i:i + 2])
            spelled.setdefault(key, " ".join(words[i:i + 2]))
        for key in {" ".join(folded[i:i + 2]) for i in range(len(folded) - 1)}:
            counts[key] = counts.get(key, 0) + 1
    key = max((k for k, n in counts.items() if 1 < n < len(names) / 3
               and spelled[k] != k), key=lambda k: (counts[k], k))
    return key, spelled[key]


def organization_filter_case(name: str, wh, units) -> tuple[dict, list[str]]:
    """An OrganizationFilter and the IDs it selects, by SQL (or Python for names)."""
    def where(condition: str, params=()) -> list[str]:
        return ids(column(wh, f"select organization_id from marts.dim_organization "
                              f"where {condition} order by organization_id", params))

    if name == "types":
        return ({"organizationType": ["HOUSEHOLD_BUSINESS", "BRANCH"]},
                where("organization_type in ('household_business', 'branch')"))
    if name.startswith("name"):
        everything = rows(wh, "select organization_id::text, organization_name "
                              "from marts.dim_organization order by organization_id")
        part, with_diacritics = name_part([n for _, n in everything])
        search = {"name without diacritics": part, "name with diacritics": with_diacritics,
                  "name in capitals": part.upper()}[name]
        return {"name": search}, [i for i, n in everything if has_words(n, part)]
    if name in ("current commune", "legacy district", "current province"):
        if name == "current commune":
            unit_id = "current:commune:" + value(
                wh, "select current_commune_code from marts.dim_organization "
                    "where current_commune_code is not null group by 1 "
                    "order by count(*) desc, 1 limit 1")
        else:
            unit_id = units[name.replace(" ", "_")]
        column_name = ("current_commune_code" if unit_id.startswith("current")
                       else "legacy_commune_code")
        return ({"adminUnit": ref(unit_id)},
                where(f"{column_name} = any(%s)", (communes_under(wh, unit_id),)))
    if name.startswith("address"):
        # The address as written, with the names of its commune on both maps.
        everything = rows(wh, """
            select o.organization_id::text, concat_ws(' ', o.address_line, c.admin_unit_name,
                                                      l.admin_unit_name)
            from marts.dim_organization as o
            left join marts.dim_admin_unit as c on c.generation = 'current'
                and c.level = 'commune' and c.admin_unit_code = o.current_commune_code
            left join marts.dim_admin_unit as l on l.generation = 'legacy'
                and l.level = 'commune' and l.admin_unit_code = o.legacy_commune_code
            order by o.organization_id""")
        if name == "address street":
            # A street name of two words or more, as a planner types it: no diacritics, no
            # house number.
            street = next(line for line, in rows(
                wh, "select address_line from marts.dim_organization where address_line "
                    "~ '^[0-9]+ [^,]+ [^,]+$' group by 1 order by count(*) desc, 1"))
            search = fold(street.split(" ", 1)[1])
        else:
            search = fold(value(wh, "select c.admin_unit_name from marts.dim_organization "
                                    "as o join marts.dim_admin_unit as c on c.generation = "
                                    "'current' and c.level = 'commune' and c.admin_unit_code "
                                    "= o.current_commune_code group by 1 "
                                    "order by count(*) desc, 1 limit 1"))
        return {"address": search}, [i for i, a in everything if has_words(a, search)]
    if name.startswith("industry"):
        code = value(wh, "select industry_code from marts.dim_organization "
                         "where industry_code is not null group by 1 "
                         "order by count(*) desc, 1 limit 1")
        prefix = code[:2] if name == "industry division" else code
        return ({"industryCode": prefix},
                [i for i, c in rows(wh, "select organization_id::text, industry_code "
                                        "from marts.dim_organization order by organization_id")
                 if c is not None and c.startswith(prefix)])
    if name == "legal forms":
        forms = column(wh, "select legal_form_code from marts.dim_organization "
                           "where legal_form_code is not null group by 1 "
                           "order by count(*) desc, 1 limit 2")
        return {"legalFormCode": forms}, where("legal_form_code = any(%s)", (forms,))
    if name == "statuses":
        statuses = column(wh, "select status from marts.dim_organization "
                              "where status <> 'active' group by 1 order by count(*) desc, 1 "
                              "limit 2")
        return {"status": statuses}, where("status = any(%s)", (statuses,))
    dates = sorted(column(wh, "select registered_on from marts.dim_organization "
                              "where registered_on is not null"))
    first, last = dates[len(dates) // 3], dates[2 * len(dates) // 3]
    if name == "registered between":
        return ({"registeredFrom": first.isoformat(), "registeredTo": last.isoformat()},
                where("registered_on between %s and %s", (first, last)))
    assert name == "combined"
    return ({"organizationType": ["ENTERPRISE"], "registeredFrom": first.isoformat(),
             "status": ["active"], "adminUnit": ref(units["current_province"])},
            where("organization_type = 'enterprise' and registered_on >= %s "
                  "and status = 'active' and current_commune_code = any(%s)",
                  (first, communes_under(wh, units["current_province"]))))


ORGANIZATION_FILTERS = ["types", "name without diacritics", "name with diacritics",
                        "name in capitals", "current commune", "legacy district",
                        "current province", "industry division", "industry code",
                        "address street", "address commune",
                        "legal forms", "statuses", "registered between", "combined"]


@pytest.mark.parametrize("name", ORGANIZATION_FILTERS)
def test_organization_filter(api, wh, name):
    flt, expected = organization_filter_case(name, wh, parcel_units(wh))
    assert 0 < len(expected) < value(wh, "select count(*) from marts.dim_organization")
    check_filtered(api, "organizations", "OrganizationFilter", flt, expected)
    if name.startswith("name"):
        found = ok(api, "query($f: OrganizationFilter) { organizations(first: 100, filter: $f) "
                        "{ nodes { name } } }", {"f": flt})["organizations"]["nodes"]
        assert all(has_words(n["name"], flt["name"]) for n in found)


def person_filter_case(name: str, wh, units) -> tuple[dict, list[str]]:
    """A PersonFilter and the IDs it selects, by SQL (or Python for names)."""
    def where(condition: str, params=()) -> list[str]:
        return ids(column(wh, f"select person_id from marts.dim_person "
                              f"where {condition} order by person_id", params))

    if name.startswith("name"):
        everything = rows(wh, "select person_id::text, full_name from marts.dim_person "
                              "where full_name is not null order by person_id")
        part, with_diacritics = name_part([n for _, n in everything])
        search = part if name == "name without diacritics" else with_diacritics
        return {"name": search}, [i for i, n in everything if has_words(n, part)]
    if name == "sex":
        return {"sex": "female"}, where("sex = 'female'")
    births = sorted(column(wh, "select birth_date from marts.dim_person "
                               "where birth_date is not null"))
    first, last = births[len(births) // 3], births[2 * len(births) // 3]
    if name == "born between":
        return ({"birthDateFrom": first.isoformat(), "birthDateTo": last.isoformat()},
                where("birth_date between %s and %s", (first, last)))
    if name == "born until":
        return {"birthDateTo": first.isoformat()}, where("birth_date <= %s", (first,))
    if name in ("deceased", "alive"):
        return ({"isDeceased": name == "deceased"},
                where("is_deceased = %s", (name == "deceased",)))
    if name in ("born in a current commune", "born in a legacy district",
                "born in the province"):
        unit_id = {"born in a current commune": "current_commune",
                   "born in a legacy district": "legacy_district",
                   "born in the province": "current_province"}[name]
        unit_id = units[unit_id]
        column_name = ("birth_current_commune_code" if unit_id.startswith("current")
                       else "birth_legacy_commune_code")
        return ({"birthAdminUnit": ref(unit_id)},
                where(f"{column_name} = any(%s)", (communes_under(wh, unit_id),)))
    if name == "source system":
        return {"sourceSystem": "cadre"}, where("'cadre' = any(source_systems)")
    assert name == "combined"
    return ({"sex": "male", "birthDateFrom": first.isoformat(), "isDeceased": False,
             "sourceSystem": "land"},
            where("sex = 'male' and birth_date >= %s and not is_deceased "
                  "and 'land' = any(source_systems)", (first,)))


PERSON_FILTERS = ["name without diacritics", "name with diacritics", "sex", "born between",
                  "born until", "deceased", "alive", "born in a current commune",
                  "born in a legacy district", "born in the province", "source system",
                  "combined"]


@pytest.mark.parametrize("name", PERSON_FILTERS)
def test_person_filter(api, wh, name):
    flt, expected = person_filter_case(name, wh, parcel_units(wh))
    assert 0 < len(expected) < value(wh, "select count(*) from marts.dim_person")
    check_filtered(api, "persons", "PersonFilter", flt, expected)
    if name.startswith("name"):
        found = ok(api, "query($f: PersonFilter) { persons(first: 100, filter: $f) "
                        "{ nodes { fullName } } }", {"f": flt})["persons"]["nodes"]
        assert all(has_words(n["fullName"], flt["name"]) for n in found)


def admin_unit_filter_case(name: str, wh, units) -> tuple[dict, list[str]]:
    def where(condition: str, params=()) -> list[str]:
        return column(wh, f"select admin_unit_id from marts.dim_admin_unit where {condition} "
                          f"order by generation, level, admin_unit_code, admin_unit_id", params)

    if name == "generation":
        return {"generation": "CURRENT"}, where("generation = 'current'")
    if name == "level":
        return {"level": "DISTRICT"}, where("level = 'district'")
    if name == "generation and level":
        return ({"generation": "LEGACY", "level": "PROVINCE"},
                where("generation = 'legacy' and level = 'province'"))
    if name.startswith("within"):
        unit_id = units[name.removeprefix("within ").replace(" ", "_")]
        return {"within": ref(unit_id)}, where("admin_unit_id = any(%s)",
                                               (units_under(wh, unit_id),))
    everything = rows(wh, "select admin_unit_id, admin_unit_name from marts.dim_admin_unit "
                          "order by generation, level, admin_unit_code, admin_unit_id")
    short = value(wh, "select short_name from marts.dim_admin_unit where admin_unit_id = %s",
                  (units["legacy_district"],))
    part = fold(short)
    search = {"name without diacritics": part, "name with diacritics": short}[name]
    flt = {"name": search}
    if name == "name with diacritics":
        flt["generation"] = "LEGACY"
        everything = [(i, n) for i, n in everything if i.startswith("legacy:")]
    return flt, [i for i, n in everything if has_words(n, part)]


ADMIN_UNIT_FILTERS = ["generation", "level", "generation and level", "within current province",
                      "within legacy province", "within legacy district",
                      "within legacy commune", "name without diacritics",
                      "name with diacritics"]


@pytest.mark.parametrize("name", ADMIN_UNIT_FILTERS)
def test_admin_unit_filter(api, wh, name):
    flt, expected = admin_unit_filter_case(name, wh, parcel_units(wh))
    if name == "within legacy commune":
        assert expected == []  # nothing is under a commune
    else:
        assert 0 < len(expected) < value(wh, "select count(*) from marts.dim_admin_unit")
    check_filtered(api, "adminUnits", "AdminUnitFilter", flt, expected)


@pytest.mark.parametrize("name", ["％％", "＿＿", "ab＼"])
def test_like_characters_in_a_name_search_match_themselves(api, name):
    body = ok(api, "query($n: String) { organizations(filter: {name: $n}) { totalCount } "
                   "enterpriseStatistics(groupBy: [STATUS], filter: {name: $n}) "
                   "{ organizationCount } }", {"n": name})
    assert body["organizations"]["totalCount"] == 0
    assert body["enterpriseStatistics"] == []


def test_a_name_search_finds_its_words_in_any_order(api, wh):
    name = value(wh, "select organization_name from marts.dim_organization where "
                     "organization_name ~ '^\\S+ \\S+ \\S+ \\S+' order by organization_id limit 1")
    words = fold(name).split()
    backwards = " ".join(reversed([words[0], words[-1]]))
    query = ("query($n: String) { organizations(first: 100, filter: {name: $n}) "
             "{ totalCount nodes { name } } }")
    found = ok(api, query, {"n": backwards})["organizations"]
    assert name in [n["name"] for n in found["nodes"]]
    assert found["totalCount"] == sum(
        has_words(n, backwards) for (n,) in wh.execute(
            "select organization_name from marts.dim_organization").fetchall())
    nothing = ok(api, query, {"n": f"{backwards} zzqx"})["organizations"]
    assert nothing["totalCount"] == 0
