"""Notifications in the app: which writes notify whom (services), the pages, the API, the
accept reminder command, and what private groups must never leak through them.

Budget: about 20 s on SQLite (the live test with a real server is in test_notifications_live).
"""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select, update

from forum.extensions import db
from forum.markup import MAX_MENTION_LINKS, MAX_MENTIONS, mentioned_names, render_markdown
from forum.models import (
    Follow,
    Group,
    GroupJoinRequest,
    Notification,
    Post,
    Question,
    Tag,
    User,
    utcnow,
)
from forum.services import chat, groups, notifications, qa
from forum.services.uow import unit_of_work
from tests.helpers import ApiClient, PageClient

CANARY = "wombatcanary"
PASSWORD = "correct horse battery"


# -- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
def people(make_user):
    """Account ids: asker, helper, fan (follows things), other, and an admin."""
    found = {name: make_user(name, display_name=name.title()) for name in
             ("asker", "helper", "fan", "other")}
    found["frenchie"] = make_user("frenchie", display_name="Frenchie", locale="fr")
    found["admin"] = make_user("boss", role="admin")
    return found


@pytest.fixture
def question(people, group, make_question):
    """A public question in `west-africa` tagged `implants`, asked by `asker`."""
    return make_question(people["asker"], group)


def follow(app, user_id, target_type, target_id, level="all"):
    """Set one follow row directly (whatever joining a group may have set before)."""
    with app.app_context(), unit_of_work():
        db.session.execute(delete(Follow).where(Follow.user_id == user_id,
                                                Follow.target_type == target_type,
                                                Follow.target_id == target_id))
        db.session.add(Follow(user_id=user_id, target_type=target_type, target_id=target_id,
                              level=level))


def unfollow_everything(app):
    with app.app_context(), unit_of_work():
        db.session.execute(delete(Follow))


def got(app, user_id, kind=None) -> list[Notification]:
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user_id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        found = db.session.scalars(stmt.order_by(Notification.id)).all()
        db.session.expunge_all()
        return found


def as_user(app, user_id, fn, *args, **kwargs):
    with app.app_context():
        return fn(db.session.get(User, user_id), *args, **kwargs)


def tag_id(app, name="implants"):
    with app.app_context():
        return db.session.scalar(select(Tag.id).where(Tag.name == name))


def group_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(Group.id).where(Group.slug == slug))


def answer(app, user_id, question_id, body="Order earlier, every month."):
    return as_user(app, user_id, qa.post_answer, question_id, body, system=True).id


def logged_in(app, username) -> PageClient:
    client = PageClient(app.test_client())
    client.login(username, PASSWORD)
    return client


# -- events -----------------------------------------------------------------------------


def test_an_answer_notifies_the_asker_and_question_followers_once_each(app, people, question):
    unfollow_everything(app)
    follow(app, people["fan"], "question", question)
    follow(app, people["helper"], "question", question)  # the answerer follows too
    post_id = answer(app, people["helper"], question)
    asker, fan = got(app, people["asker"]), got(app, people["fan"])
    assert [n.kind for n in asker] == ["answer"] and [n.kind for n in fan] == ["answer"]
    assert asker[0].text == "Helper answered: How do we avoid implant stock-outs?"
    assert asker[0].url == f"/questions/{question}#post-{post_id}"
    assert asker[0].post_id == post_id and asker[0].question_id == question
    assert got(app, people["helper"]) == []  # never about your own action
    assert got(app, people["other"]) == []


def test_text_is_written_in_the_recipients_language(app, people, question):
    follow(app, people["frenchie"], "question", question)
    answer(app, people["helper"], question)
    (found,) = got(app, people["frenchie"])
    assert found.text == "Helper a répondu : How do we avoid implant stock-outs?"


def test_long_titles_are_shortened(app, people, group, make_question):
    long_title = "Why " + "very " * 30 + "long?"
    qid = make_question(people["asker"], group, title=long_title)
    answer(app, people["helper"], qid)
    (found,) = got(app, people["asker"])
    assert len(found.text) < 120 and found.text.endswith("…")


