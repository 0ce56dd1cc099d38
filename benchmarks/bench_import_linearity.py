"""Benchmark: is ``python -m bot import dila`` linear in the number of records?

Run: ``.venv/bin/python benchmarks/bench_import_linearity.py [--counts 5000,10000,…]``.

For each count, a DILA export of that many *identical* service records (same place,
same content, one id each: the worst case for the dedup, every record lands on the same
structure) is written to a temporary folder and imported into a copy of the small test
knowledge (the project's networks, regions and sheets) by ``python -m bot import dila``
in a child process. Printed: wall time, CPU time of the child (less sensitive than the
wall time to other work on a shared machine), CPU time per 1,000 records and peak memory
(RSS) of the import. Linear import: the time per 1,000 records stays flat as the count
grows. The machine is shared: repeat a run before reading a small difference.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def record(number: int) -> dict:
    """One CIO record of the DILA export (fictitious office, real commune Tours)."""
    return {
        "id": f"bench-{number:07d}",
        "nom": "Centre d'information et d'orientation (CIO) de Banc d'essai",
        "pivot": [{"type_service_local": "cio", "code_insee_commune": ["37261"]}],
        "code_insee_commune": "37261",
        "adresse": [
            {
                "type_adresse": "Adresse",
                "numero_voie": "1 rue du Banc d'essai",
                "code_postal": "37000",
                "nom_commune": "Tours",
                "longitude": "0.6890",
                "latitude": "47.3900",
            }
        ],
        "telephone": [{"valeur": "02 00 00 00 01"}],
        "date_modification": "06/03/2024 13:49:59",
    }


def write_export(path: Path, count: int) -> None:
    """The export, written record by record.

    The text is the one ``json.dumps({"service": [...]})`` gives, but this process never
    holds the records: a child forked from a large process would count its memory in
    its own peak (``ru_maxrss``), as this benchmark's first figures did.
    """
    with path.open("w", encoding="utf-8") as export:
        export.write('{"service": [')
        for number in range(count):
            export.write((", " if number else "") + json.dumps(record(number)))
        export.write("]}")


def knowledge_folder(target: Path) -> Path:
    """The project's networks, regions and sheets, with no structure yet."""
    source = ROOT / "knowledge"
    (target / "structures").mkdir(parents=True)
    for name in ("networks.yaml", "regions.yaml", "sheets.yaml", "routing.yml"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    return target


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(count: int, timeout: float) -> tuple[float, float, float, bool]:
    """Wall seconds, CPU seconds, peak MB of the child, finished before ``timeout``."""
    with tempfile.TemporaryDirectory(prefix="spro-bench-import-") as tmp:
        export = Path(tmp) / "export.json"
        write_export(export, count)
        folder = knowledge_folder(Path(tmp) / "knowledge")
        command = [sys.executable, "-m", "bot", "import", "dila", str(export)]
        env = {**os.environ, "SPRO_KNOWLEDGE_DIR": str(folder), "PYTHONPATH": str(ROOT)}
        start, cpu = time.perf_counter(), _children_cpu()
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            output, _ = child.communicate(timeout=timeout)
            finished = child.returncode == 0
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            output, finished = b"", False
        elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
        # ru_maxrss of the children waited for so far: the largest child's peak.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if child.returncode not in (0, None) and output:
            print(output.decode("utf-8", "replace")[-800:])
        return elapsed, cpu, peak, finished


def main() -> None:
    """Import each count once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="5000,10000,40000,200000")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    for count in (int(c) for c in args.counts.split(",")):
        seconds, cpu, peak, finished = run(count, args.timeout)
        state = "" if finished else f" (arrêté ou en échec après {args.timeout:g} s)"
        print(
            f"{count:>7} fiches identiques : {seconds:6.1f} s, CPU {cpu:6.1f} s, "
            f"CPU {cpu / count * 1000:.3f} s / 1 000 fiches, "
            f"pic mémoire (max des imports) {peak:.0f} Mo{state}",
            flush=True,
        )


if __name__ == "__main__":
    main()
