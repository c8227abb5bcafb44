"""How kho's processes write their log lines: to stderr, for the service manager.

``KHO_LOG_FORMAT=text`` (the default) leaves Python's and uvicorn's own formats as they are.
``json`` writes each line as one JSON object (``timestamp`` in UTC, ``level``, ``logger``,
``event``, the record's extra fields, ``exception`` with the traceback), for the
security-operations centre's collector: in the API (uvicorn's lines and kho's HTTP access
lines included, see ``graphql_api/core/metrics.py``) and the CLI every logger; in Dagster's
processes only kho's own loggers, Dagster keeping its own.
"""

from __future__ import annotations

import logging
import logging.config

import structlog

from kho.settings import Settings

KHO_LOGGERS = ("kho", "pipelines", "graphql_api", "simulated_sources")
# uvicorn's coloured copy of its message: the same text again.
_DROPPED = frozenset({"color_message"})


def _drop_copies(logger, method_name, event_dict: dict) -> dict:
    for name in _DROPPED & event_dict.keys():
        del event_dict[name]
    return event_dict


def json_formatter() -> logging.Formatter:
    """A stdlib formatter that writes the record as one JSON line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            _drop_copies,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def _handler(formatter: logging.Formatter) -> logging.Handler:
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(formatter)
    return handler


def configure(settings: Settings, *, whole_process: bool = True) -> None:
    """With ``json``: every logger of the process (``whole_process``), or kho's own only
    (in Dagster's processes, whose own loggers are Dagster's), writes JSON lines at INFO
    and above. With ``text`` nothing changes."""
    if settings.log_format != "json":
        return
    handler = _handler(json_formatter())
    if whole_process:
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        return
    for name in KHO_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def uvicorn_log_config(settings: Settings) -> dict | None:
    """The ``log_config`` of ``uvicorn.run`` (each worker applies it when it starts): None
    keeps uvicorn's own; with ``json`` every logger, uvicorn's included, writes JSON lines."""
    if settings.log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "kho.logs.json_formatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {name: {"handlers": [], "level": "INFO", "propagate": True}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