def test_a_reply_notifies_the_parent_author_but_not_for_your_own_post(app, people, question):
    unfollow_everything(app)
    post_id = answer(app, people["helper"], question)
    reply = as_user(app, people["other"], qa.post_reply, post_id, "Which supplier?",
                    system=True)
    (found,) = got(app, people["helper"])
    assert found.kind == "reply" and found.text.startswith("Other replied to you: ")
    assert found.url.endswith(f"#post-{reply.id}")
    as_user(app, people["helper"], qa.post_reply, reply.id, "Replying to my thread.",
            system=True)
    as_user(app, people["helper"], qa.post_reply, post_id, "And to myself.", system=True)
    assert [n.kind for n in got(app, people["other"])] == ["reply"]
    assert len(got(app, people["helper"])) == 1


def test_accepting_notifies_the_answerer_never_the_accepter(app, people, question):
    helped = answer(app, people["helper"], question)
    own = answer(app, people["asker"], question, body="I found it myself.")
    as_user(app, people["asker"], qa.accept_answer, question, helped)
    (found,) = got(app, people["helper"], "accepted")
    assert found.text == "Your answer was accepted: How do we avoid implant stock-outs?"
    as_user(app, people["asker"], qa.accept_answer, question, own)
    assert got(app, people["asker"], "accepted") == []


def test_a_mention_links_the_person_and_notifies_them(app, people, question):
    unfollow_everything(app)
    body = ("Ask @Fan and @nobody-here, not `@other` in code, nor mail x@fan.org;"
            " @asker twice: @asker. Me: @helper")
    post_id = answer(app, people["helper"], question, body=body)
    with app.app_context():
        html = db.session.get(Post, post_id).body_html
    assert '<a href="/u/fan" rel="nofollow noopener ugc">@Fan</a>' in html
    assert "@nobody-here" in html and "/users/nobody-here" not in html
    assert "<code>@other</code>" in html and "/users/other" not in html
    assert [n.kind for n in got(app, people["fan"])] == ["mention"]
    assert got(app, people["other"]) == []  # only inside code
    # The asker is mentioned twice and follows by default: one notification, the mention.
    assert [n.kind for n in got(app, people["asker"])] == ["mention"]
    assert got(app, people["helper"]) == []  # mentioning yourself


