"""What kho expects of each agency table: key, watermark column, columns with types and rules.

These are the agencies' own designs, declared once; extraction, validation, loading and the
raw layer are generic over them. A column is declared ``name:type``, with ``!`` after the
type when a value is required, ``?`` when it is expected (a name: the row still describes
its entity by its key without it, so a missing one is reported, not held). Types name
what a value must be, not how the agency stores it (the civil registry keeps dates as
``dd/mm/yyyy`` text): each type carries the rules a value breaks when it is not
(``malformed_id``, ``impossible_date``, ``unknown_code``, ...), checked in the warehouse in
one pass over each batch. Empty values pass unless required.
A broken key or required value holds the row in quarantine; any other broken value is set
aside (named in the raw row's ``_value_problems``), and the row lands.

A table may add columns of kho's own to each row as it streams in (a ``Derivation``: the
land register's boundaries transformed from VN-2000 to WGS 84, see geometry.py); they land
after the source's columns and their checks read them like any other column.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from psycopg import sql

from pipelines.reference import codes
from pipelines.sources import geometry

# SQL predicates over ``{v}``, a column's trimmed, non-empty text value. Each check of a
# type is (rule broken when the predicate is not true, predicate); checks run in order and
# the first one broken names the row's rule. The ingest.* functions are created with the
# ingest schema (see bookkeeping.INGEST_DDL).
_EVENT_RANGE = "between date '1900-01-01' and current_date"
TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "text": (),
    "integer": (("not_an_integer", r"{v} ~ '^[+-]?\d{{1,18}}$'"),),
    "numeric": (("not_a_number", r"{v} ~ '^[+-]?(\d+(\.\d*)?|\.\d+)$'"),),
    "amount": (("not_a_number", r"{v} ~ '^[+-]?(\d+(\.\d*)?|\.\d+)$'"),
               ("negative_value", "{v}::numeric >= 0")),
    "date": (("bad_date_format", r"{v} ~ '^\d{{4}}-\d{{2}}-\d{{2}}$'"),
             ("impossible_date", "ingest.iso_date({v}) is not null")),
    # Dates of things that happened: a real calendar date, not in the future, not before 1900.
    "event_date": (("bad_date_format", r"{v} ~ '^\d{{4}}-\d{{2}}-\d{{2}}$'"),
                   ("impossible_date", f"ingest.iso_date({{v}}) {_EVENT_RANGE}")),
    # The civil registry's text dates: dd/mm/yyyy, or the year alone where the day is unknown.
    "dmy_event_date": (("bad_date_format", r"{v} ~ '^(\d{{1,2}}/\d{{1,2}}/)?\d{{4}}$'"),
                       ("impossible_date", f"ingest.dmy_date({{v}}) {_EVENT_RANGE}")),
    "timestamp": (("bad_timestamp", "ingest.is_timestamp({v})"),),
    # 12-digit personal identification number, or the 9-digit identity card (CMND) it replaced,
    # as ``ingest.identity_number`` reads it: written in groups ("080 123 456 789"), or
    # with the leading zeros a spreadsheet dropped, it is still that number.
    "personal_id": (("malformed_id", "ingest.identity_number({v}) is not null"),),
    # 10-digit enterprise code; branches and units add -NNN.
    "enterprise_code": (("malformed_code", r"{v} ~ '^\d{{10}}(-\d{{3}})?$'"),),
    # A land user's document number, as the document kind in ``loai_giay_to`` says: CCCD or
    # CMND (an identity number as for ``personal_id``: the number's length tells which, as
    # clerks file one under the other), MST (tax code); other kinds (household business
    # licence numbers) are free-form.
    "document_no": (("malformed_id", r"case upper(btrim(loai_giay_to)) "
                     r"when 'CCCD' then ingest.identity_number({v}) is not null "
                     r"when 'CMND' then ingest.identity_number({v}) is not null "
                     r"when 'MST' then {v} ~ '^\d{{10}}(-\d{{3}})?$' else true end"),),
    "vsic": (("unknown_code", r"{v} ~ '^\d{{4,5}}$' and left({v}, 2) = any({divisions})"),),
    # A parcel boundary and the coordinate system it is in: the derivation (geometry.py)
    # transformed it to WGS 84 or named its problem in ``_geometry_problem``.
    "geometry": tuple((problem, f"{geometry.PROBLEM_COLUMN} is distinct from '{problem}'")
                      for problem in (geometry.UNPARSEABLE, geometry.OUT_OF_ZONE)),
    "coordinate_system": ((geometry.UNKNOWN_CRS, f"{geometry.PROBLEM_COLUMN} is distinct "
                                                 f"from '{geometry.UNKNOWN_CRS}'"),),
}
CODE_TYPE_PREFIX = "code="
# What is left to check when the source's own column type already guarantees the value
# parses (an integer column holds integers, a date column real dates): only the domain.
TYPED_CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    "integer": (), "numeric": (), "date": (), "timestamp": (),
    "amount": (("negative_value", "{v}::numeric >= 0"),),
    "event_date": (("impossible_date", f"{{v}}::date {_EVENT_RANGE}"),),
}
# Source column families (see readers.column_families) that guarantee each contract type.
GUARANTEED_BY = {"integer": {"integer"}, "numeric": {"integer", "numeric"},
                 "amount": {"integer", "numeric"}, "date": {"date"}, "event_date": {"date"},
                 "timestamp": {"timestamp"}}

# Shortcuts: cheap SQL over ``{c}``, a column's value as it arrived (not trimmed), true only
# for values that pass every check of the type (the checks above, or TYPED_CHECKS where the
# source's type guarantees the parse). Validation tries a column's shortcut first and runs
# its exact checks only when the shortcut is not true, so the shortcuts make validation
# cheap without changing what it accepts: each accepts a subset of what the checks accept
# (plain ASCII digits, no surrounding spaces, dates before this year and not 29 February,
# from lists of valid day-month and month-day strings). Regular expressions are the costly
# part of a check; the shortcuts use at most one, a simple one, and the digit types share
# theirs: a shape (lengths, the document kind, the division) and plain ASCII digits, which
# validation tests for all of a row's digit columns at once (see problem_expression).
# A plain identity number: 9 digits, or 12 beginning with a province code (001 to 096).
_IDENTITY_SHAPE = ("(octet_length({c}) = 9 or (octet_length({c}) = 12 "
                   "and left({c}, 3) collate \"C\" between '001' and '096'))")
DIGIT_SHAPES: dict[str, str] = {
    "integer": "octet_length({c}) between 1 and 18",
    "personal_id": _IDENTITY_SHAPE,
    "enterprise_code": "octet_length({c}) = 10",
    "document_no": f"case loai_giay_to when 'CCCD' then {_IDENTITY_SHAPE} "
                   f"when 'CMND' then {_IDENTITY_SHAPE} "
                   "when 'MST' then octet_length({c}) = 10 end",
    "vsic": "octet_length({c}) in (4, 5) and left({c}, 2) = any({divisions})",
}
SHORTCUTS: dict[str, str] = {
    **{kind: f"{shape} and {{c}} ~ '^[0-9]+$'" for kind, shape in DIGIT_SHAPES.items()},
    "numeric": r"{c} ~ '^[0-9]+(\.[0-9]+)?$'",
    "amount": r"{c} ~ '^[0-9]+(\.[0-9]+)?$'",
    "date": "left({c}, 4) = any({date_years}) and substr({c}, 5) = any({month_days})",
    "event_date": "left({c}, 4) = any({past_years}) and substr({c}, 5) = any({month_days})",
    "dmy_event_date": "(right({c}, 4) = any({past_years}) and left({c}, -4) = any({day_months}))"
                      " or {c} = any({years_to_date})",
    # Present (a first byte above the space) and transformed without a problem.
    **{kind: f"{{c}} >= '!' collate \"C\" and {geometry.PROBLEM_COLUMN} is null"
       for kind in ("geometry", "coordinate_system")},
}
# Day-month prefixes of dd/mm/yyyy dates (with and without leading zeros) and the -mm-dd
# tails of ISO dates that are valid in every year: 29 February is left to the exact checks.
_DAYS = [(m, d) for m in range(1, 13) for d in range(1, calendar.monthrange(2001, m)[1] + 1)]
DAY_MONTHS = sorted({f"{dd}/{mm}/" for m, d in _DAYS
                     for dd in {str(d), f"{d:02d}"} for mm in {str(m), f"{m:02d}"}})
MONTH_DAYS = [f"-{m:02d}-{d:02d}" for m, d in _DAYS]
FIRST_YEAR = 1900  # the earliest event date, as in _EVENT_RANGE


@functools.cache
def _array(values: tuple[str, ...]) -> sql.Composable:
    """A text[] constant, quoted once per process: a code list (10,000 communes) is long and
    goes into every validation query of its tables, up to three times."""
    return sql.SQL(sql.Literal(list(values)).as_string(None))


@functools.cache
def _codes(name: str, as_listed: bool = False) -> sql.Composable:
    """A code list upper-cased (as the check compares), with ``as_listed`` also as listed:
    both pass ``upper(btrim(v)) = any(...)``."""
    code_set = codes.code_set(name)
    values = {code.upper() for code in code_set} | (set(code_set) if as_listed else set())
    return _array(tuple(sorted(values)))


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    # Expected (``?``): a missing value is a problem to report, not a reason to hold the row.
    expected: bool = False

    def checks(self, source_family: str | None = None) -> list[tuple[str, sql.Composable]]:
        """(rule, predicate) pairs for a present value of this column; ``source_family`` is
        the kind of column the source keeps it in, which may make parsing checks moot."""
        v = sql.SQL("btrim({})").format(sql.Identifier(self.name))
        if self.type.startswith(CODE_TYPE_PREFIX):
            return [("unknown_code", sql.SQL("upper({v}) = any({values})").format(
                v=v, values=_codes(self.type[len(CODE_TYPE_PREFIX):])))]
        divisions = _array(tuple(sorted(codes.VSIC_DIVISIONS)))
        checks = TYPES[self.type]
        if source_family in GUARANTEED_BY.get(self.type, ()):
            checks = TYPED_CHECKS[self.type]
        return [(rule, sql.SQL(template).format(v=v, divisions=divisions))
                for rule, template in checks]

    def shortcut(self, source_family: str | None, today: date) -> sql.Composable | None:
        """SQL true only for values of this column that break none of its rules (see
        SHORTCUTS), or None when there is none for its type."""
        c = sql.Identifier(self.name)
        if self.type.startswith(CODE_TYPE_PREFIX):
            return sql.SQL("{} = any({})").format(
                c, _codes(self.type[len(CODE_TYPE_PREFIX):], as_listed=True))
        template = SHORTCUTS.get(self.type)
        if template is None:
            return None
        years = tuple(str(y) for y in range(FIRST_YEAR, today.year))
        return sql.SQL(template).format(
            c=c, divisions=_array(tuple(sorted(codes.VSIC_DIVISIONS))),
            past_years=_array(years), years_to_date=_array((*years, str(today.year))),
            date_years=_array(tuple(str(y) for y in range(FIRST_YEAR, 2200))),
            month_days=_array(tuple(MONTH_DAYS)), day_months=_array(tuple(DAY_MONTHS)))

    def digit_shape(self, source_family: str | None, required: bool
                    ) -> sql.Composable | None:
        """For a digit type with checks to pass: SQL true only for a value of this column
        that breaks none of its rules if it is plain ASCII digits (null when not required)."""
        if self.type not in DIGIT_SHAPES or not self.checks(source_family):
            return None
        c = sql.Identifier(self.name)
        shape = sql.SQL(DIGIT_SHAPES[self.type]).format(
            c=c, divisions=_array(tuple(sorted(codes.VSIC_DIVISIONS))))
        return shape if required else sql.SQL("({} is null or {})").format(c, shape)

    def valid(self, source_family: str | None, today: date, required: bool
              ) -> sql.Composable | None:
        """SQL true when this column's value breaks none of its rules (never null), or None
        when every value does: the shortcut, else the presence rule and the exact checks."""
        checks = self.checks(source_family)
        if not checks and not required:
            return None
        c = sql.Identifier(self.name)
        present = sql.SQL("nullif(btrim({}), '') is not null").format(c)
        passes = sql.SQL("({})").format(sql.SQL(" and ").join(
            [sql.SQL("coalesce({}, false)").format(p) for _, p in checks] or [sql.SQL("true")]))
        shortcut = self.shortcut(source_family, today) if checks else None
        if required:
            exact = sql.SQL("({} and {})").format(present, passes)
            if shortcut is None:  # a first byte above the space: present
                shortcut = sql.SQL("{} >= '!' collate \"C\"").format(c)
        else:
            exact = sql.SQL("(not {} or {})").format(present, passes)
            shortcut = sql.SQL("{} is null{}").format(
                c, sql.SQL("") if shortcut is None else sql.SQL(" or ({})").format(shortcut))
        return sql.SQL("(coalesce({}, false) or {})").format(shortcut, exact)


@dataclass(frozen=True)
class Derivation:
    """Columns kho adds to each row of a table as it streams in, computed in Python from
    some of the source's columns, a batch of rows at a time."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    # A batch of the inputs' values, row by row -> the outputs' values, row by row.
    derive: Callable[[Sequence[tuple]], list[tuple]]


