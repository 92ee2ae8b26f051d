"""The deployment deploy/ ships, for real: nginx with deploy/nginx/tacit.conf (only ports,
paths and the certificate swapped, tests/servers.py) terminating TLS in front of three
`make serve` processes on one PostgreSQL database and one Redis, with FORUM_PROXY_FIX=1.

Clients come through nginx only, each from its own loopback address (127.0.0.x): the
upstream hashes the client's address, so an address stands for a machine and picks a process
(the test's nginx.conf adds a header naming the process that answered, to check which).
python-socketio clients over WebSocket and over long-polling only (sticky sessions must
hold); chat crosses processes exactly once; a notification reaches a member connected to
another process; a rate limit is shared (not tripled); the app counts the client's address,
not nginx's nor a forged one; nginx serves static files with a year-long immutable cache and
gzip (and a pre-compressed .gz), refuses a body larger than the app's limit and redirects
plain HTTP; and a process killed with SIGKILL loses no acknowledged write while its clients
go on through the others.

The cluster runs in the PostgreSQL pass (FORUM_TEST_DB=postgresql): under 60 s. The SQLite
pass runs the file checks and one Chromium journey through nginx in front of one process
(login, a chat message over a secure WebSocket, static headers, no console errors): under
20 s. Skipped with the reason when nginx, openssl, Redis or Chromium is missing; a failure
under FORUM_REQUIRE_SERVICES=1 (nginx, Redis) or FORUM_REQUIRE_BROWSER=1 (Chromium).
"""

import gzip
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import SimpleNamespace

import psycopg
import pytest
import requests
import socketio
from requests.adapters import HTTPAdapter

from config import BaseSettings, Config, TestConfig
from forum import create_app
from forum.extensions import db
from forum.services import chat
from forum.services.accounts import issue_api_token, register_user
from forum.services.groups import create_group, join_group
from forum.services.qa import ask_question
from tests.browser_support import PageProblems, launch_chromium, require_chromium
from tests.helpers import PG_ADMIN_URL, csrf_from, drop_redis_keys, redis_reachable
from tests.servers import (
    NGINX_SITE,
    ROOT,
    UPSTREAM_HEADER,
    NginxProxy,
    ServerProcess,
    nginx_binary,
)

pytestmark = [pytest.mark.server]

ON_POSTGRESQL = os.environ.get("FORUM_TEST_DB", "sqlite") == "postgresql"
cluster_pass = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="the nginx cluster test runs once, in the PostgreSQL pass "
                              "(FORUM_TEST_DB=postgresql)")

REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery"
CHAT, LIVE = "/chat", "/live"
WAIT = 15  # seconds: the longest any one wait lasts
SOCKETS_PER_IP = 2  # the anonymous-socket cap the cluster runs with (per client address)


def wait_until(predicate, timeout: float = WAIT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout}s for {what or predicate}")
        time.sleep(0.05)


def require(problem: str | None) -> None:
    """Skip with `problem`, or fail under FORUM_REQUIRE_SERVICES=1 (CI installs nginx)."""
    if problem is None:
        return
    if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"FORUM_REQUIRE_SERVICES=1 but {problem}", pytrace=False)
    pytest.skip(problem)


def require_nginx() -> None:
    if nginx_binary() is None:
        require("nginx is not installed (apt-get install nginx)")
    if shutil.which("openssl") is None:
        require("openssl is not installed (apt-get install openssl)")


def upstream_port(response) -> int | None:
    """The port of the process that answered (the last one nginx tried), None for nginx."""
    tried = response.headers.get(UPSTREAM_HEADER, "").strip()
    return int(tried.rsplit(":", 1)[1]) if tried else None


# -- the shipped files --------------------------------------------------------------------


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit.lower()]


