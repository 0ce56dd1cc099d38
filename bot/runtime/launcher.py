"""Start the assistant on this machine: train if needed, then Rasa and the action server.

``python -m bot.runtime.launcher`` (what ``make run`` calls) trains the model when the
config, domain or training data changed, starts the action server and the Rasa
server on localhost, prints where to talk to the bot, and stops both on Ctrl-C.
A server that stops is restarted, after 1 s, then 2, 4… up to a minute if it keeps
stopping; the launcher says so and ``python -m bot.runtime.launcher status`` (``make status``)
shows each server's state and restarts. Once Rasa answers, a second, standby Rasa server
loads the model without binding the port (``bot.rasa_patches.standby``); when the
serving one stops, the standby serves within a second and a new standby loads
(``SPRO_RASA_STANDBY=0``: no standby, Rasa restarts from scratch, 20 s to a minute).
Files it and the servers create are private to the user (mode 600). While running, it
deletes conversations older than the retention period
(``SPRO_CONVERSATION_RETENTION_DAYS``, 30 by default) and the chat desk's expired
call-back contacts at start and once a day. Tests and benchmarks use
:class:`Stack` to start the same servers on free ports.
"""  # noqa: E501 - the first line is the --help description, kept as is

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT, database_url, var_dir

TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "bot/nlu.py")
STOP_GRACE_SECONDS = 15.0
PURGE_INTERVAL_SECONDS = 24 * 3600.0
RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)
# A server up this long is healthy again: its next restart waits 1 s.
HEALTHY_AFTER_SECONDS = 300.0
PRIVATE_UMASK = 0o077
# Servers handle one small message at a time: a multi-threaded OpenBLAS (numpy, spaCy's
# layers, the language identifier) only spins its idle threads, about a fifth of the
# Rasa server's CPU per message here (docs/capacity.md). The operator's value wins.
SERVER_THREAD_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1"}
# Rasa's CLI with the project's Rasa patches installed first (bot.runtime.rasa_server).
RASA_COMMAND = (sys.executable, "-m", "bot.runtime.rasa_server")
# The standby Rasa server writes its process id here once its model is loaded.
STANDBY_READY_FILE = "rasa-standby.ready"


def standby_wanted() -> bool:
    """Keep a standby Rasa server (``SPRO_RASA_STANDBY``, on unless set to 0).

    Only when the standby patch applies (checked Rasa version, not switched off).
    """
    from bot.rasa_patches import standby

    return os.environ.get("SPRO_RASA_STANDBY", "1") != "0" and standby.available()


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the servers.

    No telemetry, quiet TensorFlow, project on the path.
    """
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
            ),
        }
    )
    env.update(extra or {})
    return env


def venv_bin(name: str) -> str:
    """Path of an executable of the running interpreter's environment."""
    return str(Path(sys.executable).parent / name)


