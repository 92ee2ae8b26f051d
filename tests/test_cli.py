"""Command-line tools: groups, reputation recompute, markup re-render."""

from forum.extensions import db
from forum.models import Group, Post, Question, User
from forum.services.uow import unit_of_work
from forum.services.votes import vote_post


def test_groups_create_and_add_member(app, make_user):
    make_user("awa")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["groups", "create", "sahel-trainers", "--name",
                                 "Sahel trainers", "--region", "West Africa", "--private"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["groups", "create", "Bad Slug", "--name", "X", "--region", "Y"])
    assert bad.exit_code != 0 and "slug" in bad.output
    added = runner.invoke(args=["groups", "add-member", "sahel-trainers", "awa"])
    assert added.exit_code == 0, added.output
    with app.app_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == "sahel-trainers"))
        assert group.private and group.member_count == 1


def test_reputation_recompute_repairs_drift(app, make_user, group, make_question, make_post):
    asker = make_user("asker")
    helper = make_user("helper")
    voter = make_user("voter")
    qid = make_question(asker, group)
    aid = make_post(helper, question_id=qid)
    with app.app_context():
        vote_post(db.session.get(User, voter), aid, 1)
        with unit_of_work():
            db.session.get(User, helper).reputation = 999  # drift
    result = app.test_cli_runner().invoke(args=["reputation", "recompute"])
    assert result.exit_code == 0 and "1 account(s) changed" in result.output
    with app.app_context():
        assert db.session.get(User, helper).reputation == 10


def test_markup_rerender_updates_old_rows(app, make_user, group, make_question, make_post):
    author = make_user("author")
    qid = make_question(author, group, body="Some **bold** text")
    aid = make_post(author, question_id=qid, body="An _answer_")
    with app.app_context(), unit_of_work():
        db.session.get(Question, qid).body_html = "stale"
        db.session.get(Question, qid).markup_version = 0
        db.session.get(Post, aid).markup_version = 0
    result = app.test_cli_runner().invoke(args=["markup", "rerender"])
    assert result.exit_code == 0 and "re-rendered 2 row(s)" in result.output
    with app.app_context():
        assert "<strong>bold</strong>" in db.session.get(Question, qid).body_html


def test_search_rebuild_indexes_every_question(app, make_user, group, make_question):
    author = make_user("author")
    make_question(author, group, title="Implant stock-outs at rural clinics")
    make_question(author, group, title="Training community health workers")
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0
    assert "indexed 2 question(s) and the current FAQ entries" in result.output
