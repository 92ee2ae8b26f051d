"""The Q&A services: asking, answering, replying, voting, accepting, editing, deleting."""

import pytest

from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from forum.extensions import db
from forum.models import Post, Question, Revision, Tag, User
from forum.services import qa, votes
from forum.services.reputation import expected_reputation, recompute_all
from forum.services.threads import MAX_INDENT, load_thread, question_list_query


@pytest.fixture
def people(make_user):
    return {name: make_user(name, role=role) for name, role in
            [("asker", "member"), ("helper", "member"), ("peer", "member"),
             ("mod", "moderator"), ("admin", "admin")]}


def get(app, model, ident):
    return db.session.get(model, ident)


def test_ask_answer_reply_and_load_the_thread(app, people, group, make_question, make_post):
    qid = make_question(people["asker"], group, tags=["implants", "stock-outs"])
    answer = make_post(people["helper"], question_id=qid, body="Order a quarter ahead.")
    reply = make_post(people["asker"], parent_id=answer, body="We tried; lead time is long.")
    with app.app_context():
        user = get(app, User, people["peer"])
        thread = load_thread(user, qid)
        assert thread.question.answer_count == 1
        assert [n.post.id for n in thread.answers] == [answer]
        assert [n.post.id for n in thread.answers[0].replies] == [reply]
        assert {t.name for t in thread.question.tags} == {"implants", "stock-outs"}
        assert db.session.query(Revision).count() == 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "short"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 50_001}, "body"),
        ({"group": "nowhere"}, "group"),
        ({"tags": []}, "tags"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"tags": ["Bad Tag"]}, "tags"),
        ({"tags": ["x" * 31]}, "tags"),
        ({"tags": ["under_score"]}, "tags"),
        ({"lang": "de"}, "lang"),
        ({"title": 42}, "title"),
    ],
)
def test_ask_refuses_bad_input_naming_the_field(app, people, group, kwargs, field):
    data = {"title": "How do we avoid implant stock-outs?", "body": "Details.",
            "group": group, "tags": ["implants"], "lang": "en"}
    data.update(kwargs)
    with app.app_context():
        user = get(app, User, people["asker"])
        with pytest.raises(InvalidInput) as caught:
            qa.ask_question(user, system=True, **data)
        assert field in caught.value.fields
        assert db.session.query(Question).count() == 0
        assert db.session.query(Tag).count() == 0


def test_tags_allow_accents_and_are_created_and_counted(app, people, group, make_question):
    make_question(people["asker"], group, tags=["planification", "méthode", "dmpa-sc"])
    make_question(people["helper"], group, title="Another question about DMPA-SC",
                  tags=["dmpa-sc"])
    with app.app_context():
        counts = dict(db.session.execute(db.select(Tag.name, Tag.question_count)).all())
        assert counts == {"planification": 1, "méthode": 1, "dmpa-sc": 2}


def test_language_defaults_to_the_writers_interface_language(app, make_user, group):
    amina = make_user("amina", locale="fr")
    with app.test_request_context("/"):
        user = get(app, User, amina)
        question = qa.ask_question(user, title="Comment éviter les ruptures ?",
                                   body="Nos cliniques manquent d'implants.", group=group,
                                   tags=["implants"], system=True)
        assert question.lang == "fr"


def test_duplicate_body_within_five_minutes_is_409(app, people, group):
    with app.test_request_context("/"):
        app.config["RATE_LIMITS"] = False
        user = get(app, User, people["asker"])
        qid = qa.ask_question(user, title="How do we avoid implant stock-outs?",
                              body="Same words.", group=group, tags=["implants"]).id
        with pytest.raises(Conflict):
            qa.post_answer(user, qid, "Same words.")
        assert db.session.query(Post).count() == 0


def test_posting_is_rate_limited_per_user(app, people, group, make_question):
    qid = make_question(people["asker"], group)
    with app.test_request_context("/"):
        user = get(app, User, people["helper"])
        qa.post_answer(user, qid, "First answer.")
        with pytest.raises(RateLimited):
            qa.post_answer(user, qid, "Second answer right away.")
        # System work (imports, demo) is not limited.
        qa.post_answer(user, qid, "An import.", system=True)
        assert db.session.query(Post).count() == 2


def test_votes_move_score_and_reputation_and_can_change(app, people, group, make_question,
                                                        make_post):
    qid = make_question(people["asker"], group)
    aid = make_post(people["helper"], question_id=qid)
    with app.app_context():
        peer = get(app, User, people["peer"])
        mod = get(app, User, people["mod"])
        assert votes.vote_post(peer, aid, 1) == (1, 1)
        assert votes.vote_post(mod, aid, -1) == (0, -1)
        assert votes.vote_question(peer, qid, 1) == (1, 1)
        assert get(app, User, people["helper"]).reputation == 10 - 2
        assert get(app, User, people["asker"]).reputation == 5
        assert votes.vote_post(mod, aid, 1) == (2, 1)
        db.session.expire_all()
        assert get(app, User, people["helper"]).reputation == 20
        assert votes.vote_post(mod, aid, 0) == (1, 0)
        with pytest.raises(Conflict):
            votes.vote_post(peer, aid, 1)
        with pytest.raises(PermissionDenied):
            votes.vote_post(get(app, User, people["helper"]), aid, 1)
        with pytest.raises(InvalidInput):
            votes.vote_post(peer, aid, 2)
        db.session.expire_all()
        assert expected_reputation().get(people["helper"], 0) == get(
            app, User, people["helper"]).reputation


