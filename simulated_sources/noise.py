"""How agency systems get people, dates and addresses wrong, at rates you can set.

Two kinds of imperfection are simulated, and the ground truth records both:

* **noise**: values that are valid but messy (a name without diacritics, a 9-digit CMND
  instead of the 12-digit personal ID, a year-only birth date, a free-text address, a second
  record of the same person). The pipelines must accept and resolve these.
* **defects**: rows that break their table's contract (a malformed ID, an impossible date, a
  negative area, an unknown code, a missing required field). The pipelines must quarantine
  these with their reason. Each row has at most one defect, and its clean value is kept in
  the ground truth so that `kho sources advance` can correct it later.

The defaults below are documented in docs/simulated_sources.md; change any rate with
``kho sources seed --noise KIND=RATE``.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field, fields, replace
from datetime import date

# -- rates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoiseSettings:
    """Probability of each imperfection, per value (names, IDs, dates, addresses) or row."""

    name_no_diacritics: float = 0.08
    """A person's name typed without Vietnamese diacritics ("Nguyen Van An")."""
    name_nfd: float = 0.05
    """A name stored in decomposed Unicode (NFD) instead of composed (NFC)."""
    name_old_tone_style: float = 0.15
    """Tone marks in the old placement ("Hòa", "Thủy") where the truth uses the new
    ("Hoà", "Thuỷ"); only names with such syllables can show it."""
    name_upper_case: float = 0.05
    """A name in capitals ("NGUYỄN VĂN AN")."""
    name_extra_spaces: float = 0.04
    """Doubled, leading or trailing spaces in a name."""
    name_swapped_order: float = 0.02
    """Family name written last ("Văn An Nguyễn")."""
    cmnd_instead_of_id: float = 0.35
    """A person who has an old 9-digit CMND is recorded by it instead of the 12-digit ID
    (in the land, enterprise and cadre systems; the civil registry issues the 12-digit ID)."""
    date_year_only: float = 0.08
    """A birth date known only by its year ("1965" in text columns, 1 January in date
    columns); not in the civil registry, which records full dates."""
    date_day_month_swapped: float = 0.02
    """Day and month entered the wrong way round; only where that still gives a real date
    (day at most 12), so the error is silent."""
    address_free_text: float = 0.10
    """An address kept only as free text with abbreviations ("P.1, TP. Tân An, Long An"),
    its commune code column left empty."""
    duplicate_person_record: float = 0.02
    """A second record of the same person in the same source (land users, civil servants,
    re-registered births), with its own key and its own noise."""
    broken_row: float = 0.005
    """A row that breaks its table's contract: malformed ID, impossible date, negative area,
    unknown code or missing required field."""
    deceased_still_active: float = 0.30
    """A person who died while a civil servant or a legal representative and whose record
    in that system was never updated."""

    @classmethod
    def kinds(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def scaled(self, factor: float) -> NoiseSettings:
        return replace(self, **{k: min(1.0, getattr(self, k) * factor) for k in self.kinds()})

    def with_rates(self, rates: dict[str, float]) -> NoiseSettings:
        unknown = set(rates) - set(self.kinds())
        if unknown:
            raise ValueError(f"unknown noise kind(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(self.kinds())}")
        for kind, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"noise rate {kind}={rate} is not between 0 and 1")
        return replace(self, **rates)

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.kinds()}


NO_NOISE = NoiseSettings().scaled(0.0)

# -- text transformations ------------------------------------------------------------------

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aeiouyăâêôơư")


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


def _retone_word(word: str, style: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if len(tones) != 1:
        return word
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS))
    lower = base.lower()
    if not lower.endswith(("oa", "oe", "uy")) or lower.endswith(("qua", "que", "quy")):
        return word
    if len(lower) > 2 and lower[-3] in _VOWELS:
        return word
    position = len(base) - (1 if style == "new" else 2)
    retoned = base[:position + 1] + tones[0] + base[position + 1:]
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", retoned))


def tone_style(text: str, style: str) -> str:
    """Place tone marks of open ``oa``/``oe``/``uy`` syllables in the ``new`` style
    ("hoà", "thuỷ": on the last vowel) or the ``old`` one ("hòa", "thủy")."""
    if style not in ("new", "old"):
        raise ValueError(style)
    return " ".join(_retone_word(w, style) for w in text.split(" "))


_ABBREVIATIONS = (
    ("Thành phố ", "TP. "), ("Thị xã ", "TX. "), ("Thị trấn ", "TT. "), ("Huyện ", "H. "),
    ("Phường ", "P. "), ("Xã ", "X. "), ("Tỉnh Long An", "Long An"),
)


def abbreviate_address(text: str) -> str:
    for long, short in _ABBREVIATIONS:
        text = text.replace(long, short)
    return text


# -- applying noise row by row -------------------------------------------------------------

