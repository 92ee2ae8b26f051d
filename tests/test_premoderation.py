"""Pre-moderation of first posts (issue 14): a group that checks newcomers holds their
first questions, answers and replies until one of its moderators approves; what readers,
authors, followers and moderators see before and after; approve and reject on pages and
in the API, and who may.

Budget: about 15 s per pass.
"""

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import AuditEntry, Group, Notification, Post, Question, QuestionRoute, User
from forum.services import follows, groups, profiles
from forum.services.accounts import issue_api_token
from forum.services.uow import unit_of_work
from tests.helpers import PageClient

PASSWORD = "correct horse battery"
CANARY = "heldcanaryxyz"


@pytest.fixture
def app_config():
    """Posting limits off: these tests post several times a second as the same person."""
    return {"RATE_LIMITS": False}


@pytest.fixture
def world(app, make_user, make_group, join, make_question):
    """A pre-moderated group `west-africa` with a group moderator, a follower, a newcomer
    and a regular; a plain group `east-africa`; API tokens for everyone."""
    names = {"newcomer": "member", "regular": "member", "follower": "member",
             "gmod": "member", "omod": "member", "expert": "member",
             "smod": "moderator", "admin": "admin"}
    ids = {name: make_user(name, role=role) for name, role in names.items()}
    west = make_group("west-africa")
    east = make_group("east-africa")
    for name in ("newcomer", "regular", "follower", "expert"):
        join(ids[name], west)
        join(ids[name], east)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        groups.set_group_moderator(admin, west, "gmod")
        groups.set_group_moderator(admin, east, "omod")
        profiles.set_verified(admin, "expert", True, "Midwife trainer")
        follows.follow(db.session.get(User, ids["follower"]), "group", west)
        with unit_of_work():
            db.session.scalar(select(Group).where(Group.slug == west)) \
                .premoderate_new_members = True
        tokens = {name: issue_api_token(db.session.get(User, ident))[0]
                  for name, ident in ids.items()}
    # The regular has posted in the group before: not held.
    regular_q = make_question(ids["regular"], west, title="Cold chain for injectables")
    make_question(ids["regular"], west, title="Counselling young clients on implants")
    return {"ids": ids, "tokens": tokens, "west": west, "east": east, "regular_q": regular_q}


def ask(api, world, who="newcomer", group="west-africa", **extra):
    body = {"title": f"Where to train on implant removal {CANARY}?",
            "body": "Our district has no trainer for removals.", "group": group,
            "tags": ["implants"], **extra}
    return api.post("/api/v1/questions", body, token=world["tokens"][who])


def answer(api, world, question_id, who="newcomer", text=f"Try the regional hub {CANARY}."):
    return api.post(f"/api/v1/questions/{question_id}/answers", {"body": text},
                    token=world["tokens"][who])


def notifications_of(app, user_id, kind=None) -> list[Notification]:
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user_id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        rows = db.session.scalars(stmt).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def about(app, user_id, kind, question_id) -> list[Notification]:
    return [n for n in notifications_of(app, user_id, kind) if n.question_id == question_id]


def group_count(app, slug) -> int:
    with app.app_context():
        return db.session.scalar(select(Group.question_count).where(Group.slug == slug))


def answer_count(app, question_id) -> int:
    with app.app_context():
        return db.session.get(Question, question_id).answer_count


def login(app, username) -> PageClient:
    page = PageClient(app.test_client())
    page.login(username, PASSWORD)
    return page


# -- what is held, what is not -----------------------------------------------------------


def test_a_newcomers_first_question_is_held_out_of_sight_until_approved(app, api, world):
    before = group_count(app, "west-africa")
    response = ask(api, world)
    assert response.status_code == 201
    data = response.get_json()
    assert data["held"] is True
    qid = data["id"]
    # Nobody else reads it or hears of it; its group's count waits too.
    assert group_count(app, "west-africa") == before
    assert about(app, world["ids"]["follower"], "new_question", qid) == []
    other = api.get(f"/api/v1/questions/{qid}", token=world["tokens"]["regular"])
    assert other.status_code == 404
    listing = login(app, "regular").get("/groups/west-africa")
    assert CANARY not in listing.get_data(as_text=True)
    search = api.get(f"/api/v1/search?q={CANARY}", token=world["tokens"]["regular"])
    assert search.status_code == 200 and search.get_json()["items"] == []
    # Its author reads it with the note; the group's moderator hears and sees it queued.
    own = login(app, "newcomer").get(f"/questions/{qid}").get_data(as_text=True)
    assert "Waiting for a moderator" in own
    held_notes = notifications_of(app, world["ids"]["gmod"], "held")
    assert len(held_notes) == 1 and held_notes[0].question_id == qid
    assert notifications_of(app, world["ids"]["omod"], "held") == []
    queue = login(app, "gmod").get("/moderation/flags").get_data(as_text=True)
    assert f'id="held-question-{qid}"' in queue and CANARY in queue

    approved = api.post(f"/api/v1/questions/{qid}/approve", token=world["tokens"]["gmod"])
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["held"] is False and approved.get_json()["hidden"] is False
    assert group_count(app, "west-africa") == before + 1
    assert len(about(app, world["ids"]["follower"], "new_question", qid)) == 1
    assert api.get(f"/api/v1/questions/{qid}", token=world["tokens"]["regular"]) \
        .status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "approve"))
        assert (entry.target_type, entry.target_id) == ("question", qid)
        assert entry.actor_id == world["ids"]["gmod"]
    queue = login(app, "gmod").get("/moderation/flags").get_data(as_text=True)
    assert f'id="held-question-{qid}"' not in queue


