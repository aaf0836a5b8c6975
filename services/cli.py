"""`earshot` command line: run, serve, migrate, import, config, and the services' own commands."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Earshot social listening.")
config_app = typer.Typer(no_args_is_help=True, help="Brands, teams and tracking rules.")
app.add_typer(config_app, name="config")
dlq_app = typer.Typer(no_args_is_help=True, help="Inspect and replay dead-lettered messages.")
app.add_typer(dlq_app, name="dlq")

SERVICES = ("ingest", "classifier", "router", "api")


def _uvicorn(app_factory: Any, host: str, port: int, log_level: str) -> None:
    import uvicorn

    uvicorn.run(
        app_factory,
        host=host,
        port=port,
        log_level=log_level.lower(),
        log_config=None,  # our JSON logging
        timeout_graceful_shutdown=30,
    )


@app.command()
def run(
    port: Annotated[int | None, typer.Option(help="HTTP port (default 8000)")] = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1)")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where embedded PostgreSQL keeps data")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Replay the bundled demo stream")] = True,
) -> None:
    """Everything on this machine: embedded PostgreSQL, in-process bus, all four services."""
    from services.embedded import EmbeddedSettings, build_embedded_app
    from services.shared.logging import configure_logging

    overrides: dict[str, Any] = {"bus": "postgres", "demo": demo}
    if port is not None:
        overrides["http_port"] = port
    if host is not None:
        overrides["http_host"] = host
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = EmbeddedSettings(**overrides)
    configure_logging(settings.log_level, os.environ.get("EARSHOT_LOG_FORMAT", "text"))
    url = f"http://{settings.http_host}:{settings.http_port}"
    typer.echo(
        f"\nEarshot is starting (embedded mode, data in {settings.data_dir}/).\n"
        f"  API docs:   {url}/docs\n"
        f"  Cases:      {url}/v1/cases\n"
        f"  Brands:     {url}/v1/brands\n"
        f"  Post mentions: {url}/v1/mentions (see README)\n"
        "Stop with Ctrl-C.\n"
    )
    _uvicorn(
        build_embedded_app(settings), settings.http_host, settings.http_port, settings.log_level
    )


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="ingest | classifier | router | api")],
    port: Annotated[int | None, typer.Option(help="HTTP port (health, metrics, routes)")] = None,
) -> None:
    """Run one service in its own process (distributed mode: Kafka + PostgreSQL)."""
    from services.shared.logging import configure_logging

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    app_, settings = _service_app(service, port)
    configure_logging(settings.log_level, settings.log_format)
    _uvicorn(app_, settings.http_host, settings.http_port, settings.log_level)


def _service_app(service: str, port: int | None) -> tuple[Any, Any]:
    from services.shared.runtime import build_app

    overrides = {"http_port": port} if port is not None else {}
    if service == "ingest":
        from services.ingest import main as ingest
        from services.ingest.settings import IngestSettings

        s = IngestSettings(**overrides)
        return build_app(
            title="Earshot ingest",
            settings=s,
            factories=[ingest.component(s)],
            routers=[ingest.router],
        ), s
    if service == "classifier":
        from services.classifier import main as classifier
        from services.classifier.settings import ClassifierSettings

        s = ClassifierSettings(**overrides)
        return build_app(
            title="Earshot classifier", settings=s, factories=[classifier.component(s)]
        ), s
    if service == "router":
        from services.router import main as router
        from services.router.settings import RouterSettings

        s = RouterSettings(**overrides)
        return build_app(title="Earshot router", settings=s, factories=[router.component(s)]), s
    from services.api import main as api
    from services.api.analytics import main as analytics
    from services.shared.settings import EarshotSettings

    s = EarshotSettings(**overrides)
    # The API process also hosts the listening-alert watcher (analytics is the API's side).
    return build_app(
        title="Earshot API",
        settings=s,
        factories=[api.component(), analytics.component()],
        routers=api.ROUTERS,
    ), s


@app.command()
def migrate() -> None:
    """Bring the PostgreSQL schema to the latest version (also done at every service start)."""
    from services.shared.db import migrate as migrations
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.settings import EarshotSettings

    settings = EarshotSettings()
    dsn = settings.database_url or start_embedded_postgres(settings.data_dir / "postgres")
    migrations.upgrade_sync(dsn)
    typer.echo("schema is up to date")


@config_app.command("load")
def config_load(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Upsert brands and teams from YAML files (see services/shared/demo/*.yaml)."""
    from services.shared.config import load_config
    from services.shared.db import migrate as migrations
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.db.pool import create_pool
    from services.shared.settings import EarshotSettings

    async def _load() -> dict[str, int]:
        settings = EarshotSettings()
        dsn = settings.database_url or start_embedded_postgres(settings.data_dir / "postgres")
        await migrations.upgrade(dsn)
        pool = await create_pool(dsn, max_size=2)
        try:
            return await load_config(pool, *files)
        finally:
            await pool.close()

    typer.echo(asyncio.run(_load()))


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL or CSV")],
    url: Annotated[str, typer.Option(help="Ingest base URL")] = "http://127.0.0.1:8000",
    batch: Annotated[int, typer.Option(min=1, max=1000)] = 500,
) -> None:
    """Post mentions from a JSONL or CSV export to ingest, with a progress bar."""
    from services.ingest.importer import import_mentions

    report = import_mentions(file, url=url, batch_size=batch)
    typer.echo(report.summary())
    if report.rejected:
        sys.exit(1)