@dataclass(frozen=True)
class TableContract:
    source: str
    table: str
    key: str
    watermark: str
    columns: tuple[Column, ...]
    derivation: Derivation | None = None

    @property
    def column_names(self) -> list[str]:
        """Every column a landed row has: the source's, then any kho derives."""
        return [c.name for c in self.columns]

    @property
    def source_column_names(self) -> list[str]:
        """The columns read from the source."""
        derived = self.derivation.outputs if self.derivation else ()
        return [c.name for c in self.columns if c.name not in derived]

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def raw_table(self) -> str:
        return f"{self.raw_schema}.{self.table}"

    def essential(self, column: Column) -> bool:
        """Whether a broken value of ``column`` holds its whole row in quarantine: the key,
        and the values a row cannot describe its entity without (``!``: a name, a parcel's
        commune, a right's parcel and holder). Any other broken value is set aside: the row
        lands, and staging reads that value as null and reports it."""
        return column.name == self.key or column.required

    def problem_expression(self, source_families: dict[str, str] | None = None,
                           today: date | None = None, shortcuts: bool = True
                           ) -> sql.Composable:
        """SQL naming the first rule a row breaks that holds the row in quarantine, as
        ``rule|column``, or null if none.

        The key must be present; then, column by column, a required value must be present
        and a present value of an essential column (see ``essential``) must pass its type's
        checks (those the source's column types, ``source_families``, do not already
        guarantee). ``today`` must be the warehouse's ``current_date`` in the transaction
        that evaluates the expression (the shortcuts list the years before it). With
        ``shortcuts`` a row is first tested column by column through each column's cheap
        shortcut (``valid_expression``), and only a row that fails is run through the rules
        in order; ``shortcuts=False`` gives the rules alone (the same answers, slower:
        tests compare the two).
        """
        families = source_families or {}

        def present(name: str) -> sql.Composable:
            return sql.SQL("nullif(btrim({}), '') is not null").format(sql.Identifier(name))

        whens = [sql.SQL("when not {} then {}").format(
            present(self.key), sql.Literal(f"missing_key|{self.key}"))]
        for column in self.columns:
            if column.required and column.name != self.key:
                whens.append(sql.SQL("when not {} then {}").format(
                    present(column.name), sql.Literal(f"missing_required|{column.name}")))
            if not self.essential(column):
                continue
            for rule, predicate in column.checks(families.get(column.name)):
                whens.append(sql.SQL("when {} and not coalesce({}, false) then {}").format(
                    present(column.name), predicate, sql.Literal(f"{rule}|{column.name}")))
        return self._after_shortcut(
            sql.SQL("case {} end").format(sql.SQL(" ").join(whens)), families, today,
            shortcuts)

    def value_problems_expression(self, source_families: dict[str, str] | None = None,
                                  today: date | None = None, shortcuts: bool = True
                                  ) -> sql.Composable:
        """SQL for the values a row keeps but must not use: a JSON object naming, per
        column that is not essential, the first rule its present value breaks, or
        ``missing_value`` when an expected value (``?``) is missing; null when there is
        none. The row lands; staging reads those values as null and reports them."""
        families = source_families or {}
        pairs = []
        for column in self.columns:
            checks = column.checks(families.get(column.name))
            if self.essential(column) or not (checks or column.expected):
                continue
            present = sql.SQL("nullif(btrim({}), '') is not null").format(
                sql.Identifier(column.name))
            whens = [sql.SQL("when not {} then {}").format(
                present, sql.Literal("missing_value" if column.expected else None))]
            whens += [sql.SQL("when not coalesce({}, false) then {}").format(
                predicate, sql.Literal(rule)) for rule, predicate in checks]
            pairs.append(sql.SQL("{}, case {} end").format(
                sql.Literal(column.name), sql.SQL(" ").join(whens)))
        if not pairs:
            return sql.SQL("null::jsonb")
        problems = sql.SQL("nullif(jsonb_strip_nulls(jsonb_build_object({})), '{{}}')").format(
            sql.SQL(", ").join(pairs))
        return self._after_shortcut(problems, families, today, shortcuts)

    def _after_shortcut(self, rules: sql.Composable, families: dict[str, str],
                        today: date | None, shortcuts: bool) -> sql.Composable:
        valid = self.valid_expression(families, today) if shortcuts else None
        if valid is None:
            return rules
        return sql.SQL("case when {} then null else {} end").format(valid, rules)

    def valid_expression(self, source_families: dict[str, str] | None = None,
                         today: date | None = None) -> sql.Composable | None:
        """SQL true only for a row that breaks no rule at all, from each column's cheap
        shortcut (the exact checks only where a shortcut fails); None when no column has a
        rule. Validation runs the rules themselves only on rows where this is not true."""
        families = source_families or {}
        today = today or date.today()
        valid, digit_valid, digit_shapes = [], [], []
        for column in self.columns:
            family = families.get(column.name)
            required = column.required or column.expected or column.name == self.key
            if (column_valid := column.valid(family, today, required)) is None:
                continue
            if (shape := column.digit_shape(family, required)) is None:
                valid.append(column_valid)
            else:
                digit_valid.append(column_valid)
                digit_shapes.append(shape)
        if len(digit_shapes) > 1:
            # One regular expression for all digit columns: if each has its shape and all
            # are digits, all are valid; otherwise each is tested on its own.
            digits = sql.SQL("concat({}) ~ '^[0-9]*$'").format(sql.SQL(", ").join(
                sql.Identifier(c.name) for c in self.columns
                if c.digit_shape(families.get(c.name), True) is not None))
            valid.insert(0, sql.SQL("(coalesce({} and {}, false) or ({}))").format(
                sql.SQL(" and ").join(digit_shapes), digits,
                sql.SQL(" and ").join(digit_valid)))
        else:
            valid += digit_valid
        return sql.SQL(" and ").join(valid) if valid else None


