"""Master records that hold on agency data with ordinary data-entry errors, on a real
warehouse: records planted in the simulated sources beside their default noise, each
carrying one error the resolution must see through (or must not be fooled by).

The tests run in file order on one deployment: first those that read the first build, then
a steward's decisions, which must survive a full refresh and a rebuild from raw data.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import psycopg
import pytest
from psycopg import sql

from kho.warehouse import ground_truth_url
from pipelines.dbt.project import DBT_SCHEMAS
from simulated_sources.admin_units import long_an_communes
from tests.conftest import Deployment, make_deployment, person_id, teardown_deployment

SCALE = "1500"
SEED = "21"


@dataclass
class Person:
    """Someone the civil registry knows by name, birth date and personal ID, whose name
    nobody else in the province has."""

    personal_id: str
    name: str
    sex: str  # 'M', 'F'
    birth_date: date

    @property
    def family(self) -> str:
        return self.name.split()[0]

    @property
    def given(self) -> str:
        return self.name.split()[-1]

    @property
    def sex_vi(self) -> str:
        return "Nam" if self.sex == "M" else "Nữ"


@dataclass
class Planted:
    persons: dict[str, Person] = field(default_factory=dict)
    land_users: dict[str, str] = field(default_factory=dict)  # case -> chu_su_dung key
    cmnds: dict[str, str] = field(default_factory=dict)  # case -> CMND number
    enterprises: dict[str, str] = field(default_factory=dict)  # case -> enterprise code
    partners: dict[str, str] = field(default_factory=dict)  # husband, wife -> personal ID
    namesakes: dict[str, str] = field(default_factory=dict)  # case -> namesake's personal ID
    transfer: int | None = None  # a land transfer of an unknown kind
    dead_in_post: tuple[str, str, str] | None = None  # civil servant code, personal ID, name
    # chu_su_dung key -> (address, the old commune it names, or None: it names none)
    addresses: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def query(deployment: Deployment, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(deployment.url) as conn:
        return conn.execute(statement, params or None).fetchall()


def persons_to_plant(deployment: Deployment) -> list[Person]:
    """Living people with a birth registration, a middle name, a given name of at least 3
    letters and a name of their own."""
    with psycopg.connect(ground_truth_url(deployment.url)) as truth:
        rows = truth.execute("""
            select personal_id, full_name, sex, birth_date
            from (select *, count(*) over (partition by lower(full_name)) as namesakes
                  from persons) p
            where namesakes = 1 and death_date is null
              and array_length(string_to_array(full_name, ' '), 1) >= 3
              and length(split_part(full_name, ' ', -1)) >= 3
              and exists (select from source_records r where r.entity_kind = 'person'
                          and r.entity_no = p.person_no and r.table_name = 'khai_sinh'
                          and r.role = 'subject')
            order by person_no""").fetchall()
    return [Person(*row) for row in rows]


def pick(people: list[Person], taken: set[str], accept=lambda p: True) -> Person:
    person = next(p for p in people if p.personal_id not in taken and accept(p))
    taken.add(person.personal_id)
    return person


def insert_land_user(deployment: Deployment, name: str, document_type: str, number: str,
                     birth: str, sex: str | None, address: str = "Ấp 2, Xã Bình Phong Thạnh"
                     ) -> str:
    with psycopg.connect(deployment.source_url("land")) as land:
        return land.execute("""
            insert into chu_su_dung (id, loai_chu, ho_ten, loai_giay_to, so_giay_to, ngay_sinh,
                                     gioi_tinh, dia_chi, ngay_cap_nhat)
            select max(id) + 1, 'CN', %s, %s, %s, %s, %s, %s, now()
            from chu_su_dung
            returning id::text""", (name, document_type, number, birth, sex, address)
        ).fetchone()[0]


def birth_commune(deployment: Deployment, person: Person) -> str | None:
    """The commune of Long An a person's birth registration gives, if any."""
    with psycopg.connect(deployment.source_url("civil_registry")) as registry:
        codes = [r[0] for r in registry.execute(
            "select noi_sinh_ma_xa from khai_sinh "
            "where regexp_replace(so_dinh_danh, '[^0-9]', '', 'g') = %s",
            (person.personal_id,))]
    communes = {c.code for c in long_an_communes()}
    return codes[0] if len(codes) == 1 and codes[0] in communes else None


def namesake_id(deployment: Deployment, person: Person) -> str:
    """A personal ID of the person's sex and birth year that nobody holds, far from theirs
    (every serial digit differs: no typo of it)."""
    serial = "".join(str((int(d) + 5) % 10) for d in person.personal_id[6:])
    number = person.personal_id[:6] + serial
    with psycopg.connect(ground_truth_url(deployment.url)) as truth:
        assert truth.execute("select count(*) from persons where personal_id = %s",
                             (number,)).fetchone() == (0,)
    return number


