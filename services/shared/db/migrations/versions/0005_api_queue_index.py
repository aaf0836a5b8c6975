"""The personal queue ("assigned to me", ordered by priority then SLA due time) as an index:
without it, listing one person's cases scans the whole priority order (0.7 s at 1M cases).

Revision ID: 0005_api_queue
Revises: 0005_api
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0005_api_queue"
down_revision = "0005_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
    CREATE INDEX cases_assignee_queue ON cases (assignee, priority, sla_due_at, id)
        WHERE status IN ('open', 'pending') AND assignee IS NOT NULL;
    """
    )


def downgrade() -> None:
    execute_script("DROP INDEX IF EXISTS cases_assignee_queue")
