import ast
import re
from pathlib import Path

import pytest

from kho import db, warehouse
from kho.settings import REPO_ROOT, SettingsError, load_settings, source_url_variable


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


# -- every KHO_ variable is read here, checked, and in the README ----------------------------

PACKAGES = ("kho", "pipelines", "graphql_api", "simulated_sources")
SETTINGS_PY = REPO_ROOT / "kho" / "settings.py"
KHO_NAME = re.compile(r"KHO_[A-Z0-9_]*")


def _python_files(*folders: str):
    for folder in folders:
        yield from sorted((REPO_ROOT / folder).rglob("*.py"))


def _kho_names(tree: ast.AST):
    """Each string in the code that is a KHO_ variable's name, or the start of one being
    put together (``f"KHO_SOURCE_{name}_URL"``, ``startswith("KHO_")``), with its line.
    Messages and docstrings that mention a variable are not names, so they pass."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) \
                    and KHO_NAME.fullmatch(first.value):
                yield first.value, node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and KHO_NAME.fullmatch(node.value):
            yield node.value, node.lineno


def _dbt_profile_variables() -> set[str]:
    """What the dbt profile reads: kho writes these for dbt (kho.warehouse.dbt_environment)."""
    profile = (REPO_ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    return set(re.findall(r"env_var\('(KHO_[A-Z0-9_]+)'", profile))


def test_no_kho_variable_is_named_outside_settings():
    """A KHO_ name in the code anywhere but kho/settings.py is a setting read (or about to
    be) without its check and its README row: name it in Settings instead. The one exception
    is kho/warehouse.py writing the dbt profile's variables."""
    written_for_dbt = _dbt_profile_variables()
    assert written_for_dbt, "the dbt profile reads no KHO_DBT_ variable any more?"
    found = []
    for path in _python_files(*PACKAGES):
        if path == SETTINGS_PY:
            continue
        relative = path.relative_to(REPO_ROOT).as_posix()
        for name, line in _kho_names(ast.parse(path.read_text(encoding="utf-8"))):
            if relative == "kho/warehouse.py" and name in written_for_dbt:
                continue
            found.append(f"{relative}:{line}: {name}")
    assert not found, "KHO_ variables named outside kho/settings.py:\n" + "\n".join(found)


def _environment_reads(tree: ast.AST):
    """Reads of a KHO_ variable by name: ``environ[...]``, ``.get(...)``, ``getenv(...)``,
    ``.pop(...)``, ``... in environ`` and click's ``envvar=``."""
    def is_name(node) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and bool(KHO_NAME.fullmatch(node.value))

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and is_name(node.slice):
            yield node.slice.value, node.lineno
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("get", "getenv", "pop", "setdefault") and node.args \
                    and is_name(node.args[0]):
                yield node.args[0].value, node.lineno
            for keyword in node.keywords:
                if keyword.arg == "envvar" and is_name(keyword.value):
                    yield keyword.value.value, node.lineno
        elif isinstance(node, ast.Compare) and is_name(node.left) \
                and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            yield node.left.value, node.lineno


