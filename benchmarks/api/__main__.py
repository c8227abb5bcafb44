"""How fast kho answers five typical reads, beside PostGraphile and hand-written SQL.

    .venv/bin/python benchmarks/api --scale 100000

On the configured warehouse server (the embedded one unless KHO_WAREHOUSE_URL is set),
prepares ``<db>_bench_api`` at the scale (seeded, loaded, built and published once per
scale and dbt project: prepare.py), starts ``kho serve --workers N`` against it in a
process group of its own (server.py), and PostGraphile 4 over the same marts with as many
workers (postgraphile.py: installed from npm into a scratch folder, relations declared by
smart comments in the bench database only), and in one run measures five reads
(scenarios.py) at 16 concurrent clients:

- (a) one person with land rights and enterprise roles, cycling through a sample of persons;
- (b) the first 100 parcels, with their current holders, of the commune with most parcels;
- (id) one person by ID, five fields, cycling through the same persons;
- (open) 100 parcels of a commune, open data without holders, cycling through communes;
- (c) land area by use for every commune of that commune's province.

Each read is timed on each side for the same duration, the sides alternating (kho,
PostGraphile, SQL, then SQL, PostGraphile, kho, ... for ``--rounds``; the figures are the
medians of the rounds): through kho and through PostGraphile (HTTP/1.1 keep-alive, one
connection per client, load.py), and as one hand-written SQL query per request through the
same driver (psycopg 3 async, a pool of one connection per client) in this process. Every
side's first answers are checked and compared, and every answer is checked (HTTP 200, no
GraphQL errors, data present): a wrong answer stops the benchmark with its text, with no
figures. It prints requests per second, p50 and p99 latency per side, the ratios kho /
PostGraphile and kho / SQL of the requests per second, how many of kho's answers the
compiled executor gave (the others fell back to the resolvers), the peak memory of each of
kho's workers, and how kho's connections spread over its workers.

Goals at 100,000 persons on a 2-core machine (shared by this client, the servers and
PostgreSQL): closed loop, kho answers every read at least 1.5 times as often as PostGraphile,
and (a) at least a third as often as its hand-written SQL. Closed loop: every client sends
its next request as soon as its answer came, which gives the most requests per second a
server answers; its p50 is then about 16 / (requests per second). Paced (``--paced``,
default (a) at 300, (b) at 20, (c) at 5 requests a second): the 16 clients take turns on a
fixed schedule, and each latency counts from when its request was due: the latency agencies
see at that load. To compare kho's two executors, run it once with ``--env
KHO_API_COMPILER=off`` (the resolvers answer every read).

``--sides`` leaves sides out; ``--env KEY=VALUE`` (repeatable) sets kho's environment.
``--audit-overhead ROUNDS`` measures what the access log costs: kho alone with
``KHO_ACCESS_LOG`` off and on, alternating (off on, on off, ...), and the ratios of the
medians (goal: reads at most 10 % slower: closed-loop throughput, and p50 when paced at a
load both settings sustain, e.g. ``--paced a=200,b=20,c=5``; paced at the edge of capacity,
p50 is queueing).

kho's requests come from an agency client ('bench') holding every personal grant, with a
purpose: the personal fields are released, and each such answer's access-log entry records
the persons it released (written by the API's log writer in batches, after the answer has
gone). PostGraphile reads with no access rules and no log.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
from contextlib import nullcontext
from dataclasses import dataclass

import orjson
import psycopg.types.json
import uvloop
from load import Call, HttpConnection, Run, measure, post_request
from postgraphile import VERSION as POSTGRAPHILE_VERSION
from postgraphile import postgraphile_server
from prepare import bench_warehouse
from psycopg_pool import AsyncConnectionPool
from scenarios import Scenario, scenarios
from server import HOST, ApiServer, api_server, free_port

from kho import db, warehouse

KHO, POSTGRAPHILE, SQL = "kho", "PostGraphile", "SQL"
SIDES = (KHO, POSTGRAPHILE, SQL)
# (scenario, peer, least ratio of kho's closed-loop requests/s to the peer's).
GOALS = (*((key, POSTGRAPHILE, 1.5) for key in ("a", "b", "id", "open", "c")),
         ("a", SQL, 1 / 3))


# The offered loads of the paced runs: (a) at its goal rate, (b) and (c) at what a busy
# province's agencies might send.
DEFAULT_PACED = "a=300,b=20,c=5"


class WrongAnswer(Exception):
    pass


def api_answer(scenario: Scenario, status: int, body: bytes) -> dict:
    """A right answer, parsed, else ``WrongAnswer`` with what was wrong."""
    if status != 200:
        raise WrongAnswer(f"HTTP {status}: {body[:2000].decode(errors='replace')}")
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise WrongAnswer(f"not JSON ({err}): {body[:2000]!r}") from None
    if answer.get("errors"):
        raise WrongAnswer("GraphQL errors: " + "; ".join(
            str(e.get("message")) for e in answer["errors"]))
    data = answer.get("data")
    if not data or not scenario.api_has_data(data):
        raise WrongAnswer(f"no data: {body[:2000].decode(errors='replace')}")
    return answer


# The API's reads come from an agency client holding every grant, with a purpose (so the
# personal fields are released and each answer's log entry names the persons).
CLIENT_HEADERS: dict[str, str] = {}


def graphql_request(scenario: Scenario, variables: dict, port: int) -> bytes:
    return post_request(HOST, port, "/graphql", orjson.dumps(
        {"query": scenario.graphql, "variables": variables}), CLIENT_HEADERS)


def bench_client(url: str) -> dict[str, str]:
    """Headers of the client 'bench' (made on the first run, a new key each run)."""
    from graphql_api.access import clients

    clients.prepare(url)
    grants = [clients.parse_grant(f"{dataset}:personal") for dataset in (
        "land", "enterprise", "civil_registry", "cadre")]
    try:
        key = clients.create_client(url, "bench", "kho benchmarks", grants,
                                    rate_limit_per_minute=1_000_000_000).key
    except clients.ClientError:
        key = clients.rotate_key(url, "bench").key
    return {"Authorization": f"Bearer {key}", "X-Purpose": "benchmark"}


def postgraphile_answer(scenario: Scenario, status: int, body: bytes) -> dict:
    if status != 200:
        raise WrongAnswer(f"HTTP {status}: {body[:2000].decode(errors='replace')}")
    answer = orjson.loads(body)
    if answer.get("errors") or not answer.get("data") or not scenario.postgraphile_has_data(
            answer["data"]):
        raise WrongAnswer(f"PostGraphile answered: {body[:2000].decode(errors='replace')}")
    return answer


def postgraphile_request(scenario: Scenario, variables: dict, port: int) -> bytes:
    return post_request(HOST, port, "/graphql", orjson.dumps(
        {"query": scenario.postgraphile, "variables": variables}))


class Executors:
    """How many of kho's answers each executor gave (``extensions.executor``)."""

    def __init__(self):
        self.counts: dict[str, dict[str, int]] = {}

    def count(self, scenario: Scenario, answer: dict) -> None:
        executor = (answer.get("extensions") or {}).get("executor") or {}
        counts = self.counts.setdefault(scenario.key, {})
        name = executor.get("name", "resolvers")
        counts[name] = counts.get(name, 0) + 1