def training_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """Hash of everything ``rasa train`` reads, to retrain only when it changed."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file())
            if path.is_dir()
            else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def ensure_model(models_dir: Path | None = None, root: Path = PROJECT_ROOT) -> Path:
    """Return the trained model, training it first if its inputs changed.

    A lock file makes concurrent callers (a test run, ``make run``) wait for one
    training instead of writing the same model file together.
    """
    models_dir = models_dir or root / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train_if_changed(models_dir, root)


def _train_if_changed(models_dir: Path, root: Path) -> Path:
    model = models_dir / "spro.tar.gz"
    stamp = models_dir / "spro.fingerprint"
    wanted = training_fingerprint(root)
    if model.exists() and stamp.exists() and stamp.read_text() == wanted:
        return model
    print("Training the model (config, domain or data changed)...", flush=True)
    subprocess.run(
        [
            *RASA_COMMAND,
            "train",
            "--fixed-model-name",
            "spro",
            "--out",
            str(models_dir),
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
        ],
        cwd=root,
        env=child_environment(),
        check=True,
    )
    stamp.write_text(wanted)
    return model


def ensure_knowledge() -> bool:
    """Load the knowledge files into the knowledge base if they changed.

    Invalid files change nothing: their problems are printed and the last good
    knowledge keeps serving. Returns False only when there is no knowledge at all.
    """
    from bot.knowledge.store import load_directory, snapshot_info

    outcome = load_directory()
    if outcome.snapshot_id is not None:
        if outcome.changed:
            print("Knowledge files loaded into the knowledge base.", flush=True)
        return True
    print(
        "The knowledge files have errors (run `python -m bot check`):", file=sys.stderr
    )
    for problem in outcome.check.errors:
        print(f"  {problem}", file=sys.stderr)
    if snapshot_info(database_url()) is None:
        return False
    print("The previous knowledge keeps serving.", file=sys.stderr)
    return True


def purge_expired_data(endpoints: Path) -> None:
    """Run the staff's purges: ``python -m bot purge-conversations``, then the desk's.

    ``python -m bot.handover purge`` erases the contact data of call-backs closed
    more than ``SPRO_CALLBACK_RETENTION_DAYS`` ago and deletes old finished
    hand-overs.
    A failure is reported, not fatal. In child processes, so that the launcher itself
    never imports Rasa.
    """
    for command in (
        ["bot", "purge-conversations", "--endpoints", str(endpoints)],
        ["bot.handover", "purge"],
    ):
        run = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=PROJECT_ROOT,
            env=child_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        print(
            run.stdout.strip() or run.stderr.strip()[-500:],
            flush=True,
            file=sys.stdout if run.returncode == 0 else sys.stderr,
        )


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_endpoints(path: Path, actions_port: int, tracker_db: Path) -> Path:
    """Write endpoints.yml with the given action server port and tracker database."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(tracker_db)
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True))
    return path


