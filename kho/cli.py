"""The ``kho`` command line. Heavy imports (Dagster, dbt, the API) happen inside commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import psycopg
import sqlalchemy

from kho import db, logs, warehouse
from kho.settings import SettingsError, load_settings


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _stdout_echo():
    """Echo to the terminal even while a run redirects ``sys.stdout`` to its log file."""
    stream = click.get_text_stream("stdout")
    return lambda line: click.echo(line, file=stream)


class _Main(click.Group):
    """Says what is wrong with a setting in one line, not a traceback, whichever command
    reads it."""

    def invoke(self, ctx: click.Context):
        try:
            logs.configure(load_settings())
            return super().invoke(ctx)
        except SettingsError as err:
            _fail(str(err))


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kho")
def main() -> None:
    """kho: the provincial shared master-data warehouse."""


# -- warehouse -----------------------------------------------------------------------------------

@main.group("warehouse")
def warehouse_group() -> None:
    """The warehouse server (embedded unless KHO_WAREHOUSE_URL is set)."""


@warehouse_group.command("url")
def warehouse_url() -> None:
    """Print the warehouse URL in use (password masked), starting the embedded server if
    needed."""
    try:
        click.echo(db.redact(warehouse.ensure_warehouse()))
    except warehouse.WarehouseError as err:
        _fail(str(err))


@warehouse_group.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded server (data stays under $KHO_HOME/pgdata)."""
    settings = load_settings()
    if not settings.uses_embedded_warehouse:
        _fail("KHO_WAREHOUSE_URL is set: kho does not run that server, so it will not stop it")
    stopped = warehouse.stop_embedded(settings)
    click.echo(f"stopped the embedded warehouse in {settings.pgdata}" if stopped
               else "the embedded warehouse was not running")


@warehouse_group.command("status")
def warehouse_status() -> None:
    """Say which warehouse is configured and whether the embedded one runs."""
    settings = load_settings()
    if not settings.uses_embedded_warehouse:
        click.echo(f"external warehouse: {db.redact(settings.warehouse_url)}")
        return
    status = warehouse.embedded_status(settings)
    state = f"running (pid {status.pid}, socket in {status.socket_dir})" if status.running \
        else "stopped"
    click.echo(f"embedded warehouse in {settings.pgdata}: {state}")


# -- sources -------------------------------------------------------------------------------------

@main.group("sources")
def sources_group() -> None:
    """The simulated agency systems."""


def _print_counts(counts: dict[tuple[str, str], int | None]) -> None:
    for (source, table), n in counts.items():
        shown = "missing" if n is None else f"{n:>10,}"
        click.echo(f"  {source:<15} {table:<22} {shown}")


# What an unreachable or refusing database raises, through either driver layer.
_DATABASE_ERRORS = (psycopg.OperationalError, sqlalchemy.exc.OperationalError)


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _noise_settings(noise: tuple[str, ...], level: float):
    from simulated_sources.noise import NoiseSettings

    try:
        return NoiseSettings.from_options(noise, level)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--noise") from None


@sources_group.command("seed")
@click.option("--scale", type=click.IntRange(min=10), default=10_000, show_default=True,
              help="Number of persons in the simulated province.")
@click.option("--seed", "seed_value", type=int, default=42, show_default=True,
              help="Random seed; the same seed and scale give the same sources.")
@click.option("--noise", multiple=True, metavar="KIND=RATE",
              help="Set one noise rate (repeatable), e.g. --noise name_no_diacritics=0.2. "
                   "Kinds and defaults: docs/simulated_sources.md.")
