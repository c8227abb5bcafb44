"""GraphQL over HTTP, as the GraphQL-over-HTTP specification has it: a POST's body read within
the limits and checked before GraphQL parses anything, the media type of the answer, and its
status.

A body is read only up to ``MAX_BODY_BYTES`` (a larger ``Content-Length`` is refused before
any of it is read) and must be UTF-8 JSON: an object with a string ``query``, optional
``variables`` and ``extensions`` objects and a string ``operationName``, no number too large
for a double, nesting at most ``MAX_JSON_DEPTH`` deep and no NUL character anywhere (which
PostgreSQL text cannot hold). Anything else is refused here with a coded error and a 4xx
status (``BAD_REQUEST``, ``REQUEST_TOO_LARGE``, ``BAD_USER_INPUT``).

The answer is ``application/json`` unless the caller's ``Accept`` prefers
``application/graphql-response+json``. With that media type a request error (the document
does not parse or validate, a variable does not fit, a limit refuses it: no operation ran)
is answered 400 without a ``data`` entry; with ``application/json`` such an answer keeps
``data: null`` and status 200, as clients written before that media type expect. Either way
a warehouse that cannot be reached answers 503, and input refused as unusable 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request

from graphql_api.core.document_cache import counted_tokens
from graphql_api.core.errors import (
    ALIAS_LIMIT,
    BAD_REQUEST,
    BAD_USER_INPUT,
    COST_LIMIT,
    DEPTH_LIMIT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    REQUEST_TOO_LARGE,
    TOKEN_LIMIT,
    code_of,
    http_status_of,
)
from graphql_api.core.limits import (
    MAX_BODY_BYTES,
    MAX_DOCUMENT_BYTES,
    MAX_JSON_DEPTH,
    MAX_TOKENS,
    MAX_VARIABLES_BYTES,
)

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# The codes of a request that no operation ran for: the caller's to fix.
REQUEST_ERRORS = frozenset({GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT,
                            TOKEN_LIMIT, DEPTH_LIMIT, ALIAS_LIMIT, COST_LIMIT, BAD_REQUEST,
                            REQUEST_TOO_LARGE})


class Refused(Exception):
    """A request refused at the edge: HTTP ``status`` and a coded error."""

    def __init__(self, message: str, code: str, status: int, headers: dict | None = None,
                 extensions: dict | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.headers = message, code, status, headers
        self.extensions = extensions


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def response_media_type(accept: str | None) -> str:
    """The media type of the answer: the one of the two kho speaks that the ``Accept`` header
    ranks highest (a named type before a wildcard, then the caller's order); JSON when the
    header names neither (the specification's default while clients move over)."""
    best, rank = JSON, None
    for position, part in enumerate((accept or "").split(",")):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        media_range = media_range.lower()
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range in (GRAPHQL_RESPONSE, JSON):
            media_type, named = media_range, True
        elif media_range in ("*/*", "application/*"):
            media_type, named = JSON, False
        else:
            continue
        if quality > 0 and (rank is None or (quality, named, -position) > rank):
            best, rank = media_type, (quality, named, -position)
    return best


async def read_request(request: Request) -> GraphQLRequest:
    """The GraphQL request a POST carries, or ``Refused``."""
    media_type, _, parameters = (request.headers.get("content-type") or "").partition(";")
    charset = next((value.strip().strip('"').lower() for name, _, value
                    in (p.strip().partition("=") for p in parameters.split(";"))
                    if name.strip().lower() == "charset"), "utf-8")
    if media_type.strip().lower() != JSON or charset != "utf-8":
        raise Refused("send the request as Content-Type: application/json (UTF-8)",
                      BAD_REQUEST, 415)
    body = await _body(request)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise Refused(f"the body is not UTF-8 JSON: {err}", BAD_REQUEST, 400) from None
    if not isinstance(data, dict):
        raise Refused("the body must be a JSON object with a query", BAD_REQUEST, 400)
    _check_text(data)
    query, variables = data.get("query"), data.get("variables")
    operation_name, extensions = data.get("operationName"), data.get("extensions")
    if not isinstance(query, str) or not query.strip():
        raise Refused("the body has no query: send {\"query\": \"{ ... }\"}", BAD_REQUEST, 400)
    if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
        raise Refused("variables and extensions must be JSON objects", BAD_REQUEST, 400)
    if not isinstance(operation_name, str | None):
        raise Refused("operationName must be a string", BAD_REQUEST, 400)
    document_bytes = len(query.encode())
    if document_bytes > MAX_DOCUMENT_BYTES:
        raise Refused(f"the document is {document_bytes} bytes; at most {MAX_DOCUMENT_BYTES} "
                      f"are allowed (comments and whitespace count)", REQUEST_TOO_LARGE, 413)
    variables_bytes = len(orjson.dumps(variables)) if variables else 0
    if variables_bytes > MAX_VARIABLES_BYTES:
        raise Refused(f"the variables are {variables_bytes} bytes as JSON; at most "
                      f"{MAX_VARIABLES_BYTES} are allowed", REQUEST_TOO_LARGE, 413)
    tokens = counted_tokens(query)
    if tokens > MAX_TOKENS:
        # Counted by one regular expression: graphql-core's parser would spend some 13 µs a
        # token before giving up at the limit.
        raise Refused(f"the document has {tokens} tokens; at most {MAX_TOKENS} are allowed "
                      f"(comments are not tokens)", TOKEN_LIMIT, 400,
                      extensions={"limit": MAX_TOKENS, "tokens": tokens})
    return GraphQLRequest(query, variables, operation_name, extensions)


async def _body(request: Request) -> bytes:
    too_large = Refused(f"the body is larger than {MAX_BODY_BYTES} bytes", REQUEST_TOO_LARGE,
                        413)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise too_large  # refused before a byte of it is read
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def _check_text(data: dict) -> None:
    """No NUL character in any string or key, and no nesting deeper than allowed; walked
    without recursion, so no depth of nesting can exhaust the stack."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise Refused("text may not contain NUL characters (U+0000)", BAD_USER_INPUT,
                              400)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise Refused(f"the body nests objects and lists more than {MAX_JSON_DEPTH} "
                              f"deep", BAD_REQUEST, 400)
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None and "\x00" in key:
                    raise Refused("text may not contain NUL characters (U+0000)",
                                  BAD_USER_INPUT, 400)
                stack.append((item, depth + 1))


def is_request_error(data: Any, errors: list[GraphQLError]) -> bool:
    """No operation ran: no data, and every error is the request's, none a field's."""
    return data is None and bool(errors) and all(
        error.path is None and code_of(error) in REQUEST_ERRORS for error in errors)


def answer_status(media_type: str, data: Any, errors: list[GraphQLError]) -> int:
    """The HTTP status of a GraphQL answer (its payload shaped by ``shape``)."""
    carried = max((status for error in errors if (status := http_status_of(error))),
                  default=None)
    if media_type == GRAPHQL_RESPONSE:
        if is_request_error(data, errors):
            return carried or 400
        return carried if carried and data is None else 200
    return carried or 200


def shape(payload: dict, media_type: str, errors: list[GraphQLError]) -> dict:
    """The answer's body: without ``data`` for a request error in the GraphQL response
    media type."""
    if media_type == GRAPHQL_RESPONSE and is_request_error(payload.get("data"), errors):
        return {key: value for key, value in payload.items() if key != "data"}
    return payload
