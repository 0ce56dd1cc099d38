"""Rewrite the generated blocks of figures in docs/.

Benchmarks and evaluation figures.
"""

from __future__ import annotations

import re
from pathlib import Path


def write_block(path: Path, name: str, body: str) -> None:
    """Replace, in ``path``, what lies between ``<!-- name:start -->`` and its end mark.

    The end mark is ``<!-- name:end -->``.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"{re.escape(start)}.*?{re.escape(end)}", flags=re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no {start} … {end} block")
    path.write_text(
        pattern.sub(lambda _: f"{start}\n{body.rstrip()}\n{end}", text),
        encoding="utf-8",
    )
