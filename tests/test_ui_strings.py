"""The planners' pages' labels (graphql_api/static/app/i18n.js): every label in both
languages, and every value of the code lists the pages name in words (the API's enums, the
sources of a commune's outline) with a label, so that no raw code shows where a name belongs.
(Planning zones are named from the warehouse's list, planning_zones: tests/test_warehouse.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

from graphql_api.quality.types import DataQualityIssueKind, DataQualityIssueStatus
from graphql_api.schema import SCHEMA_FILE

I18N = Path(__file__).parents[1] / "graphql_api" / "static" / "app" / "i18n.js"
KEY = re.compile(r"^    '([^']+)': ", re.MULTILINE)


def labels() -> dict[str, set[str]]:
    text = I18N.read_text(encoding="utf-8")
    vi, en = text.index("\n  vi: {"), text.index("\n  en: {")
    end = text.index("\n};", en)
    return {"vi": set(KEY.findall(text[vi:en])), "en": set(KEY.findall(text[en:end]))}


def enum_values(name: str) -> list[str]:
    schema = SCHEMA_FILE.read_text(encoding="utf-8")
    body = re.search(rf"enum {name} {{(.*?)}}", schema, re.DOTALL).group(1)
    return [line.strip() for line in body.splitlines()
            if line.strip() and not line.strip().startswith('"')]


def test_every_label_is_in_both_languages():
    both = labels()
    assert both["vi"] == both["en"]


def test_every_value_of_the_code_lists_the_pages_name_has_a_label():
    both = labels()
    lists = {
        "type": enum_values("OrganizationType"),
        "issueKind": [kind.name for kind in DataQualityIssueKind],
        "issueStatus": [status.name for status in DataQualityIssueStatus],
        "map.outlineNote": ["none", "boundary", "parcels"],
    }
    for prefix, values in lists.items():
        for value in values:
            assert f"{prefix}.{value}" in both["en"], f"{prefix}.{value}"
