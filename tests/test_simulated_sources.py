import hashlib
import math
import random
import re
import unicodedata
from collections import Counter
from datetime import date, datetime

import pytest
from shapely import Polygon
from shapely.ops import unary_union
from stdnum.vn import mst

from pipelines.sources.contracts import CONTRACTS
from simulated_sources import cadastre
from simulated_sources.admin_units import long_an_communes
from simulated_sources.changes import TABLE_BY_NAME
from simulated_sources.noise import (
    DIGIT_NEIGHBOURS,
    HELD_OUT_KINDS,
    LETTER_NEIGHBOURS,
    NO_NOISE,
    UNKNOWN_CODES,
    NoiseSettings,
    RowNoise,
    i_for_y,
    reads_as_id,
    reads_as_personal_id,
    strip_diacritics,
    tone_style,
)
from simulated_sources.population import (
    CIVIL_SERVANT_GRADES,
    CMND_PREFIXES,
    LAND_USE_RURAL,
    LAND_USE_URBAN,
    LEGAL_FORMS,
    PLANNING_ZONES,
    Parcel,
    Weighted,
    enterprise_code,
    generate,
)
from simulated_sources.seed import render_table
from simulated_sources.systems import TABLES

# Rates high enough that a few thousand rows measure them well; the kinds they do not
# measure stay off, so that they do not blur the measurements.
LOUD = NO_NOISE.with_rates(dict(
    name_no_diacritics=0.2, name_nfd=0.2, name_old_tone_style=0.5, name_upper_case=0.2,
    name_extra_spaces=0.2, name_swapped_order=0.2, cmnd_instead_of_id=0.5, date_year_only=0.2,
    date_day_month_swapped=0.3, address_free_text=0.3, duplicate_person_record=0.2,
    broken_row=0.05, deceased_still_active=0.5,
))
# Data-entry errors the generator did not make before; held-out ones are listed apart.
ENTRY_ERRORS = ("id_grouped_digits", "id_lost_leading_zero", "id_document_type_mismatch",
                "id_transposed_digits", "id_of_spouse", "name_typo", "name_middle_dropped",
                "name_honorific", "name_invisible_characters", "date_off_by_one_day",
                *HELD_OUT_KINDS)
# Every kind at once, the entry errors loud too.
EVERYTHING = LOUD.with_rates({kind: 0.3 for kind in ENTRY_ERRORS})


@pytest.fixture(scope="module")
def province():
    return generate(2_000, seed=7)


@pytest.fixture(scope="module")
def loud():
    """Every table of a 20,000-person province rendered with loud noise."""
    province = generate(20_000, seed=3, deceased_still_active=LOUD.deceased_still_active)
    return province, {t.name: list(render_table(province, t, LOUD)) for t in TABLES}


def table_named(name):
    return TABLE_BY_NAME[name]


def rendered(province, table_name, settings=NO_NOISE):
    table = table_named(table_name)
    return table, [r.row for r in render_table(province, table, settings)]


def column(table_name, records, name):
    index = table_named(table_name).column_names.index(name)
    return [r.row[index] for r in records]


def assert_rate(hits: int, trials: int, rate: float):
    """Observed share within 4.5 binomial standard deviations of the setting."""
    assert trials > 40, trials
    sd = math.sqrt(rate * (1 - rate) / trials)
    assert abs(hits / trials - rate) <= 4.5 * sd + 1e-9, (hits, trials, rate)


def test_long_an_has_its_real_communes():
    communes = long_an_communes()
    assert len(communes) == 186
    assert len({c.district_code for c in communes}) == 15
    assert all(10.0 < c.lat < 11.5 and 105.5 < c.lon < 107.0 for c in communes)


def test_same_seed_same_province_other_seed_other_province():
    a, b, c = generate(300, seed=1), generate(300, seed=1), generate(300, seed=2)
    assert [p.personal_id for p in a.persons] == [p.personal_id for p in b.persons]
    assert [p.area_m2 for p in a.parcels] == [p.area_m2 for p in b.parcels]
    assert [p.personal_id for p in a.persons] != [p.personal_id for p in c.persons]


def test_rendering_with_noise_is_deterministic_for_a_seed():
    a, b = generate(500, seed=5), generate(500, seed=5)
    for table in TABLES:
        assert list(render_table(a, table, EVERYTHING)) == list(render_table(b, table,
                                                                             EVERYTHING))
    c = generate(500, seed=6)
    assert [r.row for r in render_table(a, TABLES[1], EVERYTHING)] != \
        [r.row for r in render_table(c, TABLES[1], EVERYTHING)]


def test_enterprise_codes_carry_the_real_check_digit(province):
    codes = [o.code for o in province.organizations if o.kind in ("enterprise", "branch")]
    assert codes
    for code in codes:
        assert mst.is_valid(code), code
    with pytest.raises(ValueError):
        enterprise_code(next(s for s in range(1, 100) if _remainder_zero(s)))


def _remainder_zero(sequence: int) -> bool:
    try:
        enterprise_code(sequence)
        return False
    except ValueError:
        return True


def test_personal_ids_encode_birthplace_sex_century_and_year(province):
    ids = [p.personal_id for p in province.persons]
    assert len(set(ids)) == len(ids)
    for p in province.persons:
        assert len(p.personal_id) == 12 and p.personal_id.isdigit()
        assert p.personal_id[:3] == p.birth_province
        century = 0 if p.birth_date.year < 2000 else 2
        assert int(p.personal_id[3]) == century + (0 if p.sex == "M" else 1)
        assert p.personal_id[4:6] == f"{p.birth_date.year % 100:02d}"
        assert p.cmnd is None or p.cmnd[:2] == CMND_PREFIXES[p.birth_province]
        assert p.death_date is None or p.birth_date < p.death_date <= province.world_date
    assert {p.cmnd[0] for p in province.persons if p.cmnd} >= {"0", "3"}  # Hà Nội's, Long An's


