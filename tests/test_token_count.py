"""The parse cache refuses a document over the token limit before graphql-core's parser
reads it, counting tokens as that parser does (database-free)."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, Source
from graphql.language.lexer import Lexer
from graphql.language.token_kind import TokenKind

from graphql_api.core.document_cache import Documents, count_tokens
from graphql_api.core.limits import MAX_TOKENS
from graphql_api.schema import SCHEMA_FILE

ALIASED = "{ " + " ".join(f"a{i}: __schema {{ types {{ name fields {{ name }} }} }}"
                          for i in range(200)) + " }"
DOCUMENTS = [
    "{ a }",
    'query Q($x: Float = -12.5e3, $s: String = "a \\"b\\" # no comment") '
    "{ f(x: $x, s: $s) { ...F } } # a comment\nfragment F on T { g @include(if: true) }",
    '{ f(s: """a block "" \\""" with # and { braces }""") }',
    "mutation { x(list: [1, 2, 3.0, -4], obj: {a: null, b: ENUM}) }",
    '{ f(s: "unicode \\u00e9 ü") }',
    ALIASED,
    SCHEMA_FILE.read_text(encoding="utf-8"),
]


def lexed(query: str) -> int:
    lexer, tokens = Lexer(Source(query)), 0
    while lexer.advance().kind is not TokenKind.EOF:
        tokens += 1
    return tokens


@pytest.mark.parametrize("query", DOCUMENTS)
def test_tokens_are_counted_as_graphql_core_lexes_them(query):
    assert count_tokens(query) == lexed(query)


def test_a_document_over_the_limit_is_refused_before_it_is_parsed():
    assert count_tokens(ALIASED) > MAX_TOKENS
    cache = Documents()
    with pytest.raises(GraphQLSyntaxError, match=f"more than {MAX_TOKENS} tokens"):
        cache.parsed(ALIASED, {"max_tokens": MAX_TOKENS})
    assert len(cache) == 0
    # A document within the limit is parsed and kept.
    cache.parsed("{ a }", {"max_tokens": MAX_TOKENS})
    assert len(cache) == 1
