"""Who may do which API write: one table, and a refused write changes nothing."""

import re

import pytest

from forum.extensions import db
from forum.models import (
    Group,
    GroupJoinRequest,
    GroupMembership,
    Post,
    PostVote,
    Question,
    QuestionRoute,
    QuestionVote,
    Revision,
    Tag,
    User,
    utcnow,
)
from forum.services.accounts import issue_api_token
from forum.services.groups import create_group, request_to_join, set_group_moderator
from forum.services.qa import accept_answer
from forum.services.uow import unit_of_work


@pytest.fixture
def app_config():
    """Posting limits off: the table posts many times as the same people."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def world(app, make_user, group, make_group, make_question, make_post):
    """A thread (question by `asker`, answer by `helper`) in a public group, a private group,
    and a token for everyone: the member is neither author."""
    people = {}
    for name, role in [("asker", "member"), ("helper", "member"), ("member", "member"),
                       ("mod", "moderator"), ("admin", "admin")]:
        user_id = make_user(name, role=role)
        with app.app_context():
            token, _record = issue_api_token(db.session.get(User, user_id))
        people[name] = {"id": user_id, "token": token}
    make_group("inner-circle", private=True)
    qid = make_question(people["asker"]["id"], group, tags=["implants"])
    aid = make_post(people["helper"]["id"], question_id=qid, body="Order a quarter ahead.")
    return {"people": people, "question": qid, "answer": aid}


def accepted(app, world):
    """Mark the answer accepted first (for un-accepting)."""
    with app.app_context():
        accept_answer(db.session.get(User, world["people"]["asker"]["id"]), world["question"],
                      world["answer"])


def helper_moderates(app, world):
    """Make `helper` a moderator of west-africa (for removing them as one)."""
    with app.app_context():
        admin = db.session.get(User, world["people"]["admin"]["id"])
        set_group_moderator(admin, "west-africa", "helper")


def member_asks_to_join(app, world):
    """`member` asks to join the private inner-circle (request id 1)."""
    with app.app_context():
        request_to_join(db.session.get(User, world["people"]["member"]["id"]), "inner-circle")


def helper_suggested(app, world):
    """`helper` is among the question's suggested people (whom its asker may ask)."""
    with app.app_context(), unit_of_work() as session:
        session.add(QuestionRoute(question_id=world["question"],
                                  user_id=world["people"]["helper"]["id"], rank=1))


def moderated(*, post: bool = False, **values):
    """A preparation that sets moderation columns ("now": the time) on the question, or on
    the answer with `post`."""
    def prepare(app, world):
        model, ident = (Post, world["answer"]) if post else (Question, world["question"])
        with app.app_context(), unit_of_work():
            row = db.session.get(model, ident)
            for name, value in values.items():
                setattr(row, name, utcnow() if value == "now" else value)
    return prepare


def second_group(app, world):
    """A second public group to move the question to."""
    with app.app_context():
        create_group(None, "sahel", "Sahel", "Sahel", system=True)


