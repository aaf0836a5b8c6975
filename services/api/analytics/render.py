"""A brand report as HTML (inline SVG charts), PDF (same charts, A4 pages) and CSV files.

Charts are drawn with matplotlib's Agg backend: no display, no browser, no network. The HTML
is one self-contained file (charts inline, text escaped) that mail clients and browsers show
as it is; the PDF is what gets attached to the Monday mail.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from services.api.analytics.report import Report

COLOURS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.1f} h"


def draw_volume(axes: Axes, report: Report) -> None:
    short = len(report.days) <= 8
    labels = [d.day.strftime("%a %d" if short else "%d") for d in report.days]
    bottom = [0] * len(report.days)
    for key in ("negative", "neutral", "positive"):
        values = [getattr(d, key) for d in report.days]
        axes.bar(labels, values, bottom=bottom, color=COLOURS[key], label=key)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title("Mentions per day by sentiment", loc="left")
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    if not short:
        axes.tick_params(axis="x", labelsize=7)


def draw_share(axes: Axes, report: Report) -> None:
    rows = report.share_of_voice[::-1]
    names = [row["name"] for row in rows]
    left = [0.0] * len(rows)
    for key in ("negative", "neutral", "positive"):
        if key == "neutral":
            values = [
                row["share"]
                * (1 - (int(row["positive"]) + int(row["negative"])) / int(row["mentions"]))
                if int(row["mentions"])
                else 0.0
                for row in rows
            ]
        else:
            values = [
                row["share"] * int(row[key]) / int(row["mentions"]) if int(row["mentions"]) else 0.0
                for row in rows
            ]
        axes.barh(names, values, left=left, color=COLOURS[key], label=key)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_title("Share of voice, split by sentiment", loc="left")
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)


def charts(report: Report) -> list[Figure]:
    volume, axes = plt.subplots(figsize=(8, 3.2), layout="constrained")
    draw_volume(axes, report)
    share, axes = plt.subplots(
        figsize=(8, 0.9 + 0.45 * max(len(report.share_of_voice), 1)), layout="constrained"
    )
    draw_share(axes, report)
    return [volume, share]


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def summary_lines(report: Report) -> list[tuple[str, str]]:
    change = report.change
    return [
        (
            "Mentions",
            f"{report.total:,}" + ("" if change is None else f" ({change:+.0%} vs previous)"),
        ),
        ("Positive / neutral / negative", " / ".join(f"{report.sentiment[k]:,}" for k in COLOURS)),
        ("Net sentiment", "—" if report.net_sentiment is None else f"{report.net_sentiment:+.2f}"),
        ("Urgent (high or critical)", f"{report.urgent:,}"),
        ("Languages", ", ".join(f"{code} {n}" for code, n in report.languages[:8]) or "—"),
        ("Alerts (spikes)", str(len(report.spikes))),
    ]


def tables(report: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for every table of the report, shared by HTML, PDF and CSV."""
    return [
        (
            "Share of voice",
            ["brand", "mentions", "share", "positive", "negative"],
            [
                [
                    r["name"],
                    str(r["mentions"]),
                    _pct(r["share"]),
                    str(r["positive"]),
                    str(r["negative"]),
                ]
                for r in report.share_of_voice
            ],
        ),
        ("Top terms", ["term", "posts"], [[t, str(n)] for t, n in report.topics.terms]),
        ("Top hashtags", ["hashtag", "posts"], [[t, str(n)] for t, n in report.topics.hashtags]),
        ("Top phrases", ["phrase", "posts"], [[t, str(n)] for t, n in report.topics.phrases]),
        (
            "Most influential authors",
            ["author", "followers", "mentions", "negative"],
            [
                [a.handle, f"{a.followers:,}", str(a.mentions), str(a.negative)]
                for a in report.authors
            ],
        ),
        (
            "Alerts fired",
            ["kind", "window start (UTC)", "what"],
            [[s.kind, s.window_start.strftime("%Y-%m-%d %H:%M"), s.summary] for s in report.spikes],
        ),
        (
            "SLA compliance (first response)",
            [
                "team",
                "cases",
                "within SLA",
                "breached",
                "% within",
                "median (business)",
                "p90 (business)",
                "median (wall)",
            ],
            [
                [
                    r["team"],
                    str(r["cases"]),
                    str(r["within_sla"]),
                    str(r["breached"]),
                    _pct(r["within_sla_pct"]),
                    _hours(r["median_first_response_business_s"]),
                    _hours(r["p90_first_response_business_s"]),
                    _hours(r["median_first_response_s"]),
                ]
                for r in report.sla
            ],
        ),
    ]