@click.option("--noise-level", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Multiply every default noise rate (0 gives clean sources).")
def sources_seed(scale: int, seed_value: int, noise: tuple[str, ...], noise_level: float) -> None:
    """(Re)create the four source systems with a simulated province."""
    from simulated_sources.seed import seed

    settings = _noise_settings(noise, noise_level)
    url = warehouse.ensure_warehouse()
    try:
        report = seed(scale, seed_value, warehouse.source_urls(url),
                      warehouse.ground_truth_url(url), progress=lambda m: click.echo(f"- {m}"),
                      settings=settings)
    except _DATABASE_ERRORS as err:
        _fail(f"seeding failed: {_first_line(err)}")
    _print_counts(report.rows)
    click.echo(f"seeded {report.total_rows:,} source rows in {report.seconds:.1f} s "
               f"({report.total_rows / report.seconds:,.0f} rows/s)")


@sources_group.command("advance")
@click.option("--days", type=click.IntRange(min=1), default=1, show_default=True,
              help="Days of change to apply.")
def sources_advance(days: int) -> None:
    """Apply days of realistic change to the sources (births, deaths, transfers, new
    enterprises, status changes, corrections, new broken rows), moving their update times."""
    from simulated_sources.changes import advance

    url = warehouse.ensure_warehouse()
    try:
        report = advance(days, warehouse.source_urls(url), warehouse.ground_truth_url(url),
                         progress=lambda m: click.echo(f"- {m}"))
    except RuntimeError as err:
        _fail(str(err))
    except _DATABASE_ERRORS as err:
        _fail(f"advancing failed: {_first_line(err)}")
    click.echo(f"advanced {report.days} day(s) to {report.world_date}")
    click.echo("events: " + (", ".join(f"{k} {v}" for k, v in sorted(report.events.items()))
                             or "none"))
    for (source, table, operation), n in sorted(report.rows.items()):
        click.echo(f"  {source:<15} {table:<22} {operation:<7} {n:>7,}")


@sources_group.command("describe")
def sources_describe() -> None:
    """Print row counts and observed noise and defect rates per source."""
    from simulated_sources.seed import describe

    url = warehouse.ensure_warehouse()
    urls = warehouse.source_urls(url)
    description = describe(urls, warehouse.ground_truth_url(url))
    info = description.seed_info
    if info is None:
        click.echo("the sources have not been seeded (kho sources seed)")
    else:
        click.echo(f"seed {info['seed']}, {info['scale']:,} persons, world date "
                   f"{info['world_date']} ({info['days_advanced']} day(s) advanced)")
    for source, source_url in urls.items():
        click.echo(f"{source}: {db.redact(source_url)}")
        _print_counts({k: v for k, v in description.counts.items() if k[0] == source})
        rates = description.rates.get(source, {})
        if rates:
            click.echo("    noise and open defects (share of rows of the tables that show it):")
            for kind, rate in rates.items():
                click.echo(f"      {kind:<32} {rate:>7.2%}")


# -- pipelines -----------------------------------------------------------------------------------

@main.command("materialize")
@click.option("--full-refresh", is_flag=True,
              help="Re-read every source row (and reconcile deleted keys), not only what "
                   "changed since each table's watermark.")
@click.option("--ingest-only", is_flag=True,
              help="Run the ingest_incremental job: extract and load only, no dbt build.")
@click.option("--no-wait", is_flag=True,
              help="While another run writes the warehouse, fail at once instead of waiting "
                   "for it to end.")
def materialize(full_refresh: bool, ingest_only: bool, no_wait: bool) -> None:
    """Run the job that materializes every asset (extract, load, dbt build). One run writes
    the warehouse at a time: while another does (a scheduled run, another kho materialize),
    this one waits for it."""
    from kho.runner import run_materialize_all
    from kho.writer_lock import WarehouseBusy

    stderr = click.get_text_stream("stderr")  # the run redirects sys.stderr to its log
    try:
        result = run_materialize_all(
            echo=_stdout_echo(), full_refresh=full_refresh, ingest_only=ingest_only,
            wait=not no_wait,
            echo_failure=lambda line: click.secho(f"error: {line}", fg="red", file=stderr))
    except WarehouseBusy as err:
        _fail(f"{err}; kho materialize does not write beside it (run it again when that run "
              f"has ended, or without --no-wait to wait for it)")
    if not result.success:
        if result.failed_steps:  # each told as it failed, and counted in the summary
            sys.exit(1)
        _fail(f"run {result.run_id} failed before any step did; see {result.log_path}")


@main.group("pipelines")
def pipelines_group() -> None:
    """Dagster's long-lived processes, in the foreground, for a service manager."""


def _exec_dagster(command: list[str]) -> None:
    from kho.services import exec_dagster

    try:
        exec_dagster(load_settings(), command)
    except (FileNotFoundError, *_DATABASE_ERRORS) as err:
        _fail(f"cannot start {Path(command[0]).name}: {_first_line(err)}")


@pipelines_group.command("daemon")
def pipelines_daemon() -> None:
    """Run the Dagster daemon: schedules, sensors and the run queue (one warehouse-writing
    run at a time)."""
    from kho.services import daemon_command

    _exec_dagster(daemon_command())


@pipelines_group.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=3000, show_default=True)
def pipelines_ui(host: str, port: int) -> None:
    """Run the Dagster webserver (assets, runs, schedules) on the same instance."""
    from kho.services import webserver_command

    _exec_dagster(webserver_command(host, port))


