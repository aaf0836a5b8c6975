"""The durable local bus: topics, partitions and consumer-group offsets in PostgreSQL.

Used by embedded mode (`earshot run`) and small installs without Kafka, so that a kill -9
loses nothing there either.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    CREATE TABLE bus_partitions (
        topic        text NOT NULL,
        partition    integer NOT NULL,
        next_offset  bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, partition)
    );
    CREATE TABLE bus_messages (
        topic       text NOT NULL,
        partition   integer NOT NULL,
        "offset"    bigint NOT NULL,
        key         bytea,
        value       bytea,
        header_keys    text[] NOT NULL DEFAULT '{}',
        header_values  bytea[] NOT NULL DEFAULT '{}',
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, partition, "offset")
    );
    CREATE INDEX bus_messages_age ON bus_messages (created_at);
    CREATE TABLE bus_offsets (
        group_id   text NOT NULL,
        topic      text NOT NULL,
        partition  integer NOT NULL,
        "offset"   bigint NOT NULL,
        PRIMARY KEY (group_id, topic, partition)
    );
    """
    )


def downgrade() -> None:
    execute_script("DROP TABLE bus_offsets, bus_messages, bus_partitions")
