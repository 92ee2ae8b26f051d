"""Reputation: +10 per upvote on an answer, +5 on a question, +15 for an accepted answer,
-2 per downvote received. Kept with atomic UPDATEs, and recomputable from the votes.

Points earned on questions of private groups go to `users.private_reputation`, never to
the public `users.reputation`: a vote inside a private group must not move a number that
outsiders see (only the user themself sees the private part)."""

from sqlalchemy import case, func, select, update

from forum.extensions import db
from forum.models import Group, Post, PostVote, Question, QuestionVote, User
from forum.services.uow import transactional

ANSWER_UPVOTE = 10
QUESTION_UPVOTE = 5
ACCEPTED_ANSWER = 15
DOWNVOTE = -2


def vote_reputation(value: int, *, on_answer: bool) -> int:
    """What one vote of `value` (1, -1 or 0) is worth to the post's author."""
    if value > 0:
        return ANSWER_UPVOTE if on_answer else QUESTION_UPVOTE
    if value < 0:
        return DOWNVOTE
    return 0


def adjust_reputation(user_id: int | None, delta: int, *, private: bool = False) -> None:
    """Add `delta` atomically (in the caller's transaction); `private` for points earned on
    a question of a private group (they go to private_reputation)."""
    if user_id and delta:
        column = "private_reputation" if private else "reputation"
        db.session.execute(update(User).where(User.id == user_id)
                           .values({column: getattr(User, column) + delta}))


def expected_reputation(*, private: bool = False) -> dict[int, int]:
    """Every user's reputation computed from scratch from votes and accepted answers: the
    public one, or with `private` the points earned in private groups."""
    totals: dict[int, int] = {}
    in_kind = Group.private.is_(True) if private else Group.private.is_(False)

    def add(rows):
        for user_id, points in rows:
            if user_id is not None:
                totals[user_id] = totals.get(user_id, 0) + int(points or 0)

    points_q = case((QuestionVote.value > 0, QUESTION_UPVOTE), else_=DOWNVOTE)
    add(db.session.execute(
        select(Question.author_id, func.sum(points_q))
        .join(QuestionVote, QuestionVote.question_id == Question.id)
        .join(Group, Group.id == Question.group_id).where(in_kind)
        .group_by(Question.author_id)))
    points_a = case((PostVote.value > 0, ANSWER_UPVOTE), else_=DOWNVOTE)
    add(db.session.execute(
        select(Post.author_id, func.sum(points_a))
        .join(PostVote, PostVote.post_id == Post.id)
        .join(Question, Question.id == Post.question_id)
        .join(Group, Group.id == Question.group_id).where(in_kind)
        .group_by(Post.author_id)))
    add(db.session.execute(
        select(Post.author_id, func.count() * ACCEPTED_ANSWER)
        .join(Question, Question.accepted_answer_id == Post.id)
        .join(Group, Group.id == Question.group_id)
        .where(Post.author_id != Question.author_id, in_kind)
        .group_by(Post.author_id)))
    return totals


@transactional
def recompute_all() -> int:
    """Rewrite every user's public and private reputation from the votes; returns how many
    users changed."""
    public, private = expected_reputation(), expected_reputation(private=True)
    changed = 0
    for user_id, current, current_private in db.session.execute(
            select(User.id, User.reputation, User.private_reputation)).all():
        target, target_private = public.get(user_id, 0), private.get(user_id, 0)
        if (current, current_private) != (target, target_private):
            db.session.execute(update(User).where(User.id == user_id)
                               .values(reputation=target, private_reputation=target_private))
            changed += 1
    return changed
