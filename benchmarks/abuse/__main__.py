"""Whether an abusive anonymous client hurts normal agency reads, and how much the access log
grows per abusive request.

    .venv/bin/python benchmarks/abuse --scale 10000 --seconds 20

On the configured warehouse server (the embedded one unless KHO_WAREHOUSE_URL is set),
prepares benchmarks/api's warehouse ``<db>_bench_api`` at the scale (its prepare.py: seeded,
loaded, built and published once per scale and dbt project; the API benchmark's default
scale is larger, so running both rebuilds it in turn), starts ``kho serve --workers N``
against it (its server.py) and makes benchmarks/api's agency client 'bench' (every personal
grant, a purpose).

The normal read is benchmarks/api's scenario (a), one person with land rights and enterprise
roles, paced (default 50 requests a second from 4 clients, each latency counted from when its
request was due: reads.py, benchmarks/api's load.py). It is measured alone, then while the
abusive client runs, then under abuse again, then alone again (drift over the run falls on
both alike), each for ``--seconds`` after a ``--warmup``.

The abusive client (attacks.py) sends no key, at the anonymous rate limit in all
(``KHO_RATE_LIMIT_ANONYMOUS``: requests a minute per IP address, 300 by default), never
faster, over a few connections, cycling through: (1) a tiny query padded with an 8 MB ``#``
comment, (2) 200 aliased ``__schema`` introspections, (3) a 1 MB string variable in
``organizations``' name filter, (4) a 50 MB body, streamed, (5) a body of JSON arrays nested
100,000 deep. A request unanswered after ``--timeout`` seconds, or whose connection the
server cuts, counts as such, not as a failure of the run. Each kind comes from a loopback
address of its own, so its access-log rows can be told apart.

It prints the normal read's requests per second, p50 and p99 alone and under abuse (the two
windows of each pooled) and their ratios (benchmarks/api's load.py counts the answers that
come within a window: a read due near its end and answered after it is left out, which
flatters the figures under abuse); the abusive client's requests per second and its
answers by kind and status (with the first GraphQL error code); and the access log's growth:
the rows added after an entry ID remembered before the runs, per kind, with their size as
stored (``sum(pg_column_size(t.*))``), per abusive request, beside the normal reads' size
per row, and the abusive requests that left no row at all.

Goals: under abuse the normal read's p50 and p99 within 1.5 times their figures alone; the
access log bounded whatever was sent, at most 8 kB per abusive request (a few kB). The
clients, the API and PostgreSQL share the machine's cores: the abusive client's own work
(writing 50 MB bodies) is part of what the reads compete with.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics

import attacks
import log_growth
import reads
import uvloop
from attacks import Abuse, Kind
from load import Run, measure
from prepare import bench_warehouse
from scenarios import Scenario, scenarios
from server import api_server, free_port

from kho import db, warehouse
from kho.settings import load_settings

api_benchmark = reads.api_benchmark
RATIO_GOAL = 1.5
LOG_BYTES_GOAL = 8 * 1024
ORDER = (False, True, True, False)  # under abuse?


def _pooled(runs: list[Run]) -> Run:
    errors = [r.first_error for r in runs if r.first_error]
    return Run([x for r in runs for x in r.latencies], sum(r.seconds for r in runs),
               sum(r.requests for r in runs), sum(r.errors for r in runs),
               errors[0] if errors else None)


async def window(scenario: Scenario, chosen: list[Kind], port: int, args: argparse.Namespace,
                 per_second: float, with_abuse: bool) -> tuple[Run, Abuse | None]:
    """One measured run of the normal read, with the abusive client beside it or not (from
    the warm-up on)."""
    clients = reads.readers(scenario, port, args.clients, args.timeout)
    try:
        async with asyncio.TaskGroup() as group:
            abusing = group.create_task(attacks.abuse(
                chosen, port, per_second, args.abusive_connections,
                args.warmup + args.seconds, args.timeout)) if with_abuse else None
            reading = group.create_task(measure(reads.calls(clients), args.warmup,
                                                args.seconds, args.rate))
    finally:
        for client in clients:
            client.close()
    return reading.result(), abusing and abusing.result()


async def run(scenario: Scenario, chosen: list[Kind], port: int, args: argparse.Namespace,
              per_second: float) -> tuple[dict[bool, Run], Abuse]:
    await api_benchmark.check_first_answers([scenario], {api_benchmark.KHO: port}, None)
    normal: dict[bool, list[Run]] = {False: [], True: []}
    abused = Abuse(0.0)
    for with_abuse in ORDER:
        result, abuse = await window(scenario, chosen, port, args, per_second, with_abuse)
        normal[with_abuse].append(result)
        line = (f"{'under abuse' if with_abuse else 'alone':<12}{len(result.latencies):,} "
                f"normal reads in {result.seconds:g} s after a {args.warmup:g} s warm-up, "
                f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                f"{result.errors:,} errors")
        if abuse is not None:
            abused = abused.add(abuse)
            line += f"; {abuse.sent:,} abusive requests"
        print(line, flush=True)
    return {key: _pooled(runs) for key, runs in normal.items()}, abused


def print_reads(normal: dict[bool, Run], args: argparse.Namespace) -> None:
    print(f"\nnormal read (a), paced at {args.rate:g}/s by {args.clients} clients, "
          f"{ORDER.count(True)} windows of {args.seconds:g} s each way, pooled")
    print(f"{'':<22}{'reads/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for with_abuse, label in ((False, "alone"), (True, "under abuse")):
        r = normal[with_abuse]
        print(f"{label:<22}{r.rps:>9.1f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8,}")
    ratios = {what: getattr(normal[True], what) / getattr(normal[False], what)
              for what in ("p50_ms", "p99_ms")}
    print(f"{'under abuse / alone':<22}{'':>9}{ratios['p50_ms']:>9.2f}{ratios['p99_ms']:>9.2f}")
    for with_abuse in (False, True):
        if normal[with_abuse].first_error:
            print(f"first error {'under abuse' if with_abuse else 'alone'}: "
                  f"{normal[with_abuse].first_error[:300]}")
    verdicts = "; ".join(f"{what[:3]} {ratio:.2f}x, "
                         + ("met" if ratio <= RATIO_GOAL else "NOT met")
                         for what, ratio in ratios.items())
    print(f"goal: under abuse, p50 and p99 within {RATIO_GOAL:g} times alone: {verdicts}")


def print_abuse(chosen: list[Kind], abused: Abuse, args: argparse.Namespace,
                per_minute: int) -> None:
    print(f"\nabusive client: anonymous, {per_minute:,} requests a minute in all "
          f"(KHO_RATE_LIMIT_ANONYMOUS), {args.abusive_connections} connections, "
          f"{args.timeout:g} s timeout; {abused.sent:,} requests in {abused.seconds:g} s, "
          f"{abused.sent / abused.seconds:.2f} requests/s")
    width = max(len(k.label) for k in chosen) + 2
    print(f"{'kind':<{width}}{'sent':>6}{'median s':>10}   answers")
    for kind in chosen:
        answers = abused.answers[kind.key]
        durations = abused.durations[kind.key]
        median = f"{statistics.median(durations):>10.3f}" if durations else f"{'-':>10}"
        print(f"{kind.label:<{width}}{sum(answers.values()):>6,}{median}   " + ", ".join(
            f"{answer} x{count:,}" for answer, count in answers.most_common()))


def print_log(chosen: list[Kind], abused: Abuse, grown: dict, after: int) -> None:
    print(f"\naccess log: rows added after entry {after:,}, size as stored")
    width = max(len(k.label) for k in chosen) + 2
    print(f"{'':<{width}}{'requests':>9}{'rows':>7}{'bytes':>12}{'bytes/request':>15}")
    worst, total_sent, total_rows, total_bytes = 0.0, 0, 0, 0
    seen, unlogged = set(), []
    for kind in chosen:
        sent = sum(abused.answers[kind.key].values())
        keys = [key for key in grown if key[0] == kind.address]
        seen.update(keys)
        rows = sum(grown[key].rows for key in keys)
        size = sum(grown[key].bytes for key in keys)
        per_request = size / sent if sent else 0.0
        worst = max(worst, per_request)
        if rows < sent:
            unlogged.append(f"{sent - rows:,} of {kind.label[:3]}")
        total_sent, total_rows, total_bytes = total_sent + sent, total_rows + rows, (
            total_bytes + size)
        print(f"{kind.label:<{width}}{sent:>9,}{rows:>7,}{size:>12,}{per_request:>15,.0f}")
    print(f"{'all abusive requests':<{width}}{total_sent:>9,}{total_rows:>7,}"
          f"{total_bytes:>12,}{total_bytes / max(total_sent, 1):>15,.0f}")
    for (address, client), rows in sorted(grown.items(), key=lambda item: str(item[0])):
        if (address, client) not in seen:  # the normal reads ('bench'), per row
            label = f"{client or 'anonymous'} from {address}, per row"
            print(f"{label:<{width}}{'':>9}{rows.rows:>7,}{rows.bytes:>12,}"
                  f"{rows.bytes / rows.rows:>15,.0f}")
    verdict = "met" if worst <= LOG_BYTES_GOAL else "NOT met"
    print(f"goal: the log bounded, at most {LOG_BYTES_GOAL:,} bytes per abusive request: "
          f"worst kind {worst:,.0f} bytes, {verdict}")
    if unlogged:
        print("abusive requests that left no row in the log: " + ", ".join(unlogged))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="measured duration of each window")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="untimed load before each measured duration")
    parser.add_argument("--rate", type=float, default=50.0,
                        help="normal reads a second, in all")
    parser.add_argument("--clients", type=int, default=4, help="normal readers")
    parser.add_argument("--abusive-connections", type=int, default=4,
                        help="the abusive client's requests in flight at most")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds a request waits for its answer")
    parser.add_argument("--workers", type=int, default=2, help="kho serve --workers")
    parser.add_argument("--sample", type=int, default=2000,
                        help="persons the normal read cycles through")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="set in the API's environment (repeatable)")
    parser.add_argument("--port", type=int, default=0,
                        help="the API's port (default: a free one)")
    args = parser.parse_args()
    env = api_benchmark.environment(args.env)
    per_minute = load_settings({**os.environ, **env}).rate_limit_anonymous

    server = warehouse.ensure_warehouse()
    url, done = bench_warehouse(server, args.scale, args.seed)
    for line in done:
        print(line, flush=True)
    api_benchmark.CLIENT_HEADERS.update(api_benchmark.bench_client(url))
    chosen_scenarios, read = scenarios(url, args.sample)
    scenario = chosen_scenarios[0]
    with db.connect(url) as conn:
        persons = conn.execute("select count(*) from marts.dim_person").fetchone()[0]
        version = conn.execute("show server_version").fetchone()[0]
    port = args.port or free_port()
    chosen = attacks.kinds()
    print(f"warehouse {db.redact(url)}, PostgreSQL {version}; scale {args.scale:,}: "
          f"{persons:,} master persons")
    print(f"{scenario.label}: {read[scenario.key]}")
    print(f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f} "
          f"before the run; windows alone, under abuse, under abuse, alone; "
          f"{args.warmup:g} s warm-up, then {args.seconds:g} s each")
    print(f"API: kho serve --workers {args.workers} on port {port}, added environment: "
          + (", ".join(args.env) or "none"))
    print(flush=True)

    with api_server(url, port, args.workers, env) as served:
        after = log_growth.last_entry(url)
        normal, abused = uvloop.run(run(scenario, chosen, served.port, args,
                                        per_minute / 60.0))
        log_growth.settle(url)
        grown = log_growth.growth(url, after)
    print_reads(normal, args)
    print_abuse(chosen, abused, args, per_minute)
    print_log(chosen, abused, grown, after)


if __name__ == "__main__":
    main()
