"""Daily change in the province and in the agency systems: `kho sources advance`.

Two halves, kept apart so that the state of the world needs no storage:

* ``World.simulate_day`` moves the true province forward one day (births, deaths,
  marriages, land transfers, new enterprises and household businesses, status changes,
  hires). It draws only from ``Random(f"{seed}:day:{n}")``, so the province after N days is
  recomputed exactly by generating it from its seed and replaying days 1..N.
* ``SourceChanger`` records the day's events in the source systems as row inserts, updates
  and deletes with the day's write time, corrects some broken rows, cancels some duplicate
  registrations, and keeps the ground truth and its change log in step.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import psycopg
import sqlalchemy as sa

from kho import db
from kho.settings import SOURCES
from simulated_sources.names import GIVEN_NAMES_FEMALE, GIVEN_NAMES_MALE, STREET_NAMES
from simulated_sources.noise import NoiseSettings, tone_style
from simulated_sources.population import (
    BIRTH_PROVINCE_LONG_AN,
    CIVIL_SERVANT_GRADES,
    ENTERPRISE_STATUSES,
    GRADE_WEIGHTS,
    LEGAL_FORMS,
    MIDDLE_NAMES_FEMALE,
    MIDDLE_NAMES_MALE,
    POSITIONS,
    VSIC_CODES,
    Employment,
    Holding,
    Marriage,
    Organization,
    Person,
    Province,
    Transfer,
    Weighted,
    enterprise_code,
    enterprise_name,
    generate,
    household_business_name,
    new_personal_id,
)
from simulated_sources.seed import TruthWriter, insert_statement, read_seed_info, write_entities
from simulated_sources.systems import (
    TABLES,
    Record,
    Renderer,
    SourceTable,
    bien_dong_record,
    cadre_code,
    chu_su_dung_records,
    enterprise_record,
    ho_so_can_bo_records,
    household_business_record,
    ket_hon_record,
    khai_sinh_records,
    khai_tu_record,
    qua_trinh_record,
    quyen_su_dung_record,
)

# Yearly rates of change, per person, parcel, enterprise or civil servant.
BIRTHS_PER_PERSON = 0.014
DEATHS_PER_PERSON = 0.006
MARRIAGES_PER_PERSON = 0.007
TRANSFERS_PER_PARCEL = 0.03
NEW_ENTERPRISES_PER_ENTERPRISE = 0.12
STATUS_CHANGES_PER_ENTERPRISE = 0.05
NEW_HOUSEHOLD_BUSINESSES_PER_BUSINESS = 0.06
HIRES_PER_CIVIL_SERVANT = 0.05
# Daily share of open defects an agency corrects, and of duplicate births it cancels.
CORRECTIONS_PER_OPEN_DEFECT = 0.01
CANCELLATIONS_PER_DUPLICATE = 0.01

STATUS_TRANSITIONS = {
    "active": (("suspended", 5), ("dissolving", 3), ("dissolved", 2)),
    "suspended": (("active", 6), ("dissolved", 4)),
    "dissolving": (("dissolved", 1),),
}


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


@dataclass
class Event:
    # birth, death, marriage, transfer, new_enterprise, status_change,
    # new_household_business or hire
    kind: str
    entity: object
    detail: dict = field(default_factory=dict)


class World:
    """The true province, moved forward one day at a time."""

    def __init__(self, province: Province):
        self.p = province
        self.used_ids = {x.personal_id for x in province.persons}
        self.married = {n for m in province.marriages for n in (m.husband_no, m.wife_no)}
        self.transfers = sum(len(x.transfers) for x in province.parcels)
        # Roads and canals (state land, no holder) are never sold.
        self.held_parcels = [x for x in province.parcels if x.holders]
        self.employments: dict[int, list[Employment]] = {}
        for e in province.employments:
            self.employments.setdefault(e.person_no, []).append(e)
        self.units = [o for o in province.organizations
                      if o.kind in ("state_agency", "agency_unit")]
        self.businesses = [o for o in province.organizations
                           if o.kind in ("enterprise", "branch", "household_business")]
        self.pick_middle = {"M": Weighted(MIDDLE_NAMES_MALE), "F": Weighted(MIDDLE_NAMES_FEMALE)}
        self.given = {"M": GIVEN_NAMES_MALE, "F": GIVEN_NAMES_FEMALE}
        self.pick_form = Weighted(LEGAL_FORMS)
        self.pick_vsic = Weighted(VSIC_CODES)
        self.pick_grade = Weighted(GRADE_WEIGHTS)
        self.pick_position = Weighted(POSITIONS)
        self.pick_status = Weighted(ENTERPRISE_STATUSES)

    def _person(self, rng: random.Random, day: date, accept: Callable[[Person], bool],
                tries: int = 200) -> Person | None:
        persons = self.p.persons
        for _ in range(tries):
            person = persons[rng.randrange(len(persons))]
            if person.is_alive_on(day) and accept(person):
                return person
        return None

    @staticmethod
    def _age(person: Person, day: date) -> float:
        return (day - person.birth_date).days / 365.25

    def simulate_day(self, day: date, rng: random.Random) -> list[Event]:
        """Apply one day of change to the province; return what happened, in order."""
        p = self.p
        scale = len(p.persons)
        # (expected yearly count, how one happens), each count taken when its turn comes.
        kinds: tuple[tuple[Callable[[], float], Callable[..., Event | None]], ...] = (
            (lambda: scale * BIRTHS_PER_PERSON, self._birth),
            (lambda: scale * DEATHS_PER_PERSON, self._death),
            (lambda: scale * MARRIAGES_PER_PERSON, self._marriage),
            (lambda: len(self.held_parcels) * TRANSFERS_PER_PARCEL, self._transfer),
            (lambda: sum(1 for o in self.businesses if o.kind == "enterprise")
             * NEW_ENTERPRISES_PER_ENTERPRISE, self._new_enterprise),
            (lambda: len(self.businesses) * STATUS_CHANGES_PER_ENTERPRISE, self._status_change),
            (lambda: p.household_businesses * NEW_HOUSEHOLD_BUSINESSES_PER_BUSINESS,
             self._new_household_business),
            (lambda: len(self.employments) * HIRES_PER_CIVIL_SERVANT, self._hire),
        )
        events: list[Event] = []
        for yearly, happen in kinds:
            for _ in range(poisson(rng, yearly() / 365)):
                event = happen(day, rng)
                if event is not None:
                    events.append(event)
        p.world_date = day
        return events

    def _birth(self, day: date, rng: random.Random) -> Event | None:
        marriages = self.p.marriages
        for _ in range(100):
            m = marriages[rng.randrange(len(marriages))]
            mother = self.p.persons[m.wife_no - 1]
            father = self.p.persons[m.husband_no - 1]
            if mother.is_alive_on(day) and 18 <= self._age(mother, day) <= 45:
                break
        else:
            return None
        sex = "M" if rng.random() < 0.51 else "F"
        child = Person(
            person_no=len(self.p.persons) + 1,
            personal_id=new_personal_id(rng, BIRTH_PROVINCE_LONG_AN, sex, day, self.used_ids),
            cmnd=None, family_name=father.family_name,
            middle_name=tone_style(self.pick_middle[sex](rng), "new"),
            given_name=tone_style(rng.choice(self.given[sex]), "new"), sex=sex,
            birth_date=day, birth_province=BIRTH_PROVINCE_LONG_AN,
            birth_commune=mother.home_commune, home_commune=mother.home_commune,
            street=mother.street, father_no=father.person_no, mother_no=mother.person_no,
        )
        self.p.persons.append(child)
        return Event("birth", child)

    def _death(self, day: date, rng: random.Random) -> Event | None:
        for _ in range(200):
            person = self.p.persons[rng.randrange(len(self.p.persons))]
            if not person.is_alive_on(day) or person.birth_date == day:
                continue
            if rng.random() < min(1.0, (0.004 + 0.0009 * max(0.0, self._age(person, day) - 40)
                                        ** 1.3) / 0.1):
                break
        else:
            return None
        person.death_date = day
        closed = []
        for e in self.employments.get(person.person_no, []):
            if e.end is None:
                e.end = day
                e.end_unrecorded = rng.random() < self.p.deceased_still_active
                closed.append(e)
        return Event("death", person, {"closed": closed})

    def _marriage(self, day: date, rng: random.Random) -> Event | None:
        def single(sex: str, low: int, high: int) -> Callable[[Person], bool]:
            return lambda x: (x.sex == sex and x.person_no not in self.married
                              and low <= self._age(x, day) <= high)

        husband = self._person(rng, day, single("M", 20, 50))
        wife = self._person(rng, day, single("F", 18, 45))
        if husband is None or wife is None:
            return None
        m = Marriage(len(self.p.marriages) + 1, husband.person_no, wife.person_no, day,
                     husband.home_commune)
        self.p.marriages.append(m)
        self.married.update((husband.person_no, wife.person_no))
        return Event("marriage", m)

    def _transfer(self, day: date, rng: random.Random) -> Event | None:
        parcel = self.held_parcels[rng.randrange(len(self.held_parcels))]
        if parcel.held_since >= day:
            return None
        if rng.random() < 0.9:
            buyer = self._person(rng, day, lambda x: self._age(x, day) >= 18)
            if buyer is None:
                return None
            new = Holding("person", buyer.person_no, 1.0)
        else:
            new = Holding("organization", self.businesses[rng.randrange(
                len(self.businesses))].org_no, 1.0)
        previous = parcel.holders
        self.transfers += 1
        transfer = Transfer(self.transfers, rng.choice(("chuyen_nhuong", "thua_ke", "tang_cho")),
                            previous[0], new, day)
        parcel.transfers.append(transfer)
        parcel.holders = [new]
        parcel.held_since = day
        parcel.certificate_serial = f"D{chr(65 + len(parcel.transfers) % 26)} " \
                                    f"{parcel.parcel_no:06d}"
        parcel.certificate_issued_on = day
        return Event("transfer", parcel, {"transfer": transfer, "previous": previous})

    def _new_org(self, **kwargs) -> Organization:
        org = Organization(org_no=len(self.p.organizations) + 1, **kwargs)
        self.p.organizations.append(org)
        self.businesses.append(org)
        return org

    def _new_enterprise(self, day: date, rng: random.Random) -> Event:
        while True:
            self.p.enterprise_sequence += 1 + rng.randrange(40)
            try:
                code = enterprise_code(self.p.enterprise_sequence)
                break
            except ValueError:
                continue
        rep = self._person(rng, day, lambda x: self._age(x, day) >= 18) or self.p.persons[0]
        form = self.pick_form(rng)
        org = self._new_org(
            kind="enterprise", code=code, name=enterprise_name(rng, form),
            commune=rng.choice(self.p.communes).code, registered_on=day,
            street=f"{rng.randrange(1, 900)} {rng.choice(STREET_NAMES)}",
            legal_form=form, vsic=self.pick_vsic(rng), status="active",
            charter_capital=rng.choice((1, 2, 5, 10, 20)) * 10**8,
            representative_no=rep.person_no)
        return Event("new_enterprise", org)

    def _status_change(self, day: date, rng: random.Random) -> Event | None:
        org = self.businesses[rng.randrange(len(self.businesses))]
        if org.status not in STATUS_TRANSITIONS:
            return None
        previous = org.status
        org.status = Weighted(STATUS_TRANSITIONS[org.status])(rng)
        return Event("status_change", org, {"previous": previous})

    def _new_household_business(self, day: date, rng: random.Random) -> Event | None:
        owner = self._person(rng, day, lambda x: self._age(x, day) >= 18)
        if owner is None:
            return None
        self.p.household_businesses += 1
        district = self.p.commune_by_code[owner.home_commune].district_code
        org = self._new_org(
            kind="household_business", code=f"{district}.{self.p.household_businesses:06d}",
            name=household_business_name(rng, owner.given_name), commune=owner.home_commune,
            registered_on=day, street=owner.street, vsic=self.pick_vsic(rng), status="active",
            representative_no=owner.person_no)
        return Event("new_household_business", org)

    def _hire(self, day: date, rng: random.Random) -> Event | None:
        def candidate(x: Person) -> bool:
            return 22 <= self._age(x, day) <= 55 and all(
                e.end is not None for e in self.employments.get(x.person_no, []))

        person = self._person(rng, day, candidate)
        if person is None:
            return None
        grade = self.pick_grade(rng)
        e = Employment(
            employment_no=len(self.p.employments) + 1, person_no=person.person_no,
            unit_no=self.units[rng.randrange(len(self.units))].org_no, grade=grade, step=1,
            coefficient=CIVIL_SERVANT_GRADES[grade][0], position=self.pick_position(rng),
            start=day, end=None)
        self.p.employments.append(e)
        first = self.employments.get(person.person_no, [e])[0]
        self.employments.setdefault(person.person_no, []).append(e)
        return Event("hire", e, {"first_start": first.start, "profile_exists": first is not e})


def day_rng(seed: int, day_number: int) -> random.Random:
    return random.Random(f"{seed}:day:{day_number}")


def replay(seed: int, scale: int, days: int, deceased_still_active: float
           ) -> tuple[World, date]:
    """The true province after ``days`` days of change since seeding."""
    province = generate(scale, seed, deceased_still_active)
    world = World(province)
    start = province.world_date
    for n in range(1, days + 1):
        world.simulate_day(start + timedelta(days=n), day_rng(seed, n))
    return world, start


# -- recording the changes in the sources ------------------------------------------------------

TABLE_BY_NAME = {t.name: t for t in TABLES}


@dataclass
class AdvanceReport:
    days: int
    world_date: date
    events: dict[str, int]
    rows: dict[tuple[str, str, str], int]  # (source, table, operation) -> rows


class SourceChanger:
    """Writes one day's events into the source databases and the ground truth."""

    def __init__(self, province: Province, settings: NoiseSettings, source_urls: dict[str, str],
                 ground_truth_url: str):
        self.p = province
        self.settings = settings
        self.engines = {s: db.create_engine(source_urls[s]) for s in SOURCES}
        self.connections = {s: e.connect() for s, e in self.engines.items()}
        self.truth_url = ground_truth_url
        self.truth = psycopg.connect(db.libpq_url(ground_truth_url))
        self.truth_writer = TruthWriter(ground_truth_url)
        self.rows: dict[tuple[str, str, str], int] = {}
        self.next_id: dict[str, int] = {}
        self.new_land_users: dict[tuple[str, int], int] = {}
        self.day = province.world_date
        self.now = datetime.combine(self.day, time(8))
        self.rng = random.Random(0)

    # plumbing
    def _conn(self, table: SourceTable):
        return self.connections[table.source]

    def _log(self, table: SourceTable, key: object, operation: str, event: str) -> None:
        self.truth.execute(
            "insert into changes (day, source, table_name, record_key, operation, event) "
            "values (%s, %s, %s, %s, %s, %s)",
            (self.day, table.source, table.name, str(key), operation, event))
        counter = (table.source, table.name, operation)
        self.rows[counter] = self.rows.get(counter, 0) + 1

    def _renderer(self, table: SourceTable) -> Renderer:
        return Renderer(self.p, table, self.settings, self.rng, now=self.now)

    def _tick(self) -> None:
        """Each change is written a little later in the working day than the one before."""
        self.now += timedelta(seconds=1 + self.rng.randrange(120))

    def insert(self, table: SourceTable, record: Record, event: str) -> None:
        self._conn(table).execute(insert_statement(table),
                                  dict(zip(table.column_names, record.row, strict=True)))
        with self.truth_writer.table(table, self.day) as write_truth:
            write_truth(record)
        self._log(table, record.row[table.key_index], "insert", event)

    def update(self, table: SourceTable, key: object, values: dict, event: str) -> None:
        values = {**values, table.updated_column: self.now}
        assignments = ", ".join(f"{c} = :{c}" for c in values)
        result = self._conn(table).execute(
            sa.text(f"update {table.name} set {assignments} "
                    f"where {table.primary_key} = :_key"), {**values, "_key": key})
        if result.rowcount:
            self._log(table, key, "update", event)

    def delete(self, table: SourceTable, key: object, event: str) -> None:
        self._conn(table).execute(
            sa.text(f"delete from {table.name} where {table.primary_key} = :_key"), {"_key": key})
        for truth_table in ("source_records", "source_noise", "source_defects"):
            self.truth.execute(f"delete from {truth_table} where source = %s and "
                               "table_name = %s and record_key = %s",
                               (table.source, table.name, str(key)))
        self._log(table, key, "delete", event)

    def _new_id(self, table: SourceTable) -> int:
        if table.name not in self.next_id:
            self.next_id[table.name] = (self._conn(table).execute(
                sa.text(f"select coalesce(max({table.primary_key}), 0) from {table.name}")
            ).scalar_one()) + 1
        value = self.next_id[table.name]
        self.next_id[table.name] += 1
        return value

    def _land_user_id(self, holding: Holding) -> int | None:
        key = (holding.holder_kind, holding.holder_no)
        if key in self.new_land_users:
            return self.new_land_users[key]
        row = self.truth.execute(
            "select min(record_key::integer) from source_records where source = 'land' and "
            "table_name = 'chu_su_dung' and role = 'holder' and entity_kind = %s and "
            "entity_no = %s", (holding.holder_kind, holding.holder_no)).fetchone()
        return row[0] if row else None

    # one day
    def record_day(self, day: date, events: list[Event], day_number: int) -> None:
        self.day = day
        self.rng = random.Random(f"{self.p.seed}:sources:{day_number}")
        self.now = datetime.combine(day, time(7, 30))
        for event in events:
            self._tick()
            getattr(self, f"_{event.kind}")(event)
        self._tick()
        self._corrections()
        self._cancellations()
        new_persons = [e.entity for e in events if e.kind == "birth"]
        new_orgs = [e.entity for e in events if e.kind in ("new_enterprise",
                                                           "new_household_business")]
        write_entities(self.truth, self.p, persons=new_persons, organizations=new_orgs)
        for e in events:
            if e.kind == "death":
                self.truth.execute("update persons set death_date = %s where person_no = %s",
                                   (day, e.entity.person_no))
            elif e.kind == "status_change":
                self.truth.execute("update organizations set status = %s where org_no = %s",
                                   (e.entity.status, e.entity.org_no))

    def _birth(self, event: Event) -> None:
        table = TABLE_BY_NAME["khai_sinh"]
        for record in khai_sinh_records(self._renderer(table), event.entity, duplicate=False):
            self.insert(table, record, "birth")

    def _death(self, event: Event) -> None:
        person = event.entity
        table = TABLE_BY_NAME["khai_tu"]
        self.insert(table, khai_tu_record(self._renderer(table), person), "death")
        for e in event.detail["closed"]:
            if e.end_unrecorded:
                continue  # the cadre system is never told
            self.update(TABLE_BY_NAME["qua_trinh_cong_tac"], e.employment_no,
                        {"den_ngay": e.end}, "death")
            self.update(TABLE_BY_NAME["ho_so_can_bo"], cadre_code(person.person_no),
                        {"trang_thai": "NGHI_VIEC"}, "death")

    def _marriage(self, event: Event) -> None:
        table = TABLE_BY_NAME["ket_hon"]
        self.insert(table, ket_hon_record(self._renderer(table), event.entity), "marriage")

    def _transfer(self, event: Event) -> None:
        parcel, transfer = event.entity, event.detail["transfer"]
        users = TABLE_BY_NAME["chu_su_dung"]
        to_id = self._land_user_id(transfer.to_holder)
        if to_id is None:
            to_id = self._new_id(users)
            self.new_land_users[(transfer.to_holder.holder_kind,
                                 transfer.to_holder.holder_no)] = to_id
            for record in chu_su_dung_records(self._renderer(users), transfer.to_holder,
                                              [to_id]):
                self.insert(users, record, "transfer")
        from_id = self._land_user_id(transfer.from_holder)
        transfers = TABLE_BY_NAME["bien_dong"]
        self.insert(transfers, bien_dong_record(self._renderer(transfers), parcel, transfer,
                                                from_id, to_id), "transfer")
        rights = TABLE_BY_NAME["quyen_su_dung"]
        current = self._conn(rights).execute(sa.text(
            "select id from quyen_su_dung where thua_dat_id = :parcel and den_ngay is null "
            "order by id"), {"parcel": parcel.parcel_no}).scalars().all()
        for right_id in current:
            self.update(rights, right_id, {"den_ngay": transfer.on, "giay_chung_nhan_id": None},
                        "transfer")
        self.insert(rights, quyen_su_dung_record(
            self._renderer(rights), self._new_id(rights), parcel, transfer.to_holder, to_id,
            transfer.on, None), "transfer")
        self.update(TABLE_BY_NAME["giay_chung_nhan"], parcel.parcel_no,
                    {"so_phat_hanh": parcel.certificate_serial, "ngay_cap": transfer.on},
                    "transfer")

    def _new_enterprise(self, event: Event) -> None:
        table = TABLE_BY_NAME["enterprises"]
        self.insert(table, enterprise_record(self._renderer(table), event.entity),
                    "new_enterprise")

    def _new_household_business(self, event: Event) -> None:
        table = TABLE_BY_NAME["household_businesses"]
        self.insert(table, household_business_record(self._renderer(table), event.entity),
                    "new_household_business")

    def _status_change(self, event: Event) -> None:
        org = event.entity
        table = TABLE_BY_NAME["household_businesses" if org.kind == "household_business"
                              else "enterprises"]
        self.update(table, org.code, {"status_code": org.status.upper()}, "status_change")

    def _hire(self, event: Event) -> None:
        e = event.entity
        person = self.p.persons[e.person_no - 1]
        profiles = TABLE_BY_NAME["ho_so_can_bo"]
        unit = self.p.organizations[e.unit_no - 1]
        if event.detail["profile_exists"]:
            self.update(profiles, cadre_code(person.person_no), {
                "ma_co_quan": unit.code, "ma_ngach": e.grade, "bac_luong": e.step,
                "he_so_luong": e.coefficient, "chuc_vu": e.position,
                "trang_thai": "DANG_CONG_TAC"}, "hire")
        else:
            for record in ho_so_can_bo_records(self._renderer(profiles), person, e,
                                               event.detail["first_start"], duplicate=False):
                self.insert(profiles, record, "hire")
        history = TABLE_BY_NAME["qua_trinh_cong_tac"]
        self.insert(history, qua_trinh_record(self._renderer(history), e), "hire")

    def _corrections(self) -> None:
        """Agencies fix a share of their broken rows each day."""
        open_defects = self.truth.execute(
            "select source, table_name, record_key, column_name, clean_value "
            "from source_defects where corrected_on is null "
            "order by source, table_name, record_key").fetchall()
        count = min(len(open_defects), poisson(self.rng, len(open_defects)
                                               * CORRECTIONS_PER_OPEN_DEFECT))
        for source, table_name, key, column, clean in self.rng.sample(open_defects, count):
            self._tick()
            table = TABLE_BY_NAME[table_name]
            typed_key = int(key) if dict(table.columns)[table.primary_key] == "integer" else key
            self.update(table, typed_key, {column: clean}, "correction")
            self.truth.execute(
                "update source_defects set corrected_on = %s where source = %s and "
                "table_name = %s and record_key = %s", (self.day, source, table_name, key))

    def _cancellations(self) -> None:
        """The civil registry cancels a share of its duplicate birth registrations."""
        duplicates = [r[0] for r in self.truth.execute(
            "select record_key from source_noise where source = 'civil_registry' and "
            "table_name = 'khai_sinh' and kind = 'duplicate_person_record' "
            "order by record_key").fetchall()]
        count = min(len(duplicates), poisson(self.rng, len(duplicates)
                                             * CANCELLATIONS_PER_DUPLICATE))
        for key in self.rng.sample(duplicates, count):
            self._tick()
            self.delete(TABLE_BY_NAME["khai_sinh"], key, "cancel_duplicate")

    def commit(self) -> None:
        for conn in self.connections.values():
            conn.commit()
        self.truth_writer.commit()
        self.truth.commit()

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()
        for engine in self.engines.values():
            engine.dispose()
        self.truth_writer.close()
        self.truth.close()


