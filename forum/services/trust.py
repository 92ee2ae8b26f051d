"""New-member limits (issue 14, like Discourse's trust levels): in a member's first day, at
most a few links per post and a few questions and answers/replies per day.

The rule lives here only; its numbers are Config attributes (NEW_MEMBER_*). The limits lift
by themselves: when the account is NEW_MEMBER_HOURS old, as soon as one of the member's
answers is accepted, or once their reputation reaches NEW_MEMBER_REPUTATION. Site
moderators, admins and verified experts are never new members. The services call
check_new_member_post() before writing anything; system work (seed, CLI) skips it.
"""

import re
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, literal, select, union_all

from forum import permissions
from forum.errors import InvalidInput, RateLimited
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import Post, Question, utcnow

DAY = timedelta(hours=24)
KINDS = ("question", "answer", "reply")
# An <a> element of the sanitized HTML the renderer makes (Markdown links, <autolinks>,
# bare http(s):// and www. URLs alike).
_ANCHOR_RE = re.compile(r"<a\s", re.IGNORECASE)


def _setting(name: str) -> int:
    return int(current_app.config[name])


def new_member_until(user) -> datetime:
    """When `user`'s account stops being new by age alone."""
    return user.created_at + timedelta(hours=_setting("NEW_MEMBER_HOURS"))


def has_accepted_answer(user) -> bool:
    """True when an answer `user` wrote is the accepted answer of someone else's question
    (accepting your own answer lifts nothing)."""
    return db.session.scalar(
        select(Question.id).join(Post, Post.id == Question.accepted_answer_id)
        .where(Post.author_id == user.id, Question.author_id != user.id,
               Post.deleted_at.is_(None)).limit(1)) is not None


def is_new_member(user, now: datetime | None = None) -> bool:
    """True while `user` is under the new-member limits: the account is younger than
    NEW_MEMBER_HOURS, none of their answers was accepted and their reputation is below
    NEW_MEMBER_REPUTATION. Moderators, admins and verified experts never are."""
    if not permissions.is_user(user) or permissions.is_moderator(user) or user.verified_expert:
        return False
    now = now or utcnow()
    if user.created_at is None or new_member_until(user) <= now:
        return False
    if max(user.reputation or 0, user.private_reputation or 0) \
            >= _setting("NEW_MEMBER_REPUTATION"):
        return False
    return not has_accepted_answer(user)


def count_links(body_source: str) -> int:
    """How many links the renderer makes of this Markdown (mentions are not rendered here,
    so they do not count)."""
    return len(_ANCHOR_RE.findall(render_markdown(body_source or "").html))


def check_links(user, body_source: str, *, now: datetime | None = None) -> None:
    """InvalidInput on `body` when a new member's text has too many links."""
    if not is_new_member(user, now):
        return
    _check_link_count(body_source)


def _check_link_count(body_source: str) -> None:
    limit = _setting("NEW_MEMBER_MAX_LINKS")
    if count_links(body_source) > limit:
        raise InvalidInput(fields={"body": _(
            "New members can add at most %(n)d links to a post during their first day.",
            n=limit)})


def _recent_posts(user, since: datetime) -> dict[str, tuple[int, datetime | None]]:
    """{"question": (count, oldest), "post": (count, oldest)} of `user`'s questions and
    answers/replies written since `since` (deleted ones count too): one query."""
    questions = select(literal("question").label("kind"), func.count(Question.id),
                       func.min(Question.created_at)) \
        .where(Question.author_id == user.id, Question.created_at >= since)
    posts = select(literal("post").label("kind"), func.count(Post.id),
                   func.min(Post.created_at)) \
        .where(Post.author_id == user.id, Post.created_at >= since)
    rows = db.session.execute(union_all(questions, posts)).all()
    return {kind: (count or 0, oldest) for kind, count, oldest in rows}


def check_new_member_post(user, body_source: str, *, kind: str,
                          now: datetime | None = None) -> None:
    """For new members only: InvalidInput (422, on `body`) past NEW_MEMBER_MAX_LINKS links,
    RateLimited (429, retry when the oldest of the day's posts is a day old, or when the
    account stops being new if sooner) past the questions or answers/replies of a day."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = now or utcnow()
    if not is_new_member(user, now):
        return
    _check_link_count(body_source)
    counts = _recent_posts(user, now - DAY)
    if kind == "question":
        limit = _setting("NEW_MEMBER_QUESTIONS_PER_DAY")
        count, oldest = counts.get("question", (0, None))
        message = _("New members can ask %(n)d questions a day during their first day; "
                    "please try again later.", n=limit)
    else:
        limit = _setting("NEW_MEMBER_POSTS_PER_DAY")
        count, oldest = counts.get("post", (0, None))
        message = _("New members can write %(n)d answers and replies a day during their "
                    "first day; please try again later.", n=limit)
    if count < limit:
        return
    lifts = new_member_until(user)
    if oldest is not None:
        lifts = min(lifts, oldest + DAY)
    raise RateLimited(int((lifts - now).total_seconds()) + 1, message)
