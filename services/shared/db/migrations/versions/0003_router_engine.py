"""Routing and SLA engine: SLA policies, routing rules, responders, durable SLA timers, viral
clusters and assignment state on cases.

Revision ID: 0003_router
Revises: 0002
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0003_router"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    -- Team-wide switches; a team lead gets the escalations of breached cases.
    ALTER TABLE teams
        ADD COLUMN lead                  text,
        ADD COLUMN requeue_on_offline    boolean NOT NULL DEFAULT true,
        ADD COLUMN reassign_on_breach    boolean NOT NULL DEFAULT false;

    -- Targets per team and priority; priority '*' is the team's fallback row.
    CREATE TABLE sla_policies (
        team                    text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        priority                text NOT NULL CHECK (priority IN ('p1', 'p2', 'p3', 'p4', '*')),
        first_response_seconds  integer NOT NULL CHECK (first_response_seconds > 0),
        next_response_seconds   integer CHECK (next_response_seconds > 0),
        resolution_seconds      integer CHECK (resolution_seconds > 0),
        warning_fractions       real[] NOT NULL DEFAULT '{0.5,0.75}',
        updated_at              timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team, priority)
    );

    -- Ordered rule set; `position` decides which rule wins.
    CREATE TABLE routing_rules (
        name        text PRIMARY KEY,
        position    integer NOT NULL UNIQUE,
        spec        jsonb NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE responders (
        id                text PRIMARY KEY,
        name              text NOT NULL,
        teams             text[] NOT NULL DEFAULT '{}',
        languages         text[] NOT NULL DEFAULT '{}',
        brands            text[] NOT NULL DEFAULT '{}',
        channels          text[] NOT NULL DEFAULT '{}',
        capacity          integer NOT NULL DEFAULT 10 CHECK (capacity >= 0),
        status            text NOT NULL DEFAULT 'offline'
                          CHECK (status IN ('online', 'away', 'offline')),
        last_assigned_at  timestamptz,
        updated_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX responders_teams ON responders USING gin (teams);

    -- sla_clock names the running clock (NULL: stopped); sla_clock_seq numbers clocks so a
    -- timer of an earlier clock can tell it is stale.
    ALTER TABLE cases
        ADD COLUMN language           text,
        ADD COLUMN source             text,
        ADD COLUMN sla_clock          text CHECK (sla_clock IN ('first_response', 'next_response')),
        ADD COLUMN sla_clock_seq      integer NOT NULL DEFAULT 0,
        ADD COLUMN last_response_at   timestamptz,
        ADD COLUMN resolution_due_at  timestamptz,
        ADD COLUMN assigned_at        timestamptz,
        ADD COLUMN escalated_to       text,
        ADD COLUMN reassign_exclude   text,
        ADD COLUMN cluster_key        text,
        ADD COLUMN breached_at        timestamptz;
    ALTER TABLE cases ALTER COLUMN sla_clock SET DEFAULT 'first_response';
    -- One active case per viral cluster of a brand, whatever the number of replicas.
    CREATE UNIQUE INDEX cases_one_active_per_cluster ON cases (brand, cluster_key)
        WHERE status IN ('open', 'pending') AND cluster_key IS NOT NULL;
    -- The team queue: unassigned active cases, most urgent priority, then least time left.
    CREATE INDEX cases_team_queue ON cases (team, priority, sla_due_at)
        WHERE assignee IS NULL AND status IN ('open', 'pending');
    -- Replies find the case their conversation joined, also when it is a cluster's case.
    CREATE INDEX mentions_conversation ON mentions (conversation_key) WHERE case_id IS NOT NULL;
    CREATE INDEX mentions_classified_at ON mentions (classified_at);

    -- Durable SLA moments. A sweeper takes due rows with FOR UPDATE SKIP LOCKED, re-checks
    -- the case, and marks the row done in the same transaction as the outbox event.
    CREATE TABLE sla_timers (
        id         bigserial PRIMARY KEY,
        case_id    uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        clock      text NOT NULL CHECK (clock IN ('first_response', 'next_response',
                                                  'resolution')),
        clock_seq  integer NOT NULL,
        kind       text NOT NULL CHECK (kind IN ('warning', 'breach')),
        fraction   real NOT NULL,
        fire_at    timestamptz NOT NULL,
        done_at    timestamptz,
        outcome    text CHECK (outcome IN ('fired', 'cancelled')),
        UNIQUE (case_id, clock, clock_seq, kind, fraction)
    );
    -- The sweep reads only this partial index: its size is the number of pending timers, and
    -- a sweep touches only the due end of it.
    CREATE INDEX sla_timers_pending ON sla_timers (fire_at) WHERE done_at IS NULL;
    """
    )


def downgrade() -> None:
    execute_script(
        """
    DROP TABLE sla_timers, responders, routing_rules, sla_policies;
    DROP INDEX IF EXISTS mentions_conversation, mentions_classified_at;
    ALTER TABLE cases DROP COLUMN language, DROP COLUMN source, DROP COLUMN sla_clock,
        DROP COLUMN sla_clock_seq, DROP COLUMN last_response_at, DROP COLUMN resolution_due_at,
        DROP COLUMN assigned_at, DROP COLUMN escalated_to, DROP COLUMN reassign_exclude,
        DROP COLUMN cluster_key, DROP COLUMN breached_at;
    ALTER TABLE teams DROP COLUMN lead, DROP COLUMN requeue_on_offline,
        DROP COLUMN reassign_on_breach;
    """
    )