def test_held_answers_wait_and_their_question_hears_on_approval(app, api, world):
    qid = world["regular_q"]
    count = answer_count(app, qid)
    response = answer(api, world, qid)
    assert response.status_code == 201 and response.get_json()["held"] is True
    pid = response.get_json()["id"]
    assert answer_count(app, qid) == count
    assert notifications_of(app, world["ids"]["regular"], "answer") == []
    page = login(app, "regular").get(f"/questions/{qid}").get_data(as_text=True)
    assert CANARY not in page and f'id="post-{pid}"' not in page
    # Nobody replies to what is not published yet, not even a moderator.
    reply = api.post(f"/api/v1/posts/{pid}/replies", {"body": "Welcome!"},
                     token=world["tokens"]["gmod"])
    assert reply.status_code == 409
    mod_page = login(app, "gmod").get(f"/questions/{qid}").get_data(as_text=True)
    assert CANARY in mod_page and f"/posts/{pid}/approve" in mod_page

    assert api.post(f"/api/v1/posts/{pid}/approve", token=world["tokens"]["gmod"]) \
        .status_code == 200
    assert answer_count(app, qid) == count + 1
    assert [n.post_id for n in notifications_of(app, world["ids"]["regular"], "answer")] \
        == [pid]
    page = login(app, "regular").get(f"/questions/{qid}").get_data(as_text=True)
    assert CANARY in page


def test_after_their_first_posts_are_approved_a_newcomer_posts_freely(app, api, world):
    first = ask(api, world).get_json()["id"]
    second = answer(api, world, world["regular_q"]).get_json()["id"]
    for path in (f"/api/v1/questions/{first}/approve", f"/api/v1/posts/{second}/approve"):
        assert api.post(path, token=world["tokens"]["gmod"]).status_code == 200
    third = answer(api, world, world["regular_q"], text="And a third word.")
    assert third.status_code == 201 and third.get_json()["held"] is False


@pytest.mark.parametrize("who", ["regular", "gmod", "expert", "smod", "admin"])
def test_regulars_moderators_and_verified_experts_are_never_held(app, api, world, who):
    response = ask(api, world, who=who)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["held"] is False


def test_a_group_that_does_not_premoderate_holds_nothing(app, api, world):
    response = ask(api, world, group="east-africa")
    assert response.status_code == 201 and response.get_json()["held"] is False


def test_invitations_of_a_held_question_reach_the_invited_on_approval(app, api, world):
    newcomer = login(app, "newcomer")
    response = newcomer.post_form("/questions/ask?invite=expert", {
        "title": f"Implant removal training {CANARY}", "body": "Who trains on removals?",
        "group": "west-africa", "tags": "implants", "lang": "en", "invite": "expert"})
    assert response.status_code == 302
    with app.app_context():
        qid = db.session.scalar(select(Question.id).where(Question.title.contains(CANARY)))
    assert notifications_of(app, world["ids"]["expert"], "routed") == []
    with app.app_context():
        assert db.session.scalar(select(QuestionRoute.state).where(
            QuestionRoute.question_id == qid,
            QuestionRoute.user_id == world["ids"]["expert"])) == "asked"
    # The asker cannot ask more people before it is published.
    more = api.post(f"/api/v1/questions/{qid}/experts", {"usernames": ["regular"]},
                    token=world["tokens"]["newcomer"])
    assert more.status_code in (404, 409)
    api.post(f"/api/v1/questions/{qid}/approve", token=world["tokens"]["gmod"])
    assert [n.question_id for n in notifications_of(app, world["ids"]["expert"], "routed")] \
        == [qid]


