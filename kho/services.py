"""kho's long-lived processes as a service manager runs them: in the foreground, one
process each, configured from the environment (``/etc/kho/kho.env`` under systemd).

``kho pipelines daemon`` and ``kho pipelines ui`` become Dagster's own programs (exec: the
service manager's signals reach Dagster, and Dagster's exit code is the service's) after
preparing ``$DAGSTER_HOME``; ``kho deploy systemd`` writes the unit files."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from kho.dagster_instance import prepare_dagster_home
from kho.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings

CODE_LOCATION = "pipelines.definitions"
ENVIRONMENT_FILE = "/etc/kho/kho.env"


def dagster_program(name: str) -> str:
    """A Dagster program installed beside this Python (the virtualenv kho runs from), else
    on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed beside {sys.executable} nor on PATH")
    return found


def daemon_command() -> list[str]:
    return [dagster_program("dagster-daemon"), "run", "-m", CODE_LOCATION]


def webserver_command(host: str, port: int) -> list[str]:
    return [dagster_program("dagster-webserver"), "-h", host, "-p", str(port),
            "-m", CODE_LOCATION]


def exec_dagster(settings: Settings, command: list[str]) -> None:
    """Prepare the Dagster instance and the dbt manifest the code location loads, then
    replace this process with ``command``."""
    prepare_dagster_home(settings)
    from pipelines.dbt.project import ensure_dbt_on_path, prepare_manifest

    ensure_dbt_on_path()
    prepare_manifest()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


# -- systemd ------------------------------------------------------------------------------------

_SERVICES = {
    "kho-api.service": ("kho's GraphQL API, open data and web UI", "serve", False),
    "kho-pipelines-daemon.service": ("kho's Dagster daemon (schedules, sensors, run queue)",
                                     "pipelines daemon", True),
    "kho-pipelines-ui.service": ("kho's Dagster webserver", "pipelines ui", True),
    "kho-webhooks.service": ("kho's delivery of the change feed to webhook subscriptions",
                             "webhooks deliver", False),
}
# A service the timer of the same name starts, not started by itself.
_TIMED = {"kho-pipelines-prune.service": (
    "delete kho's old Dagster runs (KHO_RUN_RETENTION_DAYS)", "pipelines prune", False)}
PRUNE_TIMER = "kho-pipelines-prune.timer"


def _documentation() -> str:
    """The operator's manual, when kho runs from a tree that has it (a wheel has none)."""
    manual = REPO_ROOT / "docs" / "operations.md"
    return f"Documentation=file://{manual}\n" if manual.is_file() else ""


def _service(name: str, description: str, command: str, writable: list[str], kho: str,
             user: str, home: Path, timed: bool) -> str:
    how = "Type=oneshot" if timed else "Type=simple"
    restart = "" if timed else "Restart=on-failure\nRestartSec=5\n"
    install = "" if timed else "\n[Install]\nWantedBy=multi-user.target\n"
    return f"""\
# Written by kho deploy systemd. Settings go in {ENVIRONMENT_FILE} (KHO_* variables,
# docs/operations.md); after a change: systemctl restart {name}
[Unit]
Description={description}
{_documentation()}Wants=network-online.target
After=network-online.target postgresql.service

[Service]
{how}
User={user}
Environment=KHO_HOME={home}
EnvironmentFile={ENVIRONMENT_FILE}
WorkingDirectory={home}
ExecStart={kho} {command}
{restart}TimeoutStopSec=60
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={' '.join(writable)}
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
UMask=0027
{install}"""


def systemd_units(kho: str, user: str, home: Path) -> dict[str, str]:
    """The unit files by name: each service runs ``kho`` (the installed program) as
    ``user``, configured by the environment file, restarted on failure, with only ``home``
    (and, for the pipelines, the dbt project's build output) writable; a timer runs
    ``kho pipelines prune`` daily."""
    units = {}
    for timed, services in ((False, _SERVICES), (True, _TIMED)):
        for name, (description, command, pipelines) in services.items():
            writable = [str(home)] + ([str(DBT_PROJECT_DIR)] if pipelines else [])
            units[name] = _service(name, description, command, writable, kho, user, home,
                                   timed)
    units[PRUNE_TIMER] = """\
# Written by kho deploy systemd: kho pipelines prune every day at 03:30.
[Unit]
Description=Daily: delete kho's old Dagster runs

[Timer]
OnCalendar=*-*-* 03:30:00
Persistent=true

[Install]
WantedBy=timers.target
"""
    return units


def units_to_enable(names: list[str]) -> list[str]:
    """What ``systemctl enable --now`` takes: the services, and the timer instead of the
    service it starts."""
    return [name for name in names if name not in _TIMED]


def write_systemd_units(output: Path, kho: str, user: str, home: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in systemd_units(kho, user, home).items():
        path = output / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