def plant_namesake(deployment: Deployment, person: Person, commune: str) -> str:
    """A birth registration of another person with the same name, sex and birth date, born
    in another commune; their personal ID."""
    number = namesake_id(deployment, person)
    with psycopg.connect(deployment.source_url("civil_registry")) as registry:
        registry.execute(
            "insert into khai_sinh (so_dang_ky, so_dinh_danh, ho_ten, gioi_tinh, ngay_sinh, "
            "noi_sinh_ma_xa, cha_so_dinh_danh, me_so_dinh_danh, ngay_dang_ky, "
            "thoi_diem_cap_nhat) values (%s, %s, %s, %s, %s, %s, null, null, %s, now())",
            (f"KS.{person.birth_date.year}.NAMESAKE{number[-4:]}", number, person.name,
             person.sex_vi, person.birth_date.strftime("%d/%m/%Y"), commune,
             (person.birth_date + timedelta(days=20)).strftime("%d/%m/%Y")))
    return number


def married_women(deployment: Deployment) -> dict[str, str]:
    """Each wife's personal ID with her husband's, where the marriage record gives both."""
    with psycopg.connect(deployment.source_url("civil_registry")) as registry:
        return dict(registry.execute(
            "select vo_so_dinh_danh, chong_so_dinh_danh from ket_hon "
            "where vo_so_dinh_danh ~ '^[0-9]{12}$' and chong_so_dinh_danh ~ '^[0-9]{12}$'"
        ).fetchall())


def plant_joint_holding(deployment: Deployment, holders: list[str]) -> None:
    """A new parcel (a copy of the first one, with the next parcel number) that the given
    land users hold together, in equal shares."""
    with psycopg.connect(deployment.source_url("land")) as land:
        (parcel,) = land.execute(
            "insert into thua_dat (id, ma_xa, so_to_ban_do, so_thua, dien_tich, ma_loai_dat, "
            "khu_quy_hoach, ranh_gioi, he_toa_do, ngay_cap_nhat) "
            "select (select max(id) + 1 from thua_dat), ma_xa, so_to_ban_do, "
            "(select max(so_thua) + 1 from thua_dat), dien_tich, ma_loai_dat, khu_quy_hoach, "
            "ranh_gioi, he_toa_do, now() from thua_dat where id = (select min(id) from thua_dat) "
            "returning id").fetchone()
        for holder in holders:
            land.execute(
                "insert into quyen_su_dung (id, thua_dat_id, chu_su_dung_id, "
                "giay_chung_nhan_id, ty_le, tu_ngay, den_ngay, ngay_cap_nhat) "
                "select max(id) + 1, %s, %s, null, %s, '2020-01-01', null, now() "
                "from quyen_su_dung", (parcel, int(holder), 1 / len(holders)))


def written_address(commune_code: str) -> str:
    commune = next(c for c in long_an_communes() if c.code == commune_code)
    return f"12 Lê Lợi, {commune.name}, {commune.district_name}, Tỉnh Long An"


def bare_key(name: str) -> str:
    """A unit's name without its kind, diacritics and case, as addresses often write it."""
    name = re.sub(r"^(Thị trấn|Xã|Phường|Huyện|Thành phố|Thị xã)\s+", "", name)
    name = unicodedata.normalize("NFD", name.lower()).replace("đ", "d")
    return "".join(c for c in name if not unicodedata.combining(c))


def communes_sharing_a_key() -> list[list]:
    """Communes of one district of Long An that a name without its kind and diacritics does
    not tell apart ("Thị trấn Tân Thạnh" and "Xã Tân Thành")."""
    by_key: dict[tuple[str, str], list] = {}
    for commune in long_an_communes():
        by_key.setdefault((commune.district_code, bare_key(commune.name)), []).append(commune)
    return [communes for communes in by_key.values() if len(communes) > 1]


def transposed(number: str) -> str:
    """The number with the first two adjacent, different serial digits swapped."""
    for i in range(6, 11):
        if number[i] != number[i + 1]:
            return number[:i] + number[i + 1] + number[i] + number[i + 2:]
    raise AssertionError(f"no two adjacent serial digits differ in {number}")


def months_apart(day: date) -> date:
    """A day of the same year five months from ``day``, that no entry error makes of it
    (not a day off, not day and month swapped)."""
    other = date(day.year, (day.month + 4) % 12 + 1, min(day.day, 28))
    if (other.day, other.month) == (day.month, day.day):
        other = other.replace(day=other.day % 28 + 1)
    return other


