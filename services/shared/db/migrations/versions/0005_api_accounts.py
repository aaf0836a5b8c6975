"""Accounts and tenancy for the API: organisations, users, API keys, the audit log, case
responses, label corrections and moderation decisions; brands and teams belong to an
organisation (existing rows to `default`).

Revision ID: 0005_api
Revises: 0002
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0005_api"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    -- never_hide_criticism: the moderation path may not hide a mention unless the model
    -- itself flagged it as abuse or spam; only an admin can lift it (audited).
    CREATE TABLE organisations (
        id                    text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name                  text NOT NULL,
        never_hide_criticism  boolean NOT NULL DEFAULT true,
        created_at            timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO organisations (id, name) VALUES ('default', 'Default organisation');

    -- Brand ids stay globally unique (mentions and cases name their brand by id), so a case
    -- or mention belongs to the organisation of its brand.
    ALTER TABLE brands ADD COLUMN organisation_id text NOT NULL DEFAULT 'default'
        REFERENCES organisations (id);
    CREATE INDEX brands_organisation ON brands (organisation_id);
    ALTER TABLE teams ADD COLUMN organisation_id text NOT NULL DEFAULT 'default'
        REFERENCES organisations (id);

    CREATE TABLE users (
        id               uuid PRIMARY KEY,
        organisation_id  text NOT NULL REFERENCES organisations (id),
        email            text NOT NULL UNIQUE CHECK (email = lower(email)),
        name             text NOT NULL,
        role             text NOT NULL CHECK (role IN ('responder', 'lead', 'admin')),
        password_hash    text NOT NULL,
        active           boolean NOT NULL DEFAULT true,
        created_at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX users_organisation ON users (organisation_id);

    -- Only a SHA-256 of the key's secret is kept: keys are 256-bit random, so a slow hash
    -- would add latency to every request without adding safety.
    CREATE TABLE api_keys (
        id               uuid PRIMARY KEY,
        organisation_id  text NOT NULL REFERENCES organisations (id),
        name             text NOT NULL,
        role             text NOT NULL CHECK (role IN ('responder', 'lead', 'admin')),
        secret_sha256    bytea NOT NULL,
        created_by       uuid REFERENCES users (id),
        created_at       timestamptz NOT NULL DEFAULT now(),
        revoked_at       timestamptz
    );

    -- No foreign keys: the trail must outlive what it describes.
    CREATE TABLE audit_log (
        id               bigserial PRIMARY KEY,
        organisation_id  text NOT NULL,
        actor            text NOT NULL,
        action           text NOT NULL,
        case_id          uuid,
        mention_id       uuid,
        details          jsonb NOT NULL DEFAULT '{}',
        at               timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX audit_log_case ON audit_log (case_id, id) WHERE case_id IS NOT NULL;
    CREATE INDEX audit_log_organisation ON audit_log (organisation_id, id DESC);

    CREATE TABLE case_responses (
        id          uuid PRIMARY KEY,
        case_id     uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        author      text NOT NULL,
        text        text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX case_responses_case ON case_responses (case_id, created_at);

    CREATE TABLE label_corrections (
        id            bigserial PRIMARY KEY,
        mention_id    uuid NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        field         text NOT NULL CHECK (field IN ('sentiment', 'abuse', 'urgency')),
        model_value   text,
        value         text NOT NULL,
        corrected_by  text NOT NULL,
        corrected_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX label_corrections_mention ON label_corrections (mention_id, id);

    CREATE TABLE moderation_decisions (
        id          bigserial PRIMARY KEY,
        mention_id  uuid NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
        decision    text NOT NULL CHECK (decision IN ('hide', 'keep', 'escalate')),
        reason      text,
        decided_by  text NOT NULL,
        decided_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX moderation_decisions_mention ON moderation_decisions (mention_id, id);

    -- The responder's queue: priority first, then the least time left.
    CREATE INDEX cases_priority_due ON cases (priority, sla_due_at, id);
    """
    )


def downgrade() -> None:
    execute_script(
        """
    DROP INDEX IF EXISTS cases_priority_due;
    DROP TABLE moderation_decisions, label_corrections, case_responses, audit_log, api_keys,
        users;
    ALTER TABLE teams DROP COLUMN organisation_id;
    ALTER TABLE brands DROP COLUMN organisation_id;
    DROP TABLE organisations;
    """
    )
