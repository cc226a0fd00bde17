"""The `gongzhi` command.

Its stdout carries only data (tokens, JSON lines); logs, progress and messages go to stderr. Bad
input ends a command with one line on stderr and exit code 2, never a traceback. SIGTERM and SIGHUP
end a command through SystemExit, so that atexit lets go of an embedded PostgreSQL it started."""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from backend import bootstrap, config, logs
from backend.domain.access import Role
from backend.domain.errors import GongzhiError, InvalidInput

app = typer.Typer(help="Gongzhi (共治): the system of record for community co-governance.", no_args_is_help=True)
projections_app = typer.Typer(help="Read models: rebuild them from the log, or see how far they are.")
events_app = typer.Typer(help="The event log, as JSON lines.")
schema_app = typer.Typer(help="The exported GraphQL schema and event catalog.")
app.add_typer(projections_app, name="projections")
app.add_typer(events_app, name="events")
app.add_typer(schema_app, name="schema")
operations_app = typer.Typer(help="The app's operations (frontend-spec/operations/): its persisted documents.")
app.add_typer(operations_app, name="operations")
console = Console(stderr=True)


EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
SHUTDOWN_GRACE_S = 10  # how long a stopping server waits for requests in flight (then it cancels them)


def main() -> None:
    logs.configure()
    for signum in EXIT_SIGNALS:
        signal.signal(signum, _exit_on_signal)
    try:
        app()
    except GongzhiError as e:
        _fail(e.message, 2 if isinstance(e, InvalidInput) else 1)
    except (OSError, PersistenceError) as e:  # a file that cannot be written, a database that cannot be reached
        _fail(f"{type(e).__name__}: {e}".splitlines()[0], 1)


def _exit_on_signal(signum: int, _frame: object) -> None:
    """Leave through SystemExit (the default action would skip atexit, and an embedded PostgreSQL
    this process started would keep running with its PID in the handle list)."""
    raise SystemExit(128 + signum)


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, demo: bool = typer.Option(False, help="Load demo data."),
          workers: int = typer.Option(1, min=1, max=64, help="API processes on this port (each with its own pools "
                                      "and live feed)."),
          no_projections: bool = typer.Option(False, "--no-projections",
                                              help="Run no projections here: `gongzhi projector` processes do.")
          ) -> None:
    """Start the GraphQL API (and an embedded PostgreSQL when GONGZHI_DATABASE_URL is not set).

    By default one process does everything: the API, the projections, the checkpoints. In a cluster,
    API processes run with --no-projections beside `gongzhi projector` processes."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from backend.api.app import WORKER_PROJECTIONS, create_app

    settings = config.load()
    where = settings.database_url and "GONGZHI_DATABASE_URL" or f"embedded PostgreSQL in {settings.data_dir}"

    async def on_start(platform: bootstrap.Platform) -> None:
        if demo:
            await _load_demo(platform)
        _announce(settings, where, host, port, platform.audit.signer)

    level = logs.level_name()
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"  # logs on stderr, like every other
    options = {"host": host, "port": port, "log_level": level.lower(), "log_config": log_config,
               "access_log": logging.getLevelName(level) <= logging.INFO,
               "timeout_graceful_shutdown": SHUTDOWN_GRACE_S}
    if workers == 1:
        # uvicorn shuts down gracefully on SIGTERM and then re-raises it; exiting through
        # SystemExit (not the default action) lets atexit stop an embedded PostgreSQL cleanly.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        uvicorn.run(create_app(settings, on_start, run_projections=not no_projections), **options)
        return
    # Several processes: this one starts an embedded PostgreSQL (if it is the store) and loads the demo, once;
    # uvicorn's supervisor then starts the workers (backend.api.app:worker_app), restarts one that dies, and on
    # SIGTERM stops them all. Their metrics go to one folder, so that a scrape of any of them shows all.
    os.environ["GONGZHI_DATABASE_URL"] = bootstrap.database_url(settings)
    os.environ[WORKER_PROJECTIONS] = "0" if no_projections else "1"
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="gongzhi-metrics-"))

    async def prepare(platform: bootstrap.Platform) -> None:
        if demo:
            await _load_demo(platform)
        _announce(settings, where, host, port, platform.audit.signer)
        console.print(f"{workers} API worker processes" + (" (no projections)" if no_projections else ""))
    run(prepare)
    uvicorn.run("backend.api.app:worker_app", factory=True, workers=workers, **options)


async def _load_demo(platform: bootstrap.Platform) -> None:
    from backend.cli.demo import seed
    count = await platform.commands.run(seed, platform.app)
    if count and platform.ballots is not None:  # P26: the demo's ballots all counted, the last ones too
        await platform.ballots.release_due(force=True)
    console.print(f"demo data: {count} communities loaded" if count else "demo data: already loaded")


def _announce(settings: config.Settings, where: str, host: str, port: int, signer: object | None) -> None:
    """Where the API is, the checkpoints' public key, and sample tokens (the demo's roles, the app signed in)."""
    from backend.api.auth import issue
    from backend.cli.demo import APP_ACTORS, ORGANIZATIONS
    console.print(f"[bold]Gongzhi[/bold] on {where}")
    console.print(f"GraphQL: http://{host}:{port}/graphql")
    if signer is not None:  # the key the log's checkpoints are signed with (backend/audit/)
        console.print(f"Checkpoint public key (Ed25519): {signer.public_key}", markup=False)  # type: ignore[attr-defined]
    if settings.production:  # a token signed with the real secret does not belong in a production log
        console.print("Sample tokens are not printed in production: `gongzhi token --role ROLE --scope CODE --actor ID` makes one.")
        return
    console.print("Sample tokens (Authorization: Bearer <token>):")
    for role, scope, actor in ((Role.ADMIN, "", "admin"), (Role.STREET_OFFICE, "320102001", "street-320102001"),
                               (Role.COMMITTEE, "320102001001", "committee-320102001001"),
                               (Role.AUDITOR, "320102", "auditor")):
        console.print(f"  {role.value:<14} scope {scope or '(all)':<13}",
                      issue(settings.secret, actor, role, scope, organization=ORGANIZATIONS.get(actor)),
                      soft_wrap=True)
    console.print("The app, signed in as each demo role (open on a phone):")
    for role, scope, actor in APP_ACTORS:  # the committee's first
        signed = issue(settings.secret, actor, role, scope, organization=ORGANIZATIONS.get(actor))
        console.print(f"App ({role.value}): http://{host}:{port}/app#token={signed}", soft_wrap=True,
                      markup=False, highlight=False)


@app.command()
def projector(host: str = "127.0.0.1", port: int = typer.Option(8001, help="Port of /healthz, /readyz, /metrics.")
              ) -> None:
    """Run the projections and nothing of the API (with the log's checkpoints and the secret ballots' releases).

    Any number may run against one store: each projection is leased to one of them at a time (a
    PostgreSQL advisory lock); the others stand by and take over within about a second of its holder's
    end, from the projection's tracked position."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from backend.api.app import create_projector_app

    level = logs.level_name()
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(create_projector_app(config.load()), host=host, port=port, log_level=level.lower(),
                log_config=log_config, access_log=False, timeout_graceful_shutdown=SHUTDOWN_GRACE_S)


