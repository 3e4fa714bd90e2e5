"""Run the Python examples of a docs page: each fenced `python` block, on its own."""

from __future__ import annotations

import os
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
SKIP_MARKER = "<!-- no-test -->"


def python_blocks(page: str) -> list[tuple[int, str]]:
    """`(line number, code)` of each `python` block of `docs/<page>` not marked no-test."""
    lines = (DOCS / page).read_text().splitlines()
    blocks: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```python":
            previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
            end = lines.index("```", index + 1)
            if previous.strip() != SKIP_MARKER:
                blocks.append((index + 2, "\n".join(lines[index + 1 : end])))
            index = end
        index += 1
    return blocks


def run_block(page: str, line: int, code: str, workdir: Path) -> None:
    """Execute one block in a fresh namespace, in `workdir`, restoring the environment after."""
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        exec(compile(code, f"docs/{page}:{line}", "exec"), {"__name__": "docs_snippet"})
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