def mistyped(number: str) -> str:
    """The number with its last digit typed one higher (9 wraps to 0)."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def plant(deployment: Deployment) -> Planted:
    planted = Planted()
    people, taken = persons_to_plant(deployment), set()
    rng = random.Random(5)
    for case in ("typo", "middle_dropped", "honorific", "day_off", "transposed", "id_holder",
                 "bare_father"):
        planted.persons[case] = pick(people, taken)
    for case in ("same_commune", "no_commune", "months_apart_elsewhere",
                 "months_apart_same_commune", "review_accept"):
        planted.persons[case] = pick(people, taken,
                                     lambda p: birth_commune(deployment, p) is not None)
    husbands = married_women(deployment)
    planted.persons["same_household"] = pick(people, taken,
                                             lambda p: p.personal_id in husbands)
    holder = planted.persons["id_holder"]
    planted.persons["id_borrower"] = pick(people, taken, lambda p: p.sex != holder.sex)
    # Spreadsheets drop every leading zero: one, for an ID of this province's kind.
    planted.persons["leading_zero"] = pick(people, taken,
                                           lambda p: p.personal_id[:2] not in ("00",))
    for case in ("typo", "middle_dropped", "honorific", "day_off", "review_accept",
                 "same_commune", "no_commune", "same_household", "months_apart_elsewhere",
                 "months_apart_same_commune"):
        planted.cmnds[case] = f"99{rng.randrange(10**7):07d}"
    p = planted.persons
    typo_name = p["typo"].name
    written = {
        # A letter of the given name left out.
        "typo": (typo_name[:-2] + typo_name[-1], p["typo"].birth_date),
        "middle_dropped": (f"{p['middle_dropped'].family} {p['middle_dropped'].given}",
                           p["middle_dropped"].birth_date),
        "honorific": (("Ông " if p["honorific"].sex == "M" else "Bà ") + p["honorific"].name,
                      p["honorific"].birth_date),
        "day_off": (p["day_off"].name, p["day_off"].birth_date + timedelta(days=1)),
    }
    for case, (name, born) in written.items():
        planted.land_users[case] = insert_land_user(
            deployment, name, "CMND", planted.cmnds[case], born.strftime("%d/%m/%Y"),
            p[case].sex_vi)
    # A person whose namesake, born the same day, was born in another commune: a CMND
    # record with the address of the person's birth commune, and one with an address that
    # names no commune.
    communes = [c.code for c in long_an_communes()]
    for case in ("same_commune", "no_commune"):
        person = p[case]
        home = birth_commune(deployment, person)
        elsewhere = communes[(communes.index(home) + len(communes) // 2) % len(communes)]
        planted.namesakes[case] = plant_namesake(deployment, person, elsewhere)
        planted.land_users[case] = insert_land_user(
            deployment, person.name, "CMND", planted.cmnds[case],
            person.birth_date.strftime("%d/%m/%Y"), person.sex_vi,
            written_address(home) if case == "same_commune" else "Ấp 2")
    # A CMND record of a person's name and birth year, born months from the person's
    # birthday: once with an address that names no commune, once in the person's birth
    # commune.
    for case in ("months_apart_elsewhere", "months_apart_same_commune"):
        person = p[case]
        planted.land_users[case] = insert_land_user(
            deployment, person.name, "CMND", planted.cmnds[case],
            months_apart(person.birth_date).strftime("%d/%m/%Y"), person.sex_vi,
            written_address(birth_commune(deployment, person))
            if case == "months_apart_same_commune" else "Ấp 5")
    # A wife whose namesake was born the same day, holding land with her husband: she by
    # a CMND, with an address that names no commune, he by his personal ID.
    wife = p["same_household"]
    planted.namesakes["same_household"] = plant_namesake(
        deployment, wife, communes[len(communes) // 3])
    planted.land_users["same_household"] = insert_land_user(
        deployment, wife.name, "CMND", planted.cmnds["same_household"],
        wife.birth_date.strftime("%d/%m/%Y"), wife.sex_vi, "Ấp 3")
    planted.partners["same_household"] = husbands[wife.personal_id]
    with psycopg.connect(ground_truth_url(deployment.url)) as truth:
        (husband_name,) = truth.execute("select full_name from persons where personal_id = %s",
                                        (husbands[wife.personal_id],)).fetchone()
    husband_holder = insert_land_user(
        deployment, husband_name, "CCCD", husbands[wife.personal_id], None, "Nam", "Ấp 3")
    plant_joint_holding(deployment, [planted.land_users["same_household"], husband_holder])
    # A father known by personal ID only from his child's birth registration (no name, no
    # birth date), who holds land by his CMND together with the child's mother.
    father_like = pick(people, taken, lambda p: p.sex == "M")
    mother = pick(people, taken, lambda p: p.sex == "F")
    planted.namesakes["father_by_id"] = namesake_id(deployment, father_like)
    planted.persons["father_by_id_mother"] = mother
    with psycopg.connect(deployment.source_url("civil_registry")) as registry:
        registry.execute(
            "insert into khai_sinh (so_dang_ky, so_dinh_danh, ho_ten, gioi_tinh, ngay_sinh, "
            "noi_sinh_ma_xa, cha_so_dinh_danh, me_so_dinh_danh, ngay_dang_ky, "
            "thoi_diem_cap_nhat) select 'KS.2024.PLANTED3', null, 'Đỗ Thị Ngọc Lan', 'Nữ', "
            "'07/05/2024', noi_sinh_ma_xa, %s, %s, '09/05/2024', now() from khai_sinh "
            "where noi_sinh_ma_xa is not null limit 1",
            (planted.namesakes["father_by_id"], mother.personal_id))
    planted.cmnds["father_by_id"] = f"97{rng.randrange(10**7):07d}"
    planted.land_users["father_by_id"] = insert_land_user(
        deployment, "Đỗ Văn Thưởng", "CMND", planted.cmnds["father_by_id"],
        father_like.birth_date.strftime("%d/%m/%Y"), "Nam", "Ấp 4")
    mother_holder = insert_land_user(
        deployment, mother.name, "CCCD", mother.personal_id,
        mother.birth_date.strftime("%d/%m/%Y"), mother.sex_vi, "Ấp 4")
    plant_joint_holding(deployment, [planted.land_users["father_by_id"], mother_holder])
    # A mistyped personal ID.
    typo_id = transposed(p["transposed"].personal_id)
    planted.land_users["transposed"] = insert_land_user(
        deployment, p["transposed"].name, "CCCD", typo_id,
        p["transposed"].birth_date.strftime("%d/%m/%Y"), p["transposed"].sex_vi)
    # A holding filed under someone else's personal ID: the borrower's name, sex and birth
    # date, the holder's number.
    borrower = p["id_borrower"]
    planted.land_users["borrowed_id"] = insert_land_user(
        deployment, borrower.name, "CCCD", p["id_holder"].personal_id,
        borrower.birth_date.strftime("%d/%m/%Y"), borrower.sex_vi)
    # Normalisations: a personal ID a spreadsheet kept as a number, a CMND filed as a
    # CCCD, a name with a no-break space and a zero-width space pasted in, a stray full stop.
    lz = p["leading_zero"]
    planted.land_users["leading_zero"] = insert_land_user(
        deployment, lz.name.replace(" ", "\u00a0", 1) + "\u200b", "CCCD",
        lz.personal_id.lstrip("0"), lz.birth_date.strftime("%d/%m/%Y"), lz.sex_vi)
    planted.cmnds["cmnd_as_cccd"] = f"98{rng.randrange(10**7):07d}"
    planted.land_users["cmnd_as_cccd"] = insert_land_user(
        deployment, "Lâm Thị Thu Cúc.", "CCCD", planted.cmnds["cmnd_as_cccd"], "1961",
        "Nữ")
    # The review case: the same family and given name, another middle name, a year only,
    # an address in a commune far from the person's birth commune.
    ra = p["review_accept"]
    home = birth_commune(deployment, ra)
    planted.land_users["review_accept"] = insert_land_user(
        deployment, f"{ra.family} Quỳnh {ra.given}", "CMND", planted.cmnds["review_accept"],
        str(ra.birth_date.year), None,
        written_address(communes[(communes.index(home) + len(communes) // 2) % len(communes)]))
    with psycopg.connect(deployment.source_url("enterprise")) as enterprise:
        codes = [r[0] for r in enterprise.execute(
            "select enterprise_code from enterprises where legal_rep_id_no ~ '^0[0-9]{11}$' "
            "and unit_type <> 'BRANCH' order by enterprise_code limit 2")]
        grouped, unreadable = codes
        enterprise.execute(
            "update enterprises set legal_rep_id_no = substr(legal_rep_id_no, 1, 3) || ' ' "
            "|| substr(legal_rep_id_no, 4, 3) || '.' || substr(legal_rep_id_no, 7, 3) || '-' "
            "|| substr(legal_rep_id_no, 10), updated_at = now() where enterprise_code = %s",
            (grouped,))
        enterprise.execute("update enterprises set legal_rep_id_no = '08O12345678x', "
                           "updated_at = now() where enterprise_code = %s", (unreadable,))
    planted.enterprises = {"grouped_id": grouped, "unreadable_id": unreadable}
    # A birth registration naming the mother by her ID alone, two digits swapped; the
    # father is her husband by their marriage record.
    with psycopg.connect(deployment.source_url("civil_registry")) as registry:
        husband, wife = registry.execute(
            "select chong_so_dinh_danh, vo_so_dinh_danh from ket_hon "
            "where chong_so_dinh_danh ~ '^[0-9]{12}$' and vo_so_dinh_danh ~ '^[0-9]{12}$' "
            "order by so_dang_ky limit 1").fetchone()
        registry.execute(
            "insert into khai_sinh (so_dang_ky, so_dinh_danh, ho_ten, gioi_tinh, ngay_sinh, "
            "noi_sinh_ma_xa, cha_so_dinh_danh, me_so_dinh_danh, ngay_dang_ky, "
            "thoi_diem_cap_nhat) select 'KS.2024.PLANTED1', null, 'Trần Thị Ngọc Hân', 'Nữ', "
            "'03/02/2024', noi_sinh_ma_xa, %s, %s, '05/02/2024', now() from khai_sinh "
            "where noi_sinh_ma_xa is not null limit 1", (husband, transposed(wife)))
        # A father named by his number alone, its last digit mistyped, and no mother.
        registry.execute(
            "insert into khai_sinh (so_dang_ky, so_dinh_danh, ho_ten, gioi_tinh, ngay_sinh, "
            "noi_sinh_ma_xa, cha_so_dinh_danh, me_so_dinh_danh, ngay_dang_ky, "
            "thoi_diem_cap_nhat) select 'KS.2024.PLANTED2', null, 'Lê Văn Khôi', 'Nam', "
            "'04/03/2024', noi_sinh_ma_xa, %s, null, '06/03/2024', now() from khai_sinh "
            "where noi_sinh_ma_xa is not null limit 1",
            (mistyped(p["bare_father"].personal_id),))
    planted.partners = {"husband": husband, "wife": wife}
    # A civil servant still in post whose death was registered with a date nobody can read.
    with psycopg.connect(deployment.source_url("cadre")) as cadre:
        planted.dead_in_post = cadre.execute(
            "select h.ma_can_bo, h.so_cccd, h.ho_ten from ho_so_can_bo as h "
            "where h.trang_thai = 'DANG_CONG_TAC' and h.so_cccd ~ '^[0-9]{12}$' "
            "and exists (select from qua_trinh_cong_tac as q "
            "where q.ma_can_bo = h.ma_can_bo and q.den_ngay is null) "
            "order by h.ma_can_bo limit 1").fetchone()
    with psycopg.connect(deployment.source_url("civil_registry")) as registry:
        registry.execute(
            "insert into khai_tu (so_dang_ky, so_dinh_danh, ho_ten, ngay_mat, noi_mat_ma_xa, "
            "ngay_dang_ky, thoi_diem_cap_nhat) select 'KT.2024.PLANTED1', %s, %s, 'không rõ', "
            "noi_mat_ma_xa, '05/02/2024', now() from khai_tu limit 1",
            planted.dead_in_post[1:])
    # Holders whose addresses name communes that share a key with another of their district,
    # written out, abbreviated, and (naming neither for sure) without the kind.
    abbreviations = {"Thị trấn": "TT.", "Xã": "X.", "Phường": "P."}
    for communes in communes_sharing_a_key():
        for n, commune in enumerate(communes):
            bare = commune.name.removeprefix(f"{commune.kind} ")
            district = commune.district_name.split(" ", 1)[1]
            for address, names in (
                    (f"{n + 3} Bảo Định, {commune.name}, {commune.district_name}, Tỉnh Long An",
                     commune.code),
                    (f"{n + 3} Bảo Định, {abbreviations[commune.kind]} {bare}, H. {district}, "
                     f"Long An", commune.code),
                    (f"{n + 3} Bảo Định, {bare}, {district}, Long An", None)):
                key = insert_land_user(deployment, f"Lê Văn Địa Chỉ {len(planted.addresses)}",
                                       None, None, None, "Nam", address)
                planted.addresses[key] = (address, names)
    # A land transfer of a kind the Land Law does not know.
    with psycopg.connect(deployment.source_url("land")) as land:
        planted.transfer = land.execute(
            "update bien_dong set loai_bien_dong = 'ZZ', ngay_cap_nhat = now() "
            "where id = (select min(id) from bien_dong) returning id").fetchone()[0]
    return planted


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("er"))
    deployment.kho("sources", "seed", "--scale", SCALE, "--seed", SEED)
    deployment.url = deployment.warehouse_url
    deployment.planted = plant(deployment)
    deployment.kho("materialize")
    yield deployment
    teardown_deployment(deployment)


def resolution(deployment: Deployment, land_user_key: str) -> tuple[str, str]:
    """(person ID, match rule) of a land user's record."""
    ((person, rule),) = query(deployment, "select person_id::text, match_rule "
                                          "from marts.xref_person where source_table = "
                                          "'chu_su_dung' and source_record_key = %s",
                              (land_user_key,))
    return person, rule