# action -> (method, path, body, who "author" is, preparation)
ACTIONS = {
    "edit question": ("PATCH", "/api/v1/questions/{question}",
                      {"title": "A clearer title for this question"}, "asker", None),
    "edit post": ("PATCH", "/api/v1/posts/{answer}", {"body": "Order two quarters ahead."},
                  "helper", None),
    "delete post": ("DELETE", "/api/v1/posts/{answer}", None, "helper", None),
    "delete question": ("DELETE", "/api/v1/questions/{question}", None, "asker", None),
    "accept": ("PUT", "/api/v1/questions/{question}/accepted", {"answer_id": "{answer}"},
               "asker", None),
    "unaccept": ("DELETE", "/api/v1/questions/{question}/accepted", None, "asker", accepted),
    "vote question": ("PUT", "/api/v1/questions/{question}/vote", {"value": 1}, "asker", None),
    "vote answer": ("PUT", "/api/v1/posts/{answer}/vote", {"value": -1}, "helper", None),
    "answer": ("POST", "/api/v1/questions/{question}/answers", {"body": "Use a buffer."},
               "asker", None),
    "reply": ("POST", "/api/v1/posts/{answer}/replies", {"body": "Which supplier?"}, "helper",
              None),
    "ask": ("POST", "/api/v1/questions",
            {"title": "A brand new question here", "body": "Details.", "group": "west-africa",
             "tags": ["implants"]}, "asker", None),
    "create group": ("POST", "/api/v1/groups",
                     {"slug": "sahel", "name": "Sahel", "region": "Sahel"}, "asker", None),
    "add member": ("PUT", "/api/v1/groups/inner-circle/members/member", None, "asker", None),
    "remove member": ("DELETE", "/api/v1/groups/west-africa/members/helper", None, "asker",
                      None),
    "join group": ("PUT", "/api/v1/groups/west-africa/membership", None, "asker", None),
    "tag description": ("PUT", "/api/v1/tags/implants", {"description": "Implants."}, "asker",
                        None),
    "edit group": ("PATCH", "/api/v1/groups/west-africa", {"description": "New words."},
                   "asker", None),
    "appoint group moderator": ("PUT", "/api/v1/groups/west-africa/moderators/helper", None,
                                "asker", None),
    "remove group moderator": ("DELETE", "/api/v1/groups/west-africa/moderators/helper", None,
                               "asker", helper_moderates),
    "ask to join": ("POST", "/api/v1/groups/inner-circle/requests", {"message": "Hello."},
                    "asker", None),
    "decide join request": ("POST", "/api/v1/groups/inner-circle/requests/1/approve", None,
                            "asker", member_asks_to_join),
    "ask experts": ("POST", "/api/v1/questions/{question}/experts",
                    {"usernames": ["helper"]}, "asker", helper_suggested),
    # Moderator actions (tests/test_moderation_actions.py has their full matrix).
    "hide question": ("POST", "/api/v1/questions/{question}/hide", {"reason": "Spam"},
                      "asker", None),
    "restore question": ("POST", "/api/v1/questions/{question}/restore", None, "asker",
                         moderated(hidden_at="now")),
    "lock": ("POST", "/api/v1/questions/{question}/lock", {"reason": "Heated"}, "asker",
             None),
    "unlock": ("POST", "/api/v1/questions/{question}/unlock", None, "asker",
               moderated(locked_at="now")),
    "close": ("POST", "/api/v1/questions/{question}/close", {"reason": "off_topic"},
              "asker", None),
    "reopen": ("POST", "/api/v1/questions/{question}/reopen", None, "asker",
               moderated(closed_at="now")),
    "move": ("POST", "/api/v1/questions/{question}/move", {"group": "sahel", "reason": "x"},
             "asker", second_group),
    "hide post": ("POST", "/api/v1/posts/{answer}/hide", {"reason": "Spam"}, "helper", None),
    "restore post": ("POST", "/api/v1/posts/{answer}/restore", None, "helper",
                     moderated(post=True, hidden_at="now")),
    # Pre-moderation (tests/test_premoderation.py has their full matrix).
    "approve question": ("POST", "/api/v1/questions/{question}/approve", None, "asker",
                         moderated(hidden_at="now", held_at="now")),
    "reject question": ("POST", "/api/v1/questions/{question}/reject", {"reason": "Spam"},
                        "asker", moderated(hidden_at="now", held_at="now")),
    "approve post": ("POST", "/api/v1/posts/{answer}/approve", None, "helper",
                     moderated(post=True, hidden_at="now", held_at="now")),
    "reject post": ("POST", "/api/v1/posts/{answer}/reject", {"reason": "Spam"}, "helper",
                    moderated(post=True, hidden_at="now", held_at="now")),
}