def test_benchmarks_read_no_kho_variable_themselves():
    """Benchmarks set KHO_ variables for the servers they start, but read them through
    kho.settings as everything else does."""
    found = [f"{path.relative_to(REPO_ROOT).as_posix()}:{line}: {name}"
             for path in _python_files("benchmarks", *PACKAGES) if path != SETTINGS_PY
             for name, line in _environment_reads(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "KHO_ variables read outside kho/settings.py:\n" + "\n".join(found)


def test_the_read_checks_catch_the_ways_a_variable_is_read():
    source = '''
import os, click
a = os.environ.get("KHO_A") or 1
b = os.getenv("KHO_B")
c = os.environ["KHO_C"]
d = "KHO_D" in os.environ
e = click.option("--e", envvar="KHO_E")
f = _env_float("KHO_F", 2.0)
g = f"KHO_SOURCE_{name}_URL"
h = [k for k in os.environ if k.startswith("KHO_")]
os.environ["KHO_WRITTEN"] = "1"
message = f"more than KHO_MAX_RETIRED_SHARE={limit:g}"
"""Docstrings name KHO_HOME freely."""
'''
    tree = ast.parse(source)
    assert {name for name, _ in _environment_reads(tree)} == {
        "KHO_A", "KHO_B", "KHO_C", "KHO_D", "KHO_E"}
    assert {name for name, _ in _kho_names(tree)} == {
        "KHO_A", "KHO_B", "KHO_C", "KHO_D", "KHO_E", "KHO_F", "KHO_SOURCE_", "KHO_",
        "KHO_WRITTEN"}


class _RecordingEnvironment(dict):
    def __init__(self, *args):
        super().__init__(*args)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def _variables_settings_reads() -> set[str]:
    env = _RecordingEnvironment()
    load_settings(env)
    literal = {name for name, _ in _kho_names(ast.parse(SETTINGS_PY.read_text("utf-8")))
               if not name.endswith("_")}
    return env.read | literal


def _readme_settings_table() -> dict[str, str]:
    """Each variable of the README's settings table, with its default cell (a row naming
    several variables gives each its part of a comma-separated default)."""
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("| variable | meaning | default |")
    rows: dict[str, str] = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        names_cell, _, default_cell = (c.strip() for c in line.strip("|").split("|"))
        names = re.findall(r"`(KHO_[A-Z0-9_]+)`", names_cell)
        defaults = [d.strip() for d in default_cell.split(", ")]
        for i, name in enumerate(names):
            rows[name] = defaults[i] if len(defaults) == len(names) else default_cell
    return rows


def test_every_setting_is_in_the_readme_table_and_only_those():
    read = _variables_settings_reads()
    assert {"KHO_HOME", "KHO_SOURCE_LAND_URL", "KHO_MIN_LINKED_SHARE"} <= read
    documented = set(_readme_settings_table())
    assert read - documented == set(), "read by kho/settings.py, missing from README.md"
    assert documented - read == set(), "in README.md's table, read by nothing"


# variable: (Settings attribute, default, the README's default cell for it)
DEFAULTS = {
    "KHO_WAREHOUSE_URL": ("warehouse_url", None, "an embedded PostgreSQL 18 in "
                          "`$KHO_HOME/pgdata`"),
    "KHO_API_STATEMENT_TIMEOUT_MS": ("api_statement_timeout_ms", 5_000, "5000"),
    "KHO_API_DATABASE_URL": ("api_database_url", None, "the warehouse server as the role "
                             "`kho_api`"),
    "KHO_RATE_LIMIT_ANONYMOUS": ("rate_limit_anonymous", 300, "300"),
    "KHO_RATE_LIMIT_CLIENT": ("rate_limit_client", 6_000, "6000"),
    "KHO_REDIS_URL": ("redis_url", None, "none"),
    "KHO_AUDIT_ANCHORS": ("audit_anchors", None, "none"),
    "KHO_DICTIONARY_MAPPING": ("dictionary_mapping", None, "none"),
    "KHO_ACCESS_LOG": ("access_log", True, "`on`"),
    "KHO_SOURCE_ATTEMPTS": ("source_attempts", 3, "3"),
    "KHO_SOURCE_RETRY_DELAY": ("source_retry_delay_seconds", 2.0, "2"),
    "KHO_SOURCE_CONNECT_TIMEOUT": ("source_connect_timeout_seconds", 10.0, "10"),
    "KHO_LOAD_CONCURRENCY": ("load_concurrency", None, "one per core"),
    "KHO_MAX_RETIRED_SHARE": ("max_retired_share", 0.2, "0.2"),
    "KHO_MAX_PERSON_RECORDS": ("max_person_records", 200, "200"),
    "KHO_MIN_LINKED_SHARE": ("min_linked_share", 0.5, "0.5"),
    "KHO_FULL_REFRESH_CRON": ("full_refresh_cron", "0 2 * * *", "`0 2 * * *`"),
    "KHO_INCREMENTAL_CRON": ("incremental_cron", "*/15 * * * *", "`*/15 * * * *`"),
    "KHO_CHROMIUM": ("chromium", "/usr/bin/chromium", "`/usr/bin/chromium`"),
    "KHO_SCHEDULES": ("schedules", False, "`off`"),
    "KHO_RUN_RETENTION_DAYS": ("run_retention_days", 90, "90"),
    "KHO_LOG_FORMAT": ("log_format", "text", "`text`"),
    "KHO_METRICS_ALLOW": ("metrics_allow", (), "loopback only"),
    "KHO_ALERT_WEBHOOK_URL": ("alert_webhook_url", None, "none"),
    "KHO_MAX_PUBLICATION_AGE_HOURS": ("max_publication_age_hours", 26.0, "26"),
}


@pytest.mark.parametrize("variable", sorted(DEFAULTS))
def test_defaults_are_as_documented(variable):
    attribute, default, documented = DEFAULTS[variable]
    assert getattr(load_settings({}), attribute) == default
    assert _readme_settings_table()[variable].startswith(documented)


def test_ingest_defaults_agree_with_the_settings():
    from pipelines.sources.extract_load import IngestSettings

    settings, ingest = load_settings({}), IngestSettings()
    assert (ingest.attempts, ingest.retry_delay_seconds, ingest.connect_timeout_seconds) == (
        settings.source_attempts, settings.source_retry_delay_seconds,
        settings.source_connect_timeout_seconds)


@pytest.mark.parametrize(("variable", "value", "attribute", "expected"), [
    ("KHO_MAX_RETIRED_SHARE", "0.05", "max_retired_share", 0.05),
    ("KHO_MIN_LINKED_SHARE", "1", "min_linked_share", 1.0),
    ("KHO_MAX_PERSON_RECORDS", "50", "max_person_records", 50),
    ("KHO_LOAD_CONCURRENCY", "1", "load_concurrency", 1),
    ("KHO_SOURCE_RETRY_DELAY", "0", "source_retry_delay_seconds", 0.0),
    ("KHO_SOURCE_CONNECT_TIMEOUT", " 2.5 ", "source_connect_timeout_seconds", 2.5),
    ("KHO_ACCESS_LOG", "OFF", "access_log", False),
    ("KHO_INCREMENTAL_CRON", "*/5 6-22 * * 1-5", "incremental_cron", "*/5 6-22 * * 1-5"),
    ("KHO_FULL_REFRESH_CRON", "", "full_refresh_cron", "0 2 * * *"),  # empty: unset
    ("KHO_AUDIT_ANCHORS", "/srv/anchors", "audit_anchors", Path("/srv/anchors")),
    ("KHO_DICTIONARY_MAPPING", "/etc/kho/national-codes.csv", "dictionary_mapping",
     Path("/etc/kho/national-codes.csv")),
    ("KHO_LOG_FORMAT", "JSON", "log_format", "json"),
    ("KHO_RUN_RETENTION_DAYS", "30", "run_retention_days", 30),
    ("KHO_MAX_PUBLICATION_AGE_HOURS", "0.5", "max_publication_age_hours", 0.5),
    ("KHO_ALERT_WEBHOOK_URL", "https://soc.example.gov.vn/hook", "alert_webhook_url",
     "https://soc.example.gov.vn/hook"),
])
def test_values_are_read(variable, value, attribute, expected):
    assert getattr(load_settings({variable: value}), attribute) == expected


@pytest.mark.parametrize(("variable", "value", "accepted"), [
    ("KHO_MIN_LINKED_SHARE", "abc", "a number between 0 and 1"),
    ("KHO_MIN_LINKED_SHARE", "1.5", "a number between 0 and 1"),
    ("KHO_MAX_RETIRED_SHARE", "-0.1", "a number between 0 and 1"),
    ("KHO_MAX_RETIRED_SHARE", "nan", "a number between 0 and 1"),
    ("KHO_MAX_PERSON_RECORDS", "0", "a positive whole number"),
    ("KHO_LOAD_CONCURRENCY", "two", "a positive whole number"),
    ("KHO_SOURCE_ATTEMPTS", "2.5", "a positive whole number"),
    ("KHO_RATE_LIMIT_CLIENT", "-1", "a positive whole number"),
    ("KHO_RUN_RETENTION_DAYS", "0", "a positive whole number"),
    ("KHO_SOURCE_RETRY_DELAY", "-1", "a number of seconds, 0 or more"),
    ("KHO_SOURCE_CONNECT_TIMEOUT", "0", "a number of seconds, more than 0"),
    ("KHO_ACCESS_LOG", "yes", "on or off"),
    ("KHO_LOG_FORMAT", "yaml", "text or json"),
    ("KHO_MAX_PUBLICATION_AGE_HOURS", "0", "a number of hours, more than 0"),
    ("KHO_ALERT_WEBHOOK_URL", "soc.example.gov.vn/hook", "an http:// or https:// URL"),
    ("KHO_FULL_REFRESH_CRON", "0 2 * *", "a cron schedule of five fields"),
    ("KHO_INCREMENTAL_CRON", "*/15 25 * * *", "a cron schedule of five fields"),
    ("KHO_INCREMENTAL_CRON", "0 0 30 2 *", "a cron schedule of five fields"),
])
def test_a_bad_value_names_the_variable_and_what_it_accepts(variable, value, accepted):
    with pytest.raises(SettingsError) as raised:
        load_settings({variable: value})
    message = str(raised.value)
    assert message.startswith(f"{variable} must be {accepted}")
    assert message.endswith(f"got {value!r}")


def test_the_cli_says_what_is_wrong_in_one_line():
    from click.testing import CliRunner

    from kho.cli import main

    result = CliRunner().invoke(main, ["warehouse", "status"],
                                env={"KHO_MIN_LINKED_SHARE": "abc"})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("error: KHO_MIN_LINKED_SHARE must be a number between 0 and 1, "
                             "got 'abc'\n")


def test_audit_verify_takes_its_anchors_file_from_the_settings(tmp_path):
    """Both refusals come before the warehouse is reached."""
    from click.testing import CliRunner

    from kho.cli import main

    missing = tmp_path / "anchors"
    result = CliRunner().invoke(main, ["audit", "verify"],
                                env={"KHO_AUDIT_ANCHORS": str(missing)})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no anchors file at {missing};")
    result = CliRunner().invoke(main, ["audit", "verify", "--record"],
                                env={"KHO_AUDIT_ANCHORS": ""})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --record needs --anchors FILE")


def test_the_schedules_take_their_cron_from_the_settings():
    from pipelines.definitions import schedules

    crons = {s.name: s.cron_schedule
             for s in schedules(load_settings({"KHO_INCREMENTAL_CRON": "*/5 * * * *"}))}
    assert crons == {"daily_full_refresh": "0 2 * * *",
                     "frequent_incremental_ingest": "*/5 * * * *"}


def test_the_ingest_resource_falls_back_to_the_settings(monkeypatch):
    from pipelines.resources import IngestResource

    monkeypatch.setenv("KHO_SOURCE_ATTEMPTS", "5")
    monkeypatch.setenv("KHO_SOURCE_RETRY_DELAY", "0.5")
    settings = IngestResource().settings()
    assert (settings.attempts, settings.retry_delay_seconds) == (5, 0.5)
    assert IngestResource(attempts=2).settings().attempts == 2


# -- secrets from files ---------------------------------------------------------------------------

@pytest.mark.parametrize(("url_variable", "file_variable", "read"), [
    ("KHO_WAREHOUSE_URL", "KHO_WAREHOUSE_PASSWORD_FILE", lambda s: s.warehouse_url),
    ("KHO_API_DATABASE_URL", "KHO_API_DATABASE_PASSWORD_FILE", lambda s: s.api_database_url),
    ("KHO_SOURCE_CADRE_URL", "KHO_SOURCE_CADRE_PASSWORD_FILE",
     lambda s: s.source_urls["cadre"]),
    ("KHO_SOURCE_ENTERPRISE_URL", "KHO_SOURCE_ENTERPRISE_PASSWORD_FILE",
     lambda s: s.source_urls["enterprise"]),
])
def test_a_password_is_read_from_its_file_into_the_url(tmp_path, url_variable, file_variable,
                                                        read):
    secret = tmp_path / "password"
    secret.write_text("s3cr@t/:x\n", encoding="utf-8")
    settings = load_settings({url_variable: "postgresql://kho@db.internal:5432/kho",
                              file_variable: str(secret)})
    url = read(settings)
    assert db.parse(url).password == "s3cr@t/:x"  # the newline dropped, the rest kept
    assert (db.parse(url).host, db.parse(url).database) == ("db.internal", "kho")
    assert "s3cr" not in db.redact(url)
    assert "s3cr" not in repr(settings)


@pytest.mark.parametrize(("environment", "message"), [
    ({"KHO_WAREHOUSE_URL": "postgresql://kho@db/kho",
      "KHO_WAREHOUSE_PASSWORD_FILE": "{missing}"},
     "KHO_WAREHOUSE_PASSWORD_FILE names '{missing}', which cannot be read: No such file"),
    ({"KHO_API_DATABASE_URL": "postgresql://kho_api@db/kho",
      "KHO_API_DATABASE_PASSWORD_FILE": "{directory}"},
     "KHO_API_DATABASE_PASSWORD_FILE names '{directory}', which cannot be read"),
    ({"KHO_SOURCE_LAND_URL": "postgresql://land@db/land",
      "KHO_SOURCE_LAND_PASSWORD_FILE": "{empty}"},
     "KHO_SOURCE_LAND_PASSWORD_FILE names '{empty}', which holds no password"),
    ({"KHO_WAREHOUSE_PASSWORD_FILE": "{secret}"},
     "KHO_WAREHOUSE_PASSWORD_FILE is set but KHO_WAREHOUSE_URL is not"),
    ({"KHO_WAREHOUSE_URL": "postgresql://kho:other@db/kho",
      "KHO_WAREHOUSE_PASSWORD_FILE": "{secret}"},
     "KHO_WAREHOUSE_URL holds a password and KHO_WAREHOUSE_PASSWORD_FILE names another"),
])
def test_a_password_file_kho_cannot_use_names_its_variable(tmp_path, environment, message):
    paths = {"missing": tmp_path / "missing", "directory": tmp_path, "empty": tmp_path / "e",
             "secret": tmp_path / "secret"}
    paths["empty"].write_text("\n", encoding="utf-8")
    paths["secret"].write_text("s3cret", encoding="utf-8")
    environment = {k: v.format(**paths) for k, v in environment.items()}
    with pytest.raises(SettingsError) as raised:
        load_settings(environment)
    assert str(raised.value).startswith(message.format(**paths))
    assert "s3cret" not in str(raised.value)


def test_warehouse_url_and_status_mask_the_password(tmp_path):
    """The local server trusts every connection, so it takes the password and kho prints
    the URL it uses."""
    import uuid

    from click.testing import CliRunner

    from kho.cli import main
    from tests.conftest import LOCAL_SERVER, local_server_available

    if not local_server_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    secret = tmp_path / "password"
    secret.write_text("s3cret\n", encoding="utf-8")
    url = db.with_database(LOCAL_SERVER, f"kho_test_{uuid.uuid4().hex[:8]}")
    env = {"KHO_HOME": str(tmp_path), "KHO_WAREHOUSE_URL": url,
           "KHO_WAREHOUSE_PASSWORD_FILE": str(secret)}
    masked = db.redact(db.parse(url).set(password="s3cret").render_as_string(False))
    try:
        result = CliRunner().invoke(main, ["warehouse", "status"], env=env)
        assert result.stdout == f"external warehouse: {masked}\n"
        result = CliRunner().invoke(main, ["warehouse", "url"], env=env)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{masked}\n"
        assert ":***@" in masked and "s3cret" not in result.output
    finally:
        db.drop_database(url)


def test_the_schedules_and_the_source_sensor_are_stopped_unless_switched_on():
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    from pipelines.definitions import MATERIALIZE_ALL_JOB, schedules
    from pipelines.sources.sensors import build_sensor

    for environment, status in (({}, DefaultScheduleStatus.STOPPED),
                                ({"KHO_SCHEDULES": "off"}, DefaultScheduleStatus.STOPPED),
                                ({"KHO_SCHEDULES": "on"}, DefaultScheduleStatus.RUNNING)):
        settings = load_settings(environment)
        assert {s.default_status for s in schedules(settings)} == {status}
        sensor = build_sensor(MATERIALIZE_ALL_JOB, settings)
        assert sensor.default_status == DefaultSensorStatus(status.value)
    with pytest.raises(SettingsError, match="KHO_SCHEDULES must be on or off"):
        load_settings({"KHO_SCHEDULES": "true"})
