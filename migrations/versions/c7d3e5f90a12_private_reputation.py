"""private reputation: points earned in private groups leave the public number

users.private_reputation holds the points earned on questions of private groups (votes on
them and on their answers, accepted answers); users.reputation keeps the public number only.
Existing points are moved with the rules of forum/services/reputation.py as they are on
this date (the migration carries its own copy): whatever a user earned in private groups
is taken out of `reputation` and put in `private_reputation`.

Revision ID: c7d3e5f90a12
Revises: a10f2e3c4b51
Create Date: 2026-12-03 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7d3e5f90a12'
down_revision = 'a10f2e3c4b51'
branch_labels = None
depends_on = None

# The points of forum/services/reputation.py on 2026-12-03.
ANSWER_UPVOTE = 10
QUESTION_UPVOTE = 5
ACCEPTED_ANSWER = 15
DOWNVOTE = -2

users = sa.table("users", sa.column("id", sa.Integer), sa.column("reputation", sa.Integer),
                 sa.column("private_reputation", sa.Integer))
groups = sa.table("groups", sa.column("id", sa.Integer), sa.column("private", sa.Boolean))
questions = sa.table("questions", sa.column("id", sa.Integer), sa.column("group_id", sa.Integer),
                     sa.column("author_id", sa.Integer),
                     sa.column("accepted_answer_id", sa.Integer))
posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("question_id", sa.Integer),
                 sa.column("author_id", sa.Integer))
question_votes = sa.table("question_votes", sa.column("question_id", sa.Integer),
                          sa.column("value", sa.Integer))
post_votes = sa.table("post_votes", sa.column("post_id", sa.Integer),
                      sa.column("value", sa.Integer))


def _private_points() -> dict[int, int]:
    """{user id: points earned on questions of private groups}."""
    bind = op.get_bind()
    private = groups.c.private.is_(True)
    totals: dict[int, int] = {}
    points_q = sa.case((question_votes.c.value > 0, QUESTION_UPVOTE), else_=DOWNVOTE)
    points_a = sa.case((post_votes.c.value > 0, ANSWER_UPVOTE), else_=DOWNVOTE)
    answered = questions.alias("answered")
    for stmt in (
        sa.select(questions.c.author_id, sa.func.sum(points_q))
        .select_from(questions.join(question_votes,
                                    question_votes.c.question_id == questions.c.id)
                     .join(groups, groups.c.id == questions.c.group_id))
        .where(private).group_by(questions.c.author_id),
        sa.select(posts.c.author_id, sa.func.sum(points_a))
        .select_from(posts.join(post_votes, post_votes.c.post_id == posts.c.id)
                     .join(questions, questions.c.id == posts.c.question_id)
                     .join(groups, groups.c.id == questions.c.group_id))
        .where(private).group_by(posts.c.author_id),
        sa.select(posts.c.author_id, sa.func.count() * ACCEPTED_ANSWER)
        .select_from(posts.join(answered, answered.c.accepted_answer_id == posts.c.id)
                     .join(groups, groups.c.id == answered.c.group_id))
        .where(private, posts.c.author_id != answered.c.author_id)
        .group_by(posts.c.author_id),
    ):
        for user_id, points in bind.execute(stmt):
            if user_id is not None:
                totals[user_id] = totals.get(user_id, 0) + int(points or 0)
    return totals


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_reputation', sa.Integer(), server_default='0',
                                      nullable=False))
    bind = op.get_bind()
    for user_id, points in sorted(_private_points().items()):
        if points:
            bind.execute(users.update().where(users.c.id == user_id).values(
                reputation=users.c.reputation - points, private_reputation=points))


def downgrade():
    bind = op.get_bind()
    bind.execute(users.update().where(users.c.private_reputation != 0).values(
        reputation=users.c.reputation + users.c.private_reputation))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('private_reputation')
