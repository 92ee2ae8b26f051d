"""New-member limits (issue 14): links per post and posts per day in a member's first day,
lifted by time, an accepted answer or reputation; pages and API share them.

Budget: about 10 s.
"""

from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.errors import InvalidInput, RateLimited
from forum.extensions import db
from forum.models import ChatMessage, Post, Question, User, utcnow
from forum.services import chat, qa, trust
from forum.services.accounts import issue_api_token
from forum.services.uow import unit_of_work
from tests.helpers import PageClient

PASSWORD = "correct horse battery"
THREE_LINKS = ("See [the guide](https://example.org/guide), https://who.int/x "
               "and www.unfpa.org for details.")
TWO_LINKS = "See [the guide](https://example.org/guide) and <https://who.int/x>."


@pytest.fixture
def app_config():
    """The 5-second posting limit off: these tests post several times a second."""
    return {"RATE_LIMITS": False}


def set_age(app, user_id, hours):
    with app.app_context(), unit_of_work():
        db.session.get(User, user_id).created_at = utcnow() - timedelta(hours=hours)


@pytest.fixture
def people(app, make_user, group):
    """A one-hour-old member `newbie`, an older member `asker`: {name: {"id", "token"}}."""
    found = {}
    for name in ("newbie", "asker"):
        user_id = make_user(name)
        with app.app_context():
            token, _record = issue_api_token(db.session.get(User, user_id))
        found[name] = {"id": user_id, "token": token}
    set_age(app, found["newbie"]["id"], 1)
    return found


def question(n, body=None):
    body = body or f"Our rural clinics run out of implants every quarter (case {n})."
    return {"title": f"How do we avoid stock-outs, case {n}?", "body": body,
            "group": "west-africa", "tags": ["implants"], "lang": "en"}


def count(app, model):
    with app.app_context():
        return db.session.query(model).count()


def as_user(app, user_id, func, *args, **kwargs):
    """Call a service as this user; returns the id of what it returns."""
    with app.app_context():
        return func(db.session.get(User, user_id), *args, **kwargs).id


def test_count_links_counts_what_the_renderer_links(app):
    with app.app_context():
        assert trust.count_links(THREE_LINKS) == 3
        assert trust.count_links(TWO_LINKS) == 2
        assert trust.count_links("`https://in.code/x` and @someone") == 0


def test_three_links_are_refused_and_nothing_is_written_two_pass(api, app, people):
    token = people["newbie"]["token"]
    refused = api.post("/api/v1/questions", question(1, THREE_LINKS), token=token)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert "at most 2 links" in error["fields"]["body"]
    assert count(app, Question) == 0
    assert api.post("/api/v1/questions", question(1, TWO_LINKS), token=token).status_code == 201
    with app.app_context():
        qid = db.session.scalar(db.select(Question.id))
    answer = api.post(f"/api/v1/questions/{qid}/answers", {"body": THREE_LINKS}, token=token)
    assert answer.status_code == 422 and count(app, Post) == 0


def test_fourth_question_of_the_day_is_429_until_the_oldest_is_a_day_old(api, app, people):
    token = people["newbie"]["token"]
    for n in range(3):
        assert api.post("/api/v1/questions", question(n), token=token).status_code == 201
    with app.app_context(), unit_of_work():  # the first one was asked 20 hours ago
        first = db.session.scalar(db.select(Question).order_by(Question.id))
        first.created_at = utcnow() - timedelta(hours=20)
    refused = api.post("/api/v1/questions", question(3), token=token)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "3 questions a day" in refused.get_json()["error"]["message"]
    retry = int(refused.headers["Retry-After"])
    assert 4 * 3600 - 60 <= retry <= 4 * 3600 + 60
    assert count(app, Question) == 3
    # Answers and replies have their own count.
    with app.app_context():
        qid = db.session.scalar(db.select(Question.id).order_by(Question.id))
    assert api.post(f"/api/v1/questions/{qid}/answers", {"body": "Order earlier."},
                    token=token).status_code == 201


def test_answers_and_replies_share_a_daily_count(app, people, make_question):
    app.config["NEW_MEMBER_POSTS_PER_DAY"] = 2
    qid = make_question(people["asker"]["id"], "west-africa")
    newbie = people["newbie"]["id"]
    aid = as_user(app, newbie, qa.post_answer, qid, "Order a quarter ahead.")
    as_user(app, newbie, qa.post_reply, aid, "And count stock weekly.")
    with pytest.raises(RateLimited) as refused:
        as_user(app, newbie, qa.post_reply, aid, "Also ask the district.")
    # The account stops being new 23 hours from now: sooner than its posts age.
    assert 23 * 3600 - 60 <= refused.value.retry_after <= 23 * 3600 + 60
    assert count(app, Post) == 2


def test_limits_are_gone_after_a_day(api, app, people):
    token = people["newbie"]["token"]
    for n in range(3):
        api.post("/api/v1/questions", question(n), token=token)
    set_age(app, people["newbie"]["id"], 25)
    assert api.post("/api/v1/questions", question(3, THREE_LINKS),
                    token=token).status_code == 201


