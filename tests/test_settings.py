from pathlib import Path

import pytest

from kho import db, warehouse
from kho.settings import load_settings, source_url_variable


def test_defaults_use_the_embedded_warehouse_under_dot_kho(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.home == tmp_path / ".kho"
    assert settings.uses_embedded_warehouse
    assert settings.pgdata == tmp_path / ".kho" / "pgdata"
    assert all(url is None for url in settings.source_urls.values())


def test_environment_overrides(tmp_path):
    settings = load_settings({
        "KHO_HOME": str(tmp_path / "h"),
        "KHO_WAREHOUSE_URL": "postgresql://u:p@db.example:5433/wh",
        "KHO_SOURCE_ENTERPRISE_URL": "mysql://root@127.0.0.1:3306/dkkd",
    })
    assert settings.home == Path(tmp_path / "h")
    assert not settings.uses_embedded_warehouse
    assert settings.source_urls["enterprise"] == "mysql://root@127.0.0.1:3306/dkkd"
    assert settings.source_urls["land"] is None


def test_sources_default_to_databases_beside_the_warehouse():
    settings = load_settings({"KHO_WAREHOUSE_URL": "postgresql://u@h:5432/wh"})
    url = warehouse.source_url("civil_registry", settings)
    assert db.database_name(url) == "wh_src_civil_registry"
    assert db.parse(url).host == "h"


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="unknown source"):
        source_url_variable("tax")


def test_dbt_environment_from_a_socket_url():
    env = warehouse.dbt_environment("postgresql://postgres:@/kho?host=/tmp/x/pgdata")
    assert env["KHO_DBT_HOST"] == "/tmp/x/pgdata"
    assert env["KHO_DBT_DBNAME"] == "kho"
    assert env["KHO_DBT_PORT"] == "5432"


def test_driver_selection():
    assert db.sqlalchemy_url("postgresql://h/db").drivername == "postgresql+psycopg"
    assert db.sqlalchemy_url("mysql://h/db").drivername == "mysql+pymysql"
    assert db.libpq_url("postgresql+psycopg://u:p@h/db") == "postgresql://u:p@h/db"
    with pytest.raises(ValueError):
        db.sqlalchemy_url("oracle://h/db")


def test_the_api_statement_timeout_is_read_and_checked():
    assert load_settings({}).api_statement_timeout_ms == 5_000
    assert load_settings({"KHO_API_STATEMENT_TIMEOUT_MS": "250"}).api_statement_timeout_ms == 250
    for wrong in ("0", "-5", "2s"):
        with pytest.raises(ValueError, match="KHO_API_STATEMENT_TIMEOUT_MS"):
            load_settings({"KHO_API_STATEMENT_TIMEOUT_MS": wrong})