EXECUTORS = Executors()


def http_calls(side: str, scenario: Scenario, connections: list[HttpConnection],
               port: int) -> list[Call]:
    if side == KHO:
        requests = [graphql_request(scenario, v, port) for v in scenario.variables]
    else:
        requests = [postgraphile_request(scenario, v, port)
                    for v in scenario.postgraphile_variables]
    counter = itertools.count()

    def client(connection: HttpConnection) -> Call:
        async def call() -> str | None:
            request = requests[next(counter) % len(requests)]
            try:
                exchanged = await connection.exchange(request)
                if side == KHO:
                    EXECUTORS.count(scenario, api_answer(scenario, *exchanged))
                else:
                    postgraphile_answer(scenario, *exchanged)
            except WrongAnswer as err:
                return str(err)
            return None
        return call

    return [client(c) for c in connections]


def sql_calls(scenario: Scenario, pool: AsyncConnectionPool, clients: int) -> list[Call]:
    counter = itertools.count()

    async def call() -> str | None:
        params = scenario.sql_params[next(counter) % len(scenario.sql_params)]
        async with pool.connection() as conn:
            rows = await (await conn.execute(scenario.sql, params)).fetchall()
        return None if scenario.sql_has_data(rows) else f"no rows for {params}"

    return [call] * clients


