"""GraphQL errors that carry a machine-readable code in ``extensions.code``.

Every error kho answers has a code: the ones raised on purpose (``CodedError``) carry their
own; parse, validation and variable errors from graphql-core get one here; anything else is
an internal fault, masked so that no SQL, path or stack reaches the caller. A few errors
also decide the answer's HTTP status (``http_status``): input refused as unusable (400) and
a warehouse that cannot be reached (503).
"""

from __future__ import annotations

import re
import uuid

from graphql import GraphQLError, GraphQLSyntaxError

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
COST_LIMIT = "COST_LIMIT"
DEPTH_LIMIT = "DEPTH_LIMIT"
ALIAS_LIMIT = "ALIAS_LIMIT"
TOKEN_LIMIT = "TOKEN_LIMIT"
TIMEOUT = "TIMEOUT"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
# Refused at the edge, before GraphQL reads the request: not a GraphQL request over HTTP
# (body, content type, method), or larger than the limits.
BAD_REQUEST = "BAD_REQUEST"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"

INTERNAL_MESSAGE = "Internal server error"
_VARIABLE_ERROR = re.compile(r"^Variable '\$\w+' (got invalid value|of required type|of non-null)")


class CodedError(GraphQLError):
    def __init__(self, message: str, code: str, *, http_status: int | None = None,
                 **extensions):
        super().__init__(message, extensions={"code": code, **extensions})
        self.http_status = http_status


def warehouse_unavailable() -> CodedError:
    """The warehouse cannot be reached (no connection within the pool's timeout, or the
    connection broke): HTTP 503, for the caller to retry."""
    return CodedError("the warehouse cannot be reached at the moment; retry shortly",
                      SERVICE_UNAVAILABLE, http_status=503)


def http_status_of(error: GraphQLError) -> int | None:
    """The HTTP status an error asks its answer to carry, if any."""
    original = error.original_error if error.original_error is not None else error
    return getattr(original, "http_status", None)


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise CodedError(f"{what} must be a UUID, got {value!r}", BAD_USER_INPUT) from None


def code_of(error: GraphQLError) -> str:
    """The code an error is answered with; INTERNAL_SERVER_ERROR for a server fault."""
    original = error.original_error
    if isinstance(original, CodedError):
        return original.extensions["code"]
    if isinstance(error, GraphQLSyntaxError):
        return TOKEN_LIMIT if "tokens" in error.message else GRAPHQL_PARSE_FAILED
    if _VARIABLE_ERROR.match(error.message):  # its original is the scalar's own error
        return BAD_USER_INPUT
    if original is not None or error.path is not None:
        # An exception in a resolver, or graphql-core failing on what one returned (a null
        # for a non-null field, a value its scalar cannot serialise): the server's fault.
        return INTERNAL_SERVER_ERROR
    return (error.extensions or {}).get("code", GRAPHQL_VALIDATION_FAILED)


def is_coded(error: GraphQLError) -> bool:
    """Errors that are the caller's to read; the others are logged and masked."""
    return code_of(error) != INTERNAL_SERVER_ERROR


def with_code(error: GraphQLError) -> GraphQLError:
    """The error as the caller sees it: with a code, internal faults masked."""
    code = code_of(error)
    if code == INTERNAL_SERVER_ERROR:
        return GraphQLError(INTERNAL_MESSAGE, error.nodes, error.source, error.positions,
                            error.path, None, {"code": INTERNAL_SERVER_ERROR})
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


def in_document_order(errors: list[GraphQLError], data) -> list[GraphQLError]:
    """Field errors in the order their paths come in the answer (depth first), the others
    first: the order does not depend on which of the resolvers' reads came back first, and
    is the compiled executor's."""
    if not isinstance(data, dict) or len(errors) < 2:
        return errors

    def position(error: GraphQLError) -> tuple:
        if not error.path:
            return ()
        rank, value = [], data
        for step in error.path:
            if isinstance(step, int):
                rank.append(step)
                value = value[step] if isinstance(value, list) and step < len(value) else None
            else:
                keys = list(value) if isinstance(value, dict) else []
                rank.append(keys.index(step) if step in keys else len(keys))
                value = value.get(step) if isinstance(value, dict) else None
        return (1, *rank)

    return sorted(errors, key=position)
