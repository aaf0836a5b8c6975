"""Dated entries appended to docs/BENCHMARKS.md, under one section per benchmark command."""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS = Path(__file__).parents[2] / "docs" / "BENCHMARKS.md"


def append_entry(*, heading: str, command: str, module: str, text: str) -> None:
    """Add `text` at the end of the section `heading` (before the next `## ` section),
    creating the section, with how to rerun it, at the end of the file."""
    content = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    if heading not in content:
        content = content.rstrip("\n") + f"\n\n{heading}\n\nCommand: `{command}` "
        content += f"(`python -m {module}`). Entries are appended, newest last.\n"
    start = content.index(heading)
    following = re.search(r"(?m)^## ", content[start + len(heading) :])
    end = start + len(heading) + following.start() if following else len(content)
    section = content[:end].rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    rest = content[end:]
    BENCHMARKS.write_text(section + ("\n" + rest if rest else ""), encoding="utf-8")