@app.command()
def token(role: Role = typer.Option(..., help="The actor's role."),
          scope: str = typer.Option("", help="Division-code prefix the actor works in."),
          actor: str = typer.Option(..., help="The actor's id."),
          ttl: int = typer.Option(30 * 24 * 3600, help="Seconds until it expires."),
          org: str | None = typer.Option(None, "--org", help="The actor's organization (所属单位), e.g. 区民政局: "
                                         "every event the actor causes records it."),
          new_secret: bool = typer.Option(False, "--new-secret",
                                          help="Make a secret in the data folder if there is none.")) -> None:
    """Print a bearer token for the server's secret: GONGZHI_SECRET, or the file in GONGZHI_DATA_DIR.

    Says on stderr which secret it used. Without either, it refuses (exit 2) unless --new-secret:
    a token signed with a secret the server does not have would be rejected."""
    from backend.api.auth import issue
    settings, made = config.load(make_secret=False), ""
    if not settings.secret:
        if not new_secret:
            _fail(f"no token secret: GONGZHI_SECRET is not set and {config.secret_path(settings.data_dir)} does "
                  "not exist; set the server's GONGZHI_DATA_DIR or GONGZHI_SECRET, or pass --new-secret", 2)
        settings, made = config.load(make_secret=True), " (made now)"
    signed = issue(settings.secret, actor, role, scope, ttl, org)
    print(f"secret: {config.secret_source(settings.data_dir)}{made}", file=sys.stderr)
    print(signed)


