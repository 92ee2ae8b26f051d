"""Pages stay small, light and accessible: sizes, stylesheet budget, layout landmarks."""

from pathlib import Path

import pytest

from tests.helpers import PageClient

STATIC = Path(__file__).resolve().parent.parent / "forum" / "static"
PAGE_BUDGET = 60 * 1024
CSS_BUDGET = 20 * 1024


@pytest.fixture
def demo_app(app):
    """The app with the demo content seeded through the CLI, as `make run` does."""
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo logins" in result.output
    return app


def test_every_page_is_under_60_kb_with_demo_data(demo_app):
    page = PageClient(demo_app.test_client())
    page.login("amina", "tacit-demo-2026")
    sizes = {}
    for rule in demo_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint == "static":
            continue
        response = page.get(rule.rule)
        if response.mimetype == "text/html":
            sizes[rule.rule] = len(response.data)
    assert len(sizes) >= 4
    too_big = {path: size for path, size in sizes.items() if size > PAGE_BUDGET}
    assert not too_big


def test_one_stylesheet_under_20_kb_and_no_web_fonts():
    sheets = list((STATIC / "css").glob("*.css"))
    assert [s.name for s in sheets] == ["tacit.css"]
    css = sheets[0].read_text()
    assert len(css.encode()) <= CSS_BUDGET
    assert "@font-face" not in css and "@import" not in css and "http" not in css


def test_layout_has_lang_skip_link_and_navigation(anon_client):
    html = anon_client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'class="skip" href="#main"' in html and 'id="main"' in html
    assert '<meta name="viewport"' in html
    assert '<meta name="csrf-token"' in html
    assert "fonts.googleapis" not in html and "cdn" not in html.lower()


def test_vendored_socketio_client_is_served_with_licence(anon_client):
    vendor = STATIC / "vendor" / "socket.io"
    assert (vendor / "LICENSE").read_text().startswith("(The MIT License)") or "MIT" in (
        vendor / "LICENSE").read_text()
    assert "4.8.4" in (vendor / "VENDORED.md").read_text()
    response = anon_client.get("/static/vendor/socket.io/socket.io.min.js")
    assert response.status_code == 200
    assert b"Socket.IO v4.8.4" in response.data
    response.close()
