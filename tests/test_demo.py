"""The demo seed: a lively, bilingual, consistent community that seeding again leaves alone."""

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from config import TestConfig
from forum import create_app, mail
from forum.demo import seed_demo
from forum.demo_content import (
    DEMO_USERS,
    GROUP_MODERATORS,
    GROUPS,
    JOIN_REQUESTS,
    MEMBERSHIPS,
    QUESTIONS,
)
from forum.extensions import db
from forum.models import (
    Group,
    GroupJoinRequest,
    GroupMembership,
    Notification,
    Post,
    PostVote,
    Question,
    QuestionVote,
    Revision,
    Tag,
    User,
    utcnow,
)
from forum.services.inputs import clean_tag_name
from forum.services.qa import TAGS_MAX
from forum.services.reputation import expected_reputation
from forum.services.threads import question_list_query
from tests.conftest import _truncate_all


@pytest.fixture(scope="module")
def demo_database(database_template, tmp_path_factory):
    """One database seeded through the CLI, as `make run` does, for the whole module: the
    tests only read it (and seeding again changes nothing), and seeding takes seconds."""
    if database_template["kind"] == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "forum.db"
        shutil.copy(database_template["path"], path)
        url = f"sqlite:///{path}"
    else:
        url = database_template["url"]
    folder = tmp_path_factory.mktemp("demo-app")
    app = create_app(TestConfig, database_url=url, OUTBOX_DIR=str(folder / "outbox"),
                     INSTANCE_DIR=str(folder / "instance"))
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--if-empty"])
    with app.app_context():
        notified = count(Notification)
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "demo content created" in result.output
    # Members see notifications of the demo's activity, but nobody is mailed about it.
    assert notified > 0
    assert mail.flush(10) and not list((folder / "outbox").glob("*.eml"))
    yield url
    if database_template["kind"] == "postgresql":
        _truncate_all(url)


@pytest.fixture
def database_url(demo_database):
    """This module's apps all use the seeded database (instead of an empty one each)."""
    return demo_database


@pytest.fixture
def seeded(app):
    """The app on the demo database."""
    return app


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot() -> dict:
    """Everything a second seed could change."""
    return {
        "counts": {m.__name__: count(m) for m in (User, Group, GroupMembership, Question,
                                                  Post, QuestionVote, PostVote, Tag,
                                                  Revision, GroupJoinRequest)},
        "roles": db.session.execute(select(GroupMembership.group_id, GroupMembership.user_id,
                                           GroupMembership.role)
                                    .order_by(GroupMembership.id)).all(),
        "reputation": dict(db.session.execute(select(User.username, User.reputation)).all()),
        "questions": db.session.execute(
            select(Question.title, Question.score, Question.answer_count,
                   Question.accepted_answer_id, Question.last_activity_at)
            .order_by(Question.id)).all(),
        "groups": db.session.execute(
            select(Group.slug, Group.member_count, Group.question_count)).all(),
        "tags": db.session.execute(select(Tag.name, Tag.question_count)).all(),
    }


def test_seed_creates_a_lively_bilingual_community(seeded):
    with seeded.app_context():
        assert count(Question) >= 35
        assert count(Question, Question.lang == "fr") >= 10
        groups_used = db.session.scalar(select(func.count(func.distinct(Question.group_id))))
        assert groups_used >= 4
        assert count(Question, Question.answer_count > 0) >= 25
        assert count(Question, Question.answer_count == 0) >= 3
        assert count(Question, Question.answer_count > 4) == 0
        assert count(Post, Post.depth >= 3) >= 3
        assert count(Question, Question.accepted_answer_id.is_not(None)) >= 12
        assert count(QuestionVote) >= 40 and count(PostVote) >= 40
        assert count(PostVote, PostVote.value == -1) >= 1
        # French threads are written in French by French-speaking members.
        assert count(Post, Post.lang == "fr") >= 20


def test_demo_users_have_confirmed_addresses(seeded):
    with seeded.app_context():
        assert count(User) > 0 and count(User, User.email_confirmed_at.is_(None)) == 0


def test_counters_and_reputation_agree_with_the_rows(seeded):
    with seeded.app_context():
        expected = expected_reputation()
        for user in db.session.scalars(select(User)):
            assert user.reputation == expected.get(user.id, 0), user.username
        assert any(user.reputation > 0 for user in db.session.scalars(select(User)))
        for question in db.session.scalars(select(Question)):
            answers = count(Post, Post.question_id == question.id, Post.parent_id.is_(None))
            assert question.answer_count == answers
            votes = db.session.scalar(select(func.coalesce(func.sum(QuestionVote.value), 0))
                                      .where(QuestionVote.question_id == question.id))
            assert question.score == votes
        for group in db.session.scalars(select(Group)):
            assert group.question_count == count(Question, Question.group_id == group.id)
            assert group.member_count == count(GroupMembership,
                                               GroupMembership.group_id == group.id)


def test_nobody_votes_on_their_own_posts(seeded):
    with seeded.app_context():
        own_q = count(QuestionVote, QuestionVote.question_id.in_(
            select(Question.id).where(Question.author_id == QuestionVote.user_id)))
        own_p = count(PostVote, PostVote.post_id.in_(
            select(Post.id).where(Post.author_id == PostVote.user_id)))
        assert own_q == own_p == 0


