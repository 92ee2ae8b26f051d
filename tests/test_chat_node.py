"""The official JavaScript client, socket.io-client (the version vendored for the browser), on
the /chat namespace of a real `make serve` process (gunicorn + gevent).

tests/node/chat_client.mjs logs in, connects, joins, sends and receives as its options say and
prints JSON lines of what happened; these tests assert on those lines. `npm ci` installs
tests/node/node_modules from its lock file once (again only when the lock changes). Without
node and npm the tests are skipped, unless FORUM_REQUIRE_SERVICES=1.

Runs once, in the SQLite run of `make test`: the server's database plays no part in what the
JavaScript client proves (the PostgreSQL run has tests/test_chat_scaleout.py).
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import requests

from config import TestConfig
from forum import create_app
from forum.extensions import db
from forum.services import chat
from forum.services.accounts import register_user
from forum.services.groups import add_member, create_group, join_group
from tests.servers import ROOT, ServerProcess

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(os.environ.get("FORUM_TEST_DB", "sqlite") == "postgresql",
                       reason="the JavaScript client runs once, in the SQLite run"),
]

NODE_DIR = ROOT / "tests" / "node"
SCRIPT = NODE_DIR / "chat_client.mjs"
PACKAGE = "socket.io-client"
PASSWORD = "correct horse battery"
REFUSED = 3  # the script's exit status when the connection is refused


def _unavailable(reason: str):
    if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (FORUM_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def node():
    """The node executable, with tests/node/node_modules installed by `npm ci` from the lock."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if not node_bin or not npm_bin:
        _unavailable("node and npm are needed to run the JavaScript client")
    digest = hashlib.sha256((NODE_DIR / "package.json").read_bytes()
                            + (NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = NODE_DIR / "node_modules" / ".tacit-installed"
    with open(NODE_DIR / "package-lock.json", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once install once
        if not (stamp.exists() and stamp.read_text() == digest):
            done = subprocess.run(
                [npm_bin, "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                 "--prefer-offline"],
                cwd=NODE_DIR, capture_output=True, text=True, timeout=300,
            )
            if done.returncode != 0:
                _unavailable(f"npm ci failed in tests/node:\n{done.stderr[-3000:]}")
            stamp.write_text(digest)
    return node_bin


def _populate(database_url: str, folder) -> dict:
    """Accounts, a public group and a private one, through the services (system work)."""
    app = create_app(TestConfig, database_url=database_url, INSTANCE_DIR=str(folder),
                     OUTBOX_DIR=str(folder / "outbox"))
    with app.app_context():
        users = {name: register_user(name, f"{name}@example.org", PASSWORD, system=True)
                 for name in ("asker", "helper", "outsider", "insider")}
        create_group(None, "west-africa", "West Africa", "West Africa", system=True)
        create_group(None, "inner-circle", "Inner Circle", "West Africa", private=True,
                     system=True)
        for name in ("asker", "helper"):
            join_group(users[name], "west-africa")
        add_member(None, "inner-circle", "insider", system=True)
        found = {"room": chat.room_for_group(users["asker"], "west-africa").id,
                 "secret_room": chat.room_for_group(users["insider"], "inner-circle").id}
        db.session.remove()
        db.engine.dispose()
    return found


@pytest.fixture(scope="module")
def forum(tmp_path_factory, node):
    """One `make serve` process with asker and helper in west-africa's room; insider alone in
    the private inner-circle; outsider in no group."""
    folder = tmp_path_factory.mktemp("node-chat")
    with ServerProcess(folder, kind="serve") as server:
        yield SimpleNamespace(url=server.url, server=server,
                              **_populate(server.database_url, folder))


@dataclass
class Run:
    code: int
    events: list
    stderr: str

    def of(self, kind: str) -> list:
        return [event for event in self.events if event["type"] == kind]

    def acks(self, event: str) -> list:
        return [e["ack"] for e in self.of("ack") if e["event"] == event]

    def messages(self) -> list:
        return [e["data"] for e in self.of("chat_message")]


def run_client(node, forum, *args: str, timeout: float = 60) -> Run:
    """Run the JavaScript client against the forum; the password travels in the environment."""
    done = subprocess.run(
        [node, str(SCRIPT), "--url", forum.url, *args], cwd=NODE_DIR,
        env={**os.environ, "TACIT_PASSWORD": PASSWORD}, capture_output=True, text=True,
        timeout=timeout,
    )
    events = []
    for line in done.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line from the client: {line!r}\n{done.stderr}")
    return Run(done.returncode, events, done.stderr)


def run_clients(node, forum, *argument_lists) -> list[Run]:
    """Run several clients at once (each in its own node process)."""
    with ThreadPoolExecutor(len(argument_lists)) as pool:
        return list(pool.map(lambda args: run_client(node, forum, *args), argument_lists))


def test_the_client_is_the_vendored_version_installed_from_the_lock(node):
    vendored = (ROOT / "forum/static/vendor/socket.io/VENDORED.md").read_text()
    version = re.search(r"version \*\*([0-9.]+)\*\*", vendored).group(1)
    package = json.loads((NODE_DIR / "package.json").read_text())
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    installed = json.loads((NODE_DIR / "node_modules" / PACKAGE / "package.json").read_text())
    assert package["dependencies"] == {PACKAGE: version}  # pinned, nothing else
    assert lock["packages"][f"node_modules/{PACKAGE}"]["version"] == version
    assert installed["version"] == version


def test_a_session_client_and_a_token_client_each_get_the_others_message_once(node, forum):
    common = ["--join", str(forum.room), "--await-online", "asker,helper", "--linger", "800"]
    browser_like, api_client = run_clients(
        node, forum,
        # Cookie + CSRF token of the page, polling first and then the upgrade, as a browser.
        ["--login", "asker", "--send", "hello from **asker**", "--client-id", "js-asker",
         "--expect-from", "helper", *common],
        # An API token, straight onto a WebSocket, as a mobile app or a bot.
        ["--token-login", "helper", "--transport", "websocket", "--send", "hello from helper",
         "--client-id", "js-helper", "--expect-from", "asker", *common],
    )
    for run, kind in ((browser_like, "session"), (api_client, "token")):
        assert run.code == 0, (run.events, run.stderr)
        assert run.of("login")[0]["kind"] == kind
        assert len(run.of("connect")) == 1
        [joined] = run.acks("join")
        assert joined["ok"] is True and joined["room"] == forum.room
        assert run.of("done") == [{"type": "done", "closed_early": None}]
    assert api_client.of("connect")[0]["transport"] == "websocket"

    [asker_ack] = browser_like.acks("send_message")
    [helper_ack] = api_client.acks("send_message")
    assert asker_ack["ok"] is True and helper_ack["ok"] is True
    asker_id, helper_id = asker_ack["message"]["id"], helper_ack["message"]["id"]
    assert asker_ack["message"]["body"] == "hello from **asker**"  # its author may edit it
    for run in (browser_like, api_client):
        ids = [m["id"] for m in run.messages()]
        assert sorted(ids) == sorted([asker_id, helper_id]), run.messages()  # each once
    [seen_by_helper] = [m for m in api_client.messages() if m["id"] == asker_id]
    assert seen_by_helper["body_html"] == "<p>hello from <strong>asker</strong></p>"
    assert seen_by_helper["author"]["username"] == "asker"
    assert seen_by_helper["client_id"] == "js-asker-1" and seen_by_helper["room"] == forum.room
    assert "body" not in seen_by_helper  # broadcasts never carry the source
    [seen_by_asker] = [m for m in browser_like.messages() if m["id"] == helper_id]
    assert seen_by_asker["author"]["username"] == "helper"


@pytest.mark.parametrize("credentials", [[], ["--token", "not-a-token"]],
                         ids=["anonymous", "bad-token"])
def test_a_client_without_credentials_is_refused(node, forum, credentials):
    run = run_client(node, forum, *credentials, "--join", str(forum.room))
    assert run.code == REFUSED, (run.events, run.stderr)
    [refused] = run.of("connect_error")
    assert refused["message"] == "unauthorized"
    assert run.of("connect") == [] and run.of("ack") == []


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_a_client_from_another_origin_is_refused(node, forum, transport):
    """Valid credentials, but the Origin of another site: the handshake itself is refused."""
    run = run_client(node, forum, "--token-login", "helper", "--origin", "https://evil.example",
                     "--transport", transport, "--join", str(forum.room))
    assert run.code == REFUSED, (run.events, run.stderr)
    assert run.of("login")[0]["ok"] is True
    [refused] = run.of("connect_error")
    assert refused["message"] in {"xhr poll error", "websocket error"}, refused
    assert run.of("connect") == [] and run.of("ack") == []


def test_joining_a_room_you_are_not_in_is_acked_with_an_error(node, forum):
    private, public = run_clients(
        node, forum,
        ["--token-login", "helper", "--join", str(forum.secret_room), "--send", "psst",
         "--client-id", "js-sneak"],
        ["--login", "outsider", "--join", str(forum.room), "--send", "let me in",
         "--client-id", "js-sneak"],
    )
    for run, code in ((private, "not_found"), (public, "forbidden")):
        assert run.code == 0, (run.events, run.stderr)
        [joined] = run.acks("join")
        assert joined["ok"] is False and joined["error"]["code"] == code, joined
        # Not joined: refused as the join was (a private room's existence stays hidden).
        [sent] = run.acks("send_message")
        assert sent["ok"] is False and sent["error"]["code"] == code, sent
        assert run.messages() == [] and run.of("presence") == []
        assert run.of("done")[0]["closed_early"] is None  # refused, and still connected


def test_an_oversize_message_is_acked_with_an_error(node, forum):
    run = run_client(node, forum, "--token-login", "asker", "--transport", "websocket",
                     "--join", str(forum.room), "--client-id", "js-big",
                     "--send-size", "4001", "--send-size", "60000", "--send", "short again")
    assert run.code == 0, (run.events, run.stderr)
    too_long, far_too_long, short = run.acks("send_message")
    for ack in (too_long, far_too_long):
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", ack
        assert "body" in ack["error"]["fields"]
        assert len(json.dumps(ack)) < 2000  # the refusal does not echo the body
    assert short["ok"] is True and short["message"]["client_id"] == "js-big-3"
    assert [m["client_id"] for m in run.messages()] == ["js-big-3"]
    token = requests.post(forum.url + "/api/v1/tokens", timeout=10,
                          json={"login": "helper", "password": PASSWORD}).json()["token"]
    stored = requests.get(f"{forum.url}/api/v1/chat/rooms/{forum.room}/messages", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert [m["client_id"] for m in stored if m["client_id"].startswith("js-big")] == \
        ["js-big-3"]


def test_a_frame_over_the_engine_buffer_drops_only_that_connection(node, forum):
    """Past the engine's 64 KiB buffer no handler runs, so there is no ack: Engine.IO closes
    that connection. Nothing is stored, and the other connections go on."""
    room = str(forum.room)
    with ThreadPoolExecutor(1) as pool:
        bystander = pool.submit(run_client, node, forum, "--token-login", "helper",
                                "--join", room, "--expect-from", "asker", "--linger", "0")
        dropped = run_client(node, forum, "--token-login", "asker", "--transport", "websocket",
                             "--join", room, "--client-id", "js-huge", "--send-size", "70000")
        again = run_client(node, forum, "--token-login", "asker", "--join", room,
                           "--await-online", "asker,helper", "--client-id", "js-huge",
                           "--send", "fits")
        bystander = bystander.result()
    assert dropped.code == REFUSED, (dropped.events, dropped.stderr)
    assert dropped.acks("send_message") == []
    assert dropped.of("closed") == [{"type": "closed", "waiting_for": "send_message ack",
                                     "reason": "transport close"}]
    assert again.code == 0, (again.events, again.stderr)
    [sent] = again.acks("send_message")
    assert sent["ok"] is True and sent["message"]["client_id"] == "js-huge-1"
    assert sent["message"]["body_html"] == "<p>fits</p>"  # js-huge-1 was never stored before
    assert bystander.code == 0, (bystander.events, bystander.stderr)
    assert [m["id"] for m in bystander.messages()] == [sent["message"]["id"]]
    assert bystander.of("done")[0]["closed_early"] is None
