"""Real server processes for end-to-end tests: `python wsgi.py` (make run) or `make serve`,
and nginx in front of them with the configuration deploy/ ships."""

import os
import re
import shutil
import signal
import socket
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

    def start(self, timeout: float = 60, *, migrate: bool = True) -> "ServerProcess":
        """Migrate (unless `migrate` is False: the database is already at the head), seed
        the demo if asked, start, and wait for /health."""
        if self.kind != "run" and migrate:  # `make run` migrates and seeds by itself
            self.flask("db", "upgrade")
        if self.kind != "run":
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


# -- nginx in front (deploy/nginx/tacit.conf) -----------------------------------------------

NGINX_SITE = ROOT / "deploy" / "nginx" / "tacit.conf"
# Which process answered, as a response header: added by the test's own nginx.conf, never by
# the shipped site file (it inherits it because its proxied locations set no header).
UPSTREAM_HEADER = "X-Tacit-Upstream"


def nginx_binary() -> str | None:
    """The nginx executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 and its key (openssl), valid for two days;
    clients trust it by passing the certificate as their CA file."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-nodes", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30)
    return cert, key


def _swap(text: str, pattern: str, replacement: str, count: int) -> str:
    """Replace `pattern` (a regex, MULTILINE) exactly `count` times, or fail saying the
    shipped file no longer has the shape the test expects."""
    found = len(re.findall(pattern, text, flags=re.MULTILINE))
    if found != count:
        raise AssertionError(f"{NGINX_SITE.relative_to(ROOT)}: expected {count} line(s) "
                             f"matching {pattern!r}, found {found}")
    return re.sub(pattern, lambda _m: replacement, text, flags=re.MULTILINE)


def nginx_site_for_test(upstream_ports: list[int], *, port: int, http_port: int,
                        static_parent: Path, certificate: Path, key: Path) -> str:
    """deploy/nginx/tacit.conf with only what differs on a test machine swapped: the
    processes' ports, the loopback listen ports (no IPv6), the server name, the folder that
    holds static/, the certificate."""
    text = NGINX_SITE.read_text()
    upstream = re.compile(r"^([ \t]*)server 127\.0\.0\.1:\d+( [^;]*)?;\n", re.MULTILINE)
    shipped = upstream.findall(text)
    if len(shipped) < 1:
        raise AssertionError(f"{NGINX_SITE}: no upstream server lines")
    indent, options = shipped[0]
    servers = "".join(f"{indent}server 127.0.0.1:{p}{options};\n" for p in upstream_ports)
    first = upstream.search(text)
    text = text[:first.start()] + servers + upstream.sub("", text[first.start():])
    text = _swap(text, r"^[ \t]*listen \[::\]:\d+.*\n", "", 2)
    text = _swap(text, r"listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    text = _swap(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;", 1)
    text = _swap(text, r"server_name forum\.example\.org;", "server_name 127.0.0.1;", 2)
    text = _swap(text, r"ssl_certificate /\S+;", f"ssl_certificate {certificate};", 1)
    text = _swap(text, r"root /srv/tacit/forum;", f"root {static_parent};", 1)
    text = _swap(text, r"ssl_certificate_key /\S+;", f"ssl_certificate_key {key};", 1)
    text = _swap(text, r"alias /srv/tacit/forum/", f"alias {static_parent}/", 1)
    return text


class NginxProxy:
    """nginx (a foreground child, its own prefix, config and temp folders in `folder`) in
    front of `upstream_ports` with deploy/nginx/tacit.conf: HTTPS on `port` with a
    self-signed certificate (`certificate`, to trust), plain HTTP on `http_port`. Static files
    come from a copy of forum/static under `folder`, which a test may add files to."""

    def __init__(self, folder: Path, upstream_ports: list[int], *, port: int | None = None):
        self.folder = Path(folder)
        self.upstream_ports = list(upstream_ports)
        self.port = port or free_port()
        self.http_port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = self.folder / "nginx.log"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def static_folder(self) -> Path:
        return self.folder / "app" / "static"

    def start(self, timeout: float = 15) -> "NginxProxy":
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.certificate, key = self_signed_certificate(self.folder / "tls")
        shutil.copytree(ROOT / "forum" / "static", self.static_folder, dirs_exist_ok=True)
        site = self.folder / "tacit.conf"
        site.write_text(nginx_site_for_test(
            self.upstream_ports, port=self.port, http_port=self.http_port,
            static_parent=self.static_folder.parent, certificate=self.certificate, key=key))
        temp = {name: self.folder / "temp" / name
                for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(parents=True, exist_ok=True)
        mime = Path("/etc/nginx/mime.types")
        types = (f"include {mime};" if mime.exists() else
                 "types { text/html html; text/css css; application/javascript js; "
                 "image/svg+xml svg; text/plain txt md; }")
        # As root, workers would run as www-data and could not read a test's private tmp.
        user = "user root;" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(f"""{user}
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    {types}
    default_type application/octet-stream;
    sendfile on;
    access_log {self.folder / "access.log"};
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    add_header {UPSTREAM_HEADER} $upstream_addr always;
    include {site};
}}
""")
        log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            [binary, "-p", f"{self.folder}/", "-c", str(self.folder / "nginx.conf"),
             "-e", "stderr", "-g", f"daemon off; pid {self.folder / 'nginx.pid'};"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"nginx exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on {self.port} within {timeout}s:\n"
                           f"{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown, sockets included
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> "NginxProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
