"""GraphQL errors that carry a machine-readable code in ``extensions.code``."""

from __future__ import annotations

import uuid

from graphql import GraphQLError

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class CodedError(GraphQLError):
    def __init__(self, message: str, code: str):
        super().__init__(message, extensions={"code": code})


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise CodedError(f"{what} must be a UUID, got {value!r}", BAD_USER_INPUT) from None


def is_coded(error: GraphQLError) -> bool:
    """Errors kho raised on purpose keep their message; anything else is masked."""
    original = error.original_error
    return original is None or isinstance(original, CodedError)
