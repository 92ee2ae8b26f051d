"""Web hardening: headers, CSRF on every form, no state change on GET, sizes, error pages."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.exceptions import abort

from forum.extensions import db
from forum.models import User
from forum.services import chat
from tests.helpers import ApiClient, PageClient

PAGES = ["/", "/login", "/register", "/password/forgot"]
LOGGED_IN_PAGES = ["/account", "/account/delete"]


def test_security_headers_on_pages_and_api(anon_client):
    for path in [*PAGES, "/api/v1/me", "/health", "/nope"]:
        response = anon_client.get(path)
        csp = response.headers["Content-Security-Policy"]
        for directive in ["script-src 'self'", "object-src 'none'", "base-uri 'none'",
                          "frame-ancestors 'none'", "default-src 'self'", "img-src 'self';"]:
            assert directive in csp, (path, directive)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer",
                                                       "strict-origin-when-cross-origin"}


class InlineFinder(HTMLParser):
    """Finds inline scripts, inline handlers, style attributes and remote resources."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.forms = []
        self._in_form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"handler {name}")
            if name == "style":
                self.problems.append("style attribute")
            if name in {"src", "href"} and value and re.match(r"^(https?:)?//", value):
                self.problems.append(f"remote resource {value}")
        if tag == "form":
            self._in_form = {"method": (attrs.get("method") or "get").lower(), "csrf": False}
            self.forms.append(self._in_form)
        if tag == "input" and self._in_form is not None and attrs.get("name") == "csrf_token":
            self._in_form["csrf"] = bool(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = None


@pytest.mark.parametrize("path", PAGES + LOGGED_IN_PAGES)
def test_pages_have_no_inline_code_and_every_post_form_has_csrf(client, anon_client, path):
    page = client if path in LOGGED_IN_PAGES else anon_client
    response = page.get(path)
    assert response.status_code == 200
    finder = InlineFinder()
    finder.feed(response.get_data(as_text=True))
    assert finder.problems == []
    posts = [form for form in finder.forms if form["method"] == "post"]
    assert posts, "expected at least the footer language form"
    assert all(form["csrf"] for form in posts)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/register", {"username": "eve", "email": "eve@example.org",
                       "password": "a long enough phrase"}),
        ("/login", {"login": "nurse", "password": "correct horse battery"}),
        ("/password/forgot", {"email": "nurse@example.org"}),
        ("/language", {"lang": "fr"}),
    ],
)
def test_forms_refuse_posts_without_csrf_token(anon_client, user, path, data, outbox):
    response = anon_client.client.post(path, data=data)
    assert response.status_code == 400
    assert "<h1>" in response.get_data(as_text=True)
    assert outbox.messages() == []


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/profile", {"display_name": "Changed", "locale": "fr"}),
        ("/account/password", {"current_password": "correct horse battery",
                               "new_password": "another long phrase"}),
        ("/account/delete", {"password": "correct horse battery"}),
        ("/logout", {}),
    ],
)
def test_logged_in_forms_refuse_missing_or_forged_csrf(client, path, data):
    assert client.client.post(path, data=data).status_code == 400
    assert client.client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    page = client.get("/account")
    assert page.status_code == 200
    assert "Changed" not in page.get_data(as_text=True)


def test_csrf_token_has_no_time_limit(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def _snapshot(app):
    with app.app_context():
        state = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            state[table.name] = sorted(map(repr, rows))
        return state


def test_get_requests_change_nothing(app, client):
    """Every GET route, fetched while logged in, leaves every table as it was."""
    client.get("/")  # settle the session after login
    before = _snapshot(app)
    fetched = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", "nurse" if arg == "username" else "x")
        client.get(path)
        fetched += 1
    assert fetched >= 8
    assert _snapshot(app) == before


def test_oversized_form_is_413_page(anon_client):
    response = anon_client.client.post("/register", data={"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429, 500])
def test_html_error_pages(app, status):
    @app.get(f"/_status/{status}")
    def trigger():
        if status == 500:
            raise RuntimeError("boom")
        abort(status)

    response = app.test_client().get(f"/_status/{status}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert f"Error {status}" in text and "boom" not in text


def test_health_checks_the_database(anon_client):
    response = anon_client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_reports_an_unreachable_redis(make_app):
    broken = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = broken.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "unavailable"


def test_debug_is_off_and_tracebacks_are_not_propagated(app):
    assert not app.debug


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/users/as%00ker", {}, 400),
        ("GET", "/questions?tag=a%00b", {}, 400),
        ("POST", "/api/v1/users", {"json": {"username": "a\x00b", "email": "a@example.org",
                                            "password": "long enough pass"}}, 422),
        ("POST", "/register", {"data": {"username": "a\x00b"}}, 400),
    ],
)
def test_nul_characters_are_refused_not_stored(app, method, path, kwargs, status):
    response = app.test_client().open(path, method=method, **kwargs)
    assert response.status_code == status
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_private_content_is_never_kept_by_caches(app, make_user, make_group, join, group,
                                                make_question, anon_client):
    """`Cache-Control: private, no-store` on whatever is made for a signed-in reader (private
    group pages and questions, direct chat, the account page, the API with a token); the
    anonymous public pages keep theirs (the page cache serves those)."""
    nurse = make_user("nurse")
    make_user("midwife")
    make_user("boss", role="admin")
    make_group("secret-circle", private=True)
    join(nurse, "secret-circle", private=True)
    secret = make_question(nurse, "secret-circle", title="A question in the secret circle")
    public = make_question(nurse, group, title="A question everybody may read")
    with app.app_context():
        dm = chat.open_direct(db.session.get(User, nurse), "midwife")[0].id
    page = PageClient(app.test_client())
    page.login("nurse", "correct horse battery")
    api = ApiClient(app.test_client())
    token = api.login("nurse", "correct horse battery")
    responses = {
        "private question": page.get(f"/questions/{secret}"),
        "private group": page.get("/groups/secret-circle"),
        "direct chat": page.get(f"/chat/rooms/{dm}"),
        "chat list": page.get("/chat"),
        "account": page.get("/account"),
        "public question, signed in": page.get(f"/questions/{public}"),
        "API private question": api.get(f"/api/v1/questions/{secret}", token=token),
        "API chat messages": api.get(f"/api/v1/chat/rooms/{dm}/messages", token=token),
        "API me": api.get("/api/v1/me", token=token),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert response.headers.get("Cache-Control") == "private, no-store", name
    anonymous = anon_client.get(f"/questions/{public}")
    assert anonymous.status_code == 200
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    assert "private" not in anonymous.headers.get("Cache-Control", "")
    # Our own scripts and styles stay cacheable for signed-in readers too.
    style = page.get("/static/css/tacit.css")
    style.close()
    assert "no-store" not in style.headers.get("Cache-Control", "")