async def first_answer(side: str, scenario: Scenario, ports: dict[str, int],
                       pool: AsyncConnectionPool | None) -> tuple[object, str | None]:
    """A side's summary of the scenario's first answer, and what kho says of it."""
    if side == SQL:
        async with pool.connection() as conn:
            rows = await (await conn.execute(scenario.sql, scenario.sql_params[0])).fetchall()
        if not scenario.sql_has_data(rows):
            raise WrongAnswer(f"no data for {scenario.sql_params[0]}")
        return scenario.sql_summary(rows), None
    connection = await HttpConnection.open(HOST, ports[side])
    try:
        if side == KHO:
            answer = api_answer(scenario, *await connection.exchange(
                graphql_request(scenario, scenario.variables[0], ports[side])))
            extensions = answer.get("extensions", {})
            said = (f"({scenario.key}) {extensions.get('sqlStatements', '?')} statement(s), "
                    f"{(extensions.get('executor') or {}).get('name', 'resolvers')}")
            return scenario.api_summary(answer["data"]), said
        answer = postgraphile_answer(scenario, *await connection.exchange(
            postgraphile_request(scenario, scenario.postgraphile_variables[0], ports[side])))
        return scenario.postgraphile_summary(answer["data"]), None
    finally:
        connection.close()


async def check_first_answers(chosen: list[Scenario], ports: dict[str, int],
                              pool: AsyncConnectionPool | None) -> None:
    """Each scenario's first answer on each side holds data, and the sides agree; every
    failure is reported at once, before anything is timed. Prints the SQL statements kho
    ran for each, and which executor answered (its answer's ``extensions``)."""
    failures, said = [], []
    sides = [side for side in SIDES if side in ports or (side == SQL and pool is not None)]
    for scenario in chosen:
        summaries = {}
        for side in sides:
            try:
                summaries[side], told = await first_answer(side, scenario, ports, pool)
            except WrongAnswer as err:
                failures.append(f"{scenario.label}, {side}: {err}")
                continue
            if told:
                said.append(told)
        if len({repr(summary) for summary in summaries.values()}) > 1:
            failures.append(f"{scenario.label}: the sides disagree on the same read:\n" +
                            "\n".join(f"  {side}: {str(summary)[:600]}"
                                      for side, summary in summaries.items()))
    if failures:
        raise SystemExit("wrong answers, nothing was timed:\n" + "\n".join(failures))
    print(f"first answers checked, {', '.join(sides)} agree"
          + ("; kho's SQL statements per request: " + ", ".join(said) if said else ""),
          flush=True)


async def http_run(side: str, scenario: Scenario, port: int, args: argparse.Namespace,
                   rate: float | None, api: ApiServer | None) -> tuple[Run, str]:
    """The run over connections of its own (servers close those idle for seconds, as they
    would be while another side runs). They are opened one after another, each answering
    one request before the next opens: opened at once, they tend to pile up on one worker.
    For kho, how the connections spread over its workers and their peak memory."""
    connections = []
    sampler = None
    try:
        for _ in range(args.clients):
            connections.append(await HttpConnection.open(HOST, port))
            request = (graphql_request(scenario, scenario.variables[0], port) if side == KHO
                       else postgraphile_request(scenario, scenario.postgraphile_variables[0],
                                                 port))
            status, body = await connections[-1].exchange(request)
            if status != 200:
                raise SystemExit(f"{scenario.label}, {side}: HTTP {status}: {body[:2000]!r}")
        shown = ""
        if api is not None:
            shown = f"; connections per worker: {', '.join(map(str, api.connections_per_worker()))}"
            sampler = asyncio.create_task(api.sample_memory())
        run = await measure(http_calls(side, scenario, connections, port), args.warmup,
                            args.seconds, rate)
        return run, shown
    finally:
        if sampler is not None:
            sampler.cancel()
        for connection in connections:
            connection.close()


