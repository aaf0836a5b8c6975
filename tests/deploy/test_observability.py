"""Alert rules and the dashboard: every query parses (promql-parser, the Prometheus parser in
Rust), names only metrics that exist (Earshot's own, found in the code, or the Kafka Exporter's
consumer lag), and the Kubernetes PrometheusRule and the dashboard JSON are up to date."""

from __future__ import annotations

import importlib.util
import json
import re

import promql_parser
import pytest
import yaml

from tests.deploy import kustomize_lite
from tests.deploy.support import DEPLOY, K8S, REPO

ALERTS = DEPLOY / "observability" / "alerts.yml"
DASHBOARD = DEPLOY / "observability" / "earshot-dashboard.json"
# Metrics from outside Earshot that the rules and the dashboard rely on.
EXTERNAL = {"kafka_consumergroup_lag", "up"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def code_metrics() -> set[str]:
    names: set[str] = set()
    for path in REPO.glob("services/**/*.py"):
        names |= set(re.findall(r"\"(earshot_[a-z0-9_]+)\"", path.read_text(encoding="utf-8")))
    return names


def metrics_in(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    found = set()
    for name in re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?:\{|\[|\))", without_strings):
        if name.startswith("earshot_") or name in EXTERNAL:
            found.add(name)
    return found


def resolvable(metric: str, known: set[str]) -> bool:
    if metric in known or metric in EXTERNAL:
        return True
    return any(metric.endswith(s) and metric[: -len(s)] in known for s in HISTOGRAM_SUFFIXES)


def rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r["alert"])
def test_alert_rule_parses_names_real_metrics_and_says_what_to_do(rule: dict) -> None:
    promql_parser.parse(rule["expr"])
    known = code_metrics()
    assert metrics_in(rule["expr"]), "a rule with no metric cannot fire"
    for metric in metrics_in(rule["expr"]):
        assert resolvable(metric, known), f"{metric} is exposed by no service"
    assert rule["labels"]["severity"] in {"info", "warning", "critical"}
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_the_alerts_issue_7_asks_for_exist() -> None:
    by_metric = {rule["alert"]: rule["expr"] for rule in rules()}
    assert any("kafka_consumergroup_lag" in e and "delta(" in e for e in by_metric.values())
    assert any("earshot_dead_letters_total" in e for e in by_metric.values())
    assert any(
        'kind="breach"' in e and "earshot_router_sla_timers_total" in e for e in by_metric.values()
    )


def test_runbook_anchors_in_alerts_exist() -> None:
    runbook = (REPO / "docs/runbook.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+\s+(.*)$", runbook, re.MULTILINE)
    }
    for rule in rules():
        url = rule["annotations"].get("runbook_url")
        if url:
            assert url.split("#")[1] in anchors, url


def test_dashboard_queries_parse_and_name_real_metrics() -> None:
    known = code_metrics()
    queries = dashboard_queries()
    assert queries
    for query in queries:
        promql_parser.parse(query.replace("$namespace", ".*"))
        for metric in metrics_in(query):
            assert resolvable(metric, known), f"{metric} is exposed by no service"


def test_dashboard_shows_lag_latency_and_sla_breaches() -> None:
    text = " ".join(dashboard_queries())
    for needed in (
        "kafka_consumergroup_lag",
        "earshot_classify_batch_seconds_bucket",
        "earshot_consumer_batch_seconds_bucket",
        "earshot_router_sla_timers_total",
        "earshot_dead_letters_total",
    ):
        assert needed in text


def test_dashboard_json_is_generated_from_dashboard_py() -> None:
    spec = importlib.util.spec_from_file_location(
        "earshot_dashboard", DEPLOY / "observability" / "dashboard.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert DASHBOARD.read_text(encoding="utf-8") == module.render(), (
        "stale dashboard: python deploy/observability/dashboard.py"
    )


def test_kubernetes_prometheus_rule_carries_the_same_alerts() -> None:
    checked_in = (K8S / "monitoring" / "prometheusrule.yaml").read_text(encoding="utf-8")
    assert checked_in == kustomize_lite.prometheus_rule(REPO), (
        "stale PrometheusRule: python -m tests.deploy.kustomize_lite prometheusrule "
        "> deploy/k8s/monitoring/prometheusrule.yaml"
    )
