"""`earshot rules load FILE` and `earshot rules dry-run FILE --days N`.

The YAML format is documented in docs/routing.md. `load` validates the whole file before
writing anything, then writes it in one transaction; running routers pick it up within ten
seconds. `dry-run` never writes: it evaluates the file's rules against the mentions stored in
the last N days and prints what would change, as JSON.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import asyncpg
import typer
import yaml
from pydantic import ValidationError

from schemas import Classification, MentionReceived
from services.router import repo
from services.router.config import RoutingFile, load_routing_file
from services.router.routing import RoutingThresholds
from services.router.routing.dryrun import DryRunReport, decision_from_json
from services.router.routing.rules import apply_rules, compile_rules
from services.router.settings import RouterSettings

__all__ = ["app", "dry_run", "read_routing_file"]

app = typer.Typer(help="Routing rules, SLA policies and responders.", no_args_is_help=True)
T = TypeVar("T")


def read_routing_file(path: Path) -> RoutingFile:
    """Parse and validate; raises typer.BadParameter with every problem and its location."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return RoutingFile.model_validate(document)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise typer.BadParameter(f"{path}: {problems}") from exc


def _with_pool(work: Callable[[asyncpg.Pool[Any]], Awaitable[T]]) -> T:
    from services.shared.db import migrate as migrations
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.db.pool import create_pool
    from services.shared.settings import EarshotSettings

    async def run() -> T:
        settings = EarshotSettings()
        dsn = settings.database_url or start_embedded_postgres(settings.data_dir / "postgres")
        await migrations.upgrade(dsn)
        pool = await create_pool(dsn, max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Rules YAML")]


@app.command("load")
def load(file: FileArg) -> None:
    """Replace the routing rules (and upsert SLA policies, responders, team settings)."""
    document = read_routing_file(file)

    async def work(pool: asyncpg.Pool[Any]) -> dict[str, int]:
        return await load_routing_file(pool=pool, document=document)

    try:
        typer.echo(json.dumps(_with_pool(work)))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command("dry-run")
def dry_run_command(
    file: FileArg,
    days: Annotated[int, typer.Option(min=1, max=366, help="Look back this many days")] = 7,
    limit: Annotated[int, typer.Option(min=1, help="At most this many mentions")] = 200_000,
) -> None:
    """Evaluate the file's rules against stored mentions; print what would change (JSON)."""
    document = read_routing_file(file)

    async def work(pool: asyncpg.Pool[Any]) -> DryRunReport:
        return await dry_run(
            pool=pool, document=document, since=datetime.now(UTC) - timedelta(days=days),
            limit=limit,
        )  # fmt: skip

    typer.echo(json.dumps(_with_pool(work).as_json(), indent=2))


async def dry_run(
    *,
    pool: asyncpg.Pool[Any],
    document: RoutingFile,
    since: datetime,
    limit: int,
    thresholds: RoutingThresholds | None = None,
) -> DryRunReport:
    """Re-route stored mentions with the proposed rules, in memory; nothing is written.
    Abuse thresholds: the router's settings (`EARSHOT_ABUSE_*_THRESHOLD`) unless given."""
    rules = compile_rules(document.rules)
    thresholds = thresholds or RouterSettings().thresholds()
    async with pool.acquire() as connection:
        rows = await repo.recent_classified_mentions(
            connection=connection, since=since, limit=limit
        )
    report = DryRunReport()
    for row in rows:
        mention = MentionReceived(
            mention_id=row["id"],
            source=row["source"],
            source_id=row["source_id"],
            brand=row["brand"],
            text=row["text"],
            author=row["author"],
            url=row["url"],
            lang=row["lang_hint"],
            created_at=row["created_at"],
            received_at=row["received_at"],
            thread_id=row["thread_id"],
            parent_id=row["parent_id"],
        )
        classification = Classification.model_validate(row["classification"])
        proposed = apply_rules(rules, mention, classification, thresholds)
        report.add(decision_from_json(row["route"]), proposed)
    return report
