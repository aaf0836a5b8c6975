"""`earshot`'s service commands: each registered by its own module, only the one a command
line names imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services import cli

REPO = Path(__file__).resolve().parents[2]


def _names() -> set[str]:
    commands = {c.name or c.callback.__name__ for c in cli.app.registered_commands if c.callback}
    return commands | {g.name for g in cli.app.registered_groups if g.name}


@pytest.fixture
def bare_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.app, "registered_commands", list(cli.app.registered_commands))
    monkeypatch.setattr(cli.app, "registered_groups", list(cli.app.registered_groups))


@pytest.mark.parametrize("name", sorted(cli.SERVICE_COMMANDS))
def test_a_named_command_registers_its_own_module_only(
    bare_app: None, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    before = _names()
    assert name not in before
    cli._register_service_commands(name)
    added = _names() - before
    assert name in added
    assert not added & (set(cli.SERVICE_COMMANDS) - {"classify", "train"} - {name})


def test_help_and_unknown_names_register_every_service_command(bare_app: None) -> None:
    before = _names()
    cli._register_service_commands(None)
    assert set(cli.SERVICE_COMMANDS) <= _names() - before


def test_earshot_classify_does_not_import_the_router_commands() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['earshot', 'classify', '--help']\n"
        "from services.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('services.router.commands', 'services.api.analytics.commands',"
        " 'services.classifier.commands') if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "Usage: earshot classify" in " ".join(done.stdout.split())
    assert done.stderr.strip().splitlines()[-1] == "['services.classifier.commands']"
