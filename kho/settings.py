"""Settings read from environment variables, the one place every layer asks for them.

Every ``KHO_`` variable is read and checked here, and listed in the README's table; a value
that cannot be used raises :class:`SettingsError` naming the variable and what it accepts.
An empty variable counts as unset."""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

SOURCES: tuple[str, ...] = ("land", "enterprise", "civil_registry", "cadre")

DEFAULT_WAREHOUSE_DATABASE = "kho"
REPO_ROOT = Path(__file__).resolve().parent.parent
# The dbt project: in the package when kho is installed from a wheel (setup.py puts it
# there), else in the source tree kho runs from (a checkout, an editable install).
PACKAGED_DBT_PROJECT_DIR = Path(__file__).resolve().parent / "dbt_project"
DBT_PROJECT_DIR = PACKAGED_DBT_PROJECT_DIR if PACKAGED_DBT_PROJECT_DIR.is_dir() \
    else REPO_ROOT / "dbt_project"


# Named here, where every variable is read: the mapping file's errors name it too.
DICTIONARY_MAPPING_VARIABLE = "KHO_DICTIONARY_MAPPING"


class SettingsError(ValueError):
    """An environment variable holds a value kho cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path
    # URLs may hold a password (read from a *_PASSWORD_FILE): kept out of the repr.
    warehouse_url: str | None = field(repr=False)
    source_urls: dict[str, str | None] = field(repr=False)
    api_statement_timeout_ms: int = 5_000
    # The API's own login role (KHO_API_DATABASE_URL); None: the warehouse URL's server as
    # the role kho_api.
    api_database_url: str | None = field(default=None, repr=False)
    redis_url: str | None = None
    rate_limit_anonymous: int = 300
    rate_limit_client: int = 6_000
    access_log: bool = True
    # Queries answered by one compiled SQL statement (KHO_API_COMPILER); off: the resolvers.
    api_compiler: bool = True
    audit_anchors: Path | None = None
    # The file naming kho's fields by the national data dictionary's codes
    # (KHO_DICTIONARY_MAPPING, graphql_api/dictionary/mapping.py); none by default.
    dictionary_mapping: Path | None = None
    admin_boundaries: Path | None = None
    # Extract and load: tries per source table, the first backoff (doubling), the connect
    # timeout; tables loaded side by side (None: one per core the process may run on).
    source_attempts: int = 3
    source_retry_delay_seconds: float = 2.0
    source_connect_timeout_seconds: float = 10.0
    load_concurrency: int | None = None
    # Master data: the share of master IDs one publication may retire, the largest master
    # person (source records) before a warning, the least share of linked records per source.
    max_retired_share: float = 0.2
    max_person_records: int = 200
    min_linked_share: float = 0.5
    full_refresh_cron: str = "0 2 * * *"
    incremental_cron: str = "*/15 * * * *"
    # The Chromium the UI benchmark drives.
    chromium: str = "/usr/bin/chromium"
    # Browser origins allowed to call the API (KHO_CORS_ORIGINS); none by default.
    cors_origins: tuple[str, ...] = ()
    # Peers whose X-Forwarded-For is believed (KHO_TRUSTED_PROXIES); none by default.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Webhook delivery (kho webhooks deliver): each POST's timeout, the first backoff
    # (doubling up to the longest), the failed attempts after which a subscription is
    # parked, events per message, subscriptions delivered to side by side.
    webhook_timeout_seconds: float = 10.0
    webhook_retry_delay_seconds: float = 1.0
    webhook_max_retry_delay_seconds: float = 3600.0
    webhook_max_attempts: int = 15
    webhook_batch: int = 100
    webhook_concurrency: int = 16
    # Whether the Dagster schedules start running by themselves (KHO_SCHEDULES).
    schedules: bool = False
    # Days Dagster keeps finished runs (kho pipelines prune) and schedule and sensor ticks.
    run_retention_days: int = 90
    # Monitoring (docs/operations.md#monitoring): log lines as text or JSON, who besides
    # loopback may read /metrics, where alerts go, how old the publication may grow.
    log_format: str = "text"
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    alert_webhook_url: str | None = None
    max_publication_age_hours: float = 26.0

    @property
    def uses_embedded_warehouse(self) -> bool:
        return self.warehouse_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


def source_url_variable(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return f"KHO_SOURCE_{source.upper()}_URL"


def source_password_file_variable(source: str) -> str:
    return source_url_variable(source).removesuffix("_URL") + "_PASSWORD_FILE"


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    home = Path(env.get("KHO_HOME") or Path.cwd() / ".kho").expanduser().resolve()
    anchors = env.get("KHO_AUDIT_ANCHORS")
    mapping = _value(env, DICTIONARY_MAPPING_VARIABLE)
    boundaries = env.get("KHO_ADMIN_BOUNDARIES") or None
    return Settings(
        home=home,
        warehouse_url=_url(env, "KHO_WAREHOUSE_URL", "KHO_WAREHOUSE_PASSWORD_FILE"),
        source_urls={s: _url(env, source_url_variable(s), source_password_file_variable(s))
                     for s in SOURCES},
        api_statement_timeout_ms=_positive_int(env, "KHO_API_STATEMENT_TIMEOUT_MS", 5_000),
        api_database_url=_url(env, "KHO_API_DATABASE_URL", "KHO_API_DATABASE_PASSWORD_FILE"),
        redis_url=env.get("KHO_REDIS_URL") or None,
        rate_limit_anonymous=_positive_int(env, "KHO_RATE_LIMIT_ANONYMOUS", 300),
        rate_limit_client=_positive_int(env, "KHO_RATE_LIMIT_CLIENT", 6_000),
        access_log=_switch(env, "KHO_ACCESS_LOG", True),
        api_compiler=_switch(env, "KHO_API_COMPILER", True),
        audit_anchors=Path(anchors).expanduser() if anchors else None,
        dictionary_mapping=Path(mapping).expanduser() if mapping else None,
        admin_boundaries=Path(boundaries).expanduser() if boundaries else None,
        source_attempts=_positive_int(env, "KHO_SOURCE_ATTEMPTS", 3),
        source_retry_delay_seconds=_seconds(env, "KHO_SOURCE_RETRY_DELAY", 2.0, zero=True),
        source_connect_timeout_seconds=_seconds(env, "KHO_SOURCE_CONNECT_TIMEOUT", 10.0),
        load_concurrency=_positive_int(env, "KHO_LOAD_CONCURRENCY", None),
        max_retired_share=_fraction(env, "KHO_MAX_RETIRED_SHARE", 0.2),
        max_person_records=_positive_int(env, "KHO_MAX_PERSON_RECORDS", 200),
        min_linked_share=_fraction(env, "KHO_MIN_LINKED_SHARE", 0.5),
        full_refresh_cron=_cron(env, "KHO_FULL_REFRESH_CRON", "0 2 * * *"),
        incremental_cron=_cron(env, "KHO_INCREMENTAL_CRON", "*/15 * * * *"),
        chromium=env.get("KHO_CHROMIUM") or "/usr/bin/chromium",
        cors_origins=_origins(env, "KHO_CORS_ORIGINS"),
        trusted_proxies=_networks(env, "KHO_TRUSTED_PROXIES"),
        schedules=_switch(env, "KHO_SCHEDULES", False),
        run_retention_days=_positive_int(env, "KHO_RUN_RETENTION_DAYS", 90),
        log_format=_choice(env, "KHO_LOG_FORMAT", ("text", "json")),
        metrics_allow=_networks(env, "KHO_METRICS_ALLOW"),
        alert_webhook_url=_webhook(env, "KHO_ALERT_WEBHOOK_URL"),
        max_publication_age_hours=_hours(env, "KHO_MAX_PUBLICATION_AGE_HOURS", 26.0),
        webhook_timeout_seconds=_seconds(env, "KHO_WEBHOOK_TIMEOUT", 10.0),
        webhook_retry_delay_seconds=_seconds(env, "KHO_WEBHOOK_RETRY_DELAY", 1.0),
        webhook_max_retry_delay_seconds=_seconds(env, "KHO_WEBHOOK_MAX_RETRY_DELAY", 3600.0),
        webhook_max_attempts=_positive_int(env, "KHO_WEBHOOK_MAX_ATTEMPTS", 15),
        webhook_batch=_positive_int(env, "KHO_WEBHOOK_BATCH", 100),
        webhook_concurrency=_positive_int(env, "KHO_WEBHOOK_CONCURRENCY", 16),
    )


def _value(env, name: str) -> str | None:
    return (env.get(name) or "").strip() or None


def _url(env, name: str, password_file: str) -> str | None:
    """The URL in ``name``, with the password read from the file ``password_file`` names
    (its trailing newline dropped), so that the secret need not sit in the environment."""
    url = env.get(name) or None
    path = _value(env, password_file)
    if path is None:
        return url
    if url is None:
        raise SettingsError(f"{password_file} is set but {name} is not: the password is for "
                            f"the server {name} names")
    try:
        password = Path(path).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise SettingsError(f"{password_file} names {path!r}, which cannot be read: "
                            f"{reason}") from None
    if not password:
        raise SettingsError(f"{password_file} names {path!r}, which holds no password")
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(f"{name} must be a database URL such as "
                            f"postgresql://kho@db.internal:5432/kho") from None
    if parsed.password:
        raise SettingsError(f"{name} holds a password and {password_file} names another: "
                            f"give it in one place")
    return parsed.set(password=password).render_as_string(hide_password=False)


def _switch(env, name: str, default: bool) -> bool:
    value = _value(env, name)
    if value is None:
        return default
    if value.lower() not in ("on", "off"):
        raise SettingsError(f"{name} must be on or off, got {value!r}")
    return value.lower() == "on"


def _positive_int(env, name: str, default: int | None) -> int | None:
    value = _value(env, name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _fraction(env, name: str, default: float) -> float:
    value = _value(env, name)
    if value is None:
        return default
    number = _number(value)
    if number is None or not 0 <= number <= 1:
        raise SettingsError(f"{name} must be a number between 0 and 1, got {value!r}")
    return number


def _seconds(env, name: str, default: float, zero: bool = False) -> float:
    value = _value(env, name)
    if value is None:
        return default
    number = _number(value)
    if number is None or number < 0 or (number == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise SettingsError(f"{name} must be a number of seconds, {least}, got {value!r}")
    return number


def _choice(env, name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, the first by default."""
    value = _value(env, name)
    if value is None:
        return choices[0]
    if value.lower() not in choices:
        raise SettingsError(f"{name} must be {' or '.join(choices)}, got {value!r}")
    return value.lower()


