"""Test helpers: page and API clients that behave like real ones, the mail outbox, ports."""

import contextlib
import email
import email.policy
import re
import socket
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import redis

from forum import mail

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def throwaway_pg_database(prefix: str):
    """A new, empty PostgreSQL database (its SQLAlchemy URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_reachable() -> bool:
    """True when the PostgreSQL server of this machine accepts a connection."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def redis_reachable(url: str = "redis://127.0.0.1:6379/0") -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def drop_redis_keys(prefix: str, url: str = "redis://127.0.0.1:6379/0") -> None:
    """Leave nothing of a test run in the shared Redis: every key starting with `prefix`
    (sockets, presence, broadcast marks, page-cache versions)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a page carries in its <meta> tag."""
    match = META_CSRF.search(html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


class FormParser(HTMLParser):
    """Collects forms: action, method and hidden input values."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "method": attrs.get("method"),
                               "inputs": {}})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][attrs.get("name")] = attrs.get("value")


class PageClient:
    """Wraps Flask's test client: fetches a page, then posts its form with its CSRF token."""

    def __init__(self, client):
        self.client = client
        self.last_csrf = None

    def get(self, path, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.mimetype == "text/html":
            found = META_CSRF.search(response.get_data(as_text=True))
            if found:
                self.last_csrf = found.group(1)
        return response

    def post_form(self, path, data, *, page=None, csrf=True, **kwargs):
        """GET `page` (default: `path`) for a fresh CSRF token, then POST `data` to `path`."""
        data = dict(data)
        if csrf and "csrf_token" not in data:
            self.get(page or path)
            data["csrf_token"] = self.last_csrf
        return self.client.post(path, data=data, **kwargs)

    def login(self, login, password, *, expect_ok=True):
        response = self.post_form("/login", {"login": login, "password": password})
        if expect_ok:
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def logout(self):
        return self.post_form("/logout", {}, page="/")

    def cookie(self, name="tacit_session"):
        found = self.client.get_cookie(name)
        return found.value if found else None

    def set_cookie(self, value, name="tacit_session"):
        self.client.set_cookie(name, value)


class ApiClient:
    """JSON calls to /api/v1 with an optional bearer token."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def call(self, method, path, json=None, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        token = token if token is not None else self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.open(path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def login(self, login, password):
        response = self.post("/api/v1/tokens", {"login": login, "password": password})
        assert response.status_code == 201, response.get_json()
        self.token = response.get_json()["token"]
        return self.token


class Outbox:
    """The mail the app wrote to its outbox folder, oldest first."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self):
        assert mail.flush(10), "queued mail not delivered within 10 s"
        if not self.folder.exists():
            return []
        files = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in files]

    def last_body(self, timeout: float = 5.0) -> str:
        """The newest message's text; waits for one to arrive (a server in another process
        delivers on its own mail worker, after its answer)."""
        deadline = time.monotonic() + timeout
        while not (found := self.messages()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert found, "no mail in the outbox"
        return found[-1].get_content()

    def last_link(self, pattern=r"https?://\S+") -> str:
        match = re.search(pattern, self.last_body())
        assert match, "no link in the last mail"
        return match.group(0)