@pipelines_group.command("home")
def pipelines_home() -> None:
    """Prepare and print the DAGSTER_HOME kho uses, for `dagster dev` and other Dagster
    tools: export DAGSTER_HOME=$(kho pipelines home)."""
    from kho.dagster_instance import prepare_dagster_home

    try:
        click.echo(prepare_dagster_home(load_settings()))
    except _DATABASE_ERRORS as err:
        _fail(f"cannot prepare Dagster's storage: {_first_line(err)}")


@pipelines_group.command("prune")
@click.option("--older-than", "older_than", type=click.IntRange(min=1), default=None,
              metavar="DAYS",
              help="Delete finished runs created more than DAYS days ago "
                   "[default: KHO_RUN_RETENTION_DAYS, 90].")
def pipelines_prune(older_than: int | None) -> None:
    """Delete old finished runs with their event logs from Dagster's instance (Dagster never
    does); queued and running runs stay. Daily under systemd (kho-pipelines-prune.timer)."""
    from kho.dagster_instance import prune_runs

    settings = load_settings()
    try:
        pruned = prune_runs(settings, older_than or settings.run_retention_days)
    except _DATABASE_ERRORS as err:
        _fail(f"cannot reach Dagster's storage: {_first_line(err)}")
    click.echo(f"deleted {pruned.deleted:,} finished run(s) created before "
               f"{pruned.created_before:%Y-%m-%d %H:%M} UTC, with their event logs, and "
               f"{pruned.logs_deleted:,} log(s) of kho materialize; "
               f"{pruned.kept:,} run(s) kept")


# -- migrations and backups ---------------------------------------------------------------------

@main.command("migrate")
@click.option("--status", "show_status", is_flag=True,
              help="Show the warehouse's revision and the migrations pending; change nothing.")
def migrate(show_status: bool) -> None:
    """Bring the kho-owned schemas to this release's revision (run it, with the API stopped,
    after installing a new release; the pipelines and kho demo do it themselves)."""
    from kho import migrations

    try:
        url = warehouse.ensure_warehouse(migrate=False)
        found = migrations.status(url)
        if show_status:
            current = migrations.describe(found.current) if found.current else \
                "none (a release before versioned migrations)" if found.previous_release \
                else "none (no kho schema yet)"
            click.echo(f"current: {current}")
            click.echo(f"head:    {migrations.describe(found.head)}")
            click.echo("pending: " + (", ".join(map(migrations.describe, found.pending))
                                      or "none"))
            return
        before, after = migrations.upgrade(url, echo=click.echo)
    except (migrations.MigrationRequired, warehouse.WarehouseError) as err:
        _fail(str(err))
    if before == after:
        click.echo(f"the warehouse is at {migrations.describe(after)}: nothing to migrate")
    else:
        origin = migrations.describe(before) if before else \
            "the release before versioned migrations" if found.previous_release \
            else "an empty warehouse"
        click.echo(f"migrated from {origin} to {migrations.describe(after)} "
                   f"({len(found.pending)} migration(s))")


_ANCHORS_OPTION = click.option(
    "--anchors", "anchors_file", type=click.Path(dir_okay=False, path_type=Path),
    help="The audit anchors file (kho audit verify --anchors), kept with the backup "
         "(default: KHO_AUDIT_ANCHORS).")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@_ANCHORS_OPTION
def backup_command(file: Path, anchors_file: Path | None) -> None:
    """Write what cannot be rebuilt from the sources to FILE, as of one moment."""
    from kho import backup

    anchors_file = anchors_file or load_settings().audit_anchors
    try:
        manifest = backup.backup(warehouse.ensure_warehouse(migrate=False), file, anchors_file,
                                 echo=lambda line: click.echo(f"  {line}"))
    except (backup.BackupError, warehouse.WarehouseError) as err:
        _fail(str(err))
    size = file.stat().st_size
    click.echo(f"wrote {file}: {len(manifest.tables)} tables, "
               f"{sum(t.rows for t in manifest.tables):,} rows, {size:,} bytes, revision "
               f"{manifest.revision}, as of {manifest.created_at}"
               + ("; with the anchors file" if manifest.anchors else ""))


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_ANCHORS_OPTION
def restore_command(file: Path, anchors_file: Path | None) -> None:
    """Restore what FILE holds (after checking every member), replacing it in the
    warehouse; then run kho materialize to rebuild the rest from the sources."""
    from kho import backup, migrations

    anchors_file = anchors_file or load_settings().audit_anchors
    try:
        manifest = backup.restore(warehouse.ensure_warehouse(migrate=False), file,
                                  anchors_file, echo=lambda line: click.echo(f"  {line}"))
    except (backup.BackupError, migrations.MigrationRequired, warehouse.WarehouseError) as err:
        _fail(str(err))
    click.echo(f"restored {len(manifest.tables)} tables as of {manifest.created_at}; now run "
               f"kho materialize (it rebuilds the raw layer and the marts from the sources, "
               f"with the restored key and IDs)")


