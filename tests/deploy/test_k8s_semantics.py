"""The rendered overlays say what the code needs: commands, ports, probes, settings, consumer
groups and topics, scaling bounds, connection budgets and network reachability."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import (
    TOPIC_ALERTS,
    TOPIC_CASES_EVENTS,
    TOPIC_MENTIONS_CLASSIFIED,
    TOPIC_MENTIONS_DLQ,
    TOPIC_MENTIONS_RAW,
)
from tests.deploy.support import (
    OVERLAYS,
    REPO,
    SERVICES,
    by_kind,
    consumer_group,
    earshot_settings,
    rendered,
)

CONSUMERS = {"classifier": TOPIC_MENTIONS_RAW, "router": TOPIC_MENTIONS_CLASSIFIED}
HTTP_SCALED = ("api", "ingest")
# Secrets the manifests reference; none of them is in git (docs/deployment.md, "Secrets").
KNOWN_SECRETS = {
    "earshot-db-app",
    "earshot-api",
    "earshot-ingest",
    "earshot-alerts",
    "earshot-backup-s3",
}


def deployment(manifests: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return by_kind(manifests, "Deployment")[f"earshot-{service}"]


def container(manifests: list[dict[str, Any]], service: str) -> dict[str, Any]:
    (only,) = deployment(manifests, service)["spec"]["template"]["spec"]["containers"]
    return only


def env_of(manifests: list[dict[str, Any]], service: str) -> dict[str, Any]:
    config = by_kind(manifests, "ConfigMap")["earshot-config"]["data"]
    env = dict(config)
    for item in container(manifests, service).get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_earshot_serve_with_probes_on_its_port(
    overlay: str, service: str
) -> None:
    manifests = rendered(overlay)
    c = container(manifests, service)
    port = int(env_of(manifests, service)["EARSHOT_HTTP_PORT"])
    assert c["args"] == ["serve", service]
    assert c["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert env_of(manifests, service)["EARSHOT_HTTP_HOST"] == "0.0.0.0"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    service_manifest = by_kind(manifests, "Service")[f"earshot-{service}"]
    assert service_manifest["spec"]["ports"][0]["targetPort"] == "http"
    pod_labels = deployment(manifests, service)["spec"]["template"]["metadata"]["labels"]
    assert service_manifest["spec"]["selector"].items() <= pod_labels.items()


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_locked_down_and_bounded(overlay: str, service: str) -> None:
    manifests = rendered(overlay)
    pod = deployment(manifests, service)["spec"]["template"]["spec"]
    c = container(manifests, service)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][bound]), f"{service} {bound}"
    assert {t["topologyKey"] for t in pod["topologySpreadConstraints"]} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    labels = deployment(manifests, service)["spec"]["selector"]["matchLabels"]
    budgets = [
        pdb
        for pdb in by_kind(manifests, "PodDisruptionBudget").values()
        if pdb["spec"]["selector"]["matchLabels"] == labels
    ]
    assert len(budgets) == 1, f"{service}: one PodDisruptionBudget"


def test_prod_spreads_across_zones_strictly() -> None:
    for service in SERVICES:
        spread = deployment(rendered("prod"), service)["spec"]["template"]["spec"]
        zone = spread["topologySpreadConstraints"][0]
        assert zone["topologyKey"] == "topology.kubernetes.io/zone"
        assert zone["whenUnsatisfiable"] == "DoNotSchedule"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_earshot_variable_in_the_manifests_is_a_real_setting(overlay: str) -> None:
    known = earshot_settings()
    manifests = rendered(overlay)
    used = set(by_kind(manifests, "ConfigMap")["earshot-config"]["data"])
    for workload in [
        *by_kind(manifests, "Deployment").values(),
        *by_kind(manifests, "Job").values(),
    ]:
        for c in workload["spec"]["template"]["spec"]["containers"]:
            used |= {item["name"] for item in c.get("env", [])}
    assert used - known == set(), "variables no settings class reads"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_in_git_only_references(overlay: str) -> None:
    manifests = rendered(overlay)
    assert not by_kind(manifests, "Secret")
    config = by_kind(manifests, "ConfigMap")["earshot-config"]["data"]
    assert not {k for k in config if any(w in k for w in ("SECRET", "PASSWORD", "TOKEN"))}
    assert "EARSHOT_DATABASE_URL" not in config

    referenced: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "secretKeyRef" in node:
                referenced.add(node["secretKeyRef"]["name"])
            if "s3Credentials" in node:
                referenced.update(ref["name"] for ref in node["s3Credentials"].values())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(manifests)
    assert referenced <= KNOWN_SECRETS
    # The database DSN comes from the secret CloudNativePG generates for the cluster's owner.
    (cluster,) = by_kind(manifests, "Cluster")
    for service in SERVICES:
        dsn = env_of(manifests, service)["EARSHOT_DATABASE_URL"]
        assert dsn == {"secretKeyRef": {"name": f"{cluster}-app", "key": "uri"}}
    # A password, secret or token only ever arrives through a secret reference.
    for name, deployment in by_kind(manifests, "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if any(word in env["name"] for word in ("PASSWORD", "SECRET", "TOKEN")):
                    assert "value" not in env, f"{name}: {env['name']} is set in git"
    docs = (REPO / "docs/deployment.md").read_text(encoding="utf-8")
    for name in KNOWN_SECRETS:
        assert name in docs, f"docs/deployment.md must say how to create secret {name}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topics_match_the_code_and_the_durability_contract(overlay: str) -> None:
    topics = {
        t["spec"]["topicName"]: t["spec"] for t in by_kind(rendered(overlay), "KafkaTopic").values()
    }
    assert set(topics) == {
        TOPIC_MENTIONS_RAW,
        TOPIC_MENTIONS_CLASSIFIED,
        TOPIC_MENTIONS_DLQ,
        TOPIC_CASES_EVENTS,
        TOPIC_ALERTS,
    }
    for name, spec in topics.items():
        assert spec["replicas"] == 3, name
        assert spec["config"]["min.insync.replicas"] == 2, name
        assert spec["config"]["max.message.bytes"] == 8388608, name
        assert spec["config"]["retention.ms"] > 0, name
        assert spec["partitions"] >= 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_is_kraft_with_enough_brokers_for_min_insync(overlay: str) -> None:
    manifests = rendered(overlay)
    (name,) = by_kind(manifests, "Kafka")
    kafka = by_kind(manifests, "Kafka")[name]
    pools = [
        p
        for p in by_kind(manifests, "KafkaNodePool").values()
        if p["metadata"]["labels"]["strimzi.io/cluster"] == name
    ]
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    assert brokers >= 3 and controllers % 2 == 1
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] == 2 and config["default.replication.factor"] == 3
    assert config["message.max.bytes"] >= 8388608
    plain = {ln["name"]: ln for ln in kafka["spec"]["kafka"]["listeners"]}["plain"]
    bootstrap = by_kind(manifests, "ConfigMap")["earshot-config"]["data"]["EARSHOT_KAFKA_BOOTSTRAP"]
    assert bootstrap == f"{name}-kafka-bootstrap:{plain['port']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", sorted(CONSUMERS))
def test_lag_scaling_targets_the_codes_group_and_never_exceeds_partitions(
    overlay: str, service: str
) -> None:
    manifests = rendered(overlay)
    scaled = by_kind(manifests, "ScaledObject")[f"earshot-{service}"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == f"earshot-{service}"
    (trigger,) = scaled["spec"]["triggers"]
    meta = trigger["metadata"]
    assert trigger["type"] == "kafka"
    assert meta["consumerGroup"] == consumer_group(service)
    assert meta["topic"] == CONSUMERS[service]
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"]
        for t in by_kind(manifests, "KafkaTopic").values()
    }
    assert scaled["spec"]["maxReplicaCount"] <= partitions[meta["topic"]]
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    assert meta.get("allowIdleConsumers", "false") == "false"
    # KEDA's operator runs in its own namespace: the address must name this one.
    (kafka,) = by_kind(manifests, "Kafka")
    namespace = scaled["metadata"]["namespace"]
    assert meta["bootstrapServers"] == f"{kafka}-kafka-bootstrap.{namespace}.svc:9092"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_http_services_scale_on_cpu_and_consumers_on_lag_never_both(overlay: str) -> None:
    manifests = rendered(overlay)
    hpa_targets = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in by_kind(manifests, "HorizontalPodAutoscaler").values()
    }
    keda_targets = {
        s["spec"]["scaleTargetRef"]["name"] for s in by_kind(manifests, "ScaledObject").values()
    }
    assert hpa_targets == {f"earshot-{s}" for s in HTTP_SCALED}
    assert keda_targets == {f"earshot-{s}" for s in CONSUMERS}
    assert not hpa_targets & keda_targets
    for name in hpa_targets | keda_targets:
        # An applied replica count would fight the autoscaler on every `kubectl apply`.
        assert "replicas" not in by_kind(manifests, "Deployment")[name]["spec"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_connections_at_full_scale_fit_max_connections(overlay: str) -> None:
    manifests = rendered(overlay)
    ceiling = {
        **{
            h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
            for h in by_kind(manifests, "HorizontalPodAutoscaler").values()
        },
        **{
            s["spec"]["scaleTargetRef"]["name"]: s["spec"]["maxReplicaCount"]
            for s in by_kind(manifests, "ScaledObject").values()
        },
    }
    total = sum(
        ceiling[f"earshot-{service}"] * int(env_of(manifests, service)["EARSHOT_DB_POOL_SIZE"])
        for service in SERVICES
    )
    total += 2  # the migration job
    (cluster,) = by_kind(manifests, "Cluster").values()
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    reserved = 10  # superuser slots, the operator, a psql session
    assert total <= max_connections - reserved


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and value in expression["values"]:
            return False
    return True


def _reachability(manifests: list[dict[str, Any]], component: str) -> dict[str, set[Any]]:
    labels = {"app.kubernetes.io/name": "earshot", "app.kubernetes.io/component": component}
    out: dict[str, set[Any]] = {"egress_ports": set(), "ingress_from": set(), "types": set()}
    for policy in by_kind(manifests, "NetworkPolicy").values():
        spec = policy["spec"]
        if not _selects(spec["podSelector"], labels):
            continue
        out["types"] |= set(spec["policyTypes"])
        for rule in spec.get("egress", []):
            out["egress_ports"] |= {p["port"] for p in rule.get("ports", [])}
        for rule in spec.get("ingress", []):
            for peer in rule.get("from", []):
                ns = peer.get("namespaceSelector", {}).get("matchLabels", {})
                out["ingress_from"].add(ns.get("kubernetes.io/metadata.name"))
    return out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_open_only_what_each_service_needs(overlay: str) -> None:
    manifests = rendered(overlay)
    expected = {
        "ingest": ({53, 5432, 9092}, {"ingress-nginx", "monitoring"}),
        # 443 and 587 outside the cluster: alert webhooks and mail.
        "api": ({53, 443, 587, 5432, 9092}, {"ingress-nginx", "monitoring"}),
        "classifier": ({53, 5432, 9092}, {"monitoring"}),
        "router": ({53, 5432, 9092}, {"monitoring"}),
        "migrate": ({53, 5432}, set()),
    }
    for component, (egress, ingress_from) in expected.items():
        reach = _reachability(manifests, component)
        assert reach["types"] == {"Ingress", "Egress"}, f"{component}: default deny both ways"
        assert reach["egress_ports"] == egress, component
        assert reach["ingress_from"] == ingress_from, component


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_ingest_paths_to_ingest_and_the_rest_to_the_api(overlay: str) -> None:
    manifests = rendered(overlay)
    (ingress,) = by_kind(manifests, "Ingress").values()
    services = by_kind(manifests, "Service")
    routes = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] in services
            port_names = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
            assert backend["port"]["name"] in port_names
            routes[path["path"]] = backend["name"]
    assert routes == {
        "/v1/mentions": "earshot-ingest",
        "/v1/webhooks": "earshot-ingest",
        "/": "earshot-api",
    }
    ingest_routes = (REPO / "services/ingest/api.py").read_text(encoding="utf-8")
    assert '"/mentions"' in ingest_routes and '"/webhooks/{platform}"' in ingest_routes


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_job_runs_earshot_migrate_against_the_cluster(overlay: str) -> None:
    manifests = rendered(overlay)
    job = by_kind(manifests, "Job")["earshot-migrate"]
    (c,) = job["spec"]["template"]["spec"]["containers"]
    assert c["args"] == ["migrate"]
    assert c["image"] == container(manifests, "api")["image"]
    assert {e["name"] for e in c["env"]} >= {"EARSHOT_DATABASE_URL"}


def test_prod_images_are_pinned_releases() -> None:
    for service in SERVICES:
        image = container(rendered("prod"), service)["image"]
        name, _, tag = image.rpartition(":")
        assert name.endswith(f"/earshot/{service}") and tag not in ("", "latest", "dev"), image


def test_prod_backs_up_the_database_nightly() -> None:
    manifests = rendered("prod")
    ((cluster_name, cluster),) = by_kind(manifests, "Cluster").items()
    backup = by_kind(manifests, "ScheduledBackup")
    assert [b["spec"]["cluster"]["name"] for b in backup.values()] == [cluster_name]
    store = by_kind(manifests, "ObjectStore")
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True
    assert plugin["parameters"]["barmanObjectName"] in store