@dataclass(frozen=True)
class Figures:
    """A side's figures for one read: the medians over the rounds."""

    rps: float
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, runs: list[Run]) -> Figures:
        return cls(*(statistics.median(getattr(run, what) for run in runs)
                     for what in ("rps", "p50_ms", "p99_ms")))


async def run(chosen: list[Scenario], args: argparse.Namespace, api: ApiServer | None,
              url: str | None, postgraphile_port: int | None = None
              ) -> dict[tuple, Figures]:
    """Every scenario on each side asked for, alternating the sides' order from round to
    round; the medians of their runs."""
    psycopg.types.json.set_json_loads(orjson.loads)
    pool = AsyncConnectionPool(db.libpq_url(url), min_size=args.clients,
                               max_size=args.clients, open=False,
                               kwargs={"autocommit": True}) if url else None
    ports = {side: port for side, port in ((KHO, api and api.port),
                                           (POSTGRAPHILE, postgraphile_port)) if port}
    try:
        if pool is not None:
            await pool.open(wait=True, timeout=30)
        await check_first_answers(chosen, ports, pool)
        sides = [side for side in SIDES if side in ports or (side == SQL and pool)]
        measured: dict[tuple, list[Run]] = {}
        done = set()
        for scenario in chosen:
            for round_ in range(args.rounds):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for rate, side in itertools.product((None, args.paced.get(scenario.key)),
                                                    order):
                    if rate is None and (scenario.key, side, round_) in done:
                        continue  # no paced rate for this scenario
                    if side == SQL:
                        result = await measure(sql_calls(scenario, pool, args.clients),
                                               args.warmup, args.seconds, rate)
                        shown = ""
                    else:
                        result, shown = await http_run(side, scenario, ports[side], args, rate,
                                                       api if side == KHO else None)
                    mode = f"paced at {rate:g}/s" if rate else "closed loop"
                    if result.errors:
                        raise SystemExit(f"{scenario.label}, {side}, {mode}: "
                                         f"{result.errors:,} of {result.requests:,} answers "
                                         f"were wrong; the first: {result.first_error}")
                    print(f"{scenario.label}, {side}, {mode}: {len(result.latencies):,} "
                          f"requests in {result.seconds:g} s after a {args.warmup:g} s "
                          f"warm-up, 0 errors{shown}", flush=True)
                    key = (scenario.key, side) if rate is None else (scenario.key, side, rate)
                    measured.setdefault(key, []).append(result)
                    done.add((scenario.key, side, round_))
        return {key: Figures.of(runs) for key, runs in measured.items()}
    finally:
        if pool is not None:
            await pool.close()


def print_results(chosen: list[Scenario], runs: dict[tuple, Figures],
                  paced: dict[str, float], args: argparse.Namespace,
                  api: ApiServer | None) -> None:
    print(f"\nclosed loop: {args.clients} clients, each sending as soon as its answer came; "
          f"medians of {args.rounds} round(s)")
    _table(chosen, runs, lambda key, side: (key, side))
    if paced:
        print("paced: the same clients sending " + ", ".join(
            f"({k}) {r:g}" for k, r in paced.items()) + " requests a second in all")
        _table([s for s in chosen if s.key in paced], runs,
               lambda key, side: (key, side, paced[key]))
    if EXECUTORS.counts:
        print("kho's answers by executor: " + "; ".join(
            f"({key}) " + ", ".join(f"{n:,} {name}" for name, n in sorted(counts.items()))
            for key, counts in EXECUTORS.counts.items()))
    if api is not None:
        print("kho's peak memory per worker (RSS): " + ", ".join(
            f"{rss / 2**20:,.0f} MiB" for rss in api.peak_rss()))
    print()
    for key, peer, least in GOALS:
        ours, theirs = runs.get((key, KHO)), runs.get((key, peer))
        if ours is None or theirs is None:
            continue
        ratio = ours.rps / theirs.rps
        print(f"goal ({key}) kho at least {least:.2g}x {peer}'s requests/s: {ratio:.2f}x, "
              f"{'met' if ratio >= least else 'NOT MET'}")


