"""README stays a newcomer's page; the links of README and docs/ lead somewhere; the
figure blocks the benchmarks and ``make evaluate`` rewrite exist where they write."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCUMENTS = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def test_readme_is_short_and_has_its_sections() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) <= 12 * 1024
    for heading in ("## Two commands", "## Architecture", "## Where do I change"):
        assert heading in text
    assert "make run" in text and "make test" in text


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_lead_to_files(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    missing = [
        target
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
        if not re.match(r"[a-z]+:", target)
        and not (document.parent / target).exists()
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("script", "document", "blocks"),
    [
        ("benchmarks/bench_startup.py", "docs/performance.md", {"performance"}),
        ("benchmarks/bench_load.py", "docs/performance.md", {"load", "load-cluster"}),
        ("benchmarks/bench_targets.py", "docs/performance.md", {"targets"}),
        ("benchmarks/bench_soak.py", "docs/performance.md", {"soak"}),
        ("benchmarks/bench_knowledge.py", "docs/performance.md", {"knowledge"}),
        ("benchmarks/bench_indicators.py", "docs/performance.md", {"indicators"}),
        ("benchmarks/bench_handover.py", "docs/handover.md", {"handover"}),
        ("scripts/evaluate.py", "docs/dialogue.md", {"figures"}),
    ],
)
def test_the_blocks_written_by_the_tools_exist(
    script: str, document: str, blocks: set[str]
) -> None:
    source = (PROJECT_ROOT / script).read_text(encoding="utf-8")
    folder, name = document.split("/")
    assert f'"{folder}" / "{name}"' in source and "README.md\"" not in source
    for block in blocks:
        assert f'"{block}"' in source
    text = (PROJECT_ROOT / document).read_text(encoding="utf-8")
    for block in blocks:
        assert f"<!-- {block}:start -->" in text and f"<!-- {block}:end -->" in text