def test_land_register_is_referentially_intact(province):
    _, parcels = rendered(province, "thua_dat")
    _, users = rendered(province, "chu_su_dung")
    _, rights = rendered(province, "quyen_su_dung")
    _, certificates = rendered(province, "giay_chung_nhan")
    _, transfers = rendered(province, "bien_dong")
    parcel_ids, user_ids = {r[0] for r in parcels}, {r[0] for r in users}
    assert len(parcel_ids) == len(parcels) and len(user_ids) == len(users)
    assert {r[1] for r in rights} <= parcel_ids
    assert {r[2] for r in rights} <= user_ids
    assert {r[3] for r in rights} - {None} <= {r[0] for r in certificates}
    assert {r[5] for r in certificates} <= parcel_ids
    assert {r[1] for r in transfers} <= parcel_ids
    assert {r[3] for r in transfers} | {r[4] for r in transfers} <= user_ids
    current = {}
    for right in rights:
        if right[6] is None:
            current[right[1]] = current.get(right[1], 0) + right[4]
    assert all(abs(total - 1.0) < 1e-9 for total in current.values())


def test_other_sources_are_referentially_intact(province):
    _, births = rendered(province, "khai_sinh")
    ids = {p.personal_id for p in province.persons}
    assert {r[1] for r in births} <= ids
    assert {r[6] for r in births} | {r[7] for r in births} - {None} <= ids | {None}
    _, marriages = rendered(province, "ket_hon")
    assert {r[1] for r in marriages} | {r[3] for r in marriages} <= ids
    _, enterprises = rendered(province, "enterprises")
    codes = {r[0] for r in enterprises}
    assert {r[1] for r in enterprises} - {None} <= codes
    assert any(r[1] for r in enterprises)  # branches exist, with a 10-3 code
    assert all(re.fullmatch(r"\d{10}-\d{3}", r[0]) for r in enterprises if r[1])
    _, agencies = rendered(province, "dm_co_quan")
    agency_codes = {r[0] for r in agencies}
    assert {r[2] for r in agencies} - {None} <= agency_codes
    _, profiles = rendered(province, "ho_so_can_bo")
    _, history = rendered(province, "qua_trinh_cong_tac")
    assert {r[5] for r in profiles} <= agency_codes
    assert {r[1] for r in history} <= {r[0] for r in profiles}
    assert {r[2] for r in history} <= agency_codes
    for profile in profiles:
        assert profile[8] in CIVIL_SERVANT_GRADES[profile[6]]  # coefficient on its scale


def test_civil_registry_dates_are_dd_mm_yyyy_text(province):
    table, births = rendered(province, "khai_sinh")
    column = table.column_names.index("ngay_sinh")
    for row in births[:200]:
        day, month, year = row[column].split("/")
        assert date(int(year), int(month), int(day))


def test_every_row_knows_its_truth(loud):
    _, tables = loud
    for name, records in tables.items():
        assert records, name
        assert all(r.links for r in records), name
    # A duplicate record describes the same person as the original.
    by_key = {r.row[0]: r for r in tables["khai_sinh"]}
    duplicates = [k for k in by_key if k.endswith(".L")]
    assert duplicates
    for key in duplicates:
        assert by_key[key].links == by_key[key[:-2]].links
        assert ("so_dang_ky", "duplicate_person_record") in by_key[key].noise


def test_pipeline_contracts_describe_the_simulated_systems():
    """kho declares what it expects of each agency table; the simulator must match it."""
    simulated = {(t.source, t.name): t for t in TABLES}
    declared = {(c.source, c.table): c for c in CONTRACTS}
    assert simulated.keys() == declared.keys()
    for key, contract in declared.items():
        table = simulated[key]
        assert contract.source_column_names == table.column_names, key
        assert contract.key == table.primary_key, key
        assert contract.watermark == table.updated_column, key


def test_tone_placement_and_diacritics():
    assert tone_style("Nguyễn Thị Hoà", "old") == "Nguyễn Thị Hòa"
    assert tone_style("Lê Thủy", "new") == "Lê Thuỷ"
    assert tone_style("Lê Thuỷ", "old") == "Lê Thủy"
    assert tone_style("Khoẻ", "old") == "Khỏe"
    for unchanged in ("Hoàng", "Quý", "Quỳnh", "Tuyết", "Huy", "Khoa"):
        assert tone_style(unchanged, "old") == unchanged == tone_style(unchanged, "new")
    assert strip_diacritics("Đặng Văn Đạt") == "Dang Van Dat"


def test_truth_names_use_the_new_tone_placement(province):
    names = " ".join(p.full_name for p in province.persons)
    assert tone_style(names, "new") == names


def test_noise_settings_are_validated():
    with pytest.raises(ValueError, match="unknown noise kind"):
        NoiseSettings().with_rates({"name_typos": 0.1})
    with pytest.raises(ValueError, match="between 0 and 1"):
        NoiseSettings().with_rates({"broken_row": 1.5})
    assert NoiseSettings().scaled(0).as_dict() == NO_NOISE.as_dict()
    assert all(rate == 0 for rate in NO_NOISE.as_dict().values())


def test_clean_settings_render_clean_rows(province):
    for table in TABLES:
        for record in render_table(province, table, NO_NOISE):
            assert not record.noise and record.defect is None, table.name


def test_name_noise_rates_match_the_settings(loud):
    province, tables = loud
    births = [r for r in tables["khai_sinh"] if r.defect is None
              and not r.row[0].endswith(".L")]
    names = column("khai_sinh", births, "ho_ten")
    truth = [province.persons[r.links[0][2] - 1].full_name for r in births]
    ascii_names = sum(1 for n, t in zip(names, truth, strict=True)
                      if n.isascii() and not t.isascii())
    assert_rate(ascii_names, len(names), LOUD.name_no_diacritics)
    assert_rate(sum(1 for n in names if n == n.upper()), len(names), LOUD.name_upper_case)
    decomposed = sum(1 for n in names if unicodedata.normalize("NFC", n) != n)
    with_marks = sum(1 for n in names
                     if unicodedata.normalize("NFD", n) != unicodedata.normalize("NFC", n))
    assert_rate(decomposed, with_marks, LOUD.name_nfd)
    spaced = sum(1 for n in names if "  " in n or n != n.strip())
    assert_rate(spaced, len(names), LOUD.name_extra_spaces)
    # Swapped order: the family name comes last.
    swapped = sum(1 for n, t in zip(names, truth, strict=True)
                  if strip_diacritics(" ".join(n.split())).lower().split()[-1]
                  == strip_diacritics(t).lower().split()[0]
                  and strip_diacritics(" ".join(n.split())).lower().split()[0]
                  != strip_diacritics(t).lower().split()[0])
    assert_rate(swapped, len(names), LOUD.name_swapped_order)
    # Old tone placement only shows where a name has such a syllable; its words are there
    # in whatever order the name was written.
    eligible = [(n, t) for n, t in zip(names, truth, strict=True)
                if tone_style(t, "old") != t]
    old = sum(1 for n, t in eligible if set(tone_style(t, "old").lower().split()) <=
              set(unicodedata.normalize("NFC", n).lower().split()))
    assert_rate(old, len(eligible), LOUD.name_old_tone_style * (1 - LOUD.name_no_diacritics))


