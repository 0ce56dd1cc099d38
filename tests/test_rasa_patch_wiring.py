"""The Rasa patches are installed by the server's entry point, never by chance.

``bot.runtime.rasa_server`` installs every module of ``bot.rasa_patches``; the launcher
starts (and trains) Rasa through it, and a bare ``rasa run`` reaches it through
credentials.yml. Importing the NLU components (config.yml) installs nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.runtime import launcher, rasa_server
from bot.runtime.launcher import child_environment

PATCHES_DIR = PROJECT_ROOT / "bot" / "rasa_patches"


def _installed_in_fresh_process(code: str, env: dict[str, str] | None = None) -> str:
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.strip().splitlines()[-1]


def test_every_patch_module_is_in_the_entry_points_list() -> None:
    modules = {
        path.stem
        for path in PATCHES_DIR.glob("*.py")
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "install"
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        )
    }
    wired = {patch.__name__.rsplit(".", 1)[-1] for patch in rasa_server.PATCHES}
    assert modules and wired == modules


def test_importing_the_nlu_components_installs_no_patch() -> None:
    shown = _installed_in_fresh_process(
        "import bot.nlu\n"
        "from rasa.nlu.classifiers.diet_classifier import DIET\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "from bot.rasa_patches import ORIGINALS\n"
        "print('_spro_rasa_load' in vars(DIET), ORIGINALS in vars(RemoteAction))"
    )
    assert shown == "False False"


def test_rasa_run_with_credentials_yml_installs_every_patch() -> None:
    """What ``rasa run --credentials credentials.yml`` builds before loading a model."""
    shown = _installed_in_fresh_process(
        "from rasa.core.run import create_http_input_channels\n"
        "from rasa.nlu.classifiers.diet_classifier import DIET\n"
        "from bot.runtime.rasa_server import installed_patches\n"
        "create_http_input_channels(None, 'credentials.yml')\n"
        "print(sorted(installed_patches()), '_spro_rasa_load' in vars(DIET))"
    )
    names = sorted(patch.__name__.rsplit(".", 1)[-1] for patch in rasa_server.PATCHES)
    assert shown == f"{names} True"


def test_the_entry_point_installs_the_patches_before_rasa_runs(monkeypatch) -> None:
    seen: list[tuple[str, ...]] = []
    import rasa.__main__

    monkeypatch.setattr(
        rasa.__main__, "main", lambda: seen.append(rasa_server.installed_patches())
    )
    monkeypatch.setattr(sys, "argv", ["x"])
    rasa_server.main(["--version"])
    assert seen and len(seen[0]) == len(rasa_server.PATCHES)
    assert sys.argv == ["rasa", "--version"]


def test_the_launcher_trains_and_runs_rasa_through_the_entry_point(
    monkeypatch, tmp_path: Path
) -> None:
    commands: list[list[str]] = []
    stack = launcher.Stack(
        model=tmp_path / "model.tar.gz",
        rasa_port=1,
        actions_port=2,
        endpoints=tmp_path / "endpoints.yml",
        log_dir=tmp_path,
    )
    monkeypatch.setattr(stack, "_spawn", lambda command, log: commands.append(command))
    stack.start_rasa()
    assert commands[0][:4] == [sys.executable, "-m", "bot.runtime.rasa_server", "run"]
    monkeypatch.setattr(
        launcher.subprocess, "run", lambda command, **kw: commands.append(command)
    )
    monkeypatch.setattr(launcher, "training_fingerprint", lambda root: "new")
    launcher.ensure_model(tmp_path / "models", tmp_path)
    assert commands[1][:4] == [sys.executable, "-m", "bot.runtime.rasa_server", "train"]