def title(report: Report) -> str:
    return f"{report.brand_name} — {report.period.label}"


def render_html(report: Report) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title(report))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title(report))}</h1>",
        f"<p class='dates'>{report.period.start:%d %b %Y} – "
        f"{report.period.end:%d %b %Y} (UTC, end exclusive)</p><dl>",
        *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in summary_lines(report)),
        "</dl>",
        *(f"<figure>{_svg(f)}</figure>" for f in charts(report)),
    ]
    for name, header, rows in tables(report):
        parts.append(f"<h2>{e(name)}</h2>")
        if not rows:
            parts.append("<p class='none'>None in this period.</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        parts.extend("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
table{border-collapse:collapse;margin-bottom:1rem}td,th{border-bottom:1px solid #ddd;
padding:.2rem .6rem;text-align:left}figure{margin:1rem 0}svg{max-width:100%;height:auto}
.dates,.none{color:#666}"""


A4 = (8.27, 11.69)
ROWS_PER_PAGE = 48


def render_pdf(report: Report, path: Path) -> None:
    """Page 1: the figures and both charts. Then the tables, several to a page."""
    with PdfPages(path, metadata={"Title": title(report)}) as pdf:
        cover = plt.figure(figsize=A4)
        cover.text(0.07, 0.95, title(report), fontsize=20, weight="bold", va="top")
        lines = [f"{k}: {v}" for k, v in summary_lines(report)]
        cover.text(0.07, 0.9, "\n".join(lines), fontsize=10, va="top", linespacing=1.7)
        draw_volume(cover.add_axes((0.1, 0.42, 0.7, 0.22)), report)
        draw_share(cover.add_axes((0.22, 0.08, 0.58, 0.22)), report)
        pdf.savefig(cover)
        plt.close(cover)
        page, used = None, 0
        for name, header, rows in tables(report):
            height = len(rows) + 3
            if page is None or used + height > ROWS_PER_PAGE:
                if page is not None:
                    pdf.savefig(page)
                    plt.close(page)
                page, used = plt.figure(figsize=A4), 0
            _draw_table(page, name, header, rows, top=used)
            used += height
        if page is not None:
            pdf.savefig(page)
            plt.close(page)


def _draw_table(
    page: Figure, name: str, header: list[str], rows: list[list[str]], *, top: int
) -> None:
    line = 0.9 / ROWS_PER_PAGE
    y = 0.95 - top * line
    page.text(0.07, y, name, fontsize=12, weight="bold", va="top")
    if not rows:
        page.text(0.07, y - 1.3 * line, "None in this period.", fontsize=9, va="top")
        return
    axes = page.add_axes((0.07, y - (len(rows) + 2) * line, 0.86, (len(rows) + 1) * line))
    axes.axis("off")
    table = axes.table(
        cellText=[[c[:80] for c in r] for r in rows], colLabels=header, loc="upper left",
        cellLoc="left", bbox=(0, 0, 1, 1),
    )  # fmt: skip
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(len(header))))


def write_csv(report: Report, folder: Path) -> list[Path]:
    """The underlying data: one CSV per table, and the per-day figures."""
    written = [
        _csv(
            folder / "daily.csv",
            ["day", "total", "positive", "neutral", "negative", "urgent"],
            (
                [d.day.isoformat(), d.total, d.positive, d.neutral, d.negative, d.urgent]
                for d in report.days
            ),
        )
    ]
    for name, header, rows in tables(report):
        slug = name.lower().split(" (")[0].replace(" ", "_")
        written.append(_csv(folder / f"{slug}.csv", header, rows))
    return written


def _csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_report(report: Report, folder: Path) -> dict[str, Any]:
    """report.html, report.pdf and the CSVs in `folder`; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    render_pdf(report, folder / "report.pdf")
    csvs = write_csv(report, folder)
    return {
        "html": str(folder / "report.html"),
        "pdf": str(folder / "report.pdf"),
        "csv": [str(p) for p in csvs],
    }
