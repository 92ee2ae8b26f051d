"""Reputation: +10 per upvote on an answer, +5 on a question, +15 for an accepted answer,
-2 per downvote received. Kept with atomic UPDATEs, and recomputable from the votes."""

from sqlalchemy import case, func, select, update

from forum.extensions import db
from forum.models import Post, PostVote, Question, QuestionVote, User
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


def adjust_reputation(user_id: int | None, delta: int) -> None:
    """Add `delta` atomically (in the caller's transaction)."""
    if user_id and delta:
        db.session.execute(update(User).where(User.id == user_id)
                           .values(reputation=User.reputation + delta))


def expected_reputation() -> dict[int, int]:
    """Every user's reputation computed from scratch from votes and accepted answers."""
    totals: dict[int, int] = {}

    def add(rows):
        for user_id, points in rows:
            if user_id is not None:
                totals[user_id] = totals.get(user_id, 0) + int(points or 0)

    points_q = case((QuestionVote.value > 0, QUESTION_UPVOTE), else_=DOWNVOTE)
    add(db.session.execute(
        select(Question.author_id, func.sum(points_q))
        .join(QuestionVote, QuestionVote.question_id == Question.id)
        .group_by(Question.author_id)))
    points_a = case((PostVote.value > 0, ANSWER_UPVOTE), else_=DOWNVOTE)
    add(db.session.execute(
        select(Post.author_id, func.sum(points_a))
        .join(PostVote, PostVote.post_id == Post.id)
        .group_by(Post.author_id)))
    add(db.session.execute(
        select(Post.author_id, func.count() * ACCEPTED_ANSWER)
        .join(Question, Question.accepted_answer_id == Post.id)
        .where(Post.author_id != Question.author_id)
        .group_by(Post.author_id)))
    return totals


@transactional
def recompute_all() -> int:
    """Rewrite every user's reputation from the votes; returns how many rows changed."""
    totals = expected_reputation()
    changed = 0
    for user_id, current in db.session.execute(select(User.id, User.reputation)).all():
        target = totals.get(user_id, 0)
        if current != target:
            db.session.execute(update(User).where(User.id == user_id)
                               .values(reputation=target))
            changed += 1
    return changed
