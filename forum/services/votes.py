"""Votes on questions and answers: one per person, changeable, never on your own post.

The score is exact under concurrent voting: a unique constraint per voter and post, and
counters moved with `score = score + delta` in the voter's transaction.
"""

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from forum import permissions, ratelimit
from forum.errors import Conflict, InvalidInput, PermissionDenied
from forum.extensions import db
from forum.models import Post, PostVote, Question, QuestionVote
from forum.realtime import live
from forum.services.inputs import require_active
from forum.services.qa import check_unlocked, get_post, get_question
from forum.services.reputation import adjust_reputation, vote_reputation
from forum.services.uow import after_commit, lock_for_write, savepoint, transactional


def _clean_value(value) -> int:
    if isinstance(value, bool) or value not in (1, -1, 0):
        raise InvalidInput(fields={"value": _("Vote 1 (up), -1 (down) or 0 (remove).")})
    return int(value)


def _apply(model, fk_name: str, target, user, value: int, *, on_answer: bool):
    """Insert, change or remove one vote row and move the counters; returns (score, mine)."""
    target_model = type(target)
    fk = getattr(model, fk_name)
    # The same voter changing a vote twice at once must not move the score twice: the vote
    # is read under the write lock (SQLite) or a row lock (PostgreSQL, FOR UPDATE).
    lock_for_write()
    for _attempt in range(3):
        existing = db.session.scalar(
            select(model).where(model.user_id == user.id, fk == target.id).with_for_update())
        previous = existing.value if existing else 0
        if previous == value:
            if value != 0:
                raise Conflict(_("You have already voted this way."),
                               fields={"value": _("Already voted.")})
            score = db.session.scalar(select(target_model.score)
                                      .where(target_model.id == target.id))
            return score, value
        try:
            with savepoint():
                if existing is None:
                    db.session.add(model(user_id=user.id, value=value, **{fk_name: target.id}))
                elif value == 0:
                    db.session.delete(existing)
                else:
                    existing.value = value
        except IntegrityError:  # the same voter, twice at once: read again and retry
            continue
        delta = value - previous
        db.session.execute(update(target_model).where(target_model.id == target.id)
                           .values(score=target_model.score + delta))
        question = target if isinstance(target, Question) else target.question
        adjust_reputation(target.author_id,
                          vote_reputation(value, on_answer=on_answer)
                          - vote_reputation(previous, on_answer=on_answer),
                          private=question.group.private)
        score = db.session.scalar(select(target_model.score)
                                  .where(target_model.id == target.id))
        return score, value
    raise Conflict(_("Your vote could not be recorded. Please try again."))


@transactional
def vote_question(user, question_id, value) -> tuple[int, int]:
    """Vote on a question; returns (score, my_vote). Raises NotFound, PermissionDenied,
    InvalidInput."""
    value = _clean_value(value)
    if not permissions.is_user(user):
        raise PermissionDenied(_("Log in to vote."))
    question = get_question(user, question_id)
    _check(user, question)
    score, mine = _apply(QuestionVote, "question_id", question, user, value, on_answer=False)
    after_commit(live.score_changed, question.id, None, score)
    return score, mine


@transactional
def vote_post(user, post_id, value) -> tuple[int, int]:
    """Vote on an answer (replies are not voted); returns (score, my_vote)."""
    value = _clean_value(value)
    if not permissions.is_user(user):
        raise PermissionDenied(_("Log in to vote."))
    post = get_post(user, post_id)
    if not post.is_answer:
        raise InvalidInput(fields={"post_id": _("Replies are not voted on.")})
    _check(user, post)
    score, mine = _apply(PostVote, "post_id", post, user, value, on_answer=True)
    after_commit(live.score_changed, post.question_id, post.id, score)
    return score, mine


def _check(user, item: Question | Post) -> None:
    """Who may vote on `item`; a vote that may be cast counts against LIMIT_VOTE_PER_USER
    (RateLimited, 429 with when to retry)."""
    require_active(user)
    check_unlocked(user, item if isinstance(item, Question) else item.question)
    if item.author_id == user.id:
        raise PermissionDenied(_("You cannot vote on your own post."))
    if not permissions.can_vote(user, item):
        raise PermissionDenied(_("You cannot vote on this."))
    ratelimit.hit("LIMIT_VOTE_PER_USER", "vote", str(user.id))


def my_votes(user, *, question_id: int, post_ids) -> tuple[int, dict[int, int]]:
    """The user's vote on a question and on its posts (two queries)."""
    if not permissions.is_user(user):
        return 0, {}
    mine_q = db.session.scalar(select(QuestionVote.value).where(
        QuestionVote.user_id == user.id, QuestionVote.question_id == question_id)) or 0
    ids = list(post_ids)
    mine_p = dict(db.session.execute(select(PostVote.post_id, PostVote.value).where(
        PostVote.user_id == user.id, PostVote.post_id.in_(ids))).all()) if ids else {}
    return mine_q, mine_p
