"""First-response time in business hours, stored on the case; one head again.

The API records a response's instant; the router, which owns the business calendars, fills in
`first_response_business_s` (business seconds from the clock's start to the first response)
shortly after, so analytics can report median and p90 first-response time in business hours
next to the share answered within SLA. The partial index keeps "responded, not yet computed"
cheap to find however many cases there are.

This revision also merges the four heads the services' migrations had grown (router, ingest,
api, local bus), so later migrations have a single parent.

Revision ID: 0007
Revises: 0003_router, 0004, 0005_api_queue, 0006
Create Date: 2026-11-26
"""

from services.shared.db.script import execute_script

revision = "0007"
down_revision = ("0003_router", "0004", "0005_api_queue", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    ALTER TABLE cases ADD COLUMN first_response_business_s double precision;
    CREATE INDEX cases_business_response_pending ON cases (id)
        WHERE first_response_at IS NOT NULL AND first_response_business_s IS NULL;
    """
    )


def downgrade() -> None:
    execute_script(
        """
    DROP INDEX IF EXISTS cases_business_response_pending;
    ALTER TABLE cases DROP COLUMN IF EXISTS first_response_business_s;
    """
    )
