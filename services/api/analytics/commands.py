"""`earshot report --brand acme --period 2026-W47`: a brand's weekly or monthly report.

Writes `report.html`, `report.pdf` and CSV files of the underlying data into
`reports/<brand>/<period>/` (or `--out`). `--period last-week` / `last-month` picks the last
finished one, which is what a Monday cron job runs:

    0 7 * * 1  earshot report --brand acme --period last-week
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from services.api.analytics.period import Period, last_complete, parse_period
from services.api.analytics.report import Report, build_report
from services.api.analytics.spikes import SpikeSettings

app = typer.Typer(help="Brand reports.", no_args_is_help=True)


def resolve_period(label: str, now: datetime) -> Period:
    if label in ("last-week", "last-month"):
        label = last_complete(label.removeprefix("last-"), now)
    return parse_period(label)


async def load_report(*, dsn: str, brand: str, period: Period) -> Report:
    from services.api.analytics import repo
    from services.shared.db.pool import create_pool

    settings = SpikeSettings()
    pool = await create_pool(dsn, max_size=2)
    try:
        data = await repo.report_data(
            pool=pool,
            brand_id=brand,
            start=period.start,
            end=period.end,
            previous_start=period.previous().start,
            spikes=settings,
        )
    finally:
        await pool.close()
    return build_report(data, period, spike_settings=settings)


@app.command("report")
def report(
    brand: Annotated[str, typer.Option(help="Brand id, e.g. skyvela")],
    period: Annotated[
        str, typer.Option(help="2026-W47 (ISO week), 2026-11 (month), last-week or last-month")
    ] = "last-week",
    out: Annotated[Path | None, typer.Option(help="Folder (default reports/BRAND/PERIOD)")] = None,
) -> None:
    """Weekly or monthly brand report: HTML, PDF and CSV."""
    from services.api.analytics.render import write_report
    from services.shared.db import migrate as migrations
    from services.shared.db.embedded import start_embedded_postgres
    from services.shared.settings import EarshotSettings

    try:
        chosen = resolve_period(period, datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    settings = EarshotSettings()
    dsn = settings.database_url or start_embedded_postgres(settings.data_dir / "postgres")

    async def work() -> Report:
        await migrations.upgrade(dsn)
        return await load_report(dsn=dsn, brand=brand, period=chosen)

    try:
        built = asyncio.run(work())
    except LookupError as exc:
        raise typer.BadParameter(str(exc), param_hint="--brand") from exc
    folder = out or Path("reports") / brand / chosen.label
    written: dict[str, Any] = write_report(built, folder)
    typer.echo(json.dumps({"brand": brand, "period": chosen.label, **written}))