@app.command()
def bench(
    url: Annotated[str, typer.Option(help="Ingest base URL")] = "http://127.0.0.1:8000",
    dsn: Annotated[str | None, typer.Option(help="PostgreSQL DSN (default: settings)")] = None,
    rate: Annotated[float, typer.Option(help="Mentions/s; 0 = as fast as it goes")] = 400,
    duration: Annotated[float, typer.Option(help="Seconds of load")] = 60,
    batch: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 4,
    brand: Annotated[list[str] | None, typer.Option(help="Brands to mention (repeatable)")] = None,
    seed: int = 1,
) -> None:
    """Load a running Earshot with synthetic multilingual mentions; print throughput and
    per-stage latency as JSON. `make bench` runs the whole pipeline locally around it."""
    import json

    from services.loadtest.driver import drive
    from services.loadtest.synth import StreamShape, mentions
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.db.pool import create_pool
    from services.shared.settings import EarshotSettings

    async def _run() -> dict[str, Any]:
        settings = EarshotSettings()
        target = dsn or settings.database_url
        target = target or start_embedded_postgres(
            settings.data_dir / "postgres", stop_at_exit=False
        )
        pool = await create_pool(target, max_size=3)
        brands = tuple(brand or [r["id"] for r in await pool.fetch("SELECT id FROM brands")])
        if not brands:
            raise typer.BadParameter("no brands configured; load some with `earshot config load`")
        tag = f"bench{int(datetime.now(UTC).timestamp())}"
        stream = mentions(StreamShape(brands), seed=seed, start=datetime.now(UTC), run_tag=tag)
        try:
            result = await drive(
                stream, url=url, pool=pool, run_tag=tag, rate=rate or None,
                duration_s=duration, batch=batch, concurrency=concurrency,
            )  # fmt: skip
        finally:
            await pool.close()
        return result.as_dict()

    typer.echo(json.dumps(asyncio.run(_run()), indent=1))


def _dlq(
    *,
    replay: bool,
    group: list[str] | None,
    code: list[str] | None,
    since: datetime | None,
    until: datetime | None,
    event_id: list[str] | None,
    limit: int | None,
    dry_run: bool,
) -> None:
    from services.shared.bus import build_bus
    from services.shared.bus.replay import Selection, replay_dead_letters
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.db.pool import create_pool
    from services.shared.settings import EarshotSettings

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    async def _run() -> Any:
        settings = EarshotSettings()
        pool = None
        if settings.bus == "postgres":
            dsn = settings.database_url or start_embedded_postgres(settings.data_dir / "postgres")
            pool = await create_pool(dsn, max_size=2)
        bus = build_bus(settings, pool)
        await bus.start()
        try:
            return await replay_dead_letters(
                bus,
                selection=Selection(
                    frozenset(group or ()),
                    frozenset(code or ()),
                    aware(since),
                    aware(until),
                    frozenset(event_id or ()),
                ),
                topic_prefix=settings.topic_prefix,
                dry_run=dry_run or not replay,
                limit=limit,
            )
        finally:
            await bus.stop()
            if pool is not None:
                await pool.close()

    report = asyncio.run(_run())
    for eid, dead in report.listed:
        origin = dead.origin
        typer.echo(
            f"{dead.failed_at.isoformat()}  {dead.consumer_group:<20} {dead.error.code:<18} "
            f"{origin.topic}[{origin.partition}]@{origin.offset}  {eid}  {dead.error.message[:80]}"
        )
    if replay and not dry_run:
        typer.echo(report.summary())
    if report.unreadable or (replay and report.skipped):
        sys.exit(1)


