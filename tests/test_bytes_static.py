"""forum/static_files.py: static files under content-hashed names, a year of caching for
those, compressed bodies for clients that accept them, and the build command that writes
the .gz/.br files nginx serves."""

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from flask import url_for

from forum import static_files

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "forum" / "static"

pytestmark = pytest.mark.dbless


def digest_of(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_link(html: str, name: str) -> str:
    found = re.search(r'(?:href|src)="(/static/[^"]*/' + re.escape(name) + ')"', html)
    assert found, f"no link to {name}"
    return found.group(1)


def test_pages_link_static_files_by_a_hash_of_their_content(anon_client):
    html = anon_client.get("/questions").get_data(as_text=True)
    digest = digest_of("css/tacit.css")
    assert static_link(html, "css/tacit.css") == f"/static/{digest}/css/tacit.css"
    assert "?v=" not in html


def test_every_process_gives_the_same_names(app):
    with app.test_request_context():
        here = url_for("static", filename="js/tacit.js")
    program = ("from config import TestConfig; from forum import create_app; import tempfile; "
               "d = tempfile.mkdtemp(); app = create_app(TestConfig, database_url="
               "f'sqlite:///{d}/x.db', INSTANCE_DIR=d, OUTBOX_DIR=d)\n"
               "with app.test_request_context():\n"
               "    from flask import url_for; print(url_for('static', filename='js/tacit.js'))")
    other = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                           text=True, timeout=60, check=True).stdout.strip()
    assert here == other == f"/static/{digest_of('js/tacit.js')}/js/tacit.js"


def test_fingerprinted_names_are_cached_for_a_year_and_plain_or_old_ones_briefly(app):
    client = app.test_client()
    original = (STATIC / "js/tacit.js").read_bytes()
    current = client.get(f"/static/{digest_of('js/tacit.js')}/js/tacit.js")
    assert current.status_code == 200 and current.data == original
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for stale in ("/static/js/tacit.js", "/static/0123456789/js/tacit.js"):
        response = client.get(stale)
        assert response.status_code == 200 and response.data == original, stale
        assert response.headers["Cache-Control"] == "public, max-age=300", stale
    assert client.get("/static/0123456789/js/nothing.js").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


@pytest.mark.parametrize(("accept", "encoding", "decode"), [
    ("gzip, deflate, br", "br", brotli.decompress),
    ("gzip", "gzip", gzip.decompress),
    ("identity", None, lambda data: data),
])
def test_text_files_come_compressed_when_the_client_accepts_it(app, accept, encoding, decode):
    client = app.test_client()
    original = (STATIC / "vendor/socket.io/socket.io.min.js").read_bytes()
    name = "vendor/socket.io/socket.io.min.js"
    path = f"/static/{digest_of(name)}/{name}"
    response = client.get(path, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert decode(response.data) == original
    if encoding:
        assert len(response.data) < len(original) / 3
    again = client.get(path, headers={"Accept-Encoding": accept,
                                      "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_range_request_gets_the_file_as_stored(app):
    original = (STATIC / "css/tacit.css").read_bytes()
    response = app.test_client().get("/static/css/tacit.css",
                                     headers={"Accept-Encoding": "gzip, br", "Range": "bytes=0-99"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers and response.data == original[:100]


def test_the_build_command_writes_compressed_files_beside_the_originals(app, tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    app.static_folder = str(folder)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["static", "compress"])
    assert result.exit_code == 0, result.output
    for name in ("css/tacit.css", "js/tacit.js", "vendor/socket.io/socket.io.min.js"):
        original = (folder / name).read_bytes()
        assert gzip.decompress((folder / (name + ".gz")).read_bytes()) == original
        assert brotli.decompress((folder / (name + ".br")).read_bytes()) == original
    assert not (folder / "favicon.svg.gz").exists()  # too small to gain
    assert "0 compressed files" in runner.invoke(args=["static", "compress"]).output
    # The app uses the build's files when they are at least as new as the original...
    (folder / "css/tacit.css.gz").write_bytes(gzip.compress(b"from the build"))
    asset = static_files.scan(folder)["css/tacit.css"]
    assert asset.body("gzip") == (folder / "css/tacit.css.gz").read_bytes()
    # ...and makes its own when the original changed after the build.
    with open(folder / "css/tacit.css", "ab") as changed:
        changed.write(b"\n/* changed */\n")
    newer = (folder / "css/tacit.css").stat().st_mtime_ns
    os.utime(folder / "css/tacit.css.gz", ns=(newer - 10**9, newer - 10**9))
    asset = static_files.scan(folder)["css/tacit.css"]
    assert gzip.decompress(asset.body("gzip")) == (folder / "css/tacit.css").read_bytes()
    assert asset.digest != digest_of("css/tacit.css")


def test_in_debug_mode_an_edited_file_gets_its_new_name_at_once(make_app, tmp_path):
    app = make_app(DEBUG=True)
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    app.static_folder = str(folder)
    client = app.test_client()
    before = static_link(client.get("/questions").get_data(as_text=True), "css/tacit.css")
    with open(folder / "css/tacit.css", "ab") as edited:
        edited.write(b"\n.new-rule { color: red; }\n")
    after = static_link(client.get("/questions").get_data(as_text=True), "css/tacit.css")
    assert after != before
    assert client.get(after).data.endswith(b".new-rule { color: red; }\n")
