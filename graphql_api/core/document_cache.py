"""Each document parsed and validated once per process: agencies send the same few documents
over and over.

The cache is bounded by the memory its documents take, not only by their number: an entry
weighs its text plus ``TOKEN_BYTES`` per token (comments included), about what graphql-core's
syntax tree holds per token, and the least recently used entries leave once the weights pass
``MAX_BYTES``. Many large documents therefore cannot fill the process's memory, while the
common small ones stay.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, Source, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DOCUMENTS = 1_000
MAX_BYTES = 32 * 1024 * 1024
TOKEN_BYTES = 600


class _Entry:
    __slots__ = ("document", "validated", "weight")

    def __init__(self, document: DocumentNode, weight: int):
        self.document = document
        self.weight = weight
        # Validation rules -> the errors they found; one set of rules in practice.
        self.validated: dict[tuple, list[GraphQLError]] = {}


class Documents:
    """The cache itself, shared by every request of the process."""

    def __init__(self, max_documents: int = MAX_DOCUMENTS, max_bytes: int = MAX_BYTES):
        self.max_documents, self.max_bytes = max_documents, max_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def parsed(self, query: str, parse_options: dict) -> _Entry:
        key = (query, tuple(sorted(parse_options.items())))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        max_tokens = parse_options.get("max_tokens")
        if max_tokens is not None and count_tokens(query) > max_tokens + 1:
            # graphql-core's parser spends some 13 µs a token before it gives up; a document
            # plainly over the limit is refused before it starts.
            raise GraphQLSyntaxError(Source(query), 0, f"Document contains more than "
                                                       f"{max_tokens} tokens. Parsing aborted.")
        document = parse(query, **parse_options)  # a syntax error is raised, never kept
        entry = _Entry(document, len(query.encode("utf-8", "replace"))
                       + TOKEN_BYTES * _tokens(document))
        if entry.weight > self.max_bytes:
            return entry  # used once, never kept
        with self._lock:
            if key not in self._entries:
                self._entries[key] = entry
                self._bytes += entry.weight
            while len(self._entries) > self.max_documents or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.weight
        return entry


# GraphQL's lexical tokens, strings and comments first so that nothing inside them counts;
# a comment is matched but is no token.
_TOKEN = re.compile(r'''"""(?:\\"""|[^"]|"(?!""))*"""|"(?:\\.|[^"\\\n\r])*"|(#[^\n\r]*)'''
                    r"|\.\.\.|[!$&()\[\]{}:=@|]|[_A-Za-z][_0-9A-Za-z]*"
                    r"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


# Agencies send the same few documents over and over: the counts of short ones are kept
# (at most MAX_COUNTED of at most COUNTED_MAX_CHARS characters each: 8 MiB at worst, in
# characters of four bytes).
MAX_COUNTED = 512
COUNTED_MAX_CHARS = 4096


def counted_tokens(query: str) -> int:
    """``count_tokens``, remembered for short documents."""
    if len(query) > COUNTED_MAX_CHARS:
        return count_tokens(query)
    return _counted(query)


def count_tokens(query: str) -> int:
    """How many tokens graphql-core's parser reads in ``query`` (comments are not tokens),
    counted by one regular expression in C time."""
    return sum(1 for match in _TOKEN.finditer(query) if match.group(1) is None)


_counted = functools.lru_cache(maxsize=MAX_COUNTED)(count_tokens)


def _tokens(document: DocumentNode) -> int:
    token = document.loc.start_token if document.loc else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


DOCUMENTS = Documents()


class DocumentCache(SchemaExtension):
    """Parses through the cache, and validates each cached document once per set of rules."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            # A document that does not parse is left to strawberry, which parses it again
            # and answers its error as any other (and the access log records it).
            with contextlib.suppress(GraphQLError):
                self.entry = DOCUMENTS.parsed(context.query, context.parse_options)
                context.graphql_document = self.entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = getattr(self, "entry", None)
        if entry is not None and entry.document is context.graphql_document:
            rules = tuple(context.validation_rules)
            errors = entry.validated.get(rules)
            if errors is None:
                errors = entry.validated[rules] = validate_document(
                    context.schema._schema, context.graphql_document, rules)
            context.pre_execution_errors = errors
        yield