_GROUP = typer.Option(help="Only this consumer group (repeatable)")
_CODE = typer.Option(help="Only this error code (repeatable)")
_SINCE = typer.Option(help="Failed at or after (ISO-8601, UTC if no zone)")
_UNTIL = typer.Option(help="Failed before (ISO-8601)")
_ID = typer.Option("--id", help="Only this DLQ event id (repeatable)")


@dlq_app.command("list")
def dlq_list(
    group: Annotated[list[str] | None, _GROUP] = None,
    code: Annotated[list[str] | None, _CODE] = None,
    since: Annotated[datetime | None, _SINCE] = None,
    until: Annotated[datetime | None, _UNTIL] = None,
    event_id: Annotated[list[str] | None, _ID] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """List dead letters not yet replayed (nothing is sent, nothing committed)."""
    _dlq(replay=False, group=group, code=code, since=since, until=until, event_id=event_id,
         limit=limit, dry_run=True)  # fmt: skip


@dlq_app.command("replay")
def dlq_replay(
    group: Annotated[list[str] | None, _GROUP] = None,
    code: Annotated[list[str] | None, _CODE] = None,
    since: Annotated[datetime | None, _SINCE] = None,
    until: Annotated[datetime | None, _UNTIL] = None,
    event_id: Annotated[list[str] | None, _ID] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    dry_run: Annotated[bool, typer.Option(help="Show what would be replayed")] = False,
) -> None:
    """Send selected dead letters back to their original topic, byte for byte."""
    _dlq(replay=True, group=group, code=code, since=since, until=until, event_id=event_id,
         limit=limit, dry_run=dry_run)  # fmt: skip


def _sla_commands() -> None:
    from services.router.sla.commands import app as sla_app

    app.add_typer(sla_app, name="sla", help="Business-hours SLA calculator.")


def _rules_commands() -> None:
    from services.router.commands import app as rules_app

    app.add_typer(rules_app, name="rules", help="Routing rules: load a file, dry-run it.")


def _report_commands() -> None:
    from services.api.analytics.commands import app as report_app

    app.registered_commands += report_app.registered_commands


def _ingest_commands() -> None:
    from services.ingest.commands import app as ingest_app

    app.add_typer(ingest_app, name="ingest", help="Tracking rules, imports, stream connectors.")


def _classifier_commands() -> None:
    try:
        from services.classifier.commands import app as classifier_app
    except ImportError:  # the classifier's training commands need its optional extras
        return
    app.registered_commands += classifier_app.registered_commands


# Commands that live next to the code they drive, by the function that registers them (in
# the order `earshot --help` lists them).
SERVICE_COMMANDS = {
    "report": _report_commands,
    "classify": _classifier_commands,
    "train": _classifier_commands,
    "sla": _sla_commands,
    "rules": _rules_commands,
    "ingest": _ingest_commands,
}


def _register_service_commands(command: str | None = None) -> None:
    """Register the service commands: only the one `command` names when it is one of them
    (`earshot classify --help` then took 0.53 s against 0.66 s, median of 5 on 2 cores:
    the router's and the reports' imports are skipped), else all of them (help, a typo)."""
    chosen = SERVICE_COMMANDS.get(command or "")
    for register in [chosen] if chosen else dict.fromkeys(SERVICE_COMMANDS.values()):
        register()


def main() -> None:
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    _register_service_commands(command)
    app()


if __name__ == "__main__":
    main()
