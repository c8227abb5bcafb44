"""JSON text as PostgreSQL writes it, made to read byte for byte as the resolvers' answers
read (Python's ``json.dumps`` with its defaults: every character outside printable ASCII
escaped as ``\\uXXXX``, surrogate pairs beyond the BMP), and the SQL expressions that write
each GraphQL scalar as Python would (floats keep their ``.0``, timestamps their six
digits of microseconds)."""

from __future__ import annotations

import re

# After ``str.encode("ascii", "backslashreplace")``: the escapes Python wrote that JSON
# does not read (``\\xe9``, ``\\U0001f600``), each after an even run of backslashes (an
# odd one would make the backslash itself an escaped character of the text).
_PYTHON_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\(x[0-9a-f]{2}|U[0-9a-f]{8})")


def _json_escape(match: re.Match) -> bytes:
    code = int(match.group(2)[1:], 16)
    if code <= 0xFFFF:
        escaped = b"\\u%04x" % code
    else:
        code -= 0x10000
        escaped = b"\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return match.group(1) + escaped


def ascii_json(text: str) -> bytes:
    """PostgreSQL's JSON text (control characters, quotes and backslashes already escaped)
    with every other character outside printable ASCII escaped as Python escapes it."""
    if text.isascii():
        encoded = text.encode()
    else:
        encoded = text.encode("ascii", "backslashreplace")
        if b"\\x" in encoded or b"\\U" in encoded:
            encoded = _PYTHON_ESCAPE.sub(_json_escape, encoded)
    if b"\x7f" in encoded:
        encoded = encoded.replace(b"\x7f", b"\\u007f")
    return encoded


# --- SQL writing a value as the resolvers' JSON holds it ----------------------------------

def text(expression: str) -> str:
    """A string (or a list of them, or a number or boolean column): JSON as PostgreSQL
    writes it; null as null."""
    return f"coalesce(to_json({expression})::text, 'null')"


def identifier(expression: str) -> str:
    return f"coalesce(to_json(({expression})::text)::text, 'null')"


def float_(expression: str) -> str:
    """As Python writes a float: whole numbers with ``.0``; below 1e16 without exponent
    (PostgreSQL switches to one from 1e15). A numeric column is taken as the float nearest
    it, as the resolvers' ``float()`` takes it."""
    expression = f"({expression})::float8"
    return (f"(case when ({expression}) is null then 'null' "
            f"when ({expression}) = trunc({expression}) and abs({expression}) < 1e16 "
            f"then trunc({expression})::numeric::text || '.0' "
            f"else ({expression})::text end)")


def timestamp(expression: str) -> str:
    """As Python's ``isoformat``: microseconds only when there are any, and then all six;
    the offset only for a ``timestamptz``."""
    return (f"coalesce('\"' || to_char({expression}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"case when mod(extract(microseconds from {expression})::bigint, 1000000) <> 0 "
            f"then to_char({expression}, '.US') else '' end || "
            f"case when pg_typeof({expression}) = 'timestamptz'::regtype "
            f"then to_char({expression}, 'TZH:TZM') else '' end || '\"', 'null')")


def constant(value: str) -> str:
    """A JSON string known when the plan is made (a type's name, an enum value)."""
    return "'" + ('"' + value + '"').replace("'", "''") + "'"
