"""N colnato-qa replicas on one shared index, with nginx in front (docs/scaling.md).

    .venv/bin/python deploy/replicas.py up --replicas 3 --listen 127.0.0.1:8080   # build once, start all
    .venv/bin/python deploy/replicas.py status                                    # JSON: each replica's health
    .venv/bin/python deploy/replicas.py restart 2                                  # restart replica 2
    .venv/bin/python deploy/replicas.py roll --rebuild                             # new index generation, rolled out
    .venv/bin/python deploy/replicas.py down                                       # stop everything

``up`` builds the index once (``colnato-qa build``, skipped when current), starts the replicas
(``colnato-qa serve`` on 127.0.0.1, one port each from ``--first-port``), waits until each one's
``/healthz`` reports its chat page ready, renders ``deploy/nginx.conf`` into the run directory and
starts nginx (Debian's ``nginx`` package) on ``--listen``. Replicas and nginx run in the background
and are found again through ``RUN_DIR/state.json`` by the other commands; their logs (and each
replica's feedback log) are in the run directory (default ``run/replicas``).

``roll`` updates the index without a failed request: with ``--rebuild`` it builds a new generation
once (``colnato-qa build --force``); then it restarts the replicas one at a time, each after the
previous one answers again on the new generation (nginx sends requests elsewhere meanwhile, and
retries the ones cut off: deploy/nginx.conf).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf"
DEFAULT_RUN_DIR = Path("run") / "replicas"
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


class DeployError(Exception):
    """Something the operator can fix; the message says what."""


@dataclass
class Replica:
    number: int
    port: int
    pid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class State:
    run_dir: str
    listen: str
    server_name: str
    index: str | None
    colnato_qa: str
    replicas: list[Replica] = field(default_factory=list)

    def save(self) -> None:
        path = Path(self.run_dir) / "state.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, run_dir: Path) -> State:
        path = run_dir / "state.json"
        if not path.is_file():
            raise DeployError(f"No replicas run from {run_dir} ({path} is missing): start them with "
                              f"'deploy/replicas.py up --run-dir {run_dir}'.")
        data = json.loads(path.read_text(encoding="utf-8"))
        data["replicas"] = [Replica(**r) for r in data["replicas"]]
        return cls(**data)

    def replica(self, number: int) -> Replica:
        for r in self.replicas:
            if r.number == number:
                return r
        raise DeployError(f"No replica {number}: replicas are {[r.number for r in self.replicas]}.")

    @property
    def url(self) -> str:
        return f"http://{self.listen}"


# -- processes -------------------------------------------------------------------------------------
def alive(pid: int | None) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int | None, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def get_json(url: str, timeout_s: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def find_colnato_qa() -> str:
    beside = Path(sys.executable).with_name("colnato-qa")
    found = str(beside) if beside.exists() else shutil.which("colnato-qa")
    if not found:
        raise DeployError("The colnato-qa command is not installed: run 'make run' (or pip install the package) "
                          "and start this script with the same Python (.venv/bin/python deploy/replicas.py).")
    return found


def find_nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:
        raise DeployError("nginx is not installed: apt-get install -y nginx")
    return found


# -- the cluster -----------------------------------------------------------------------------------
class Cluster:
    def __init__(self, state: State) -> None:
        self.state = state
        self.run_dir = Path(state.run_dir)

    # replicas
    def start_replica(self, replica: Replica) -> None:
        if alive(replica.pid):
            raise DeployError(f"Replica {replica.number} (pid {replica.pid}) is running: stop it first.")
        folder = self.run_dir / f"replica-{replica.number}"
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "COLNATO_QA_FEEDBACK": str(folder / "feedback.jsonl"), "OMP_NUM_THREADS": "1"}
        if self.state.server_name not in ("", "_", "localhost"):
            env["COLNATO_QA_ALLOWED_HOSTS"] = self.state.server_name
        command = [self.state.colnato_qa, "serve", "--host", "127.0.0.1", "--port", str(replica.port),
                   "--log-level", "warning"]
        if self.state.index:
            command += ["--index", self.state.index]
        with (self.run_dir / f"replica-{replica.number}.log").open("a", encoding="utf-8") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env, start_new_session=True)
        replica.pid = process.pid
        self.state.save()

    def stop_replica(self, replica: Replica, sig: int = signal.SIGTERM) -> None:
        if alive(replica.pid):
            os.kill(replica.pid, sig)
            if not wait_gone(replica.pid):
                os.kill(replica.pid, signal.SIGKILL)
                wait_gone(replica.pid, 10)

    def health(self, replica: Replica) -> dict[str, Any] | None:
        return get_json(f"{replica.url}/healthz") if alive(replica.pid) else None

    def wait_ready(self, replica: Replica, generation: str | None = None, timeout_s: float = READY_TIMEOUT_S) -> dict:
        """Wait until the replica answers with its chat page mounted (on ``generation`` when given)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if not alive(replica.pid):
                raise DeployError(f"Replica {replica.number} exited; its log: "
                                  f"{self.run_dir / f'replica-{replica.number}.log'}")
            health = get_json(f"{replica.url}/healthz")
            if health and health.get("chat") == "ready" and generation in (None, health.get("generation")):
                return health
            if time.monotonic() > deadline:
                raise DeployError(f"Replica {replica.number} not ready after {timeout_s:g} s (health: {health}).")
            time.sleep(0.1)

    def restart_replica(self, replica: Replica, generation: str | None = None) -> dict:
        self.stop_replica(replica)
        self.start_replica(replica)
        return self.wait_ready(replica, generation)

    # the index
    def build(self, force: bool = False) -> str:
        command = [self.state.colnato_qa, "build"] + (["--index", self.state.index] if self.state.index else [])
        out = subprocess.run(command + (["--force"] if force else []), capture_output=True, text=True)
        if out.returncode != 0:
            raise DeployError(f"Building the index failed:\n{out.stderr.strip()[-2000:]}")
        return self.generation_on_disk()

    def generation_on_disk(self) -> str:
        from colnato_qa.settings import DEFAULT_INDEX_DIR

        index = Path(self.state.index) if self.state.index else DEFAULT_INDEX_DIR
        return json.loads((index / "manifest.json").read_text(encoding="utf-8"))["generation"]

    def roll(self, rebuild: bool) -> dict[str, Any]:
        generation = self.build(force=True) if rebuild else self.generation_on_disk()
        for replica in self.state.replicas:
            self.restart_replica(replica, generation)
        return {"generation": generation, "replicas": self.status()["replicas"]}

    # nginx
    def render_nginx(self) -> Path:
        servers = "\n".join(f"        server 127.0.0.1:{r.port} max_fails=1 fail_timeout=2s;" for r in self.state.replicas)
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.getuid() == 0 else ""   # workers as the caller
        text = TEMPLATE.read_text(encoding="utf-8")
        for name, value in {"@RUN_DIR@": str(self.run_dir.resolve()), "@USER_LINE@": user, "@SERVERS@": servers,
                            "@LISTEN@": self.state.listen, "@SERVER_NAME@": self.state.server_name}.items():
            text = text.replace(name, value)
        (self.run_dir / "nginx-tmp").mkdir(exist_ok=True)
        path = self.run_dir / "nginx.conf"
        path.write_text(text, encoding="utf-8")
        return path

    def nginx(self, *args: str) -> subprocess.CompletedProcess:
        conf = self.run_dir / "nginx.conf"
        return subprocess.run([find_nginx(), "-p", str(self.run_dir.resolve()), "-c", str(conf.resolve()),
                               "-e", str((self.run_dir / "nginx-error.log").resolve()), *args],
                              capture_output=True, text=True)

    def start_nginx(self) -> None:
        self.render_nginx()
        for args in (("-t", "-q"), ()):
            out = self.nginx(*args)
            if out.returncode != 0:
                raise DeployError(f"nginx {' '.join(args) or 'start'} failed: {out.stderr.strip()[-2000:]}")
        deadline = time.monotonic() + 30
        while get_json(f"{self.state.url}/healthz") is None:
            if time.monotonic() > deadline:
                raise DeployError(f"nginx does not answer on {self.state.listen}; see {self.run_dir / 'nginx-error.log'}")
            time.sleep(0.1)

    def nginx_pid(self) -> int | None:
        try:
            return int((self.run_dir / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop_nginx(self) -> None:
        pid = self.nginx_pid()
        if alive(pid):
            os.kill(pid, signal.SIGQUIT)       # graceful: finish the requests in progress
            if not wait_gone(pid):
                os.kill(pid, signal.SIGTERM)
                wait_gone(pid, 10)

    # all
    def status(self) -> dict[str, Any]:
        replicas = []
        for r in self.state.replicas:
            health = self.health(r) or {}
            replicas.append({"number": r.number, "port": r.port, "pid": r.pid, "alive": alive(r.pid),
                             "generation": health.get("generation"), "chat": health.get("chat")})
        return {"url": self.state.url, "nginx": alive(self.nginx_pid()), "replicas": replicas}

    def up(self, ports: list[int]) -> dict[str, Any]:
        generation = self.build()
        self.state.replicas = [Replica(i + 1, port) for i, port in enumerate(ports)]
        for replica in self.state.replicas:
            self.start_replica(replica)
        try:
            for replica in self.state.replicas:
                self.wait_ready(replica, generation)
            self.start_nginx()
        except Exception:
            self.down()
            raise
        return self.status()

    def down(self) -> None:
        self.stop_nginx()
        for replica in self.state.replicas:
            if alive(replica.pid):
                os.kill(replica.pid, signal.SIGTERM)
        for replica in self.state.replicas:
            self.stop_replica(replica)


# -- command line ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy/replicas.py", description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR,
                        help=f"where state, logs and the rendered nginx.conf go (default {DEFAULT_RUN_DIR})")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="build the index once, start the replicas and nginx")
    up.add_argument("--replicas", type=int, default=2, help="how many (default 2: one per core)")
    up.add_argument("--listen", default="127.0.0.1:8080", help="nginx's address (default 127.0.0.1:8080)")
    up.add_argument("--server-name", default="localhost",
                    help="the public host name (nginx server_name, and the replicas' allowed_hosts)")
    up.add_argument("--first-port", type=int, default=8101, help="replica i listens on FIRST_PORT + i - 1")
    up.add_argument("--ports", default=None, help="the replicas' ports, comma-separated (instead of --first-port)")
    up.add_argument("--index", default=None, help="the shared index directory (default: colnato-qa's)")
    commands.add_parser("status", help="each replica's pid, generation and chat page (JSON)")
    restart = commands.add_parser("restart", help="restart one replica and wait until it answers")
    restart.add_argument("number", type=int)
    roll = commands.add_parser("roll", help="restart the replicas one at a time (after a new index build)")
    roll.add_argument("--rebuild", action="store_true", help="first build a new index generation (build --force)")
    commands.add_parser("down", help="stop nginx and the replicas")
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            if args.replicas < 1:
                raise DeployError(f"--replicas must be at least 1, got {args.replicas}")
            args.run_dir.mkdir(parents=True, exist_ok=True)
            if (args.run_dir / "state.json").exists() and any(r["alive"] for r in Cluster(State.load(args.run_dir)).status()["replicas"]):
                raise DeployError(f"Replicas from {args.run_dir} are running: 'deploy/replicas.py down' first.")
            state = State(str(args.run_dir.resolve()), args.listen, args.server_name,
                          str(Path(args.index).resolve()) if args.index else None, find_colnato_qa())
            find_nginx()
            ports = [int(p) for p in args.ports.split(",")] if args.ports else \
                [args.first_port + i for i in range(args.replicas)]
            if len(ports) != args.replicas:
                raise DeployError(f"--ports names {len(ports)} ports for {args.replicas} replicas.")
            result: Any = Cluster(state).up(ports)
        else:
            cluster = Cluster(State.load(args.run_dir))
            if args.command == "status":
                result = cluster.status()
            elif args.command == "restart":
                result = cluster.restart_replica(cluster.state.replica(args.number))
            elif args.command == "roll":
                result = cluster.roll(args.rebuild)
            else:
                cluster.down()
                result = {"stopped": True}
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