def test_id_date_address_and_duplicate_rates_match_the_settings(loud):
    province, tables = loud
    reps = [r for r in tables["enterprises"] if r.defect is None]
    with_cmnd = [(r, province.persons[r.links[1][2] - 1]) for r in reps]
    with_cmnd = [(r, p) for r, p in with_cmnd if p.cmnd]
    ids = column("enterprises", [r for r, _ in with_cmnd], "legal_rep_id_no")
    assert_rate(sum(1 for i, (_, p) in zip(ids, with_cmnd, strict=True) if i == p.cmnd),
                len(ids), LOUD.cmnd_instead_of_id)
    assert all(len(i) in (9, 12) and i.isdigit() for i in ids)
    wards = column("enterprises", reps, "ward_code")
    assert_rate(sum(1 for w in wards if w is None), len(wards), LOUD.address_free_text)

    users = [r for r in tables["chu_su_dung"] if r.defect is None and r.links[0][1] == "person"]
    dates = column("chu_su_dung", users, "ngay_sinh")
    assert_rate(sum(1 for d in dates if re.fullmatch(r"\d{4}", d)), len(dates),
                LOUD.date_year_only)

    births = [r for r in tables["khai_sinh"] if r.defect is None]
    swappable, swapped = 0, 0
    for record, text in zip(births, column("khai_sinh", births, "ngay_sinh"), strict=True):
        truth = province.persons[record.links[0][2] - 1].birth_date
        if truth.day <= 12 and truth.day != truth.month:
            swappable += 1
            swapped += text == f"{truth.month:02d}/{truth.day:02d}/{truth.year}"
    assert_rate(swapped, swappable, LOUD.date_day_month_swapped)

    originals = [r for r in tables["khai_sinh"] if not r.row[0].endswith(".L")]
    copies = [r for r in tables["khai_sinh"] if r.row[0].endswith(".L")]
    assert_rate(len(copies), len(originals), LOUD.duplicate_person_record)


VALID_CODES = {
    "land_use": {c for c, _ in LAND_USE_URBAN + LAND_USE_RURAL},
    "commune": {c.code for c in long_an_communes()},
    "legal_form": {c for c, _ in LEGAL_FORMS},
    "grade": set(CIVIL_SERVANT_GRADES),
}


def test_broken_rows_break_their_contract_and_keep_the_clean_value(loud):
    province, tables = loud
    rows = sum(len(records) for records in tables.values())
    broken = [(name, r) for name, records in tables.items() for r in records if r.defect]
    assert_rate(len(broken), sum(len(v) for k, v in tables.items()
                                 if table_named(k).defects), LOUD.broken_row)
    assert len(broken) < rows
    kinds = {r.defect[1] for _, r in broken}
    assert kinds == {"malformed_id", "impossible_date", "negative_area", "unknown_code",
                     "missing_required"}
    for name, record in broken:
        table = table_named(name)
        col, defect, clean = record.defect
        value = record.row[table.column_names.index(col)]
        assert value != clean and clean is not None, (name, record)
        if defect == "malformed_id":
            shape = re.sub(r"\d", "9", clean)
            assert re.sub(r"\d", "9", value) != shape, (clean, value)
            assert not reads_as_id(value), value
        elif defect == "impossible_date":
            if isinstance(value, str):
                with pytest.raises(ValueError):
                    date(*reversed([int(x) for x in value.split("/")]))
            else:
                assert value > province.world_date
        elif defect == "negative_area":
            assert value < 0
        elif defect == "unknown_code":
            code_set = next(c for k, d, c in table.defects if k == col)
            assert value in UNKNOWN_CODES[code_set]
            assert value not in VALID_CODES.get(code_set, set())
        else:
            assert value is None


def test_deceased_persons_stay_on_record_at_the_configured_share(loud):
    province, tables = loud
    died_in_office = [e for e in province.employments
                      if e.end and province.persons[e.person_no - 1].death_date == e.end]
    assert died_in_office
    unrecorded = [e for e in died_in_office if e.end_unrecorded]
    assert 0 < len(unrecorded) < len(died_in_office)  # some recorded, some never told
    history = {r.row[0]: r.row for r in tables["qua_trinh_cong_tac"]}
    for e in died_in_office:
        shown_end = history[e.employment_no][7]
        assert (shown_end is None) == e.end_unrecorded or history[e.employment_no] is None
    stale_reps = [r for r in tables["enterprises"]
                  if ("legal_rep_id_no", "deceased_still_active") in r.noise]
    assert stale_reps
    for record in stale_reps:
        assert province.persons[record.links[1][2] - 1].death_date is not None