def test_rejecting_keeps_it_hidden_with_the_reason_and_counts_stay_true(app, api, world):
    qid = world["regular_q"]
    count = answer_count(app, qid)
    pid = answer(api, world, qid).get_json()["id"]
    missing = api.post(f"/api/v1/posts/{pid}/reject", {}, token=world["tokens"]["gmod"])
    assert missing.status_code == 422  # a reason is required: the author reads it
    rejected = api.post(f"/api/v1/posts/{pid}/reject", {"reason": "Advertising a shop"},
                        token=world["tokens"]["gmod"])
    assert rejected.status_code == 200
    assert rejected.get_json()["held"] is False and rejected.get_json()["hidden"] is True
    assert notifications_of(app, world["ids"]["regular"], "answer") == []
    own = login(app, "newcomer").get(f"/questions/{qid}").get_data(as_text=True)
    assert "Advertising a shop" in own
    again = api.post(f"/api/v1/posts/{pid}/approve", token=world["tokens"]["gmod"])
    assert again.status_code == 409
    # A later restore is an ordinary one, and the count matches what readers see.
    assert api.post(f"/api/v1/posts/{pid}/restore", token=world["tokens"]["gmod"]) \
        .status_code == 200
    assert answer_count(app, qid) == count + 1
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "reject", AuditEntry.target_id == pid)) == 1


def test_a_held_item_cannot_be_restored_around_the_approval(app, api, world):
    qid = ask(api, world).get_json()["id"]
    response = api.post(f"/api/v1/questions/{qid}/restore", token=world["tokens"]["gmod"])
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Question, qid).held_at is not None


# -- who may approve and reject -------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [
    (None, 401), ("regular", 403), ("newcomer", 403), ("omod", 403),
    ("gmod", 200), ("smod", 200), ("admin", 200),
])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_the_groups_moderators_approve_or_reject(app, api, world, who, status, action):
    pid = answer(api, world, world["regular_q"]).get_json()["id"]
    body = {"reason": "Not for this group"} if action == "reject" else None
    response = api.post(f"/api/v1/posts/{pid}/{action}", body,
                        token=world["tokens"][who] if who else None)
    assert response.status_code == status, response.get_json()
    with app.app_context():
        post = db.session.get(Post, pid)
        assert (post.held_at is None) == (status == 200)


def test_bad_ids_and_targets_get_clear_errors(app, api, world):
    token = world["tokens"]["gmod"]
    assert api.post("/api/v1/posts/999999/approve", token=token).status_code == 404
    published = world["regular_q"]
    assert api.post(f"/api/v1/questions/{published}/approve", token=token).status_code == 409
    pid = answer(api, world, published).get_json()["id"]
    response = api.post(f"/api/v1/posts/{pid}/reject", {"reason": "x" * 501}, token=token)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Post, pid).held_at is not None


# -- pages ---------------------------------------------------------------------------------


def test_the_queue_approves_with_one_button_and_the_author_is_told_it_waits(app, world):
    newcomer = login(app, "newcomer")
    response = newcomer.post_form("/questions/ask", {
        "title": f"Implant removal training {CANARY}", "body": "Who trains on removals?",
        "group": "west-africa", "tags": "implants", "lang": "en"})
    assert response.status_code == 302
    shown = newcomer.get(response.headers["Location"]).get_data(as_text=True)
    assert "waits for a moderator" in shown
    with app.app_context():
        qid = db.session.scalar(select(Question.id).where(Question.title.contains(CANARY)))
    gmod = login(app, "gmod")
    queue = gmod.get("/moderation/flags")
    assert f'id="held-question-{qid}"' in queue.get_data(as_text=True)
    approved = gmod.post_form(f"/moderation/questions/{qid}/approve", {},
                              page="/moderation/flags")
    assert approved.status_code == 302
    with app.app_context():
        assert db.session.get(Question, qid).held_at is None
    # Without the CSRF token nothing happens.
    regular = world["regular_q"]
    newcomer.post_form(f"/questions/{regular}/answer", {"body": f"Hub {CANARY}"},
                       page=f"/questions/{regular}")
    with app.app_context():
        pid = db.session.scalar(select(Post.id).where(Post.body_source.contains(CANARY)))
    refused = gmod.post_form(f"/posts/{pid}/approve", {}, csrf=False)
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Post, pid).held_at is not None


def test_the_group_moderator_reject_page_needs_a_reason(app, api, world):
    pid = answer(api, world, world["regular_q"]).get_json()["id"]
    gmod = login(app, "gmod")
    assert gmod.get(f"/posts/{pid}/reject").status_code == 200
    refused = gmod.post_form(f"/posts/{pid}/reject", {"reason": ""})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(Post, pid).held_at is not None
    assert login(app, "regular").get(f"/posts/{pid}/reject").status_code in (403, 404)
