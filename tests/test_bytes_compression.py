"""forum/compression.py and the page cache's compressed pages: text responses gzipped or
brotli-compressed for clients that ask, and the CSRF token never compressed (BREACH)."""

import gzip
import re
import zlib

import brotli
import pytest

from forum import compression
from forum.pagecache import EXTENSION
from tests.helpers import PageClient, csrf_from
from tests.test_query_counts import counting

GZIP = {"Accept-Encoding": "gzip, deflate"}
BOTH = {"Accept-Encoding": "gzip, deflate, br"}


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(response.data)
    if encoding == "br":
        return brotli.decompress(response.data)
    assert encoding is None
    return response.data


def plain_gzip_size(body: bytes) -> int:
    compressor = zlib.compressobj(compression.GZIP_LEVEL, zlib.DEFLATED, 31)
    return len(compressor.compress(body) + compressor.flush())


@pytest.fixture
def thread(make_user, group, make_question, make_post):
    asker = make_user("asker", display_name="Asker Amina")
    helper = make_user("helper", display_name="Helper Kofi")
    question = make_question(asker, group, title="How do we avoid implant stock-outs?")
    for number in range(6):
        make_post(helper, question_id=question,
                  body=f"Order three months ahead, and count stock every week ({number}).")
    return question


def test_a_page_is_gzipped_for_a_client_that_accepts_it_and_plain_for_one_that_does_not(
        app, thread):
    client = app.test_client()
    plain = client.get(f"/questions/{thread}")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get(f"/questions/{thread}", headers=BOTH)
    assert packed.headers["Content-Encoding"] == "gzip"  # a page with a token: never brotli
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = decoded(packed)
    assert len(packed.data) < len(body) / 3
    assert body.replace(csrf_from(body.decode()).encode(), b"T") == \
        plain.data.replace(csrf_from(plain.get_data(as_text=True)).encode(), b"T")
    assert client.get(f"/questions/{thread}", headers={"Accept-Encoding": "br"}) \
        .headers.get("Content-Encoding") is None


def test_the_token_is_sent_as_is_and_the_size_does_not_depend_on_it(app):
    """BREACH: a search echoes what an attacker puts in the link. Guessing the first 40
    characters of the victim's token right must not make the response any smaller."""
    victim, other = app.test_client(), app.test_client()
    token = csrf_from(victim.get("/search").get_data(as_text=True))
    guess = f"/search?q={token[:40]}"
    right = victim.get(guess, headers=GZIP)
    wrong = other.get(guess, headers=GZIP)
    assert right.status_code == wrong.status_code == 200
    right_body, wrong_body = decoded(right), decoded(wrong)
    own = csrf_from(right_body.decode()).encode()
    assert token[:40].encode() in right_body and own.startswith(token[:40].encode())
    assert own in right.data  # the token travels uncompressed, in a stored block
    assert len(right.data) == len(wrong.data)
    # Compressed in one piece, the right guess would show: the test can tell a leak.
    assert plain_gzip_size(right_body) < plain_gzip_size(wrong_body)


def test_a_signed_in_page_is_gzipped_and_its_token_still_works(client, thread):
    response = client.client.get(f"/questions/{thread}", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "private, no-store"
    html = decoded(response).decode()
    token = csrf_from(html)
    assert html.count(token) >= 3  # the meta tag, the header's log-out form, the footer...
    changed = client.client.post("/language", data={"csrf_token": token, "lang": "fr",
                                                    "next": f"/questions/{thread}"})
    assert changed.status_code == 302


def test_json_and_token_free_text_get_brotli(app, thread):
    response = app.test_client().get(f"/api/v1/questions/{thread}", headers=BOTH)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert b"count stock every week (5)" in decoded(response)
    assert len(response.data) < len(decoded(response)) / 2


def test_small_and_empty_responses_are_left_alone(app):
    client = app.test_client()
    small = client.get("/api/v1/questions/999999", headers=BOTH)
    assert small.status_code == 404 and "Content-Encoding" not in small.headers
    redirect = client.get("/questions/ask", headers=BOTH)
    assert redirect.status_code == 302 and "Content-Encoding" not in redirect.headers


def test_pieces_decode_with_any_token_of_the_same_length():
    texts = [b"<p>" + b"before " * 300, b"between " * 200, b"after</p>" * 100]
    pieces = compression.cut(texts, [20, 20])
    for secrets in ([b"A" * 20, b"B" * 20], [b"0123456789abcdefghij", b"before before befor "]):
        assert gzip.decompress(pieces.gzip(secrets)) == pieces.identity(secrets)
    assert pieces.gzip([b"short", b"B" * 20]) is None  # other lengths: not these pieces


class TestThePageCache:
    @pytest.fixture
    def app_config(self):
        return {"PAGE_CACHE_SECONDS": 30}

    def test_a_cached_page_is_served_from_its_stored_pieces_with_each_visitors_token(
            self, app, thread):
        path = f"/questions/{thread}"
        first = app.test_client().get(path, headers=GZIP)
        assert first.headers["Content-Encoding"] == "gzip"
        (stored,) = [entry[2] for entry in app.extensions[EXTENSION].pages.values()]
        second_visitor = PageClient(app.test_client())
        with counting(app) as statements:
            hit = second_visitor.client.get(path, headers=GZIP)
        assert statements == []  # from the cache
        assert hit.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in hit.headers["Vary"]
        # The stored compressed text goes out as it is: nothing compressed on a hit.
        assert all(piece in hit.data for piece in stored.deflated)
        html = decoded(hit).decode()
        token = csrf_from(html)
        assert token != csrf_from(decoded(first).decode())
        assert re.findall(r'name="csrf_token" value="([^"]+)"', html) == [token]
        changed = second_visitor.client.post(
            "/language", data={"csrf_token": token, "lang": "fr", "next": path})
        assert changed.status_code == 302
        plain = app.test_client().get(path)  # a client that takes no gzip: the plain page
        assert "Content-Encoding" not in plain.headers and b"</html>" in plain.data
