"""Brands, teams, mentions, cases and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    CREATE TABLE brands (
        id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name            text NOT NULL,
        competitor_of   text REFERENCES brands (id),
        keywords        text[] NOT NULL DEFAULT '{}',
        hashtags        text[] NOT NULL DEFAULT '{}',
        handles         text[] NOT NULL DEFAULT '{}',
        urgent_keywords text[] NOT NULL DEFAULT '{}',
        languages       text[] NOT NULL DEFAULT '{}',
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
    );

    -- A team answers within its business calendar; first_response_seconds is the SLA target.
    CREATE TABLE teams (
        id                      text PRIMARY KEY,
        name                    text NOT NULL,
        calendar                jsonb NOT NULL,
        first_response_seconds  integer NOT NULL DEFAULT 21600 CHECK (first_response_seconds > 0),
        warning_fraction        real NOT NULL DEFAULT 0.75
                                CHECK (warning_fraction > 0 AND warning_fraction < 1),
        created_at              timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE cases (
        id                uuid PRIMARY KEY,
        brand             text NOT NULL,
        conversation_key  text NOT NULL,
        status            text NOT NULL CHECK (status IN ('open', 'pending', 'resolved')),
        team              text NOT NULL REFERENCES teams (id),
        queue             text NOT NULL,
        priority          text NOT NULL CHECK (priority IN ('p1', 'p2', 'p3', 'p4')),
        assignee          text,
        opened_at         timestamptz NOT NULL DEFAULT now(),
        sla_started_at    timestamptz NOT NULL,
        sla_due_at        timestamptz NOT NULL,
        first_response_at timestamptz,
        resolved_at       timestamptz,
        mention_count     integer NOT NULL DEFAULT 1,
        last_mention_at   timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL DEFAULT now()
    );
    -- No conversation ever has two active cases, whatever the number of router replicas.
    CREATE UNIQUE INDEX cases_one_active_per_conversation
        ON cases (conversation_key) WHERE status IN ('open', 'pending');
    CREATE INDEX cases_queue ON cases (status, team, sla_due_at);
    CREATE INDEX cases_brand ON cases (brand, opened_at DESC);
    CREATE INDEX cases_assignee ON cases (assignee, status) WHERE assignee IS NOT NULL;

    CREATE TABLE mentions (
        id                uuid PRIMARY KEY,
        source            text NOT NULL,
        source_id         text NOT NULL,
        brand             text NOT NULL,
        text              text NOT NULL,
        author            jsonb NOT NULL,
        url               text,
        lang_hint         text,
        created_at        timestamptz NOT NULL,
        received_at       timestamptz NOT NULL,
        thread_id         text,
        parent_id         text,
        conversation_key  text NOT NULL,
        classification    jsonb NOT NULL,
        sentiment         text NOT NULL,
        urgency           text NOT NULL,
        language          text NOT NULL,
        model_version     text NOT NULL,
        classified_at     timestamptz NOT NULL,
        route             jsonb NOT NULL,
        case_id           uuid REFERENCES cases (id),
        stored_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source, source_id)
    );
    CREATE INDEX mentions_case ON mentions (case_id, created_at);
    CREATE INDEX mentions_brand_time ON mentions (brand, created_at DESC);

    -- Transactional outbox: state changes and the events announcing them commit together;
    -- the relay publishes them to Kafka and marks them published.
    CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        event_id      uuid NOT NULL UNIQUE,
        topic         text NOT NULL,
        key           text,
        payload       bytea NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz
    );
    CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
    """
    )


def downgrade() -> None:
    execute_script("DROP TABLE outbox, mentions, cases, teams, brands")
