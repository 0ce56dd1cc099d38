"""Benchmark: cost of masking one message (``bot.privacy.mask_personal_data``).

Run: ``.venv/bin/python benchmarks/bench_privacy.py [--rounds 20]``.

Masking runs on every message of the public and of the console before it is stored, so
it must stay far below the NLU's own cost. The messages are the test corpus
(``tests/data/personal_data.yml``: personal data and ordinary orientation messages) and
the NLU examples of ``data/nlu``. Printed: median, mean and p95 microseconds per
message, and the one-off cost of the first call (it reads the vocabulary the masking
checks names against). The machine is shared: repeat a run before reading a small
difference.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.privacy import mask_personal_data  # noqa: E402


def messages() -> list[str]:
    """The corpus texts and the NLU examples."""
    corpus = yaml.safe_load(
        (ROOT / "tests" / "data" / "personal_data.yml").read_text(encoding="utf-8")
    )
    texts = [item["text"] for item in corpus["masked"]] + list(corpus["kept"])
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                example = line.lstrip("- ").strip()
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", example)
                if text:
                    texts.append(text)
    return texts


def main() -> None:
    """Time the first call, then every message ``--rounds`` times."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    texts = messages()
    start = time.perf_counter()
    mask_personal_data("je suis Sophie Martin")
    first = time.perf_counter() - start
    samples = []
    for _ in range(args.rounds):
        for text in texts:
            start = time.perf_counter()
            mask_personal_data(text)
            samples.append(time.perf_counter() - start)
    samples.sort()
    print(
        f"{len(texts)} messages x {args.rounds} : médiane "
        f"{statistics.median(samples) * 1e6:.1f} µs, moyenne "
        f"{statistics.mean(samples) * 1e6:.1f} µs, p95 "
        f"{samples[int(0.95 * (len(samples) - 1))] * 1e6:.1f} µs, max "
        f"{samples[-1] * 1e6:.0f} µs par message ; premier appel {first * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
