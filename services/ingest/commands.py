"""`earshot ingest ...`: tracking rules, resumable import, streaming connectors.

Mounted by the CLI as a sub-app (`app`). Heavy imports stay inside the commands.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from services.ingest.rules.query import QuerySyntaxError, parse, to_text

app = typer.Typer(
    help="Ingest: tracking rules, imports, streaming connectors.", no_args_is_help=True
)
rules_app = typer.Typer(help="Brand tracking queries.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

STREAMS = ("bluesky", "x", "mastodon", "telegram")


def _parse_or_exit(query: str) -> Any:
    try:
        return parse(query)
    except QuerySyntaxError as exc:
        typer.echo(exc.pointer(query), err=True)
        raise typer.Exit(2) from exc


@rules_app.command("check")
def rules_check(query: str) -> None:
    """Parse a query; print its canonical form, or the error under its position."""
    typer.echo(to_text(_parse_or_exit(query)))


@rules_app.command("test")
def rules_test(
    query: str,
    text: str,
    lang: Annotated[str | None, typer.Option(help="The mention's language hint")] = None,
    source: Annotated[str | None, typer.Option(help="The mention's platform")] = None,
) -> None:
    """Does QUERY match TEXT? Exit status 0 when it does, 1 when not."""
    from services.ingest.rules.matcher import CompiledRules, Mention

    rules = CompiledRules({"query": _parse_or_exit(query)})
    matched = bool(rules.match(Mention.of(text, lang, source)))
    typer.echo("match" if matched else "no match")
    raise typer.Exit(0 if matched else 1)


def _store_queries(queries: dict[str, str | None]) -> dict[str, str | None]:
    for query in queries.values():
        if query is not None:
            _parse_or_exit(query)

    async def _store() -> dict[str, str | None]:
        from services.ingest.repo import set_brand_queries
        from services.shared.db import migrate as migrations
        from services.shared.db.embedded import start_embedded_postgres
        from services.shared.db.pool import create_pool
        from services.shared.settings import EarshotSettings

        settings = EarshotSettings()
        dsn = settings.database_url or start_embedded_postgres(settings.data_dir / "postgres")
        await migrations.upgrade(dsn)
        pool = await create_pool(dsn, max_size=2)
        try:
            return await set_brand_queries(pool=pool, queries=queries)
        finally:
            await pool.close()

    try:
        return asyncio.run(_store())
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


@rules_app.command("set")
def rules_set(
    brand: str,
    query: Annotated[str | None, typer.Argument(help="Omit to go back to the keywords")] = None,
) -> None:
    """Store BRAND's tracking query in PostgreSQL (ingest picks it up within a refresh)."""
    canonical = _store_queries({brand: query})[brand]
    typer.echo(f"{brand}: {canonical or 'keywords, hashtags and handles'}")


@rules_app.command("load")
def rules_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="brands YAML")],
) -> None:
    """Store the `query:` of every brand in a brands YAML file (all or none); brands without
    one are left as they are. The brands themselves come from `earshot config load`."""
    import yaml

    document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    queries = {
        str(b["id"]): b["query"]
        for b in document.get("brands", [])
        if isinstance(b, dict) and "query" in b
    }
    for brand, canonical in _store_queries(queries).items():
        typer.echo(f"{brand}: {canonical or 'keywords, hashtags and handles'}")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL or CSV")],
    url: Annotated[str, typer.Option(help="Ingest base URL")] = "http://127.0.0.1:8000",
    batch: Annotated[int, typer.Option(min=1, max=1000)] = 500,
    checkpoint: Annotated[
        Path | None, typer.Option(help="Checkpoint file (default: FILE.checkpoint)")
    ] = None,
    restart: Annotated[bool, typer.Option(help="Ignore a checkpoint; start at line 1")] = False,
    secret: Annotated[
        str | None, typer.Option(envvar="EARSHOT_IMPORT_SECRET", help="Sign posts (HMAC)")
    ] = None,
) -> None:
    """Post a JSONL or CSV export to ingest; resumes after the last acknowledged row."""
    from services.ingest.importer import ImportFailed, import_mentions

    try:
        report = import_mentions(
            file, url=url, batch_size=batch, checkpoint=checkpoint, restart=restart, secret=secret
        )
    except ImportFailed as exc:
        typer.echo(f"import stopped: {exc}; run the same command again to resume", err=True)
        raise typer.Exit(3) from exc
    typer.echo(report.summary())
    if report.rejected_total:
        sys.exit(1)


@app.command("connect")
def connect(
    platform: Annotated[str, typer.Argument(help=" | ".join(STREAMS))],
    url: Annotated[str, typer.Option(help="Ingest base URL")] = "http://127.0.0.1:8000",
    state_dir: Annotated[Path, typer.Option(help="Where cursors are kept")] = Path("var/cursors"),
    token: Annotated[
        str | None, typer.Option(envvar="EARSHOT_CONNECTOR_TOKEN", help="Platform API token")
    ] = None,
    instance: Annotated[str, typer.Option(help="Mastodon instance host")] = "mastodon.social",
    secret: Annotated[
        str | None, typer.Option(envvar="EARSHOT_CONNECTOR_SECRET", help="Sign posts (HMAC)")
    ] = None,
) -> None:
    """Follow a platform stream and post its mentions to ingest, resuming from a cursor."""
    from services.ingest.connectors import bluesky, mastodon, telegram, x
    from services.ingest.connectors import streams as s

    if platform not in STREAMS:
        raise typer.BadParameter(f"one of {', '.join(STREAMS)}")
    if platform != "bluesky" and not token:
        raise typer.BadParameter("this platform needs --token (or EARSHOT_CONNECTOR_TOKEN)")
    tok = token or ""
    plans: dict[str, tuple[Any, Any, Any]] = {
        "bluesky": (s.jetstream, bluesky.convert, bluesky.cursor_of),
        "x": (lambda c: s.x_filtered_stream(c, bearer_token=tok), x.convert, x.cursor_of),
        "mastodon": (
            lambda c: s.mastodon_stream(c, instance=instance, access_token=tok),
            lambda p: mastodon.convert(p, instance=instance),
            lambda p: s.mastodon_cursor(p, instance=instance),
        ),
        "telegram": (
            lambda c: s.telegram_updates(c, bot_token=tok),
            telegram.convert,
            telegram.cursor_of,
        ),
    }
    opener, convert, cursor_of = plans[platform]

    async def _run() -> None:
        import httpx

        from services.ingest.security import TIMESTAMP_HEADER, sign

        async with httpx.AsyncClient(base_url=url, timeout=60) as client:

            async def deliver(mentions: list[dict[str, Any]]) -> None:
                body = json.dumps(mentions, ensure_ascii=False).encode()
                headers = {"content-type": "application/json"}
                if secret:
                    now = int(time.time())
                    headers |= {
                        TIMESTAMP_HEADER: str(now),
                        "x-hub-signature-256": sign(secret, body, now),
                    }
                response = await client.post("/v1/mentions", content=body, headers=headers)
                if response.status_code >= 500 or response.status_code == 429:
                    raise OSError(f"ingest answered {response.status_code}")  # retried by follow

            await s.follow(
                name=platform,
                open_stream=opener,
                convert=convert,
                cursor_of=cursor_of,
                deliver=deliver,
                cursors=s.CursorFile(state_dir / f"{platform}.json"),
            )

    asyncio.run(_run())