def advance(days: int, source_urls: dict[str, str], ground_truth_url: str,
            progress: Callable[[str], None] = lambda _: None) -> AdvanceReport:
    """Apply ``days`` days of change to the seeded sources; one transaction per day."""
    if days < 1:
        raise ValueError("days must be at least 1")
    info = read_seed_info(ground_truth_url)
    if info is None:
        raise RuntimeError("the sources have not been seeded: run `kho sources seed` first")
    settings = NoiseSettings().with_rates(info["noise"])
    done = info["days_advanced"]
    progress(f"replaying {done} day(s) since seeding ({info['scale']:,} persons, "
             f"seed {info['seed']})")
    world, start = replay(info["seed"], info["scale"], done, settings.deceased_still_active)
    events: dict[str, int] = {}
    changer = SourceChanger(world.p, settings, source_urls, ground_truth_url)
    try:
        for n in range(done + 1, done + days + 1):
            day = start + timedelta(days=n)
            todays = world.simulate_day(day, day_rng(info["seed"], n))
            for event in todays:
                events[event.kind] = events.get(event.kind, 0) + 1
            changer.record_day(day, todays, n)
            changer.truth.execute("update seed_info set world_date = %s, days_advanced = %s",
                                  (day, n))
            changer.commit()
            progress(f"{day}: {len(todays)} event(s)")
    finally:
        changer.close()
    return AdvanceReport(days=days, world_date=start + timedelta(days=done + days),
                         events=events, rows=changer.rows)