@pytest.mark.dbless
def test_nginx_takes_bodies_up_to_exactly_the_apps_limit():
    site = NGINX_SITE.read_text()
    # The server's own limit (4 spaces in), and the larger one of the paths that carry files
    # (8 spaces in: a location), which the app raises for itself (docs/attachments.md).
    [limit] = re.findall(r"^    client_max_body_size (\S+);", site, flags=re.MULTILINE)
    assert _size(limit) == BaseSettings.MAX_CONTENT_LENGTH
    [files] = re.findall(r"^        client_max_body_size (\S+);", site, flags=re.MULTILINE)
    assert _size(files) >= 5 * (Config().ATTACH_MAX_BYTES + 64 * 1024)


@pytest.mark.dbless
def test_the_env_example_sets_only_documented_settings_and_trusts_one_proxy():
    example = (ROOT / "deploy" / "tacit.env.example").read_text()
    settings = dict(re.findall(r"^(FORUM_[A-Z_]+)=(.*)$", example, flags=re.MULTILINE))
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert [name for name in settings if f"`{name}`" not in documented] == []
    assert settings["FORUM_PROXY_FIX"] == "1" and settings["FORUM_HTTPS"] == "1"
    # The processes' ports are the ones nginx sends to.
    unit = (ROOT / "deploy" / "systemd" / "tacit@.service").read_text()
    ports = re.findall(r"^\s*server 127\.0\.0\.1:(\d+)", NGINX_SITE.read_text(),
                       flags=re.MULTILINE)
    assert "PORT=%i" in unit and ports == ["8001", "8002", "8003"]
    assert "tacit@8001 tacit@8002 tacit@8003" in unit


@pytest.mark.dbless
def test_the_operator_guide_installs_every_file_of_deploy():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    shipped = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").rglob("*")
                     if p.is_file())
    assert shipped and [name for name in shipped
                        if name not in guide and name.rsplit("/", 1)[1] not in guide] == []


@pytest.mark.dbless
def test_the_systemd_units_parse(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the systemd package)")
    folder = ROOT / "deploy" / "systemd"
    for unit in folder.iterdir():  # templates are checked as one instance each
        name = unit.name.replace("@.", {"tacit@.service": "@8001."}.get(unit.name, "@daily."))
        shutil.copy(unit, tmp_path / name)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True, text=True, timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL":
                                                          "warning"})
    # The machine running the tests has no /srv/tacit: everything else must be clean.
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if line.strip() and "/srv/tacit/" not in line]
    assert problems == []