def own_id(deployment: Deployment, person: Person) -> str:
    return person_id(deployment.warehouse_url, person.personal_id)


def notes(deployment: Deployment, table: str, key: str) -> set[tuple[str, str, str]]:
    return set(query(deployment, "select column_name, outcome, rule from marts.dq_source_values "
                                 "where source_table = %s and source_record_key = %s",
                     (table, key)))


@pytest.mark.parametrize("case", ["typo", "middle_dropped", "honorific", "day_off"])
def test_a_cmnd_record_with_an_error_links_to_its_person(deployment, case):
    person = deployment.planted.persons[case]
    found, rule = resolution(deployment, deployment.planted.land_users[case])
    assert found == own_id(deployment, person), (case, rule)
    assert rule.startswith("id_card_linked_by_"), rule


def test_a_cmnd_record_links_to_the_namesake_of_its_commune(deployment):
    """Two persons share a name and a birth date; a CMND record whose address is in the
    commune where one of them was born is that one, not the namesake born elsewhere."""
    person = deployment.planted.persons["same_commune"]
    namesake = deployment.planted.namesakes["same_commune"]
    found, rule = resolution(deployment, deployment.planted.land_users["same_commune"])
    assert found == own_id(deployment, person), rule
    assert found != person_id(deployment.warehouse_url, namesake)
    assert rule == "id_card_linked_by_name_and_birth_date", rule
    levels = dict(query(deployment, "select anchor_key, place_level "
                                    "from intermediate.int_persons__links "
                                    "where identity_key = %s",
                        (f"id_card:{deployment.planted.cmnds['same_commune']}",)))
    assert levels[f"personal_id:{person.personal_id}"] >= 2
    assert levels[f"personal_id:{namesake}"] == 0


