"""The rules file: the shipped example parses, mistakes are reported with their location."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.router.commands import app, read_routing_file

EXAMPLE = Path(__file__).parents[3] / "services" / "router" / "rules.example.yaml"


def test_the_example_file_parses() -> None:
    document = read_routing_file(EXAMPLE)
    assert [r.name for r in document.rules][:2] == ["security", "vip-authors"]
    assert {p.priority for p in document.sla_policies} == {"p1", None}
    assert document.team_settings[0].lead == "ana"


def test_a_mistake_names_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: x\n    when: {urgency: [panic]}\n    then: {team: support}\n")
    with pytest.raises(typer.BadParameter, match=r"rules\.0\.when\.urgency\.0"):
        read_routing_file(bad)


def test_load_refuses_an_invalid_file_before_touching_the_database(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: [{name: x, then: {}}]\n")
    result = CliRunner().invoke(app, ["load", str(bad)])
    assert result.exit_code == 2
    assert "must set team, priority, queue" in result.output