def test_times_are_spread_over_recent_weeks_in_thread_order(seeded):
    with seeded.app_context():
        now = utcnow()
        created = db.session.scalars(select(Question.created_at)).all()
        assert max(created) - min(created) >= timedelta(days=21)
        assert all(moment <= now for moment in created)
        for question in db.session.scalars(select(Question)):
            posts = db.session.scalars(select(Post).where(Post.question_id == question.id)
                                       .order_by(Post.id)).all()
            times = [question.created_at] + [p.created_at for p in posts]
            assert times == sorted(times)
            assert question.last_activity_at == times[-1] <= now
            for post in posts:
                if post.parent_id:
                    parent = db.session.get(Post, post.parent_id)
                    assert parent.created_at < post.created_at
        users = db.session.scalars(select(User.created_at)).all()
        assert max(users) < min(created)


def test_every_demo_user_is_in_their_regions_group(seeded):
    regions = {g["slug"]: g["region"] for g in GROUPS}
    with seeded.app_context():
        for username, *_rest, region, _country, _org in DEMO_USERS:
            if not region:
                continue
            user = db.session.scalar(select(User).where(User.username_key == username))
            slugs = db.session.scalars(select(Group.slug).join(GroupMembership).where(
                GroupMembership.user_id == user.id)).all()
            assert any(regions[slug] == region for slug in slugs), username
        private = db.session.scalar(select(Group).where(Group.private.is_(True)))
        assert private is not None and private.member_count >= 3


def test_seeding_twice_changes_nothing(seeded):
    with seeded.app_context():
        before = snapshot()
        assert seed_demo() is True  # a plain `demo seed` finds everything by name
        assert snapshot() == before
        assert seed_demo(only_if_empty=True) is False
        assert snapshot() == before
    result = seeded.test_cli_runner().invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0 and "seed skipped" in result.output


def test_private_group_questions_are_hidden_from_non_members(seeded):
    private = next(g["slug"] for g in GROUPS if g["private"])
    members = {name for name, slugs in MEMBERSHIPS.items() if private in slugs}
    outsider = next(name for name, *_ in DEMO_USERS if name not in members | {"admin"})
    member = sorted(members)[0]
    with seeded.app_context():
        group_id = db.session.scalar(select(Group.id).where(Group.slug == private))
        assert count(Question, Question.group_id == group_id) >= 3

        def visible_private(username):
            user = db.session.scalar(select(User).where(User.username_key == username))
            rows = db.session.scalars(question_list_query(user)).unique().all()
            return [q for q in rows if q.group_id == group_id]

        assert visible_private(outsider) == []
        anonymous = db.session.scalars(question_list_query(None)).unique().all()
        assert all(q.group_id != group_id for q in anonymous)
        assert len(visible_private(member)) >= 3


def test_demo_content_is_valid_data():
    """Checked without a database, so a typo fails here rather than in `make run`."""
    usernames = {row[0] for row in DEMO_USERS}
    slugs = {g["slug"] for g in GROUPS}
    private = {g["slug"] for g in GROUPS if g["private"]}
    titles = [q["title"] for q in QUESTIONS]
    assert len(titles) == len(set(titles))

    def walk(posts, group):
        for post in posts:
            assert post["author"] in usernames
            if group in private:
                assert group in MEMBERSHIPS[post["author"]]
            walk(post.get("replies", []), group)

    for question in QUESTIONS:
        assert question["group"] in slugs and question["author"] in usernames
        assert question["lang"] in ("en", "fr")
        assert 1 <= len(question["tags"]) <= TAGS_MAX
        assert all(clean_tag_name(tag) == tag for tag in question["tags"])
        assert sum(bool(a.get("accepted")) for a in question.get("answers", [])) <= 1
        assert len(question.get("answers", [])) <= 4
        walk(question.get("answers", []), question["group"])


def test_regional_groups_have_french_names_moderators_and_a_pending_request(seeded):
    with seeded.app_context():
        groups = {g.slug: g for g in db.session.scalars(select(Group))}
        for slug, french in [("south-asia", "Asie du Sud"),
                             ("southeast-asia", "Asie du Sud-Est"),
                             ("east-africa", "Afrique de l'Est"),
                             ("west-africa", "Afrique de l'Ouest francophone"),
                             ("west-africa-anglophone", "Afrique de l'Ouest anglophone")]:
            group = groups[slug]
            assert not group.private and group.name_fr == french
            assert group.description_fr_html.startswith("<p>") and group.member_count >= 2
        assert group.name_in("fr") == french and group.name_in("en") == group.name
        assert [g.slug for g in groups.values() if g.private] == ["trainers-circle"]
        assert groups["west-africa-anglophone"].question_count >= 3
        moderators = db.session.execute(
            select(Group.slug, User.username).join(GroupMembership,
                                                   GroupMembership.group_id == Group.id)
            .join(User, User.id == GroupMembership.user_id)
            .where(GroupMembership.role == "moderator")).all()
        assert sorted(moderators) == sorted(
            (slug, name) for slug, names in GROUP_MODERATORS.items() for name in names)
        pending = db.session.execute(
            select(User.username, Group.slug, GroupJoinRequest.message)
            .join(User, User.id == GroupJoinRequest.user_id)
            .join(Group, Group.id == GroupJoinRequest.group_id)
            .where(GroupJoinRequest.state == "pending")).all()
        assert sorted(pending) == sorted(JOIN_REQUESTS)
        for username, slug, _message in JOIN_REQUESTS:
            assert slug not in MEMBERSHIPS[username]  # asking, not yet a member