# -- clients from their own addresses -----------------------------------------------------


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address (127.0.0.x)."""

    def __init__(self, address: str, **kwargs):
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Visitor:
    """A machine at `address`: a browser's cookie jar trusting the test certificate, and
    Socket.IO connections opened from the same address."""

    def __init__(self, edge, address: str):
        self.edge, self.address = edge, address
        self.http = requests.Session()
        # REQUESTS_CA_BUNDLE and the like would replace the session's CA file.
        self.http.trust_env = False
        self.http.verify = str(edge.proxy.certificate)
        for scheme in ("https://", "http://"):
            self.http.mount(scheme, SourceAddress(address))
        self.sockets: list[Socket] = []

    def get(self, path, **kwargs):
        return self.http.get(self.edge.proxy.url + path, timeout=10, **kwargs)

    def post(self, path, **kwargs):
        return self.http.post(self.edge.proxy.url + path, timeout=10, **kwargs)

    def process(self) -> int:
        response = self.get("/health")
        assert response.status_code == 200, response.text
        return upstream_port(response)

    def login(self, username: str, password: str = PASSWORD) -> "Visitor":
        """Log in with the form, as a browser does (HTTPS: the Referer is checked too)."""
        page = self.get("/login")
        response = self.post("/login", allow_redirects=False,
                             headers={"Referer": self.edge.proxy.url + "/login"},
                             data={"login": username, "password": password,
                                   "csrf_token": csrf_from(page.text)})
        assert response.status_code == 302, response.text[:2000]
        return self

    def tls_socket(self) -> ssl.SSLSocket:
        """A TLS connection to nginx from this address, for a WebSocket to start on."""
        raw = socket.create_connection(("127.0.0.1", self.edge.proxy.port), timeout=10,
                                       source_address=(self.address, 0))
        context = ssl.create_default_context(cafile=str(self.edge.proxy.certificate))
        return context.wrap_socket(raw, server_hostname="127.0.0.1")

    def connect(self, namespace, *, transport="websocket", **options) -> "Socket":
        found = Socket(self, namespace, transport=transport, **options)
        self.sockets.append(found)
        return found

    def close(self):
        for opened in self.sockets:
            opened.close()
        self.http.close()


class Socket:
    """A python-socketio client on `namespace` through nginx, recording what it receives."""

    EVENTS = ("chat_message", "presence", "notification", "post_created")

    def __init__(self, visitor, namespace, *, transport, auth=None, headers=None,
                 origin=None):
        self.namespace, self.address = namespace, visitor.address
        self.events: list[tuple[str, dict]] = []
        self.gone = threading.Event()
        self.tls = visitor.tls_socket() if transport == "websocket" else None
        # A WebSocket says where its page came from (websocket-client sends the URL's own
        # origin unless told another).
        extra = {"socket": self.tls, **({"origin": origin} if origin else {})}
        self.sio = socketio.Client(reconnection=False, http_session=visitor.http,
                                   websocket_extra_options=extra if self.tls else {})
        for name in self.EVENTS:
            self.sio.on(name, partial(self._record, name), namespace=namespace)
        self.sio.on("disconnect", lambda *reason: self.gone.set(), namespace=namespace)
        self.refusal = None  # what the server said when it refused the connection
        self.sio.on("connect_error", partial(setattr, self, "refusal"), namespace=namespace)
        try:
            self.sio.connect(visitor.edge.proxy.url, namespaces=[namespace], auth=auth,
                             transports=[transport], headers=headers or {}, wait_timeout=10)
        except socketio.exceptions.ConnectionError as error:
            self.close()
            raise socketio.exceptions.ConnectionError(
                f"{error} (from {self.address} over {transport}: {self.refusal})") from error
        except Exception:
            self.close()
            raise

    def _record(self, name, payload):
        self.events.append((name, payload))

    def call(self, event, payload, timeout: float = WAIT):
        return self.sio.call(event, payload, namespace=self.namespace, timeout=timeout)

    def join(self, room):
        try:
            ack = self.call("join", {"room": room})
        except socketio.exceptions.TimeoutError:
            pytest.fail(f"no answer to join within {WAIT}s on {self.namespace} from "
                        f"{self.address} ({self.sio.transport()}, connected: "
                        f"{self.sio.connected})")
        assert ack["ok"] is True, ack

    def message_ids(self) -> list[int]:
        return [p["id"] for name, p in self.events if name == "chat_message"]

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()
        if self.tls is not None:
            self.tls.close()


# -- the cluster: nginx + three `make serve` on PostgreSQL and Redis -------------------------

PEOPLE = ("asker", "helper", "peer", "reader", "answerer", "ratey", "writer1", "writer2", "writer3",
          "observer")


def _populate(database_url: str, folder) -> SimpleNamespace:
    """Everyone in west-africa; its chat room; a question of reader's; an API token each."""
    app = create_app(TestConfig, database_url=database_url, INSTANCE_DIR=str(folder),
                     OUTBOX_DIR=str(folder / "outbox"))
    with app.app_context():
        create_group(None, "west-africa", "West Africa", "West Africa", system=True)
        people = {}
        for name in PEOPLE:
            people[name] = register_user(name, f"{name}@example.org", PASSWORD, system=True)
            join_group(people[name], "west-africa")
        found = SimpleNamespace(
            room=chat.room_for_group(people["asker"], "west-africa").id,
            question=ask_question(people["reader"], title="Implant stock-outs in the rains",
                                  body="How do you keep implants in stock?",
                                  group="west-africa", tags=["implants"], system=True).id,
            tokens={name: issue_api_token(people[name])[0] for name in PEOPLE})
        db.session.remove()
        db.engine.dispose()
    return found