NoiseNote = tuple[str, str]  # (column, kind)
Defect = tuple[str, str, str | None]  # (column, defect, clean value as text)


def as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class RowNoise:
    """Noise for the row being rendered; records what it did for the ground truth."""

    settings: NoiseSettings
    rng: random.Random
    notes: list[NoiseNote] = field(default_factory=list)

    def chance(self, kind: str) -> bool:
        rate = getattr(self.settings, kind)
        return rate > 0 and self.rng.random() < rate

    def name(self, column: str, family: str, middle: str, given: str) -> str:
        parts = [family, middle, given]
        if self.chance("name_swapped_order"):
            parts = [middle, given, family]
            self.notes.append((column, "name_swapped_order"))
        text = " ".join(p for p in parts if p)
        if self.chance("name_old_tone_style"):
            retoned = tone_style(text, "old")
            if retoned != text:
                text = retoned
                self.notes.append((column, "name_old_tone_style"))
        if self.chance("name_no_diacritics"):
            text = strip_diacritics(text)
            self.notes.append((column, "name_no_diacritics"))
        if self.chance("name_upper_case"):
            text = text.upper()
            self.notes.append((column, "name_upper_case"))
        if self.chance("name_extra_spaces"):
            words = text.split(" ")
            at = self.rng.randrange(len(words) + 1)
            if at == len(words):
                text = f" {text}  "
            else:
                words[at] = words[at] + " "
                text = " ".join(words)
            self.notes.append((column, "name_extra_spaces"))
        if self.chance("name_nfd"):
            decomposed = unicodedata.normalize("NFD", text)
            if decomposed != text:
                text = decomposed
                self.notes.append((column, "name_nfd"))
        return text

    def id_number(self, column: str, personal_id: str, cmnd: str | None) -> str:
        if cmnd and self.chance("cmnd_instead_of_id"):
            self.notes.append((column, "cmnd_instead_of_id"))
            return cmnd
        return personal_id

    def birth_date(self, column: str, value: date, *, allow_year_only: bool = True) -> date:
        """A typed date column: year-only dates are stored as 1 January."""
        if allow_year_only and self.chance("date_year_only"):
            self.notes.append((column, "date_year_only"))
            return date(value.year, 1, 1)
        return self.maybe_swapped(column, value)

    def maybe_swapped(self, column: str, value: date) -> date:
        if value.day <= 12 and value.day != value.month and self.chance("date_day_month_swapped"):
            self.notes.append((column, "date_day_month_swapped"))
            return date(value.year, value.day, value.month)
        return value

    def dmy_text(self, column: str, value: date, *, allow_year_only: bool = True) -> str:
        """A text date column in dd/mm/yyyy, or the year alone."""
        if allow_year_only and self.chance("date_year_only"):
            self.notes.append((column, "date_year_only"))
            return str(value.year)
        return self.maybe_swapped(column, value).strftime("%d/%m/%Y")

    def free_text_address(self, column: str, full_address: str) -> str | None:
        """The address as free text when noise strikes (then the code column stays empty)."""
        if self.chance("address_free_text"):
            self.notes.append((column, "address_free_text"))
            return abbreviate_address(full_address)
        return None


# -- defects -------------------------------------------------------------------------------

UNKNOWN_CODES = {
    "land_use": ("XYZ", "LUX", "ODX"),
    "commune": ("99999", "80000", "27999"),
    "legal_form": ("TNHH3", "CTY", "XX"),
    "vsic": ("0400", "0000", "A123"),
    "grade": ("99.999", "01.099", "1.003"),
    "transfer_kind": ("khac_xyz", "chuyen_doi_x"),
}


def _malformed_id(rng: random.Random, value: str) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return value[:-1]  # a digit lost
    if choice == 1:
        at = rng.randrange(len(value))
        return value[:at] + "O" + value[at + 1:]  # letter O typed for zero
    return value + str(rng.randrange(10))  # a digit too many


def _impossible_date(rng: random.Random, value: object) -> object:
    if isinstance(value, str):
        year = value[-4:]
        return rng.choice((f"31/02/{year}", f"00/13/{year}", f"30/02/{year}", f"32/01/{year}"))
    assert isinstance(value, date)
    return date(2099, value.month, min(value.day, 28))  # decades in the future


def break_value(rng: random.Random, defect: str, value: object, code_set: str | None) -> object:
    if defect == "malformed_id":
        return _malformed_id(rng, str(value))
    if defect == "impossible_date":
        return _impossible_date(rng, value)
    if defect == "negative_area":
        return -abs(value)  # type: ignore[operator]
    if defect == "unknown_code":
        assert code_set is not None
        return rng.choice(UNKNOWN_CODES[code_set])
    if defect == "missing_required":
        return None
    raise ValueError(f"unknown defect {defect}")