def _hours(env, name: str, default: float) -> float:
    value = _value(env, name)
    if value is None:
        return default
    number = _number(value)
    if number is None or number <= 0:
        raise SettingsError(f"{name} must be a number of hours, more than 0, got {value!r}")
    return number


def _webhook(env, name: str) -> str | None:
    value = _value(env, name)
    if value is None:
        return None
    scheme, _, rest = value.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
        raise SettingsError(f"{name} must be an http:// or https:// URL, got {value!r}")
    return value


def _cron(env, name: str, default: str) -> str:
    value = _value(env, name)
    if value is None:
        return default
    # Dagster's own check, so that what passes here is what a schedule accepts; imported
    # only when a schedule is set, as Dagster is slow to import.
    from dagster._utils.schedules import is_valid_cron_string

    if not is_valid_cron_string(value):
        raise SettingsError(f"{name} must be a cron schedule of five fields (minute hour "
                            f"day-of-month month day-of-week), e.g. {default!r}, got {value!r}")
    return value
def _listed(env, name: str) -> list[str]:
    return [item.strip() for item in (env.get(name) or "").split(",") if item.strip()]


def _origins(env, name: str) -> tuple[str, ...]:
    origins = []
    for origin in _listed(env, name):
        origin = origin.removesuffix("/")
        scheme, _, host = origin.partition("://")
        if origin != "*" and (scheme not in ("http", "https") or not host or "/" in host):
            raise ValueError(f"{name} lists origins such as https://planning.example.gov.vn "
                             f"(scheme and host, no path) or *, got {origin!r}")
        origins.append(origin)
    return tuple(origins)


def _networks(env, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in _listed(env, name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{name} lists IP addresses or networks (10.0.0.5, 10.0.0.0/24, "
                             f"fd00::/8), got {item!r}") from None
    return tuple(networks)