def test_a_simulated_year_changes_the_province_as_documented():
    from datetime import timedelta

    from simulated_sources.changes import World, day_rng

    province = generate(3_000, seed=8)
    persons, orgs = len(province.persons), len(province.organizations)
    world = World(province)
    events: dict[str, list] = {}
    for n in range(1, 366):
        day = province.world_date + timedelta(days=1)
        for event in world.simulate_day(day, day_rng(8, n)):
            events.setdefault(event.kind, []).append(event)
            assert event.kind != "birth" or event.entity.birth_date == day
    assert set(events) >= {"birth", "death", "marriage", "transfer", "new_enterprise",
                           "status_change", "new_household_business", "hire"}
    assert len(province.persons) == persons + len(events["birth"])
    assert province.world_date == date(2027, 1, 1)
    for event in events["birth"]:
        child = event.entity
        century = "2" if child.sex == "M" else "3"
        assert child.personal_id[:6] == f"080{century}{child.birth_date.year % 100:02d}"
        assert province.persons[child.mother_no - 1].sex == "F"
    ids = [p.personal_id for p in province.persons]
    assert len(set(ids)) == len(ids)
    new_orgs = province.organizations[orgs:]
    assert all(mst.is_valid(o.code) for o in new_orgs if o.kind == "enterprise")
    for event in events["death"]:
        assert event.entity.death_date is not None
        for e in event.detail["closed"]:
            assert e.end == event.entity.death_date
    for event in events["transfer"]:
        parcel = event.entity
        assert parcel.transfers[-1] is event.detail["transfer"]
    # A parcel's current holders always hold the whole of it; roads and canals are never
    # sold (state land: no holder, before or after).
    for parcel in province.parcels:
        if parcel.land_use in cadastre.STRIP_LAND_USES and not parcel.holders:
            assert not parcel.transfers
        else:
            assert abs(sum(h.share for h in parcel.holders) - 1) < 1e-9


def test_the_documented_noise_defaults_are_the_real_ones():
    from kho.settings import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "simulated_sources.md").read_text()
    documented = {m[0]: float(m[1]) for m in re.findall(r"\| `(\w+)` \| ([0-9.]+) \|", doc)}
    assert documented == NoiseSettings().as_dict()


