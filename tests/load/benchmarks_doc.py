"""Dated entries appended to docs/BENCHMARKS.md, under one section per benchmark command."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).parents[2] / "docs" / "BENCHMARKS.md"


def append_entry(*, heading: str, command: str, module: str, text: str) -> None:
    """Append `text` to the section `heading`, creating it (with how to rerun) at the end."""
    content = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    if heading not in content:
        content = content.rstrip("\n") + f"\n\n{heading}\n\nCommand: `{command}` "
        content += f"(`python -m {module}`). Entries are appended, newest last.\n"
    BENCHMARKS.write_text(content.rstrip("\n") + "\n\n" + text, encoding="utf-8")