def _table(source: str, table: str, key: str, watermark: str, columns: str,
           derivation: Derivation | None = None) -> TableContract:
    if derivation is not None:
        columns += "".join(f" {name}:text" for name in derivation.outputs)
    parsed = []
    for spec in columns.split():
        name, type_ = spec.split(":", 1)
        required, expected = type_.endswith("!"), type_.endswith("?")
        type_ = type_.rstrip("!?")
        if type_ not in TYPES and not (type_.startswith(CODE_TYPE_PREFIX)
                                       and type_[len(CODE_TYPE_PREFIX):] in
                                       (*codes.CODE_SETS, "commune")):
            raise ValueError(f"{source}.{table}.{name}: unknown type {type_!r}")
        parsed.append(Column(name, type_, required or name == key, expected))
    return TableContract(source, table, key, watermark, tuple(parsed), derivation)


CONTRACTS: tuple[TableContract, ...] = (
    _table("land", "thua_dat", "id", "ngay_cap_nhat",
           "id:integer ma_xa:code=commune! so_to_ban_do:integer so_thua:integer "
           "dien_tich:amount ma_loai_dat:code=land_use khu_quy_hoach:text "
           "ranh_gioi:geometry! he_toa_do:coordinate_system! ngay_cap_nhat:timestamp",
           Derivation(("ranh_gioi", "he_toa_do"),
                      (geometry.WGS84_COLUMN, geometry.PROBLEM_COLUMN),
                      geometry.boundaries_to_wgs84)),
    _table("land", "chu_su_dung", "id", "ngay_cap_nhat",
           "id:integer loai_chu:text! ho_ten:text? loai_giay_to:text so_giay_to:document_no "
           "ngay_sinh:dmy_event_date gioi_tinh:text dia_chi:text ngay_cap_nhat:timestamp"),
    _table("land", "giay_chung_nhan", "id", "ngay_cap_nhat",
           "id:integer so_phat_hanh:text! so_vao_so:text ngay_cap:event_date co_quan_cap:text "
           "thua_dat_id:integer! ngay_cap_nhat:timestamp"),
    _table("land", "quyen_su_dung", "id", "ngay_cap_nhat",
           "id:integer thua_dat_id:integer! chu_su_dung_id:integer! giay_chung_nhan_id:integer "
           "ty_le:amount tu_ngay:event_date den_ngay:date ngay_cap_nhat:timestamp"),
    _table("land", "bien_dong", "id", "ngay_cap_nhat",
           "id:integer thua_dat_id:integer! loai_bien_dong:code=transfer_kind "
           "ben_chuyen_id:integer ben_nhan_id:integer ngay_bien_dong:event_date "
           "ngay_cap_nhat:timestamp"),
    _table("enterprise", "enterprises", "enterprise_code", "updated_at",
           "enterprise_code:enterprise_code parent_enterprise_code:enterprise_code "
           "unit_type:text! name:text? legal_form_code:code=legal_form main_vsic_code:vsic "
           "status_code:code=enterprise_status charter_capital_vnd:amount address_line:text "
           "ward_code:code=commune registration_date:event_date legal_rep_name:text "
           "legal_rep_id_no:personal_id legal_rep_dob:event_date updated_at:timestamp"),
    _table("enterprise", "household_businesses", "registration_no", "updated_at",
           "registration_no:text business_name:text? owner_name:text owner_id_no:personal_id "
           "owner_dob:event_date vsic_code:vsic address_line:text ward_code:code=commune "
           "registration_date:event_date status_code:code=enterprise_status "
           "updated_at:timestamp"),
    _table("civil_registry", "khai_sinh", "so_dang_ky", "thoi_diem_cap_nhat",
           "so_dang_ky:text so_dinh_danh:personal_id ho_ten:text? gioi_tinh:text "
           "ngay_sinh:dmy_event_date noi_sinh_ma_xa:code=commune "
           "cha_so_dinh_danh:personal_id me_so_dinh_danh:personal_id "
           "ngay_dang_ky:dmy_event_date thoi_diem_cap_nhat:timestamp"),
    _table("civil_registry", "khai_tu", "so_dang_ky", "thoi_diem_cap_nhat",
           "so_dang_ky:text so_dinh_danh:personal_id ho_ten:text? ngay_mat:dmy_event_date "
           "noi_mat_ma_xa:code=commune ngay_dang_ky:dmy_event_date "
           "thoi_diem_cap_nhat:timestamp"),
    _table("civil_registry", "ket_hon", "so_dang_ky", "thoi_diem_cap_nhat",
           "so_dang_ky:text chong_so_dinh_danh:personal_id chong_ho_ten:text? "
           "vo_so_dinh_danh:personal_id vo_ho_ten:text? ngay_dang_ky:dmy_event_date "
           "noi_dang_ky_ma_xa:code=commune thoi_diem_cap_nhat:timestamp"),
    _table("cadre", "dm_co_quan", "ma_co_quan", "ngay_sua",
           "ma_co_quan:text ten_co_quan:text? ma_co_quan_cha:text cap_hanh_chinh:text "
           "ma_dvhc:code=commune ngay_sua:timestamp"),
    _table("cadre", "ho_so_can_bo", "ma_can_bo", "ngay_sua",
           "ma_can_bo:text ho_ten:text? ngay_sinh:event_date gioi_tinh:integer "
           "so_cccd:personal_id ma_co_quan:text ma_ngach:code=grade bac_luong:integer "
           "he_so_luong:amount chuc_vu:text ngay_tuyen_dung:event_date trang_thai:text "
           "ngay_sua:timestamp"),
    _table("cadre", "qua_trinh_cong_tac", "id", "ngay_sua",
           "id:integer ma_can_bo:text! ma_co_quan:text chuc_vu:text ma_ngach:code=grade "
           "he_so_luong:amount tu_ngay:event_date den_ngay:date ngay_sua:timestamp"),
)
