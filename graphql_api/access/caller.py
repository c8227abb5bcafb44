"""Who sends a request and what they hold, and the rule that personal data also needs a
declared purpose (the ``X-Purpose`` header, or the body's ``extensions.purpose``)."""

from __future__ import annotations

import contextlib
import datetime
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql_api.access.grants import ANY, DATASETS, DataClass, Need
from graphql_api.core.errors import CodedError

if TYPE_CHECKING:
    from graphql_api.access.rate_limits import Quota

FORBIDDEN = "FORBIDDEN"
PURPOSE_HEADER = "X-Purpose"
PURPOSE_EXTENSION = "purpose"
MAX_PURPOSE_LENGTH = 500
PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class PurposeError(ValueError):
    """A purpose that was sent but cannot be used; the message says why."""


def declared_purpose(value, header: bool = False) -> str | None:
    """The purpose a request declares, as text; None when none was sent (or only blanks).

    Header values travel as bytes that Python's own clients (http.client, urllib, requests)
    refuse to send outside Latin-1, so a header may carry the purpose three ways: raw UTF-8
    bytes (which the ASGI server hands over decoded as Latin-1, undone here), percent-encoded
    UTF-8 (a value holding ``%`` and two hex digits is percent-decoded: ``ph%C3%A1t%20tri
    %E1%BB%83n``), or plain ASCII. The body's ``extensions.purpose`` is JSON text, taken as
    it is."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PurposeError(f"extensions.{PURPOSE_EXTENSION} must be a string")
    value = value.strip()
    if not value:
        return None
    if header:
        with contextlib.suppress(UnicodeError):
            value = value.encode("latin-1").decode("utf-8")
        if PERCENT_ESCAPE.search(value):
            try:
                value = urllib.parse.unquote(value, errors="strict").strip()
            except UnicodeDecodeError:
                raise PurposeError(f"{PURPOSE_HEADER} is percent-encoded, but not as UTF-8"
                                   ) from None
    if len(value) > MAX_PURPOSE_LENGTH:
        raise PurposeError(f"the purpose is longer than {MAX_PURPOSE_LENGTH} characters")
    return value or None


@dataclass
class Caller:
    """Who sends a request and what they hold."""

    client_id: str | None = None
    client_name: str | None = None
    key_id: str | None = None
    grants: dict[str, DataClass] = field(default_factory=dict)
    purpose: str | None = None
    remote_addr: str | None = None
    rate_limit_per_minute: int | None = None
    agency: str | None = None
    key_expires_at: datetime.datetime | None = None
    quota: Quota | None = None  # the caller's rate limit after this request (the gate's)

    @property
    def is_anonymous(self) -> bool:
        return self.client_id is None

    def holds(self, need: Need) -> bool:
        if need.data_class is DataClass.OPEN:
            return True
        if need.dataset == ANY:
            return any(data_class >= need.data_class for dataset, data_class
                       in self.grants.items() if dataset in DATASETS)
        return self.grants.get(need.dataset, DataClass.OPEN) >= need.data_class

    def datasets_held(self, data_class: DataClass) -> tuple[str, ...]:
        """The sectoral datasets on which the caller holds ``data_class`` (or more)."""
        return tuple(d for d in DATASETS if self.grants.get(d, DataClass.OPEN) >= data_class)

    def refusal(self, need: Need, what: str) -> CodedError | None:
        """Why the caller may not have ``what`` under ``need``; None when they may."""
        if not self.holds(need):
            holder = "anonymous callers see open data only" if self.is_anonymous else \
                f"client {self.client_name} holds no {_grant_text(need)} grant"
            return CodedError(f"{what} is {need.data_class.label} data of "
                              f"{_dataset_text(need)}: {holder}", FORBIDDEN,
                              required=str(need), missing="grant")
        if need.data_class is DataClass.PERSONAL and not self.purpose:
            return CodedError(f"{what} is personal data: declare the purpose of this request "
                              f"in the {PURPOSE_HEADER} header", FORBIDDEN, required=str(need),
                              missing="purpose")
        return None

    def refusal_through(self, need: Need, datasets: Iterable[str],
                        what: str) -> CodedError | None:
        """Why the caller may not have ``what`` under ``need`` held on one of ``datasets``
        (those its object was reached through); None when they may."""
        datasets = tuple(datasets)
        refusals = [self.refusal(Need(dataset, need.data_class), what) for dataset in datasets]
        if any(refusal is None for refusal in refusals):
            return None
        unpurposed = [r for r in refusals if r.extensions["missing"] == "purpose"]
        if unpurposed or len(refusals) == 1:
            return (unpurposed or refusals)[0]
        label = need.data_class.label
        wanted = " or ".join(f"{dataset}:{label}" for dataset in datasets) or str(need)
        holder = "anonymous callers see open data only" if self.is_anonymous else \
            f"client {self.client_name} holds no {wanted} grant"
        return CodedError(f"{what} is {label} data, released under a grant on the dataset "
                          f"it was reached through ({', '.join(datasets) or 'none'}): {holder}",
                          FORBIDDEN, required=wanted, missing="grant")

    def require(self, need: Need, what: str) -> None:
        refusal = self.refusal(need, what)
        if refusal is not None:
            raise refusal


def _dataset_text(need: Need) -> str:
    return "the person master record" if need.dataset == ANY else f"the {need.dataset} dataset"


def _grant_text(need: Need) -> str:
    if need.dataset == ANY:
        return f"{need.data_class.label} (on any dataset)"
    return f"{need.dataset}:{need.data_class.label}"