def _stop_with_parent() -> None:
    """In a child, before exec.

    Private files, and SIGTERM if the launcher dies (Linux).
    """
    os.umask(PRIVATE_UMASK)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stack_in_folder(
    model: Path, work: Path, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """``Stack`` settings: free localhost ports, ``work`` its var dir and tracker."""
    actions_port = free_port()
    return {
        "model": model,
        "rasa_port": free_port(),
        "actions_port": actions_port,
        "endpoints": write_endpoints(
            work / "endpoints.yml", actions_port, work / "tracker.sqlite3"
        ),
        "log_dir": work,
        "extra_env": {"SPRO_VAR_DIR": str(work), **(extra_env or {})},
    }


@dataclass
class Stack:
    """The Rasa server and the action server, as two child processes."""

    model: Path
    rasa_port: int = 5005
    actions_port: int = 5055
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    log_dir: Path = field(default_factory=var_dir)
    extra_env: dict[str, str] = field(default_factory=dict)
    rasa: subprocess.Popen | None = None
    actions: subprocess.Popen | None = None
    # A Rasa server with its model loaded, waiting to serve (start_standby).
    standby: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self) -> None:
        """Start both servers (not waiting for them to answer)."""
        self.start_actions()
        self.start_rasa()

    def start_actions(self) -> None:
        """Start the action server, on localhost.

        rasa-sdk only: no Rasa, no TensorFlow.
        """
        self.actions = self._spawn(
            [
                sys.executable,
                "-m",
                "bot.runtime.action_server",
                "--port",
                str(self.actions_port),
            ],
            "actions.log",
        )

    def start_rasa(self) -> None:
        """Start the Rasa server on localhost (CORS is the public channels' own)."""
        self.rasa = self._spawn(self._rasa_command(), "rasa.log")

    def start_standby(self) -> None:
        """Start a standby Rasa server: it loads the model, waits for ``promote``."""
        ready_file = self.log_dir / STANDBY_READY_FILE
        ready_file.unlink(missing_ok=True)
        self.standby = self._spawn(
            self._rasa_command(),
            "rasa.log",
            {"SPRO_RASA_STANDBY_READY_FILE": str(ready_file)},
        )

    def standby_ready(self) -> bool:
        """True when the standby's model is loaded (its id is in the ready file)."""
        if self.standby is None or self.standby.poll() is not None:
            return False
        try:
            written = (self.log_dir / STANDBY_READY_FILE).read_text()
        except FileNotFoundError:
            return False
        return written == str(self.standby.pid)

    def promote(self) -> subprocess.Popen | None:
        """Tell the standby to serve; it becomes ``rasa``. None when there is none.

        Only once the serving Rasa server has exited: the standby binds its port, so
        two Rasa servers never serve (nor share the in-memory lock store) at once. A
        standby still loading serves as soon as its model is loaded.
        """
        standby, self.standby = self.standby, None
        if standby is None or standby.stdin is None or standby.poll() is not None:
            return None
        try:
            standby.stdin.write(b"serve\n")
            standby.stdin.close()
        except BrokenPipeError:
            return None
        self.rasa = standby
        return standby

    def _rasa_command(self) -> list[str]:
        return [
            *RASA_COMMAND,
            "run",
            "--model",
            str(self.model),
            "--endpoints",
            str(self.endpoints),
            "--credentials",
            "credentials.yml",
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.rasa_port),
        ]

    def name_of(self, process: subprocess.Popen) -> str:
        """The server's name: "rasa", "standby" or "actions"."""
        if process is self.rasa:
            return "rasa"
        return "standby" if process is self.standby else "actions"

    def restart(self, process: subprocess.Popen) -> subprocess.Popen:
        """Start again the server that ``process`` was; return its new process."""
        if process is self.rasa:
            self.start_rasa()
            assert self.rasa is not None
            return self.rasa
        if process is self.standby:
            self.start_standby()
            assert self.standby is not None
            return self.standby
        self.start_actions()
        assert self.actions is not None
        return self.actions

    def _spawn(
        self,
        command: list[str],
        log_name: str,
        standby_env: dict[str, str] | None = None,
    ) -> subprocess.Popen:
        env = {
            **SERVER_THREAD_DEFAULTS,
            **child_environment({**self.extra_env, **(standby_env or {})}),
        }
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / log_name, "ab")  # closed with the process
        os.chmod(self.log_dir / log_name, 0o600)
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # A standby reads its "serve" line there (Stack.promote).
            stdin=subprocess.PIPE if standby_env else subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_stop_with_parent,
        )

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Wait until both servers answer; return the seconds it took."""
        started = time.monotonic()
        targets = [
            f"{self.url}/webhooks/rest/",
            f"http://127.0.0.1:{self.actions_port}/health",
        ]
        while targets:
            if time.monotonic() - started > timeout:
                raise TimeoutError(
                    f"Servers not ready after {timeout:.0f} s; see {self.log_dir}"
                )
            for process in (self.rasa, self.actions):
                if process is not None and process.poll() is not None:
                    raise RuntimeError(
                        f"A server stopped at start-up (exit {process.returncode}); "
                        f"see the logs in {self.log_dir}"
                    )
            try:
                with urllib.request.urlopen(targets[0], timeout=2):
                    targets.pop(0)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop both servers.

        SIGTERM to each process group, SIGKILL after a grace period.
        """
        for process in (self.rasa, self.standby, self.actions):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in (self.rasa, self.standby, self.actions):
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def first_exit(self, timeout: float | None = None) -> subprocess.Popen | None:
        """Wait until one of the servers exits and return it.

        None after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            for process in (self.rasa, self.standby, self.actions):
                if process is not None and process.poll() is not None:
                    return process
            time.sleep(0.1)
        return None


def already_running(pid_file: Path) -> int | None:
    """Pid of a launcher that is still running, from its pid file."""
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid
    return pid


@dataclass
class ServerState:
    """What the status shows of one server."""

    pid: int | None = None
    state: str = "starting"
    started_at: float = 0.0
    restarts: int = 0
    last_exit: int | None = None
    next_start_at: float | None = None


class Supervisor:
    """Restarts a stopped server with a growing delay, and writes the status file.

    With a standby Rasa server, a stopped Rasa server is replaced by the standby at
    once, and a new standby starts loading.
    """

    def __init__(self, stack: Stack, status_file: Path, standby: bool = False) -> None:
        """Watch ``stack``'s servers; ``status_file`` is what ``status`` reads.

        ``standby``: start a standby Rasa server now, and keep one.
        """
        self.stack = stack
        self.status_file = status_file
        now = time.time()
        self.servers = {
            name: ServerState(pid=process.pid, state="running", started_at=now)
            for name, process in (("rasa", stack.rasa), ("actions", stack.actions))
            if process is not None
        }
        if standby:
            self.servers["standby"] = ServerState()
            self.start_standby()
        self.write()

    def write(self) -> None:
        """Write the status file (private)."""
        status = {
            "launcher_pid": os.getpid(),
            "url": self.stack.url,
            "updated_at": time.time(),
            "servers": {name: vars(state) for name, state in self.servers.items()},
        }
        draft = self.status_file.with_suffix(".tmp")
        draft.write_text(json.dumps(status, indent=1))
        draft.replace(self.status_file)

    def start_standby(self) -> None:
        """Start a standby Rasa server; its state is "loading" until its model is."""
        self.stack.start_standby()
        assert self.stack.standby is not None
        state = self.servers["standby"]
        state.pid, state.state, state.started_at = (
            self.stack.standby.pid,
            "loading",
            time.time(),
        )
        state.next_start_at = None

    def tick(self) -> None:
        """Note that the standby's model is loaded; start a standby when one is due."""
        state = self.servers.get("standby")
        if state is None:
            return
        if state.state == "loading" and self.stack.standby_ready():
            state.state = "ready"
            self.write()
        elif state.state == "restarting" and time.time() >= (state.next_start_at or 0):
            self.start_standby()
            state.restarts += 1
            self.write()

    def restart(self, process: subprocess.Popen) -> None:
        """Say that a server stopped, and replace it.

        The Rasa server by its standby when there is one; otherwise the server starts
        again after its back-off delay (a standby without blocking the others).
        """
        name = self.stack.name_of(process)
        state = self.servers[name]
        if time.time() - state.started_at > HEALTHY_AFTER_SECONDS:
            state.restarts = 0
        state.last_exit = process.returncode
        if name == "rasa" and self.promote_standby(state):
            return
        delay = RESTART_DELAYS[min(state.restarts, len(RESTART_DELAYS) - 1)]
        label = {
            "rasa": "Rasa server",
            "standby": "standby Rasa server",
            "actions": "action server",
        }[name]
        print(
            f"The {label} stopped (exit {process.returncode}); restarting it in "
            f"{delay:.0f} s (restart {state.restarts + 1}). See var/"
            f"{'rasa' if name == 'standby' else name}.log.",
            file=sys.stderr,
            flush=True,
        )
        state.state = "restarting"
        state.next_start_at = time.time() + delay
        if name == "standby":
            self.stack.standby = None
            self.write()
            return  # tick() starts it when due
        self.write()
        time.sleep(delay)
        new = self.stack.restart(process)
        state.pid, state.state, state.started_at = new.pid, "running", time.time()
        state.restarts += 1
        state.next_start_at = None
        self.write()
        print(f"The {label} is starting again (process {new.pid}).", flush=True)

    def promote_standby(self, state: ServerState) -> bool:
        """Make the standby the Rasa server, start a new standby; False if none."""
        was_ready = self.stack.standby_ready()
        promoted = self.stack.promote()
        if promoted is None:
            return False
        print(
            f"The Rasa server stopped (exit {state.last_exit}); the standby Rasa "
            f"server (process {promoted.pid}) serves "
            f"{'now' if was_ready else 'as soon as its model is loaded'}; "
            "a new standby is loading. See var/rasa.log.",
            file=sys.stderr,
            flush=True,
        )
        state.pid, state.state, state.started_at = promoted.pid, "running", time.time()
        state.restarts += 1
        self.start_standby()
        self.write()
        return True