def test_a_cmnd_record_links_to_the_namesake_whose_spouse_holds_the_land_with_it(deployment):
    """Two women share a name and a birth date; a CMND holder of a parcel held together
    with one's husband is that one."""
    wife = deployment.planted.persons["same_household"]
    namesake = deployment.planted.namesakes["same_household"]
    found, rule = resolution(deployment, deployment.planted.land_users["same_household"])
    assert found == own_id(deployment, wife), rule
    assert found != person_id(deployment.warehouse_url, namesake)
    levels = dict(query(deployment, "select anchor_key, household_level "
                                    "from intermediate.int_persons__links "
                                    "where identity_key = %s",
                        (f"id_card:{deployment.planted.cmnds['same_household']}",)))
    assert levels[f"personal_id:{wife.personal_id}"] == 1
    assert levels[f"personal_id:{namesake}"] is None


def test_a_father_known_only_by_id_links_through_the_mother_he_holds_land_with(deployment):
    """A birth registration names a father by personal ID alone; a CMND holder of the
    father's birth year and sex who holds land with the child's mother is the father."""
    found, rule = resolution(deployment, deployment.planted.land_users["father_by_id"])
    assert found == person_id(deployment.warehouse_url,
                              deployment.planted.namesakes["father_by_id"]), rule
    assert rule.startswith("id_card_linked_by_no_name_and_birth_year"), rule
    mother = deployment.planted.persons["father_by_id_mother"]
    assert found != own_id(deployment, mother)