# The access log may cost reads at most this much (issue 8): p50 up, or requests/s down.
AUDIT_BUDGET = 0.10


def print_overhead(chosen: list[Scenario], measured: dict[str, list[dict]]) -> None:
    """Medians over the rounds, access log off and on, and what the log costs."""
    print(f"\nthe access log's cost: medians of {len(measured['on'])} round(s) each, "
          f"in the order off on, on off, ...")
    print(f"{'':<22}{'rps off':>9}{'rps on':>9}{'on/off':>8}   {'p50 off':>8}{'p50 on':>8}"
          f"{'on/off':>8}   {'p99 off':>8}{'p99 on':>8}")
    worst = 0.0
    for key in measured["on"][0]:
        scenario, mode = key[0], ("closed loop" if len(key) == 2 else f"paced {key[2]:g}/s")

        rps, p50, p99 = ((_median(measured, "off", key, what), _median(measured, "on", key, what))
                         for what in ("rps", "p50_ms", "p99_ms"))
        # Closed loop: what the log costs in throughput (its p50 is queueing, about
        # clients / throughput); paced at a load both settings sustain: in latency.
        worst = max(worst, 1 - rps[1] / rps[0] if len(key) == 2 else p50[1] / p50[0] - 1)
        print(f"({scenario}) {mode:<17}{rps[0]:>9,.0f}{rps[1]:>9,.0f}{rps[1] / rps[0]:>8.2f}   "
              f"{p50[0]:>8.2f}{p50[1]:>8.2f}{p50[1] / p50[0]:>8.2f}   "
              f"{p99[0]:>8.2f}{p99[1]:>8.2f}")
    verdict = "met" if worst <= AUDIT_BUDGET else "NOT MET"
    print(f"\ngoal: the access log slows reads by at most {AUDIT_BUDGET:.0%} (closed-loop "
          f"requests/s down, or paced p50 up): worst {worst:+.1%}, {verdict}")


def _median(measured: dict[str, list[dict]], setting: str, key: tuple, what: str) -> float:
    return statistics.median(getattr(runs[key], what) for runs in measured[setting])


def _table(chosen: list[Scenario], runs: dict[tuple, Figures], key_of) -> None:
    def cell(value: float | None, width: int, digits: int) -> str:
        return f"{'-':>{width}}" if value is None else f"{value:>{width},.{digits}f}"

    head = "".join(f"{side + ' rps':>17}{'p50 ms':>9}{'p99 ms':>9}" for side in SIDES)
    print(f"{'':<7}{head}{'kho/PostGraphile':>18}{'kho/SQL':>9}")
    for scenario in chosen:
        line = f"{'(' + scenario.key + ')':<7}"
        for side in SIDES:
            figures = runs.get(key_of(scenario.key, side))
            line += "".join(cell(figures and getattr(figures, what), width, digits)
                            for what, width, digits in (("rps", 17, 0), ("p50_ms", 9, 2),
                                                        ("p99_ms", 9, 2)))
        ours = runs.get(key_of(scenario.key, KHO))
        for peer, width in ((POSTGRAPHILE, 18), (SQL, 9)):
            theirs = runs.get(key_of(scenario.key, peer))
            line += cell(ours and theirs and ours.rps / theirs.rps, width, 2)
        print(line)


def sides(text: str) -> list[str]:
    names = {side.lower(): side for side in SIDES}
    chosen = [names.get(name.strip().lower()) for name in text.split(",") if name.strip()]
    if not chosen or None in chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: name sides of {', '.join(SIDES)}")
    return chosen


SCENARIO_KEYS = ("a", "b", "id", "open", "c")


def scenario_keys(text: str) -> list[str]:
    chosen = [key.strip() for key in text.split(",") if key.strip()]
    if not chosen or any(key not in SCENARIO_KEYS for key in chosen):
        raise argparse.ArgumentTypeError(f"{text!r}: name reads of {', '.join(SCENARIO_KEYS)}")
    return chosen


def rates(text: str) -> dict[str, float]:
    pairs = [p.partition("=") for p in text.split(",") if p.strip()]
    if any(not sep or not key.strip() for key, sep, _ in pairs):
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=RPS,...")
    return {key.strip(): float(value) for key, _, value in pairs}


