"""The true province: persons, organizations and parcels before any agency records them.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, so a seed and a
scale always give the same province.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from simulated_sources import cadastre
from simulated_sources.admin_units import Commune, long_an_communes
from simulated_sources.names import (
    FAMILY_NAMES,
    GIVEN_NAMES_FEMALE,
    GIVEN_NAMES_MALE,
    MIDDLE_NAMES_FEMALE,
    MIDDLE_NAMES_MALE,
    STREET_NAMES,
)
from simulated_sources.noise import tone_style

# The simulated "today" at seeding time; `advance` moves it forward.
WORLD_DATE = date(2026, 1, 1)

BIRTH_PROVINCE_LONG_AN = "080"
OTHER_BIRTH_PROVINCES = ("079", "082", "083", "086", "087", "089", "072", "001")
# A CMND begins with the code of the province that issued it; persons born elsewhere got
# theirs there (Hà Nội's 01 and Hồ Chí Minh City's 02 begin with a zero).
CMND_PREFIXES = {"080": "30", "079": "02", "082": "31", "083": "32", "086": "33", "087": "34",
                 "089": "35", "072": "29", "001": "01"}

LAND_USE_URBAN = (("ODT", 70), ("TMD", 10), ("SKC", 5), ("CLN", 10), ("DGT", 5))
LAND_USE_RURAL = (("LUC", 40), ("ONT", 20), ("CLN", 18), ("BHK", 10), ("NTS", 7), ("SKC", 3),
                  ("TMD", 2))
PLANNING_ZONES = ("Khu dân cư hiện hữu", "Khu nông nghiệp", "Khu công nghiệp", "Khu đô thị mới",
                  "Khu cây xanh", "Khu thương mại dịch vụ")

LEGAL_FORMS = (("TNHH1", 35), ("TNHH2", 30), ("CP", 20), ("DNTN", 12), ("HD", 3))
ENTERPRISE_STATUSES = (("active", 85), ("suspended", 6), ("dissolving", 3), ("dissolved", 6))
VSIC_CODES = (
    ("0111", 6), ("0118", 4), ("0321", 4), ("1010", 3), ("1061", 4), ("1410", 4), ("1520", 3),
    ("2220", 3), ("2511", 3), ("4100", 8), ("4290", 4), ("4520", 4), ("4632", 5), ("4659", 5),
    ("4711", 8), ("4722", 4), ("4933", 5), ("5210", 3), ("5610", 6), ("6810", 4), ("6201", 2),
    ("7110", 2), ("8299", 4),
)
# Grade (ngạch) codes with their salary scale's coefficients (Decree 204/2004, table 3).
CIVIL_SERVANT_GRADES = {
    "01.001": (6.20, 6.56, 6.92, 7.28, 7.64, 8.00),
    "01.002": (4.40, 4.74, 5.08, 5.42, 5.76, 6.10, 6.44, 6.78),
    "01.003": (2.34, 2.67, 3.00, 3.33, 3.66, 3.99, 4.32, 4.65, 4.98),
    "01.004": (2.10, 2.41, 2.72, 3.03, 3.34, 3.65, 3.96, 4.27, 4.58, 4.89),
    "01.005": (1.86, 2.06, 2.26, 2.46, 2.66, 2.86, 3.06, 3.26, 3.46, 3.66, 3.86, 4.06),
}
# Share of civil servants who die in service (accidents, illness) over their records' span.
IN_SERVICE_DEATHS = 0.03
GRADE_WEIGHTS = (("01.001", 2), ("01.002", 15), ("01.003", 60), ("01.004", 15), ("01.005", 8))
POSITIONS = (("Chuyên viên", 70), ("Phó Trưởng phòng", 12), ("Trưởng phòng", 8),
             ("Phó Giám đốc", 4), ("Giám đốc", 2), ("Chủ tịch", 2), ("Phó Chủ tịch", 2))
PROVINCIAL_DEPARTMENTS = (
    "Sở Tài nguyên và Môi trường", "Sở Kế hoạch và Đầu tư", "Sở Tư pháp", "Sở Nội vụ",
    "Sở Tài chính", "Sở Xây dựng", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Y tế",
    "Sở Giáo dục và Đào tạo", "Sở Công Thương", "Văn phòng UBND tỉnh",
)
DEPARTMENT_UNITS = ("Văn phòng", "Phòng Tổ chức cán bộ", "Phòng Kế hoạch - Tài chính",
                    "Thanh tra", "Phòng Nghiệp vụ")

LEGAL_FORM_NAMES = {"TNHH1": "Công ty TNHH MTV", "TNHH2": "Công ty TNHH",
                    "CP": "Công ty Cổ phần", "DNTN": "Doanh nghiệp tư nhân",
                    "HD": "Công ty Hợp danh"}
TRADE_WORDS = ("Phát Đạt", "Thành Công", "Long An", "Mê Kông", "Tân Phú", "Hưng Thịnh",
               "Việt Nhật", "Sao Mai", "Phú Quý", "Hoàng Gia", "Đồng Tâm", "An Khang",
               "Bình Minh", "Thuận Phát", "Kim Ngân", "Tiến Thành")
TRADES = ("Xây dựng", "Thương mại", "Nông sản", "Vận tải", "Thực phẩm", "Cơ khí",
          "Dệt may", "Bất động sản", "Dịch vụ", "Đầu tư")
SHOP_WORDS = ("Tạp hóa", "Quán ăn", "Cà phê", "Sửa xe", "Bán lẻ", "Tiệm vàng", "Nhà thuốc",
              "Vật liệu xây dựng", "Hớt tóc", "May đo")


def enterprise_name(rng: random.Random, legal_form: str) -> str:
    return f"{LEGAL_FORM_NAMES[legal_form]} {rng.choice(TRADES)} {rng.choice(TRADE_WORDS)}"


def household_business_name(rng: random.Random, owner_given_name: str) -> str:
    return f"{rng.choice(SHOP_WORDS)} {owner_given_name}"


@dataclass(slots=True)
class Person:
    person_no: int
    personal_id: str
    cmnd: str | None
    family_name: str
    middle_name: str
    given_name: str
    sex: str  # "M" or "F"
    birth_date: date
    birth_province: str
    birth_commune: str | None
    home_commune: str
    street: str
    death_date: date | None = None
    father_no: int | None = None
    mother_no: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.middle_name} {self.given_name}"

    def is_adult_on(self, day: date) -> bool:
        return (day - self.birth_date).days >= 18 * 365

    def is_alive_on(self, day: date) -> bool:
        return self.birth_date <= day and (self.death_date is None or self.death_date > day)


@dataclass(slots=True)
class Marriage:
    marriage_no: int
    husband_no: int
    wife_no: int
    registered_on: date
    commune: str


@dataclass(slots=True)
class Organization:
    org_no: int
    kind: str  # enterprise | branch | household_business | state_agency | agency_unit
    code: str
    name: str
    commune: str
    registered_on: date
    street: str = ""
    legal_form: str | None = None
    vsic: str | None = None
    status: str = "active"
    charter_capital: int | None = None
    representative_no: int | None = None
    parent_no: int | None = None
    level: str | None = None


@dataclass(slots=True)
class Holding:
    holder_kind: str  # person | organization
    holder_no: int
    share: float


@dataclass(slots=True)
class Transfer:
    transfer_no: int
    kind: str
    from_holder: Holding
    to_holder: Holding
    on: date


@dataclass(slots=True)
class Parcel:
    parcel_no: int
    commune: str
    map_sheet: int
    parcel_number: int
    area_m2: float
    land_use: str
    planning_zone: str
    # VN-2000 TM-3 metres (easting, northing), a closed ring; see cadastre.
    polygon: list[tuple[float, float]]
    # None of them for a strip of road or canal (state land, see cadastre.lay_out).
    holders: list[Holding]
    certificate_serial: str | None
    certificate_issued_on: date | None
    held_since: date
    transfers: list[Transfer] = field(default_factory=list)


@dataclass(slots=True)
class Employment:
    employment_no: int
    person_no: int
    unit_no: int
    grade: str
    step: int
    coefficient: float
    position: str
    start: date
    end: date | None
    # The person died during this stint but the cadre system never recorded its end.
    end_unrecorded: bool = False


@dataclass
class Province:
    seed: int
    scale: int
    world_date: date
    communes: tuple[Commune, ...]
    persons: list[Person]
    marriages: list[Marriage]
    organizations: list[Organization]
    parcels: list[Parcel]
    employments: list[Employment]
    deceased_still_active: float = 0.0
    # Counters `advance` continues from.
    enterprise_sequence: int = 0
    household_businesses: int = 0
    cache: dict = field(default_factory=dict, repr=False)

    @cached_property
    def commune_by_code(self) -> dict[str, Commune]:
        return {c.code: c for c in self.communes}


def new_personal_id(rng: random.Random, birth_province: str, sex: str, birth: date,
                    used: set[str]) -> str:
    """A 12-digit personal ID: birth province (3), sex and century (1), year (2), serial (6)."""
    century_digit = (0 if birth.year < 2000 else 2) + (0 if sex == "M" else 1)
    while True:
        pid = f"{birth_province}{century_digit}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
        if pid not in used:
            used.add(pid)
            return pid


class Weighted:
    """Fast repeated weighted choice (``random.choices`` recomputes cumulative sums)."""

    def __init__(self, pairs):
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def enterprise_code(sequence: int, province: str = "11") -> str:
    """A 10-digit enterprise (tax) code with its real check digit, or None-able sequence skip.

    Long An's tax-office prefix is 11; sequences whose check value would be 10 are not issued.
    """
    body = f"{province}{sequence:07d}"
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    remainder = sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 11
    if remainder == 0:
        raise ValueError("sequence has no valid check digit")
    return body + str(10 - remainder)


class _Generator:
    def __init__(self, scale: int, seed: int, deceased_still_active: float):
        self.rng = random.Random(seed)
        self.scale = scale
        self.seed = seed
        self.stale_rate = deceased_still_active
        self.enterprise_sequence = 0
        self.household_businesses = 0
        self.communes = long_an_communes()
        self.commune_codes = [c.code for c in self.communes]
        self.commune_by_code = {c.code: c for c in self.communes}
        self.pick_family = Weighted(FAMILY_NAMES)
        self.pick_middle = {"M": Weighted(MIDDLE_NAMES_MALE), "F": Weighted(MIDDLE_NAMES_FEMALE)}
        # The truth spells names with the new tone placement ("Hoà", "Thuỷ").
        self.given = {sex: tuple(tone_style(n, "new") for n in names)
                      for sex, names in (("M", GIVEN_NAMES_MALE), ("F", GIVEN_NAMES_FEMALE))}

    # -- persons -------------------------------------------------------------------------
    def persons(self) -> list[Person]:
        rng = self.rng
        used_ids: set[str] = set()
        used_cmnd: set[str] = set()
        persons: list[Person] = []
        for n in range(self.scale):
            sex = "M" if rng.random() < 0.495 else "F"
            age_days = int(min(95, max(0.0, rng.gauss(36, 21))) * 365.25) + rng.randrange(365)
            birth = WORLD_DATE - timedelta(days=age_days + 1)
            born_here = rng.random() < 0.85
            birth_province = BIRTH_PROVINCE_LONG_AN if born_here else rng.choice(
                OTHER_BIRTH_PROVINCES)
            pid = new_personal_id(rng, birth_province, sex, birth, used_ids)
            cmnd = None
            if birth.year < 2005 and rng.random() < 0.6:
                while True:
                    cmnd = f"{CMND_PREFIXES[birth_province]}{rng.randrange(10**7):07d}"
                    if cmnd not in used_cmnd:
                        used_cmnd.add(cmnd)
                        break
            home = rng.choice(self.commune_codes)
            persons.append(Person(
                person_no=n + 1,
                personal_id=pid,
                cmnd=cmnd,
                family_name=self.pick_family(rng),
                middle_name=tone_style(self.pick_middle[sex](rng), "new"),
                given_name=rng.choice(self.given[sex]),
                sex=sex,
                birth_date=birth,
                birth_province=birth_province,
                birth_commune=(home if rng.random() < 0.6 else rng.choice(self.commune_codes))
                if born_here else None,
                home_commune=home,
                street=f"{rng.randrange(1, 400)} {rng.choice(STREET_NAMES)}",
            ))
        # Deaths: the old die more often.
        for p in persons:
            age = (WORLD_DATE - p.birth_date).days / 365.25
            if rng.random() < 0.004 + 0.0009 * max(0.0, age - 40) ** 1.3:
                p.death_date = random_date(rng, max(p.birth_date + timedelta(days=30),
                                                     date(2000, 1, 1)), WORLD_DATE)
        return persons

    def families(self, persons: list[Person]) -> list[Marriage]:
        rng = self.rng
        by_birth = sorted(persons, key=lambda p: p.birth_date)
        births = [p.birth_date for p in by_birth]
        for child in persons:
            if child.birth_province != BIRTH_PROVINCE_LONG_AN or rng.random() > 0.7:
                continue
            lo = bisect.bisect_left(births, child.birth_date - timedelta(days=int(40 * 365.25)))
            hi = bisect.bisect_right(births, child.birth_date - timedelta(days=int(20 * 365.25)))
            if hi - lo < 2:
                continue
            for _ in range(6):
                parent = by_birth[rng.randrange(lo, hi)]
                if parent.sex == "M" and child.father_no is None:
                    child.father_no = parent.person_no
                elif parent.sex == "F" and child.mother_no is None:
                    child.mother_no = parent.person_no
        marriages: list[Marriage] = []
        married: set[int] = set()
        for child in persons:
            husband_no, wife_no = child.father_no, child.mother_no
            if not husband_no or not wife_no or husband_no in married or wife_no in married:
                continue
            married.update((husband_no, wife_no))
            husband = persons[husband_no - 1]
            start = max(husband.birth_date, persons[wife_no - 1].birth_date)
            registered = min(random_date(rng, start + timedelta(days=18 * 366),
                                          start + timedelta(days=30 * 366)),
                             child.birth_date - timedelta(days=rng.randrange(60, 900)))
            marriages.append(Marriage(len(marriages) + 1, husband_no, wife_no, registered,
                                      husband.home_commune))
        return marriages

    # -- organizations -------------------------------------------------------------------
    def _representative(self, everyone: list[Person], living: list[Person]) -> Person:
        """A legal representative or owner: usually alive; one who died stays on record
        (the register was never told) at the configured rate, else was replaced."""
        rng = self.rng
        person = rng.choice(everyone)
        if person.death_date is not None and rng.random() >= self.stale_rate:
            person = rng.choice(living)
        return person

    def organizations(self, persons: list[Person]) -> list[Organization]:
        rng = self.rng
        adults = [p for p in persons if p.is_adult_on(WORLD_DATE)]
        living = [p for p in adults if p.death_date is None]
        orgs: list[Organization] = []
        pick_form = Weighted(LEGAL_FORMS)
        pick_status = Weighted(ENTERPRISE_STATUSES)
        pick_vsic = Weighted(VSIC_CODES)
        sequence = 300000 + rng.randrange(1000)
        for _ in range(max(3, self.scale // 25)):
            while True:
                sequence += 1 + rng.randrange(40)
                try:
                    code = enterprise_code(sequence)
                    self.enterprise_sequence = sequence
                    break
                except ValueError:
                    continue
            form = pick_form(rng)
            representative = self._representative(adults, living)
            registered_on = random_date(rng, date(1995, 1, 1), representative.death_date
                                         or WORLD_DATE)
            org = Organization(
                org_no=len(orgs) + 1,
                kind="enterprise",
                code=code,
                name=enterprise_name(rng, form),
                commune=rng.choice(self.commune_codes),
                street=f"{rng.randrange(1, 900)} {rng.choice(STREET_NAMES)}",
                registered_on=registered_on,
                legal_form=form,
                vsic=pick_vsic(rng),
                status=pick_status(rng),
                charter_capital=rng.choice((1, 2, 5, 10, 20, 50, 100, 500)) * 10**8,
                representative_no=representative.person_no,
            )
            orgs.append(org)
            if rng.random() < 0.1:
                for branch in range(1, rng.randrange(2, 4)):
                    orgs.append(Organization(
                        org_no=len(orgs) + 1,
                        kind="branch",
                        code=f"{code}-{branch:03d}",
                        name=f"Chi nhánh {branch} - {org.name}",
                        commune=rng.choice(self.commune_codes),
                        street=f"{rng.randrange(1, 900)} {rng.choice(STREET_NAMES)}",
                        registered_on=random_date(rng, org.registered_on, WORLD_DATE),
                        legal_form=form,
                        vsic=org.vsic,
                        status=org.status,
                        representative_no=rng.choice(living).person_no,
                        parent_no=org.org_no,
                    ))
        for n in range(max(2, self.scale // 20)):
            owner = rng.choice(living)
            commune = self.commune_by_code[owner.home_commune]
            orgs.append(Organization(
                org_no=len(orgs) + 1,
                kind="household_business",
                code=f"{commune.district_code}.{n + 1:06d}",
                name=household_business_name(rng, owner.given_name),
                commune=owner.home_commune,
                street=owner.street,
                registered_on=random_date(rng, date(2005, 1, 1), WORLD_DATE),
                vsic=pick_vsic(rng),
                status=pick_status(rng),
                representative_no=owner.person_no,
            ))
            self.household_businesses = n + 1
        agency_no = 0

        def agency(name: str, level: str, commune: str, parent: int | None, kind: str) -> int:
            nonlocal agency_no
            agency_no += 1
            orgs.append(Organization(
                org_no=len(orgs) + 1, kind=kind, code=f"CQ{agency_no:05d}", name=name,
                commune=commune, registered_on=date(1990, 1, 1), parent_no=parent, level=level,
            ))
            return len(orgs)

        capital = self.communes[0]
        for department in PROVINCIAL_DEPARTMENTS:
            parent = agency(department, "TINH", capital.code, None, "state_agency")
            for unit in DEPARTMENT_UNITS[: 2 + rng.randrange(len(DEPARTMENT_UNITS) - 1)]:
                agency(f"{unit} - {department}", "TINH", capital.code, parent, "agency_unit")
        districts: dict[str, Commune] = {}
        for c in self.communes:
            districts.setdefault(c.district_code, c)
        for c in districts.values():
            parent = agency(f"UBND {c.district_name}", "HUYEN", c.code, None, "state_agency")
            for unit in ("Phòng Tài nguyên và Môi trường", "Phòng Tư pháp", "Phòng Nội vụ"):
                agency(f"{unit} - {c.district_name}", "HUYEN", c.code, parent, "agency_unit")
        for c in self.communes:
            agency(f"UBND {c.name}, {c.district_name}", "XA", c.code, None, "state_agency")
        return orgs

    def employments(self, persons: list[Person], orgs: list[Organization]) -> list[Employment]:
        rng = self.rng
        units = [o for o in orgs if o.kind in ("state_agency", "agency_unit")]
        pick_grade = Weighted(GRADE_WEIGHTS)
        pick_position = Weighted(POSITIONS)
        working_age = [p for p in persons
                       if 22 <= (WORLD_DATE - p.birth_date).days / 365.25 <= 62
                       and (p.death_date is None
                            or (p.death_date - p.birth_date).days > 23 * 365.25)]
        employments: list[Employment] = []
        count = min(len(working_age), max(5, self.scale // 40))
        for person in rng.sample(working_age, count):
            last_day = person.death_date or WORLD_DATE
            start = random_date(rng, person.birth_date + timedelta(days=int(22 * 365.25)),
                                last_day)
            if person.death_date is None and rng.random() < IN_SERVICE_DEATHS:
                person.death_date = random_date(rng, start + timedelta(days=30),
                                                WORLD_DATE - timedelta(days=1))
            grade = pick_grade(rng)
            for stint in range(rng.choice((1, 1, 1, 2, 2, 3))):
                end = None
                if stint < 2 and rng.random() < 0.35:
                    end = random_date(rng, start + timedelta(days=180), WORLD_DATE + timedelta(
                        days=200))
                    if end >= WORLD_DATE:
                        end = None
                unrecorded = died = False
                if person.death_date is not None and (end is None or end > person.death_date):
                    # Death ends the stint; the cadre system may never have heard of it.
                    unrecorded = rng.random() < self.stale_rate
                    end = max(start, person.death_date)
                    died = True
                coefficients = CIVIL_SERVANT_GRADES[grade]
                step = min(len(coefficients), 1 + (WORLD_DATE - start).days // (3 * 365)) \
                    if end is None else min(len(coefficients), 1 + (end - start).days // (3 * 365))
                employments.append(Employment(
                    employment_no=len(employments) + 1, person_no=person.person_no,
                    unit_no=rng.choice(units).org_no, grade=grade, step=step,
                    coefficient=coefficients[step - 1], position=pick_position(rng),
                    start=start, end=end, end_unrecorded=unrecorded,
                ))
                if end is None or died:
                    break
                start = end + timedelta(days=1)
        return employments

    # -- parcels -------------------------------------------------------------------------
    def parcels(self, persons: list[Person], orgs: list[Organization],
                marriages: list[Marriage]) -> list[Parcel]:
        rng = self.rng
        adults = [p for p in persons if p.is_adult_on(WORLD_DATE) and p.death_date is None]
        spouse = {m.husband_no: m.wife_no for m in marriages}
        holders_org = [o for o in orgs if o.kind in ("enterprise", "household_business")]
        pick_urban = Weighted(LAND_USE_URBAN)
        pick_rural = Weighted(LAND_USE_RURAL)
        next_number: dict[tuple[str, int], int] = {}
        parcels: list[Parcel] = []
        for n in range(max(5, self.scale // 2)):
            commune = self.communes[rng.randrange(len(self.communes))]
            urban = commune.kind in ("Phường", "Thị trấn")
            land_use = pick_urban(rng) if urban else pick_rural(rng)
            sheet = 1 + rng.randrange(40 if urban else 80)
            number = next_number.get((commune.code, sheet), 0) + 1 + rng.randrange(3)
            next_number[(commune.code, sheet)] = number
            if land_use in ("ODT", "ONT", "TMD"):
                area = round(math.exp(rng.gauss(4.8, 0.6)), 1)
            else:
                area = round(math.exp(rng.gauss(7.4, 0.9)), 1)
            # Four draws that once placed a lone rectangle: still drawn, so that the holders,
            # dates and zones drawn after them stay those every seed gave before the parcels
            # were laid out on their map sheets (cadastre.lay_out, from a stream of its own).
            for _ in range(2):
                rng.gauss(0, 0.012)
            for _ in range(2):
                rng.random()
            if rng.random() < 0.9 or not holders_org:
                owner = rng.choice(adults)
                wife = spouse.get(owner.person_no)
                if wife and rng.random() < 0.5:
                    holders = [Holding("person", owner.person_no, 0.5),
                               Holding("person", wife, 0.5)]
                else:
                    holders = [Holding("person", owner.person_no, 1.0)]
            else:
                holders = [Holding("organization", rng.choice(holders_org).org_no, 1.0)]
            issued = random_date(rng, date(1994, 1, 1), WORLD_DATE)
            parcel = Parcel(
                parcel_no=n + 1, commune=commune.code, map_sheet=sheet, parcel_number=number,
                area_m2=area, land_use=land_use, planning_zone=rng.choice(PLANNING_ZONES),
                polygon=[], holders=holders,
                certificate_serial=f"C{rng.choice('KLMNOP')} {n + 1:06d}",
                certificate_issued_on=issued, held_since=issued,
            )
            if rng.random() < 0.12 and issued > date(1996, 1, 1):
                previous = Holding("person", rng.choice(adults).person_no, 1.0)
                parcel.transfers.append(Transfer(
                    transfer_no=0, kind=rng.choice(("chuyen_nhuong", "thua_ke", "tang_cho")),
                    from_holder=previous, to_holder=holders[0], on=issued,
                ))
            parcels.append(parcel)
        transfer_no = itertools.count(1)
        for parcel in parcels:
            for transfer in parcel.transfers:
                transfer.transfer_no = next(transfer_no)
        parcels += cadastre.lay_out(parcels, self.commune_by_code, self.seed)
        return parcels


def generate(scale: int, seed: int = 42, deceased_still_active: float = 0.3) -> Province:
    """The whole true province for ``scale`` persons.

    ``deceased_still_active`` is the share of persons who died while a civil servant or a
    legal representative and whose record in that system was never updated.
    """
    if scale < 10:
        raise ValueError("scale must be at least 10 persons")
    gen = _Generator(scale, seed, deceased_still_active)
    persons = gen.persons()
    marriages = gen.families(persons)
    orgs = gen.organizations(persons)
    employments = gen.employments(persons, orgs)
    parcels = gen.parcels(persons, orgs, marriages)
    return Province(seed=seed, scale=scale, world_date=WORLD_DATE, communes=gen.communes,
                    persons=persons, marriages=marriages, organizations=orgs, parcels=parcels,
                    employments=employments, deceased_still_active=deceased_still_active,
                    enterprise_sequence=gen.enterprise_sequence,
                    household_businesses=gen.household_businesses)
