"""Measure the dialogue: NLU on every held-out set, test stories, personas over REST.

``make evaluate`` (``.venv/bin/python scripts/evaluate.py``) uses the trained model
(training it first only if its inputs changed), writes the raw reports to ``results/``
and the summary table into docs/dialogue.md between the ``figures`` markers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation.personas import english_summary, markdown, summary  # noqa: E402
from bot.reports import write_block  # noqa: E402
from bot.runtime.persona_servers import play_files  # noqa: E402
from bot.runtime.launcher import (  # noqa: E402
    RASA_COMMAND,
    child_environment,
    ensure_model,
)

RESULTS = ROOT / "results"
DOCUMENTS = (ROOT / "docs" / "dialogue.md",)
# The held-out NLU sets (never trained on): the first one, the second one written from the
# seed reports' situations and the information sheets, and the blind one (written by someone
# who never saw data/nlu, the stories or the personas: tests/blind/README.md).
HELD_OUT_SETS = tuple(
    str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").glob("test_nlu*.yml"))
)
# The pipeline's final age and commune entities carry this extractor name (bot.nlu.EntityRepair,
# after DIET): its report is the pipeline's entity figure, DIET's spans as checked.
ENTITY_EXTRACTOR = "EntityRepair"
PERSONAS_FILE = ROOT / "tests" / "e2e" / "personas.yml"
BLIND_PERSONAS_FILE = ROOT / "tests" / "e2e" / "personas_blind.yml"


def rasa(*args: str) -> subprocess.CompletedProcess:
    """Run a rasa command in the project, output captured."""
    return subprocess.run([*RASA_COMMAND, *args], cwd=ROOT, env=child_environment(),
                          capture_output=True, text=True, check=False)


def nlu_figures(model: Path, held_out: str) -> dict:
    """Intent macro-F1 and the pipeline's entity F1 on one held-out set."""
    out = RESULTS / ("nlu" if held_out == HELD_OUT_SETS[0] else f"nlu-{Path(held_out).stem}")
    run = rasa("test", "nlu", "--nlu", held_out, "--model", str(model), "--out", str(out))
    if run.returncode != 0:
        raise SystemExit(run.stdout[-3000:] + run.stderr[-3000:])
    intents = json.loads((out / "intent_report.json").read_text())
    entities_file = out / f"{ENTITY_EXTRACTOR}_report.json"
    entities = json.loads(entities_file.read_text()) if entities_file.exists() else {}
    examples = sum(v.get("support", 0) for k, v in intents.items() if isinstance(v, dict) and "support" in v
                   and k not in ("accuracy", "macro avg", "weighted avg", "micro avg"))
    return {
        "examples": examples,
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "intent_accuracy": intents.get("accuracy"),
        "entity_macro_f1": entities.get("macro avg", {}).get("f1-score"),
        "entity_micro_f1": entities.get("micro avg", {}).get("f1-score"),
    }


def core_figures(model: Path) -> dict:
    """Test stories passed (tests/test_stories.yml)."""
    out = RESULTS / "core"
    run = rasa("test", "core", "--stories", "tests/test_stories.yml", "--model", str(model),
               "--out", str(out), "--no-plot")
    text = (out / "failed_test_stories.yml").read_text() if (out / "failed_test_stories.yml").exists() else ""
    stories = len(re.findall(r"^\s*- story:", (ROOT / "tests" / "test_stories.yml").read_text(), re.M))
    failed = len(re.findall(r"^\s*- story:", text, re.M))
    return {"stories": stories, "passed": stories - failed, "returncode": run.returncode}


def persona_figures(model: Path, files: tuple[Path, ...]) -> list[dict]:
    """Play every persona of each file against freshly started servers (one stack)."""
    return [{**summary(results), **english_summary(personas, results)}
            for personas, results in play_files(model, files, timeout=180)]


def persona_rows(name: str, personas: dict) -> list[str]:
    """The table rows of one personas file."""
    english = personas.get("english") or 0
    english_share = (f"{personas['english_as_expected']} / {english} ({personas['english_as_expected'] / english:.0%})"
                     if english else "n/a")
    return [
        f"| Personas as expected ({name}, REST, real servers) | {personas['routed_as_expected']} / {personas['personas']} ({personas['routing_accuracy']:.0%}) |",
        f"| Personas ending with an orientation or a human offer, ≤ 8 messages ({name}) | {personas['ended_with_next_step']} / {personas['personas']} |",
        f"| Personas asked the same question three times, loops ({name}) | {personas['loops']} |",
        f"| Median user messages to the orientation ({name}) | {personas['median_turns']} (max {personas['max_turns']}) |",
        f"| English personas as expected ({name}) | {english_share} |",
    ]


def table(nlu_sets: list[tuple[str, dict]], core: dict, personas: list[tuple[str, dict]]) -> str:
    """The figures as markdown."""
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    rows = [
        f"Measured on {date.today().isoformat()} with `make evaluate`.",
        "",
        "| Measure | Value |",
        "|---|---:|",
    ]
    for held_out, nlu in nlu_sets:
        rows += [
            f"| NLU held-out examples ({held_out}) | {nlu['examples']} |",
            f"| Intent macro-F1 / accuracy ({held_out}) | {pct(nlu['intent_macro_f1'])} / {pct(nlu['intent_accuracy'])} |",
            f"| Entity F1, micro / macro, after EntityRepair ({held_out}) | {pct(nlu['entity_micro_f1'])} / {pct(nlu['entity_macro_f1'])} |",
        ]
    rows += [
        f"| Test stories passed (tests/test_stories.yml) | {core['passed']} / {core['stories']} |",
    ]
    for name, figures in personas:
        rows += persona_rows(name, figures)
    rows.append("")
    return "\n".join(rows)


def main() -> int:
    """Run the three measures and write the table."""
    RESULTS.mkdir(exist_ok=True)
    model = ensure_model()
    nlu_sets = [(held_out, nlu_figures(model, held_out)) for held_out in HELD_OUT_SETS]
    core = core_figures(model)
    files = tuple(f for f in (PERSONAS_FILE, BLIND_PERSONAS_FILE) if f.exists())
    personas = list(zip((str(f.relative_to(ROOT)) for f in files), persona_figures(model, files)))
    for name, figures in personas:
        report = RESULTS / f"{Path(name).stem}.md"
        report.write_text(markdown(figures), encoding="utf-8")
    figures = table(nlu_sets, core, personas)
    for document in DOCUMENTS:
        write_block(document, "figures", figures)
    print(figures)
    for name, persona_figures_of_file in personas:
        if persona_figures_of_file["failures"]:
            print(f"\n{name}\n" + markdown(persona_figures_of_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