def _addresses_by_process(proxy, ports, *, each: int) -> dict[int, list[str]]:
    """Loopback addresses grouped by the process nginx sends them to, `each` per process."""
    found: dict[int, list[str]] = {port: [] for port in ports}
    for last in range(2, 250):
        address = f"127.0.0.{last}"
        with requests.Session() as http:
            http.trust_env = False
            http.mount("https://", SourceAddress(address))
            response = http.get(proxy.url + "/health", timeout=10,
                                verify=str(proxy.certificate))
        assert response.status_code == 200, response.text
        port = upstream_port(response)
        if len(found[port]) < each:
            found[port].append(address)
        if all(len(addresses) >= each for addresses in found.values()):
            return found
    raise AssertionError(f"nginx sent 250 addresses to too few processes: {found}")


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """nginx (HTTPS) in front of three `make serve` processes on a throw-away PostgreSQL
    database and Redis keys of their own; dropped at the end."""
    if not ON_POSTGRESQL:
        pytest.skip("the nginx cluster test runs once, in the PostgreSQL pass")
    require_nginx()
    if not redis_reachable(REDIS_URL):
        require("Redis is not reachable at 127.0.0.1:6379")
    run = uuid.uuid4().hex[:12]
    name, prefix = f"tacit_nginx_{run}", f"tacit-test-nginx-{run}"
    folder = tmp_path_factory.mktemp("nginx-cluster")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {"FORUM_REDIS_URL": REDIS_URL, "FORUM_REDIS_PREFIX": prefix,
           "FORUM_SOCKETIO_CHANNEL": f"{prefix}-socketio", "FORUM_CHAT_ALIVE_SECONDS": "3",
           "FORUM_PROXY_FIX": "1", "FORUM_HTTPS": "1",
           "FORUM_SOCKETS_PER_IP": str(SOCKETS_PER_IP)}
    servers = [ServerProcess(folder, kind="serve", database_url=url, env=env)
               for _n in range(3)]
    proxy = NginxProxy(folder / "nginx", [server.port for server in servers])
    for server in servers:  # the address people open is nginx's
        server.env["FORUM_BASE_URL"] = proxy.url
    try:
        proxy.start()  # first: a shipped file the test cannot use fails in a second
        servers[0].flask("db", "upgrade")  # once: the three starts then find nothing to do
        with ThreadPoolExecutor(3) as pool:
            starts = [pool.submit(server.start, migrate=False) for server in servers]
            setup = _populate(url, folder)  # meanwhile
            for started in starts:
                started.result()
        ports = [server.port for server in servers]
        yield SimpleNamespace(
            proxy=proxy, servers={server.port: server for server in servers}, ports=ports,
            room=setup.room, question=setup.question, tokens=setup.tokens, prefix=prefix,
            addresses=_addresses_by_process(proxy, ports, each=2))
    finally:
        proxy.stop()
        for server in servers:
            server.stop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        drop_redis_keys(prefix, REDIS_URL)


@pytest.fixture
def visitors(edge):
    """visit(address) -> a Visitor; its sockets and connections are closed after the test."""
    opened = []

    def visit(address: str) -> Visitor:
        found = Visitor(edge, address)
        opened.append(found)
        return found

    yield visit
    for found in opened:
        found.close()


def _one_per_process(edge, visit) -> list[Visitor]:
    found = [visit(edge.addresses[port][0]) for port in edge.ports]
    assert [v.process() for v in found] == edge.ports  # nginx keeps each on its process
    return found


# -- through nginx -------------------------------------------------------------------------


