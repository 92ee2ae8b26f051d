"""The home page (issue 11): a place to start for visitors and members, never showing a
private group's questions to outsiders, in a fixed number of queries.

Budget: about 5 s.
"""

import pytest
from sqlalchemy import select

from forum.models import Follow, Tag
from forum.services.uow import unit_of_work
from tests.helpers import PageClient
from tests.test_query_counts import queries_for

CANARY = "Okapi-canary-5150"
PASSWORD = "correct horse battery"


@pytest.fixture
def app_config():
    return {"RATE_LIMITS": False}


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    ids = {name: make_user(name, role="admin" if name == "admin" else "member")
           for name in ("admin", "amina", "kofi", "reader")}
    make_group("west-africa", name="West Africa")
    make_group("east-africa", name="East Africa")
    make_group("inner", name="Inner circle", private=True)
    for name in ("amina", "kofi"):
        join(ids[name], "west-africa")
        join(ids[name], "east-africa")
    join(ids["amina"], "inner", private=True)
    join(ids["reader"], "east-africa")
    ids["answered"] = make_question(ids["amina"], "west-africa",
                                    title="How do we track implant expiry dates?")
    make_post(ids["kofi"], question_id=ids["answered"], body="A stock card per batch.")
    ids["waiting"] = make_question(ids["kofi"], "east-africa",
                                   title="Who trains CHWs on DMPA-SC self-injection?",
                                   tags=("dmpa",))
    ids["secret"] = make_question(ids["amina"], "inner", title=f"{CANARY} audit results",
                                  tags=("dmpa",))
    return ids


def _follow_tag(app, user_id, name):
    with app.app_context(), unit_of_work() as session:
        tag_id = session.scalar(select(Tag.id).where(Tag.name == name))
        session.add(Follow(user_id=user_id, target_type="tag", target_id=tag_id))


def test_visitors_see_recent_and_unanswered_questions_groups_and_search(app, world,
                                                                        anon_client):
    page = anon_client.get("/").get_data(as_text=True)
    assert "How do we track implant expiry dates?" in page
    assert "Who trains CHWs on DMPA-SC self-injection?" in page
    assert "Waiting for an answer" in page
    assert "West Africa" in page and "East Africa" in page
    assert 'role="search"' in page and 'name="q"' in page
    assert CANARY not in page and "Inner circle" not in page
    assert "Join Tacit" in page


def test_members_see_what_they_follow_and_their_groups_unanswered(app, world):
    _follow_tag(app, world["reader"], "dmpa")
    page = PageClient(app.test_client())
    page.login("reader", PASSWORD)
    html = page.get("/").get_data(as_text=True)
    followed = html.split("New in what you follow", 1)[1].split("<h2>", 1)[0]
    assert "Who trains CHWs on DMPA-SC self-injection?" in followed
    assert CANARY not in html  # tagged as followed, but in a private group they are not in
    mine = html.split("Unanswered in your groups", 1)[1].split("<h2>", 1)[0]
    assert "Who trains CHWs" in mine  # east-africa, their group
    # The private group's member sees its question where it belongs.
    amina = PageClient(app.test_client())
    amina.login("amina", PASSWORD)
    assert CANARY in amina.get("/").get_data(as_text=True)


def test_a_member_who_follows_nothing_is_shown_where_to_start(app, world, make_user):
    make_user("newcomer")
    page = PageClient(app.test_client())
    page.login("newcomer", PASSWORD)
    html = page.get("/").get_data(as_text=True)
    assert "Follow groups, tags and people to see their new questions here." in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_home_page_takes_the_same_queries_for_few_and_many(app, world, make_question,
                                                               signed_in):
    page = PageClient(app.test_client())
    if signed_in:
        _follow_tag(app, world["reader"], "dmpa")
        page.login("reader", PASSWORD)
    few = queries_for(app, page, "/")
    for n in range(12):
        make_question(world["kofi"], "east-africa" if n % 2 else "west-africa",
                      title=f"Question number {n} on supply chains", tags=("dmpa", f"t{n}"))
    many = queries_for(app, page, "/")
    assert len(many) == len(few), (len(few), len(many))
    assert len(many) <= (14 if signed_in else 8), many


@pytest.mark.parametrize("app_config", [{"RATE_LIMITS": False, "PAGE_CACHE_SECONDS": 30}])
def test_the_visitors_home_page_is_cached_and_a_new_question_shows_at_once(
        app, world, anon_client, make_question, app_config):
    assert queries_for(app, anon_client, "/")  # made once
    assert queries_for(app, anon_client, "/") == []  # then served from the page cache
    make_question(world["kofi"], "east-africa", title="Fresh question on condom distribution")
    assert "Fresh question on condom distribution" in anon_client.get("/").get_data(
        as_text=True)
