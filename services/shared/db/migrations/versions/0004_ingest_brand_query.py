"""A brand's tracking query (ingest's rule language, `services/ingest/rules/query.py`).

NULL means: match the brand's keywords, #hashtags and @handles as before.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The length bound mirrors MAX_QUERY_CHARS in the parser: a rule, not a document.
    execute_script(
        """
    ALTER TABLE brands ADD COLUMN IF NOT EXISTS query text
        CHECK (query IS NULL OR length(query) <= 4000);
    """
    )


def downgrade() -> None:
    execute_script("ALTER TABLE brands DROP COLUMN IF EXISTS query")
