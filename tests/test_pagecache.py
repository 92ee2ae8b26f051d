"""forum/pagecache.py: anonymous readers' pages come from memory, and never go stale or leak.

The cache is on here (the other tests run with it off). A page served from the cache runs no
SQL at all, which is how these tests tell a stored page from a rendered one.
"""

import time

import pytest

from forum.extensions import db
from forum.models import User
from forum.services import chat, profiles
from forum.services.votes import vote_question
from tests.helpers import META_CSRF, PageClient, csrf_from
from tests.test_query_counts import counting


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_SECONDS": 30}


@pytest.fixture
def thread(make_user, group, make_question, make_post):
    asker = make_user("asker", display_name="Asker Amina")
    helper = make_user("helper", display_name="Helper Kofi")
    question = make_question(asker, group, title="How do we avoid implant stock-outs?")
    make_post(helper, question_id=question, body="Order three months ahead.")
    return {"asker": asker, "helper": helper, "question": question}


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def without_csrf(html: str) -> str:
    """A page with its CSRF token blanked: the same session's token is signed with the
    second it was made, so two views a second apart differ there and nowhere else."""
    return html.replace(csrf_from(html), "CSRF")


def test_an_anonymous_page_is_served_again_without_sql_until_a_write(app, anon_client, thread,
                                                                     make_post):
    path = f"/questions/{thread['question']}"
    first = page(anon_client, path)
    with counting(app) as statements:
        again = page(anon_client, path)
    assert statements == [] and without_csrf(again) == without_csrf(first)
    make_post(thread["helper"], question_id=thread["question"], body="And count stock weekly.")
    with counting(app) as statements:
        fresh = page(anon_client, path)
    assert statements and "And count stock weekly." in fresh


def test_a_vote_elsewhere_is_seen_at_once(app, anon_client, thread, make_user):
    path = "/questions"
    assert "1 vote" not in page(anon_client, path)
    with app.app_context():
        vote_question(db.session.get(User, make_user("peer")), thread["question"], 1)
    assert "1 vote" in page(anon_client, path)


def test_two_apps_in_one_process_never_serve_each_others_pages(app, anon_client, make_app,
                                                                thread):
    path = f"/questions/{thread['question']}"
    page(anon_client, path)
    other = make_app(PAGE_CACHE_SECONDS=30)
    with counting(other) as statements:
        page(other.test_client(), path)
    assert statements  # rendered by the second app, not taken from the first app's pages
    with counting(app) as statements:
        page(anon_client, path)
    assert statements == []


def test_pages_expire_after_their_seconds(make_app, thread):
    app = make_app(PAGE_CACHE_SECONDS=1)
    client = app.test_client()
    page(client, "/questions")
    with counting(app) as statements:
        page(client, "/questions")
    assert statements == []
    time.sleep(1.1)
    with counting(app) as statements:
        page(client, "/questions")
    assert statements


def test_signed_in_pages_are_never_stored_nor_served_from_the_cache(app, thread, user):
    path = f"/questions/{thread['question']}"
    member = PageClient(app.test_client())
    member.login(user["username"], user["password"])
    with counting(app) as statements:
        mine = page(member.client, path)
    assert statements and "Nurse Ada" in mine and "Log out" in mine
    with counting(app) as statements:
        page(member.client, path)
    assert statements  # rendered for the member again
    stranger = page(app.test_client(), path)
    assert "Nurse Ada" not in stranger and "Log out" not in stranger
    assert "Log in to answer" in stranger


def test_each_visitor_gets_their_own_csrf_token_in_a_stored_page(app, thread):
    first, second = PageClient(app.test_client()), PageClient(app.test_client())
    first.get("/questions")
    with counting(app) as statements:
        html = page(second.client, "/questions")
    assert statements == []  # stored by the first visitor
    token = META_CSRF.search(html).group(1)
    assert token != first.last_csrf
    # The footer's language form works with the token the stored page carried.
    response = second.client.post("/language", data={"lang": "fr", "next": "/questions",
                                                      "csrf_token": token})
    assert response.status_code == 302


def test_languages_and_flashed_messages_get_their_own_pages(app, thread):
    english = page(app.test_client(), "/questions")
    french_reader = app.test_client()
    french = page(french_reader, "/questions?lang=fr")
    assert 'lang="fr"' in french and 'lang="en"' in english.split(">")[1]
    with counting(app) as statements:
        page(french_reader, "/questions?lang=fr")
    assert statements == []
    flashed = PageClient(app.test_client())
    flashed.login("nobody", "wrong password", expect_ok=False)  # no flash: a form error
    with flashed.client.session_transaction() as session:
        session["_flashes"] = [("info", "You are logged out.")]
    with counting(app) as statements:
        html = page(flashed.client, "/questions")
    assert statements and "You are logged out." in html


def test_chat_messages_keep_the_stored_pages_and_a_renamed_author_does_not(app, anon_client,
                                                                           thread, join,
                                                                           group):
    path = f"/questions/{thread['question']}"
    join(thread["asker"], group)
    page(anon_client, path)
    with app.app_context():
        asker = db.session.get(User, thread["asker"])
        room = chat.room_for_group(asker, group)
        chat.send_message(asker, room.id, "Chatting does not change the question page.",
                          "c-1", system=True)
    with counting(app) as statements:
        page(anon_client, path)
    assert statements == []
    with app.app_context():
        helper = db.session.get(User, thread["helper"])
        profiles.update_profile(helper, helper, display_name="Kofi Mensah")
    assert "Kofi Mensah" in page(anon_client, path)


def test_a_rolled_back_write_keeps_the_stored_pages(app, anon_client, thread):
    page(anon_client, "/questions")
    with app.app_context():
        db.session.get(User, thread["helper"]).display_name = "Never saved"
        db.session.flush()
        db.session.rollback()
    with counting(app) as statements:
        html = page(anon_client, "/questions")
    assert statements == [] and "Never saved" not in html