def test_rerendering_keeps_the_mention_links(app, people, question):
    post_id = answer(app, people["helper"], question, body="Ask @fan about it.")
    result = app.test_cli_runner().invoke(args=["markup", "rerender", "--all"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert 'href="/u/fan"' in db.session.get(Post, post_id).body_html


def test_mention_rendering_is_bounded_and_skips_links_and_code():
    names = {f"user{n}": f"/u/{n}" for n in range(3)}
    rendered = render_markdown("[@user0](https://example.org) `@user1` @user2 @user2",
                               mentions=names)
    assert rendered.mentions == ("user2",)
    assert rendered.html.count('href="/u/2"') == 2 and '"/u/0"' not in rendered.html
    many = render_markdown(" ".join(["@user0"] * 500), mentions=names)
    assert many.html.count('href="/u/0"') == MAX_MENTION_LINKS
    assert len(mentioned_names(" ".join(f"@name{n}" for n in range(100)))) == MAX_MENTIONS
    started = time.monotonic()
    render_markdown("@user0 " * 20000, mentions=names)
    assert time.monotonic() - started < 2
    assert render_markdown("@user0").html == "<p>@user0</p>"  # no names given: no links


def test_a_mention_in_a_question_and_in_group_chat(app, people, group, join, make_question):
    unfollow_everything(app)
    make_question(people["asker"], group, title="Who knows @fan well enough?",
                  body="Paging @fan about implants.")
    (found,) = got(app, people["fan"])
    assert found.kind == "mention" and found.text.startswith("Asker mentioned you: ")
    join(people["asker"], group)
    join(people["helper"], group)
    with app.app_context():
        asker = db.session.get(User, people["asker"])
        room = chat.room_for_group(asker, group)
        room_id = room.id
        message, _new = chat.send_message(asker, room_id, "hello @helper and @other", "c-1")
        assert 'href="/u/helper"' in message.body_html
    (found,) = got(app, people["helper"])
    assert found.kind == "mention" and found.url == f"/chat/rooms/{room_id}#m-{message.id}"
    assert found.text == "Asker mentioned you in the chat of West Africa"
    # `other` is not in the group: cannot read the room, hears nothing.
    assert got(app, people["other"], "mention") == []


def test_an_edit_notifies_only_the_people_it_newly_mentions(app, people, question):
    unfollow_everything(app)
    post_id = answer(app, people["helper"], question, body="Ask @fan about it.")
    as_user(app, people["helper"], qa.edit_post, post_id, "Ask @fan and @other about it.",
            system=True)
    as_user(app, people["asker"], qa.edit_question, question,
            body="Our clinics run out; @fan, any idea?", system=True)
    assert [n.kind for n in got(app, people["fan"])] == ["mention", "mention"]
    (found,) = got(app, people["other"])
    assert found.kind == "mention" and found.url == f"/questions/{question}#post-{post_id}"
    as_user(app, people["helper"], qa.edit_post, post_id, "Ask @other and @fan, twice.",
            system=True)  # nobody new
    assert len(got(app, people["fan"])) == 2 and len(got(app, people["other"])) == 1


def test_a_mention_in_a_direct_message_reaches_its_other_person_only(app, people):
    with app.app_context():
        asker = db.session.get(User, people["asker"])
        room, _created = chat.open_direct(asker, "helper")
        message, _new = chat.send_message(asker, room.id, "@helper and @fan: see this",
                                          "dm-1")
        room_id, message_id = room.id, message.id
    (found,) = got(app, people["helper"])
    assert found.text == "Asker mentioned you in a direct message"
    assert found.url == f"/chat/rooms/{room_id}#m-{message_id}"
    assert got(app, people["fan"]) == []  # not one of the room's two people


def test_a_new_question_reaches_group_tag_and_person_followers_once(app, people, group,
                                                                    make_question):
    gid = group_id(app, group)
    unfollow_everything(app)
    # The fan follows the group, the tag and the asker: one notification.
    follow(app, people["fan"], "group", gid)
    follow(app, people["fan"], "user", people["asker"])
    follow(app, people["helper"], "user", people["asker"])
    follow(app, people["other"], "group", gid)
    qid = make_question(people["asker"], group)
    follow(app, people["fan"], "tag", tag_id(app))
    follow(app, people["frenchie"], "tag", tag_id(app))
    make_question(people["asker"], group, title="A second question about implants",
                  body="Something else entirely, about implant storage.")
    fan = got(app, people["fan"])
    assert [n.kind for n in fan] == ["new_question", "new_question"]
    assert fan[0].text == "Asker asked in West Africa: How do we avoid implant stock-outs?"
    assert fan[0].url == f"/questions/{qid}"
    assert len(got(app, people["helper"])) == 2 and len(got(app, people["other"])) == 2
    (french,) = got(app, people["frenchie"])
    assert french.text.startswith("Asker a demandé dans West Africa : ")
    assert got(app, people["asker"]) == []


def test_muted_and_digest_levels_get_nothing(app, people, group, question, make_question):
    gid = group_id(app, group)
    follow(app, people["fan"], "question", question, "muted")
    follow(app, people["other"], "question", question, "digest")
    follow(app, people["asker"], "question", question, "digest")  # the asker's default too
    post_id = answer(app, people["helper"], question)
    assert got(app, people["fan"]) == [] and got(app, people["other"]) == []
    assert got(app, people["asker"]) == []
    # A muted question silences replies and mentions in it too.
    as_user(app, people["helper"], qa.post_reply, post_id, "Thanks @fan", system=True)
    assert got(app, people["fan"]) == []
    # Following the tag at "all" but the group muted: nothing; the group at digest: nothing.
    follow(app, people["fan"], "tag", tag_id(app))
    follow(app, people["fan"], "group", gid, "muted")
    follow(app, people["other"], "group", gid, "digest")
    make_question(people["helper"], group, title="Another implant question here",
                  body="Cold chain for implants?")
    assert got(app, people["fan"]) == [] and got(app, people["other"]) == []
    # Muting a person: nothing caused by them.
    follow(app, people["asker"], "user", people["helper"], "muted")
    follow(app, people["asker"], "question", question, "all")
    answer(app, people["helper"], question, body="One more idea.")
    assert got(app, people["asker"]) == []


def test_private_group_content_reaches_members_only(app, people, make_group, join,
                                                    make_question, client):
    slug = make_group("inner-circle", private=True)
    join(people["asker"], slug, private=True)
    join(people["fan"], slug, private=True)
    tid = None
    # Everyone follows the tag, the person and (for the outsider) even the private group.
    for who in ("fan", "other", "helper", "admin"):
        follow(app, people[who], "user", people["asker"])
    follow(app, people["other"], "group", group_id(app, slug))
    qid = make_question(people["asker"], slug, title=f"Private {CANARY} question",
                        body=f"Only members read {CANARY}. Hello @other and @fan.")
    tid = tag_id(app)
    for who in ("fan", "other", "helper"):
        follow(app, people[who], "tag", tid)
    assert [n.kind for n in got(app, people["fan"])] == ["mention"]
    assert got(app, people["other"]) == [] and got(app, people["helper"]) == []
    assert len(got(app, people["admin"])) == 1  # administrators read every group
    # A reply by a member to the outsider's... nothing: the outsider cannot post there.
    # A removed member hears nothing new, and no longer sees the old ones.
    with app.app_context():
        admin = db.session.get(User, people["admin"])
        groups.remove_member(admin, slug, "fan")
    follow(app, people["fan"], "question", qid)
    answer(app, people["asker"], qid, body=f"More about {CANARY}.")
    as_user(app, people["asker"], qa.ask_question, title=f"Second {CANARY} question",
            body=f"{CANARY} again @fan", group=slug, tags=["implants"], system=True)
    assert [n.kind for n in got(app, people["fan"])] == ["mention"]  # only the old one
    fan = logged_in(app, "fan")
    page = fan.get("/notifications").get_data(as_text=True)
    assert CANARY not in page
    assert 'data-notification-count hidden>0<' in page
    fan_api = ApiClient(app.test_client())
    fan_api.login("fan", PASSWORD)
    listed = fan_api.get("/api/v1/notifications").get_json()
    assert listed["total"] == 0 and CANARY not in str(listed)
    outsider = logged_in(app, "other")
    assert CANARY not in outsider.get("/notifications").get_data(as_text=True)
    boss = ApiClient(app.test_client())
    boss.login("boss", PASSWORD)
    assert CANARY in str(boss.get("/api/v1/notifications").get_json())  # admins read it


def test_deleted_questions_notify_nobody_and_drop_from_the_list(app, people, question):
    follow(app, people["fan"], "question", question)
    answer(app, people["helper"], question)
    assert len(got(app, people["fan"])) == 1
    with app.app_context(), unit_of_work():
        db.session.execute(update(Question).where(Question.id == question)
                           .values(deleted_at=utcnow()))
    with app.app_context():
        fan = db.session.get(User, people["fan"])
        assert notifications.unread_count(fan) == 0
        assert db.session.scalars(notifications.notifications_query(fan)).all() == []
    # An administrator still reads it, and accepts an answer there: nobody hears.
    answer_id = got(app, people["fan"])[0].post_id
    as_user(app, people["admin"], qa.accept_answer, question, answer_id)
    assert got(app, people["helper"], "accepted") == []


def test_nothing_is_written_when_the_write_is_rolled_back(app, people, question):
    with app.app_context():
        helper = db.session.get(User, people["helper"])
        with pytest.raises(RuntimeError), unit_of_work():
            qa.post_answer(helper, question, "This will be undone.", system=True)
            raise RuntimeError("boom")
    assert got(app, people["asker"]) == []


def test_fan_out_takes_the_same_number_of_statements_for_1_or_50_followers(
        app, people, group, make_user, make_question):
    gid = group_id(app, group)

    def statements_of_asking(title):
        counted = []
        with app.app_context():
            asker = db.session.get(User, people["asker"])
            record = lambda *args: counted.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                qa.ask_question(asker, title=title, body=f"Body of {title}.", group=group,
                                tags=["implants"], system=True)
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        return counted

    statements_of_asking("A warm-up question: makes the tag")
    unfollow_everything(app)
    follow(app, people["fan"], "group", gid)
    one = statements_of_asking("First question with one follower")
    many = [make_user(f"follower{n}") for n in range(49)]
    with app.app_context(), unit_of_work():
        db.session.add_all(Follow(user_id=uid, target_type="group", target_id=gid)
                           for uid in many)
    fifty = statements_of_asking("Second question with fifty followers")
    assert len(one) == len(fifty), (one, fifty)
    assert sum(sql.startswith("INSERT INTO notifications") for sql in fifty) == 1
    assert len(got(app, many[-1])) == 1 and len(got(app, people["fan"])) == 2


# -- reading, pages ---------------------------------------------------------------------


def test_header_count_list_mark_read_open_and_mark_all(app, people, question):
    for n in range(3):
        answer(app, people["helper"], question, body=f"Idea number {n}.")
    asker = logged_in(app, "asker")
    page = asker.get("/questions").get_data(as_text=True)
    assert re.search(r'href="/notifications"[^>]*>Notifications <span class="badge '
                     r'notification-count" data-notification-count>3</span>', page)
    listing = asker.get("/notifications")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and text.count('class="card unread"') == 3
    ids = [n.id for n in got(app, people["asker"])]
    assert text.index(f'id="n-{ids[2]}"') < text.index(f'id="n-{ids[0]}"')  # newest first
    # Mark one read.
    done = asker.post_form(f"/notifications/{ids[0]}/read", {}, page="/notifications")
    assert done.status_code == 302
    assert "data-notification-count>2<" in asker.get("/notifications").get_data(as_text=True)
    # Open one: marked read, and sent to its item.
    opened = asker.post_form(f"/notifications/{ids[1]}/open", {}, page="/notifications")
    assert opened.status_code == 302
    second_post = got(app, people["asker"])[1].post_id
    assert opened.headers["Location"].endswith(f"/questions/{question}#post-{second_post}")
    assert [n.read_at is not None for n in got(app, people["asker"])] == [True, True, False]
    asker.post_form("/notifications/read-all", {}, page="/notifications")
    assert all(n.read_at for n in got(app, people["asker"]))
    assert "data-notification-count hidden>0<" in asker.get("/notifications").get_data(as_text=True)


def test_pages_refuse_strangers_bad_csrf_and_others_notifications(app, people, question,
                                                                  anon_client):
    answer(app, people["helper"], question)
    (mine,) = got(app, people["asker"])
    assert anon_client.get("/notifications").status_code == 302  # to the login page
    assert "data-notification-count" not in anon_client.get("/questions").get_data(as_text=True)
    other = logged_in(app, "other")
    assert other.post_form(f"/notifications/{mine.id}/read", {},
                           page="/notifications").status_code == 404
    assert other.post_form(f"/notifications/{mine.id}/open", {},
                           page="/notifications").status_code == 404
    asker = logged_in(app, "asker")
    assert asker.post_form(f"/notifications/{mine.id}/read", {},
                           csrf=False).status_code == 400
    assert asker.client.get(f"/notifications/{mine.id}/read").status_code == 405
    assert asker.post_form("/notifications/99999999999/read", {},
                           page="/notifications").status_code == 404
    assert got(app, people["asker"])[0].read_at is None


def test_the_header_count_costs_one_query(app, people, question):
    answer(app, people["helper"], question)
    asker = logged_in(app, "asker")
    counted = []

    def record(conn, cursor, statement, *args):
        if "notifications" in statement:
            counted.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        asker.get("/questions")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(counted) == 1


# -- API --------------------------------------------------------------------------------


def test_api_lists_filters_and_marks_read(app, people, question):
    answer(app, people["helper"], question, body="First idea.")
    answer(app, people["helper"], question, body="Second idea.")
    api = ApiClient(app.test_client())
    api.login("asker", PASSWORD)
    listed = api.get("/api/v1/notifications").get_json()
    assert listed["total"] == 2
    first = listed["items"][0]
    assert set(first) == {"id", "kind", "text", "url", "read", "created_at"}
    assert first["kind"] == "answer" and first["read"] is False
    older = listed["items"][1]["id"]
    assert first["id"] > older
    marked = api.post(f"/api/v1/notifications/{older}/read")
    assert marked.status_code == 200 and marked.get_json()["read"] is True
    unread = api.get("/api/v1/notifications?unread=1").get_json()
    assert [n["id"] for n in unread["items"]] == [first["id"]]
    everything = api.post("/api/v1/notifications/read-all")
    assert everything.status_code == 200 and everything.get_json() == {"marked": 1,
                                                                       "unread": 0}
    assert api.get("/api/v1/notifications?unread=1").get_json()["total"] == 0


def test_api_refuses_bad_input_strangers_and_others(app, people, question):
    answer(app, people["helper"], question)
    (mine,) = got(app, people["asker"])
    anonymous = ApiClient(app.test_client())
    assert anonymous.get("/api/v1/notifications").status_code == 401
    assert anonymous.post(f"/api/v1/notifications/{mine.id}/read").status_code == 401
    assert anonymous.post("/api/v1/notifications/read-all").status_code == 401
    other = ApiClient(app.test_client())
    other.login("other", PASSWORD)
    assert other.post(f"/api/v1/notifications/{mine.id}/read").status_code == 404
    assert other.get("/api/v1/notifications").get_json()["total"] == 0
    bad = other.get("/api/v1/notifications?unread=yes")
    assert bad.status_code == 422 and "unread" in bad.get_json()["error"]["fields"]
    assert other.get("/api/v1/notifications?per_page=1000").status_code == 422
    assert other.post("/api/v1/notifications/abc/read").status_code == 404
    assert other.post("/api/v1/notifications/0/read").status_code == 404
    other.post("/api/v1/notifications/read-all")
    assert got(app, people["asker"])[0].read_at is None  # read-all is yours only


# -- the accept reminder ----------------------------------------------------------------


def test_remind_command_reminds_once_per_week_old_unaccepted_question(app, people, group,
                                                                      make_question):
    old = make_question(people["asker"], group)
    young = make_question(people["asker"], group, title="A young question still fresh",
                          body="Asked just now.")
    accepted = make_question(people["frenchie"], group, title="An accepted old question",
                             body="Answered and accepted.")
    unanswered = make_question(people["asker"], group, title="An unanswered old one here",
                               body="Nobody answered.")
    for qid in (old, young, accepted):
        answer(app, people["helper"], qid, body=f"Answer to {qid}.")
    with app.app_context(), unit_of_work():
        db.session.execute(update(Question).where(Question.id.in_([old, accepted, unanswered]))
                           .values(created_at=utcnow() - timedelta(days=8)))
    as_user(app, people["frenchie"], qa.accept_answer, accepted,
            got(app, people["frenchie"], "answer")[0].post_id)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "remind"])
    assert result.exit_code == 0 and "1 reminder(s) written" in result.output
    (reminder,) = got(app, people["asker"], "accept_reminder")
    assert reminder.question_id == old and reminder.url == f"/questions/{old}"
    assert reminder.text == "Did an answer help you? Accept it: How do we avoid implant stock-outs?"
    assert "0 reminder(s)" in runner.invoke(args=["notifications", "remind"]).output
    assert got(app, people["frenchie"], "accept_reminder") == []


def test_join_requests_notify_the_group_moderators_and_the_decision_the_asker(
        app, people, make_group, join):
    make_group("inner", private=True)
    join(people["helper"], "inner", private=True)  # a moderator of it, below
    join(people["other"], "inner", private=True)  # a plain member
    as_user(app, people["admin"], groups.set_group_moderator, "inner", "helper")
    as_user(app, people["fan"], groups.request_to_join, "inner", "I run a clinic in Kano.")
    to_moderator = got(app, people["helper"], "join_request")
    assert len(to_moderator) == 1 and "Fan asks to join" in to_moderator[0].text
    assert to_moderator[0].url == "/groups/inner"
    assert got(app, people["other"], "join_request") == []  # members do not decide
    with app.app_context():
        request_id = db.session.scalar(select(GroupJoinRequest.id))
    as_user(app, people["helper"], groups.decide_join_request, "inner", request_id,
            approve=True)
    decided = got(app, people["fan"], "join_decision")
    assert len(decided) == 1 and "You are now a member of" in decided[0].text
    assert got(app, people["helper"], "join_decision") == []  # not about one's own act
