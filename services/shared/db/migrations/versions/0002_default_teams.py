"""Default teams, so routing works with no configuration.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from services.shared.db.script import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WEEKDAYS_9_TO_18 = """{"timezone": "UTC", "weekly": {
    "mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
    "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]], "sat": [], "sun": []},
    "holidays": [], "exceptions": []}"""
_ALWAYS = """{"timezone": "UTC", "weekly": {
    "mon": [["00:00", "24:00"]], "tue": [["00:00", "24:00"]], "wed": [["00:00", "24:00"]],
    "thu": [["00:00", "24:00"]], "fri": [["00:00", "24:00"]], "sat": [["00:00", "24:00"]],
    "sun": [["00:00", "24:00"]]}, "holidays": [], "exceptions": []}"""


def upgrade() -> None:
    # 6 business hours is the common social-care norm for a first response.
    execute_script(
        f"""
    INSERT INTO teams (id, name, calendar, first_response_seconds) VALUES
        ('support', 'Customer support', '{_WEEKDAYS_9_TO_18}', 21600),
        ('moderation', 'Moderation', '{_ALWAYS}', 7200),
        ('engagement', 'Engagement', '{_WEEKDAYS_9_TO_18}', 86400)
    ON CONFLICT (id) DO NOTHING;
    """
    )


def downgrade() -> None:
    execute_script("DELETE FROM teams WHERE id IN ('support', 'moderation', 'engagement')")
