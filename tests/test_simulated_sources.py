import math
import re
import unicodedata
from datetime import date

import pytest
from stdnum.vn import mst

from pipelines.sources.contracts import CONTRACTS
from simulated_sources.admin_units import long_an_communes
from simulated_sources.changes import TABLE_BY_NAME
from simulated_sources.noise import (
    NO_NOISE,
    UNKNOWN_CODES,
    NoiseSettings,
    strip_diacritics,
    tone_style,
)
from simulated_sources.population import (
    CIVIL_SERVANT_GRADES,
    CMND_PREFIXES,
    LAND_USE_RURAL,
    LAND_USE_URBAN,
    LEGAL_FORMS,
    enterprise_code,
    generate,
)
from simulated_sources.seed import render_table
from simulated_sources.systems import TABLES

# Rates high enough that a few thousand rows measure them well.
LOUD = NoiseSettings(
    name_no_diacritics=0.2, name_nfd=0.2, name_old_tone_style=0.5, name_upper_case=0.2,
    name_extra_spaces=0.2, name_swapped_order=0.2, cmnd_instead_of_id=0.5, date_year_only=0.2,
    date_day_month_swapped=0.3, address_free_text=0.3, duplicate_person_record=0.2,
    broken_row=0.05, deceased_still_active=0.5,
)


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
        assert list(render_table(a, table, LOUD)) == list(render_table(b, table, LOUD))
    c = generate(500, seed=6)
    assert [r.row for r in render_table(a, TABLES[1], LOUD)] != \
        [r.row for r in render_table(c, TABLES[1], LOUD)]


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
        assert contract.column_names == table.column_names, key
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
            if shape in ("9" * 9, "9" * 12):  # a person's CMND or personal ID
                assert not re.fullmatch(r"\d{9}|\d{12}", value), value
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
    # A parcel's current holders always hold the whole of it.
    assert all(abs(sum(h.share for h in p.holders) - 1) < 1e-9 for p in province.parcels)


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
