"""Shared parts of the chat benchmarks (bench/chat_fanout.py, bench/chat_soak.py).

- Tacit served by `make serve` (gunicorn, gevent worker) on a database of our own, and the
  gunicorn worker's RSS and CPU time read from /proc;
- `setup`: users, a group and its chat room, and one API token per user, made through the
  services in a separate process against the server's database (run as
  `python bench/chat_common.py setup ...`);
- the Node load generators of bench/node/ (the official socket.io-client): one process drives
  many sockets and talks to us in JSON lines (commands on stdin, events on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Server, free_port  # noqa: E402  (bench/run.py: the Q&A benchmark's servers)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
NODE_DIR = BENCH / "node"
VENV = Path(sys.executable).parent.parent
PASSWORD = "bench-chat-passphrase-9"
SECRET_KEY = "bench-only-secret-key-not-for-production"
_CLK_TCK = os.sysconf("SC_CLK_TCK")

__all__ = ["Server", "free_port", "NodeClients", "TacitServer", "ThrowAwayDatabase",
           "bare_server", "floor_server", "setup_room", "ensure_node", "worker_pid", "rss_mb",
           "cpu_seconds", "load_average", "pg"]


# -- processes -----------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def worker_pid(root_pid: int) -> int | None:
    """The gunicorn worker under a server process: the deepest process of its tree."""
    pid, found = root_pid, None
    for _depth in range(5):
        children = _children(pid)
        if not children:
            break
        pid = found = children[-1]
    return found


def rss_mb(pid: int) -> dict:
    """VmRSS (now) and VmHWM (peak) of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss": values.get("VmRSS", 0.0), "peak": values.get("VmHWM", 0.0)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- servers -------------------------------------------------------------------------------


def tacit_env(instance: Path, database_url: str, port: int, **extra: str) -> dict:
    """The environment of a Tacit process (and of its setup and `flask` commands)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FORUM_") and k not in ("HOST", "PORT")}
    env.update({
        "FORUM_INSTANCE_PATH": str(instance),
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": SECRET_KEY,
        "FORUM_OUTBOX_DIR": str(instance / "outbox"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env


class TacitServer(Server):
    """Tacit exactly as README's production command serves it: `make serve`."""

    def __init__(self, name: str, env: dict, port: int):
        command = ["make", "--no-print-directory", "serve", f"VENV={VENV}"]
        # `make serve` requires FORUM_BASE_URL, and answers only to its host.
        env = {**env, "PORT": str(port), "FORUM_BASE_URL": f"http://127.0.0.1:{port}"}
        super().__init__(name, command, env, port)

    def kill(self) -> None:
        """SIGKILL the whole process group (make, gunicorn's master and its worker)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()

    def worker(self) -> int | None:
        return worker_pid(self.process.pid) if self.process else None


def bare_server(name: str = "bare-socketio") -> Server:
    """bench/bare_socketio.py under gunicorn with `make serve`'s options."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["PYTHONUNBUFFERED"] = "1"
    command = [str(VENV / "bin" / "gunicorn"), "--worker-class", "gevent", "--workers", "1",
               "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
               "--pythonpath", str(BENCH), "bare_socketio:app"]
    return Server(name, command, env, port)