def test_without_a_commune_a_cmnd_record_of_two_namesakes_links_to_neither(deployment):
    person = deployment.planted.persons["no_commune"]
    namesake = deployment.planted.namesakes["no_commune"]
    found, rule = resolution(deployment, deployment.planted.land_users["no_commune"])
    assert found not in (own_id(deployment, person),
                         person_id(deployment.warehouse_url, namesake)), rule
    assert rule == "id_card_number", rule


def test_a_namesake_born_months_apart_is_compared_only_where_they_share_a_commune(
        deployment):
    """A CMND record and a person of one name and birth year, born months apart, are
    compared only when they have a commune in common: elsewhere the pair is left out
    before any comparison (it is most of a province's namesakes)."""
    compared = {}
    for case in ("months_apart_elsewhere", "months_apart_same_commune"):
        person = deployment.planted.persons[case]
        compared[case] = query(deployment, "select birth_date_level, place_level "
                                           "from intermediate.int_persons__candidate_pairs "
                                           "where identity_key = %s and anchor_key = %s",
                               (f"id_card:{deployment.planted.cmnds[case]}",
                                f"personal_id:{person.personal_id}"))
    assert compared["months_apart_elsewhere"] == []
    ((date_level, place_level),) = compared["months_apart_same_commune"]
    assert date_level == 0
    assert place_level >= 2


def test_the_honorific_is_removed_and_reported(deployment):
    key = deployment.planted.land_users["honorific"]
    person = deployment.planted.persons["honorific"]
    assert ("ho_ten", "normalised", "honorific_removed") in notes(deployment, "chu_su_dung", key)
    assert query(deployment, "select holder_name from staging.stg_land__land_users "
                             "where land_user_source_id = %s", (int(key),)) == [(person.name,)]


def test_a_transposed_personal_id_links_with_its_own_rule_and_is_reported(deployment):
    person = deployment.planted.persons["transposed"]
    key = deployment.planted.land_users["transposed"]
    found, rule = resolution(deployment, key)
    assert (found, rule) == (own_id(deployment, person),
                             "personal_id_typo_linked_by_transposed_digits")
    assert query(deployment, "select recorded_personal_id_number, personal_id_number, typo "
                             "from marts.dq_mistyped_identity_numbers "
                             "where source_table = 'chu_su_dung' and source_record_key = %s",
                 (key,)) == [(transposed(person.personal_id), person.personal_id,
                              "transposed_digits")]


def test_a_mother_named_by_a_mistyped_id_alone_links_through_her_husband(deployment):
    wife = deployment.planted.partners["wife"]
    assert query(deployment, "select person_id::text, match_rule from marts.xref_person "
                             "where source_table = 'khai_sinh' and source_record_key = "
                             "'KS.2024.PLANTED1' and role = 'mother'"
                 ) == [(person_id(deployment.warehouse_url, wife),
                        "personal_id_typo_linked_by_transposed_digits")]
    assert query(deployment, "select recorded_personal_id_number, personal_id_number, typo, "
                             "evidence from marts.dq_mistyped_identity_numbers "
                             "where source_record_key = 'KS.2024.PLANTED1'"
                 ) == [(transposed(wife), wife, "transposed_digits", "shared_partner")]


