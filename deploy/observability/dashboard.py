"""Writes earshot-dashboard.json, the Grafana dashboard: `python deploy/observability/dashboard.py`.

The JSON is generated so every panel has the same shape and the queries sit in one readable
list; the generated file is committed, and tests/deploy checks it is up to date and that every
query parses and names metrics that exist.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "earshot-dashboard.json"
DS = {"type": "prometheus", "uid": "${datasource}"}
NS = 'namespace=~"$namespace"'

# (row title, [(panel title, unit, [(legend, query)])])
ROWS: list[tuple[str, list[tuple[str, str, list[tuple[str, str]]]]]] = [
    (
        "Flow",
        [
            (
                "Mentions accepted by source",
                "ops",
                [
                    (
                        "{{source}}",
                        f"sum by (source) (rate(earshot_ingest_accepted_total{{{NS}}}[5m]))",
                    ),
                ],
            ),
            (
                "Mentions rejected by reason",
                "ops",
                [
                    (
                        "{{code}}",
                        f"sum by (code) (rate(earshot_ingest_rejected_total{{{NS}}}[5m]))",
                    ),
                ],
            ),
            (
                "Messages consumed by group",
                "ops",
                [
                    (
                        "{{group}}",
                        f"sum by (group) (rate(earshot_messages_consumed_total{{{NS}}}[5m]))",
                    ),
                ],
            ),
            (
                "Messages produced by topic",
                "ops",
                [
                    (
                        "{{topic}}",
                        f"sum by (topic) (rate(earshot_messages_produced_total{{{NS}}}[5m]))",
                    ),
                ],
            ),
        ],
    ),
    (
        "Lag and scaling",
        [
            (
                "Consumer lag by group and topic",
                "short",
                [
                    (
                        "{{consumergroup}} / {{topic}}",
                        f"sum by (consumergroup, topic) (kafka_consumergroup_lag{{{NS}, "
                        f'consumergroup=~"earshot-.*"}})',
                    ),
                ],
            ),
            (
                "Consumer lag by partition",
                "short",
                [
                    (
                        "{{consumergroup}} p{{partition}}",
                        f"sum by (consumergroup, partition) (kafka_consumergroup_lag{{{NS}, "
                        f'consumergroup=~"earshot-.*"}})',
                    ),
                ],
            ),
            (
                "Pods per service (scrape targets up)",
                "short",
                [
                    ("{{container}}", f'sum by (container) (up{{{NS}, job=~".*/earshot"}})'),
                ],
            ),
            (
                "Batch size p50 / p95 by group",
                "short",
                [
                    (
                        "p50 {{group}}",
                        "histogram_quantile(0.5, sum by (group, le) "
                        f"(rate(earshot_consumer_batch_size_bucket{{{NS}}}[5m])))",
                    ),
                    (
                        "p95 {{group}}",
                        "histogram_quantile(0.95, sum by (group, le) "
                        f"(rate(earshot_consumer_batch_size_bucket{{{NS}}}[5m])))",
                    ),
                ],
            ),
        ],
    ),
    (
        "Latency",
        [
            (
                "Classification: model time per batch (p50, p95)",
                "s",
                [
                    (
                        "p50",
                        "histogram_quantile(0.5, sum by (le) "
                        f"(rate(earshot_classify_batch_seconds_bucket{{{NS}}}[5m])))",
                    ),
                    (
                        "p95",
                        "histogram_quantile(0.95, sum by (le) "
                        f"(rate(earshot_classify_batch_seconds_bucket{{{NS}}}[5m])))",
                    ),
                ],
            ),
            (
                "Batch processing time p95 by group (classify, route)",
                "s",
                [
                    (
                        "{{group}}",
                        "histogram_quantile(0.95, sum by (group, le) "
                        f"(rate(earshot_consumer_batch_seconds_bucket{{{NS}}}[5m])))",
                    ),
                ],
            ),
        ],
    ),
    (
        "Routing and SLA",
        [
            (
                "Mentions routed by action and team",
                "ops",
                [
                    (
                        "{{action}} {{team}}",
                        f"sum by (action, team) (rate(earshot_router_routed_total{{{NS}}}[5m]))",
                    ),
                ],
            ),
            (
                "Cases assigned by team / requeued by reason",
                "ops",
                [
                    (
                        "assigned {{team}}",
                        f"sum by (team) (rate(earshot_router_assigned_total{{{NS}}}[5m]))",
                    ),
                    (
                        "requeued {{reason}}",
                        f"sum by (reason) (rate(earshot_router_requeued_total{{{NS}}}[5m]))",
                    ),
                ],
            ),
            (
                "SLA warnings and breaches (per hour)",
                "short",
                [
                    (
                        "{{kind}}",
                        "sum by (kind) (increase(earshot_router_sla_timers_total"
                        f'{{{NS}, outcome="fire"}}[1h]))',
                    ),
                ],
            ),
            (
                "SLA breach ratio (breaches / cases opened, 1h)",
                "percentunit",
                [
                    (
                        "breach ratio",
                        "sum(rate(earshot_router_sla_timers_total"
                        f'{{{NS}, kind="breach", outcome="fire"}}[1h])) / '
                        f'sum(rate(earshot_router_routed_total{{{NS}, action="case"}}[1h]))',
                    ),
                ],
            ),
        ],
    ),
    (
        "Errors",
        [
            (
                "Dead letters by group (10 min)",
                "short",
                [
                    (
                        "{{group}}",
                        f"sum by (group) (increase(earshot_dead_letters_total{{{NS}}}[10m]))",
                    ),
                ],
            ),
            (
                "Redeliveries dropped as duplicates",
                "ops",
                [
                    ("router", f"sum(rate(earshot_router_duplicates_total{{{NS}}}[5m]))"),
                    ("ingest", f"sum(rate(earshot_ingest_duplicates_total{{{NS}}}[5m]))"),
                ],
            ),
        ],
    ),
]


def panel(panel_id: int, title: str, unit: str, targets: list[tuple[str, str]], x: int, y: int):
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": DS,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend}
            for i, (legend, expr) in enumerate(targets)
        ],
    }


def dashboard() -> dict:
    panels: list[dict] = []
    y = 0
    next_id = 1
    for row_title, row_panels in ROWS:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        for i, (title, unit, targets) in enumerate(row_panels):
            panels.append(panel(next_id, title, unit, targets, x=12 * (i % 2), y=y + 8 * (i // 2)))
            next_id += 1
        y += 8 * ((len(row_panels) + 1) // 2)
    return {
        "uid": "earshot-overview",
        "title": "Earshot overview",
        "description": "Flow, consumer lag, latency, routing and SLA breaches",
        "tags": ["earshot"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                    "current": {},
                },
                {
                    "name": "namespace",
                    "type": "query",
                    "datasource": DS,
                    "label": "Namespace",
                    "query": {
                        "query": "label_values(earshot_messages_consumed_total, namespace)",
                        "refId": "namespace",
                    },
                    "definition": "label_values(earshot_messages_consumed_total, namespace)",
                    "includeAll": True,
                    "allValue": ".*",
                    "multi": False,
                    "refresh": 2,
                    "current": {},
                },
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(OUT)
