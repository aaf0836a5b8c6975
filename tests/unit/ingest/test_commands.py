"""`earshot ingest rules ...`: check a query, see where it is wrong, try it on a text."""

from __future__ import annotations

from typer.testing import CliRunner

from services.ingest.commands import app

RUNNER = CliRunner()


def test_rules_check_prints_the_canonical_query() -> None:
    result = RUNNER.invoke(app, ["rules", "check", "(acme OR #acmefail) -jobs lang:FR"])
    assert result.exit_code == 0
    assert result.output.strip() == "(acme OR #acmefail) AND NOT jobs AND lang:fr"


def test_rules_check_points_at_the_error() -> None:
    result = RUNNER.invoke(app, ["rules", "check", "acme AND (x"])
    assert result.exit_code == 2
    assert "^ expected ')'" in result.output


def test_rules_test_says_whether_a_text_matches() -> None:
    yes = RUNNER.invoke(app, ["rules", "test", "refund* -jobs", "Refunds please", "--lang", "en"])
    no = RUNNER.invoke(app, ["rules", "test", "refund* -jobs", "refund jobs"])
    assert (yes.exit_code, no.exit_code) == (0, 1)