@cluster_pass
def test_chat_crosses_the_three_processes_once_over_websocket_and_over_long_polling(
        edge, visitors):
    on_a, on_b, on_c = _one_per_process(edge, visitors)
    # A browser's login session over HTTPS. WebSockets carry the origin of their page, which
    # the app accepts only if nginx passed on the scheme and the host.
    on_a.login("asker")
    page = on_a.get("/")
    asker = on_a.connect(CHAT, auth={"csrf": csrf_from(page.text)})
    helper = on_b.connect(CHAT, transport="polling", auth={"token": edge.tokens["helper"]})
    peer = on_c.connect(CHAT, auth={"token": edge.tokens["peer"]})
    with pytest.raises(socketio.exceptions.ConnectionError):
        on_c.connect(CHAT, auth={"token": edge.tokens["peer"]},
                     origin="https://elsewhere.example")
    everyone = (asker, helper, peer)
    for member in everyone:
        member.join(edge.room)

    ids = []
    for rounds in range(2):
        for member, name in zip(everyone, ("asker", "helper", "peer"), strict=True):
            ack = member.call("send_message", {"room": edge.room, "body": f"{name} {rounds}",
                                               "client_id": f"{name}-{rounds}"})
            assert ack["ok"] is True, ack
            ids.append(ack["message"]["id"])
    for member in everyone:
        wait_until(lambda m=member: ids[-1] in m.message_ids(), what="the last message")
    for member in everyone:
        assert member.message_ids() == ids  # each once, in order, on every process
    # Long-polling only, a dozen round trips later: every request of that connection reached
    # the process holding it (anywhere else it is an unknown session, and the socket drops).
    assert helper.sio.transport() == "polling" and not helper.gone.is_set()
    assert asker.sio.transport() == "websocket" and not asker.gone.is_set()
    history = helper.call("history", {"room": edge.room})
    assert [m["id"] for m in history["messages"]][-len(ids):] == ids


@cluster_pass
def test_a_notification_reaches_a_member_connected_to_another_process(edge, visitors):
    on_a, on_b, _on_c = _one_per_process(edge, visitors)
    reader = on_a.connect(LIVE, auth={"token": edge.tokens["reader"]})
    response = on_b.post(f"/api/v1/questions/{edge.question}/answers",
                         headers={"Authorization": f"Bearer {edge.tokens['answerer']}"},
                         json={"body": "We keep a rainy-season buffer at the district."})
    assert response.status_code == 201, response.text
    assert upstream_port(response) == edge.ports[1] != edge.ports[0]

    def notified():
        return [p for name, p in reader.events if name == "notification"]

    wait_until(notified, what="the notification on the other process")
    [note] = notified()
    assert note["kind"] == "answer" and f"/{edge.question}" in note["url"], note


@cluster_pass
def test_a_rate_limit_is_shared_by_the_processes_not_tripled(edge, visitors):
    limit = int(BaseSettings.LIMIT_CHAT_PER_USER.split("/")[0])
    sockets = [v.connect(CHAT, auth={"token": edge.tokens["ratey"]})
               for v in _one_per_process(edge, visitors)]
    for opened in sockets:
        opened.join(edge.room)
    acks = [sockets[n % 3].call("send_message", {"room": edge.room, "body": f"burst {n}",
                                                 "client_id": f"burst-{n}"})
            for n in range(limit + 2)]
    assert [ack["ok"] for ack in acks] == [True] * limit + [False, False], acks
    assert {ack["error"]["code"] for ack in acks[limit:]} == {"rate_limited"}


@cluster_pass
def test_the_app_counts_the_clients_address_not_nginxs_nor_a_forged_one(edge, visitors):
    """Anonymous sockets are capped per client address (SOCKETS_PER_IP): the cap fills for
    one machine whatever X-Forwarded-For it sends, and another machine still gets in."""
    crowded, other = visitors("127.0.1.1"), visitors("127.0.1.2")
    forged = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250}"}
    for _n in range(SOCKETS_PER_IP):
        crowded.connect(LIVE, headers=forged)
    with pytest.raises(socketio.exceptions.ConnectionError):
        crowded.connect(LIVE, headers=forged)
    assert other.connect(LIVE).sio.connected


def _digest(name: str) -> str:
    """The fingerprint pages put in a static file's URL (forum/static_files.py)."""
    return hashlib.sha256((ROOT / "forum" / "static" / name).read_bytes()).hexdigest()[:10]