def test_the_cli_rejects_unknown_noise_kinds_and_rates_clearly(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KHO_HOME": str(tmp_path)}
    for bad, message in (("name_typos=0.1", "unknown noise kind"),
                         ("broken_row=2", "between 0 and 1"), ("broken_row", "KIND=RATE")):
        result = subprocess.run([sys.executable, "-m", "kho.cli", "sources", "seed", "--noise",
                                 bad], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "pgdata").exists()  # refused before touching any database


# -- data-entry errors, each alone -----------------------------------------------------------

# Where each system records a person's identity number, name and birth date, and the role
# of the person it describes.
ID_COLUMNS = {
    ("chu_su_dung", "so_giay_to"): "holder",
    ("enterprises", "legal_rep_id_no"): "legal_representative",
    ("household_businesses", "owner_id_no"): "owner",
    ("khai_sinh", "so_dinh_danh"): "subject",
    ("khai_sinh", "cha_so_dinh_danh"): "father",
    ("khai_sinh", "me_so_dinh_danh"): "mother",
    ("khai_tu", "so_dinh_danh"): "subject",
    ("ket_hon", "chong_so_dinh_danh"): "husband",
    ("ket_hon", "vo_so_dinh_danh"): "wife",
    ("ho_so_can_bo", "so_cccd"): "subject",
}
# The civil registry issues the child's ID itself: it is formatted, never mistyped.
ISSUED_ID = ("khai_sinh", "so_dinh_danh")
NAME_COLUMNS = {
    ("chu_su_dung", "ho_ten"): "holder",
    ("enterprises", "legal_rep_name"): "legal_representative",
    ("household_businesses", "owner_name"): "owner",
    ("khai_sinh", "ho_ten"): "subject",
    ("khai_tu", "ho_ten"): "subject",
    ("ket_hon", "chong_ho_ten"): "husband",
    ("ket_hon", "vo_ho_ten"): "wife",
    ("ho_so_can_bo", "ho_ten"): "subject",
}
BIRTH_DATE_COLUMNS = {
    ("chu_su_dung", "ngay_sinh"): "holder",
    ("enterprises", "legal_rep_dob"): "legal_representative",
    ("household_businesses", "owner_dob"): "owner",
    ("khai_sinh", "ngay_sinh"): "subject",
    ("ho_so_can_bo", "ngay_sinh"): "subject",
}


def only(kind: str, **others: float) -> NoiseSettings:
    """One kind on every value it can strike, the others off unless given."""
    return NO_NOISE.with_rates({kind: 1.0, **others})


def person_values(province, settings, columns):
    """(table, column, value, true person, record) for every person value of the columns."""
    for (table_name, column_name), role in columns.items():
        table = table_named(table_name)
        index = table.column_names.index(column_name)
        for record in render_table(province, table, settings):
            for link_role, kind, number in record.links:
                if link_role == role and kind == "person":
                    yield (table_name, column_name, record.row[index],
                           province.persons[number - 1], record)


def as_date(value) -> date:
    return datetime.strptime(value, "%d/%m/%Y").date() if isinstance(value, str) else value


def spouse_numbers(province) -> dict[int, int]:
    return {**{m.husband_no: m.wife_no for m in province.marriages},
            **{m.wife_no: m.husband_no for m in province.marriages}}


def test_grouped_digits_are_the_same_number_in_groups_of_three(province):
    separators = set()
    values = person_values(province, only("id_grouped_digits", cmnd_instead_of_id=0.5),
                           ID_COLUMNS)
    for _, column_name, value, person, record in values:
        assert re.fullmatch(r"\d{3}([ .\-\u00a0]\d{3}){2,3}", value), value
        separators |= set(value[3::4])
        cmnd = (column_name, "cmnd_instead_of_id") in record.noise
        assert re.sub(r"\D", "", value) == (person.cmnd if cmnd else person.personal_id)
        assert (column_name, "id_grouped_digits") in record.noise
    assert separators == {" ", ".", "-", "\u00a0"}


def test_a_spreadsheet_loses_every_leading_zero(province):
    shapes = Counter()
    values = person_values(province, only("id_lost_leading_zero", cmnd_instead_of_id=0.5),
                           ID_COLUMNS)
    for table_name, column_name, value, person, record in values:
        recorded = person.cmnd if (column_name, "cmnd_instead_of_id") in record.noise \
            else person.personal_id
        note = (column_name, "id_lost_leading_zero") in record.noise
        if (table_name, column_name) == ISSUED_ID:
            assert value == recorded and not note
            continue
        assert value == recorded.lstrip("0") and note == recorded.startswith("0")
        shapes[len(recorded), len(value)] += 1
    # Personal IDs lose one zero, or two (Hà Nội's 001); CMNDs from Hà Nội or Hồ Chí Minh
    # City lose theirs, Long An's (30...) have none to lose.
    assert set(shapes) == {(12, 11), (12, 10), (9, 8), (9, 9)}


def test_a_land_user_s_card_filed_under_the_other_document_type(province):
    table = table_named("chu_su_dung")
    for settings, swapped in ((only("id_document_type_mismatch", cmnd_instead_of_id=0.5), True),
                              (NO_NOISE.with_rates({"cmnd_instead_of_id": 0.5}), False)):
        kinds = Counter()
        for record in render_table(province, table, settings):
            document_type, number = record.row[3:5]
            note = ("loai_giay_to", "id_document_type_mismatch") in record.noise
            if record.links[0][1] == "organization":
                assert document_type in ("MST", "GPKD") and not note
                continue
            proper = {9: "CMND", 12: "CCCD"}[len(number)]
            assert (document_type != proper) == swapped == note
            kinds[document_type] += 1
        assert kinds["CMND"] and kinds["CCCD"]


def test_transposed_digits_change_the_id_and_keep_twelve_digits(province):
    positions = set()
    values = person_values(province, only("id_transposed_digits"), ID_COLUMNS)
    for table_name, column_name, value, person, record in values:
        truth = person.personal_id
        if (table_name, column_name) == ISSUED_ID:
            assert value == truth
            continue
        assert re.fullmatch(r"\d{12}", value) and reads_as_personal_id(value) and value != truth
        at = [i for i in range(12) if value[i] != truth[i]]
        assert len(at) == 2 and at[1] == at[0] + 1
        assert value[at[0]] == truth[at[1]] and value[at[1]] == truth[at[0]]
        assert (column_name, "id_transposed_digits") in record.noise
        positions.add(at[0])
    # The sex, century and year digits included; never the first two, which would give a
    # province code above 096.
    assert positions == set(range(1, 11))


def test_a_married_holder_filed_under_the_spouse_s_personal_id(province):
    spouse = spouse_numbers(province)
    table = table_named("chu_su_dung")
    married = single = 0
    # The spouse's number wins over the holder's own CMND.
    for record in render_table(province, table, only("id_of_spouse", cmnd_instead_of_id=1.0)):
        if record.links[0][1] == "organization":
            continue
        person = province.persons[record.links[0][2] - 1]
        row = dict(zip(table.column_names, record.row, strict=True))
        assert row["ho_ten"] == person.full_name
        assert row["gioi_tinh"] == ("Nam" if person.sex == "M" else "Nữ")
        assert as_date(row["ngay_sinh"]) == person.birth_date
        note = ("so_giay_to", "id_of_spouse") in record.noise
        if person.person_no in spouse:
            married += 1
            assert row["so_giay_to"] == province.persons[spouse[person.person_no] - 1].personal_id
            assert row["loai_giay_to"] == "CCCD" and note
        else:
            single += 1
            assert row["so_giay_to"] in (person.personal_id, person.cmnd) and not note
    assert married and single
    others = {c: role for c, role in ID_COLUMNS.items() if c[0] != "chu_su_dung"}
    for _, _, value, person, _ in person_values(province, only("id_of_spouse"), others):
        assert value == person.personal_id  # only the land register mixes papers up


def keystroke(truth: str, typed: str) -> str | None:
    """Which keystroke error turns one word into the other, if one does."""
    if truth[0] != typed[0]:
        return None
    if len(typed) == len(truth) - 1:
        return "delete" if any(truth[:i] + truth[i + 1:] == typed
                               for i in range(1, len(truth))) else None
    if len(typed) == len(truth) + 1:
        return "double" if any(truth[:i + 1] + truth[i:] == typed
                               for i in range(1, len(truth))) else None
    at = [i for i in range(len(truth)) if truth[i] != typed[i]]
    if len(at) == 1 and typed[at[0]] in LETTER_NEIGHBOURS.get(truth[at[0]], ""):
        return "replace"
    if len(at) == 2 and at[1] == at[0] + 1 and typed[at[0]] == truth[at[1]] \
            and typed[at[1]] == truth[at[0]]:
        return "swap"
    return None


def test_a_name_typo_is_one_keystroke_in_one_word(province):
    edits = Counter()
    for _, column_name, value, person, record in person_values(province, only("name_typo"),
                                                               NAME_COLUMNS):
        truth, typed = person.full_name.split(" "), value.split(" ")
        assert len(typed) == len(truth) and all(len(w) >= 2 for w in typed), value
        changed = [(t, w) for t, w in zip(truth, typed, strict=True) if t != w]
        # A name of two-letter words ending in a marked vowel ("Hồ Mỹ Lệ") has no room.
        assert ((column_name, "name_typo") in record.noise) == bool(changed)
        if changed:
            assert len(changed) == 1, value
            edit = keystroke(*changed[0])
            assert edit, changed
            edits[edit] += 1
    assert set(edits) == {"delete", "double", "replace", "swap"}


def test_a_middle_name_dropped_or_the_common_one_added(province):
    forms = Counter()
    for _, column_name, value, person, record in person_values(
            province, only("name_middle_dropped"), NAME_COLUMNS):
        common = "Văn" if person.sex == "M" else "Thị"
        if value == f"{person.family_name} {person.given_name}":
            forms["dropped"] += 1
        else:
            assert person.middle_name != common
            assert value == f"{person.family_name} {common} {person.middle_name} " \
                            f"{person.given_name}"
            forms["added"] += 1
        assert (column_name, "name_middle_dropped") in record.noise
    assert forms["dropped"] > forms["added"] > 0


@pytest.mark.parametrize("style, titles, spelled", [
    ({}, ("Ông", "Bà", "Hộ ông", "Hộ bà"), lambda n: n),
    ({"name_upper_case": 1.0}, ("ÔNG", "BÀ", "HỘ ÔNG", "HỘ BÀ"), str.upper),
    ({"name_no_diacritics": 1.0}, ("Ong", "Ba", "Ho ong", "Ho ba"), strip_diacritics),
])
def test_land_holders_named_with_an_honorific_by_sex_and_household(province, style, titles,
                                                                   spelled):
    spouse = spouse_numbers(province)
    seen = set()
    for table_name, column_name, value, person, record in person_values(
            province, only("name_honorific", **style), NAME_COLUMNS):
        note = (column_name, "name_honorific") in record.noise
        if table_name != "chu_su_dung":
            assert value == spelled(person.full_name) and not note
            continue
        title = next(t for t in sorted(titles, key=len, reverse=True)
                     if value.startswith(t + " "))
        assert value == f"{title} {spelled(person.full_name)}" and note
        index = titles.index(title)
        assert person.sex == ("M", "F")[index % 2]
        assert index < 2 or person.person_no in spouse  # a household needs a couple
        seen.add(title)
    assert seen == set(titles)


INVISIBLE = "\u00a0\u200b\u200d\ufeff\t"


def test_invisible_characters_hidden_in_names(province):
    seen = set()
    for _, column_name, value, person, record in person_values(
            province, only("name_invisible_characters"), NAME_COLUMNS):
        [(at, char)] = [(i, c) for i, c in enumerate(value) if c in INVISIBLE]
        seen.add(char)
        if char == "\u00a0":
            assert value.replace(char, " ") == person.full_name
            assert value[at - 1].isalpha() and value[at + 1].isalpha()
        else:
            assert value.replace(char, "") == person.full_name
            assert {"\ufeff": at == 0, "\t": at == len(value) - 1}.get(
                char, 0 < at < len(value) - 1 and not unicodedata.combining(value[at + 1]))
        assert (column_name, "name_invisible_characters") in record.noise
    assert seen == set(INVISIBLE)


def test_birth_dates_a_day_off_either_way_across_month_ends(province):
    shifts = Counter()
    for _, column_name, value, person, record in person_values(
            province, only("date_off_by_one_day"), BIRTH_DATE_COLUMNS):
        entered = as_date(value)
        shifts[(entered - person.birth_date).days] += 1
        shifts["other month"] += entered.month != person.birth_date.month
        assert (column_name, "date_off_by_one_day") in record.noise
    assert set(shifts) == {-1, 1, "other month"} and shifts["other month"]
    _, deaths = rendered(province, "khai_tu", only("date_off_by_one_day"))
    truth = {p.personal_id: p.death_date for p in province.persons}
    assert all(as_date(row[3]) == truth[row[1]] for row in deaths)  # not a birth date


def test_a_birth_date_is_never_mistyped_past_the_world_date():
    today = date(2026, 1, 31)
    for kind in ("date_off_by_one_day", "date_year_digit_mistyped"):
        noise = RowNoise(only(kind), random.Random(4), today)
        entered = {noise.birth_date("ngay_sinh", today) for _ in range(50)}
        assert entered and max(entered) < today, kind
        assert noise.notes == [("ngay_sinh", kind)] * 50
    # 29 February 1996 exists in no year a neighbouring key gives: left as it is.
    noise = RowNoise(only("date_year_digit_mistyped"), random.Random(4), today)
    assert noise.birth_date("ngay_sinh", date(1996, 2, 29)) == date(1996, 2, 29)
    assert not noise.notes


def test_held_out_a_digit_of_an_id_mistyped_as_its_neighbour(province):
    values = person_values(province, only("id_mistyped_digit", cmnd_instead_of_id=0.5),
                           ID_COLUMNS)
    for table_name, column_name, value, person, record in values:
        recorded = person.cmnd if (column_name, "cmnd_instead_of_id") in record.noise \
            else person.personal_id
        if (table_name, column_name) == ISSUED_ID:
            assert value == recorded
            continue
        [at] = [i for i in range(len(recorded)) if value[i] != recorded[i]]
        assert len(value) == len(recorded) and value[at] in DIGIT_NEIGHBOURS[recorded[at]]
        assert len(value) == 9 or reads_as_personal_id(value)
        assert (column_name, "id_mistyped_digit") in record.noise


def test_held_out_a_digit_of_a_birth_year_mistyped(province):
    for _, column_name, value, person, record in person_values(
            province, only("date_year_digit_mistyped"), BIRTH_DATE_COLUMNS):
        entered, truth = as_date(value), person.birth_date
        if (column_name, "date_year_digit_mistyped") not in record.noise:
            assert entered == truth and (truth.month, truth.day) == (2, 29)
            continue
        assert (entered.month, entered.day) == (truth.month, truth.day)
        assert entered <= province.world_date
        typed, year = f"{entered.year}", f"{truth.year}"
        [at] = [i for i in range(4) if typed[i] != year[i]]
        assert at >= 2 and typed[at] in DIGIT_NEIGHBOURS[year[at]]


def test_held_out_family_names_in_their_other_regional_form(province):
    other = {"Hoàng": "Huỳnh", "Huỳnh": "Hoàng", "Vũ": "Võ", "Võ": "Vũ"}
    changed = 0
    for _, column_name, value, person, record in person_values(
            province, only("name_regional_variant"), NAME_COLUMNS):
        family = other.get(person.family_name, person.family_name)
        assert value == f"{family} {person.middle_name} {person.given_name}"
        assert ((column_name, "name_regional_variant") in record.noise) \
            == (family != person.family_name)
        changed += family != person.family_name
    assert changed


def test_held_out_i_written_for_a_syllable_final_y():
    for word, spelled in (("Vy", "Vi"), ("Mỹ", "Mĩ"), ("Lý", "Lí"), ("Quý", "Quí"),
                          ("Thy", "Thi"), ("Kỳ", "Kì"), ("Sỹ", "Sĩ")):
        assert i_for_y(word) == spelled
    for word in ("Huy", "Duy", "Thị", "Quỳnh", "Uyên", "Thuỷ", "Yến", "Chi"):
        assert i_for_y(word) == word


def test_held_out_names_written_with_i_for_y(province):
    changed = 0
    for _, column_name, value, person, record in person_values(
            province, only("name_i_instead_of_y"), NAME_COLUMNS):
        truth = person.full_name.split(" ")
        assert value.split(" ") == [i_for_y(w) for w in truth]
        assert ((column_name, "name_i_instead_of_y") in record.noise) == (value != person.full_name)
        changed += value != person.full_name
    assert changed


@pytest.mark.parametrize("kind", ENTRY_ERRORS)
def test_an_entry_error_at_rate_zero_never_strikes(province, kind):
    settings = EVERYTHING.with_rates({kind: 0.0})
    for table in TABLES:
        for record in render_table(province, table, settings):
            assert all(k != kind for _, k in record.noise), (table.name, record.noise)


def test_a_malformed_id_never_reads_as_an_id_whatever_its_noise(province):
    settings = EVERYTHING.with_rates({"broken_row": 0.3})
    malformed = 0
    for table in TABLES:
        for record in render_table(province, table, settings):
            if record.defect and record.defect[1] == "malformed_id":
                malformed += 1
                assert not reads_as_id(record.row[table.column_names.index(record.defect[0])])
    assert malformed > 100


def test_held_out_kinds_are_listed_and_documented_as_held_out():
    from kho.settings import REPO_ROOT

    defaults = NoiseSettings().as_dict()
    assert all(0 < defaults[kind] <= 0.05 for kind in HELD_OUT_KINDS)
    doc = (REPO_ROOT / "docs" / "simulated_sources.md").read_text()
    published, held_out = doc.split("### Held-out noise", 1)
    held_out = held_out.split("\n#", 1)[0]
    assert "not used when tuning kho; the benchmark scores them separately" in held_out
    assert set(re.findall(r"^\| `(\w+)` \|", held_out, re.M)) == set(HELD_OUT_KINDS)
    assert not set(re.findall(r"^\| `(\w+)` \|", published, re.M)) & set(HELD_OUT_KINDS)


def vn2000_polygons(parcels) -> list:
    """The parcels' polygons in VN-2000 metres (TM-3, Long An's meridian), as kept."""
    return [Polygon(parcel.polygon) for parcel in parcels]


def dense_sheets() -> list[Parcel]:
    """Two communes' parcels, hundreds to a sheet as in a surveyed commune, with the
    generator's land uses and areas."""
    rng = random.Random(4)
    urban, rural = Weighted(LAND_USE_URBAN), Weighted(LAND_USE_RURAL)
    communes = [c for c in long_an_communes() if c.kind == "Phường"][:1] \
        + [c for c in long_an_communes() if c.kind == "Xã"][:1]
    parcels = []
    for commune in communes:
        for sheet in (1, 2, 9, 17):
            for number in range(1, 301):
                land_use = (urban if commune.kind == "Phường" else rural)(rng)
                area = round(math.exp(rng.gauss(4.8, 0.6) if land_use in ("ODT", "ONT", "TMD")
                                      else rng.gauss(7.4, 0.9)), 1)
                parcels.append(Parcel(
                    parcel_no=len(parcels) + 1, commune=commune.code, map_sheet=sheet,
                    parcel_number=number, area_m2=area, land_use=land_use,
                    planning_zone=PLANNING_ZONES[0], polygon=[], holders=[],
                    certificate_serial="", certificate_issued_on=date(2020, 1, 1),
                    held_since=date(2020, 1, 1)))
    return parcels


@pytest.mark.parametrize("source", ["dense sheets", "a seeded province"])
def test_the_parcels_of_a_commune_tile_its_map_sheets(source):
    if source == "dense sheets":
        parcels = dense_sheets()
        parcels += cadastre.lay_out(parcels, {c.code: c for c in long_an_communes()}, seed=4)
    else:
        parcels = generate(4000, 11).parcels
    sheets: dict[tuple[str, int], list] = {}
    for parcel in parcels:
        sheets.setdefault((parcel.commune, parcel.map_sheet), []).append(parcel)
    assert max(len(on_sheet) for on_sheet in sheets.values()) >= 3
    assert any(p.land_use in cadastre.STRIP_LAND_USES for p in parcels)
    outlines: dict[str, list] = {}
    for (commune, _), on_sheet in sheets.items():
        polygons = vn2000_polygons(on_sheet)
        # Each parcel as large as the register says (to the centimetres of the rounding).
        for parcel, polygon in zip(on_sheet, polygons, strict=True):
            assert polygon.is_valid
            assert polygon.area == pytest.approx(parcel.area_m2, rel=2e-3, abs=0.5)
        # No overlaps: the union is as large as the parts; no gaps: closed up by the
        # centimetres the published coordinates are rounded to, it is one convex piece.
        sheet = unary_union(polygons)
        assert sheet.area == pytest.approx(sum(p.area for p in polygons), rel=1e-4)
        closed = sheet.buffer(0.05, join_style="mitre").buffer(-0.05, join_style="mitre")
        assert closed.geom_type == "Polygon" and not closed.interiors
        assert closed.convex_hull.area == pytest.approx(closed.area, rel=1e-3)
        outlines.setdefault(commune, []).append(sheet)
    # A commune's sheets lie apart.
    for pieces in outlines.values():
        assert unary_union(pieces).area == pytest.approx(sum(p.area for p in pieces), rel=1e-6)
    if source == "dense sheets":
        # Plausible shapes: house plots a few metres wide and a house deep, few slivers.
        sides = {}
        for parcel, polygon in zip(parcels, vn2000_polygons(parcels), strict=True):
            corners = polygon.minimum_rotated_rectangle.exterior.coords
            sides[parcel.parcel_no] = sorted(math.dist(corners[i], corners[i + 1])
                                             for i in range(2))
        held = [p for p in parcels if p.land_use not in cadastre.STRIP_LAND_USES]
        slender = sum(sides[p.parcel_no][1] > 12 * sides[p.parcel_no][0] for p in held)
        assert slender < 0.05 * len(held)
        houses = sorted(sides[p.parcel_no][0] for p in parcels if p.land_use in ("ODT", "ONT"))
        assert 3 < houses[len(houses) // 2] < 15


def test_every_parcel_lands_in_its_communes_province():
    """The register keeps VN-2000 metres; taken to WGS 84, every parcel, roads and canals
    too, lies inside the province's bounding box, near its own commune."""
    province = generate(2000, 3)
    communes = {c.code: c for c in long_an_communes()}
    lons = [c.lon for c in communes.values()]
    lats = [c.lat for c in communes.values()]
    to_wgs84 = cadastre.to_wgs84()
    assert any(p.land_use in cadastre.STRIP_LAND_USES for p in province.parcels)
    for parcel in province.parcels:
        eastings, northings = zip(*parcel.polygon, strict=True)
        # Metres on the TM-3 zone: eastings about its 500 km false easting.
        assert all(300_000 < e < 700_000 for e in eastings)
        assert all(1_000_000 < n < 1_300_000 for n in northings)
        polygon = list(zip(*to_wgs84.transform(eastings, northings), strict=True))
        for lon, lat in polygon:
            assert min(lons) - 0.05 < lon < max(lons) + 0.05
            assert min(lats) - 0.05 < lat < max(lats) + 0.05
        # Near its own commune: within a few kilometres of the commune's centre.
        commune = communes[parcel.commune]
        lon, lat = polygon[0]
        assert math.hypot((lon - commune.lon) * 109_000, (lat - commune.lat) * 110_600) < 5_000


def test_roads_and_canals_are_long_thin_strips_of_state_land():
    """Between rows of parcels and along a sheet's lower edge lie roads beside house plots
    and canals between fields: strips a few metres wide across the sheet, numbered after
    the sheet's parcels, with no holder and no certificate."""
    parcels = dense_sheets()
    strips = cadastre.lay_out(parcels, {c.code: c for c in long_an_communes()}, seed=4)
    kinds = {p.land_use for p in strips}
    assert kinds == {cadastre.ROAD, cadastre.CANAL}
    assert [p.parcel_no for p in strips] == list(range(len(parcels) + 1,
                                                       len(parcels) + len(strips) + 1))
    highest: dict[tuple[str, int], int] = {}
    for parcel in parcels:
        key = (parcel.commune, parcel.map_sheet)
        highest[key] = max(highest.get(key, 0), parcel.parcel_number)
    on_sheets = {(p.commune, p.map_sheet) for p in strips}
    assert on_sheets == set(highest)
    for strip, polygon in zip(strips, vn2000_polygons(strips), strict=True):
        assert strip.holders == [] and strip.certificate_serial is None
        assert strip.planning_zone in PLANNING_ZONES
        assert strip.parcel_number > highest[(strip.commune, strip.map_sheet)]
        corners = polygon.minimum_rotated_rectangle.exterior.coords
        short, long = sorted(math.dist(corners[i], corners[i + 1]) for i in range(2))
        low, high = cadastre.STRIP_WIDTHS[strip.land_use]
        assert low - 0.5 < short < high + 0.5
        assert long > 10 * short
    # A seeded province has them too, and the land register lists them without a
    # certificate or a holder.
    province = generate(2000, 3)
    state_land = {p.parcel_no for p in province.parcels if not p.holders}
    assert state_land and all(province.parcels[n - 1].land_use in cadastre.STRIP_LAND_USES
                              for n in state_land)
    settings = NoiseSettings().scaled(0)
    certified = {r.links[0][2] for r in render_table(province, TABLE_BY_NAME["giay_chung_nhan"],
                                                     settings)}
    held = {link[2] for r in render_table(province, TABLE_BY_NAME["quyen_su_dung"], settings)
            for link in r.links if link[0] == "parcel"}
    assert not (certified | held) & state_land
    rows = list(render_table(province, TABLE_BY_NAME["thua_dat"], settings))
    assert len(rows) == len(province.parcels)
    columns = TABLE_BY_NAME["thua_dat"].column_names
    for record in rows:
        row = dict(zip(columns, record.row, strict=True))
        assert row["he_toa_do"] == cadastre.VN2000_LONG_AN_NAME
        assert re.fullmatch(r"POLYGON\(\((\d+\.\d{3} \d+\.\d{3}, ){4}\d+\.\d{3} \d+\.\d{3}\)\)",
                            row["ranh_gioi"])


def test_the_geometry_leaves_every_other_draw_of_a_seed_as_it_was():
    """The layout draws from a stream of its own: a seed's parcels keep the communes, sheets,
    numbers, areas, land uses, zones, holders, certificates and transfers they had before
    the parcels were laid out on map sheets (the digest of seed 5 at 1,000 persons, taken
    from the generator as it was then)."""
    province = generate(1000, 5)
    text = repr([(p.parcel_no, p.commune, p.map_sheet, p.parcel_number, p.area_m2, p.land_use,
                  p.planning_zone, [(h.holder_kind, h.holder_no, h.share) for h in p.holders],
                  p.certificate_serial, p.certificate_issued_on.isoformat(), len(p.transfers))
                 for p in province.parcels if p.holders])
    assert hashlib.sha256(text.encode()).hexdigest() \
        == "9da45bc3850a88a0a30e6379e06c2764cc36e8d5ce9a113d9761d3459a96df06"


def test_the_seed_finishes_when_started_with_sigterm_ignored(tmp_path):
    # Some job runners start their commands with SIGTERM ignored: a seed that ends its
    # worker pool by terminating it then waits forever for a worker that never obeys.
    import signal
    import subprocess
    import sys

    from tests.conftest import make_deployment, teardown_deployment

    deployment = make_deployment("embedded", tmp_path / "home")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kho.cli", "sources", "seed", "--scale", "200", "--seed",
             "3"], env=deployment.env, capture_output=True, text=True, timeout=180,
            preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
        assert result.returncode == 0, result.stderr
        assert "seeded" in result.stdout
    finally:
        teardown_deployment(deployment)  # its embedded server, which the seed started


def test_an_interrupted_seed_is_not_taken_for_a_finished_one(tmp_path):
    # A seed that stops half way (killed, a source server gone) must leave nothing that
    # says the sources hold that scale: the benchmarks would load half-written sources.
    from kho import db
    from kho.settings import SOURCES
    from simulated_sources.seed import ensure_seeded, read_seed_info
    from tests.conftest import make_deployment, teardown_deployment

    deployment = make_deployment("embedded", tmp_path / "home")
    try:
        server = deployment.warehouse_url
        sources = {s: db.with_database(server, f"interrupted_src_{s}") for s in SOURCES}
        truth = db.with_database(server, "interrupted_truth")
        gone = dict(sources, land="postgresql://127.0.0.1:1/nowhere")
        with pytest.raises(RuntimeError, match="seeding 200 persons failed"):
            ensure_seeded(200, 3, gone, truth)
        assert read_seed_info(truth) is None
        assert ensure_seeded(200, 3, sources, truth) is True
        assert read_seed_info(truth)["scale"] == 200
        assert ensure_seeded(200, 3, sources, truth) is False
    finally:
        teardown_deployment(deployment)
