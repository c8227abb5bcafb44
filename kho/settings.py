"""Settings read from environment variables, the one place every layer asks for them."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

SOURCES: tuple[str, ...] = ("land", "enterprise", "civil_registry", "cadre")

DEFAULT_WAREHOUSE_DATABASE = "kho"
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_url: str | None
    source_urls: dict[str, str | None]
    api_statement_timeout_ms: int = 5_000
    # The API's own login role (KHO_API_DATABASE_URL); None: the warehouse URL's server as
    # the role kho_api.
    api_database_url: str | None = None
    redis_url: str | None = None
    rate_limit_anonymous: int = 300
    rate_limit_client: int = 6_000
    access_log: bool = True
    # Browser origins allowed to call the API (KHO_CORS_ORIGINS); none by default.
    cors_origins: tuple[str, ...] = ()
    # Peers whose X-Forwarded-For is believed (KHO_TRUSTED_PROXIES); none by default.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

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


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    home = Path(env.get("KHO_HOME") or Path.cwd() / ".kho").expanduser().resolve()
    return Settings(
        home=home,
        warehouse_url=env.get("KHO_WAREHOUSE_URL") or None,
        source_urls={s: env.get(source_url_variable(s)) or None for s in SOURCES},
        api_statement_timeout_ms=_positive_int(env, "KHO_API_STATEMENT_TIMEOUT_MS", 5_000),
        api_database_url=env.get("KHO_API_DATABASE_URL") or None,
        redis_url=env.get("KHO_REDIS_URL") or None,
        rate_limit_anonymous=_positive_int(env, "KHO_RATE_LIMIT_ANONYMOUS", 300),
        rate_limit_client=_positive_int(env, "KHO_RATE_LIMIT_CLIENT", 6_000),
        access_log=_switch(env, "KHO_ACCESS_LOG", True),
        cors_origins=_origins(env, "KHO_CORS_ORIGINS"),
        trusted_proxies=_networks(env, "KHO_TRUSTED_PROXIES"),
    )


def _switch(env, name: str, default: bool) -> bool:
    value = (env.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in ("on", "off"):
        raise ValueError(f"{name} must be on or off, got {value!r}")
    return value == "on"


def _positive_int(env, name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


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