def environment(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env {pair!r} is not KEY=VALUE")
        env[key] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured duration of each scenario on each side")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="untimed load before each measured duration")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    # One per core: at 100,000 persons two workers answered (a) 540-650 times a second
    # where one answered 350-400 (the server's Python is what runs out of CPU first).
    parser.add_argument("--workers", type=int, default=2, help="kho serve --workers")
    parser.add_argument("--sample", type=int, default=2000,
                        help="persons (a) cycles through")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="set in the API's environment (repeatable)")
    parser.add_argument("--sides", type=sides, default=list(SIDES),
                        help="the sides measured, of " + ", ".join(SIDES) + " (default all)")
    parser.add_argument("--scenarios", type=scenario_keys, default=None, metavar="KEY,...",
                        help="measure only these reads, of " + ", ".join(SCENARIO_KEYS)
                        + " (default all; the goals of the others are then not judged)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs per scenario and side, the sides' order alternating")
    parser.add_argument("--paced", type=rates, default=rates(DEFAULT_PACED),
                        metavar="KEY=RPS,...", help="also measure each of these scenarios "
                        f"at a fixed offered load (default {DEFAULT_PACED}; '' for none)")
    parser.add_argument("--port", type=int, default=0, help="the API's port (default: a "
                        "free one)")
    parser.add_argument("--audit-overhead", type=int, default=0, metavar="ROUNDS",
                        help="instead: measure the API with the access log off and on "
                        "(KHO_ACCESS_LOG), alternating, ROUNDS times each; print the medians "
                        "and their ratios")
    args = parser.parse_args()
    env = environment(args.env)

    server = warehouse.ensure_warehouse()
    url, done = bench_warehouse(server, args.scale, args.seed)
    for line in done:
        print(line, flush=True)
    CLIENT_HEADERS.update(bench_client(url))
    chosen, read = scenarios(url, args.sample)
    if args.scenarios:
        chosen = [scenario for scenario in chosen if scenario.key in args.scenarios]
    with db.connect(url) as conn:
        persons = conn.execute("select count(*) from marts.dim_person").fetchone()[0]
        version = conn.execute("show server_version").fetchone()[0]
    api, postgraphile, sql = (side in args.sides for side in SIDES)
    port = args.port or free_port()
    postgraphile_port = free_port() if postgraphile else None
    print(f"warehouse {db.redact(url)}, PostgreSQL {version}; scale {args.scale:,}: "
          f"{persons:,} master persons")
    for scenario in chosen:
        print(f"{scenario.label}: {read[scenario.key]}")
    print(f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f} "
          f"before the run; {args.clients} clients; {args.warmup:g} s warm-up, then "
          f"{args.seconds:g} s per scenario and side")
    if api:
        print(f"kho: kho serve --workers {args.workers} on port {port}, added environment: "
              + (", ".join(args.env) or "none"))
    if postgraphile:
        print(f"PostGraphile {POSTGRAPHILE_VERSION}: --cluster-workers {args.workers} on port "
              f"{postgraphile_port}, over the same marts")
    print(flush=True)

    if args.audit_overhead:
        measured: dict[str, list[dict]] = {"off": [], "on": []}
        for round_ in range(args.audit_overhead):
            # off, on, then on, off: a drift over the run (the log growing, autovacuum, the
            # machine's other work) falls on both settings alike.
            for setting in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                print(f"-- access log {setting}", flush=True)
                with api_server(url, port, args.workers,
                                {**env, "KHO_ACCESS_LOG": setting}) as served:
                    measured[setting].append(uvloop.run(run(chosen, args, served, None)))
        print_overhead(chosen, measured)
        return
    with (api_server(url, port, args.workers, env) if api else nullcontext() as served,
          postgraphile_server(url, postgraphile_port, args.workers) if postgraphile
          else nullcontext() as peer):
        runs = uvloop.run(run(chosen, args, served, url if sql else None, peer))
        print_results(chosen, runs, {k: r for k, r in args.paced.items()
                                     if k in {s.key for s in chosen}}, args, served)


if __name__ == "__main__":
    main()