def test_replies_are_not_voted(app, people, group, make_question, make_post):
    qid = make_question(people["asker"], group)
    aid = make_post(people["helper"], question_id=qid)
    rid = make_post(people["asker"], parent_id=aid)
    with app.app_context():
        with pytest.raises(InvalidInput):
            votes.vote_post(get(app, User, people["peer"]), rid, 1)


def test_accept_change_and_withdraw(app, people, group, make_question, make_post):
    qid = make_question(people["asker"], group)
    first = make_post(people["helper"], question_id=qid, body="First.")
    second = make_post(people["peer"], question_id=qid, body="Second.")
    other_q = make_question(people["peer"], group, title="A different question here")
    foreign = make_post(people["helper"], question_id=other_q, body="Elsewhere.")
    with app.app_context():
        asker = get(app, User, people["asker"])
        qa.accept_answer(asker, qid, first)
        assert get(app, User, people["helper"]).reputation == 15
        thread = load_thread(asker, qid)
        assert thread.question.status == "answered"
        qa.accept_answer(asker, qid, second)
        db.session.expire_all()
        assert get(app, User, people["helper"]).reputation == 0
        assert get(app, User, people["peer"]).reputation == 15
        assert [n.post.id for n in load_thread(asker, qid).answers][0] == second
        with pytest.raises(InvalidInput):
            qa.accept_answer(asker, qid, foreign)
        with pytest.raises(PermissionDenied):
            qa.accept_answer(get(app, User, people["helper"]), qid, first)
        qa.accept_answer(get(app, User, people["mod"]), qid, first)
        qa.unaccept_answer(asker, qid)
        db.session.expire_all()
        assert get(app, Question, qid).status == "open"
        assert recompute_all() == 0  # no drift


def test_edit_keeps_history_and_marks_edited(app, people, group, make_question, make_post):
    qid = make_question(people["asker"], group)
    aid = make_post(people["helper"], question_id=qid, body="Version one.")
    with app.app_context():
        helper = get(app, User, people["helper"])
        qa.edit_post(helper, aid, "Version two, **better**.")
        with pytest.raises(PermissionDenied):
            qa.edit_post(get(app, User, people["peer"]), aid, "Vandalism.")
        qa.edit_post(get(app, User, people["mod"]), aid, "Version three by a moderator.")
        item, revisions = qa.revisions_of(helper, post_id=aid)
        assert [r.body_source for r in revisions] == [
            "Order earlier." if False else "Version one.", "Version two, **better**.",
            "Version three by a moderator."]
        assert item.edited_at is not None
        qa.edit_question(get(app, User, people["asker"]), qid, title="A clearer title for this",
                         tags=["implants", "supply-chain"])
        _q, q_revisions = qa.revisions_of(helper, question_id=qid)
        assert q_revisions[-1].tags == ["implants", "supply-chain"]
        counts = dict(db.session.execute(db.select(Tag.name, Tag.question_count)).all())
        assert counts == {"implants": 1, "supply-chain": 1}


def test_soft_delete_keeps_reply_context(app, people, group, make_question, make_post):
    qid = make_question(people["asker"], group)
    aid = make_post(people["helper"], question_id=qid)
    make_post(people["peer"], parent_id=aid, body="A reply that stays.")
    lonely = make_post(people["peer"], question_id=qid, body="Lonely answer.")
    with app.app_context():
        qa.delete_post(get(app, User, people["helper"]), aid)
        qa.delete_post(get(app, User, people["peer"]), lonely)
        thread = load_thread(get(app, User, people["asker"]), qid)
        assert len(thread.answers) == 1 and thread.answers[0].placeholder
        assert thread.answers[0].replies[0].post.body_source == "A reply that stays."
        assert get(app, Question, qid).answer_count == 0
        with pytest.raises(NotFound):
            qa.post_reply(get(app, User, people["asker"]), aid, "Replying to deleted.")
        mod_view = load_thread(get(app, User, people["mod"]), qid)
        assert len(mod_view.answers) == 2


def test_deep_replies_are_flattened_after_four_levels(app, people, group, make_question,
                                                      make_post):
    qid = make_question(people["asker"], group)
    parent = make_post(people["helper"], question_id=qid)
    chain = []
    for n in range(6):
        parent = make_post(people["peer" if n % 2 else "asker"], parent_id=parent,
                           body=f"Level {n + 1}")
        chain.append(parent)
    with app.app_context():
        thread = load_thread(get(app, User, people["peer"]), qid)
        answer = thread.answers[0]
        node, depth = answer, 0
        while node.replies and depth < MAX_INDENT:
            node = node.replies[0]
            depth += 1
        assert node.indent == MAX_INDENT
        flat = answer.replies[0].replies[0].replies[0].replies
        assert [n.post.id for n in flat] == chain[3:]
        assert all(n.indent == MAX_INDENT for n in flat)
        assert flat[1].reply_to.id == chain[3] and flat[2].reply_to.id == chain[4]


def test_private_group_questions_are_invisible_to_outsiders(app, people, make_group,
                                                            make_question, join):
    make_group("secret-circle", private=True)
    join(people["asker"], "secret-circle", private=True)
    qid = make_question(people["asker"], "secret-circle", title="Canary zebra question here")
    with app.app_context():
        outsider = get(app, User, people["peer"])
        with pytest.raises(NotFound):
            load_thread(outsider, qid)
        with pytest.raises(NotFound):
            qa.post_answer(outsider, qid, "Let me in.")
        assert db.session.scalars(question_list_query(outsider)).all() == []
        assert [q.id for q in db.session.scalars(
            question_list_query(get(app, User, people["asker"])))] == [qid]
        assert [q.id for q in db.session.scalars(
            question_list_query(get(app, User, people["admin"])))] == [qid]
