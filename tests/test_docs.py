"""The documents stay true to the code: every model and every command is named where a reader
looks for it, and no document points at an issue tracker instead of saying what it means."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from kho.cli import main as kho_cli

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "dbt_project" / "models"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``group``: ('serve',), ('review', 'accept'), ..."""
    paths = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths.extend(_commands(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def _named_commands(text: str) -> set[tuple[str, ...]]:
    """Command paths a text names as ``kho <command>`` or ``kho <group> <sub>``, a group's
    subcommands also as alternatives (``kho review list|show``)."""
    named = set()
    for match in re.finditer(r"\bkho\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*(?:\|[a-z][\w-]*)*))?",
                             text):
        first, rest = match.groups()
        named.add((first,))
        for sub in (rest or "").split("|"):
            if sub:
                named.add((first, sub))
    return named


@pytest.mark.parametrize("layer", ["intermediate", "marts"])
def test_every_model_is_named_in_the_warehouse_document(layer):
    models = sorted(path.stem for path in (MODELS / layer).rglob("*.sql"))
    assert models, f"no models found under {MODELS / layer}"
    document = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    missing = [m for m in models if not re.search(rf"`{re.escape(m)}`", document)]
    assert not missing, f"docs/warehouse.md does not name: {', '.join(missing)}"


def test_every_command_is_named_in_the_readme_or_the_operations_document():
    commands = _commands(kho_cli)
    assert ("review", "accept") in commands and ("serve",) in commands  # the walk works
    text = "\n".join((ROOT / name).read_text(encoding="utf-8")
                     for name in ("README.md", "docs/operations.md"))
    named = _named_commands(text)
    missing = [" ".join(path) for path in commands if path not in named]
    assert not missing, (f"README.md and docs/operations.md do not name: "
                         f"{', '.join('kho ' + m for m in missing)}")


def test_named_commands_are_read_as_a_reader_would():
    named = _named_commands("run `kho review list|show` or kho serve --port 8000; "
                            "kho clients rotate-key NAME")
    assert {("review", "list"), ("review", "show"), ("serve",),
            ("clients", "rotate-key")} <= named
    assert ("review", "accept") not in named


# "issue 9", "issues #12", "#12": a document says what it means, not where it was asked for.
ISSUE_REFERENCE = re.compile(r"\bissues?\s*#?\d+|(?<![\w&/#])#\d+\b", re.IGNORECASE)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_document_refers_to_issues(document):
    found = [(n, line.strip()) for n, line in
             enumerate(document.read_text(encoding="utf-8").splitlines(), 1)
             if ISSUE_REFERENCE.search(line)]
    assert not found, f"issue references in {document.name}: {found}"


def test_issue_references_are_recognised():
    for text in ("see issue 9", "Issue #12", "fixed in #7.", "(#123)"):
        assert ISSUE_REFERENCE.search(text), text
    for text in ("[ui](docs/ui.md#tests-and-figures)", "&#123;", "a tissue 9", "step 3"):
        assert not ISSUE_REFERENCE.search(text), text
