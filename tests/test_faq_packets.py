"""Offline packets of the FAQ: one self-contained HTML file (no script, no external request,
absolute links back to the site, a table of contents) and JSON, for any view of the list
(whole FAQ, one group, one tag), private groups left out for outsiders.

Budget: about 5 s on SQLite.
"""

import json
import re
from html.parser import HTMLParser

import pytest

from forum.extensions import db
from forum.models import User
from forum.services import faq
from forum.services.qa import accept_answer
from tests.helpers import PageClient

PASSWORD = "correct horse battery"
SITE = "http://localhost/"


@pytest.fixture
def people(app, make_user, make_group, join):
    """An admin, a site moderator, an asker and an answerer (members of both groups), an
    outsider (a member of the public group only)."""
    roles = {"admin": "admin", "sitemod": "moderator"}
    ids = {name: make_user(name, display_name=name.title(), role=roles.get(name, "member"))
           for name in ("admin", "sitemod", "asker", "answerer", "outsider")}
    make_group("west-africa")
    make_group("secret-clinic", private=True)
    for name in ("asker", "answerer", "outsider"):
        join(ids[name], "west-africa")
    for name in ("asker", "answerer"):
        join(ids[name], "secret-clinic", private=True)
    return ids


def entry(app, make_question, make_post, people, *, title, tags=("implants",),
          group="west-africa", answer="Order **earlier**, see [the guide](/tags/implants) "
          "and [WHO](https://www.who.int/) or [this note](#notes).", who="sitemod"):
    question_id = make_question(people["asker"], group, title=title, tags=tags)
    answer_id = make_post(people["answerer"], question_id=question_id, body=answer)
    with app.app_context():
        accept_answer(db.session.get(User, people["asker"]), question_id, answer_id)
        actor = db.session.get(User, people[who])
        return faq.promote(actor, question_id, summary="In short: *order early*.").id


@pytest.fixture
def entries(app, make_question, make_post, people):
    """Two public entries (tags implants / pills) and one in the private group."""
    return {
        "implants": entry(app, make_question, make_post, people,
                          title="How do we avoid implant stock-outs?"),
        "pills": entry(app, make_question, make_post, people, tags=("pills",),
                       title="How should pills be stored?"),
        "secret": entry(app, make_question, make_post, people, group="secret-clinic",
                        title="Canary zebra stock question", tags=("zebra-tag",),
                        who="admin"),
    }


class Links(HTMLParser):
    """Every tag, and the href/src of every element."""

    def __init__(self):
        super().__init__()
        self.tags, self.hrefs, self.srcs, self.ids = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "src" in attrs:
            self.srcs.append(attrs["src"])
        if "id" in attrs:
            self.ids.add(attrs["id"])


def parse(html: str) -> Links:
    found = Links()
    found.feed(html)
    return found


def test_html_packet_is_self_contained_and_links_back_to_the_site(app, entries,
                                                                   anon_client):
    response = anon_client.get("/faq/packet.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == 'attachment; filename="tacit-faq.html"'
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'")
    html = response.get_data(as_text=True)
    lowered = html.lower()
    # No scripts and nothing that would fetch from the network.
    for banned in ("<script", "src=", "<link", "@import", "url(", "<img", "<iframe",
                   "<object", "<embed", "<base"):
        assert banned not in lowered, banned
    assert re.search(r"\son[a-z]+\s*=", lowered) is None  # no event handlers
    assert lowered.count("<style>") == 1
    found = parse(html)
    assert found.srcs == []
    assert found.hrefs
    for href in found.hrefs:
        if href.startswith("#"):
            assert href[1:] in found.ids, href  # the table of contents lands in the file
        else:
            assert href.startswith((SITE, "https://www.who.int/")), href
    # The entries, with their table of contents, contents and provenance.
    for key in ("implants", "pills"):
        assert f'href="#entry-{entries[key]}"' in html
        assert f'id="entry-{entries[key]}"' in html
        assert f'href="{SITE}faq/{entries[key]}"' in html
    assert "How do we avoid implant stock-outs?" in html
    assert "<strong>earlier</strong>" in html and "<em>order early</em>" in html
    assert f'href="{SITE}u/answerer"' in html
    # Relative links inside answers were made absolute.
    assert f'href="{SITE}tags/implants"' in html
    assert f'href="{SITE}faq/{entries["implants"]}#notes"' in html


def test_html_packet_of_one_tag_or_group(app, entries, anon_client):
    response = anon_client.get("/faq/packet.html?tag=pills")
    html = response.get_data(as_text=True)
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="tacit-faq-pills.html"')
    assert "How should pills be stored?" in html
    assert "implant stock-outs" not in html
    html = anon_client.get("/faq/packet.html?group=west-africa").get_data(as_text=True)
    assert "How should pills be stored?" in html and "implant stock-outs" in html
    html = anon_client.get("/faq/packet.html?group=nowhere").get_data(as_text=True)
    assert "No FAQ entry matches these filters." in html and "#entry-" not in html


def test_json_packet_shape(app, entries, anon_client):
    response = anon_client.get("/faq/packet.json?tag=implants")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert set(data) == {"title", "generated_at", "url", "filters", "entries"}
    assert data["filters"] == {"tag": "implants"}
    assert data["url"] == f"{SITE}faq?tag=implants"
    (item,) = data["entries"]
    assert item["id"] == entries["implants"]
    assert {"id", "title", "question_html", "answer_html", "summary_html", "source",
            "contributors", "promoted_by", "promoted_at", "reviewed_at", "review_by",
            "group", "tags", "lang", "status", "replaced_by", "note"} <= set(item)
    assert item["group"] == "west-africa" and item["tags"] == ["implants"]
    assert item["status"] == "current" and item["lang"] == "en"
    assert item["url"] == f"{SITE}faq/{entries['implants']}"
    assert item["source"]["url"].startswith(f"{SITE}questions/")
    assert {c["username"] for c in item["contributors"]} == {"asker", "answerer"}
    assert item["promoted_by"]["username"] == "sitemod"
    assert f'href="{SITE}tags/implants"' in item["answer_html"]
    whole = json.loads(anon_client.get("/faq/packet.json").get_data(as_text=True))
    assert {e["id"] for e in whole["entries"]} == {entries["implants"], entries["pills"]}


def test_packets_leave_private_groups_out_for_outsiders(app, entries, anon_client):
    outsider = PageClient(app.test_client())
    outsider.login("outsider", PASSWORD)
    for page in (anon_client, outsider):
        for path in ("/faq/packet.html", "/faq/packet.json",
                     "/faq/packet.html?group=secret-clinic",
                     "/faq/packet.json?tag=zebra-tag", "/faq/packet.html?q=zebra"):
            body = page.get(path).get_data(as_text=True).lower()
            assert "canary zebra stock question" not in body, path
            assert f"faq/{entries['secret']}" not in body, path
    insider = PageClient(app.test_client())
    insider.login("asker", PASSWORD)
    body = insider.get("/faq/packet.html?group=secret-clinic").get_data(as_text=True)
    assert "Canary zebra stock question" in body
    # Made for one signed-in reader: never kept by a shared cache.
    assert insider.get("/faq/packet.json").headers["Cache-Control"] == "private, no-store"