# -- clients and audit ---------------------------------------------------------------------------

@main.group("clients")
def clients_group() -> None:
    """Agency clients of the API: their keys and grants."""


def _clients_url() -> str:
    """The warehouse, for the client functions (each prepares the api schema itself)."""
    return warehouse.ensure_warehouse()


def _show_key(new_key) -> None:
    click.echo(f"API key for {new_key.client} (shown once; kho keeps only its hash):")
    click.echo(f"  {new_key.key}")
    expiry = f"{new_key.expires_at:%Y-%m-%d %H:%M} UTC" if new_key.expires_at else "never"
    click.echo(f"key id {new_key.key_id}, expires {expiry}. Send it as "
               f"'Authorization: Bearer <key>'; personal data also needs 'X-Purpose: ...'.")


@clients_group.command("create")
@click.argument("name")
@click.option("--agency", required=True, help="The agency that owns the client.")
@click.option("--grant", "grants", multiple=True, metavar="DATASET:CLASS",
              help="Repeatable: land, enterprise, civil_registry or cadre, with open, shared "
                   "or personal (e.g. land:shared); or audit (reads the access log); or "
                   "steward (reads the review queue of person links).")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None,
              help="The key stops working after this many days (default: no expiry).")
@click.option("--rate-limit", type=click.IntRange(min=1), default=None,
              help="Requests per minute (default: KHO_RATE_LIMIT_CLIENT).")
def clients_create(name: str, agency: str, grants: tuple[str, ...],
                   expires_in_days: int | None, rate_limit: int | None) -> None:
    """Create a client with its first API key."""
    from graphql_api.access import clients

    try:
        parsed = [clients.parse_grant(g) for g in grants]
        new_key = clients.create_client(_clients_url(), name, agency, parsed,
                                        expires_in_days, rate_limit)
    except clients.ClientError as err:
        _fail(str(err))
    click.echo(f"created client {name} ({agency}) with grants: "
               f"{', '.join(map(str, parsed)) or 'none (open data only)'}")
    _show_key(new_key)


@clients_group.command("list")
def clients_list() -> None:
    """Every client: agency, grants, active keys, when last seen."""
    from graphql_api.access import clients

    rows = clients.list_clients(_clients_url())
    if not rows:
        click.echo("no clients (kho clients create NAME --agency ... --grant ...)")
    for row in rows:
        state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
        seen = f"{row['last_seen_at']:%Y-%m-%d %H:%M}" if row["last_seen_at"] else "never"
        click.echo(f"{row['name']:<24} {state:<18} {row['agency']}")
        click.echo(f"    grants: {', '.join(row['grants']) or 'none'}; keys: "
                   f"{', '.join(row['active_keys']) or 'none active'}; rate limit: "
                   f"{row['rate_limit_per_minute'] or 'default'}/min; last seen: {seen}")


@clients_group.command("revoke")
@click.argument("name")
@click.option("--key", "key_id", default=None, help="Revoke only this key (its key id).")
def clients_revoke(name: str, key_id: str | None) -> None:
    """Revoke a client and all its keys, or one key."""
    from graphql_api.access import clients

    try:
        revoked = clients.revoke(_clients_url(), name, key_id)
    except clients.ClientError as err:
        _fail(str(err))
    click.echo(f"revoked {revoked} key(s) of {name}" + ("" if key_id else " and the client"))


