"""GraphQL errors that carry a machine-readable code in ``extensions.code``.

Every error kho answers has a code: the ones raised on purpose (``CodedError``) carry their
own; parse, validation and variable errors from graphql-core get one here; anything else is
an internal fault, masked so that no SQL, path or stack reaches the caller.
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

INTERNAL_MESSAGE = "Internal server error"
_VARIABLE_ERROR = re.compile(r"^Variable '\$\w+' (got invalid value|of required type|of non-null)")


class CodedError(GraphQLError):
    def __init__(self, message: str, code: str, **extensions):
        super().__init__(message, extensions={"code": code, **extensions})


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise CodedError(f"{what} must be a UUID, got {value!r}", BAD_USER_INPUT) from None


def is_coded(error: GraphQLError) -> bool:
    """Errors kho raised on purpose, and graphql-core's own (a variable's value that does not
    coerce carries the scalar's error as its original), are the caller's to read."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


def with_code(error: GraphQLError) -> GraphQLError:
    """The error as the caller sees it: with a code, internal faults masked."""
    original = error.original_error
    if isinstance(original, CodedError):
        return error  # located by graphql-core, the code carried over from the original
    if isinstance(original, GraphQLError):  # a variable's value that does not coerce
        error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        return error
    if original is not None:
        return GraphQLError(INTERNAL_MESSAGE, error.nodes, error.source, error.positions,
                            error.path, None, {"code": INTERNAL_SERVER_ERROR})
    if error.extensions and "code" in error.extensions:
        return error
    if isinstance(error, GraphQLSyntaxError):
        code = TOKEN_LIMIT if "tokens" in error.message else GRAPHQL_PARSE_FAILED
    elif _VARIABLE_ERROR.match(error.message):
        code = BAD_USER_INPUT
    else:
        code = GRAPHQL_VALIDATION_FAILED
    error.extensions = {**(error.extensions or {}), "code": code}
    return error