@cluster_pass
def test_nginx_serves_static_files_as_the_app_would_cached_and_gzipped(edge, visitors):
    visitor = visitors(edge.addresses[edge.ports[0]][0])
    css = (ROOT / "forum" / "static" / "css" / "tacit.css").read_bytes()
    for path, cache in ((f"/static/{_digest('css/tacit.css')}/css/tacit.css",
                         "public, max-age=31536000, immutable"),
                        ("/static/css/tacit.css", "public, max-age=300")):
        served = visitor.get(path, headers={"Accept-Encoding": "gzip"})
        assert served.status_code == 200 and upstream_port(served) is None  # nginx itself
        assert served.headers["Cache-Control"] == cache
        assert served.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in served.headers["Vary"]
        assert served.content == css
        # The app, asked directly, says the same.
        direct = requests.get(edge.servers[edge.ports[0]].url + path, timeout=10,
                              headers={"Connection": "close"})
        assert direct.headers["Cache-Control"] == cache and direct.content == css
    # The pre-compressed file beside the original is sent as it is.
    script = edge.proxy.static_folder / "js" / "tacit.js"
    (script.parent / "tacit.js.gz").write_bytes(gzip.compress(b"/* from tacit.js.gz */"))
    path = f"/static/{_digest('js/tacit.js')}/js/tacit.js"
    packed = visitor.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.content == b"/* from tacit.js.gz */"
    plain = visitor.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.content == script.read_bytes()
    missing = visitor.get("/static/0123456789/js/not-here.js")
    assert missing.status_code == 404


@cluster_pass
def test_nginx_refuses_a_body_over_the_apps_limit_and_plain_http_is_redirected(edge,
                                                                              visitors):
    visitor = visitors(edge.addresses[edge.ports[1]][0])
    limit = BaseSettings.MAX_CONTENT_LENGTH

    def body(size: int) -> bytes:
        start = b'{"login": "nobody", "password": "wrong", "pad": "'
        return start + b"x" * (size - len(start) - 2) + b'"}'

    headers = {"Content-Type": "application/json"}
    at_limit = visitor.post("/api/v1/tokens", data=body(limit), headers=headers)
    assert upstream_port(at_limit) in edge.ports and at_limit.status_code != 413
    over = visitor.post("/api/v1/tokens", data=body(limit + 1), headers=headers)
    assert over.status_code == 413 and upstream_port(over) is None  # refused by nginx

    plain = visitor.http.get(edge.proxy.http_url + "/questions?tag=implants",
                             allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://127.0.0.1/questions?tag=implants"


@cluster_pass
def test_a_process_killed_with_sigkill_loses_no_acknowledged_write(edge, visitors):
    """Three members on one process write chat messages; the process is killed mid-stream.
    Every message acked before is stored and reached the member on another process once,
    and the killed process's machines go on through nginx, on the other processes."""
    victim, survivor = edge.ports[2], edge.ports[0]
    on_victim = [visitors(edge.addresses[victim][n % 2]) for n in range(3)]
    observer = visitors(edge.addresses[survivor][0]).connect(
        CHAT, auth={"token": edge.tokens["observer"]})
    observer.join(edge.room)
    writers = []
    for visitor, name in zip(on_victim, ("writer1", "writer2", "writer3"), strict=True):
        writers.append(visitor.connect(CHAT, auth={"token": edge.tokens[name]}))
        writers[-1].join(edge.room)
    acked: list[int] = []
    limit = int(BaseSettings.LIMIT_CHAT_PER_USER.split("/")[0])

    def write(writer, name):
        for n in range(limit - 1):
            try:
                ack = writer.call("send_message", {"room": edge.room, "body": f"{name} {n}",
                                                   "client_id": f"{name}-{n}"}, timeout=3)
            except socketio.exceptions.SocketIOError:
                return
            assert ack["ok"] is True, ack
            acked.append(ack["message"]["id"])
            time.sleep(0.1)

    threads = [threading.Thread(target=write, args=(writer, name))
               for writer, name in zip(writers, ("writer1", "writer2", "writer3"), strict=True)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acked) >= 4, what="the first acks")
    edge.servers[victim].kill()
    for thread in threads:
        thread.join(WAIT)
    assert len(acked) < 3 * (limit - 1), "every write finished before the kill"
    assert edge.servers[victim].process.wait(5) is not None

    # The killed process's machines are served by the others now.
    back = on_victim[0]
    history = back.get(f"/api/v1/chat/rooms/{edge.room}/messages?limit=100",
                       headers={"Authorization": f"Bearer {edge.tokens['writer1']}"})
    assert history.status_code == 200, history.text
    assert upstream_port(history) in set(edge.ports) - {victim}
    stored = [m["id"] for m in history.json()["items"]]
    assert set(acked) <= set(stored), sorted(set(acked) - set(stored))
    wait_until(lambda: set(acked) <= set(observer.message_ids()),
               what="every acked message on the other process")
    assert all(observer.message_ids().count(i) == 1 for i in acked)
    again = back.connect(CHAT, auth={"token": edge.tokens["writer1"]})
    again.join(edge.room)
    resent = again.call("send_message", {"room": edge.room, "body": "after the crash",
                                         "client_id": "writer1-after"})
    assert resent["ok"] is True, resent
    wait_until(lambda: resent["message"]["id"] in observer.message_ids(),
               what="a message written after the crash")