def run(coro_fn):
    """Run an async command on a started platform. While the event loop runs, SIGTERM and SIGHUP come
    to it as loop callbacks that cancel the command (a Python-level handler raising SystemExit mid-loop
    can be lost in a finalizer, and the process would run on); it leaves through SystemExit(128 + signal)
    once the platform has stopped, so that atexit stops an embedded PostgreSQL."""
    received: list[int] = []

    async def go():
        loop, command = asyncio.get_running_loop(), asyncio.current_task()
        signals = EXIT_SIGNALS if threading.current_thread() is threading.main_thread() else ()  # (a test's thread)
        for signum in signals:
            loop.add_signal_handler(signum, lambda signum=signum: (received.append(signum), command.cancel()))
        try:
            platform = await bootstrap.start(config.load(make_secret=False), follow=False)  # it signs no token
            try:
                return await coro_fn(platform)
            finally:
                await platform.stop()
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)
                signal.signal(signum, _exit_on_signal)  # removing the loop's handler left the default action

    try:
        return asyncio.run(go())
    except asyncio.CancelledError:
        if received:
            raise SystemExit(128 + received[0]) from None
        raise


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Rebuild every read model from the log (one transaction; readers see the old tables until it commits)."""
    async def go(platform: bootstrap.Platform) -> int:
        with Progress(*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console) as progress:
            bar = progress.add_task("rebuilding", total=None)
            return await platform.projections.rebuild(lambda done, head: progress.update(bar, completed=done,
                                                                                         total=head))
    from projections.runner import ProjectionFailed
    try:
        count = run(go)
    except ProjectionFailed as e:  # one line naming the projection, the event and the error; no traceback
        print(e, file=sys.stderr)
        raise typer.Exit(1) from None
    console.print(f"rebuilt every read model from {count} events")


@projections_app.command("status")
def projections_status() -> None:
    """Each projection's position in the log, its lag, and its state: ok, or stalled at an event (its
    position and type) with the error."""
    rows = run(lambda platform: platform.projections.status())
    table = Table("projection", "state", "position", "head", "lag", "stalled at", "event type", "error")
    for row in rows:
        table.add_row(str(row["name"]), str(row["state"]), str(row["position"]), str(row["head"]), str(row["lag"]),
                      str(row["failedPosition"] or ""), str(row["eventType"] or ""), Text(row["error"] or ""))
    Console(width=None if sys.stdout.isatty() else 240).print(table)


def _print(event) -> None:
    sys.stdout.write(json.dumps(event.as_json(), ensure_ascii=False) + "\n")
    sys.stdout.flush()


@events_app.command("export")
def events_export(after: int = 0, output: Path | None = typer.Option(None, "--output", "-o")) -> None:
    """Write the whole log after a position as JSON lines (stdout, or --output)."""
    async def go(platform: bootstrap.Platform) -> int:
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        position, count = after, 0
        try:
            while batch := await platform.events.read(position, 1000):
                for event in batch:
                    out.write(json.dumps(event.as_json(), ensure_ascii=False) + "\n")
                position, count = batch[-1].position, count + len(batch)
        finally:
            if output:
                out.close()
        return count
    count = run(go)
    console.print(f"exported {count} events")


@events_app.command("tail")
def events_tail(after: int | None = typer.Option(None, help="Start after this position (default: the end).")) -> None:
    """Follow the log live, printing each event as a JSON line (Ctrl-C to stop)."""
    async def go(platform: bootstrap.Platform) -> None:
        await platform.feed.start()
        start = platform.feed.head if after is None else after
        async for event in platform.feed.follow(start, lambda e: True):
            _print(event)
    try:
        run(go)
    except KeyboardInterrupt:
        pass


@app.command()
def history(entity_id: str) -> None:
    """Every event of one entity (a UUID, or a community's code), oldest first, as JSON lines."""
    async def go(platform: bootstrap.Platform) -> int:
        events = await platform.events.stream(platform.app.stream_id(entity_id))
        for event in events:
            _print(event)
        return len(events)
    if run(go) == 0:
        console.print(f"no events for {entity_id}")
        raise typer.Exit(1)


@app.command()
def bench(quick: bool = typer.Option(False, "--quick", help="Smaller loads; under 5 minutes."),
          json_file: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON."),
          tiny: bool = typer.Option(False, "--tiny", hidden=True, help="A token load, for the smoke test.")) -> None:
    """Measure every hot path against its physical baseline (starts its own database and server)."""
    from bench.run import run as run_bench
    run_bench(quick, json_file, tiny)


@schema_app.command("export")
def schema_export(directory: Path = typer.Option(Path("schema"), help="Where schema.graphql and events/ go.")) -> None:
    """Write the served SDL and the event catalog (the tests check both against the code)."""
    from backend.schema_artifacts import write
    for path in write(directory):
        console.print(f"wrote {path}")


@operations_app.command("manifest")
def operations_manifest(
        directory: Path | None = typer.Option(None, help="The operations' folder (default: frontend-spec/operations)."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Where to write (default: manifest.json in it).")
) -> None:
    """Write the persisted documents' manifest (Apollo's format; ids are the SHA-256 of each file's text)."""
    from graphql import GraphQLError

    from backend.api.documents import OPERATIONS, write_manifest
    try:
        path = write_manifest(directory or OPERATIONS, output)
    except (ValueError, GraphQLError) as e:  # a file that holds no single named operation, or one that does not parse
        _fail(str(e).splitlines()[0], 2)
    console.print(f"wrote {path}")


from backend.cli.screenshots import screenshots

app.command()(screenshots)

from backend.cli.archive import archive_app  # P9: the community's electronic archive

app.add_typer(archive_app, name="archive")

from backend.cli.audit import audit_app  # the verifiable log: verify, checkpoint, export and verify-bundle

app.add_typer(audit_app, name="audit")

from backend.cli.fuzz import fuzz  # the whole schema fuzzed over HTTP (needs the test extras)

app.command("fuzz")(fuzz)

from backend.cli.ballots import ballots_app  # P26: secret ballots: release the box's due ballots, recount a campaign

app.add_typer(ballots_app, name="ballots")

from backend.cli.relay import relay as _relay  # the integrators' stream on NATS JetStream (issue 11)

app.command("relay")(_relay)
