"""The API's code stays where docs/api.md says it is: every file in its map, the shared
packages (core, access) importing no domain, and no import inside a function to dodge a
cycle."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "graphql_api"
DOMAINS = ("persons", "organizations", "land", "admin_units", "cadre", "civil_registry",
           "stewardship")


def api_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in API.rglob("*") if p.suffix in suffixes
                  and "static" not in p.relative_to(API).parts and p.name != "__init__.py")


def runtime_imports(tree: ast.Module) -> list[str]:
    """The modules a file imports when it is loaded (not those named for the type checker)."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_docs_map_every_file_of_the_api():
    section = (ROOT / "docs" / "api.md").read_text(encoding="utf-8") \
        .split("## Where the code is", 1)[1]
    named = {path for cell in re.findall(r"^\| ([^|]+) \|", section, re.MULTILINE)
             for path in re.findall(r"`([^`]+)`", cell)}
    for path in api_files(".py", ".sql", ".graphql"):
        relative = path.relative_to(API)
        if relative.parts[0] in DOMAINS:
            relative = Path("<domain>", *relative.parts[1:])
        assert relative.as_posix() in named, f"docs/api.md does not say what {relative} holds"
    for name in named - {"path"}:
        if not name.startswith("<domain>/"):
            assert (API / name).exists(), f"docs/api.md names {name}, which is not there"


def test_core_and_access_import_no_domain():
    for path in api_files(".py"):
        package = path.relative_to(API).parts[0]
        if package not in ("core", "access"):
            continue
        for module in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.startswith("graphql_api."):
                assert module.split(".")[1] in ("core", "access"), f"{path.name}: {module}"


def test_no_import_inside_a_function_but_a_late_optional_one_that_says_why():
    for path in api_files(".py"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for function in ast.walk(ast.parse(text)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    line = lines[node.lineno - 1]
                    assert "graphql_api" not in line and "#" in line, \
                        f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}"