def floor_server(database: Path, name: str = "chat-floor") -> Server:
    """bench/floor_socketio.py on Tacit's SQLite file, with `make serve`'s gunicorn options."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(PYTHONUNBUFFERED="1", FLOOR_DATABASE=str(database))
    command = [str(VENV / "bin" / "gunicorn"), "--worker-class", "gevent", "--workers", "1",
               "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
               "--pythonpath", str(BENCH), "floor_socketio:app"]
    return Server(name, command, env, port)


def flask(env: dict, *args: str, timeout: float = 300) -> str:
    """`flask --app wsgi ...` against the database of `env`."""
    done = subprocess.run([str(VENV / "bin" / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def setup_room(env: dict, users: int, *, prefix: str = "bench") -> dict:
    """Migrate, then make `users` members of one group and an API token each (in a separate
    process, through the services). Returns {room, group, users: [{id, username, token}]}."""
    flask(env, "db", "upgrade")
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "setup",
                           "--users", str(users), "--prefix", prefix], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"setup failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _setup_main(users: int, prefix: str) -> None:
    # Only this setup process, started with the server's environment (its database), loads
    # the forum; the benchmark's driver never does.
    sys.path.insert(0, str(ROOT))
    from config import Config  # noqa: PLC0415  (setup subprocess only)
    from forum import create_app  # noqa: PLC0415  (setup subprocess only)
    from forum.extensions import db  # noqa: PLC0415  (setup subprocess only)
    from forum.services import accounts, chat, groups  # noqa: PLC0415  (setup subprocess only)

    config = Config()
    config.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # nobody logs in with it: tokens only
    app = create_app(config)
    slug = f"{prefix}-room"
    out = {"group": slug, "users": []}
    with app.app_context():
        groups.create_group(None, slug, "Chat benchmark", "Benchmark", system=True)
        for number in range(1, users + 1):
            name = f"{prefix}{number:04d}"
            user = accounts.register_user(name, f"{name}@bench.example.org", PASSWORD,
                                          system=True)
            groups.add_member(None, slug, name, system=True)
            token, _record = accounts.issue_api_token(user)
            out["users"].append({"id": user.id, "username": name, "token": token})
        first = accounts.get_user_by_username(out["users"][0]["username"])
        out["room"] = chat.room_for_group(first, slug).id
        db.session.remove()
    print(json.dumps(out))


# -- PostgreSQL ----------------------------------------------------------------------------

PG_ADMIN = os.environ.get("CHAT_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg(url: str = PG_ADMIN):
    """An autocommit psycopg connection."""
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


class ThrowAwayDatabase:
    """A PostgreSQL database created for one run and dropped after it."""

    def __init__(self, name: str):
        self.name = name
        self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def create(self) -> ThrowAwayDatabase:
        with pg() as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self) -> None:
        with pg() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# -- Node clients --------------------------------------------------------------------------


def ensure_node() -> str:
    """The node binary, with bench/node's packages installed (npm ci, from the lock file)."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is needed for the chat benchmarks (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed once, to install bench/node's socket.io-client")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR,
                       check=True)
    return node


class NodeClients:
    """One Node process driving many sockets; JSON lines both ways."""

    def __init__(self, script: str, config: dict, name: str, log_dir: Path):
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.config_path = log_dir / f"{name}.json"
        self.config_path.write_text(json.dumps(config))
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [ensure_node(), str(NODE_DIR / script), str(self.config_path)], cwd=NODE_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
            bufsize=1)
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                self._log.write(line)
                continue
            self.events.put(event)
        self.events.put({"event": "exit"})

    def send(self, command: dict) -> None:
        if self.process.poll() is None:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()

    def wait_for(self, name: str, timeout: float) -> dict:
        """The next event called `name`; RuntimeError on an `error` event, exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{self.name}: no '{name}' within {timeout:g}s; see "
                                   f"{self.log_path}")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event["event"] == name:
                return event
            if event["event"] in ("error", "exit"):
                raise RuntimeError(f"{self.name}: {event}; see {self.log_path}")

    def poll(self) -> list[dict]:
        """The events that arrived so far (without waiting)."""
        found = []
        while True:
            try:
                found.append(self.events.get_nowait())
            except queue.Empty:
                return found

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.send({"cmd": "close"})
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


def split(items: list, parts: int) -> list[list]:
    """Deal items round-robin into `parts` lists."""
    return [items[i::parts] for i in range(parts)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="chat benchmark setup (run by the benches)")
    parser.add_argument("what", choices=["setup"])
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--prefix", default="bench")
    options = parser.parse_args()
    _setup_main(options.users, options.prefix)
