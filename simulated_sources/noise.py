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
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

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
    id_grouped_digits: float = 0.02
    """An identity number written in groups of three ("080 080 814 287", "301-234-567"),
    as printed on forms; the separator a space, dot, hyphen or no-break space."""
    id_lost_leading_zero: float = 0.01
    """An identity number that went through a spreadsheet as a number: every leading zero
    lost (11 digits for a personal ID, 10 when it began with 00, 8 for a CMND)."""
    id_document_type_mismatch: float = 0.02
    """In the land register, a 9-digit CMND filed under document type CCCD, or a 12-digit
    personal ID under CMND."""
    id_transposed_digits: float = 0.005
    """Two adjacent, different digits of a 12-digit personal ID swapped while typing, where
    the number still reads as a personal ID."""
    id_of_spouse: float = 0.01
    """A married person's land holding filed under the spouse's personal ID (the holder's
    own name, sex and birth date), as when a household's papers are mixed up."""
    name_typo: float = 0.01
    """One keystroke error in one word of a name: a letter left out, doubled, replaced by
    its keyboard neighbour, or two adjacent letters swapped."""
    name_middle_dropped: float = 0.015
    """The middle name left out ("Trần Hào" for "Trần Trọng Hào"), or now and then the
    common one added ("Nguyễn Văn Minh An")."""
    name_honorific: float = 0.05
    """In the land register, the holder's name prefixed as on the certificate: "Ông",
    "Bà", or "Hộ ông", "Hộ bà" for a married holder's household."""
    name_invisible_characters: float = 0.01
    """A character pasted from another system that one cannot see: a no-break space
    between words, a zero-width space or joiner inside, a leading BOM or a trailing tab."""
    date_off_by_one_day: float = 0.005
    """A birth date entered one day early or late."""
    id_mistyped_digit: float = 0.003
    """Held out: one digit of an identity number typed as its neighbour on the number row
    or the keypad ("080180..." for "080170...")."""
    date_year_digit_mistyped: float = 0.003
    """Held out: one of the last two digits of a birth year typed as its neighbour on the
    number row or the keypad ("1975" entered as "1976" or "1965")."""
    name_regional_variant: float = 0.02
    """Held out: a family name in its other regional form, Huỳnh for Hoàng or Võ for Vũ
    and back (the south's forms, from the Nguyễn lords' naming taboo); only names with
    such a family name can show it."""
    name_i_instead_of_y: float = 0.03
    """Held out: "i" written for a syllable-final "y" after a consonant ("Vi" for "Vy",
    "Mĩ" for "Mỹ", "Lí" for "Lý"), as the school spelling rule has it; only names with
    such a syllable can show it."""

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

    @classmethod
    def from_options(cls, items: Iterable[str], level: float = 1.0) -> NoiseSettings:
        """The settings ``--noise KIND=RATE`` (each item) and ``--noise-level`` ask for;
        ValueError names what is wrong."""
        rates: dict[str, float] = {}
        for item in items:
            kind, sep, value = item.partition("=")
            try:
                if not sep:
                    raise ValueError
                rates[kind.strip()] = float(value)
            except ValueError:
                raise ValueError(f"{item!r} is not KIND=RATE") from None
        return cls().scaled(level).with_rates(rates)

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.kinds()}


NO_NOISE = NoiseSettings().scaled(0.0)

# Kinds kho is not tuned on, so that the benchmark can score errors it has never seen.
HELD_OUT_KINDS = ("id_mistyped_digit", "date_year_digit_mistyped", "name_regional_variant",
                  "name_i_instead_of_y")

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


