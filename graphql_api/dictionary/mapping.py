"""The operator's mapping of kho's fields to the national data dictionary's codes
(``KHO_DICTIONARY_MAPPING``): a UTF-8 CSV file with the header ``field,national_code`` and one
row per field (``LandParcel.areaM2,TD.DIEN_TICH``), so that the codes can follow the national
dictionary as it is published without a change to kho.

A file kho cannot use in full is refused, never read in part: a field the dictionary does
not have (a typo would otherwise leave a field unnamed without anyone noticing), a field
given twice, an empty or malformed code, another column, a missing header, a file that
cannot be read. The error is coded ``DICTIONARY_MAPPING_INVALID`` and names the line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from pathlib import Path

from kho.settings import DICTIONARY_MAPPING_VARIABLE as VARIABLE
from kho.settings import SettingsError

DICTIONARY_MAPPING_INVALID = "DICTIONARY_MAPPING_INVALID"
HEADER = ("field", "national_code")
# A code as registries write them: letters, digits and . _ - / : (no spaces), 1 to 100.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/:]{0,99}")


class DictionaryMappingError(SettingsError):
    """The mapping file cannot be used; ``code`` is ``DICTIONARY_MAPPING_INVALID``."""

    code = DICTIONARY_MAPPING_INVALID

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{DICTIONARY_MAPPING_INVALID}: {VARIABLE} names {str(path)!r}: "
                         f"{problem}")


def read_mapping(path: Path, fields: Collection[str]) -> dict[str, str]:
    """The national code of each field the file names; ``fields``: the dictionary's."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise DictionaryMappingError(path, f"cannot be read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise DictionaryMappingError(path, "is not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(rows, None)
        if header is None or tuple(cell.strip() for cell in header) != HEADER:
            raise DictionaryMappingError(
                path, f"line 1 must be the header {','.join(HEADER)}, got "
                      f"{','.join(header) if header else 'an empty file'!r}")
        codes: dict[str, str] = {}
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(HEADER):
                raise DictionaryMappingError(
                    path, f"line {line} has {len(row)} columns; each row is "
                          f"{','.join(HEADER)}")
            field, code = (cell.strip() for cell in row)
            if field not in fields:
                raise DictionaryMappingError(
                    path, f"line {line} names {field!r}, which is no field of the data "
                          f"dictionary (Type.field, as dataDictionary lists them)")
            if field in codes:
                raise DictionaryMappingError(path, f"line {line} names {field} a second time")
            if not CODE.fullmatch(code):
                raise DictionaryMappingError(
                    path, f"line {line} gives {field} the code {code!r}; a code is 1 to 100 "
                          f"letters, digits and . _ - / : without spaces")
            codes[field] = code
    except csv.Error as err:
        raise DictionaryMappingError(path, f"line {rows.line_num} is not CSV: {err}") from None
    return codes
