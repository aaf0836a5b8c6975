"""Stopping an embedded PostgreSQL a test left without an owner (after kill -9 or a restart
by pg_ctl, pgserver's own clean-up at exit no longer applies)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def stop_postgres(data_dir: Path) -> None:
    from pgserver._commands import POSTGRES_BIN_PATH

    if (data_dir / "postmaster.pid").exists():
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir), "stop", "-m", "fast"],
            check=False,
            capture_output=True,
            timeout=60,
            # As root, the embedded server runs as its own system user (PostgreSQL refuses root).
            user="pgserver" if os.geteuid() == 0 else None,
        )