TABLE = [
    ("edit question", "anonymous", 401),
    ("edit question", "member", 403),
    ("edit question", "author", 200),
    ("edit question", "moderator", 200),
    ("edit post", "anonymous", 401),
    ("edit post", "member", 403),
    ("edit post", "author", 200),
    ("edit post", "moderator", 200),
    ("delete post", "anonymous", 401),
    ("delete post", "member", 403),
    ("delete post", "author", 204),
    ("delete post", "moderator", 204),
    ("delete question", "anonymous", 401),
    ("delete question", "member", 403),
    ("delete question", "author", 204),
    ("delete question", "moderator", 204),
    ("accept", "anonymous", 401),
    ("accept", "member", 403),
    ("accept", "author", 200),
    ("accept", "moderator", 200),
    ("unaccept", "anonymous", 401),
    ("unaccept", "member", 403),
    ("unaccept", "author", 200),
    ("unaccept", "moderator", 200),
    ("vote question", "anonymous", 401),
    ("vote question", "member", 200),
    ("vote question", "author", 403),
    ("vote question", "moderator", 200),
    ("vote answer", "anonymous", 401),
    ("vote answer", "member", 200),
    ("vote answer", "author", 403),
    ("vote answer", "moderator", 200),
    ("answer", "anonymous", 401),
    ("answer", "member", 201),
    ("answer", "author", 201),
    ("answer", "moderator", 201),
    ("reply", "anonymous", 401),
    ("reply", "member", 201),
    ("reply", "author", 201),
    ("reply", "moderator", 201),
    ("ask", "anonymous", 401),
    ("ask", "member", 201),
    ("ask", "moderator", 201),
    ("create group", "anonymous", 401),
    ("create group", "member", 403),
    ("create group", "moderator", 403),
    ("create group", "admin", 201),
    ("add member", "anonymous", 401),
    ("add member", "member", 403),
    ("add member", "moderator", 403),
    ("add member", "admin", 200),
    ("remove member", "anonymous", 401),
    ("remove member", "member", 403),
    # Site moderators moderate the groups they can see (a public one here).
    ("remove member", "moderator", 200),
    ("remove member", "admin", 200),
    ("join group", "anonymous", 401),
    ("join group", "member", 200),
    ("tag description", "anonymous", 401),
    ("tag description", "member", 403),
    ("tag description", "author", 403),
    ("tag description", "moderator", 200),
    ("tag description", "admin", 200),
    ("edit group", "anonymous", 401),
    ("edit group", "member", 403),
    ("edit group", "moderator", 200),
    ("edit group", "admin", 200),
    ("appoint group moderator", "anonymous", 401),
    ("appoint group moderator", "member", 403),
    ("appoint group moderator", "moderator", 200),
    ("appoint group moderator", "admin", 200),
    ("remove group moderator", "anonymous", 401),
    ("remove group moderator", "member", 403),
    ("remove group moderator", "moderator", 200),
    ("remove group moderator", "admin", 200),
    ("ask to join", "anonymous", 401),
    ("ask to join", "member", 201),
    ("decide join request", "anonymous", 401),
    ("decide join request", "member", 403),  # their own request
    ("decide join request", "moderator", 403),  # a private group they are not in
    ("decide join request", "admin", 200),
    ("ask experts", "anonymous", 401),
    ("ask experts", "member", 403),
    ("ask experts", "author", 200),
    ("ask experts", "moderator", 200),
    *((action, who, status) for action in (
        "hide question", "lock", "unlock", "close", "reopen", "move", "hide post",
        "restore post", "approve post", "reject post")
      for who, status in (("anonymous", 401), ("member", 403), ("author", 403),
                          ("moderator", 200))),
    # a held question is hidden: not found by who may not moderate it, but by its author
    *((action, who, status) for action in ("approve question", "reject question")
      for who, status in (("anonymous", 401), ("author", 403), ("moderator", 200))),
    # a hidden question is not found by who may not moderate it, but by its author
    ("restore question", "anonymous", 401),
    ("restore question", "author", 403),
    ("restore question", "moderator", 200),
]


def state(app):
    """Every row an API write may touch."""
    with app.app_context():
        rows = {}
        for model in (Question, Post, QuestionVote, PostVote, Revision, Tag, Group,
                      GroupMembership, GroupJoinRequest, QuestionRoute):
            columns = list(model.__table__.columns)
            rows[model.__name__] = sorted(
                tuple(str(v) for v in row) for row in db.session.execute(db.select(*columns)))
        rows["reputation"] = sorted(db.session.execute(db.select(User.id,
                                                                 User.reputation)).all())
        return rows


@pytest.mark.parametrize(("action", "who", "status"), TABLE)
def test_permission_matrix(api, app, world, join, action, who, status):
    method, path, body, author, prepare = ACTIONS[action]
    people = world["people"]
    join(people["helper"]["id"], "west-africa")  # someone to remove
    if prepare:
        prepare(app, world)
    ids = {"question": world["question"], "answer": world["answer"]}
    if body and body.get("answer_id") == "{answer}":
        body = {**body, "answer_id": world["answer"]}
    account = {"anonymous": None, "member": "member", "author": author, "moderator": "mod",
               "admin": "admin"}[who]
    token = people[account]["token"] if account else None
    before = state(app)
    response = api.call(method, path.format(**ids), json=body, token=token)
    assert response.status_code == status, response.get_json()
    after = state(app)
    if status >= 400:
        error = response.get_json()["error"]
        assert error["code"] == {401: "unauthorized", 403: "forbidden"}[status]
        assert after == before, "a refused write changed something"
    else:
        assert after != before, "an allowed write changed nothing"


def test_every_write_route_of_this_area_is_in_the_permission_table(app):
    """A new write route for questions, posts, groups or tags must join the table above."""
    assert {action for action, _who, _status in TABLE} == set(ACTIONS)
    urls = app.url_map.bind("localhost")
    covered = {urls.match(path.format(question=1, answer=2), method)[0]
               for method, path, *_rest in ACTIONS.values()}
    # Leaving a group undoes joining it: anyone may, for themselves.
    covered.add("api.leave_group")
    area = re.compile(r"^/api/v1/(questions|posts|groups|tags)\b")
    writes = {rule.endpoint for rule in app.url_map.iter_rules()
              if area.match(rule.rule) and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    assert writes - covered == set()
