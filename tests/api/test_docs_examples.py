"""docs/api.md as a developer reads it: every ```graphql example answers without errors and
with data (a root field null or an empty list fails), and every quickstart snippet (a fenced
block after a ``<!-- snippet -->`` line: curl in ``sh``, ``python``, ``javascript``,
``java``) runs against the test deployment with ``API_URL`` and ``API_KEY`` set, where its
runtime is installed. GraphiQL's example tabs are examples of the page.

The test deployment has another seed and scale than ``kho demo``: the examples use the real
admin-unit codes (the same in both) and filters that any seeded province matches, and a
variable takes a value found by the query ``FINDERS`` holds under its name (the page names
the query that finds it), so no ID of one seed is written into the page."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import parse

from graphql_api.graphiql import EXAMPLES
from tests.api.conftest import FULL_ACCESS
from tests.api.helpers import ok

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FENCE = re.compile(r"^(<!-- snippet -->\n)?```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# What each variable name of the examples holds, and the query that finds one.
FINDERS = {
    "personId": "{ persons(first: 1, filter: {name: \"nguyen\"}) { nodes { id } } }",
    "personalIdNumber": "{ persons(first: 50) { nodes { personalIdNumber } } }",
    "landParcelId": "{ landParcels(first: 1) { nodes { id } } }",
    "enterpriseCode": "{ organizations(first: 1, filter: {organizationType: [ENTERPRISE]}) "
                      "{ nodes { enterpriseCode } } }",
    # An open issue of any agency (the example acknowledges it).
    "issueId": "{ " + " ".join(
        f"{agency.lower()}: dataQualityIssues(agency: {agency}, status: OPEN, first: 1) "
        "{ issues { issueId } }" for agency in ("LAND", "ENTERPRISE", "CIVIL_REGISTRY", "CADRE"))
    + " }",
}
RUNTIMES = {"sh": ("bash", "curl"), "python": (sys.executable,), "javascript": ("node",),
            "java": ("java",)}


def blocks(language: str, snippets: bool = False) -> list[str]:
    return [code for marker, lang, code in FENCE.findall(API_DOC.read_text(encoding="utf-8"))
            if lang == language and (bool(marker) or not snippets)]


def first_value(data):
    """The first value that is not null, depth first."""
    stack = [data]
    while stack:
        value = stack.pop(0)
        if isinstance(value, dict):
            stack[:0] = list(value.values())
        elif isinstance(value, list):
            stack[:0] = value
        elif value is not None:
            return value
    return None


def test_the_page_has_examples_and_snippets_of_every_language():
    assert len(blocks("graphql")) >= 10
    assert {lang for lang in RUNTIMES if blocks(lang, snippets=True)} == set(RUNTIMES)


@pytest.mark.parametrize("example", blocks("graphql"),
                         ids=lambda q: re.sub(r"\W+", " ", q)[:40].strip())
def test_every_graphql_example_runs(api, example):
    operation = parse(example).definitions[0]
    variables = {}
    for definition in operation.variable_definitions:
        name = definition.variable.name.value
        assert name in FINDERS, f"${name}: docs/api.md names no query that finds one"
        variables[name] = first_value(ok(api, FINDERS[name]))
        assert variables[name] is not None, FINDERS[name]
    data = ok(api, example, variables)
    for field, value in data.items():
        assert value not in (None, [], {}), f"{field} answered {value!r}"
        if isinstance(value, dict) and "nodes" in value:
            assert value["nodes"], f"{field} answered no nodes"


def test_graphiql_opens_on_examples_of_the_page():
    assert EXAMPLES and all(example + "\n" in blocks("graphql") for example in EXAMPLES)


@pytest.fixture(scope="module")
def snippet_env(api) -> dict[str, str]:
    key = FULL_ACCESS["Authorization"].removeprefix("Bearer ")
    return {**os.environ, "API_URL": api, "API_KEY": key}


def run(language: str, code: str, env: dict[str, str], tmp_path: Path) -> str:
    runtime = RUNTIMES[language]
    if not all(shutil.which(program) for program in runtime):
        pytest.skip(f"no {' and '.join(runtime)} here")
    source = tmp_path / {"sh": "snippet.sh", "python": "snippet.py",
                         "javascript": "snippet.mjs", "java": "Quickstart.java"}[language]
    source.write_text(code, encoding="utf-8")
    result = subprocess.run([runtime[0], source.name], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def enterprise_total(api: str) -> int:
    return ok(api, "{ organizations(filter: {organizationType: [ENTERPRISE]}) "
                   "{ totalCount } }")["organizations"]["totalCount"]


@pytest.mark.parametrize("language", ["python", "javascript", "java"])
def test_the_quickstart_program_walks_every_page(api, snippet_env, tmp_path, language):
    [code] = blocks(language, snippets=True)
    output = run(language, code, snippet_env, tmp_path)
    count, left = re.search(r"^(\d+) enterprises; (\d+) requests left$", output,
                            re.MULTILINE).groups()
    assert int(count) == enterprise_total(api) > 20  # more than one page
    assert len(output.splitlines()) == int(count) + 1
    assert int(left) > 0


def test_the_quickstart_curl_commands_answer(snippet_env, tmp_path):
    check_key, first_page = blocks("sh", snippets=True)
    viewer = json.loads(run("sh", check_key, snippet_env, tmp_path))["data"]["viewer"]
    assert viewer["client"] == "full-access" and "land:personal" in viewer["grants"]
    assert viewer["rateLimit"]["limit"] == 1_000_000
    page = json.loads(run("sh", first_page, snippet_env, tmp_path))["data"]["organizations"]
    assert len(page["nodes"]) == 20 and page["pageInfo"]["hasNextPage"]
