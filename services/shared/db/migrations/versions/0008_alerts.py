"""Listening alerts and incidents: spikes the watcher raised, whether their notifications
went out, whether the spike held (confirmed), and the incident case a confirmed spike opened,
with the mentions linked to that incident.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from services.shared.db.script import execute_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    CREATE TABLE alerts (
        id               uuid PRIMARY KEY,  -- derived from brand, kind and window start
        brand            text NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
        kind             text NOT NULL CHECK (kind IN ('volume', 'negative_share')),
        window_start     timestamptz NOT NULL,
        window_end       timestamptz NOT NULL,
        observed         double precision NOT NULL,
        expected         double precision NOT NULL,
        score            double precision NOT NULL,
        summary          text NOT NULL,
        raised_at        timestamptz NOT NULL DEFAULT now(),
        notified_at      timestamptz,
        notify_attempts  integer NOT NULL DEFAULT 0,
        delivered_to     text[] NOT NULL DEFAULT '{}',  -- channels that took it (no resends)
        notify_error     text,
        confirmed_at     timestamptz,  -- still spiking a while after it was raised
        incident_case_id uuid REFERENCES cases (id),
        -- the "incident opened, lead paged" notification, delivered like the alert's
        incident_notified_at     timestamptz,
        incident_notify_attempts integer NOT NULL DEFAULT 0,
        incident_delivered_to    text[] NOT NULL DEFAULT '{}'
    );
    CREATE INDEX alerts_brand_kind_time ON alerts (brand, kind, raised_at DESC);
    CREATE INDEX alerts_unsent ON alerts (raised_at) WHERE notified_at IS NULL;
    CREATE INDEX alerts_incident_pending ON alerts (confirmed_at)
        WHERE confirmed_at IS NOT NULL AND incident_case_id IS NULL;
    -- A crisis is one case: the mentions it is about stay in their own conversations' cases
    -- (or none) and are linked to the incident here.
    CREATE TABLE incident_mentions (
        case_id     uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        mention_id  uuid NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        PRIMARY KEY (case_id, mention_id)
    );
    CREATE INDEX incident_mentions_mention ON incident_mentions (mention_id);
    """
    )


def downgrade() -> None:
    execute_script("DROP TABLE IF EXISTS incident_mentions; DROP TABLE IF EXISTS alerts")
