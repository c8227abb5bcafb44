import random
from datetime import date

import pytest
from stdnum.vn import mst

from pipelines.sources.contracts import CONTRACTS
from simulated_sources.admin_units import long_an_communes
from simulated_sources.population import enterprise_code, generate
from simulated_sources.seed import table_rng
from simulated_sources.systems import TABLES


@pytest.fixture(scope="module")
def province():
    return generate(2_000, seed=7)


def rendered(province, table_name):
    table = next(t for t in TABLES if t.name == table_name)
    return table, [row for row, _ in table.render(province, table_rng(province.seed, table))]


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


def test_rendering_is_deterministic(province):
    table = TABLES[0]
    first = list(table.render(province, table_rng(province.seed, table)))
    second = list(table.render(province, table_rng(province.seed, table)))
    assert first == second


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
        assert p.death_date is None or p.birth_date < p.death_date <= province.world_date


def test_land_register_is_referentially_intact(province):
    _, parcels = rendered(province, "thua_dat")
    _, users = rendered(province, "chu_su_dung")
    _, rights = rendered(province, "quyen_su_dung")
    parcel_ids, user_ids = {r[0] for r in parcels}, {r[0] for r in users}
    assert {r[1] for r in rights} <= parcel_ids
    assert {r[2] for r in rights} <= user_ids
    current = {}
    for right in rights:
        if right[6] is None:
            current[right[1]] = current.get(right[1], 0) + right[4]
    assert all(abs(total - 1.0) < 1e-9 for total in current.values())


def test_civil_registry_dates_are_dd_mm_yyyy_text(province):
    table, births = rendered(province, "khai_sinh")
    column = table.column_names.index("ngay_sinh")
    for row in births[:200]:
        day, month, year = row[column].split("/")
        assert date(int(year), int(month), int(day))


def test_every_row_knows_its_truth(province):
    for table in TABLES:
        for _, links in table.render(province, random.Random(0)):
            assert links, table.name
            break


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