# The keys next to each letter on a QWERTY keyboard, and next to each digit on the number
# row or the keypad (where 0 lies below 1 and 2).
LETTER_NEIGHBOURS = {
    "q": "wa", "w": "qeas", "e": "wrsd", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj",
    "i": "uojk", "o": "ipkl", "p": "ol", "a": "qwsz", "s": "awedxz", "d": "serfcx",
    "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop",
    "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}
DIGIT_NEIGHBOURS = {
    "0": "129", "1": "024", "2": "0135", "3": "246", "4": "1357", "5": "2468", "6": "3579",
    "7": "468", "8": "579", "9": "068",
}


def typo_edits(word: str) -> list[tuple[str, int]]:
    """The keystroke errors a word can take, as (edit, position): never at its first letter
    (capitalised and checked by eye) and always leaving it two letters or more."""
    edits = []
    for at in range(1, len(word)):
        if len(word) > 2:
            edits.append(("delete", at))
        if word[at].lower() in LETTER_NEIGHBOURS:
            edits += [("double", at), ("replace", at)]
        if at + 1 < len(word) and word[at] != word[at + 1]:
            edits.append(("swap", at))
    return edits


def apply_typo(rng: random.Random, word: str, edit: str, at: int) -> str:
    if edit == "delete":
        return word[:at] + word[at + 1:]
    if edit == "double":
        return word[:at + 1] + word[at:]
    if edit == "replace":
        return word[:at] + rng.choice(LETTER_NEIGHBOURS[word[at].lower()]) + word[at + 1:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]  # swap


# Family names with a southern form: Hoàng read Huỳnh and Vũ read Võ under the Nguyễn lords'
# naming taboo; both forms live on side by side.
REGIONAL_FAMILY_NAMES = {"Hoàng": "Huỳnh", "Huỳnh": "Hoàng", "Vũ": "Võ", "Võ": "Vũ"}
# Syllables ending in y after a consonant, which the school spelling rule writes with i.
_FINAL_Y = re.compile(r"(?:[hklmnstv]|th|qu)y", re.IGNORECASE)


def i_for_y(word: str) -> str:
    """The word with a syllable-final y written i ("Mĩ" for "Mỹ"), where the rule allows."""
    decomposed = unicodedata.normalize("NFD", word)
    if not _FINAL_Y.fullmatch("".join(ch for ch in decomposed if not unicodedata.combining(ch))):
        return word
    return unicodedata.normalize("NFC", decomposed.replace("y", "i").replace("Y", "I"))


ID_SEPARATORS = (" ", ".", "-", "\u00a0")


def group_digits(number: str, separator: str) -> str:
    """Digits in threes from the right, as a number's thousands are written."""
    head = len(number) % 3 or 3
    return separator.join([number[:head], *(number[i:i + 3]
                                            for i in range(head, len(number), 3))])


def reads_as_personal_id(number: str) -> bool:
    """Whether 12 digits read as a personal ID: a province code from 001 to 096, and a sex
    and century digit for a birth in the 1900s or the 2000s."""
    return "001" <= number[:3] <= "096" and number[3] in "0123"


def reads_as_id(text: str) -> bool:
    """Whether a value reads as a person's identity number under the ID noise: 9 or 12
    digits, or 8, 10 or 11 that do not begin with 0 (leading zeros lost), grouped or not."""
    digits = re.sub(r"[ .\-\u00a0]", "", text)
    if not (digits.isascii() and digits.isdigit()):
        return False
    return len(digits) in (9, 12) or (len(digits) in (8, 10, 11) and digits[0] != "0")


# -- applying noise row by row -------------------------------------------------------------

def _with_year(value: date, year: str) -> date | None:
    """The same day in another year, or None where it does not exist (29 February)."""
    try:
        return value.replace(year=int(year))
    except ValueError:
        return None


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
    """Noise for the row being rendered; records what it did for the ground truth.

    ``today`` is the world date the row is written on: a mistyped date never lies after it.
    """

    settings: NoiseSettings
    rng: random.Random
    today: date
    notes: list[NoiseNote] = field(default_factory=list)

    def chance(self, kind: str) -> bool:
        rate = getattr(self.settings, kind)
        return rate > 0 and self.rng.random() < rate

    def name(self, column: str, family: str, middle: str, given: str, sex: str,
             honorifics: tuple[str, ...] = ()) -> str:
        """A person's name as a clerk wrote it: the words first (which ones, how spelt and
        typed), then how they were stored. ``honorifics`` are the titles the system may put
        before the name ("Ông", "Hộ ông")."""
        if family in REGIONAL_FAMILY_NAMES and self.chance("name_regional_variant"):
            family = REGIONAL_FAMILY_NAMES[family]
            self.notes.append((column, "name_regional_variant"))
        parts = [p for p in (family, middle, given) if p]
        if self.chance("name_middle_dropped"):
            common = "Văn" if sex == "M" else "Thị"
            if len(parts) == 3 and (parts[1] == common or self.rng.random() < 0.75):
                del parts[1]
            else:
                parts.insert(1, common)
            self.notes.append((column, "name_middle_dropped"))
        if self.chance("name_i_instead_of_y"):
            respelled = [i_for_y(p) for p in parts]
            if respelled != parts:
                parts = respelled
                self.notes.append((column, "name_i_instead_of_y"))
        if self.chance("name_typo"):
            edits = [(n, edit, at) for n, word in enumerate(parts)
                     for edit, at in typo_edits(word)]
            if edits:
                n, edit, at = edits[self.rng.randrange(len(edits))]
                parts[n] = apply_typo(self.rng, parts[n], edit, at)
                self.notes.append((column, "name_typo"))
        if self.chance("name_swapped_order"):
            parts = parts[1:] + parts[:1]
            self.notes.append((column, "name_swapped_order"))
        text = " ".join(parts)
        if self.chance("name_old_tone_style"):
            retoned = tone_style(text, "old")
            if retoned != text:
                text = retoned
                self.notes.append((column, "name_old_tone_style"))
        bare = self.chance("name_no_diacritics")
        if bare:
            text = strip_diacritics(text)
            self.notes.append((column, "name_no_diacritics"))
        capitals = self.chance("name_upper_case")
        if capitals:
            text = text.upper()
            self.notes.append((column, "name_upper_case"))
        if honorifics and self.chance("name_honorific"):
            title = self.rng.choice(honorifics)
            title = strip_diacritics(title) if bare else title
            text = f"{title.upper() if capitals else title} {text}"
            self.notes.append((column, "name_honorific"))
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
        if self.chance("name_invisible_characters"):
            text = self._invisible_character(text)
            self.notes.append((column, "name_invisible_characters"))
        return text

    def _invisible_character(self, text: str) -> str:
        choice = self.rng.randrange(4)
        if choice == 0:  # a no-break space between two words
            at = self.rng.choice([i for i, ch in enumerate(text) if ch == " "
                                  and text[:i].strip() and text[i + 1:].strip()])
            return text[:at] + "\u00a0" + text[at + 1:]
        if choice == 1:  # a zero-width space or joiner, never between a letter and its mark
            at = self.rng.choice([i for i in range(1, len(text))
                                  if not unicodedata.combining(text[i])])
            return text[:at] + self.rng.choice(("\u200b", "\u200d")) + text[at:]
        if choice == 2:
            return "\ufeff" + text  # a byte-order mark
        return text + "\t"

    def recorded_id(self, column: str, personal_id: str, cmnd: str | None,
                    spouse_id: str | None = None) -> str:
        """The number a system files a person under: the 12-digit personal ID, the old
        CMND, or, when a household's papers are mixed up, the spouse's personal ID."""
        if spouse_id and self.chance("id_of_spouse"):
            self.notes.append((column, "id_of_spouse"))
            return spouse_id
        if cmnd and self.chance("cmnd_instead_of_id"):
            self.notes.append((column, "cmnd_instead_of_id"))
            return cmnd
        return personal_id

    def document_type(self, column: str, number: str) -> str:
        """The land register's document type for a recorded number, now and then the
        other one."""
        kind, other = ("CMND", "CCCD") if len(number) == 9 else ("CCCD", "CMND")
        if self.chance("id_document_type_mismatch"):
            self.notes.append((column, "id_document_type_mismatch"))
            return other
        return kind

    def typed_id(self, column: str, number: str) -> str:
        """An identity number typed in by hand or imported from a spreadsheet."""
        if len(number) == 12 and self.chance("id_transposed_digits"):
            number = self._retyped(column, "id_transposed_digits", number, [
                number[:at] + number[at + 1] + number[at] + number[at + 2:]
                for at in range(11) if number[at] != number[at + 1]])
        if self.chance("id_mistyped_digit"):
            number = self._retyped(column, "id_mistyped_digit", number, [
                number[:at] + key + number[at + 1:]
                for at in range(len(number)) for key in DIGIT_NEIGHBOURS[number[at]]])
        if number.startswith("0") and self.chance("id_lost_leading_zero"):
            number = number.lstrip("0")
            self.notes.append((column, "id_lost_leading_zero"))
        return self.formatted_id(column, number)

    def _retyped(self, column: str, kind: str, number: str, typos: list[str]) -> str:
        """One of the typos of a number that still reads as one: a mistyped ID is another
        person's, or no one's, never a malformed one."""
        typos = [t for t in typos if len(t) == 9 or reads_as_personal_id(t)]
        if not typos:
            return number
        self.notes.append((column, kind))
        return self.rng.choice(typos)

    def formatted_id(self, column: str, number: str) -> str:
        """An identity number as written on a form, perhaps in groups of digits."""
        if self.chance("id_grouped_digits"):
            self.notes.append((column, "id_grouped_digits"))
            return group_digits(number, self.rng.choice(ID_SEPARATORS))
        return number

    def id_number(self, column: str, personal_id: str, cmnd: str | None) -> str:
        return self.typed_id(column, self.recorded_id(column, personal_id, cmnd))

    def birth_date(self, column: str, value: date, *, allow_year_only: bool = True) -> date:
        """A typed date column: year-only dates are stored as 1 January."""
        value, year_only = self._entered(column, value, allow_year_only, birth=True)
        return date(value.year, 1, 1) if year_only else value

    def dmy_text(self, column: str, value: date, *, allow_year_only: bool = True,
                 birth: bool = True) -> str:
        """A text date column in dd/mm/yyyy, or the year alone."""
        value, year_only = self._entered(column, value, allow_year_only, birth)
        return str(value.year) if year_only else value.strftime("%d/%m/%Y")

    def _entered(self, column: str, value: date, allow_year_only: bool,
                 birth: bool) -> tuple[date, bool]:
        """A date as entered, and whether only its year was; birth dates are the ones
        clerks copy from papers and mistype."""
        if birth and self.chance("date_year_digit_mistyped"):
            year = f"{value.year:04d}"
            typed = [d for d in (_with_year(value, year[:at] + key + year[at + 1:])
                                 for at in (2, 3) for key in DIGIT_NEIGHBOURS[year[at]])
                     if d is not None and d <= self.today]
            if typed:
                value = self.rng.choice(typed)
                self.notes.append((column, "date_year_digit_mistyped"))
        if allow_year_only and self.chance("date_year_only"):
            self.notes.append((column, "date_year_only"))
            return value, True
        if birth and self.chance("date_off_by_one_day"):
            step = timedelta(days=self.rng.choice((-1, 1)))
            value = value + step if value + step <= self.today else value - step
            self.notes.append((column, "date_off_by_one_day"))
        if value.day <= 12 and value.day != value.month and self.chance("date_day_month_swapped"):
            self.notes.append((column, "date_day_month_swapped"))
            value = date(value.year, value.day, value.month)
        return value, False

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
        broken = value[:-1]  # a digit lost
    elif choice == 1:
        broken = value + str(rng.randrange(10))  # a digit too many
    else:
        broken = None
    if broken is None or reads_as_id(broken):
        # The letter O typed for a zero; also where a digit lost or added would leave a
        # number that reads as an ID with noise (12 digits, or 11 with the zero lost).
        at = rng.randrange(len(value))
        return value[:at] + "O" + value[at + 1:]
    return broken


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
