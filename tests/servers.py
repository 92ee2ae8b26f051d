"""Real server processes for end-to-end tests: `python wsgi.py` (make run) or `make serve`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


class ServerProcess:
    """Start a forum process on a free port with its own instance folder; stop it at exit.

    kind "dev" runs `python wsgi.py` (what `make run` serves), "run" runs `make run` itself
    (migrate, seed the demo, serve), "serve" runs `make serve` (gunicorn, gevent worker).
    """

    def __init__(self, tmp_path: Path, *, kind: str = "dev", database_url: str | None = None,
                 env: dict | None = None, port: int | None = None, seed_demo: bool = False):
        self.tmp_path = Path(tmp_path)
        self.kind = kind
        self.port = port or free_port()
        self.instance = self.tmp_path / f"instance-{self.port}"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.instance / 'forum.db'}"
        self.env = {
            **os.environ,
            "FORUM_INSTANCE_PATH": str(self.instance),
            "FORUM_DATABASE_URL": self.database_url,
            "FORUM_SECRET_KEY": os.environ.get("FORUM_SECRET_KEY", "test-secret-key-for-servers"),
            "FORUM_OUTBOX_DIR": str(self.instance / "outbox"),
            "FORUM_REDIS_PREFIX": f"tacit-test-{os.environ.get('FORUM_TEST_RUN_ID', os.getpid())}",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            # `make serve` requires it; every kind answers only to the host it names.
            "FORUM_BASE_URL": f"http://127.0.0.1:{self.port}",
            "PYTHONUNBUFFERED": "1",
            # The tests write through the services of the test process too, which a
            # server's page cache would not see (tests/test_pagecache.py turns it on).
            "FORUM_PAGE_CACHE_SECONDS": "0",
            **(env or {}),
        }
        self.env.pop("FORUM_TEST_DB", None)
        self.seed_demo = seed_demo
        self.process: subprocess.Popen | None = None
        self.log_path = self.instance / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def outbox(self) -> Path:
        return self.instance / "outbox"

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run `flask --app wsgi ...` against this server's database."""
        return subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT, env=self.env, check=True, capture_output=True, text=True, timeout=180,
        )

    def start(self, timeout: float = 60) -> "ServerProcess":
        if self.kind != "run":  # `make run` migrates and seeds by itself
            self.flask("db", "upgrade")
            if self.seed_demo:
                self.flask("demo", "seed", "--if-empty")
        if self.kind == "run":
            command = ["make", "--no-print-directory", "run", f"VENV={VENV_BIN.parent}"]
        elif self.kind == "serve":
            command = ["make", "--no-print-directory", "serve", f"VENV={VENV_BIN.parent}"]
        else:
            command = [str(VENV_BIN / "python"), "wsgi.py"]
        log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log()
                self.stop()
                raise RuntimeError(f"server exited early:\n{output}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer /health within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.process.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
