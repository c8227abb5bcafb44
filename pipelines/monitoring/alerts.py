"""Sending an alert: one JSON object POSTed to ``KHO_ALERT_WEBHOOK_URL``.

Every alert carries ``alert`` (its kind: ``run_failed``, ``publication_stale``), ``summary``
(one line for a person) and ``at`` (UTC); the rest depends on the kind (docs/operations.md
#monitoring). A webhook that does not take it (no answer in ``TIMEOUT_SECONDS``, a status
other than 2xx) is tried ``ATTEMPTS`` times in all, then ``AlertNotDelivered`` is raised for
the sensor's tick to show. Without a webhook the alert is only logged.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.request

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
ATTEMPTS = 3
RETRY_DELAY_SECONDS = 2.0  # doubling


class AlertNotDelivered(RuntimeError):
    """The webhook did not take the alert."""


def send(webhook_url: str | None, alert: str, summary: str, **details) -> dict:
    """POST the alert to the webhook (when there is one); the alert as sent."""
    payload = {"alert": alert, "summary": summary,
               "at": datetime.datetime.now(datetime.UTC).isoformat(), **details}
    if webhook_url is None:
        log.warning("no KHO_ALERT_WEBHOOK_URL; alert not sent: %s", summary,
                    extra={"alert": payload})
        return payload
    request = urllib.request.Request(
        webhook_url, data=json.dumps(payload, ensure_ascii=False, default=str).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "kho-alerts"},
        method="POST")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
            return payload
        except (urllib.error.URLError, OSError) as err:  # HTTPError (non-2xx) included
            failure = err
            if attempt < ATTEMPTS:
                log.warning("the alert webhook did not take the %s alert (%s); retrying",
                            alert, err)
                time.sleep(RETRY_DELAY_SECONDS * 2 ** (attempt - 1))
    raise AlertNotDelivered(f"the alert webhook did not take the {alert} alert ({ATTEMPTS} "
                            f"attempts): {failure}") from failure