def test_a_father_named_by_a_mistyped_number_alone_links_to_its_only_named_neighbour(
        deployment):
    father = deployment.planted.persons["bare_father"]
    assert query(deployment, "select person_id::text, match_rule from marts.xref_person "
                             "where source_table = 'khai_sinh' and source_record_key = "
                             "'KS.2024.PLANTED2' and role = 'father'"
                 ) == [(own_id(deployment, father), "personal_id_typo_linked_by_mistyped_digit")]
    assert query(deployment, "select recorded_personal_id_number, personal_id_number, typo, "
                             "evidence from marts.dq_mistyped_identity_numbers "
                             "where source_record_key = 'KS.2024.PLANTED2'"
                 ) == [(mistyped(father.personal_id), father.personal_id, "mistyped_digit",
                        "sole_neighbour")]


def test_two_people_sharing_one_id_are_not_merged(deployment):
    holder, borrower = (deployment.planted.persons[c] for c in ("id_holder", "id_borrower"))
    found, rule = resolution(deployment, deployment.planted.land_users["borrowed_id"])
    assert found != own_id(deployment, holder), rule
    assert found == own_id(deployment, borrower), rule
    assert rule.startswith("disputed_id_linked_by_name_and_birth_date"), rule
    ((disputed,),) = query(deployment, "select disputed_records "
                                       "from marts.dq_shared_identity_numbers "
                                       "where personal_id_number = %s", (holder.personal_id,))
    assert disputed == 1
    # The holder's own records still make one person.
    assert query(deployment, "select count(distinct person_id) from marts.xref_person "
                             "where identity_key = %s", (f"personal_id:{holder.personal_id}",)
                 ) == [(1,)]


def test_normalised_ids_and_names_keep_the_row_and_are_reported(deployment):
    planted = deployment.planted
    lz_key = planted.land_users["leading_zero"]
    person = planted.persons["leading_zero"]
    found, rule = resolution(deployment, lz_key)
    assert (found, rule) == (own_id(deployment, person), "personal_id_number")
    assert notes(deployment, "chu_su_dung", lz_key) == {
        ("so_giay_to", "normalised", "leading_zero_restored"),
        ("ho_ten", "normalised", "invisible_characters_removed")}
    ((name,),) = query(deployment, "select holder_name from staging.stg_land__land_users "
                                   "where land_user_source_id = %s", (int(lz_key),))
    assert name == person.name
    cccd_key = planted.land_users["cmnd_as_cccd"]
    assert notes(deployment, "chu_su_dung", cccd_key) == {
        ("loai_giay_to", "normalised", "document_type_corrected"),
        ("ho_ten", "normalised", "punctuation_removed")}
    assert query(deployment, "select id_document_type, id_card_number, personal_id_number "
                             "from staging.stg_land__land_users where land_user_source_id = %s",
                 (int(cccd_key),)) == [("CMND", planted.cmnds["cmnd_as_cccd"], None)]
    code = planted.enterprises["grouped_id"]
    assert ("legal_rep_id_no", "normalised", "separators_removed") in notes(
        deployment, "enterprises", code)
    assert query(deployment, "select match_rule from marts.xref_person where source_table = "
                             "'enterprises' and source_record_key = %s", (code,)
                 ) == [("personal_id_number",)]


def test_an_enterprise_whose_representative_id_is_unreadable_still_lands(deployment):
    code = deployment.planted.enterprises["unreadable_id"]
    assert query(deployment, "select count(*) from marts.dim_organization "
                             "where enterprise_code = %s", (code,)) == [(1,)]
    assert query(deployment, "select outcome, rule, raw_value from marts.dq_source_values "
                             "where source_table = 'enterprises' and source_record_key = %s "
                             "and column_name = 'legal_rep_id_no'", (code,)
                 ) == [("set_aside", "malformed_id", "08O12345678x")]
    assert query(deployment, "select count(*) from quarantine.rows where record_key = %s",
                 (code,)) == [(0,)]


def test_a_land_transfer_of_an_unknown_kind_still_lands(deployment):
    transfer = deployment.planted.transfer
    assert query(deployment, "select transfer_kind from marts.fct_land_transfer "
                             "where land_transfer_source_id = %s", (transfer,)) == [(None,)]
    assert query(deployment, "select outcome, rule, raw_value from marts.dq_source_values "
                             "where source_table = 'bien_dong' and source_record_key = %s "
                             "and column_name = 'loai_bien_dong'", (str(transfer),)
                 ) == [("set_aside", "unknown_code", "ZZ")]