# -- one browser through nginx (SQLite pass) -------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (optional dependency)

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """nginx (HTTPS) in front of one `make serve` process on SQLite; a member, kofi, in the
    group chat-by-proxy."""
    require_nginx()
    folder = tmp_path_factory.mktemp("nginx-single")
    server = ServerProcess(folder, kind="serve",
                           env={"FORUM_PROXY_FIX": "1", "FORUM_HTTPS": "1"})
    proxy = NginxProxy(folder / "nginx", [server.port])
    server.env["FORUM_BASE_URL"] = proxy.url
    try:
        proxy.start()
        server.start(migrate=False)  # `make serve` migrates the new database itself
        app = create_app(TestConfig, database_url=server.database_url,
                         INSTANCE_DIR=str(folder), OUTBOX_DIR=str(folder / "outbox"))
        with app.app_context():
            create_group(None, "chat-by-proxy", "Chat by proxy", "Testing", system=True)
            join_group(register_user("kofi", "kofi@example.org", PASSWORD, system=True),
                       "chat-by-proxy")
            db.session.remove()
            db.engine.dispose()
        yield proxy
    finally:
        proxy.stop()
        server.stop()


@pytest.mark.browser
def test_chromium_logs_in_and_chats_through_nginx_over_a_secure_websocket(chromium, single):
    from playwright.sync_api import expect  # noqa: PLC0415  (optional dependency)

    context = chromium.new_context(base_url=single.url, ignore_https_errors=True,
                                   locale="en-US")
    try:
        context.set_default_timeout(10_000)
        page = context.new_page()
        problems = PageProblems(page)
        static, sockets = [], []
        page.on("response", lambda r: static.append(r) if "/static/" in r.url else None)
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.goto("/login")
        page.get_by_label("Username or email", exact=True).fill("kofi")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_be_visible()
        page.get_by_role("banner").get_by_role("link", name="Chat", exact=True).click()
        page.get_by_role("main").get_by_role("link", name="Chat by proxy", exact=True).click()
        expect(page.locator("#chat")).to_have_attribute("data-live", "on")
        page.get_by_label("Message", exact=True).fill("Hello through nginx")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#chat-log > li .body", has_text="Hello through nginx")
               ).to_have_count(1)
        assert any(url.startswith(f"wss://127.0.0.1:{single.port}/socket.io/")
                   for url in sockets), sockets
        served = [r for r in static if r.status == 200]
        assert served and all(r.headers["cache-control"] ==
                              "public, max-age=31536000, immutable" for r in served), \
            [(r.url, r.headers.get("cache-control")) for r in static]
        assert problems.found == []
    finally:
        context.close()
