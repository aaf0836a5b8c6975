"""A real single-node Apache Kafka broker (KRaft combined mode) for tests and local runs.

The jars come from Maven Central through `mvn` (cached under ~/.cache/earshot/kafka), the
storage is formatted with `kafka.tools.StorageTool` and the broker runs `kafka.Kafka` on
Java 17. No Docker, no download outside the package registries.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

POM = Path(__file__).with_name("kafka-pom.xml")
CACHE = Path(os.environ.get("EARSHOT_CACHE", Path.home() / ".cache" / "earshot"))


def kafka_version() -> str:
    text = POM.read_text()
    return text.split("<kafka.version>")[1].split("</kafka.version>")[0]


def ensure_jars() -> Path:
    """The folder of broker jars, fetched with Maven on first use."""
    libs = CACHE / "kafka" / kafka_version() / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed to fetch the Kafka broker jars")
    if shutil.which("java") is None:
        raise RuntimeError("Java 17 is needed to run the Kafka broker")
    libs.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
        ],
        check=True,
    )  # fmt: skip
    marker.touch()
    return libs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class KafkaBroker:
    workdir: Path
    port: int = 0
    controller_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        config = self.workdir / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={self.workdir / 'data'}",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "num.partitions=4",
                    "auto.create.topics.enable=false",
                    # Poison messages of a few MB must reach the broker and then the DLQ.
                    "message.max.bytes=8388608",
                    "replica.fetch.max.bytes=8388608",
                ]
            )
            + "\n"
        )
        (self.workdir / "log4j.properties").write_text(
            "log4j.rootLogger=WARN, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        )
        return config

    def _java(self, libs: Path, *args: str) -> list[str]:
        return [
            "java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
            f"-Dlog4j.configuration=file:{self.workdir / 'log4j.properties'}",
            "-cp", f"{libs}/*", *args,
        ]  # fmt: skip

    def start(self, timeout: float = 90) -> None:
        libs = ensure_jars()
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        if not (self.workdir / "data" / "meta.properties").exists():
            subprocess.run(
                self._java(libs, "kafka.tools.StorageTool", "format", "-t", str(uuid.uuid4()),
                           "-c", str(config)),
                check=True, capture_output=True,
            )  # fmt: skip
        log = (self.workdir / "broker.log").open("ab")
        self.process = subprocess.Popen(
            self._java(libs, "kafka.Kafka", str(config)), stdout=log, stderr=subprocess.STDOUT
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Kafka broker exited; see {self.workdir / 'broker.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"Kafka broker not ready after {timeout}s")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Same ports, same data: what a broker restart looks like to clients."""
        self.stop()
        self.start()


if __name__ == "__main__":  # `python -m tests.support.kafka_broker`: prefetch the jars
    print(ensure_jars())