def test_an_address_names_its_commune_where_another_of_its_district_has_the_same_key(
        deployment):
    planted = deployment.planted.addresses
    assert len({names for _, names in planted.values()}) >= 3  # two communes, and neither
    read = dict(query(
        deployment, "select m.source_record_key, p.legacy_commune_code "
                    "from intermediate.int_persons__mentions as m "
                    "left join intermediate.int_persons__places as p "
                    "on p.person_mention_id = m.person_mention_id "
                    "and p.place_kind = 'residence' "
                    "where m.source_table = 'chu_su_dung' and m.source_record_key = any(%s)",
        (list(planted),)))
    assert {planted[key][0]: code for key, code in read.items()} == {
        address: names for address, names in planted.values()}


def test_the_match_weights_are_estimated_from_the_data(deployment):
    weights = {(c, level): (m, u) for c, level, m, u in query(
        deployment, "select comparison, level, m_probability, u_probability "
                    "from entity_resolution.int_persons__match_weights")}
    # Agreement is evidence for a match, disagreement against.
    for comparison, agree, disagree in (("name", 4, 0), ("birth_date", 6, 0), ("sex", 1, 0)):
        m, u = weights[(comparison, agree)]
        assert m / u > 100 if comparison != "sex" else m / u > 1.5
        m, u = weights[(comparison, disagree)]
        assert m / u < 0.1
    assert all(0 < m <= 1 and 0 < u <= 1 for m, u in weights.values())


def test_a_record_without_a_name_gives_its_group_no_name_key(deployment):
    # A birth record names its parents by ID alone: their groups must not share an empty
    # name key, which would make every such parent a namesake of every other.
    empty, groups_with_no_name = query(
        deployment, "select count(*) filter (where '' = any(name_match_keys)), "
                    "count(*) filter (where name_keys is null) "
                    "from intermediate.int_persons__identity_groups")[0]
    assert groups_with_no_name > 0
    assert empty == 0


def test_an_open_assignment_of_a_person_dead_on_an_unreadable_date_is_flagged(deployment):
    # The death date becomes null (it cannot be read); the death itself still counts.
    code = deployment.planted.dead_in_post[0]
    rows = query(deployment, "select p.is_deceased, p.death_date, e.is_active_after_death "
                             "from marts.fct_employment as e join marts.dim_person as p "
                             "using (person_id) where e.civil_servant_code = %s "
                             "and e.valid_to is null", (code,))
    assert rows == [(True, None, True)]


def test_every_published_link_says_why(deployment):
    rows = query(deployment, "select match_rule, match_score, match_weight "
                             "from marts.xref_person where match_rule like '%%linked_by_%%' "
                             "and match_rule not like 'personal_id_typo%%'")
    assert rows
    assert all(0 < score <= 1 and weight is not None for _, score, weight in rows)


def kho_review(deployment: Deployment, *args: str) -> str:
    return deployment.kho("review", *args).stdout


def test_review_decisions_outrank_the_model_and_survive_a_full_refresh_and_a_rebuild(
        deployment):
    planted = deployment.planted
    typo_key, accept_key = planted.land_users["typo"], planted.land_users["review_accept"]
    typo_person, accept_person = planted.persons["typo"], planted.persons["review_accept"]
    # The model will not link the weak case on its own; it is a candidate a steward sees.
    found, rule = resolution(deployment, accept_key)
    assert found != own_id(deployment, accept_person), rule
    shown = kho_review(deployment, "show", "--identity",
                       f"id_card:{planted.cmnds['review_accept']}", "--anchor",
                       f"personal_id:{accept_person.personal_id}")
    assert accept_person.personal_id in shown and "Quỳnh" in shown
    (last_event,) = query(deployment, "select coalesce(max(event_id), 0) "
                                      "from master_data.person_id_events")[0]
    kho_review(deployment, "reject", "--identity", f"id_card:{planted.cmnds['typo']}",
               "--anchor", f"personal_id:{typo_person.personal_id}", "--by", "test steward",
               "--note", "another person")
    kho_review(deployment, "accept", "--identity", f"id_card:{planted.cmnds['review_accept']}",
               "--anchor", f"personal_id:{accept_person.personal_id}", "--by", "test steward")

    def decided() -> None:
        assert resolution(deployment, typo_key)[0] != own_id(deployment, typo_person)
        assert resolution(deployment, accept_key) == (own_id(deployment, accept_person),
                                                      "id_card_linked_by_review")

    deployment.kho("materialize")
    decided()
    # The rejected link split the record off its person, with an event.
    assert query(deployment, "select event from master_data.person_id_events where "
                             "event_id > %s and id = %s", (last_event, own_id(deployment,
                                                                              typo_person))
                 ) == [("split",)]
    # A full refresh (every source loaded again) of a warehouse whose dbt schemas are gone:
    # the decisions live beside both, in master_data.
    with psycopg.connect(deployment.url) as conn:
        for schema in DBT_SCHEMAS:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(schema)))
    deployment.kho("materialize", "--full-refresh")
    decided()