def print_status(status_file: Path) -> int:
    """``status``: each server's state, pid and restarts, from the running launcher."""
    pid = already_running(var_dir() / "launcher.pid")
    if pid is None or not status_file.exists():
        print("The assistant is not running (start it with `make run`).")
        return 1
    status = json.loads(status_file.read_text())
    print(
        f"Assistant running (launcher process {pid}): {status['url']}/webhooks/webchat/"
    )
    labels = {
        "rasa": "Rasa server  ",
        "actions": "Action server",
        "standby": "Rasa standby ",
    }
    for name, server in status["servers"].items():
        since = time.strftime("%H:%M:%S", time.localtime(server["started_at"]))
        line = (
            f"  {labels[name]}: {server['state']}, process {server['pid']}, "
            f"since {since}"
        )
        if server["restarts"]:
            line += (
                f"; restarted {server['restarts']} time(s), last exit "
                f"{server['last_exit']}"
            )
        print(line)
    if "standby" not in status["servers"]:
        print(
            "  Rasa standby : none (SPRO_RASA_STANDBY=0, or the standby patch off): "
            "a stopped Rasa server restarts from scratch"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the assistant in the foreground until Ctrl-C (or print its status)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("run", "status"), default="run")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SPRO_PORT", 5005))
    )
    parser.add_argument(
        "--actions-port",
        type=int,
        default=int(os.environ.get("SPRO_ACTIONS_PORT", 5055)),
    )
    args = parser.parse_args(argv)
    os.umask(PRIVATE_UMASK)
    status_file = var_dir() / "status.json"
    if args.command == "status":
        return print_status(status_file)

    pid_file = var_dir() / "launcher.pid"
    pid = already_running(pid_file)
    if pid is not None:
        print(
            f"The assistant is already running (process {pid}): "
            f"http://127.0.0.1:{args.port}/ — stop it with Ctrl-C in its terminal "
            f"or `kill {pid}`.",
            file=sys.stderr,
        )
        return 1
    busy = [p for p in (args.port, args.actions_port) if not port_is_free(p)]
    if busy:
        print(
            f"Port(s) {', '.join(map(str, busy))} already in use by another program. "
            "Free them, or choose others: SPRO_PORT=5006 SPRO_ACTIONS_PORT=5056 "
            "make run",
            file=sys.stderr,
        )
        return 1
    for existing in var_dir().glob("*"):
        if existing.is_file():
            existing.chmod(0o600)
    pid_file.write_text(str(os.getpid()))
    stack: Stack | None = None
    try:
        if not ensure_knowledge():
            return 1
        model = ensure_model()
        endpoints = PROJECT_ROOT / "endpoints.yml"
        if args.actions_port != 5055:
            endpoints = write_endpoints(
                var_dir() / "endpoints.local.yml",
                args.actions_port,
                var_dir() / "tracker.sqlite3",
            )
        stack = Stack(
            model=model,
            rasa_port=args.port,
            actions_port=args.actions_port,
            endpoints=endpoints,
        )
        # Ctrl-C and SIGTERM stop both servers, even when started from a shell that
        # ignores SIGINT for background jobs (Python then keeps it ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(
            signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt)
        )
        print("Starting the Rasa server and the action server...", flush=True)
        stack.start()
        seconds = stack.wait_ready()
        supervisor = Supervisor(stack, status_file, standby=standby_wanted())
        print(
            f"\nReady in {seconds:.0f} s. Talk to the assistant:\n"
            f"  Web chat: {stack.url}/webhooks/webchat/ "
            f"(widget example: {stack.url}/webhooks/webchat/demo)\n"
            f"  REST: curl -s -XPOST {stack.url}/webhooks/rest/conversations, then\n"
            f"        curl -s -XPOST {stack.url}/webhooks/rest/webhook "
            '-d \'{"sender": "<id received>", "message": "Bonjour"}\'\n'
            f"Logs: {var_dir()}/rasa.log, {var_dir()}/actions.log. "
            "Status: make status. Ctrl-C stops both.",
            flush=True,
        )
        # The purges run beside the watch, which must notice a stop within a second.
        purge = threading.Thread(target=purge_expired_data, args=(endpoints,))
        purge.start()
        next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
        while True:
            exited = stack.first_exit(timeout=1.0)
            supervisor.tick()
            if exited is not None:
                supervisor.restart(exited)
            elif time.monotonic() >= next_purge and not purge.is_alive():
                purge = threading.Thread(target=purge_expired_data, args=(endpoints,))
                purge.start()
                next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        if stack is not None:
            stack.stop()
        pid_file.unlink(missing_ok=True)
        status_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
