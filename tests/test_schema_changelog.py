"""The schema changelog's entries: what graphql-core finds between a commit's schema and its
parent's. (The committed changelog is not compared with the history: a clone's history and
the merges it went through differ from the branch that wrote it.)"""

from graphql_api.changelog import Change, render

BEFORE = """
type Query { person(id: ID!): Person  legacy: String }
type Person { id: ID!  name: String }
enum Sex { MALE FEMALE }
"""
AFTER = """
type Query { person(id: ID!): Person  persons: [Person!]! }
type Person { id: ID!  name: String  sex: Sex }
enum Sex { MALE FEMALE UNKNOWN }
"""


def test_an_entry_names_what_breaks_what_is_dangerous_and_what_was_added():
    text = render([Change("b" * 40, "2026-12-06", "second", BEFORE, AFTER),
                   Change("a" * 40, "2026-12-01", "first", None, BEFORE)])
    second, first = text.split("## ")[1:]
    assert second.startswith("2026-12-06 `bbbbbbbb`")
    assert "- **breaking** Query.legacy was removed." in second
    assert "- **dangerous** UNKNOWN was added to enum type Sex." in second
    assert "- added field `Person.sex`" in second and "- added field `Query.persons`" in second
    assert first.startswith("2026-12-01 `aaaaaaaa`") and "the first committed schema" in first


def test_a_commit_that_changed_only_descriptions_says_so():
    described = BEFORE.replace("type Person", '"A person." type Person')
    assert "- descriptions only" in render([Change("c" * 40, "2026-12-07", "docs", BEFORE,
                                                   described)])
