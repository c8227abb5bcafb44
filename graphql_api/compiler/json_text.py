"""JSON text as the API writes its answers, and the SQL that makes PostgreSQL write each
GraphQL scalar byte for byte the same (floats keep their ``.0``, timestamps their six digits
of microseconds).

Answers are UTF-8: ``json.dumps`` with ``ensure_ascii=False`` escapes quotes, backslashes
and control characters exactly as PostgreSQL's JSON does (``\\n``, ``\\u001f``, lowercase
hexadecimal) and leaves every other character as it is, so the compiled executor passes
the statement's text through untouched. A lone surrogate (which only a caller's own input
can hold, echoed in an error) is written as its ``\\udXXX`` escape.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "backslashreplace")


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