@clients_group.command("rotate-key")
@click.argument("name")
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None)
@click.option("--grace-hours", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Keep the old keys working this long, for the switch-over.")
def clients_rotate_key(name: str, expires_in_days: int | None, grace_hours: float) -> None:
    """Issue a new key; the client's other keys stop (after the grace time)."""
    from graphql_api.access import clients

    try:
        new_key = clients.rotate_key(_clients_url(), name, expires_in_days, grace_hours)
    except clients.ClientError as err:
        _fail(str(err))
    _show_key(new_key)


@main.group("audit")
def audit_group() -> None:
    """The API's access log."""


@audit_group.command("verify")
@click.option("--anchors", "anchors_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file of heads recorded earlier ('<entry id> <hash>' per line), kept "
                   "where lines can only be added: each must still be in the chain "
                   "(default: KHO_AUDIT_ANCHORS).")
@click.option("--record", is_flag=True,
              help="Once the log is found intact, append its head to the anchors file.")
def audit_verify(anchors_file: Path | None, record: bool) -> None:
    """Check the access log's hash chain; name the first entry that breaks it."""
    from graphql_api.access import clients, log_verification

    anchors_file = anchors_file or load_settings().audit_anchors
    if record and anchors_file is None:
        _fail("--record needs --anchors FILE (or KHO_AUDIT_ANCHORS): where to record the head")
    anchors: dict[int, str] = {}
    if anchors_file is not None:
        # A missing file is never taken for an empty record: a share that is not mounted
        # would otherwise pass every check. A new record starts with an empty file.
        if not anchors_file.exists():
            _fail(f"no anchors file at {anchors_file}; to start a new record, create it empty "
                  f"(touch {anchors_file})")
        if record and not os.access(anchors_file, os.W_OK):
            _fail(f"cannot record the head: {anchors_file} is not writable")
        try:
            anchors = log_verification.read_anchors(anchors_file.read_text(encoding="utf-8"),
                                                    str(anchors_file))
        except (OSError, UnicodeDecodeError, log_verification.AnchorError) as err:
            _fail(f"cannot read the anchors: {err}")
    url = _clients_url()
    clients.prepare(url)
    result = log_verification.verify(url, anchors)
    if not result.ok:
        _fail(f"the access log is broken at entry {result.broken_entry_id}: {result.reason} "
              f"({result.entries:,} entries read)")
    click.echo(f"the access log is intact: {result.entries:,} entries, head entry "
               f"{result.head_entry_id} with hash {result.head_hash}"
               + (f"; it holds all {len(anchors)} recorded head(s)" if anchors else ""))
    if record:
        try:
            with anchors_file.open("a", encoding="utf-8") as out:
                out.write(log_verification.anchor_line(result))
        except OSError as err:
            _fail(f"cannot record the head in {anchors_file}: {err}")
        click.echo(f"recorded head entry {result.head_entry_id} in {anchors_file}")


# -- review ---------------------------------------------------------------------------------------

@main.group("review")
def review_group() -> None:
    """The data stewards' queue of person links entity resolution would not decide alone."""


def _case_id(case_id: str | None, identity_key: str | None, anchor_key: str | None):
    import uuid

    from pipelines.master_data import reviews

    if case_id is not None:
        try:
            return uuid.UUID(case_id)
        except ValueError:
            _fail(f"{case_id!r} is not a review ID (a UUID, as kho review list prints it)")
    if identity_key and anchor_key:
        return reviews.review_id(identity_key, anchor_key)
    _fail("name the case: its review ID, or --identity KEY --anchor KEY (as xref_person and "
          "int_persons__links give them)")


def _dates(values) -> str:
    return ", ".join(str(v) for v in values or []) or "-"


@review_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def review_list(limit: int) -> None:
    """The waiting cases, most likely first."""
    from pipelines.master_data import reviews

    try:
        cases = reviews.queue(warehouse.ensure_warehouse(), limit)
    except reviews.ReviewError as err:
        _fail(str(err))
    if not cases:
        click.echo("nothing waits for review")
    for c in cases:
        sides = [f"{' / '.join(c[f'{side}_full_names'] or ['-'])} "
                 f"({_dates(c[f'{side}_birth_dates'])})" for side in ("record", "candidate")]
        click.echo(f"{c['review_id']}  {c['match_probability']:.3f}  {c['reason']:<20} "
                   f"{sides[0]}  ->  {sides[1]}")


@review_group.command("show")
@click.argument("case_id", required=False)
@click.option("--identity", "identity_key", default=None, help="The group's identity key.")
@click.option("--anchor", "anchor_key", default=None, help="The candidate's anchor key.")
def review_show(case_id: str | None, identity_key: str | None, anchor_key: str | None) -> None:
    """Both sides of a candidate link, with the evidence."""
    from pipelines.master_data import reviews

    try:
        found = reviews.case(warehouse.ensure_warehouse(),
                             _case_id(case_id, identity_key, anchor_key))
    except reviews.ReviewError as err:
        _fail(str(err))
    facts = found.facts
    click.echo(f"case {found.review_id}: {found.identity_key} -> {found.anchor_key}")
    click.echo(f"  {facts['outcome']}, evidence {facts['evidence']}, match probability "
               f"{facts['match_score']}, weight {facts['match_weight']} (levels: name "
               f"{facts['name_level']}, birth date {facts['birth_date_level']}, sex "
               f"{facts['sex_level']}, place {facts['place_level']}, household "
               f"{facts['household_level']}), candidate "
               f"{facts['candidate_rank']} of {facts['candidates']}")
    for title, side in (("records", found.record_side), ("candidate", found.candidate_side)):
        click.echo(f"  {title}:")
        for r in side:
            click.echo(f"    {r['record']}: {r['full_name'] or '-'}, born {r['birth_date'] or '-'}"
                       f"{' (year only)' if r['birth_date_precision'] == 'year' else ''}, "
                       f"{r['sex'] or '-'}; person {r['person_id']}")


def _decide(decision: str, case_id, identity_key, anchor_key, reviewed_by, note) -> None:
    from pipelines.master_data import reviews

    try:
        found = reviews.decide(warehouse.ensure_warehouse(),
                               _case_id(case_id, identity_key, anchor_key), decision,
                               reviewed_by, note)
    except reviews.ReviewError as err:
        _fail(str(err))
    click.echo(f"{decision}ed {found.identity_key} -> {found.anchor_key} "
               f"(case {found.review_id}); it applies from the next kho materialize")


def _decision_command(decision: str, summary: str):
    @review_group.command(decision, help=summary)
    @click.argument("case_id", required=False)
    @click.option("--identity", "identity_key", default=None)
    @click.option("--anchor", "anchor_key", default=None)
    @click.option("--by", "reviewed_by", required=True, help="Who decides (kept with it).")
    @click.option("--note", default=None, help="Why.")
    def command(case_id, identity_key, anchor_key, reviewed_by, note) -> None:
        _decide(decision, case_id, identity_key, anchor_key, reviewed_by, note)

    return command


review_accept = _decision_command(
    "accept", "Link the records to the candidate person, whatever the model says.")
review_reject = _decision_command(
    "reject", "Never link the records to the candidate person (a published link splits).")


# -- change feed: webhook subscriptions and their delivery ---------------------------------------

@main.group("subscriptions")
def subscriptions_group() -> None:
    """Agency clients' webhook subscriptions to the change feed."""


def _subscriptions_call(function, *args):
    from kho.webhooks.subscriptions import SubscriptionError

    try:
        return function(warehouse.ensure_warehouse(), *args)
    except SubscriptionError as err:
        _fail(str(err))


@subscriptions_group.command("create")
@click.argument("name")
@click.option("--client", required=True, help="The agency client (kho clients list) whose "
                                              "grants decide what the messages carry.")
@click.option("--endpoint", required=True, help="The http:// or https:// URL to POST to.")
@click.option("--type", "types", multiple=True, metavar="ENTITY_TYPE",
              help="Repeatable: person, organization, land_parcel, admin_unit, land_right, "
                   "enterprise_role, employment, data_quality_issue [default: all].")
@click.option("--purpose", default=None,
              help="The purpose declared for personal data (without one, messages carry "
                   "none, whatever the client's grants).")
@click.option("--after", type=click.IntRange(min=0), default=None,
              help="Start after this cursor [default: the feed's latest: take the bulk "
                   "downloads first].")
def subscriptions_create(name: str, client: str, endpoint: str, types: tuple[str, ...],
                         purpose: str | None, after: int | None) -> None:
    """Create a subscription; prints its signing secret (shown once)."""
    from kho.webhooks import subscriptions

    created = _subscriptions_call(subscriptions.create, name, client, endpoint, types,
                                  purpose, after)
    click.echo(f"created subscription {name} for client {client}: {endpoint}, "
               f"after cursor {created.cursor}")
    click.echo("signing secret (Standard Webhooks; shown once):")
    click.echo(f"  {created.secret}")


@subscriptions_group.command("list")
def subscriptions_list() -> None:
    """Every subscription: status, cursor against the feed's latest, the last attempt."""
    from kho.webhooks import subscriptions

    rows = _subscriptions_call(subscriptions.list_subscriptions)
    if not rows:
        click.echo("no subscriptions (kho subscriptions create NAME --client ... "
                   "--endpoint ...)")
    for row in rows:
        behind = (row["latest"] or 0) - row["cursor"]
        click.echo(f"{row['name']:<24} {row['status']:<7} client {row['client']}: "
                   f"{row['endpoint']}")
        last = "none"
        if row["last_attempt_at"]:
            last = (f"{row['last_attempt_at']:%Y-%m-%d %H:%M:%S} "
                    + ("delivered" if row["last_delivered"] else
                       f"failed ({row['last_error'] or row['last_status']})"))
        click.echo(f"    types: {', '.join(row['entity_types'])}; cursor {row['cursor']} "
                   f"({behind} behind); failures in a row: {row['failures']}; last attempt: "
                   f"{last}" + (f"; parked: {row['parked_reason']}" if row["parked_reason"]
                                else ""))


@subscriptions_group.command("pause")
@click.argument("name")
def subscriptions_pause(name: str) -> None:
    """Stop delivering to a subscription (it keeps its cursor)."""
    from kho.webhooks import subscriptions

    _subscriptions_call(subscriptions.pause, name)
    click.echo(f"paused {name}")


@subscriptions_group.command("resume")
@click.argument("name")
def subscriptions_resume(name: str) -> None:
    """Deliver again to a paused or parked subscription, from its cursor."""
    from kho.webhooks import subscriptions

    _subscriptions_call(subscriptions.resume, name)
    click.echo(f"resumed {name}")


@subscriptions_group.command("replay")
@click.argument("name")
@click.option("--after", type=click.IntRange(min=0), required=True,
              help="Deliver everything after this cursor again.")
def subscriptions_replay(name: str, after: int) -> None:
    """Deliver a subscription's events again, from a cursor."""
    from kho.webhooks import subscriptions

    _subscriptions_call(subscriptions.replay, name, after)
    click.echo(f"{name} delivers again after cursor {after}")


@subscriptions_group.command("delete")
@click.argument("name")
def subscriptions_delete(name: str) -> None:
    """Delete a subscription and the record of its attempts."""
    from kho.webhooks import subscriptions

    _subscriptions_call(subscriptions.delete, name)
    click.echo(f"deleted {name}")


@main.group("webhooks")
def webhooks_group() -> None:
    """Delivery of the change feed to the webhook subscriptions."""


@webhooks_group.command("deliver")
def webhooks_deliver() -> None:
    """Deliver to every active subscription until stopped (foreground, for a service
    manager)."""
    from kho.webhooks.delivery import deliver_forever

    try:
        url = warehouse.ensure_warehouse()
    except warehouse.WarehouseError as err:
        _fail(str(err))
    click.echo("delivering the change feed to the webhook subscriptions (Ctrl-C stops)")
    deliver_forever(url)


@main.group("issues")
def issues_group() -> None:
    """Data-quality issues for the owning agencies (conflicts with master data)."""


@issues_group.command("list")
@click.option("--agency", default=None, help="land, enterprise, civil_registry or cadre: the "
                                             "system whose records are at issue.")
@click.option("--status", default=None, help="open, acknowledged, resolved or reopened.")
@click.option("--kind", default=None,
              help="person_conflict, deceased_still_active, mistyped_identity_number or "
                   "invalid_source_value.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
def issues_list(agency: str | None, status: str | None, kind: str | None, limit: int) -> None:
    """The issues, by agency and kind."""
    from kho import quality_issues

    try:
        rows = quality_issues.list_issues(warehouse.ensure_warehouse(), agency, status, kind,
                                          limit)
    except quality_issues.IssueError as err:
        _fail(str(err))
    if not rows:
        click.echo("no issues")
    for row in rows:
        click.echo(f"{row['issue_id']}  {row['status']:<12} {row['source_system']:<14} "
                   f"{row['kind']}: {row['attribute']} of {row['source_table']}:"
                   f"{row['source_record_key']}")
        click.echo(f"    source {row['source_value']!s}; master {row['master_value']!s} "
                   f"({row['master_source_system']}); seen {row['first_seen_at']:%Y-%m-%d} "
                   f"to {row['last_seen_at']:%Y-%m-%d}"
                   + (f"; acknowledged by {row['acknowledged_by']}"
                      if row["acknowledged_by"] else ""))


@issues_group.command("acknowledge")
@click.argument("issue_id")
@click.option("--by", required=True, help="Who, at the owning agency, has seen it.")
@click.option("--note", default=None)
def issues_acknowledge(issue_id: str, by: str, note: str | None) -> None:
    """Record that the owning agency has seen an issue (it resolves when the source is
    corrected)."""
    from kho import quality_issues

    try:
        kind = quality_issues.acknowledge(warehouse.ensure_warehouse(), issue_id, by, note)
    except quality_issues.IssueError as err:
        _fail(str(err))
    click.echo(f"acknowledged {kind} issue {issue_id}")


# -- API -----------------------------------------------------------------------------------------

@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the GraphQL API, GraphiQL and the web UI."""
    from kho.migrations import MigrationRequired
    from kho.server import run_server

    try:
        run_server(host=host, port=port, workers=workers, echo=click.echo)
    except (MigrationRequired, warehouse.WarehouseError) as err:
        _fail(str(err))


@main.group("dictionary")
def dictionary_group() -> None:
    """The common data dictionary (dataDictionary, /opendata/dictionary.json)."""


@dictionary_group.command("check")
def dictionary_check() -> None:
    """Check that the dictionary describes every field kho shares and that the mapping file
    of KHO_DICTIONARY_MAPPING names them by national codes kho can use; exit 1 if not."""
    from graphql_api.dictionary import entries
    from graphql_api.schema import schema

    problems = entries.problems(schema._schema)
    if problems:
        _fail("the data dictionary is incomplete:\n  " + "\n  ".join(problems))
    described = entries.current()  # DictionaryMappingError: a SettingsError, said in a line
    mapping = load_settings().dictionary_mapping
    coded = sum(1 for entry in described if entry.national_code)
    datasets = len({entry.dataset for entry in described})
    click.echo(f"the data dictionary describes {len(described)} fields of {datasets} datasets; "
               + (f"{coded} have a national code ({mapping})" if mapping
                  else "no national codes (KHO_DICTIONARY_MAPPING is not set)"))


@main.group("deploy")
def deploy_group() -> None:
    """Files that install kho's processes as services."""


@deploy_group.command("systemd")
@click.option("--user", default="kho", show_default=True,
              help="The system user the services run as (owner of KHO_HOME).")
@click.option("--prefix", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where kho is installed: the units run PREFIX/bin/kho "
                   "[default: this kho's installation]")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("/etc/systemd/system"), show_default=True,
              help="Where to write the unit files.")
def deploy_systemd(user: str, prefix: Path | None, output: Path) -> None:
    """Write kho-api.service, kho-pipelines-daemon.service, kho-pipelines-ui.service and
    kho-webhooks.service, and kho-pipelines-prune.service with its daily timer, configured by
    /etc/kho/kho.env, with KHO_HOME (from the environment now) writable."""
    from kho.services import ENVIRONMENT_FILE, units_to_enable, write_systemd_units

    prefix = (prefix or Path(sys.prefix)).absolute()
    home = load_settings().home
    try:
        written = write_systemd_units(output, str(prefix / "bin" / "kho"), user, home)
    except OSError as err:
        _fail(f"cannot write the unit files to {output}: {err.strerror or err}")
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"they run {prefix / 'bin' / 'kho'} as {user}, with KHO_HOME={home} and the "
               f"settings in {ENVIRONMENT_FILE}; then: install -d -o {user} {home}; "
               f"systemctl daemon-reload; systemctl enable --now "
               + " ".join(units_to_enable([p.name for p in written])))


@main.command("demo")
@click.option("--scale", type=click.IntRange(min=10), default=10_000, show_default=True)
@click.option("--seed", "seed_value", type=int, default=42, show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-serve", is_flag=True, help="Stop after printing what landed.")
def demo(scale: int, seed_value: int, port: int, host: str, no_serve: bool) -> None:
    """From nothing to a served API: warehouse, sources, pipelines, then API and UI."""
    from kho.demo import run_demo

    if not run_demo(scale=scale, seed_value=seed_value, echo=_stdout_echo()):
        _fail("the pipelines failed; see the run above")
    if not no_serve:
        from kho.server import run_server

        run_server(host=host, port=port, workers=1, echo=click.echo)


if __name__ == "__main__":
    main()