def test_an_accepted_answer_lifts_the_limits_at_once_but_not_a_self_accept(
        app, people, make_question):
    newbie, asker = people["newbie"]["id"], people["asker"]["id"]
    own = as_user(app, newbie, qa.ask_question, title="Implant stock-outs in clinics",
                  body="Why?", group="west-africa", tags=["implants"])
    mine = as_user(app, newbie, qa.post_answer, own, "Late orders.")
    as_user(app, newbie, qa.accept_answer, own, mine)
    with pytest.raises(InvalidInput):
        as_user(app, newbie, qa.post_answer, own, THREE_LINKS)
    other = make_question(asker, "west-africa")
    aid = as_user(app, newbie, qa.post_answer, other, "Order a quarter ahead.")
    as_user(app, asker, qa.accept_answer, other, aid)
    with app.app_context(), unit_of_work():  # the accept alone lifts them, not the points
        db.session.get(User, newbie).reputation = 0
    as_user(app, newbie, qa.post_answer, other, THREE_LINKS)


def test_reputation_lifts_them(app, people, make_question):
    qid = make_question(people["asker"]["id"], "west-africa")
    with app.app_context(), unit_of_work():
        db.session.get(User, people["newbie"]["id"]).reputation = 10
    as_user(app, people["newbie"]["id"], qa.post_answer, qid, THREE_LINKS)


def test_moderators_and_verified_experts_are_never_new_members(app, make_user, group,
                                                               make_question):
    mod, expert = make_user("mod", role="moderator"), make_user("expert")
    with app.app_context(), unit_of_work():
        db.session.get(User, expert).verified_expert = True
    for user_id in (mod, expert):
        set_age(app, user_id, 0)
        with app.app_context():
            assert not trust.is_new_member(db.session.get(User, user_id))
        qid = make_question(user_id, "west-africa")
        as_user(app, user_id, qa.post_answer, qid, THREE_LINKS)
    assert count(app, Post) == 2


def test_edits_cannot_add_a_third_link(api, app, people):
    token = people["newbie"]["token"]
    qid = api.post("/api/v1/questions", question(1, TWO_LINKS), token=token).get_json()["id"]
    aid = api.post(f"/api/v1/questions/{qid}/answers", {"body": "Order earlier."},
                   token=token).get_json()["id"]
    edited = api.call("PATCH", f"/api/v1/posts/{aid}", json={"body": THREE_LINKS},
                      token=token)
    assert edited.status_code == 422 and "body" in edited.get_json()["error"]["fields"]
    edited = api.call("PATCH", f"/api/v1/questions/{qid}",
                      json={"body": TWO_LINKS + " www.third.org"}, token=token)
    assert edited.status_code == 422
    with app.app_context():
        assert db.session.get(Question, qid).body_source == TWO_LINKS
        assert db.session.get(Post, aid).body_source == "Order earlier."
    # A title-only edit of a question with two links is fine.
    assert api.call("PATCH", f"/api/v1/questions/{qid}", json={"title": "A better title here"},
                    token=token).status_code == 200


def test_system_work_skips_the_limits(app, people):
    newbie = people["newbie"]["id"]
    for n in range(4):
        as_user(app, newbie, qa.ask_question, title=f"Seeded question number {n}",
                body=THREE_LINKS, group="west-africa", tags=["implants"], system=True)
    assert count(app, Question) == 4


def test_pages_show_the_link_error_on_the_form_and_the_429(app, people, make_question):
    page = PageClient(app.test_client())
    page.login("newbie", PASSWORD)
    response = page.post_form("/questions/ask", {
        "title": "Implant stock-outs in rural clinics", "body": THREE_LINKS,
        "group": "west-africa", "tags": "implants", "lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at most 2 links" in html and "www.unfpa.org for details." in html
    assert count(app, Question) == 0
    app.config["NEW_MEMBER_POSTS_PER_DAY"] = 1
    qid = make_question(people["asker"]["id"], "west-africa")
    first = page.post_form(f"/questions/{qid}/answer", {"body": "Order earlier."},
                           page=f"/questions/{qid}")
    assert first.status_code == 302
    second = page.post_form(f"/questions/{qid}/answer", {"body": "Order even earlier."},
                            page=f"/questions/{qid}")
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 0
    assert "answers and replies a day" in second.get_data(as_text=True)


def test_chat_messages_have_the_link_limit_too(app, people, join):
    newbie = people["newbie"]["id"]
    join(newbie, "west-africa")
    with app.app_context():
        room = chat.room_for_group(db.session.get(User, newbie), "west-africa").id
    with pytest.raises(InvalidInput) as refused, app.app_context():
        chat.send_message(db.session.get(User, newbie), room, THREE_LINKS, chat.new_client_id())
    assert "body" in refused.value.fields and count(app, ChatMessage) == 0
    with app.app_context():
        message, _new = chat.send_message(db.session.get(User, newbie), room, TWO_LINKS,
                                          chat.new_client_id())
        message = message.id
    with pytest.raises(InvalidInput):
        as_user(app, newbie, chat.edit_message, message, THREE_LINKS)
    set_age(app, newbie, 25)
    as_user(app, newbie, chat.edit_message, message, THREE_LINKS)


def test_the_account_page_says_when_a_new_members_limits_lift(app, make_user):
    make_user("fresh")
    with app.app_context(), unit_of_work():
        db.session.execute(update(User).where(User.username == "fresh")
                           .values(created_at=utcnow() - timedelta(hours=1)))
    page = PageClient(app.test_client())
    page.login("fresh", "correct horse battery")
    html = page.get("/account").get_data(as_text=True)
    assert 'id="new-member"' in html
    with app.app_context(), unit_of_work():
        db.session.execute(update(User).where(User.username == "fresh")
                           .values(created_at=utcnow() - timedelta(days=3)))
    assert 'id="new-member"' not in page.get("/account").get_data(as_text=True)
